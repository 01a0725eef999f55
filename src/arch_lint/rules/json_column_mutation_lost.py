"""ARC407 json-column-mutation-lost."""

from __future__ import annotations

import ast
import re
from typing import TYPE_CHECKING, Any

from arch_lint.findings import Fix
from arch_lint.rules._base import FileRule
from arch_lint.rules._data import analysis, mentions_json_attribute, merge_fix

if TYPE_CHECKING:
    import libcst as cst

_ITEM_SET = re.compile(rb"\]\s*(?:[-+*/%&|^@]|//|\*\*|<<|>>)?=(?!=)")
_DEL = re.compile(rb"\bdel\b")
_MUTATING_CALL = re.compile(
    rb"\.(?:update|setdefault|pop|popitem|clear|append|extend|insert|remove)\s*\("
)


def _changes(source: bytes) -> bool:
    """An in-place change somewhere in the file: `x[k] = v` (any spacing or
    operator), `|=`, `del`, or a mutating method call. One pattern each, each
    starting with a literal the search can skip to (one alternation of them all
    was tried at every byte)."""
    return (
        b"|=" in source
        or _ITEM_SET.search(source) is not None
        or _MUTATING_CALL.search(source) is not None
        or (b"del" in source and _DEL.search(source) is not None)
    )


