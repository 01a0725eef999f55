"""Class facts: what a class statement says about a (possible) Pydantic model.

This is the one place that reads model definitions from the `ast`: the
shared-model rules (ARC2xx, ARC4xx) and the schema-evolution checks (ARC5xx)
use the same extraction. Whether a class *is* a model is decided later, by the
project index, which follows its bases through imports across the project; here
every class with at least one base is described, cheaply.

A class is described by its bases (as written), its keyword arguments and its
`model_config` (a `ConfigDict(...)` call, a dict literal, or a v1-style inner
`class Config`), its fields (annotated attributes that are not `ClassVar`, not
private and not `model_config`), its `@computed_field`s, its unannotated
attributes and what its attributes would be as enum members. Positions are
kept apart from the rest: they are the file's own business, while the rest is
part of the file's interface (other files' findings depend on it).
"""

from __future__ import annotations

import ast
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

Pos = tuple[int, int, int, int]
"""(line, col, end_line, end_col); columns are 0-based UTF-8 byte offsets."""

_LOOSE_BARE = frozenset(
    {"dict", "list", "set", "tuple", "frozenset", "Dict", "List", "Set", "Tuple", "FrozenSet"}
)
_LOOSE_ANY = frozenset({"Any", "object"})
_CONST = (str, int, float, bool, type(None))


@dataclass(slots=True)
class FieldFacts:
    name: str
    pos: Pos
    annotation: str
    """The annotation as written (normalised spacing)."""
    required: bool
    """No default and no `default_factory` (an `Optional` without default is required)."""
    described: bool = False
    """A `description=` that is not a literal counts as described."""
    description: str | None = None
    """The literal description, if there is one."""
    doc: str | None = None
    """The attribute docstring (the string statement right after the field)."""
    alias: str | None = None
    loose: str | None = None
    """`Any`, `object` or a bare container, as spelled, when the type says nothing."""
    serialization_alias: str | None = None
    constraints: list[str] = field(default_factory=list)
    """Value constraints of a `Field(...)` default (`gt=0`); `Annotated` ones stay
    in the annotation."""
    read_keys: list[str] = field(default_factory=list)
    """The keys validation reads when they are not just the name: `validation_alias`
    (each string of an `AliasChoices`), else `alias` (`?` for a key that is not a
    literal)."""
    exclude: bool = False
    """`Field(exclude=True)`: read by validation, never written by `model_dump`."""

    def interface(self) -> list[Any]:
        return [
            self.name,
            self.annotation,
            self.required,
            self.described,
            self.description,
            self.doc,
            self.alias,
            self.loose,
            self.serialization_alias,
            self.constraints,
            self.read_keys,
            self.exclude,
        ]

    def to_json(self) -> list[Any]:
        return [*self.interface(), list(self.pos)]

    @classmethod
    def from_json(cls, data: list[Any]) -> FieldFacts:
        (name, annotation, required, described, description, doc, alias, loose, serial,
         constraints, read_keys, exclude, pos) = data  # fmt: skip
        return cls(name, tuple(pos), annotation, required, described, description, doc, alias,
                   loose, serial, list(constraints), list(read_keys), bool(exclude))  # fmt: skip


