"""The `[tool.arch_lint]` table (SPEC §3) as plain frozen dataclasses.

Keys are kebab-case (`source-roots` is the field `source_roots`, `from` is
`from_`); unknown keys and wrong types are errors. Every key has a default that
fits the common layout (`services/<name>/…`, `common/models/…`).

These classes are the one description of the table: field names, types and
defaults. `config/validate.py` builds the pydantic models that check a table
from them, and runs only when a configuration is not in the cache: a run whose
configuration is unchanged rebuilds it with `ArchLintConfig.from_json` from the
validated JSON it cached, and never imports pydantic. The `Code` and
`NonEmpty` markers carry their checks to pydantic without importing it here.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from typing import Annotated, Any, ClassVar, Literal, TypeVar

_CODE = re.compile(r"^ARC\d{0,3}$")


def alias(name: str) -> str:
    """The TOML key of a field: `source_roots` -> `source-roots`, `from_` -> `from`."""
    return name.rstrip("_").replace("_", "-")


CodeCheck = Callable[[str], "str | None"]
"""Why a well-formed code or prefix names no rule, or None when it names one."""

_REGISTRY: list[CodeCheck] = []
"""The check against the rule registry, once `arch_lint.rules` has installed it."""

_LOADERS: list[Callable[[], object]] = []
"""What installs the registry when a code is first checked (see
`register_code_check_loader`)."""


def register_code_check(check: CodeCheck) -> None:
    """Install the check of codes against the rule registry.

    `arch_lint.rules` calls it when it is imported: the configuration sits below
    the rules and never imports them, so the registry comes to it. A caller
    that validates a table without it gets the shape check only.
    """
    _REGISTRY[:] = [check]


def register_code_check_loader(load: Callable[[], object]) -> None:
    """Install what imports the rule registry the first time a code is checked.

    The entry points (the CLI, the flake8 plugin) install one instead of
    importing every rule at start-up: a run whose configuration comes from the
    cache checks no code and never needs the registry; one that validates a
    table (or a `--select` on the command line) loads it first.
    """
    _LOADERS[:] = [load]


def check_code(value: str) -> str:
    """A code (`ARC101`) or prefix (`ARC1`) of `select`, `extend-select`, `ignore`,
    `per-path-ignores` or an `allow` entry's `codes`, and of the command line's
    `--select` & co.: `ARC` and digits, naming at least one rule of the registry
    (or a code the specification reserves for a rule still to come)."""
    if not _CODE.match(value):
        raise ValueError(f"`{value}` is not an arch-lint code or prefix (ARC followed by digits)")
    if not _REGISTRY and _LOADERS:
        _LOADERS.pop()()
    for check in _REGISTRY:
        problem = check(value)
        if problem is not None:
            raise ValueError(problem)
    return value


class _After:
    """`Annotated` metadata: a check pydantic runs after the type's own (through
    pydantic's `__get_pydantic_core_schema__` hook, so that nothing here imports
    pydantic)."""

    def __init__(self, check: Callable[[str], str]) -> None:
        self.check = check

    def __get_pydantic_core_schema__(self, source: Any, handler: Any) -> Any:
        from pydantic_core import core_schema

        return core_schema.no_info_after_validator_function(self.check, handler(source))


class _MinLength:
    """`Annotated` metadata: a string of at least this many characters."""

    def __init__(self, length: int) -> None:
        self.length = length

    def __get_pydantic_core_schema__(self, source: Any, handler: Any) -> Any:
        return {**handler(source), "min_length": self.length}


Code = Annotated[str, _After(check_code)]
NonEmpty = Annotated[str, _MinLength(1)]
NameGroup = Annotated[list[NonEmpty], _MinLength(1)]
"""Names (globs) of which one must be present: an empty group could never be met."""

T = TypeVar("T", bound="_Table")


def _is_str_list(value: object) -> bool:
    return isinstance(value, list) and all(type(v) is str for v in value)


_SHAPES: dict[str, Callable[[object], bool]] = {
    "str": lambda v: type(v) is str,
    "NonEmpty": lambda v: type(v) is str and v != "",
    "bool": lambda v: type(v) is bool,
    "bool | Literal['auto']": lambda v: type(v) is bool or v == "auto",
    "list[str]": _is_str_list,
    "list[Code]": _is_str_list,
    "list[NameGroup]": lambda v: (
        isinstance(v, list) and all(_is_str_list(g) and g and "" not in g for g in v)
    ),
    "dict[str, str]": lambda v: (
        isinstance(v, dict) and all(type(k) is str and type(x) is str for k, x in v.items())
    ),
    "dict[str, list[Code]]": lambda v: (
        isinstance(v, dict) and all(type(k) is str and _is_str_list(x) for k, x in v.items())
    ),
}
"""What `from_json` accepts for each annotation (a `Literal` takes one of its
strings); a field of another type needs its line here, or a nested table."""


def _dump(value: Any) -> Any:
    if isinstance(value, _Table):
        return value.to_json()
    if isinstance(value, list | tuple):
        return [_dump(v) for v in value]
    if isinstance(value, dict):
        return {k: _dump(v) for k, v in value.items()}
    return value


class _Table:
    """A table of the configuration: `to_json` writes it with the TOML keys (as
    pydantic's `model_dump(mode="json", by_alias=True)` did), `from_json` reads
    that back, checking each value's shape (a damaged cache entry raises
    `ValueError`, never becomes a configuration)."""

    _NESTED: ClassVar[dict[str, type[_Table]]] = {}
    """Fields that hold tables (`allow` holds a list of them)."""

    def to_json(self) -> dict[str, Any]:
        return {alias(f.name): _dump(getattr(self, f.name)) for f in fields(self)}  # type: ignore[arg-type]

    @classmethod
    def from_json(cls: type[T], data: object) -> T:
        if not isinstance(data, dict):
            raise ValueError(f"`{cls.__name__}` is not a table")
        values: dict[str, Any] = {}
        for f in fields(cls):  # type: ignore[arg-type]
            key = alias(f.name)
            if key not in data:
                raise ValueError(f"`{key}` is missing")
            value = data[key]
            nested = cls._NESTED.get(f.name)
            if nested is not None and isinstance(value, list):
                value = [nested.from_json(v) for v in value]
            elif nested is not None:
                value = nested.from_json(value)
            elif not _shape_ok(str(f.type), value):
                raise ValueError(f"`{key}` has the wrong type")
            values[f.name] = value
        if len(data) != len(values):
            raise ValueError(f"`{cls.__name__}` has unknown keys")
        return cls(**values)


def _shape_ok(annotation: str, value: object) -> bool:
    if annotation.startswith("Literal["):
        return type(value) is str and repr(value) in annotation
    return _SHAPES[annotation](value)


@dataclass(frozen=True)
class AllowEntry(_Table):
    """A known, documented exception to the import rules."""

    from_: str
    """Glob of the importing file."""
    import_: str
    """Imported module, or prefix ending in `.*`."""
    reason: NonEmpty
    """Why the exception exists."""
    codes: list[Code] = field(default_factory=list)
    """Limit to these codes."""


@dataclass(frozen=True)
class LoggingConfig(_Table):
    correlation_fields: list[str] = field(default_factory=lambda: ["correlation_id"])
    correlation_headers: list[str] = field(
        default_factory=lambda: ["X-Correlation-ID", "X-Request-ID"]
    )
    logger_factories: list[str] = field(
        default_factory=lambda: ["logging.getLogger", "structlog.get_logger", "structlog.getLogger"]
    )
    correlation_carriers: list[str] = field(
        default_factory=lambda: ["EventEnvelope", "CorrelationContext"]
    )
    request_handlers_have_correlation: bool | Literal["auto"] = "auto"
    """true: every route handler has an id in scope; false: none has; "auto":
    those of a service that installs a middleware, dependency or hook that
    provides one (SPEC §4 "Evidence before presumption")."""
    middleware_binds_contextvars: bool | Literal["auto"] = "auto"
    """true: a route handler's structlog calls carry the id; false: no logging
    pipeline adds it; "auto": where the project shows a pipeline that does."""
    structlog_factories: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class ModelsConfig(_Table):
    event_name_patterns: list[str] = field(
        default_factory=lambda: ["*Event", "*EventV[0-9]*", "*EventData*", "*Payload*"]
    )
    dto_name_patterns: list[str] = field(
        default_factory=lambda: ["*Request*", "*Response*", "*DTO"]
    )
    metadata_attributes: list[str] = field(default_factory=lambda: ["metadata", "*_metadata"])
    envelope_class: str = "EventEnvelope"
    envelope_fields: list[str] = field(
        default_factory=lambda: ["event_id", "event_timestamp", "source_service", "correlation_id"]
    )
    storage_reference_class: str = "StorageReferenceMetadata"
    api_response_fields: list[NameGroup] = field(
        default_factory=lambda: [["request_id", "request-id"], ["timestamp", "*_at", "*_timestamp"]]
    )
    """ARC210: one name (a glob) of each group must be a field (or an alias) of
    a route's response model."""
    field_rules_scope: Literal["shared", "all"] = "shared"
    allow_any: list[str] = field(default_factory=list)
    service_urls: dict[str, str] = field(default_factory=dict)
    infer_service_urls: bool = True
    """Also map a URL setting to the service its default names (its host is a
    service's directory name), and docker-compose services to the services
    they build (SPEC §4, "An inter-service URL")."""
    publish_calls: list[str] = field(
        default_factory=lambda: [
            "*.publish",
            "*.publish_event",
            "*.send_and_wait",
            "*producer.send",
        ]
    )


