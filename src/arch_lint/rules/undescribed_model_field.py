"""ARC402 undescribed-model-field."""

from __future__ import annotations

from arch_lint.rules._base import FileRule
from arch_lint.rules._models import field_rule_models, inherited
from arch_lint.rules.placeholder_description import placeholder


class UndescribedModelField(FileRule):
    """A Pydantic model field without a description.

    ## What it does
    Flags a field of a Pydantic model that has no description. A description
    counts from `Field(description=...)`, from `Annotated[..., Field(description=...)]`,
    or from an attribute docstring (a string right below the field) when the
    model's configuration, own or inherited, sets `use_attribute_docstrings=True`.
    A field that only re-declares an inherited field (to pin a discriminator's
    default, say) inherits the parent's description, and a field typed with a
    described alias (`OrderId = Annotated[str, Field(description=...)]`, here or
    imported) is described by it. The `root` of a `RootModel` is described by its
    class. Applies to the models that
    `field-rules-scope` names (the shared models by default). A placeholder
    description is ARC404 instead.

    ## Why is this bad?
    Shared models are read by teams that did not write them. The description is
    the field's documentation in the generated JSON schema and API docs; without
    it, consumers guess what `amount` means (cents? euros? gross?).

    ## Example
    ```python
    # common/models/payments.py
    from pydantic import BaseModel


    class PaymentCapturedV1(BaseModel):
        amount_cents: int
    ```

    ## Use instead
    ```python
    # common/models/payments.py
    from pydantic import BaseModel, Field


    class PaymentCapturedV1(BaseModel):
        amount_cents: int = Field(description="Captured amount in cents, tax included")
    ```

    ## How to fix
    Add `Field(description="...")` (or `Annotated[int, Field(description="...")]`),
    or turn on `use_attribute_docstrings` and document the field with a docstring.

    ## Options
    `models.field-rules-scope`
    """

    code = "ARC402"
    name = "undescribed-model-field"
    message = "field `{model}.{field}` has no description"
    fix_title = "Add `Field(description=...)` to the field"

    def check(self) -> None:
        ctx = self.ctx
        models = ctx.index.models
        for cls in field_rule_models(ctx):
            docstrings = models.model_config(ctx.path, cls.name).get("use_attribute_docstrings")
            root_model = models.is_root_model(ctx.path, cls.name)
            for fld in cls.fields:
                if fld.described or (docstrings is True and fld.doc is not None):
                    continue
                if root_model and fld.name == "root":
                    continue  # the class (its docstring) describes a root model
                if models.is_described_type(ctx.path, fld.annotation):
                    continue  # `OrderId = Annotated[str, Field(description=...)]`
                parent = inherited(ctx, cls, fld.name)
                if parent is not None and (parent.described or parent.doc is not None):
                    continue
                if placeholder(fld) is not None:
                    continue  # ARC404's
                self.report(*fld.pos, {"model": cls.name, "field": fld.name})
