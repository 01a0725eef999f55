"""The `[tool.arch_lint]` table as pydantic models (SPEC §3).

Keys are kebab-case; unknown keys and wrong types are errors. Every key has a
default that fits the common layout (`services/<name>/…`, `common/models/…`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_snake

_CODE = re.compile(r"^ARC\d{0,3}$")


def _kebab(name: str) -> str:
    return to_snake(name).replace("_", "-")


CodeCheck = Callable[[str], "str | None"]
"""Why a well-formed code or prefix names no rule, or None when it names one."""

_REGISTRY: list[CodeCheck] = []
"""The check against the rule registry, once `arch_lint.rules` has installed it."""


def register_code_check(check: CodeCheck) -> None:
    """Install the check of codes against the rule registry.

    `arch_lint.rules` calls it when it is imported: the configuration sits below
    the rules and never imports them, so the registry comes to it. Every entry
    point (the CLI, the flake8 plugin) imports the rules before it reads a
    configuration; a caller that validates a table without them gets the shape
    check only.
    """
    _REGISTRY[:] = [check]


def check_code(value: str) -> str:
    """A code (`ARC101`) or prefix (`ARC1`) of `select`, `extend-select`, `ignore`,
    `per-path-ignores` or an `allow` entry's `codes`, and of the command line's
    `--select` & co.: `ARC` and digits, naming at least one rule of the registry
    (or a code the specification reserves for a rule still to come)."""
    if not _CODE.match(value):
        raise ValueError(f"`{value}` is not an arch-lint code or prefix (ARC followed by digits)")
    for check in _REGISTRY:
        problem = check(value)
        if problem is not None:
            raise ValueError(problem)
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
    """Codes or prefixes to enable (replaces the default set). Each must name a
    rule of this version (`arch-lint rules`), or be a code that SPEC §4 reserves
    for a rule not implemented yet (ARC208-ARC211): those are accepted silently
    and check nothing until a version implements them, so that a configuration
    written for a newer arch-lint keeps working. The same holds for
    `extend-select`, `ignore`, `per-path-ignores` and the command line."""
    extend_select: list[Code] = Field(default_factory=list)
    ignore: list[Code] = Field(default_factory=list)
    allow: list[AllowEntry] = Field(default_factory=list)
    logging: LoggingConfig = Field(default_factory=LoggingConfig)
    models: ModelsConfig = Field(default_factory=ModelsConfig)
    schema_: SchemaConfig = Field(default_factory=SchemaConfig, alias="schema")
    baseline: str = "arch-lint-baseline.json"
    """The baseline file (`arch-lint baseline` writes it, `check` honours it when it
    exists), relative to the project root."""