@dataclass(slots=True)
class ClassFacts:
    name: str
    """Qualified within the module (`Settings.Database` for a nested class)."""
    pos: Pos
    bases: list[str]
    """Dotted names of the bases as written (`pydantic.BaseModel`, `Base`); a
    subscripted base is named without its arguments; "" for anything else."""
    keywords: dict[str, Any] = field(default_factory=dict)
    """Literal class keywords (`table=True`, `extra="forbid"`)."""
    config: dict[str, Any] = field(default_factory=dict)
    """Literal entries of `model_config` (or of a v1-style `class Config`), and its
    `alias_generator` as `alias_generator` (see `_generator`)."""
    fields: list[FieldFacts] = field(default_factory=list)
    untyped: list[tuple[str, Pos]] = field(default_factory=list)
    """Public attributes assigned a literal or `Field(...)` without an annotation."""
    classvars: list[str] = field(default_factory=list)
    """Attributes annotated `ClassVar[...]` (a subclass may assign them bare)."""
    members: dict[str, list[Any]] = field(default_factory=dict)
    """What an enum's members are, if the class is an enum: `NAME = <literal>` ->
    `["value", literal]`; a constant expression (`"c" + "d"`, `1 << 2`, an f-string
    of constants, a module constant or an earlier member) -> `["const", value,
    text]`; `NAME = auto()` -> `["auto"]`; any other expression but a call ->
    `["expr", text]` (compared as written)."""
    root: str | None = None
    """The type argument of a `RootModel[...]` base, as written."""
    computed: list[FieldFacts] = field(default_factory=list)
    """`@computed_field` properties: written by `model_dump`, never read by
    validation (`annotation` is the return type, `serialization_alias` the
    `alias=`; `required` is False)."""

    def interface(self) -> list[Any]:
        return [
            self.name,
            self.bases,
            sorted(self.keywords.items()),
            sorted(self.config.items()),
            [f.interface() for f in self.fields],
            [name for name, _ in self.untyped],
            self.classvars,
            sorted(self.members.items()),
            self.root,
            [f.interface() for f in self.computed],
        ]

    def to_json(self) -> list[Any]:
        return [
            self.name,
            list(self.pos),
            self.bases,
            self.keywords,
            self.config,
            [f.to_json() for f in self.fields],
            [[n, list(p)] for n, p in self.untyped],
            self.classvars,
            self.members,
            self.root,
            [f.to_json() for f in self.computed],
        ]

    @classmethod
    def from_json(cls, data: list[Any]) -> ClassFacts:
        (name, pos, bases, keywords, config, fields, untyped, classvars, members, root,
         computed) = data  # fmt: skip
        return cls(
            name,
            tuple(pos),
            list(bases),
            dict(keywords),
            dict(config),
            [FieldFacts.from_json(f) for f in fields],
            [(n, tuple(p)) for n, p in untyped],
            list(classvars),
            {k: list(v) for k, v in members.items()},
            root,
            [FieldFacts.from_json(f) for f in computed],
        )

    def field(self, name: str) -> FieldFacts | None:
        return next((f for f in self.fields if f.name == name), None)


def dotted(node: ast.expr) -> str | None:
    if type(node) is ast.Name:  # the most frequent: no parts to join
        return node.id
    if type(node) is not ast.Attribute:
        return None
    parts: list[str] = []
    while type(node) is ast.Attribute:
        parts.append(node.attr)
        node = node.value
    if type(node) is ast.Name:
        parts.append(node.id)
        return ".".join(reversed(parts))
    return None


def position(node: ast.stmt | ast.expr) -> Pos:
    return (
        node.lineno,
        node.col_offset,
        node.end_lineno or node.lineno,
        node.end_col_offset or node.col_offset,
    )


