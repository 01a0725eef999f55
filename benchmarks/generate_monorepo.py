"""Generate a synthetic Python microservice monorepo for arch-lint benchmarks.

The tree looks like the code arch-lint is written for: ``services/<name>/``
with FastAPI-style routes, event handlers, domain logic, SQLAlchemy 2 ORM
models, async repositories, Pydantic v2 schemas and application services that
log with and without a correlation id; a shared ``common/models/`` package
(event envelope, metadata models, shared events and DTOs); a shared
``libs/shared/`` utility package; per-service ``tests/`` and, for some
services, ``alembic/versions/`` migrations.  A few percent of the modules
import another service's internals (some of them its data layer), and a
few model fields lack descriptions, so a linter has real work to do.  Most
files (``--long-lines``, default 80%) also have one to three lines over 79
characters, flake8's E501, as real code has: a trailing comment, so that the
syntax trees and line numbers, hence arch-lint's findings, are those of the
flake8-clean corpus (``--long-lines 0``).

The output is deterministic for a given ``--services/--modules/--seed`` and
every file is checked with ``ast.parse(..., feature_version=(3, 10))``.

Usage::

    python benchmarks/generate_monorepo.py /tmp/corpus [--services 40]
        [--modules 8] [--seed 1234]
"""

from __future__ import annotations

import argparse
import ast
import random
import re
import shutil
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

MAX_LINE = 79
IND = "    "

# Service name -> its main entity.
SERVICE_ENTITIES: tuple[tuple[str, str], ...] = (
    ("orders", "Order"),
    ("payments", "Payment"),
    ("inventory", "StockItem"),
    ("shipping", "Shipment"),
    ("billing", "BillingAccount"),
    ("customers", "Customer"),
    ("catalog", "Product"),
    ("pricing", "PriceList"),
    ("notifications", "Notification"),
    ("reports", "Report"),
    ("accounts", "Account"),
    ("invoices", "Invoice"),
    ("refunds", "Refund"),
    ("returns", "ReturnRequest"),
    ("reviews", "Review"),
    ("search", "SearchDocument"),
    ("recommendations", "Recommendation"),
    ("carts", "Cart"),
    ("checkout", "CheckoutSession"),
    ("fulfillment", "FulfillmentTask"),
    ("warehouse", "StorageBin"),
    ("loyalty", "LoyaltyMember"),
    ("promotions", "Promotion"),
    ("subscriptions", "Subscription"),
    ("users", "User"),
    ("audit", "AuditEntry"),
    ("analytics", "MetricSeries"),
    ("media", "MediaAsset"),
    ("documents", "Document"),
    ("storage", "StoredObject"),
    ("messaging", "Message"),
    ("scheduling", "Schedule"),
    ("tenants", "Tenant"),
    ("compliance", "ComplianceCheck"),
    ("fraud", "FraudCase"),
    ("ledger", "LedgerEntry"),
    ("tax", "TaxRule"),
    ("currency", "ExchangeRate"),
    ("geo", "Location"),
    ("partners", "Partner"),
    ("support", "SupportCase"),
    ("tickets", "Ticket"),
    ("feedback", "Survey"),
    ("contracts", "Contract"),
    ("quotes", "Quote"),
    ("vendors", "Vendor"),
    ("procurement", "PurchaseOrder"),
    ("payroll", "Payslip"),
)
ENTITY_SUFFIXES = ("Item", "Note", "Snapshot", "Attachment", "Adjustment", "Assignment", "History")
DOMAIN_MODULES = (
    "pricing",
    "validation",
    "rules",
    "policies",
    "calculations",
    "state_machine",
    "aggregates",
    "value_objects",
    "scoring",
    "allocation",
    "reconciliation",
    "projections",
    "invariants",
    "specifications",
    "factories",
    "scheduling",
)
HANDLER_EVENTS = (
    "created",
    "updated",
    "cancelled",
    "completed",
    "failed",
    "archived",
    "restored",
    "expired",
    "assigned",
    "reopened",
    "synced",
    "imported",
)
APPLICATION_EXTRA = (
    "workflow",
    "orchestrator",
    "importer",
    "exporter",
    "sync",
    "reporting",
    "maintenance",
    "notifier",
    "backfill",
    "reconciler",
    "planner",
    "dispatcher",
)
VERBS = (
    "compute",
    "build",
    "collect",
    "resolve",
    "summarize",
    "normalize",
    "reconcile",
    "validate",
    "enrich",
    "rank",
    "partition",
    "merge",
    "filter",
    "score",
    "allocate",
    "project",
    "refresh",
    "prepare",
    "evaluate",
    "group",
)
NOUNS = (
    "totals",
    "batch",
    "window",
    "candidates",
    "snapshot",
    "report",
    "adjustments",
    "thresholds",
    "schedule",
    "allocation",
    "summary",
    "index",
    "digest",
    "backlog",
    "exceptions",
    "balances",
    "limits",
    "metrics",
)
STDLIB = frozenset(
    {
        "__future__",
        "asyncio",
        "collections",
        "collections.abc",
        "contextlib",
        "dataclasses",
        "datetime",
        "decimal",
        "enum",
        "functools",
        "hashlib",
        "itertools",
        "json",
        "logging",
        "math",
        "os",
        "re",
        "sqlite3",
        "statistics",
        "time",
        "typing",
        "uuid",
    }
)
FIRST_PARTY = ("services", "common", "libs")

# (name, python type, SQLAlchemy column type, nullable)
ORM_COLUMNS: tuple[tuple[str, str, str, bool], ...] = (
    ("status", "str", "String(32)", False),
    ("name", "str", "String(200)", False),
    ("amount", "Decimal", "Numeric(12, 2)", False),
    ("currency", "str", "String(3)", False),
    ("quantity", "int", "Integer", False),
    ("priority", "int", "Integer", False),
    ("is_active", "bool", "Boolean", False),
    ("external_ref", "str | None", "String(64)", True),
    ("notes", "str | None", "Text", True),
    ("updated_at", "datetime | None", "DateTime(timezone=True)", True),
    ("score", "float", "Float", False),
    ("region", "str", "String(16)", False),
)
JSON_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("attributes", "dict[str, Any]", "JSON"),
    ("processing_metadata", "dict[str, Any]", "JSON"),
    ("tags", "list[str]", "JSON"),
    ("settings", "dict[str, Any]", "MutableDict.as_mutable(JSON)"),
    ("extra_data", "dict[str, Any]", "JSONB"),
    ("history", "list[dict[str, Any]]", "JSON"),
)
# (name, type, default expression or None, extra imports)
SCHEMA_FIELDS: tuple[tuple[str, str, str | None], ...] = (
    ("name", "str", None),
    ("status", "str", None),
    ("amount", "Decimal", None),
    ("currency", "str", '"EUR"'),
    ("quantity", "int", "1"),
    ("priority", "int", "0"),
    ("is_active", "bool", "True"),
    ("external_ref", "str | None", "None"),
    ("notes", "str | None", "None"),
    ("tags", "list[str]", "list"),
    ("attributes", "dict[str, str]", "dict"),
    ("created_at", "datetime", None),
    ("updated_at", "datetime | None", "None"),
    ("owner_id", "UUID", None),
    ("region", "str", '"eu-west"'),
    ("score", "float", "0.0"),
    ("request_id", "str | None", "None"),
)
FIELD_TYPE_NEEDS: dict[str, tuple[str, str]] = {
    "Decimal": ("decimal", "Decimal"),
    "datetime": ("datetime", "datetime"),
    "UUID": ("uuid", "UUID"),
}


