"""Prefilters only save work: every fixture case, run with every rule's `applies()`
and `relevant()` forced open, gives exactly the findings it gives with them."""

from __future__ import annotations

from pathlib import Path

import pytest

from arch_lint.config import load_settings
from arch_lint.engine.run import FILE_RULES, run
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
