"""ARC503 schema-field-now-required."""

from __future__ import annotations

from typing import ClassVar

from arch_lint.rules._base import SchemaRule


class SchemaFieldNowRequired(SchemaRule):
    """A field of a shared model made required, or a required field added.

    ## What it does
    Flags a field that had a default and has none now, and a new field without a
    default, under backward and full compatibility: data written on the old
    schema may lack the key, and the new model rejects it. As in Pydantic v2, a
    field is required when it has no default and no `default_factory`, whatever
    its type (`x: int | None` without a default is required). A required field
    added with `Field(exclude=True)` still breaks: it is read, and old data lacks
    it. A `@computed_field` is never read, so it is never required.

    ## Why is this bad?
    Messages already written (in a topic, an outbox, a cache) are read again by
    the new code: replays, retries, a consumer catching up. Each of them now
    fails validation.

    ## Example
    ```python
    # before: common/models/orders.py
    from pydantic import BaseModel


    class OrderPlacedV1(BaseModel):
        order_id: str

    # after: common/models/orders.py
    from pydantic import BaseModel


    class OrderPlacedV1(BaseModel):
        order_id: str
        channel: str
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
        channel: str = "web"
    ```

    ## How to fix
    Give the new field a default (adding an optional field is safe), or add a
    new version of the model.

    ## Options
    `schema.compatibility`, `schema.snapshot`, `shared-models`
    """

    code = "ARC503"
    name = "schema-field-now-required"
    message = "{detail}"
    fix_title = None
    modes: ClassVar[tuple[str, ...]] = ("backward", "full")
