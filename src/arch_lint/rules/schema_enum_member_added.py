"""ARC506 schema-enum-member-added."""

from __future__ import annotations

from typing import ClassVar

from arch_lint.rules._base import SchemaRule


class SchemaEnumMemberAdded(SchemaRule):
    """An enum member added, which readers on the old schema reject.

    ## What it does
    Flags a new value in an enum of the shared models under forward and full
    compatibility: a reader on the old schema validates the enum strictly and
    rejects the new value. Under backward compatibility adding a member is
    safe and not flagged. Values are compared as ARC505 compares them (a
    constant expression by the value it computes to).

    ## Why is this bad?
    A producer that starts writing the new value breaks every consumer that has
    not been redeployed yet.

    ## Example
    ```python
    # before: common/models/orders.py
    from enum import Enum


    class OrderStatus(str, Enum):
        PLACED = "placed"

    # after: common/models/orders.py
    from enum import Enum


    class OrderStatus(str, Enum):
        PLACED = "placed"
        RETURNED = "returned"
    ```

    ## Use instead
    ```python
    # before: common/models/orders.py
    from enum import Enum


    class OrderStatus(str, Enum):
        PLACED = "placed"

    # after: common/models/orders.py
    from enum import Enum


    class OrderStatus(str, Enum):
        PLACED = "placed"


    class OrderStatusV2(str, Enum):
        PLACED = "placed"
        RETURNED = "returned"
    ```

    ## How to fix
    Add the value in a new version of the enum (and of the models that carry
    it), or update every reader before any writer uses it and configure
    `compatibility = "backward"`.

    ## Options
    `schema.compatibility`, `schema.snapshot`, `shared-models`
    """

    code = "ARC506"
    name = "schema-enum-member-added"
    message = "{detail}"
    fix_title = None
    modes: ClassVar[tuple[str, ...]] = ("forward", "full")
