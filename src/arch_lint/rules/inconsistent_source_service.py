"""ARC211 inconsistent-source-service."""

from __future__ import annotations

from collections import Counter

from arch_lint.index.layout import Service
from arch_lint.index.source_service import (
    BY_MAJORITY,
    BY_SETTINGS,
    TIE,
    ServiceStamps,
    SourceServices,
    repr_name,
)
from arch_lint.rules._base import FileRule

_FILES_SHOWN = 3


class InconsistentSourceService(FileRule):
    """An envelope's `source_service` that is not the name of its service.

    ## What it does
    Compares every `source_service` a service stamps on the envelope with the
    name the service goes by, as exact strings. A stamp is a
    `source_service=...` argument of a call of the envelope class
    (`envelope-class`, `EventEnvelope` by default), of a subclass of it, or of
    an alias of either (`OrderEnvelope = EventEnvelope[OrderPlaced]`), or a
    `"source_service"` key of a dict literal validated into one
    (`EventEnvelope.model_validate({...})`). Its value is a string literal or a
    module constant bound to one, also one imported from another module of the
    project where the constant's name says it may name something (`SERVICE`,
    `SOURCE`, `APP_NAME`, `ORIGIN`, ...; a constant of the stamp's own module
    whatever its name).

    The service's name is the one its own settings declare: a `SERVICE_NAME` /
    `service_name` field with a literal default in a settings class (a
    `BaseSettings`, a dataclass, a class named `*Settings` or `*Config`) named
    as the service's own settings are (`Settings`, `AppConfig`,
    `ServiceSettings`, `OrdersSettings` in service `orders`), or a module
    constant `SERVICE_NAME` (a literal, or the default of
    `os.getenv("SERVICE_NAME", ...)`) in a module named as settings or an
    entry point are (`config.py`, `settings.py`, `constants.py`, `main.py`,
    `app.py`, `__init__.py`, a module under `config/`). The settings of a
    client of another service (`PaymentsClientSettings`) or of a library
    (`TracingConfig`), a `SERVICE_NAME` of any other module (a client's
    `payments_client.py`), and a value that names another service of the
    repository never give the service's name. Where the settings declare
    none (or disagree), it is the value most of the service's stamps use;
    where two values are used equally often, every stamp is reported.

    A stamp is flagged when its value:
    - names another service of the repository (`-` and `_` alike, an optional
      `-service` suffix): always, also when most stamps use it;
    - differs from the settings' name, or from the value most stamps use.

    The finding lists every value the service stamps, how often and in which
    files. Not judged, and no vote: a value read from the settings
    (`settings.SERVICE_NAME`, `self.settings.service_name`, a constant bound
    to one or to an environment variable): it is the settings' name; a value
    arch-lint cannot know (a parameter, an instance attribute such as
    `self.source_service_name`, a call); stamps in files excluded from
    checking (tests build other services' events on purpose); stamps outside
    every service; a stamp that forwards another envelope's value
    (`source_service=incoming.source_service`).

    ## Why is this bad?
    Consumers route, filter and alert on `source_service` by exact string. A
    service that stamps `"orders-service"` in some publishers and
    `"orders_service"` in others has a consumer filtering on one spelling
    silently drop the other's events, and a copied publisher that still stamps
    another service's name sends its events in that service's name. The field
    is present (ARC204 holds) and still lies.

    ## Example
    ```python
    # services/orders/config.py
    from pydantic_settings import BaseSettings


    class Settings(BaseSettings):
        SERVICE_NAME: str = "orders"

    # services/orders/publisher.py
    from common.models.envelope import EventEnvelope


    def envelope(data: dict[str, str]) -> EventEnvelope:
        return EventEnvelope(source_service="orders-service", data=data)
    ```

    ## Use instead
    ```python
    # services/orders/config.py
    from pydantic_settings import BaseSettings


    class Settings(BaseSettings):
        SERVICE_NAME: str = "orders"


    settings = Settings()

    # services/orders/publisher.py
    from common.models.envelope import EventEnvelope
    from services.orders.config import settings


    def envelope(data: dict[str, str]) -> EventEnvelope:
        return EventEnvelope(source_service=settings.SERVICE_NAME, data=data)
    ```

    ## How to fix
    Read the name from the service's settings in every publisher
    (`source_service=settings.SERVICE_NAME`), or stamp the one name the
    message suggests. Where the settings declare no name, declare one.

    ## Options
    `services`, `exclude`, `models.envelope-class`
    """

    code = "ARC211"
    name = "inconsistent-source-service"
    message = "`source_service` is {value}, {problem}; service `{service}` stamps {values}{remedy}"
    fix_title = "Stamp the service's name from its settings"

    def check(self) -> None:
        ctx = self.ctx
        stamping = ctx.facts.stamping
        service = ctx.service
        if stamping is None or not stamping.stamps or service is None:
            return
        index = ctx.index.source_services
        entry = index.service(service.name)
        if entry is None:
            return
        for stamp in index.stamps_of(ctx.path):
            if stamp.value is None:
                continue  # read from the settings: the settings' name
            other = index.names_other_service(service, stamp.value)
            problem = _problem(entry, stamp.value, other)
            if problem is None:
                continue
            fields = {
                "value": repr_name(stamp.value),
                "problem": problem,
                "service": service.name,
                "values": self._values(entry),
                "remedy": _remedy(entry, other, index),
            }
            self.report(*stamp.pos, fields)

    def _values(self, entry: ServiceStamps) -> str:
        """Every value the service stamps: how often, and where."""
        index = self.ctx.index.source_services
        files: dict[str | None, list[str]] = {}
        for stamp in entry.stamps:
            shown = files.setdefault(stamp.value, [])
            rel = index.relative(stamp.path)
            if rel not in shown:
                shown.append(rel)
        counts: Counter[str | None] = Counter(s.value for s in entry.stamps)
        order = sorted(counts, key=lambda v: (-counts[v], v is None, v or ""))
        parts = []
        for value in order:
            listed = files[value][:_FILES_SHOWN]
            more = ", …" if len(files[value]) > _FILES_SHOWN else ""
            if value is None:
                name = "the settings' name"
                if entry.how == BY_SETTINGS and entry.canonical is not None:
                    name = f"the settings' {repr_name(entry.canonical)}"
            else:
                name = repr_name(value)
            parts.append(f"{name} ({counts[value]}: {', '.join(listed)}{more})")
        return ", ".join(parts)


def _problem(entry: ServiceStamps, value: str, other: Service | None) -> str | None:
    """What is wrong with a stamped value, or None."""
    if other is not None:
        return f"which names service `{other.name}`"
    canonical = entry.canonical
    if entry.how == BY_SETTINGS and canonical is not None and value != canonical:
        where = "; ".join(sorted(entry.declared[canonical]))
        return f"not {repr_name(canonical)}, the name its settings declare ({where})"
    if entry.how == BY_MAJORITY and canonical is not None and value != canonical:
        return f"not {repr_name(canonical)}, which most of its stamps use"
    if entry.how == TIE:
        return "and no name is used more often than the others nor declared in its settings"
    return None


def _remedy(entry: ServiceStamps, other: Service | None, index: SourceServices) -> str:
    """The way out: the name to stamp, where one is sure."""
    canonical = entry.canonical
    if canonical is None:
        return "; declare the name in the service's settings and stamp it from there"
    if other is not None and index.names_other_service(entry.service, canonical):
        # most stamps name that other service too: nothing to copy from them
        return f"; stamp the name of service `{entry.service.name}`"
    if entry.how == BY_SETTINGS:
        return f"; use the settings' {repr_name(canonical)}"
    return f"; use {repr_name(canonical)}"
