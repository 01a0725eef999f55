"""What ARC406 and ARC407 share: the ORM instances of each function and what
happens to their JSON attributes, in statement order.

An object is an ORM instance when a parameter's annotation names an ORM class
of the project, when a local comes from `session.get(Model, ...)` or from a
single-row result of `select(Model)` / `query(Model)`, or when the object is
`self` in a method of an ORM class. A local of unknown type loaded through a
repository or session (`await self.repo.get(id)`, `session.get_by_id(id)`, or
`self.get(id)` in a repository class) counts when the attribute is a JSON column
of exactly one table class of the file's service and no Pydantic model of the
project has a field so named (SPEC, "How the rules meet"); unannotated
parameters and other unknown objects are not judged. Objects created in the
function (`Model(...)`, `self` in `__init__`) hold nothing stored yet, so
nothing can be lost: they are never judged.

An attribute assigned a new value earlier in the function holds an object the
ORM writes, so a change of it in place is kept, where the assignment runs on
every path to the change (the semantic model's `Site.preceded_by`: before it in
its block or around it, in every branch of an `if`, ...). An initialisation
guard (`if obj.x is None: obj.x = {}`, `obj.x = obj.x or {}`) renews the
attribute only on the path where it held nothing, so a change after it is still
lost whenever a dict was stored. A new dict built from the stored one
(`{**obj.x, ...}`, `dict(obj.x)`) shares the values inside it: a change inside
one of those (`obj.x[k][j] = v`) is still lost, since the ORM then finds the
new dict equal to the stored one.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from functools import lru_cache

from arch_lint.findings import Fix
from arch_lint.index.datalayer import JSON
from arch_lint.index.models import dotted, unquote, unwrap_optional
from arch_lint.index.semantic import Flow, Scope, Site
from arch_lint.index.walk import MarkedLines, assignment, header_nodes, own_nodes, target_names
from arch_lint.rules._base import FileContext

_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)
_LOADERS = re.compile(
    r"(?:get|find|fetch|load|read|lookup)(?:_\w+)?|first|one|one_or_none|scalar|scalar_one"
    r"|scalar_one_or_none"
)
_STORES = re.compile(r"repo|session|\bdb\b|_db\b|dao|store|storage|uow|unit_of_work", re.I)
_STORE_CLASSES = re.compile(r"Repo|Repository|Store|Dao|DAO|Gateway|Storage")
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
_THROUGH = frozenset({"setdefault", "get"})
"""`obj.x.setdefault(k, []).append(v)` changes a value inside the column."""
_SIMPLE_KEYS = (ast.Constant, ast.Name, ast.Attribute)


@dataclass(frozen=True, slots=True)
class Obj:
    """What a local name holds."""

    created: bool
    """Made in this function: nothing stored can be lost."""
    cls: tuple[str, str] | None = None
    """(file, qualname) of its project class, when known."""
    typed: bool = False
    """Its type is known (`cls` None then means: not a class of ours)."""
    loaded: bool = False
    """Loaded through a repository or session: may be judged by attribute alone."""


@dataclass(frozen=True, slots=True)
class Column:
    model: str
    kind: str
    container: str | None
    """`dict` or `list` where the column's annotation says which."""


@dataclass(frozen=True, slots=True)
class Overwrite:
    """ARC406: `obj.<metadata> = {...}` on an existing ORM instance."""

    stmt: ast.Assign
    target: ast.Attribute
    name: str
    column: Column
    fixable: bool


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
    inner: bool = False
    """A value inside the column (`h = obj.x["history"]`), not the column's dict."""
    mutated: bool = False
    reported: bool = False


@dataclass(slots=True)
class _Function:
    state: dict[str, Obj] = field(default_factory=dict)
    aliases: dict[str, _Alias] = field(default_factory=dict)
    derived: dict[str, set[tuple[str, str]]] = field(default_factory=dict)
    """Locals whose value was computed from `obj.x` (a copy, a parsed model)."""
    renewed: dict[int, dict[tuple[str, str], bool]] = field(default_factory=dict)
    """`id(stmt)` -> the (object, attribute) pairs it assigns a new object to, each
    with whether that object shares nothing with the stored value (False: a new
    dict built from it, `{**obj.x, ...}`, whose values are the stored ones)."""
    guarded: dict[tuple[str, str], int] = field(default_factory=dict)
    """(object, attribute) -> the line of its latest initialisation guard
    (`if obj.x is None: obj.x = {}`, `obj.x = obj.x or {}`)."""
    site: Site | None = None
    """The statement being read."""
    looked: set[tuple[str, str]] = field(default_factory=set)
    """(object, attribute) tested by an `if`/`while` so far: an assignment after
    such a look (`if obj.x is None`, an early return) is initialisation."""
    flagged: set[tuple[str, str]] = field(default_factory=set)
    """`flag_modified(obj, "x")` anywhere in the function."""
    store_class: bool = False
    """A method of a repository-like class (`self.get(id)` loads rows)."""
    results: dict[str, tuple[str, str]] = field(default_factory=dict)
    """`result = await session.execute(select(Model))`: local -> the model."""


