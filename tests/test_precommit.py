"""The pre-commit hooks end to end, with the real `pre-commit`:
`pre-commit try-repo` against a git repository made from this working tree,
in a temporary git repository holding a small monorepo.

pre-commit installs arch-lint into a virtualenv of its own (from PyPI for the
dependencies), which takes a while: the end-to-end test is skipped when
pre-commit is not installed, or when ARCH_LINT_SKIP_PRE_COMMIT is set.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
HOOKS = ROOT / ".pre-commit-hooks.yaml"
ARCH_LINT = [sys.executable, "-m", "arch_lint"]
GIT = ["git", "-c", "user.name=test", "-c", "user.email=test@example.invalid"]
GIT += ["-c", "commit.gpgsign=false", "-c", "init.defaultBranch=main"]


def test_both_hooks_run_once_over_the_project() -> None:
    yaml = pytest.importorskip("yaml")
    hooks = {hook["id"]: hook for hook in yaml.safe_load(HOOKS.read_text())}
    assert set(hooks) == {"arch-lint", "arch-lint-schema"}
    assert hooks["arch-lint"]["entry"] == "arch-lint check"
    assert hooks["arch-lint-schema"]["entry"] == "arch-lint schema-diff"
    for hook in hooks.values():
        # the whole project once, whatever the commit touched (pyproject.toml,
        # the snapshot, a deleted file)
        assert hook["pass_filenames"] is False
        assert hook["always_run"] is True
        assert "files" not in hook
        assert "types" not in hook
        assert "types_or" not in hook


def _git(cwd: Path, *args: str) -> None:
    subprocess.run([*GIT, *args], cwd=cwd, check=True, capture_output=True)


def _hooks_repo(dest: Path) -> Path:
    """A git repository of this working tree's arch-lint (what pre-commit installs)."""
    dest.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE", ".pre-commit-hooks.yaml"):
        shutil.copy2(ROOT / name, dest / name)
    shutil.copytree(
        ROOT / "src",
        dest / "src",
        ignore=shutil.ignore_patterns("__pycache__", "*.egg-info", ".arch_lint_cache"),
    )
    _git(dest, "init", "-q")
    _git(dest, "add", "-A")
    _git(dest, "commit", "-q", "-m", "arch-lint")
    return dest


PYPROJECT = """\
[tool.arch_lint]
shared-models = ["common/models"]

[[tool.arch_lint.allow]]
from = "services/orders/**"
import = "services.payments.domain"
reason = "kept from a refactoring"
"""

LOST_FIELD = '    total_cents: int = Field(description="What the customer pays.")\n'
EVENTS = f"""\
from pydantic import BaseModel, Field


class OrderPlacedV1(BaseModel):
    order_id: str = Field(description="The order.")
{LOST_FIELD}"""


def _project(dest: Path) -> Path:
    files = {
        "pyproject.toml": PYPROJECT,
        "README.md": "# shop\n",
        "common/__init__.py": "",
        "common/models/__init__.py": "",
        "common/models/events.py": EVENTS,
        "services/orders/__init__.py": "",
        "services/orders/api.py": (
            "from services.payments.models_db import Payment\n\nprint(Payment)\n"
        ),
        "services/payments/__init__.py": "",
        "services/payments/models_db.py": "class Payment: ...\n",
    }
    for rel, text in files.items():
        (dest / rel).parent.mkdir(parents=True, exist_ok=True)
        (dest / rel).write_text(text)
    subprocess.run(
        [*ARCH_LINT, "schema-snapshot"],
        cwd=dest,
        check=True,
        capture_output=True,
    )
    assert (dest / "arch-lint-schema.json").is_file()
    _git(dest, "init", "-q")
    _git(dest, "add", "-A")
    _git(dest, "commit", "-q", "-m", "shop")
    return dest


@pytest.mark.skipif(
    bool(os.environ.get("ARCH_LINT_SKIP_PRE_COMMIT")),
    reason="ARCH_LINT_SKIP_PRE_COMMIT is set (this test installs arch-lint with pre-commit)",
)
def test_pre_commit_try_repo(tmp_path: Path) -> None:
    pytest.importorskip("pre_commit")
    hooks = _hooks_repo(tmp_path / "arch-lint")
    project = _project(tmp_path / "shop")
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home")}
    env.pop("PRE_COMMIT", None)

    def try_repo(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "pre_commit", "try-repo", str(hooks), *args],
            cwd=project,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )

    # the shipped check hook over the repository (pre-commit's own venv, built
    # from the hooks repository): findings of the whole project, each once
    ran = try_repo("arch-lint", "--all-files")
    out = ran.stdout + ran.stderr
    assert ran.returncode == 1, out
    arc101 = "services/orders/api.py:1:1: ARC101"
    arc002 = "pyproject.toml:4:1: ARC002"  # config level: seen only by a whole-project run
    assert out.count(arc101) == 1, out
    assert out.count(arc002) == 1, out

    # a commit that changes only pyproject.toml (or only the snapshot) runs both
    # hooks over the project; the model in the working tree has lost a field
    # since the snapshot was taken. (Every try-repo installs afresh: one call.)
    events = project / "common/models/events.py"
    events.write_text(EVENTS.replace(LOST_FIELD, ""))
    ran = try_repo("--files", "pyproject.toml", "arch-lint-schema.json")
    out = ran.stdout + ran.stderr
    assert ran.returncode == 1, out
    assert "Skipped" not in out, out
    assert out.count(arc101) == 1, out
    assert out.count(arc002) == 1, out
    assert "common/models/events.py" in out, out
    assert "ARC501" in out, out
