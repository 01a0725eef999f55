"""The rule registry: every rule arch-lint knows, in code order."""

from __future__ import annotations

from arch_lint.rules._base import FileContext, FileRule, MetaRule, Rule
from arch_lint.rules.configuration_matches_nothing import ConfigurationMatchesNothing
from arch_lint.rules.cross_service_data_access import CrossServiceDataAccess
from arch_lint.rules.cross_service_import import CrossServiceImport
from arch_lint.rules.syntax_error import SyntaxErrorRule
from arch_lint.rules.unused_suppression import UnusedSuppression

RULES: tuple[type[Rule], ...] = (
    ConfigurationMatchesNothing,
    SyntaxErrorRule,
    UnusedSuppression,
    CrossServiceDataAccess,
    CrossServiceImport,
)

BY_CODE: dict[str, type[Rule]] = {rule.code: rule for rule in RULES}
BY_NAME: dict[str, type[Rule]] = {rule.name: rule for rule in RULES}

assert len(BY_CODE) == len(RULES), "rule codes must be unique"
assert list(BY_CODE) == sorted(BY_CODE), "RULES must be in code order"

__all__ = ["BY_CODE", "BY_NAME", "RULES", "FileContext", "FileRule", "MetaRule", "Rule"]
