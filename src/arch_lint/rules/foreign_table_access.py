"""ARC103 foreign-table-access."""

from __future__ import annotations

import ast
import re
from functools import lru_cache

from arch_lint.config.resolve import Settings
from arch_lint.index.datalayer import CREATE
from arch_lint.index.models import dotted
from arch_lint.index.walk import push_children
from arch_lint.rules._base import FileRule

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
    r"\s*(?:--[^\n]*\n\s*)*\(?\s*(SELECT|INSERT|UPDATE|DELETE|WITH|MERGE|TRUNCATE|ALTER|DROP|CREATE)\b",
    re.IGNORECASE,
)
_MARKERS = (b"execute", b"fetch", b"text(", b"ForeignKey", b"Table(", b"__tablename__",
            b"table=True", b"create_table")  # fmt: skip


@lru_cache(maxsize=1024)
def sql_tables(sql: str) -> tuple[str, ...] | None:
    """The tables a SQL text names (CTE names excluded), or None when it does not
    parse. Parsed with sqlglot (PostgreSQL dialect), imported only when needed."""
    try:
        import sqlglot
        from sqlglot import exp
        from sqlglot.errors import SqlglotError
    except ImportError:  # pragma: no cover - a declared dependency
        return None
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
      `.exec_driver_sql(...)` or asyncpg's `fetch` / `fetchrow` / `fetchval`, as
      a string literal or a name bound to one in the module or the function;
    - `Table("name", metadata, ...)`, `__tablename__ = "name"` and SQLModel
      `table=True` classes: mapping a table another service creates;
    - `ForeignKey("name.column")`.

    Table names come from a real SQL parser (sqlglot, PostgreSQL dialect); CTE
    names are not tables. SQL that does not parse, f-strings and strings built at
    run time are skipped, never guessed.

    A table belongs to the service whose migrations create it
    (`op.create_table("name")`); without migrations, to the one service whose
    code declares it. A table declared by a shared library, or created by
    migrations outside every service, belongs to no service and is never
    flagged. A service's own tables are never flagged, even when another service
    has a table of the same name (each service has its own database). When
    several services declare a table and none creates it, each declaration is
    flagged, naming the others: nothing says whose it is.

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
    `services`, `data-layer`, `per-path-ignores`
    """

    code = "ARC103"
    name = "foreign-table-access"
    message = "`{module}` {action} {tables}"
    fix_title = "Read the data through the owning service's API or events"
    needs_tree = True

    @classmethod
    def applies(cls, settings: Settings, source: bytes) -> bool:
        return any(marker in source for marker in _MARKERS)

    def check_tree(self, tree: ast.Module) -> None:
        service = self.ctx.service
        index = self.ctx.index
        if service is None or not index.tables:
            return
        declared = set()
        for decl in self.ctx.facts.tables:
            declared.add(decl.pos[:2])
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
            self.report(line, col, end_line, end_col, fields)
        self._walk(tree, declared, service.name)

    def _walk(self, tree: ast.Module, declared: set[tuple[int, int]], service: str) -> None:
        strings: dict[str, str] | None = None
        stack: list[ast.AST] = [tree]
        while stack:
            node = stack.pop()
            push_children(node, stack)
            if not isinstance(node, ast.Call):
                continue
            written = dotted(node.func) or ""
            last = written.rsplit(".", 1)[-1]
            if last == "ForeignKey" and node.args:
                self._foreign_key(node.args[0], service)
            elif last == "Table" and (node.lineno, node.col_offset) not in declared:
                first = node.args[0] if len(node.args) >= 2 else None
                if isinstance(first, ast.Constant) and isinstance(first.value, str):
                    self._tables(node, [first.value], service, "maps")
            elif (last == "text" or last in _SQL_METHODS) and node.args:
                arg = node.args[0]
                if isinstance(arg, ast.Name) and strings is None:
                    strings = _string_constants(tree)
                sql = _sql_text(arg, strings or {})
                if sql is not None:
                    found = sql_tables(sql)
                    if found:
                        self._tables(node, list(found), service, "queries")

    def _foreign_key(self, arg: ast.expr, service: str) -> None:
        if not (isinstance(arg, ast.Constant) and isinstance(arg.value, str)):
            return
        parts = arg.value.split(".")
        if len(parts) >= 2:
            self._tables(arg, [parts[-2]], service, "references")

    def _tables(self, node: ast.expr, names: list[str], service: str, action: str) -> None:
        index = self.ctx.index
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
        self.report_node(node, module=self.ctx.module, action=action, tables=tables)


def _services(names: list[str]) -> str:
    shown = ", ".join(f"`{n}`" for n in names)
    return f"service {shown}" if len(names) == 1 else f"services {shown}"


def _owned_by(owners: list[str]) -> str:
    return f"owned by {_services(owners)}"


def _string_constants(tree: ast.Module) -> dict[str, str]:
    """Names bound once, anywhere in the file, to a string literal (`QUERY = "..."`);
    a name bound to anything else as well is left out."""
    out: dict[str, str] = {}
    spoiled: set[str] = set()
    stack: list[ast.AST] = [tree]
    while stack:
        node = stack.pop()
        push_children(node, stack)
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target, value = node.targets[0], node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            target, value = node.target, node.value
        else:
            continue
        if not isinstance(target, ast.Name):
            continue
        if isinstance(value, ast.Constant) and isinstance(value.value, str):
            if target.id in out and out[target.id] != value.value:
                spoiled.add(target.id)
            out[target.id] = value.value
        else:
            spoiled.add(target.id)
    return {k: v for k, v in out.items() if k not in spoiled}


def _sql_text(arg: ast.expr, strings: dict[str, str]) -> str | None:
    if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
        value = arg.value
    elif isinstance(arg, ast.Name) and arg.id in strings:
        value = strings[arg.id]
    elif isinstance(arg, ast.Call) and (dotted(arg.func) or "").rsplit(".", 1)[-1] == "text":
        return None  # `execute(text("..."))`: judged at the inner call
    else:
        return None
    return value if _SQL_START.match(value) else None
