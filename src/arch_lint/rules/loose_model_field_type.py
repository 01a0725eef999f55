"""ARC403 loose-model-field-type."""

from __future__ import annotations

from arch_lint.rules._base import FileRule
from arch_lint.rules._models import field_rule_models


class LooseModelFieldType(FileRule):
    """A model field typed `Any`, `object` or a bare container.

    ## What it does
    Flags a field of a Pydantic model whose type says nothing about the data:
    `Any`, `object`, or a bare `dict`, `list`, `set`, `tuple` (also `Dict`,
    `List`, … from `typing`, inside `Optional[...]`/`| None`, or as the first
    argument of `Annotated[...]`). `dict[str, int]` and other parametrised types
    are fine. Entries in `allow-any` (`module.Model.field`) are deliberate and not
    flagged. Applies to the models that `field-rules-scope` names.

    ## Why is this bad?
    A loose type turns a contract into a bag: producers put anything in it,
    nothing is validated, and the schema tells consumers nothing. Breaking
    changes inside it are invisible to schema checks.

    ## Example
    ```python
    # common/models/orders.py
    from typing import Any

    from pydantic import BaseModel, Field


    class OrderPlacedV1(BaseModel):
        attributes: dict = Field(description="Extra order attributes")
        raw: Any = Field(description="The raw request")
    ```

    ## Use instead
    ```python
    # common/models/orders.py
    from pydantic import BaseModel, Field


    class OrderPlacedV1(BaseModel):
        attributes: dict[str, str] = Field(description="Extra order attributes")
    ```

    ## How to fix
    Give the container its element types (`dict[str, str]`), or model the
    structure as its own shared model. Where `Any` is deliberate (an opaque
    pass-through), list it in `allow-any`.

    ## Options
    `models.field-rules-scope`, `models.allow-any`
    """

    code = "ARC403"
    name = "loose-model-field-type"
    message = "field `{model}.{field}` is typed `{type}`, which says nothing about its data"
    fix_title = "Give the field a precise type or a shared model"

    def check(self) -> None:
        ctx = self.ctx
        allowed = set(ctx.settings.model.models.allow_any)
        for cls in field_rule_models(ctx):
            for fld in cls.fields:
                if fld.loose is None:
                    continue
                if f"{ctx.module}.{cls.name}.{fld.name}" in allowed:
                    continue
                self.report(*fld.pos, {"model": cls.name, "field": fld.name, "type": fld.loose})
