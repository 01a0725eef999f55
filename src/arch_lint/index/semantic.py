"""The semantic model of one file: the one answer every tree rule gets to "what
is this name here", and the one walk of its statements.

Built from the standard `ast` in one walk of the statements, in source order
(expressions are read only for `:=`, and only in a file that spells it); a
function's body is walked when something first asks about it (see
`SemanticModel`):

- **scopes**: the module, each class and each function (a lambda or a
  comprehension holds no statement; names they bind are counted by
  `Scope.stores`); `global` and `nonlocal` send a function's bindings of a
  name to the scope that holds it;
- **bindings**: every name a statement binds, with how (an import and its
  origin, a parameter and its annotation, an assignment and its value, a
  walrus, a `def`/`class`, or a value that cannot be told: a loop target, an
  unpacking, `with … as`, `except … as`, a match capture), its line and the
  block it stands in;
- **sites**: every statement with its scope, its block path and its *flow*:
  the compound statements around it within its function (outermost first),
  each with the part the statement sits in (`body`, `orelse`, `finalbody`, an
  except handler, a match case) — from which a rule reads branch guards
  (`if x is None:`), `with` blocks entered and left, and loops;
- **value kinds** where they are certain: a dict literal and its growth in
  place, the class a value is an instance of, what `__init__` sets on `self`.

A *block path* is a tuple of block ids, one per block entered from the module
down; a binding made in block `b` is surely bound at a use whose path starts
with `b`'s path and that comes after it (`Scope.lookup`). A name set in an
`if` branch, a loop body, an `except` handler or a `try` body is therefore not
sure to be bound after that statement, which is what a rule that proposes a
fix needs; one set in a `with` body (not `suppress(...)`'s) or a `finally` is,
and so is one set in a `try` body when every handler leaves (returns, raises)
and in the `try`'s `else`. `Scope.latest` gives the last binding on any path,
for rules that only ask what a name may hold.

Import origins are resolved in one place (`bound_by_import`, `Scope.origin`):
`import sqlalchemy as sa` makes `sa.text` mean `sqlalchemy.text`, also when
the import sits in a function. The index's fact extraction uses the same
`bound_by_import` for its flat, whole-file table.
"""

from __future__ import annotations

import ast
import weakref
from bisect import bisect_right
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from typing import Any, Literal

from arch_lint.index.models import dotted, unquote
from arch_lint.index.walk import (
    MarkedLines,
    assignment,
    own_nodes,
    own_statements,
    target_names,
    walk_stack,
)

IMPORT = "import"
PARAM = "param"
ASSIGN = "assign"
DEF = "def"
CLASS = "class"
UNKNOWN = "unknown"
"""A binding whose value cannot be told: a loop target, an unpacking, `with … as`,
`except … as`, an augmented assignment."""

ScopeKind = Literal["module", "class", "function"]
Flow = tuple[tuple[ast.stmt, "str | ast.AST"], ...]
"""The compound statements around a statement within its function, outermost
first, each with the part the statement sits in: `body`/`orelse`/`finalbody`,
an except handler or a match case."""

_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)
_LOOPS = (ast.For, ast.AsyncFor, ast.While)
_BODIES = ("body", "orelse", "finalbody", "handlers", "cases")
_TRY = (ast.Try, ast.TryStar) if hasattr(ast, "TryStar") else (ast.Try,)
_DEFERRED = (*_FUNCTIONS, ast.Lambda, ast.ClassDef)
_DEFERRED_TYPES = frozenset(_DEFERRED)
_SCOPES = frozenset({*_FUNCTIONS, ast.ClassDef})
_COMPOUND = frozenset(
    {ast.If, ast.For, ast.AsyncFor, ast.While, ast.With, ast.AsyncWith, ast.Match, *_TRY}
)
_HEADED = frozenset({*_COMPOUND, *_FUNCTIONS, ast.ClassDef})
"""Statements whose header is not the whole statement."""
_HEADER_FIELDS: dict[type[ast.AST], tuple[str, ...]] = {}
"""Compound statement type -> its fields other than the blocks it holds."""
_INERT = frozenset(
    {ast.Expr, ast.Return, ast.Pass, ast.Raise, ast.Assert, ast.Break, ast.Continue,
     ast.Global, ast.Nonlocal, ast.AugAssign}
)  # fmt: skip
"""Statements that bind no name and hold no block (`x += 1` keeps the binding of `x`;
what it holds grows)."""


@dataclass(slots=True)
class Binding:
    """One binding of a name by one statement."""

    kind: str
    """`import`, `param`, `assign`, `def`, `class` or `unknown`."""
    line: int
    """The line it takes effect after (a loop target's is the line before the loop)."""
    path: tuple[int, ...]
    """The block it is made in."""
    value: ast.expr | None = None
    """`assign`: the value (one target, or every target of `a = b = value`)."""
    annotation: ast.expr | None = None
    """`param` and annotated assignments: the annotation as written."""
    origin: str | None = None
    """`import`: the dotted name it binds (`sqlalchemy.text`); None for a
    relative import."""
    type_checking: bool = False
    """Made under `if TYPE_CHECKING:` (an import that never runs)."""
    fallback: bool = False
    """Made where it stands in for another binding: in an `except` handler
    (`except ImportError: x = None`) or the `else` of `if TYPE_CHECKING:`."""
    node: ast.AST | None = None
    """`def` and `class`: the statement."""


def bound_by_import(stmt: ast.Import | ast.ImportFrom) -> list[tuple[str, str | None]]:
    """The names an import statement binds, with their dotted origin (None for
    a relative import; `*` binds nothing that can be named)."""
    if type(stmt) is ast.Import:
        out: list[tuple[str, str | None]] = []
        for alias in stmt.names:
            if alias.asname:
                out.append((alias.asname, alias.name))
            else:
                head = alias.name.split(".", 1)[0]
                out.append((head, head))
        return out
    # a list, not a generator: a statement binds a name or two
    module = stmt.module if stmt.level == 0 else None  # type: ignore[union-attr]
    return [
        (alias.asname or alias.name, f"{module}.{alias.name}" if module else None)
        for alias in stmt.names
        if alias.name != "*"
    ]


def resolve(origin_of_head: str | None, written: str) -> str | None:
    """`sa.orm.Session` with `sa` from `sqlalchemy` -> `sqlalchemy.orm.Session`."""
    if origin_of_head is None:
        return None
    _, _, rest = written.partition(".")
    return f"{origin_of_head}.{rest}" if rest else origin_of_head