class DataAnalysis:
    """The overwrites and lost mutations of one file."""

    def __init__(self, ctx: FileContext, tree: ast.Module) -> None:
        self.ctx = ctx
        self.metadata = ctx.settings.model.models.metadata_attributes
        self.overwrites: list[Overwrite] = []
        self.mutations: list[Mutation] = []
        self.flags = b"flag_modified" in ctx.source
        names = ctx.index.data.json_attribute_names
        self.marks = MarkedLines(ctx.source, tuple(f".{n}".encode() for n in sorted(names)))
        if not self.marks:
            return  # only functions that touch a JSON attribute's name are read
        self.model = ctx.semantic
        helpers: dict[int, frozenset[str]] = {}
        for function in self.model.functions():
            func = function.node
            assert isinstance(func, _FUNCTIONS)
            if not self.marks.spans(func.lineno, func.end_lineno or func.lineno):
                continue
            owner = function.parent
            if owner is None or owner.kind != "class":
                self._function(function, None)
                continue
            qualname = _qualname(owner)
            if id(owner) not in helpers:
                helpers[id(owner)] = self._construction(owner, qualname)
            self._function(function, (ctx.path, qualname), func.name in helpers[id(owner)])

    # scopes ----------------------------------------------------------------------------
    def _construction(self, owner: Scope, qualname: str) -> frozenset[str]:
        """The helpers of a table class's `__init__` (see `_init_helpers`)."""
        cls = owner.node
        assert isinstance(cls, ast.ClassDef)
        end = cls.end_lineno or cls.lineno
        if self.marks.spans(cls.lineno, end) and self.ctx.index.data.has_json_columns(
            self.ctx.path, qualname
        ):
            return _init_helpers(cls)
        return frozenset()

    def _function(
        self, function: Scope, cls: tuple[str, str] | None, construction: bool = False
    ) -> None:
        func = function.node
        assert isinstance(func, _FUNCTIONS)
        scope = _Function()
        scope.store_class = cls is not None and bool(_STORE_CLASSES.search(cls[1]))
        params = [*func.args.posonlyargs, *func.args.args, *func.args.kwonlyargs]
        static = any(dotted(d) in {"staticmethod", "classmethod"} for d in func.decorator_list)
        for i, arg in enumerate(params):
            if i == 0 and cls is not None and not static:
                created = func.name == "__init__" or construction
                scope.state[arg.arg] = Obj(created, cls, True)
            else:
                scope.state[arg.arg] = self._annotated(arg.annotation)
        for node in own_nodes(func.body) if self.flags else ():
            if isinstance(node, ast.Call) and (dotted(node.func) or "").endswith("flag_modified"):
                args = node.args
                if (
                    len(args) >= 2
                    and isinstance(args[0], ast.Name)
                    and isinstance(args[1], ast.Constant)
                    and isinstance(args[1].value, str)
                ):
                    scope.flagged.add((args[0].id, args[1].value))
        for site in self.model.sites_of(function):
            if not isinstance(site.stmt, (*_FUNCTIONS, ast.ClassDef)):
                scope.site = site
                self._stmt(site.stmt, _guards(site.flow), scope)

    # objects ---------------------------------------------------------------------------
    def _class(self, node: ast.expr) -> tuple[str, str] | None:
        name = dotted(node)
        if name is None:
            return None
        ref = self.ctx.index.models.resolve_class(self.ctx.path, name)
        return ref if isinstance(ref, tuple) else None

    def _annotated(self, annotation: ast.expr | None) -> Obj:
        if annotation is None:
            return Obj(False)
        node = unwrap_optional(unquote(annotation))
        if isinstance(node, (ast.Name, ast.Attribute)):
            return Obj(False, self._class(node), True)
        return Obj(False, None, True)

    def _object_of(self, value: ast.expr, scope: _Function) -> Obj | None:
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
            got = self._selected(value)
            if got is None:  # `result.scalar_one()` on `result = ... select(Model) ...`
                receiver = func.value if isinstance(func, ast.Attribute) else None
                while isinstance(receiver, ast.Call) and isinstance(receiver.func, ast.Attribute):
                    receiver = receiver.func.value  # `result.scalars().first()`
                if isinstance(receiver, ast.Name):
                    got = scope.results.get(receiver.id)
            if got is not None:
                return Obj(False, got, True)
        if _LOADERS.fullmatch(method) and isinstance(func, ast.Attribute):
            spelled = ast.unparse(func.value)
            if _STORES.search(spelled) or (spelled == "self" and scope.store_class):
                return Obj(False, loaded=True)
        return None

    def _rows_of(self, iterable: ast.expr, scope: _Function) -> tuple[str, str] | None:
        """The model of `for row in (await s.execute(select(M))).scalars()` (or of
        a `result` local holding such a result)."""
        if isinstance(iterable, ast.Await):
            iterable = iterable.value
        node: ast.expr = iterable
        while isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            if node.func.attr in {"scalars", "all", "unique"}:
                node = node.func.value
                if isinstance(node, ast.Await):
                    node = node.value
                continue
            break
        if node is iterable:
            return None
        if isinstance(node, ast.Name):
            return scope.results.get(node.id)
        return self._selected(node)

    def _selected(self, value: ast.expr) -> tuple[str, str] | None:
        """The model of a `select(Model)` / `query(Model)` inside an expression."""
        for node in ast.walk(value):
            if (
                isinstance(node, ast.Call)
                and (dotted(node.func) or "").rsplit(".", 1)[-1] in {"select", "query"}
                and len(node.args) == 1
            ):
                got = self._class(node.args[0])
                if got is not None:
                    return got
        return None

    def column(self, scope: _Function, owner: str, attr: str) -> Column | None:
        obj = scope.state.get(owner)
        if obj is None or obj.created:
            return None
        index = self.ctx.index.data
        if obj.cls is not None:
            kind = index.json_column(*obj.cls, attr)
            if kind is None:
                return None
            return Column(obj.cls[1], kind, index.json_container(*obj.cls, attr))
        if not obj.loaded or self.ctx.service is None:
            return None
        found = index.json_attribute_of_service(self.ctx.service.name, attr)
        if found is None:
            return None
        path, qualname, kind = found
        return Column(qualname, kind, index.json_container(path, qualname, attr))

    # statements ------------------------------------------------------------------------
    def _stmt(self, stmt: ast.stmt, guards: tuple[Guard, ...], scope: _Function) -> None:
        skip: set[int] = set()
        if isinstance(stmt, ast.If) and _exits(stmt.body):
            for owner, attr in _attributes(stmt.test):  # `if obj.x: return` ...
                if _emptiness(stmt.test, owner, attr) in {"set", "other"}:
                    scope.looked.add((owner, attr))  # ... then `obj.x = {...}` initialises
        assigned = assignment(stmt)
        if assigned is not None:
            assert isinstance(stmt, (ast.Assign, ast.AnnAssign))
            for target in assigned[0]:
                self._assign(stmt, target, assigned[1], guards, scope)
                if isinstance(target, ast.Subscript):  # `obj.x.setdefault(k, {})[j] = v`:
                    skip |= _chain_calls(target)  # one change, reported once
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
                skip = {id(n) for n in ast.walk(call) if isinstance(n, ast.Call)}  # one chain
        elif isinstance(stmt, (ast.For, ast.AsyncFor)):
            for name in target_names(stmt.target):
                self._forget(name, scope)
            rows = self._rows_of(stmt.iter, scope)
            if rows is not None and isinstance(stmt.target, ast.Name):
                scope.state[stmt.target.id] = Obj(False, rows, True)
        elif isinstance(stmt, (ast.With, ast.AsyncWith)):
            for item in stmt.items:
                if item.optional_vars is not None:
                    for name in target_names(item.optional_vars):
                        self._forget(name, scope)
        self._expressions(stmt, scope, skip)

    def _expressions(self, stmt: ast.stmt, scope: _Function, skip: set[int]) -> None:
        """Mutating calls used as values (`old = obj.x.pop(k)`, `if obj.x.pop(k):`)
        and walrus bindings, in the statement's own expressions."""
        for node in header_nodes(stmt, prune=(ast.Lambda,)):
            if isinstance(node, ast.NamedExpr) and isinstance(node.target, ast.Name):
                self._bind(node.target.id, node.value, scope)
            elif (
                isinstance(node, ast.Call)
                and id(node) not in skip
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in MUTATORS
                and node.func.attr != "update"  # `x.update(...)` is None: never a value
            ):
                how = f"is changed in place ({MUTATORS[node.func.attr]})"
                self._mutation(stmt, node.func.value, how, scope, whole=True, fixable=False)

    def _forget(self, name: str, scope: _Function) -> None:
        scope.state.pop(name, None)
        scope.results.pop(name, None)
        scope.aliases.pop(name, None)
        scope.derived.pop(name, None)

    def _assign(
        self,
        stmt: ast.Assign | ast.AnnAssign,
        target: ast.expr,
        value: ast.expr,
        guards: tuple[Guard, ...],
        scope: _Function,
    ) -> None:
        if isinstance(target, ast.Name):
            self._bind(target.id, value, scope)
        elif isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name):
            owner, attr = target.value.id, target.attr
            alias = scope.aliases.get(value.id) if isinstance(value, ast.Name) else None
            if alias is not None and (alias.owner, alias.attr) == (owner, attr):
                if not alias.plain:  # `m = obj.x or {}`, `obj.x = m`
                    scope.guarded[(owner, attr)] = stmt.lineno
                if alias.mutated and not alias.reported:
                    self._lost(
                        stmt, target, "gets back the same object after an in-place change", scope
                    )
                return
            if isinstance(stmt, ast.Assign) and self._is_metadata(attr):
                self._overwrite(stmt, target, value, guards, scope)
            if self._may_be_stored(value, owner, attr, scope):
                scope.guarded[(owner, attr)] = stmt.lineno
                return
            shallow = _shallow_copy(value) and (owner, attr) in self._reads(value, scope)
            scope.renewed.setdefault(id(stmt), {})[(owner, attr)] = not shallow
            for test, in_body in guards:  # `if obj.x is None:` / `else` of `if obj.x:`
                if _emptiness(test, owner, attr) == ("empty" if in_body else "set"):
                    scope.guarded[(owner, attr)] = test.lineno
        elif isinstance(target, ast.Subscript):
            self._mutation(stmt, target, "is changed in place (a key is set)", scope)
        else:
            for name in target_names(target):
                self._forget(name, scope)

    def _bind(self, name: str, value: ast.expr, scope: _Function) -> None:
        reads = self._reads(value, scope)
        self._forget(name, scope)
        if reads:
            scope.derived[name] = reads
        source = value
        plain = True
        if isinstance(value, ast.BoolOp) and isinstance(value.op, ast.Or) and value.values:
            source, plain = value.values[0], False
        root = _column_root(source)  # `h = obj.x["history"]`: inside the column
        if (
            isinstance(root, ast.Attribute)
            and isinstance(root.value, ast.Name)
            and root.value.id in scope.state
        ):
            scope.aliases[name] = _Alias(root.value.id, root.attr, plain, root is not source)
            return
        if isinstance(value, ast.Name) and value.id in scope.state:
            scope.state[name] = scope.state[value.id]
            return
        obj = self._object_of(value, scope)
        if obj is not None:
            scope.state[name] = obj
        elif isinstance(value, (ast.Await, ast.Call)):
            selected = self._selected(value)
            if selected is not None:
                scope.results[name] = selected

    def _reads(self, value: ast.expr, scope: _Function) -> set[tuple[str, str]]:
        """The attributes of tracked objects that an expression reads, directly or
        through locals computed from them."""
        out: set[tuple[str, str]] = set()
        for node in ast.walk(value):
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id in scope.state
            ):
                out.add((node.value.id, node.attr))
            elif isinstance(node, ast.Name):
                out |= scope.derived.get(node.id, set())
                alias = scope.aliases.get(node.id)
                if alias is not None:
                    out.add((alias.owner, alias.attr))
        return out

    def _may_be_stored(self, value: ast.expr, owner: str, attr: str, scope: _Function) -> bool:
        """Whether `obj.x = value` may give `obj.x` back the object it holds: the
        initialisation guard `obj.x = obj.x or {}` (also `... if ... else ...`,
        or a local that is the column's object)."""
        if isinstance(value, ast.NamedExpr):
            return self._may_be_stored(value.value, owner, attr, scope)
        if isinstance(value, ast.BoolOp):
            return any(self._may_be_stored(v, owner, attr, scope) for v in value.values)
        if isinstance(value, ast.IfExp):
            return any(
                self._may_be_stored(v, owner, attr, scope) for v in (value.body, value.orelse)
            )
        if isinstance(value, ast.Name):
            alias = scope.aliases.get(value.id)
            return alias is not None and (alias.owner, alias.attr) == (owner, attr)
        return (
            isinstance(value, ast.Attribute)
            and value.attr == attr
            and isinstance(value.value, ast.Name)
            and value.value.id == owner
        )

    def _renewed(self, scope: _Function, owner: str, attr: str, inner: bool) -> bool:
        """Whether `obj.x` holds an object assigned in this function on every path
        to the statement being read (for a change `inner`, inside the column's
        dict: one that shares nothing with the stored value)."""
        site = scope.site
        if site is None or not scope.renewed:
            return False

        def renews(stmt: ast.stmt) -> bool:
            deep = scope.renewed.get(id(stmt), {}).get((owner, attr))
            return deep is not None and (deep or not inner)

        return site.preceded_by(renews)

    def _is_metadata(self, attr: str) -> bool:
        return any(fnmatchcase(attr, pattern) for pattern in self.metadata)

    # ARC406 ----------------------------------------------------------------------------
    def _overwrite(
        self,
        stmt: ast.Assign,
        target: ast.Attribute,
        value: ast.expr,
        guards: tuple[Guard, ...],
        scope: _Function,
    ) -> None:
        assert isinstance(target.value, ast.Name)
        owner, attr = target.value.id, target.attr
        if not _new_dict(value):
            return
        if (owner, attr) in self._reads(value, scope) or (owner, attr) in scope.looked:
            return  # a merge, or initialisation after `if obj.x: return`
        for test, in_body in guards:
            kind = _emptiness(test, owner, attr)
            if kind == "other" or (kind is not None and (kind == "empty") == in_body):
                return  # initialisation (`if obj.x is None:`, `else` of `if obj.x:`)
        column = self.column(scope, owner, attr)
        if column is not None:
            fixable = len(stmt.targets) == 1 and column.container != "list"
            self.overwrites.append(Overwrite(stmt, target, f"{owner}.{attr}", column, fixable))

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
        fixable: bool = True,
    ) -> None:
        """`node` is what is changed: `obj.x[k]` (a key) or, `whole`, `obj.x` itself."""
        base = _column_root(node if whole else _container(node))
        # direct: a change of the column's dict itself, not of a value inside it
        direct = (whole and base is node) or (not whole and _container(node) is base)
        if isinstance(base, ast.Name):
            alias = scope.aliases.get(base.id)
            if alias is None:
                return
            alias.mutated = True
            if alias.plain and not alias.reported:
                target = ast.Attribute(ast.Name(alias.owner), alias.attr)
                self._lost(stmt, target, how, scope, inner=alias.inner or not direct)
                alias.reported = True
            return
        if not (isinstance(base, ast.Attribute) and isinstance(base.value, ast.Name)):
            return
        fix = None
        single = isinstance(stmt, ast.Assign) and len(stmt.targets) == 1
        if fixable and direct and (single or call is not None):
            fix = _fix_kind(stmt, call)
        elif fixable and single and not whole and _defaulted(_container(node), base):
            fix = _fix_kind(stmt, None, "json-setdefault-key")
        self._lost(stmt, base, how, scope, fix, inner=not direct)

    def _lost(
        self,
        stmt: ast.stmt,
        target: ast.Attribute,
        how: str,
        scope: _Function,
        fix: str | None = None,
        *,
        inner: bool = False,
    ) -> None:
        if not isinstance(target.value, ast.Name):
            return
        owner, attr = target.value.id, target.attr
        if (owner, attr) in scope.flagged or self._renewed(scope, owner, attr, inner):
            return
        column = self.column(scope, owner, attr)
        if column is None or column.kind != JSON:
            return
        if column.container != "dict":
            fix = None  # a new dict is right only for a dict column
        guard = scope.guarded.get((owner, attr))
        if guard is not None and guard < stmt.lineno and not inner and how.endswith(")"):
            note = f"the guard on line {guard} assigns a new dict only where none was stored"
            how = f"{how[:-1]}; {note})"
        self.mutations.append(Mutation(stmt, f"{owner}.{attr}", how, column, fix))


