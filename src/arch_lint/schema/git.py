"""Read files of a git revision without touching the working tree.

`git ls-tree` lists the revision's files and one `git cat-file --batch` process
reads every wanted blob, so a dirty tree, an index with staged changes or a
checkout of another branch make no difference.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path


class GitError(Exception):
    """git is missing, the directory is not in a repository, or the ref is unknown."""


def _git(root: Path, *args: str, stdin: bytes | None = None) -> bytes:
    try:
        done = subprocess.run(
            ["git", *args], cwd=root, input=stdin, capture_output=True, check=False
        )
    except OSError as exc:
        raise GitError(f"cannot run git: {exc.strerror or exc}") from None
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise GitError(message[-1] if message else f"git {args[0]} failed")
    return done.stdout


def read_files(root: Path, ref: str, wanted: Callable[[str], bool]) -> dict[str, bytes]:
    """The `.py` files of revision `ref` under the project root `root` that
    `wanted(path)` accepts, by path relative to `root` (posix)."""
    try:
        _git(root, "rev-parse", "--show-toplevel")
    except GitError:
        raise GitError(f"{root} is not inside a git repository") from None
    prefix = _git(root, "rev-parse", "--show-prefix").decode().strip()
    if ref.startswith("-"):
        raise GitError(f"unknown git revision {ref!r}")
    try:
        commit = _git(root, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
    except GitError:
        raise GitError(f"unknown git revision {ref!r}") from None
    sha = commit.decode().strip()
    listing = _git(root, "ls-tree", "-r", "-z", "--full-tree", "--name-only", sha)
    names: list[tuple[str, str]] = []
    for raw in listing.split(b"\0"):
        name = raw.decode("utf-8", "surrogateescape")
        if not name.endswith(".py") or not name.startswith(prefix):
            continue
        rel = name[len(prefix) :]
        if wanted(rel):
            names.append((name, rel))
    if not names:
        return {}
    request = "".join(f"{sha}:{name}\n" for name, _ in names).encode("utf-8", "surrogateescape")
    output = _git(root, "cat-file", "--batch", stdin=request)
    out: dict[str, bytes] = {}
    pos = 0
    for _, rel in names:
        header_end = output.index(b"\n", pos)
        header = output[pos:header_end].split()
        if len(header) != 3 or header[1] != b"blob":
            raise GitError(f"cannot read {rel} at {ref}")
        size = int(header[2])
        start = header_end + 1
        out[rel] = output[start : start + size]
        pos = start + size + 1  # the blob, then a newline
    return out