class Scope:
    """A module, class or function, with the names its statements bind."""

    __slots__ = (
        "_around", "_bindings", "_deleted", "_pending", "_stores", "declared", "kind", "node",
        "parent", "path",
    )  # fmt: skip

    def __init__(
        self, kind: ScopeKind, node: ast.AST, parent: Scope | None, path: tuple[int, ...]
    ) -> None:
        self.kind = kind
        self.node = node
        self.parent = parent
        self.path = path
        """The block path of the scope's body."""
        self._bindings: dict[str, list[Binding]] = {}
        self.declared: dict[str, Scope] = {}
        """`global x` / `nonlocal x`: the scope that holds this function's bindings of `x`."""
        self._deleted: list[tuple[str, int, tuple[int, ...]]] = []
        self._pending: tuple[weakref.ref[SemanticModel], bool] | None = None
        """A function whose body is not read yet: (its model, under `TYPE_CHECKING`).
        The model reads it when something asks (`SemanticModel._expand`); until
        then the scope holds its parameters only. A weak reference: the model
        holds its scopes, and a cycle would outlive the file (no collector runs)."""
        self._stores: dict[str, int] | None = None
        self._around: tuple[Scope, ...] | None = None

    @property
    def bindings(self) -> dict[str, list[Binding]]:
        """Name -> its bindings in source order."""
        if self._pending is not None:
            self._expand()
        return self._bindings

    @property
    def deleted(self) -> list[tuple[str, int, tuple[int, ...]]]:
        """(name or attribute path, line, block path) of each `del` target."""
        if self._pending is not None:
            self._expand()
        return self._deleted

    def _expand(self) -> None:
        """Read the function's body (it was left for when it is asked about)."""
        pending = self._pending
        assert pending is not None
        model = pending[0]()
        if model is None:  # never: a scope is asked about while its file is checked
            raise LookupError(f"the semantic model of {self!r} is gone")
        model._expand(self)

    def __repr__(self) -> str:
        name = getattr(self.node, "name", "<module>")
        return f"Scope({self.kind} {name})"

    def params(self) -> dict[str, ast.expr | None]:
        """Parameter -> its annotation (functions only)."""
        # bound before the body is read, and first: the body need not be read
        return {
            name: found[0].annotation
            for name, found in self._bindings.items()
            if found and found[0].kind == PARAM
        }

    def visible(self) -> tuple[Scope, ...]:
        """This scope and the enclosing ones whose names it sees (as Python does:
        a class body's names are not visible from its methods), nearest first."""
        around = self._around
        if around is None:  # asked for at every look-up: the scopes around never change
            found: list[Scope] = []
            scope = self.parent
            while scope is not None:
                if scope.kind != "class":
                    found.append(scope)
                scope = scope.parent
            # the enclosing scopes only: a scope that held itself would make a
            # cycle, which the disabled collector never frees
            around = self._around = tuple(found)
        return (self, *around)

    def function(self) -> Scope | None:
        """The nearest enclosing function scope (this one if it is one)."""
        scope: Scope | None = self
        while scope is not None and scope.kind != "function":
            scope = scope.parent
        return scope

    def lookup(
        self, name: str, line: int, path: tuple[int, ...], functions_only: bool = False
    ) -> Binding | None:
        """The binding of `name` surely in effect at `line` on block `path`: the last
        one made before it in the same block or an enclosing one, in the nearest
        visible scope that has one (`functions_only`: in function scopes only)."""
        if self._pending is not None:
            self._expand()  # the scopes around a scope are read before it is made
        for scope in self.visible():
            if functions_only and scope.kind != "function":
                continue
            best: Binding | None = None
            for binding in scope._bindings.get(name, ()):
                if (
                    binding.line < line
                    and path[: len(binding.path)] == binding.path
                    and (best is None or binding.line >= best.line)
                ):
                    best = binding
            if best is not None:
                return best
        return None

    def latest(self, name: str, line: int) -> Binding | None:
        """The last binding of `name` in this scope before `line`, on any path
        (what the name may hold there)."""
        best: Binding | None = None
        for binding in self.bindings.get(name, ()):
            if binding.line < line and (best is None or binding.line >= best.line):
                best = binding
        return best

    def rebound(self, name: str, after: int, line: int, path: tuple[int, ...]) -> bool:
        """Whether this scope binds `name` between lines `after` and `line` on `path`."""
        return any(
            after < b.line < line and path[: len(b.path)] == b.path
            for b in self.bindings.get(name, ())
        )

    def names(self, functions_only: bool = False) -> list[str]:
        """The names bound in the visible scopes, nearest scope first."""
        out: list[str] = []
        for scope in self.visible():
            if functions_only and scope.kind != "function":
                continue
            out += scope.bindings
        return out

    def origin(self, written: str) -> str | None:
        """The dotted import origin of a name as written here (`sa.text` ->
        `sqlalchemy.text`), or None when its head is not an import: the nearest
        visible scope that binds the head decides; an import there wins over a
        fallback assigned in an `except` handler or under `TYPE_CHECKING`'s
        `else`."""
        head = written.partition(".")[0]
        if self._pending is not None:
            self._expand()  # (see `lookup`)
        for scope in self.visible():
            found = scope._bindings.get(head)
            if not found:
                continue
            last: Binding | None = None  # the last import (plain loops: asked for often)
            for binding in found:
                if binding.kind == IMPORT:
                    last = binding
            if last is None:
                return None
            after = last.line
            for binding in found:
                if binding.line > after and binding.kind != IMPORT and not binding.fallback:
                    return None  # bound again to something else after the import
            return resolve(last.origin, written)
        return None

    def stores(self, name: str) -> int:
        """How many times the scope's own code binds `name` (assignments, loop and
        `with` targets, walrus, comprehension targets, parameters), counted on
        first use."""
        if self._stores is None:
            counts: dict[str, int] = {}
            node = self.node
            if isinstance(node, (*_FUNCTIONS, ast.Lambda)):
                args = node.args
                for arg in [
                    *args.posonlyargs,
                    *args.args,
                    *args.kwonlyargs,
                    args.vararg,
                    args.kwarg,
                ]:
                    if arg is not None:
                        counts[arg.arg] = counts.get(arg.arg, 0) + 1
            body = getattr(node, "body", None)
            if isinstance(body, list):
                for child in own_nodes(body):
                    if isinstance(child, ast.Name) and isinstance(child.ctx, ast.Store):
                        counts[child.id] = counts.get(child.id, 0) + 1
            self._stores = counts
        return self._stores.get(name, 0)

    def string_constant(self, name: str) -> str | None:
        """The string a name holds where it is read, when the nearest visible
        scope that binds it binds it exactly once, to a string literal."""
        for scope in self.visible():
            found = scope.bindings.get(name)
            if not found and not scope.stores(name):
                continue
            if found and len(found) == 1 and scope.stores(name) == 1:
                value = found[0].value
                if isinstance(value, ast.Constant) and isinstance(value.value, str):
                    return value.value
            return None
        return None