# helpers ---------------------------------------------------------------------------------
Guard = tuple[ast.expr, bool]
"""An enclosing `if` test, and whether the statement is in its body (else: `else`)."""


def _guards(flow: Flow) -> tuple[Guard, ...]:
    """The `if` tests around a statement (a compound statement that is not an
    `if`, a loop, `with` or `try`, stands as `_BLOCK`)."""
    return tuple(
        (stmt.test, part == "body") if isinstance(stmt, ast.If) else (_BLOCK, True)
        for stmt, part in flow
    )


_BLOCK = ast.Constant(True)
"""Stands for a compound statement that is not an `if` (a loop, `with`, `try`)."""


def _qualname(scope: Scope) -> str:
    """`Outer.Inner` of a class scope (the classes it is nested in, up to a
    function or the module)."""
    names: list[str] = []
    current: Scope | None = scope
    while current is not None and current.kind == "class":
        names.append(getattr(current.node, "name", ""))
        current = current.parent
    return ".".join(reversed(names))


def _emptiness(test: ast.expr, owner: str, attr: str) -> str | None:
    """`empty` (`obj.x is None`, `not obj.x`, `obj.x == {}`), `set` (`obj.x`,
    `obj.x is not None`), `other` (another test that reads it) or None."""

    def is_it(node: ast.expr) -> bool:
        return (
            isinstance(node, ast.Attribute)
            and node.attr == attr
            and isinstance(node.value, ast.Name)
            and node.value.id == owner
        )

    if is_it(test):
        return "set"
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not) and is_it(test.operand):
        return "empty"
    if isinstance(test, ast.Compare) and is_it(test.left) and len(test.ops) == 1:
        right = test.comparators[0]
        nothing = (isinstance(right, ast.Constant) and right.value is None) or (
            isinstance(right, ast.Dict) and not right.keys
        )
        if nothing and isinstance(test.ops[0], (ast.Is, ast.Eq)):
            return "empty"
        if nothing and isinstance(test.ops[0], (ast.IsNot, ast.NotEq)):
            return "set"
    if (owner, attr) in _attributes(test):
        return "other"
    return None


