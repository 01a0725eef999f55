"""Cross-service import verdicts, shared by ARC101, ARC201 and ARC102.

One problem, one finding: every import statement of a service file is judged
once, the strongest code wins (ARC101 over ARC201 over ARC102), and each rule
reports only the statements whose verdict is its own code.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

from arch_lint.config.model import AllowEntry
from arch_lint.config.resolve import matcher

if TYPE_CHECKING:
    from arch_lint.config.resolve import Matcher
from arch_lint.index.facts import ImportStmt
from arch_lint.index.project import Target
from arch_lint.rules._base import FileContext

STRENGTH = {"ARC101": 3, "ARC201": 2, "ARC102": 1}


@dataclass(frozen=True)
class Verdict:
    code: str
    stmt: ImportStmt
    target: Target
    owner: str
    reason: str
    """For ARC101: why the target is data layer."""
    others: int
    """How many further crossing targets the statement has."""


@lru_cache(maxsize=64)
def _from_spec(pattern: str) -> Matcher:
    return matcher([pattern])


def _module_matches(pattern: str, module: str) -> bool:
    if pattern.endswith(".*"):
        prefix = pattern[:-2]
        return module == prefix or module.startswith(prefix + ".")
    return module == pattern


def allowed(entry: AllowEntry, importer: str, target: Target, code: str, spelled: str) -> bool:
    if entry.codes and not any(code.startswith(c) for c in entry.codes):
        return False
    if not _from_spec(entry.from_).match_file(importer):
        return False
    return _module_matches(entry.import_, target.module) or _module_matches(entry.import_, spelled)


def _classify(ctx: FileContext, target: Target) -> tuple[str, str, str] | None:
    """(code, owner, reason) for one target, or None if it does not cross."""
    own = ctx.service
    if own is None:
        return None
    owner = ctx.service_of(target.defining)
    if owner is None or owner == own:
        return None
    if ctx.service_of(target.spelled) == own:
        return None  # through the importer's own module: that module's import is the finding
    reason = ctx.index.data.data_layer_reason(target.defining)
    if reason is not None:
        return "ARC101", owner.name, reason
    if ctx.is_public(target.spelled) or ctx.is_public(target.defining):
        return None
    if target.name is not None and ctx.index.models.is_model(target.defining, target.name):
        return "ARC201", owner.name, ""
    return "ARC102", owner.name, ""


def import_verdicts(ctx: FileContext) -> list[Verdict]:
    """The verdict of every crossing import statement of the file (memoised per file)."""
    cached = ctx.memo.get("import_verdicts")
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    verdicts: list[Verdict] = []
    if ctx.service is not None:
        allow = ctx.settings.model.allow
        for stmt in ctx.facts.imports:
            crossing: list[tuple[str, Target, str, str]] = []
            for target in ctx.index.modules.targets(ctx.path, stmt):
                judged = _classify(ctx, target)
                if judged is None:
                    continue
                code, owner, reason = judged
                spelled = ctx.index.modules.module_of(target.spelled) or ""
                hits = [
                    i for i, e in enumerate(allow) if allowed(e, ctx.path, target, code, spelled)
                ]
                if hits:
                    ctx.used_allow.update(hits)
                    continue
                crossing.append((code, target, owner, reason))
            if crossing:
                code, target, owner, reason = max(crossing, key=lambda c: STRENGTH[c[0]])
                verdicts.append(Verdict(code, stmt, target, owner, reason, len(crossing) - 1))
    ctx.memo["import_verdicts"] = verdicts
    return verdicts
