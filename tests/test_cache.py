"""The on-disk cache (SPEC §2): a warm run gives exactly the findings of a cold one."""

from __future__ import annotations

import copy
import json
import os
import shutil
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from helpers import arch_lint_command, base_files, make_repo, run_cli

CACHE = ".arch_lint_cache"
INDEX = f"{CACHE}/index.json"
FACTS = f"{CACHE}/facts.json"


def age_files(root: Path, seconds: int = 100) -> None:
    """Backdate every file so that a warm run may trust size and mtime (no re-read)."""
    when = time.time_ns() - seconds * 1_000_000_000
    for path in root.rglob("*"):
        if path.is_file():
            os.utime(path, ns=(when, when))


@pytest.fixture(params=["fresh", "aged"])
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest) -> Path:
    """The base monorepo as the current directory.

    "fresh": files written just now (within the racy window of the cache, so a warm
    run re-reads and hashes them); "aged": files written long before the cache, so a
    warm run takes the size-and-mtime shortcut.
    """
    make_repo(tmp_path, base_files())
    if request.param == "aged":
        age_files(tmp_path)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def check_json(capsys: pytest.CaptureFixture[str], *args: str) -> list[dict[str, Any]]:
    result = run_cli(capsys, "check", "--format", "json", *args)
    assert result.code in (0, 1), result.err
    assert result.err == ""
    return result.json()


def cold_json(capsys: pytest.CaptureFixture[str], *args: str) -> list[dict[str, Any]]:
    return check_json(capsys, "--no-cache", *args)


def codes(findings: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(f["path"], f["code"]) for f in findings]


BASE_FINDINGS = [
    ("services/orders/api.py", "ARC101"),
    ("services/orders/checkout.py", "ARC102"),
]


# --- warm == cold ----------------------------------------------------------------------------


