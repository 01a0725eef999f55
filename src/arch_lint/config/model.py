"""The `[tool.arch_lint]` table as pydantic models (SPEC §3).

Keys are kebab-case; unknown keys and wrong types are errors. Every key has a
default that fits the common layout (`services/<name>/…`, `common/models/…`).
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_snake

_CODE = re.compile(r"^ARC\d{0,3}$")


def _kebab(name: str) -> str:
    return to_snake(name).replace("_", "-")


# Every code of the specification, implemented in this version or not yet: a
# configuration may name a planned code, never one that does not exist.
SPEC_CODES = frozenset(
    [
        *("ARC000", "ARC001", "ARC002", "ARC101", "ARC102", "ARC103", "ARC104"),
        *("ARC201", "ARC202", "ARC203", "ARC204", "ARC205", "ARC206", "ARC207"),
        *("ARC301", "ARC302", "ARC303", "ARC304"),
        *("ARC401", "ARC402", "ARC403", "ARC404", "ARC405", "ARC406", "ARC407"),
        *("ARC501", "ARC502", "ARC503", "ARC504", "ARC505", "ARC506", "ARC507"),
    ]
)


def check_code(value: str) -> str:
    if not _CODE.match(value):
        raise ValueError(f"`{value}` is not an arch-lint code or prefix (ARC followed by digits)")
    if not any(code.startswith(value) for code in SPEC_CODES):
        raise ValueError(f"`{value}` is not an arch-lint code; `arch-lint rules` lists them")
    return value


Code = Annotated[str, AfterValidator(check_code)]


class _Table(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        alias_generator=_kebab,
        populate_by_name=False,
        strict=True,
    )


class AllowEntry(_Table):
    """A known, documented exception to the import rules."""

    from_: str = Field(alias="from", description="glob of the importing file")
    import_: str = Field(alias="import", description="imported module, or prefix ending in .*")
    reason: str = Field(min_length=1, description="why the exception exists")
    codes: list[Code] = Field(default_factory=list, description="limit to these codes")


class LoggingConfig(_Table):
    correlation_fields: list[str] = Field(default_factory=lambda: ["correlation_id"])
    logger_factories: list[str] = Field(
        default_factory=lambda: ["logging.getLogger", "structlog.get_logger", "structlog.getLogger"]
    )
    correlation_carriers: list[str] = Field(
        default_factory=lambda: ["EventEnvelope", "CorrelationContext"]
    )
    request_handlers_have_correlation: bool = True
    middleware_binds_contextvars: bool = False
    structlog_factories: list[str] = Field(default_factory=list)


class ModelsConfig(_Table):
    event_name_patterns: list[str] = Field(
        default_factory=lambda: ["*Event", "*EventV[0-9]*", "*EventData*", "*Payload*"]
    )
    dto_name_patterns: list[str] = Field(
        default_factory=lambda: ["*Request*", "*Response*", "*DTO"]
    )
    metadata_attributes: list[str] = Field(default_factory=lambda: ["metadata", "*_metadata"])
    envelope_class: str = "EventEnvelope"
    envelope_fields: list[str] = Field(
        default_factory=lambda: ["event_id", "event_timestamp", "source_service", "correlation_id"]
    )
    storage_reference_class: str = "StorageReferenceMetadata"
    field_rules_scope: Literal["shared", "all"] = "shared"
    allow_any: list[str] = Field(default_factory=list)
    service_urls: dict[str, str] = Field(default_factory=dict)
    publish_calls: list[str] = Field(
        default_factory=lambda: [
            "*.publish",
            "*.publish_event",
            "*.send_and_wait",
            "*producer.send",
        ]
    )


class SchemaConfig(_Table):
    compatibility: Literal["backward", "forward", "full"] = "full"
    snapshot: str = "arch-lint-schema.json"


DEFAULT_DATA_LAYER = (
    "models_db.py",
    "db/**",
    "database/**",
    "**/*repository*.py",
    "repositories/**",
    "persistence/**",
    "alembic/**",
    "migrations/**",
)

DEFAULT_EXCLUDE = (
    "**/tests/**",
    "**/test_*.py",
    "**/*_test.py",
    "**/conftest.py",
    "**/alembic/versions/**",
    "**/migrations/versions/**",
    ".git/**",
    ".venv/**",
    "venv/**",
    ".tox/**",
    "build/**",
    "dist/**",
    "node_modules/**",
    "__pypackages__/**",
)


class ArchLintConfig(_Table):
    """The whole `[tool.arch_lint]` table."""

    source_roots: list[str] = Field(default_factory=lambda: ["."])
    services: list[str] = Field(default_factory=lambda: ["services/*"])
    public: list[str] = Field(default_factory=list)
    shared_models: list[str] = Field(default_factory=lambda: ["common/models"])
    data_layer: list[str] = Field(default_factory=lambda: list(DEFAULT_DATA_LAYER))
    data_layer_by_content: bool = True
    exclude: list[str] = Field(default_factory=lambda: list(DEFAULT_EXCLUDE))
    extend_exclude: list[str] = Field(default_factory=list)
    respect_gitignore: bool = True
    per_path_ignores: dict[str, list[Code]] = Field(default_factory=dict)
    select: list[Code] = Field(default_factory=list)
    extend_select: list[Code] = Field(default_factory=list)
    ignore: list[Code] = Field(default_factory=list)
    allow: list[AllowEntry] = Field(default_factory=list)
    logging: LoggingConfig = Field(default_factory=LoggingConfig)
    models: ModelsConfig = Field(default_factory=ModelsConfig)
    schema_: SchemaConfig = Field(default_factory=SchemaConfig, alias="schema")
    baseline: str = "arch-lint-baseline.json"
    """The baseline file (`arch-lint baseline` writes it, `check` honours it when it
    exists), relative to the project root."""
