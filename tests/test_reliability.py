"""No input stops a run, and nothing leaves the project (issue "Reliability"):
each test reproduces one defect a probe found; see also test_fixes.py (fix
safety) and test_reliability_io.py (listing, git, configuration)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from arch_lint.adapters.cli import main
from arch_lint.rules.cross_service_data_access import CrossServiceDataAccess
from arch_lint.source import UnreadableFile, read_regular

BIN = Path(sys.executable).parent
FLAKE8 = [str(BIN / "flake8")] if (BIN / "flake8").exists() else [sys.executable, "-m", "flake8"]

LOGGING = (
    "import logging\n\nlogger = logging.getLogger(__name__)\n\n\n"
    "def handle(correlation_id: str) -> None:\n"
    '    logger.info("started")\n'
)
DATA_IMPORT = "from services.payments.models_db import Payment\n"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "pyproject.toml").write_text("[tool.arch_lint]\nshared-models = []\n")
    for service in ("orders", "payments"):
        (tmp_path / "services" / service).mkdir(parents=True)
        (tmp_path / "services" / service / "__init__.py").write_text("")
    (tmp_path / "services" / "payments" / "models_db.py").write_text("class Payment:\n    pass\n")
    (tmp_path / "services" / "orders" / "api.py").write_text(DATA_IMPORT)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def check(
    capsys: pytest.CaptureFixture[str], *args: str
) -> tuple[int, list[dict[str, object]], str]:
    status = main(["check", "--format", "json", *args])
    out, err = capsys.readouterr()
    return status, json.loads(out) if out.strip() else [], err


def where(findings: list[dict[str, object]]) -> set[tuple[object, object, object]]:
    return {(f["path"], f["line"], f["code"]) for f in findings}


# --- one file never stops everything ---------------------------------------------------


def test_a_parser_memory_error_is_a_syntax_error_of_that_file(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / "services" / "orders" / "deep.py").write_text("x = " + "-" * 6000 + "1\n")
    status, findings, err = check(capsys, "--no-cache")
    assert status == 1
    assert where(findings) == {
        ("services/orders/api.py", 1, "ARC101"),
        ("services/orders/deep.py", 1, "ARC001"),
    }
    assert "internal error" not in err


def test_a_rule_that_raises_costs_only_its_own_findings_on_that_file(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    (project / "services" / "orders" / "jobs.py").write_text(DATA_IMPORT + LOGGING)

    def broken(self: CrossServiceDataAccess) -> None:
        if self.ctx.path.endswith("jobs.py"):
            raise IndexError("list index out of range")
        original(self)

    original = CrossServiceDataAccess.check
    monkeypatch.setattr(CrossServiceDataAccess, "check", broken)
    status, findings, err = check(capsys)
    assert status == 1
    assert where(findings) == {
        ("services/orders/api.py", 1, "ARC101"),  # the same rule on another file
        ("services/orders/jobs.py", 8, "ARC301"),  # another rule on the same file
    }
    assert err.count("\n") == 1
    assert "services/orders/jobs.py: ARC101 stopped on this file (IndexError" in err
    # the file's findings were not cached: once the rule works, they are all back
    monkeypatch.setattr(CrossServiceDataAccess, "check", original)
    _, findings, _ = check(capsys)
    assert ("services/orders/jobs.py", 1, "ARC101") in where(findings)


def test_a_visitor_that_raises_is_contained_too(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from arch_lint.rules import log_missing_correlation_id as arc301

    (project / "services" / "orders" / "jobs.py").write_text(DATA_IMPORT + LOGGING)

    def broken(self: object, tree: object) -> None:
        raise RecursionError

    monkeypatch.setattr(arc301.LogMissingCorrelationId, "check_tree", broken)
    status, findings, err = check(capsys, "--no-cache")
    assert status == 1
    assert ("services/orders/jobs.py", 1, "ARC101") in where(findings)
    assert "ARC301 stopped on this file (the file is nested too deeply)" in err


def test_parser_warnings_do_not_reach_the_report(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / "services" / "orders" / "regex.py").write_text('import re\nR = re.compile("\\d+")\n')
    proc = subprocess.run(
        [sys.executable, "-W", "default", "-m", "arch_lint", "check", "--no-cache"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 1
    assert proc.stderr == ""
    assert proc.stdout.startswith("services/orders/api.py:1:1: ARC101")


def test_findings_after_a_lone_carriage_return_match_flake8(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    body = LOGGING.replace("import logging\n\n", "import logging\r# old mac line\r")
    (project / "services" / "orders" / "jobs.py").write_bytes(body.encode())
    _, findings, _ = check(capsys, "--no-cache")
    cli = {(f["line"], f["code"]) for f in findings if f["path"] == "services/orders/jobs.py"}
    proc = subprocess.run(
        [*FLAKE8, "--select", "ARC", "--format", "%(row)d|%(code)s", "services/orders/jobs.py"],
        capture_output=True,
        text=True,
        check=False,
    )
    flake = {(int(r), c) for r, c in (ln.split("|") for ln in proc.stdout.splitlines())}
    assert cli == flake == {(7, "ARC301")}


def test_marked_lines_are_counted_in_linear_time() -> None:
    from arch_lint.index.walk import MarkedLines

    source = b"x = 1\n" * 400_000 + b"logger.info('x')\n" * 2000
    started = time.perf_counter()
    marked = MarkedLines(source, (b".info(",))
    assert marked.spans(400_001, 400_001)
    assert not marked.spans(1, 400_000)
    assert time.perf_counter() - started < 2  # quadratic counting took minutes


def test_the_flake8_plugin_reads_a_file_the_parser_cannot_take(project: Path) -> None:
    """flake8 itself crashes on this file, so it is excluded from flake8's own
    checks; the plugin's project index still reads it and must go on."""
    (project / "services" / "orders" / "unused.py").write_text("import os\n")
    (project / "services" / "orders" / "deep.py").write_text("x = " + "-" * 6000 + "1\n")
    proc = subprocess.run(
        [*FLAKE8, "--format", "%(path)s|%(code)s", "--extend-exclude", "deep.py", "services"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert "Traceback" not in proc.stderr
    codes = {tuple(ln.split("|")) for ln in proc.stdout.splitlines()}
    assert ("services/orders/unused.py", "F401") in codes
    assert ("services/orders/api.py", "ARC101") in codes


# --- the cache ----------------------------------------------------------------------


def test_a_warm_run_sees_an_edit_that_keeps_size_and_mtime(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    api = project / "services" / "orders" / "api.py"
    old = 1_600_000_000_000_000_000
    os.utime(api, ns=(old, old))
    assert where(check(capsys)[1]) == {("services/orders/api.py", 1, "ARC101")}
    same_size = DATA_IMPORT.replace("from services.payments", "from services.orders_a")
    assert len(same_size) == len(DATA_IMPORT)
    api.write_text(same_size)
    os.utime(api, ns=(old, old))
    assert check(capsys)[1] == []


def test_a_deeply_nested_cache_file_is_ignored(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cold = check(capsys)
    (project / ".arch_lint_cache" / "index.json").write_text("[" * 100_000 + "]" * 100_000)
    assert check(capsys) == cold


def test_a_symlinked_cache_folder_is_not_written_through(
    project: Path, tmp_path_factory: pytest.TempPathFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    elsewhere = tmp_path_factory.mktemp("elsewhere")
    (project / ".arch_lint_cache").symlink_to(elsewhere, target_is_directory=True)
    status, findings, err = check(capsys)
    assert status == 1
    assert findings
    assert list(elsewhere.iterdir()) == []
    assert ".arch_lint_cache: a symbolic link" in err


# --- reads and writes ---------------------------------------------------------------


def test_reads_take_regular_files_only(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo.py"
    os.mkfifo(fifo)
    with pytest.raises(UnreadableFile, match="a FIFO"):
        read_regular(fifo)  # returns at once: opened without blocking
    with pytest.raises(UnreadableFile, match="a device"):
        read_regular("/dev/zero")
    big = tmp_path / "big.py"
    big.write_bytes(b"x" * 2048)
    with pytest.raises(UnreadableFile, match="larger than"):
        read_regular(big, limit=1024)
    assert read_regular(big) == b"x" * 2048


def test_a_report_is_not_written_through_a_link_out_of_the_project(
    project: Path, tmp_path_factory: pytest.TempPathFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    victim = tmp_path_factory.mktemp("home") / ".bashrc"
    victim.write_text("keep me\n")
    (project / "report.txt").symlink_to(victim)
    assert main(["check", "--output-file", "report.txt"]) == 2
    assert "outside the project" in capsys.readouterr().err
    assert victim.read_text() == "keep me\n"
    inside = project / "reports" / "r.txt"
    inside.parent.mkdir()
    (project / "link.txt").symlink_to(inside)
    assert main(["check", "--output-file", "link.txt"]) == 1
    assert "ARC101" in inside.read_text()


@pytest.mark.parametrize("snapshot", ["/tmp/arch-lint-elsewhere.json", "../outside.json"])
def test_a_configured_snapshot_outside_the_project_is_refused(
    project: Path, snapshot: str, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / "common" / "models").mkdir(parents=True)
    (project / "common" / "models" / "m.py").write_text(
        "from pydantic import BaseModel\n\n\nclass A(BaseModel):\n    x: int\n"
    )
    (project / "pyproject.toml").write_text(
        f'[tool.arch_lint]\n[tool.arch_lint.schema]\nsnapshot = "{snapshot}"\n'
    )
    assert main(["schema-snapshot"]) == 2
    assert "tool.arch_lint.schema.snapshot" in capsys.readouterr().err
    assert not (project / snapshot).resolve().exists()


def test_python_m_does_not_import_the_working_directory(project: Path) -> None:
    (project / "pathspec.py").write_text("raise SystemExit('the checked tree ran')\n")
    proc = subprocess.run(
        [sys.executable, "-m", "arch_lint", "check", "--no-cache"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert "the checked tree ran" not in proc.stderr
    assert proc.returncode == 1


def test_an_exception_inside_the_flake8_plugin_costs_only_its_reports(
    project: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import ast
    from types import SimpleNamespace

    from arch_lint.adapters.flake8 import ArchLintPlugin
    from arch_lint.engine.run import Engine

    options = SimpleNamespace(arch_lint_config=None, filenames=["."], select=[], extend_select=[])
    ArchLintPlugin.parse_options(options)
    path = "services/orders/api.py"
    lines = [DATA_IMPORT]
    reports = list(ArchLintPlugin(ast.parse(DATA_IMPORT), path, lines).run())
    assert [r[2][:6] for r in reports] == ["ARC101"]

    def broken(*args: object, **kwargs: object) -> None:
        raise KeyError("boom")

    monkeypatch.setattr(Engine, "check_file", broken)
    assert list(ArchLintPlugin(ast.parse(DATA_IMPORT), path, lines).run()) == []
    assert "flake8-arch-lint: services/orders/api.py: internal error: KeyError" in (
        capsys.readouterr().err
    )
    ArchLintPlugin._state = None


def test_listing_notices_reach_the_user(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "services" / "orders" / "gone.py").symlink_to("missing.py")
    status, findings, err = check(capsys, "--no-cache")
    assert status == 1
    assert where(findings) == {("services/orders/api.py", 1, "ARC101")}
    assert err == "arch-lint: services/orders/gone.py: skipped: broken symbolic link\n"


def test_a_noqa_for_a_rule_that_stopped_is_not_judged(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from arch_lint.rules import log_missing_correlation_id as arc301

    (project / "services" / "orders" / "jobs.py").write_text(
        LOGGING.replace('logger.info("started")', 'logger.info("started")  # noqa: ARC301')
    )

    def broken(self: object, tree: object) -> None:
        raise ValueError("boom")

    monkeypatch.setattr(arc301.LogMissingCorrelationId, "check_tree", broken)
    _, findings, err = check(capsys, "--no-cache")
    assert "ARC002" not in {f["code"] for f in findings}
    assert "ARC301 stopped on this file" in err


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_failed_fact_extraction_is_said_on_every_run(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, jobs: str
) -> None:
    from arch_lint.index import build as build_module

    for i in range(60):  # enough files for worker processes
        (project / "services" / "orders" / f"m{i}.py").write_text(f"x = {i}\n")
    (project / "services" / "orders" / "odd.py").write_text("ODD = 1\n")
    original = build_module.extract

    def broken(tree: object, source: bytes, *args: object) -> object:
        if b"ODD" in source:
            raise KeyError("odd")
        return original(tree, source, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(build_module, "extract", broken)
    for _ in range(2):  # cold, then warm
        status, _, err = check(capsys, "--jobs", jobs)
        assert status == 1
        assert "services/orders/odd.py: internal error reading its facts (KeyError" in err


def test_a_report_is_not_written_through_a_linked_folder_out_of_the_project(
    project: Path, tmp_path_factory: pytest.TempPathFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    outside = tmp_path_factory.mktemp("outside")
    (project / "out").symlink_to(outside, target_is_directory=True)
    assert main(["check", "--output-file", "out/report.txt"]) == 2
    assert "outside the project" in capsys.readouterr().err
    assert list(outside.iterdir()) == []
    chosen = tmp_path_factory.mktemp("chosen") / "report.txt"
    assert main(["check", "--output-file", str(chosen)]) == 1  # the user's own path
    assert "ARC101" in chosen.read_text()
