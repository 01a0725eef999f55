"""ARC405 metadata-model-allows-extra."""

from __future__ import annotations

from fnmatch import fnmatchcase

from arch_lint.rules._base import FileRule
from arch_lint.rules._models import models


class MetadataModelAllowsExtra(FileRule):
    """A typed metadata model that accepts unknown keys.

    ## What it does
    Flags a Pydantic model of the shared models whose name ends in `Metadata`
    (the typed metadata models, `StorageReferenceMetadata` among them) and whose
    configuration, own or inherited, does not set `extra="forbid"`. Off by
    default.

    ## Why is this bad?
    The typed metadata overlay merges a typed model's `model_dump()` into the
    existing dict. If the model ignores unknown keys, a typo (`corelation_id`)
    validates silently and the value is dropped; with `extra="forbid"` it fails
    where it is written.

    ## Example
    ```python
    # common/models/metadata_models.py
    from pydantic import BaseModel, Field


    class ProcessingMetadata(BaseModel):
        retries: int = Field(description="How often processing was retried")
    ```

    ## Use instead
    ```python
    # common/models/metadata_models.py
    from pydantic import BaseModel, ConfigDict, Field


    class ProcessingMetadata(BaseModel):
        model_config = ConfigDict(extra="forbid")
        retries: int = Field(description="How often processing was retried")
    ```

    ## How to fix
    Set `model_config = ConfigDict(extra="forbid")` on the model or on a shared
    base class of the metadata models.
    """

    code = "ARC405"
    name = "metadata-model-allows-extra"
    message = 'metadata model `{model}` accepts unknown keys; set `extra="forbid"`'
    fix_title = 'Set `model_config = ConfigDict(extra="forbid")`'
    default_on = False

    def check(self) -> None:
        ctx = self.ctx
        if not ctx.in_shared_models:
            return
        for cls in models(ctx):
            if not fnmatchcase(cls.name.rsplit(".", 1)[-1], "*Metadata"):
                continue
            if ctx.index.models.model_config(ctx.path, cls.name).get("extra") != "forbid":
                self.report(*cls.pos, {"model": cls.name})
