"""Decoding source as Python does (PEP 263 coding cookie, BOM)."""

from __future__ import annotations

import io
import re
import tokenize


def decode(source: bytes) -> str:
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(source).readline)
        return source.decode(encoding)
    except (SyntaxError, LookupError, UnicodeDecodeError):
        return source.decode("utf-8", "replace")


_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def source_lines(text: str) -> list[str]:
    """Lines as Python's tokenizer counts them (not `str.splitlines`, which also
    breaks at form feeds and U+2028)."""
    return _LINE_BREAK.split(text)
