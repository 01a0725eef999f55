"""ARC102 cross-service-import."""

from __future__ import annotations

from arch_lint.rules._base import FileRule
from arch_lint.rules._imports import import_verdicts
from arch_lint.rules.cross_service_data_access import via


class CrossServiceImport(FileRule):
    """Import of another service's internal module.

    ## What it does
    Flags an import in one service of any module of another service that is not
    part of that service's public surface (the `public` globs, e.g. a `client/`
    package) and not its data layer (that is ARC101). Imports of shared
    libraries and of the shared models package are fine: they belong to no
    service. A name imported through another service's package `__init__` is
    followed to the module that defines it, so a re-exported shared model is not
    flagged, while a re-exported internal is.

    An import whose top-level name is also a module beside the importer, in a
    folder that is no package (`import settings` in `services/safety/main.py`,
    next to `services/safety/settings.py`, no `__init__.py`), is not flagged
    when a source root of another service holds that name too: a service run
    from its folder (`python main.py`) imports its neighbour, and which way it
    runs is not in the code. In a package (with an `__init__.py`) Python
    resolves the import from the source root, and it is judged as written.

    ## Why is this bad?
    A service's internals change with that service's releases. Importing them
    makes two services one deployment unit in disguise: a refactor of
    `payments.domain` breaks `orders`, and the two can no longer be released,
    scaled or owned separately.

    ## Example
    ```python
    # services/orders/checkout.py
    from services.payments.domain.fees import card_fee
    ```

    ## Use instead
    ```python
    # services/orders/checkout.py
    from services.payments.client import PaymentsClient  # the public client
    ```

    ## How to fix
    Use the other service's public client package or its events. If the code is
    really shared, move it to a shared library or the shared models package. If a
    package of the service is meant to be imported by others, list it under
    `public` (e.g. `public = ["client/**"]`).

    ## Options
    `services`, `public`, `allow`
    """

    code = "ARC102"
    name = "cross-service-import"
    message = "`{importer}` imports `{target}`{via}, an internal module of service `{owner}`"
    fix_title = "Use the service's public client or its events, or move shared code out"

    def check(self) -> None:
        for verdict in import_verdicts(self.ctx):
            if verdict.code != self.code:
                continue
            stmt = verdict.stmt
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
                ),
                peers=[verdict.owner],
            )
