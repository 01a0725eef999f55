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

import ast
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from arch_lint.index.facts import DEF, Export
from arch_lint.index.project import ProjectIndex
from arch_lint.schema.types import constrain, parse, render

SNAPSHOT_FORMAT = "arch-lint-schema"
SNAPSHOT_VERSION = 1


class SchemaError(ValueError):
    """A snapshot that cannot be read."""


class _Malformed(ValueError):
    pass


def _get(data: Any, key: str, kind: type, where: str) -> Any:
    if not isinstance(data, dict) or key not in data:
        raise _Malformed(f"{where}: `{key}` is missing")
    value = data[key]
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise _Malformed(f"{where}: `{key}` must be {kind.__name__}, not {value!r}")
    return value


def _table(data: Any, key: str, where: str) -> dict[str, Any]:
    value = _get(data, key, dict, where)
    return {str(k): v for k, v in value.items()}


@dataclass(frozen=True, slots=True)
class FieldSchema:
    type: str
    """The canonical type (see `types.render`)."""
    required: bool
    read_keys: tuple[str, ...]
    """The keys validation reads (`validation_alias`, `AliasChoices`, `alias`, and
    the name with `populate_by_name`), sorted; empty: just the name."""
    write_key: str | None
    """The key `model_dump(by_alias=True)` writes (`serialization_alias`, `alias`),
    if not the name."""
    path: str
    line: int

    def reads(self, name: str) -> set[str]:
        return set(self.read_keys) or {name}

    def writes(self, name: str) -> str:
        return self.write_key or name


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
                            "read_keys": list(f.read_keys),
                            "write_key": f.write_key,
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
        version = data.get("version")
        if version != SNAPSHOT_VERSION or isinstance(version, bool):
            raise SchemaError(
                f"{origin}: snapshot format version {json.dumps(version)}; this arch-lint "
                f"reads version {SNAPSHOT_VERSION} (write a new one with "
                "`arch-lint schema-snapshot`)"
            )
        try:
            return cls._from_json(data)
        except _Malformed as exc:
            raise SchemaError(
                f"{origin}: malformed snapshot: {exc} (written by another arch-lint version? "
                "write a new one with `arch-lint schema-snapshot`)"
            ) from None

    @classmethod
    def _from_json(cls, data: dict[str, Any]) -> Schema:
        out = cls()
        for name, m in _table(data, "models", "the snapshot").items():
            where = f"model {name}"
            model = ModelSchema(
                _get(m, "module", str, where),
                _get(m, "path", str, where),
                _get(m, "line", int, where),
                _get(m, "extra", str, where),
            )
            if model.extra not in {"ignore", "forbid", "allow"}:
                raise _Malformed(f"{where}: `extra` must be ignore, forbid or allow")
            for fname, f in _table(m, "fields", where).items():
                at = f"{where}, field {fname}"
                keys = _get(f, "read_keys", list, at)
                if not all(isinstance(k, str) for k in keys):
                    raise _Malformed(f"{at}: `read_keys` must hold strings")
                write = f.get("write_key") if isinstance(f, dict) else None
                if write is not None and not isinstance(write, str):
                    raise _Malformed(f"{at}: `write_key` must be a string or null")
                written = _get(f, "type", str, at)
                try:
                    ast.parse(written, mode="eval")
                except SyntaxError:
                    raise _Malformed(f"{at}: `type` is not a type: {written!r}") from None
                model.fields[fname] = FieldSchema(
                    type=render(parse(written)),
                    required=_get(f, "required", bool, at),
                    read_keys=tuple(sorted(keys)),
                    write_key=write,
                    path=_get(f, "path", str, at),
                    line=_get(f, "line", int, at),
                )
            out.models[name] = model
        for name, e in _table(data, "enums", "the snapshot").items():
            where = f"enum {name}"
            members = _table(e, "members", where)
            if not all(isinstance(v, str) for v in members.values()):
                raise _Malformed(f"{where}: member values must be strings")
            out.enums[name] = EnumSchema(
                _get(e, "module", str, where),
                _get(e, "path", str, where),
                _get(e, "line", int, where),
                dict(members),
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
            if index.models.is_model(path, cls.name):
                found.append((cls.name, path, "model"))
            elif index.models.is_enum(path, cls.name):
                found.append((cls.name, path, "enum"))
    counts: dict[str, int] = {}
    for name, _, _ in found:
        counts[name] = counts.get(name, 0) + 1
    schema = Schema()
    for name, path, kind in found:
        module = index.modules.module_of(path) or path
        key = name if counts[name] == 1 else f"{module}.{name}"
        described = index.models.class_facts(path, name)
        assert described is not None
        if kind == "enum":
            members = {
                member: (
                    "auto()"
                    if spec[0] == "auto"
                    else spec[1]
                    if spec[0] == "expr"
                    else repr(spec[1])
                )
                for member, spec in described.members.items()
            }
            schema.enums[key] = EnumSchema(module, path, described.pos[0], members)
            continue
        config = index.models.model_config(path, name)
        extra = config.get("extra", "ignore")
        by_name = bool(config.get("populate_by_name") or config.get("validate_by_name"))
        policy = extra if isinstance(extra, str) else "ignore"
        model = ModelSchema(module, path, described.pos[0], policy)
        where = _field_files(index, path, name)
        for fname, f in index.models.all_fields(path, name).items():
            home = where.get(fname, path)
            annotation = constrain(parse(_expand(index, home, f.annotation)), f.constraints)
            keys = set(f.read_keys)
            if keys and by_name:
                keys.add(fname)
            if keys == {fname}:
                keys = set()
            write = f.serialization_alias
            model.fields[fname] = FieldSchema(
                type=render(annotation),
                required=f.required,
                read_keys=tuple(sorted(keys)),
                write_key=write if write != fname else None,
                path=where.get(fname, path),
                line=f.pos[0],
            )
        root = _root_type(index, path, name)
        if root is not None and "root" not in model.fields:  # `RootModel[list[int]]`
            model.fields["root"] = FieldSchema(
                type=render(parse(_expand(index, root[0], root[1]))),
                required=True,
                read_keys=(),
                write_key=None,
                path=root[0],
                line=described.pos[0],
            )
        schema.models[key] = model
    return schema


def _root_type(index: ProjectIndex, path: str, qualname: str) -> tuple[str, str] | None:
    """(file, type) of the nearest `RootModel[...]` base's type argument."""
    own = index.models.class_facts(path, qualname)
    if own is not None and own.root is not None:
        return path, own.root
    for where, base in index.models.ancestors(path, qualname):
        if base.root is not None:
            return where, base.root
    return None


def _expand(index: ProjectIndex, path: str, annotation: str, depth: int = 0) -> str:
    """The annotation with the project's type aliases written out (`OrderId` ->
    `Annotated[str, Field(min_length=1)]`), so that changing an alias changes the
    fields that use it and spelling a field with or without the alias does not."""
    if depth > 4:
        return annotation
    try:
        tree = ast.parse(annotation.strip(), mode="eval")
    except SyntaxError:
        return annotation
    changed = False

    class _Inline(ast.NodeTransformer):
        def visit_Name(self, node: ast.Name) -> ast.AST:
            nonlocal changed
            text = _alias(index, path, node.id)
            if text is None:
                return node
            expanded = _expand(index, text[0], text[1], depth + 1)
            try:
                changed = True
                return ast.parse(expanded, mode="eval").body
            except SyntaxError:
                return node

        def visit_Constant(self, node: ast.Constant) -> ast.AST:
            if isinstance(node.value, str):  # a quoted forward reference
                inner = _expand(index, path, node.value, depth + 1)
                if inner != node.value:
                    nonlocal changed
                    changed = True
                    return ast.parse(inner, mode="eval").body
            return node

    body = _Inline().visit(tree)
    return ast.unparse(body) if changed else annotation


def _alias(index: ProjectIndex, path: str, name: str) -> tuple[str, str] | None:
    """(file, type text) of a type alias the name refers to from file `path`."""
    facts = index.facts.get(path)
    if facts is None:
        return None
    if name in facts.type_aliases and facts.bindings.get(name, Export(DEF)).kind == DEF:
        return path, facts.type_aliases[name]
    found = index.modules.resolve_name(path, name)
    if found is None or found[1] is None or found[0] == path:
        return None
    there = index.facts.get(found[0])
    if there is None or found[1] not in there.type_aliases:
        return None
    return found[0], there.type_aliases[found[1]]


def _field_files(index: ProjectIndex, path: str, qualname: str) -> dict[str, str]:
    """Field name -> the file that declares it (a base's, for inherited fields)."""
    out: dict[str, str] = {}
    for where, base in reversed(index.models.ancestors(path, qualname)):
        out.update((f.name, where) for f in base.fields)
    own = index.models.class_facts(path, qualname)
    if own is not None:
        out.update((f.name, path) for f in own.fields)
    return out
