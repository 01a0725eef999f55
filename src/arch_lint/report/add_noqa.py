"""`check --add-noqa[=REASON]`: suppress today's findings where they stand.

Each finding's line gets `# noqa: ARCxxx -- REASON`, on the line where flake8
and arch-lint read it: a finding inside a multi-line token (a triple-quoted
string, a backslash continuation) gets it on that token's last line, the only
line of the range that can hold a comment. An existing `# noqa: X` gains the
missing codes (its reason is kept); a bare `# noqa` already covers everything
and is left alone; another comment keeps its text and the `# noqa` follows it.
A second run changes nothing. Files are written atomically, only when they did
not change since they were read; the encoding, BOM and line endings are kept.
"""

from __future__ import annotations

import io
import re
import tokenize
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from arch_lint.engine.noqa import NOQA_RE, _logical_ranges
from arch_lint.findings import Finding
from arch_lint.source import line_starts

UNSUPPRESSIBLE = frozenset({"ARC000", "ARC001", "ARC002"})
"""Configuration problems, syntax errors and unused suppressions: a comment on
the line cannot (or should not) silence them."""

_CODES_SPLIT = re.compile(r"[,\s]+")
_BLANKS = " \t"


@dataclass
class NoqaReport:
    added: int = 0
    """Codes added to comments."""
    files: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    """(path, why) of findings that got no comment."""


def add_noqa(root: Path, findings: Sequence[Finding], reason: str | None) -> NoqaReport:
    report = NoqaReport()
    by_path: dict[str, list[Finding]] = {}
    for f in findings:
        if f.code in UNSUPPRESSIBLE or not f.path.endswith(".py"):
            report.skipped.append((f.path, f"{f.code} cannot be suppressed with `# noqa`"))
            continue
        by_path.setdefault(f.path, []).append(f)
    for path, found in sorted(by_path.items()):
        problem = _add_to_file(root, path, found, reason, report)
        if problem is not None:
            report.skipped.append((path, problem))
    return report


def _add_to_file(
    root: Path, path: str, findings: list[Finding], reason: str | None, report: NoqaReport
) -> str | None:
    from arch_lint.engine.fix import _write_if_unchanged, read_project_file  # the fix engine's

    read = read_project_file(root, path)
    if isinstance(read, str):
        return read
    target, source = read
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(source).readline)
        text = source.decode(encoding)
    except (SyntaxError, LookupError, UnicodeDecodeError):
        return "cannot decode the file; no comment added"
    changed = noqa_text(text, findings, reason)
    if isinstance(changed, str):
        return changed
    new_text, added = changed
    if not added:
        return None
    new_source = new_text.encode(encoding)
    problem = _write_if_unchanged(target, source, new_source)
    if problem is not None:
        return problem
    report.added += added
    report.files.append(path)
    return None


def noqa_text(text: str, findings: Sequence[Finding], reason: str | None) -> tuple[str, int] | str:
    """`text` with a `# noqa` for each of `findings` (all of one file) where
    flake8 and arch-lint read it, and how many codes were added; or why no
    comment can be added (the text does not tokenize). The editor's quick fix
    ("suppress with `# noqa: ARCxxx`") and `--add-noqa` both come here."""
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(text).readline))
    except (tokenize.TokenError, SyntaxError):
        return "the file does not tokenize; no comment added"
    last_line = {}
    for low, high in _logical_ranges(tokens):
        for n in range(low, high + 1):
            last_line[n] = high
    comments = {t.start[0]: t for t in tokens if t.type == tokenize.COMMENT}
    wanted: dict[int, list[str]] = {}
    for f in findings:
        line = last_line.get(f.line, f.line)
        codes = wanted.setdefault(line, [])
        if f.code not in codes:
            codes.append(f.code)
    starts = line_starts(text)
    lines = [text[a:b] for a, b in zip(starts, [*starts[1:], len(text)], strict=True)]
    added = 0
    for line, codes in wanted.items():
        if not 1 <= line <= len(lines):
            continue
        new_line, n = _with_noqa(lines[line - 1], comments.get(line), sorted(codes), reason)
        lines[line - 1] = new_line
        added += n
    return "".join(lines), added


def _with_noqa(
    line: str, comment: tokenize.TokenInfo | None, codes: list[str], reason: str | None
) -> tuple[str, int]:
    """The line with `codes` in its `# noqa`, and how many codes were added."""
    body = line.rstrip("\r\n")
    ending = line[len(body) :]
    tail = f" -- {reason}" if reason else ""
    if comment is None:  # after the code, trailing blanks dropped
        return f"{body.rstrip(_BLANKS)}  # noqa: {', '.join(codes)}{tail}{ending}", len(codes)
    start, end = comment.start[1], comment.end[1]
    text = body[start:end]
    match = NOQA_RE.search(text)
    if match is None:  # another comment: the noqa follows it
        kept = body[:end].rstrip(_BLANKS)
        return f"{kept}  # noqa: {', '.join(codes)}{tail}{body[end:]}{ending}", len(codes)
    listed = match.group("codes")
    if listed is None:
        return line, 0  # a bare noqa comment covers everything
    present = [c.upper() for c in _CODES_SPLIT.split(listed.strip()) if c]
    missing = [c for c in codes if not any(c.startswith(p) for p in present)]
    if not missing:
        return line, 0
    merged = ", ".join([*present, *missing])
    if match.group("reason") is None:
        merged += tail
    new = text[: match.start("codes")] + merged + text[match.end("codes") :]
    return body[:start] + new + body[end:] + ending, len(missing)
