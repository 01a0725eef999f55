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


# --- safe to install anywhere (SPEC §3 "No configuration at all") -------------------------


def plain_flake8(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """flake8 as a user runs it: no `--select`, the default output format."""
    return subprocess.run([*FLAKE8, *args], cwd=cwd, capture_output=True, text=True, check=False)


@pytest.mark.parametrize(
    "pyproject", [None, '[project]\nname = "pkg"\n\n[tool.ruff]\nline-length = 100\n']
)
def test_without_a_table_the_plugin_is_inactive(tmp_path: Path, pyproject: str | None) -> None:
    # A project that never heard of arch-lint: no services/, no common/models.
    if pyproject is not None:
        (tmp_path / "pyproject.toml").write_text(pyproject)
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "a.py").write_text("import os\n")
    proc = plain_flake8(tmp_path, "pkg")
    assert proc.returncode == 1, proc.stderr
    assert proc.stdout.splitlines() == [f"{Path('pkg/a.py')}:1:1: F401 'os' imported but unused"]
    assert proc.stderr == ""
    assert "ARC" not in proc.stdout
    # also when ARC is asked for by name: nothing to judge, nothing to stop
    proc = plain_flake8(tmp_path, "--extend-select", "ARC", "pkg")
    assert proc.returncode == 1, proc.stderr
    assert "F401" in proc.stdout
    assert "ARC" not in proc.stdout + proc.stderr


def test_an_explicit_config_file_activates_the_plugin(tmp_path: Path) -> None:
    (tmp_path / "arch.toml").write_text("[tool.arch_lint]\nshared-models = []\n")
    _small_monorepo(tmp_path, api="from services.payments.models_db import Payment\n")
    proc = flake8(tmp_path, "--arch-lint-config", "arch.toml", ".")
    assert proc.returncode == 1, proc.stderr
    assert proc.stdout.replace("./", "").splitlines() == ["services/orders/api.py|1|1|ARC101"]


# --- stdin buffers judged as the file named by --stdin-display-name ------------------------


def _small_monorepo(root: Path, api: str = "X = 1\n") -> None:
    for folder in ("services/orders", "services/payments"):
        (root / folder).mkdir(parents=True, exist_ok=True)
        (root / folder / "__init__.py").write_text("")
    (root / "services/orders/api.py").write_text(api)
    (root / "services/payments/models_db.py").write_text("class Payment: ...\n")
    (root / "services/payments/domain.py").write_text("def fee() -> int:\n    return 1\n")


BUFFER = (
    "from services.payments.models_db import Payment\n"
    "from services.payments.domain import fee\n"
    "\n"
    "print(Payment, fee)\n"
)


@pytest.mark.parametrize("where", ["root", "parent", "parent-with-its-own-config"])
def test_stdin_buffer_is_judged_as_the_display_name(tmp_path: Path, where: str) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "pyproject.toml").write_text("[tool.arch_lint]\nshared-models = []\n")
    _small_monorepo(repo)  # on disk, services/orders/api.py is clean
    if where == "parent-with-its-own-config":
        # the directory flake8 runs in is another project, with a table that
        # would find nothing in the buffer: the search starts at the buffer's name
        (tmp_path / "pyproject.toml").write_text(
            "[tool.arch_lint]\nservices = []\nshared-models = []\n"
        )
    cwd = repo if where == "root" else tmp_path
    name = "services/orders/api.py" if where == "root" else "repo/services/orders/api.py"
    proc = flake8(cwd, "--stdin-display-name", name, "-", stdin=BUFFER)
    assert proc.returncode == 1, proc.stderr
    assert sorted(proc.stdout.splitlines()) == [f"{name}|1|1|ARC101", f"{name}|2|1|ARC102"]
    # the file on disk is not what was judged
    assert (repo / "services/orders/api.py").read_text() == "X = 1\n"
    on_disk = flake8(cwd, name)
    assert on_disk.returncode == 0, on_disk.stdout + on_disk.stderr


