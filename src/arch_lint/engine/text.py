"""Decoding source as Python does (PEP 263 coding cookie, BOM)."""

from __future__ import annotations

import io
import tokenize


def decode(source: bytes) -> str:
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(source).readline)
        return source.decode(encoding)
    except (SyntaxError, LookupError, UnicodeDecodeError):
        return source.decode("utf-8", "replace")
