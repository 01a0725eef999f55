"""Read files of a git revision without touching the working tree.

`git ls-tree` lists the revision's files and `git cat-file --batch` reads the
wanted blobs (one process per batch), so a dirty tree, an index with staged
changes or a checkout of another branch make no difference.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from arch_lint.index.layout import listable
from arch_lint.vcs import run_git


class GitError(Exception):
    """git is missing, the directory is not in a repository, or the ref is unknown."""


def _git(root: Path, *args: str, stdin: bytes | None = None) -> bytes:
    try:
        done = run_git(root, *args, stdin=stdin)
    except OSError as exc:
        raise GitError(f"cannot run git: {exc.strerror or exc}") from None
    except subprocess.TimeoutExpired:
        raise GitError(f"git {args[0]} did not finish in time") from None
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise GitError(message[-1] if message else f"git {args[0]} failed")
    return done.stdout


class GitTree:
    """The `.py` files of revision `ref`, by path relative to the project root."""

    def __init__(self, root: Path, ref: str) -> None:
        self.root, self.ref = root, ref
        try:
            _git(root, "rev-parse", "--show-toplevel")
        except GitError:
            raise GitError(f"{root} is not inside a git repository") from None
        self.prefix = _git(root, "rev-parse", "--show-prefix").decode().strip()
        if ref.startswith("-"):
            raise GitError(f"unknown git revision {ref!r}")
        try:
            commit = _git(root, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
        except GitError:
            raise GitError(f"unknown git revision {ref!r}") from None
        self.sha = commit.decode().strip()
        listing = _git(root, "ls-tree", "-r", "-z", "--full-tree", self.sha)
        self.files: list[str] = []
        for entry in listing.split(b"\0"):
            meta, _, raw = entry.partition(b"\t")
            if not meta.startswith((b"100644 ", b"100755 ")):
                continue  # symlinks, submodules: the working-tree listing skips them too
            try:
                name = raw.decode("utf-8")
            except UnicodeDecodeError:
                continue  # no module can have that name
            if name.endswith(".py") and name.startswith(self.prefix):
                rel = name[len(self.prefix) :]
                if listable(rel):
                    self.files.append(rel)

    def read(self, paths: list[str]) -> dict[str, bytes]:
        """The contents of `paths` (relative to the project root) at the revision."""
        if not paths:
            return {}
        request = "".join(f"{self.sha}:{self.prefix}{p}\n" for p in paths)
        output = _git(self.root, "cat-file", "--batch", stdin=request.encode("utf-8"))
        out: dict[str, bytes] = {}
        pos = 0
        for path in paths:
            header_end = output.index(b"\n", pos)
            header = output[pos:header_end].split()
            if len(header) != 3 or header[1] != b"blob":
                raise GitError(f"cannot read {path} at {self.ref}")
            size = int(header[2])
            start = header_end + 1
            out[path] = output[start : start + size]
            pos = start + size + 1  # the blob, then a newline
        return out