@dataclass(slots=True)
class Site:
    """One statement where it stands."""

    stmt: ast.stmt
    scope: Scope
    path: tuple[int, ...]
    flow: Flow

    def header(self) -> list[ast.AST]:
        """What the statement evaluates itself, where it stands: all of a simple
        statement; the test, iterable, items or subject of a compound one, its
        `except` clauses' types and its `case` patterns and guards (not the
        statements it holds); the decorators, parameters' defaults and
        annotations and the return annotation of a `def`; the decorators, bases
        and keywords of a `class`."""
        return _header_of(self.stmt)

    def nodes(
        self, marks: MarkedLines | None = None, *, lambdas: bool = False
    ) -> Iterator[ast.AST]:
        """The nodes of the header (`marks`: only of the parts that span a marked
        line); a lambda's body runs later, if at all, and is entered only with
        `lambdas`. Nested `def`s and classes are their own sites."""
        roots = _header_of(self.stmt)
        if marks is not None:
            roots = [root for root in roots if marks.marks(root)]
        # one stack for all the roots, the first on top: each root's nodes come
        # before the next root's
        roots.reverse()
        return walk_stack(roots, _SCOPES if lambdas else _DEFERRED_TYPES)

    def preceded_by(self, done: Callable[[ast.stmt], bool]) -> bool:
        """Whether every path from the start of the statement's function (or
        module) to it runs a statement for which `done` holds: one before it in
        its block or in a block around it, or a compound statement every way
        through which runs one (an `if` whose branches each run one or leave, a
        `with` body, a `try` whose body and handlers each run one or leave, or
        its `finally`). A loop's body may not run; a class body is not judged."""
        if self.scope.kind == "class":
            return False
        block: list[ast.stmt] = getattr(self.scope.node, "body", [])
        for stmt, part in (*self.flow, (self.stmt, "")):
            for earlier in block:
                if earlier is stmt:
                    break
                if _runs(earlier, done):
                    return True
            if stmt is self.stmt:
                return False
            if isinstance(stmt, _TRY) and part == "orelse" and _runs_in(stmt.body, done):
                return True  # a `try`'s `else` runs after its body ran to its end
            found = getattr(part, "body", None) if isinstance(part, ast.AST) else None
            block = found if found is not None else getattr(stmt, str(part), [])
        return False


def _runs(stmt: ast.stmt, done: Callable[[ast.stmt], bool]) -> bool:
    """Whether every way through `stmt` that goes on after it runs a statement
    for which `done` holds (see `Site.preceded_by`)."""
    if done(stmt):
        return True
    if isinstance(stmt, ast.If):
        return bool(stmt.orelse) and _runs_in(stmt.body, done) and _runs_in(stmt.orelse, done)
    if isinstance(stmt, (ast.With, ast.AsyncWith)):
        return not any(_suppresses(i.context_expr) for i in stmt.items) and _runs_in(
            stmt.body, done
        )
    if isinstance(stmt, _TRY):
        return _runs_in(stmt.finalbody, done) or (
            _runs_in(stmt.body, done) and all(_runs_in(h.body, done) for h in stmt.handlers)
        )
    return False


def _runs_in(body: list[ast.stmt], done: Callable[[ast.stmt], bool]) -> bool:
    """Whether a block runs such a statement on every way to its end (a block
    that leaves before its end goes on nowhere)."""
    return any(_runs(stmt, done) or _leaves([stmt]) for stmt in body)


def _header_of(stmt: ast.stmt) -> list[ast.AST]:
    """See `Site.header`."""
    kind = type(stmt)
    if kind not in _HEADED:  # a simple statement (the most frequent)
        return [stmt]
    if isinstance(stmt, _FUNCTIONS):
        args = stmt.args
        every = [*args.posonlyargs, *args.args, args.vararg, *args.kwonlyargs, args.kwarg]
        annotations = [a.annotation for a in every if a is not None and a.annotation]
        defaults = [d for d in (*args.defaults, *args.kw_defaults) if d is not None]
        return [*stmt.decorator_list, *defaults, *annotations, *filter(None, [stmt.returns])]
    if isinstance(stmt, ast.ClassDef):
        return [*stmt.decorator_list, *stmt.bases, *stmt.keywords]
    out: list[ast.AST] = []
    fields = _HEADER_FIELDS.get(kind)
    if fields is None:
        fields = _HEADER_FIELDS[kind] = tuple(f for f in kind._fields if f not in _BODIES)
    for name in fields:
        value = getattr(stmt, name)
        for node in value if isinstance(value, list) else [value]:
            if isinstance(node, ast.AST):
                out.append(node)
    for handler in getattr(stmt, "handlers", ()):
        if handler.type is not None:
            out.append(handler.type)
    for case in getattr(stmt, "cases", ()):
        out.append(case.pattern)
        if case.guard is not None:
            out.append(case.guard)
    return out


_Placed = tuple[ast.stmt, tuple[int, ...], Flow]
"""A statement read, where it stands (its block path and flow): a `Site` once asked
for (a tuple is cheaper to make, and most statements are never asked for)."""

_LAST: list[Any] = []
"""[tree, model]: the last model `SemanticModel.of` built."""


