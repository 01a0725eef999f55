"""ARC205 raw-storage-reference."""

from __future__ import annotations

import re
from fnmatch import fnmatchcase

from arch_lint.rules._base import FileRule
from arch_lint.rules._models import models

STORAGE_NAMES = (
    "*_path", "*_uri", "s3_*", "gcs_*", "blob_*", "*_blob", "storage_*", "*_storage_key",
    "bucket", "bucket_*", "*_bucket", "object_key", "*_object_key", "file_id", "*_file_id",
    "*_location",
)  # fmt: skip
_RAW_TYPES = re.compile(r"^(?:Optional\[)?(str|Path|AnyUrl|FileUrl|pathlib\.Path)\]?( \| None)?$")


class RawStorageReference(FileRule):
    """A shared model field that points at stored data with a raw string.

    ## What it does
    Flags a field of a shared model whose name says it references stored data
    (`*_path`, `*_uri`, `s3_*`, `bucket*`, `*_object_key`, `file_id`, …) and
    whose type is a bare `str`, `Path` or URL rather than the storage reference
    model (`storage-reference-class`, `StorageReferenceMetadata`). Off by
    default: the names are a heuristic.

    ## Why is this bad?
    A raw path loses what a consumer needs to read the data safely: the store,
    the bucket, the content type, the checksum, the version. Each consumer then
    re-derives them, differently.

    ## Example
    ```python
    # common/models/reports.py
    from pydantic import BaseModel, Field


    class ReportReadyV1(BaseModel):
        report_path: str = Field(description="Where the rendered report is")
    ```

    ## Use instead
    ```python
    # common/models/reports.py
    from pydantic import BaseModel, Field

    from common.models.metadata_models import StorageReferenceMetadata


    class ReportReadyV1(BaseModel):
        report: StorageReferenceMetadata = Field(description="The rendered report")
    ```

    ## How to fix
    Type the field with the storage reference model.

    ## Options
    `models.storage-reference-class`
    """

    code = "ARC205"
    name = "raw-storage-reference"
    message = "field `{model}.{field}` references stored data as a raw `{type}`; use `{ref}`"
    fix_title = "Use the storage reference model for references to stored data"
    default_on = False

    def check(self) -> None:
        ctx = self.ctx
        if not ctx.in_shared_models:
            return
        ref = ctx.settings.model.models.storage_reference_class
        for cls in models(ctx):
            if cls.name.rsplit(".", 1)[-1] == ref:
                continue
            for fld in cls.fields:
                match = _RAW_TYPES.match(fld.annotation)
                if match and any(fnmatchcase(fld.name, p) for p in STORAGE_NAMES):
                    self.report(
                        *fld.pos,
                        {"model": cls.name, "field": fld.name, "type": match.group(1), "ref": ref},
                    )
