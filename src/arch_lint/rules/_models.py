"""What the model rules share: the file's Pydantic models, and the field-rule scope."""

from __future__ import annotations

from collections.abc import Iterator

from arch_lint.index.models import ClassFacts, FieldFacts
from arch_lint.rules._base import FileContext


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
