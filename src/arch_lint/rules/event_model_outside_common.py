"""ARC202 event-model-outside-common."""

from __future__ import annotations

from fnmatch import fnmatchcase

from arch_lint.rules._base import FileRule
from arch_lint.rules._models import models


class EventModelOutsideCommon(FileRule):
    """An event payload model defined outside the shared models.

    ## What it does
    Flags a Pydantic model defined outside the shared-model packages that is an
    event payload: it is used as the data of the envelope anywhere in the project
    (`EventEnvelope[OrderShipped]`, `EventEnvelope(data=OrderShipped(...))`), it
    inherits from an event base class of the shared models, or its name matches
    `event-name-patterns` (`*Event`, `*EventV1`, `*Payload*`, …). The finding sits
    on the class line.

    ## Why is this bad?
    An event is a contract between the producer and every consumer. Defined
    inside the producing service, consumers either import that service's code
    (ARC201) or keep a copy that drifts (ARC207), and no schema check sees a
    breaking change.

    ## Example
    ```python
    # services/payments/schemas.py
    from pydantic import BaseModel, Field


    class RefundIssuedEvent(BaseModel):
        refund_id: str = Field(description="Refund identifier")
    ```

    ## Use instead
    ```python
    # services/payments/schemas.py
    from pydantic import BaseModel, Field


    class RefundRow(BaseModel):  # service-internal, not an event
        refund_id: str = Field(description="Refund identifier")
    ```

    ## How to fix
    Move the model into the shared models package (versioned, e.g.
    `RefundIssuedV1`) and import it from there in the producer and the consumers.
    If the name only looks like an event, rename it or narrow `event-name-patterns`.

    ## Options
    `shared-models`, `models.event-name-patterns`, `models.envelope-class`
    """

    code = "ARC202"
    name = "event-model-outside-common"
    message = "event payload `{model}` is defined in `{module}`, outside the shared models ({why})"
    fix_title = "Move the event model into the shared models package"

    def check(self) -> None:
        ctx = self.ctx
        if ctx.in_shared_models:
            return
        cfg = ctx.settings.model.models
        patterns = cfg.event_name_patterns
        for cls in models(ctx):
            short = cls.name.rsplit(".", 1)[-1]
            if short == cfg.envelope_class:
                continue
            why = None
            if ctx.index.models.is_payload(ctx.path, cls.name):
                why = f"used as `{cfg.envelope_class}` data"
            else:
                base = ctx.index.models.shared_event_base(ctx.path, cls.name, patterns)
                if base is not None:
                    why = f"inherits the shared event base `{base}`"
                elif any(fnmatchcase(short, p) for p in patterns):
                    why = "named like an event"
            if why is not None:
                self.report(*cls.pos, {"model": cls.name, "module": ctx.module, "why": why})
