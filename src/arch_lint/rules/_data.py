"""What ARC406 and ARC407 share: the ORM instances of each function and what
happens to their JSON attributes, in statement order.

An object is an ORM instance when a parameter's annotation names an ORM class
of the project, when a local comes from `session.get(Model, ...)` or from a
single-row result of `select(Model)` / `query(Model)`, or when the object is
`self` in a method of an ORM class. Objects of unknown type count when the
attribute is a JSON column of exactly one table class of the file's service and
no Pydantic model of the service has a field so named (SPEC, "How the rules
meet"). Objects created in the function (`Model(...)`, `self` in `__init__`)
hold nothing stored yet, so nothing can be lost: they are never judged.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from fnmatch import fnmatchcase

from arch_lint.findings import Fix
from arch_lint.index.datalayer import JSON
from arch_lint.index.models import dotted
from arch_lint.index.walk import push_children
from arch_lint.rules._base import FileContext

_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)
_LOADERS = re.compile(
    r"(?:get|find|fetch|load|read|lookup)(?:_\w+)?|first|one|one_or_none|scalar|scalar_one"
    r"|scalar_one_or_none"
)
_ROW_ACCESSORS = frozenset(
    {"first", "one", "one_or_none", "scalar", "scalar_one", "scalar_one_or_none", "get"}
)
MUTATORS: dict[str, str] = {
    "update": "`.update()`",
    "setdefault": "`.setdefault()`",
    "pop": "`.pop()`",
    "popitem": "`.popitem()`",
    "clear": "`.clear()`",
    "append": "`.append()`",
    "extend": "`.extend()`",
    "insert": "`.insert()`",
    "remove": "`.remove()`",
}
_BODIES = ("body", "orelse", "finalbody")


@dataclass(frozen=True, slots=True)
class Obj:
    """What a local name holds."""

    created: bool
    """Made in this function: nothing stored can be lost."""
    cls: tuple[str, str] | None = None
    """(file, qualname) of its project class, when known."""
    typed: bool = False
    """Its type is known (`cls` None then means: not a class of ours)."""


@dataclass(frozen=True, slots=True)
class Column:
    model: str
    kind: str


@dataclass(frozen=True, slots=True)
class Overwrite:
    """ARC406: `obj.<metadata> = {...}` on an existing ORM instance."""

    stmt: ast.Assign
    target: str
    column: Column


@dataclass(frozen=True, slots=True)
class Mutation:
    """ARC407: an in-place change of a plain JSON column."""

    node: ast.stmt
    target: str
    how: str
    column: Column
    fix: str | None = None
    """The fix's kind (`json-set-key`, `json-update`) where one is certain."""


@dataclass(slots=True)
class _Alias:
    """`m = obj.x` (plain) or `m = obj.x or {}`: the same object as the column's."""

    owner: str
    attr: str
    plain: bool
    mutated: bool = False
    reported: bool = False


@dataclass(slots=True)
class _Function:
    state: dict[str, Obj] = field(default_factory=dict)
    aliases: dict[str, _Alias] = field(default_factory=dict)
    fresh: set[tuple[str, str]] = field(default_factory=set)
    """(object, attribute) assigned a new value earlier: later changes are flushed."""
    flagged: set[tuple[str, str]] = field(default_factory=set)
    """`flag_modified(obj, "x")` anywhere in the function."""


