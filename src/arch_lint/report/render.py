"""Text and JSON output (SPEC §5)."""

from __future__ import annotations

import json
import os
from collections import Counter
from pathlib import Path

from arch_lint.findings import Finding

FORMATS = ("text", "json")

JSON_KEYS = (
    "code",
    "name",
    "message",
    "path",
    "line",
    "column",
    "end_line",
    "end_column",
    "service",
    "fixable",
)


def _display(path: str, root: Path) -> str:
    """A path the user can click: relative to the current directory when possible."""
    absolute = root / path
    try:
        return os.path.relpath(absolute, Path.cwd()).replace(os.sep, "/")
    except ValueError:  # another drive on Windows
        return absolute.as_posix()


def render_text(findings: list[Finding], root: Path, statistics: bool, checked: int) -> str:
    lines = [
        f"{_display(f.path, root)}:{f.line}:{f.column}: {f.code} {f.message}"
        + (" [*]" if f.fixable and (f.fix is None or f.fix.safe) else "")
        for f in findings
    ]
    hidden = sum(1 for f in findings if f.fix is not None and not f.fix.safe)
    if statistics and findings:
        counts = Counter(f.code for f in findings)
        names = {f.code: f.name for f in findings}
        width = max(len(str(n)) for n in counts.values())
        ordered = sorted(counts, key=lambda c: (-counts[c], c))
        lines += [f"{counts[c]:>{width}}\t{c}\t{names[c]}" for c in ordered]
    n = len(findings)
    if n:
        lines.append(
            f"Found {n} violation{'s' if n != 1 else ''} in {checked} checked file"
            f"{'s' if checked != 1 else ''}."
        )
        safe = sum(1 for f in findings if f.fixable and (f.fix is None or f.fix.safe))
        if safe:
            lines.append(f"[*] {safe} fixable with `arch-lint fix`.")
        if hidden:
            lines.append(f"{hidden} more fixable with `arch-lint fix --unsafe-fixes`.")
    else:
        lines.append(f"All checks passed ({checked} file{'s' if checked != 1 else ''} checked).")
    return "\n".join(lines) + "\n"


def render_json(findings: list[Finding]) -> str:
    rows = [{k: getattr(f, k) for k in JSON_KEYS} for f in findings]
    return json.dumps(rows, indent=2, ensure_ascii=False) + "\n"


def render(
    fmt: str, findings: list[Finding], root: Path, *, statistics: bool = False, checked: int = 0
) -> str:
    if fmt == "json":
        return render_json(findings)
    return render_text(findings, root, statistics, checked)
