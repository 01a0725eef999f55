"""Start-up (SPEC §6): a warm check of a few files answers from the cache alone.

A warm run imports neither the rules nor pydantic nor pathspec and builds no
project index; the validated configuration and the layout come from the cache,
which never hides a changed or broken configuration, a new file or a new
folder. Findings and fingerprints are the same as without the cache.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from helpers import assert_no_traceback, base_files, make_repo, run_cli, run_subprocess

from arch_lint.config import cached as config_cache
from arch_lint.config import load_project, load_settings
from arch_lint.findings import Finding, Fix

CACHE = ".arch_lint_cache"
CONFIG_CACHE = f"{CACHE}/config.json"
LAYOUT_CACHE = f"{CACHE}/layout.json"
HEAVY = (
    "pydantic",
    "pathspec",
    "tomllib",
    "tomli",
    "libcst",
    "arch_lint.rules",
    "arch_lint.index.build",
    "arch_lint.index.facts",
    "arch_lint.index.project",
    "arch_lint.index.modgraph",
    "arch_lint.index.model_index",
    "arch_lint.index.data_index",
    "arch_lint.config.validate",
)
"""What a warm check of unchanged files has no use for."""


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    make_repo(tmp_path, base_files())
    monkeypatch.chdir(tmp_path)
    return tmp_path


def check_json(capsys: pytest.CaptureFixture[str], *args: str) -> list[dict[str, Any]]:
    result = run_cli(capsys, "check", "--format", "json", *args)
    assert result.code in (0, 1), result.err
    return result.json()


def modules_after(cwd: Path, *argv: str) -> tuple[int, list[str], str]:
    """(exit status, the heavy modules loaded, stdout) of `arch-lint ARGV` in a
    fresh interpreter."""
    code = (
        "import json, sys\n"
        "from arch_lint.adapters.cli import main\n"
        f"status = main({list(argv)!r})\n"
        f"heavy = sorted(m for m in sys.modules if m.split('.')[0] in {HEAVY!r}"
        f" or m.startswith({HEAVY!r}))\n"
        "print(json.dumps([status, heavy]), file=sys.stderr)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    status, heavy = json.loads(proc.stderr.strip().splitlines()[-1])
    return status, heavy, proc.stdout


# --- the warm path -------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_a_warm_check_imports_no_rule_and_no_validation(repo: Path, fmt: str) -> None:
    status, heavy, cold = modules_after(repo, "check", "--format", fmt)
    assert status == 1
    assert "arch_lint.rules" in heavy  # the cold run needed them
    status, heavy, warm = modules_after(repo, "check", "--format", fmt)
    assert status == 1
    assert heavy == []
    assert warm == cold
    status, heavy, _ = modules_after(repo, "check", "services/orders/api.py")
    assert (status, heavy) == (1, [])


def test_a_warm_check_builds_no_index(
    repo: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    cold = check_json(capsys)
    import arch_lint.index.build as index_build

    def refuse(*args: object, **kwargs: object) -> Any:
        raise AssertionError("the index was built on a warm run")

    monkeypatch.setattr(index_build, "build", refuse)
    assert check_json(capsys) == cold
    assert check_json(capsys, "services/orders/api.py") == cold[:1]


def test_a_changed_file_is_checked_again(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    check_json(capsys)
    (repo / "services/orders/clean.py").write_text(
        "from services.payments.models_db import Payment\n", encoding="utf-8"
    )
    found = {(f["path"], f["code"]) for f in check_json(capsys)}
    assert ("services/orders/clean.py", "ARC101") in found


def test_a_touched_but_unchanged_file_keeps_the_warm_path(
    repo: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    cold = check_json(capsys)
    path = repo / "services/orders/clean.py"
    path.write_bytes(path.read_bytes())  # new mtime, same content
    import arch_lint.index.build as index_build

    monkeypatch.setattr(index_build, "build", None)  # any build would fail
    assert check_json(capsys) == cold


def test_another_selection_is_not_answered_from_the_cache(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    check_json(capsys)
    only = check_json(capsys, "--select", "ARC102")
    assert [(f["path"], f["code"]) for f in only] == [("services/orders/checkout.py", "ARC102")]


def test_the_warm_path_reports_an_unused_allow_entry(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    config = (
        '[tool.arch_lint]\nservices = ["services/*"]\n\n'
        '[[tool.arch_lint.allow]]\nfrom = "services/billing/**"\n'
        'import = "services.payments.*"\nreason = "none"\n'
    )
    make_repo(tmp_path, base_files(config))
    monkeypatch.chdir(tmp_path)
    cold = run_cli(capsys, "check", "--no-cache", "--format", "json").json()
    assert ("pyproject.toml", "ARC002") in {(f["path"], f["code"]) for f in cold}
    assert check_json(capsys) == cold
    assert check_json(capsys) == cold


# --- the configuration cache ------------------------------------------------------------------


def test_the_cached_configuration_is_the_validated_one(repo: Path) -> None:
    config = (
        '[tool.arch_lint]\nservices = ["services/*"]\nextend-exclude = ["gen/**"]\n'
        'per-path-ignores = {"services/orders/**" = ["ARC102"]}\n\n'
        '[tool.arch_lint.models]\nservice-urls = { orders = "ORDERS_URL" }\n\n'
        '[[tool.arch_lint.allow]]\nfrom = "a/**"\nimport = "b"\nreason = "r"\ncodes = ["ARC101"]\n'
    )
    (repo / "pyproject.toml").write_text(config, encoding="utf-8")
    fresh = load_settings(None, repo, use_cache=False)
    assert not (repo / CONFIG_CACHE).exists()
    first = load_settings(None, repo)
    assert (repo / CONFIG_CACHE).is_file()
    second = load_settings(None, repo)
    assert first == fresh
    assert second == fresh
    assert second.fingerprint == fresh.fingerprint


def test_a_warm_run_takes_the_configuration_from_the_cache(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    load_settings(None, repo)
    import arch_lint.config as config_package

    def refuse(raw: object) -> Any:
        raise AssertionError("validated again")

    monkeypatch.setattr(config_package, "resolve", refuse)
    assert load_settings(None, repo).root == repo.resolve()


@pytest.mark.parametrize(
    ("line", "key"),
    [
        ('servics = ["services/*"]', "tool.arch_lint.servics"),
        ('services = "services/*"', "tool.arch_lint.services"),
        ('select = ["ARC999"]', "tool.arch_lint.select[0]"),
        ('exclude = ["**/[z-a].py"]', "tool.arch_lint.exclude[0]"),
    ],
)
def test_a_changed_configuration_is_validated_again(
    repo: Path, capsys: pytest.CaptureFixture[str], line: str, key: str
) -> None:
    good = (repo / "pyproject.toml").read_text(encoding="utf-8")
    assert run_cli(capsys, "check").code == 1
    assert (repo / CONFIG_CACHE).is_file()
    (repo / "pyproject.toml").write_text("[tool.arch_lint]\n" + line + "\n", encoding="utf-8")
    for _ in range(2):  # a broken configuration is never cached
        result = run_cli(capsys, "check")
        assert result.code == 2
        assert key in result.err
        assert_no_traceback(result)
    (repo / "pyproject.toml").write_text(good, encoding="utf-8")
    assert run_cli(capsys, "check").code == 1


def test_a_broken_configuration_from_the_real_executable(repo: Path) -> None:
    assert run_subprocess(repo, "check").code == 1
    (repo / "pyproject.toml").write_text("[tool.arch_lint]\nservics = []\n", encoding="utf-8")
    result = run_subprocess(repo, "check")
    assert result.code == 2
    assert "tool.arch_lint.servics" in result.err
    assert_no_traceback(result)


def test_a_one_byte_change_is_a_new_configuration(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (repo / "pyproject.toml").write_text(
        '[tool.arch_lint]\nservices = ["services/*"]\nignore = ["ARC101"]\n', encoding="utf-8"
    )
    assert [f["code"] for f in check_json(capsys)] == ["ARC102"]
    (repo / "pyproject.toml").write_text(
        '[tool.arch_lint]\nservices = ["services/*"]\nignore = ["ARC102"]\n', encoding="utf-8"
    )
    assert [f["code"] for f in check_json(capsys)] == ["ARC101"]


def _poison(repo: Path, change: Any) -> None:
    doc = json.loads((repo / CONFIG_CACHE).read_bytes())
    change(doc)
    (repo / CONFIG_CACHE).write_text(json.dumps(doc), encoding="utf-8")


def _set_services(doc: dict[str, Any]) -> None:
    doc["model"]["services"] = ["elsewhere/*"]


DAMAGE = {
    "garbage": lambda doc: doc.clear(),
    "model-not-a-table": lambda doc: doc.update(model=[]),
    "services-a-number": lambda doc: doc["model"].update(services=5),
    "unknown-key": lambda doc: doc["model"].update(other=1),
    "missing-key": lambda doc: doc["model"].pop("services"),
    "allow-garbage": lambda doc: doc["model"].update(allow=[{"from": 1}]),
    "literal-out-of-range": lambda doc: doc["model"]["schema"].update(compatibility="x"),
    "explicit-garbage": lambda doc: doc.update(explicit=[1]),
    "regex-garbage": lambda doc: doc.update(regexes={"services/*": "(", "**/tests/**": 5}),
    "regex-does-not-compile": lambda doc: doc.update(regexes={"services/*": "("}),
    "other-key": lambda doc: doc.update(key=[0]),
}


@pytest.mark.parametrize("name", sorted(DAMAGE))
def test_a_damaged_configuration_cache_is_ignored(
    repo: Path, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    cold = run_cli(capsys, "check", "--no-cache", "--format", "json").json()
    assert check_json(capsys) == cold
    _poison(repo, DAMAGE[name])
    result = run_cli(capsys, "check", "--format", "json")
    assert result.code == 1, result.err
    assert result.json() == cold


def test_a_regex_that_does_not_compile_is_translated_again() -> None:
    from arch_lint.config.resolve import PATTERN_REGEXES, matcher

    pattern = "odd-pattern-for-this-test/**"
    PATTERN_REGEXES[pattern] = "("
    try:
        assert matcher([pattern]).match_file("odd-pattern-for-this-test/x.py")
        assert PATTERN_REGEXES[pattern] != "("
    finally:
        PATTERN_REGEXES.pop(pattern, None)


def test_no_cache_neither_reads_nor_writes_the_configuration_cache(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cold = run_cli(capsys, "check", "--no-cache", "--format", "json").json()
    assert not (repo / CACHE).exists()
    check_json(capsys)
    _poison(repo, _set_services)
    assert run_cli(capsys, "check", "--no-cache", "--format", "json").json() == cold


def test_a_cache_entry_for_other_bytes_is_not_used(repo: Path) -> None:
    """The key is the file's bytes (and arch-lint's code), not its name or time."""
    settings = load_settings(None, repo)
    raw = (repo / "pyproject.toml").read_bytes()
    assert config_cache.lookup(repo / "pyproject.toml", raw) == settings
    assert config_cache.lookup(repo / "pyproject.toml", raw + b"\n") is None
    assert config_cache.lookup(repo / "other.toml", raw) is None


def test_the_watched_modules_exist() -> None:
    """A path that names nothing would stamp every configuration alike."""
    for path in config_cache._WATCHED:
        assert os.path.exists(path), path


def test_a_nearer_pyproject_that_cannot_hold_the_table_is_skipped_unparsed(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A service's own pyproject.toml (here not even TOML) is not parsed."""
    (repo / "services/orders/pyproject.toml").write_text("this is not TOML [[[\n", encoding="utf-8")
    load_module = sys.modules["arch_lint.config.load"]  # `arch_lint.config.load` is a function too
    parsed: list[Path] = []
    real = load_module._read_toml

    def recording(path: Path, raw: bytes | None = None) -> Any:
        parsed.append(path)
        return real(path, raw)

    monkeypatch.setattr(load_module, "_read_toml", recording)
    found = load_project(None, repo / "services/orders/api.py", use_cache=False)
    assert getattr(found, "config_path", None) == (repo / "pyproject.toml").resolve()
    assert parsed
    assert repo / "services/orders/pyproject.toml" not in parsed


