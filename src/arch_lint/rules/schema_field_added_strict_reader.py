"""ARC507 schema-field-added-strict-reader."""

from __future__ import annotations

from typing import ClassVar

from arch_lint.rules._base import SchemaRule


class SchemaFieldAddedStrictReader(SchemaRule):
    """A field added to a model that forbids extra keys.

    ## What it does
    Flags a new field (optional or not) in a model whose old version forbids
    extra keys (`model_config = ConfigDict(extra="forbid")`, inherited
    included), under forward and full compatibility: readers on the old model
    reject data that carries the new key.

    What counts is what the new model writes: a new `@computed_field` is written
    output like any field (the old strict reader rejects its key), while a new
    `Field(exclude=True)` field is never written and is not flagged.

    ## Why is this bad?
    Adding an optional field is normally the safe change; `extra="forbid"` turns
    it into a breaking one for every reader that has not been redeployed.

    ## Example
    ```python
    # before: common/models/orders.py
    from pydantic import BaseModel, ConfigDict


    class OrderPlacedV1(BaseModel):
        model_config = ConfigDict(extra="forbid")
        order_id: str

    # after: common/models/orders.py
    from pydantic import BaseModel, ConfigDict


    class OrderPlacedV1(BaseModel):
        model_config = ConfigDict(extra="forbid")
        order_id: str
        note: str | None = None
    ```

    ## Use instead
    ```python
    # before: common/models/orders.py
    from pydantic import BaseModel


    class OrderPlacedV1(BaseModel):
        order_id: str

    # after: common/models/orders.py
    from pydantic import BaseModel


    class OrderPlacedV1(BaseModel):
        order_id: str
        note: str | None = None
    ```

    ## How to fix
    Add a new version of the model with the field, or let readers ignore extra
    keys (Pydantic's default) before adding fields.

    ## Options
    `schema.compatibility`, `schema.snapshot`, `shared-models`
    """

    code = "ARC507"
    name = "schema-field-added-strict-reader"
    message = "{detail}"
    fix_title = None
    modes: ClassVar[tuple[str, ...]] = ("forward", "full")
