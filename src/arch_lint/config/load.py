"""Find and read the configuration file (SPEC §3).

`[tool.arch_lint]` in the nearest `pyproject.toml` that has that table,
searching upward from the first checked path (or the current directory), or an
explicit `--config FILE`. Errors carry the key path and never a traceback.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

TABLE = ("tool", "arch_lint")


class ConfigError(Exception):
    """A configuration problem; `problems` are `key path: message` lines."""

    def __init__(self, path: Path | None, problems: list[str]) -> None:
        self.path = path
        self.problems = problems
        super().__init__("\n".join(self.lines()))

    def lines(self) -> list[str]:
        """`file:line: key: message` lines (the line where it is known)."""
        out = []
        for problem in self.problems:
            if self.path is None:
                out.append(problem)
            elif problem[:1].isdigit():
                out.append(f"{_shown(self.path)}:{problem}")
            else:
                out.append(f"{_shown(self.path)}: {problem}")
        return out


def _shown(path: Path) -> str:
    try:
        return path.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return str(path)


@dataclass(frozen=True)
class RawConfig:
    """The table as read, with where it came from."""

    path: Path | None
    """The config file, or None when defaults are used."""
    root: Path
    """The project root: the directory of the config file (or the git root)."""
    table: dict[str, Any] = field(default_factory=dict)
    text: str = ""


def read_bytes(path: Path) -> bytes:
    """The configuration file's content; ConfigError when it cannot be read."""
    try:
        return path.read_bytes()
    except OSError as exc:
        raise ConfigError(path, [f"cannot read the configuration file: {exc.strerror}"]) from None


def _read_toml(path: Path, raw: bytes | None = None) -> tuple[dict[str, Any], str]:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - exercised on 3.10 only
        import tomli as tomllib

    if raw is None:
        raw = read_bytes(path)
    try:
        text = raw.decode("utf-8")
        return tomllib.loads(text), text
    except UnicodeDecodeError:
        raise ConfigError(path, ["the file is not UTF-8"]) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(path, [f"invalid TOML: {exc}"]) from None


def may_hold_table(raw: bytes) -> bool:
    """Whether a TOML file's bytes can hold a `tool.arch_lint` table at all: the
    key is spelled out, or a quoted key escapes its letters (`"arch\\u005flint"`).
    A file that cannot is never parsed (a service's own pyproject.toml)."""
    return b"arch_lint" in raw or b"\\u" in raw or b"\\U" in raw


def _table(doc: dict[str, Any]) -> dict[str, Any] | None:
    tool = doc.get("tool")
    if not isinstance(tool, dict):
        return None
    table = tool.get("arch_lint")
    if table is None:
        return None
    if not isinstance(table, dict):
        raise ValueError("tool.arch_lint: must be a table")
    return table


def git_root(start: Path) -> Path | None:
    """The work tree's top directory, found without running git when possible."""
    for parent in (start, *start.parents):
        if os.path.exists(parent / ".git"):  # False, not PermissionError, when unreadable
            return parent
    return None


def find_config(start: Path, known: Callable[[Path, bytes], bool] | None = None) -> Path | None:
    """The nearest `pyproject.toml` with a `[tool.arch_lint]` table above `start`.

    A pyproject whose `tool.arch_lint` is not a table is found too, so that
    `load` reports it instead of running silently with the defaults. `known(path,
    content)` can vouch for a file without parsing it (the configuration cache
    knows these very bytes hold a valid table).
    """
    start = start.resolve()
    if os.path.isfile(start):
        start = start.parent
    for parent in (start, *start.parents):
        candidate = parent / "pyproject.toml"
        if not os.path.isfile(candidate):
            continue
        try:
            raw = candidate.read_bytes()
        except OSError:
            return candidate  # cannot be read at all: it may be ours, `load` says why
        if not may_hold_table(raw):
            continue
        if known is not None and known(candidate, raw):
            return candidate
        try:
            doc, _ = _read_toml(candidate, raw)
        except ConfigError:
            # A broken pyproject above us is only our business if it is ours.
            if b"[tool.arch_lint" in raw:
                return candidate
            continue
        try:
            found = _table(doc) is not None
        except ValueError:
            found = True
        if found:
            return candidate
    return None


def load(explicit: Path | None, start: Path) -> RawConfig:
    """Read the configuration: the explicit file, or the nearest one above `start`."""
    path = explicit if explicit is not None else find_config(start)
    if path is None:
        return no_config(start)
    if explicit is not None:
        check_explicit(path)
    return read_config(path)


def no_config(start: Path) -> RawConfig:
    """No configuration file: the defaults, at the git root above `start` (or the
    current directory)."""
    base = start.resolve()
    if os.path.isfile(base):
        base = base.parent
    return RawConfig(path=None, root=git_root(base) or Path.cwd().resolve())


def check_explicit(path: Path) -> None:
    """`--config FILE` must name an existing file."""
    if not os.path.isfile(path):
        raise ConfigError(path, ["no such configuration file"])


def read_config(path: Path, raw: bytes | None = None) -> RawConfig:
    """The `[tool.arch_lint]` table of the file at `path` (whose content is `raw`,
    when the caller has read it already)."""
    doc, text = _read_toml(path, raw)
    try:
        table = _table(doc)
    except ValueError as exc:
        raise ConfigError(path, [str(exc)]) from None
    if table is None:
        raise ConfigError(path, ["no [tool.arch_lint] table in this file"])
    return RawConfig(path=path.resolve(), root=path.resolve().parent, table=table, text=text)


def key_line(text: str, key_path: tuple[str | int, ...]) -> int:
    """Best-effort 1-based line of a key of `[tool.arch_lint]` in the TOML text.

    `key_path` starts below `tool.arch_lint`, e.g. `("services", 0)` or
    `("allow", 1, "reason")`. Falls back to the table header, then to 1.
    """
    lines = text.splitlines()
    header = _find_header(lines, "tool.arch_lint")
    names = [k for k in key_path if isinstance(k, str)]
    if key_path and key_path[0] == "allow" and len(key_path) > 1 and isinstance(key_path[1], int):
        nth = [i for i, ln in enumerate(lines) if ln.strip().startswith("[[tool.arch_lint.allow]]")]
        if key_path[1] < len(nth):
            return nth[key_path[1]] + 1
    if len(names) >= 2 and names[0] in {"logging", "models", "schema"}:
        sub = _find_header(lines, f"tool.arch_lint.{names[0]}")
        if sub is not None:
            found = _find_key(lines, sub + 1, names[1])
            if found is not None:
                return found + 1
    if names and header is not None:
        found = _find_key(lines, header + 1, names[0])
        if found is not None:
            return found + 1
    return (header + 1) if header is not None else 1


def _find_header(lines: list[str], name: str) -> int | None:
    for i, ln in enumerate(lines):
        if ln.strip().replace(" ", "") in {f"[{name}]"}:
            return i
    return None


def _find_key(lines: list[str], start: int, key: str) -> int | None:
    for i in range(start, len(lines)):
        stripped = lines[i].strip()
        if stripped.startswith("["):
            return None
        head = stripped.split("=", 1)[0].strip().strip('"')
        if head == key or head.startswith(key + "."):
            return i
    return None
