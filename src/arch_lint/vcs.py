"""Running git on the checked tree, with the tree's own git configuration made
inert (SPEC §2: nothing of the checked tree runs, not even its git config).
Below every other layer: the layout lists files with it, schema-diff reads
revisions with it."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import subprocess

# A checked tree's `.git/config` must not make git run anything: arch-lint never
# executes the checked code (SPEC §2), and an unpacked archive or a shared
# directory can carry a hostile config. What `ls-files`, `rev-parse`, `ls-tree`
# and `cat-file --batch` could run from it: the fsmonitor hook, hooks (an index
# write), a pager, and in a partial clone a lazy fetch of a missing object from
# a remote whose URL the config names (`ext::` runs a command). Filters and
# textconv do not run: `cat-file --batch` without `--filters` applies none.
# Command-line `-c` wins over every config file.
_GIT_CONFIG = (
    "core.fsmonitor=false",  # before git 2.36 a hook path: `false`, which runs nothing of the tree
    "core.hooksPath=/dev/null",
    "core.untrackedCache=false",
    "protocol.allow=never",
    "safe.bareRepository=explicit",  # no bare repository found inside the tree
)

# Variables that would point git at another repository, index or object store
# (git sets them for its hooks, so a run from a hook would read the wrong tree).
_GIT_LOCATION_ENV = frozenset(
    {
        "GIT_DIR",
        "GIT_WORK_TREE",
        "GIT_INDEX_FILE",
        "GIT_OBJECT_DIRECTORY",
        "GIT_ALTERNATE_OBJECT_DIRECTORIES",
        "GIT_COMMON_DIR",
        "GIT_NAMESPACE",
        "GIT_PREFIX",
    }
)


def run_git(
    root: Path, *args: str, stdin: bytes | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[bytes]:
    """Run `git ARGS` in `root` with the repository's own configuration made inert.

    Every git process arch-lint starts goes through here. Raises OSError when
    git cannot be started and subprocess.TimeoutExpired when it hangs.
    """
    env = {k: v for k, v in os.environ.items() if k not in _GIT_LOCATION_ENV}
    env.update(
        GIT_TERMINAL_PROMPT="0",
        GIT_OPTIONAL_LOCKS="0",
        GIT_PAGER="cat",
        GIT_NO_LAZY_FETCH="1",
        # An allow-list that names no protocol: `protocol.allow=never` alone
        # loses to a `protocol.ext.allow=always` in the repository's config.
        GIT_ALLOW_PROTOCOL="",
    )
    import subprocess  # a check outside a git repository starts no process

    config = [arg for item in _GIT_CONFIG for arg in ("-c", item)]
    return subprocess.run(
        ["git", "--no-pager", *config, *args],
        cwd=root,
        env=env,
        input=stdin,
        stdin=None if stdin is not None else subprocess.DEVNULL,
        capture_output=True,
        check=False,
        timeout=timeout,
    )


def git_ls_files(root: Path) -> list[str] | None:
    """The `.py`, `.sql` and docker-compose (`*compose*.yml`/`.yaml`) files git
    tracks or would track below `root` (relative posix paths), or None."""
    import subprocess

    try:
        done = run_git(
            root,
            "ls-files",
            "-z",
            "--cached",
            "--others",
            "--exclude-standard",
            "--",
            "*.py",
            "*.sql",
            "*compose*.yml",
            "*compose*.yaml",
            timeout=20,  # a FIFO named `.gitignore` blocks git until then
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if done.returncode != 0:
        return None
    return sorted({p for p in done.stdout.decode("utf-8", "surrogateescape").split("\0") if p})