class SemanticModel:
    """Scopes, bindings and the ordered statements of one parsed file.

    A function's body is read when something asks about it (its statements,
    its bindings, its nested scopes), not before: most readers ask about the
    few functions that span a line they look for (`marked`). The module and
    class bodies are read at once; so is every body of a file that spells
    `global` or `nonlocal` (a function's statements may bind another scope's
    names there). Block ids are numbered in the order blocks are read: they
    tell blocks apart, not where they stand."""

    def __init__(self, tree: ast.Module, source: bytes | None = None) -> None:
        self.tree = tree
        self._walrus = source is None or b":=" in source
        """Whether a statement may bind with `:=` (its expressions are then read)."""
        self._declares = source is None or b"global" in source or b"nonlocal" in source
        """Whether a function may declare `global x` / `nonlocal x` (then every body
        is read at once)."""
        self._ref = weakref.ref(self)
        self.module = Scope("module", tree, None, (0,))
        self._scopes: dict[int, Scope] = {id(tree): self.module}
        """`id(node)` of a module, class or function -> its scope, made as the
        statement that opens it is read."""
        self._own: dict[int, list[_Placed]] = {id(self.module): []}
        """`id(scope)` -> the statements of its own code in source order (filled as
        its body is read)."""
        self._made: dict[int, list[Site]] = {}
        """`id(scope)` -> the `Site`s of its statements, made when first asked for
        (`marked` makes only the ones it gives: most statements are not)."""
        self.loops: set[int] = set()
        """Ids of the blocks that are loop bodies (of the bodies read so far: a
        site's blocks are all read)."""
        self._blocks = 0
        self._sites: list[Site] | None = None
        self._ordered: dict[int, Scope] | None = None
        self._functions: list[Scope] | None = None
        self._lines: dict[int, list[int]] = {}
        self._attributes: dict[int, dict[str, tuple[ast.expr, Site]]] = {}
        self._body(tree.body, self.module, (0,), (), False, False)

    @classmethod
    def of(cls, tree: ast.Module, source: bytes | None = None) -> SemanticModel:
        """The model of `tree`, built once for the fact extraction and the rules
        of one file (the last one built is kept until another tree asks)."""
        last = _LAST
        if last and last[0] is tree:
            known: SemanticModel = last[1]
            return known
        model = cls(tree, source)
        last[:] = [tree, model]
        return model

    @staticmethod
    def forget(tree: ast.Module | None) -> None:
        """Let go of the model `of` keeps for `tree` (its file is checked)."""
        if _LAST and _LAST[0] is tree:
            _LAST.clear()

    @property
    def sites(self) -> list[Site]:
        """Every statement in source order (a nested function's right after its
        `def`): every body is read."""
        if self._sites is None:
            out: list[Site] = []
            self._flatten(self.module, out)
            self._sites = out
        return self._sites

    @property
    def scopes(self) -> dict[int, Scope]:
        """`id(node)` of a module, class or function -> its scope, in source order:
        every body is read."""
        if self._ordered is None:
            scopes = self._scopes
            ordered: dict[int, Scope] = {}
            stack = [self.module]
            while stack:
                scope = stack.pop()
                ordered[id(scope.node)] = scope
                inner = [scopes[id(p[0])] for p in self._placed(scope) if type(p[0]) in _SCOPES]
                inner.reverse()  # the first on top
                stack += inner
            self._ordered = ordered
        return self._ordered

    def _flatten(self, scope: Scope, out: list[Site]) -> None:
        """The statements of `scope` and of the scopes in it, in source order."""
        scopes = self._scopes
        for site in self.sites_of(scope):
            out.append(site)
            if type(site.stmt) in _SCOPES:
                self._flatten(scopes[id(site.stmt)], out)

    def scope_of(self, node: ast.AST) -> Scope | None:
        """The scope a module, class or function node opens."""
        found = self._scopes.get(id(node))
        if found is None and type(node) in _SCOPES and self._ordered is None:
            found = self.scopes.get(id(node))  # in a body not read yet: read them all
        return found

    def functions(self) -> Iterator[Scope]:
        """The function scopes in source order (a body is read only to find the
        scopes in it, where it has some). The list is kept once a caller has
        gone through all of them (some readers ask once per name)."""
        if self._functions is not None:
            yield from self._functions
            return
        found: list[Scope] = []
        scopes = self._scopes
        stack = [self.module]
        while stack:
            scope = stack.pop()
            if scope.kind == "function":
                yield scope
                found.append(scope)
                node = scope.node
                assert isinstance(node, _FUNCTIONS)
                if scope._pending is not None and not _holds_scopes(node.body):
                    continue
            inner = [scopes[id(p[0])] for p in self._placed(scope) if type(p[0]) in _SCOPES]
            inner.reverse()  # the first on top
            stack += inner
        self._functions = found  # some readers ask once per name

    def marked(self, marks: MarkedLines) -> Iterator[Site]:
        """The statements that span a marked line (the only ones worth walking
        for calls the marks spell), in source order (a function's body is read
        only when its `def` spans one)."""
        following = marks.following()
        size = len(following)
        scopes = self._scopes
        made = self._made
        # the scopes entered (each with its statements and where the walk stands in
        # them), innermost last
        entered: list[tuple[Scope, list[_Placed], list[int], int]] = []
        scope = self.module
        placed = self._placed(scope)
        lines = self._first_lines(scope)
        at, end = 0, len(placed)
        while True:
            if at == end:
                if not entered:
                    return
                scope, placed, lines, at = entered.pop()
                end = len(placed)
                continue
            first = lines[at]
            if first >= size:
                return  # in source order: no later statement spans a marked line
            stmt, path, flow = placed[at]
            last = stmt.end_lineno or first
            if following[first] <= last:
                sites = made.get(id(scope))
                yield sites[at] if sites is not None else Site(stmt, scope, path, flow)
                at += 1
                if type(stmt) in _SCOPES:
                    # its statements come next, then the ones after it
                    entered.append((scope, placed, lines, at))
                    scope = scopes[id(stmt)]
                    placed = self._placed(scope)
                    lines = self._first_lines(scope)
                    at, end = 0, len(placed)
            elif type(stmt) in _HEADED:
                # none of the statements it holds spans a marked line either: they
                # are the ones that start on its lines (a statement after it starts
                # on a later line, as a compound statement ends its line)
                at = bisect_right(lines, last, at + 1)
            else:
                at += 1

    def _first_lines(self, scope: Scope) -> list[int]:
        """The first line of each statement of a scope's own code (asked for by
        several readers of the file)."""
        found = self._lines.get(id(scope))
        if found is None:
            found = self._lines[id(scope)] = [placed[0].lineno for placed in self._placed(scope)]
        return found

    def sites_in(self, node: ast.AST) -> list[Site]:
        """The statements inside a class or function (at any depth) that start
        after its first line, in source order."""
        first = getattr(node, "lineno", 0)
        scope = self._scopes.get(id(node))
        if scope is None:
            lines = [site.stmt.lineno for site in self.sites]
            last = getattr(node, "end_lineno", None) or first
            return self.sites[bisect_right(lines, first) : bisect_right(lines, last)]
        out: list[Site] = []
        self._flatten(scope, out)
        # a statement on the line of the `class`/`def` stands after its colon
        return [site for site in out if site.stmt.lineno > first]

    def sites_of(self, scope: Scope) -> list[Site]:
        """The statements of one scope's own code, in source order (a nested
        `def` or `class` statement is one, its body is not)."""
        key = id(scope)
        sites = self._made.get(key)
        if sites is None:
            sites = self._made[key] = [
                Site(stmt, scope, path, flow) for stmt, path, flow in self._placed(scope)
            ]
        return sites

    def _placed(self, scope: Scope) -> list[_Placed]:
        """The statements of one scope's own code, where they stand (its body is
        read if it was not)."""
        if scope._pending is not None:
            scope._expand()
        return self._own.get(id(scope), [])

    def _expand(self, scope: Scope) -> None:
        """Read a function's body (`Scope._pending`)."""
        pending = scope._pending
        assert pending is not None
        scope._pending = None
        node = scope.node
        assert isinstance(node, _FUNCTIONS)
        self._body(node.body, scope, scope.path, (), pending[1], False)

    # value kinds --------------------------------------------------------------------------
    def dict_value(
        self, name: str, scope: Scope, line: int, path: tuple[int, ...], *, sure: bool = True
    ) -> DictValue | None:
        """The dict `name` holds at `line`: bound to a dict literal (or `dict(...)`)
        in `scope` and grown in place after it in the same scope (`sure`: the
        binding is certain on `path`; else the last one on any path)."""
        binding = scope.lookup(name, line, path) if sure else scope.latest(name, line)
        if binding is None or binding.kind != ASSIGN or not is_dict(binding.value):
            return None
        literal = binding.value
        assert isinstance(literal, (ast.Dict, ast.Call))
        keys, complete = _dict_keys(literal)
        grown_complete = True
        growth: list[ast.stmt] = []
        owner = next((s for s in scope.visible() if name in s.bindings), scope)
        for site in self.sites_of(owner):
            stmt = site.stmt
            if not binding.line < stmt.lineno < line:
                continue
            grown = _grows(stmt, name)
            if grown is None:
                continue
            growth.append(stmt)
            more, known = grown
            keys += tuple(k for k in more if k not in keys)
            grown_complete = grown_complete and known
        complete = complete and grown_complete
        return DictValue(literal, binding, tuple(growth), keys, complete, grown_complete)

    def instance_of(
        self, node: ast.expr, scope: Scope, line: int, path: tuple[int, ...], depth: int = 0
    ) -> str | None:
        """The class (as written, dotted) an expression is certainly an instance
        of: a constructor call of a class (one defined here or a capitalised
        imported name), `Cls.model_validate*(...)` (also `Cls[X]`), a call of a
        function here whose return annotation names a class, a name bound to one
        of those or annotated with a class, or `self.x` set so in `__init__`."""
        if depth > 4:
            return None
        awaited = isinstance(node, ast.Await)
        if isinstance(node, ast.Await):
            node = node.value
        if isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Attribute) and func.attr in _VALIDATORS:
                base = func.value.value if isinstance(func.value, ast.Subscript) else func.value
                return self._class_named(base, scope)
            cls = self._class_named(func, scope)
            if cls is not None:
                return cls
            written = dotted(func)
            binding = _binding_of(scope, written) if written and "." not in written else None
            if binding is None or binding.kind != DEF:
                return None
            function = binding.node
            if isinstance(function, ast.AsyncFunctionDef) != awaited:
                return None  # an async function's call is a coroutine until awaited
            returns = getattr(function, "returns", None)
            return self._class_named(returns, scope) if returns is not None else None
        if isinstance(node, ast.Name):
            found = scope.lookup(node.id, line, path)
            if found is None:
                return None
            owner = _owner(scope, node.id, found)
            if owner.latest(node.id, line) is not found:
                return None  # bound to something else on another path since
            if found.annotation is not None:
                cls = self._class_named(found.annotation, scope)
                if cls is not None:
                    return cls
            if found.kind == ASSIGN and found.value is not None:
                return self.instance_of(found.value, scope, found.line, path, depth + 1)
            return None
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id == "self"
        ):
            cls_scope = enclosing_class(scope)
            if cls_scope is None:
                return None
            set_in_init = self.self_attributes(cls_scope).get(node.attr)
            if set_in_init is None:
                return None
            value, site = set_in_init
            return self.instance_of(value, site.scope, site.stmt.lineno, site.path, depth + 1)
        return None

    def self_attributes(self, cls: Scope) -> dict[str, tuple[ast.expr, Site]]:
        """`self.<attr> = value` statements of the class's `__init__` (the last one
        of each attribute), with where each stands."""
        known = self._attributes.get(id(cls))
        if known is None:
            known = self._attributes[id(cls)] = self._self_attributes(cls)
        return known

    def _self_attributes(self, cls: Scope) -> dict[str, tuple[ast.expr, Site]]:
        init = next(
            (
                b.node
                for b in cls.bindings.get("__init__", ())
                if b.kind == DEF and b.node is not None
            ),
            None,
        )
        owner = self.scope_of(init) if init is not None else None
        out: dict[str, tuple[ast.expr, Site]] = {}
        if owner is None:
            return out
        for site in self.sites_of(owner):
            assigned = assignment(site.stmt)
            if assigned is None:
                continue
            targets, value = assigned
            for target in targets:
                if (
                    isinstance(target, ast.Attribute)
                    and isinstance(target.value, ast.Name)
                    and target.value.id == "self"
                ):
                    out[target.attr] = (value, site)
        return out

    def _class_named(self, node: ast.expr | None, scope: Scope) -> str | None:
        """`node` as a class name: a class defined here, or an imported name in
        CapWords (`OrderPlacedV1`, not `make_order` or `MAKE_ENVELOPE`); a generic
        class's subscript and a quoted name count, `Optional[...]` and unions do
        not (the value may be None)."""
        if node is None:
            return None
        node = unquote(node)
        if isinstance(node, ast.Subscript):
            if (dotted(node.value) or "").rsplit(".", 1)[-1] in _NOT_CLASSES:
                return None
            node = node.value  # `EventEnvelope[OrderPlacedV1]`
        written = dotted(node)
        if written is None:
            return None
        binding = _binding_of(scope, written)
        if binding is None:
            return None
        if binding.kind == CLASS:
            return written
        last = written.rsplit(".", 1)[-1]
        if binding.kind == IMPORT and last[:1].isupper() and not last.isupper():
            return written
        return None

    # the walk -------------------------------------------------------------------------------
    # (it binds in the scope whose body it reads, or in one around it that `global` or
    # `nonlocal` names: all of them are read, so their `_bindings` are written directly)
    def _body(
        self,
        body: list[ast.stmt],
        scope: Scope,
        path: tuple[int, ...],
        flow: Flow,
        tc: bool,
        fallback: bool,
    ) -> None:
        placed = self._own[id(scope)]
        walrus = self._walrus
        for stmt in body:
            placed.append((stmt, path, flow))
            if walrus:
                self._named_expressions(stmt, scope, path, fallback)
            kind = type(stmt)
            if kind is ast.Assign:  # the most frequent statement, bound here (`_assign`)
                value = stmt.value  # type: ignore[attr-defined]
                line = stmt.lineno
                for target in stmt.targets:  # type: ignore[attr-defined]
                    if type(target) is ast.Name:
                        name = target.id
                        owner = scope.declared.get(name, scope) if scope.declared else scope
                        binding = Binding(ASSIGN, line, path, value, None, None, False, fallback)
                        found = owner._bindings.get(name)
                        if found is None:
                            owner._bindings[name] = [binding]
                        else:
                            found.append(binding)
                    else:
                        self._assign(scope, target, value, None, line, path, fallback)
            elif kind not in _INERT:
                read = _STATEMENTS.get(kind)
                if read is not None:
                    read(self, stmt, scope, path, flow, tc, fallback)

    def _bind(self, scope: Scope, name: str, binding: Binding) -> None:
        target = scope.declared.get(name, scope)  # `global x` / `nonlocal x`
        target._bindings.setdefault(name, []).append(binding)

    # one reader per kind of statement that binds or holds a block (`_STATEMENTS`), each
    # called as (model, statement, scope, path, flow, tc, fallback)
    def _function(
        self,
        stmt: ast.FunctionDef | ast.AsyncFunctionDef,
        scope: Scope,
        path: tuple[int, ...],
        flow: Flow,
        tc: bool,
        fallback: bool,
    ) -> None:
        line = stmt.lineno
        self._bind(
            scope, stmt.name, Binding(DEF, line, path, None, None, None, False, fallback, stmt)
        )
        self._blocks += 1
        inner_path = (*path, self._blocks)
        inner = Scope("function", stmt, scope, inner_path)
        self._scopes[id(stmt)] = inner
        self._own[id(inner)] = []
        args = stmt.args
        bindings = inner._bindings  # nothing is declared `global` in it yet
        for params in (args.posonlyargs, args.args, args.kwonlyargs):
            for arg in params:
                binding = Binding(PARAM, line, inner_path, None, arg.annotation)
                found = bindings.get(arg.arg)
                if found is None:
                    bindings[arg.arg] = [binding]
                else:
                    found.append(binding)
        for star in (args.vararg, args.kwarg):
            if star is not None:
                bindings.setdefault(star.arg, []).append(Binding(PARAM, line, inner_path))
        if self._declares:
            self._declare(stmt.body, inner)
            self._body(stmt.body, inner, inner_path, (), tc, False)
        else:
            inner._pending = (self._ref, tc)  # its body binds in it alone: read when asked

    def _class(
        self,
        stmt: ast.ClassDef,
        scope: Scope,
        path: tuple[int, ...],
        flow: Flow,
        tc: bool,
        fallback: bool,
    ) -> None:
        binding = Binding(CLASS, stmt.lineno, path, None, None, None, False, fallback, stmt)
        self._bind(scope, stmt.name, binding)
        self._blocks += 1
        inner_path = (*path, self._blocks)
        inner = Scope("class", stmt, scope, inner_path)
        self._scopes[id(stmt)] = inner
        self._own[id(inner)] = []
        self._body(stmt.body, inner, inner_path, flow, tc, fallback)

    def _import(
        self,
        stmt: ast.Import | ast.ImportFrom,
        scope: Scope,
        path: tuple[int, ...],
        flow: Flow,
        tc: bool,
        fallback: bool,
    ) -> None:
        line = stmt.lineno
        declared = scope.declared
        for name, origin in bound_by_import(stmt):
            binding = Binding(IMPORT, line, path, None, None, origin, tc, fallback)
            owner = declared.get(name, scope) if declared else scope  # `global x`
            found = owner._bindings.get(name)
            if found is None:
                owner._bindings[name] = [binding]
            else:
                found.append(binding)

    def _annotated(
        self,
        stmt: ast.AnnAssign,
        scope: Scope,
        path: tuple[int, ...],
        flow: Flow,
        tc: bool,
        fallback: bool,
    ) -> None:
        # `x: int` alone binds nothing, except that a class body declares a field
        value = stmt.value
        if value is None and scope.kind != "class":
            return
        target = stmt.target
        if type(target) is ast.Name:  # the most frequent, bound here (`_assign`)
            name = target.id
            kind = ASSIGN if value is not None else UNKNOWN
            annotation = stmt.annotation
            binding = Binding(kind, stmt.lineno, path, value, annotation, None, False, fallback)
            owner = scope.declared.get(name, scope) if scope.declared else scope
            found = owner._bindings.get(name)
            if found is None:
                owner._bindings[name] = [binding]
            else:
                found.append(binding)
        else:
            self._assign(scope, target, value, stmt.annotation, stmt.lineno, path, fallback)

    def _delete(
        self,
        stmt: ast.Delete,
        scope: Scope,
        path: tuple[int, ...],
        flow: Flow,
        tc: bool,
        fallback: bool,
    ) -> None:
        line = stmt.lineno
        scope._deleted += [
            (text, line, path)
            for target in stmt.targets
            for node in ast.walk(target)
            if isinstance(node, (ast.Name, ast.Attribute)) and isinstance(node.ctx, ast.Del)
            for text in [dotted(node)]
            if text
        ]

    # compound statements: a block per part, in source order
    def _if(
        self,
        stmt: ast.If,
        scope: Scope,
        path: tuple[int, ...],
        flow: Flow,
        tc: bool,
        fallback: bool,
    ) -> None:
        checking = _is_type_checking(stmt.test)
        self._part(stmt, "body", stmt.body, scope, path, flow, tc or checking, fallback)
        if stmt.orelse:
            # `else: Session = object` stands in for the import `TYPE_CHECKING` made
            orelse = stmt.orelse
            self._part(stmt, "orelse", orelse, scope, path, flow, tc, fallback or checking)

    def _with(
        self,
        stmt: ast.With | ast.AsyncWith,
        scope: Scope,
        path: tuple[int, ...],
        flow: Flow,
        tc: bool,
        fallback: bool,
    ) -> None:
        names = [n for i in stmt.items if i.optional_vars for n in target_names(i.optional_vars)]
        # the body runs to its end unless an exception leaves the statement too,
        # so what it binds is bound after it (not under `suppress(...)`)
        certain = not any(_suppresses(item.context_expr) for item in stmt.items)
        self._part(
            stmt, "body", stmt.body, scope, path, flow, tc, fallback, names, stmt.lineno - 1,
            same_block=certain,
        )  # fmt: skip

    def _loop(
        self,
        stmt: ast.For | ast.AsyncFor | ast.While,
        scope: Scope,
        path: tuple[int, ...],
        flow: Flow,
        tc: bool,
        fallback: bool,
    ) -> None:
        names = [] if isinstance(stmt, ast.While) else target_names(stmt.target)
        self._part(
            stmt, "body", stmt.body, scope, path, flow, tc, fallback, names, stmt.lineno - 1,
            loop=True,
        )  # fmt: skip
        if stmt.orelse:
            self._part(stmt, "orelse", stmt.orelse, scope, path, flow, tc, fallback)

    def _try(
        self,
        stmt: ast.Try,
        scope: Scope,
        path: tuple[int, ...],
        flow: Flow,
        tc: bool,
        fallback: bool,
    ) -> None:
        body_path = self._part(stmt, "body", stmt.body, scope, path, flow, tc, fallback)
        for part in stmt.handlers:
            names = [part.name] if part.name else []
            self._part(stmt, part, part.body, scope, path, flow, tc, True, names, part.lineno - 1)
        # `else` runs only when the body ran to its end
        else_path = self._part(stmt, "orelse", stmt.orelse, scope, body_path, flow, tc, fallback)
        if stmt.finalbody:
            self._part(
                stmt, "finalbody", stmt.finalbody, scope, path, flow, tc, fallback,
                same_block=True,
            )  # fmt: skip
        if stmt.handlers and all(_leaves(h.body) for h in stmt.handlers):
            # every handler leaves: after the statement, the body (and its
            # `else`) ran to its end
            end = stmt.end_lineno or stmt.lineno
            self._promote(scope, {body_path, else_path} - {path}, path, end)

    def _match(
        self,
        stmt: ast.Match,
        scope: Scope,
        path: tuple[int, ...],
        flow: Flow,
        tc: bool,
        fallback: bool,
    ) -> None:
        for case in stmt.cases:
            names = [captured for node in ast.walk(case.pattern) for captured in _captures(node)]
            at = case.pattern.lineno - 1
            self._part(stmt, case, case.body, scope, path, flow, tc, fallback, names, at)

    def _part(
        self,
        stmt: ast.stmt,
        part: str | ast.AST,
        body: list[ast.stmt],
        scope: Scope,
        path: tuple[int, ...],
        flow: Flow,
        tc: bool,
        fallback: bool,
        names: list[str] | None = None,
        at: int = 0,
        loop: bool = False,
        same_block: bool = False,
    ) -> tuple[int, ...]:
        """One block of a compound statement (its path is returned): `names` are
        bound on entry (a loop target, `with … as`, `except … as`, a match
        capture) as of line `at`; `same_block`: the part surely runs to its end
        when the statement does (`with`, `finally`), so it binds in the
        statement's own block."""
        if not body:
            return path
        if same_block:
            inner = path
        else:
            self._blocks += 1
            inner = (*path, self._blocks)
        if loop:
            self.loops.add(inner[-1])
        if names:
            for name in names:
                binding = Binding(UNKNOWN, at, inner, None, None, None, False, fallback)
                self._bind(scope, name, binding)
        self._body(body, scope, inner, (*flow, (stmt, part)), tc, fallback)
        return inner

    def _promote(
        self, scope: Scope, blocks: set[tuple[int, ...]], path: tuple[int, ...], line: int
    ) -> None:
        """Bindings made directly in `blocks` hold in `path` from `line` on."""
        for target in {scope, *scope.declared.values()}:
            for found in target._bindings.values():
                found += [replace(b, line=line, path=path) for b in list(found) if b.path in blocks]

    def _declare(self, body: list[ast.stmt], function: Scope) -> None:
        """`global x` / `nonlocal x` in a function: its bindings of `x` are the
        module's or the enclosing function's."""
        for node in own_statements(body):
            if isinstance(node, ast.Global):
                for name in node.names:
                    function.declared[name] = self.module
            elif isinstance(node, ast.Nonlocal):
                outer = function.parent
                while outer is not None and outer.kind == "class":
                    outer = outer.parent
                for name in node.names:
                    if outer is not None:
                        function.declared[name] = outer

    def _named_expressions(
        self, stmt: ast.stmt, scope: Scope, path: tuple[int, ...], fallback: bool
    ) -> None:
        """`(x := value)` in what the statement evaluates itself: bound from its line
        on, in its block (in a comprehension too: it binds in the enclosing scope)."""
        for root in _header_of(stmt):
            for node in ast.walk(root):
                if isinstance(node, ast.Lambda):
                    continue
                if isinstance(node, ast.NamedExpr) and isinstance(node.target, ast.Name):
                    binding = Binding(ASSIGN, stmt.lineno - 1, path, node.value, fallback=fallback)
                    self._bind(scope, node.target.id, binding)

    def _assign(
        self,
        scope: Scope,
        target: ast.expr,
        value: ast.expr | None,
        annotation: ast.expr | None,
        line: int,
        path: tuple[int, ...],
        fallback: bool,
    ) -> None:
        if isinstance(target, ast.Name):
            kind = ASSIGN if value is not None else UNKNOWN
            binding = Binding(kind, line, path, value, annotation, fallback=fallback)
            self._bind(scope, target.id, binding)
        elif isinstance(target, (ast.Tuple, ast.List, ast.Starred)):
            for name in target_names(target):
                self._bind(scope, name, Binding(UNKNOWN, line, path, fallback=fallback))


