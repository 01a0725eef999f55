"""What the reports say about a rule: its documentation link and fix safety."""

from __future__ import annotations

from typing import Literal

from arch_lint.rules import BY_CODE, Rule

DOCS_URL = "https://arch-lint.invalid/docs/rules.md"
"""Where `docs/rules.md` is published; every report's rule link starts here.
One constant, so that moving the documentation is a one-line change."""


def rule_url(code: str) -> str:
    """The rule's section of the rules reference (the anchor GitHub and
    `python -m arch_lint.docs` give the heading `## ARC101 cross-service-data-access`)."""
    rule = BY_CODE.get(code)
    anchor = code.lower() if rule is None else f"{code.lower()}-{rule.name}"
    return f"{DOCS_URL}#{anchor}"


def fix_applicability(rule: type[Rule]) -> Literal["safe", "unsafe", "none"]:
    """`safe`, `unsafe` or `none`: the rule's declared `fix_safety` (the rule
    base class checks, when the rule is defined, that its "Fix safety"
    documentation agrees)."""
    return rule.fix_safety or "none"
