"""The table of the simplest SQL statements, read without sqlglot (ARC103).

Importing sqlglot costs more than the rest of ARC103 on a whole project, and the
SQL that reaches it is most often one plain statement. This reader answers only
for text in a small grammar that sqlglot (PostgreSQL dialect) surely parses, and
then names the one table sqlglot names; anything else it declines (None) and
the text goes to sqlglot:

    DELETE FROM t [WHERE e]
    SELECT * | c [, c ...] FROM t [WHERE e]
    UPDATE t SET c = e [, c = e ...] [WHERE e]
    INSERT INTO t [(c [, c ...])] VALUES (e [, e ...]) [, (e [, e ...]) ...]

keywords in any case, an optional `;` at the end, where `t` and `c` are plain
names and `e` an expression of plain names, numbers, string literals without a
backslash or a doubled quote, `NULL`/`TRUE`/`FALSE`, bind parameters (`:name`,
`?`; not `%s`, which sqlglot 25 reads as `%`, nor `$1`: sqlglot may read text
from a `$` on as a dollar-quoted string, `$1,$2` fails), the operators
`= <> != < > <= >= + - * / AND OR`, `IS [NOT] NULL`, parentheses, and the calls
`now()` and `make_interval(<unit> => e, ...)`. A plain name is an ASCII word
that is none of sqlglot's keywords nor a function name it parses in its own
way (`_KEYWORDS`, a superset checked against sqlglot by the tests): sqlglot
reads it as a column, a table or a parameter's name, and nothing in the grammar
names a table but `t`. Other calls are declined: sqlglot checks the arguments
of the functions it knows (`lower(a, b)` does not parse).
"""

from __future__ import annotations

import re

_KEYWORD_LIST = """
    all alter analyze and anti any apply arg_max arg_min argmax argmin array as asc asof
    auto_increment autoincrement begin between bigdecimal bigint bignum bignumeric bigserial
    binary bit blob bool boolean bpchar by byte bytea cache call case cast ceil char
    character chr clob cluster collate column comment commit connect connect_by_root
    constraint convert copy create cross cstring cube current_catalog current_date
    current_schema current_time current_timestamp current_user database date date_part
    datemultirange daterange datetime dec decfloat decimal decimal128 decimal256 decimal32
    decimal64 declare decode default delete desc describe distinct distribute div do double
    drop else end enum escape except exec execute exists explain extract false fetch file
    filter first fixed float float4 float8 floor for foreign format from full function
    gap_fill geography geometry glob grant group grouping having hstore hugeint if ilike in
    index inet initcap inner inout insert int int1 int128 int16 int2 int256 int32 int4
    int4multirange int4range int64 int8 int8multirange int8range integer intersect interval
    into is isnull join json json_agg json_object json_objectagg json_table json_value jsonb
    jsonb_exists keep key kill lateral left like limit list load localtime localtimestamp
    lock long longblob longtext longvarchar map match max_by mediumblob mediumint mediumtext
    merge min_by money name namespace natural nchar next normalize not notnull null nullable
    number numeric nummultirange numrange nvarchar nvarchar2 object offset oid on only
    openjson operator optimize or order ordinality out outer over overlaps overlay overwrite
    partition partitioned partitioned_by percent pivot point position pragma precision
    prepare primary procedure qualify range real recursive ref references refresh regclass
    regcollation regconfig regdictionary regexp regnamespace regoper regoperator regproc
    regprocedure regrole regtype reindex release rename replace reset returning revoke right
    rlike rollback rollup row rows safe_cast savepoint schema security select semi sequence
    serial session session_user set sets settings short show similar smallint smallserial
    some sort sql str straight_join string string_agg struct substring table tablesample
    temp temporary text then time time_ns timestamp timestamp_ltz timestamp_ntz timestampltz
    timestampntz timestamptz timetz tinyblob tinyint tinytext to trigger trim true truncate
    try_cast try_convert tsmultirange tsrange tstzmultirange tstzrange type uhugeint uint
    uint128 uint256 uncache union unique unknown unnest unpivot update use using uuid vacuum
    values varbinary varchar varchar2 variadic variant varying vector view volatile
    weight_string when where window with xml xmlelement xmltable xor
"""
_KEYWORDS = frozenset(_KEYWORD_LIST.split())
"""Every word sqlglot's PostgreSQL tokenizer reads as a keyword (each word of
its multi-word keywords too) and every function name its parser reads in its
own way (`FUNCTION_PARSERS`, `NO_PAREN_FUNCTION_PARSERS`), lowercased: from
sqlglot 30.x, a superset of 25.0's; `tests/test_simple_sql.py` checks it holds
the installed version's."""