def test_stdin_outside_any_configured_project_is_left_alone(tmp_path: Path) -> None:
    proc = subprocess.run(
        [*FLAKE8, "--stdin-display-name", "pkg/a.py", "-"],
        cwd=tmp_path,
        input="import os\n",
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 1, proc.stderr
    assert proc.stdout.splitlines() == ["pkg/a.py:1:1: F401 'os' imported but unused"]
    assert proc.stderr == ""


# --- negation globs: `services` is one pattern list (SPEC §3) ------------------------------


def test_a_negated_services_glob_is_judged_with_its_list(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.arch_lint]\nservices = ["services/*", "!services/common"]\nshared-models = []\n'
    )
    _small_monorepo(tmp_path, api="from services.common.util import helper\n")
    (tmp_path / "services/common").mkdir()
    (tmp_path / "services/common/__init__.py").write_text("")
    (tmp_path / "services/common/util.py").write_text("def helper() -> None: ...\n")
    # services/common is no service, so importing it crosses no boundary
    cli = subprocess.run(
        [*ARCH_LINT, "check", "--no-cache", "--show-settings"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert cli.returncode == 0, cli.stdout + cli.stderr
    assert "problems (ARC000)" not in cli.stdout
    assert "services (2):" in cli.stdout
    assert "  common  (" not in cli.stdout
    assert cli_set(tmp_path) == set()
    proc = flake8(tmp_path, ".")
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, "", "")
    # and the negation still matters: without it, services/common is a service
    (tmp_path / "pyproject.toml").write_text(
        '[tool.arch_lint]\nservices = ["services/*"]\nshared-models = []\n'
    )
    assert cli_set(tmp_path) == {("services/orders/api.py", 1, "ARC102")}


@pytest.mark.parametrize(
    ("services", "key"),
    [
        ('["services/*", "!services/*"]', "tool.arch_lint.services`"),
        ('["!services/orders"]', "tool.arch_lint.services`"),
        ('["services/*", "apps/*", "!services/payments"]', "tool.arch_lint.services[1]`"),
    ],
)
def test_a_pattern_list_that_leaves_no_service_is_arc000(
    tmp_path: Path, services: str, key: str
) -> None:
    (tmp_path / "pyproject.toml").write_text(
        f"[tool.arch_lint]\nservices = {services}\nshared-models = []\n"
    )
    _small_monorepo(tmp_path)
    cli = subprocess.run(
        [*ARCH_LINT, "check", "--no-cache"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert cli.returncode == 2
    [line] = [line for line in cli.stderr.splitlines() if "ARC000" in line]
    assert key in line
    assert line.startswith("pyproject.toml:2:")
    proc = flake8(tmp_path, ".")
    assert proc.returncode == 2
    assert key in proc.stderr


# --- the warm cache: findings the CLI recorded, and only where they hold ------------------


def _warm(cwd: Path) -> None:
    proc = subprocess.run(
        [*ARCH_LINT, "check", "--format", "json", "."],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode in {0, 1}, proc.stderr


def test_with_a_warm_cache_flake8_reads_the_cli_findings(shop: Path) -> None:
    cold = flake8(shop, ".")
    assert cold.returncode == 1, cold.stderr
    shutil.rmtree(shop / ".arch_lint_cache")
    _warm(shop)
    # Without the facts, any index build would have to write them again.
    (shop / ".arch_lint_cache" / "facts.json").unlink()
    warm = flake8(shop, "-j2", ".")
    assert (warm.returncode, warm.stderr) == (1, "")
    assert sorted(warm.stdout.splitlines()) == sorted(cold.stdout.splitlines())
    assert not (shop / ".arch_lint_cache" / "facts.json").exists()


def test_cached_findings_go_through_flake8s_own_noqa(shop: Path) -> None:
    """The cache keeps the rules' findings before arch-lint's `# noqa` for the
    plugin: flake8 applies its own, and never sees the CLI-only ARC002."""
    rel = "services/orders/repositories/order_repository.py"
    path = shop / rel
    lines = path.read_text().splitlines()
    target = next(i for i, line in enumerate(lines) if "services.payments.models_db" in line)
    lines[target] += "  # noqa: ARC101"
    lines[0] += "  # noqa: ARC102"  # suppresses nothing: ARC002 for the CLI only
    path.write_text("\n".join(lines) + "\n")
    cold = flake8(shop, ".")
    assert cold.returncode == 1, cold.stderr
    shutil.rmtree(shop / ".arch_lint_cache")
    _warm(shop)
    index = json.loads((shop / ".arch_lint_cache" / "index.json").read_bytes())
    assert index["findings"]["files"][rel][3] is not None  # the raw findings, kept apart
    assert (rel, 1, "ARC002") in cli_set(shop)
    (shop / ".arch_lint_cache" / "facts.json").unlink()
    warm = flake8(shop, ".")
    assert sorted(warm.stdout.splitlines()) == sorted(cold.stdout.splitlines())
    assert not any("ARC002" in line for line in warm.stdout.splitlines())
    assert f"{rel}|{target + 1}|" not in warm.stdout.replace("./", "")
    assert not (shop / ".arch_lint_cache" / "facts.json").exists()


def test_a_changed_file_is_checked_again_with_a_warm_cache(shop: Path) -> None:
    _warm(shop)
    rel = "services/notifications/mailer.py"
    path = shop / rel
    path.write_text(path.read_text() + "\nfrom services.orders.models_db import Order\n")
    line = path.read_text().count("\n")
    warm = flake8(shop, ".")
    assert f"{rel}|{line}|1|ARC101" in warm.stdout.replace("./", "").splitlines()
    assert flake8_set(shop) == {f for f in cli_set(shop) if f[2] not in CLI_ONLY}


def test_an_unsaved_buffer_is_judged_with_a_warm_cache(shop: Path) -> None:
    _warm(shop)
    rel = "services/notifications/mailer.py"
    buffer = (shop / rel).read_text() + "\nfrom services.orders.models_db import Order\n"
    line = buffer.count("\n")
    proc = flake8(shop, "--stdin-display-name", rel, "-", stdin=buffer)
    assert proc.returncode == 1, proc.stderr
    assert f"{rel}|{line}|1|ARC101" in proc.stdout.splitlines()


def test_flake8_on_a_few_files_needs_their_findings_only(shop: Path) -> None:
    """A pre-commit run: the CLI checked these files, flake8 checks the same."""
    rel = "services/orders/repositories/order_repository.py"
    cold = flake8(shop, rel)
    assert cold.returncode == 1, cold.stderr
    shutil.rmtree(shop / ".arch_lint_cache")
    proc = subprocess.run(
        [*ARCH_LINT, "check", "--format", "json", rel],
        cwd=shop,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 1, proc.stderr
    (shop / ".arch_lint_cache" / "facts.json").unlink()
    warm = flake8(shop, rel)
    assert (warm.returncode, warm.stdout, warm.stderr) == (1, cold.stdout, "")
    assert not (shop / ".arch_lint_cache" / "facts.json").exists()
    # a file the CLI did not check has no findings cached: the index is built
    other = flake8(shop, ".")
    assert other.returncode == 1, other.stderr
    assert (shop / ".arch_lint_cache" / "facts.json").exists()
