"""The `arch-lint` command line (SPEC §5): exit status, formats, options, subcommands."""

from __future__ import annotations

import ast
import json
import re
import sys
from pathlib import Path

import pytest
from helpers import (
    API,
    ARC101_API_MESSAGE,
    assert_no_traceback,
    base_files,
    clean_files,
    make_repo,
    run_cli,
    run_subprocess,
)

JSON_KEYS = {
    "code",
    "name",
    "message",
    "path",
    "line",
    "column",
    "end_line",
    "end_column",
    "service",
    "fixable",
    "fix",
    "url",
    "fingerprint",
}


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The base monorepo (one ARC101, one ARC102) as the current directory."""
    make_repo(tmp_path, base_files())
    monkeypatch.chdir(tmp_path)
    return tmp_path


# --- exit status ---------------------------------------------------------------------------


def test_clean_repository_exits_0(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    make_repo(tmp_path, clean_files())
    monkeypatch.chdir(tmp_path)
    result = run_cli(capsys, "check")
    assert result.code == 0, result.out + result.err
    assert "All checks passed" in result.out
    assert result.err == ""
    result = run_cli(capsys, "check", "--format", "json")
    assert result.code == 0
    assert result.json() == []


def test_violations_exit_1_and_are_listed(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    result = run_cli(capsys, "check")
    assert result.code == 1
    lines = result.out.splitlines()
    assert f"services/orders/api.py:1:1: ARC101 {ARC101_API_MESSAGE}" in lines
    assert any(ln.startswith("services/orders/checkout.py:1:1: ARC102 ") for ln in lines)
    assert "Found 2 violations" in result.out


def test_nonexistent_path_exits_2(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    result = run_cli(capsys, "check", "services/nope")
    assert result.code == 2
    assert "services/nope" in result.err
    assert result.out == ""


def test_bad_code_on_the_command_line_exits_2(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    result = run_cli(capsys, "check", "--select", "FOO1")
    assert result.code == 2
    assert "FOO1" in result.err


def test_exit_zero_reports_but_exits_0(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    result = run_cli(capsys, "check", "--exit-zero", "--format", "json")
    assert result.code == 0
    assert len(result.json()) == 2


def test_no_command_is_a_usage_error(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    result = run_cli(capsys)
    assert result.code == 2


# --- JSON ----------------------------------------------------------------------------------


def _many_findings_files() -> dict[str, str]:
    files = base_files()
    files["services/orders/multi.py"] = (
        '"""Several crossings."""\n'
        "import os; from services.payments.models_db import Payment; "
        "from services.payments import gateway\n"
        "\n"
        "from services.payments.models_db import Payment as P2\n"
    )
    files["services/billing/__init__.py"] = ""
    files["services/billing/jobs.py"] = (
        "from services.orders import checkout\nfrom ..payments.models_db import Payment\n"
    )
    return files


def test_json_output_shape_and_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    make_repo(tmp_path, _many_findings_files())
    monkeypatch.chdir(tmp_path)
    result = run_cli(capsys, "check", "--format", "json")
    assert result.code == 1
    findings = result.json()
    for f in findings:
        assert set(f) == JSON_KEYS
        assert isinstance(f["line"], int)
        assert isinstance(f["column"], int)
        assert f["line"] >= 1
        assert f["column"] >= 1
        assert isinstance(f["fixable"], bool)
    keys = [(f["path"], f["line"], f["column"]) for f in findings]
    assert keys == sorted(keys)
    assert [(f["path"], f["line"], f["column"], f["code"]) for f in findings] == [
        ("services/billing/jobs.py", 1, 1, "ARC102"),
        ("services/billing/jobs.py", 2, 1, "ARC101"),
        ("services/orders/api.py", 1, 1, "ARC101"),
        ("services/orders/checkout.py", 1, 1, "ARC102"),
        ("services/orders/multi.py", 2, 12, "ARC101"),
        ("services/orders/multi.py", 2, 61, "ARC102"),
        ("services/orders/multi.py", 4, 1, "ARC101"),
    ]


def test_json_finding_fields(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    result = run_cli(capsys, "check", "--format", "json")
    first = result.json()[0]
    assert re.fullmatch(r"[0-9a-f]{32}", first.pop("fingerprint"))
    assert first == {
        "code": "ARC101",
        "name": "cross-service-data-access",
        "message": ARC101_API_MESSAGE,
        "path": "services/orders/api.py",
        "line": 1,
        "column": 1,
        "end_line": 1,
        "end_column": len(API.splitlines()[0]) + 1,
        "service": "orders",
        "fixable": False,
        "fix": None,
        "url": "https://arch-lint.invalid/docs/rules.md#arc101-cross-service-data-access",
    }


def test_json_paths_are_relative_to_the_project_root(
    repo: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(repo / "services" / "orders")
    result = run_cli(capsys, "check", ".", "--format", "json")
    assert result.code == 1
    paths = [f["path"] for f in result.json()]
    assert paths == ["services/orders/api.py", "services/orders/checkout.py"]
    assert all("\\" not in p for p in paths)


def test_arc101_message_is_exact(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    result = run_cli(capsys, "check", "--format", "json", "--select", "ARC101")
    assert [f["message"] for f in result.json()] == [
        "`services.orders.api` imports `services.payments.models_db`, "
        "the data layer of service `payments`"
    ]


# --- selection -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "expected", "code"),
    [
        (["--select", "ARC102"], [("services/orders/checkout.py", "ARC102")], 1),
        (["--ignore", "ARC101"], [("services/orders/checkout.py", "ARC102")], 1),
        (["--ignore", "arc101"], [("services/orders/checkout.py", "ARC102")], 1),
        (["--select", "ARC101"], [("services/orders/api.py", "ARC101")], 1),
        (
            ["--select", "ARC101", "--extend-select", "ARC102"],
            [("services/orders/api.py", "ARC101"), ("services/orders/checkout.py", "ARC102")],
            1,
        ),
        (
            ["--select", "ARC101,ARC102"],
            [("services/orders/api.py", "ARC101"), ("services/orders/checkout.py", "ARC102")],
            1,
        ),
        (["--ignore", "ARC1"], [], 0),
        (
            ["--select", "ARC1", "--ignore", "ARC101"],
            [("services/orders/checkout.py", "ARC102")],
            1,
        ),
    ],
)
def test_command_line_selection(
    repo: Path,
    capsys: pytest.CaptureFixture[str],
    args: list[str],
    expected: list[tuple[str, str]],
    code: int,
) -> None:
    result = run_cli(capsys, "check", "--format", "json", *args)
    assert result.code == code
    assert result.codes() == expected


def test_extend_select_adds_to_the_configured_select(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    make_repo(tmp_path, base_files('[tool.arch_lint]\nselect = ["ARC102"]\n'))
    monkeypatch.chdir(tmp_path)
    only = run_cli(capsys, "check", "--format", "json")
    assert only.codes() == [("services/orders/checkout.py", "ARC102")]
    both = run_cli(capsys, "check", "--format", "json", "--extend-select", "ARC101")
    assert both.codes() == [
        ("services/orders/api.py", "ARC101"),
        ("services/orders/checkout.py", "ARC102"),
    ]


# --- statistics, output file, show-settings ----------------------------------------------------


def test_statistics_prints_counts_per_code(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    make_repo(tmp_path, _many_findings_files())
    monkeypatch.chdir(tmp_path)
    result = run_cli(capsys, "check", "--statistics")
    assert result.code == 1
    assert re.search(r"^\s*4\s+ARC101\s+cross-service-data-access\s*$", result.out, re.M)
    assert re.search(r"^\s*3\s+ARC102\s+cross-service-import\s*$", result.out, re.M)


def test_output_file_receives_the_report(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    expected = run_cli(capsys, "check", "--format", "json").json()
    result = run_cli(capsys, "check", "--format", "json", "--output-file", "report.json")
    assert result.code == 1
    assert "ARC101" not in result.out
    assert json.loads((repo / "report.json").read_text(encoding="utf-8")) == expected
    text = run_cli(capsys, "check", "--output-file", "report.txt")
    assert text.code == 1
    report = (repo / "report.txt").read_text(encoding="utf-8")
    assert f"services/orders/api.py:1:1: ARC101 {ARC101_API_MESSAGE}" in report


def test_show_settings_lists_services_data_layers_and_shared_models(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (repo / "services" / "orders" / "tables.py").write_text(
        "class OrderRow(Base):\n    __tablename__ = 'orders'\n", encoding="utf-8"
    )
    result = run_cli(capsys, "check", "--show-settings")
    assert result.code == 0
    out = result.out
    assert re.search(r"^\s+orders\b", out, re.M)
    assert re.search(r"^\s+payments\b", out, re.M)
    assert "services/payments/models_db.py" in out
    assert "services/orders/tables.py" in out  # data layer by content
    assert "services/payments/gateway.py" not in out
    assert "common/models" in out
    assert "imports" not in out  # settings, not findings


def test_show_settings_with_explicit_data_layer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    config = (
        '[tool.arch_lint]\nservices = ["services/*"]\ndata-layer = ["gateway.py"]\n'
        "data-layer-by-content = false\n"
    )
    make_repo(tmp_path, base_files(config))
    monkeypatch.chdir(tmp_path)
    out = run_cli(capsys, "check", "--show-settings").out
    assert "services/payments/gateway.py" in out
    assert "services/payments/models_db.py" not in out


# --- rules / explain -------------------------------------------------------------------------


def test_rules_lists_every_rule(capsys: pytest.CaptureFixture[str]) -> None:
    result = run_cli(capsys, "rules")
    assert result.code == 0
    assert re.search(r"^ARC101\b.*cross-service-data-access", result.out, re.M)
    assert re.search(r"^ARC102\b.*cross-service-import", result.out, re.M)
    assert re.search(r"^ARC000\b", result.out, re.M)


@pytest.mark.parametrize("name", ["ARC101", "arc101", "cross-service-data-access"])
def test_explain_prints_the_documentation(capsys: pytest.CaptureFixture[str], name: str) -> None:
    result = run_cli(capsys, "explain", name)
    assert result.code == 0
    assert "ARC101" in result.out
    assert "## What it does" in result.out
    section = result.out.split("## What it does", 1)[1]
    assert "data layer" in section.split("##", 1)[0]
    assert "## Why is this bad?" in result.out
    assert "## Use instead" in result.out


def test_explain_unknown_rule_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    result = run_cli(capsys, "explain", "ARC999")
    assert result.code == 2
    assert "ARC999" in result.err
    assert result.out == ""


# --- syntax errors, columns, sub-paths --------------------------------------------------------


def _char_offset_of_syntax_error(text: str) -> int:
    """The 1-based character column the parser gives for `text` (a str, not bytes)."""
    with pytest.raises(SyntaxError) as info:
        ast.parse(text)
    assert info.value.offset is not None
    return info.value.offset


def test_syntax_error_is_arc001_and_the_run_goes_on(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (repo / "services" / "orders" / "broken.py").write_text(
        "def broken(:\n    pass\n", encoding="utf-8"
    )
    result = run_cli(capsys, "check", "--format", "json")
    assert result.code == 1
    findings = result.json()
    assert [(f["path"], f["code"]) for f in findings] == [
        ("services/orders/api.py", "ARC101"),
        ("services/orders/broken.py", "ARC001"),
        ("services/orders/checkout.py", "ARC102"),
    ]
    broken = findings[1]
    assert broken["line"] == 1
    assert broken["column"] == _char_offset_of_syntax_error("def broken(:\n    pass\n")
    assert broken["name"] == "syntax-error"
    assert broken["service"] == "orders"


def test_syntax_error_with_imports_elsewhere_in_the_file_gives_only_arc001(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (repo / "services" / "orders" / "broken.py").write_text(
        "from services.payments.models_db import Payment\n\nx = (1 +\n", encoding="utf-8"
    )
    result = run_cli(capsys, "check", "--format", "json", "services/orders/broken.py")
    assert result.code == 1
    assert result.codes() == [("services/orders/broken.py", "ARC001")]


def test_import_column_counts_characters_not_bytes(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    line = 'x = "héllo€"; from services.payments.models_db import Payment'
    (repo / "services" / "orders" / "uni.py").write_text(line + "\n", encoding="utf-8")
    result = run_cli(capsys, "check", "--format", "json", "services/orders/uni.py")
    assert result.code == 1
    (finding,) = result.json()
    assert finding["code"] == "ARC101"
    assert finding["column"] == line.index("from") + 1  # 15 (bytes would give 18)
    assert finding["end_column"] == len(line) + 1


def test_import_column_with_a_coding_cookie(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    line = 'x = "hélloé"; from services.payments.models_db import Payment'
    (repo / "services" / "orders" / "latin.py").write_bytes(
        f"# -*- coding: latin-1 -*-\n{line}\n".encode("latin-1")
    )
    result = run_cli(capsys, "check", "--format", "json", "services/orders/latin.py")
    (finding,) = result.json()
    assert (finding["line"], finding["column"]) == (2, line.index("from") + 1)


def test_syntax_error_column_counts_characters_not_bytes(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    line = 'x = "é€"; 1 = y'
    (repo / "services" / "orders" / "bad.py").write_text(line + "\n", encoding="utf-8")
    result = run_cli(capsys, "check", "--format", "json", "services/orders/bad.py")
    (finding,) = result.json()
    assert finding["code"] == "ARC001"
    # the parser points at the literal `1`: character 11, byte 14
    assert finding["line"] == 1
    assert finding["column"] == _char_offset_of_syntax_error(line + "\n") == line.index("1 =") + 1


def test_sub_path_reports_only_files_under_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    make_repo(tmp_path, _many_findings_files())
    monkeypatch.chdir(tmp_path)
    result = run_cli(capsys, "check", "services/orders", "--format", "json")
    assert result.code == 1
    paths = {f["path"] for f in result.json()}
    assert paths == {
        "services/orders/api.py",
        "services/orders/checkout.py",
        "services/orders/multi.py",
    }
    billing = run_cli(capsys, "check", "services/billing", "--format", "json")
    assert {f["path"] for f in billing.json()} == {"services/billing/jobs.py"}
    single = run_cli(capsys, "check", "services/orders/api.py", "--format", "json")
    assert single.codes() == [("services/orders/api.py", "ARC101")]
    # a sub-path still sees the whole project: payments is a service, models_db its data layer
    assert single.json()[0]["message"] == ARC101_API_MESSAGE


def test_sub_path_without_findings_exits_0(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    result = run_cli(capsys, "check", "services/payments")
    assert result.code == 0
    assert "All checks passed" in result.out


def test_several_paths(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    result = run_cli(
        capsys, "check", "services/orders/api.py", "services/payments", "--format", "json"
    )
    assert result.codes() == [("services/orders/api.py", "ARC101")]


# --- the real executable ---------------------------------------------------------------------


def test_executable_runs_and_prints_json(tmp_path: Path) -> None:
    make_repo(tmp_path, base_files())
    (tmp_path / "services" / "orders" / "broken.py").write_text("def f(:\n", encoding="utf-8")
    (tmp_path / "services" / "orders" / "nul.py").write_bytes(b"x = 1\x00\n")
    result = run_subprocess(tmp_path, "check", "--format", "json")
    assert result.code == 1, result.err
    assert_no_traceback(result)
    assert result.err == ""
    assert result.codes() == [
        ("services/orders/api.py", "ARC101"),
        ("services/orders/broken.py", "ARC001"),
        ("services/orders/checkout.py", "ARC102"),
        ("services/orders/nul.py", "ARC001"),
    ]


def test_a_config_elsewhere_says_its_paths_are_read_from_its_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    make_repo(tmp_path / "repo", {"services/orders/api.py": "x = 1\n"})
    config = tmp_path / "ci" / "arch-lint.toml"
    config.parent.mkdir()
    config.write_text('[tool.arch_lint]\nservices = ["services/*"]\nshared-models = []\n')
    monkeypatch.chdir(tmp_path / "repo")
    result = run_cli(capsys, "check", "--config", str(config), ".")
    assert result.code == 2
    assert "`services/*` matches no directory" in result.err
    assert f"relative to its folder, `{config.parent.resolve()}` (the project root)" in result.err
    # where the configuration is where the check runs, nothing more is said
    local = config.read_text().replace("services/*", "svc/*")
    (tmp_path / "repo" / "pyproject.toml").write_text(local)
    result = run_cli(capsys, "check", ".")
    assert result.code == 2
    assert "relative to its folder" not in result.err


@pytest.mark.parametrize(
    "argv",
    [
        ["check", "no/such/dir"],
        ["explain", "ARC999"],
        ["check", "--config", "missing.toml"],
        ["check", "--select", "NOPE"],
        ["check", "--format", "yaml"],
    ],
)
def test_executable_usage_errors_exit_2_without_traceback(tmp_path: Path, argv: list[str]) -> None:
    make_repo(tmp_path, base_files())
    result = run_subprocess(tmp_path, *argv)
    assert result.code == 2
    assert result.err.strip()
    assert_no_traceback(result)


def test_python_dash_m_works(tmp_path: Path) -> None:
    make_repo(tmp_path, base_files())
    result = run_subprocess(
        tmp_path, "check", "--select", "ARC101", command=[sys.executable, "-m", "arch_lint"]
    )
    assert result.code == 1, result.err
    assert f"services/orders/api.py:1:1: ARC101 {ARC101_API_MESSAGE}" in result.out
    assert_no_traceback(result)


def test_version_is_answered_without_importing_the_command_line() -> None:
    """`arch-lint --version` (asked by editors and pre-commit) imports nothing
    heavy: the light entry point answers it, exactly as argparse would."""
    import subprocess
    import sys

    from arch_lint import __version__

    code = (
        "import os, sys\n"
        "sys.argv = ['arch-lint', '--version']\n"
        "from arch_lint.adapters import entry\n"
        "leave = os._exit\n"
        "def spy(status):\n"
        "    sys.stdout.write(f'{status} {\"arch_lint.adapters.cli\" in sys.modules}\\n')\n"
        "    sys.stdout.flush()\n"
        "    leave(status)\n"
        "os._exit = spy\n"
        "entry.entry_point()\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert proc.stdout == f"arch-lint {__version__}\n0 False\n"
    full = subprocess.run(
        [sys.executable, "-c", "from arch_lint.adapters.cli import main; main(['--version'])"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert full.stdout == f"arch-lint {__version__}\n"  # argparse's own answer


_SURROGATE_TABLE = (
    "from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column\n\n\n"
    "class Base(DeclarativeBase):\n    pass\n\n\n"
    "class Row(Base):\n"
    '    __tablename__ = "rows\\ud800"\n\n'
    "    id: Mapped[int] = mapped_column(primary_key=True)\n"
)


@pytest.mark.parametrize("fmt", ["json", "text", "sarif"])
def test_a_lone_surrogate_in_a_message_is_written_as_its_escape(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], fmt: str
) -> None:
    """A string literal of the checked code may hold a lone surrogate, which has
    no UTF-8 form; a message that names it is written with the escape, and the
    run goes on (it once ended in an internal error at the report)."""
    files = base_files()
    files["services/orders/models_db.py"] = _SURROGATE_TABLE
    files["services/payments/models_db.py"] = _SURROGATE_TABLE
    make_repo(tmp_path, files)
    monkeypatch.chdir(tmp_path)
    out = tmp_path / f"report.{fmt}"
    result = run_cli(capsys, "check", "--no-cache", "--format", fmt, "--output-file", str(out))
    assert result.code == 1, result.err
    assert "internal error" not in result.err
    written = out.read_text(encoding="utf-8")
    if fmt == "text":
        assert "rows\\ud800" in written
    else:  # the escape's backslash escaped in turn
        assert "rows\\\\ud800" in written
    if fmt == "json":
        assert any("rows\\ud800" in f["message"] for f in json.loads(written))


def test_flake8_reports_a_message_with_a_lone_surrogate(tmp_path: Path) -> None:
    files = base_files()
    files["services/orders/models_db.py"] = _SURROGATE_TABLE
    files["services/payments/models_db.py"] = _SURROGATE_TABLE
    make_repo(tmp_path, files)
    proc = run_subprocess(
        tmp_path, "--select", "ARC", "services", command=[sys.executable, "-m", "flake8"]
    )
    assert "Traceback" not in proc.err
    assert "rows\\ud800" in proc.out
