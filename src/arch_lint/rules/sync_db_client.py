"""ARC104 sync-db-client."""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import ClassVar, TypeVar

from arch_lint.index.facts import ImportStmt
from arch_lint.index.layout import in_migrations
from arch_lint.index.models import dotted
from arch_lint.index.semantic import Scope, SemanticModel
from arch_lint.rules._base import FileRule, fewest_markers

# Driver packages that are blocking as a whole: importing them brings the client in.
_DRIVERS: dict[str, str] = {
    "psycopg2": "asyncpg or psycopg's `AsyncConnection`",
    "sqlite3": "aiosqlite",
    "pymysql": "aiomysql or asyncmy",
    "MySQLdb": "aiomysql or asyncmy",
}
# Submodules and names of those drivers that hold only errors and constants.
_HARMLESS = frozenset(
    {"errors", "errorcodes", "err", "constants", "extensions", "converters", "sqlite_version",
     "sqlite_version_info", "version", "version_info", "apilevel", "paramstyle", "threadsafety",
     "__version__"}
)  # fmt: skip

# Blocking clients that packages with async alternatives export: module -> name -> remedy.
_NAMES: dict[str, dict[str, str]] = {
    "psycopg": {
        "connect": "`psycopg.AsyncConnection.connect`",
        "Connection": "`psycopg.AsyncConnection`",
        "Cursor": "`psycopg.AsyncCursor`",
    },
    "psycopg_pool": {
        "ConnectionPool": "`psycopg_pool.AsyncConnectionPool`",
        "NullConnectionPool": "`psycopg_pool.AsyncNullConnectionPool`",
    },
    "pymongo": {"MongoClient": "motor or pymongo's `AsyncMongoClient`"},
    "redis": {
        "Redis": "`redis.asyncio.Redis`",
        "StrictRedis": "`redis.asyncio.Redis`",
        "from_url": "`redis.asyncio.from_url`",
    },
    "redis.client": {"Redis": "`redis.asyncio.Redis`", "StrictRedis": "`redis.asyncio.Redis`"},
    "sqlalchemy": {
        "create_engine": "`create_async_engine`",
        "engine_from_config": "`async_engine_from_config`",
    },
    "sqlalchemy.engine": {
        "create_engine": "`create_async_engine`",
        "engine_from_config": "`async_engine_from_config`",
    },
    "sqlalchemy.orm": {
        "Session": "`AsyncSession`",
        "sessionmaker": "`async_sessionmaker`",
        "scoped_session": "`async_scoped_session`",
    },
    "sqlalchemy.orm.session": {"Session": "`AsyncSession`", "sessionmaker": "`async_sessionmaker`"},
    "sqlmodel": {
        "Session": "`sqlmodel.ext.asyncio.session.AsyncSession`",
        "create_engine": "`create_async_engine`",
    },
    "neo4j": {"GraphDatabase": "`neo4j.AsyncGraphDatabase`"},
    "clickhouse_driver": {"Client": "asynch or clickhouse-connect's `get_async_client`"},
    "elasticsearch": {"Elasticsearch": "`elasticsearch.AsyncElasticsearch`"},
    "cassandra.cluster": {"Cluster": "an asyncio Cassandra driver (acsylla)"},
}
# Names that are also used as mere types (a `run_sync` callback's `Session`
# parameter, a `Connection` annotation): flagged only when the file calls them.
_CALL_JUDGED = frozenset(
    {"Session", "sessionmaker", "scoped_session", "Connection", "Cursor", "Redis", "StrictRedis",
     "MongoClient", "ConnectionPool", "NullConnectionPool", "Client", "Elasticsearch", "Cluster"}
)  # fmt: skip
_TOPS = frozenset({*_DRIVERS, *(m.split(".")[0] for m in _NAMES)})
_MARKERS = fewest_markers(top.encode() for top in _TOPS)
"""The prefilter, from the same tables: a file must spell a driver or client package."""
T = TypeVar("T", bound=ast.AST)


@dataclass(frozen=True, slots=True)
class _Client:
    shown: str
    """How the finding names it: `psycopg2`, `sqlalchemy.create_engine`."""
    remedy: str


def _harmless_name(name: str) -> bool:
    return name in _HARMLESS or name.endswith(("Error", "Warning", "Exception"))


