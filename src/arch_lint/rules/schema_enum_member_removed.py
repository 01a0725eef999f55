"""ARC505 schema-enum-member-removed."""

from __future__ import annotations

from typing import ClassVar

from arch_lint.rules._base import SchemaRule


class SchemaEnumMemberRemoved(SchemaRule):
    """An enum member of the shared models removed, or its value changed.

    ## What it does
    Flags an enum of the shared models that lost a value (backward and full:
    data written on the old schema may hold it) or whose member changed its
    value (every mode: each side rejects the other's value). Values are
    compared, not names: renaming a member that keeps its value is no change;
    `auto()` members are compared by name. A value written as a constant
    expression is compared by what it computes to: `"c" + "d"`, `1 << 2`,
    `READ | WRITE` (earlier members), f-strings of constants, and constants of
    the same module bound before the class (`PREFIX + ".placed"`; changing
    `PREFIX` changes every member built from it). Any other value is compared
    as written (`Other.A`, a constant imported from another module), and a
    member made by a call is not compared.

    ## Why is this bad?
    The value is in data already written: the database, a topic, another
    service's cache. The new code fails to validate it.

    ## Example
    ```python
    # before: common/models/orders.py
    from enum import Enum


    class OrderStatus(str, Enum):
        PLACED = "placed"
        CANCELLED = "cancelled"

    # after: common/models/orders.py
    from enum import Enum


    class OrderStatus(str, Enum):
        PLACED = "placed"
    ```

    ## Use instead
    ```python
    # before: common/models/orders.py
    from enum import Enum


    class OrderStatus(str, Enum):
        PLACED = "placed"
        CANCELLED = "cancelled"

    # after: common/models/orders.py
    from enum import Enum


    class OrderStatus(str, Enum):
        PLACED = "placed"
        CANCELED = "cancelled"  # renamed; the value is kept
    ```

    ## How to fix
    Keep the member (and its value). To retire it, stop writing it first, and
    remove it when no stored data holds it.

    ## Options
    `schema.compatibility`, `schema.snapshot`, `shared-models`
    """

    code = "ARC505"
    name = "schema-enum-member-removed"
    message = "{detail}"
    fix_title = None
    modes: ClassVar[tuple[str, ...]] = ("backward", "full")
