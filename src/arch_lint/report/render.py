"""The report formats of `check --format` (SPEC §5).

`text`, `concise` and `github` print paths relative to the current directory
(clickable where the command ran); `json`, `json-lines`, `sarif`, `gitlab` and
`junit` paths relative to the project root, with `/` separators.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from arch_lint.findings import Finding
from arch_lint.report.rules import rule_url

FORMATS = ("text", "concise", "json", "json-lines", "sarif", "github", "gitlab", "junit")

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

NEEDS_FINGERPRINTS = frozenset({"json", "json-lines", "sarif", "gitlab"})
"""Formats that carry fingerprints (the CLI computes them once for the baseline too)."""


def display_path(path: str, root: Path) -> str:
    """A path the user can click: relative to the current directory when possible."""
    absolute = root / path
    try:
        return os.path.relpath(absolute, Path.cwd()).replace(os.sep, "/")
    except ValueError:  # another drive on Windows
        return absolute.as_posix()


_display = display_path


def _safe_fix(finding: Finding) -> bool:
    return finding.fixable and (finding.fix is None or finding.fix.safe)


def render_text(findings: Sequence[Finding], root: Path, checked: int) -> str:
    lines = [
        f"{display_path(f.path, root)}:{f.line}:{f.column}: {f.code} {f.message}"
        + (" [*]" if _safe_fix(f) else "")
        for f in findings
    ]
    hidden = sum(1 for f in findings if f.fix is not None and not f.fix.safe)
    n = len(findings)
    if n:
        lines.append(
            f"Found {n} violation{'s' if n != 1 else ''} in {checked} checked file"
            f"{'s' if checked != 1 else ''}."
        )
        safe = sum(1 for f in findings if _safe_fix(f))
        if safe:
            lines.append(f"[*] {safe} fixable with `arch-lint fix`.")
        if hidden:
            lines.append(f"{hidden} more fixable with `arch-lint fix --unsafe-fixes`.")
    else:
        lines.append(f"All checks passed ({checked} file{'s' if checked != 1 else ''} checked).")
    return "\n".join(lines) + "\n"


def render_concise(findings: Sequence[Finding], root: Path) -> str:
    """`path:line:col: CODE message`, one line a finding, nothing else."""
    return "".join(
        f"{display_path(f.path, root)}:{f.line}:{f.column}: {f.code} {f.message}\n"
        for f in findings
    )


def statistics_rows(findings: Sequence[Finding]) -> list[dict[str, Any]]:
    """Count per code, most frequent first; `fixable` where `arch-lint fix` repairs some."""
    counts = Counter(f.code for f in findings)
    names = {f.code: f.name for f in findings}
    fixable = {f.code for f in findings if _safe_fix(f)}
    ordered = sorted(counts, key=lambda c: (-counts[c], c))
    return [
        {"count": counts[c], "code": c, "name": names[c], "fixable": c in fixable} for c in ordered
    ]


def render_statistics(fmt: str, findings: Sequence[Finding]) -> str:
    """Only the table: `count  code  name  [*]` (JSON with the JSON formats)."""
    rows = statistics_rows(findings)
    if fmt in {"json", "json-lines"}:
        return json.dumps(rows, indent=2) + "\n"
    if not rows:
        return ""
    width = max(len(str(r["count"])) for r in rows)
    return "".join(
        f"{r['count']:>{width}}\t{r['code']}\t{r['name']}"
        + ("\t[*]" if r["fixable"] else "")
        + "\n"
        for r in rows
    )


def fix_object(finding: Finding, root: Path, edits: bool = False) -> dict[str, Any] | None:
    """The JSON `fix`: applicability, the fix's title and, with `edits`, its text
    edits (else `[]`). Edits cost a libcst parse of the file per fix, ten times
    and more what checking it costs, so a report lists them only when asked
    (`check --fix-edits`)."""
    if finding.fix is None:
        return None
    from arch_lint.report.edits import fix_edits

    return {
        "applicability": "safe" if finding.fix.safe else "unsafe",
        "message": finding.fix.title,
        "edits": fix_edits(root, finding) if edits else [],
    }


def json_object(
    finding: Finding, root: Path, fingerprint: str, fix_edits: bool = False
) -> dict[str, Any]:
    row: dict[str, Any] = {k: getattr(finding, k) for k in JSON_KEYS}
    row["fix"] = fix_object(finding, root, fix_edits)
    row["url"] = rule_url(finding.code, finding.name)
    row["fingerprint"] = fingerprint
    return row


def render_json(
    findings: Sequence[Finding], root: Path, fingerprints: Sequence[str], fix_edits: bool = False
) -> str:
    rows = [
        json_object(f, root, fp, fix_edits) for f, fp in zip(findings, fingerprints, strict=True)
    ]
    return json.dumps(rows, indent=2, ensure_ascii=False) + "\n"


def render_json_lines(
    findings: Sequence[Finding], root: Path, fingerprints: Sequence[str], fix_edits: bool = False
) -> str:
    return "".join(
        json.dumps(json_object(f, root, fp, fix_edits), ensure_ascii=False) + "\n"
        for f, fp in zip(findings, fingerprints, strict=True)
    )


def render(
    fmt: str,
    findings: Sequence[Finding],
    root: Path,
    *,
    statistics: bool = False,
    checked: int | Sequence[str] = 0,
    fingerprints: Sequence[str] | None = None,
    fix_edits: bool = False,
) -> str:
    """The report in `fmt`. `checked`: the checked files (or only their number:
    then the JUnit report has a test case only for the files with findings).
    `fingerprints`: the findings' fingerprints when the caller has them.
    `fix_edits`: list each fix's text edits in JSON and SARIF (slow: libcst)."""
    if statistics:
        return render_statistics(fmt, findings)
    files = [] if isinstance(checked, int) else list(checked)
    count = checked if isinstance(checked, int) else len(checked)
    if fmt == "text":
        return render_text(findings, root, count)
    if fmt == "concise":
        return render_concise(findings, root)
    if fmt == "github":
        from arch_lint.report.ci import render_github

        return render_github(findings, root)
    if fmt == "junit":
        from arch_lint.report.ci import render_junit

        return render_junit(findings, files)
    if fingerprints is None:
        from arch_lint.engine.fingerprint import fingerprints as compute_fingerprints

        fingerprints = compute_fingerprints(findings, root)
    if fmt == "json":
        return render_json(findings, root, fingerprints, fix_edits)
    if fmt == "json-lines":
        return render_json_lines(findings, root, fingerprints, fix_edits)
    if fmt == "sarif":
        from arch_lint.report.sarif import render_sarif

        return render_sarif(findings, root, fingerprints, fix_edits)
    if fmt == "gitlab":
        from arch_lint.report.ci import render_gitlab

        return render_gitlab(findings, fingerprints)
    raise ValueError(f"unknown format `{fmt}`")