def _driver(module: str) -> str | None:
    top, _, rest = module.partition(".")
    if top not in _DRIVERS:
        return None
    if rest and rest.split(".", 1)[0] in _HARMLESS:
        return None
    return top


def client_of(origin: str) -> _Client | None:
    """The blocking client a dotted origin names (`redis.Redis`), or None."""
    module, _, name = origin.rpartition(".")
    remedies = _NAMES.get(module)
    if remedies is not None and name in remedies:
        return _Client(origin, remedies[name])
    return None


class SyncDbClient(FileRule):
    """A blocking database client in an async service.

    ## What it does
    Flags, in a module of a service whose code may run on an event loop (it has
    async code, or an async module of the same service imports it), the import
    of a blocking database driver or client:
    `psycopg2`, `sqlite3`, `pymysql`, `MySQLdb`, psycopg 3's sync API
    (`psycopg.connect`, `Connection`), `psycopg_pool.ConnectionPool`,
    `pymongo.MongoClient`, sync `redis.Redis` / `StrictRedis` / `from_url`,
    SQLAlchemy's `create_engine`, `engine_from_config`, `Session`, `sessionmaker`
    and `scoped_session` (also SQLModel's), neo4j's `GraphDatabase`,
    `clickhouse_driver.Client`, the sync `elasticsearch.Elasticsearch` and
    cassandra-driver's `Cluster`. The finding sits on the import. When
    only the package is imported (`import sqlalchemy`, `import redis`), it sits
    on the call that makes the client (`sqlalchemy.create_engine(...)`).

    Not flagged: the async APIs (`redis.asyncio`, `sqlalchemy.ext.asyncio`,
    `psycopg.AsyncConnection`, motor, asyncpg, aiosqlite, `AsyncGraphDatabase`,
    `AsyncElasticsearch`), `sessionmaker(class_=
    AsyncSession)`, imports under `TYPE_CHECKING`, a `Session` or `Connection`
    imported only as a type (the parameter of an `AsyncSession.run_sync`
    callback; also `Redis`, `MongoClient` or a pool class used only in
    annotations, and `Elasticsearch`, clickhouse's `Client`, `Cluster`) — such
    names are flagged only when the file calls them —,
    exception and constant modules (`psycopg2.errors`, `from pymongo import
    ASCENDING`), strings that merely mention a driver (`"postgresql+psycopg2://"`),
    a driver package imported only for its exceptions or version
    (`sqlite3.OperationalError`, `sqlite3.sqlite_version`), migration scripts (any
    file under an `alembic/` folder or a folder whose name contains `migrations`,
    where blocking is fine), files outside services, and modules with no async
    code that no async module of their service imports (a cron script, a
    one-off table creator: nothing of theirs runs on an event loop; when unsure,
    arch-lint does not flag); an async test that imports a module (pytest-asyncio
    runs it on a loop of the test's own) is no such evidence, nor is an async
    migration environment (alembic's `env.py` under `asyncio.run`) or any other
    file excluded from checking. Start-up and shut-down hooks run once and are no
    such evidence either: an `async def` whose only decorator is
    `@app.on_event("startup")` (or `"shutdown"`), and a module-level
    `@asynccontextmanager` that a call of its own module passes as `lifespan=`
    (a FastAPI app whose routes are plain `def`, run in a threadpool, with a
    lifespan that creates the tables). Such a hook still counts as async code
    where it may not run just once: another decorator (`@repeat_every` makes it
    a periodic task), work it schedules on the loop (`asyncio.create_task`,
    `tg.start`) or a name it hands a call (`run_every(10, job)`; so
    `create_all(engine)` counts too), a lifespan defined in one module and
    passed in another, or a name the module binds more than once (a
    `lifespan=` that passes a parameter or a local of the same name). The
    message names the evidence: the module's own async code, or the async
    module that imports it. A blocking client kept but run off the event loop
    (`asyncio.to_thread`) is still flagged: the import cannot tell, so say so
    with a `# noqa: ARC104` where it is deliberate.

    ## Why is this bad?
    Services run on an event loop. One blocking query stalls every request and
    every consumer of the process for its whole duration; under load the
    service's latency becomes the database's slowest query times the queue.

    ## Example
    ```python
    # services/reports/export.py
    import psycopg2


    async def export(dsn: str) -> None:
        with psycopg2.connect(dsn) as conn:
            conn.cursor().execute("SELECT 1")
    ```

    ## Use instead
    ```python
    # services/reports/export.py
    import asyncpg


    async def export(dsn: str) -> None:
        conn = await asyncpg.connect(dsn)
        await conn.execute("SELECT 1")
    ```

    ## How to fix
    Use the async client the message names (asyncpg or psycopg's
    `AsyncConnection`, aiosqlite, aiomysql, motor, `redis.asyncio`,
    `create_async_engine` with `AsyncSession`). Where blocking is deliberate (a
    one-off script kept in the service), move it out of the service or add a
    per-path ignore for it.

    ## Options
    `services`, `per-path-ignores`
    """

    code = "ARC104"
    name = "sync-db-client"
    message = "`{module}` {how} `{client}`, a blocking database client {where}; use {remedy}"
    fix_title = "Use the async client of the same database"
    needs_tree = True

    _import_kinds: ClassVar[frozenset[str]] = frozenset({"import", "from"})
    _attribute_uses: dict[str, set[str]]
    _where: str = ""
    """The evidence that the module's code may run on an event loop."""

    def relevant(self) -> bool:
        """The prefilter: an import that may bring a client in, and the bytes
        spell a driver or client package. The import test, on the facts, comes
        first: it is cheaper than a scan of the file per package (which is why
        `applies` is left open)."""
        if not any(_may_bring_client(s) for s in self._imports()):
            return False
        source = self.ctx.source
        return any(marker in source for marker in _MARKERS)

    def _judged_here(self) -> bool:
        """The rule's scope: a file of a service, not a migration script."""
        ctx = self.ctx
        return ctx.service is not None and not in_migrations(ctx.path)

    def _imports(self) -> list[ImportStmt]:
        return [
            s
            for s in self.ctx.facts.imports
            if s.kind in self._import_kinds and s.level == 0 and not s.type_checking
        ]

    def _on_the_loop(self) -> str | None:
        """Why the module's code may run on an event loop (None: no evidence): it
        has async code, or an async module of its service imports it."""
        ctx = self.ctx
        if ctx.facts.has_async:
            return "in a module with async code"
        importer = ctx.index.modules.imported_by_async.get(ctx.path)
        if importer is None:
            return None
        shown = ctx.index.modules.module_of(importer) or importer
        return f"in a module that async `{shown}` imports"

    def check_tree(self, tree: ast.Module) -> None:
        ctx = self.ctx
        if not self._judged_here():
            return
        where = self._on_the_loop()
        if where is None:
            return  # a cron script, a table creator: blocking is fine there
        self._where = where
        imports = self._imports()
        calls, self._attribute_uses, references = _uses(ctx.semantic)
        modules: set[str] = set()
        """Local names that bind a package whose clients a call may reach (`import redis`)."""
        for stmt in imports:
            found = self._judge_import(stmt, calls, modules)
            if found is not None:
                self.report(stmt.line, stmt.col, stmt.end_line, stmt.end_col, found)
        for call, written, scope in calls:
            head, _, rest = written.partition(".")
            origin = scope.origin(written) if head in modules and rest else None
            if origin is None:
                continue
            client = client_of(origin)
            any_method = False
            if client is None:  # a method of a client: `redis.Redis.from_url(...)`
                parent, _, method = origin.rpartition(".")
                client = client_of(parent)
                # a factory class makes clients with any of its methods
                # (`neo4j.GraphDatabase.driver(...)`); a class that is also a type,
                # only with its constructors
                any_method = parent.rsplit(".", 1)[-1] not in _CALL_JUDGED
                if method not in {"connect", "from_url"} and not any_method:
                    client = None
                written = written.rpartition(".")[0]
            if client is None or not _client_call(call, written, any_method):
                continue
            self.report_node(call, **self._fields("calls", client.shown, client.remedy))
        for node, written, scope in references:  # `create_engine = db.create_engine` (a re-export)
            head = written.partition(".")[0]
            origin = scope.origin(written) if head in modules and "." in written else None
            client = client_of(origin) if origin is not None else None
            if client is not None:
                fields = self._fields("re-exports", client.shown, client.remedy)
                self.report_node(node, **fields)

    def _judge_import(
        self, stmt: ImportStmt, calls: list[Use[ast.Call]], modules: set[str]
    ) -> dict[str, str] | None:
        if stmt.kind == "import":
            first: dict[str, str] | None = None
            for name, asname in stmt.names:
                top = name.split(".", 1)[0]
                driver = _driver(name)
                local = asname or top
                if driver is None:
                    modules.add(local)
                elif not self._only_harmless_uses(local):
                    first = first or self._fields("imports", name, _DRIVERS[driver])
            return first
        module = stmt.module or ""
        driver = _driver(module)
        if driver is not None:
            if all(_harmless_name(name) for name, _ in stmt.names):
                return None
            return self._fields("imports", module, _DRIVERS[driver])
        found: list[_Client] = []
        for name, asname in stmt.names:
            local = asname or name
            client = client_of(f"{module}.{name}")
            if client is None:
                if f"{module}.{name}" in _NAMES:  # `from sqlalchemy import orm`
                    modules.add(local)
                continue
            if name in _CALL_JUDGED and not any(
                _client_call(call, local)
                for call, written, _ in calls
                if written.split(".")[0] == local
            ):
                continue
            found.append(client)
        if not found:
            return None
        client = found[0]
        return self._fields("imports", client.shown, client.remedy)

    def _only_harmless_uses(self, local: str) -> bool:
        """`import sqlite3` used only as `sqlite3.OperationalError` or
        `sqlite3.sqlite_version`: no connection is made."""
        uses = self._attribute_uses.get(local, set())
        return bool(uses) and all(_harmless_name(u) for u in uses)

    def _fields(self, how: str, client: str, remedy: str) -> dict[str, str]:
        return {
            "module": self.ctx.module,
            "how": how,
            "client": client,
            "where": self._where,
            "remedy": remedy,
        }