def test_a_nearer_pyproject_with_an_escaped_key_is_still_read(repo: Path) -> None:
    (repo / "services/orders/pyproject.toml").write_text(
        '[tool."arch\\u005flint"]\nservices = ["*"]\n', encoding="utf-8"
    )
    found = load_project(None, repo / "services/orders/api.py")
    assert (
        getattr(found, "config_path", None) == (repo / "services/orders/pyproject.toml").resolve()
    )


# --- the layout cache -------------------------------------------------------------------------


def test_a_new_service_is_seen_on_a_warm_run(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    check_json(capsys)
    make_repo(
        repo,
        {
            "services/billing/__init__.py": "",
            "services/billing/models_db.py": "class Invoice:\n    pass\n",
            "services/orders/bill.py": "from services.billing.models_db import Invoice\n",
        },
    )
    found = {(f["path"], f["code"], f["service"]) for f in check_json(capsys)}
    assert ("services/orders/bill.py", "ARC101", "orders") in found


def test_arc000_follows_the_folders_on_warm_runs(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (repo / "pyproject.toml").write_text(
        '[tool.arch_lint]\nservices = ["services/*", "apps/*"]\n', encoding="utf-8"
    )
    for _ in range(2):
        result = run_cli(capsys, "check")
        assert result.code == 2
        assert "ARC000" in result.err
        assert "services[1]" in result.err
    make_repo(repo, {"apps/web/main.py": "X = 1\n"})
    assert run_cli(capsys, "check").code == 1
    (repo / "apps/web/main.py").unlink()
    (repo / "apps/web").rmdir()
    assert run_cli(capsys, "check").code == 2


@pytest.mark.parametrize(
    "content",
    [
        "garbage",
        "[]",
        '{"key": null}',
        '{"key": 1, "services": [], "problems": []}',
    ],
)
def test_a_damaged_layout_cache_is_ignored(
    repo: Path, capsys: pytest.CaptureFixture[str], content: str
) -> None:
    cold = check_json(capsys)
    (repo / LAYOUT_CACHE).write_text(content, encoding="utf-8")
    assert check_json(capsys) == cold


def test_a_layout_cache_of_the_right_key_but_wrong_shape_is_ignored(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cold = check_json(capsys)
    doc = json.loads((repo / LAYOUT_CACHE).read_bytes())
    doc["services"] = [["services/orders", 5]]
    (repo / LAYOUT_CACHE).write_text(json.dumps(doc), encoding="utf-8")
    assert check_json(capsys) == cold


# --- findings and their fingerprints --------------------------------------------------------


def test_a_finding_survives_its_json() -> None:
    fix = Fix("t", True, "add-x", 1, 2, 1, 5, {"a": "b"})
    finding = Finding("ARC101", "n", "m", "p.py", 1, 2, 1, 5, "orders", True, fix)
    assert Finding.from_json(json.loads(json.dumps(finding.to_json()))) == finding
    plain = Finding("ARC102", "n", "m", "p.py", 3, 1, 3, 2)
    assert Finding.from_json(plain.to_json()) == plain
    coupled = Finding("ARC208", "n", "m", "p.py", 3, 1, 3, 2, peers=("a",), dependents=("b", "c"))
    assert Finding.from_json(json.loads(json.dumps(coupled.to_json()))) == coupled


@pytest.mark.parametrize(
    "change",
    [
        {"line": "1"},
        {"line": True},
        {"service": 3},
        {"fixable": 1},
        {"peers": "a"},
        {"dependents": ["a", 1]},
        {"fix": {"title": "t"}},
        {
            "fix": {
                "title": "t",
                "safe": 1,
                "kind": "k",
                "line": 1,
                "column": 1,
                "end_line": 1,
                "end_column": 1,
            }
        },
        {
            "fix": {
                "title": "t",
                "safe": True,
                "kind": "k",
                "line": 1,
                "column": 1,
                "end_line": 1,
                "end_column": 1,
                "data": {"a": 1},
            }
        },
    ],
)
def test_a_damaged_finding_is_refused(change: dict[str, Any]) -> None:
    data = Finding("ARC101", "n", "m", "p.py", 1, 2, 1, 5).to_json()
    data.update(change)
    with pytest.raises(ValueError, match=r"is not|without"):
        Finding.from_json(data)
    data = Finding("ARC101", "n", "m", "p.py", 1, 2, 1, 5).to_json()
    del data["code"]
    with pytest.raises(ValueError, match="without `code`"):
        Finding.from_json(data)


def test_cached_fingerprints_belong_to_their_findings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The rules report in their own order, not by line: the cached fingerprints
    follow the report's order (they were once shifted by one finding)."""
    files = base_files()
    files["services/orders/api.py"] = (
        "from services.payments import gateway\n"
        "from services.payments.models_db import Payment\n"
        "import os  # noqa: ARC101\n\n\n"
        "def get() -> Payment:\n    return Payment(gateway)\n"
    )
    make_repo(tmp_path, files)
    monkeypatch.chdir(tmp_path)
    from arch_lint.engine.fingerprint import fingerprints

    root = tmp_path.resolve()
    for _ in range(3):  # cold (computed while checking), warm (cached), warm again
        report = check_json(capsys)
        assert len({f["code"] for f in report if f["path"] == "services/orders/api.py"}) == 3
        findings = [
            Finding.from_json(
                {k: v for k, v in f.items() if k not in {"url", "fingerprint", "fix"}}
            )
            for f in report
        ]
        assert [f["fingerprint"] for f in report] == fingerprints(findings, root)
