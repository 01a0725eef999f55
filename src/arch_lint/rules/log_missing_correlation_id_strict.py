"""ARC302 log-missing-correlation-id-strict."""

from __future__ import annotations

import ast

from arch_lint.config.resolve import Settings
from arch_lint.rules import _logging
from arch_lint.rules._base import FileRule
from arch_lint.rules.log_missing_correlation_id import call_text


class LogMissingCorrelationIdStrict(FileRule):
    """Any log call inside a function without a correlation id.

    ## What it does
    The strict form of ARC301, off by default: flags a call of a known logger
    inside a function that does not carry the correlation id when none is in
    scope either. Never on the same call as ARC301 (which needs an id in scope),
    never in module-level code. A route handler of a service that shows no
    request-scoped correlation (no installed middleware, dependency or hook
    provides an id, see ARC301) has none in scope: its calls are flagged here.

    ## Why is this bad?
    In a code base where every unit of work should know its correlation id, a
    function that logs without one usually lost it on the way: its caller had
    the id and did not pass it down.

    ## Example
    ```python
    # services/orders/pricing.py
    import logging

    logger = logging.getLogger(__name__)


    def reprice(order_id: str) -> None:
        logger.info("repricing")
    ```

    ## Use instead
    ```python
    # services/orders/pricing.py
    import logging

    logger = logging.getLogger(__name__)


    def reprice(order_id: str, correlation_id: str) -> None:
        logger.info("repricing", extra={"correlation_id": correlation_id})
    ```

    ## How to fix
    Pass the correlation id down from the caller (or bind it into structlog
    contextvars at the entry point) and put it on the log call.
    """

    code = "ARC302"
    name = "log-missing-correlation-id-strict"
    message = "log call `{call}` has no `{key}` and none is in scope"
    fix_title = "Pass the correlation id down to this function and log it"
    default_on = False
    needs_tree = True

    @classmethod
    def applies(cls, settings: Settings, source: bytes) -> bool:
        return _logging.applies(source)

    def check_tree(self, tree: ast.Module) -> None:
        found = _logging.analysis(self.ctx, tree)
        for item in found.calls:
            function = item.scope.function()
            if item.carries is not False or item.in_message or function is None:
                continue
            if found.id_for(item) is not None:  # an id is at hand: ARC301, not this
                continue
            if item.presumed is not None:  # a route handler with an id in scope: ARC301's
                continue
            self.report_node(item.call, call=call_text(item.call), key=found.key)
