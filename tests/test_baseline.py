"""Fingerprints and the baseline (SPEC §5), end to end through the CLI."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from helpers import base_files, make_repo, run_cli, run_subprocess

from arch_lint.config import load_settings
from arch_lint.engine.fingerprint import fingerprints
from arch_lint.engine.run import run

HANDLERS = (
    "from services.payments import gateway\n"
    "\n\n"
    "class Handler:\n"
    "    def handle(self, order_id: int) -> None:\n"
    "        from services.payments.models_db import Payment\n"
    "        gateway.charge()\n"
)

HANDLERS_MOVED = (
    '"""Order handlers."""\n'
    "import os\n"
    "from services.payments import (\n"
    "    gateway,\n"
    ")  # reformatted\n"
    "\n\n"
    "class Handler:\n"
    '    """A docstring that pushes everything down."""\n'
    "\n"
    "    def handle(self, order_id: int) -> None:\n"
    "        # a comment above\n"
    "        from services.payments.models_db import (\n"
    "            Payment,\n"
    "        )\n"
    "        gateway.charge()\n"
    "        del os\n"
)


def _files() -> dict[str, str]:
    files = base_files()
    files["services/orders/handlers.py"] = HANDLERS
    return files


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    make_repo(tmp_path, _files())
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _prints(root: Path) -> dict[tuple[str, str], str]:
    result = run(load_settings(None, root), [root], use_cache=False)
    return {
        (f.path, f.code): fp
        for f, fp in zip(result.findings, fingerprints(result.findings, root), strict=True)
    }


def test_fingerprints_survive_moved_lines_and_reformatting(repo: Path) -> None:
    before = _prints(repo)
    (repo / "services/orders/handlers.py").write_text(HANDLERS_MOVED)
    after = _prints(repo)
    assert set(before) == set(after)
    assert before == after


def test_fingerprints_tell_equal_statements_apart(repo: Path) -> None:
    (repo / "services/orders/twice.py").write_text(
        "from services.payments import gateway\nfrom services.payments import gateway\n"
    )
    result = run(load_settings(None, repo), [repo], use_cache=False)
    prints = fingerprints(result.findings, repo)
    assert len(set(prints)) == len(prints)


def test_config_level_findings_get_a_stable_fingerprint(repo: Path) -> None:
    config = (
        '[tool.arch_lint]\nservices = ["services/*"]\n\n'
        "[[tool.arch_lint.allow]]\n"
        'from = "services/billing/**"\nimport = "services.orders.models_db"\nreason = "old"\n'
    )
    (repo / "pyproject.toml").write_text(config)
    first = {k: v for k, v in _prints(repo).items() if k[0] == "pyproject.toml"}
    assert list(first) == [("pyproject.toml", "ARC002")]
    (repo / "pyproject.toml").write_text("# a comment\n\n" + config)
    assert {k: v for k, v in _prints(repo).items() if k[0] == "pyproject.toml"} == first


def test_baseline_round_trip(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    recorded = run_cli(capsys, "baseline")
    assert recorded.code == 0, recorded.err
    assert "Recorded 4 violations in arch-lint-baseline.json." in recorded.err
    data = json.loads((repo / "arch-lint-baseline.json").read_text())
    assert data["version"] == 1
    assert len(data["entries"]) == 4
    assert run_cli(capsys, "check").code == 0  # the configured file, found by default

    # move lines, reformat, add one new violation
    moved = HANDLERS_MOVED + "\n\ndef more() -> None:\n    from services.payments import gateway\n"
    (repo / "services/orders/handlers.py").write_text(moved)
    result = run_cli(capsys, "check", "--format", "json")
    assert result.code == 1
    assert [(f["path"], f["line"], f["code"]) for f in result.json()] == [
        ("services/orders/handlers.py", 21, "ARC102")
    ]
    assert result.err == ""

    # fix one recorded violation: it is reported as stale, never as a failure
    (repo / "services/orders/checkout.py").write_text("import os\n")
    result = run_cli(capsys, "check", "--select", "ARC101")
    assert result.code == 0, result.out
    result = run_cli(capsys, "check")
    assert result.code == 1
    assert "arch-lint: 1 baseline entry is fixed; `arch-lint baseline` drops it" in result.err
    # a check of one folder does not call the other folders' entries stale
    (repo / "services/orders/handlers.py").write_text(HANDLERS_MOVED)
    result = run_cli(capsys, "check", "services/payments")
    assert result.code == 0
    assert "baseline" not in result.err


def test_baseline_is_a_multiset(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    twice = "from services.payments import gateway\nfrom services.payments import gateway\n"
    (repo / "services/orders/checkout.py").write_text(twice)
    assert run_cli(capsys, "baseline", "-o", "base.json").code == 0
    (repo / "services/orders/checkout.py").write_text(
        twice + "from services.payments import gateway\n"
    )
    result = run_cli(capsys, "check", "--baseline", "base.json", "--format", "json")
    assert result.code == 1
    assert [(f["path"], f["code"]) for f in result.json()] == [
        ("services/orders/checkout.py", "ARC102")
    ]


def test_baseline_output_is_deterministic_and_configurable(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = '[tool.arch_lint]\nservices = ["services/*"]\nbaseline = "ci/known.json"\n'
    (repo / "pyproject.toml").write_text(config)
    (repo / "ci").mkdir()
    assert run_cli(capsys, "baseline").code == 0
    first = (repo / "ci/known.json").read_text()
    assert run_cli(capsys, "baseline").code == 0
    assert (repo / "ci/known.json").read_text() == first
    assert run_cli(capsys, "baseline", "-o", "-").out == first
    assert run_cli(capsys, "check").code == 0


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "invalid JSON"),
        ('{"version": 1}', 'no "entries"'),
        ('{"version": 99, "entries": []}', "baseline version 99"),
        ('{"version": 1, "entries": [{"code": "ARC101"}]}', "entry 0"),
    ],
)
def test_a_malformed_baseline_is_a_usage_error(
    repo: Path, capsys: pytest.CaptureFixture[str], content: str, message: str
) -> None:
    (repo / "bad.json").write_text(content)
    result = run_cli(capsys, "check", "--baseline", "bad.json")
    assert result.code == 2
    assert message in result.err
    assert "Traceback" not in result.err


def test_a_missing_baseline_named_on_the_command_line_is_a_usage_error(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    result = run_cli(capsys, "check", "--baseline", "nowhere.json")
    assert result.code == 2
    assert "cannot read the baseline" in result.err


def test_baseline_from_the_real_executable(repo: Path) -> None:
    assert run_subprocess(repo, "baseline").code == 0
    assert run_subprocess(repo, "check").code == 0


def test_the_flake8_plugin_honours_the_configured_baseline(repo: Path) -> None:
    import subprocess
    import sys

    bin_dir = Path(sys.executable).parent
    flake8 = [str(bin_dir / "flake8")] if (bin_dir / "flake8").exists() else [
        sys.executable, "-m", "flake8"
    ]  # fmt: skip

    def arc_lines() -> list[str]:
        proc = subprocess.run(
            [*flake8, "--select", "ARC", "--format", "%(path)s:%(row)d:%(code)s", "services"],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        assert proc.returncode in {0, 1}, proc.stderr
        return sorted(proc.stdout.splitlines())

    assert len(arc_lines()) == 4
    assert run_subprocess(repo, "baseline").code == 0
    assert arc_lines() == []
    moved = HANDLERS_MOVED + "\n\ndef more() -> None:\n    from services.payments import gateway\n"
    (repo / "services/orders/handlers.py").write_text(moved)
    assert arc_lines() == ["services/orders/handlers.py:21:ARC102"]


def test_without_a_table_baseline_and_check_judge_the_same_layout(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    files = {k: v for k, v in _files().items() if k != "pyproject.toml"}
    make_repo(tmp_path, files)
    monkeypatch.chdir(tmp_path)
    assert run_cli(capsys, "check").code == 1  # on the layout init infers
    recorded = run_cli(capsys, "baseline")
    assert recorded.code == 0, recorded.err
    assert "using the layout `arch-lint init` infers" in recorded.err
    assert run_cli(capsys, "check").code == 0


def test_a_warm_run_takes_fingerprints_from_the_cache(
    repo: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from arch_lint.engine import fingerprint as module

    cold = run_cli(capsys, "check", "--format", "json").json()
    parsed: list[str] = []
    original = module._File.load

    def spy(root: Path, path: str, given: bytes | None = None, tree: object = None) -> object:
        parsed.append(path)
        return original(root, path, given, tree)  # type: ignore[arg-type]

    placed: list[int] = []
    original_places = module.place_keys

    def spy_places(source: bytes, tree: Any, places: Any) -> Any:
        placed.append(len(places))
        return original_places(source, tree, places)

    monkeypatch.setattr(module._File, "load", staticmethod(spy))
    monkeypatch.setattr(module, "place_keys", spy_places)
    assert run_cli(capsys, "check", "--format", "json").json() == cold
    assert parsed == []  # no file is read again for its fingerprints
    assert placed == []
    (repo / "services/orders/handlers.py").write_text("# a comment above\n" + HANDLERS)
    warm = run_cli(capsys, "check", "--format", "json").json()
    # only the changed file's keys are computed, while the build has its tree
    # (its cross-service imports are where ARC101/ARC102 report): not read again
    assert parsed == []
    assert placed == [2]
    assert {f["fingerprint"] for f in warm} == {f["fingerprint"] for f in cold}


@pytest.mark.parametrize(
    "source",
    [
        "x = " + "[" * 150 + "]" * 150,  # deeper than the recursive writer goes
        "x = " + "-" * 300 + "1",
        "async def f(a: int = 1, *b, c=None, **d) -> None:\n    return [y async for y in a if y]\n",
        "try:\n    pass\nexcept (A, B) as e:\n    raise C from e\nelse:\n    x: int = 2\n",
        "match p:\n    case {'k': [1, *rest]} if rest:\n        pass\n",
        "s = f'{a!r:>{w}}' + b'\\x00' + ...\n",
    ],
)
def test_the_canonical_text_does_not_depend_on_how_it_is_written(source: str) -> None:
    """The recursive writer and the stack one give the same text (fingerprints
    in users' baselines stay valid), to any depth."""
    import ast

    from arch_lint.engine.fingerprint import _BODIES, _canonical, _canonical_deep

    for stmt in ast.parse(source).body:
        assert _canonical(stmt, _BODIES) == _canonical_deep(stmt, _BODIES)
        assert _canonical(stmt) == _canonical_deep(stmt)
