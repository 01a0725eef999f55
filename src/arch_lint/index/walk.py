"""A fast walk of `ast` nodes (child fields per node type computed once,
expression contexts skipped), under the semantic model's walk of the
statements: the nodes of one statement, of one scope, and the lines that
may hold a call."""

from __future__ import annotations

import ast
from bisect import bisect_left
from collections.abc import Iterable, Iterator
from collections.abc import Set as AbstractSet

from arch_lint.source import byte_line_starts, line_of

_CHILDREN: dict[type[ast.AST], tuple[str, ...]] = {}
_NODE = ast.AST


def child_fields(kind: type[ast.AST]) -> tuple[str, ...]:
    names = _CHILDREN.get(kind)
    if names is None:
        names = tuple(f for f in kind._fields if f != "ctx")
        _CHILDREN[kind] = names
    return names


_ONE = 0
"""A field holding one node or None."""
_MANY = 1
"""A field holding a list of nodes."""
_ANY = 2
"""A field holding a list that may hold None (`{**d}`'s keys, keyword-only
parameters without a default) or a field whose type is not declared: what is a
node in it is pushed."""
_SCALARS = frozenset({"identifier", "string", "int", "constant", "expr_context"})
"""Field types of the grammar that are never nodes (names, strings, numbers,
literal values) and the expression context."""
_GAPPED = frozenset({("Dict", "keys"), ("arguments", "kw_defaults")})
Plan = tuple[tuple[str, int], ...]
_PLANS: dict[type[ast.AST], Plan] = {}


def _declared(kind: type[ast.AST]) -> dict[str, str]:
    """Field -> its type in the grammar (`expr*`, `identifier?`), read from the
    signature the class's docstring spells (`Name(identifier id, expr_context ctx)`);
    empty when it spells none."""
    head, _, rest = (kind.__doc__ or "").partition("(")
    if head != kind.__name__ or not rest.endswith(")") or "\n" in rest:
        return {}
    out: dict[str, str] = {}
    for field in rest[:-1].split(","):
        spec, _, name = field.strip().rpartition(" ")
        out[name] = spec
    return out


def walk_plan(kind: type[ast.AST]) -> Plan:
    """The fields of a node type that may hold nodes, in order, each with how
    (`_ONE`, `_MANY`, `_ANY`): names, strings, numbers, constants and the
    expression context are skipped, so a `Name` or a `Constant` has none."""
    plan = _PLANS.get(kind)
    if plan is None:
        declared = _declared(kind)
        steps: list[tuple[str, int]] = []
        for name in child_fields(kind):
            spec = declared.get(name)
            if spec is None or (kind.__name__, name) in _GAPPED:
                steps.append((name, _ANY))
            elif spec.rstrip("*?") not in _SCALARS:
                steps.append((name, _MANY if spec.endswith("*") else _ONE))
        plan = _PLANS[kind] = tuple(steps)
    return plan


def push_children(node: ast.AST, stack: list[ast.AST]) -> None:
    """Push the children of `node` onto `stack` (the walk's inner loop)."""
    kind = type(node)
    # the commonest nodes with children, spelled out (as their plans push them)
    if kind is _CALL:
        stack.append(node.func)  # type: ignore[attr-defined]
        stack += node.args  # type: ignore[attr-defined]
        stack += node.keywords  # type: ignore[attr-defined]
        return
    if kind is _ATTRIBUTE or kind is _KEYWORD:
        stack.append(node.value)  # type: ignore[attr-defined]
        return
    plan = _PLANS.get(kind)
    for name, how in plan if plan is not None else walk_plan(kind):
        value = getattr(node, name, None)
        if value is None:
            continue
        if how == _ONE:
            stack.append(value)
        elif how == _MANY:
            stack += value
        elif type(value) is list:
            stack += [v for v in value if isinstance(v, _NODE)]
        elif isinstance(value, _NODE):
            stack.append(value)


