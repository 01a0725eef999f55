"""Shared helpers for the configuration, CLI and cache tests.

`make_repo` writes a mini monorepo into a temporary directory; `run_cli` runs
`arch_lint.adapters.cli.main` in-process and captures its output;
`run_subprocess` runs the real `arch-lint` executable.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from arch_lint.adapters.cli import main

CONFIG = '[tool.arch_lint]\nservices = ["services/*"]\n'

API = (
    "from services.payments.models_db import Payment\n\n\n"
    "def get() -> Payment:\n    return Payment()\n"
)

ARC101_API_MESSAGE = (
    "`services.orders.api` imports `services.payments.models_db`, "
    "the data layer of service `payments`"
)


def base_files(config: str = CONFIG) -> dict[str, str]:
    """Two services (orders -> payments) and a shared models package.

    Findings: `services/orders/api.py:1:1` ARC101 (payments' `models_db`) and
    `services/orders/checkout.py:1:1` ARC102 (payments' internal `gateway`).
    """
    return {
        "pyproject.toml": config,
        "services/__init__.py": "",
        "services/orders/__init__.py": "",
        "services/orders/api.py": API,
        "services/orders/checkout.py": "from services.payments import gateway\n",
        "services/orders/clean.py": "from common.models import OrderV1\n\nORDER = OrderV1\n",
        "services/payments/__init__.py": "",
        "services/payments/models_db.py": "class Payment:\n    pass\n",
        "services/payments/gateway.py": "def charge() -> None:\n    pass\n",
        "common/__init__.py": "",
        "common/models/__init__.py": (
            "from pydantic import BaseModel, Field\n\n\n"
            "class OrderV1(BaseModel):\n"
            '    id: int = Field(description="The order id")\n'
        ),
    }


def clean_files(config: str = CONFIG) -> dict[str, str]:
    """The same layout without any violation."""
    files = base_files(config)
    files["services/orders/api.py"] = "from common.models import OrderV1\n"
    files["services/orders/checkout.py"] = "import os\n\nfrom . import clean\n"
    return files


def make_repo(tmp_path: Path, files: Mapping[str, str | bytes]) -> Path:
    """Write `files` (relative posix path -> content) below `tmp_path`; return it."""
    for rel, content in files.items():
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return tmp_path


@dataclass
class Result:
    code: int | str | None
    out: str
    err: str

    def json(self) -> list[dict[str, Any]]:
        data = json.loads(self.out)
        assert isinstance(data, list)
        return data

    def codes(self) -> list[tuple[str, str]]:
        """(path, code) of every finding of a JSON report."""
        return [(f["path"], f["code"]) for f in self.json()]


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> Result:
    """`arch-lint ARGV` in-process; argparse errors become exit status 2."""
    capsys.readouterr()
    try:
        code: int | str | None = main(list(argv))
    except SystemExit as exc:
        code = exc.code
    out, err = capsys.readouterr()
    return Result(code, out, err)


def arch_lint_command() -> list[str]:
    """The installed `arch-lint` executable (or `python -m arch_lint`)."""
    beside = Path(sys.executable).with_name("arch-lint")
    if beside.is_file():
        return [str(beside)]
    found = shutil.which("arch-lint")
    if found:
        return [found]
    return [sys.executable, "-m", "arch_lint"]


def run_subprocess(cwd: Path, *argv: str, command: list[str] | None = None) -> Result:
    proc = subprocess.run(
        [*(command or arch_lint_command()), *argv],
        cwd=cwd,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=300,
        check=False,
    )
    return Result(proc.returncode, proc.stdout, proc.stderr)


def assert_no_traceback(result: Result) -> None:
    assert "Traceback" not in result.err, result.err
    assert "internal error" not in result.err, result.err
