"""Field types, normalised, and compared the way Pydantic validates JSON.

A type expression (as written in an annotation) becomes a `Type`: spellings that
mean the same thing become equal (`Optional[X]` = `X | None` = `Union[X, None]`,
`typing.List[int]` = `list[int]`, a quoted forward reference = the name), union
members are sorted, `Literal` values are a set, and `Annotated` metadata that
constrains values (`Field(gt=0)`, `annotated_types.MaxLen(3)`,
`StringConstraints(...)`) is kept while documentation (`Field(description=...)`)
is dropped. `render` gives the canonical text (what a snapshot stores) and
`parse(render(t)) == t`.

`accepts(reader, writer)` says whether a field typed `reader` validates every
JSON value that a field typed `writer` produces: True, False, or None when the
relation cannot be known statically (the caller treats that as a change).
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from functools import lru_cache

from arch_lint.index.models import CONSTRAINT_KEYS, dotted

NAME = "name"
UNION = "union"
LITERAL = "literal"
GENERIC = "generic"
CONSTRAINED = "constrained"
NONE = "none"
ANY = "any"

_PREFIXES = ("typing.", "typing_extensions.", "t.", "collections.abc.", "builtins.")
_ALIASES = {
    "List": "list",
    "Dict": "dict",
    "Set": "set",
    "FrozenSet": "frozenset",
    "Tuple": "tuple",
    "Type": "type",
    "Text": "str",
    "Sequence": "list",
    "MutableSequence": "list",
    "Mapping": "dict",
    "MutableMapping": "dict",
    "AbstractSet": "set",
    "MutableSet": "set",
    "NoneType": "None",
}
_ANY = frozenset({"Any", "object", "JsonValue"})
_CONSTRAINT_CALLS = frozenset(
    {"Gt", "Ge", "Lt", "Le", "MultipleOf", "MinLen", "MaxLen", "Len", "Interval", "Strict",
     "StringConstraints", "AllowInfNan"}
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Type:
    kind: str
    name: str = ""
    """The class name (`int`, `OrderLine`) or a generic's head (`list`)."""
    args: tuple[Type, ...] = ()
    """Union members, generic arguments, or a constrained type's base (one)."""
    values: tuple[str, ...] = ()
    """`Literal` values (as `repr`) or constraints (`gt=0`), sorted."""


_KEYWORD = re.compile(r"\w+=")
"""A keyword constraint (`gt=0`), as opposed to a metadata call (`MaxLen(3)`)."""

ANY_TYPE = Type(ANY, "Any")
NONE_TYPE = Type(NONE, "None")


def _name(written: str) -> str:
    for prefix in _PREFIXES:
        if written.startswith(prefix):
            written = written[len(prefix) :]
            break
    last = written.rsplit(".", 1)[-1]
    return _ALIASES.get(last, last)


def _union(members: list[Type]) -> Type:
    flat: list[Type] = []
    for member in members:
        flat.extend(member.args if member.kind == UNION else [member])
    if any(m.kind == ANY for m in flat):
        return ANY_TYPE
    unique = sorted(set(flat), key=lambda t: (t.kind == NONE, render(t)))
    return unique[0] if len(unique) == 1 else Type(UNION, args=tuple(unique))


def _literal_value(node: ast.expr) -> str | None:
    if isinstance(node, ast.Constant):
        return repr(node.value)
    if (
        isinstance(node, ast.UnaryOp)
        and isinstance(node.op, ast.USub)
        and isinstance(node.operand, ast.Constant)
    ):
        return repr(-node.operand.value)  # type: ignore[operator]
    written = dotted(node)  # an enum member: `Color.RED`
    if written is None:
        return None
    return ".".join(written.split(".")[-2:])


def constraints_of_call(call: ast.Call) -> list[str]:
    """The value constraints a `Field(...)` or an `annotated_types` call states."""
    name = _name(dotted(call.func) or "")
    if name == "Field":
        return sorted(
            f"{kw.arg}={ast.unparse(kw.value)}" for kw in call.keywords if kw.arg in CONSTRAINT_KEYS
        )
    if name in _CONSTRAINT_CALLS:
        return [f"{name}({', '.join(ast.unparse(a) for a in [*call.args, *call.keywords])})"]
    return []