def text(node: ast.expr) -> str:
    """Source-like text of an annotation; fast for the common shapes."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return f"{text(node.value)}.{node.attr}"
    if isinstance(node, ast.Subscript):
        inner = node.slice
        if isinstance(inner, ast.Tuple):
            args = ", ".join(text(e) for e in inner.elts)
        else:
            args = text(inner)
        return f"{text(node.value)}[{args}]"
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        return f"{text(node.left)} | {text(node.right)}"
    if isinstance(node, ast.Constant):
        return repr(node.value) if node.value is not Ellipsis else "..."
    return ast.unparse(node)


def _last(node: ast.expr) -> str:
    if isinstance(node, ast.Name):  # the most frequent: the name itself
        return node.id
    if isinstance(node, ast.Attribute):  # `a.b.c`: its attribute, where a name ends the chain
        return node.attr if dotted(node) is not None else ""
    return ""


def _is_classvar(annotation: ast.expr) -> bool:
    target = annotation.value if isinstance(annotation, ast.Subscript) else annotation
    return _last(target) in {"ClassVar", "InitVar"}


CONSTRAINT_KEYS = frozenset(
    {"gt", "ge", "lt", "le", "multiple_of", "min_length", "max_length", "pattern",
     "max_digits", "decimal_places", "strict", "allow_inf_nan", "union_mode"}
)  # fmt: skip
"""`Field(...)` keywords that constrain the values a field accepts."""

FIELD_NAMES: frozenset[str] = frozenset({"Field"})
"""How `pydantic.Field` is spelled by default; imports can add aliases (`Field as F`)."""


def _is_field_call(node: ast.expr | None, names: frozenset[str] = FIELD_NAMES) -> bool:
    return isinstance(node, ast.Call) and _last(node.func) in names


def unquote(annotation: ast.expr) -> ast.expr:
    """A string annotation (a forward reference) parsed into its expression."""
    if isinstance(annotation, ast.Constant) and isinstance(annotation.value, str):
        try:
            return ast.parse(annotation.value.strip(), mode="eval").body
        except (SyntaxError, ValueError):
            return annotation
    return annotation


def _literal(node: ast.expr) -> tuple[bool, Any]:
    if isinstance(node, ast.Constant) and isinstance(node.value, _CONST):
        return True, node.value
    if isinstance(node, ast.Attribute) and node.attr in {"forbid", "allow", "ignore"}:
        return True, node.attr  # Extra.forbid
    return False, None


def unwrap_optional(node: ast.expr) -> ast.expr:
    """`Optional[X]`, `X | None`, `Union[X, None]` -> X (else the node itself)."""
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        parts = [node.left, node.right]
    elif isinstance(node, ast.Subscript) and _last(node.value) == "Optional":
        return node.slice
    elif isinstance(node, ast.Subscript) and _last(node.value) == "Union":
        parts = list(node.slice.elts) if isinstance(node.slice, ast.Tuple) else [node.slice]
    else:
        return node
    rest = [p for p in parts if not (isinstance(p, ast.Constant) and p.value is None)]
    return rest[0] if len(rest) == 1 else node


def _union_members(node: ast.expr) -> list[ast.expr]:
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        return [*_union_members(node.left), *_union_members(node.right)]
    if isinstance(node, ast.Subscript) and _last(node.value) in {"Union", "Optional"}:
        inner = node.slice
        members = inner.elts if isinstance(inner, ast.Tuple) else [inner]
        return [m for member in members for m in _union_members(member)]
    return [node]


def is_described_alias(value: ast.expr, fields: frozenset[str] = FIELD_NAMES) -> bool:
    """`Annotated[X, Field(description=...)]` assigned to a name (a type alias)."""
    if not (isinstance(value, ast.Subscript) and _last(value.value) == "Annotated"):
        return False
    inner = value.slice
    for meta in inner.elts[1:] if isinstance(inner, ast.Tuple) else []:
        if isinstance(meta, ast.Call) and _is_field_call(meta, fields):
            info = _Described()
            info.read_field_call(meta)
            if info.described:
                return True
    return False


def loose_type(annotation: ast.expr) -> str | None:
    """The spelling of a type that says nothing about the data (or has such a
    member in a union: `dict | str`), or None."""
    node = unquote(annotation)
    if isinstance(node, ast.Subscript) and _last(node.value) == "Annotated":
        inner = node.slice
        node = inner.elts[0] if isinstance(inner, ast.Tuple) and inner.elts else inner
    for member in _union_members(node):
        if isinstance(member, (ast.Name, ast.Attribute)):
            last = _last(member)
            if last in _LOOSE_ANY or last in _LOOSE_BARE:
                return text(unquote(annotation))
    return None


class _Described:
    __slots__ = (
        "alias",
        "constraints",
        "described",
        "description",
        "exclude",
        "has_default",
        "serialization_alias",
        "validation_keys",
    )

    def __init__(self) -> None:
        self.described = False
        self.description: str | None = None
        self.alias: str | None = None
        self.serialization_alias: str | None = None
        self.validation_keys: list[str] | None = None
        self.constraints: list[str] = []
        self.has_default = False
        self.exclude = False

    def read_field_call(self, call: ast.Call) -> None:
        if call.args and not (
            isinstance(call.args[0], ast.Constant) and call.args[0].value is Ellipsis
        ):
            self.has_default = True
        for kw in call.keywords:
            if kw.arg in {"default", "default_factory"}:
                if not (isinstance(kw.value, ast.Constant) and kw.value.value is Ellipsis):
                    self.has_default = True
            elif kw.arg == "description":
                is_lit, value = _literal(kw.value)
                self.described = True
                self.description = value if is_lit and isinstance(value, str) else None
                if is_lit and not isinstance(value, str):
                    self.described = False  # description=None
            elif kw.arg in {"alias", "validation_alias"}:
                is_lit, value = _literal(kw.value)
                if is_lit and isinstance(value, str):
                    self.alias = self.alias or value
                    if kw.arg == "alias" and self.serialization_alias is None:
                        self.serialization_alias = value
                elif kw.arg == "alias" and not is_lit:  # `alias=KEY`: a key we cannot name
                    self.serialization_alias = self.serialization_alias or "?"
                    self.validation_keys = self.validation_keys or ["?"]
                if kw.arg == "validation_alias":
                    self.validation_keys = _choices(kw.value)
            elif kw.arg == "serialization_alias":
                is_lit, value = _literal(kw.value)
                if is_lit and isinstance(value, str):
                    self.serialization_alias = value
                elif not is_lit:
                    self.serialization_alias = "?"
            elif kw.arg == "exclude":
                self.exclude = isinstance(kw.value, ast.Constant) and kw.value.value is True
            elif kw.arg in CONSTRAINT_KEYS:
                self.constraints.append(f"{kw.arg}={ast.unparse(kw.value)}")


def _choices(node: ast.expr) -> list[str]:
    """The keys of a `validation_alias`: a string, or the strings of `AliasChoices`
    (an `AliasPath` or anything computed reads a key we cannot name: `?`)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.Call) and _last(node.func) == "AliasChoices":
        return sorted(
            a.value if isinstance(a, ast.Constant) and isinstance(a.value, str) else "?"
            for a in node.args
        )
    return ["?"]


