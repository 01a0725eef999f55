"""ARC406 metadata-overwrite."""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING, Any

from arch_lint.findings import Fix
from arch_lint.rules._base import FileRule
from arch_lint.rules._data import analysis, mentions_json_attribute, merge_fix

if TYPE_CHECKING:
    import libcst as cst


class MetadataOverwrite(FileRule):
    """A stored metadata dict replaced by a new one instead of merged into.

    ## What it does
    Flags `obj.<metadata attribute> = {...}` (also `= dict(...)` and
    `= Model(...).model_dump()`) on an ORM instance that existed before the
    function ran — a parameter, `self` outside `__init__`, or a row loaded with
    `session.get(Model, ...)` or a `select(Model)` result — when the attribute is
    a JSON column of its class and the new value does not read the old one.
    Metadata attributes are named by `metadata-attributes` (`metadata`,
    `*_metadata`).

    Not flagged: merges (`{**(obj.x or {}), **new}`, `dict(obj.x, **new)`,
    `obj.x | new`, any value that reads `obj.x` or a local holding it), an
    assignment inside `if obj.x is None:` / `if not obj.x:` (initialisation),
    an empty `{}` (a deliberate reset), objects created in the same function
    (`row = Row(...)`, constructor keywords), and objects whose type is unknown
    unless exactly one table class of the service has a JSON column so named and
    no Pydantic model of the service has a field so named.

    ## Why is this bad?
    Metadata is an overlay: several writers (the service, a background job,
    a newer release) each own some of its keys. Assigning a fresh dict drops
    every key this writer did not set, silently, and the loss shows up only when
    another component looks for its keys.

    ## Example
    ```python
    # services/orders/models_db.py
    from typing import Any

    from sqlalchemy import JSON
    from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


    class Base(DeclarativeBase):
        pass


    class Order(Base):
        __tablename__ = "orders"
        id: Mapped[int] = mapped_column(primary_key=True)
        processing_metadata: Mapped[dict[str, Any]] = mapped_column(JSON)

    # services/orders/tasks.py
    from services.orders.models_db import Order


    def mark_exported(order: Order, batch: str) -> None:
        order.processing_metadata = {"export_batch": batch}
    ```

    ## Use instead
    ```python
    # services/orders/models_db.py
    from typing import Any

    from sqlalchemy import JSON
    from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


    class Base(DeclarativeBase):
        pass


    class Order(Base):
        __tablename__ = "orders"
        id: Mapped[int] = mapped_column(primary_key=True)
        processing_metadata: Mapped[dict[str, Any]] = mapped_column(JSON)

    # services/orders/tasks.py
    from services.orders.models_db import Order


    def mark_exported(order: Order, batch: str) -> None:
        order.processing_metadata = {**(order.processing_metadata or {}), "export_batch": batch}
    ```

    ## How to fix
    Merge into the existing value: `obj.x = {**(obj.x or {}), **new}` (the
    autofix does this). Where replacing really is meant, say so with a
    `# noqa: ARC406` and a comment why.

    ## Fix safety
    The fix is unsafe and needs `--unsafe-fixes`: keys that the assignment used
    to drop now survive, which changes what is stored (and someone may rely on
    the reset).

    ## Options
    `models.metadata-attributes`
    """

    code = "ARC406"
    name = "metadata-overwrite"
    message = (
        "`{target}` is replaced by a new dict, dropping the keys already stored on "
        "this `{model}`; merge into the existing value"
    )
    fix_title = "Merge into the existing value: `obj.x = {**(obj.x or {}), **new}`"
    fix_safety = "unsafe"
    fix_node = "statement"
    needs_tree = True

    @classmethod
    def edit(cls, node: Any, fix: Fix) -> Any:
        return _merge_into_existing(node, fix)

    def relevant(self) -> bool:
        """A JSON attribute's name spelled (asked by ARC407 of every file too),
        then a metadata attribute's."""
        if not mentions_json_attribute(self.ctx):
            return False
        patterns = self.ctx.settings.model.models.metadata_attributes
        return any(_literal_part(p) in self.ctx.source for p in patterns)

    def check_tree(self, tree: ast.Module) -> None:
        for found in analysis(self.ctx, tree).overwrites:
            fix = None
            if found.fixable:
                fix = merge_fix(self.ctx, found.stmt, found.name, "merge-into-existing")
            self.report_fix(found.target, fix, target=found.name, model=found.column.model)


def _literal_part(pattern: str) -> bytes:
    """The longest run of a glob without wildcards (`*_metadata` -> `_metadata`)."""
    parts = [p for p in pattern.replace("?", "*").replace("[", "*").split("*") if p]
    return max(parts, key=len).encode() if parts else b""


def _merge_into_existing(stmt: cst.BaseSmallStatement, fix: Fix) -> cst.BaseSmallStatement:
    """ARC406: `obj.x = {...}` -> `obj.x = {**(obj.x or {}), ...}`; any other new
    value `v` -> `{**(obj.x or {}), **v}`."""
    import libcst as cst

    from arch_lint.rules._edits import existing, new_dict

    if not isinstance(stmt, cst.Assign):
        return stmt
    value = stmt.value
    if isinstance(value, cst.Dict):
        lead = value.lbrace.whitespace_after
        stored = existing(fix)
        if isinstance(lead, cst.ParenthesizedWhitespace):  # one element per line
            bare = cst.ParenthesizedWhitespace(indent=lead.indent, last_line=lead.last_line)
            stored = stored.with_changes(comma=cst.Comma(whitespace_after=bare))
        return stmt.with_changes(value=value.with_changes(elements=[stored, *value.elements]))
    if (
        isinstance(value, cst.Call)
        and isinstance(value.func, cst.Name)
        and value.func.value == "dict"
        and all(a.keyword is not None for a in value.args)
    ):  # dict(k=v) -> "k": v
        elements: list[cst.BaseDictElement] = [
            cst.DictElement(cst.SimpleString(f'"{a.keyword.value}"'), a.value)
            for a in value.args
            if a.keyword is not None
        ]
        return stmt.with_changes(value=new_dict(fix, elements))
    return stmt.with_changes(value=new_dict(fix, [cst.StarredDictElement(value)]))