_TOKEN = re.compile(
    r"[ \t\r\n]+"
    r"|(?P<word>[A-Za-z_][A-Za-z0-9_]*)"
    r"|(?P<operand>[0-9]+(?:\.[0-9]+)?(?![A-Za-z0-9_.])|'[^'\\]*'|\?)"
    r"|(?P<param>:[A-Za-z_][A-Za-z0-9_]*)"
    r"|(?P<op>=>|<=|>=|<>|!=|[=<>+\-*/(),;])"
)
"""A token of the grammar; any other character (`.`, `"`, `::`, `|`, `\\`, `$`,
...) declines the text. A number glued to a word (`1e3`, `1_000`) is no token."""
_BINARY = frozenset({"=", "<>", "!=", "<", ">", "<=", ">=", "+", "-", "*", "/", "and", "or"})
_LITERALS = frozenset({"null", "true", "false"})
_UNITS = frozenset({"years", "months", "weeks", "days", "hours", "mins", "secs"})
"""`make_interval`'s parameters (PostgreSQL)."""
_DEPTH = 20
"""Deeper nesting is declined (sqlglot recurses on it)."""


def simple_sql_tables(sql: str) -> tuple[str, ...] | None:
    """The tables sqlglot names in `sql` (one: see the module's docstring), or
    None when the text is not in the grammar."""
    tokens = _tokens(sql)
    if tokens is None:
        return None
    reader = _Reader(tokens)
    table = reader.statement()
    if table is None or not reader.at_end():
        return None
    return (table,)


def _tokens(sql: str) -> list[tuple[str, str]] | None:
    """(kind, text) of each token: `word` texts are lowercased unless they are
    plain names, which keep their spelling (`name`); a parameter's name must be
    plain too."""
    tokens: list[tuple[str, str]] = []
    pos, end = 0, len(sql)
    while pos < end:
        match = _TOKEN.match(sql, pos)
        if match is None:
            return None
        pos = match.end()
        kind = match.lastgroup
        if kind is None:
            continue  # white space
        text = match.group()
        if kind == "word":
            lowered = text.lower()
            if lowered in _KEYWORDS:
                tokens.append(("word", lowered))
            else:
                tokens.append(("name", text))
        elif kind == "param":
            if text[1:].lower() in _KEYWORDS:  # `:from` does not parse
                return None
            tokens.append(("operand", text))
        else:
            tokens.append((kind, text))
    return tokens