_Reader = Callable[[SemanticModel, Any, Scope, tuple[int, ...], Flow, bool, bool], None]
_STATEMENTS: dict[type[ast.AST], _Reader] = {
    ast.FunctionDef: SemanticModel._function,
    ast.AsyncFunctionDef: SemanticModel._function,
    ast.ClassDef: SemanticModel._class,
    ast.Import: SemanticModel._import,
    ast.ImportFrom: SemanticModel._import,
    ast.AnnAssign: SemanticModel._annotated,
    ast.Delete: SemanticModel._delete,
    ast.If: SemanticModel._if,
    ast.With: SemanticModel._with,
    ast.AsyncWith: SemanticModel._with,
    ast.For: SemanticModel._loop,
    ast.AsyncFor: SemanticModel._loop,
    ast.While: SemanticModel._loop,
    **dict.fromkeys(_TRY, SemanticModel._try),
    ast.Match: SemanticModel._match,
}
"""Statement type -> the reader of what it binds and the blocks it holds (what is
not here binds nothing: an expression, `return`, `pass`, ...)."""


def _holds_scopes(body: list[ast.stmt]) -> bool:
    """Whether a `def` or `class` stands in a body, at any block depth (a look
    at the statements only, cheaper than reading them)."""
    stack = list(body)
    while stack:
        stmt = stack.pop()
        kind = type(stmt)
        if kind in _SCOPES:
            return True
        if kind in _COMPOUND:
            for name in _BODIES:
                inner = getattr(stmt, name, None)
                if not inner:
                    continue
                if name == "handlers" or name == "cases":
                    for part in inner:
                        stack += part.body
                else:
                    stack += inner
    return False