class DataAnalysis:
    """The overwrites and lost mutations of one file."""

    def __init__(self, ctx: FileContext, tree: ast.Module) -> None:
        self.ctx = ctx
        self.metadata = ctx.settings.model.models.metadata_attributes
        self.overwrites: list[Overwrite] = []
        self.mutations: list[Mutation] = []
        self._body(tree.body, None)

    # scopes ----------------------------------------------------------------------------
    def _body(self, body: list[ast.stmt], cls: tuple[str, str] | None, prefix: str = "") -> None:
        for stmt in body:
            if isinstance(stmt, ast.ClassDef):
                qualname = f"{prefix}{stmt.name}"
                self._body(stmt.body, (self.ctx.path, qualname), f"{qualname}.")
            elif isinstance(stmt, _FUNCTIONS):
                self._function(stmt, cls)
            else:
                for inner in _blocks(stmt):
                    self._body(inner, None, prefix)

    def _function(
        self, func: ast.FunctionDef | ast.AsyncFunctionDef, cls: tuple[str, str] | None
    ) -> None:
        scope = _Function()
        params = [*func.args.posonlyargs, *func.args.args, *func.args.kwonlyargs]
        static = any(dotted(d) in {"staticmethod", "classmethod"} for d in func.decorator_list)
        for i, arg in enumerate(params):
            if i == 0 and cls is not None and not static:
                scope.state[arg.arg] = Obj(func.name == "__init__", cls, True)
            else:
                scope.state[arg.arg] = self._annotated(arg.annotation)
        for node in _own_nodes(func.body):
            if isinstance(node, ast.Call) and (dotted(node.func) or "").endswith("flag_modified"):
                args = node.args
                if (
                    len(args) >= 2
                    and isinstance(args[0], ast.Name)
                    and isinstance(args[1], ast.Constant)
                    and isinstance(args[1].value, str)
                ):
                    scope.flagged.add((args[0].id, args[1].value))
        for stmt, guards in _ordered(func.body, ()):
            if isinstance(stmt, _FUNCTIONS):
                self._function(stmt, None)
            elif isinstance(stmt, ast.ClassDef):
                self._body(stmt.body, (self.ctx.path, stmt.name), f"{stmt.name}.")
            else:
                self._stmt(stmt, guards, scope)

    # objects ---------------------------------------------------------------------------
    def _class(self, node: ast.expr) -> tuple[str, str] | None:
        name = dotted(node)
        if name is None:
            return None
        ref = self.ctx.index.resolve_class(self.ctx.path, name)
        return ref if isinstance(ref, tuple) else None

    def _annotated(self, annotation: ast.expr | None) -> Obj:
        if annotation is None:
            return Obj(False)
        node = _unwrap_optional(_unquote(annotation))
        if isinstance(node, (ast.Name, ast.Attribute)):
            return Obj(False, self._class(node), True)
        return Obj(False, None, True)

    def _object_of(self, value: ast.expr) -> Obj | None:
        if isinstance(value, ast.Await):
            value = value.value
        if not isinstance(value, ast.Call):
            return None
        cls = self._class(value.func)
        if cls is not None:
            return Obj(True, cls, True)
        func = value.func
        method = func.attr if isinstance(func, ast.Attribute) else dotted(func) or ""
        if method == "get" and value.args:
            got = self._class(value.args[0])
            if got is not None:
                return Obj(False, got, True)
        if method in _ROW_ACCESSORS:
            for node in ast.walk(value):
                if (
                    isinstance(node, ast.Call)
                    and (dotted(node.func) or "").rsplit(".", 1)[-1] in {"select", "query"}
                    and len(node.args) == 1
                ):
                    got = self._class(node.args[0])
                    if got is not None:
                        return Obj(False, got, True)
        if _LOADERS.fullmatch(method):
            return Obj(False)
        return None

    def column(self, scope: _Function, owner: str, attr: str) -> Column | None:
        obj = scope.state.get(owner)
        if obj is None or obj.created:
            return None
        index = self.ctx.index
        if obj.cls is not None:
            kind = index.json_column(*obj.cls, attr)
            return Column(obj.cls[1], kind) if kind is not None else None
        if obj.typed or self.ctx.service is None:
            return None
        found = index.json_attribute_of_service(self.ctx.service.name, attr)
        return Column(found[1], found[2]) if found is not None else None

    # statements ------------------------------------------------------------------------
    def _stmt(self, stmt: ast.stmt, guards: tuple[ast.expr, ...], scope: _Function) -> None:
        if isinstance(stmt, ast.Assign):
            for target in stmt.targets:
                self._assign(stmt, target, stmt.value, guards, scope)
        elif isinstance(stmt, ast.AnnAssign) and stmt.value is not None:
            self._assign(stmt, stmt.target, stmt.value, guards, scope)
        elif isinstance(stmt, ast.AugAssign):
            if isinstance(stmt.target, ast.Subscript):
                self._mutation(stmt, stmt.target, "is changed in place (a key is updated)", scope)
            elif isinstance(stmt.target, ast.Attribute) and isinstance(stmt.op, ast.BitOr):
                self._mutation(stmt, stmt.target, "is changed in place (`|=`)", scope, whole=True)
            elif isinstance(stmt.target, ast.Name):
                self._forget(stmt.target.id, scope)
        elif isinstance(stmt, ast.Delete):
            for target in stmt.targets:
                if isinstance(target, ast.Subscript):
                    self._mutation(stmt, target, "is changed in place (a key is deleted)", scope)
        elif isinstance(stmt, ast.Expr):
            call = stmt.value.value if isinstance(stmt.value, ast.Await) else stmt.value
            if (
                isinstance(call, ast.Call)
                and isinstance(call.func, ast.Attribute)
                and call.func.attr in MUTATORS
            ):
                how = f"is changed in place ({MUTATORS[call.func.attr]})"
                self._mutation(stmt, call.func.value, how, scope, whole=True, call=call)
        elif isinstance(stmt, (ast.For, ast.AsyncFor)):
            for name in _names(stmt.target):
                self._forget(name, scope)
        elif isinstance(stmt, (ast.With, ast.AsyncWith)):
            for item in stmt.items:
                if item.optional_vars is not None:
                    for name in _names(item.optional_vars):
                        self._forget(name, scope)

    def _forget(self, name: str, scope: _Function) -> None:
        scope.state.pop(name, None)
        scope.aliases.pop(name, None)

    def _assign(
        self,
        stmt: ast.Assign | ast.AnnAssign,
        target: ast.expr,
        value: ast.expr,
        guards: tuple[ast.expr, ...],
        scope: _Function,
    ) -> None:
        if isinstance(target, ast.Name):
            self._bind(target.id, value, scope)
        elif isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name):
            owner, attr = target.value.id, target.attr
            alias = scope.aliases.get(value.id) if isinstance(value, ast.Name) else None
            if alias is not None and (alias.owner, alias.attr) == (owner, attr):
                if alias.mutated and not alias.reported:
                    self._lost(
                        stmt, target, "gets back the same object after an in-place change", scope
                    )
                return
            if isinstance(stmt, ast.Assign) and self._is_metadata(attr):
                self._overwrite(stmt, target, value, guards, scope)
            scope.fresh.add((owner, attr))
        elif isinstance(target, ast.Subscript):
            self._mutation(stmt, target, "is changed in place (a key is set)", scope)
        else:
            for name in _names(target):
                self._forget(name, scope)

    def _bind(self, name: str, value: ast.expr, scope: _Function) -> None:
        self._forget(name, scope)
        source = value
        plain = True
        if isinstance(value, ast.BoolOp) and isinstance(value.op, ast.Or) and value.values:
            source, plain = value.values[0], False
        if (
            isinstance(source, ast.Attribute)
            and isinstance(source.value, ast.Name)
            and source.value.id in scope.state
        ):
            scope.aliases[name] = _Alias(source.value.id, source.attr, plain)
            return
        if isinstance(value, ast.Name) and value.id in scope.state:
            scope.state[name] = scope.state[value.id]
            return
        obj = self._object_of(value)
        if obj is not None:
            scope.state[name] = obj

    def _is_metadata(self, attr: str) -> bool:
        return any(fnmatchcase(attr, pattern) for pattern in self.metadata)

    # ARC406 ----------------------------------------------------------------------------
    def _overwrite(
        self,
        stmt: ast.Assign,
        target: ast.Attribute,
        value: ast.expr,
        guards: tuple[ast.expr, ...],
        scope: _Function,
    ) -> None:
        assert isinstance(target.value, ast.Name)
        owner, attr = target.value.id, target.attr
        if not _new_dict(value):
            return
        names = {owner} | {
            n for n, a in scope.aliases.items() if (a.owner, a.attr) == (owner, attr)
        }
        if _mentions(value, owner, attr, names) or any(
            _mentions(test, owner, attr, set()) for test in guards
        ):
            return
        column = self.column(scope, owner, attr)
        if column is not None:
            self.overwrites.append(Overwrite(stmt, f"{owner}.{attr}", column))

    # ARC407 ----------------------------------------------------------------------------
    def _mutation(
        self,
        stmt: ast.stmt,
        node: ast.expr,
        how: str,
        scope: _Function,
        *,
        whole: bool = False,
        call: ast.Call | None = None,
    ) -> None:
        """`node` is what is changed: `obj.x[k]` (a key) or, `whole`, `obj.x` itself."""
        base = node if whole else _container(node)
        while isinstance(base, ast.Subscript):
            base = base.value
        if isinstance(base, ast.Name):
            alias = scope.aliases.get(base.id)
            if alias is None:
                return
            alias.mutated = True
            if alias.plain and not alias.reported:
                target = ast.Attribute(ast.Name(alias.owner), alias.attr)
                self._lost(stmt, target, how, scope)
                alias.reported = True
            return
        if not (isinstance(base, ast.Attribute) and isinstance(base.value, ast.Name)):
            return
        fix = None
        direct = (whole and base is node) or (not whole and _container(node) is base)
        single = isinstance(stmt, ast.Assign) and len(stmt.targets) == 1
        if direct and (single or call is not None):
            fix = _fix_kind(stmt, call)
        self._lost(stmt, base, how, scope, fix)

    def _lost(
        self,
        stmt: ast.stmt,
        target: ast.Attribute,
        how: str,
        scope: _Function,
        fix: str | None = None,
    ) -> None:
        if not isinstance(target.value, ast.Name):
            return
        owner, attr = target.value.id, target.attr
        if (owner, attr) in scope.fresh or (owner, attr) in scope.flagged:
            return
        column = self.column(scope, owner, attr)
        if column is None or column.kind != JSON:
            return
        self.mutations.append(Mutation(stmt, f"{owner}.{attr}", how, column, fix))


