"""Source files as Python reads them: regular files only, read with a size cap;
bytes decoded as Python decodes them (PEP 263 coding cookie, BOM); lines counted
as Python's tokenizer counts them. The lowest layer: everything may use it."""

from __future__ import annotations

import io
import os
import re
import stat
import tokenize
from bisect import bisect_right
from itertools import accumulate

_BOM = b"\xef\xbb\xbf"


def decode(source: bytes) -> str:
    if not source.startswith(_BOM) and not _may_declare_coding(source):
        # no BOM and no coding cookie on the first two lines: UTF-8, as
        # `detect_encoding` (slower, by far the most of a call) would find
        try:
            return source.decode("utf-8")
        except UnicodeDecodeError:
            return source.decode("utf-8", "replace")
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(source).readline)
        return source.decode(encoding)
    except (SyntaxError, LookupError, UnicodeDecodeError):
        return source.decode("utf-8", "replace")


_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def source_lines(text: str) -> list[str]:
    """Lines as Python's tokenizer counts them (not `str.splitlines`, which also
    breaks at form feeds and U+2028)."""
    if "\r" not in text:
        return text.split("\n")  # the common case, without the regular expression
    return _LINE_BREAK.split(text)


def char_column(line: str, byte_col: int) -> int:
    """The character column of a UTF-8 byte column in a line's text (the
    parser's columns count bytes; findings count characters). A byte column
    inside a character counts that character as not reached."""
    if line.isascii():
        return byte_col
    return len(line.encode("utf-8", "surrogatepass")[:byte_col].decode("utf-8", "replace"))


_plus_one = (1).__add__


def line_starts(text: str) -> list[int]:
    """The offset in `text` where each line starts, lines counted as Python's
    tokenizer counts them (`\\r\\n`, `\\r` and `\\n`); linear in the text's size."""
    if "\r" not in text:
        # each line but the last ends in one "\n"
        return list(accumulate(map(_plus_one, map(len, text.split("\n")[:-1])), initial=0))
    return [0, *(m.end() for m in _LINE_BREAK.finditer(text))]


def byte_line_starts(source: bytes) -> list[int]:
    """`line_starts` of undecoded source (the line breaks are the same bytes in
    every encoding Python source can have; `bytes.splitlines` breaks at exactly
    these three)."""
    lines = source.splitlines(keepends=True)
    starts = list(accumulate(map(len, lines), initial=0))
    if lines and not lines[-1].endswith((b"\n", b"\r")):
        starts.pop()  # the last line has no break: nothing starts after it
    return starts


def line_of(starts: list[int], offset: int) -> int:
    """The 1-based line that holds `offset`, given `line_starts`."""
    return bisect_right(starts, offset)


MAX_FILE_BYTES = 16 * 1024 * 1024
"""Larger files are not read: no hand-written module comes near it, and a
generated one of that size is not arch-lint's to judge."""


class UnreadableFile(OSError):
    """A file that is not read: not a regular file, or larger than the cap."""


def read_regular(path: str | os.PathLike[str], limit: int = MAX_FILE_BYTES) -> bytes:
    """The bytes of a regular file of at most `limit` bytes.

    Opened without blocking and judged by `fstat` of the open file, so a FIFO,
    a device (a link to `/dev/zero`) or a file swapped for one after it was
    listed can neither hang the run nor fill the memory."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise UnreadableFile(f"not a regular file ({file_kind(info.st_mode)})")
        if info.st_size > limit:
            raise UnreadableFile(f"larger than {limit // (1024 * 1024)} MiB")
        chunks = []
        left = limit + 1
        want = info.st_size + 1  # the whole file and its end in one read, as a rule
        while left > 0:
            chunk = os.read(fd, min(left, want))
            want = 1 << 16  # the file grew after `fstat`: the rest in small pieces
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
        data = b"".join(chunks)
    finally:
        os.close(fd)
    if len(data) > limit:
        raise UnreadableFile(f"larger than {limit // (1024 * 1024)} MiB")
    return data


def file_kind(mode: int) -> str:
    """What a file that is not a regular one is, in a notice's words."""
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISDIR(mode):
        return "a directory"
    return "not a plain file"


def spelled_as_is(source: bytes) -> bool:
    """Whether every name and keyword in the source is spelled in its bytes as
    Python reads it, so that a byte search for one finds every place it stands:
    an ASCII source without a coding declaration (elsewhere a name may be
    normalised, NFKC, or encoded: `# coding: utf-7` spells `yield` `+AHk-ield`)."""
    return source.isascii() and not _may_declare_coding(source)


def _may_declare_coding(source: bytes) -> bool:
    """Whether the first two lines, where a coding declaration stands, spell `coding`."""
    end = source.find(b"\n")
    if end != -1:
        end = source.find(b"\n", end + 1)
    return b"coding" in (source if end == -1 else source[:end])
