"""ARC103 foreign-table-access."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from functools import lru_cache
from typing import TYPE_CHECKING, NamedTuple

from arch_lint.index.datalayer import CREATE
from arch_lint.index.models import dotted
from arch_lint.index.semantic import IMPORT, Scope, SemanticModel
from arch_lint.index.walk import MarkedLines
from arch_lint.rules._base import FileRule, fewest_markers
from arch_lint.rules._simple_sql import simple_sql_tables

if TYPE_CHECKING:
    from arch_lint.index.data_index import DataIndex

# Methods that take SQL text: SQLAlchemy connections and sessions, DB-API cursors,
# asyncpg connections and pools.
_SQL_METHODS = frozenset(
    {
        "execute",
        "executemany",
        "exec_driver_sql",
        "fetch",
        "fetchrow",
        "fetchval",
        "copy_from_query",
    }
)
_SQL_START = re.compile(
    r"\s*(?:--[^\n]*\n\s*|/\*.*?\*/\s*)*\(?\s*"
    r"(SELECT|INSERT|UPDATE|DELETE|WITH|MERGE|TRUNCATE|ALTER|DROP|CREATE)\b",
    re.IGNORECASE | re.DOTALL,
)
_ORM_PACKAGES = frozenset({"sqlalchemy", "sqlmodel"})
_ORM_CALLEES = frozenset({"ForeignKey", "Table", "table", "text"})
"""SQLAlchemy / SQLModel names whose first argument names a table or holds SQL; they
count only when a name resolves to them through the imports (any alias)."""
_DECLARATIONS = (b"__tablename__", b"table=True")
"""How a class declares its table without naming an ORM package in the file (a base
imported from the project); see `FileFacts.tables`."""
_USE_MARKERS = fewest_markers(name.encode() for name in (*_ORM_PACKAGES, *_SQL_METHODS))
"""What a call that names a table needs in the file: an ORM name, an import of
its package; a SQL method, its name."""
_Q_MARKERS = tuple(marker for marker in _USE_MARKERS if b"q" in marker)
_OTHER_MARKERS = tuple(marker for marker in _USE_MARKERS if b"q" not in marker)
"""`_USE_MARKERS` with a `q` (`sqlalchemy`, `exec_driver_sql`, ...) and without:
a file with no `q` at all (one quick search) holds none of the first."""


@lru_cache(maxsize=1024)
def sql_tables(sql: str) -> tuple[str, ...] | None:
    """The tables a SQL text names (CTE names excluded), or None when it does not
    parse. Parsed with sqlglot (PostgreSQL dialect), imported only when needed: a
    plain statement is read without it (`_simple_sql`, the same answer)."""
    simple = simple_sql_tables(sql)
    if simple is not None:
        return simple
    return _parsed_tables(sql)


def _parsed_tables(sql: str) -> tuple[str, ...] | None:
    """`sql_tables`, by sqlglot."""
    import logging  # with sqlglot: most runs parse no SQL

    try:
        import sqlglot
        from sqlglot import exp
        from sqlglot.errors import SqlglotError
    except ImportError:  # pragma: no cover - a declared dependency
        return None
    quiet = logging.getLogger("sqlglot")
    if quiet.propagate:  # its "unsupported syntax" warnings are not the user's business
        quiet.addHandler(logging.NullHandler())
        quiet.propagate = False
    try:
        statements = sqlglot.parse(sql, read="postgres")
    except (SqlglotError, ValueError, RecursionError):
        return None
    names: list[str] = []
    for statement in statements:
        if statement is None:
            continue
        ctes = {cte.alias_or_name.lower() for cte in statement.find_all(exp.CTE)}
        for table in statement.find_all(exp.Table):
            name = table.name
            if name and name.lower() not in ctes and name not in names:
                names.append(name)
    return tuple(names)


class ForeignTableAccess(FileRule):
    """SQL or a table mapping in one service that names another service's table.

    ## What it does
    Flags, in a service, a table that belongs to another service:

    - SQL text passed to `text(...)`, `.execute(...)`, `.executemany(...)`,
      `.exec_driver_sql(...)` or asyncpg's `fetch` / `fetchrow` / `fetchval` /
      `copy_from_query`, as a string literal, a name bound once to one in the
      module or the function, or an f-string whose table names are literal text
      (`f"SELECT * FROM orders WHERE id = {order_id}"`);
    - `Table("name", metadata, ...)`, `__tablename__ = "name"` and SQLModel
      `table=True` classes: mapping a table another service creates;
    - SQLAlchemy's lightweight `table("name")` and `ForeignKey("name.column")`.

    `Table`, `table`, `ForeignKey` and `text` count only when imported from
    SQLAlchemy or SQLModel, under any alias (`from sqlalchemy import text as
    sql_text`, `from sqlalchemy.sql import text`, `from sqlmodel import text`,
    `sa.text`); `rich.table.Table("Orders")` is not a table, nor is a project
    function named `text`.

    Table names come from a real SQL parser (sqlglot, PostgreSQL dialect); CTE
    names are not tables. SQL that does not parse, a table name made by an
    f-string's `{...}` and strings built at run time are skipped, never guessed.

    A table belongs to the service whose migrations create it: alembic's
    `op.create_table("name")`, or `CREATE TABLE [IF NOT EXISTS] [schema.]name`
    in a plain-SQL migration (a `.sql` file in a folder named `migrations`, at
    any depth, or a Flyway `V<n>__<description>.sql` anywhere; `exclude` does not
    keep a migration from being read, `.gitignore` does). Without migrations, a
    table belongs to the one service whose code declares it. A table declared by
    a shared library, or created by migrations outside every service (a
    top-level `migrations/001_init.sql`), belongs to no service and is never
    flagged. (A plain-SQL migration is read, never checked: its comments, string
    literals and function bodies create nothing, and neither do `CREATE TEMP
    TABLE` and `CREATE TABLE ... AS SELECT`; `ALTER TABLE ... RENAME TO` is not
    followed, the table keeps the name it was created with.) A table a service
    creates itself (or, when no migration creates it, declares itself) is never
    flagged, even when another service has a table of the same name (each
    service has its own database). Migrations of a "service" that is only a
    migrations folder (`migrations`, `db_migrations`, `alembic`) own nothing:
    their tables are shared. Declarations in excluded files (tests) own nothing
    either. When several services declare a table and none creates it, each
    declaration is flagged, naming the others: nothing says whose it is.

    ## Why is this bad?
    Each service owns its data store. A query or mapping of another service's
    table bypasses that service's invariants and freezes its schema: renaming a
    column in `orders` breaks `reports` at run time, and no import shows the
    dependency.

    ## Example
    ```python
    # services/orders/models_db.py
    from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


    class Base(DeclarativeBase):
        pass


    class Order(Base):
        __tablename__ = "orders"
        id: Mapped[int] = mapped_column(primary_key=True)

    # services/reports/queries.py
    from sqlalchemy import text

    TOTALS = text("SELECT count(*) FROM orders")
    ```

    ## Use instead
    ```python
    # services/reports/queries.py
    from sqlalchemy import text

    TOTALS = text("SELECT count(*) FROM order_totals")  # fed by orders' events
    ```

    ## How to fix
    Read the data through the owning service: its API, or the events it
    publishes, kept in a table of your own service. For a deliberate shared read
    (a reporting replica), add a per-path ignore with the reason in a comment.

    ## Options
    `services`, `per-path-ignores`
    """

    code = "ARC103"
    name = "foreign-table-access"
    message = "`{module}` {action} {tables}"
    fix_title = "Read the data through the owning service's API or events"
    needs_tree = True

    def relevant(self) -> bool:
        """The prefilter, derived from what the rule judges by: a call that names
        a table (`_USE_MARKERS`), or a declaration of the file's facts (only one
        that creates nothing can be flagged) spelled as it declares a table."""
        source = self.ctx.source
        if any(marker in source for marker in _OTHER_MARKERS):
            return True
        if b"q" in source and any(marker in source for marker in _Q_MARKERS):
            return True
        return any(decl.kind != CREATE for decl in self.ctx.facts.tables) and any(
            marker in source for marker in _DECLARATIONS
        )

    gathers = True

    def gather(self, tree: ast.Module) -> list[_Use]:
        """The tables the file's calls name (asking nothing of other files)."""
        if self.ctx.service is None:
            return []
        declared = {decl.pos[:2] for decl in self.ctx.facts.tables}
        uses: list[_Use] = []
        model = self.ctx.semantic
        for node, scope, lambdas in _relevant_calls(model, self.ctx.source):
            written = dotted(node.func) or ""
            full = scope.origin(written) or ""
            # what an ORM name is, by its origin (`sql_text` -> `sqlalchemy.text`)
            orm = full.rsplit(".", 1)[-1] if full.split(".", 1)[0] in _ORM_PACKAGES else ""
            if orm == "ForeignKey" and node.args:
                arg = node.args[0]
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                    parts = arg.value.split(".")
                    if len(parts) >= 2:
                        uses.append(_Use(_span(arg), (parts[-2],), "references"))
            elif orm in {"Table", "table"} and node.args:
                if (node.lineno, node.col_offset) in declared:
                    continue
                first = node.args[0]
                if isinstance(first, ast.Constant) and isinstance(first.value, str):
                    action = "maps" if orm == "Table" else "queries"
                    uses.append(_Use(_span(node), (first.value,), action))
            elif (orm == "text" or written.rsplit(".", 1)[-1] in _SQL_METHODS) and node.args:
                sql = _sql_text(node.args[0], scope, self.ctx.source, lambdas)
                if sql is not None:  # its tables are read when judged (`_query_tables`)
                    uses.append(_Use(_span(node), (), "queries", sql))
        return uses

    def judge(self, gathered: list[_Use]) -> None:
        service = self.ctx.service
        index = self.ctx.index.data
        if service is None or not index.tables:
            return
        for decl in self.ctx.facts.tables:
            if decl.kind == CREATE:
                continue
            others = index.declaration_conflict(service.name, decl)
            if not others:
                continue
            entry = index.tables[decl.name.lower()]
            if entry.creators:
                tables = f"table `{decl.name}`, {_owned_by(others)}"
            else:
                verb = "declare" if len(others) > 1 else "declares"
                tables = (
                    f"table `{decl.name}`, which {_services(others)} {verb} too "
                    "(no migration creates it)"
                )
            line, col, end_line, end_col = decl.pos
            fields = {"module": self.ctx.module, "action": "maps", "tables": tables}
            self.report(line, col, end_line, end_col, fields, peers=others)
        for use in gathered:
            self._tables(use, service.name)

    def _tables(self, use: _Use, service: str) -> None:
        index = self.ctx.index.data
        names = use.names if use.sql is None else _query_tables(use.sql, index, service)
        foreign = [(name, index.foreign_table_owners(service, name)) for name in names]
        foreign = [(name, owners) for name, owners in foreign if owners]
        if not foreign:
            return
        if len(foreign) == 1:
            name, owners = foreign[0]
            tables = f"table `{name}`, {_owned_by(owners)}"
        else:
            tables = "tables " + ", ".join(
                f"`{name}` ({_services(owners)})" for name, owners in foreign
            )
        fields = {"module": self.ctx.module, "action": use.action, "tables": tables}
        peers = [owner for _, owners in foreign for owner in owners]
        self.report(*use.span, fields, peers=peers)