def _field(stmt: ast.AnnAssign, name: str, doc: str | None, fields: frozenset[str]) -> FieldFacts:
    info = _Described()
    annotation = unquote(stmt.annotation)
    if isinstance(annotation, ast.Subscript) and _last(annotation.value) == "Annotated":
        inner = annotation.slice
        metadata = inner.elts[1:] if isinstance(inner, ast.Tuple) else []
        for meta in metadata:
            if isinstance(meta, ast.Call) and _is_field_call(meta, fields):
                info.read_field_call(meta)
    value = stmt.value
    constraints: list[str] = []
    if value is not None:
        if isinstance(value, ast.Call) and _is_field_call(value, fields):
            before = len(info.constraints)
            info.read_field_call(value)
            constraints = sorted(info.constraints[before:])
        elif not (isinstance(value, ast.Constant) and value.value is Ellipsis):
            info.has_default = True  # `x: int = ...` is required, as in Pydantic v2
    return FieldFacts(
        name=name,
        pos=position(stmt),
        annotation=text(annotation),
        required=not info.has_default,
        described=info.described,
        description=info.description,
        doc=doc,
        alias=info.alias,
        loose=loose_type(annotation),
        serialization_alias=info.serialization_alias,
        constraints=constraints,
        read_keys=info.validation_keys
        if info.validation_keys is not None
        else ([info.alias] if info.alias else []),
        exclude=info.exclude,
    )


def _looks_like_data(value: ast.expr, fields: frozenset[str] = FIELD_NAMES) -> bool:
    """A literal or a `Field(...)`: what a forgotten annotation looks like. A class,
    a function, a descriptor (`property(...)`) or anything unknown on the right is
    not flagged: Pydantic ignores such attributes, and we cannot tell them apart."""
    if _is_field_call(value, fields):
        return True
    return isinstance(
        value,
        (ast.Constant, ast.List, ast.Dict, ast.Set, ast.Tuple, ast.JoinedStr, ast.UnaryOp),
    )


