"""Per-file facts: what one file tells the rest of the project.

Extracted from the standard `ast` in one pass over the statements (expressions
are only walked when a cheap byte test says a dynamic import or a data-store
signal may be present). Facts are plain data so the cache can store them as
JSON; they never hold AST nodes.

Facts have two parts:
- the *interface* (module-level bindings, star imports, data-store signals,
  every import statement without its position, ...): what other files'
  findings may depend on; its hash keys their cache. Import statements at any
  depth belong to it: other files' findings follow them (ARC104: what an async
  module imports; ARC202/ARC209 and the graph: a wrapper module that reaches a
  broker);
- the *local* part (the positions of the import statements): what only this
  file's own findings use.
"""

from __future__ import annotations

import ast
import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from json.encoder import encode_basestring_ascii
from typing import Any, NamedTuple, cast

from arch_lint.index.brokers import BrokerFacts, read_brokers
from arch_lint.index.correlation import CorrelationFacts, extract_correlation
from arch_lint.index.correlation import cannot_hold as cannot_hold_correlation
from arch_lint.index.datalayer import TABLE, DataLayerReader, OrmClass, TableDecl
from arch_lint.index.http import HttpFacts, read_http
from arch_lint.index.models import (
    FIELD_NAMES,
    ClassFacts,
    const_value,
    describe_class,
    dotted,
    is_described_alias,
    position,
)
from arch_lint.index.semantic import bound_by_import, resolve
from arch_lint.index.stamps import StampFacts, declares_service_name, note_constant, read_stamps
from arch_lint.index.uses import RECEIVE, ModelUse, TopicUse, annotation_names, read_uses
from arch_lint.index.walk import assignment, binding_counts, push_children

FACTS_VERSION = 37

# Binding kinds (module-level names).
DEF = "def"
FROM = "from"
IMPORT = "import"


class ImportStmt(NamedTuple):
    """One import statement (or a dynamic import call with a literal name).

    A named tuple, not a frozen dataclass: a frozen dataclass's `__init__` sets
    each field through `object.__setattr__`, four times the cost of building a
    tuple, and a file has dozens of these."""

    kind: str
    """`import`, `from`, or `dynamic` (importlib.import_module / __import__)."""
    line: int
    col: int
    """0-based UTF-8 byte offset, as `ast` gives it."""
    end_line: int
    end_col: int
    level: int
    module: str | None
    """`from` imports: the module after the dots (None for `from . import x`)."""
    names: tuple[tuple[str, str | None], ...]
    """`(name, asname)`; for `import a.b` the dotted name; for dynamic, the literal."""
    type_checking: bool = False

    def to_json(self) -> list[Any]:
        return [
            self.kind,
            self.line,
            self.col,
            self.end_line,
            self.end_col,
            self.level,
            self.module,
            self.names,  # pairs encode as JSON arrays, as lists do
            self.type_checking,
        ]

    def interface(self) -> list[Any]:
        """The statement without its position (what other files may depend on)."""
        return [self.kind, self.level, self.module, self.names, self.type_checking]

    @classmethod
    def from_json(cls, data: list[Any]) -> ImportStmt:
        kind, line, col, end_line, end_col, level, module, names, tc = data
        return cls(
            kind, line, col, end_line, end_col, level, module, tuple((n, a) for n, a in names), tc
        )


class Export(NamedTuple):
    """What a module-level name is, as other files see it."""

    kind: str
    """`def` (defined here: a class, function or assignment), `import` or `from`."""
    module: str = ""
    """`import`: the dotted module it binds; `from`: the module after the dots."""
    name: str = ""
    """`from`: the name imported from `module`."""
    level: int = 0
    """`from`: how many dots lead the module (a relative import)."""


_DEFINED = Export(DEF)
"""The export of every name defined here (a tuple: one serves them all)."""


_COMPACT = json.JSONEncoder(separators=(",", ":"), check_circular=False)
"""`json.dumps(..., separators=(",", ":"))`, one encoder for every file (facts hold
no cycles to guard against)."""


def _made_once() -> Callable[[Any], str]:
    """`_COMPACT.encode`, its C encoder made once: `JSONEncoder.encode` makes
    it afresh at each call (a file's facts take a few calls, each costing as
    much as encoding a dozen values). The plain method where Python has no
    C encoder."""
    make = getattr(json.encoder, "c_make_encoder", None)
    if make is None:
        return _COMPACT.encode
    try:  # an internal of the json module: its signature may change
        encode = make(
            None, _COMPACT.default, encode_basestring_ascii, None, ":", ",", False, False, True
        )
        sample: list[Any] = [["a\u00e9", 1, 2.5, None, True], {"k": [False, "x\n"]}, []]
        if "".join(encode(sample, 0)) != _COMPACT.encode(sample):
            return _COMPACT.encode
    except Exception:
        return _COMPACT.encode
    return lambda value: "".join(encode(value, 0))


_compact = _made_once()


@lru_cache(maxsize=4096)
def _encoded_import(interface: tuple[Any, ...]) -> tuple[str, str]:
    """An import statement's interface as compact JSON, and that text encoded
    as a JSON string (as `interface_hash` holds it): the same few statements
    (`from __future__ import annotations`, `from pydantic import BaseModel`)
    stand in most files, and an encoder call costs more than the look-up. Each
    field has one type (`level` an int, `type_checking` a bool), so equal keys
    encode alike."""
    text = _compact(interface)
    return text, encode_basestring_ascii(text)


@lru_cache(maxsize=4096)
def _encoded_export(export: Export) -> str:
    """An export as compact JSON: most stand alike in many files (`Export(DEF)`,
    `from pydantic import BaseModel`), and the encoder spends more on the
    bindings than on all the rest of a file's facts."""
    return _compact(export)


@lru_cache(maxsize=8192)
def _encoded_binding(binding: tuple[str, Export]) -> str:
    """A binding (name, export) as compact JSON, its name escaped as the
    encoder escapes a string: many stand alike in many files (`BaseModel`
    from pydantic, `logger`), and each file's are encoded twice (for
    `interface_hash` and for `to_text`)."""
    name, export = binding
    return f"[{encode_basestring_ascii(name)},{_encoded_export(export)}]"


