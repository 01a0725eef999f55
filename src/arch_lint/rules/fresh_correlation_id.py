"""ARC304 fresh-correlation-id."""

from __future__ import annotations

import ast

from arch_lint.config.resolve import Settings
from arch_lint.rules import _logging
from arch_lint.rules._base import FileRule


class FreshCorrelationId(FileRule):
    """A new id given as the correlation id while an incoming one is in scope.

    ## What it does
    Flags a fresh id passed as the correlation id of a log call, of a bound
    logger or of the event envelope, in a function that has a concrete incoming
    id (a parameter, a local, or a carrier's attribute; the route-handler
    presumption does not count). `incoming or uuid4()` is fine: it keeps the
    incoming id; so is a new id where the path proves none came in (under
    `if not correlation_id:`, see ARC301).

    A fresh id is a call of `uuid.uuid1` / `uuid4` / `uuid7`,
    `secrets.token_hex` / `token_urlsafe`, `shortuuid.uuid` or ulid's
    `ulid.new` / `ULID` (imported at module level, under any alias), also as
    text (`str(uuid4())`, `uuid4().hex`, `ulid.new().str`).

    ## Why is this bad?
    A fresh id starts a new chain: everything after this point can no longer be
    joined to the request that caused it, which defeats the id's purpose.

    ## Example
    ```python
    # services/orders/publisher.py
    from uuid import uuid4

    from common.models.events import EventEnvelope


    def publish(order: object, correlation_id: str) -> EventEnvelope:
        return EventEnvelope(data=order, correlation_id=str(uuid4()))
    ```

    ## Use instead
    ```python
    # services/orders/publisher.py
    from common.models.events import EventEnvelope


    def publish(order: object, correlation_id: str) -> EventEnvelope:
        return EventEnvelope(data=order, correlation_id=correlation_id)
    ```

    ## How to fix
    Pass the incoming id on; create a new one only where none came in
    (`correlation_id or str(uuid4())`).
    """

    code = "ARC304"
    name = "fresh-correlation-id"
    message = "a new id is given as the correlation id of {where} while `{incoming}` came in"
    fix_title = "Pass the incoming correlation id on"
    needs_tree = True

    @classmethod
    def applies(cls, settings: Settings, source: bytes) -> bool:
        return _logging.fresh_applies(source)

    def check_tree(self, tree: ast.Module) -> None:
        for fresh in _logging.analysis(self.ctx, tree).fresh:
            self.report_node(fresh.node, where=fresh.where, incoming=fresh.incoming)
