"""The schema of the shared models, read statically from the project index.

Every Pydantic model and every enum defined in the shared-model packages, with
what decides how JSON validates against it: each field's normalised type
(`types.py`), whether it is required (exactly as Pydantic v2 decides: no default
and no `default_factory`; an `Optional` field without a default is required),
its alias and serialization alias, the model's `extra` policy (inherited), and
each enum's members with their values (`auto()` members by name). Inherited
fields are part of a model. Models are identified by their (qualified) name
within the shared packages, so moving one between modules is no change; a name
defined in two shared modules is qualified by its module.

The snapshot (`arch-lint schema-snapshot`) is this data as JSON: versioned
(`"version": 1`), keys sorted, deterministic for the same sources.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from arch_lint.index.project import ProjectIndex
from arch_lint.schema.types import constrain, parse, render

SNAPSHOT_FORMAT = "arch-lint-schema"
SNAPSHOT_VERSION = 1


class SchemaError(ValueError):
    """A snapshot that cannot be read."""


@dataclass(frozen=True, slots=True)
class FieldSchema:
    type: str
    """The canonical type (see `types.render`)."""
    required: bool
    alias: str | None
    """The key validation reads (`alias`/`validation_alias`), if not the name."""
    serialization_alias: str | None
    """The key `model_dump(by_alias=True)` writes, if not the name."""
    path: str
    line: int

    @property
    def read_key(self) -> str | None:
        return self.alias

    @property
    def write_key(self) -> str | None:
        return self.serialization_alias or self.alias


@dataclass(slots=True)
class ModelSchema:
    module: str
    path: str
    line: int
    extra: str
    """`ignore` (Pydantic's default), `forbid` or `allow`."""
    fields: dict[str, FieldSchema] = field(default_factory=dict)


@dataclass(slots=True)
class EnumSchema:
    module: str
    path: str
    line: int
    members: dict[str, str] = field(default_factory=dict)
    """Member name -> its value as `repr` (or `auto()`)."""

    def values(self) -> dict[str, str]:
        """Value -> member name; an `auto()` member's value is its name."""
        return {(f"auto:{n}" if v == "auto()" else v): n for n, v in self.members.items()}


@dataclass(slots=True)
class Schema:
    models: dict[str, ModelSchema] = field(default_factory=dict)
    enums: dict[str, EnumSchema] = field(default_factory=dict)

    # snapshot ----------------------------------------------------------------------------
    def to_json(self) -> dict[str, Any]:
        return {
            "format": SNAPSHOT_FORMAT,
            "version": SNAPSHOT_VERSION,
            "models": {
                name: {
                    "module": m.module,
                    "path": m.path,
                    "line": m.line,
                    "extra": m.extra,
                    "fields": {
                        fname: {
                            "type": f.type,
                            "required": f.required,
                            "alias": f.alias,
                            "serialization_alias": f.serialization_alias,
                            "path": f.path,
                            "line": f.line,
                        }
                        for fname, f in m.fields.items()
                    },
                }
                for name, m in sorted(self.models.items())
            },
            "enums": {
                name: {
                    "module": e.module,
                    "path": e.path,
                    "line": e.line,
                    "members": dict(e.members),
                }
                for name, e in sorted(self.enums.items())
            },
        }

    def dumps(self) -> str:
        return json.dumps(self.to_json(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"

    @classmethod
    def loads(cls, text: str, origin: str) -> Schema:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise SchemaError(f"{origin}: not JSON ({exc.msg}, line {exc.lineno})") from None
        if not isinstance(data, dict) or data.get("format") != SNAPSHOT_FORMAT:
            raise SchemaError(f"{origin}: not an arch-lint schema snapshot")
        if data.get("version") != SNAPSHOT_VERSION:
            raise SchemaError(
                f"{origin}: snapshot version {data.get('version')!r}; this arch-lint reads "
                f"version {SNAPSHOT_VERSION} (write a new one with `arch-lint schema-snapshot`)"
            )
        try:
            return cls._from_json(data)
        except (KeyError, TypeError, AttributeError, ValueError) as exc:
            raise SchemaError(f"{origin}: malformed snapshot ({exc!r})") from None

    @classmethod
    def _from_json(cls, data: dict[str, Any]) -> Schema:
        out = cls()
        for name, m in data["models"].items():
            model = ModelSchema(str(m["module"]), str(m["path"]), int(m["line"]), str(m["extra"]))
            for fname, f in m["fields"].items():
                model.fields[str(fname)] = FieldSchema(
                    type=render(parse(str(f["type"]))),
                    required=bool(f["required"]),
                    alias=f["alias"],
                    serialization_alias=f["serialization_alias"],
                    path=str(f["path"]),
                    line=int(f["line"]),
                )
            out.models[str(name)] = model
        for name, e in data["enums"].items():
            members = {str(k): str(v) for k, v in e["members"].items()}
            out.enums[str(name)] = EnumSchema(
                str(e["module"]), str(e["path"]), int(e["line"]), members
            )
        return out


def extract(index: ProjectIndex, paths: Iterable[str]) -> Schema:
    """The schema of the models and enums defined in `paths` (the shared-model files)."""
    found: list[tuple[str, str, str]] = []  # (qualname, path, kind)
    for path in sorted(paths):
        facts = index.facts.get(path)
        if facts is None:
            continue
        for cls in facts.classes:
            if index.is_model(path, cls.name):
                found.append((cls.name, path, "model"))
            elif index.is_enum(path, cls.name):
                found.append((cls.name, path, "enum"))
    counts: dict[str, int] = {}
    for name, _, _ in found:
        counts[name] = counts.get(name, 0) + 1
    schema = Schema()
    for name, path, kind in found:
        module = index.module_of(path) or path
        key = name if counts[name] == 1 else f"{module}.{name}"
        described = index.class_facts(path, name)
        assert described is not None
        if kind == "enum":
            members = {
                member: ("auto()" if spec[0] == "auto" else repr(spec[1]))
                for member, spec in described.members.items()
            }
            schema.enums[key] = EnumSchema(module, path, described.pos[0], members)
            continue
        config = index.model_config(path, name)
        extra = config.get("extra", "ignore")
        policy = extra if isinstance(extra, str) else "ignore"
        model = ModelSchema(module, path, described.pos[0], policy)
        where = _field_files(index, path, name)
        for fname, f in index.all_fields(path, name).items():
            annotation = constrain(parse(f.annotation), f.constraints)
            model.fields[fname] = FieldSchema(
                type=render(annotation),
                required=f.required,
                alias=f.alias if f.alias != fname else None,
                serialization_alias=(
                    f.serialization_alias if f.serialization_alias not in {fname, f.alias} else None
                ),
                path=where.get(fname, path),
                line=f.pos[0],
            )
        schema.models[key] = model
    return schema


def _field_files(index: ProjectIndex, path: str, qualname: str) -> dict[str, str]:
    """Field name -> the file that declares it (a base's, for inherited fields)."""
    out: dict[str, str] = {}
    for where, base in reversed(index.ancestors(path, qualname)):
        out.update((f.name, where) for f in base.fields)
    own = index.class_facts(path, qualname)
    if own is not None:
        out.update((f.name, path) for f in own.fields)
    return out