def _exits(body: list[ast.stmt]) -> bool:
    return bool(body) and isinstance(body[-1], (ast.Return, ast.Raise, ast.Continue, ast.Break))


def _init_helpers(cls: ast.ClassDef) -> frozenset[str]:
    """Private methods called only from `__init__` (`self._clean()`): there,
    `self` is still being built."""
    methods = [stmt for stmt in cls.body if isinstance(stmt, _FUNCTIONS)]
    init = next((m for m in methods if m.name == "__init__"), None)
    if init is None:
        return frozenset()
    candidates = {
        node.func.attr
        for node in own_nodes(init.body)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and isinstance(node.func.value, ast.Name)
        and node.func.value.id == "self"
        and node.func.attr.startswith("_")
        and not node.func.attr.startswith("__")
    }
    if not candidates:
        return frozenset()
    for method in methods:
        if method is init:
            continue
        for node in own_nodes(method.body):
            if (
                isinstance(node, ast.Attribute)
                and node.attr in candidates
                and isinstance(node.value, ast.Name)
                and node.value.id == "self"
            ):
                candidates.discard(node.attr)
    return frozenset(candidates)


def _attributes(node: ast.expr) -> set[tuple[str, str]]:
    return {
        (child.value.id, child.attr)
        for child in ast.walk(node)
        if isinstance(child, ast.Attribute) and isinstance(child.value, ast.Name)
    }