def _leaves(body: list[ast.stmt]) -> bool:
    """Whether a block always leaves its statement (its last statement returns,
    raises, breaks or continues)."""
    return bool(body) and isinstance(body[-1], (ast.Return, ast.Raise, ast.Break, ast.Continue))


def _suppresses(node: ast.expr) -> bool:
    """`with suppress(...)`: an exception inside ends the block and not the statement."""
    call = node.func if isinstance(node, ast.Call) else node
    return (dotted(call) or "").rsplit(".", 1)[-1] == "suppress"


def _captures(node: ast.AST) -> Iterator[str]:
    """The names a match pattern node binds (`case Order(id=x)`, `[*rest]`, `{**rest}`)."""
    for attribute in ("name", "rest"):
        captured = getattr(node, attribute, None)
        if isinstance(captured, str):
            yield captured


@dataclass(frozen=True, slots=True)
class DictValue:
    """A dict a name holds where it is used: the literal it was bound to and
    the statements that grew it in place since (`d["k"] = v`, `d.update(...)`,
    `d |= {...}`, `d.setdefault(...)`)."""

    literal: ast.Dict | ast.Call
    binding: Binding
    growth: tuple[ast.stmt, ...]
    keys: tuple[str, ...]
    """The string keys it is known to hold (the literal's and the grown ones)."""
    complete: bool
    """Every key is known: no `**spread`, no computed key, no growth by a
    mapping that is not a literal."""
    grown_complete: bool
    """Every key the growth added is known (whatever the literal holds)."""


