"""A fix as text edits, for the reports that carry it (JSON, SARIF).

Fixes are libcst tree transformations (`arch_lint.engine.fix`), not stored
edits. To say what a fix would change, its transformation is run on its file
alone, nothing written, and the change is the one span where the old and new
text differ. That costs one libcst parse per fixable finding, and only the
JSON, JSON-lines and SARIF reports pay it. A fix the engine would refuse (the
file changed, libcst cannot parse it, the node is not found) has no edits.
"""

from __future__ import annotations

from bisect import bisect_right
from pathlib import Path
from typing import Any

from arch_lint.findings import Finding
from arch_lint.source import decode, line_starts


def fix_edits(root: Path, finding: Finding) -> list[dict[str, Any]]:
    """`[{"content", "location", "end_location"}]` of the finding's fix, or []."""
    if finding.fix is None:
        return []
    from arch_lint.engine.fix import preview  # libcst: only for reports with fixes

    previewed = preview(root, finding)
    if previewed is None:
        return []
    source, new_source = previewed
    old, new = decode(source), decode(new_source)
    if old == new:
        return []
    prefix = 0
    limit = min(len(old), len(new))
    while prefix < limit and old[prefix] == new[prefix]:
        prefix += 1
    suffix = 0
    while suffix < limit - prefix and old[-1 - suffix] == new[-1 - suffix]:
        suffix += 1
    starts = line_starts(old)
    return [
        {
            "content": new[prefix : len(new) - suffix],
            "location": _position(starts, prefix),
            "end_location": _position(starts, len(old) - suffix),
        }
    ]


def _position(starts: list[int], offset: int) -> dict[str, int]:
    """1-based line and 1-based character column of an offset."""
    line = bisect_right(starts, offset)
    return {"line": line, "column": offset - starts[line - 1] + 1}
