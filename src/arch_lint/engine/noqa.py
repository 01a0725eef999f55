"""`# noqa` comments, mapped to lines the way flake8 maps them.

The CLI suppresses exactly what flake8 does: a comment applies to its own line
and, where a token spans lines (a multi-line string), to every line of it. A
finding sits on a statement's first line, so a multi-line import carries its
`# noqa` on its first line. One difference, on purpose: only real comments
count (flake8 also honours `# noqa` inside a string literal).
"""

from __future__ import annotations

import io
import re
import tokenize
from dataclasses import dataclass

from arch_lint.source import decode

NOQA_RE = re.compile(
    r"# noqa"
    r"(?::[\s]?(?P<codes>[A-Z]+[0-9]+(?:[,\s]+[A-Z]+[0-9]+)*))?"
    r"(?P<reason>\s+--\s+.*)?",
    re.IGNORECASE,
)
FILE_NOQA_RE = re.compile(
    r"#\s*arch-lint:\s*noqa(?::\s*(?P<codes>[A-Z]+[0-9]*(?:[,\s]+[A-Z]+[0-9]*)*))?\s*$",
    re.IGNORECASE,
)


@dataclass
class Suppression:
    """One `# noqa` comment."""

    line: int
    col: int
    """0-based character column of the comment."""
    end_col: int
    codes: tuple[str, ...] | None
    """None for a bare `# noqa` (everything)."""
    text: str
    used: set[str]

    def covers(self, code: str) -> str | None:
        """The listed code (or prefix) that suppresses `code`, or None."""
        if self.codes is None:
            return "*"
        for listed in self.codes:
            if code.startswith(listed):
                return listed
        return None


@dataclass
class NoqaMap:
    by_line: dict[int, list[Suppression]]
    comments: list[Suppression]

    def suppressing(self, line: int, code: str) -> tuple[Suppression, str] | None:
        for sup in self.by_line.get(line, ()):
            listed = sup.covers(code)
            if listed is not None:
                return sup, listed
        return None


def _logical_ranges(tokens: list[tokenize.TokenInfo]) -> list[tuple[int, int]]:
    """Line ranges that share one `noqa`, exactly as flake8 builds them: a range
    ends at every NL or NEWLINE token, so only tokens that span lines (a
    multi-line string) join lines; a parenthesised import is one range a line."""
    ranges = []
    low, high = None, -1
    for tok in tokens:
        if tok.type in {tokenize.ENDMARKER, tokenize.DEDENT}:
            continue
        low = tok.start[0] if low is None else min(low, tok.start[0])
        high = max(high, tok.end[0])
        if tok.type in {tokenize.NL, tokenize.NEWLINE}:
            ranges.append((low, high))
            low, high = None, -1
    return ranges


def parse_noqa(source: bytes) -> NoqaMap:
    """Every `# noqa` comment of a file, and the lines it covers."""
    if b"noqa" not in source.lower():
        return NoqaMap({}, [])
    text = decode(source)
    comments: list[Suppression] = []
    tokens: list[tokenize.TokenInfo] = []
    try:
        for tok in tokenize.generate_tokens(io.StringIO(text).readline):
            tokens.append(tok)
            if tok.type == tokenize.COMMENT:
                match = NOQA_RE.search(tok.string)
                if match is None:
                    continue
                raw = match.group("codes")
                codes = tuple(c.upper() for c in re.split(r"[,\s]+", raw.strip())) if raw else None
                comments.append(
                    Suppression(tok.start[0], tok.start[1], tok.end[1], codes, tok.string, set())
                )
    except (tokenize.TokenError, SyntaxError):
        pass  # keep what was read; the parser reports the problem
    by_line: dict[int, list[Suppression]] = {}
    comment_at = {c.line: c for c in comments}
    for first, last in _logical_ranges(tokens):
        found = [comment_at[n] for n in range(first, last + 1) if n in comment_at]
        if found:
            for n in range(first, last + 1):
                by_line.setdefault(n, []).extend(found)
    for c in comments:
        if c.line not in by_line:
            by_line[c.line] = [c]
    return NoqaMap(by_line, comments)


def file_noqa(source: bytes) -> tuple[bool, tuple[str, ...] | None]:
    """`# arch-lint: noqa[: codes]` in the file's first comment block."""
    if b"arch-lint" not in source[:4096]:
        return False, None
    for raw in decode(source[:4096]).splitlines():
        line = raw.strip()
        if not line:
            continue
        if not line.startswith("#"):
            break
        match = FILE_NOQA_RE.search(line)
        if match:
            codes = match.group("codes")
            return True, (
                tuple(c.upper() for c in re.split(r"[,\s]+", codes.strip())) if codes else None
            )
    return False, None