def _column_root(node: ast.expr) -> ast.expr:
    """`obj.x["a"].get("b")`, `obj.x.setdefault(k, [])` -> `obj.x`: what a value
    inside a column is reached from."""
    while True:
        if isinstance(node, ast.Subscript):
            node = node.value
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in _THROUGH
        ):
            node = node.func.value
        else:
            return node


def _chain_calls(node: ast.expr) -> set[int]:
    """The ids of the calls `_column_root` goes through from `node`."""
    out: set[int] = set()
    while True:
        if isinstance(node, ast.Subscript):
            node = node.value
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in _THROUGH
        ):
            out.add(id(node))
            node = node.func.value
        else:
            return out


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


def _fix_kind(stmt: ast.stmt, call: ast.Call | None, kind: str = "json-set-key") -> str | None:
    """A new dict can replace a key set with a plain key (`obj.x[k] = v`, also
    `obj.x.setdefault(k, {})[j] = v`: `kind`) whose target is written on one
    line (the value is kept as written), or, written on one line, an `update`
    with a dict literal or keywords, or a `setdefault` whose value is not used."""
    if call is None:
        target = stmt.targets[0] if isinstance(stmt, ast.Assign) else None
        if (
            isinstance(target, ast.Subscript)
            and isinstance(target.slice, _SIMPLE_KEYS)
            and (target.end_lineno or target.lineno) == stmt.lineno
        ):
            return kind  # a comment inside the target would be lost
        return None
    if stmt.lineno != (stmt.end_lineno or stmt.lineno):
        return None  # a new statement would lose the comments inside it
    if not (
        isinstance(call.func, ast.Attribute) and isinstance(stmt, ast.Expr) and stmt.value is call
    ):
        return None
    if (
        call.func.attr == "update"
        and len(call.args) <= 1
        and all(isinstance(a, ast.Dict) for a in call.args)
        and (call.args or call.keywords)
        and all(kw.arg is not None for kw in call.keywords)
    ):
        return "json-update"
    if call.func.attr == "setdefault" and 1 <= len(call.args) <= 2 and not call.keywords:
        return "json-setdefault"
    return None


