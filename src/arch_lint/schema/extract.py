"""The schema of the shared models, read statically from the project index.

Every Pydantic model and every enum defined in the shared-model packages, with
what decides how JSON validates against it and what `model_dump` writes: each
field's normalised type (`types.py`), whether it is required (exactly as
Pydantic v2 decides: no default and no `default_factory`; an `Optional` field
without a default is required), the keys it is read from and written to (its
alias, validation and serialization alias, or what the model's `alias_generator`
makes of its name), whether it is output only (a `@computed_field`) or input
only (`Field(exclude=True)`), the model's `extra` policy (inherited), each
enum's members with their values (computed where the value is a constant
expression, `auto()` members by name), and the module-level aliases of the
shared packages that keep an old name alive (`ShipmentEvent = ShipmentEventV1`).
Inherited fields are part of a model. Models are identified by their
(qualified) name within the shared packages, so moving one between modules is
no change; a name defined in two shared modules is qualified by its module.

The snapshot (`arch-lint schema-snapshot`) is this data as JSON: versioned
(`"version": 2`), keys sorted, deterministic for the same sources. Version 1
snapshots (no aliases, no output-only or input-only fields) are still read;
`extract(..., version=1)` gives the head as version 1 saw it, so that comparing
with an old snapshot reports only real changes.
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from arch_lint.index.facts import DEF, FROM, Export
from arch_lint.index.model_index import ClassRef
from arch_lint.index.models import GENERATOR, ClassFacts, FieldFacts, dotted
from arch_lint.index.project import ProjectIndex
from arch_lint.schema.types import constrain, parse, render

SNAPSHOT_FORMAT = "arch-lint-schema"
SNAPSHOT_VERSION = 2
READABLE_VERSIONS = (1, 2)


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
    """The key `model_dump(by_alias=True)` writes (`serialization_alias`, `alias`,
    or the `alias_generator`'s), if not the name; `?` when it cannot be known."""
    path: str
    line: int
    computed: bool = False
    """A `@computed_field`: written by `model_dump`, never read by validation."""
    exclude: bool = False
    """`Field(exclude=True)`: read by validation, never written by `model_dump`."""

    @property
    def read(self) -> bool:
        """Validation reads the field (every field but a computed one)."""
        return not self.computed

    @property
    def written(self) -> bool:
        """`model_dump` writes the field (every field but an excluded one)."""
        return not self.exclude

    def reads(self, name: str) -> set[str]:
        return set(self.read_keys) or {name}

    def writes(self, name: str) -> str:
        return self.write_key or name

    def keys_known(self, name: str) -> bool:
        return "?" not in self.reads(name) and self.writes(name) != "?"


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


@dataclass(frozen=True, slots=True)
class AliasSchema:
    """A module-level name of the shared packages bound to a model or enum of the
    schema under another name (`ShipmentEvent = ShipmentEventV1`, `X: TypeAlias =
    Y`, `from .v1 import OrderV1 as Order`): code that imports the old name still
    finds it, and it now means the target's shape."""

    target: str
    """The schema name (a key of `models` or `enums`) it refers to."""
    module: str
    path: str
    line: int


@dataclass(slots=True)
class Schema:
    models: dict[str, ModelSchema] = field(default_factory=dict)
    enums: dict[str, EnumSchema] = field(default_factory=dict)
    aliases: dict[str, AliasSchema] = field(default_factory=dict)
    version: int = SNAPSHOT_VERSION
    """The snapshot format this schema is read with (or was read from): version 1
    knows no aliases, computed or excluded fields, alias generators or computed
    enum values."""

    def resolve(self, name: str) -> str | None:
        """The schema name a name refers to: itself, or an alias's target."""
        if name in self.models or name in self.enums:
            return name
        alias = self.aliases.get(name)
        return alias.target if alias is not None else None

    # snapshot ----------------------------------------------------------------------------
    def _field_json(self, f: FieldSchema) -> dict[str, Any]:
        out: dict[str, Any] = {
            "type": f.type,
            "required": f.required,
            "read_keys": list(f.read_keys),
            "write_key": f.write_key,
            "path": f.path,
            "line": f.line,
        }
        if self.version >= 2:
            out.update(computed=f.computed, exclude=f.exclude)
        return out

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "format": SNAPSHOT_FORMAT,
            "version": self.version,
            "models": {
                name: {
                    "module": m.module,
                    "path": m.path,
                    "line": m.line,
                    "extra": m.extra,
                    "fields": {fname: self._field_json(f) for fname, f in m.fields.items()},
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
        if self.version >= 2:
            out["aliases"] = {
                name: {"target": a.target, "module": a.module, "path": a.path, "line": a.line}
                for name, a in sorted(self.aliases.items())
            }
        return out

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
        if version not in READABLE_VERSIONS or isinstance(version, bool):
            readable = " and ".join(str(v) for v in READABLE_VERSIONS)
            raise SchemaError(
                f"{origin}: snapshot format version {json.dumps(version)}; this arch-lint "
                f"reads versions {readable} (write a new one with "
                "`arch-lint schema-snapshot`)"
            )
        try:
            return cls._from_json(data, version)
        except _Malformed as exc:
            raise SchemaError(
                f"{origin}: malformed snapshot: {exc} (written by another arch-lint version? "
                "write a new one with `arch-lint schema-snapshot`)"
            ) from None

    @classmethod
    def _from_json(cls, data: dict[str, Any], version: int) -> Schema:
        out = cls(version=version)
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
                    computed=_get(f, "computed", bool, at) if version >= 2 else False,
                    exclude=_get(f, "exclude", bool, at) if version >= 2 else False,
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
        if version >= 2:
            for name, a in _table(data, "aliases", "the snapshot").items():
                where = f"alias {name}"
                target = _get(a, "target", str, where)
                if target not in out.models and target not in out.enums:
                    raise _Malformed(f"{where}: `target` {target!r} is no model or enum")
                out.aliases[name] = AliasSchema(
                    target,
                    _get(a, "module", str, where),
                    _get(a, "path", str, where),
                    _get(a, "line", int, where),
                )
        return out


def extract(
    index: ProjectIndex,
    paths: Iterable[str],
    version: int = SNAPSHOT_VERSION,
    lines: Mapping[str, Mapping[str, int]] | None = None,
) -> Schema:
    """The schema of the models and enums defined in `paths` (the shared-model
    files), as snapshot format `version` sees it; `lines` gives the line of each
    module-level name of those files (`binding_lines`), where aliases are placed."""
    shared = sorted(paths)
    found: list[tuple[str, str, str]] = []  # (qualname, path, kind)
    for path in shared:
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
    schema = Schema(version=version)
    keys: dict[tuple[str, str], str] = {}
    for name, path, kind in found:
        module = index.modules.module_of(path) or path
        key = name if counts[name] == 1 else f"{module}.{name}"
        keys[(path, name)] = key
        described = index.models.class_facts(path, name)
        assert described is not None
        if kind == "enum":
            members = _members(described, version)
            schema.enums[key] = EnumSchema(module, path, described.pos[0], members)
            continue
        schema.models[key] = _model(index, path, name, described, module, version)
    _aliases(index, shared, keys, schema, lines or {})
    return schema


def _model(
    index: ProjectIndex, path: str, name: str, described: ClassFacts, module: str, version: int
) -> ModelSchema:
    config = index.models.model_config(path, name)
    extra = config.get("extra", "ignore")
    by_name = bool(config.get("populate_by_name") or config.get("validate_by_name"))
    by_alias = config.get("validate_by_alias") is not False
    generator = config.get(GENERATOR) if version >= 2 else None
    policy = extra if isinstance(extra, str) else "ignore"
    model = ModelSchema(module, path, described.pos[0], policy)
    for fname, (f, home, computed) in _declared(index, path, name, version).items():
        if computed:
            write = f.serialization_alias or _generated(generator, fname)[1]
            model.fields[fname] = FieldSchema(
                type=render(parse(_expand(index, home, f.annotation, version))),
                required=False,
                read_keys=(),
                write_key=write if write != fname else None,
                path=home,
                line=f.pos[0],
                computed=True,
            )
            continue
        annotation = constrain(parse(_expand(index, home, f.annotation, version)), f.constraints)
        read_key, write_key = _generated(generator, fname)
        keys = set(f.read_keys) or ({read_key} if read_key is not None else set())
        if not by_alias:
            keys = set()  # `validate_by_alias=False`: only the name is read
        elif keys and by_name:
            keys.add(fname)
        if keys == {fname}:
            keys = set()
        write = f.serialization_alias or write_key
        model.fields[fname] = FieldSchema(
            type=render(annotation),
            required=f.required,
            read_keys=tuple(sorted(keys)),
            write_key=write if write != fname else None,
            path=home,
            line=f.pos[0],
            exclude=f.exclude and version >= 2,
        )
    root = _root_type(index, path, name)
    if root is not None and "root" not in model.fields:  # `RootModel[list[int]]`
        model.fields["root"] = FieldSchema(
            type=render(parse(_expand(index, root[0], root[1], version))),
            required=True,
            read_keys=(),
            write_key=None,
            path=root[0],
            line=described.pos[0],
        )
    return model


def _declared(
    index: ProjectIndex, path: str, qualname: str, version: int
) -> dict[str, tuple[FieldFacts, str, bool]]:
    """Field name -> (its facts, the file that declares it, whether it is a
    `@computed_field`), inherited ones included; the nearest declaration wins."""
    out: dict[str, tuple[FieldFacts, str, bool]] = {}
    chain = list(reversed(index.models.ancestors(path, qualname)))
    own = index.models.class_facts(path, qualname)
    if own is not None:
        chain.append((path, own))
    for where, cls in chain:
        out.update((f.name, (f, where, False)) for f in cls.fields)
        if version >= 2:
            out.update((f.name, (f, where, True)) for f in cls.computed)
    return out


def _members(described: ClassFacts, version: int) -> dict[str, str]:
    """Member name -> its value as the snapshot writes it: the `repr` of a literal
    or of a constant expression's value, `auto()`, or the expression as written."""
    out: dict[str, str] = {}
    for member, spec in described.members.items():
        kind = spec[0]
        if kind == "value":
            out[member] = repr(spec[1])
        elif kind == "auto":
            out[member] = "auto()"
        elif version >= 2:
            out[member] = repr(spec[1]) if kind == "const" else spec[1]
        else:  # version 1 knew only literals and names, attributes, signs and tuples
            text = spec[-1]
            try:
                node = ast.parse(text, mode="eval").body
            except SyntaxError:
                continue
            if isinstance(node, (ast.Attribute, ast.Name, ast.UnaryOp, ast.Tuple)):
                out[member] = text
    return out


def _aliases(
    index: ProjectIndex,
    shared: list[str],
    keys: dict[tuple[str, str], str],
    schema: Schema,
    lines: Mapping[str, Mapping[str, int]],
) -> None:
    """The module-level names of the shared files that refer to a model or enum
    of the schema under another name. A name that is a schema name itself is no
    alias; of two aliases of one name the first file's wins."""
    for path in shared:
        facts = index.facts.get(path)
        if facts is None:
            continue
        module = index.modules.module_of(path) or path
        candidates: dict[str, int] = {}
        for name, written in facts.type_aliases.items():
            binding = facts.bindings.get(name, Export(DEF))
            if binding.kind == DEF and dotted(_expression(written)) is not None:
                candidates[name] = lines.get(path, {}).get(name, 1)
        for stmt in facts.imports:
            for original, local in stmt.names:
                if stmt.kind == "from" and local is not None and local != original:
                    bound = facts.bindings.get(local)
                    if (
                        bound is not None
                        and bound.kind == FROM
                        and bound.name == original
                        and not stmt.type_checking
                    ):
                        candidates[local] = stmt.line
        for name, line in sorted(candidates.items()):
            if name in schema.aliases or schema.resolve(name) == name:
                continue
            if index.models.class_facts(path, name) is not None:
                continue
            written = facts.type_aliases.get(name, name)
            ref = index.models.resolve_class(path, written)
            if not isinstance(ref, ClassRef) or ref.qualname == name:
                continue  # a plain re-export, or nothing of the schema
            target = keys.get((ref.path, ref.qualname))
            if target is not None:
                schema.aliases[name] = AliasSchema(target, module, path, line)


def _expression(text: str) -> ast.expr:
    try:
        return ast.parse(text, mode="eval").body
    except SyntaxError:
        return ast.Constant(None)


def binding_lines(tree: ast.Module) -> dict[str, int]:
    """The line of each name a module-level assignment binds (the last one wins)."""
    out: dict[str, int] = {}
    for stmt in tree.body:
        targets: list[ast.expr] = []
        if isinstance(stmt, ast.Assign):
            targets = stmt.targets
        elif isinstance(stmt, ast.AnnAssign):
            targets = [stmt.target]
        elif type(stmt).__name__ == "TypeAlias":  # `type X = ...` (3.12+)
            targets = [getattr(stmt, "name", ast.Constant(None))]
        for target in targets:
            if isinstance(target, ast.Name):
                out[target.id] = stmt.lineno
    return out


# alias generators --------------------------------------------------------------------------
def _to_pascal(snake: str) -> str:
    camel = snake.title()
    return re.sub("([0-9A-Za-z])_(?=[0-9A-Z])", lambda m: m.group(1), camel)


def _to_camel(snake: str) -> str:
    if re.match("^[a-z]+[A-Za-z0-9]*$", snake) and not re.search(r"\d[a-z]", snake):
        return snake
    return re.sub("(^_*[A-Z])", lambda m: m.group(1).lower(), _to_pascal(snake))


def _to_snake(camel: str) -> str:
    snake = re.sub(r"([A-Z]+)([A-Z][a-z])", lambda m: f"{m.group(1)}_{m.group(2)}", camel)
    snake = re.sub(r"([a-z])([A-Z])", lambda m: f"{m.group(1)}_{m.group(2)}", snake)
    snake = re.sub(r"([0-9])([A-Z])", lambda m: f"{m.group(1)}_{m.group(2)}", snake)
    snake = re.sub(r"([a-z])([0-9])", lambda m: f"{m.group(1)}_{m.group(2)}", snake)
    return snake.replace("-", "_").lower()


GENERATORS: dict[str, Callable[[str], str]] = {
    "pydantic.alias_generators.to_pascal": _to_pascal,
    "pydantic.alias_generators.to_camel": _to_camel,
    "pydantic.alias_generators.to_snake": _to_snake,
}
"""Pydantic's own alias generators, as Pydantic 2 defines them (copied, so that
checked code is never imported). Any other generator makes the keys unknown."""


def _apply(generator: Any, name: str) -> str | None:
    if generator is None:
        return None
    function = GENERATORS.get(generator) if isinstance(generator, str) else None
    return function(name) if function is not None else "?"


def _generated(generator: Any, name: str) -> tuple[str | None, str | None]:
    """(the key validation reads, the key `model_dump(by_alias=True)` writes) that
    a model's `alias_generator` gives a field without its own alias; None without
    a generator, `?` for a generator arch-lint does not know."""
    if isinstance(generator, dict):  # `AliasGenerator(alias=..., validation_alias=...)`
        alias = _apply(generator.get("alias"), name)
        read = _apply(generator.get("validation_alias"), name)
        write = _apply(generator.get("serialization_alias"), name)
        return (read if read is not None else alias), (write if write is not None else alias)
    key = _apply(generator, name)
    return key, key


def _root_type(index: ProjectIndex, path: str, qualname: str) -> tuple[str, str] | None:
    """(file, type) of the nearest `RootModel[...]` base's type argument."""
    own = index.models.class_facts(path, qualname)
    if own is not None and own.root is not None:
        return path, own.root
    for where, base in index.models.ancestors(path, qualname):
        if base.root is not None:
            return where, base.root
    return None


def _expand(index: ProjectIndex, path: str, annotation: str, version: int, depth: int = 0) -> str:
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
            if version >= 2 and _is_typevar(index, path, node.id):  # a generic's parameter
                changed = True
                return ast.Name("Any", ast.Load())
            text = _alias(index, path, node.id)
            if text is None:
                return node
            expanded = _expand(index, text[0], text[1], version, depth + 1)
            try:
                changed = True
                return ast.parse(expanded, mode="eval").body
            except SyntaxError:
                return node

        def visit_Constant(self, node: ast.Constant) -> ast.AST:
            if isinstance(node.value, str):  # a quoted forward reference
                inner = _expand(index, path, node.value, version, depth + 1)
                if inner != node.value:
                    nonlocal changed
                    changed = True
                    return ast.parse(inner, mode="eval").body
            return node

    body = _Inline().visit(tree)
    return ast.unparse(body) if changed else annotation


def _is_typevar(index: ProjectIndex, path: str, name: str) -> bool:
    """Whether the name is a module-level `TypeVar(...)` (here or imported): a
    generic model's field typed with it validates as `Any` where the model is not
    parametrised (its bound is not followed)."""
    facts = index.facts.get(path)
    if facts is None:
        return False
    where, there = path, name
    if facts.bindings.get(name, Export(DEF)).kind != DEF:
        found = index.modules.resolve_name(path, name)
        if found is None or found[1] is None:
            return False
        where, there = found[0], found[1]
        facts = index.facts.get(where)
        if facts is None:
            return False
    call = facts.calls.get(there)
    return call is not None and call[0].rsplit(".", 1)[-1] in {"TypeVar", "ParamSpec"}


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
