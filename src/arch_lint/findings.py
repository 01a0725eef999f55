"""The shared vocabulary: a finding and where it sits.

Findings and fixes are plain frozen dataclasses: a warm run reads thousands of
them back from the cache, and the start-up of a small run should not pay for a
validation library. `to_json` / `from_json` are their one JSON shape (the
cache's and the reports' field names); `from_json` checks every field's type,
so a damaged cache entry raises `ValueError` instead of becoming a finding.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


def _str(data: Mapping[str, Any], key: str) -> str:
    value = data[key]
    if type(value) is not str:
        raise ValueError(f"`{key}` is not a string")
    return value


def _int(data: Mapping[str, Any], key: str) -> int:
    value = data[key]
    if type(value) is not int:
        raise ValueError(f"`{key}` is not an integer")
    return value


def _bool(data: Mapping[str, Any], key: str, default: bool | None = None) -> bool:
    """A boolean field; without a `default` the field is required."""
    value = data[key] if default is None else data.get(key, default)
    if type(value) is not bool:
        raise ValueError(f"`{key}` is not a boolean")
    return value


def _strings(data: Mapping[str, Any], key: str) -> tuple[str, ...]:
    """An optional list of strings."""
    value = data.get(key, [])
    if not isinstance(value, list) or not all(type(v) is str for v in value):
        raise ValueError(f"`{key}` is not a list of strings")
    return tuple(value)


@dataclass(frozen=True)
class Fix:
    """How to repair a finding: a named tree transformation at a node.

    The fix engine (libcst) carries it out; `safe` follows ruff's meaning: an
    unsafe fix can change behaviour and needs `--unsafe-fixes`.
    """

    title: str
    safe: bool
    kind: str
    """Which transformation, e.g. `add-correlation-id`."""
    line: int
    column: int
    """1-based position (characters) of the node the transformation applies to."""
    end_line: int
    end_column: int
    """Where that node ends: 1-based, in characters, exclusive. The engine applies
    the fix only to the node at exactly this span."""
    data: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "safe": self.safe,
            "kind": self.kind,
            "line": self.line,
            "column": self.column,
            "end_line": self.end_line,
            "end_column": self.end_column,
            "data": dict(self.data),
        }

    @classmethod
    def from_json(cls, data: Any) -> Fix:
        """The fix `to_json` wrote; `ValueError` for anything else."""
        if not isinstance(data, dict):
            raise ValueError("a fix is not an object")
        try:
            extra = data.get("data", {})
            if not isinstance(extra, dict) or not all(
                type(k) is str and type(v) is str for k, v in extra.items()
            ):
                raise ValueError("`data` is not a table of strings")
            return cls(
                title=_str(data, "title"),
                safe=_bool(data, "safe"),
                kind=_str(data, "kind"),
                line=_int(data, "line"),
                column=_int(data, "column"),
                end_line=_int(data, "end_line"),
                end_column=_int(data, "end_column"),
                data=dict(extra),
            )
        except KeyError as exc:
            raise ValueError(f"a fix without `{exc.args[0]}`") from None


@dataclass(frozen=True)
class Finding:
    """One violation of one rule at one place."""

    code: str
    name: str
    message: str
    path: str
    """Relative to the project root, with `/` separators."""
    line: int
    """1-based."""
    column: int
    """1-based, in characters."""
    end_line: int
    end_column: int
    """Exclusive, 1-based, in characters."""
    service: str | None = None
    fixable: bool = False
    fix: Fix | None = None
    peers: tuple[str, ...] = ()
    """The other services the finding couples its own to (ARC101: the service
    whose data layer is imported; ARC103: the owners of the tables): the far
    ends of its edges in `arch-lint graph`. Not part of the reports' JSON."""
    dependents: tuple[str, ...] = ()
    """The other services that depend on the finding's own through what it
    flags (ARC208 on a route's model: the services that call the route): the
    near ends of its edges in `arch-lint graph`, which run from them to its
    service. Not part of the reports' JSON."""

    def __post_init__(self) -> None:
        # a lone surrogate (from a string literal of the checked code) has no
        # UTF-8 form: every output (a report, flake8, an editor) would fail on
        # it, so the message holds its escape (`\ud800`) instead
        message = self.message
        if not message.isascii():
            safe = message.encode("utf-8", "backslashreplace").decode("utf-8")
            if safe != message:
                object.__setattr__(self, "message", safe)

    def sort_key(self) -> tuple[str, int, int, str]:
        return (self.path, self.line, self.column, self.code)

    def to_json(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "name": self.name,
            "message": self.message,
            "path": self.path,
            "line": self.line,
            "column": self.column,
            "end_line": self.end_line,
            "end_column": self.end_column,
            "service": self.service,
            "fixable": self.fixable,
            "fix": None if self.fix is None else self.fix.to_json(),
            **({"peers": list(self.peers)} if self.peers else {}),
            **({"dependents": list(self.dependents)} if self.dependents else {}),
        }

    @classmethod
    def from_json(cls, data: Any) -> Finding:
        """The finding `to_json` wrote; `ValueError` for anything else (a damaged
        cache entry)."""
        if not isinstance(data, dict):
            raise ValueError("a finding is not an object")
        try:
            service = data.get("service")
            if service is not None and type(service) is not str:
                raise ValueError("`service` is not a string")
            fix = data.get("fix")
            peers = _strings(data, "peers")
            dependents = _strings(data, "dependents")
            return cls(
                code=_str(data, "code"),
                name=_str(data, "name"),
                message=_str(data, "message"),
                path=_str(data, "path"),
                line=_int(data, "line"),
                column=_int(data, "column"),
                end_line=_int(data, "end_line"),
                end_column=_int(data, "end_column"),
                service=service,
                fixable=_bool(data, "fixable", False),
                fix=None if fix is None else Fix.from_json(fix),
                peers=peers,
                dependents=dependents,
            )
        except KeyError as exc:
            raise ValueError(f"a finding without `{exc.args[0]}`") from None