Origin = Callable[[ast.expr], "str | None"]
"""Where a name used in the module comes from (`to_camel` ->
`pydantic.alias_generators.to_camel`), or None when it is not imported."""

GENERATOR = "alias_generator"


def _generator(node: ast.expr, origin: Origin | None) -> Any:
    """An `alias_generator` as plain data: the dotted origin of an imported
    function (`pydantic.alias_generators.to_camel`), `?` and the text for anything
    else (a local function, a lambda), and for `AliasGenerator(...)` a dict of its
    `alias`, `validation_alias` and `serialization_alias` generators."""
    if isinstance(node, ast.Constant) and node.value is None:
        return None
    if isinstance(node, ast.Call) and _last(node.func) == "AliasGenerator":
        given = dict(
            zip(("alias", "validation_alias", "serialization_alias"), node.args, strict=False)
        )
        given.update((kw.arg, kw.value) for kw in node.keywords if kw.arg)
        return {
            key: _generator(given[key], origin) if key in given else None
            for key in ("alias", "validation_alias", "serialization_alias")
        }
    found = origin(node) if origin is not None and dotted(node) is not None else None
    return found if found is not None else f"?{ast.unparse(node)}"


def _config_from(node: ast.expr, origin: Origin | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if isinstance(node, ast.Call) and _last(node.func) in {
        "ConfigDict",
        "dict",
        "SettingsConfigDict",
    }:
        for kw in node.keywords:
            if kw.arg == GENERATOR:
                out[GENERATOR] = _generator(kw.value, origin)
            elif kw.arg:
                is_lit, value = _literal(kw.value)
                if is_lit:
                    out[kw.arg] = value
    elif isinstance(node, ast.Dict):
        for key, value_node in zip(node.keys, node.values, strict=True):
            if isinstance(key, ast.Constant) and key.value == GENERATOR:
                out[GENERATOR] = _generator(value_node, origin)
            elif isinstance(key, ast.Constant) and isinstance(key.value, str):
                is_lit, value = _literal(value_node)
                if is_lit:
                    out[key.value] = value
    return out


def _computed(stmt: ast.FunctionDef | ast.AsyncFunctionDef) -> FieldFacts | None:
    """A `@computed_field` (with or without arguments, over a property or a bare
    method): its return type and its `alias=`."""
    for deco in stmt.decorator_list:
        call = deco if isinstance(deco, ast.Call) else None
        if _last(call.func if call is not None else deco) != "computed_field":
            continue
        keywords = {kw.arg: kw.value for kw in call.keywords if kw.arg} if call else {}
        returns = keywords.get("return_type", stmt.returns)
        alias = keywords.get("alias")
        key: str | None = None
        if alias is not None:
            is_lit, value = _literal(alias)
            key = value if is_lit and isinstance(value, str) else None if is_lit else "?"
        info = _Described()
        if call is not None:
            info.read_field_call(call)
        return FieldFacts(
            name=stmt.name,
            pos=position(stmt),
            annotation=text(unquote(returns)) if returns is not None else "Any",
            required=False,
            described=info.described,
            description=info.description,
            alias=key if key != "?" else None,
            serialization_alias=key,
        )
    return None


Scope = dict[str, Any]
"""Names bound to constant values (str, int, float, bool, None) so far."""

_MAX_TEXT = 1000
_MAX_BITS = 128
_BINARY: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
    ast.Add: lambda a, b: a + b,
    ast.Sub: lambda a, b: a - b,
    ast.Mult: lambda a, b: a * b,
    ast.Div: lambda a, b: a / b,
    ast.FloorDiv: lambda a, b: a // b,
    ast.Mod: lambda a, b: a % b,
    ast.BitOr: lambda a, b: a | b,
    ast.BitAnd: lambda a, b: a & b,
    ast.BitXor: lambda a, b: a ^ b,
}


