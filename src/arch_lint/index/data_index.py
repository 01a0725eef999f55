"""The data-layer index: which files are a service's data layer, which
service owns each table, and which attributes of ORM classes are JSON columns.

Built from the layout and every file's facts; follows an ORM class's bases
with the model index.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property

from arch_lint.index.datalayer import CREATE, JSON, MUTABLE, OrmClass, TableDecl
from arch_lint.index.facts import ASSOCIATIONS, TABLES, FileFacts
from arch_lint.index.layout import Layout
from arch_lint.index.model_index import ModelIndex
from arch_lint.index.partial import holding

_MIGRATIONS_ONLY = re.compile(r"migrations|^alembic$")


@dataclass(slots=True)
class TableOwners:
    """Who declares and who creates one table (names of services)."""

    creators: set[str] = field(default_factory=set)
    declarers: set[str] = field(default_factory=set)
    shared: bool = False
    """Declared or created outside every service (a shared library): no owner."""

    @property
    def owners(self) -> set[str]:
        """The services whose migrations create it; without any, its declarers."""
        return self.creators or self.declarers


class DataIndex:
    """The project's data layer: data-layer files, table owners, JSON columns."""

    def __init__(self, layout: Layout, facts: Mapping[str, FileFacts], models: ModelIndex) -> None:
        self.layout = layout
        self.facts = facts
        self.models = models

    # data-layer files ------------------------------------------------------------------
    def data_layer_reason(self, path: str) -> str | None:
        """Why `path` is part of its service's data layer, or None if it is not."""
        service = self.layout.service_of(path)
        if service is None:
            return None
        if self.layout.is_data_layer_path(path):
            return "matches `data-layer`"
        if self.layout.settings.model.data_layer_by_content:
            facts = self.facts.get(path)
            if facts is not None and facts.data_store is not None:
                return facts.data_store
        return None

    def is_data_layer(self, path: str) -> bool:
        return self.data_layer_reason(path) is not None

    # tables ----------------------------------------------------------------------------
    @cached_property
    def tables(self) -> dict[str, TableOwners]:
        """Every declared or created table (by lower-case name) and its services."""
        out: dict[str, TableOwners] = {}
        for path, facts in holding(self.facts, TABLES):
            if not facts.tables:
                continue
            service = self.layout.service_of(path)
            excluded = self.layout.is_excluded(path)
            for decl in facts.tables:
                if excluded and decl.kind != CREATE:
                    continue  # a test's fake table owns nothing (migrations are excluded too)
                entry = out.setdefault(decl.name.lower(), TableOwners())
                if service is None or _MIGRATIONS_ONLY.search(service.name):
                    entry.shared = True  # a shared library, or a folder of migrations only
                elif decl.kind == CREATE:
                    entry.creators.add(service.name)
                else:
                    entry.declarers.add(service.name)
        return out

    def foreign_table_owners(self, service: str, table: str) -> list[str]:
        """The services that own `table` when service `service` does not: [] for
        its own tables, shared ones and tables nobody declares."""
        entry = self.tables.get(table.lower())
        if entry is None or entry.shared:
            return []
        if entry.creators:
            return [] if service in entry.creators else sorted(entry.creators)
        return [] if service in entry.declarers else sorted(entry.declarers)

    def declaration_conflict(self, service: str, decl: TableDecl) -> list[str]:
        """For a table service `service` declares: the services it belongs to
        instead (another creates it), or the other declarers when none creates it."""
        entry = self.tables.get(decl.name.lower())
        if entry is None or entry.shared or decl.kind == CREATE:
            return []
        if entry.creators:
            return [] if service in entry.creators else sorted(entry.creators)
        return sorted(entry.declarers - {service})

    # JSON columns ----------------------------------------------------------------------
    @cached_property
    def json_attribute_names(self) -> frozenset[str]:
        """Every attribute some ORM class maps to a JSON column (or may, by annotation)."""
        return frozenset(
            a for orm in self.models.orm_classes.values() for a in (*orm.columns, *orm.pending)
        )

    def _orm_chain(self, path: str, qualname: str) -> list[OrmClass]:
        """The class's own ORM facts, then its project bases' (mixins included)."""
        out: list[OrmClass] = []
        seen: set[tuple[str, str]] = set()
        stack: list[tuple[str, str] | str] = [(path, qualname)]
        while stack:
            ref = stack.pop()
            if isinstance(ref, str) or ref in seen:
                continue
            seen.add(ref)
            orm = self.models.orm_classes.get(ref)
            if orm is not None:
                out.append(orm)
            stack.extend(reversed(self.models.bases(*ref)))
        return out

    @cached_property
    def json_tracked_everywhere(self) -> bool:
        """`MutableDict.associate_with(...)` somewhere: every JSON column may be tracked."""
        return any(facts.associations for _, facts in holding(self.facts, ASSOCIATIONS))

    def has_json_columns(self, path: str, qualname: str) -> bool:
        return any(orm.columns or orm.pending for orm in self._orm_chain(path, qualname))

    def json_column(self, path: str, qualname: str, attr: str) -> str | None:
        """`json` or `mutable` when `attr` is a JSON column of the ORM class, else None."""
        kind = self._json_column(path, qualname, attr)
        if kind == JSON and self.json_tracked_everywhere:
            return MUTABLE
        return kind

    def _json_column(self, path: str, qualname: str, attr: str) -> str | None:
        chain = self._orm_chain(path, qualname)
        pending = None
        for orm in chain:
            if attr in orm.columns:
                return orm.columns[attr]
            if pending is None:
                pending = orm.pending.get(attr)
        if pending is not None:
            for orm in chain:
                if pending in orm.type_map:
                    return orm.type_map[pending]
        return None

    def json_container(self, path: str, qualname: str, attr: str) -> str | None:
        """`dict` or `list` when the column's annotation says which, else None."""
        for orm in self._orm_chain(path, qualname):
            if attr in orm.containers:
                return orm.containers[attr]
        return None

    @cached_property
    def _json_attributes(self) -> dict[tuple[str, str], list[tuple[str, str, str]]]:
        """(service, attribute) -> (file, class, kind) of every table class with it."""
        out: dict[tuple[str, str], list[tuple[str, str, str]]] = {}
        for path, facts in holding(self.facts, TABLES):
            service = self.layout.service_of(path)
            if service is None:
                continue
            for decl in facts.tables:
                if decl.owner is None:
                    continue
                for orm in self._orm_chain(path, decl.owner):
                    for attr in (*orm.columns, *orm.pending):
                        kind = self.json_column(path, decl.owner, attr)
                        refs = out.setdefault((service.name, attr), [])
                        if kind is not None and (path, decl.owner, kind) not in refs:
                            refs.append((path, decl.owner, kind))
        return out

    def is_json_attribute_of_service(self, service: str, attr: str) -> bool:
        """Whether some table class of the service maps `attr` to a JSON column."""
        return bool(self._json_attributes.get((service, attr)))

    def json_attribute_of_service(self, service: str, attr: str) -> tuple[str, str, str] | None:
        """The one table class of the service with JSON column `attr` when no other
        table class of it and no Pydantic model of the project has an attribute so named."""
        found = self._json_attributes.get((service, attr), [])
        if len(found) != 1 or attr in self.models.models_by_field:
            return None  # several tables, or a Pydantic model anywhere has such a field
        return found[0]
