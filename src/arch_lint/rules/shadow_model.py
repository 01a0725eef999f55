"""ARC207 shadow-model."""

from __future__ import annotations

from arch_lint.rules._base import FileRule
from arch_lint.rules._models import MIN_SHARED, field_overlap, models
from arch_lint.rules.http_contract_outside_common import http_contract


class ShadowModel(FileRule):
    """A service model that copies a shared model or another service's model.

    ## What it does
    Compares each Pydantic model of a service with the shared models and with
    the models of other services, by their fields as (name, normalised type)
    pairs. A model is a shadow when the Jaccard index of the two sets is at least
    0.8 and they share at least 3 fields. The copy inside a service is reported;
    when two services hold the copies, both are. Off by default.

    ## Why is this bad?
    A consumer-side copy of a contract drifts: the producer adds a field or
    changes a type, the copy does not, and data is dropped or rejected at run
    time, where no schema check looks.

    ## Example
    ```python
    # common/models/orders.py
    from pydantic import BaseModel, Field


    class OrderPlacedV1(BaseModel):
        order_id: str = Field(description="Public order id")
        customer_id: str = Field(description="Who ordered")
        total_cents: int = Field(description="Total in cents, tax included")

    # services/shipping/models.py
    from pydantic import BaseModel


    class OrderPlaced(BaseModel):  # a copy of common.models.orders.OrderPlacedV1
        order_id: str
        customer_id: str
        total_cents: int
    ```

    ## Use instead
    ```python
    # services/shipping/models.py
    from common.models.orders import OrderPlacedV1
    ```

    ## How to fix
    Import the shared model. If the service needs only part of it, that is fine
    for a reader (extra fields are ignored by default), but say so by building it
    from the shared model rather than by copying fields.
    """

    code = "ARC207"
    name = "shadow-model"
    message = "model `{model}` copies `{other}`, {whose} ({shared} of {total} fields alike)"
    fix_title = "Import the shared model instead of copying it"
    default_on = False

    def check(self) -> None:
        ctx = self.ctx
        if ctx.service is None or ctx.in_shared_models:
            return
        for cls in models(ctx):
            mine = ctx.index.models.field_signature(ctx.path, cls.name)
            if len(mine) < MIN_SHARED:
                continue
            best = None
            related = {(p, c.name) for p, c in ctx.index.models.ancestors(ctx.path, cls.name)}
            for path, other in ctx.index.models.models_sharing_fields(mine, MIN_SHARED):
                if (path == ctx.path and other == cls.name) or (path, other) in related:
                    continue
                if (ctx.path, cls.name) in {
                    (p, c.name) for p, c in ctx.index.models.ancestors(path, other)
                }:
                    continue  # the other one subclasses this one
                owner = ctx.service_of(path)
                shared = ctx.is_shared_model(path)
                if owner == ctx.service or (owner is None and not shared):
                    continue
                overlap = field_overlap(ctx.index, mine, path, other)
                if overlap is not None:
                    common, union = overlap
                    whose = f"a model of service `{owner.name}`" if owner else "a shared model"
                    label = f"{ctx.index.modules.module_of(path)}.{other}"
                    if best is None or common / union > best[0]:
                        peer = () if owner is None else (owner.name,)
                        best = (common / union, label, whose, common, union, peer)
            if best is not None and http_contract(ctx, cls) is None:  # else ARC208's
                _, label, whose, common, union, peer = best
                fields = {"model": cls.name, "other": label, "whose": whose}
                self.report(
                    *cls.pos,
                    {**fields, "shared": str(common), "total": str(union)},
                    peers=peer,
                )