def _json(value: Any) -> str:
    """`_COMPACT.encode(value)`, without an encoder call for the commonest
    values of a file's facts: nothing and an empty list."""
    if value is None:
        return "null"
    if type(value) is list and not value:
        return "[]"
    return _compact(value)


@dataclass(slots=True)
class FileFacts:
    imports: list[ImportStmt] = field(default_factory=list)
    bindings: dict[str, Export] = field(default_factory=dict)
    star_imports: list[tuple[int, str | None]] = field(default_factory=list)
    data_store: str | None = None
    """Why the file is data-layer by content (e.g. `declares __tablename__`), or None."""
    classes: list[ClassFacts] = field(default_factory=list)
    """Every class with a base, outside functions (nested ones by qualified name)."""
    payloads: list[str] = field(default_factory=list)
    """Names used as the envelope's data: `EventEnvelope[X]`, `EventEnvelope(data=X(...))`."""
    described_aliases: list[str] = field(default_factory=list)
    """Module-level type aliases that carry a description
    (`OrderId = Annotated[str, Field(description=...)]`)."""
    calls: dict[str, tuple[str, str]] = field(default_factory=dict)
    """Module-level `name = f(...)`: name -> (callee as written, its import origin or "").
    How loggers made by factories are recognised in the files that import them."""
    tables: list[TableDecl] = field(default_factory=list)
    """Tables the file declares or (in a migration) creates."""
    orm: list[OrmClass] = field(default_factory=list)
    """Classes with JSON columns or a `type_annotation_map` (mixins included)."""
    associations: list[str] = field(default_factory=list)
    """`MutableDict.associate_with(...)` calls: JSON columns are tracked everywhere."""
    type_aliases: dict[str, str] = field(default_factory=dict)
    """Module-level type aliases (`OrderId = Annotated[str, ...]`, `Count = int`):
    name -> the type as written."""
    has_async: bool = False
    """The module defines an `async def` (at any depth) other than a start-up or
    shut-down hook (`_Extractor._async_def`): its code runs on an event loop, and
    so may what it imports (ARC104)."""
    correlation: CorrelationFacts | None = None
    """What the file installs, configures and defines that bears on correlation
    ids (middlewares, hooks, logging pipelines, ContextVars, logger factories);
    None when nothing (see `index/correlation.py`)."""
    # --- model uses (ARC202's evidence; read by `uses.py`) ---
    model_uses: list[ModelUse] = field(default_factory=list)
    """What the file does with classes: publishes, parses, stores, streams or
    returns them from routes (`uses.ModelUse`, sorted)."""
    topics: list[TopicUse] = field(default_factory=list)
    """The topics (queues, channels, subjects) the file publishes to, subscribes
    to or declares, by literal name (`uses.TopicUse`, sorted)."""
    # --- service names (ARC211's evidence; read by `stamps.py`) ---
    stamping: StampFacts | None = None
    """The `source_service` the file stamps, the service names it declares and
    its module constants (`stamps.StampFacts`); None when none."""
    brokers: BrokerFacts | None = None
    """What the file's names hold and which of its functions' calls may send on
    a message broker (`brokers.BrokerFacts`); None when nothing."""
    http: HttpFacts | None = None
    """Routes, calls to URLs, URL defaults (and a compose file's services): what
    the HTTP map is built from (`index/http.py`); None when nothing."""

    def declarations(self) -> FileFacts:
        """What a test or a migration's version excluded from checking gives
        the project (SPEC §3: it is read for project facts, tables from
        migrations and models; see `Layout.declarations_only`): what it
        declares, its classes (models, ORM classes), the tables it creates and
        the JSON columns it tracks (`associate_with`), and the names they are
        resolved through (its imports, bindings and type aliases). What it
        does (publishes, parses, stores, sends, logs, installs, routes,
        stamps) shows what a test does, not what the services do, and is left
        out."""
        return FileFacts(
            imports=self.imports,
            bindings=self.bindings,
            star_imports=self.star_imports,
            classes=self.classes,
            described_aliases=self.described_aliases,
            tables=self.tables,
            orm=self.orm,
            associations=self.associations,
            type_aliases=self.type_aliases,
        )

    def interface_json(self) -> list[Any]:
        # tuples (named ones too) encode as JSON arrays, as lists do: they are
        # handed to the encoder as they are (sorting pairs by their unique keys)
        imports = [text for text, _ in self._import_interfaces()]
        return [imports, sorted(self.bindings.items()), *self._interface_tail()]

    def _import_interfaces(self) -> list[tuple[str, str]]:
        """`_encoded_import` of each distinct statement's interface, sorted (by
        the JSON text). Distinct statements have distinct texts: the texts are
        made distinct instead of the statements (the encoding's look-up hashes
        each statement's fields once, a set of them would hash them again)."""
        return sorted(
            {
                _encoded_import((i.kind, i.level, i.module, i.names, i.type_checking))
                for i in self.imports
            }
        )

    def _interface_tail(self) -> list[Any]:
        """`interface_json` after the bindings."""
        return [
            self.star_imports,
            self.data_store,
            [c.interface() for c in self.classes],
            sorted(set(self.payloads)),
            sorted(self.calls.items()),
            sorted(self.described_aliases),
            [t.interface() for t in self.tables],
            [o.to_json() for o in self.orm],
            self.associations,
            sorted(self.type_aliases.items()),
            self.has_async,
            self.correlation.interface() if self.correlation else None,
            self.model_uses,
            self.topics,
            self.stamping.interface() if self.stamping else None,
            self.brokers.to_json() if self.brokers else None,
            self.http.interface() if self.http else None,
        ]

    def interface_hash(self) -> str:
        """A digest of `interface_json` (what other files may depend on)."""
        return self._encoded(text=False)[1]

    def encoded(self) -> tuple[str, str]:
        """`to_text()` and `interface_hash()` in one pass: the parts the facts
        and their interface both hold (the bindings, calls, aliases, uses,
        brokers...) are encoded once."""
        return self._encoded(text=True)

    def _encoded(self, text: bool) -> tuple[str, str]:
        """The facts' text ("" unless `text`) and their interface hash, each
        spliced from its items' texts (the JSON text of a list is its items'
        texts between brackets, comma-separated)."""
        bindings = ",".join([_encoded_binding(b) for b in sorted(self.bindings.items())])
        stars = _json(self.star_imports)
        data_store = _json(self.data_store)
        calls = _json(sorted(self.calls.items()))
        aliases = _json(sorted(self.described_aliases))
        orm = _json([o.to_json() for o in self.orm])
        associations = _json(self.associations)
        type_aliases = _json(sorted(self.type_aliases.items()))
        has_async = "true" if self.has_async else "false"
        model_uses = _json(self.model_uses)
        topics = _json(self.topics)
        brokers = _json(self.brokers.to_json() if self.brokers else None)
        correlation, stamping, http = self.correlation, self.stamping, self.http
        # an `ImportStmt` is a tuple of its `to_json` items: encoded as it is
        items = (
            ",".join(
                [
                    _json(self.imports),
                    f"[{bindings}]",
                    stars,
                    data_store,
                    _json([c.to_json() for c in self.classes]),
                    _json(self.payloads),
                    calls,
                    aliases,
                    _json([t.to_json() for t in self.tables]),
                    orm,
                    associations,
                    type_aliases,
                    has_async,
                    _json(correlation.to_json() if correlation else None),
                    model_uses,
                    topics,
                    _json(stamping.to_json() if stamping else None),
                    brokers,
                    _json(http.to_json() if http else None),
                ]
            )
            if text
            else ""
        )
        imports = ",".join([escaped for _, escaped in self._import_interfaces()])
        interface = ",".join(
            [
                f"[{imports}]",
                f"[{bindings}]",
                stars,
                data_store,
                _json([c.interface() for c in self.classes]),
                _json(sorted(set(self.payloads))),
                calls,
                aliases,
                _json([t.interface() for t in self.tables]),
                orm,
                associations,
                type_aliases,
                has_async,
                _json(correlation.interface() if correlation else None),
                model_uses,
                topics,
                _json(stamping.interface() if stamping else None),
                brokers,
                _json(http.interface() if http else None),
            ]
        )
        digest = hashlib.blake2b(f"[{interface}]".encode(), digest_size=12).hexdigest()
        return f"[{items}]" if text else "", digest

    def to_json(self) -> list[Any]:
        """The facts as JSON-able data (tuples as arrays: see `interface_json`)."""
        imports = [i.to_json() for i in self.imports]
        return [imports, sorted(self.bindings.items()), *self._json_tail()]

    def _json_tail(self) -> list[Any]:
        """`to_json` after the bindings."""
        return [
            self.star_imports,
            self.data_store,
            [c.to_json() for c in self.classes],
            self.payloads,
            sorted(self.calls.items()),
            sorted(self.described_aliases),
            [t.to_json() for t in self.tables],
            [o.to_json() for o in self.orm],
            self.associations,
            sorted(self.type_aliases.items()),
            self.has_async,
            self.correlation.to_json() if self.correlation else None,
            self.model_uses,
            self.topics,
            self.stamping.to_json() if self.stamping else None,
            self.brokers.to_json() if self.brokers else None,
            self.http.to_json() if self.http else None,
        ]

    def to_text(self) -> str:
        """The facts as compact JSON text (how the cache stores them): the
        encoding of `to_json`."""
        return self._encoded(text=True)[0]

    @classmethod
    def from_json(cls, data: list[Any]) -> FileFacts:
        (imports, bindings, stars, data_store, classes, payloads, calls, aliases, tables, orm,
         associations, type_aliases, has_async, correlation, model_uses, topics,
         stamping, brokers, http) = data  # fmt: skip
        return cls(
            imports=[ImportStmt.from_json(i) for i in imports],
            bindings={k: Export(*v) for k, v in bindings},
            star_imports=[(lvl, mod) for lvl, mod in stars],
            data_store=data_store,
            classes=[ClassFacts.from_json(c) for c in classes],
            payloads=list(payloads),
            calls={k: (v[0], v[1]) for k, v in calls},
            described_aliases=list(aliases),
            tables=[TableDecl.from_json(t) for t in tables],
            orm=[OrmClass.from_json(o) for o in orm],
            associations=list(associations),
            type_aliases={k: v for k, v in type_aliases},
            has_async=bool(has_async),
            correlation=CorrelationFacts.from_json(correlation) if correlation else None,
            model_uses=[ModelUse(*u) for u in model_uses],
            topics=[TopicUse(*t) for t in topics],
            stamping=StampFacts.from_json(stamping) if stamping else None,
            brokers=BrokerFacts.from_json(brokers) if brokers else None,
            http=HttpFacts.from_json(http) if http else None,
        )


