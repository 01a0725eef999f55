"""End to end through the real executables: flake8 with the plugin reports
exactly the CLI's findings (less the CLI-only ARC001/ARC002), honours
`# noqa`, lints unsaved buffers through stdin, and stops on a bad config."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
BIN = Path(sys.executable).parent
FLAKE8 = [str(BIN / "flake8")] if (BIN / "flake8").exists() else [sys.executable, "-m", "flake8"]
ARCH_LINT = [sys.executable, "-m", "arch_lint"]
CASES = sorted(p for p in (ROOT / "tests" / "fixtures" / "rules").iterdir() if p.is_dir())
CLI_ONLY = {"ARC000", "ARC001", "ARC002"}


def flake8(cwd: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*FLAKE8, "--select", "ARC", "--format", "%(path)s|%(row)d|%(col)d|%(code)s", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        input=stdin,
        check=False,
    )


def flake8_set(cwd: Path, *args: str) -> set[tuple[str, int, str]]:
    proc = flake8(cwd, *args, ".")
    assert proc.returncode in {0, 1}, proc.stderr
    out = set()
    for line in proc.stdout.splitlines():
        path, row, _, code = line.split("|")
        out.add((Path(path).as_posix().removeprefix("./"), int(row), code))
    return out


def cli_set(cwd: Path) -> set[tuple[str, int, str]]:
    proc = subprocess.run(
        [*ARCH_LINT, "check", "--no-cache", "--format", "json", "."],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode in {0, 1}, proc.stderr
    return {(f["path"], f["line"], f["code"]) for f in json.loads(proc.stdout)}


@pytest.fixture
def shop(tmp_path: Path) -> Path:
    dest = tmp_path / "shop"
    shutil.copytree(
        ROOT / "examples" / "shop", dest, ignore=shutil.ignore_patterns(".arch_lint_cache")
    )
    return dest


def test_flake8_and_cli_agree_on_the_example(shop: Path) -> None:
    cli = {f for f in cli_set(shop) if f[2] not in CLI_ONLY}
    assert cli, "the example must have findings"
    assert flake8_set(shop) == cli


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.name)
def test_flake8_and_cli_agree_on_every_fixture(case: Path, tmp_path: Path) -> None:
    copy = tmp_path / case.name
    shutil.copytree(case, copy)
    cli = {f for f in cli_set(copy) if f[2] not in CLI_ONLY}
    assert flake8_set(copy) == cli


def test_noqa_silences_a_finding_in_both(shop: Path) -> None:
    path = shop / "services" / "orders" / "repositories" / "order_repository.py"
    lines = path.read_text().splitlines()
    target = next(i for i, line in enumerate(lines) if "services.payments.models_db" in line)
    rel = "services/orders/repositories/order_repository.py"
    assert (rel, target + 1, "ARC101") in flake8_set(shop)
    lines[target] += "  # noqa: ARC101"
    path.write_text("\n".join(lines) + "\n")
    assert (rel, target + 1, "ARC101") not in flake8_set(shop)
    assert (rel, target + 1, "ARC101") not in cli_set(shop)


def test_unsaved_buffer_through_stdin(shop: Path) -> None:
    rel = "services/notifications/mailer.py"
    buffer = (shop / rel).read_text() + "\nfrom services.orders.models_db import Order\n"
    line = buffer.count("\n")
    proc = flake8(shop, "--stdin-display-name", rel, "-", stdin=buffer)
    assert proc.returncode == 1, proc.stderr
    assert f"{rel}|{line}|1|ARC101" in proc.stdout.splitlines()


def test_a_bad_configuration_stops_flake8(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.arch_lint]\nservics = ["services/*"]\n')
    (tmp_path / "services" / "a").mkdir(parents=True)
    (tmp_path / "services" / "a" / "x.py").write_text("x = 1\n")
    proc = flake8(tmp_path, ".")
    assert proc.returncode == 2
    assert "tool.arch_lint.servics" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_configuration_matching_nothing_stops_flake8(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.arch_lint]\nservices = ["apps/*"]\n')
    (tmp_path / "x.py").write_text("x = 1\n")
    proc = flake8(tmp_path, ".")
    assert proc.returncode == 2
    assert "ARC000" in proc.stderr
    assert "services[0]" in proc.stderr


def test_arc_not_selected_leaves_flake8_alone(tmp_path: Path) -> None:
    (tmp_path / "x.py").write_text("x = 1\n")  # no services/ at all: ARC000 if ARC ran
    proc = subprocess.run(
        [*FLAKE8, "--select", "E,W,F", "."],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr


def test_columns_agree_for_a_latin1_file(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.arch_lint]\nshared-models = []\n")
    for service in ("orders", "payments"):
        (tmp_path / "services" / service).mkdir(parents=True)
    (tmp_path / "services" / "payments" / "models_db.py").write_text("class P: ...\n")
    (tmp_path / "services" / "orders" / "l1.py").write_bytes(
        b'# -*- coding: latin-1 -*-\ns = "\xe9\xe9"; from services.payments.models_db import P\n'
    )
    cli = subprocess.run(
        [*ARCH_LINT, "check", "--no-cache", "--format", "json", "."],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    [finding] = json.loads(cli.stdout)
    assert (finding["line"], finding["column"]) == (2, 11)
    proc = flake8(tmp_path, ".")
    assert "services/orders/l1.py|2|11|ARC101" in proc.stdout.replace("./", "")