class _Reader:
    """A recursive descent over the tokens; each method consumes what it read
    and answers whether the text is in the grammar so far."""

    def __init__(self, tokens: list[tuple[str, str]]) -> None:
        self.tokens = tokens
        self.pos = 0
        self.depth = 0

    def at_end(self) -> bool:
        self._take(";")
        return self.pos == len(self.tokens)

    def statement(self) -> str | None:
        """The statement's table, or None."""
        if self._take("delete"):
            return self._delete()
        if self._take("select"):
            return self._select()
        if self._take("update"):
            return self._update()
        if self._take("insert"):
            return self._insert()
        return None

    def _delete(self) -> str | None:
        if not self._take("from"):
            return None
        table = self._name()
        return table if table is not None and self._where() else None

    def _select(self) -> str | None:
        if not (self._take("*") or self._names()):
            return None
        if not self._take("from"):
            return None
        table = self._name()
        return table if table is not None and self._where() else None

    def _update(self) -> str | None:
        table = self._name()
        if table is None or not self._take("set"):
            return None
        while True:
            # sqlglot 25 reads a value without `AND`/`OR` (`SET a = b AND c` fails)
            if self._name() is None or not self._take("=") or not self._expression(False):
                return None
            if not self._take(","):
                break
        return table if self._where() else None

    def _insert(self) -> str | None:
        if not self._take("into"):
            return None
        table = self._name()
        if table is None:
            return None
        if self._take("(") and not (self._names() and self._take(")")):
            return None
        if not self._take("values"):
            return None
        while True:
            if not (self._take("(") and self._expressions() and self._take(")")):
                return None
            if not self._take(","):
                return table

    def _where(self) -> bool:
        """An optional `WHERE e`."""
        return not self._take("where") or self._expression()

    def _names(self) -> bool:
        """`c [, c ...]`."""
        while True:
            if self._name() is None:
                return False
            if not self._take(","):
                return True

    def _expressions(self) -> bool:
        """`e [, e ...]`."""
        while True:
            if not self._expression():
                return False
            if not self._take(","):
                return True

    def _expression(self, boolean: bool = True) -> bool:
        """Operands joined by binary operators (`AND`/`OR` only if `boolean`)."""
        self.depth += 1
        try:
            if self.depth > _DEPTH:
                return False
            while True:
                tested = self._operand()  # None: not an operand
                if tested is None:
                    return False
                if not self._binary(boolean_only=tested, boolean=boolean):
                    return True
        finally:
            self.depth -= 1

    def _operand(self) -> bool | None:
        """An operand, maybe followed by `IS [NOT] NULL` (then True: only `AND`
        or `OR` may follow it, sqlglot reads `a IS NULL - b` as no expression);
        None if there is none."""
        kind, text = self._peek()
        if kind == "operand" or (kind == "word" and text in _LITERALS):
            self.pos += 1
        elif kind == "name":
            self.pos += 1
            if self._peek() == ("op", "(") and not self._call(text.lower()):
                return None
        elif (kind, text) == ("op", "("):
            self.pos += 1
            if not (self._expression() and self._take(")")):
                return None
        else:
            return None
        if self._take("is"):
            self._take("not")
            return True if self._take("null") else None
        return False

    def _call(self, function: str) -> bool:
        """`now()` or `make_interval(unit => e, ...)`, its name read already."""
        self.pos += 1  # "("
        if function == "now":
            return self._take(")")
        if function != "make_interval":
            return False
        units: set[str] = set()
        while True:
            kind, unit = self._peek()
            if kind != "name" or unit.lower() not in _UNITS or unit.lower() in units:
                return False
            units.add(unit.lower())
            self.pos += 1
            if not (self._take("=>") and self._expression()):
                return False
            if not self._take(","):
                return self._take(")")

    def _binary(self, *, boolean_only: bool = False, boolean: bool = True) -> bool:
        """Consume a binary operator (with `boolean_only`, `AND` or `OR` only;
        without `boolean`, neither of them)."""
        kind, text = self._peek()
        logical = text in ("and", "or")
        if (boolean_only and not logical) or (logical and not boolean):
            return False
        if kind in ("op", "word") and text in _BINARY:
            self.pos += 1
            return True
        return False

    def _name(self) -> str | None:
        kind, text = self._peek()
        if kind != "name":
            return None
        self.pos += 1
        return text

    def _take(self, text: str) -> bool:
        """Consume the next token if it is this keyword (lowercase) or operator."""
        kind, found = self._peek()
        if found == text and kind in ("word", "op"):
            self.pos += 1
            return True
        return False

    def _peek(self) -> tuple[str, str]:
        if self.pos < len(self.tokens):
            return self.tokens[self.pos]
        return ("end", "")