def from_ast(node: ast.expr) -> Type:
    if isinstance(node, ast.Constant):
        if node.value is None:
            return NONE_TYPE
        if node.value is Ellipsis:
            return Type(NAME, "...")  # `tuple[int, ...]`
        if isinstance(node.value, str):
            try:
                return from_ast(ast.parse(node.value.strip(), mode="eval").body)
            except SyntaxError:
                return Type(NAME, node.value)
        return Type(NAME, repr(node.value))
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        return _union([from_ast(node.left), from_ast(node.right)])
    written = dotted(node)
    if written is not None:
        name = _name(written)
        if name in _ANY:
            return ANY_TYPE
        if name == "None":
            return NONE_TYPE
        return Type(NAME, name)
    if isinstance(node, ast.Subscript):
        head = _name(dotted(node.value) or ast.unparse(node.value))
        inner = node.slice
        items = list(inner.elts) if isinstance(inner, ast.Tuple) else [inner]
        if head == "Optional":
            return _union([from_ast(items[0]), NONE_TYPE])
        if head == "Union":
            return _union([from_ast(i) for i in items])
        if head == "Literal":
            values = {v for v in (_literal_value(i) for i in items) if v is not None}
            return Type(LITERAL, values=tuple(sorted(values)))
        if head in {"Annotated", "Field"}:
            base = from_ast(items[0])
            found: set[str] = set()
            for meta in items[1:]:
                if isinstance(meta, ast.Call):
                    found.update(constraints_of_call(meta))
            return constrain(base, sorted(found))
        if head in {"ClassVar", "Final", "Required", "NotRequired", "ReadOnly"}:
            return from_ast(items[0])
        return Type(GENERIC, head, tuple(from_ast(i) for i in items))
    return Type(NAME, ast.unparse(node))


def constrain(base: Type, constraints: list[str]) -> Type:
    if not constraints:
        return base
    if base.kind == UNION:  # `Optional[int] = Field(gt=0)`: the constraint is on the int
        return _union([m if m.kind == NONE else constrain(m, constraints) for m in base.args])
    if base.kind == CONSTRAINED:
        merged = sorted(set(base.values) | set(constraints))
        return Type(CONSTRAINED, args=base.args, values=tuple(merged))
    return Type(CONSTRAINED, args=(base,), values=tuple(sorted(set(constraints))))


@lru_cache(maxsize=8192)
def parse(text: str) -> Type:
    """The normalised type of an annotation's text (or of a canonical rendering)."""
    try:
        node = ast.parse(text.strip(), mode="eval").body
    except SyntaxError:
        return Type(NAME, text.strip())
    return from_ast(node)


def render(t: Type) -> str:
    if t.kind in {NAME, ANY, NONE}:
        return t.name
    if t.kind == UNION:
        return " | ".join(render(a) for a in t.args)
    if t.kind == LITERAL:
        return f"Literal[{', '.join(t.values)}]"
    if t.kind == GENERIC:
        return f"{t.name}[{', '.join(render(a) for a in t.args)}]"
    keywords = [v for v in t.values if _KEYWORD.match(v)]
    calls = [v for v in t.values if not _KEYWORD.match(v)]
    meta = ([f"Field({', '.join(keywords)})"] if keywords else []) + calls
    return f"Annotated[{render(t.args[0])}, {', '.join(meta)}]"


# compatibility --------------------------------------------------------------------------
def _all(results: list[bool | None]) -> bool | None:
    if all(r is True for r in results):
        return True
    if any(r is False for r in results):
        return False
    return None


def _any(results: list[bool | None]) -> bool | None:
    if any(r is True for r in results):
        return True
    if all(r is False for r in results):
        return False
    return None


