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

    Keys are what JSON carries, not Python names: an `alias`, a
    `validation_alias` or `serialization_alias`, or what the model's
    `alias_generator` makes of the name (Pydantic's `to_camel`, `to_pascal` and
    `to_snake`, also inside `AliasGenerator(...)` and inherited from a base's
    config; a field's own alias wins, as in Pydantic). Changing the generator
    changes every key it makes: one finding per field where that breaks. A
    generator arch-lint cannot read (a project function, a lambda) makes the
    keys unknown, and they are not compared.

    What is written and what is read differ for two kinds of field:

    - a `@computed_field` is written output (`model_dump` writes it; validation
      never reads it). Removing it, or changing its key, breaks readers of the
      old output (forward, full): the old serialised schema promised the key,
      and a consumer that reads the JSON (another service's raw client, a
      frontend, a JSON Schema built from the model) loses it, although a
      consumer on the old Pydantic model recomputes it itself. Backward is not
      affected (new readers never read it), unless the new model forbids extra
      keys and a field it read became computed: then it rejects the old data's
      key;
    - a `Field(exclude=True)` field is read but never written. Removing it
      breaks no reader of the model's dumps in any mode (the data never carried
      it, before or after); input written by hand, such as a request body, is not
      the model's dumps and is not judged. Excluding a field that was written
      and required breaks forward (old readers require a key the new data no
      longer has).

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
