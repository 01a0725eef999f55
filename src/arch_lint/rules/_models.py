"""What the model rules share: the file's Pydantic models, and the field-rule scope."""

from __future__ import annotations

from collections.abc import Iterator

from arch_lint.index.models import ClassFacts, FieldFacts
from arch_lint.index.project import ProjectIndex
from arch_lint.rules._base import FileContext

MIN_SHARED = 3
MIN_JACCARD = 0.8
"""ARC207's overlap rule (SPEC §4): two models are copies when the Jaccard
index of their (name, normalised type) field pairs is at least 0.8 and they
share at least 3 fields. ARC208 judges a consumer-side copy by the same rule."""


def models(ctx: FileContext) -> Iterator[ClassFacts]:
    """The file's Pydantic data models (settings classes are not data models)."""
    for cls in ctx.facts.classes:
        if ctx.index.models.is_model(ctx.path, cls.name):
            yield cls


def field_rule_models(ctx: FileContext) -> Iterator[ClassFacts]:
    """Models the field rules (ARC401-ARC404) apply to under `field-rules-scope`."""
    scope = ctx.settings.model.models.field_rules_scope
    if scope == "shared" and not ctx.in_shared_models:
        return
    yield from models(ctx)


def inherited(ctx: FileContext, cls: ClassFacts, name: str) -> FieldFacts | None:
    """The same-named field of the nearest project base model, if any."""
    return ctx.index.models.inherited_field(ctx.path, cls.name, name)


def field_overlap(
    index: ProjectIndex, mine: frozenset[tuple[str, str]], path: str, qualname: str
) -> tuple[int, int] | None:
    """(shared fields, fields in all) when a model whose field signature is
    `mine` copies the model `qualname` of `path` by the overlap rule; else None."""
    theirs = index.models.field_signature(path, qualname)
    common = len(mine & theirs)
    union = len(mine | theirs)
    if common >= MIN_SHARED and common / union >= MIN_JACCARD:
        return common, union
    return None