_CALL = ast.Call
_ATTRIBUTE = ast.Attribute
_KEYWORD = ast.keyword


def walk_stack(stack: list[ast.AST], skip: frozenset[type[ast.AST]]) -> Iterator[ast.AST]:
    """The nodes under those on `stack` (the last one first, each node before its
    children, as `push_children` orders them); nodes of a `skip` type are neither
    yielded nor entered."""
    pop = stack.pop
    push = stack.append
    while stack:
        node = pop()
        kind = type(node)
        if kind in skip:
            continue
        yield node
        # `push_children`, inlined: a call per node is a tenth of this walk
        if kind is _CALL:
            push(node.func)  # type: ignore[attr-defined]
            stack += node.args  # type: ignore[attr-defined]
            stack += node.keywords  # type: ignore[attr-defined]
        elif kind is _ATTRIBUTE or kind is _KEYWORD:
            push(node.value)  # type: ignore[attr-defined]
        else:
            plan = _PLANS.get(kind)
            for name, how in plan if plan is not None else walk_plan(kind):
                value = getattr(node, name, None)
                if value is None:
                    continue
                if how == _ONE:
                    push(value)
                elif how == _MANY:
                    stack += value
                elif type(value) is list:
                    stack += [v for v in value if isinstance(v, _NODE)]
                elif isinstance(value, _NODE):
                    push(value)


def nodes_of(
    roots: Iterable[ast.AST], kinds: AbstractSet[type[ast.AST]], skip: AbstractSet[type[ast.AST]]
) -> list[ast.AST]:
    """The nodes of `kinds` (exact types) under `roots`, the roots included, in
    `walk_stack`'s order (the last root first, each node before its children);
    nodes of a `skip` type are neither taken nor entered. A list built by a
    plain loop, no generator: the hot readers' walk (skip the leaves a reader
    needs nothing under, `Name` and `Constant`, and the scopes it leaves out)."""
    out: list[ast.AST] = []
    stack = list(roots)
    pop = stack.pop
    push = stack.append
    while stack:
        node = pop()
        kind = type(node)
        if kind in skip:
            continue
        if kind in kinds:
            out.append(node)
        # `push_children`, inlined (as in `walk_stack`)
        if kind is _CALL:
            push(node.func)  # type: ignore[attr-defined]
            stack += node.args  # type: ignore[attr-defined]
            stack += node.keywords  # type: ignore[attr-defined]
        elif kind is _ATTRIBUTE or kind is _KEYWORD:
            push(node.value)  # type: ignore[attr-defined]
        else:
            plan = _PLANS.get(kind)
            for name, how in plan if plan is not None else walk_plan(kind):
                value = getattr(node, name, None)
                if value is None:
                    continue
                if how == _ONE:
                    push(value)
                elif how == _MANY:
                    stack += value
                elif type(value) is list:
                    stack += [v for v in value if isinstance(v, _NODE)]
                elif isinstance(value, _NODE):
                    push(value)
    return out


def following_lines(lines: list[int]) -> list[int]:
    """For each line up to the last of `lines` (sorted, distinct), the first of
    them at or after it (a line past the end of the table follows none)."""
    table: list[int] = []
    for line in lines:  # the lines from the end of the table up to `line` follow to it
        table += [line] * (line + 1 - len(table))
    return table


def marker_places(source: bytes, markers: tuple[bytes, ...]) -> list[int]:
    """The byte offsets at which each marker occurs (unsorted)."""
    found: list[int] = []
    for marker in markers:
        start = source.find(marker)
        while start != -1:
            found.append(start)
            start = source.find(marker, start + 1)
    return found


def place_lines(source: bytes, found: list[int]) -> list[int]:
    """The 1-based lines holding the byte offsets `found`, sorted, each once
    (`found` is sorted in place)."""
    lines: list[int] = []
    if found:
        found.sort()
        if b"\r" in source:  # line breaks other than "\n" may stand in it
            starts = byte_line_starts(source)
            lines = sorted({line_of(starts, at) for at in found})
        else:  # the lines counted between the places found, in order
            line, last = 1, 0
            for at in found:
                line += source.count(b"\n", last, at)
                last = at
                if not lines or lines[-1] != line:
                    lines.append(line)
    return lines


