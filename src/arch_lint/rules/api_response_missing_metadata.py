"""ARC210 api-response-missing-metadata."""

from __future__ import annotations

import re
from fnmatch import fnmatchcase

from arch_lint.index.evidence import logging_evidence
from arch_lint.index.http_map import RouteRef
from arch_lint.index.model_index import MODEL_BASES, ClassRef, ModelIndex
from arch_lint.rules._base import FileRule
from arch_lint.rules._models import models

_PROBES = re.compile(r"(?i)^(?:health.*|ready.*|live.*|metrics|ping)$")
"""A path segment of a probe or a metrics route: `/health`, `/healthz`,
`/api/v1/health/db`, `/readyz`, `/liveness`, `/metrics`, `/ping`."""
_PLAIN_BASES = frozenset(
    {*MODEL_BASES, "typing.Generic", "typing_extensions.Generic", "abc.ABC", "object"}
)
"""Bases outside the project that add no field to a model."""
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_MAX_ROUTES = 3


def _probe(route: RouteRef) -> bool:
    """A health, readiness, liveness or metrics route (or one hidden from the schema)."""
    return route.hidden or any(_PROBES.match(part) for part in route.shown.split("/") if part)


def _names(index: ModelIndex, ref: ClassRef) -> set[str] | None:
    """The keys the model's answer may carry: each field's name and aliases,
    inherited ones and `@computed_field`s included, each also in snake_case
    (`requestId` -> `request_id`); None where a base outside the project may
    add fields nobody can see."""
    chain = [ref, *(ClassRef(path, cls.name) for path, cls in index.ancestors(*ref))]
    names: set[str] = set()
    for where in chain:
        cls = index.class_facts(*where)
        if cls is None:
            return None
        written = [b for b in cls.bases if b]
        resolved = index.bases(*where)
        if len(resolved) != len(written):
            return None  # a base nobody can resolve
        if any(isinstance(b, str) and b not in _PLAIN_BASES for b in resolved):
            return None  # a library's model: its fields are unknown
        for found in index.all_fields(*where).values():
            if not found.exclude:
                names.update(n for n in (found.name, found.alias, found.serialization_alias) if n)
        for found in cls.computed:
            names.update(n for n in (found.name, found.serialization_alias) if n)
    return names | {_CAMEL.sub("_", n).lower() for n in names}


def _missing(names: set[str], groups: list[list[str]]) -> list[list[str]]:
    """The groups none of whose names (globs) the model has."""
    return [g for g in groups if not any(fnmatchcase(n, p) for n in names for p in g)]


def _header_names(header: str) -> set[str]:
    """The names a response header counts as: `X-Request-ID` -> `x-request-id`,
    `request-id`, `request_id`."""
    bare = header.lower().removeprefix("x-")
    return {header.lower(), bare, bare.replace("-", "_")}


def _either(group: list[str]) -> str:
    quoted = [f"`{name}`" for name in group]
    if len(quoted) == 1:
        return quoted[0]
    return ", ".join(quoted[:-1]) + " or " + quoted[-1]


def _routes(uses: list[RouteRef]) -> str:
    """`GET /items/{item_id}`, `POST /items` of service `catalog` (and 2 more)."""
    shown = sorted(uses, key=lambda r: (r.service, r.shown, r.method))
    by_service: dict[str, list[str]] = {}
    for route in shown[:_MAX_ROUTES]:
        by_service.setdefault(route.service, []).append(f"`{route.method} {route.shown}`")
    text = " and ".join(
        f"{', '.join(paths)} of service `{service}`" for service, paths in by_service.items()
    )
    more = len(shown) - _MAX_ROUTES
    return text + (f" (and {more} more)" if more > 0 else "")


