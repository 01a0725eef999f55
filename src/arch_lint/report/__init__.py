"""Report formats (text, concise, JSON, JSON lines, SARIF, GitHub, GitLab, JUnit),
fingerprints and the baseline."""

from __future__ import annotations

from arch_lint.report.render import FORMATS, NEEDS_FINGERPRINTS, render, render_statistics

__all__ = ["FORMATS", "NEEDS_FINGERPRINTS", "render", "render_statistics"]