def _bounded(value: Any) -> bool:
    if isinstance(value, str):
        return len(value) <= _MAX_TEXT
    if isinstance(value, bool) or value is None:
        return True
    if isinstance(value, int):
        return value.bit_length() <= _MAX_BITS
    return isinstance(value, float) and math.isfinite(value)


def const_value(node: ast.expr, scope: Mapping[str, Any]) -> tuple[bool, Any]:
    """The value of a constant expression, as Python computes it: literals, names
    bound to constants in `scope`, arithmetic and bit operations, string
    concatenation and repetition, f-strings of constants. Values stay small (a
    long text, a huge number or an error is no value): `(False, None)`."""
    try:
        value = _const(node, scope)
    except (_NotConstant, ArithmeticError, TypeError, ValueError, RecursionError):
        return False, None
    return True, value


class _NotConstant(Exception):
    pass


def _const(node: ast.expr, scope: Mapping[str, Any]) -> Any:
    if isinstance(node, ast.Constant):
        if not isinstance(node.value, _CONST):
            raise _NotConstant
        value = node.value
    elif isinstance(node, ast.Name):
        if node.id not in scope:
            raise _NotConstant
        value = scope[node.id]
    elif isinstance(node, ast.UnaryOp):
        operand = _const(node.operand, scope)
        if isinstance(node.op, ast.USub):
            value = -operand
        elif isinstance(node.op, ast.UAdd):
            value = +operand
        elif isinstance(node.op, ast.Invert) and isinstance(operand, int):
            value = ~operand
        else:
            raise _NotConstant
    elif isinstance(node, ast.BinOp):
        left, right = _const(node.left, scope), _const(node.right, scope)
        op = type(node.op)
        if op in {ast.LShift, ast.RShift, ast.Pow}:
            if not (isinstance(left, int) and isinstance(right, int)) or not 0 <= right <= 64:
                raise _NotConstant
            if op is ast.LShift:
                value = left << right
            elif op is ast.RShift:
                value = left >> right
            else:
                value = left**right
        elif op is ast.Mult and isinstance(left, str) != isinstance(right, str):
            count = right if isinstance(left, str) else left
            if not isinstance(count, int) or count > _MAX_TEXT:
                raise _NotConstant
            value = left * right
        elif op is ast.Mod and isinstance(left, str):
            raise _NotConstant  # printf-style formatting: not worth the risk
        elif op in _BINARY:
            value = _BINARY[op](left, right)
        else:
            raise _NotConstant
    elif isinstance(node, ast.JoinedStr):
        parts: list[str] = []
        for part in node.values:
            if isinstance(part, ast.Constant) and isinstance(part.value, str):
                parts.append(part.value)
            elif isinstance(part, ast.FormattedValue):
                inner = _const(part.value, scope)
                if part.conversion == ord("r"):
                    inner = repr(inner)
                elif part.conversion == ord("a"):
                    inner = ascii(inner)
                elif part.conversion == ord("s"):
                    inner = str(inner)
                spec = _const(part.format_spec, scope) if part.format_spec is not None else ""
                parts.append(format(inner, spec))
            else:
                raise _NotConstant
        value = "".join(parts)
    else:
        raise _NotConstant
    if not isinstance(value, _CONST) or not _bounded(value):
        raise _NotConstant
    return value