# --- data-store signals -----------------------------------------------------

_DB_LIBRARIES = frozenset(
    {
        "sqlalchemy",
        "sqlmodel",
        "asyncpg",
        "psycopg",
        "psycopg2",
        "aiosqlite",
        "sqlite3",
        "aiomysql",
        "pymysql",
        "MySQLdb",
        "databases",
        "motor",
        "pymongo",
        "tortoise",
        "redis",
    }
)
_ENGINE_BUILDERS = frozenset(
    {
        "create_async_engine",
        "create_engine",
        "engine_from_config",
        "async_engine_from_config",
        "async_sessionmaker",
        "sessionmaker",
        "scoped_session",
        "async_scoped_session",
        "declarative_base",
    }
)
_CONNECTORS = frozenset({"connect", "create_pool"})
_CONNECTOR_MODULES = frozenset(
    {"asyncpg", "psycopg", "psycopg2", "aiosqlite", "sqlite3", "aiomysql", "pymysql", "MySQLdb"}
)
_ORM_BASES = frozenset({"DeclarativeBase", "DeclarativeBaseNoMeta", "AsyncAttrs"})
_NOT_ORM_BASES = frozenset({"Protocol", "Generic", "object", "TypedDict", "NamedTuple", "ABC"})


def _fewest(spellings: tuple[bytes, ...]) -> tuple[bytes, ...]:
    """The spellings that hold no other one (`async_sessionmaker` holds
    `sessionmaker`): a text holds one of `spellings` exactly where it holds one
    of these."""
    return tuple(s for s in spellings if not any(o in s and o != s for o in spellings))


