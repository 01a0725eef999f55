"""Lines as Python's tokenizer counts them: the fast paths of `arch_lint.source`
agree with the definition (a break is `\\r\\n`, `\\r` or `\\n`, nothing else)."""

from __future__ import annotations

import io
import re
import tokenize

from hypothesis import given
from hypothesis import strategies as st

from arch_lint.source import byte_line_starts, decode, line_of, line_starts, source_lines

_BREAK = re.compile(r"\r\n|\r|\n")
# Line breaks, characters `str.splitlines` would also break at, and plain text.
_PIECES = st.sampled_from(
    ["\n", "\r", "\r\n", "\x0c", "\x0b", "\x1c", "\x85", "\u2028", "é", "a", " "]
)
TEXTS = st.lists(_PIECES, max_size=40).map("".join)


def _starts(text: str) -> list[int]:
    return [0, *(m.end() for m in _BREAK.finditer(text))]


@given(TEXTS)
def test_line_starts_and_lines_count_only_python_line_breaks(text: str) -> None:
    assert line_starts(text) == _starts(text)
    assert source_lines(text) == _BREAK.split(text)
    assert len(source_lines(text)) == len(line_starts(text))


@given(TEXTS)
def test_byte_line_starts_are_the_line_starts_of_the_bytes(text: str) -> None:
    source = text.encode("utf-8")
    assert byte_line_starts(source) == [0, *(m.end() for m in re.finditer(rb"\r\n|\r|\n", source))]


def test_edges() -> None:
    assert line_starts("") == [0]
    assert byte_line_starts(b"") == [0]
    assert byte_line_starts(b"a") == [0]
    assert byte_line_starts(b"a\n") == [0, 2]
    assert byte_line_starts(b"a\r\nb\rc") == [0, 3, 5]
    assert source_lines("a\x0cb\u2028c\n") == ["a\x0cb\u2028c", ""]
    assert line_of(line_starts("ab\ncd\n"), 3) == 2


def _decoded(source: bytes) -> str:
    """Python's decoding of a source file, read by `tokenize.detect_encoding`."""
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(source).readline)
        return source.decode(encoding)
    except (SyntaxError, LookupError, UnicodeDecodeError):
        return source.decode("utf-8", "replace")


_SOURCE_PIECES = st.sampled_from(
    [
        b"\xef\xbb\xbf",
        b"# -*- coding: latin-1 -*-\n",
        b"# coding: bogus\n",
        b"#coding=utf-8",
        b"coding",
        b"\n",
        b"\r",
        b"\xe9",
        b"\xc3\xa9",
        b"x = 1",
        b"#",
        b" ",
    ]
)


@given(st.lists(_SOURCE_PIECES, max_size=12).map(b"".join))
def test_decode_decodes_as_python_does(source: bytes) -> None:
    assert decode(source) == _decoded(source)
