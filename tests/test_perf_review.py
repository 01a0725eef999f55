"""Review of the merged performance branches against fbf1866: the shortcuts they
take must give what the plain code gave. Each test states the plain behaviour
and checks the fast path against it on inputs chosen to hit the shortcut's
edges (no divergence was found; these keep it that way)."""

from __future__ import annotations

import ast
import random

from arch_lint.engine.fingerprint import _canonical, _canonical_deep
from arch_lint.index.walk import header_nodes, own_nodes, push_children
from arch_lint.rules import _logging
from arch_lint.rules._logging import LOG_METHODS, call_pattern

EVERY_SYNTAX = """\
# type: ignore
from __future__ import annotations
import a.b as c
from . import x
from .. import *
def f(a, /, b=1, *args, c, d=2, **kw) -> int:  # type: ignore[x]
    global g
    x = lambda q, *, r=None: q
    y = {**d, "k": 1, **e}
    z = f"{a!r:>{b}} {c=}"
    match y:
        case {"k": 1, **rest}: pass
        case Point(x=0, y=[1, *others]) | [_, _] as w: pass
        case None | True: pass
        case str() if w: pass
    try:
        pass
    except* ValueError as e:
        pass
    with open(a) as (p, q), b:
        pass
    def inner():
        nonlocal x
    async def g2():
        async with a as b: pass
        async for i in j: pass
        await x
        [i async for i in k if i]
    return (yield from x)
@dec(a=1, **kw)
class C(B, metaclass=M, **kw2):
    x: int = 1
del a[1:2:3], b.c
assert a, b
raise A from B
print(*a, **b, c=1)
if (n := 10) > 5: pass
for a, *b in c: pass
else: pass
while a: break
else: continue
{a for a in b}; {a: b for a, b in c}; (a for a in b)
a if b else c; not a; -a; a and b or c; a < b <= c; a @ b
x[a, b:c, ...]
t = 1,
"""


def _plain_children(node: ast.AST) -> list[ast.AST]:
    """fbf1866's `push_children`: every field but `ctx`, lists filtered to nodes."""
    out: list[ast.AST] = []
    for name in (f for f in type(node)._fields if f != "ctx"):
        value = getattr(node, name, None)
        if type(value) is list:
            out += [v for v in value if isinstance(v, ast.AST)]
        elif isinstance(value, ast.AST):
            out.append(value)
    return out


def test_walk_plans_push_what_the_fields_hold() -> None:
    # `{**d}` (a None key), kw-only parameters without a default (None), match
    # patterns, `except*`, f-strings, type-ignores: every node's children
    tree = ast.parse(EVERY_SYNTAX, type_comments=True)
    for node in ast.walk(tree):
        pushed: list[ast.AST] = []
        push_children(node, pushed)
        assert pushed == _plain_children(node), type(node).__name__


def _plain_walk(roots: list[ast.AST], prune: tuple[type[ast.AST], ...]) -> list[ast.AST]:
    stack = list(roots)
    out = []
    while stack:
        node = stack.pop()
        if prune and isinstance(node, prune):
            continue
        out.append(node)
        stack += _plain_children(node)
    return out


def test_header_and_own_nodes_walk_as_before() -> None:
    tree = ast.parse(EVERY_SYNTAX)
    scopes = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(body, list):
            assert list(own_nodes(body)) == _plain_walk(list(body), scopes)
        if isinstance(node, ast.stmt):
            blocks = {"body", "orelse", "finalbody", "handlers", "cases"}
            heads = [
                v
                for f in type(node)._fields
                if f not in blocks and f != "ctx"
                for value in [getattr(node, f, None)]
                for v in (value if type(value) is list else [value])
                if isinstance(v, ast.AST)
            ]
            for prune in ((), (ast.Lambda,), (ast.expr,)):
                assert list(header_nodes(node, prune=prune)) == _plain_walk(heads, prune)


_TOKENS = [
    b".", b". ", b"\\\n", b"(", b"#", b" ", b"\n", b"\r", b"warn", b"warning", b"ing",
    b"info", b"a", b"log", b"alog", b"uuid", b"uuid4", b"4", b"token_", b"hex",
    b"urlsafe", b"secrets", b"shortuuid", b"x", b'"', b"'", b"\xc3\xa9",
]  # fmt: skip