def _literal_fits(name: str, value: str) -> bool | None:
    try:
        python = ast.literal_eval(value)
    except (ValueError, SyntaxError):
        return None  # an enum member: depends on the enum
    kinds = {"str": (str,), "int": (int,), "float": (int, float), "bool": (bool,),
             "bytes": (bytes,)}  # fmt: skip
    if name not in kinds:
        return None
    return isinstance(python, kinds[name])


def accepts(reader: Type, writer: Type) -> bool | None:
    """Whether every JSON value a `writer`-typed field produces validates as `reader`."""
    if reader == writer or reader.kind == ANY:
        return True
    if writer.kind == UNION:
        return _all([accepts(reader, member) for member in writer.args])
    if reader.kind == UNION:
        return _any([accepts(member, writer) for member in reader.args])
    if writer.kind == ANY:
        return False
    if reader.kind == CONSTRAINED:
        written = writer.values if writer.kind == CONSTRAINED else ()
        base = writer.args[0] if writer.kind == CONSTRAINED else writer
        if all(_implied(c, written) for c in reader.values):
            return accepts(reader.args[0], base)
        return False  # a new or tighter constraint: some values no longer pass
    if writer.kind == CONSTRAINED:
        return accepts(reader, writer.args[0])
    if reader.kind == LITERAL:
        if writer.kind == LITERAL:
            return set(writer.values) <= set(reader.values)
        return False
    if writer.kind == LITERAL:
        if reader.kind != NAME:
            return False
        return _all([_literal_fits(reader.name, v) for v in writer.values])
    if NONE in (reader.kind, writer.kind):
        return False
    if reader.kind == GENERIC and writer.kind == GENERIC:
        if reader.name != writer.name or len(reader.args) != len(writer.args):
            return False if reader.name != writer.name else None
        return _all([accepts(r, w) for r, w in zip(reader.args, writer.args, strict=True)])
    if reader.kind == NAME and writer.kind == GENERIC:
        return reader.name == writer.name
    if reader.kind == GENERIC and writer.kind == NAME:
        return False  # `list` -> `list[int]`: narrower
    return (reader.name, writer.name) in _JSON_ACCEPTS


_JSON_ACCEPTS = frozenset(
    {
        ("float", "int"),
        ("Decimal", "int"),
        ("Decimal", "float"),
        ("float", "Decimal"),
        # written as JSON strings, read back by a `str` field
        *(("str", kind) for kind in ("datetime", "date", "time", "UUID", "Decimal", "timedelta")),
    }
)
"""(reader, writer) pairs of different types where the reader validates every JSON
value the writer produces (Pydantic v2 serialises `Decimal` as a string)."""

_BOUNDS = {"gt": ">", "ge": ">=", "lt": "<", "le": "<=", "min_length": ">=", "max_length": "<="}


def _bound(constraint: str) -> tuple[str, float] | None:
    key, _, value = constraint.partition("=")
    if key not in _BOUNDS:
        return None
    try:
        bound = ast.literal_eval(value)
    except (ValueError, SyntaxError):
        return None
    if isinstance(bound, bool) or not isinstance(bound, (int, float)):
        return None
    return _BOUNDS[key], bound


def _implied(constraint: str, written: tuple[str, ...]) -> bool:
    """Whether the writer's constraints guarantee the reader's `constraint`
    (`max_length=20` by `max_length=10`, `ge=0` by `gt=0`)."""
    if constraint in written:
        return True
    mine = _bound(constraint)
    if mine is None:
        return False
    op, bound = mine
    for other in written:
        theirs = _bound(other)
        if theirs is None:
            continue
        oop, obound = theirs
        lower = op in {">", ">="} and oop in {">", ">="}
        upper = op in {"<", "<="} and oop in {"<", "<="}
        exact = op in {">=", "<="} or oop in {">", "<"}  # `>= 5` by `> 5` or `>= 5`
        if lower and (obound > bound or (obound == bound and exact)):
            return True
        if upper and (obound < bound or (obound == bound and exact)):
            return True
    return False
