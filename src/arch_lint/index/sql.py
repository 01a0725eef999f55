"""Plain-SQL migrations: the tables a `.sql` file creates (ARC103's table owners).

Which files are read is the listing's business (`layout.is_sql_migration`: a
`.sql` file in a folder named `migrations`, or a Flyway `V<n>__<desc>.sql`);
this module only reads one. It never parses SQL as a language: a small scanner
skips comments (`--`, nested `/* */`), string literals (`'...'`, `E'...'`,
dollar quotes) and quoted identifiers, and at each `CREATE` outside them reads

    CREATE [OR REPLACE] [UNLOGGED] TABLE [IF NOT EXISTS] [schema.]name

(keywords in any case; `"name"`, `` `name` `` and `[name]` quoted), also in
the body of a PostgreSQL `DO $$ ... $$` block, which runs where it stands. What
does not count: `CREATE TEMP/TEMPORARY TABLE` (gone with the session),
`CREATE TABLE ... AS ...` and MySQL's `CREATE TABLE ... SELECT ...` (a copy of
other tables' data), a `CREATE TABLE` inside a string, or inside a function's
dollar-quoted body (it runs later, if ever), and `ALTER TABLE ... RENAME TO`
(not followed: the first name stays the table's). The facts hold only each
table's name (schema left out, as `op.create_table` names it) and where it
stands.

The scan is linear, and the regular expression engine passes over everything
but comments, quotes, the word `create` and, within a `CREATE TABLE` statement,
parentheses: a 1 MB migration is read in about a tenth of a second, and
nothing after the last `create` of a file is scanned.
"""

from __future__ import annotations

import re
from collections import deque

from arch_lint.index.datalayer import CREATE, TableDecl
from arch_lint.index.facts import FileFacts
from arch_lint.source import byte_line_starts, line_of

_WORD = rb"[\w$\x80-\xff]"
"""A byte of an unquoted identifier (letters, digits, `_`, `$`, non-ASCII)."""
_WORD_BYTE = re.compile(_WORD)
_NOT_AFTER_WORD = rb"(?<!" + _WORD + rb")"
_WORD_END = rb"(?!" + _WORD + rb")"
_DOLLAR = _NOT_AFTER_WORD + rb"\$(?:[A-Za-z_\x80-\xff][\w\x80-\xff]*)?\$"
"""A dollar quote's opening tag (`$$`, `$body$`); not `$1`, not `a$b`."""
_SKIPPED = rb"--|/\*|['\"`]|" + _DOLLAR

_SKIPPED_FIRST = b"-/'\"`$"


def _stops(first: bytes, pattern: bytes) -> re.Pattern[bytes]:
    """`pattern` (case-insensitive), led by a lookahead for the bytes its matches
    can start with (`first`, letters in either case): the regex engine then
    skips to those bytes without trying each alternative at every offset,
    which halves the scan's time."""
    leading = re.escape(bytes(sorted(set(first + first.upper() + first.lower()))))
    return re.compile(rb"(?=[" + leading + rb"])(?:" + pattern + rb")", re.IGNORECASE)


_SCAN = _stops(_SKIPPED_FIRST + b"c", _SKIPPED + rb"|" + _NOT_AFTER_WORD + rb"create" + _WORD_END)
"""What the scan stops at: the start of something to skip, or a `CREATE`."""
_CANDIDATE = re.compile(_NOT_AFTER_WORD + rb"create" + _WORD_END, re.IGNORECASE)

_GAP = rb"(?:\s|--[^\n]*(?:\n|\Z)|/\*.*?\*/)+"
_NAME = rb'(?:"(?:[^"]|"")+"|`(?:[^`]|``)+`|\[[^\]\n]+\]|[A-Za-z_\x80-\xff]' + _WORD + rb"*)"
_HEADER = re.compile(
    rb"create" + _GAP + rb"(?:or" + _GAP + rb"replace" + _GAP + rb")?"
    rb"(?:(?P<temp>(?:(?:global|local)" + _GAP + rb")?temp(?:orary)?" + _GAP + rb")"
    rb"|unlogged" + _GAP + rb")?"
    rb"table" + _GAP + rb"(?:if" + _GAP + rb"not" + _GAP + rb"exists" + _GAP + rb")?"
    rb"(?P<name>" + _NAME + rb"(?:\s*\.\s*" + _NAME + rb"){0,2})" + _WORD_END,
    re.IGNORECASE | re.DOTALL,
)
_PART = re.compile(_NAME)

_BODY_WORDS = (b"as", b"select", b"create", b"alter", b"insert", b"update", b"delete", b"drop",
               b"grant")  # fmt: skip
_BODY = _stops(
    _SKIPPED_FIRST + b"();" + bytes(word[0] for word in _BODY_WORDS),
    rb"\([^()'\"`$;/-]*\)|" + _SKIPPED + rb"|[();]|"
    + _NOT_AFTER_WORD + rb"(?:" + b"|".join(_BODY_WORDS) + rb")" + _WORD_END,
)  # fmt: skip
"""What decides a `CREATE TABLE` statement's kind after its name: at the top
level (outside parentheses), `AS`/`SELECT` make it a copy; `;` or the next
statement's first word end it. (A plain group such as `(10, 2)` is passed
over whole.)"""
_COPY = frozenset({b"as", b"select"})
_OPEN = ord("(")
_DOLLAR_SIGN = ord("$")
_DO = re.compile(_NOT_AFTER_WORD + rb"do(?:\s+language\s+" + _WORD + rb"+)?\s*\Z", re.IGNORECASE)
"""`DO [LANGUAGE name]` right before a dollar quote: PostgreSQL's anonymous block."""


def sql_facts(source: bytes) -> FileFacts:
    """The facts of a plain-SQL migration: the tables it creates, nothing else."""
    return FileFacts(tables=created_tables(source))


