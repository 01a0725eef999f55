"""ARC101 cross-service-data-access."""

from __future__ import annotations

from arch_lint.rules._base import FileRule
from arch_lint.rules._imports import Verdict, import_verdicts


def via(verdict: Verdict, ctx_module_of: str | None) -> str:
    """` through `pkg`` when the import spelled another module than the one it reaches."""
    if ctx_module_of and ctx_module_of != verdict.target.module:
        return f" through `{ctx_module_of}`"
    return ""


class CrossServiceDataAccess(FileRule):
    """Import of another service's data-store layer.

    ## What it does
    Flags an import in one service that resolves into the data layer of another
    service: its ORM models, repositories, sessions, engines, tables or
    migrations. The data layer is what the `data-layer` globs match inside a
    service folder (`models_db.py`, `db/**`, `repositories/**`, …) and, with
    `data-layer-by-content`, any module of a service that declares ORM tables
    (`__tablename__`, `Table(...)`, a `DeclarativeBase`) or builds engines,
    sessions or connections (`create_async_engine`, `async_sessionmaker`,
    `asyncpg.create_pool`, …).

    Every import form counts: absolute and relative imports, imports inside
    functions, `TYPE_CHECKING` imports (a type-level dependency on another
    service's tables still breaks when that service migrates), and
    `importlib.import_module("…")` / `__import__("…")` with a literal name. A name
    imported through a package `__init__` that re-exports it is followed to the
    module that defines it.

    ## Why is this bad?
    Each service owns its data store. Importing another service's ORM models or
    sessions couples two deployments to one schema: a migration in `payments`
    breaks `orders`, and `orders` can write rows that `payments` never validated.

    ## Example
    ```python
    # services/orders/handlers.py
    from services.payments.models_db import Payment
    ```

    ## Use instead
    ```python
    # services/orders/handlers.py
    from common.models.payments import PaymentStatusV1  # via payments' API or events
    ```

    ## How to fix
    Ask the owning service: call its API (through its public client package, see
    `public`) or consume the events it publishes, with the payload models from the
    shared models package. Where a read really is deliberate (a reporting read
    replica, say), record it as an `[[tool.arch_lint.allow]]` entry with a
    `reason`.

    ## Options
    `services`, `data-layer`, `data-layer-by-content`, `allow`
    """

    code = "ARC101"
    name = "cross-service-data-access"
    message = "`{importer}` imports `{target}`{via}, the data layer of service `{owner}`{why}"
    fix_title = "Go through the owning service's API or events instead of its data layer"

    def check(self) -> None:
        for verdict in import_verdicts(self.ctx):
            if verdict.code != self.code:
                continue
            stmt = verdict.stmt
            reason = verdict.reason
            self.report(
                stmt.line,
                stmt.col,
                stmt.end_line,
                stmt.end_col,
                dict(
                    importer=self.ctx.module,
                    target=verdict.target.module,
                    via=via(verdict, self.ctx.index.modules.module_of(verdict.target.spelled)),
                    owner=verdict.owner,
                    why="" if reason.startswith("matches") else f" (it {reason})",
                ),
                peers=[verdict.owner],
            )