@dataclass(frozen=True)
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

TESTS_AND_MIGRATIONS = (
    "**/tests/**",
    "**/test_*.py",
    "**/*_test.py",
    "**/conftest.py",
    "**/alembic/versions/**",
    "**/migrations/versions/**",
)
"""Tests and migrations' versions: excluded by default, and where excluded, read
only for what they declare (`Layout.declarations_only`)."""

DEFAULT_EXCLUDE = (
    *TESTS_AND_MIGRATIONS,
    ".git/**",
    ".venv/**",
    "venv/**",
    ".tox/**",
    "build/**",
    "dist/**",
    "node_modules/**",
    "__pypackages__/**",
)


@dataclass(frozen=True)
class ArchLintConfig(_Table):
    """The whole `[tool.arch_lint]` table."""

    _NESTED: ClassVar[dict[str, type[_Table]]] = {
        "allow": AllowEntry,
        "logging": LoggingConfig,
        "models": ModelsConfig,
        "schema_": SchemaConfig,
    }

    source_roots: list[str] = field(default_factory=lambda: ["."])
    services: list[str] = field(default_factory=lambda: ["services/*"])
    public: list[str] = field(default_factory=list)
    shared_models: list[str] = field(default_factory=lambda: ["common/models"])
    data_layer: list[str] = field(default_factory=lambda: list(DEFAULT_DATA_LAYER))
    data_layer_by_content: bool = True
    exclude: list[str] = field(default_factory=lambda: list(DEFAULT_EXCLUDE))
    extend_exclude: list[str] = field(default_factory=list)
    respect_gitignore: bool = True
    per_path_ignores: dict[str, list[Code]] = field(default_factory=dict)
    select: list[Code] = field(default_factory=list)
    """Codes or prefixes to enable (replaces the default set). Each must name a
    rule of this version (`arch-lint rules`), or be a code that SPEC §4 reserves
    for a rule not implemented yet (none in this version): those are accepted silently
    and check nothing until a version implements them, so that a configuration
    written for a newer arch-lint keeps working. The same holds for
    `extend-select`, `ignore`, `per-path-ignores` and the command line."""
    extend_select: list[Code] = field(default_factory=list)
    ignore: list[Code] = field(default_factory=list)
    allow: list[AllowEntry] = field(default_factory=list)
    logging: LoggingConfig = field(default_factory=LoggingConfig)
    models: ModelsConfig = field(default_factory=ModelsConfig)
    schema_: SchemaConfig = field(default_factory=SchemaConfig)
    baseline: str = "arch-lint-baseline.json"
    """The baseline file (`arch-lint baseline` writes it, `check` honours it when it
    exists), relative to the project root."""
