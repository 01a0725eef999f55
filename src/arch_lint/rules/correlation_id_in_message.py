"""ARC303 correlation-id-in-message."""

from __future__ import annotations

import ast

from arch_lint.config.resolve import Settings
from arch_lint.rules import _logging
from arch_lint.rules._base import FileRule
from arch_lint.rules.log_missing_correlation_id import call_text


class CorrelationIdInMessage(FileRule):
    """The correlation id in the message text instead of a structured field.

    ## What it does
    Flags a call of a known logger that puts the correlation id into its message
    (an f-string, `%` or `.format()` formatting, or a lazy `%s` argument) without
    also passing it as a structured field. It replaces ARC301 on that call.

    ## Why is this bad?
    Log pipelines index fields, not sentences: a search for
    `correlation_id:"abc"` misses the line, and every team formats the id into
    its messages differently.

    ## Example
    ```python
    # services/orders/handlers.py
    import logging

    logger = logging.getLogger(__name__)


    def handle(correlation_id: str) -> None:
        logger.info(f"order received ({correlation_id})")
    ```

    ## Use instead
    ```python
    # services/orders/handlers.py
    import logging

    logger = logging.getLogger(__name__)


    def handle(correlation_id: str) -> None:
        logger.info("order received", extra={"correlation_id": correlation_id})
    ```

    ## How to fix
    Pass the id as a field (`extra={"correlation_id": ...}` or a structlog
    keyword) and drop it from the text.
    """

    code = "ARC303"
    name = "correlation-id-in-message"
    message = "log call `{call}` puts the correlation id in its message, not in `{key}`"
    fix_title = "Pass the correlation id as a structured field"
    needs_tree = True

    @classmethod
    def applies(cls, settings: Settings, source: bytes) -> bool:
        return _logging.applies(source)

    def check_tree(self, tree: ast.Module) -> None:
        found = _logging.analysis(self.ctx, tree)
        for item in found.calls:
            if item.in_message and item.carries is False:
                self.report_node(item.call, call=call_text(item.call), key=found.key)
