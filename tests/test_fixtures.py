"""Every fixture case under tests/fixtures/rules: a mini monorepo with inline
`# error: ARC…` annotations. The set of reported (path, line, code) must equal
the annotated set, no more and no less; the rendered text output must equal
the reviewed snapshot `expected.txt` beside the case."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from arch_lint.config import load_settings
from arch_lint.engine.run import run
from arch_lint.report import render

CASES_DIR = Path(__file__).parent / "fixtures" / "rules"
CASES = sorted(p for p in CASES_DIR.iterdir() if p.is_dir())
ANNOTATION = re.compile(r"#\s*error:\s*(ARC\d{3}(?:\s*,\s*ARC\d{3})*)")


def expected_findings(case: Path) -> set[tuple[str, int, str]]:
    out = set()
    for path in sorted(case.rglob("*")):
        if path.suffix not in {".py", ".toml"} or not path.is_file():
            continue
        text = path.read_bytes().decode("utf-8", "replace")
        for number, line in enumerate(re.split(r"\r\n|\r|\n", text), start=1):
            match = ANNOTATION.search(line)
            if match:
                for code in re.split(r"\s*,\s*", match.group(1)):
                    out.add((path.relative_to(case).as_posix(), number, code))
    return out


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.name)
def test_fixture_case(case: Path, monkeypatch: pytest.MonkeyPatch, update_snapshots: bool) -> None:
    monkeypatch.chdir(case)
    settings = load_settings(None, case)
    result = run(settings, [case], use_cache=False)
    actual = {(f.path, f.line, f.code) for f in result.findings}
    assert sorted(actual) == sorted(expected_findings(case))

    text = render("text", result.findings, settings.root, checked=len(result.checked))
    snapshot = case / "expected.txt"
    if update_snapshots or not snapshot.exists():
        snapshot.write_text(text)
    assert text == snapshot.read_text()


def test_every_case_has_annotations_or_says_why() -> None:
    for case in CASES:
        assert expected_findings(case), f"{case.name} expects no finding at all"
