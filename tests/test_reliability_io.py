"""The checked tree can neither run a command nor stop a run (issue 10): git runs
with the tree's own configuration made inert, the file listing keeps regular
files only and says why it left the others out, and a bad glob or a
`tool.arch_lint` that is not a table is a configuration error naming its key."""

from __future__ import annotations

import errno
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from helpers import base_files, make_repo, run_cli

from arch_lint.index.layout import list_python_files, scan_python_files

needs_git = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
posix_only = pytest.mark.skipif(sys.platform == "win32", reason="FIFOs and /dev/zero are POSIX")


@pytest.fixture(autouse=True)
def no_hang() -> Iterator[None]:
    """A listing that blocks on a FIFO fails the test instead of hanging the suite."""
    if not hasattr(signal, "SIGALRM"):
        yield
        return

    def hung(signum: int, frame: object) -> None:
        raise TimeoutError("the run hung")

    previous = signal.signal(signal.SIGALRM, hung)
    signal.alarm(60)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def _git(root: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        cwd=root,
        check=True,
        capture_output=True,
    )


def _ran(tmp_path: Path, *markers: str) -> list[Path]:
    return [p for name in markers for p in tmp_path.rglob(name)]


# --- 1. git with the checked tree's configuration made inert ---------------------------------
@needs_git
def test_the_checked_trees_git_config_runs_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = make_repo(tmp_path / "repo", {**base_files(), ".gitignore": "ignored.py\n"})
    (repo / "ignored.py").write_text("")
    _git(repo, "init", "-q")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-qm", "v1")
    hooks = tmp_path / "hooks"
    hooks.mkdir()
    for name in ("post-index-change", "post-checkout", "pre-commit", "reference-transaction"):
        (hooks / name).write_text(f"#!/bin/sh\ntouch {tmp_path}/HOOK_RAN\n")
        (hooks / name).chmod(0o755)
    with (repo / ".git" / "config").open("a") as config:
        config.write(
            f'[core]\n\tfsmonitor = "touch FSMON_RAN"\n\thooksPath = {hooks}\n'
            '\tpager = "touch PAGER_RAN; cat"\n\tuntrackedCache = true\n'
        )
    (repo / "services" / "orders" / "new.py").write_text("")  # untracked: git lists it
    monkeypatch.chdir(repo)

    files = list_python_files(repo, True)
    assert "services/orders/new.py" in files
    assert "ignored.py" not in files  # the listing still comes from git
    assert run_cli(capsys, "check").code == 1
    assert run_cli(capsys, "schema-diff", "--base", "HEAD").code == 0
    assert _ran(tmp_path, "FSMON_RAN", "HOOK_RAN", "PAGER_RAN") == []


