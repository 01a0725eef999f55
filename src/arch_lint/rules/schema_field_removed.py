"""ARC501 schema-field-removed."""

from __future__ import annotations

from typing import ClassVar

from arch_lint.rules._base import SchemaRule


class SchemaFieldRemoved(SchemaRule):
    """A field of a shared model removed, renamed, or given another JSON key.

    ## What it does
    Flags, between the base and the head version of the shared models, a field
    that is gone, renamed (a removal and an addition of the same type in one
    model, reported once as a likely rename) or whose alias or serialization
    alias changed (the JSON key is not the same any more), where that breaks
    the configured compatibility:

    - forward (old readers, new data): the old model required the field;
    - backward (new readers, old data): the new model requires the renamed
      field, or forbids extra keys and so rejects the old key;
    - a reader that forbids extra keys rejects a key it does not know.

    Removing an optional field from a model that ignores extra keys breaks no
    reader and is not flagged.

    ## Why is this bad?
    Producers and consumers of an event deploy at different times. A consumer on
    the old model that requires `amount` rejects every event the new producer
    sends, until it is redeployed; with a renamed key the data is silently read
    as missing.

    ## Example
    ```python
    # before: common/models/orders.py
    from pydantic import BaseModel


    class OrderPlacedV1(BaseModel):
        order_id: str
        amount: int

    # after: common/models/orders.py
    from pydantic import BaseModel


    class OrderPlacedV1(BaseModel):
        order_id: str
    ```

    ## Use instead
    ```python
    # before: common/models/orders.py
    from pydantic import BaseModel


    class OrderPlacedV1(BaseModel):
        order_id: str
        amount: int

    # after: common/models/orders.py
    from pydantic import BaseModel


    class OrderPlacedV1(BaseModel):
        order_id: str
        amount: int


    class OrderPlacedV2(BaseModel):
        order_id: str
    ```

    ## How to fix
    Keep the field in the published model and add a new version of the model
    (`OrderPlacedV2`) without it; move producers first, consumers after, and
    remove the old version when nobody reads it. To rename a key, keep the old
    one as a `validation_alias` (`AliasChoices`) while both are in use.

    ## Options
    `schema.compatibility`, `schema.snapshot`, `shared-models`
    """

    code = "ARC501"
    name = "schema-field-removed"
    message = "{detail}"
    fix_title = None
    modes: ClassVar[tuple[str, ...]] = ("forward", "full")
