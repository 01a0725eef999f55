"""The semantic model reads a function's body when something first asks about it
(`SemanticModel`, given the file's bytes); without the bytes it reads every body
at once. Whatever is asked first, both give the same answers: the same sites,
flow, scopes, bindings, deletions, loops and parameters (block ids are numbered
in the order bodies are read, so they are compared through a one-to-one map)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from arch_lint.index.semantic import Binding, SemanticModel, Site
from arch_lint.index.walk import MarkedLines

ROOT = Path(__file__).resolve().parent.parent

NESTED = b"""
import logging
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from services.orders.models import Order

log = logging.getLogger(__name__)


def outer(order: "Order", items=None):
    total = 0
    for item in items or []:
        if (price := item.price) > 0:
            total += price
        else:
            continue

    def inner(x: int) -> int:
        seen = [y for y in range(x)]
        del seen
        return x + total

    class Local:
        field: int = 1

        def method(self):
            try:
                value = inner(2)
            except ValueError as exc:
                value = None
            finally:
                log.info("done")
            return value

    match items:
        case [first, *rest]:
            other = first
        case _:
            other = None
    with open("x") as fh:
        data = fh.read()
    while total:
        total -= 1
    return Local, other, data


if TYPE_CHECKING:

    def typed_only() -> None:
        from services.orders.models import Order as Aliased

        alias = Aliased


async def handler(request):
    async with request.session() as session:
        async for row in session.rows():
            log.info("row %s", row)
    return lambda y: y
"""


def _sources() -> list[tuple[str, bytes]]:
    found = [("nested", NESTED)]
    for base in (ROOT / "tests" / "fixtures", ROOT / "examples"):
        found += [(str(p.relative_to(ROOT)), p.read_bytes()) for p in sorted(base.rglob("*.py"))]
    return found


def _marks(source: bytes) -> MarkedLines:
    """Some lines to ask `marked` about first: every seventh line with a call."""
    lines = [i for i, line in enumerate(source.split(b"\n"), 1) if b"(" in line]
    return MarkedLines.of_lines(lines[::7])


class _Blocks:
    """A one-to-one map between the block ids of two models of the same tree."""

    def __init__(self) -> None:
        self.there: dict[int, int] = {}
        self.back: dict[int, int] = {}

    def same(self, one: tuple[int, ...], other: tuple[int, ...]) -> None:
        assert len(one) == len(other)
        for a, b in zip(one, other, strict=True):
            assert self.there.setdefault(a, b) == b
            assert self.back.setdefault(b, a) == a


def _binding(found: Binding) -> tuple[object, ...]:
    return (
        found.kind,
        found.line,
        found.value,
        found.annotation,
        found.origin,
        found.type_checking,
        found.fallback,
        found.node,
    )


def _same_site(eager: Site, lazy: Site, blocks: _Blocks) -> None:
    assert eager.stmt is lazy.stmt
    assert eager.scope.node is lazy.scope.node
    assert len(eager.flow) == len(lazy.flow)
    for (stmt_a, part_a), (stmt_b, part_b) in zip(eager.flow, lazy.flow, strict=True):
        assert stmt_a is stmt_b
        assert part_a == part_b
    blocks.same(eager.path, lazy.path)


def _compare(source: bytes) -> None:
    tree = ast.parse(source)
    marks = _marks(source)
    lazy = SemanticModel(tree, source)  # asked for some lines first: partly read
    marked_lazy = [site.stmt for site in lazy.marked(marks)]
    functions_lazy = [scope.node for scope in lazy.functions()]
    eager = SemanticModel(tree)  # every body read at once
    assert marked_lazy == [site.stmt for site in eager.marked(marks)]
    assert functions_lazy == [scope.node for scope in eager.functions()]

    blocks = _Blocks()
    assert len(eager.sites) == len(lazy.sites)
    for site_a, site_b in zip(eager.sites, lazy.sites, strict=True):
        _same_site(site_a, site_b, blocks)
    assert [s.node for s in eager.scopes.values()] == [s.node for s in lazy.scopes.values()]
    for key, scope_a in eager.scopes.items():
        scope_b = lazy.scopes[key]
        assert scope_a.kind == scope_b.kind
        blocks.same(scope_a.path, scope_b.path)
        assert list(scope_a.bindings) == list(scope_b.bindings)
        for name, found in scope_a.bindings.items():
            for one, other in zip(found, scope_b.bindings[name], strict=True):
                assert _binding(one) == _binding(other)
                blocks.same(one.path, other.path)
        assert len(scope_a.deleted) == len(scope_b.deleted)
        for one_del, other_del in zip(scope_a.deleted, scope_b.deleted, strict=True):
            assert one_del[:2] == other_del[:2]
            blocks.same(one_del[2], other_del[2])
        assert [s.stmt for s in eager.sites_of(scope_a)] == [s.stmt for s in lazy.sites_of(scope_b)]
        if scope_a.kind != "module":
            assert [s.stmt for s in eager.sites_in(scope_a.node)] == [
                s.stmt for s in lazy.sites_in(scope_b.node)
            ]
        assert scope_a.params() == scope_b.params()
    assert {blocks.there[block] for block in eager.loops} == lazy.loops


def test_the_lazy_model_answers_as_the_whole_one_on_every_fixture_file() -> None:
    compared = 0
    for name, source in _sources():
        try:
            ast.parse(source)
        except SyntaxError:
            continue  # a fixture of a file that does not parse
        try:
            _compare(source)
        except AssertionError as exc:
            raise AssertionError(f"{name}: the lazy model answers otherwise") from exc
        compared += 1
    assert compared > 100


def test_a_question_about_a_function_not_read_yet_reads_it() -> None:
    tree = ast.parse(NESTED)
    node = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "outer")
    model = SemanticModel(tree, NESTED)
    outer = model.scope_of(node)
    assert outer is not None
    assert outer._pending is not None  # its body is not read yet
    assert outer.params() == {"order": node.args.args[0].annotation, "items": None}
    assert outer._pending is not None  # the parameters are bound with the scope
    found = outer.lookup("total", 43, outer.path)  # `while total:`
    assert found is not None
    assert found.line == 12
    assert outer._pending is None
    assert [b.line for b in outer.bindings["other"]] == [38, 40]


@pytest.mark.parametrize("declares", [b"global", b"nonlocal"])
def test_a_file_that_spells_global_or_nonlocal_is_read_whole(declares: bytes) -> None:
    source = b"x = 0\n\ndef f():\n    " + declares + b" x\n    x = 1\n"
    if declares == b"nonlocal":
        source = b"def g():\n    x = 0\n\n    def f():\n        nonlocal x\n        x = 1\n"
    tree = ast.parse(source)
    model = SemanticModel(tree, source)
    assert all(scope._pending is None for scope in model._scopes.values())
    _compare(source)