_SIGNAL_BYTES = _fewest(
    (
        b"Table(",
        b"DeclarativeBase",
        *sorted(name.encode() for name in _ENGINE_BUILDERS),
        b"connect(",
        b"create_pool(",
    )
)
"""What a data-store call may be spelled with; `__tablename__`, `__table__` and
`table=True` too (`_TABLE_DATA_BYTES`)."""
_DYNAMIC_BYTES = (b"import_module", b"__import__")
"""Spellings of a dynamic import, each holding `import_` (one search where it does
not stand)."""
_DATA_BYTES = (b"Table(", b"JSON", b"Mapped[", b"type_annotation_map")
"""Spellings of the data layer (`cannot_hold`): each one a search of the bytes
(some 2 instructions a byte), so they are as few as the spellings allow."""
_COLUMN_BYTES = (b"Column(", b"mapped_column(")
"""More spellings of the data layer, each holding `olumn(`: searched only where
it stands, one search for both where it does not."""
_TABLE_DATA_BYTES = (b"__tablename__", b"__table__", b"table=True")
"""More spellings of the data layer, each holding `table` (as `create_table` does):
searched only where `table` stands, one search for all four where it does not."""
ORM = "orm"
TABLES = "tables"
ASSOCIATIONS = "associations"


def _may_signal(source: bytes) -> bool:
    """Whether the bytes spell one of `_SIGNAL_BYTES` or `_TABLE_DATA_BYTES`."""
    return any(b in source for b in _SIGNAL_BYTES) or (
        b"table" in source and any(b in source for b in _TABLE_DATA_BYTES)
    )


def cannot_hold(source: bytes) -> frozenset[str]:
    """The parts of a file's facts (`ORM`, `TABLES`, `ASSOCIATIONS`) its bytes
    cannot hold: the tests `extract` makes before it reads them (the build
    reads such files later, see `partial.PartialFacts`)."""
    out = set()
    table = b"table" in source
    if not (
        any(b in source for b in _DATA_BYTES)
        or (b"olumn(" in source and any(b in source for b in _COLUMN_BYTES))
        or (table and any(b in source for b in _TABLE_DATA_BYTES))
    ):
        out.add(ORM)
        if not table or b"create_table" not in source:
            out.add(TABLES)
    if b"associate_with" not in source:
        out.add(ASSOCIATIONS)
    return frozenset(out)


_TRY_NODES: frozenset[type[ast.stmt]] = frozenset(
    (ast.Try, ast.TryStar) if hasattr(ast, "TryStar") else (ast.Try,)  # TryStar: 3.11+
)


_LEAVES: frozenset[type[ast.AST]] = frozenset({ast.Name, ast.Constant})
"""Expressions with no expression under them."""
_LOOPS: frozenset[type[ast.stmt]] = frozenset({ast.For, ast.AsyncFor, ast.While})
_MODULE_LEVEL_ONLY: frozenset[type[ast.stmt]] = frozenset(
    {ast.Expr, ast.Assign, ast.AnnAssign, ast.AugAssign, ast.Return, ast.Pass, ast.Raise,
     ast.Assert, ast.Break, ast.Continue, ast.Delete, ast.Global, ast.Nonlocal,
     *((ast.TypeAlias,) if hasattr(ast, "TypeAlias") else ())}  # TypeAlias: 3.12+
)  # fmt: skip
"""Statements `_Extractor._stmt` reads only at module level (elsewhere they hold
no import, class, function or block)."""


_HOOK_EVENTS = frozenset({"startup", "shutdown"})


def _is_event_hook(decorator: ast.expr) -> bool:
    """`@app.on_event("startup")` or `"shutdown"` (FastAPI, Starlette)."""
    return (
        type(decorator) is ast.Call
        and type(decorator.func) is ast.Attribute
        and decorator.func.attr == "on_event"
        and len(decorator.args) == 1
        and type(decorator.args[0]) is ast.Constant
        and decorator.args[0].value in _HOOK_EVENTS
    )


_SCHEDULING = frozenset(
    {"create_task", "ensure_future", "start_soon", "start", "spawn", "add_task", "add_job",
     "run_coroutine_threadsafe", "TaskGroup", "create_task_group", "open_nursery",
     "call_soon", "call_soon_threadsafe", "call_later", "call_at"}
)  # fmt: skip
"""Calls that start work on the loop that outlives the hook that makes them."""


def _schedules(function: ast.FunctionDef) -> bool:
    """Whether a hook may start work that outlives it: it calls one of
    `_SCHEDULING` (`asyncio.create_task`, `tg.start`), or hands a call a name
    that is not its own parameter (`run_every(10, release_expired)`: a function,
    perhaps, that the callee schedules; `init_db(engine)` is judged alike)."""
    own = {a.arg for a in ast.walk(function.args) if type(a) is ast.arg}
    for node in ast.walk(function):
        if type(node) is ast.Call:
            func = node.func
            name = func.attr if type(func) is ast.Attribute else getattr(func, "id", "")
            if name in _SCHEDULING:
                return True
            for arg in (*node.args, *(k.value for k in node.keywords)):
                kind = type(arg)
                if kind is ast.Starred:
                    return True
                if kind is ast.Name and arg.id not in own:  # type: ignore[attr-defined]
                    return True
                if kind is ast.Attribute and dotted(arg) is not None:
                    return True
    return False


def _passed_as_lifespan(tree: ast.Module, names: set[str]) -> bool:
    """Whether a call of the module passes each of `names` as `lifespan=`
    (`FastAPI(lifespan=lifespan)`, Starlette's alike), where the module binds
    the name nowhere else (no parameter, local or other definition of that name:
    the name passed is surely the function)."""
    counts = binding_counts(tree)
    if any(counts.get(name) != 1 for name in names):
        return False
    passed = {
        keyword.value.id
        for node in ast.walk(tree)
        if type(node) is ast.Call
        for keyword in node.keywords
        if keyword.arg == "lifespan" and type(keyword.value) is ast.Name
    }
    return names <= passed