class MarkedLines:
    """The lines of a source that hold one of a few byte markers (`.info(`,
    `.publish(`): a rule walks the expressions of a statement only when the
    statement spans such a line."""

    __slots__ = ("_lines", "_next")

    def __init__(self, source: bytes, markers: tuple[bytes, ...]) -> None:
        self._lines = place_lines(source, marker_places(source, markers))
        self._next: list[int] | None = None

    @classmethod
    def of_lines(cls, lines: Iterable[int]) -> MarkedLines:
        """Marks on the given lines (found by other means than byte markers)."""
        marks = cls.__new__(cls)
        marks._lines = sorted(set(lines))
        marks._next = None
        return marks

    def __bool__(self) -> bool:
        return bool(self._lines)

    def following(self) -> list[int]:
        """Line -> the first marked line at or after it, for the lines up to the
        last marked one (a line past the end of the list spans none): a
        statement spans a marked line when `following[first] <= last`."""
        if self._next is None:
            self._next = following_lines(self._lines)
        return self._next

    def spans(self, first: int, last: int) -> bool:
        """Whether a marked line lies in [first, last]."""
        at = bisect_left(self._lines, first)
        return at < len(self._lines) and self._lines[at] <= last

    def marks(self, node: ast.AST) -> bool:
        """Whether the node spans a marked line (a `with` item: its expression)."""
        node = getattr(node, "context_expr", node)
        first = getattr(node, "lineno", 0)
        return self.spans(first, getattr(node, "end_lineno", None) or first)


def assignment(stmt: ast.stmt) -> tuple[list[ast.expr], ast.expr] | None:
    """The targets and the value of `a = b = value` or `a: T = value` (None for
    any other statement, `a: T` alone included)."""
    if isinstance(stmt, ast.Assign):
        return stmt.targets, stmt.value
    if isinstance(stmt, ast.AnnAssign) and stmt.value is not None:
        return [stmt.target], stmt.value
    return None


def target_names(target: ast.expr) -> list[str]:
    """The names an assignment or loop target binds (`a, (b, *c)` -> a, b, c)."""
    if isinstance(target, ast.Name):
        return [target.id]
    if isinstance(target, ast.Starred):
        return target_names(target.value)
    if isinstance(target, (ast.Tuple, ast.List)):
        return [name for elt in target.elts for name in target_names(elt)]
    return []


_BLOCKS = ("body", "orelse", "finalbody")
_NESTED_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)


_EXACT: dict[tuple[type[ast.AST], ...], frozenset[type[ast.AST]] | None] = {}


def exact_types(types: tuple[type[ast.AST], ...]) -> frozenset[type[ast.AST]] | None:
    """`types` as a set to test a node's own type against, when none of them has
    a subclass (the test then says what `isinstance` says); None otherwise."""
    if types not in _EXACT:
        concrete = not any(kind.__subclasses__() for kind in types)
        _EXACT[types] = frozenset(types) if concrete else None
    return _EXACT[types]


_HEADS: dict[type[ast.AST], tuple[str, ...]] = {}
"""Statement type -> its fields other than the blocks it holds."""


def header_roots(stmt: ast.stmt) -> list[ast.AST]:
    """The roots of the expressions a statement evaluates itself (an `if` test, a
    `with`'s items, an assignment's value and targets), not the statements it
    holds (its blocks, handlers and cases)."""
    kind = type(stmt)
    fields = _HEADS.get(kind)
    if fields is None:
        held = {*_BLOCKS, "handlers", "cases"}
        fields = _HEADS[kind] = tuple(f for f in child_fields(kind) if f not in held)
    roots: list[ast.AST] = []
    for name in fields:
        value = getattr(stmt, name, None)
        if type(value) is list:
            roots += [v for v in value if isinstance(v, _NODE)]
        elif isinstance(value, _NODE):
            roots.append(value)
    return roots


