"""Time `arch-lint schema-diff --base HEAD` on 150 shared models.

Generates a git repository whose shared-model package holds 150 Pydantic models
(15 modules, common base classes, enums, `Optional`/`Literal`/`Annotated`/nested
fields), commits it, then changes the working tree (fields removed, retyped,
made required, added; an enum member removed) and times the whole command,
interpreter start-up included. With `--monorepo` the models are added to the
generated 2,000-file monorepo of `generate_monorepo.py`, to show that the cost
does not grow with the rest of the repository.

Usage::

    python benchmarks/schema_diff.py [--runs 5] [--monorepo] [--python PATH]

Target (the schema-evolution issue): the diff of 150 models takes <= 1 s.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import generate_monorepo

TARGET_S = 1.0
MODULES = 15
MODELS_PER_MODULE = 10
TYPES = [
    "str",
    "int",
    "float",
    "bool",
    "datetime",
    "Decimal",
    "UUID",
    "Optional[str]",
    "int | None",
    "list[str]",
    "dict[str, int]",
    "Literal['a', 'b', 'c']",
    "Annotated[int, Field(ge=0)]",
    "Annotated[str, Field(max_length=64, description='a code')]",
]

HEADER = '''"""Shared models, generated for the schema-diff benchmark."""

from datetime import datetime
from decimal import Decimal
from enum import Enum
from typing import Annotated, Literal, Optional
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from {package}.base import BaseEventV1
'''

BASE = '''"""Base classes of the shared models."""

from datetime import datetime
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field


class BaseEventV1(BaseModel):
    model_config = ConfigDict(extra="ignore")
    event_id: UUID = Field(description="Unique id of the event.")
    event_timestamp: datetime = Field(description="When it happened.")
    source_service: str = Field(description="Who published it.")
    correlation_id: str = Field(description="The request it belongs to.")
'''


def write_models(root: Path, package: str, rng: random.Random) -> int:
    folder = root / package.replace(".", "/")
    folder.mkdir(parents=True, exist_ok=True)
    parts = package.split(".")
    for depth in range(1, len(parts) + 1):
        init = root.joinpath(*parts[:depth], "__init__.py")
        if not init.exists():
            init.write_text("")
    (folder / "base.py").write_text(BASE)
    count = 0
    for m in range(MODULES):
        lines = [HEADER.format(package=package)]
        lines.append(f"\n\nclass Status{m}(str, Enum):\n")
        lines += [f'    S{k} = "s{k}"\n' for k in range(5)]
        previous = None
        for n in range(MODELS_PER_MODULE):
            name = f"Thing{m}x{n}V1"
            base = "BaseEventV1" if n % 3 == 0 else "BaseModel"
            lines.append(f"\n\nclass {name}({base}):\n")
            if n % 4 == 1:
                lines.append('    model_config = ConfigDict(extra="forbid")\n')
            for f in range(rng.randint(6, 10)):
                kind = rng.choice(TYPES)
                default = " = None" if "None" in kind or "Optional" in kind else ""
                lines.append(f"    field_{f}: {kind}{default}\n")
            lines.append(f"    status: Status{m} = Status{m}.S0\n")
            if previous is not None:
                lines.append(f"    parent: Optional[{previous}] = None\n")
            previous = name
            count += 1
        (folder / f"module_{m:02d}.py").write_text("".join(lines))
    return count


def change_models(root: Path, package: str) -> None:
    """Breaking and safe changes in the working tree (nothing committed)."""
    folder = root / package.replace(".", "/")
    for m in range(0, MODULES, 3):
        path = folder / f"module_{m:02d}.py"
        text = path.read_text()
        text = text.replace("    field_0: ", "    renamed_0: ", 2)  # renames
        text = text.replace("    field_1: str\n", "    field_1: int\n", 1)  # retyped
        text = text.replace("    field_2: Optional[str] = None\n", "    field_2: Optional[str]\n")
        text = text.replace('    S4 = "s4"\n', "")  # an enum member removed
        text += f"\n\nclass Added{m}V1(BaseModel):\n    value: int\n"  # a new model: safe
        path.write_text(text)


def git(root: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=bench", "-c", "user.email=bench@example.com", *args],
        cwd=root,
        check=True,
        capture_output=True,
    )


def command(python: str) -> list[str]:
    script = Path(python).parent / "arch-lint"
    return [str(script)] if script.exists() else [python, "-m", "arch_lint"]


def timed(cmd: Sequence[str], cwd: Path, ok: Sequence[int] = (0, 1)) -> tuple[float, str]:
    start = time.perf_counter()
    done = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    if done.returncode not in ok:
        sys.exit(f"{' '.join(cmd)} failed ({done.returncode}):\n{done.stderr}")
    return elapsed, done.stdout


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--python", default=sys.executable)
    parser.add_argument("--monorepo", action="store_true", help="inside the generated monorepo")
    parser.add_argument("--keep", action="store_true", help="keep the generated repository")
    args = parser.parse_args(argv)

    tmp = Path(tempfile.mkdtemp(prefix="arch-lint-schema-bench-"))
    root = tmp / "repo"
    try:
        package = "common.models.bench"
        if args.monorepo:
            generate_monorepo.generate(root, 40, 8, 1234, 1.0, 0.05)
        else:
            root.mkdir()
            (root / "pyproject.toml").write_text(
                '[tool.arch_lint]\nservices = []\nshared-models = ["common/models"]\n'
            )
        models = write_models(root, package, random.Random(7))
        git(root, "init", "-q")
        git(root, "add", "-A")
        git(root, "commit", "-qm", "models")
        change_models(root, package)
        files = sum(1 for _ in root.rglob("*.py"))
        cmd = [*command(args.python), "schema-diff", "--base", "HEAD", "--format", "json"]
        snap = [*command(args.python), "schema-snapshot", "-o", "-"]
        _, out = timed(snap, root)
        in_snapshot = len(json.loads(out)["models"])
        samples, findings = [], 0
        for _ in range(args.runs):
            elapsed, out = timed(cmd, root)
            samples.append(elapsed)
            findings = len(json.loads(out))
        snap_samples = [timed(snap, root)[0] for _ in range(args.runs)]
        median = statistics.median(samples)
        spread = " ".join(f"{s:.3f}" for s in samples)
        print(
            f"repository: {files} .py files; {models} generated models, "
            f"{in_snapshot} in the snapshot"
        )
        print(f"schema-diff --base HEAD: {findings} findings")
        print(f"  wall time, whole command: median {median:.3f} s  [{spread}]")
        print(f"  schema-snapshot:          median {statistics.median(snap_samples):.3f} s")
        verdict = "ok" if median <= TARGET_S else "MISSED"
        print(f"  target <= {TARGET_S:.1f} s: {verdict}")
        return 0 if median <= TARGET_S else 1
    finally:
        if args.keep:
            print(f"kept {root}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
