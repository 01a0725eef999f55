"""ARC209 unversioned-shared-model."""

from __future__ import annotations

import re

from arch_lint.index.event_evidence import CONSUMED, PAYLOAD, PUBLISHED, Verdict
from arch_lint.index.model_index import ClassRef
from arch_lint.index.project import ProjectIndex
from arch_lint.rules._base import FileRule
from arch_lint.rules._models import models

_NAME_VERSION = re.compile(r"(?:(?<=[a-z0-9])|^)V\d+(?:_\d+)*(?=$|[A-Z_])|(?:^|_)[vV]\d+(?=$|_)")
"""A version in a class name: `OrderPlacedV1`, `OrderPlacedV2Data`, `V1Order`,
`order_placed_v2` (not `IPv4Address`, `DEV1`)."""
_PATH_VERSION = re.compile(r"(?i)(?:^|[_\-.])v\d+(?:[_.]\d+)*(?:alpha\d*|beta\d*)?(?:$|[_\-.])")
"""A version in a folder or module name: `v1/`, `orders_v2.py`, `api-v1/`,
`v1beta1/`."""
_MAX_NESTING = 3


def versioned_name(name: str) -> bool:
    """Whether a class name carries a version (`OrderPlacedV1`, `Order_v2`)."""
    return _NAME_VERSION.search(name) is not None


def versioned_path(path: str) -> bool:
    """Whether a file's path carries a version (`events/v1/orders.py`, `orders_v2.py`)."""
    parts = path.split("/")
    parts[-1] = parts[-1].removesuffix(".py")
    return any(_PATH_VERSION.search(part) for part in parts)


def is_inter_service_contract(index: ProjectIndex, path: str, qualname: str) -> bool:
    """Whether the model is the request or response model of a route that
    another service of the repository calls (the HTTP map's `contracts`, as
    ARC208 reads them)."""
    return inter_service_contract(index, path, qualname) is not None


def inter_service_contract(index: ProjectIndex, path: str, qualname: str) -> str | None:
    """The evidence that the model is an inter-service contract (the route, its
    service and who calls it), or None."""
    http = index.http
    uses = http.contracts.get(ClassRef(path, qualname))
    if not uses:
        return None
    route, role = uses[0]
    callers = ", ".join(f"`{c}`" for c in sorted(http.callers.get(route, ())))
    return (
        f"the {role} model of `{route.method} {route.shown}` of service `{route.service}`, "
        f"called by {callers}"
    )