class _Use(NamedTuple):
    """A call that names tables: where (0-based byte columns), which, and how."""

    span: tuple[int, int, int, int]
    names: tuple[str, ...]
    action: str
    sql: str | None = None
    """SQL text whose tables are the ones named (then `names` is empty)."""


_ESCAPES = ("\\", "''", '""', "&")
"""What may spell a character of SQL text other than itself: a backslash escape,
a doubled quote, a `U&` string (see `_spells_no_foreign_table`)."""


def _query_tables(sql: str, index: DataIndex, service: str) -> tuple[str, ...]:
    """The tables SQL text names (`sql_tables`, without the placeholders of an
    f-string's `{...}`); () without parsing it when it surely names no table of
    another service than `service`."""
    if _spells_no_foreign_table(sql, index, service):
        return ()
    return tuple(t for t in sql_tables(sql) or () if not t.startswith(_PLACEHOLDER))


def _spells_no_foreign_table(sql: str, index: DataIndex, service: str) -> bool:
    """Whether SQL text surely names no table of another service than `service`.

    Parsing SQL, and importing sqlglot first, costs more than the rest of the
    rule, and most SQL names only tables of its own service. A name sqlglot reads
    from ASCII text with no escape in it is spelled in that text, so when no
    table of another service is (case aside: the index keys tables lowercased),
    none is among the tables it names."""
    if not sql.isascii() or any(escape in sql for escape in _ESCAPES):
        return False
    lowered = sql.lower()
    return not any(
        name in lowered and index.foreign_table_owners(service, name) for name in index.tables
    )


