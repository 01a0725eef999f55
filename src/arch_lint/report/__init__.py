"""Renderers for findings: text, json (and later sarif, github)."""

from __future__ import annotations

from arch_lint.report.render import FORMATS, render

__all__ = ["FORMATS", "render"]
