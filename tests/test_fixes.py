"""Fix cases: every `*.py.fixed` beside a fixture file is what `arch-lint fix`
must make of it; a second run changes nothing; the result parses; `--diff`
writes nothing; a fix that would break the file is refused; unsafe fixes wait
for `--unsafe-fixes` (the cases are fixed with it)."""

from __future__ import annotations

import ast
import itertools
import os
import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from arch_lint.adapters.cli import main
from arch_lint.config import load_settings
from arch_lint.engine import fix as fix_engine
from arch_lint.engine.fix import apply_fixes
from arch_lint.engine.run import run
from arch_lint.findings import Finding, Fix

CASES_DIR = Path(__file__).parent / "fixtures" / "rules"
FIX_CASES = sorted({p.parents[0] for p in CASES_DIR.rglob("*.py.fixed")})
CASES = sorted({next(p for p in f.parents if p.parent == CASES_DIR) for f in FIX_CASES})


def _copy(case: Path, tmp_path: Path) -> Path:
    dest = tmp_path / case.name
    shutil.copytree(case, dest, ignore=shutil.ignore_patterns("*.fixed", "expected.txt"))
    return dest


def _fix(root: Path, unsafe: bool = True) -> int:
    settings = load_settings(None, root)
    result = run(settings, [root], use_cache=False)
    return apply_fixes(root, result.findings, unsafe=unsafe, diff=False).fixed


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.name)
def test_fixes_converge_in_one_pass(
    case: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _copy(case, tmp_path)
    monkeypatch.chdir(root)
    assert _fix(root) > 0
    for fixed in case.rglob("*.py.fixed"):
        target = root / fixed.relative_to(case).with_suffix("")
        assert target.read_text() == fixed.read_text(), target
        ast.parse(target.read_bytes())
    snapshot = {p: p.read_bytes() for p in root.rglob("*.py")}
    assert _fix(root) == 0
    assert {p: p.read_bytes() for p in root.rglob("*.py")} == snapshot


def test_diff_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    root = _copy(CASES[0], tmp_path)
    monkeypatch.chdir(root)
    before = {p: p.read_bytes() for p in root.rglob("*.py")}
    assert main(["check", "--diff", "--no-cache"]) == 1
    out = capsys.readouterr().out
    assert out.startswith("--- a/")
    assert '+    logger.info("started", extra={"correlation_id": correlation_id})' in out
    assert {p: p.read_bytes() for p in root.rglob("*.py")} == before


def test_fix_command_fixes_and_reports_what_is_left(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    root = _copy(CASES[0], tmp_path)
    target = next(root.rglob("jobs.py"))
    target.chmod(0o640)
    monkeypatch.chdir(root)
    assert main(["fix", "--no-cache"]) == 1  # what has no certain fix is left
    captured = capsys.readouterr()
    assert "Fixed 8 violations in 1 file." in captured.err
    assert captured.out.count("ARC301") == 2  # the unknown flavour, and `extra=payload`
    assert oct(target.stat().st_mode & 0o777) == oct(0o640)
    assert not [p for p in target.parent.iterdir() if p.name.endswith(".tmp")]


def test_a_fix_that_would_not_parse_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _copy(CASES[0], tmp_path)
    monkeypatch.chdir(root)
    before = {p: p.read_bytes() for p in root.rglob("*.py")}

    monkeypatch.setattr(fix_engine, "parse_problem", lambda source: "simulated")
    settings = load_settings(None, root)
    result = run(settings, [root], use_cache=False)
    report = apply_fixes(root, result.findings, unsafe=False, diff=False)
    assert report.fixed == 0
    assert report.failed
    assert "would not parse" in report.failed[0][1]
    assert {p: p.read_bytes() for p in root.rglob("*.py")} == before


def test_unsafe_fixes_need_the_flag(tmp_path: Path) -> None:
    (tmp_path / "m.py").write_text('log.info("x")\n')
    fix = Fix(
        title="t",
        safe=False,
        kind="add-correlation-id",
        line=1,
        column=1,
        end_line=1,
        end_column=14,
        data={"expr": "cid", "key": "correlation_id", "style": "keyword"},
    )
    finding = Finding(
        code="ARC301", name="n", message="m", path="m.py", line=1, column=1,
        end_line=1, end_column=2, fixable=True, fix=fix,
    )  # fmt: skip
    assert apply_fixes(tmp_path, [finding], unsafe=False, diff=False).fixed == 0
    assert (tmp_path / "m.py").read_text() == 'log.info("x")\n'
    assert apply_fixes(tmp_path, [finding], unsafe=True, diff=False).fixed == 1
    assert (tmp_path / "m.py").read_text() == 'log.info("x", correlation_id=cid)\n'
    assert os.access(tmp_path / "m.py", os.R_OK)


def test_an_output_file_that_cannot_be_written_is_a_usage_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    root = _copy(CASES[0], tmp_path)
    monkeypatch.chdir(root)
    (tmp_path / "file").write_text("")
    assert main(["check", "--no-cache", "--output-file", str(tmp_path / "file" / "o.txt")]) == 2
    assert "cannot write the report" in capsys.readouterr().err
    target = tmp_path / "diff.txt"
    assert main(["check", "--diff", "--no-cache", "--output-file", str(target)]) == 1
    assert target.read_text().startswith("--- a/")


@pytest.mark.parametrize("name", ["ARC406_metadata_overwrite", "ARC407_json_column_mutation"])
def test_data_fixes_are_unsafe(name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = _copy(CASES_DIR / name, tmp_path)
    monkeypatch.chdir(root)
    before = {p: p.read_bytes() for p in root.rglob("*.py")}
    assert _fix(root, unsafe=False) == 0
    assert {p: p.read_bytes() for p in root.rglob("*.py")} == before
    assert _fix(root, unsafe=True) > 0


# --- fix safety: a fix lands on the node it was made for, or nothing is written ---

_JOB = (
    b"import logging\n\nlogger = logging.getLogger(__name__)\n\n\n"
    b"def handle(correlation_id: str) -> None:\n"
    b'    logger.info("started")\n'
)


def _project(tmp_path: Path, body: bytes) -> Path:
    (tmp_path / "pyproject.toml").write_text("[tool.arch_lint]\nshared-models = []\n")
    orders = tmp_path / "services" / "orders"
    orders.mkdir(parents=True)
    (orders / "__init__.py").write_text("")
    (orders / "jobs.py").write_bytes(body)
    return orders / "jobs.py"


def _findings(root: Path) -> list[Finding]:
    return run(load_settings(None, root), [root], use_cache=False).findings


def test_a_file_libcst_does_not_reproduce_is_not_fixed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # libcst drops a line holding only a backslash after a lone `\r`: every
    # position after it would be one line off, so nothing may be written.
    body = _JOB.replace(b"(__name__)\n", b"(__name__)\r\\\r\nx = 2\n")
    target = _project(tmp_path, body)
    assert ast.parse(body)
    monkeypatch.chdir(tmp_path)
    assert main(["fix", "--no-cache"]) == 1
    assert "does not reproduce this file byte for byte" in capsys.readouterr().err
    assert target.read_bytes() == body


def test_a_fix_whose_node_is_elsewhere_is_refused(tmp_path: Path) -> None:
    target = _project(tmp_path, _JOB)
    (finding,) = _findings(tmp_path)
    assert finding.fix is not None
    moved = replace(finding.fix, end_column=21)
    report = apply_fixes(tmp_path, [replace(finding, fix=moved)], unsafe=False, diff=False)
    assert report.fixed == 0
    assert "did not find the code they were made for" in report.failed[0][1]
    assert target.read_bytes() == _JOB


def test_a_file_changed_since_it_was_checked_is_not_fixed(tmp_path: Path) -> None:
    """Two `fix` runs at once: the second one's findings are stale once the
    first has written, and it must not apply the same fix again."""
    target = _project(tmp_path, _JOB)
    settings = load_settings(None, tmp_path)
    result = run(settings, [tmp_path], use_cache=False)
    digests = {p: s.digest for p, s in result.built.sources.items()}
    first = apply_fixes(tmp_path, result.findings, unsafe=False, diff=False, checked=digests)
    assert first.fixed == 1
    fixed = target.read_bytes()
    second = apply_fixes(tmp_path, result.findings, unsafe=False, diff=False, checked=digests)
    assert second.fixed == 0
    assert "changed since it was checked" in second.failed[0][1]
    assert target.read_bytes() == fixed
    assert fixed.count(b"extra=") == 1


def test_libcst_rejecting_a_file_python_parses_is_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = _project(tmp_path, _JOB)
    findings = _findings(tmp_path)

    def refuse(source: bytes) -> None:
        raise fix_engine.cst.ParserSyntaxError("bad", lines=["x"], raw_line=1, raw_column=0)

    monkeypatch.setattr(fix_engine.cst, "parse_module", refuse)
    report = apply_fixes(tmp_path, findings, unsafe=False, diff=False)
    assert report.failed[0][1].startswith("libcst cannot parse this file")
    assert "Syntax Error @ 1:1" not in report.failed[0][1].split("(")[0]
    assert target.read_bytes() == _JOB


def test_a_symlinked_file_keeps_its_link_and_is_fixed_only_inside(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    root.mkdir()
    target = _project(root, _JOB)
    real = root / "services" / "orders" / "real_jobs.py"
    target.rename(real)
    target.symlink_to("real_jobs.py")
    findings = [f for f in _findings(root) if f.path.endswith("/jobs.py")]
    assert findings
    assert apply_fixes(root, findings, unsafe=False, diff=False).fixed == 1
    assert target.is_symlink()
    assert b"extra=" in real.read_bytes()

    outside = tmp_path / "outside.py"
    outside.write_bytes(_JOB)
    target.unlink()
    target.symlink_to(outside)
    report = apply_fixes(root, findings, unsafe=False, diff=False)
    assert report.fixed == 0
    assert "leaves the project" in report.failed[0][1]
    assert outside.read_bytes() == _JOB


def test_a_statement_followed_by_a_semicolon_is_fixed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _copy(CASES_DIR / "ARC406_metadata_overwrite", tmp_path)
    target = root / "services" / "orders" / "semicolon.py"
    target.write_text(
        "from services.orders.models_db import Order\n\n\n"
        "def f(order: Order, v: str) -> None:\n"
        '    order.processing_metadata = {"k": v}; x = 1\n'
    )
    monkeypatch.chdir(root)
    findings = [f for f in _findings(root) if f.path.endswith("semicolon.py")]
    assert [f.code for f in findings] == ["ARC406"]
    report = apply_fixes(root, findings, unsafe=True, diff=False)
    assert report.failed == []
    assert "order.processing_metadata = {**(order.processing_metadata or {}), " in (
        target.read_text()
    )
    assert target.read_text().rstrip().endswith("; x = 1")


def test_a_file_too_deep_for_libcst_is_not_fixed_and_the_run_goes_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    body = _JOB + b"y = " + b" + ".join([b"1"] * 1200) + b"\n"
    target = _project(tmp_path, body)
    monkeypatch.chdir(tmp_path)
    assert main(["fix", "--no-cache"]) == 1
    err = capsys.readouterr().err
    assert "services/orders/jobs.py: not fixed:" in err
    assert "internal error" not in err.split("not fixed:")[0]
    assert target.read_bytes() == body


def _layouts() -> list[tuple[str, bool]]:
    """Log calls in every layout of their arguments (how many, the first beside
    `(` or on its own line, one per line or inline, a trailing comma or not, `)`
    glued or on its own line at either indentation, a comment after the last
    one), each with whether its last argument stands on a line of its own."""
    out: list[tuple[str, bool]] = []
    layouts = itertools.product(
        (1, 2, 3), (False, True), (False, True), (False, True), ("glued", "outer", "inner"),
        (False, True),
    )  # fmt: skip
    for count, first_own, one_per_line, trailing, closing, comment in layouts:
        if comment and closing == "glued":
            continue
        call = "    logger.error("
        indent = " " * 8 if first_own else " " * len(call)
        args = ['"m"', "a=a", "b=b"][:count]
        text = call + ("\n" + indent if first_own else "")
        for i, arg in enumerate(args):
            if i:
                text += ",\n" + indent if one_per_line else ", "
            text += arg
        text += "," if trailing else ""
        text += "  # why" if comment else ""
        text += {"glued": ")", "outer": "\n    )", "inner": "\n" + indent + ")"}[closing]
        own = (first_own or count > 1) if one_per_line else (first_own and count == 1)
        out.append((text + "\n", own))
    return out


def test_the_log_fix_inserts_only_and_keeps_every_layout(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    layouts = _layouts()
    header = "import structlog\n\nlogger = structlog.get_logger()\n\n\n"
    body = "def f(a: int, b: int, correlation_id: str) -> None:\n"
    source = header + body + "".join(text for text, _ in layouts)
    (tmp_path / "pyproject.toml").write_text("[tool.arch_lint]\nshared-models = []\n")
    service = tmp_path / "services" / "orders"
    service.mkdir(parents=True)
    (service / "__init__.py").write_text("")
    target = service / "calls.py"
    target.write_text(source)
    monkeypatch.chdir(tmp_path)
    assert _fix(tmp_path, unsafe=False) == len(layouts)
    fixed = target.read_text()
    remaining = iter(fixed)
    assert all(char in remaining for char in source)  # every byte kept: only insertions
    assert not [line for line in fixed.splitlines() if line != line.rstrip()]
    calls = [
        node
        for node in ast.walk(ast.parse(fixed))
        if isinstance(node, ast.Call) and ast.unparse(node.func) == "logger.error"
    ]
    calls.sort(key=lambda node: node.lineno)
    for (text, own), call in zip(layouts, calls, strict=True):
        added = call.keywords[-1]
        assert added.arg == "correlation_id", text
        before = [*call.args, *call.keywords][-2]
        if own:  # a line of its own, indented as the argument before it
            assert added.lineno == (before.end_lineno or 0) + 1, text
            assert added.col_offset == before.col_offset, text
        else:
            assert added.lineno == before.end_lineno, text
    assert _fix(tmp_path, unsafe=False) == 0