def _span(node: ast.expr) -> tuple[int, int, int, int]:
    return (
        node.lineno,
        node.col_offset,
        node.end_lineno or node.lineno,
        node.end_col_offset or node.col_offset,
    )


def _services(names: list[str]) -> str:
    shown = ", ".join(f"`{n}`" for n in names)
    return f"service {shown}" if len(names) == 1 else f"services {shown}"


def _owned_by(owners: list[str]) -> str:
    return f"owned by {_services(owners)}"


_CALLEES = frozenset({*_ORM_CALLEES, *_SQL_METHODS})


def _callees(model: SemanticModel) -> frozenset[str]:
    """The names a relevant call ends in here: the ORM names and SQL methods, and
    every local alias of an ORM name (`from sqlalchemy import text as sql_text`)."""
    aliases = {
        local
        for scope in model.scopes.values()
        for local, bindings in scope.bindings.items()
        for binding in bindings
        if binding.kind == IMPORT
        and binding.origin is not None
        and binding.origin.split(".", 1)[0] in _ORM_PACKAGES
        and binding.origin.rsplit(".", 1)[-1] in _ORM_CALLEES
    }
    return _CALLEES | aliases


def _relevant_calls(
    model: SemanticModel, source: bytes
) -> Iterator[tuple[ast.Call, Scope, frozenset[str]]]:
    """Calls that may name a table, with the scope they stand in and the names
    the lambdas of their statement bind (`lambda sql: conn.execute(sql)`: that
    `sql` is no constant of the scope). Only statements on lines that spell
    such a call are walked."""
    callees = _callees(model)
    marks = MarkedLines(source, tuple(f"{name}(".encode() for name in sorted(callees)))
    if not marks:
        return
    for site in model.marked(marks):
        calls: list[ast.Call] = []
        shadowed: set[str] = set()
        for node in site.nodes(marks, lambdas=True):
            if isinstance(node, ast.Lambda):
                args = node.args
                every = [*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg]
                shadowed.update(a.arg for a in every if a is not None)
            elif isinstance(node, ast.Call):
                func = node.func
                last = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
                if last in callees:
                    calls.append(node)
        for call in calls:
            yield call, site.scope, frozenset(shadowed)