def _defaulted(node: ast.expr, base: ast.expr) -> bool:
    """`obj.x.setdefault(k, {...})` (`base` is `obj.x`): the key set on its value
    has a certain fix."""
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "setdefault"
        and node.func.value is base
        and len(node.args) == 2
        and not node.keywords
        and isinstance(node.args[0], _SIMPLE_KEYS)  # read twice by the fix
        and isinstance(node.args[1], ast.Dict)
    )


def _shallow_copy(value: ast.expr) -> bool:
    """A new dict whose values are those of the dicts it is made from: a dict
    literal (`{**obj.x, k: v}`), `dict(...)`, `x.copy()`, `copy.copy(...)`, `x | y`.
    (A model's `model_dump()`, `copy.deepcopy(...)` or a call of another function
    is taken for a new value all the way down.)"""
    if isinstance(value, (ast.Dict, ast.BinOp)):
        return True
    if not isinstance(value, ast.Call):
        return False
    func = value.func
    if isinstance(func, ast.Attribute) and func.attr == "copy" and not value.args:
        return True  # `obj.x.copy()`, `(obj.x or {}).copy()`
    return dotted(func) in {"dict", "copy.copy", "copy"}


def merge_fix(ctx: FileContext, stmt: ast.stmt, target: str, kind: str) -> Fix:
    """The unsafe fix that turns a statement into `target = {**(target or {}), ...}`."""
    end_line, end_col = stmt.end_lineno or stmt.lineno, stmt.end_col_offset or 0
    return Fix(
        title=f"Merge into a new dict: `{target} = {{**({target} or {{}}), ...}}`",
        safe=False,
        kind=kind,
        line=stmt.lineno,
        column=ctx.char_col(stmt.lineno, stmt.col_offset) + 1,
        end_line=end_line,
        end_column=ctx.char_col(end_line, end_col) + 1,
        data={"target": target},
    )


def mentions_json_attribute(ctx: FileContext) -> bool:
    """Whether the file spells `.x` for some attribute `x` that an ORM class of the
    project maps to a JSON column (nothing else can be judged)."""
    found = ctx.memo.get("json-attributes")
    if found is None:
        pattern = _attribute_pattern(ctx.index.data.json_attribute_names)
        found = pattern is not None and pattern.search(ctx.source) is not None
        ctx.memo["json-attributes"] = found
    return bool(found)


@lru_cache(maxsize=4)
def _attribute_pattern(names: frozenset[str]) -> re.Pattern[bytes] | None:
    """`.x` for any of the names, or None for none: one search, which the regex
    engine runs from each `.` only (half the cost of a scan of the file per name)."""
    if not names:
        return None
    return re.compile(rb"\.(?:" + b"|".join(re.escape(n.encode()) for n in sorted(names)) + rb")")


def analysis(ctx: FileContext, tree: ast.Module) -> DataAnalysis:
    """The file's data analysis, computed once for ARC406 and ARC407."""
    found = ctx.memo.get("data")
    if found is None:
        found = DataAnalysis(ctx, tree)
        ctx.memo["data"] = found
    assert isinstance(found, DataAnalysis)
    return found