# helpers ---------------------------------------------------------------------------------
def _blocks(stmt: ast.stmt) -> Iterator[list[ast.stmt]]:
    for name in _BODIES:
        body = getattr(stmt, name, None)
        if body and isinstance(body, list) and isinstance(body[0], ast.stmt):
            yield body
    for handler in getattr(stmt, "handlers", ()) or ():
        yield handler.body
    for case in getattr(stmt, "cases", ()) or ():
        yield case.body


def _ordered(
    body: list[ast.stmt], guards: tuple[ast.expr, ...]
) -> Iterator[tuple[ast.stmt, tuple[ast.expr, ...]]]:
    """The statements of a function in source order, with the `if` tests whose
    body holds them; nested functions and classes are yielded, not entered."""
    for stmt in body:
        yield stmt, guards
        if isinstance(stmt, (*_FUNCTIONS, ast.ClassDef)):
            continue
        if isinstance(stmt, ast.If):
            yield from _ordered(stmt.body, (*guards, stmt.test))
            yield from _ordered(stmt.orelse, guards)
            continue
        for inner in _blocks(stmt):
            yield from _ordered(inner, guards)


def _own_nodes(body: list[ast.stmt]) -> Iterator[ast.AST]:
    stack: list[ast.AST] = list(body)
    while stack:
        node = stack.pop()
        if isinstance(node, (*_FUNCTIONS, ast.ClassDef, ast.Lambda)):
            continue
        yield node
        push_children(node, stack)