def _is_type_checking(test: ast.expr) -> bool:
    name = dotted(test)
    return name is not None and name.split(".")[-1] == "TYPE_CHECKING"


class _Extractor:
    """One pass over the statements of a module."""

    def __init__(self, envelope: str) -> None:
        self.envelope = envelope
        self.scope: list[str] = []
        """Names of the enclosing classes; None marks a function."""
        self.in_function = 0
        self.facts = FileFacts()
        self.db_imported = False
        self.signal: str | None = None
        self.fallback = 0
        """Inside `except` handlers: `try: from x import y / except: y = None`
        keeps the import as the binding (the fallback only stands in for it)."""
        self.field_names = FIELD_NAMES
        """How `pydantic.Field` is spelled here (`from pydantic import Field as F`)."""
        self.imported: dict[str, str] = {}
        """Every name bound by an import at any depth -> its dotted origin
        (only to tell where a called name comes from)."""
        self.constants: dict[str, Any] = {}
        """Module-level names bound to a constant (`PREFIX = "orders."`) by a
        statement of the module's own body, so far (enum members may use them)."""
        self.nested = 0
        """Inside a module-level `if`/`try`/loop/`with`/`match`: a name bound there
        is not surely a constant."""
        self.data = DataLayerReader(self._origin)
        self.received: list[ModelUse] = []
        """`receive` uses: the data of the envelope a parameter is annotated with."""
        self.envelope_named = False
        self.stamping = StampFacts()
        self.names_declared = False
        """A class outside functions assigns a service-name field (`stamps.py`)."""
        self.lifespans: set[str] = set()
        """Names of the `@asynccontextmanager` functions that are the module's only
        async code so far: no evidence of an event loop if passed as `lifespan=`."""

    def _bind(self, name: str, binding: Export) -> None:
        self.constants.pop(name, None)
        if self.fallback and name in self.facts.bindings:
            return
        self.facts.bindings[name] = binding

    def _note_constant(self, target: ast.expr, value: ast.expr) -> None:
        if self.nested or not isinstance(target, ast.Name):
            return
        is_const, computed = const_value(value, self.constants)
        if is_const:
            self.constants[target.id] = computed

    def _origin(self, node: ast.expr) -> str | None:
        """`sa.Table` -> `sqlalchemy.Table` when `sa` is an imported name; else None."""
        written = dotted(node)
        if written is None:
            return None
        return resolve(self.imported.get(written.partition(".")[0]), written)

    def run(
        self, tree: ast.Module, source: bytes, lacks: frozenset[str] | None = None
    ) -> FileFacts:
        # the data-layer reader looks at class bodies and module-level calls only
        # in files that can declare tables or JSON columns
        if lacks is None:
            lacks = cannot_hold(source) | cannot_hold_correlation(source)
        self.data_hints = ORM not in lacks
        self.envelope_named = bool(self.envelope) and self.envelope.encode() in source
        self._body(tree.body, toplevel=True, type_checking=False)
        if b"import_" in source and any(b in source for b in _DYNAMIC_BYTES):
            self._dynamic_imports(tree)
        if TABLES not in lacks and b"create_table" in source:  # lacking: it is not there
            self.data.created_tables(tree, self.facts.tables)
        if ASSOCIATIONS not in lacks:
            self.facts.associations = self.data.associations(tree)
        if self.envelope_named:
            self._payloads(source)
        self.facts.correlation = extract_correlation(tree, source, self._origin, lacks)
        read_stamps(tree, source, self.stamping, self.names_declared)
        self.facts.stamping = self.stamping or None
        # Class-level signals (`__tablename__`, an ORM base) stand on their own;
        # calls count only in a file that imports a database library.
        if self.db_imported and self.signal is None and _may_signal(source):
            self._data_store_calls(tree)
        self.facts.data_store = self.signal
        if self.lifespans and not self.facts.has_async:
            self.facts.has_async = not _passed_as_lifespan(tree, self.lifespans)
        return self.facts

    def _async_def(self, function: ast.FunctionDef, toplevel: bool) -> None:
        """An `async def` is evidence that the module runs on an event loop
        (`FileFacts.has_async`), unless it is a start-up or shut-down hook, which
        runs once: one decorated `@app.on_event("startup")` (or `"shutdown"`)
        and nothing else (`@repeat_every` makes it a periodic task), or a
        module-level `@asynccontextmanager` (its only decorator) that a call of
        the file passes as `lifespan=` (noted here, confirmed once the file is
        read); and neither schedules work that outlives it
        (`asyncio.create_task(...)`: a task on the loop beside the requests)."""
        decorators = function.decorator_list
        if len(decorators) != 1:
            self.facts.has_async = True
        elif _is_event_hook(decorators[0]):
            self.facts.has_async = _schedules(function)
        elif toplevel and self._origin(decorators[0]) == "contextlib.asynccontextmanager":
            if _schedules(function):
                self.facts.has_async = True
            else:
                self.lifespans.add(function.name)
        else:
            self.facts.has_async = True

    # statements ----------------------------------------------------------------
    def _body(self, body: list[ast.stmt], toplevel: bool, type_checking: bool) -> None:
        if not toplevel:
            self._inner(body, type_checking)
            return
        for stmt in body:
            self._stmt(stmt, toplevel, type_checking)

    def _inner(self, body: list[ast.stmt], tc: bool) -> None:
        """The statements of a function's or a class's body, blocks entered:
        below the module level only imports, functions and classes tell
        anything, and no name is bound in the module (so `nested` and
        `fallback` do not matter). The blocks are entered here, not through
        `_stmt`: most statements in a function are one."""
        for stmt in body:
            kind = type(stmt)
            if kind in _MODULE_LEVEL_ONLY:
                continue
            if kind is ast.If:
                test = stmt.test  # type: ignore[attr-defined]
                self._inner(stmt.body, tc or _is_type_checking(test))  # type: ignore[attr-defined]
                if stmt.orelse:  # type: ignore[attr-defined]
                    self._inner(stmt.orelse, tc)  # type: ignore[attr-defined]
            elif kind in _LOOPS:
                self._inner(stmt.body, tc)  # type: ignore[attr-defined]
                if stmt.orelse:  # type: ignore[attr-defined]
                    self._inner(stmt.orelse, tc)  # type: ignore[attr-defined]
            elif kind in _TRY_NODES:
                stmt = cast(ast.Try, stmt)  # TryStar has the same fields
                self._inner(stmt.body, tc)
                for handler in stmt.handlers:
                    self._inner(handler.body, tc)
                if stmt.orelse:
                    self._inner(stmt.orelse, tc)
                if stmt.finalbody:
                    self._inner(stmt.finalbody, tc)
            elif kind is ast.With or kind is ast.AsyncWith:
                self._inner(stmt.body, tc)  # type: ignore[attr-defined]
            elif kind is ast.Match:
                for case in stmt.cases:  # type: ignore[attr-defined]
                    self._inner(case.body, tc)
            else:  # an import, a function or a class
                self._stmt(stmt, False, tc)

    def _stmt(self, stmt: ast.stmt, toplevel: bool, tc: bool) -> None:
        # dispatch on the exact type (`ast` gives no subclasses), most frequent first
        kind = type(stmt)
        if kind is ast.ImportFrom:
            self._import_from(stmt, toplevel, tc)  # type: ignore[arg-type]
        elif kind is ast.Import:
            self._import(stmt, toplevel, tc)  # type: ignore[arg-type]
        elif kind is ast.FunctionDef or kind is ast.AsyncFunctionDef:
            stmt = cast(ast.FunctionDef, stmt)  # AsyncFunctionDef has the same fields
            if toplevel:
                self._bind(stmt.name, _DEFINED)
            if kind is ast.AsyncFunctionDef and not self.facts.has_async:
                self._async_def(stmt, toplevel)
            if self.envelope_named:
                self._received(stmt)
            self.in_function += 1
            self._body(stmt.body, toplevel=False, type_checking=tc)
            self.in_function -= 1
        elif kind is ast.ClassDef:
            stmt = cast(ast.ClassDef, stmt)
            if toplevel:
                self._bind(stmt.name, _DEFINED)
            self._class_signals(stmt)
            if not self.in_function:
                qualname = ".".join([*self.scope, stmt.name])
                if stmt.bases or any(isinstance(b, ast.AnnAssign) for b in stmt.body):
                    # a base-less class with annotations may be a mixin of fields
                    self.facts.classes.append(
                        describe_class(
                            stmt, qualname, self.field_names, self._origin, self.constants
                        )
                    )
                if not self.names_declared:
                    self.names_declared = declares_service_name(stmt)
            if not self.in_function and self.data_hints:
                real_base = any(
                    (name := dotted(b)) and name.split(".")[-1] not in _NOT_ORM_BASES
                    for b in stmt.bases
                )
                orm = self.data.read_class(stmt, qualname, real_base, self.facts.tables)
                if orm is not None:
                    self.facts.orm.append(orm)
            self.scope.append(stmt.name)
            self._body(stmt.body, toplevel=False, type_checking=tc)
            self.scope.pop()
        elif kind is ast.If:
            stmt = cast(ast.If, stmt)
            inner_tc = tc or _is_type_checking(stmt.test)
            self.nested += 1
            self._body(stmt.body, toplevel, inner_tc)
            self._body(stmt.orelse, toplevel, tc)
            self.nested -= 1
        elif kind in _TRY_NODES:
            stmt = cast(ast.Try, stmt)  # TryStar has the same fields
            self.nested += 1
            self._body(stmt.body, toplevel, tc)
            self.fallback += 1
            for handler in stmt.handlers:
                self._body(handler.body, toplevel, tc)
            self.fallback -= 1
            self._body(stmt.orelse, toplevel, tc)
            self._body(stmt.finalbody, toplevel, tc)
            self.nested -= 1
        elif kind in _LOOPS:
            stmt = cast(ast.For, stmt)  # AsyncFor has the same fields; While, `target` aside
            self.nested += 1
            if toplevel and kind is not ast.While:
                self._bind_targets(stmt.target)
            self._body(stmt.body, toplevel, tc)
            self._body(stmt.orelse, toplevel, tc)
            self.nested -= 1
        elif kind is ast.With or kind is ast.AsyncWith:
            self.nested += 1
            self._body(cast(ast.With, stmt).body, toplevel, tc)
            self.nested -= 1
        elif kind is ast.Match:
            stmt = cast(ast.Match, stmt)
            self.nested += 1
            for case in stmt.cases:
                self._body(case.body, toplevel, tc)
            self.nested -= 1
        elif not toplevel:
            return
        elif kind is ast.Assign:
            stmt = cast(ast.Assign, stmt)
            for target in stmt.targets:
                self._bind_targets(target)
            if len(stmt.targets) == 1:
                self._note_constant(stmt.targets[0], stmt.value)
            self._note_call(stmt.targets, stmt.value)
            self._note_data(stmt.targets, stmt.value)
            self._note_alias(stmt.targets, stmt.value, declared=False)
            note_constant(self.stamping, stmt.targets, stmt.value, self.imported)
        elif kind.__name__ == "TypeAlias":  # `type X = ...` (3.12+)
            name = getattr(stmt, "name", None)
            value = getattr(stmt, "value", None)
            if isinstance(name, ast.Name) and isinstance(value, ast.expr):
                self._bind(name.id, _DEFINED)
                self._note_alias([name], value, declared=True)
        elif kind is ast.AnnAssign or kind is ast.AugAssign:
            stmt = cast(ast.AnnAssign, stmt)  # AugAssign: `target` alone is read
            self._bind_targets(stmt.target)
            if kind is ast.AnnAssign and stmt.value is not None:
                self._note_constant(stmt.target, stmt.value)
                self._note_call([stmt.target], stmt.value)
                self._note_data([stmt.target], stmt.value)
                if (dotted(stmt.annotation) or "").endswith("TypeAlias"):
                    self._note_alias([stmt.target], stmt.value, declared=True)
                note_constant(self.stamping, [stmt.target], stmt.value, self.imported)
        elif kind is ast.Expr and isinstance(cast(ast.Expr, stmt).value, ast.Call):
            self._note_data([], cast(ast.Expr, stmt).value)

    def _note_alias(self, targets: list[ast.expr], value: ast.expr, declared: bool) -> None:
        """`OrderId = Annotated[str, ...]`, `Amount = int | float`, `Count = int`
        (a bare name only for a capitalised alias), `X: TypeAlias = ...`."""
        if len(targets) != 1 or not isinstance(targets[0], ast.Name):
            return
        name = targets[0].id
        typelike = isinstance(value, ast.Subscript) or (
            isinstance(value, ast.BinOp) and isinstance(value.op, ast.BitOr)
        )
        if not typelike and isinstance(value, (ast.Name, ast.Attribute)):
            typelike = declared or (name[:1].isupper() and dotted(value) is not None)
        if typelike:
            self.facts.type_aliases[name] = ast.unparse(value)

    def _note_call(self, targets: list[ast.expr], value: ast.expr) -> None:
        if is_described_alias(value, self.field_names):
            for target in targets:
                if isinstance(target, ast.Name):
                    self.facts.described_aliases.append(target.id)
        if not isinstance(value, ast.Call):
            return
        written = dotted(value.func)
        if written is None:
            return
        for target in targets:
            if isinstance(target, ast.Name):
                self.facts.calls[target.id] = (written, self._origin(value.func) or "")

    def _note_data(self, targets: list[ast.expr], value: ast.expr) -> None:
        """Module-level `Table("name", metadata, ...)` and JSON type aliases."""
        if not isinstance(value, ast.Call) or not self.data_hints:
            return
        name = self.data.table_call(value)
        if name is not None:
            self.facts.tables.append(TableDecl(name, TABLE, position(value)))
        else:
            self.data.note_alias(targets, value)

    def _bind_targets(self, target: ast.expr) -> None:
        if isinstance(target, ast.Name):
            self._bind(target.id, _DEFINED)
        elif isinstance(target, (ast.Tuple, ast.List)):
            for elt in target.elts:
                self._bind_targets(elt)
        elif isinstance(target, ast.Starred):
            self._bind_targets(target.value)

    def _note_library(self, module: str | None) -> None:
        if module and module.split(".", 1)[0] in _DB_LIBRARIES:
            self.db_imported = True

    def _import(self, stmt: ast.Import, toplevel: bool, tc: bool) -> None:
        names = tuple((a.name, a.asname) for a in stmt.names)
        self.facts.imports.append(_record("import", stmt, 0, None, names, tc))
        for alias in stmt.names:
            self._note_library(alias.name)
        for local, origin in bound_by_import(stmt):
            self.imported[local] = origin or local
            if toplevel:
                self._bind(local, Export(IMPORT, origin or local))

    def _import_from(self, stmt: ast.ImportFrom, toplevel: bool, tc: bool) -> None:
        aliases = stmt.names
        module, level = stmt.module, stmt.level
        names = tuple([(a.name, a.asname) for a in aliases])
        self.facts.imports.append(_record("from", stmt, level, module, names, tc))
        absolute = level == 0
        if absolute:
            self._note_library(module)
        if not absolute and not toplevel:
            return
        # one pass over the names: the origins an absolute import gives (as
        # `semantic.bound_by_import` does), how `Field` is spelled, the bindings
        prefix = f"{module}." if absolute and module else None
        fields = absolute and (module or "").startswith(("pydantic", "sqlmodel"))
        for alias in aliases:
            name, local = alias.name, alias.asname or alias.name
            if name == "*":
                if toplevel:
                    self.facts.star_imports.append((level, module))
                continue
            if prefix is not None:
                self.imported[local] = prefix + name
            if fields and name == "Field" and alias.asname:
                self.field_names = self.field_names | {alias.asname}
            if toplevel:
                self._bind(local, Export(FROM, module or "", name, level))

    # data-store signals ----------------------------------------------------------
    def _class_signals(self, cls: ast.ClassDef) -> None:
        """ORM evidence in a class: an ORM base, `table=True` (SQLModel), a string
        `__tablename__` or a `__table__ = Table(...)` on a class that has a real
        base (a `Protocol` that merely declares `__tablename__: str` does not count)."""
        if self.signal is not None:
            return
        bases = [dotted(b) or "" for b in cls.bases]
        for name in bases:
            if name.split(".")[-1] in _ORM_BASES:
                self.signal = f"declares the ORM base `{cls.name}`"
                return
        for kw in cls.keywords:
            if kw.arg == "table" and isinstance(kw.value, ast.Constant) and kw.value.value is True:
                self.signal = f"declares the table model `{cls.name}`"
                return
        if not any(b and b.split(".")[-1] not in _NOT_ORM_BASES for b in bases):
            return
        for stmt in cls.body:
            assigned = assignment(stmt)
            if assigned is None:
                continue
            targets, value = assigned
            for target in targets:
                if not isinstance(target, ast.Name):
                    continue
                if target.id == "__tablename__" and (
                    isinstance(value, ast.Constant) and isinstance(value.value, str)
                ):
                    self.signal = f"declares `{cls.name}.__tablename__`"
                    return
                if target.id == "__table__" and isinstance(value, ast.Call):
                    self.signal = f"declares `{cls.name}.__table__`"
                    return

    def _data_store_calls(self, tree: ast.Module) -> None:
        """Calls whose callee comes from a database library: engine and session
        builders, `Table(name, metadata, ...)`, driver `connect`/`create_pool`."""
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            origin = self._origin(node.func)
            if origin is None:
                continue
            parts = origin.split(".")
            if parts[0] not in _DB_LIBRARIES:
                continue
            last = parts[-1]
            if last in _ENGINE_BUILDERS or (last in _CONNECTORS and parts[0] in _CONNECTOR_MODULES):
                self.signal = f"calls `{dotted(node.func)}()`"
            elif last == "Table" and len(node.args) >= 2:
                self.signal = "declares a `Table(...)`"
            if self.signal is not None:
                return

    # envelope payloads ----------------------------------------------------------------
    def _payloads(self, source: bytes) -> None:
        """`Envelope[X]` and `Envelope(data=X(...))`: X is an event payload.

        Read from the text with one regular expression (a walk of the whole tree
        costs more than the rest of the extraction); a mention in a comment or a
        docstring counts too, which is what the author meant anyway.
        """
        # Every match starts with the envelope's name: the pattern is tried only
        # where the name stands (the matches `finditer` gives, for a scan of
        # the text instead of an attempt at every byte; a place inside an
        # earlier match is skipped, as `finditer` does).
        pattern = _payload_re(self.envelope)
        envelope = self.envelope.encode()
        end = 0
        at = source.find(envelope)
        while at != -1:
            match = pattern.match(source, at) if at >= end else None
            if match is not None:
                name = (match.group(1) or match.group(2)).decode("utf-8", "replace")
                self.facts.payloads.append(name)
                end = match.end()
            at = source.find(envelope, at + 1)

    def _received(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        """`def on_placed(envelope: EventEnvelope[OrderPlacedV1])`: the function
        receives `OrderPlacedV1` events (a `receive` use)."""
        args = node.args
        for arg in (*args.posonlyargs, *args.args, *args.kwonlyargs):
            annotation = arg.annotation
            if annotation is None or type(annotation) in _LEAVES:
                continue  # no subscript in it (most annotations are a bare name)
            stack: list[ast.AST] = [annotation]
            while stack:
                item = stack.pop()
                kind = type(item)
                if kind in _LEAVES:
                    continue
                push_children(item, stack)
                if kind is not ast.Subscript:
                    continue
                head = dotted(item.value)  # type: ignore[attr-defined]
                if head is None or head.rsplit(".", 1)[-1] != self.envelope:
                    continue
                for name in annotation_names(item.slice):  # type: ignore[attr-defined]
                    self.received.append(ModelUse(RECEIVE, name, node.name))

    # dynamic imports ----------------------------------------------------------------
    def _dynamic_imports(self, tree: ast.Module) -> None:
        """`importlib.import_module("name"[, package])` (however imported) and
        `__import__("name")` with literal names; a relative name counts when the
        package is a literal or the module's own `__package__`."""
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            written = dotted(node.func)
            origin = self._origin(node.func)
            if origin != "importlib.import_module" and not (
                written == "__import__" and "__import__" not in self.imported
            ):
                continue
            args = {kw.arg: kw.value for kw in node.keywords if kw.arg}
            name_node = node.args[0] if node.args else args.get("name")
            if not (isinstance(name_node, ast.Constant) and isinstance(name_node.value, str)):
                continue
            target = name_node.value
            level = len(target) - len(target.lstrip("."))
            package = node.args[1] if len(node.args) > 1 else args.get("package")
            if written == "__import__" and level:
                continue  # __import__'s level is a separate argument; rare, not guessed
            if level == 0:
                record = _record("dynamic", node, 0, None, ((target, None),), False)
            elif isinstance(package, ast.Constant) and isinstance(package.value, str):
                absolute = _absolutise(target, package.value)
                if absolute is None:
                    continue
                record = _record("dynamic", node, 0, None, ((absolute, None),), False)
            elif isinstance(package, ast.Name) and package.id == "__package__":
                rest = target[level:]
                record = _record("dynamic", node, level, rest or None, ((rest, None),), False)
            else:
                continue  # relative to a package we cannot know statically
            self.facts.imports.append(record)


def _absolutise(relative: str, package: str) -> str | None:
    level = len(relative) - len(relative.lstrip("."))
    parts = package.split(".")
    if level - 1 > len(parts) - 1:
        return None
    base = parts[: len(parts) - (level - 1)]
    rest = relative[level:]
    return ".".join(base + ([rest] if rest else []))


def _record(
    kind: str,
    node: ast.stmt | ast.expr,
    level: int,
    module: str | None,
    names: tuple[tuple[str, str | None], ...],
    tc: bool,
) -> ImportStmt:
    line, col = node.lineno, node.col_offset
    end_line, end_col = node.end_lineno or line, node.end_col_offset or col
    return ImportStmt(kind, line, col, end_line, end_col, level, module, names, tc)


DEFAULT_ENVELOPE = "EventEnvelope"


@lru_cache(maxsize=4)
def _payload_re(envelope: str) -> re.Pattern[bytes]:
    """`Envelope[X` (group 1) or `Envelope[...](..., data=X(` (group 2)."""
    name = re.escape(envelope.encode())
    ident = rb"([A-Za-z_][\w.]*)"
    subscript = rb"\b" + name + rb"\[\s*" + ident
    call = (
        rb"\b"
        + name
        + rb"(?:\[[^\]\n]*\])?\((?:[^()]|\([^()]*\))*?\bdata\s*=\s*"
        + ident
        + rb"\s*\("
    )
    return re.compile(subscript + rb"|" + call)


def extract(
    tree: ast.Module,
    source: bytes,
    envelope: str = DEFAULT_ENVELOPE,
    lacks: frozenset[str] | None = None,
    declarations_only: bool = False,
) -> FileFacts:
    """The facts of one parsed file (`envelope`: the envelope class's name;
    `lacks`: what `cannot_hold`, `correlation.cannot_hold` and
    `http.cannot_hold` said of these bytes, where the caller asked them
    already: all three, or the readers would skip parts none of them ruled out).
    `declarations_only`: only `FileFacts.declarations` are read (a test or a
    migration's version excluded from checking)."""
    extractor = _Extractor(envelope)
    if declarations_only:
        return extractor.run(tree, source, lacks).declarations()
    facts = extractor.run(tree, source, lacks)
    uses = read_uses(tree, source, extractor.imported)
    received = extractor.received
    facts.model_uses = sorted({*uses.models, *received}) if received else uses.models
    facts.topics = uses.topics
    imported = (
        module
        for stmt in facts.imports
        if not stmt.level
        for module in ([stmt.module or ""] if stmt.kind == "from" else [n for n, _ in stmt.names])
    )
    facts.brokers = read_brokers(tree, source, imported)
    facts.http = read_http(tree, source, lacks)
    return facts
