"""What the reports say about a rule: its documentation link and fix safety."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from arch_lint.rules import Rule

DOCS_URL = "https://arch-lint.invalid/docs/rules.md"
"""Where `docs/rules.md` is published; every report's rule link starts here.
One constant, so that moving the documentation is a one-line change."""


def rule_url(code: str, name: str | None = None) -> str:
    """The rule's section of the rules reference (the anchor GitHub and
    `python -m arch_lint.docs` give the heading `## ARC101 cross-service-data-access`).

    `name`: the rule's name where the caller has it (a finding carries its
    rule's), so that a report needs no rule registry for its links."""
    if name is None:
        from arch_lint.rules import BY_CODE

        rule = BY_CODE.get(code)
        name = None if rule is None else rule.name
    anchor = code.lower() if name is None else f"{code.lower()}-{name}"
    return f"{DOCS_URL}#{anchor}"


def fix_applicability(rule: type[Rule]) -> Literal["safe", "unsafe", "none"]:
    """`safe`, `unsafe` or `none`: the rule's declared `fix_safety` (the rule
    base class checks, when the rule is defined, that its "Fix safety"
    documentation agrees)."""
    return rule.fix_safety or "none"
