"""What the reports say about a rule: its documentation link and fix safety."""

from __future__ import annotations

from arch_lint.rules import BY_CODE, Rule
from arch_lint.rules._base import doc_sections

DOCS_URL = "https://arch-lint.invalid/docs/rules.md"
"""Where `docs/rules.md` is published; every report's rule link starts here.
One constant, so that moving the documentation is a one-line change."""


def rule_url(code: str) -> str:
    """The rule's section of the rules reference (the anchor GitHub and
    `python -m arch_lint.docs` give the heading `## ARC101 cross-service-data-access`)."""
    rule = BY_CODE.get(code)
    anchor = code.lower() if rule is None else f"{code.lower()}-{rule.name}"
    return f"{DOCS_URL}#{anchor}"


def fix_applicability(rule: type[Rule]) -> str:
    """`safe`, `unsafe` or `none`, from the rule's `fix_title` and its documented
    "Fix safety" section (every rule with a fix documents it)."""
    if rule.fix_title is None:
        return "none"
    section = doc_sections(rule.__doc__ or "").get("Fix safety")
    if section is None:
        return "none"
    return "unsafe" if "unsafe" in section.lower() else "safe"