_VALIDATORS = frozenset(
    {"model_validate", "model_validate_json", "model_validate_strings", "model_construct",
     "parse_obj", "parse_raw"}
)  # fmt: skip
"""Class methods of pydantic models that return an instance of the class."""
_GROWERS = frozenset({"update", "setdefault"})
_NOT_CLASSES = frozenset({"Optional", "Union", "Annotated", "Literal", "Callable", "Awaitable"})
"""Subscripted typing names that do not name the class of the value."""


def _owner(scope: Scope, name: str, binding: Binding) -> Scope:
    """The visible scope that holds `binding` of `name` (the look-up found it there)."""
    for current in scope.visible():
        for candidate in current.bindings.get(name, ()):
            if candidate is binding:
                return current
    raise LookupError(name)  # never: `Scope.lookup` took it from a visible scope


def _binding_of(scope: Scope, written: str) -> Binding | None:
    """The last binding of a dotted name's head in the nearest visible scope."""
    head = written.partition(".")[0]
    for current in scope.visible():
        found = current.bindings.get(head)
        if found:
            return found[-1]
    return None


def enclosing_class(scope: Scope) -> Scope | None:
    """The class a method (or a function nested in one) belongs to."""
    current: Scope | None = scope
    while current is not None and current.kind != "class":
        current = current.parent
    return current


