"""ARC208 http-contract-outside-common."""

from __future__ import annotations

from typing import NamedTuple

from arch_lint.index.models import ClassFacts
from arch_lint.index.project import ClassRef
from arch_lint.rules._base import FileContext, FileRule
from arch_lint.rules._models import MIN_SHARED, field_overlap, models


class Contract(NamedTuple):
    """What an ARC208 finding on a model says, and the services it couples."""

    fields: dict[str, str]
    peers: tuple[str, ...]
    """Calling side: the service whose model is copied."""
    dependents: tuple[str, ...]
    """Serving side: the services that call the routes (their edges in
    `arch-lint graph` run to the serving service, and carry the finding)."""


def http_contract(ctx: FileContext, cls: ClassFacts) -> Contract | None:
    """The ARC208 finding on a model of this file, or None: the request or
    response model of a route that another service calls (serving side), or a
    copy of such a model of a route this service calls (calling side). ARC203
    and ARC207 leave such a model to ARC208."""
    service = ctx.service
    if service is None or ctx.in_shared_models:
        return None
    http = ctx.index.http
    uses = http.contracts.get(ClassRef(ctx.path, cls.name))
    if uses:
        route, role = uses[0]
        callers = sorted(http.callers.get(route, ()))
        who = ", ".join(f"`{c}`" for c in callers)
        what = (
            f"is the {role} model of `{route.method} {route.shown}` of service "
            f"`{route.service}`, which {'service' if len(callers) == 1 else 'services'} "
            f"{who} {'calls' if len(callers) == 1 else 'call'}, outside the shared models"
        )
        everyone = {c for used, _ in uses for c in http.callers.get(used, ())}
        return Contract({"model": cls.name, "what": what}, (), tuple(sorted(everyone)))
    called = http.called_by(service.name)
    if not called:
        return None
    mine = ctx.index.models.field_signature(ctx.path, cls.name)
    if len(mine) < MIN_SHARED:
        return None
    best: tuple[float, str, str] | None = None
    for ref, route, role in called:
        if ctx.is_shared_model(ref.path):
            continue  # a copy of a shared model is ARC207's
        overlap = field_overlap(ctx.index, mine, ref.path, ref.qualname)
        if overlap is None:
            continue
        common, union = overlap
        label = f"{ctx.index.modules.module_of(ref.path)}.{ref.qualname}"
        what = (
            f"copies `{label}`, the {role} model of `{route.method} {route.shown}` of service "
            f"`{route.service}` ({common} of {union} fields alike)"
        )
        if best is None or common / union > best[0]:
            best = (common / union, what, route.service)
    if best is None:
        return None
    return Contract({"model": cls.name, "what": best[1]}, (best[2],), ())


class HttpContractOutsideCommon(FileRule):
    """An HTTP contract between two services kept inside one of them.

    ## What it does
    Flags, through the HTTP map (`ctx.index.http`: the routes each service
    serves, and the calls each makes resolved to a route of another service):
    - **serving side**: the request or response model of a route that another
      service of the repository calls, defined inside the serving service
      instead of the shared models, whatever its name;
    - **calling side**: a model of the calling service whose fields copy such
      a model (ARC207's overlap rule: the Jaccard index over (name, normalised
      type) pairs at least 0.8, with at least 3 fields in common); the message
      names both models.

    A route that no service of the repository calls (only the outside world
    does) is no evidence: its models are not flagged. Calls whose URL the map
    cannot resolve to a service, or whose path matches no route, are no
    evidence either. A route's path is its router's prefix and those of the
    includes that mount it; a prefix read from a setting
    (`prefix=settings.API_V1_STR`) is the one default the service declares for
    that name (`API_V1_STR: str = "/api/v1"`), where the environment may set
    another; a name with several defaults, or none, leaves the route out.
    ARC208 replaces ARC203 and ARC207 on the same model.
    The finding sits on the model's class line.

    ## Why is this bad?
    The calling service cannot import a model of another service (ARC201), so
    it hand-builds dicts or keeps its own copy, which drifts: the serving team
    adds a field or changes a type, the copy does not, and data is dropped or
    rejected at run time, where no schema check looks.

    ## Example
    ```python
    # services/pricing/api.py
    from fastapi import APIRouter
    from pydantic import BaseModel

    router = APIRouter(prefix="/internal/v1")


    class QuoteRequest(BaseModel):
        sku: str
        qty: int


    @router.post("/quotes")
    async def create_quote(body: QuoteRequest) -> None: ...

    # services/orders/client.py
    import httpx

    PRICING_URL = "http://pricing:8000"


    async def quote(http: httpx.AsyncClient, body: dict) -> None:
        await http.post(f"{PRICING_URL}/internal/v1/quotes", json=body)
    ```

    ## Use instead
    ```python
    # common/models/pricing.py
    from pydantic import BaseModel, Field


    class QuoteRequestV1(BaseModel):
        sku: str = Field(description="Stock keeping unit")
        qty: int = Field(description="How many")

    # services/pricing/api.py
    from fastapi import APIRouter

    from common.models.pricing import QuoteRequestV1

    router = APIRouter(prefix="/internal/v1")


    @router.post("/quotes")
    async def create_quote(body: QuoteRequestV1) -> None: ...
    ```

    ## How to fix
    Move the model into the shared models package (versioned: `QuoteRequestV1`)
    and import it in both services; delete the consumer-side copy.

    ## Options
    `models.service-urls`, `models.infer-service-urls`
    """

    code = "ARC208"
    name = "http-contract-outside-common"
    message = "model `{model}` {what}"
    fix_title = "Move the contract into the shared models and import it on both sides"

    def check(self) -> None:
        ctx = self.ctx
        if ctx.service is None or ctx.in_shared_models or ctx.facts.classes == []:
            return
        for cls in models(ctx):
            found = http_contract(ctx, cls)
            if found is not None:
                self.report(*cls.pos, found.fields, peers=found.peers, dependents=found.dependents)
