"""ARC404 placeholder-description."""

from __future__ import annotations

import re

from arch_lint.index.models import FieldFacts
from arch_lint.rules._base import FileRule
from arch_lint.rules._models import field_rule_models

_PLACEHOLDERS = frozenset(
    {"", "todo", "tbd", "fixme", "xxx", "description", "desc", "n/a", "na", "none", "...",
     "placeholder", "field", "value", "tba"}
)  # fmt: skip


def _norm(text: str) -> str:
    return re.sub(r"[\s_\-.:]+", " ", text.strip().lower()).strip()


def placeholder(fld: FieldFacts) -> str | None:
    """The placeholder text of a field's literal description, or None."""
    for text in (fld.description, fld.doc if not fld.described else None):
        if text is None:
            continue
        norm = _norm(text)
        if norm in _PLACEHOLDERS or norm == _norm(fld.name):
            return text
    return None


class PlaceholderDescription(FileRule):
    """An empty or placeholder field description.

    ## What it does
    Flags a field description that says nothing: empty, `"TODO"`, `"TBD"`,
    `"description"`, `"..."`, or the field's own name (`"order_id"` for
    `order_id`, compared case- and separator-insensitively). It replaces ARC402
    on the same field. Applies to the models that `field-rules-scope` names.

    ## Why is this bad?
    A placeholder passes a check for "has a description" while documenting
    nothing; it is how ARC402 gets silenced without being fixed.

    ## Example
    ```python
    # common/models/orders.py
    from pydantic import BaseModel, Field


    class OrderPlacedV1(BaseModel):
        order_id: str = Field(description="order_id")
    ```

    ## Use instead
    ```python
    # common/models/orders.py
    from pydantic import BaseModel, Field


    class OrderPlacedV1(BaseModel):
        order_id: str = Field(description="Public identifier of the order (ULID)")
    ```

    ## How to fix
    Write what the value means for a consumer: unit, format, origin, when it is empty.

    ## Options
    `models.field-rules-scope`
    """

    code = "ARC404"
    name = "placeholder-description"
    message = "field `{model}.{field}` has a placeholder description `{text}`"
    fix_title = "Describe what the value means for a consumer"

    def check(self) -> None:
        for cls in field_rule_models(self.ctx):
            for fld in cls.fields:
                text = placeholder(fld)
                if text is not None:
                    shown = text.strip()
                    shown = (shown[:40] + "…" if len(shown) > 40 else shown) or '""'
                    self.report(*fld.pos, {"model": cls.name, "field": fld.name, "text": shown})
