"""Every `check --format` on a small project, end to end (SPEC §5), plus
`--statistics`, `rules` fix safety, `--add-noqa` and `fix --diff` with `git apply`."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import pytest
from helpers import ARC101_API_MESSAGE, base_files, make_repo, run_cli, run_subprocess

SCHEMA = Path(__file__).parent / "schemas" / "sarif-schema-2.1.0.json"

JOBS = (
    "import logging\n\n"
    "logger = logging.getLogger(__name__)\n\n\n"
    "def run(job_id: str, correlation_id: str) -> None:\n"
    '    logger.info("started")\n'
)
JOBS_MESSAGE = (
    "log call `logger.info(...)` has no `correlation_id` although `correlation_id` is in scope"
)


def files() -> dict[str, str]:
    """ARC101 in api.py:1, ARC102 in checkout.py:1, a safe ARC301 fix in jobs.py:7."""
    out = base_files()
    out["services/orders/jobs.py"] = JOBS
    return out


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    make_repo(tmp_path, files())
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_text_keeps_its_summary(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    result = run_cli(capsys, "check")
    assert result.code == 1
    assert f"services/orders/api.py:1:1: ARC101 {ARC101_API_MESSAGE}\n" in result.out
    assert f"services/orders/jobs.py:7:5: ARC301 {JOBS_MESSAGE} [*]\n" in result.out
    assert "Found 3 violations" in result.out


def test_concise_is_one_line_per_finding_relative_to_the_current_directory(
    repo: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(repo / "services")
    result = run_cli(capsys, "check", "..", "--format", "concise")
    assert result.code == 1
    lines = result.out.splitlines()
    assert lines[0] == f"orders/api.py:1:1: ARC101 {ARC101_API_MESSAGE}"
    assert lines[2] == f"orders/jobs.py:7:5: ARC301 {JOBS_MESSAGE}"
    assert len(lines) == 3  # no summary, no [*]


def test_json_carries_fix_url_and_fingerprint(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plain = {f["code"]: f for f in run_cli(capsys, "check", "--format", "json").json()}
    assert plain["ARC301"]["fix"]["edits"] == []  # edits cost libcst: only when asked
    findings = run_cli(capsys, "check", "--format", "json", "--fix-edits").json()
    by_code = {f["code"]: f for f in findings}
    assert {c: {**f, "fix": None} for c, f in by_code.items()} == {
        c: {**f, "fix": None} for c, f in plain.items()
    }
    arc101, arc301 = by_code["ARC101"], by_code["ARC301"]
    assert arc101["fix"] is None
    assert arc101["url"].endswith("/rules.md#arc101-cross-service-data-access")
    assert arc101["url"].startswith("https://")
    assert re.fullmatch(r"[0-9a-f]{32}", arc101["fingerprint"])
    assert len({f["fingerprint"] for f in findings}) == len(findings)
    assert arc301["fix"] == {
        "applicability": "safe",
        "message": 'Add `"correlation_id": correlation_id` to its `extra`',
        "edits": [
            {
                "content": ', extra={"correlation_id": correlation_id}',
                "location": {"line": 7, "column": 26},
                "end_location": {"line": 7, "column": 26},
            }
        ],
    }
    # the edit is what `arch-lint fix` writes
    line = JOBS.splitlines()[6]
    edit = arc301["fix"]["edits"][0]
    col = edit["location"]["column"] - 1
    assert run_cli(capsys, "fix").code == 1  # ARC101 and ARC102 stay
    fixed = (repo / "services/orders/jobs.py").read_text().splitlines()[6]
    assert fixed == line[:col] + edit["content"] + line[col:]


def test_json_lines_is_one_object_per_line(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    whole = run_cli(capsys, "check", "--format", "json", "--fix-edits").json()
    result = run_cli(capsys, "check", "--format", "json-lines", "--fix-edits")
    assert result.code == 1
    assert [json.loads(line) for line in result.out.splitlines()] == whole


def test_sarif_validates_against_the_oasis_schema(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    result = run_cli(capsys, "check", "--format", "sarif", "--fix-edits")
    assert result.code == 1
    log = json.loads(result.out)
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    jsonschema.Draft4Validator(schema).validate(log)
    run = log["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    ids = [r["id"] for r in rules]
    assert len(ids) == len(set(ids))  # one rule per code
    assert "ARC101" in ids
    for rule in rules:
        assert rule["shortDescription"]["text"]
        assert rule["fullDescription"]["text"]
        assert "## What it does" in rule["help"]["text"]
        assert rule["helpUri"].startswith("https://")
    results = {r["ruleId"]: r for r in run["results"]}
    assert len(run["results"]) == 3
    for r in run["results"]:
        assert rules[r["ruleIndex"]]["id"] == r["ruleId"]
        assert re.fullmatch(r"[0-9a-f]{32}", next(iter(r["partialFingerprints"].values())))
    where = results["ARC101"]["locations"][0]["physicalLocation"]
    assert where["artifactLocation"]["uri"] == "services/orders/api.py"
    assert where["region"]["startLine"] == 1
    assert "fixes" not in results["ARC101"]
    change = results["ARC301"]["fixes"][0]["artifactChanges"][0]
    assert change["replacements"][0]["insertedContent"]["text"].startswith(", extra=")


def test_github_workflow_commands(
    repo: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(repo / "services")
    result = run_cli(capsys, "check", "..", "--format", "github")
    assert result.code == 1
    first = result.out.splitlines()[0]
    end = len(base_files()["services/orders/api.py"].splitlines()[0]) + 1
    assert first == (
        f"::error file=orders/api.py,line=1,col=1,endLine=1,endColumn={end},"
        f"title=ARC101 cross-service-data-access::{ARC101_API_MESSAGE}"
    )


def test_github_escapes_properties_and_message() -> None:
    from arch_lint.findings import Finding
    from arch_lint.report.ci import render_github

    finding = Finding(
        code="ARC101", name="n", message="50% off\nnext line", path="a,b:c.py",
        line=1, column=1, end_line=1, end_column=2,
    )  # fmt: skip
    out = render_github([finding], Path.cwd())
    assert out == (
        "::error file=a%2Cb%3Ac.py,line=1,col=1,endLine=1,endColumn=2,title=ARC101 n"
        "::50%25 off%0Anext line\n"
    )


def test_gitlab_code_quality(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    fingerprints = {
        f["path"]: f["fingerprint"] for f in run_cli(capsys, "check", "--format", "json").json()
    }
    result = run_cli(capsys, "check", "--format", "gitlab")
    assert result.code == 1
    issues = json.loads(result.out)
    first = issues[0]
    assert first["description"] == f"ARC101 {ARC101_API_MESSAGE}"
    assert first["check_name"] == "ARC101"
    assert first["severity"] == "major"
    assert first["location"]["path"] == "services/orders/api.py"
    assert first["location"]["lines"]["begin"] == 1
    assert first["fingerprint"] == fingerprints["services/orders/api.py"]


def test_junit_has_one_test_case_per_checked_file(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    result = run_cli(capsys, "check", "--format", "junit")
    assert result.code == 1
    suites = ET.fromstring(result.out)
    cases = {c.get("name"): c for c in suites.iter("testcase")}
    assert "services/orders/clean.py" in cases  # a passing file is a passing case
    assert cases["services/orders/clean.py"].find("failure") is None
    failure = cases["services/orders/api.py"].find("failure")
    assert failure is not None
    assert failure.get("message") == "1 violation"
    assert f"services/orders/api.py:1:1: ARC101 {ARC101_API_MESSAGE}" in (failure.text or "")
    assert suites.get("failures") == "3"


def test_formats_from_the_real_executable(repo: Path) -> None:
    for fmt in ("concise", "sarif", "github", "gitlab", "junit", "json-lines"):
        result = run_subprocess(repo, "check", "--format", fmt)
        assert result.code == 1, (fmt, result.err)
        assert "ARC101" in result.out


def test_schema_diff_takes_the_formats() -> None:
    from arch_lint.adapters.cli import _parser

    args = _parser().parse_args(["schema-diff", "--format", "sarif"])
    assert args.format == "sarif"


# --- statistics, rules ----------------------------------------------------------------------


def test_statistics_prints_only_the_table(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    result = run_cli(capsys, "check", "--statistics")
    assert result.code == 1
    assert result.out.splitlines() == [
        "1\tARC101\tcross-service-data-access",
        "1\tARC102\tcross-service-import",
        "1\tARC301\tlog-missing-correlation-id\t[*]",
    ]
    result = run_cli(capsys, "check", "--statistics", "--format", "json")
    assert result.code == 1
    assert json.loads(result.out) == [
        {"count": 1, "code": "ARC101", "name": "cross-service-data-access", "fixable": False},
        {"count": 1, "code": "ARC102", "name": "cross-service-import", "fixable": False},
        {"count": 1, "code": "ARC301", "name": "log-missing-correlation-id", "fixable": True},
    ]


def test_rules_say_the_fix_applicability(capsys: pytest.CaptureFixture[str]) -> None:
    text = run_cli(capsys, "rules").out
    assert re.search(r"^ARC301\s+on\s+safe\s+log-missing-correlation-id", text, re.M)
    assert re.search(r"^ARC406\s+on\s+unsafe\s+metadata-overwrite", text, re.M)
    assert re.search(r"^ARC101\s+on\s+none\s+cross-service-data-access", text, re.M)
    rows = {r["code"]: r for r in json.loads(run_cli(capsys, "rules", "--format", "json").out)}
    assert rows["ARC301"]["fix"] == "safe"
    assert rows["ARC407"]["fix"] == "unsafe"
    assert rows["ARC101"]["fix"] == "none"
    assert rows["ARC101"]["url"].endswith("#arc101-cross-service-data-access")


# --- --add-noqa --------------------------------------------------------------------------------


def test_add_noqa_writes_merges_and_is_idempotent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    project = files()
    project["services/orders/checkout.py"] = (
        "from services.payments import gateway  # noqa: E501 -- kept\n"
    )
    project["services/orders/bare.py"] = "from services.payments import gateway  # noqa\n"
    project["services/orders/doc.py"] = (
        "from services.payments import gateway as g; X = '''a\nb'''\n"
    )
    project["services/orders/commented.py"] = (
        "from services.payments import gateway  # the old way\n"
    )
    make_repo(tmp_path, project)
    monkeypatch.chdir(tmp_path)
    result = run_cli(capsys, "check", "--add-noqa=legacy, see ADR-7")
    assert result.code == 0, result.err
    read = {p: (tmp_path / p).read_text() for p in project}
    assert read["services/orders/api.py"].splitlines()[0] == (
        "from services.payments.models_db import Payment  # noqa: ARC101 -- legacy, see ADR-7"
    )
    assert read["services/orders/jobs.py"].splitlines()[6] == (
        '    logger.info("started")  # noqa: ARC301 -- legacy, see ADR-7'
    )
    assert read["services/orders/checkout.py"] == (
        "from services.payments import gateway  # noqa: E501, ARC102 -- kept\n"
    )
    assert read["services/orders/bare.py"] == project["services/orders/bare.py"]
    # a finding on a line that starts a multi-line string: the comment goes on its last line
    assert read["services/orders/doc.py"] == (
        "from services.payments import gateway as g; X = '''a\n"
        "b'''  # noqa: ARC102 -- legacy, see ADR-7\n"
    )
    assert read["services/orders/commented.py"] == (
        "from services.payments import gateway  # the old way"
        "  # noqa: ARC102 -- legacy, see ADR-7\n"
    )
    assert run_cli(capsys, "check").code == 0  # everything is suppressed now
    again = run_cli(capsys, "check", "--add-noqa")
    assert again.code == 0
    assert "Added 0 noqa codes in 0 files." in again.err
    assert {p: (tmp_path / p).read_text() for p in project} == read


def test_add_noqa_without_reason_keeps_line_endings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    project: dict[str, str | bytes] = dict(files())
    project["services/orders/api.py"] = API_CRLF = (
        b"from services.payments.models_db import Payment\r\n\r\nX = Payment\r\n"
    )
    make_repo(tmp_path, project)
    monkeypatch.chdir(tmp_path)
    assert run_cli(capsys, "check", "--add-noqa", "services").code == 0
    assert (tmp_path / "services/orders/api.py").read_bytes() == API_CRLF.replace(
        b"Payment\r\n\r\n", b"Payment  # noqa: ARC101\r\n\r\n", 1
    )


# --- fix --diff and git apply ---------------------------------------------------------------


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_fix_diff_made_in_a_subdirectory_applies_with_git_apply(
    repo: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def git(*argv: str, cwd: Path) -> None:
        subprocess.run(
            ["git", "-c", "user.name=t", "-c", "user.email=t@t", *argv],
            cwd=cwd, check=True, capture_output=True,
        )  # fmt: skip

    here = repo / "services" / "orders"
    jobs = here / "jobs.py"
    jobs.write_text(jobs.read_text().rstrip("\n"))  # no line break at the end: still applies
    git("init", "-q", cwd=repo)
    git("add", "-A", cwd=repo)
    git("commit", "-q", "-m", "start", cwd=repo)
    monkeypatch.chdir(here)
    result = run_cli(capsys, "fix", ".", "--diff")
    assert result.code == 1
    assert result.out.startswith("--- a/jobs.py\n+++ b/jobs.py\n")
    (here / "fix.patch").write_text(result.out)
    git("apply", "fix.patch", cwd=here)
    (here / "fix.patch").unlink()
    assert run_cli(capsys, "check", ".", "--select", "ARC301").code == 0


def test_statistics_only_in_text_or_json_and_output_folders_are_made(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    result = run_cli(capsys, "check", "--statistics", "--format", "sarif")
    assert result.code == 2
    assert "--statistics prints a table as text or json, not sarif" in result.err
    result = run_cli(capsys, "check", "--format", "sarif", "--output-file", "out/ci/a.sarif")
    assert result.code == 1
    assert json.loads((repo / "out" / "ci" / "a.sarif").read_text())["version"] == "2.1.0"
