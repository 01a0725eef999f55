"""ARC504 schema-model-removed."""

from __future__ import annotations

from typing import ClassVar

from arch_lint.rules._base import SchemaRule


class SchemaModelRemoved(SchemaRule):
    """A shared model or enum removed or renamed.

    ## What it does
    Flags a model (or an enum) of the shared-model packages that the base version
    has and the head version does not, in every compatibility mode; when a new
    model has exactly the same fields, the message names it as the likely new
    name. Models are identified by name within the shared packages: moving one
    to another module is no change. Adding a versioned model (`FooV2`) beside
    the old one is not flagged; removing the old one is.

    A module-level alias in the shared packages keeps the old name alive
    (`ShipmentEvent = ShipmentEventV1`, `ShipmentEvent: TypeAlias =
    ShipmentEventV1`, `type ShipmentEvent = ShipmentEventV1`, or `from .v1 import
    ShipmentEventV1 as ShipmentEvent`): code that imports the old name still
    finds it, so nothing is removed; the old model is compared with the alias's
    target instead (its field changes are reported under the old name). An alias
    helps only where it is in the shared packages and names a model or enum of
    them: one in a service module, one naming a class that is gone, or one naming
    something that is no model keeps nothing. Removing an alias that the base had
    is reported like removing the model (on the alias's line).

    ## Why is this bad?
    Other services import the model and receive data shaped by it. Removing it
    breaks their next build, and data already written in its shape has no model
    left to read it.

    ## Example
    ```python
    # before: common/models/orders.py
    from pydantic import BaseModel


    class OrderPlacedV1(BaseModel):
        order_id: str

    # after: common/models/orders.py
    from pydantic import BaseModel


    class OrderCreatedV1(BaseModel):
        order_id: str
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


    class OrderCreatedV1(BaseModel):
        order_id: str
    ```

    ## How to fix
    Keep the old model (mark it deprecated in its docstring) until no producer
    writes and no consumer reads it, then remove it in its own change. For a
    rename that keeps the shape, a module-level alias (`OrderPlacedV1 =
    OrderCreatedV1`) keeps the old name for the code that imports it.

    ## Options
    `schema.compatibility`, `schema.snapshot`, `shared-models`
    """

    code = "ARC504"
    name = "schema-model-removed"
    message = "{detail}"
    fix_title = None
    modes: ClassVar[tuple[str, ...]] = ("backward", "forward", "full")