class JsonColumnMutationLost(FileRule):
    """An in-place change to a plain JSON column, which SQLAlchemy never writes.

    ## What it does
    Flags an in-place change of an attribute that is a plain `JSON`/`JSONB`
    column of an ORM instance: a key set (`obj.x[k] = v`, `obj.x[k] += v`),
    `del obj.x[k]`, `obj.x |= new`, and `.update()`, `.setdefault()`, `.pop()`,
    `.popitem()`, `.clear()`, `.append()`, `.extend()`, `.insert()`,
    `.remove()` on it or on a nested value of it. Also the "copy" that is not one:
    `m = obj.x or {}`, `m.update(new)`, `obj.x = m` reassigns the same object, and
    `m = obj.x` followed by a change of `m` changes the column in place.

    An initialisation guard (`if obj.x is None: obj.x = {}`, `if not obj.x:`,
    `obj.x = obj.x or {}`) assigns a new dict only on the path where nothing was
    stored: a change after it is flagged, as it is lost whenever the column
    already held a dict. The same holds for `obj.x.setdefault(k, {})` and for a
    key set on its value (`obj.x.setdefault(k, {})[j] = v`).

    The ORM instance is known as for ARC406 (an annotated parameter, `self`, a
    row from `session.get(Model, ...)` or `select(Model)`, or an attribute that is
    a JSON column of exactly one table class of the service and of no Pydantic
    model of it). Not flagged: `MutableDict.as_mutable(JSON)` /
    `MutableList.as_mutable(...)` columns (tracked), a `flag_modified(obj, "x")`
    in the same function, objects created in the function (pending rows insert
    their current value), attributes assigned a new value earlier in the
    function on every path to the change (before it, in a `with` block, in every
    branch of an `if`: a guard whose `else` assigns a new dict loses nothing),
    real copies (`dict(obj.x)`, `{**obj.x}`, `obj.x.copy()`), and Pydantic
    objects or plain dicts. A new dict built from the stored one (`{**obj.x}`)
    still holds the stored values: a change inside one of them
    (`obj.x[k][j] = v`) after it is flagged, since the ORM then finds the two
    dicts equal and writes nothing.

    ## Why is this bad?
    SQLAlchemy tracks a plain JSON column by assignment only. A change made
    inside the dict leaves the attribute's history empty: the session flushes
    nothing, the commit succeeds, and the update is silently lost (reassigning
    the same object changes nothing either: the old and new values are the same
    object, so they compare equal).

    ## Example
    ```python
    # services/payments/models_db.py
    from typing import Any

    from sqlalchemy import JSON
    from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


    class Base(DeclarativeBase):
        pass


    class Payment(Base):
        __tablename__ = "payments"
        id: Mapped[int] = mapped_column(primary_key=True)
        details: Mapped[dict[str, Any]] = mapped_column(JSON)

    # services/payments/capture.py
    from services.payments.models_db import Payment


    def capture(payment: Payment, provider_ref: str) -> None:
        payment.details["provider_ref"] = provider_ref
    ```

    ## Use instead
    ```python
    # services/payments/models_db.py
    from typing import Any

    from sqlalchemy import JSON
    from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


    class Base(DeclarativeBase):
        pass


    class Payment(Base):
        __tablename__ = "payments"
        id: Mapped[int] = mapped_column(primary_key=True)
        details: Mapped[dict[str, Any]] = mapped_column(JSON)

    # services/payments/capture.py
    from services.payments.models_db import Payment


    def capture(payment: Payment, provider_ref: str) -> None:
        payment.details = {**(payment.details or {}), "provider_ref": provider_ref}
    ```

    ## How to fix
    Assign a new dict (`obj.x = {**(obj.x or {}), k: v}`), or call
    `sqlalchemy.orm.attributes.flag_modified(obj, "x")` after the change, or map
    the column as `MutableDict.as_mutable(JSON)` so that changes are tracked.
    After an initialisation guard, assign the new dict on every path: the guard
    can stay.

    ## Fix safety
    The autofix assigns a new dict built from the stored one where the change
    is a single key set or an `update` with literal items
    (`obj.x = {**(obj.x or {}), k: v}`), a `setdefault` whose value is not used
    (`obj.x = {k: d, **(obj.x or {})}`: a stored value wins, as with
    `setdefault`), or a key set on a `setdefault`'s value
    (`obj.x = {**(obj.x or {}), k: {**(obj.x or {}).get(k, d), j: v}}`). An
    initialisation guard before the change is left as it is, and the new dict
    means what the guard and the change meant together, on both of its paths.
    The fix is unsafe and needs `--unsafe-fixes`: the change is now written to
    the database, which it never was where a dict was stored, and that is a
    change in behaviour.

    ## Options
    none
    """

    code = "ARC407"
    name = "json-column-mutation-lost"
    message = (
        "`{target}` {how}, which SQLAlchemy does not track for a plain JSON "
        "column of `{model}`: the change is never written"
    )
    fix_title = (
        "Assign a new dict (`obj.x = {**(obj.x or {}), k: v}`), call `flag_modified`, "
        "or map the column with `MutableDict.as_mutable(JSON)`"
    )
    fix_safety = "unsafe"
    fix_node = "statement"
    needs_tree = True

    @classmethod
    def edit(cls, node: Any, fix: Fix) -> Any:
        """A key set becomes a new dict; so do an `update` with literal items, a
        `setdefault` and a key set on a `setdefault`'s value."""
        if fix.kind == "json-set-key":
            return _json_set_key(node, fix)
        if fix.kind == "json-setdefault":
            return _json_setdefault(node, fix)
        if fix.kind == "json-setdefault-key":
            return _json_setdefault_key(node, fix)
        return _json_update(node, fix)

    def relevant(self) -> bool:
        """A JSON attribute's name spelled and an in-place change somewhere: the
        name first, as most files spell none (and its answer is shared with
        ARC406), where `_changes` is found in most."""
        return mentions_json_attribute(self.ctx) and _changes(self.ctx.source)

    def check_tree(self, tree: ast.Module) -> None:
        for found in analysis(self.ctx, tree).mutations:
            fix = None
            if found.fix is not None:
                fix = merge_fix(self.ctx, found.node, found.target, found.fix)
            self.report_fix(found.node, fix, target=found.target, how=found.how,
                            model=found.column.model)  # fmt: skip


def _json_set_key(stmt: cst.BaseSmallStatement, fix: Fix) -> cst.BaseSmallStatement:
    """`obj.x[k] = v` -> `obj.x = {**(obj.x or {}), k: v}`."""
    import libcst as cst

    from arch_lint.rules._edits import new_dict

    if not (isinstance(stmt, cst.Assign) and len(stmt.targets) == 1):
        return stmt
    target = stmt.targets[0].target
    if not (isinstance(target, cst.Subscript) and len(target.slice) == 1):
        return stmt
    index = target.slice[0].slice
    if not isinstance(index, cst.Index):
        return stmt
    element = cst.DictElement(index.value, stmt.value)
    new_target = stmt.targets[0].with_changes(target=target.value)
    return stmt.with_changes(targets=[new_target], value=new_dict(fix, [element]))