def test_log_call_scan_finds_what_the_word_list_found() -> None:
    # the letter trie (`warn(?:ing)?`) and the grouped fresh-id calls
    # (`uuid(?:1|4|7)`) mark the lines that one pattern per word marked,
    # with comments after a callee and backslash continuations
    plain = call_pattern(*(f".{m}" for m in sorted(LOG_METHODS)), *sorted(_logging._FRESH_CALLS))
    rng = random.Random(7)
    for _ in range(5000):
        source = b"".join(rng.choice(_TOKENS) for _ in range(rng.randrange(1, 20)))
        expected = _logging.marked_lines(source, plain)
        assert _logging._marks(source, ())._lines == expected._lines, source
        assert _logging.applies(source) == _logging.has_call(source, plain), source


def test_fresh_prefilter_says_what_every_spelling_said() -> None:
    spellings = {m.encode() for m in _logging.FRESH_SOURCES} | {
        n.encode() for n in _logging._FRESH_CALLS
    }
    rng = random.Random(11)
    for _ in range(5000):
        source = b"".join(rng.choice(_TOKENS) for _ in range(rng.randrange(1, 12)))
        assert _logging.fresh_applies(source) == any(m in source for m in spellings), source


def test_canonical_text_is_the_same_above_and_below_the_recursion_depth() -> None:
    deep = (
        "x = " + "f(" * 180 + "1" + ")" * 180 + "\n"
    )  # ~360 levels (the parser's limit: 200 brackets)
    deep += "y = " + " + ".join(["a"] * 300) + "\n"
    for stmt in ast.parse(deep + EVERY_SYNTAX).body:
        assert _canonical(stmt) == _canonical_deep(stmt)
        assert _canonical(stmt, ("body", "orelse")) == _canonical_deep(stmt, ("body", "orelse"))


def test_in_place_change_prefilter_says_what_one_alternation_said() -> None:
    import re

    from arch_lint.rules.json_column_mutation_lost import _changes

    alternation = re.compile(
        rb"\]\s*(?:[-+*/%&|^@]|//|\*\*|<<|>>)?=(?!=)|\|=|\bdel\b"
        rb"|\.(?:update|setdefault|pop|popitem|clear|append|extend|insert|remove)\s*\("
    )
    parts = [b"]", b"=", b"==", b"|", b"del", b"model", b"_del", b" ", b"\n", b"\t", b".pop",
             b"(", b"//", b"**", b"<<", b">>", b"+", b"x", b".update", b"@", b"delete"]  # fmt: skip
    rng = random.Random(13)
    for _ in range(20000):
        source = b"".join(rng.choice(parts) for _ in range(rng.randrange(1, 10)))
        assert _changes(source) == (alternation.search(source) is not None), source


def test_carrier_annotations_read_as_their_unparsed_text() -> None:
    # `_names_carrier` reads a dotted name or a subscript's base where it can;
    # it says what the carrier pattern says of the whole unparsed annotation
    texts = [
        "EventEnvelope", "m.EventEnvelope", "EventEnvelope[X]", "m.EventEnvelope[X, Y]",
        "EventEnvelopeV2[X]", "Optional[EventEnvelope]", "EventEnvelope | None",
        "EventEnvelope[X] | EventEnvelope[Y]", "'EventEnvelope'", "'m.EventEnvelope[X]'",
        "list[EventEnvelope]", "f()[EventEnvelope]", "CorrelationContext", "x.y.z",
        "EventEnvelope[f'a\\nb']", "typing.Annotated[EventEnvelope, 1]",
    ]  # fmt: skip
    for carriers in (["EventEnvelope", "CorrelationContext"], ["EventEnvelope[X]"], []):
        analysis = _logging.LoggingAnalysis.__new__(_logging.LoggingAnalysis)
        analysis._carrier, analysis._dotted_carriers = _logging._carrier_pattern(tuple(carriers))
        for text in texts:
            node = ast.parse(text, mode="eval").body
            unparsed = _logging.dotted_annotation(node) or ""
            expected = analysis._carrier.match(unparsed) is not None
            assert analysis._names_carrier(node) == expected, (carriers, text)