def is_dict(node: ast.expr | None) -> bool:
    """A dict literal or a `dict(...)` call."""
    return isinstance(node, ast.Dict) or (
        isinstance(node, ast.Call) and dotted(node.func) == "dict"
    )


def is_empty_dict(node: ast.expr | None) -> bool:
    """`{}` or `dict()`: a dict written with nothing in it."""
    if isinstance(node, ast.Dict):
        return not node.keys
    return (
        isinstance(node, ast.Call)
        and not node.args
        and not node.keywords
        and dotted(node.func) == "dict"
    )


def _dict_keys(node: ast.expr) -> tuple[tuple[str, ...], bool]:
    """The string keys of a dict literal or `dict(k=...)` call, and whether they
    are all its keys."""
    if isinstance(node, ast.Dict):
        keys = tuple(
            k.value for k in node.keys if isinstance(k, ast.Constant) and isinstance(k.value, str)
        )
        return keys, len(keys) == len(node.keys)
    if isinstance(node, ast.Call):
        keys = tuple(kw.arg for kw in node.keywords if kw.arg is not None)
        return keys, not node.args and len(keys) == len(node.keywords)
    return (), False


def _grows(stmt: ast.stmt, name: str) -> tuple[tuple[str, ...], bool] | None:
    """The keys a statement adds to the dict `name` in place (and whether they
    are all known), or None if it does not grow it."""

    def is_it(node: ast.expr) -> bool:
        return isinstance(node, ast.Name) and node.id == name

    if isinstance(stmt, (ast.Assign, ast.AnnAssign)):
        targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
        for target in targets:
            if isinstance(target, ast.Subscript) and is_it(target.value):
                key = target.slice
                if isinstance(key, ast.Constant) and isinstance(key.value, str):
                    return (key.value,), True
                return (), False
        return None
    if isinstance(stmt, ast.AugAssign) and is_it(stmt.target) and isinstance(stmt.op, ast.BitOr):
        return _dict_keys(stmt.value) if is_dict(stmt.value) else ((), False)
    if isinstance(stmt, ast.Expr):
        call = stmt.value
        if (
            isinstance(call, ast.Call)
            and isinstance(call.func, ast.Attribute)
            and call.func.attr in _GROWERS
            and is_it(call.func.value)
        ):
            if call.func.attr == "setdefault":
                first = call.args[0] if call.args else None
                if isinstance(first, ast.Constant) and isinstance(first.value, str):
                    return (first.value,), True
                return (), False
            keys: tuple[str, ...] = tuple(kw.arg for kw in call.keywords if kw.arg)
            known = all(kw.arg for kw in call.keywords)
            for arg in call.args:
                more, all_known = _dict_keys(arg) if is_dict(arg) else ((), False)
                keys += more
                known = known and all_known
            return keys, known
    return None


def _is_type_checking(test: ast.expr) -> bool:
    if type(test) is not ast.Name and type(test) is not ast.Attribute:
        return False  # a comparison, a call, ...: no dotted name
    name = dotted(test)
    return name is not None and name.split(".")[-1] == "TYPE_CHECKING"