def header_nodes(stmt: ast.stmt, prune: tuple[type[ast.AST], ...] = ()) -> Iterator[ast.AST]:
    """The nodes of the expressions a statement evaluates itself (see
    `header_roots`); `prune` types are neither yielded nor entered."""
    stack = header_roots(stmt)
    skip = exact_types(prune)
    if skip is not None:
        return walk_stack(stack, skip)
    return _pruned(stack, prune)


def _pruned(stack: list[ast.AST], prune: tuple[type[ast.AST], ...]) -> Iterator[ast.AST]:
    while stack:
        node = stack.pop()
        if isinstance(node, prune):
            continue
        yield node
        push_children(node, stack)


_SCOPE_TYPES = frozenset(_NESTED_SCOPES)


def own_nodes(body: list[ast.stmt]) -> Iterator[ast.AST]:
    """The nodes of a scope's body, not those of the functions, lambdas and
    classes nested in it (nor those scopes' own nodes)."""
    return walk_stack(list(body), _SCOPE_TYPES)


def every_statement(body: list[ast.stmt]) -> Iterator[ast.stmt]:
    """The statements of a body at any depth: in its blocks (`if`, loops, `try`,
    `with`, `match`) and in the functions and classes defined there (in no
    particular order)."""
    return _statements(body, True)


def own_statements(body: list[ast.stmt]) -> Iterator[ast.stmt]:
    """The statements of a scope's body at any block depth (`if`, loops, `try`,
    `with`, `match`), not those of the functions and classes nested in it."""
    return _statements(body, False)


def _statements(body: list[ast.stmt], scopes: bool) -> Iterator[ast.stmt]:
    """`every_statement` (`scopes`) or `own_statements`."""
    stack: list[ast.stmt] = list(body)
    while stack:
        stmt = stack.pop()
        if not scopes and isinstance(stmt, _NESTED_SCOPES):
            continue
        yield stmt
        for name in _BLOCKS:
            inner = getattr(stmt, name, None)
            if inner:
                stack.extend(inner)
        for part in getattr(stmt, "handlers", None) or getattr(stmt, "cases", None) or ():
            stack.extend(part.body)


def binding_counts(scope: ast.AST) -> dict[str, int]:
    """How many times each name is bound in a function or module, in any way
    (an assignment, a walrus, a loop's, a `with`'s or an `except`'s target, a
    comprehension's variable, a `match` capture, `del`, an import, a nested
    definition; nested scopes' bindings count too: more, not fewer)."""
    counts: dict[str, int] = {}
    for node in ast.walk(scope):
        kind = type(node)
        if kind is ast.Name:
            if type(node.ctx) is not ast.Load:  # type: ignore[attr-defined]
                name = node.id  # type: ignore[attr-defined]
                counts[name] = counts.get(name, 0) + 1
            continue
        if kind is ast.arg:
            names = [node.arg]  # type: ignore[attr-defined]
        elif kind in _NAMED_BINDERS:
            names = [getattr(node, "name", None)]
        elif kind is ast.Import or kind is ast.ImportFrom:
            names = [a.asname or a.name.partition(".")[0] for a in node.names]  # type: ignore[attr-defined]
        elif kind is ast.MatchMapping:
            names = [node.rest]  # type: ignore[attr-defined]
        else:
            continue
        for name in names:
            if name:
                counts[name] = counts.get(name, 0) + 1
    if type(scope) is not ast.Module:  # its own name is no local of it (its parameters are)
        counts.pop(getattr(scope, "name", ""), None)
    return counts


_NAMED_BINDERS = frozenset(
    {ast.ExceptHandler, ast.MatchAs, ast.MatchStar, ast.FunctionDef, ast.AsyncFunctionDef,
     ast.ClassDef}
)  # fmt: skip
"""Nodes that bind the name in their `name` field."""
