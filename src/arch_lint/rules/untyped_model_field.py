"""ARC401 untyped-model-field."""

from __future__ import annotations

from arch_lint.rules._base import FileRule
from arch_lint.rules._models import field_rule_models


class UntypedModelField(FileRule):
    """A Pydantic model attribute without a type annotation.

    ## What it does
    Flags a public attribute of a Pydantic model that is assigned without an
    annotation (`status = "new"`, `amount = Field(...)`). Private attributes
    (`_cache`), `model_config`, `ClassVar`s (also one declared in a base class and
    assigned here) are not fields and are not flagged; neither is an attribute
    whose value is not a literal or `Field(...)` (a class alias, a descriptor):
    Pydantic ignores those. Applies to the models that `field-rules-scope` names (the shared
    models by default).

    ## Why is this bad?
    Shared models are contracts: every field needs a type that consumers can rely
    on and that the schema shows. Pydantic v2 refuses most unannotated
    attributes at import time, and the ones it accepts are not validated.

    ## Example
    ```python
    # common/models/orders.py
    from pydantic import BaseModel, Field


    class OrderPlacedV1(BaseModel):
        status = Field("new", description="Lifecycle state of the order")
    ```

    ## Use instead
    ```python
    # common/models/orders.py
    from pydantic import BaseModel, Field


    class OrderPlacedV1(BaseModel):
        status: str = Field("new", description="Lifecycle state of the order")
    ```

    ## How to fix
    Annotate the attribute with its type. If it is a constant of the class, not
    data, annotate it `ClassVar[...]`; if it is internal state, prefix it with `_`.

    ## Options
    `models.field-rules-scope`
    """

    code = "ARC401"
    name = "untyped-model-field"
    message = "attribute `{model}.{field}` of a Pydantic model has no type annotation"
    fix_title = "Annotate the field with its type"

    def check(self) -> None:
        for cls in field_rule_models(self.ctx):
            for name, pos in cls.untyped:
                if self.ctx.index.models.inherited_classvar(self.ctx.path, cls.name, name):
                    continue  # sets an inherited `ClassVar`: not a field
                self.report(*pos, {"model": cls.name, "field": name})