def _may_bring_client(stmt: ImportStmt) -> bool:
    """An import of a driver, of a client name, or of a package whose clients a
    call may reach (`import redis`, `from sqlalchemy import orm`)."""
    if stmt.kind == "import":
        return any(name.split(".", 1)[0] in _TOPS for name, _ in stmt.names)
    module = stmt.module or ""
    if module.partition(".")[0] not in _TOPS:
        return False  # no driver, and no client name or package below it (`_TOPS`)
    if _driver(module) is not None:
        return True
    return any(
        client_of(f"{module}.{name}") is not None or f"{module}.{name}" in _NAMES
        for name, _ in stmt.names
    )


Use = tuple[T, str, Scope]
"""A node, the dotted name it spells, and the scope it stands in."""


def _uses(
    model: SemanticModel,
) -> tuple[list[Use[ast.Call]], dict[str, set[str]], list[Use[ast.expr]]]:
    """Every call with a dotted callee (as written); the attributes read of each
    name (`sqlite3` -> {`connect`}); and dotted values assigned to a name
    (`create_engine = db.create_engine`)."""
    calls: list[Use[ast.Call]] = []
    attributes: dict[str, set[str]] = {}
    references: list[Use[ast.expr]] = []
    for site in model.sites:
        stmt = site.stmt
        if isinstance(stmt, ast.Assign) and isinstance(stmt.value, ast.Attribute):
            written = dotted(stmt.value)
            if written is not None:
                references.append((stmt.value, written, site.scope))
        for node in site.nodes(lambdas=True):
            if isinstance(node, ast.Call):
                written = dotted(node.func)
                if written is not None:
                    calls.append((node, written, site.scope))
            elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
                attributes.setdefault(node.value.id, set()).add(node.attr)
    return calls, attributes, references


def _client_call(call: ast.Call, name: str, any_method: bool = False) -> bool:
    """Whether a call makes a blocking client, `name` being the client as written
    (`Session`, `sa.orm.Session`): a call of it or of its `connect`/`from_url`
    constructor (`any_method`: of any method of it); `sessionmaker(class_=AsyncSession)`
    makes async sessions."""
    written = dotted(call.func) or ""
    method = written.removeprefix(f"{name}.") if written.startswith(f"{name}.") else None
    if written != name and method not in {"connect", "from_url"} and not (any_method and method):
        return False
    classes = [kw.value for kw in call.keywords if kw.arg == "class_"]
    if written.endswith("sessionmaker") and len(call.args) >= 2:
        classes.append(call.args[1])  # sessionmaker(bind, class_, ...)
    return not any((dotted(c) or "").rsplit(".", 1)[-1].startswith("Async") for c in classes)