class ApiResponseMissingMetadata(FileRule):
    """A route's response model without a request id or a timestamp.

    ## What it does
    Flags a Pydantic model that routes of the repository's services answer
    with, and that lacks a field of one of the `models.api-response-fields`
    groups (by default a request id, `request_id`, and a timestamp,
    `timestamp`, `*_at` or `*_timestamp`). The routes come from the HTTP map
    (`response_model=`, the return annotation, `@validate_response(...)`, or
    the model every `return` of the handler gives); the model is the one the
    answer is (`-> ItemOut`), or the generic wrapper the value is returned in
    (`-> ApiResponse[ItemOut]`, `response_model=Envelope[list[ItemOut]]`):
    then only the wrapper's fields count, and the finding is the wrapper's.

    A field counts by its name and by its aliases (`alias=`,
    `serialization_alias=`: a route writes the alias, a reader may know
    either), inherited fields and `@computed_field`s count, and a camelCase
    name counts as its snake_case spelling (`requestId` is `request_id`). A
    field with `exclude=True` is never written, so it does not count.

    A response header counts as well where every answer carries it: one that a
    middleware installed for the service's whole app sets
    (`response.headers["X-Request-ID"] = request_id` in its code or the
    project functions it calls, asgi-correlation-id's
    `CorrelationIdMiddleware`), by its name without `X-` (`X-Request-ID`
    counts as `request-id` and `request_id`). A middleware that is defined but
    never installed, or installed on one router only, is no evidence. The
    header's name is read from a literal or a constant of the middleware's own
    module; a name imported from another module (`from .headers import
    REQUEST_ID_HEADER`) is not followed yet, so such a header does not count
    and the model may be reported (a known limit).

    The finding sits on the model's class line, once per model, and names the
    routes that answer with it and the groups it lacks.

    Not judged, where no single object answers or the model's fields cannot
    be seen:
    - routes that answer with a list (`list[ItemOut]`: a JSON array has no
      place for metadata; wrap it, `ApiResponse[list[ItemOut]]`, to have it
      judged), a dict, a `Response` of the framework, a stream, `None`, or a
      union of models;
    - health, readiness, liveness and metrics routes (a path segment
      `health*`, `ready*`, `live*`, `metrics` or `ping`) and routes with
      `include_in_schema=False`;
    - routes outside the services (a script's app) and in excluded files;
    - a model defined outside the checked files (a library's), a root model
      (its JSON is its root value), a model with a base from a library
      (`CamelModel` of a package) or with `extra="allow"`: its keys are not
      all known.

    ## Why is this bad?
    The standard says API responses SHOULD carry relevant metadata: a request
    id lets a caller quote the exact request when a support ticket or a log
    search starts, and a timestamp says when the answer was true. Added later,
    they change every response model one by one.

    ## Example
    ```python
    # services/catalog/api.py
    from fastapi import APIRouter
    from pydantic import BaseModel

    router = APIRouter()


    class ItemOut(BaseModel):
        sku: str
        title: str


    @router.get("/items/{sku}")
    async def read_item(sku: str) -> ItemOut:
        return ItemOut(sku=sku, title="A book")
    ```

    ## Use instead
    ```python
    # services/catalog/api.py
    from datetime import datetime, timezone
    from typing import Generic, TypeVar

    from fastapi import APIRouter
    from pydantic import BaseModel

    router = APIRouter()
    T = TypeVar("T")


    class ItemOut(BaseModel):
        sku: str
        title: str


    class ApiEnvelope(BaseModel, Generic[T]):
        request_id: str
        timestamp: datetime
        data: T


    @router.get("/items/{sku}")
    async def read_item(sku: str) -> ApiEnvelope[ItemOut]:
        item = ItemOut(sku=sku, title="A book")
        return ApiEnvelope(request_id="r1", timestamp=datetime.now(timezone.utc), data=item)
    ```

    ## How to fix
    Add the missing fields to the model (or to a base it shares with the other
    response models), or return the value in a generic wrapper that carries
    them (`ApiResponse[ItemOut]`), filled from the request's id and the
    current time.

    ## Options
    `models.api-response-fields` (a list of groups; one name of each group,
    a glob, must be a field, an alias or a header every answer carries)
    """

    code = "ARC210"
    name = "api-response-missing-metadata"
    message = "{what} `{model}` of {routes} has no field named {missing}"
    fix_title = "Add a request id and a timestamp to the response model, or answer in a wrapper"
    default_on = False

    def check(self) -> None:
        ctx = self.ctx
        if not ctx.facts.classes:
            return
        replies = ctx.index.http.replies
        if not replies:
            return
        groups = ctx.settings.model.models.api_response_fields
        index = ctx.index.models
        evidence = logging_evidence(ctx.index)
        for cls in models(ctx):
            ref = ClassRef(ctx.path, cls.name)
            uses = [(r, wrapped) for r, wrapped in replies.get(ref, ()) if not _probe(r)]
            if not uses or index.is_root_model(*ref):
                continue
            if index.model_config(*ref).get("extra") == "allow":
                continue  # it may carry keys it does not declare
            names = _names(index, ref)
            if names is None:
                continue
            missing = _missing(names, groups)
            if missing:
                # a header every answer carries: set by a middleware of each service
                services = {r.service for r, _ in uses}
                headers = set.intersection(
                    *(set(evidence.response_headers(s)) for s in sorted(services))
                )
                sent = {n for h in headers for n in _header_names(h)}
                missing = _missing(names | sent, missing)
            if not missing:
                continue
            wrapper = all(wrapped for _, wrapped in uses)
            fields = {
                "what": "response wrapper" if wrapper else "response model",
                "model": cls.name,
                "routes": _routes([r for r, _ in uses]),
                "missing": ", nor one named ".join(_either(g) for g in missing),
            }
            self.report(*cls.pos, fields)
