"""ARC502 schema-field-type-changed."""

from __future__ import annotations

from typing import ClassVar

from arch_lint.rules._base import SchemaRule


class SchemaFieldTypeChanged(SchemaRule):
    """A field of a shared model whose type changed incompatibly.

    ## What it does
    Flags a field whose normalised type changed in a way that breaks the
    configured compatibility, judged as Pydantic validates JSON: a narrower type
    (`int | None` to `int`, a `Literal` losing a value, a new constraint such as
    `Field(gt=0)`) breaks backward compatibility (new readers, old data); a
    wider type (`int` to `int | None`, `int` to `float`, a `Literal` gaining a
    value) breaks forward compatibility (old readers, new data); an unrelated
    type (`str` to `int`, one model for another) breaks both. Spellings that
    mean the same (`Optional[X]`, `X | None`, `Union[X, None]`, `typing.List`
    and `list`, quoted forward references) are no change. A generic model's
    field typed with a `TypeVar` validates as `Any`.

    Only values that travel are judged: a `@computed_field`'s type (its return
    type) matters to readers of the old output (forward), never to new readers
    (they do not read it); a `Field(exclude=True)` field is never in the data,
    so its type changes nothing. A nested model renamed with exactly its fields
    (or kept under its old name by an alias) is the same type.

    ## Why is this bad?
    A reader validates the values a writer produced. When the types disagree,
    validation fails on data that was valid when it was written, in a service
    that did not change.

    ## Example
    ```python
    # before: common/models/orders.py
    from pydantic import BaseModel


    class OrderPlacedV1(BaseModel):
        amount: int

    # after: common/models/orders.py
    from pydantic import BaseModel


    class OrderPlacedV1(BaseModel):
        amount: str
    ```

    ## Use instead
    ```python
    # before: common/models/orders.py
    from typing import Optional

    from pydantic import BaseModel


    class OrderPlacedV1(BaseModel):
        amount: Optional[int]

    # after: common/models/orders.py
    from pydantic import BaseModel


    class OrderPlacedV1(BaseModel):
        amount: int | None
    ```

    ## How to fix
    Add a new version of the model with the new type and keep the old one;
    or, for a widening, update the readers before the writers.

    ## Options
    `schema.compatibility`, `schema.snapshot`, `shared-models`
    """

    code = "ARC502"
    name = "schema-field-type-changed"
    message = "{detail}"
    fix_title = None
    modes: ClassVar[tuple[str, ...]] = ("backward", "forward", "full")