def describe_class(
    node: ast.ClassDef,
    qualname: str,
    fields: frozenset[str] = FIELD_NAMES,
    origin: Origin | None = None,
    constants: Mapping[str, Any] | None = None,
) -> ClassFacts:
    """The facts of one class statement (its nested classes are described apart);
    `fields` are the names `pydantic.Field` goes by in the module, `origin` tells
    where a name comes from (for an `alias_generator`), and `constants` are the
    module's names bound to constants before the class (for enum members)."""
    line, col = node.lineno, node.col_offset
    head = len(b"class ") + len(node.name.encode("utf-8"))
    facts = ClassFacts(
        name=qualname,
        pos=(line, col, line, col + head),
        bases=[dotted(b.value if isinstance(b, ast.Subscript) else b) or "" for b in node.bases],
    )
    for base in node.bases:
        if isinstance(base, ast.Subscript) and _last(base.value) == "RootModel":
            facts.root = text(unquote(base.slice))
    for kw in node.keywords:
        if kw.arg and kw.arg != "metaclass":
            is_lit, value = _literal(kw.value)
            if is_lit:
                facts.keywords[kw.arg] = value
    body = node.body
    scope: Scope = dict(constants or {})
    for i, stmt in enumerate(body):
        if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
            name = stmt.target.id
            scope.pop(name, None)
            if name == "model_config":
                if stmt.value is not None:
                    facts.config.update(_config_from(stmt.value, origin))
                continue
            if _is_classvar(unquote(stmt.annotation)):
                facts.classvars.append(name)
                continue
            if name.startswith("_"):
                continue
            nxt = body[i + 1] if i + 1 < len(body) else None
            doc = None
            if (
                isinstance(nxt, ast.Expr)
                and isinstance(nxt.value, ast.Constant)
                and isinstance(nxt.value.value, str)
            ):
                doc = nxt.value.value
            facts.fields.append(_field(stmt, name, doc, fields))
        elif isinstance(stmt, ast.Assign):
            _member(stmt, facts.members, scope)
            for target in stmt.targets:
                if not isinstance(target, ast.Name):
                    continue
                if target.id == "model_config":
                    facts.config.update(_config_from(stmt.value, origin))
                elif not target.id.startswith("_") and _looks_like_data(stmt.value, fields):
                    facts.untyped.append((target.id, position(stmt)))
        elif isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
            scope.pop(stmt.name, None)
            computed = _computed(stmt)
            if computed is not None:
                facts.computed.append(computed)
        elif isinstance(stmt, ast.ClassDef) and stmt.name == "Config":
            for inner in stmt.body:  # pydantic v1 style, still honoured by v2
                if isinstance(inner, ast.Assign) and len(inner.targets) == 1:
                    target = inner.targets[0]
                    if isinstance(target, ast.Name) and target.id == GENERATOR:
                        facts.config.setdefault(GENERATOR, _generator(inner.value, origin))
                        continue
                    is_lit, value = _literal(inner.value)
                    if isinstance(target, ast.Name) and is_lit:
                        facts.config.setdefault(target.id, value)
        elif isinstance(stmt, ast.ClassDef):
            scope.pop(stmt.name, None)
    return facts


def _member(stmt: ast.Assign, members: dict[str, list[Any]], scope: Scope) -> None:
    """`RED = "red"`, `RW = READ | WRITE` or `RED = auto()`: what an enum member
    is made of. `scope` holds the constants bound so far (the module's, then the
    class body's, members included: in an enum body an earlier member's name is
    its value); it is updated with this assignment."""
    for target in stmt.targets:
        for name in _names(target):
            scope.pop(name, None)
    if len(stmt.targets) != 1 or not isinstance(stmt.targets[0], ast.Name):
        return
    name = stmt.targets[0].id
    value = stmt.value
    is_const, computed = const_value(value, scope)
    if is_const:
        scope[name] = computed
    if name.startswith("_"):
        return
    if isinstance(value, ast.Constant) and isinstance(value.value, _CONST):
        members[name] = ["value", value.value]
    elif is_const:
        members[name] = ["const", computed, ast.unparse(value)]
    elif isinstance(value, ast.Call) and _last(value.func) == "auto":
        members[name] = ["auto"]
    elif not isinstance(value, (ast.Call, ast.Lambda, ast.Await, ast.Yield, ast.YieldFrom)):
        members[name] = ["expr", ast.unparse(value)]  # `A = Other.A`: compared as written


def _names(target: ast.expr) -> list[str]:
    if isinstance(target, ast.Name):
        return [target.id]
    if isinstance(target, (ast.Tuple, ast.List)):
        return [n for elt in target.elts for n in _names(elt)]
    if isinstance(target, ast.Starred):
        return _names(target.value)
    return []