def _sql_text(
    arg: ast.expr, scope: Scope, source: bytes, shadowed: frozenset[str] = frozenset()
) -> str | None:
    if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
        value: str | None = arg.value
    elif isinstance(arg, ast.Name) and arg.id not in shadowed:
        # a name never assigned a string literal needs no scope analysis
        assigned = re.search(_assigned_string(arg.id), source) is not None
        value = scope.string_constant(arg.id) if assigned else None
    elif isinstance(arg, ast.JoinedStr):
        value = _literal_text(arg)
        if value is None:
            return None
    else:
        return None  # `execute(text("..."))` is judged at the inner call
    return value if value is not None and _SQL_START.match(value) else None


def _assigned_string(name: str) -> bytes:
    """The pattern of `name = "..."` (`name: T = r'...'`, any spacing), `name` a
    whole word. An ASCII name leads the pattern and the word boundary is tested
    after it (by a look behind): the regex engine then skips to where the name
    is spelled instead of trying the pattern at every byte."""
    spelled = name.encode()
    tail = rb"\s*(?::[^=\n]*)?=\s*[rRuUbB]*[\"']"
    if _ASCII_WORD.fullmatch(spelled[:1]) is None:
        return rb"\b" + spelled + tail
    return spelled + rb"(?<![0-9A-Za-z_]" + spelled + rb")" + tail


_ASCII_WORD = re.compile(rb"[0-9A-Za-z_]")
"""What `\\b` counts as a word byte in a bytes pattern."""


def _literal_text(fstring: ast.JoinedStr) -> str | None:
    """An f-string's SQL with each `{...}` as a bind parameter (`:arch_lint_<n>`),
    or None where a `{...}` is glued to a name (`orders{suffix}`, `{schema}.t`,
    `"{name}"`): a table name spelled in its literal text is read, one a `{...}`
    makes or changes never is."""
    parts: list[str] = []
    values = fstring.values
    for i, part in enumerate(values):
        if isinstance(part, ast.Constant) and isinstance(part.value, str):
            parts.append(part.value)
            continue
        before = parts[-1][-1:] if parts and parts[-1] else ""
        after = values[i + 1] if i + 1 < len(values) else None
        following = str(after.value)[:1] if isinstance(after, ast.Constant) else ""
        if _GLUE.match(before) or _GLUE.match(str(following)):
            return None
        parts.append(f":{_PLACEHOLDER}{i}")
    return "".join(parts)


_GLUE = re.compile(r"[\w.\"'`\[]")
"""What may not touch a `{...}` for the text around it to be read."""
_PLACEHOLDER = "arch_lint_"