def snake(name: str) -> str:
    """CamelCase -> snake_case."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def plural(word: str) -> str:
    if word.endswith(("s", "x", "ch", "sh")):
        return word + "es"
    if word.endswith("y") and word[-2:-1] not in "aeiou":
        return word[:-1] + "ies"
    return word + "s"


def human(name: str) -> str:
    return name.replace("_", " ")


# --------------------------------------------------------------------------
# Rendering helpers
# --------------------------------------------------------------------------

Arg = str | list[str]


def fmt_call(prefix: str, args: Sequence[Arg], col: int, suffix: str = "") -> list[str]:
    """Render ``prefix(args)suffix`` at column ``col``.

    The result is relative to ``col``: one line when it fits, otherwise one
    argument per line with a hanging indent.  An argument may be a list of
    lines (a nested literal already laid out relative to its own start).
    """
    if all(isinstance(a, str) for a in args):
        one = f"{prefix}({', '.join(a for a in args if isinstance(a, str))}){suffix}"
        if col + len(one) <= MAX_LINE:
            return [one]
    lines = [f"{prefix}("]
    for arg in args:
        chunk = [arg] if isinstance(arg, str) else arg
        for i, text in enumerate(chunk):
            end = "," if i == len(chunk) - 1 else ""
            lines.append(f"{IND}{text}{end}" if text else "")
    lines.append(f"){suffix}")
    return lines


def fmt_dict(
    prefix: str, items: Sequence[tuple[str, str]], col: int, suffix: str = ""
) -> list[str]:
    """Render ``prefix{"k": v, ...}suffix`` relative to ``col``."""
    inner = ", ".join(f'"{k}": {v}' for k, v in items)
    one = f"{prefix}{{{inner}}}{suffix}"
    if col + len(one) <= MAX_LINE:
        return [one]
    lines = [f"{prefix}{{"]
    lines.extend(f'{IND}"{k}": {v},' for k, v in items)
    lines.append(f"}}{suffix}")
    return lines


def fmt_string(prefix: str, text: str, col: int, suffix: str = "") -> list[str]:
    """Render ``prefix"text"suffix``, splitting long text into implicit concatenation."""
    one = f'{prefix}"{text}"{suffix}'
    if col + len(one) <= MAX_LINE:
        return [one]
    words = text.split(" ")
    parts: list[str] = []
    current = ""
    width = MAX_LINE - col - len(IND) - 4
    for word in words:
        candidate = f"{current} {word}" if current else word
        if len(candidate) + 1 > width and current:
            parts.append(current + " ")
            current = word
        else:
            current = candidate
    parts.append(current)
    lines = [f"{prefix}("]
    lines.extend(f'{IND}"{p}"' for p in parts)
    lines.append(f"){suffix}")
    return lines


def indent(lines: Sequence[str], level: int = 1) -> list[str]:
    pad = IND * level
    return [f"{pad}{line}" if line else "" for line in lines]


class Module:
    """One generated source file: its imports and top-level chunks."""

    def __init__(self, path: str, docstring: str) -> None:
        self.path = path
        self.docstring = docstring
        self.froms: dict[str, dict[str, None]] = {}
        self.plain: dict[str, None] = {}
        self.header: list[str] = []
        self.chunks: list[list[str]] = []
        self.footer: list[str] = []
        self.styles: dict[str, bool] = {}

    def need(self, module: str, *names: str) -> None:
        if names:
            bucket = self.froms.setdefault(module, {})
            for name in names:
                bucket[name] = None
        else:
            self.plain[module] = None

    def add(self, chunk: list[str]) -> None:
        self.chunks.append(chunk)

    def size(self) -> int:
        imports = len(self.froms) + len(self.plain)
        body = sum(len(chunk) + 2 for chunk in self.chunks)
        return 4 + imports + len(self.header) + body + len(self.footer)

    @staticmethod
    def _group(module: str) -> int:
        if module == "__future__":
            return 0
        if module.startswith("."):
            return 4
        top = module.split(".")[0]
        if module in STDLIB or top in STDLIB:
            return 1
        if top in FIRST_PARTY:
            return 3
        return 2

    def _import_lines(self) -> list[str]:
        groups: dict[int, list[tuple[str, list[str]]]] = {}
        for module in self.plain:
            groups.setdefault(self._group(module), []).append((f"0{module}", [f"import {module}"]))
        for module, names in self.froms.items():
            ordered = sorted(names, key=lambda n: (not n.isupper(), n[:1].islower(), n))
            prefix = f"from {module} import "
            one = prefix + ", ".join(ordered)
            if len(one) <= MAX_LINE:
                rendered = [one]
            else:
                rendered = [f"{prefix}("] + [f"{IND}{n}," for n in ordered] + [")"]
            groups.setdefault(self._group(module), []).append((f"1{module}", rendered))
        lines: list[str] = []
        for key in sorted(groups):
            if lines:
                lines.append("")
            for _, rendered in sorted(groups[key]):
                lines.extend(rendered)
        return lines

    def render(self) -> str:
        out = [*docstring_lines(self.docstring, 0), ""]
        self.froms = {"__future__": {"annotations": None}, **self.froms}
        out.extend(self._import_lines())
        if self.header:
            out.append("")
            out.extend(self.header)
        for chunk in self.chunks:
            out.extend(["", "", *chunk])
        if self.footer:
            out.extend(["", "", *self.footer])
        return "\n".join(out).rstrip("\n") + "\n"


def wrap_words(text: str, width: int) -> list[str]:
    lines: list[str] = []
    current = ""
    for word in text.split():
        if current and len(current) + 1 + len(word) > width:
            lines.append(current)
            current = word
        else:
            current = f"{current} {word}" if current else word
    if current:
        lines.append(current)
    return lines


def docstring_lines(text: str, col: int) -> list[str]:
    one = f'"""{text}"""'
    if col + len(one) <= MAX_LINE:
        return [one]
    return ['"""', *wrap_words(text, MAX_LINE - col), '"""']


# --------------------------------------------------------------------------
# The project plan
# --------------------------------------------------------------------------


@dataclass
class Entity:
    name: str
    snake: str
    table: str
    columns: list[tuple[str, str, str, bool]]
    json_columns: list[tuple[str, str, str]]


@dataclass
class ServicePlan:
    name: str
    main: Entity
    entities: list[Entity]
    logger_kind: str
    domain_modules: list[str]
    domain_functions: dict[str, list[str]]
    handler_modules: list[str]
    application_modules: list[str]
    application_classes: dict[str, str]
    schema_classes: list[str]
    has_alembic: bool
    shared_events: list[str]
    local_event: bool
    peers: list[str]

    @property
    def pkg(self) -> str:
        return f"services.{self.name}"

    def repository_module(self, entity: Entity) -> str:
        return f"{entity.snake}_repository"

    def repository_class(self, entity: Entity) -> str:
        return f"{entity.name}Repository"


@dataclass
class Stats:
    files: int = 0
    lines: int = 0
    checked_files: int = 0
    checked_lines: int = 0
    import_statements: int = 0
    first_party_imports: int = 0
    cross_service_imports: int = 0
    cross_service_data_imports: int = 0
    long_line_files: int = 0
    long_lines: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)


@dataclass
class Project:
    seed: int
    services: list[ServicePlan]
    shared_events: dict[str, list[str]]  # group -> event class names
    shared_dtos: list[str]
    cross_modules: dict[str, tuple[str, bool]] = field(default_factory=dict)

    def service(self, name: str) -> ServicePlan:
        for svc in self.services:
            if svc.name == name:
                return svc
        raise KeyError(name)


def make_entity(name: str, rng: random.Random) -> Entity:
    cols = rng.sample(ORM_COLUMNS, rng.randint(5, 9))
    cols.sort(key=ORM_COLUMNS.index)
    jcols = rng.sample(JSON_COLUMNS, rng.randint(1, 3))
    jcols.sort(key=JSON_COLUMNS.index)
    return Entity(name, snake(name), plural(snake(name)), cols, jcols)


def plan_project(n_services: int, n_modules: int, seed: int) -> Project:
    rng = random.Random(f"plan:{seed}")
    services: list[ServicePlan] = []
    for i in range(n_services):
        base_name, base_entity = SERVICE_ENTITIES[i % len(SERVICE_ENTITIES)]
        round_ = i // len(SERVICE_ENTITIES)
        name = base_name if round_ == 0 else f"{base_name}{round_ + 1}"
        ent_name = base_entity if round_ == 0 else f"{base_entity}{round_ + 1}"
        main = make_entity(ent_name, rng)
        subs = rng.sample(ENTITY_SUFFIXES, rng.randint(2, 4))
        entities = [main] + [make_entity(ent_name + s, rng) for s in subs]
        domain = rng.sample(DOMAIN_MODULES, min(n_modules, len(DOMAIN_MODULES)))
        while len(domain) < n_modules:
            domain.append(f"{rng.choice(DOMAIN_MODULES)}_{len(domain)}")
        dfuncs: dict[str, list[str]] = {}
        for mod in domain:
            names: list[str] = []
            while len(names) < rng.randint(4, 7):
                cand = f"{rng.choice(VERBS)}_{rng.choice(NOUNS)}"
                if cand not in names:
                    names.append(cand)
            dfuncs[mod] = names
        events = rng.sample(HANDLER_EVENTS, min(n_modules, len(HANDLER_EVENTS)))
        handlers = [f"{main.snake}_{ev}" for ev in events]
        while len(handlers) < n_modules:
            handlers.append(f"{main.snake}_{rng.choice(HANDLER_EVENTS)}_{len(handlers)}")
        app_mods = [f"{e.snake}_service" for e in entities]
        extra = rng.sample(APPLICATION_EXTRA, len(APPLICATION_EXTRA))
        while len(app_mods) < n_modules:
            app_mods.append(
                extra[(len(app_mods)) % len(extra)]
                + ("" if len(app_mods) < len(extra) + len(entities) else f"_{len(app_mods)}")
            )
        app_mods = app_mods[: max(n_modules, len(entities))]
        app_classes: dict[str, str] = {}
        for mod in app_mods:
            if mod.endswith("_service"):
                app_classes[mod] = "".join(p.title() for p in mod.split("_"))
            else:
                app_classes[mod] = main.name + "".join(p.title() for p in mod.split("_"))
        schema_classes: list[str] = []
        for ent in entities:
            for suffix in ("CreateRequest", "UpdateRequest", "Response", "Summary"):
                schema_classes.append(f"{ent.name}{suffix}")
        services.append(
            ServicePlan(
                name=name,
                main=main,
                entities=entities,
                logger_kind="structlog" if rng.random() < 0.3 else "stdlib",
                domain_modules=domain,
                domain_functions=dfuncs,
                handler_modules=handlers,
                application_modules=app_mods,
                application_classes=app_classes,
                schema_classes=schema_classes,
                has_alembic=rng.random() < 0.5,
                shared_events=[],
                local_event=False,
                peers=[],
            )
        )
    shared: dict[str, list[str]] = {}
    for svc in services[: min(len(services), 10)]:
        kinds = rng.sample(["Created", "Updated", "StatusChanged", "Deleted"], 3)
        svc.shared_events = [f"{svc.main.name}{k}EventV1" for k in kinds]
        shared[svc.name] = list(svc.shared_events)
    for svc in services:
        svc.local_event = not svc.shared_events and rng.random() < 0.12
        others = [s.name for s in services if s.name != svc.name]
        svc.peers = rng.sample(others, min(len(others), rng.randint(1, 3)))
    dtos = [
        "PageRequest",
        "PageResponse",
        "ErrorResponse",
        "HealthResponse",
        "AuditTrailEntry",
        "MoneyAmount",
    ]
    return Project(seed, services, shared, dtos)


# --------------------------------------------------------------------------
# Function bodies
# --------------------------------------------------------------------------


class Scope:
    """What a generated function body can refer to."""

    def __init__(
        self,
        m: Module,
        rng: random.Random,
        *,
        col: int,
        is_async: bool,
        corr: str | None,
        logger: str | None,
        params: Sequence[str],
        attrs: Sequence[str] = (),
        calls: Sequence[str] = (),
        service: str = "shared",
    ) -> None:
        self.m = m
        self.rng = rng
        self.col = col
        self.is_async = is_async
        self.corr = corr
        self.logger = logger
        self.params = set(params)
        self.attrs = set(attrs)
        self.calls = list(calls)
        self.service = service
        self.used: set[str] = {"records", "result", "record", "key", *params}

    def fresh(self, base: str) -> str:
        name = base
        i = 2
        while name in self.used:
            name = f"{base}_{i}"
            i += 1
        self.used.add(name)
        return name


def log_lines(
    s: Scope, level: str, event: str, fields: Sequence[tuple[str, str]], col_extra: int = 0
) -> list[str]:
    """A logger call; with an id in scope it usually, not always, carries it."""
    if s.logger is None:
        return []
    col = s.col + col_extra
    mode = "plain"
    if s.corr is not None:
        r = s.rng.random()
        mode = "corr" if r < 0.84 else ("missing" if r < 0.965 else "message")
    if s.logger == "structlog":
        kwargs = [f"{k}={v}" for k, v in fields]
        msg = f'"{event}"'
        if mode == "corr":
            kwargs.append(f"correlation_id={s.corr}")
        elif mode == "message":
            msg = f'f"{event} correlation_id={{{s.corr}}}"'
        return fmt_call(f"logger.{level}", [msg, *kwargs], col)
    text = human(event)
    args: list[Arg] = []
    extra = list(fields)
    if mode == "message":
        args.append(f'f"{text} [{{{s.corr}}}]"')
    elif extra:
        k, v = extra.pop(0)
        args.extend([f'"{text}: {human(k)}=%s"', v])
    else:
        args.append(f'"{text}"')
    if mode == "corr":
        extra.insert(0, ("correlation_id", s.corr or ""))
    if extra:
        dict_lines = fmt_dict("extra=", extra, col + len(IND) + 1)
        args.append(dict_lines[0] if len(dict_lines) == 1 else dict_lines)
    return fmt_call(f"logger.{level}", args, col)


def source_lines(s: Scope) -> list[str]:
    """Bind ``records`` from what the function has."""
    if "items" in s.params:
        return s.rng.choice(
            [
                ["records = [dict(item) for item in items]"],
                ["records = list(items)"],
                [
                    "records = sorted(",
                    f'{IND}items, key=lambda item: str(item.get("id", ""))',
                    ")",
                ],
            ]
        )
    if "_repository" in s.attrs and s.is_async:
        lim = "limit" if "limit" in s.params else str(s.rng.choice([50, 100, 200]))
        return [
            f"rows = await self._repository.list_recent(limit={lim})",
            "records = [row.to_dict() for row in rows]",
        ]
    if "payload" in s.params:
        return ['records = [payload.model_dump(mode="json")]']
    return ["records: list[dict[str, Any]] = []"]


def b_aggregate(s: Scope) -> list[str]:
    total = s.fresh("total")
    s.m.need("decimal", "Decimal")
    key = s.rng.choice(["amount", "quantity", "weight", "balance", "score"])
    skip = s.rng.choice(["cancelled", "archived", "void", "deleted"])
    return [
        f'{total} = Decimal("0")',
        "for record in records:",
        f'{IND}if record.get("status") == "{skip}":',
        f"{IND * 2}continue",
        f'{IND}{total} += Decimal(str(record.get("{key}", 0)))',
        f'result["{total}"] = str({total})',
    ]


def b_filter(s: Scope) -> list[str]:
    name = s.fresh(s.rng.choice(["active", "pending", "eligible", "selected"]))
    flag = s.rng.choice(["is_active", "enabled", "visible", "approved"])
    one = f'{name} = [record for record in records if record.get("{flag}")]'
    body = (
        [one]
        if s.col + len(one) <= MAX_LINE
        else [
            f"{name} = [",
            f"{IND}record",
            f"{IND}for record in records",
            f'{IND}if record.get("{flag}")',
            "]",
        ]
    )
    return [*body, f'result["{name}_count"] = len({name})']


def b_group(s: Scope) -> list[str]:
    name = s.fresh("groups")
    field_ = s.rng.choice(["status", "region", "kind", "channel"])
    return [
        f"{name}: dict[str, list[dict[str, Any]]] = {{}}",
        "for record in records:",
        f'{IND}bucket = str(record.get("{field_}", "unknown"))',
        f"{IND}{name}.setdefault(bucket, []).append(record)",
        f'result["{name}"] = {{k: len(v) for k, v in {name}.items()}}',
    ]


def b_parse(s: Scope) -> list[str]:
    name = s.fresh("parsed")
    key = s.rng.choice(["quantity", "count", "units", "attempts"])
    handler: list[str]
    bind = " as exc"
    if s.logger == "stdlib":
        handler = [f'logger.debug("skipping {key}: %s", exc)']
    elif s.logger == "structlog":
        handler = [f'logger.debug("skip_{key}", error=str(exc))']
    else:
        handler, bind = [f"{name}.append(0)"], ""
    return [
        f"{name}: list[int] = []",
        "for record in records:",
        f"{IND}try:",
        f'{IND * 2}{name}.append(int(str(record.get("{key}", "0"))))',
        f"{IND}except (TypeError, ValueError){bind}:",
        *indent(handler, 2),
        f'result["{name}"] = sum({name})',
    ]


def b_json(s: Scope) -> list[str]:
    s.m.need("json")
    name = s.fresh("encoded")
    return [
        "try:",
        f"{IND}{name} = json.dumps(records, default=str, sort_keys=True)",
        "except (TypeError, ValueError):",
        f'{IND}{name} = "[]"',
        f'result["size_bytes"] = len({name}.encode("utf-8"))',
    ]


def b_tier(s: Scope) -> list[str]:
    size = s.fresh("size")
    tier = s.fresh("tier")
    a, b = s.rng.choice([(10, 100), (5, 50), (25, 250), (20, 500)])
    return [
        f"{size} = len(records)",
        f"if {size} == 0:",
        f'{IND}{tier} = "empty"',
        f"elif {size} < {a}:",
        f'{IND}{tier} = "small"',
        f"elif {size} < {b}:",
        f'{IND}{tier} = "medium"',
        "else:",
        f'{IND}{tier} = "large"',
        f'result["{tier}"] = {tier}',
    ]


def b_sort(s: Scope) -> list[str]:
    name = s.fresh("ordered")
    k1 = s.rng.choice(["priority", "created_at", "score", "rank"])
    return [
        f"{name} = sorted(",
        f"{IND}records,",
        f'{IND}key=lambda r: (str(r.get("{k1}", "")), str(r.get("id", ""))),',
        f"{IND}reverse={s.rng.choice(['True', 'False'])},",
        ")",
        f'result["first"] = {name}[0] if {name} else None',
    ]


def b_summary(s: Scope) -> list[str]:
    s.m.need("datetime", "datetime", "timezone")
    name = s.fresh("summary")
    items = [
        ("service", f'"{s.service}"'),
        ("count", "len(records)"),
        ("generated_at", "datetime.now(timezone.utc).isoformat()"),
        ("ids", 'sorted(str(r.get("id")) for r in records[:10])'),
    ]
    return [*fmt_dict(f"{name} = ", items, s.col), f'result["{name}"] = {name}']


def b_pages(s: Scope) -> list[str]:
    page = s.fresh("page")
    batch = s.fresh("batch")
    size = s.rng.choice([10, 25, 50, 100])
    return [
        f"{page} = 0",
        f"{batch}: list[dict[str, Any]] = []",
        f"while len({batch}) < len(records):",
        f"{IND}chunk = records[{page} * {size}:({page} + 1) * {size}]",
        f"{IND}if not chunk:",
        f"{IND * 2}break",
        f"{IND}{batch}.extend(chunk)",
        f"{IND}{page} += 1",
        f'result["{page}s"] = {page}',
    ]


def b_dedupe(s: Scope) -> list[str]:
    seen = s.fresh("seen")
    dup = s.fresh("duplicates")
    return [
        f"{seen}: set[str] = set()",
        f"{dup}: list[str] = []",
        "for record in records:",
        f'{IND}key = str(record.get("external_ref") or record.get("id"))',
        f"{IND}if key in {seen}:",
        f"{IND * 2}{dup}.append(key)",
        f"{IND}{seen}.add(key)",
        f'result["{dup}"] = {dup}',
    ]


def b_labels(s: Scope) -> list[str]:
    name = s.fresh("labels")
    field_ = s.rng.choice(["kind", "category", "source", "channel"])
    return [
        f'{name} = sorted({{str(r.get("{field_}", "")) for r in records}})',
        f'result["{name}"] = ", ".join(v for v in {name} if v)',
    ]


def b_suppress(s: Scope) -> list[str]:
    s.m.need("contextlib", "suppress")
    return [
        "with suppress(KeyError, IndexError):",
        f'{IND}result["first_id"] = records[0]["id"]',
        f'{IND}result["last_id"] = records[-1]["id"]',
    ]


def b_counter(s: Scope) -> list[str]:
    s.m.need("collections", "Counter")
    name = s.fresh("counts")
    field_ = s.rng.choice(["status", "region", "kind"])
    return [
        f'{name} = Counter(str(r.get("{field_}")) for r in records)',
        f'result["top_{field_}"] = {name}.most_common({s.rng.randint(2, 5)})',
    ]


def b_nested(s: Scope) -> list[str]:
    fn = s.fresh("_weight")
    factor = s.rng.choice(["2.0", "1.5", "3.0"])
    return [
        "",
        f"def {fn}(item: dict[str, Any]) -> float:",
        f'{IND}base = float(item.get("weight", 1.0) or 1.0)',
        f'{IND}return base * ({factor} if item.get("priority") else 1.0)',
        "",
        f'result["{fn.lstrip("_")}"] = sum({fn}(r) for r in records)',
    ]


def b_rank(s: Scope) -> list[str]:
    name = s.fresh("ranked")
    return [
        f"{name} = {{",
        f'{IND}str(record.get("id")): position',
        f"{IND}for position, record in enumerate(records, start=1)",
        "}",
        f'result["{name}"] = len({name})',
    ]


def b_anyall(s: Scope) -> list[str]:
    bad = s.rng.choice(["failed", "rejected", "blocked"])
    good = s.rng.choice(["done", "settled", "closed"])
    return [
        f'if any(r.get("status") == "{bad}" for r in records):',
        f'{IND}result["has_{bad}"] = True',
        f'elif all(r.get("status") == "{good}" for r in records):',
        f'{IND}result["all_{good}"] = True',
        "else:",
        f'{IND}result["open"] = sum(1 for r in records if not r.get("status"))',
    ]


def b_limit(s: Scope) -> list[str]:
    if "limit" not in s.params:
        return b_tier(s)
    name = s.fresh("window")
    return [
        "if limit <= 0:",
        f'{IND}raise ValueError(f"limit must be positive, got {{limit}}")',
        f"{name} = records[:limit]",
        f'result["truncated"] = len(records) > len({name})',
    ]


def b_log(s: Scope) -> list[str]:
    level = s.rng.choice(["info", "info", "debug", "warning"])
    event = s.rng.choice(
        [
            "records_loaded",
            "batch_processed",
            "totals_computed",
            "window_checked",
            "state_evaluated",
        ]
    )
    return log_lines(s, level, event, [("count", "len(records)")])


def b_gather(s: Scope) -> list[str]:
    s.m.need("asyncio")
    pending = s.fresh("pending")
    settled = s.fresh("settled")
    return [
        f"{pending} = [asyncio.sleep(0, result=r) for r in records[:8]]",
        "try:",
        f"{IND}{settled} = await asyncio.wait_for(asyncio.gather(*{pending}), 5.0)",
        "except asyncio.TimeoutError:",
        f"{IND}{settled} = []",
        f'result["{settled}"] = len({settled})',
    ]


def b_repo_count(s: Scope) -> list[str]:
    if "_repository" not in s.attrs:
        return b_gather(s)
    stored = s.fresh("stored")
    handler = log_lines(s, "exception", "count_failed", [], col_extra=4) or ["pass"]
    return [
        "try:",
        f"{IND}{stored} = await self._repository.count()",
        "except Exception:",
        *indent(handler),
        f"{IND}{stored} = -1",
        f'result["{stored}"] = {stored}',
    ]


def b_call(s: Scope) -> list[str]:
    if not s.calls:
        return b_counter(s)
    fn = s.rng.choice(s.calls)
    key = fn.split(".")[-1]
    lim = s.rng.choice([10, 25, 50])
    return fmt_call(f'result["{key}"] = {fn}', ["records", f"limit={lim}"], s.col)


SYNC_BLOCKS = (
    b_aggregate,
    b_filter,
    b_group,
    b_parse,
    b_json,
    b_tier,
    b_sort,
    b_summary,
    b_pages,
    b_dedupe,
    b_labels,
    b_suppress,
    b_counter,
    b_nested,
    b_rank,
    b_anyall,
    b_limit,
    b_log,
    b_call,
)
ASYNC_BLOCKS = (*SYNC_BLOCKS, b_gather, b_repo_count, b_log)


def function_lines(
    m: Module,
    rng: random.Random,
    *,
    name: str,
    params: Sequence[tuple[str, str]],
    ret: str = "dict[str, Any]",
    is_async: bool = False,
    col: int = 0,
    decorators: Sequence[list[str]] = (),
    corr: str | None = None,
    logger: str | None = None,
    attrs: Sequence[str] = (),
    calls: Sequence[str] = (),
    blocks: tuple[int, int] = (3, 7),
    prologue: Sequence[str] = (),
    epilogue: Sequence[str] = (),
    doc: str | None = None,
    service: str = "shared",
    body: Sequence[str] | None = None,
    calls_all: bool = False,
) -> list[str]:
    """A function (relative to ``col``) whose body composes generic blocks.

    With ``calls_all`` every callable in ``calls`` is called once, so that
    each imported name is used.
    """
    m.need("typing", "Any")
    pnames = [p.split(":")[0].split("=")[0].strip() for p, _ in params]
    out: list[str] = []
    for dec in decorators:
        out.extend(dec)
    kw = "async def" if is_async else "def"
    rendered = [f"{p}: {t}" if t else p for p, t in params]
    head = fmt_call(f"{kw} {name}", rendered, col, f" -> {ret}:")
    out.extend(head)
    body_col = col + len(IND)
    inner: list[str] = []
    if doc:
        inner.extend(docstring_lines(doc, body_col))
    if body is not None:
        inner.extend(body)
        return out + indent(inner)
    s = Scope(
        m,
        rng,
        col=body_col,
        is_async=is_async,
        corr=corr,
        logger=logger,
        params=pnames,
        attrs=attrs,
        calls=calls,
        service=service,
    )
    inner.extend(prologue)
    inner.extend(source_lines(s))
    inner.append("result: dict[str, Any] = {}")
    pool = ASYNC_BLOCKS if is_async else SYNC_BLOCKS
    for _ in range(rng.randint(*blocks)):
        chunk = rng.choice(pool)(s)
        if chunk and chunk[0] and inner[-1] and rng.random() < 0.3:
            inner.append("")
        inner.extend(chunk)
        if chunk and not chunk[-1]:
            inner.pop()
    if calls_all:
        for fn in calls:
            lim = rng.choice([10, 25, 50])
            inner.extend(fmt_call(f'result["{fn}"] = {fn}', ["records", f"limit={lim}"], body_col))
    inner.extend(epilogue)
    inner.append("return result")
    return out + indent(inner)


def fn_name(rng: random.Random, taken: set[str], extra: str = "") -> str:
    while True:
        cand = f"{rng.choice(VERBS)}_{extra + '_' if extra else ''}{rng.choice(NOUNS)}"
        if cand not in taken:
            taken.add(cand)
            return cand


def add_logger(m: Module, kind: str | None, rng: random.Random) -> None:
    if kind == "stdlib":
        m.need("logging")
        m.header.append("logger = logging.getLogger(__name__)")
    elif kind == "structlog":
        m.need("structlog")
        m.header.append(
            rng.choice(
                ["logger = structlog.get_logger()", "logger = structlog.get_logger(__name__)"]
            )
        )


# --------------------------------------------------------------------------
# Module generators
# --------------------------------------------------------------------------


@dataclass
class Ctx:
    project: Project
    svc: ServicePlan
    rng: random.Random
    target: int


def svc_import(ctx: Ctx, m: Module, rel_depth: int, module: str, *names: str) -> None:
    """Import from the same service, absolute or relative (one style per target)."""
    absolute = f"{ctx.svc.pkg}.{module}"
    if module not in m.styles:
        m.styles[module] = ctx.rng.random() < 0.5 and len(f"from {absolute} import (") <= MAX_LINE
    if m.styles[module]:
        m.need(absolute, *names)
    else:
        m.need("." * rel_depth + module, *names)


def fits_import(module: str) -> bool:
    return len(f"from {module} import (") <= MAX_LINE


def maybe_cross(ctx: Ctx, m: Module, avoid: Sequence[str] = ()) -> list[str]:
    """Now and then import another service's internals; return the callables.

    Names already bound in the module (``avoid`` and earlier imports) are not
    imported again, so the result stays free of pyflakes redefinitions.
    """
    key = m.path
    if key not in ctx.project.cross_modules:
        return []
    other_name, data = ctx.project.cross_modules[key]
    other = ctx.project.service(other_name)
    taken = {n for names in m.froms.values() for n in names} | set(avoid)
    if data:
        ent = ctx.rng.choice(other.entities)
        if ctx.rng.random() < 0.5:
            m.need(f"{other.pkg}.models_db", ent.name)
            return [f"{ent.name}.__tablename__"]
        module = f"{other.pkg}.repositories.{other.repository_module(ent)}"
        if ctx.rng.random() < 0.5 or not fits_import(module):
            module = f"{other.pkg}.repositories"
        m.need(module, other.repository_class(ent))
        return [f"{other.repository_class(ent)}.__name__"]
    choice = ctx.rng.random()
    if choice < 0.5:
        mod = ctx.rng.choice(other.domain_modules)
        free = [f for f in other.domain_functions[mod] if f not in taken]
        if free:
            fn = ctx.rng.choice(free)
            m.need(f"{other.pkg}.domain.{mod}", fn)
            return [f"CALL:{fn}"]
    if choice < 0.8 or not fits_import(f"{other.pkg}.application.{other.application_modules[0]}"):
        cls = ctx.rng.choice(other.schema_classes)
        m.need(f"{other.pkg}.schemas", cls)
        return [f"{cls}.__name__"]
    mod = ctx.rng.choice(
        [a for a in other.application_modules if fits_import(f"{other.pkg}.application.{a}")]
    )
    cls = other.application_classes[mod]
    m.need(f"{other.pkg}.application.{mod}", cls)
    return [f"{cls}.__name__"]


def cross_usage(names: list[str]) -> tuple[list[str], list[str]]:
    """Split cross-service names into callables and attribute statements."""
    calls = [n.removeprefix("CALL:") for n in names if n.startswith("CALL:")]
    stmts = [f'result["peer"] = {n}' for n in names if not n.startswith("CALL:")]
    return calls, stmts


def data_arg(lines: list[str]) -> Arg:
    return lines[0] if len(lines) == 1 else lines


def gen_schemas(ctx: Ctx) -> Module:
    svc, rng = ctx.svc, ctx.rng
    m = Module(f"services/{svc.name}/schemas.py", f"API schemas of the {svc.name} service.")
    m.need("pydantic", "BaseModel", "Field")

    def field_line(fname: str, ftype: str, default: str | None, owner: str) -> list[str]:
        for token, need in FIELD_TYPE_NEEDS.items():
            if re.search(rf"\b{token}\b", ftype):
                m.need(*need)
        desc = f"{human(fname).capitalize()} of the {human(snake(owner))}."
        r = rng.random()
        if r < 0.06:
            return [
                f"{fname}: {ftype}"
                + (f" = {default}" if default and default not in ("list", "dict") else "")
            ]
        if r < 0.09:
            desc = rng.choice(["TODO", "", fname])
        if r < 0.14:
            m.need("typing", "Annotated")
            return fmt_call(f"{fname}: Annotated[{ftype}, Field", [f'description="{desc}"'], 4, "]")
        args: list[str] = []
        if default in ("list", "dict"):
            args.append(f"default_factory={default}")
        elif default is not None:
            args.append(f"default={default}")
        args.append(f'description="{desc}"')
        return fmt_call(f"{fname}: {ftype} = Field", args, 4)

    produced = 0
    for ent in svc.entities:
        for cls in (
            f"{ent.name}CreateRequest",
            f"{ent.name}UpdateRequest",
            f"{ent.name}Response",
            f"{ent.name}Summary",
        ):
            lines = [f"class {cls}(BaseModel):"]
            body = [*docstring_lines(f"{human(snake(cls)).capitalize()}.", 4), ""]
            if cls.endswith("Response"):
                m.need("pydantic", "ConfigDict")
                body.extend(["model_config = ConfigDict(from_attributes=True)", ""])
            elif cls.endswith("UpdateRequest") and rng.random() < 0.5:
                m.need("pydantic", "ConfigDict")
                body.extend(['model_config = ConfigDict(extra="forbid")', ""])
            fields = rng.sample(SCHEMA_FIELDS, rng.randint(4, 9))
            fields.sort(key=SCHEMA_FIELDS.index)
            if cls.endswith("Response"):
                m.need("uuid", "UUID")
                body.extend(field_line("id", "UUID", None, ent.name))
            for fname, ftype, default in fields:
                if cls.endswith("UpdateRequest") and default is None and "None" not in ftype:
                    ftype, default = f"{ftype} | None", "None"
                body.extend(field_line(fname, ftype, default, ent.name))
            strs = [f for f, t, _ in fields if t == "str"]
            if strs and rng.random() < 0.45:
                m.need("pydantic", "field_validator")
                fname = strs[0]
                body.extend(
                    [
                        "",
                        f'@field_validator("{fname}")',
                        "@classmethod",
                        f"def _check_{fname}(cls, value: str) -> str:",
                        f"{IND}cleaned = value.strip()",
                        f"{IND}if not cleaned:",
                        f'{IND * 2}raise ValueError("{fname} must not be blank")',
                        f"{IND}return cleaned",
                    ]
                )
            if rng.random() < 0.3:
                m.need("typing", "Any")
                body.extend(
                    [
                        "",
                        "def to_event_fields(self) -> dict[str, Any]:",
                        f'{IND}data = self.model_dump(mode="json", exclude_none=True)',
                        f'{IND}data.pop("request_id", None)',
                        f"{IND}return data",
                    ]
                )
            m.add(lines + indent(body))
            produced += 1
    if svc.local_event:
        m.need("uuid", "UUID")
        m.need("datetime", "datetime")
        cls = f"{svc.main.name}ChangedEvent"
        body = docstring_lines(f"Emitted when a {human(svc.main.snake)} changes.", 4)
        body.extend(field_line("entity_id", "UUID", None, svc.main.name))
        body.extend(field_line("changed_at", "datetime", None, svc.main.name))
        body.extend(field_line("status", "str", None, svc.main.name))
        m.add([f"class {cls}(BaseModel):", *indent(body)])
    while m.size() < ctx.target:
        ent = rng.choice(svc.entities)
        kind = rng.choice(["Filter", "Query", "Patch", "Stats", "Export"])
        cls = f"{ent.name}{kind}{len(m.chunks)}"
        fields = rng.sample(SCHEMA_FIELDS, rng.randint(3, 7))
        body = [*docstring_lines(f"{human(snake(cls)).capitalize()}.", 4), ""]
        for fname, ftype, default in fields:
            body.extend(field_line(fname, ftype, default, ent.name))
        m.add([f"class {cls}(BaseModel):", *indent(body)])
    return m


def gen_models_db(ctx: Ctx) -> Module:
    svc, rng = ctx.svc, ctx.rng
    m = Module(f"services/{svc.name}/models_db.py", f"ORM models of the {svc.name} service.")
    m.need("sqlalchemy.orm", "DeclarativeBase", "Mapped", "mapped_column")
    m.need("uuid")
    m.need("typing", "Any")
    m.need("datetime", "datetime")
    m.add(
        [
            "def _iso(value: datetime | None) -> str | None:",
            f"{IND}return value.isoformat() if value is not None else None",
        ]
    )
    m.add(
        [
            "class Base(DeclarativeBase):",
            f'{IND}"""Declarative base of the {svc.name} service."""',
        ]
    )
    for idx, ent in enumerate(svc.entities):
        body = docstring_lines(f"A {human(ent.snake)} row.", 4)
        body.append("")
        body.append(f'__tablename__ = "{ent.table}"')
        if rng.random() < 0.5 and any(c[0] == "status" for c in ent.columns):
            m.need("sqlalchemy", "Index")
            body.extend(
                fmt_call(
                    "__table_args__ = (Index", [f'"ix_{ent.table}_status"', '"status"'], 4, ",)"
                )
            )
        body.append("")
        body.extend(
            fmt_call(
                "id: Mapped[uuid.UUID] = mapped_column",
                ["primary_key=True", "default=uuid.uuid4"],
                4,
            )
        )
        if idx > 0:
            m.need("sqlalchemy", "ForeignKey")
            body.extend(
                fmt_call(
                    f"{svc.main.snake}_id: Mapped[uuid.UUID] = mapped_column",
                    [f'ForeignKey("{svc.main.table}.id")', "index=True"],
                    4,
                )
            )
        for cname, ctype, satype, nullable in ent.columns:
            m.need("sqlalchemy", satype.split("(")[0])
            if ctype.startswith("Decimal"):
                m.need("decimal", "Decimal")
            args = [satype]
            if nullable:
                args.append("nullable=True")
            elif cname == "status":
                args.append('default="new"')
            body.extend(fmt_call(f"{cname}: Mapped[{ctype}] = mapped_column", args, 4))
        for cname, ctype, satype in ent.json_columns:
            if satype.startswith("MutableDict"):
                m.need("sqlalchemy.ext.mutable", "MutableDict")
                m.need("sqlalchemy", "JSON")
            elif satype == "JSONB":
                m.need("sqlalchemy.dialects.postgresql", "JSONB")
            else:
                m.need("sqlalchemy", "JSON")
            factory = "list" if ctype.startswith("list") else "dict"
            body.extend(
                fmt_call(
                    f"{cname}: Mapped[{ctype}] = mapped_column", [satype, f"default={factory}"], 4
                )
            )
        m.need("sqlalchemy", "DateTime", "func")
        body.extend(
            fmt_call(
                "created_at: Mapped[datetime] = mapped_column",
                ["DateTime(timezone=True)", "server_default=func.now()"],
                4,
            )
        )
        items = [("id", "str(self.id)")]
        for cname, ctype, _, _ in ent.columns:
            if ctype.startswith("Decimal"):
                items.append((cname, f"str(self.{cname})"))
            elif ctype.startswith("datetime"):
                items.append((cname, f"_iso(self.{cname})"))
            else:
                items.append((cname, f"self.{cname}"))
        for cname, _, _ in ent.json_columns:
            items.append((cname, f"self.{cname}"))
        items.append(("created_at", "self.created_at.isoformat()"))
        body.extend(
            [
                "",
                "def to_dict(self) -> dict[str, Any]:",
                f"{IND}return {{",
                *[f'{IND * 2}"{k}": {v},' for k, v in items],
                f"{IND}}}",
            ]
        )
        if any(c[0] == "status" for c in ent.columns):
            body.extend(
                [
                    "",
                    "@property",
                    "def is_terminal(self) -> bool:",
                    f'{IND}return self.status in {{"done", "cancelled", "archived"}}',
                ]
            )
        if rng.random() < 0.5:
            body.extend(
                [
                    "",
                    "def __repr__(self) -> str:",
                    f'{IND}return f"<{ent.name} id={{self.id}}>"',
                ]
            )
        m.add([f"class {ent.name}(Base):", *indent(body)])
    taken: set[str] = set()
    while m.size() < ctx.target:
        name = fn_name(rng, taken, "rows")
        m.add(
            function_lines(
                m,
                rng,
                name=name,
                params=[("items", "list[dict[str, Any]]"), ("limit", "int = 100")],
                blocks=(3, 6),
                doc=f"{human(name).capitalize()} for bulk loads.",
                service=svc.name,
            )
        )
    return m


def gen_repository(ctx: Ctx, ent: Entity) -> Module:
    svc, rng = ctx.svc, ctx.rng
    cls = svc.repository_class(ent)
    m = Module(
        f"services/{svc.name}/repositories/{svc.repository_module(ent)}.py",
        f"Persistence of {human(ent.table)}.",
    )
    m.need("sqlalchemy.ext.asyncio", "AsyncSession")
    m.need("sqlalchemy", "select")
    m.need("uuid")
    m.need("typing", "Any")
    svc_import(ctx, m, 2, "models_db", ent.name)
    add_logger(m, svc.logger_kind, rng)
    corr = "correlation_id"
    methods: list[list[str]] = [
        [
            "def __init__(self, session: AsyncSession) -> None:",
            f"{IND}self._session = session",
        ],
        [
            *fmt_call(
                "async def get", ["self", "entity_id: uuid.UUID"], 4, f" -> {ent.name} | None:"
            ),
            f"{IND}return await self._session.get({ent.name}, entity_id)",
        ],
        [
            *fmt_call(
                "async def list_recent", ["self", "limit: int = 50"], 4, f" -> list[{ent.name}]:"
            ),
            f"{IND}stmt = (",
            f"{IND * 2}select({ent.name})",
            f"{IND * 2}.order_by({ent.name}.created_at.desc())",
            f"{IND * 2}.limit(limit)",
            f"{IND})",
            f"{IND}result = await self._session.execute(stmt)",
            f"{IND}return list(result.scalars().all())",
        ],
        [
            *fmt_call("async def add", ["self", f"entity: {ent.name}"], 4, f" -> {ent.name}:"),
            f"{IND}self._session.add(entity)",
            f"{IND}await self._session.flush()",
            f"{IND}return entity",
        ],
        [
            "async def count(self) -> int:",
            f"{IND}stmt = select(func.count()).select_from({ent.name})",
            f"{IND}return int((await self._session.execute(stmt)).scalar_one())",
        ],
    ]
    m.need("sqlalchemy", "func")
    s = Scope(
        m,
        rng,
        col=8,
        is_async=True,
        corr=corr,
        logger=svc.logger_kind,
        params=["entity_id", "status", corr],
    )
    if any(c[0] == "status" for c in ent.columns):
        missing = log_lines(
            s, "warning", f"{ent.snake}_missing", [("entity_id", "entity_id")], col_extra=4
        )
        done = log_lines(s, "info", "status_updated", [("status", "status")])
        methods.append(
            [
                *fmt_call(
                    "async def update_status",
                    ["self", "entity_id: uuid.UUID", "status: str", "correlation_id: str"],
                    4,
                    " -> None:",
                ),
                f"{IND}entity = await self.get(entity_id)",
                f"{IND}if entity is None:",
                *indent(missing, 2),
                f"{IND * 2}return",
                f"{IND}entity.status = status",
                *indent(done),
            ]
        )
    for cname, ctype, satype in ent.json_columns:
        if not ctype.startswith("dict"):
            continue
        r = rng.random()
        if cname.endswith("metadata") and rng.random() < 0.3:
            change = [f'entity.{cname} = {{"source": "{svc.name}", **updates}}']
        elif satype.startswith("MutableDict") or r < 0.45:
            change = [f"entity.{cname}.update(updates)"]
        elif r < 0.7:
            change = [f"entity.{cname} = {{**entity.{cname}, **updates}}"]
        elif r < 0.88:
            m.need("sqlalchemy.orm.attributes", "flag_modified")
            change = [f"entity.{cname}.update(updates)", f'flag_modified(entity, "{cname}")']
        else:
            change = [f"entity.{cname}.update(updates)"]
        methods.append(
            [
                *fmt_call(
                    f"async def merge_{cname}",
                    ["self", "entity_id: uuid.UUID", "updates: dict[str, Any]"],
                    4,
                    " -> None:",
                ),
                f"{IND}entity = await self.get(entity_id)",
                f"{IND}if entity is None:",
                f"{IND * 2}return",
                *indent(change),
                f"{IND}await self._session.flush()",
            ]
        )
    if rng.random() < 0.35:
        m.need("sqlalchemy", "text")
        table = ent.table
        if rng.random() < 0.06 and len(ctx.project.services) > 1:
            other = rng.choice([o for o in ctx.project.services if o.name != svc.name])
            table = rng.choice(other.entities).table
        sql = f"DELETE FROM {table} WHERE created_at < now() - make_interval(days => :days)"
        methods.append(
            [
                "async def purge_older_than(self, days: int) -> int:",
                *indent(fmt_string("stmt = text", sql, 8)),
                f'{IND}result = await self._session.execute(stmt, {{"days": days}})',
                f'{IND}return int(getattr(result, "rowcount", 0) or 0)',
            ]
        )
    taken = {"get", "list_recent", "add", "count"}
    while m.size() + sum(len(x) + 1 for x in methods) < ctx.target:
        name = fn_name(rng, taken)
        methods.append(
            function_lines(
                m,
                rng,
                name=name,
                params=[("self", ""), ("limit", "int = 100"), ("correlation_id", 'str = ""')],
                is_async=True,
                col=4,
                corr=corr,
                logger=svc.logger_kind,
                prologue=["rows = await self.list_recent(limit=limit)"],
                service=svc.name,
                blocks=(3, 6),
            )
        )
        # the generic source for a repository method reads its own rows
        fixed = methods[-1]
        for i, line in enumerate(fixed):
            if line.strip() == "records: list[dict[str, Any]] = []":
                fixed[i] = line.replace(
                    "records: list[dict[str, Any]] = []",
                    "records = [row.to_dict() for row in rows]",
                )
                break
    chunk = [f"class {cls}:", *indent(docstring_lines(f"Data access for {human(ent.table)}.", 4))]
    for meth in methods:
        chunk.append("")
        chunk.extend(indent(meth))
    m.add(chunk)
    return m


def gen_db_session(ctx: Ctx) -> Module:
    svc = ctx.svc
    m = Module(f"services/{svc.name}/db/session.py", "Database engine and session factory.")
    m.need("collections.abc", "AsyncIterator")
    m.need("sqlalchemy.ext.asyncio", "AsyncSession", "async_sessionmaker", "create_async_engine")
    svc_import(ctx, m, 2, "config", "settings")
    m.header.extend(
        [
            "engine = create_async_engine(",
            f"{IND}settings.DATABASE_URL,",
            f"{IND}pool_size=settings.DB_POOL_SIZE,",
            f"{IND}pool_pre_ping=True,",
            ")",
            "SessionFactory = async_sessionmaker(engine, expire_on_commit=False)",
        ]
    )
    m.add(
        [
            "async def get_session() -> AsyncIterator[AsyncSession]:",
            f'{IND}"""Yield a session that commits on success."""',
            f"{IND}async with SessionFactory() as session:",
            f"{IND * 2}try:",
            f"{IND * 3}yield session",
            f"{IND * 3}await session.commit()",
            f"{IND * 2}except Exception:",
            f"{IND * 3}await session.rollback()",
            f"{IND * 3}raise",
        ]
    )
    m.add(
        [
            "async def dispose_engine() -> None:",
            f"{IND}await engine.dispose()",
        ]
    )
    return m


def gen_config(ctx: Ctx) -> Module:
    svc = ctx.svc
    m = Module(f"services/{svc.name}/config.py", f"Settings of the {svc.name} service.")
    m.need("pydantic_settings", "BaseSettings", "SettingsConfigDict")
    body = [
        '"""Environment-driven settings."""',
        "",
        f'model_config = SettingsConfigDict(env_prefix="{svc.name.upper()}_")',
        "",
        f'SERVICE_NAME: str = "{svc.name}"',
        'DATABASE_URL: str = "postgresql+asyncpg://localhost/app"',
        "DB_POOL_SIZE: int = 10",
        'LOG_LEVEL: str = "INFO"',
        'KAFKA_BOOTSTRAP: str = "localhost:9092"',
    ]
    for peer in svc.peers:
        body.append(f'{peer.upper()}_URL: str = "http://{peer}:8000"')
    m.add(["class Settings(BaseSettings):", *indent(body)])
    m.footer.append("settings = Settings()")
    return m


def gen_events(ctx: Ctx) -> Module:
    svc, rng = ctx.svc, ctx.rng
    m = Module(f"services/{svc.name}/events.py", f"Event publishing for the {svc.name} service.")
    m.need("common.models.envelope", "EventEnvelope")
    m.need("typing", "Any")
    m.need("json")
    add_logger(m, svc.logger_kind, rng)
    s = Scope(
        m,
        rng,
        col=8,
        is_async=True,
        corr="envelope.correlation_id",
        logger=svc.logger_kind,
        params=["envelope"],
    )
    published = log_lines(s, "info", "event_published", [("event_id", "str(envelope.event_id)")])
    m.add(
        [
            "class EventPublisher:",
            f'{IND}"""Publishes envelopes to the message bus."""',
            "",
            f"{IND}def __init__(self, producer: Any = None) -> None:",
            f"{IND * 2}self._producer = producer",
            f"{IND * 2}self.sent: list[dict[str, Any]] = []",
            "",
            f"{IND}async def publish(self, envelope: EventEnvelope[Any]) -> None:",
            f'{IND * 2}body = envelope.model_dump(mode="json")',
            f"{IND * 2}self.sent.append(body)",
            f"{IND * 2}if self._producer is not None:",
            f"{IND * 3}await self._producer.send(",
            f'{IND * 4}"{svc.name}.events",',
            f'{IND * 4}json.dumps(body).encode("utf-8"),',
            f"{IND * 3})",
            *indent(published, 2),
        ]
    )
    taken: set[str] = set()
    while m.size() < ctx.target:
        name = fn_name(rng, taken, "event")
        m.add(
            function_lines(
                m,
                rng,
                name=name,
                params=[("items", "list[dict[str, Any]]"), ("limit", "int = 100")],
                logger=svc.logger_kind,
                service=svc.name,
            )
        )
    return m


def event_for(ctx: Ctx) -> tuple[str, str]:
    """(module, class) of an event this service publishes."""
    svc = ctx.svc
    if svc.shared_events:
        return f"common.models.events.{svc.name}", ctx.rng.choice(svc.shared_events)
    return "common.models.events.generic", "EntityChangedEventV1"


def gen_application(ctx: Ctx, mod: str) -> Module:
    svc, rng = ctx.svc, ctx.rng
    cls = svc.application_classes[mod]
    m = Module(f"services/{svc.name}/application/{mod}.py", f"{human(mod).capitalize()} use cases.")
    m.need("typing", "Any")
    add_logger(m, svc.logger_kind, rng)
    ent = next((e for e in svc.entities if f"{e.snake}_service" == mod), rng.choice(svc.entities))
    repo = svc.repository_class(ent)
    if rng.random() < 0.5:
        svc_import(ctx, m, 2, f"repositories.{svc.repository_module(ent)}", repo)
    else:
        svc_import(ctx, m, 2, "repositories", repo)
    svc_import(ctx, m, 2, "events", "EventPublisher")
    calls: list[str] = []
    for dmod in rng.sample(svc.domain_modules, min(2, len(svc.domain_modules))):
        fn = rng.choice(svc.domain_functions[dmod])
        if fn not in calls:
            svc_import(ctx, m, 2, f"domain.{dmod}", fn)
            calls.append(fn)
    cross = maybe_cross(ctx, m)
    cross_calls, cross_stmts = cross_usage(cross)
    calls.extend(cross_calls)
    if rng.random() < 0.6:
        m.need("libs.shared.retry", "retry_async")
    uses_retry = "libs.shared.retry" in m.froms
    init = [
        *fmt_call(
            "def __init__",
            [
                "self",
                f"repository: {repo}",
                "publisher: EventPublisher",
                "http: httpx.AsyncClient | None = None",
            ],
            4,
            " -> None:",
        ),
        f"{IND}self._repository = repository",
        f"{IND}self._publisher = publisher",
        f"{IND}self._http = http or httpx.AsyncClient(timeout=10.0)",
    ]
    m.need("httpx")
    methods: list[list[str]] = [init]
    taken: set[str] = set()
    # publish an event
    ev_mod, ev_cls = event_for(ctx)
    m.need(ev_mod, ev_cls)
    m.need("common.models.envelope", "EventEnvelope")
    m.need("libs.shared.ids", "new_event_id")
    m.need("libs.shared.time_utils", "utc_now")
    corr_value = "correlation_id"
    if rng.random() < 0.05:
        m.need("uuid", "uuid4")
        corr_value = "str(uuid4())"
    s = Scope(
        m,
        rng,
        col=8,
        is_async=True,
        corr="correlation_id",
        logger=svc.logger_kind,
        params=["entity_id", "correlation_id"],
    )
    pub_log = log_lines(s, "info", "event_emitted", [("event", f'"{ev_cls}"')])
    data_args = ["entity_id=entity_id", "change=change"]
    if ev_cls == "EntityChangedEventV1":
        data_args.insert(0, f'entity_type="{ent.snake}"')
    methods.append(
        [
            *fmt_call(
                "async def publish_change",
                ["self", "entity_id: str", "change: str", "correlation_id: str"],
                4,
                " -> None:",
            ),
            *indent(
                fmt_call(
                    f"envelope = EventEnvelope[{ev_cls}]",
                    [
                        "event_id=new_event_id()",
                        "event_timestamp=utc_now()",
                        f'source_service="{svc.name}"',
                        f"correlation_id={corr_value}",
                        data_arg(fmt_call(f"data={ev_cls}", data_args, 16)),
                    ],
                    8,
                )
            ),
            f"{IND}await self._publisher.publish(envelope)",
            *indent(pub_log),
        ]
    )
    # call a peer over HTTP
    if svc.peers:
        peer = rng.choice(svc.peers)
        svc_import(ctx, m, 2, "config", "settings")
        raw = rng.random() < 0.25
        if raw:
            body_lines = fmt_dict(
                "body = ",
                [("entity_id", "entity_id"), ("reason", "reason"), ("source", f'"{svc.name}"')],
                8,
            )
        else:
            m.need("common.models.dto", "AuditTrailEntry")
            body_lines = fmt_call(
                "body = AuditTrailEntry",
                ["entity_id=entity_id", "reason=reason", f'source_service="{svc.name}"'],
                8,
                '.model_dump(mode="json")',
            )
        s2 = Scope(
            m,
            rng,
            col=8,
            is_async=True,
            corr="correlation_id",
            logger=svc.logger_kind,
            params=["entity_id", "reason", "correlation_id"],
        )
        fail_log = log_lines(
            s2, "warning", f"{peer}_call_failed", [("status", "response.status_code")], col_extra=4
        )
        methods.append(
            [
                *fmt_call(
                    f"async def notify_{peer}",
                    ["self", "entity_id: str", "reason: str", "correlation_id: str"],
                    4,
                    " -> bool:",
                ),
                f'{IND}url = f"{{settings.{peer.upper()}_URL}}/v1/events"',
                *indent(body_lines),
                f"{IND}response = await self._http.post(",
                f"{IND * 2}url,",
                f"{IND * 2}json=body,",
                f'{IND * 2}headers={{"x-correlation-id": correlation_id}},',
                f"{IND})",
                f"{IND}if response.status_code >= 400:",
                *indent(fail_log or ["pass"], 2),
                f"{IND * 2}return False",
                f"{IND}return True",
            ]
        )
    first = True
    while m.size() + sum(len(x) + 1 for x in methods) < ctx.target:
        name = fn_name(rng, taken)
        decorators: list[list[str]] = []
        if uses_retry and (first or rng.random() < 0.3):
            decorators.append([f"@retry_async(attempts={rng.randint(2, 5)})"])
        params: list[tuple[str, str]] = [("self", "")]
        if rng.random() < 0.5:
            params.append(("items", "list[dict[str, Any]]"))
        has_corr = rng.random() < 0.85
        if has_corr:
            params.append(("correlation_id", "str"))
        params.append(("limit", f"int = {rng.choice([50, 100, 500])}"))
        methods.append(
            function_lines(
                m,
                rng,
                name=name,
                params=params,
                is_async=True,
                col=4,
                decorators=decorators,
                corr="correlation_id" if has_corr else None,
                logger=svc.logger_kind,
                attrs=["_repository"],
                calls=calls,
                epilogue=cross_stmts if first else (),
                service=svc.name,
                blocks=(4, 8),
                calls_all=first,
            )
        )
        first = False
    chunk = [
        f"class {cls}:",
        *indent(docstring_lines(f"{human(mod).capitalize()} of {human(ent.table)}.", 4)),
    ]
    for meth in methods:
        chunk.append("")
        chunk.extend(indent(meth))
    m.add(chunk)
    if rng.random() < 0.5:
        taken.update(calls)
        fn = fn_name(rng, taken)
        m.add(
            function_lines(
                m,
                rng,
                name=fn,
                params=[("items", "list[dict[str, Any]]"), ("limit", "int = 100")],
                logger=svc.logger_kind,
                calls=calls,
                service=svc.name,
            )
        )
    if rng.random() < 0.03:
        m.need("sqlite3")
        m.add(
            [
                "def load_fixture_rows(path: str) -> list[tuple[Any, ...]]:",
                f"{IND}with sqlite3.connect(path) as conn:",
                f'{IND * 2}return list(conn.execute("SELECT * FROM fixtures"))',
            ]
        )
    return m


def gen_handler(ctx: Ctx, mod: str) -> Module:
    svc, rng = ctx.svc, ctx.rng
    m = Module(f"services/{svc.name}/handlers/{mod}.py", f"Consumers for {human(mod)} events.")
    m.need("typing", "Any")
    add_logger(m, svc.logger_kind, rng)
    ev_mod, ev_cls = event_for(ctx)
    m.need(ev_mod, ev_cls)
    m.need("common.models.envelope", "EventEnvelope")
    app_mod = rng.choice(svc.application_modules)
    app_cls = svc.application_classes[app_mod]
    svc_import(ctx, m, 2, f"application.{app_mod}", app_cls)
    calls: list[str] = []
    dmod = rng.choice(svc.domain_modules)
    fn = rng.choice(svc.domain_functions[dmod])
    svc_import(ctx, m, 2, f"domain.{dmod}", fn)
    calls.append(fn)
    cross = maybe_cross(ctx, m)
    cross_calls, cross_stmts = cross_usage(cross)
    calls.extend(cross_calls)
    taken: set[str] = set()
    names: list[str] = []
    first = True
    while m.size() < ctx.target:
        name = f"handle_{mod}" if not names else f"handle_{fn_name(rng, taken)}"
        names.append(name)
        local_corr = rng.random() < 0.5
        prologue = ["correlation_id = envelope.correlation_id"] if local_corr else []
        corr = "correlation_id" if local_corr else "envelope.correlation_id"
        m.add(
            function_lines(
                m,
                rng,
                name=name,
                params=[("envelope", f"EventEnvelope[{ev_cls}]"), ("service", app_cls)],
                is_async=True,
                corr=corr,
                logger=svc.logger_kind,
                calls=calls,
                prologue=[
                    *prologue,
                    'payload = envelope.data.model_dump(mode="json")',
                    "items = [payload]",
                ],
                epilogue=[
                    *(cross_stmts if first else []),
                    *fmt_call(
                        "await service.publish_change",
                        ["str(envelope.event_id)", f'"{mod}"', corr],
                        4,
                    ),
                ],
                service=svc.name,
                blocks=(4, 8),
                calls_all=first,
            )
        )
        first = False
        # ``items`` is bound in the prologue: make the body read it.
        chunk = m.chunks[-1]
        for i, line in enumerate(chunk):
            if line.strip() == "records: list[dict[str, Any]] = []":
                chunk[i] = line.replace(
                    "records: list[dict[str, Any]] = []", "records = list(items)"
                )
                break
    m.need("collections.abc", "Awaitable", "Callable")
    m.footer.extend(
        [
            "HANDLERS: dict[str, Callable[..., Awaitable[dict[str, Any]]]] = {",
            *[f'{IND}"{n}": {n},' for n in names],
            "}",
        ]
    )
    return m


def gen_domain(ctx: Ctx, mod: str, earlier: list[str]) -> Module:
    svc, rng = ctx.svc, ctx.rng
    m = Module(f"services/{svc.name}/domain/{mod}.py", f"Domain logic: {human(mod)}.")
    m.need("typing", "Any")
    logger = svc.logger_kind if rng.random() < 0.4 else None
    add_logger(m, logger, rng)
    calls: list[str] = []
    for other in rng.sample(earlier, min(len(earlier), rng.randint(0, 2))):
        fn = rng.choice(svc.domain_functions[other])
        if fn not in calls and fn not in svc.domain_functions[mod]:
            svc_import(ctx, m, 1, other, fn)
            calls.append(fn)
    cross = maybe_cross(ctx, m, svc.domain_functions[mod])
    cross_calls, cross_stmts = cross_usage(cross)
    calls.extend(cross_calls)
    if rng.random() < 0.6:
        m.need("enum", "Enum")
        enum = f"{svc.main.name}{rng.choice(['Tier', 'Phase', 'Kind', 'Outcome'])}"
        members = rng.sample(
            ["NEW", "ACTIVE", "PENDING", "DONE", "FAILED", "ON_HOLD", "EXPIRED"], rng.randint(3, 6)
        )
        m.add([f"class {enum}(str, Enum):", *[f'{IND}{x} = "{x.lower()}"' for x in members]])
    if rng.random() < 0.7:
        m.need("dataclasses", "dataclass")
        m.need("decimal", "Decimal")
        vo = rng.choice(["Quote", "Window", "Limit", "Allocation", "Share"])
        m.add(
            [
                "@dataclass(frozen=True)",
                f"class {vo}:",
                f'{IND}"""Value object used by {human(mod)}."""',
                "",
                f"{IND}amount: Decimal",
                f"{IND}currency: str",
                f"{IND}weight: float = 1.0",
                "",
                f"{IND}def add(self, other: {vo}) -> {vo}:",
                f"{IND * 2}if other.currency != self.currency:",
                f'{IND * 3}raise ValueError("currency mismatch")',
                f"{IND * 2}return {vo}(self.amount + other.amount, self.currency)",
                "",
                f"{IND}def scaled(self, factor: float) -> Decimal:",
                f"{IND * 2}return self.amount * Decimal(str(factor * self.weight))",
            ]
        )
    first = True
    for name in svc.domain_functions[mod]:
        m.add(
            function_lines(
                m,
                rng,
                name=name,
                params=[("items", "list[dict[str, Any]]"), ("limit", "int = 100")],
                logger=logger,
                calls=calls,
                epilogue=cross_stmts if first else (),
                doc=f"{human(name).capitalize()} of {human(svc.main.table)}."
                if rng.random() < 0.6
                else None,
                service=svc.name,
                blocks=(4, 8),
                calls_all=first,
            )
        )
        first = False
    taken = set(svc.domain_functions[mod])
    while m.size() < ctx.target:
        name = "_" + fn_name(rng, taken)
        m.add(
            function_lines(
                m,
                rng,
                name=name,
                params=[("items", "list[dict[str, Any]]"), ("limit", "int = 100")],
                logger=logger,
                calls=calls,
                service=svc.name,
                blocks=(3, 7),
            )
        )
    return m


HTTP_VERBS = ("get", "get", "get", "post", "put", "patch", "delete")


def gen_api(ctx: Ctx) -> Module:
    svc, rng = ctx.svc, ctx.rng
    m = Module(f"services/{svc.name}/api.py", f"HTTP routes of the {svc.name} service.")
    m.need("fastapi", "APIRouter", "Depends", "Request")
    m.need("typing", "Annotated", "Any")
    m.need("uuid", "UUID")
    m.need("sqlalchemy.ext.asyncio", "AsyncSession")
    add_logger(m, svc.logger_kind, rng)
    m.header.append(f'router = APIRouter(prefix="/{svc.name}", tags=["{svc.name}"])')
    svc_import(ctx, m, 1, "db.session", "get_session")
    svc_import(ctx, m, 1, "events", "EventPublisher")
    cross = maybe_cross(ctx, m)
    cross_calls, cross_stmts = cross_usage(cross)
    m.header.append("SessionDep = Annotated[AsyncSession, Depends(get_session)]")
    mains = [mod for mod in svc.application_modules if mod.endswith("_service")]
    deps: list[tuple[Entity, str]] = []
    for app_mod in mains[:3]:
        ent = next(e for e in svc.entities if f"{e.snake}_service" == app_mod)
        app_cls = svc.application_classes[app_mod]
        repo = svc.repository_class(ent)
        svc_import(ctx, m, 1, f"application.{app_mod}", app_cls)
        svc_import(ctx, m, 1, f"repositories.{svc.repository_module(ent)}", repo)
        dep = f"get_{ent.snake}_service"
        alias = f"{app_cls}Dep"
        m.add(
            [
                *fmt_call(f"def {dep}", ["session: SessionDep"], 0, f" -> {app_cls}:"),
                *indent(fmt_call(f"return {app_cls}", [f"{repo}(session)", "EventPublisher()"], 4)),
            ]
        )
        m.add([f"{alias} = Annotated[", f"{IND}{app_cls},", f"{IND}Depends({dep}),", "]"])
        deps.append((ent, alias))
    taken: set[str] = set()
    first = True
    while m.size() < ctx.target:
        ent, alias = rng.choice(deps)
        verb = rng.choice(HTTP_VERBS)
        noun = rng.choice(NOUNS)
        name = f"{verb}_{ent.snake}_{noun}"
        n = 2
        while name in taken:
            name = f"{verb}_{ent.snake}_{noun}_{n}"
            n += 1
        taken.add(name)
        path = f"/{plural(ent.snake).replace('_', '-')}/{{item_id}}/{noun}"
        params: list[tuple[str, str]] = [("item_id", "UUID"), ("request", "Request")]
        if verb in ("post", "put", "patch"):
            req = f"{ent.name}{'Create' if verb == 'post' else 'Update'}Request"
            svc_import(ctx, m, 1, "schemas", req)
            params.append(("payload", req))
        params.append(("service", alias))
        dec_args = [f'"{path}"']
        r = rng.random()
        if r < 0.5:
            resp = f"{ent.name}{rng.choice(['Response', 'Summary'])}"
            svc_import(ctx, m, 1, "schemas", resp)
            dec_args.append(f"response_model=list[{resp}]" if r < 0.2 else f"response_model={resp}")
        elif r < 0.8:
            dec_args.append(f'summary="{human(name).capitalize()}"')
        if verb == "post":
            dec_args.append("status_code=201")
        header = rng.random() < 0.65
        prologue = (
            ['correlation_id = request.headers.get("x-correlation-id", "")'] if header else []
        )
        tail: list[str] = []
        if header:
            tail = fmt_call(
                "await service.publish_change", ["str(item_id)", f'"{verb}"', "correlation_id"], 4
            )
        m.add(
            function_lines(
                m,
                rng,
                name=name,
                params=params,
                is_async=True,
                decorators=[fmt_call(f"@router.{verb}", dec_args, 0)],
                corr="correlation_id" if header else None,
                logger=svc.logger_kind,
                calls=cross_calls,
                prologue=prologue,
                epilogue=[*(cross_stmts if first else []), *tail],
                service=svc.name,
                blocks=(3, 7),
                calls_all=first,
            )
        )
        first = False
    return m


def gen_main(ctx: Ctx) -> Module:
    svc = ctx.svc
    m = Module(f"services/{svc.name}/main.py", f"ASGI application of the {svc.name} service.")
    m.need("fastapi", "FastAPI", "Request", "Response")
    m.need("collections.abc", "Awaitable", "Callable")
    m.need("uuid", "uuid4")
    svc_import(ctx, m, 1, "api", "router")
    svc_import(ctx, m, 1, "db.session", "dispose_engine")
    m.header.extend([f'app = FastAPI(title="{svc.name}")', "app.include_router(router)"])
    m.add(
        [
            '@app.middleware("http")',
            "async def correlation_middleware(",
            f"{IND}request: Request,",
            f"{IND}call_next: Callable[[Request], Awaitable[Response]],",
            ") -> Response:",
            f'{IND}correlation_id = request.headers.get("x-correlation-id")',
            f"{IND}if not correlation_id:",
            f"{IND * 2}correlation_id = str(uuid4())",
            f"{IND}request.state.correlation_id = correlation_id",
            f"{IND}response = await call_next(request)",
            f'{IND}response.headers["x-correlation-id"] = correlation_id',
            f"{IND}return response",
        ]
    )
    m.add(
        [
            '@app.on_event("shutdown")',
            "async def shutdown() -> None:",
            f"{IND}await dispose_engine()",
        ]
    )
    m.add(
        [
            '@app.get("/health")',
            "async def health() -> dict[str, str]:",
            f'{IND}return {{"status": "ok", "service": "{svc.name}"}}',
        ]
    )
    return m


def gen_alembic_env(ctx: Ctx) -> Module:
    svc = ctx.svc
    m = Module(f"services/{svc.name}/alembic/env.py", "Alembic environment.")
    m.need("alembic", "context")
    m.need("sqlalchemy", "engine_from_config", "pool")
    m.need(f"services.{svc.name}.models_db", "Base")
    m.header.extend(["config = context.config", "target_metadata = Base.metadata"])
    m.add(
        [
            "def run_migrations_online() -> None:",
            f"{IND}connectable = engine_from_config(",
            f"{IND * 2}config.get_section(config.config_ini_section) or {{}},",
            f'{IND * 2}prefix="sqlalchemy.",',
            f"{IND * 2}poolclass=pool.NullPool,",
            f"{IND})",
            f"{IND}with connectable.connect() as connection:",
            f"{IND * 2}context.configure(",
            f"{IND * 3}connection=connection,",
            f"{IND * 3}target_metadata=target_metadata,",
            f"{IND * 2})",
            f"{IND * 2}with context.begin_transaction():",
            f"{IND * 3}context.run_migrations()",
        ]
    )
    m.footer.append("run_migrations_online()")
    return m


def gen_migration(ctx: Ctx, idx: int, ents: list[Entity], prev: str | None) -> tuple[Module, str]:
    svc, rng = ctx.svc, ctx.rng
    rev = f"{rng.getrandbits(48):012x}"
    label = "initial" if idx == 0 else f"add_{ents[0].snake}"
    m = Module(
        f"services/{svc.name}/alembic/versions/{idx + 1:04d}_{label}.py",
        f"{human(label).capitalize()} for the {svc.name} service.",
    )
    m.need("alembic", "op")
    m.need("sqlalchemy as sa")
    m.header.extend(
        [
            f'revision = "{rev}"',
            f"down_revision = {'None' if prev is None else repr(prev).replace(chr(39), chr(34))}",
            "branch_labels = None",
            "depends_on = None",
        ]
    )
    up: list[str] = []
    down: list[str] = []
    for ent in ents:
        cols: list[Arg] = [f'"{ent.table}"', 'sa.Column("id", sa.Uuid(), primary_key=True)']
        for cname, _ctype, satype, nullable in ent.columns:
            sa_t = "sa." + satype if "(" in satype else f"sa.{satype}()"
            cols.append(f'sa.Column("{cname}", {sa_t}, nullable={nullable})')
        for cname, _, _ in ent.json_columns:
            cols.append(f'sa.Column("{cname}", sa.JSON(), nullable=True)')
        cols.append('sa.Column("created_at", sa.DateTime(timezone=True))')
        up.extend(fmt_call("op.create_table", cols, 4))
        if any(c[0] == "status" for c in ent.columns):
            up.extend(
                fmt_call(
                    "op.create_index",
                    [f'"ix_{ent.table}_status"', f'"{ent.table}"', '["status"]'],
                    4,
                )
            )
        down.insert(0, f'op.drop_table("{ent.table}")')
    m.add(["def upgrade() -> None:", *indent(up)])
    m.add(["def downgrade() -> None:", *indent(down)])
    return m, rev


def gen_conftest(ctx: Ctx) -> Module:
    svc, rng = ctx.svc, ctx.rng
    m = Module(f"services/{svc.name}/tests/conftest.py", "Shared test fixtures.")
    m.need("pytest")
    m.need("typing", "Any")
    rows = []
    for i in range(rng.randint(4, 8)):
        rows.append(
            f'{IND * 2}{{"id": "{i + 1}", "status": "{rng.choice(["new", "done", "failed"])}", '
            f'"amount": "{rng.randint(1, 999)}.00"}},'
        )
    m.add(
        [
            "@pytest.fixture",
            "def sample_items() -> list[dict[str, Any]]:",
            f"{IND}return [",
            *rows,
            f"{IND}]",
        ]
    )
    m.add(
        [
            "@pytest.fixture",
            "def correlation_id() -> str:",
            f'{IND}return "test-correlation-id"',
        ]
    )
    return m


def gen_test(ctx: Ctx, target_mod: str) -> Module:
    svc, rng = ctx.svc, ctx.rng
    m = Module(f"services/{svc.name}/tests/test_{target_mod}.py", f"Tests for {human(target_mod)}.")
    m.need("pytest")
    m.need("typing", "Any")
    fns = svc.domain_functions[target_mod]
    m.need(f"services.{svc.name}.domain.{target_mod}", *fns)
    if rng.random() < 0.05 and len(ctx.project.services) > 1:
        other = rng.choice([o for o in ctx.project.services if o.name != svc.name])
        ent = rng.choice(other.entities)
        m.need(f"{other.pkg}.models_db", ent.name)
        m.add(
            [
                "def test_peer_table_name() -> None:",
                f'{IND}assert {ent.name}.__tablename__.endswith("s")',
            ]
        )
    i = 0
    while m.size() < ctx.target:
        fn = fns[i % len(fns)]
        i += 1
        kind = rng.random()
        if kind < 0.4:
            head = fmt_call(
                f"def test_{fn}_returns_mapping_{i}",
                ["sample_items: list[dict[str, Any]]"],
                0,
                " -> None:",
            )
            m.add(
                [
                    *head,
                    f"{IND}result = {fn}(sample_items, limit={rng.randint(1, 50)})",
                    f"{IND}assert isinstance(result, dict)",
                    f"{IND}assert all(isinstance(k, str) for k in result)",
                ]
            )
        elif kind < 0.7:
            m.add(
                [
                    '@pytest.mark.parametrize("limit", [1, 5, 10, 100])',
                    f"def test_{fn}_limits_{i}(limit: int) -> None:",
                    f'{IND}items = [{{"id": str(n), "status": "new"}} for n in range(20)]',
                    f"{IND}result = {fn}(items, limit=limit)",
                    f"{IND}assert result is not None",
                ]
            )
        else:
            m.add(
                [
                    f"def test_{fn}_empty_{i}() -> None:",
                    f"{IND}result = {fn}([], limit=10)",
                    f"{IND}assert isinstance(result, dict)",
                    f"{IND}with pytest.raises((ValueError, KeyError), match=None):",
                    f'{IND * 2}raise ValueError("expected")',
                ]
            )
    return m


def gen_init(path: str, doc: str, exports: Sequence[tuple[str, str]] = ()) -> Module:
    m = Module(path, doc)
    for mod, name in exports:
        m.need(mod, name)
    if exports:
        m.footer.extend(
            ["__all__ = [", *[f'{IND}"{n}",' for _, n in sorted(exports, key=lambda x: x[1])], "]"]
        )
    return m


# --------------------------------------------------------------------------
# Shared packages
# --------------------------------------------------------------------------


def shared_field(
    m: Module, fname: str, ftype: str, desc: str, default: str | None = None
) -> list[str]:
    for token, need in FIELD_TYPE_NEEDS.items():
        if re.search(rf"\b{token}\b", ftype):
            m.need(*need)
    args: list[str] = []
    if default in ("list", "dict"):
        args.append(f"default_factory={default}")
    elif default is not None:
        args.append(f"default={default}")
    args.append(f'description="{desc}"')
    return fmt_call(f"{fname}: {ftype} = Field", args, 4)


def gen_common(project: Project, rng: random.Random) -> list[Module]:
    mods: list[Module] = []
    env = Module(
        "common/models/envelope.py", "The event envelope every published event travels in."
    )
    env.need("pydantic", "BaseModel", "ConfigDict", "Field")
    env.need("typing", "Generic", "TypeVar")
    env.header.append('DataT = TypeVar("DataT", bound=BaseModel)')
    body = [
        *docstring_lines("Standard metadata around an event payload.", 4),
        "",
        'model_config = ConfigDict(extra="forbid", frozen=True)',
        "",
        *shared_field(env, "event_id", "UUID", "Unique id of this event."),
        *shared_field(env, "event_timestamp", "datetime", "When the event happened (UTC)."),
        *shared_field(env, "source_service", "str", "Service that published the event."),
        *shared_field(env, "correlation_id", "str", "Id shared by all work for one request."),
        *shared_field(env, "schema_version", "int", "Version of the payload schema.", "1"),
        *shared_field(env, "data", "DataT", "The event payload."),
    ]
    env.add(["class EventEnvelope(BaseModel, Generic[DataT]):", *indent(body)])
    mods.append(env)

    meta = Module(
        "common/models/metadata_models.py", "Typed metadata models shared by all services."
    )
    meta.need("pydantic", "BaseModel", "ConfigDict", "Field")
    specs: dict[str, list[tuple[str, str, str, str | None]]] = {
        "StorageReferenceMetadata": [
            ("bucket", "str", "Bucket or container that holds the object.", None),
            ("key", "str", "Object key inside the bucket.", None),
            (
                "content_type",
                "str",
                "MIME type of the stored object.",
                '"application/octet-stream"',
            ),
            ("size_bytes", "int", "Size of the stored object in bytes.", "0"),
            ("checksum", "str | None", "SHA-256 of the content, hex encoded.", "None"),
        ],
        "ProcessingMetadata": [
            ("pipeline", "str", "Pipeline that produced the data.", None),
            ("started_at", "datetime", "When processing started.", None),
            ("finished_at", "datetime | None", "When processing finished.", "None"),
            ("attempts", "int", "How many attempts were made.", "1"),
        ],
        "AuditMetadata": [
            ("actor", "str", "User or service that made the change.", None),
            ("reason", "str | None", "Why the change was made.", "None"),
            ("request_id", "str | None", "Request that caused the change.", "None"),
        ],
        "SourceMetadata": [
            ("system", "str", "Originating system.", None),
            ("record_id", "str", "Id of the record in the originating system.", None),
            ("imported_at", "datetime", "When the record was imported.", None),
        ],
    }
    for cls, fields in specs.items():
        body = [
            *docstring_lines(f"{human(snake(cls)).capitalize()}.", 4),
            "",
            'model_config = ConfigDict(extra="forbid")',
            "",
        ]
        for fname, ftype, desc, default in fields:
            body.extend(shared_field(meta, fname, ftype, desc, default))
        meta.add([f"class {cls}(BaseModel):", *indent(body)])
    mods.append(meta)

    enums = Module("common/models/enums.py", "Enumerations shared across services.")
    enums.need("enum", "Enum")
    enums.add(
        [
            "class Currency(str, Enum):",
            *[f'{IND}{c} = "{c}"' for c in ("EUR", "USD", "GBP", "CHF", "SEK")],
        ]
    )
    enums.add(
        [
            "class LifecycleStatus(str, Enum):",
            *[f'{IND}{c.upper()} = "{c}"' for c in ("new", "active", "suspended", "closed")],
        ]
    )
    mods.append(enums)

    dto = Module("common/models/dto.py", "Request and response models shared by service APIs.")
    dto.need("pydantic", "BaseModel", "Field")
    dto_fields: dict[str, list[tuple[str, str, str, str | None]]] = {
        "PageRequest": [
            ("page", "int", "1-based page number.", "1"),
            ("size", "int", "Items per page.", "50"),
        ],
        "PageResponse": [
            ("page", "int", "Page number.", None),
            ("total", "int", "Total number of items.", None),
            ("request_id", "str", "Request id.", None),
            ("timestamp", "datetime", "When the response was built.", None),
        ],
        "ErrorResponse": [
            ("code", "str", "Machine-readable error code.", None),
            ("message", "str", "Human-readable message.", None),
            ("request_id", "str", "Request id.", None),
        ],
        "HealthResponse": [
            ("status", "str", "Health state.", '"ok"'),
            ("version", "str", "Deployed version.", None),
        ],
        "AuditTrailEntry": [
            ("entity_id", "str", "Id of the entity concerned.", None),
            ("reason", "str", "Why it happened.", None),
            ("source_service", "str", "Service that reports it.", None),
        ],
        "MoneyAmount": [
            ("amount", "Decimal", "Amount in major units.", None),
            ("currency", "str", "ISO 4217 code.", None),
        ],
    }
    for cls, fields in dto_fields.items():
        body = [*docstring_lines(f"{human(snake(cls)).capitalize()}.", 4), ""]
        for fname, ftype, desc, default in fields:
            body.extend(shared_field(dto, fname, ftype, desc, default))
        dto.add([f"class {cls}(BaseModel):", *indent(body)])
    mods.append(dto)

    generic = Module("common/models/events/generic.py", "Events that any service may publish.")
    generic.need("pydantic", "BaseModel", "Field")
    body = [
        *docstring_lines("A generic change notification.", 4),
        "",
        *shared_field(generic, "entity_type", "str", "Kind of entity that changed."),
        *shared_field(generic, "entity_id", "str", "Id of the entity that changed."),
        *shared_field(generic, "change", "str", "What happened to it."),
    ]
    generic.add(["class EntityChangedEventV1(BaseModel):", *indent(body)])
    mods.append(generic)
    exports: list[tuple[str, str]] = [(".generic", "EntityChangedEventV1")]
    for svc_name, events in project.shared_events.items():
        em = Module(
            f"common/models/events/{svc_name}.py", f"Events published by the {svc_name} service."
        )
        em.need("pydantic", "BaseModel", "Field")
        svc = project.service(svc_name)
        for ev in events:
            body = [*docstring_lines(f"{human(snake(ev)).capitalize()}.", 4), ""]
            body.extend(shared_field(em, "entity_id", "str", f"Id of the {human(svc.main.snake)}."))
            body.extend(shared_field(em, "change", "str", "What changed."))
            for fname, ftype, default in rng.sample(SCHEMA_FIELDS, 3):
                desc = f"{human(fname).capitalize()} of the {human(svc.main.snake)}."
                if rng.random() < 0.05:
                    body.append(
                        f"{fname}: {ftype}"
                        + (f" = {default}" if default and default not in ("list", "dict") else "")
                    )
                    for token, need in FIELD_TYPE_NEEDS.items():
                        if re.search(rf"\b{token}\b", ftype):
                            em.need(*need)
                    continue
                body.extend(shared_field(em, fname, ftype, desc, default))
            if rng.random() < 0.4:
                em.need("common.models.metadata_models", "StorageReferenceMetadata")
                body.extend(
                    shared_field(
                        em,
                        "attachment",
                        "StorageReferenceMetadata | None",
                        "Stored document for this event.",
                        "None",
                    )
                )
            em.add([f"class {ev}(BaseModel):", *indent(body)])
            exports.append((f".{svc_name}", ev))
        mods.append(em)
    mods.append(gen_init("common/models/events/__init__.py", "Shared event payloads.", exports))
    mods.append(
        gen_init(
            "common/models/__init__.py",
            "Shared Pydantic models of the platform.",
            [
                (".envelope", "EventEnvelope"),
                (".metadata_models", "StorageReferenceMetadata"),
                (".metadata_models", "ProcessingMetadata"),
                (".dto", "PageRequest"),
                (".dto", "PageResponse"),
                (".dto", "ErrorResponse"),
            ],
        )
    )
    mods.append(gen_init("common/__init__.py", "Code shared by all services."))
    return mods


def gen_libs(rng: random.Random, target: int) -> list[Module]:
    mods: list[Module] = []
    ids = Module("libs/shared/ids.py", "Identifier helpers.")
    ids.need("uuid")
    ids.add(["def new_event_id() -> uuid.UUID:", f"{IND}return uuid.uuid4()"])
    ids.add(["def new_correlation_id() -> str:", f"{IND}return uuid.uuid4().hex"])
    mods.append(ids)
    tu = Module("libs/shared/time_utils.py", "Time helpers.")
    tu.need("datetime", "datetime", "timezone")
    tu.add(["def utc_now() -> datetime:", f"{IND}return datetime.now(timezone.utc)"])
    tu.add(
        [
            "def to_iso(value: datetime | None) -> str | None:",
            f"{IND}if value is None:",
            f"{IND * 2}return None",
            f"{IND}if value.tzinfo is None:",
            f"{IND * 2}value = value.replace(tzinfo=timezone.utc)",
            f"{IND}return value.isoformat()",
        ]
    )
    mods.append(tu)
    retry = Module("libs/shared/retry.py", "Retry decorator for coroutines.")
    retry.need("asyncio")
    retry.need("functools")
    retry.need("collections.abc", "Awaitable", "Callable")
    retry.need("typing", "ParamSpec", "TypeVar")
    retry.header.extend(['P = ParamSpec("P")', 'T = TypeVar("T")'])
    retry.add(
        [
            "def retry_async(",
            f"{IND}attempts: int = 3, delay: float = 0.1",
            ") -> Callable[[Callable[P, Awaitable[T]]], Callable[P, Awaitable[T]]]:",
            f'{IND}"""Retry a coroutine function on any exception."""',
            "",
            f"{IND}def decorate(",
            f"{IND * 2}func: Callable[P, Awaitable[T]],",
            f"{IND}) -> Callable[P, Awaitable[T]]:",
            f"{IND * 2}@functools.wraps(func)",
            f"{IND * 2}async def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:",
            f"{IND * 3}for attempt in range(1, attempts + 1):",
            f"{IND * 4}try:",
            f"{IND * 5}return await func(*args, **kwargs)",
            f"{IND * 4}except Exception:",
            f"{IND * 5}if attempt == attempts:",
            f"{IND * 6}raise",
            f"{IND * 5}await asyncio.sleep(delay * attempt)",
            f'{IND * 3}raise AssertionError("unreachable")',
            "",
            f"{IND * 2}return wrapper",
            "",
            f"{IND}return decorate",
        ]
    )
    mods.append(retry)
    for name in ("collections_utils", "text_utils", "logging_utils"):
        m = Module(f"libs/shared/{name}.py", f"{human(name).capitalize()}.")
        taken: set[str] = set()
        while m.size() < target:
            fn = fn_name(rng, taken)
            m.add(
                function_lines(
                    m,
                    rng,
                    name=fn,
                    params=[("items", "list[dict[str, Any]]"), ("limit", "int = 100")],
                    doc=f"{human(fn).capitalize()}.",
                    blocks=(4, 8),
                )
            )
        mods.append(m)
    mods.append(gen_init("libs/shared/__init__.py", "Utilities shared by services."))
    mods.append(gen_init("libs/__init__.py", "Internal libraries."))
    return mods


# --------------------------------------------------------------------------
# Driver
# --------------------------------------------------------------------------

TARGETS: dict[str, tuple[int, int]] = {
    "api": (270, 414),
    "schemas": (198, 378),
    "models_db": (207, 342),
    "repository": (198, 324),
    "handler": (198, 342),
    "domain": (198, 360),
    "application": (252, 414),
    "events": (108, 198),
    "test": (117, 234),
    "lib": (162, 270),
}


def target(rng: random.Random, kind: str, scale: float) -> int:
    lo, hi = TARGETS[kind]
    return int(rng.randint(lo, hi) * scale)


def plan_cross(project: Project, rate: float) -> None:
    """Choose which modules import another service (some into its data layer)."""
    rng = random.Random(f"cross:{project.seed}")
    names = [s.name for s in project.services]
    if len(names) < 2:
        return
    for svc in project.services:
        candidates = (
            [f"services/{svc.name}/api.py"]
            + [f"services/{svc.name}/handlers/{h}.py" for h in svc.handler_modules]
            + [f"services/{svc.name}/application/{a}.py" for a in svc.application_modules]
            + [f"services/{svc.name}/domain/{d}.py" for d in svc.domain_modules]
        )
        for path in candidates:
            if rng.random() < rate:
                other = rng.choice([n for n in names if n != svc.name])
                data = rng.random() < 0.45 and "/domain/" not in path
                project.cross_modules[path] = (other, data)


# Words of the trailing comments that make lines too long for flake8 (E501):
# nothing a linter reads in a comment (no noqa, type:, pragma or arch-lint).
_COMMENT_TEXT = (
    "keep this in step with the upstream contract until callers migrate see ticket for why "
    "order matters here retries are bounded by caller value checked earlier legacy clients "
    "still send it cheap enough on hot path measured last quarter"
)
COMMENT_WORDS = tuple(_COMMENT_TEXT.split(" "))


def add_long_lines(text: str, tree: ast.Module, rng: random.Random, rate: float) -> tuple[str, int]:
    """Give the file, with probability ``rate``, one to three lines longer than
    flake8's 79 characters, as real code has: a trailing comment on a simple
    statement that fits on one line. The syntax tree and every line number stay
    the same, so arch-lint's findings do not change. Returns the text and how
    many lines were made long."""
    if rate <= 0 or rng.random() >= rate:
        return text, 0
    lines = text.split("\n")
    candidates = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.stmt) or node.lineno != node.end_lineno:
            continue
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            continue
        if isinstance(node, (ast.If, ast.For, ast.While, ast.With, ast.Try, ast.AsyncFor)):
            continue
        line = lines[node.lineno - 1]
        indent_width = len(line) - len(line.lstrip(" "))
        if (
            "#" in line
            or indent_width != node.col_offset
            or node.end_col_offset != len(line.rstrip())
            or len(line) > MAX_LINE - 12
        ):
            continue
        candidates.append(node.lineno - 1)
    if not candidates:
        return text, 0
    chosen = rng.sample(sorted(set(candidates)), min(len(set(candidates)), rng.randint(1, 3)))
    for index in chosen:
        line = lines[index].rstrip()
        goal = rng.randint(MAX_LINE + 3, 99)
        comment = "  #"
        while len(line) + len(comment) < goal:
            comment += " " + rng.choice(COMMENT_WORDS)
        lines[index] = line + comment
    return "\n".join(lines), len(chosen)


def generate(
    out: Path,
    n_services: int,
    n_modules: int,
    seed: int,
    scale: float,
    cross_rate: float,
    long_line_rate: float = 0.8,
) -> Stats:
    project = plan_project(n_services, n_modules, seed)
    plan_cross(project, cross_rate)
    modules: list[Module] = []
    mods_rng = random.Random(f"shared:{seed}")
    modules.extend(gen_common(project, mods_rng))
    modules.extend(gen_libs(mods_rng, target(mods_rng, "lib", scale)))
    for svc in project.services:
        base = f"services/{svc.name}"

        def ctx(path: str, kind: str | None, svc: ServicePlan = svc) -> Ctx:
            rng = random.Random(f"{seed}:{path}")
            return Ctx(project, svc, rng, target(rng, kind, scale) if kind else 0)

        modules.append(gen_init(f"{base}/__init__.py", f"The {svc.name} service."))
        modules.append(gen_api(ctx(f"{base}/api.py", "api")))
        modules.append(gen_schemas(ctx(f"{base}/schemas.py", "schemas")))
        modules.append(gen_models_db(ctx(f"{base}/models_db.py", "models_db")))
        modules.append(gen_config(ctx(f"{base}/config.py", None)))
        modules.append(gen_events(ctx(f"{base}/events.py", "events")))
        modules.append(gen_main(ctx(f"{base}/main.py", None)))
        modules.append(gen_init(f"{base}/db/__init__.py", "Database access."))
        modules.append(gen_db_session(ctx(f"{base}/db/session.py", None)))
        modules.append(gen_init(f"{base}/handlers/__init__.py", "Event handlers."))
        for h in svc.handler_modules:
            modules.append(gen_handler(ctx(f"{base}/handlers/{h}.py", "handler"), h))
        modules.append(gen_init(f"{base}/domain/__init__.py", "Domain model and rules."))
        for i, d in enumerate(svc.domain_modules):
            modules.append(
                gen_domain(ctx(f"{base}/domain/{d}.py", "domain"), d, svc.domain_modules[:i])
            )
        modules.append(gen_init(f"{base}/application/__init__.py", "Application services."))
        for a in svc.application_modules:
            modules.append(gen_application(ctx(f"{base}/application/{a}.py", "application"), a))
        repo_exports = [
            (f".{svc.repository_module(e)}", svc.repository_class(e)) for e in svc.entities
        ]
        modules.append(gen_init(f"{base}/repositories/__init__.py", "Repositories.", repo_exports))
        for e in svc.entities:
            path = f"{base}/repositories/{svc.repository_module(e)}.py"
            modules.append(gen_repository(ctx(path, "repository"), e))
        modules.append(gen_init(f"{base}/tests/__init__.py", "Tests."))
        modules.append(gen_conftest(ctx(f"{base}/tests/conftest.py", None)))
        test_rng = random.Random(f"{seed}:{base}/tests")
        for d in test_rng.sample(svc.domain_modules, max(1, len(svc.domain_modules) * 3 // 4)):
            modules.append(gen_test(ctx(f"{base}/tests/test_{d}.py", "test"), d))
        if svc.has_alembic:
            actx = ctx(f"{base}/alembic", None)
            modules.append(gen_alembic_env(actx))
            groups = [svc.entities[:2], *[[e] for e in svc.entities[2:]]]
            prev: str | None = None
            for i, group in enumerate(groups):
                mig, prev = gen_migration(actx, i, group, prev)
                modules.append(mig)

    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    stats = Stats()
    errors: list[str] = []
    for mod in modules:
        text = mod.render()
        try:
            tree = ast.parse(text, filename=mod.path, feature_version=(3, 10))
        except SyntaxError as exc:
            errors.append(f"{mod.path}:{exc.lineno}: {exc.msg}")
            continue
        text, long_lines = add_long_lines(
            text, tree, random.Random(f"long:{seed}:{mod.path}"), long_line_rate
        )
        if long_lines:
            stats.long_line_files += 1
            stats.long_lines += long_lines
        dest = out / mod.path
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_text(text, encoding="utf-8")
        n = text.count("\n")
        stats.files += 1
        stats.lines += n
        if not is_excluded(mod.path):
            stats.checked_files += 1
            stats.checked_lines += n
        count_imports(tree, mod.path, stats)
    if errors:
        raise SystemExit("generated invalid Python:\n" + "\n".join(errors[:20]))
    (out / "pyproject.toml").write_text(
        "# Synthetic monorepo generated by benchmarks/generate_monorepo.py.\n"
        '# arch-lint defaults apply: services = ["services/*"],\n'
        '# shared-models = ["common/models"].\n'
        "[tool.arch_lint]\n",
        encoding="utf-8",
    )
    return stats


def is_excluded(rel: str) -> bool:
    """SPEC §3 default ``exclude``: files arch-lint never reports on."""
    parts = rel.split("/")
    name = parts[-1]
    if "tests" in parts[:-1]:
        return True
    if name.startswith("test_") or name.endswith("_test.py") or name == "conftest.py":
        return True
    for i in range(len(parts) - 2):
        if parts[i] in ("alembic", "migrations") and parts[i + 1] == "versions":
            return True
    top = {".git", ".venv", "venv", ".tox", "build", "dist", "node_modules", "__pypackages__"}
    return len(parts) > 1 and parts[0] in top


def count_imports(tree: ast.Module, rel: str, stats: Stats) -> None:
    parts = rel.split("/")
    own = parts[1] if parts[0] == "services" and len(parts) > 2 else None
    pkg_parts = parts[:-1]
    for node in ast.walk(tree):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.module == "__future__":
                continue
            if node.level:
                base = pkg_parts[: len(pkg_parts) - (node.level - 1)]
                targets = [".".join([*base, *(node.module.split(".") if node.module else [])])]
            else:
                targets = [node.module or ""]
        else:
            continue
        stats.import_statements += 1
        kind = "stdlib/third-party"
        for t in targets:
            segs = t.split(".")
            if segs[0] in FIRST_PARTY:
                kind = "first-party"
                if segs[0] == "services" and own and len(segs) > 1 and segs[1] != own:
                    kind = "cross-service"
                    if len(segs) > 2 and segs[2] in ("models_db", "repositories", "db"):
                        kind = "cross-service-data"
        if kind != "stdlib/third-party":
            stats.first_party_imports += 1
        if kind.startswith("cross-service") and not is_excluded(rel):
            stats.cross_service_imports += 1
            if kind == "cross-service-data":
                stats.cross_service_data_imports += 1
        stats.by_kind[kind] = stats.by_kind.get(kind, 0) + 1


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("out_dir", type=Path, help="directory to create (replaced if it exists)")
    parser.add_argument("--services", type=int, default=40, help="number of services (default 40)")
    parser.add_argument(
        "--modules",
        type=int,
        default=8,
        help="modules per handlers/, domain/ and application/ package (default 8)",
    )
    parser.add_argument("--seed", type=int, default=1234, help="random seed (default 1234)")
    parser.add_argument(
        "--scale", type=float, default=1.0, help="multiply target file sizes (default 1.0)"
    )
    parser.add_argument(
        "--cross-rate",
        type=float,
        default=0.05,
        help="share of service modules that import another service (default 0.05)",
    )
    parser.add_argument(
        "--long-lines",
        type=float,
        default=0.8,
        help="share of files given 1-3 lines over 79 characters, flake8's E501, as real "
        "code has (default 0.8; 0 for a flake8-clean corpus)",
    )
    args = parser.parse_args(argv)
    if args.services < 1 or args.modules < 1:
        parser.error("--services and --modules must be at least 1")
    stats = generate(
        args.out_dir,
        args.services,
        args.modules,
        args.seed,
        args.scale,
        args.cross_rate,
        args.long_lines,
    )
    mean = stats.lines / stats.files
    checked_mean = stats.checked_lines / max(stats.checked_files, 1)
    print(f"wrote {stats.files} .py files to {args.out_dir}")
    print(f"  lines: {stats.lines} total, {mean:.1f} mean per file")
    print(
        f"  checked (default exclude): {stats.checked_files} files, "
        f"{stats.checked_lines} lines, {checked_mean:.1f} mean"
    )
    share = 100.0 * stats.cross_service_imports / max(stats.first_party_imports, 1)
    print(
        f"  imports: {stats.import_statements} statements, {stats.first_party_imports} "
        f"first-party, {stats.cross_service_imports} cross-service in checked files "
        f"({share:.1f}% of first-party; {stats.cross_service_data_imports} into a data layer)"
    )
    print(
        f"  flake8 findings: {stats.long_lines} lines over {MAX_LINE} characters (E501) "
        f"in {stats.long_line_files} files"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