def test_warm_run_gives_exactly_the_findings_of_the_cold_one(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cold = check_json(capsys)
    assert (repo / INDEX).is_file()
    assert codes(cold) == BASE_FINDINGS
    warm = check_json(capsys)
    assert warm == cold
    text_cold = run_cli(capsys, "check", "--no-cache").out
    text_warm = run_cli(capsys, "check").out
    assert text_warm == text_cold


def test_warm_run_parses_nothing(
    repo: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    cold = check_json(capsys)
    import arch_lint.engine.run as engine_run
    import arch_lint.index.build as index_build

    def refuse(source: bytes, filename: str) -> Any:
        raise AssertionError(f"{filename} parsed again on a warm run")

    monkeypatch.setattr(index_build, "parse", refuse)
    monkeypatch.setattr(engine_run, "parse", refuse)
    assert check_json(capsys) == cold


def test_one_changed_file_is_the_only_one_parsed_again(
    repo: Path, capsys: pytest.CaptureFixture[str], parsed: list[str]
) -> None:
    check_json(capsys)
    parsed.clear()  # the index build's parses on the warm run only
    (repo / "services/orders/clean.py").write_text("X = 2\n", encoding="utf-8")
    check_json(capsys)
    assert parsed == ["services/orders/clean.py"]


def test_changed_file_content_is_seen_on_a_warm_run(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert codes(check_json(capsys)) == BASE_FINDINGS
    clean = repo / "services/orders/clean.py"
    clean.write_text(
        clean.read_text(encoding="utf-8")
        + "from services.payments.models_db import Payment as P\n",
        encoding="utf-8",
    )
    warm = check_json(capsys)
    assert codes(warm) == [
        ("services/orders/api.py", "ARC101"),
        ("services/orders/checkout.py", "ARC102"),
        ("services/orders/clean.py", "ARC101"),
    ]
    assert warm[2]["line"] == 4
    assert warm == cold_json(capsys)


def test_same_size_edit_with_the_recorded_mtime_is_seen(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """git's racy case: a file rewritten (same size, same mtime) as the cache was written."""
    make_repo(tmp_path, base_files())
    monkeypatch.chdir(tmp_path)
    clean = tmp_path / "services/orders/clean.py"
    before = clean.read_bytes()
    after = b"from services.payments.models_db import Payment\n"
    after = after + b"#" * (len(before) - len(after) - 1) + b"\n"
    assert len(after) == len(before)
    os.utime(clean)  # modified "now": just before the cache is written
    assert codes(check_json(capsys)) == BASE_FINDINGS
    recorded = clean.stat().st_mtime_ns
    written = (tmp_path / INDEX).stat().st_mtime_ns
    if written - recorded >= 1_000_000_000:
        pytest.skip("the cold run took too long to leave the file in the racy window")
    clean.write_bytes(after)
    os.utime(clean, ns=(recorded, recorded))
    assert ("services/orders/clean.py", "ARC101") in codes(check_json(capsys))


def test_change_in_another_file_updates_findings_of_an_unchanged_file(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """gateway.py starts declaring a table: checkout.py's import becomes ARC101."""
    assert codes(check_json(capsys)) == BASE_FINDINGS
    (repo / "services/payments/gateway.py").write_text(
        "from .base import Base\n\n\nclass Charge(Base):\n    __tablename__ = 'charges'\n",
        encoding="utf-8",
    )
    warm = check_json(capsys)
    assert codes(warm) == [
        ("services/orders/api.py", "ARC101"),
        ("services/orders/checkout.py", "ARC101"),
    ]
    assert warm == cold_json(capsys)
    # and back
    (repo / "services/payments/gateway.py").write_text("X = 1\n", encoding="utf-8")
    assert codes(check_json(capsys)) == BASE_FINDINGS


def test_a_fixed_violation_disappears_on_a_warm_run(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    check_json(capsys)
    (repo / "services/orders/api.py").write_text("import os\n", encoding="utf-8")
    assert codes(check_json(capsys)) == [("services/orders/checkout.py", "ARC102")]


@pytest.mark.parametrize(
    ("deleted", "expected"),
    [
        ("services/orders/api.py", [("services/orders/checkout.py", "ARC102")]),
        ("services/payments/models_db.py", [("services/orders/checkout.py", "ARC102")]),
        ("services/orders/checkout.py", [("services/orders/api.py", "ARC101")]),
    ],
)
def test_deleted_file_findings_disappear_on_a_warm_run(
    repo: Path,
    capsys: pytest.CaptureFixture[str],
    deleted: str,
    expected: list[tuple[str, str]],
) -> None:
    assert codes(check_json(capsys)) == BASE_FINDINGS
    (repo / deleted).unlink()
    warm = check_json(capsys)
    assert codes(warm) == expected
    assert warm == cold_json(capsys)
    doc = json.loads((repo / INDEX).read_text(encoding="utf-8"))
    assert deleted not in json.dumps(doc)


def test_new_file_is_seen_on_a_warm_run(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    check_json(capsys)
    (repo / "services/orders/late.py").write_text(
        "from services.payments.models_db import Payment\n", encoding="utf-8"
    )
    assert ("services/orders/late.py", "ARC101") in codes(check_json(capsys))


def test_syntax_error_is_cached_and_cleared(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    broken = repo / "services/orders/broken.py"
    broken.write_text("def f(:\n", encoding="utf-8")
    cold = check_json(capsys)
    assert ("services/orders/broken.py", "ARC001") in codes(cold)
    assert check_json(capsys) == cold
    broken.write_text("def f():\n    pass\n", encoding="utf-8")
    assert codes(check_json(capsys)) == BASE_FINDINGS


def test_sub_path_run_then_whole_run_equals_cold(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    partial = check_json(capsys, "services/orders/api.py")
    assert codes(partial) == [("services/orders/api.py", "ARC101")]
    assert check_json(capsys) == cold_json(capsys)


# --- configuration and selection on a warm run ---------------------------------------------------


def test_config_change_changes_results_on_a_warm_run(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert codes(check_json(capsys)) == BASE_FINDINGS
    pyproject = repo / "pyproject.toml"
    original = pyproject.read_text(encoding="utf-8")
    pyproject.write_text(original + 'ignore = ["ARC101"]\n', encoding="utf-8")
    assert codes(check_json(capsys)) == [("services/orders/checkout.py", "ARC102")]
    pyproject.write_text(original + 'data-layer = ["gateway.py"]\n', encoding="utf-8")
    assert codes(check_json(capsys)) == [
        ("services/orders/api.py", "ARC102"),
        ("services/orders/checkout.py", "ARC101"),
    ]
    pyproject.write_text(original, encoding="utf-8")
    assert codes(check_json(capsys)) == BASE_FINDINGS


def test_allow_entry_added_on_a_warm_run(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    check_json(capsys)
    pyproject = repo / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text(encoding="utf-8")
        + '\n[[tool.arch_lint.allow]]\nfrom = "services/orders/**"\n'
        'import = "services.payments.*"\nreason = "migration in progress"\n',
        encoding="utf-8",
    )
    assert check_json(capsys) == []
    assert check_json(capsys) == []


def test_command_line_selection_on_a_warm_run(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    check_json(capsys)
    assert codes(check_json(capsys, "--select", "ARC102")) == [
        ("services/orders/checkout.py", "ARC102")
    ]
    assert codes(check_json(capsys, "--ignore", "ARC102")) == [("services/orders/api.py", "ARC101")]
    assert codes(check_json(capsys)) == BASE_FINDINGS


def test_noqa_added_on_a_warm_run(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    check_json(capsys)
    api = repo / "services/orders/api.py"
    lines = api.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[0] = lines[0].rstrip("\n") + "  # noqa: ARC101\n"
    api.write_text("".join(lines), encoding="utf-8")
    assert codes(check_json(capsys)) == [("services/orders/checkout.py", "ARC102")]


# --- a damaged cache is ignored ------------------------------------------------------------------


@pytest.mark.parametrize(
    "content",
    [
        b"garbage",
        b"",
        b"\x00\xff\xfe binary",
        b'{"stamp": [1, "0.1.0"',
        b"[]",
        b'{"stamp": 1}',
        b"null",
        b'"a string"',
        b"42",
        b'{"stamp": null, "files": {}, "findings": {}}',
        b'{"files": {}, "findings": {"key": "", "files": {}}}',
    ],
    ids=[
        "garbage",
        "empty",
        "binary",
        "truncated",
        "list",
        "other-object",
        "null",
        "string",
        "number",
        "null-stamp",
        "no-stamp",
    ],
)
def test_corrupt_cache_file_is_ignored(
    repo: Path, capsys: pytest.CaptureFixture[str], content: bytes
) -> None:
    cold = check_json(capsys)
    (repo / INDEX).write_bytes(content)
    assert check_json(capsys) == cold
    # the run replaced it with a valid cache
    doc = json.loads((repo / INDEX).read_bytes())
    assert isinstance(doc, dict)
    assert check_json(capsys) == cold


def test_cache_truncated_mid_way_is_ignored(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cold = check_json(capsys)
    raw = (repo / INDEX).read_bytes()
    for cut in (1, len(raw) // 3, len(raw) // 2, len(raw) - 1):
        (repo / INDEX).write_bytes(raw[:cut])
        assert check_json(capsys) == cold


def _set(path: tuple[str | int, ...], value: Any) -> Callable[[dict[str, Any]], None]:
    def mutate(doc: dict[str, Any]) -> None:
        node: Any = doc
        for part in path[:-1]:
            node = node[part]
        node[path[-1]] = value

    return mutate


API_PATH = "services/orders/api.py"


def _mutations() -> dict[str, Callable[[dict[str, Any]], None]]:
    """Damage to `index.json` (file entries: [hash, syntax error, stamp, interface
    hash]; findings entries: [hash, findings JSON text, used allow entries, raw
    findings JSON text or null])."""
    return {
        "files-not-a-dict": _set(("files",), []),
        "file-entry-number": _set(("files", API_PATH), 5),
        "file-entry-null": _set(("files", API_PATH), None),
        "file-entry-empty-list": _set(("files", API_PATH), []),
        "file-entry-hash-number": _set(("files", API_PATH, 0), 5),
        "file-entry-syntax-error-garbage": _set(("files", API_PATH, 1), "x"),
        "file-entry-syntax-error-short": _set(("files", API_PATH, 1), [1]),
        "file-entry-stamp-garbage": _set(("files", API_PATH, 2), "x"),
        "file-entry-stamp-short": _set(("files", API_PATH, 2), [1, 2]),
        "file-entry-mtime-garbage": _set(("files", API_PATH, 2, 0), "x"),
        "file-entry-interface-hash-number": _set(("files", API_PATH, 3), 5),
        "file-entry-interface-hash-null": _set(("files", API_PATH, 3), None),
        "file-entry-interface-hash-other": _set(("files", API_PATH, 3), "0" * 32),
        "index-record-garbage": _set(("index",), [1, 2]),
        "index-record-other-digest": _set(("index", 2), "0" * 32),
        "findings-not-a-dict": _set(("findings",), []),
        "findings-files-not-a-dict": _set(("findings", "files"), []),
        "findings-key-number": _set(("findings", "key"), 5),
        "findings-entry-number": _set(("findings", "files", API_PATH), 5),
        "findings-entry-empty-list": _set(("findings", "files", API_PATH), []),
        "findings-entry-garbage-finding": _set(("findings", "files", API_PATH, 1), '[{"x": 1}]'),
        "findings-entry-not-json": _set(("findings", "files", API_PATH, 1), "[{"),
        "findings-entry-json-not-a-list": _set(("findings", "files", API_PATH, 1), "7"),
        "findings-entry-list-not-text": _set(("findings", "files", API_PATH, 1), []),
        "findings-entry-finding-wrong-type": _set(
            ("findings", "files", API_PATH, 1),
            '[{"code": "ARC101", "name": "x", "message": "m", "path": "p", "line": "1",'
            ' "column": 1, "end_line": 1, "end_column": 2}]',
        ),
        "findings-entry-allow-number": _set(("findings", "files", API_PATH, 2), 5),
        "findings-entry-allow-garbage": _set(("findings", "files", API_PATH, 2), ["x"]),
        "findings-entry-raw-number": _set(("findings", "files", API_PATH, 3), 5),
    }


FactsDamage = Callable[[dict[str, Any], list[str], int], None]
"""Damage to `facts.json`: its head line's document, its lines (the head's
first), and the number of `API_PATH`'s line."""


def _facts_line(line: str) -> FactsDamage:
    def damage(head: dict[str, Any], lines: list[str], at: int) -> None:
        lines[at] = line

    return damage


def _facts_head(path: tuple[str | int, ...], value: Any) -> FactsDamage:
    def damage(head: dict[str, Any], lines: list[str], at: int) -> None:
        _set(tuple(at - 1 if part == "API" else part for part in path), value)(head)

    return damage


def _facts_mutations() -> dict[str, FactsDamage]:
    """Damage to `facts.json` (a head line `{"stamp": ..., "files": [[path, hash],
    ...]}`, then each file's facts JSON text on a line of its own)."""

    def head_not_json(head: dict[str, Any], lines: list[str], at: int) -> None:
        lines[0] = '{"stamp": '

    def line_missing(head: dict[str, Any], lines: list[str], at: int) -> None:
        del lines[at]

    def line_added(head: dict[str, Any], lines: list[str], at: int) -> None:
        lines.insert(at, lines[at])

    def one_document(head: dict[str, Any], lines: list[str], at: int) -> None:
        files = {p: [h, lines[i + 1] or None] for i, (p, h) in enumerate(head["files"])}
        lines[:] = [json.dumps({"stamp": head["stamp"], "files": files}), ""]

    return {
        "facts-head-not-json": head_not_json,
        "facts-files-not-a-list": _facts_head(("files",), {}),
        "facts-entry-number": _facts_head(("files", "API"), 5),
        "facts-entry-short": _facts_head(("files", "API"), [API_PATH]),
        "facts-entry-other-hash": _facts_head(("files", "API", 1), "0" * 32),
        "facts-string": _facts_line("facts"),
        "facts-json-of-another-shape": _facts_line('{"x": 1}'),
        "facts-not-ascii": _facts_line('["\u00e9"]'.encode().decode("unicode_escape")),
        "facts-line-missing": line_missing,
        "facts-line-added": line_added,
        "facts-one-json-document": one_document,
        "facts-stamp-other": _facts_head(("stamp",), [0]),
    }


@pytest.mark.parametrize("name", sorted(_mutations()))
def test_damaged_entries_under_a_valid_stamp_are_ignored(
    repo: Path, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    """A cache of the right version whose entries have the wrong shape."""
    cold = check_json(capsys)
    good = json.loads((repo / INDEX).read_bytes())
    assert API_PATH in good["files"]
    assert API_PATH in good["findings"]["files"]
    damaged = copy.deepcopy(good)
    _mutations()[name](damaged)
    (repo / INDEX).write_text(json.dumps(damaged), encoding="utf-8")
    assert check_json(capsys) == cold
    assert check_json(capsys) == cold
    # again, with a selection that cannot reuse cached findings: facts are needed
    (repo / INDEX).write_text(json.dumps(damaged), encoding="utf-8")
    assert check_json(capsys, "--select", "ARC101") == cold_json(capsys, "--select", "ARC101")


@pytest.mark.parametrize("name", sorted(_facts_mutations()))
def test_damaged_facts_are_ignored(
    repo: Path, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    """`facts.json` is read only when the index is built (a new selection)."""
    cold = check_json(capsys, "--select", "ARC101")
    lines = (repo / FACTS).read_text(encoding="ascii").split("\n")
    head = json.loads(lines[0])
    at = 1 + [path for path, _ in head["files"]].index(API_PATH)
    assert lines[at].startswith("[")
    assert lines[-1] == ""
    _facts_mutations()[name](head, lines, at)
    if lines[0].startswith('{"stamp":['):  # not replaced whole
        lines[0] = json.dumps(head)
    damaged = "\n".join(lines)
    (repo / FACTS).write_text(damaged, encoding="utf-8")
    assert check_json(capsys) == cold_json(capsys)
    (repo / FACTS).write_text(damaged, encoding="utf-8")
    assert check_json(capsys, "--select", "ARC101") == cold


def test_damaged_cache_never_shows_a_traceback(repo: Path) -> None:
    cmd = [*arch_lint_command(), "check", "--format", "json"]
    first = subprocess.run(cmd, cwd=repo, capture_output=True, text=True, check=False)
    assert first.returncode == 1, first.stderr
    doc = json.loads((repo / INDEX).read_bytes())
    doc["findings"]["files"] = []
    (repo / INDEX).write_text(json.dumps(doc), encoding="utf-8")
    second = subprocess.run(cmd, cwd=repo, capture_output=True, text=True, check=False)
    assert "Traceback" not in second.stderr
    assert "internal error" not in second.stderr, second.stderr
    assert second.returncode == 1
    assert json.loads(second.stdout) == json.loads(first.stdout)


# --- --no-cache, .gitignore -----------------------------------------------------------------------


def test_no_cache_creates_no_cache_directory(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert codes(cold_json(capsys)) == BASE_FINDINGS
    assert not (repo / CACHE).exists()


def test_no_cache_does_not_read_the_cache(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cold = check_json(capsys)
    # Poison the cache: api.py's entry (right hash) now claims no findings.
    doc = json.loads((repo / INDEX).read_bytes())
    doc["findings"]["files"][API_PATH][1] = "[]"
    (repo / INDEX).write_text(json.dumps(doc), encoding="utf-8")
    before = (repo / INDEX).read_bytes()
    assert cold_json(capsys) == cold
    assert (repo / INDEX).read_bytes() == before  # nor writes it


def test_cache_directory_has_a_gitignore(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    check_json(capsys)
    ignore = repo / CACHE / ".gitignore"
    assert ignore.is_file()
    patterns = [
        ln.strip()
        for ln in ignore.read_text(encoding="utf-8").splitlines()
        if ln.strip() and not ln.startswith("#")
    ]
    assert "*" in patterns


def test_cache_is_written_at_the_project_root(
    repo: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(repo / "services" / "orders")
    check_json(capsys, ".")
    assert (repo / INDEX).is_file()
    assert not (repo / "services" / "orders" / CACHE).exists()


def test_cache_dir_contents_are_not_checked(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (repo / CACHE).mkdir()
    (repo / CACHE / "stray.py").write_text(
        "from services.payments.models_db import Payment\n", encoding="utf-8"
    )
    assert codes(check_json(capsys)) == BASE_FINDINGS


# --- concurrency -------------------------------------------------------------------------


def _bigger_repo(tmp_path: Path) -> Path:
    files = base_files()
    for i in range(120):
        files[f"services/orders/mod{i:03d}.py"] = (
            f'"""Module {i}."""\n\nimport os\n\n'
            + (
                "from services.payments.models_db import Payment\n"
                if i % 10 == 0
                else "from common.models import OrderV1\n"
            )
            + "".join(f"\n\ndef f{j}(x: int) -> int:\n    return x + {j}\n" for j in range(20))
        )
    return make_repo(tmp_path, files)


def test_two_concurrent_runs_both_succeed_and_leave_a_valid_cache(tmp_path: Path) -> None:
    repo = _bigger_repo(tmp_path)
    cmd = [*arch_lint_command(), "check", "--format", "json"]
    for _ in range(2):  # cold start, then with a cache both read and rewrite
        procs = [
            subprocess.Popen(
                cmd, cwd=repo, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
            )
            for _ in range(2)
        ]
        outs = [p.communicate(timeout=300) for p in procs]
        for proc, (_out, err) in zip(procs, outs, strict=True):
            assert proc.returncode == 1, err
            assert err == ""
        assert json.loads(outs[0][0]) == json.loads(outs[1][0])
        assert len(json.loads(outs[0][0])) == 2 + 12
        doc = json.loads((repo / INDEX).read_bytes())
        assert isinstance(doc, dict)
        leftovers = [p.name for p in (repo / CACHE).iterdir() if p.name.endswith(".tmp")]
        assert leftovers == []
        # touch one file between the rounds so the second round writes too
        (repo / "services/orders/mod001.py").write_text("X = 1\n", encoding="utf-8")
    final = subprocess.run(cmd, cwd=repo, capture_output=True, text=True, check=False)
    shutil.rmtree(repo / CACHE)
    fresh = subprocess.run(cmd, cwd=repo, capture_output=True, text=True, check=False)
    assert json.loads(final.stdout) == json.loads(fresh.stdout)


def test_an_edit_made_while_the_cold_run_reads_other_files_is_seen_next_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A file edited after the build read its bytes but before it recorded their
    facts: the cache entry keeps the stamp taken before the read, so the next
    run sees the edit (a stamp taken when the facts are recorded would be the
    edit's, and its old facts would pass for the new content). The edit is
    dated far back, out of the racy window that would otherwise hide the bug."""
    import arch_lint.index.build as index_build

    make_repo(tmp_path, base_files())
    age_files(tmp_path)
    monkeypatch.chdir(tmp_path)
    clean = tmp_path / "services/orders/clean.py"
    real_extract = index_build.extract
    edited: list[Path] = []

    def extract_then_edit(tree: Any, source: bytes, *args: Any) -> Any:
        if not edited and source == clean.read_bytes():  # the bytes read are clean.py's
            clean.write_text("from services.payments.models_db import Payment\n")
            when = time.time_ns() - 100 * 1_000_000_000
            os.utime(clean, ns=(when, when))
            edited.append(clean)
        return real_extract(tree, source, *args)

    monkeypatch.setattr(index_build, "extract", extract_then_edit)
    first = run_cli(capsys, "check", "--format", "json")
    assert "clean.py: skipped: changed while being checked" in first.err
    monkeypatch.setattr(index_build, "extract", real_extract)
    assert edited
    warm = check_json(capsys)
    assert ("services/orders/clean.py", "ARC101") in codes(warm)
    assert warm == cold_json(capsys)


def test_the_warm_path_stamps_files_as_the_index_build_does(tmp_path: Path) -> None:
    """The run that answers from `index.json` alone compares the build's stamps
    and hashes: both must be computed alike (else it would never answer)."""
    import arch_lint.index.build as index_build
    import arch_lint.index.cache as index_cache

    path = tmp_path / "x.py"
    path.write_bytes(b"X = 1\n")
    info = os.stat(path)
    assert index_cache.file_stamp(info) == index_build.file_stamp(info)
    assert index_cache.content_hash(b"X = 1\n") == index_build.content_hash(b"X = 1\n")
    assert index_cache.RACY_NS == index_build.RACY_NS


# --- what other files' findings read from a file ----------------------------------------------

_SERVICES = {
    "services/__init__.py": "",
    "services/orders/__init__.py": "",
    "services/payments/__init__.py": "",
    "services/payments/app.py": "x = 1\n",
}
_SHARED = {
    "common/__init__.py": "",
    "common/models/__init__.py": "",
    "common/models/envelope.py": (
        "from typing import Any\n\nfrom pydantic import BaseModel, Field\n\n\n"
        "class EventEnvelope(BaseModel):\n"
        '    source_service: str = Field(description="who")\n'
        '    data: dict[str, Any] = Field(description="the event")\n'
    ),
}


def _config(select: str, shared: str = '["common/models"]') -> str:
    return (
        "[tool.arch_lint]\n"
        'services = ["services/*"]\n'
        f"shared-models = {shared}\n"
        f"select = [{select}]\n"
    )


def _found(findings: list[dict[str, Any]]) -> list[tuple[str, int, str]]:
    return [(f["path"], f["line"], f["code"]) for f in findings]


_PUBLISHER = """\
from common.models.orders import OrderCancelled


async def cancel(producer, event: OrderCancelled) -> None:
    {first}
    await producer.send_and_wait("orders", event.model_dump_json().encode())
"""


def test_arc209_warm_equals_cold_after_a_function_level_import_goes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`publish.py` reaches a broker only through a function-level import of a
    wrapper module (`bus.py` imports aiokafka): its import statements are part
    of its interface, so removing that import moves the index digest and the
    warm run drops ARC209 on `common/models/orders.py` as the cold one does."""
    files = {"pyproject.toml": _config('"ARC209"'), **_SERVICES, **_SHARED}
    files["common/models/orders.py"] = (
        "from pydantic import BaseModel\n\n\nclass OrderCancelled(BaseModel):\n    order_id: str\n"
    )
    files["services/orders/bus.py"] = "import aiokafka\n\nproducer = aiokafka.AIOKafkaProducer()\n"
    files["services/orders/publish.py"] = _PUBLISHER.format(
        first="from services.orders import bus  # noqa: F401"
    )
    make_repo(tmp_path, files)
    monkeypatch.chdir(tmp_path)
    assert _found(check_json(capsys)) == [("common/models/orders.py", 4, "ARC209")]
    (tmp_path / "services/orders/publish.py").write_text(_PUBLISHER.format(first="pass"))
    cold = cold_json(capsys)
    assert cold == []
    assert check_json(capsys) == cold


_DB_USER = """\
async def handler():
    {first}
    return db.get()
"""


def test_arc104_warm_equals_cold_after_a_function_level_import_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The same for ARC104: an async module's function-level import of `db.py`
    makes `db.py` run on the loop; importing another module instead moves the
    digest, and `db.py`'s cached finding goes."""
    files = {"pyproject.toml": _config('"ARC104"', "[]"), **_SERVICES}
    files["services/orders/db.py"] = (
        'import psycopg2\n\n\ndef get():\n    return psycopg2.connect("x")\n'
    )
    files["services/orders/api.py"] = _DB_USER.format(first="from services.orders import db")
    make_repo(tmp_path, files)
    monkeypatch.chdir(tmp_path)
    assert _found(check_json(capsys)) == [("services/orders/db.py", 1, "ARC104")]
    (tmp_path / "services/orders/api.py").write_text(_DB_USER.format(first="import json as db"))
    cold = cold_json(capsys)
    assert cold == []
    assert check_json(capsys) == cold


def test_moving_an_import_keeps_the_interface() -> None:
    """An import's position is no part of the interface: a line added above
    it keeps every other file's cached findings."""
    import ast

    from arch_lint.index.facts import extract

    data = b"import os\n\n\ndef f():\n    from services.orders import db\n    return db, os\n"
    moved = b"# a comment\n" + data
    facts, again = extract(ast.parse(data), data), extract(ast.parse(moved), moved)
    assert facts.imports != again.imports
    assert facts.interface_hash() == again.interface_hash()
    other = data.replace(b"import db", b"import api")
    assert extract(ast.parse(other), other).interface_hash() != facts.interface_hash()


_CONSTANTS = 'LOG_LEVEL = "{level}"\nTOPIC = "orders"\nSOURCE = "{source}"\nOTHER = "{other}"\n'
_STAMPER = """\
from common.models.envelope import EventEnvelope
from services.orders.constants import OTHER, SOURCE


def placed() -> list[EventEnvelope]:
    return [
        EventEnvelope(source_service="orders", data={{}}),
        EventEnvelope(source_service="orders", data={{}}),
        EventEnvelope(source_service=SOURCE, data={{}}),
        EventEnvelope(source_service={other}, data={{}}),
    ]
"""


def test_a_constant_no_stamp_can_read_is_no_part_of_the_interface() -> None:
    """`LOG_LEVEL`, `TOPIC`: no name a stamp would use; an edit of one keeps
    every other file's cached findings. `SOURCE` may be read by a stamp of
    another module: an edit of it does not."""
    import ast

    from arch_lint.index.facts import extract

    def interface(**values: str) -> str:
        data = _CONSTANTS.format(**{"level": "INFO", "source": "a", "other": "b", **values})
        return extract(ast.parse(data), data.encode()).interface_hash()

    assert interface(level="DEBUG") == interface()
    assert interface(other="c") == interface()
    assert interface(source="orders-svc") != interface()


@pytest.mark.parametrize("edit", ["source", "level"])
def test_arc211_warm_equals_cold_after_an_imported_constant_changes(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    edit: str,
) -> None:
    """A stamp reads `SOURCE` from `constants.py`: the finding follows its
    value on a warm run; `OTHER` (a name no stamp would use elsewhere) is not
    known to the stamp that reads it, so its value changes nothing."""
    files = {"pyproject.toml": _config('"ARC211"'), **_SERVICES, **_SHARED}
    files["services/orders/constants.py"] = _CONSTANTS.format(
        level="INFO", source="orders-svc", other="orders-svc"
    )
    files["services/orders/publish.py"] = _STAMPER.format(other="OTHER")
    make_repo(tmp_path, files)
    monkeypatch.chdir(tmp_path)
    assert _found(check_json(capsys)) == [("services/orders/publish.py", 9, "ARC211")]
    values = {"level": "INFO", "source": "orders-svc", "other": "orders-svc"}
    values["source" if edit == "source" else "level"] = "orders" if edit == "source" else "DEBUG"
    (tmp_path / "services/orders/constants.py").write_text(_CONSTANTS.format(**values))
    cold = cold_json(capsys)
    stays = [("services/orders/publish.py", 9, "ARC211")]
    assert _found(cold) == ([] if edit == "source" else stays)
    assert check_json(capsys) == cold