def created_tables(source: bytes) -> list[TableDecl]:
    """The tables a SQL script creates, in order (see the module's docstring).

    Positions are (line, col, end_line, end_col) of the table's name, columns
    0-based UTF-8 byte offsets, as for the tables of Python files."""
    data = _utf8(source)
    last = deque(_CANDIDATE.finditer(data), maxlen=1)  # nothing to read after it
    if not last:
        return []
    found: list[tuple[bytes, int, int]] = []
    _scan(data, 0, len(data), last[0].end(), found)
    if not found:
        return []
    starts = byte_line_starts(data)
    tables = []
    for written, begin, finish in found:
        line, end_line = line_of(starts, begin), line_of(starts, finish)
        where = (line, begin - starts[line - 1], end_line, finish - starts[end_line - 1])
        tables.append(TableDecl(_last_part(written), CREATE, where))
    return tables


def _scan(
    data: bytes, pos: int, limit: int, stop: int, found: list[tuple[bytes, int, int]]
) -> None:
    """Add to `found` the tables the statements of `data[pos:limit]` create (no
    `create` ends after `stop`): each as its name as written, and its span."""
    while True:
        match = _SCAN.search(data, pos, min(stop, limit))
        if match is None:
            return
        token, start = match.group(), match.start()
        if token[0] == _DOLLAR_SIGN and _DO.search(data, max(start - 40, 0), start):
            # an anonymous block runs where it stands: its statements count
            close = data.find(token, match.end(), limit)
            close = limit if close < 0 else close
            _scan(data, match.end(), close, stop, found)
            pos = close + len(token)
            continue
        skipped = _skip(data, token, start)
        if skipped is not None:
            pos = skipped
            continue
        header = _HEADER.match(data, start, limit)
        if header is None:
            pos = match.end()
            continue
        pos, copy = _statement_kind(data, header.end(), limit)
        if header.group("temp") is None and not copy:
            found.append((header.group("name"), *header.span("name")))


def _utf8(source: bytes) -> bytes:
    """The script as UTF-8 bytes (a UTF-16 one, as some tools save them, re-encoded;
    a byte order mark blanked, which keeps the offsets)."""
    if source.startswith((b"\xff\xfe", b"\xfe\xff")):
        source = source.decode("utf-16", "replace").encode("utf-8", "replace")
    if source.startswith(b"\xef\xbb\xbf"):
        return b"   " + source[3:]
    return source


def _skip(data: bytes, token: bytes, start: int) -> int | None:
    """Where the comment, literal or quoted name that starts at `start` with
    `token` ends (the offset after it; the end of the text when unclosed), or
    None when `token` starts none of them."""
    if token == b"--":
        end = data.find(b"\n", start)
        return len(data) if end < 0 else end + 1
    if token == b"/*":
        return _block_comment_end(data, start)
    if token in (b"'", b'"', b"`"):
        escapes = (
            token == b"'"
            and data[start - 1 : start] in (b"E", b"e")
            and _WORD_BYTE.fullmatch(data[max(start - 2, 0) : start - 1]) is None
        )
        return _quoted_end(data, start, token, escapes)
    if token[:1] == b"$":
        end = data.find(token, start + len(token))
        return len(data) if end < 0 else end + len(token)
    return None


def _block_comment_end(data: bytes, start: int) -> int:
    """After the `*/` that closes the comment at `start` (they nest, as in PostgreSQL)."""
    depth, pos = 0, start
    while True:
        opening = data.find(b"/*", pos)
        closing = data.find(b"*/", pos)
        if closing < 0:
            return len(data)
        if 0 <= opening < closing:
            depth += 1
            pos = opening + 2
        else:
            depth -= 1
            pos = closing + 2
            if depth == 0:
                return pos


def _quoted_end(data: bytes, start: int, quote: bytes, escapes: bool) -> int:
    """After the quote that closes the one at `start` (doubled quotes stand for
    one; backslashes escape only in `E'...'`)."""
    pos = start + 1
    while True:
        end = data.find(quote, pos)
        if end < 0:
            return len(data)
        if escapes:
            backslashes = len(data[pos:end]) - len(data[pos:end].rstrip(b"\\"))
            if backslashes % 2:
                pos = end + 1
                continue
        if data[end + 1 : end + 2] == quote:
            pos = end + 2
            continue
        return end + 1


def _statement_kind(data: bytes, pos: int, limit: int) -> tuple[int, bool]:
    """(where the scan goes on, whether it is a copy) for the `CREATE TABLE`
    statement whose name ends at `pos` (and that ends by `limit`)."""
    depth = 0
    while True:
        match = _BODY.search(data, pos, limit)
        if match is None:
            return limit, False
        token = match.group()
        pos = match.end()
        if token[0] == _OPEN:
            if len(token) == 1:
                depth += 1
            # else a group with nothing in it to skip or to count: passed over
        elif token == b")":
            depth = max(depth - 1, 0)
        elif token == b";":
            return pos, False
        elif token[0] in _SKIPPED_FIRST:
            pos = _skip(data, token, match.start()) or pos
        elif depth:
            continue
        elif token.lower() in _COPY:
            return pos, True
        else:
            return match.start(), False  # the next statement (a script without `;`)


def _last_part(written: bytes) -> str:
    """`"billing"."Refunds"` -> `Refunds`: the table's own name, unquoted."""
    part: bytes = _PART.findall(written)[-1]
    if part[:1] == b'"':
        part = part[1:-1].replace(b'""', b'"')
    elif part[:1] == b"`":
        part = part[1:-1].replace(b"``", b"`")
    elif part[:1] == b"[":
        part = part[1:-1]
    return part.decode("utf-8", "replace")
