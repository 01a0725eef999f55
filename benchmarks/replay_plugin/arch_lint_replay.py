"""A flake8 plugin that replays recorded findings and does no analysis.

``benchmarks/run.py`` records the findings the ARC plugin gives on the corpus
and measures flake8 with this plugin instead: flake8 then carries exactly the
same reports (same file, line, column, code and message), so the difference
from flake8 with ARC is arch-lint's own work.

The findings come from the JSON file named by ``ARCH_LINT_REPLAY_FINDINGS``:
``{filename: [[line, column, "CODE message"], ...]}``, with ``filename`` as
flake8 passes it to plugins and ``column`` 0-based, as a plugin yields it. The
file is read once per process, in ``parse_options`` (flake8's main process,
before it forks its workers), so a file's lookup is one dict access.
"""

from __future__ import annotations

import ast
import json
import os
import sys
from collections.abc import Iterator
from typing import Any, ClassVar

ENV_VAR = "ARCH_LINT_REPLAY_FINDINGS"

Finding = tuple[int, int, str]
Report = tuple[int, int, str, type[Any]]


def _load() -> dict[str, list[Finding]]:
    path = os.environ.get(ENV_VAR)
    if not path:
        print(f"arch-lint-replay: {ENV_VAR} names no findings file", file=sys.stderr)
        raise SystemExit(2)
    with open(path, encoding="utf-8") as fh:
        raw: dict[str, list[list[Any]]] = json.load(fh)
    return {
        name: [(int(line), int(col), str(text)) for line, col, text in items]
        for name, items in raw.items()
    }


class ReplayPlugin:
    """flake8 entry point for the replayed `ARC` codes."""

    name = "arch-lint-replay"
    version = "0.1.0"

    _findings: ClassVar[dict[str, list[Finding]] | None] = None

    def __init__(self, tree: ast.AST, filename: str) -> None:
        self.filename = filename

    @classmethod
    def parse_options(cls, options: Any) -> None:
        cls._findings = _load()

    def run(self) -> Iterator[Report]:
        findings = type(self)._findings
        if findings is None:  # not loaded in parse_options
            findings = type(self)._findings = _load()
        for line, col, text in findings.get(self.filename, ()):
            yield line, col, text, type(self)