def _names(target: ast.expr) -> list[str]:
    if isinstance(target, ast.Name):
        return [target.id]
    if isinstance(target, ast.Starred):
        return _names(target.value)
    if isinstance(target, (ast.Tuple, ast.List)):
        return [n for elt in target.elts for n in _names(elt)]
    return []


def _unquote(node: ast.expr) -> ast.expr:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        try:
            return ast.parse(node.value.strip(), mode="eval").body
        except SyntaxError:
            return node
    return node


def _unwrap_optional(node: ast.expr) -> ast.expr:
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        parts = [node.left, node.right]
        rest = [p for p in parts if not (isinstance(p, ast.Constant) and p.value is None)]
        return rest[0] if len(rest) == 1 else node
    if isinstance(node, ast.Subscript) and (dotted(node.value) or "").endswith("Optional"):
        return node.slice
    return node


def _container(node: ast.expr) -> ast.expr:
    """`obj.x["a"]["b"]` -> `obj.x["a"]` (what holds the key that is set)."""
    return node.value if isinstance(node, ast.Subscript) else node


def _new_dict(value: ast.expr) -> bool:
    """A new, non-empty dict: a literal, `dict(...)`, or `Model(...).model_dump()`."""
    if isinstance(value, ast.Dict):
        return bool(value.keys)
    if isinstance(value, ast.Call):
        if isinstance(value.func, ast.Name) and value.func.id == "dict":
            return bool(value.args or value.keywords)
        return isinstance(value.func, ast.Attribute) and value.func.attr == "model_dump"
    return False


def _mentions(node: ast.expr, owner: str, attr: str, names: set[str]) -> bool:
    """Whether `node` reads `owner.attr` (or a local holding its value)."""
    for child in ast.walk(node):
        if (
            isinstance(child, ast.Attribute)
            and child.attr == attr
            and isinstance(child.value, ast.Name)
            and child.value.id == owner
        ):
            return True
        if isinstance(child, ast.Name) and child.id in names and child.id != owner:
            return True
    return False


def _fix_kind(stmt: ast.stmt, call: ast.Call | None) -> str | None:
    """A new dict can replace a single key set, or an `update` with one mapping
    or keywords only."""
    if call is None:
        return "json-set-key"
    if (
        isinstance(call.func, ast.Attribute)
        and call.func.attr == "update"
        and len(call.args) <= 1
        and not any(isinstance(a, ast.Starred) for a in call.args)
        and (call.args or call.keywords)
        and all(kw.arg is not None for kw in call.keywords)
        and isinstance(stmt, ast.Expr)
        and stmt.value is call
    ):
        return "json-update"
    return None


def merge_fix(ctx: FileContext, stmt: ast.stmt, target: str, kind: str) -> Fix:
    """The unsafe fix that turns a statement into `target = {**(target or {}), ...}`."""
    return Fix(
        title=f"Merge into a new dict: `{target} = {{**({target} or {{}}), ...}}`",
        safe=False,
        kind=kind,
        line=stmt.lineno,
        column=ctx.char_col(stmt.lineno, stmt.col_offset) + 1,
        data={"target": target},
    )


def analysis(ctx: FileContext, tree: ast.Module) -> DataAnalysis:
    """The file's data analysis, computed once for ARC406 and ARC407."""
    found = ctx.memo.get("data")
    if found is None:
        found = DataAnalysis(ctx, tree)
        ctx.memo["data"] = found
    assert isinstance(found, DataAnalysis)
    return found
