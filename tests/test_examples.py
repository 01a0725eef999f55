"""examples/shop reports exactly what its EXPECTED.md promises (the README demo)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from arch_lint.adapters.cli import main
from arch_lint.config import load_settings
from arch_lint.engine.run import run

SHOP = Path(__file__).parent.parent / "examples" / "shop"


def promised() -> set[tuple[str, int, str]]:
    text = (SHOP / "EXPECTED.md").read_text()
    section = text.split("## Current rules", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| `([^`]+):(\d+)` \| (ARC\d{3}) \|", section, re.M)
    return {(path, int(line), code) for path, line, code in rows}


def test_the_example_reports_what_expected_md_promises(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(SHOP)
    result = run(load_settings(None, SHOP), [SHOP], use_cache=False)
    assert promised(), "EXPECTED.md lists no finding"
    assert {(f.path, f.line, f.code) for f in result.findings} == promised()


def test_the_committed_schema_snapshot_is_current(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(SHOP)
    assert main(["schema-diff"]) == 0, capsys.readouterr().out
    capsys.readouterr()
    assert main(["schema-snapshot", "-o", "-"]) == 0
    assert capsys.readouterr().out == (SHOP / "arch-lint-schema.json").read_text()