class UnversionedSharedModel(FileRule):
    """A shared event payload or HTTP contract whose name and module path carry no version.

    ## What it does
    Flags a Pydantic model in the shared-model packages that is a contract
    between services and carries no version, neither in its name (`…V1`,
    `…V2Data`, `…_v2`) nor in its module path (a `v1/` package, `orders_v2.py`,
    `api-v1/`). A model is a contract where the code of the services shows it
    to be an event payload, by the evidence ARC202 uses: the data of the
    envelope (`EventEnvelope[OrderPlaced]`), published on a message broker
    (not on an in-process event bus), consumed by a subscriber, or (for a
    model named like an event) validated where a broker client is imported.
    The message names the evidence and suggests the versioned name
    (`OrderPlaced` -> `OrderPlacedV1`; `OrderPlacedV3` where `OrderPlacedV2`
    stands beside it).

    Not flagged, where the evidence is unsure or the model is no contract of
    its own:
    - a model whose only sign of being an event is its name, or that it
      inherits a shared event base: nothing shows that it is exchanged;
    - evidence from excluded files only (tests build events of their own);
    - a base other models of the project derive from (`BaseEventData`,
      `DomainEvent`): its subclasses are the contracts;
    - the envelope and its subclasses: the envelope carries versioned
      payloads, it is not one;
    - a helper model that a versioned model holds (`items: list[OrderLine]`
      in `OrderPlacedV1`, also a few levels down): it is part of that
      contract, versioned with it.

    A model is an inter-service contract where it is the request or response
    model of a route that another service of the repository calls, by the
    HTTP map ARC208 reads (a call whose URL resolves to the serving service and
    whose path matches the route); a route only the outside world calls is no
    evidence, nor a call the map cannot resolve.

    ## Why is this bad?
    The standard says shared models SHOULD be versioned, by location or by
    name. A contract without a version has nowhere to go when it must change
    incompatibly: `schema-diff` advises adding `OrderPlacedV2` beside
    `OrderPlacedV1`, and a model named `OrderPlaced` leaves producers and
    consumers to guess which shape it means.

    ## Example
    ```python
    # common/models/events.py
    from pydantic import BaseModel, Field


    class OrderPlaced(BaseModel):
        order_id: str = Field(description="The order's id")

    # services/orders/publish.py
    from aiokafka import AIOKafkaProducer

    from common.models.events import OrderPlaced


    async def placed(producer: AIOKafkaProducer, order_id: str) -> None:
        event = OrderPlaced(order_id=order_id)
        await producer.send_and_wait("orders", event.model_dump_json().encode())
    ```

    ## Use instead
    ```python
    # common/models/events.py
    from pydantic import BaseModel, Field


    class OrderPlacedV1(BaseModel):
        order_id: str = Field(description="The order's id")

    # services/orders/publish.py
    from aiokafka import AIOKafkaProducer

    from common.models.events import OrderPlacedV1


    async def placed(producer: AIOKafkaProducer, order_id: str) -> None:
        event = OrderPlacedV1(order_id=order_id)
        await producer.send_and_wait("orders", event.model_dump_json().encode())
    ```

    ## How to fix
    Rename the model with a version suffix (`OrderPlacedV1`), or move it into a
    versioned package (`common/models/events/v1/`). To keep old imports
    working, leave an alias (`OrderPlaced = OrderPlacedV1`: `schema-diff`
    counts it as the same model).

    ## Options
    `shared-models`, `models.envelope-class`, `models.event-name-patterns`,
    `models.publish-calls`
    """

    code = "ARC209"
    name = "unversioned-shared-model"
    message = (
        "shared {what} `{model}` carries no version in its name nor in its module path "
        "`{path}` ({why}); name it {versioned}"
    )
    fix_title = "Add a version to the model's name or its module path"
    default_on = False

    def check(self) -> None:
        ctx = self.ctx
        if not ctx.in_shared_models or versioned_path(ctx.path):
            return
        index = ctx.index
        siblings = {c.name for c in ctx.facts.classes}
        for cls in models(ctx):
            if any(versioned_name(part) for part in cls.name.split(".")):
                continue
            if index.source_services.is_envelope(ctx.path, cls.name):
                continue
            contract = self._contract(cls.name)
            if contract is None or self._held_by_versioned(ClassRef(ctx.path, cls.name), 0):
                continue
            what, why = contract
            fields = {
                "what": what,
                "model": cls.name,
                "path": ctx.path,
                "why": why,
                "versioned": _versioned(cls.name.rsplit(".", 1)[-1], siblings),
            }
            self.report(*cls.pos, fields)

    def _contract(self, qualname: str) -> tuple[str, str] | None:
        """What contract between services the model is, and the evidence; None
        where it is none."""
        index = self.ctx.index
        path = self.ctx.path
        if index.models.is_base(path, qualname):
            return None  # a base of other models: they are the contracts
        verdict = index.events.use_verdict(path, qualname)
        if verdict is not None:
            return "event payload", _why(verdict)
        found = inter_service_contract(index, path, qualname)
        if found is not None:
            return "inter-service contract", found
        return None

    def _held_by_versioned(self, ref: ClassRef, depth: int) -> bool:
        """Whether a versioned model holds the model in a field (at a few
        levels' distance): it is part of that contract."""
        if depth >= _MAX_NESTING:
            return False
        index = self.ctx.index
        for outer in index.events.holders(*ref):
            if not index.models.is_model(*outer):
                continue
            named = any(versioned_name(part) for part in outer.qualname.split("."))
            if named or versioned_path(outer.path) or self._held_by_versioned(outer, depth + 1):
                return True
        return False


def _versioned(short: str, siblings: set[str]) -> str:
    """`OrderPlaced` -> `OrderPlacedV1`, or the version after the highest
    `OrderPlacedV<n>` defined beside it (named)."""
    pattern = re.compile(re.escape(short) + r"V(\d+)")
    found = {int(m.group(1)): name for name in siblings if (m := pattern.fullmatch(name))}
    if not found:
        return f"`{short}V1`"
    latest = max(found)
    return f"`{short}V{latest + 1}` (`{found[latest]}` stands beside it)"


def _why(verdict: Verdict) -> str:
    """The evidence, as the message names it."""
    if verdict.kind == PAYLOAD:
        return f"the data of `{verdict.detail}` in `{verdict.where}`"
    if verdict.kind == PUBLISHED:
        return f"published with `{verdict.detail}` in `{verdict.where}`"
    if verdict.kind == CONSUMED:
        return f"consumed by `{verdict.detail}` in `{verdict.where}`"
    return f"validated in `{verdict.where}`, which imports `{verdict.detail}`"
