"""ARC103's reader of plain SQL statements answers as sqlglot does, or not at all."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from arch_lint.rules._simple_sql import _KEYWORDS, simple_sql_tables
from arch_lint.rules.foreign_table_access import _parsed_tables, sql_tables


def test_keywords_hold_every_word_sqlglot_reads_in_its_own_way() -> None:
    """A word missing here would be read as a plain name where sqlglot reads a
    keyword (an upgrade of sqlglot that adds one fails this test)."""
    from sqlglot.dialects.postgres import Postgres
    from sqlglot.parser import Parser
    from sqlglot.tokens import Tokenizer

    words = {
        word.lower()
        for keywords in (Tokenizer.KEYWORDS, Postgres.Tokenizer.KEYWORDS)
        for keyword in keywords
        for word in keyword.split()
    }
    for parsers in (
        Parser.FUNCTION_PARSERS,
        Postgres.Parser.FUNCTION_PARSERS,
        Parser.NO_PAREN_FUNCTION_PARSERS,
        Postgres.Parser.NO_PAREN_FUNCTION_PARSERS,
    ):
        words.update(name.lower() for name in parsers)
    plain = {word for word in words if word.replace("_", "").isalnum() and word.isascii()}
    assert plain - _KEYWORDS == set()


@pytest.mark.parametrize(
    ("sql", "tables"),
    [
        (
            "DELETE FROM order_notes WHERE created_at < now() - make_interval(days => :days)",
            ("order_notes",),
        ),
        ("delete from Orders;", ("Orders",)),
        ("SELECT * FROM orders WHERE id = :id AND status IS NOT NULL", ("orders",)),
        ("SELECT id, total FROM orders WHERE (id = ? OR total > 1.5)", ("orders",)),
        ("UPDATE orders SET total = total + :delta, seen = TRUE WHERE id = :id", ("orders",)),
        ("INSERT INTO orders (id, note) VALUES (:id, 'a -- b'), (2, NULL)", ("orders",)),
        ("INSERT INTO orders VALUES (1)", ("orders",)),
        # declined: sqlglot decides
        ("SELECT * FROM orders o JOIN lines l ON l.order_id = o.id", None),
        ("WITH recent AS (SELECT 1) SELECT * FROM recent", None),
        ("DELETE FROM orders WHERE id IN (SELECT id FROM stale)", None),
        ("DELETE FROM orders WHERE id = :from", None),  # sqlglot: no expression
        ("SELECT * FROM order", None),  # a keyword
        ("DELETE FROM orders WHERE lower(a, b) = 1", None),  # sqlglot checks known calls
        ("DELETE FROM orders WHERE a IS NULL - 1", None),  # sqlglot: no expression
        ("UPDATE orders SET a = b AND c", None),  # sqlglot 25: no expression
        ("DELETE FROM orders WHERE id = %s", None),  # sqlglot 25: no expression
        ("SELECT * FROM orders WHERE id = $1 AND status IS NOT NULL", None),  # `$`: see below
        ("INSERT INTO orders VALUES ($1,$2)", None),  # sqlglot 30: a `$...$` string
        ("DELETE FROM orders WHERE note = E'x'", None),
        ("DELETE FROM orders WHERE note = 'x\\'", None),  # an escape in sqlglot's reading
        ("DELETE FROM orders WHERE id = 1::int", None),
        ("DELETE FROM orders -- done", None),
        ("DELETE FROM a; DELETE FROM b", None),
        ("DELETE FROM orders WHERE " + "(" * 30 + "1" + ")" * 30, None),
        ("DELETE FROM ordérs", None),
    ],
)
def test_simple_statements(sql: str, tables: tuple[str, ...] | None) -> None:
    assert simple_sql_tables(sql) == tables
    assert sql_tables(sql) == _parsed_tables(sql)
    if tables is not None:
        assert _parsed_tables(sql) == tables


_NAMES = ["orders", "Orders", "id", "created_at", "now", "make_interval", "days", "E", "count"]
_OPERATORS = ["=", "<>", "!=", "<", ">=", "+", "-", "*", "/", "AND", "or", "=>", "::", "||",
              "IS NULL", "is not null", "", "."]  # fmt: skip
_OPERANDS = ["1", "1.5", "1e3", ".5", ":id", ":from", "$1", "?", "%s", "'x'", "'a''b'", "E'x'",
             "null", "TRUE", "now()", "now(1)", "lower(a)", "make_interval()"]  # fmt: skip


def _statement(rng: random.Random) -> str:
    """A statement in or near the reader's grammar."""
    words = [*_NAMES, *rng.sample(sorted(_KEYWORDS), 3)]

    def operand(depth: int) -> str:
        pick = rng.random()
        if pick < 0.35:
            return rng.choice(words)
        if pick < 0.7 or depth > 2:
            return rng.choice(_OPERANDS)
        if pick < 0.85:
            return f"({expression(depth + 1)})"
        units = rng.sample(["days", "hours", "secs", "foo"], rng.randint(0, 2))
        return "make_interval(" + ", ".join(f"{u} => {expression(depth + 1)}" for u in units) + ")"

    def expression(depth: int = 0) -> str:
        text = operand(depth)
        for _ in range(rng.randint(0, 3)):
            op = rng.choice(_OPERATORS)
            text += f" {op}" if op.lower().startswith("is") else f" {op} {operand(depth)}"
        return text

    table = rng.choice(words)
    where = f" WHERE {expression()}" if rng.random() < 0.7 else ""
    shapes = [
        f"DELETE FROM {table}{where}",
        f"SELECT {rng.choice(['*', 'id', 'id, note', 'a b'])} FROM {table}{where}",
        f"UPDATE {table} SET {rng.choice(words)} = {expression()}{where}",
        f"INSERT INTO {table}{rng.choice(['', ' (id, note)'])} VALUES ({expression()})",
    ]
    return rng.choice(shapes) + rng.choice(["", ";", " -- c", ";;", "\n"])


@settings(max_examples=300, deadline=None)
@given(st.randoms(use_true_random=False))
def test_simple_reader_answers_as_sqlglot(rng: random.Random) -> None:
    sql = _statement(rng)
    found = simple_sql_tables(sql)
    if found is not None:
        assert found == _parsed_tables(sql), sql


_SPELLINGS = ["sql", "q", "_s", "é", " ", "\n", "=", "==", ":", "'", '"', "r", "U", "a", "(", "#"]


@settings(max_examples=500, deadline=None)
@given(
    st.sampled_from(["sql", "q", "_s", "s2", "é", "éa", "aé"]),
    st.lists(st.sampled_from(_SPELLINGS), max_size=20),
)
def test_assigned_string_is_the_word_bounded_pattern(name: str, parts: list[str]) -> None:
    """ARC103's `name = "..."` test, name first for the regex engine, finds what
    the pattern led by `\\b` finds."""
    import re

    from arch_lint.rules.foreign_table_access import _assigned_string

    source = "".join(parts).encode()
    plain = rb"\b" + name.encode() + rb"\s*(?::[^=\n]*)?=\s*[rRuUbB]*[\"']"
    assert (re.search(_assigned_string(name), source) is None) == (re.search(plain, source) is None)
