"""ARC203 dto-outside-common."""

from __future__ import annotations

from fnmatch import fnmatchcase

from arch_lint.rules._base import FileRule
from arch_lint.rules._models import models
from arch_lint.rules.http_contract_outside_common import http_contract


class DtoOutsideCommon(FileRule):
    """An API DTO-named model defined in a service instead of the shared models.

    ## What it does
    Flags a Pydantic model defined inside a service whose name matches
    `dto-name-patterns` (`*Request*`, `*Response*`, `*DTO`). Off by default: many
    services keep the request and response models of their own public API in the
    service, and only the ones other services consume belong in the shared models.

    ## Why is this bad?
    A DTO that another service sends or receives is a contract. Kept inside one
    service, the other side copies it or imports it from the service (ARC201).

    ## Example
    ```python
    # services/orders/api_models.py
    from pydantic import BaseModel, Field


    class CreateOrderRequest(BaseModel):
        sku: str = Field(description="Stock keeping unit")
    ```

    ## Use instead
    ```python
    # services/orders/api_models.py
    from common.models.orders import CreateOrderRequestV1
    ```

    ## How to fix
    Move the model to the shared models package and import it from there, or
    narrow `dto-name-patterns` to the names your teams use for shared DTOs.

    ## Options
    `models.dto-name-patterns`
    """

    code = "ARC203"
    name = "dto-outside-common"
    message = "API model `{model}` is defined in service `{service}`, outside the shared models"
    fix_title = "Move the DTO into the shared models package"
    default_on = False

    def check(self) -> None:
        ctx = self.ctx
        if ctx.service is None or ctx.in_shared_models:
            return
        patterns = ctx.settings.model.models.dto_name_patterns
        for cls in models(ctx):
            if any(fnmatchcase(cls.name.rsplit(".", 1)[-1], p) for p in patterns):
                if http_contract(ctx, cls) is not None:
                    continue  # ARC208's
                self.report(*cls.pos, {"model": cls.name, "service": ctx.service.name})