def _json_update(stmt: cst.BaseSmallStatement, fix: Fix) -> cst.BaseSmallStatement:
    """ARC407: `obj.x.update(m, k=v)` -> `obj.x = {**(obj.x or {}), **m, "k": v}`
    (a dict literal argument is spread as its own elements)."""
    import libcst as cst

    from arch_lint.rules._edits import new_dict

    if not (isinstance(stmt, cst.Expr) and isinstance(stmt.value, cst.Call)):
        return stmt
    call = stmt.value
    if not isinstance(call.func, cst.Attribute):
        return stmt
    elements: list[cst.BaseDictElement] = []
    for arg in call.args:
        if arg.keyword is not None:
            key = cst.SimpleString(f'"{arg.keyword.value}"')
            elements.append(cst.DictElement(key, arg.value))
        elif arg.star:
            return stmt
        elif isinstance(arg.value, cst.Dict):
            inner = list(arg.value.elements)
            if inner:
                inner[-1] = inner[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
            elements.extend(inner)
        else:
            elements.append(cst.StarredDictElement(arg.value))
    if elements:
        last = elements[-1]
        elements[-1] = last.with_changes(comma=cst.MaybeSentinel.DEFAULT)
    target = call.func.value
    if not isinstance(target, cst.BaseAssignTargetExpression):
        return stmt
    return cst.Assign(
        targets=[cst.AssignTarget(target)],
        value=new_dict(fix, elements),
        semicolon=stmt.semicolon,
    )


def _json_setdefault(stmt: cst.BaseSmallStatement, fix: Fix) -> cst.BaseSmallStatement:
    """`obj.x.setdefault(k, d)` -> `obj.x = {k: d, **(obj.x or {})}`: a value
    already stored under `k` wins, as with `setdefault`."""
    import libcst as cst

    from arch_lint.rules._edits import SPACE, existing

    if not (isinstance(stmt, cst.Expr) and isinstance(stmt.value, cst.Call)):
        return stmt
    call = stmt.value
    target = call.func.value if isinstance(call.func, cst.Attribute) else None
    if not isinstance(target, cst.BaseAssignTargetExpression) or not 1 <= len(call.args) <= 2:
        return stmt
    default = call.args[1].value if len(call.args) == 2 else cst.Name("None")
    key = cst.DictElement(call.args[0].value, default, comma=cst.Comma(whitespace_after=SPACE))
    kept = existing(fix).with_changes(comma=cst.MaybeSentinel.DEFAULT)
    return cst.Assign(
        targets=[cst.AssignTarget(target)],
        value=cst.Dict([key, kept]),
        semicolon=stmt.semicolon,
    )


def _json_setdefault_key(stmt: cst.BaseSmallStatement, fix: Fix) -> cst.BaseSmallStatement:
    """`obj.x.setdefault(k, d)[j] = v` ->
    `obj.x = {**(obj.x or {}), k: {**(obj.x or {}).get(k, d), j: v}}`: the value
    stored under `k` (else `d`) gets the key, in a new dict."""
    import libcst as cst

    from arch_lint.rules._edits import SPACE, new_dict

    if not (isinstance(stmt, cst.Assign) and len(stmt.targets) == 1):
        return stmt
    target = stmt.targets[0].target
    if not (isinstance(target, cst.Subscript) and len(target.slice) == 1):
        return stmt
    index = target.slice[0].slice
    call = target.value
    if not (
        isinstance(index, cst.Index)
        and isinstance(call, cst.Call)
        and isinstance(call.func, cst.Attribute)
        and len(call.args) == 2
    ):
        return stmt
    column = call.func.value
    key, default = call.args[0].value, call.args[1].value
    stored = cst.parse_expression(f"({fix.data['target']} or {{}}).get()")
    assert isinstance(stored, cst.Call)
    stored = stored.with_changes(
        args=[cst.Arg(key, comma=cst.Comma(whitespace_after=SPACE)), cst.Arg(default)]
    )
    inner = cst.Dict(
        [
            cst.StarredDictElement(stored, comma=cst.Comma(whitespace_after=SPACE)),
            cst.DictElement(index.value, stmt.value),
        ]
    )
    if not isinstance(column, cst.BaseAssignTargetExpression):
        return stmt
    new_target = stmt.targets[0].with_changes(target=column)
    return stmt.with_changes(
        targets=[new_target], value=new_dict(fix, [cst.DictElement(key.deep_clone(), inner)])
    )
