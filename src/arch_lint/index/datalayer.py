"""Data-layer facts: which tables a file declares, and which ORM attributes are JSON.

Read from class bodies and module-level statements in the same pass that
collects the other facts (see `facts.py`); a migration's `op.create_table(...)`
calls are found by a walk of the file only when its bytes mention
`create_table`. Facts are plain data for the JSON cache, like the rest.

- A table is declared by `__tablename__ = "x"` (on a class with a real base),
  `__table__ = Table("x", ...)`, a module-level `Table("x", metadata, ...)`, a
  SQLModel class with `table=True` (its `__tablename__`, else its name in lower
  case), or created by `op.create_table("x", ...)` in a migration.
- A column is JSON when its type is SQLAlchemy's `JSON`/`JSONB` (however
  imported, called or given a dialect variant), and *mutable* when wrapped in
  `MutableDict.as_mutable(...)` / `MutableList.as_mutable(...)` (SQLAlchemy then
  tracks in-place changes). `Mapped[dict[...]]` without an explicit type is
  resolved through the declarative base's `type_annotation_map`. Types we cannot
  see through (a `TypeDecorator` of the project) are not recorded: rules that
  need a JSON column do not judge such attributes.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from arch_lint.index.models import Pos, dotted, position

JSON = "json"
"""A plain JSON/JSONB column: in-place changes are not tracked."""
MUTABLE = "mutable"
"""A `MutableDict`/`MutableList` column: in-place changes are tracked."""

_JSON_TYPES = frozenset({"JSON", "JSONB"})
_MUTABLE_WRAPPERS = frozenset({"MutableDict", "MutableList"})
_COLUMN_CALLS = frozenset({"Column", "mapped_column"})
_ORM_PACKAGES = ("sqlalchemy", "sqlmodel")
_CONTAINERS = {"dict": "dict", "Dict": "dict", "list": "list", "List": "list"}

TABLENAME = "tablename"
TABLE = "table"
CREATE = "create_table"


@dataclass(slots=True)
class TableDecl:
    """One table a file declares (or, for `create_table`, creates)."""

    name: str
    kind: str
    """`tablename`, `table` (a `Table(...)`) or `create_table` (a migration)."""
    pos: Pos
    owner: str | None = None
    """The ORM class that declares it, by qualified name."""

    def interface(self) -> list[Any]:
        return [self.name, self.kind, self.owner]

    def to_json(self) -> list[Any]:
        return [*self.interface(), list(self.pos)]

    @classmethod
    def from_json(cls, data: list[Any]) -> TableDecl:
        name, kind, owner, pos = data
        return cls(name, kind, tuple(pos), owner)


@dataclass(slots=True)
class OrmClass:
    """What a class body says about its mapped JSON attributes."""

    name: str
    columns: dict[str, str] = field(default_factory=dict)
    """attribute -> `json` or `mutable`."""
    pending: dict[str, str] = field(default_factory=dict)
    """`x: Mapped[dict[...]]` with no explicit type: attribute -> `dict` or `list`,
    decided by a `type_annotation_map` of the class or a base."""
    type_map: dict[str, str] = field(default_factory=dict)
    """`type_annotation_map` entries: `dict`/`list` -> `json` or `mutable`."""
    containers: dict[str, str] = field(default_factory=dict)
    """attribute -> `dict` or `list`, where the annotation says which."""

    def to_json(self) -> list[Any]:
        return [self.name, self.columns, self.pending, self.type_map, self.containers]

    @classmethod
    def from_json(cls, data: list[Any]) -> OrmClass:
        name, columns, pending, type_map, containers = data
        return cls(name, dict(columns), dict(pending), dict(type_map), dict(containers))


Origin = Callable[[ast.expr], "str | None"]
"""Where a written name comes from (`sa.JSON` -> `sqlalchemy.JSON`), or None."""


def _last(name: str | None) -> str:
    return name.rsplit(".", 1)[-1] if name else ""


def _from_orm(origin: str | None) -> bool:
    return origin is not None and origin.split(".", 1)[0] in _ORM_PACKAGES


class DataLayerReader:
    """Reads tables and JSON columns; `origin` resolves names through the imports."""

    def __init__(self, origin: Origin) -> None:
        self.origin = origin
        self.type_aliases: dict[str, str] = {}
        """Module-level `JSONDict = MutableDict.as_mutable(JSONB)`: name -> kind."""

    # types --------------------------------------------------------------------------
    def json_kind(self, node: ast.expr) -> str | None:
        """`json`, `mutable` or None for a column type expression."""
        if isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Attribute):
                if func.attr == "as_mutable" and _last(dotted(func.value)) in _MUTABLE_WRAPPERS:
                    inner = node.args[0] if node.args else None
                    return MUTABLE if inner is not None and self.json_kind(inner) else None
                if func.attr == "with_variant":
                    return self.json_kind(func.value)
            return self.json_kind(func)  # JSONB(none_as_null=True)
        if isinstance(node, ast.Name) and node.id in self.type_aliases:
            return self.type_aliases[node.id]
        if isinstance(node, (ast.Name, ast.Attribute)):
            origin = self.origin(node)
            if _last(origin) in _JSON_TYPES and _from_orm(origin):
                return JSON
        return None

    def note_alias(self, targets: list[ast.expr], value: ast.expr) -> None:
        kind = self.json_kind(value) if isinstance(value, ast.Call) else None
        if kind is None:
            return
        for target in targets:
            if isinstance(target, ast.Name):
                self.type_aliases[target.id] = kind

    def _column_kind(self, call: ast.Call) -> str | None:
        """The kind of `Column(...)` / `mapped_column(...)` / SQLModel `Field(...)`."""
        name = _last(dotted(call.func))
        if name in _COLUMN_CALLS and _from_orm(self.origin(call.func)):
            candidates = [a for a in call.args if not isinstance(a, ast.Constant)]
            candidates += [kw.value for kw in call.keywords if kw.arg == "type_"]
            for arg in candidates:
                kind = self.json_kind(arg)
                if kind is not None:
                    return kind
            return None
        if name == "Field" and _from_orm(self.origin(call.func)):
            for kw in call.keywords:
                if kw.arg == "sa_column" and isinstance(kw.value, ast.Call):
                    return self._column_kind(kw.value)
                if kw.arg == "sa_type":
                    return self.json_kind(kw.value)
        return None

    # classes --------------------------------------------------------------------------
    def read_class(
        self, node: ast.ClassDef, qualname: str, real_base: bool, tables: list[TableDecl]
    ) -> OrmClass | None:
        """The class's JSON attributes (None if it has none); its table goes to `tables`."""
        orm = OrmClass(qualname)
        tablename: str | None = None
        for stmt in node.body:
            targets: list[ast.expr]
            value: ast.expr | None
            annotation: ast.expr | None
            if isinstance(stmt, ast.Assign):
                targets, value, annotation = stmt.targets, stmt.value, None
            elif isinstance(stmt, ast.AnnAssign):
                targets, value, annotation = [stmt.target], stmt.value, stmt.annotation
            else:
                continue
            for target in targets:
                if not isinstance(target, ast.Name):
                    continue
                attr = target.id
                if attr == "__tablename__":
                    if (
                        real_base
                        and isinstance(value, ast.Constant)
                        and isinstance(value.value, str)
                    ):
                        tablename = value.value
                        tables.append(TableDecl(value.value, TABLENAME, position(stmt), qualname))
                elif attr == "__table__" and isinstance(value, ast.Call):
                    name = self.table_call(value)
                    if name is not None:
                        tablename = name
                        tables.append(TableDecl(name, TABLE, position(value), qualname))
                elif attr == "type_annotation_map" and isinstance(value, ast.Dict):
                    self._type_map(value, orm)
                elif isinstance(value, ast.Call):
                    kind = self._column_kind(value)
                    if kind is not None:
                        orm.columns[attr] = kind
                        container = _container(annotation) if annotation is not None else None
                        if container is not None:
                            orm.containers[attr] = container
                    elif annotation is not None and _last(dotted(value.func)) in _COLUMN_CALLS:
                        self._pending(attr, annotation, orm)
                elif value is None and annotation is not None:
                    self._pending(attr, annotation, orm)
        table_kw = next((k for k in node.keywords if k.arg == "table"), None)
        if (
            tablename is None
            and table_kw is not None
            and isinstance(table_kw.value, ast.Constant)
            and table_kw.value.value is True
        ):
            head = len(b"class ") + len(node.name.encode("utf-8"))
            where = (node.lineno, node.col_offset, node.lineno, node.col_offset + head)
            tables.append(TableDecl(node.name.lower(), TABLENAME, where, qualname))
        if orm.columns or orm.pending or orm.type_map:
            return orm
        return None

    def associations(self, tree: ast.Module) -> list[str]:
        """`MutableDict.associate_with(JSON)`: every column of that type in the
        project tracks in-place changes (the wrappers' names, sorted)."""
        found: set[str] = set()
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "associate_with"
            ):
                wrapper = _last(dotted(node.func.value))
                if wrapper in _MUTABLE_WRAPPERS:
                    found.add(wrapper)
        return sorted(found)

    def _pending(self, attr: str, annotation: ast.expr, orm: OrmClass) -> None:
        """`Mapped[dict[str, Any]]` (optionally `| None`): typed by the annotation map."""
        if not (
            isinstance(annotation, ast.Subscript) and _last(dotted(annotation.value)) == "Mapped"
        ):
            return
        inner = annotation.slice
        members: list[ast.expr] = [inner]
        if isinstance(inner, ast.BinOp) and isinstance(inner.op, ast.BitOr):
            members = [inner.left, inner.right]
        elif isinstance(inner, ast.Subscript) and _last(dotted(inner.value)) == "Optional":
            members = [inner.slice]
        members = [m for m in members if not (isinstance(m, ast.Constant) and m.value is None)]
        if len(members) != 1:
            return
        member = members[0]
        head = member.value if isinstance(member, ast.Subscript) else member
        container = _CONTAINERS.get(_last(dotted(head)))
        if container is not None:
            orm.pending[attr] = container
            orm.containers[attr] = container

    def _type_map(self, value: ast.Dict, orm: OrmClass) -> None:
        for key, item in zip(value.keys, value.values, strict=True):
            if key is None:
                continue
            head = key.value if isinstance(key, ast.Subscript) else key
            container = _CONTAINERS.get(_last(dotted(head)))
            kind = self.json_kind(item)
            if container is not None and kind is not None:
                orm.type_map[container] = kind

    # tables ---------------------------------------------------------------------------
    def table_call(self, call: ast.Call) -> str | None:
        """The literal name of a SQLAlchemy `Table("name", metadata, ...)`, or None."""
        if _last(dotted(call.func)) != "Table" or not _from_orm(self.origin(call.func)):
            return None
        if len(call.args) < 2:
            return None
        first = call.args[0]
        if isinstance(first, ast.Constant) and isinstance(first.value, str):
            return first.value
        return None

    def created_tables(self, tree: ast.Module, tables: list[TableDecl]) -> None:
        """`op.create_table("name", ...)` calls of alembic, anywhere in the file."""
        for node in ast.walk(tree):
            if not (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "create_table"
                and node.args
            ):
                continue
            origin = self.origin(node.func.value)
            if origin is None or origin.split(".", 1)[0] != "alembic":
                continue
            first = node.args[0]
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                tables.append(TableDecl(first.value, CREATE, position(node)))


def _container(annotation: ast.expr) -> str | None:
    """`dict` or `list` for `Mapped[dict[...]]`, `Mapped[list[...] | None]`, `dict`."""
    node = annotation
    if isinstance(node, ast.Subscript) and _last(dotted(node.value)) == "Mapped":
        node = node.slice
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        parts = [p for p in (node.left, node.right)
                 if not (isinstance(p, ast.Constant) and p.value is None)]  # fmt: skip
        if len(parts) != 1:
            return None
        node = parts[0]
    elif isinstance(node, ast.Subscript) and _last(dotted(node.value)) == "Optional":
        node = node.slice
    head = node.value if isinstance(node, ast.Subscript) else node
    return _CONTAINERS.get(_last(dotted(head)))
