"""The shared vocabulary: a finding and where it sits.

Findings are pydantic models (frozen) so that reports can serialise them
directly; they are created only for real violations, so their cost does not
matter on the hot path.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Fix(BaseModel):
    """How to repair a finding: a named tree transformation at a node.

    The fix engine (libcst) carries it out; `safe` follows ruff's meaning: an
    unsafe fix can change behaviour and needs `--unsafe-fixes`.
    """

    model_config = ConfigDict(frozen=True)

    title: str
    safe: bool
    kind: str
    """Which transformation, e.g. `add-correlation-id`."""
    line: int
    column: int
    """1-based position (characters) of the node the transformation applies to."""
    end_line: int
    end_column: int
    """Where that node ends: 1-based, in characters, exclusive. The engine applies
    the fix only to the node at exactly this span."""
    data: dict[str, str] = {}


class Finding(BaseModel):
    """One violation of one rule at one place."""

    model_config = ConfigDict(frozen=True)

    code: str
    name: str
    message: str
    path: str
    """Relative to the project root, with `/` separators."""
    line: int
    """1-based."""
    column: int
    """1-based, in characters."""
    end_line: int
    end_column: int
    """Exclusive, 1-based, in characters."""
    service: str | None = None
    fixable: bool = False
    fix: Fix | None = None

    def sort_key(self) -> tuple[str, int, int, str]:
        return (self.path, self.line, self.column, self.code)