@needs_git
def test_a_partial_clones_lazy_fetch_runs_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`schema-diff --base` reads old blobs; in a partial clone a missing one
    would be fetched from the promisor remote, whose URL the tree's config names
    (`ext::` runs a command), even when the config allows that protocol itself."""
    origin = make_repo(tmp_path / "origin", base_files())
    _git(origin, "init", "-q")
    _git(origin, "add", "-A")
    _git(origin, "commit", "-qm", "v1")
    (origin / "common" / "models" / "__init__.py").write_text(
        base_files()["common/models/__init__.py"] + "    note: str = Field(description='x')\n"
    )
    _git(origin, "commit", "-qam", "v2")
    _git(origin, "config", "uploadpack.allowFilter", "true")
    _git(origin, "config", "uploadpack.allowAnySHA1InWant", "true")
    clone = tmp_path / "clone"
    _git(tmp_path, "clone", "-q", "--filter=blob:none", origin.as_uri(), str(clone))
    _git(clone, "config", "remote.origin.url", "ext::sh -c touch% LAZY_RAN")
    _git(clone, "config", "protocol.ext.allow", "always")
    monkeypatch.chdir(clone)

    result = run_cli(capsys, "schema-diff", "--base", "HEAD~1")
    assert _ran(tmp_path, "LAZY_RAN") == []
    assert result.code == 2  # the blob is not there, and that is said in one line
    assert "Traceback" not in result.err


# --- 2. a file listing that cannot hang or crash ---------------------------------------------
def _special_tree(root: Path) -> Path:
    make_repo(root, {"services/a/good.py": "", "services/a/sub/ok.py": ""})
    os.mkfifo(root / "services/a/x.py")
    (root / "services/a/z.py").symlink_to("/dev/zero")
    (root / "services/a/b.py").symlink_to("missing.py")
    (root / "services/a/link.py").symlink_to("good.py")  # a link to a regular file is read
    outside = make_repo(root.parent / "outside", {"far.py": ""})
    (root / "services/a/elsewhere").symlink_to(outside, target_is_directory=True)
    return root


SPECIAL_NOTICES = [
    "services/a/b.py: skipped: broken symbolic link",
    "services/a/x.py: skipped: not a regular file (a FIFO)",
    "services/a/z.py: skipped: not a regular file (a device)",
]


@posix_only
@pytest.mark.parametrize("respect_gitignore", [False, True])
def test_outside_git_only_regular_files_are_listed(tmp_path: Path, respect_gitignore: bool) -> None:
    root = _special_tree(tmp_path / "repo")
    files, notices = scan_python_files(root, respect_gitignore)
    assert files == ["services/a/good.py", "services/a/link.py", "services/a/sub/ok.py"]
    assert notices == SPECIAL_NOTICES


@posix_only
@needs_git
def test_in_git_only_regular_files_are_listed(tmp_path: Path) -> None:
    root = _special_tree(tmp_path / "repo")
    _git(root, "init", "-q")
    _git(root, "add", "-A")  # git tracks the symlinks, not the FIFO
    _git(root, "commit", "-qm", "v1")
    files, notices = scan_python_files(root, True)
    assert files == ["services/a/good.py", "services/a/link.py", "services/a/sub/ok.py"]
    assert [n for n in SPECIAL_NOTICES if "x.py" not in n] == [
        n for n in notices if "x.py" not in n
    ]


@posix_only
def test_the_cli_goes_on_past_special_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    root = _special_tree(tmp_path / "repo")
    (root / "pyproject.toml").write_text("[tool.arch_lint]\nshared-models = []\n")
    monkeypatch.chdir(root)
    assert run_cli(capsys, "check", "--no-cache").code == 0


def _deny(monkeypatch: pytest.MonkeyPatch, locked: Path) -> None:
    """Reading `locked` (or anything below it) fails as it does for a directory
    without read and search permission: the tests run as root, who may read all."""
    real_stat, real_scandir = os.stat, os.scandir

    def check(path: Any) -> None:
        text = os.fspath(path)
        if isinstance(text, str) and (text == str(locked) or text.startswith(f"{locked}/")):
            raise PermissionError(errno.EACCES, "Permission denied", text)

    def stat(path: Any, *args: Any, **kwargs: Any) -> Any:
        check(path)
        return real_stat(path, *args, **kwargs)

    def scandir(path: Any = ".") -> Any:
        check(path)
        return real_scandir(path)

    monkeypatch.setattr(os, "stat", stat)
    monkeypatch.setattr(os, "scandir", scandir)


def test_an_unreadable_directory_gets_one_notice(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_repo(tmp_path / "repo", {"services/a/good.py": "", "services/locked/x.py": ""})
    _deny(monkeypatch, root / "services" / "locked")
    files, notices = scan_python_files(root, False)
    assert files == ["services/a/good.py"]
    assert notices == ["services/locked: skipped: cannot read the directory (Permission denied)"]


@needs_git
def test_an_unreadable_tracked_file_gets_one_notice(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_repo(tmp_path / "repo", {"services/a/good.py": "", "services/locked/x.py": ""})
    _git(root, "init", "-q")
    _git(root, "add", "-A")
    _git(root, "commit", "-qm", "v1")
    (root / "services" / "a" / "gone.py").write_text("")
    _git(root, "add", "-A")
    (root / "services" / "a" / "gone.py").unlink()  # deleted, still in the index: no word
    _deny(monkeypatch, root / "services" / "locked")
    files, notices = scan_python_files(root, True)
    assert files == ["services/a/good.py"]
    assert notices == ["services/locked/x.py: skipped: cannot read (Permission denied)"]


@pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root reads every directory"
)
def test_an_unreadable_directory_for_real(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_repo(
        tmp_path / "repo",
        {
            "pyproject.toml": "[tool.arch_lint]\nshared-models = []\n",
            "services/a/good.py": "",
            "services/locked/x.py": "",
        },
    )
    locked = root / "services" / "locked"
    locked.chmod(0)
    try:
        files, notices = scan_python_files(root, False)
        assert files == ["services/a/good.py"]
        assert notices == [
            "services/locked: skipped: cannot read the directory (Permission denied)"
        ]
        monkeypatch.chdir(root)
        assert run_cli(capsys, "check", "--no-cache").code == 0
    finally:
        locked.chmod(0o755)


# --- 3. globs compiled when the configuration loads ------------------------------------------
@pytest.mark.parametrize(
    ("line", "key"),
    [
        ('exclude = ["**/[z-a].py"]', "tool.arch_lint.exclude[0]"),
        ('extend-exclude = ["ok/**", "[z-a]/"]', "tool.arch_lint.extend-exclude[1]"),
        ('services = ["services/[z-a]/"]', "tool.arch_lint.services[0]"),
        ('data-layer = ["db/**", "[z-a].py"]', "tool.arch_lint.data-layer[1]"),
        ('public = ["[z-a]/**"]', "tool.arch_lint.public[0]"),
        (
            'per-path-ignores = {"[z-a].py" = ["ARC1"]}',
            'tool.arch_lint.per-path-ignores."[z-a].py"',
        ),
        ('source-roots = [".", "src/[z-a]"]', "tool.arch_lint.source-roots[1]"),
        ('source-roots = ["src**"]', "tool.arch_lint.source-roots[0]"),
        ('exclude = ["a\\\\"]', "tool.arch_lint.exclude[0]"),
        ('exclude = ["!"]', "tool.arch_lint.exclude[0]"),
    ],
)
def test_a_bad_glob_is_a_configuration_error_naming_its_key(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    line: str,
    key: str,
) -> None:
    make_repo(tmp_path, {**base_files(f"[tool.arch_lint]\n{line}\n")})
    monkeypatch.chdir(tmp_path)
    result = run_cli(capsys, "check")
    assert result.code == 2
    assert f"pyproject.toml:2: {key}: invalid glob `" in result.err, result.err
    assert "internal error" not in result.err


def test_a_bad_allow_from_glob_names_its_entry(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    config = (
        '[tool.arch_lint]\nservices = ["services/*"]\n\n'
        '[[tool.arch_lint.allow]]\nfrom = "services/**"\nimport = "x"\nreason = "r"\n\n'
        '[[tool.arch_lint.allow]]\nfrom = "services/[z-a]/**"\nimport = "x"\nreason = "r"\n'
    )
    make_repo(tmp_path, base_files(config))
    monkeypatch.chdir(tmp_path)
    result = run_cli(capsys, "check")
    assert result.code == 2
    assert result.err == (
        "pyproject.toml:9: tool.arch_lint.allow[1].from: invalid glob `services/[z-a]/**`: "
        "bad character range z-a\n"
    )


def test_the_exact_message_of_a_bad_exclude_glob(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    make_repo(
        tmp_path,
        base_files('[tool.arch_lint]\nservices = ["services/*"]\nexclude = ["**/[z-a].py"]\n'),
    )
    monkeypatch.chdir(tmp_path)
    result = run_cli(capsys, "check")
    assert result.err == (
        "pyproject.toml:3: tool.arch_lint.exclude[0]: invalid glob `**/[z-a].py`: "
        "bad character range z-a\n"
    )


# --- 4. a `tool.arch_lint` that is not a table ------------------------------------------------
@pytest.mark.parametrize("text", ["[tool]\narch_lint = 5\n", 'tool = {arch_lint = "yes"}\n'])
def test_a_non_table_tool_arch_lint_is_an_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], text: str
) -> None:
    files = base_files()
    files["pyproject.toml"] = text
    make_repo(tmp_path, files)
    monkeypatch.chdir(tmp_path)
    result = run_cli(capsys, "check")
    assert result.code == 2
    assert result.err == "pyproject.toml: tool.arch_lint: must be a table\n"


def test_a_posix_class_glob_warns_nothing(tmp_path: Path) -> None:
    from arch_lint.config.resolve import matcher

    # pytest turns warnings into errors: re's "possible nested set" would raise
    assert not matcher(["services/[[:alpha:]]*"]).match_dir("services/x/y")


def test_a_git_listing_that_fails_is_said(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from arch_lint.index import layout

    (tmp_path / ".git").mkdir()
    (tmp_path / "a.py").write_text("x = 1\n")
    monkeypatch.setattr(layout, "git_ls_files", lambda root: None)
    files, notices = layout.scan_python_files(tmp_path, True)
    assert files == ["a.py"]
    assert notices == [
        "git could not list the project's files (not installed, or it failed or timed "
        "out); every file is checked, .gitignore is not applied"
    ]
