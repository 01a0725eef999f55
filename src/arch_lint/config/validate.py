"""Check a `[tool.arch_lint]` table with pydantic, against the models of `model.py`.

Imported only when a configuration has to be validated (it is new, changed, or
`--no-cache`): building pydantic's validators costs about a tenth of a second,
more than the rest of a small warm run. The pydantic models are derived from
the dataclasses of `model.py` (field names, types with their `Code` and
`NonEmpty` checks, defaults), so the table is described in one place; the
validated table comes back as those dataclasses, through the same `from_json`
that reads a cached configuration.
"""

from __future__ import annotations

import dataclasses
import typing
from functools import cache
from typing import Annotated, Any, get_args, get_origin

from pydantic import BaseModel, ConfigDict, Field, create_model

from arch_lint.config.model import ArchLintConfig, alias

_CONFIG = ConfigDict(
    extra="forbid",
    frozen=True,
    alias_generator=alias,
    populate_by_name=False,
    strict=True,
)


def validate(table: dict[str, Any]) -> ArchLintConfig:
    """The table as the configuration; pydantic's `ValidationError` names every bad key."""
    checked = _model(ArchLintConfig).model_validate(table)
    return ArchLintConfig.from_json(checked.model_dump(mode="json", by_alias=True))


@cache
def _model(table: type[Any]) -> type[BaseModel]:
    """A pydantic model with the dataclass's fields, types and defaults."""
    hints = typing.get_type_hints(table, include_extras=True)
    spec: dict[str, Any] = {}
    for f in dataclasses.fields(table):
        kind = _swap(hints[f.name])
        if f.default is not dataclasses.MISSING:
            spec[f.name] = (kind, f.default)
        elif f.default_factory is not dataclasses.MISSING:
            spec[f.name] = (kind, Field(default_factory=f.default_factory))
        else:
            spec[f.name] = (kind, ...)
    model: type[BaseModel] = create_model(table.__name__, __config__=_CONFIG, **spec)
    return model


def _swap(kind: Any) -> Any:
    """The type with every nested table (a dataclass) replaced by its model."""
    if dataclasses.is_dataclass(kind) and isinstance(kind, type):
        return _model(kind)
    origin, args = get_origin(kind), get_args(kind)
    if origin is Annotated:
        params = (_swap(args[0]), *kind.__metadata__)
        return Annotated[params]
    if origin in (list, dict):
        return origin[tuple(_swap(a) for a in args)]
    return kind
