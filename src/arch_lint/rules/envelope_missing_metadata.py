"""ARC204 envelope-missing-metadata."""

from __future__ import annotations

from arch_lint.rules._base import FileRule
from arch_lint.rules._models import models


class EnvelopeMissingMetadata(FileRule):
    """The event envelope lacks a standard metadata field.

    ## What it does
    Checks the envelope model (`envelope-class`, `EventEnvelope` by default)
    defined in the shared models: it must have every field of
    `envelope-fields` (`event_id`, `event_timestamp`, `source_service`,
    `correlation_id`), its own or inherited from a base model.

    ## Why is this bad?
    Consumers deduplicate on `event_id`, order on `event_timestamp`, route and
    debug on `source_service`, and trace a request across services with
    `correlation_id`. An envelope without one of them breaks that for every event.

    ## Example
    ```python
    # common/models/events.py
    from pydantic import BaseModel, Field


    class EventEnvelope(BaseModel):
        event_id: str = Field(description="Unique id, for deduplication")
        data: dict[str, str] = Field(description="The payload")
    ```

    ## Use instead
    ```python
    # common/models/events.py
    from datetime import datetime

    from pydantic import BaseModel, Field


    class EventEnvelope(BaseModel):
        event_id: str = Field(description="Unique id, for deduplication")
        event_timestamp: datetime = Field(description="When the event happened (UTC)")
        source_service: str = Field(description="The producing service")
        correlation_id: str = Field(description="Id of the request that caused it")
        data: dict[str, str] = Field(description="The payload")
    ```

    ## How to fix
    Add the missing fields to the envelope (optional at first, if old producers
    must keep working, and required in its next version).

    ## Options
    `models.envelope-class`, `models.envelope-fields`
    """

    code = "ARC204"
    name = "envelope-missing-metadata"
    message = "envelope `{model}` lacks {missing}"
    fix_title = "Add the standard metadata fields to the envelope"

    def check(self) -> None:
        ctx = self.ctx
        if not ctx.in_shared_models:
            return
        cfg = ctx.settings.model.models
        for cls in models(ctx):
            if cls.name.rsplit(".", 1)[-1] != cfg.envelope_class:
                continue
            present = ctx.index.models.all_field_names(ctx.path, cls.name)
            missing = [f for f in cfg.envelope_fields if f not in present]
            if missing:
                listed = ", ".join(f"`{m}`" for m in missing)
                self.report(*cls.pos, {"model": cls.name, "missing": listed})
