"""ARC201 foreign-model-use."""

from __future__ import annotations

from arch_lint.rules._base import FileRule
from arch_lint.rules._imports import import_verdicts
from arch_lint.rules.cross_service_data_access import via


class ForeignModelUse(FileRule):
    """A Pydantic model of one service imported by another.

    ## What it does
    Flags an import in one service of a Pydantic model defined in another
    service (followed through re-exports to the class that defines it). On an
    import statement that also reaches the other service's data layer, ARC101
    wins; otherwise this replaces ARC102 for the statement. Models of the shared
    models package and of a service's `public` packages are not flagged.

    ## Why is this bad?
    A model that crosses a service boundary is a contract; defined inside one
    service it changes with that service's refactorings, and the importing
    service breaks (or silently drops data) without either team noticing.

    ## Example
    ```python
    # services/payments/schemas.py
    from pydantic import BaseModel


    class PaymentSummary(BaseModel):
        payment_id: str

    # services/orders/checkout.py
    from services.payments.schemas import PaymentSummary
    ```

    ## Use instead
    ```python
    # services/orders/checkout.py
    from common.models.payments import PaymentSummaryV1
    ```

    ## How to fix
    Move the model into the shared models package (versioned) and import it from
    there in both services.

    ## Options
    `services`, `shared-models`, `public`, `allow`
    """

    code = "ARC201"
    name = "foreign-model-use"
    message = "`{importer}` imports `{model}`{via}, a model of service `{owner}`"
    fix_title = "Move the model into the shared models package and import it from there"

    def check(self) -> None:
        for verdict in import_verdicts(self.ctx):
            if verdict.code != self.code:
                continue
            stmt = verdict.stmt
            target = verdict.target
            self.report(
                stmt.line,
                stmt.col,
                stmt.end_line,
                stmt.end_col,
                {
                    "importer": self.ctx.module,
                    "model": f"{target.module}.{target.name}",
                    "via": via(verdict, self.ctx.index.modules.module_of(target.spelled)),
                    "owner": verdict.owner,
                },
                peers=[verdict.owner],
            )
