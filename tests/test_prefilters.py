"""Prefilters only save work: every fixture case, run with every rule's `applies()`
and `relevant()` forced open, gives exactly the findings it gives with them."""

from __future__ import annotations

from pathlib import Path

import pytest

from arch_lint.config import load_settings
from arch_lint.engine.run import FILE_RULES, run
from arch_lint.rules import foreign_table_access
from arch_lint.rules._base import FileRule

CASES_DIR = Path(__file__).parent / "fixtures" / "rules"
CASES = sorted(p for p in CASES_DIR.iterdir() if p.is_dir())
Finding = tuple[str, int, int, str, str]


def _findings(case: Path) -> list[Finding]:
    settings = load_settings(None, case)
    result = run(settings, [case], use_cache=False)
    return sorted((f.path, f.line, f.column, f.code, f.message) for f in result.findings)


def _always(cls: type[FileRule], *args: object) -> bool:
    return True


def _relevant(self: FileRule) -> bool:
    return True


def _force_open(monkeypatch: pytest.MonkeyPatch) -> None:
    for rule in FILE_RULES:
        monkeypatch.setattr(rule, "applies", classmethod(_always))
        monkeypatch.setattr(rule, "relevant", _relevant)


def test_the_prefilters_are_exercised() -> None:
    prefiltered = {
        rule.code
        for rule in FILE_RULES
        if rule.applies.__func__ is not FileRule.applies.__func__  # type: ignore[attr-defined]
        or rule.relevant is not FileRule.relevant
    }
    assert {"ARC103", "ARC301", "ARC304", "ARC407"} <= prefiltered


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.name)
def test_prefilters_forced_open_change_nothing(case: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(case)
    filtered = _findings(case)
    _force_open(monkeypatch)
    assert _findings(case) == filtered


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.name)
def test_sql_prefilter_forced_open_changes_nothing(
    case: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """ARC103 parses every SQL text when its prefilter never answers."""
    monkeypatch.chdir(case)
    filtered = _findings(case)
    monkeypatch.setattr(foreign_table_access, "_spells_no_foreign_table", _never)
    assert _findings(case) == filtered


def _never(*args: object) -> bool:
    return False


class _Tables:
    """The data index's tables, as `_spells_no_foreign_table` asks them."""

    def __init__(self, owners: dict[str, str]) -> None:
        self.tables = owners

    def foreign_table_owners(self, service: str, table: str) -> list[str]:
        owner = self.tables.get(table.lower())
        return [] if owner in (None, service) else [str(owner)]


@pytest.mark.parametrize(
    ("sql", "skipped"),
    [
        ("DELETE FROM payment_items WHERE id = :id", True),  # its own table
        ("SELECT 1", True),
        ("SELECT * FROM Orders", False),  # case aside
        ('SELECT * FROM "orders"', False),
        ("SELECT * FROM order_lines", False),  # `orders` is no substring, `order_lines` is
        ('SELECT * FROM "pay""ments"', False),  # an escape: parsed
        ('SELECT * FROM U&"\\0070ayments"', False),
        ("SELECT 'x'' y' FROM payment_items", False),
        ("SELECT * FROM payment_items -- é", False),  # not ASCII
    ],
)
def test_sql_prefilter(sql: str, skipped: bool) -> None:
    index = _Tables({"orders": "orders", "order_lines": "orders", "payment_items": "payments"})
    answer = foreign_table_access._spells_no_foreign_table(sql, index, "payments")  # type: ignore[arg-type]
    assert answer is skipped
    if skipped:  # what parsing would find names no table of another service
        found = foreign_table_access.sql_tables(sql) or ()
        assert not any(index.foreign_table_owners("payments", t) for t in found)
