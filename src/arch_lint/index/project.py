"""The project index: every file's facts, the module map, import resolution.

Built once per run (once per flake8 worker process) from the cached facts;
answers the semantic questions rules ask: which file an import resolves to,
which service owns a file, whether it is part of a data layer.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from functools import cached_property, lru_cache
from typing import Any, NamedTuple

from arch_lint.index.datalayer import CREATE, JSON, MUTABLE, OrmClass, TableDecl
from arch_lint.index.facts import DEF, FROM, IMPORT, FileFacts, ImportStmt
from arch_lint.index.layout import Layout, Service
from arch_lint.index.models import ClassFacts, FieldFacts

MAX_REEXPORT_DEPTH = 16
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


@dataclass(frozen=True, slots=True)
class Target:
    """What one name of an import statement resolves to inside the repository."""

    spelled: str
    """The file of the module as written (the package, for `from pkg import name`)."""
    defining: str
    """The file that defines the imported thing, after following re-exports."""
    module: str
    """The dotted module of the defining file."""
    name: str | None = None
    """The imported thing's name in the defining module (None for a module)."""


class ClassRef(NamedTuple):
    """A class of the project: the file that defines it and its qualified name."""

    path: str
    qualname: str


ClassTarget = ClassRef | str | None
"""What a class name resolves to: a class of the project, the dotted name of a
third-party class (`pydantic.BaseModel`), or None when unknown."""


class ProjectIndex:
    """Whole-project facts, shared by every rule of a run."""

    def __init__(
        self,
        layout: Layout,
        facts: Mapping[str, FileFacts],
        interface_hashes: Mapping[str, str] | None = None,
    ) -> None:
        self.layout = layout
        self.facts = facts
        self._interface_hashes = interface_hashes or {}
        self._follow_memo: dict[tuple[str, str], tuple[str, str | None] | None] = {}
        self._kinds: dict[tuple[str, str], str | None] = {}
        self._signatures: dict[tuple[str, str], frozenset[tuple[str, str]]] = {}
        self._configs: dict[tuple[str, str], dict[str, Any]] = {}

    # identity ---------------------------------------------------------------------------
    @cached_property
    def digest(self) -> str:
        """Changes whenever anything another file's findings may depend on changes."""
        h = hashlib.blake2b(digest_size=16)
        h.update(self.layout.settings.fingerprint.encode())
        for path in sorted(self.facts):
            known = self._interface_hashes.get(path)
            h.update(path.encode())
            h.update((known or self.facts[path].interface_hash()).encode())
        return h.hexdigest()

    # modules ----------------------------------------------------------------------------
    @cached_property
    def _modules(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for path in self.facts:
            name = self.layout.module_of(path)
            if name is not None:
                out.setdefault(name, []).append(path)
        return out

    @cached_property
    def _namespaces(self) -> set[str]:
        """Dotted names of packages (regular or namespace) that hold modules."""
        out: set[str] = set()
        for name in self._modules:
            parts = name.split(".")
            for depth in range(1, len(parts)):
                out.add(".".join(parts[:depth]))
        return out

    def module_of(self, path: str) -> str | None:
        return self.layout.module_of(path)

    def is_package(self, path: str) -> bool:
        return path.endswith("/__init__.py") or path == "__init__.py"

    def file_of(self, module: str, importer: str | None = None) -> str | None:
        """The file of a dotted module, preferring the importer's own source root."""
        paths = self._modules.get(module)
        if not paths:
            return None
        if importer is not None:
            private = self._private_root(importer, module)
            if private is not None:
                own = [p for p in paths if self.layout.root_of(p) == private]
                return own[0] if len(own) == 1 else None
        if len(paths) == 1:
            return paths[0]
        if importer is not None:
            root = self.layout.root_of(importer)
            own = [p for p in paths if self.layout.root_of(p) == root]
            if len(own) == 1:
                return own[0]
            service = self.layout.service_of(importer)
            own = [p for p in paths if self.layout.service_of(p) == service]
            if len(own) == 1:
                return own[0]
        return None  # ambiguous: never guess

    def _private_root(self, importer: str, module: str) -> str | None:
        """The importer's source root when it lies inside its service and holds the
        module's top-level package: Python finds that package first, so a module
        missing from it is missing, not found in another service's `app`."""
        root = self.layout.root_of(importer)
        service = self.layout.service_of(importer)
        if root is None or service is None:
            return None
        if root != service.path and not root.startswith(service.path + "/"):
            return None
        top = module.split(".", 1)[0]
        return root if (root, top) in self._tops else None

    @cached_property
    def _tops(self) -> set[tuple[str | None, str]]:
        """(root, top-level name) of every module."""
        out: set[tuple[str | None, str]] = set()
        for name, paths in self._modules.items():
            for path in paths:
                out.add((self.layout.root_of(path), name.split(".", 1)[0]))
        return out

    def is_module(self, module: str) -> bool:
        return module in self._modules or module in self._namespaces

    # services and layers -------------------------------------------------------------------
    def service_of(self, path: str) -> Service | None:
        return self.layout.service_of(path)

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

    def is_public(self, path: str) -> bool:
        """Whether `path` lies under its service's `public` globs (a client package)."""
        return self.layout.is_public(path)

    def is_shared_model(self, path: str) -> bool:
        """Whether `path` lies in the shared-models packages."""
        return self.layout.is_shared_model(path)

    # resolution ------------------------------------------------------------------------------
    def absolute(self, importer: str, level: int, module: str | None) -> str | None:
        """The absolute module an import names, or None if it leaves the package tree."""
        if level == 0:
            return module
        own = self.module_of(importer)
        if own is None:
            return None
        parts = own.split(".")
        if not self.is_package(importer):
            parts = parts[:-1]
        if level - 1 >= len(parts):
            return None  # beyond the top-level package, as Python would refuse
        base = parts[: len(parts) - (level - 1)]
        if module:
            base = [*base, module]
        return ".".join(base) if base else None

    def _module_file(self, module: str, importer: str) -> str | None:
        """The file for `module`, or for the longest prefix of it that is a module."""
        parts = module.split(".")
        for depth in range(len(parts), 0, -1):
            found = self.file_of(".".join(parts[:depth]), importer)
            if found is not None:
                return found
            if ".".join(parts[:depth]) in self._modules:
                return None  # ambiguous
        return None

    def targets(self, importer: str, stmt: ImportStmt) -> list[Target]:
        """The repository files an import statement reaches (third-party ones are dropped)."""
        out: list[Target] = []
        if stmt.kind in {"import", "dynamic"}:
            for name, _ in stmt.names:
                if stmt.level:  # import_module("..x", __package__)
                    absolute = self.absolute(importer, stmt.level, stmt.module)
                    if absolute is None:
                        continue
                    name = absolute
                path = self._module_file(name, importer)
                if path is not None:
                    out.append(Target(path, path, self.module_of(path) or name))
            return out
        base = self.absolute(importer, stmt.level, stmt.module)
        if base is None:
            return out
        base_file = self.file_of(base, importer)
        for name, _ in stmt.names:
            if name == "*":
                if base_file is not None:
                    out.append(Target(base_file, base_file, base))
                continue
            sub = f"{base}.{name}"
            sub_file = self.file_of(sub, importer)
            if sub_file is not None and not self._binds(base_file, name, sub_file):
                out.append(Target(sub_file, sub_file, sub))
                continue
            if base_file is None:
                continue
            found = self.resolve_name(base_file, name)
            if found is not None:
                defining, there = found
                module = self.module_of(defining) or base
                out.append(Target(base_file, defining, module, there))
        return out

    def follow(self, path: str, name: str) -> str | None:
        """The file that defines `name` as seen from module file `path`."""
        found = self.resolve_name(path, name)
        return found[0] if found is not None else None

    def resolve_name(self, path: str, name: str) -> tuple[str, str | None] | None:
        """(file, name there) that defines `name` as seen from module file `path`.

        Follows `from x import name` re-exports (and star imports) to the
        defining module; the name is None when it is a module itself. None when
        the name comes from outside the repository.
        """
        key = (path, name)
        if key not in self._follow_memo:
            self._follow_memo[key] = (path, name)  # cycle guard
            try:
                self._follow_memo[key] = self._follow(path, name, 0)
            except BaseException:  # `partial.Incomplete`: no answer, no guard left
                del self._follow_memo[key]
                raise
        return self._follow_memo[key]

    def _follow(self, path: str, name: str, depth: int) -> tuple[str, str | None] | None:
        facts = self.facts.get(path)
        if facts is None or depth > MAX_REEXPORT_DEPTH:
            return path, name
        binding = facts.bindings.get(name)
        if binding is None:
            for level, module in facts.star_imports:
                base = self.absolute(path, level, module)
                star_file = self.file_of(base, path) if base else None
                if star_file is not None and self._defines(star_file, name):
                    return self.resolve_name(star_file, name)
            return path, name
        if binding.kind == DEF:
            return path, name
        if binding.kind == IMPORT:
            if not self.is_module(binding.module):
                return None
            found = self._module_file(binding.module, path)
            return (found, None) if found is not None else None
        if binding.kind == FROM:
            original = binding.name
            base = self.absolute(path, binding.level, binding.module or None)
            if base is None:
                return None
            sub_file = self.file_of(f"{base}.{original}", path)
            if sub_file is not None:
                return sub_file, None
            base_file = self.file_of(base, path)
            if base_file is None:
                return None  # third-party (or ambiguous): not ours to judge
            return self.resolve_name(base_file, original)
        return path, name

    def _binds(self, package: str | None, name: str, submodule: str) -> bool:
        """Whether `from package import name` gets an attribute the package's
        `__init__` binds to something other than the submodule (Python returns
        the attribute, not the submodule, then)."""
        if package is None or not self.is_package(package):
            return False
        facts = self.facts.get(package)
        if facts is None or name not in facts.bindings:
            return False
        return self.follow(package, name) != submodule

    def _defines(self, path: str, name: str, seen: frozenset[str] = frozenset()) -> bool:
        """Whether the module binds `name`, directly or through star imports."""
        facts = self.facts.get(path)
        if facts is None or path in seen:
            return False
        if name in facts.bindings:
            return True
        for level, module in facts.star_imports:
            base = self.absolute(path, level, module)
            star_file = self.file_of(base, path) if base else None
            if star_file is not None and self._defines(star_file, name, seen | {path}):
                return True
        return False

    # models --------------------------------------------------------------------------------
    def class_facts(self, path: str, qualname: str) -> ClassFacts | None:
        facts = self.facts.get(path)
        if facts is None:
            return None
        return next((c for c in facts.classes if c.name == qualname), None)

    def resolve_class(self, path: str, name: str) -> ClassTarget:
        """What a class name used at module level of file `path` refers to:
        `(file, qualname)` of a class of the project, the dotted name of a
        third-party class (`pydantic.BaseModel`), or None when unknown."""
        facts = self.facts.get(path)
        if facts is None:
            return None
        head, _, rest = name.partition(".")
        binding = facts.bindings.get(head)
        if binding is None or binding.kind == DEF:
            if self.class_facts(path, name) is not None or (path, name) in self._orm:
                return ClassRef(path, name)
            if binding is not None:
                return None  # a module-level name that is not a class we know
        elif binding.kind == IMPORT:
            dotted_name = f"{binding.module}.{rest}" if rest else binding.module
            return self._dotted_class(dotted_name, path)
        else:  # FROM
            original = binding.name
            base = self.absolute(path, binding.level, binding.module or None)
            if base is None:
                return None
            if self.file_of(base, path) is None and not self.is_module(f"{base}.{original}"):
                full = f"{base}.{original}"
                return f"{full}.{rest}" if rest else full  # third-party
        found = self.resolve_name(path, head)  # re-exports and star imports
        if found is None:
            origin = self.external_origin(path, head)  # pydantic's, re-exported
            return f"{origin}.{rest}" if origin and rest else origin
        if found == (path, head):
            return None
        where, there = found
        if there is None:  # `head` names a module of the project
            return self._class_in_module(where, rest) if rest else None
        return ClassRef(where, f"{there}.{rest}" if rest else there)

    def _class_in_module(self, path: str, dotted: str) -> ClassTarget:
        """A class named `dotted` in module `path`, following the module's re-exports."""
        if self.class_facts(path, dotted) is not None or (path, dotted) in self._orm:
            return ClassRef(path, dotted)
        head, _, rest = dotted.partition(".")
        found = self.resolve_name(path, head)
        if found is None:
            origin = self.external_origin(path, head)
            return f"{origin}.{rest}" if origin and rest else origin
        where, there = found
        if there is None:
            return self._class_in_module(where, rest) if rest else None
        if (where, there) == (path, head):
            return None
        return ClassRef(where, f"{there}.{rest}" if rest else there)

    def external_origin(self, path: str, name: str, depth: int = 0) -> str | None:
        """`pydantic.BaseModel` for a name that a project module re-exports from a
        third-party package (`from pydantic import BaseModel` in `chat.py`, then
        `from chat import BaseModel` elsewhere); None otherwise."""
        facts = self.facts.get(path)
        if facts is None or depth > MAX_REEXPORT_DEPTH:
            return None
        binding = facts.bindings.get(name)
        if binding is None or binding.kind != FROM:
            return None
        original = binding.name
        base = self.absolute(path, binding.level, binding.module or None)
        if base is None:
            return None
        base_file = self.file_of(base, path)
        if base_file is None:
            return None if self.is_module(f"{base}.{original}") else f"{base}.{original}"
        return self.external_origin(base_file, original, depth + 1)

    def _dotted_class(self, full: str, importer: str) -> ClassTarget:
        parts = full.split(".")
        for depth in range(len(parts) - 1, 0, -1):
            found = self.file_of(".".join(parts[:depth]), importer)
            if found is not None:
                return self._class_in_module(found, ".".join(parts[depth:]))
        return full

    def _bases(self, path: str, qualname: str) -> list[ClassRef | str]:
        cls = self.class_facts(path, qualname)
        if cls is None:
            return []
        out: list[ClassRef | str] = []
        for base in cls.bases:
            if not base:
                continue
            ref = self.resolve_class(path, base)
            if ref is not None:
                out.append(ref)
        return out

    def model_kind(self, path: str, qualname: str) -> str | None:
        """`model` for a Pydantic data model, `settings` for a settings class, else None.

        Bases are followed through the whole project, however imported or aliased.
        SQLModel classes with `table=True` are ORM tables, not data models.
        """
        key = (path, qualname)
        if key in self._kinds:
            return self._kinds[key]
        self._kinds[key] = None  # cycle guard
        try:
            kind = self._model_kind(path, qualname)
        except BaseException:  # `partial.Incomplete`: no answer, no guard left
            del self._kinds[key]
            raise
        self._kinds[key] = kind
        return kind

    def _model_kind(self, path: str, qualname: str) -> str | None:
        kind = None
        outer = qualname.rpartition(".")[0]
        if outer and self.model_kind(path, outer) == "settings":
            return "settings"  # a model nested in settings is settings too
        for ref in self._bases(path, qualname):
            if isinstance(ref, str):
                found = SETTINGS_BASES.get(ref) or MODEL_BASES.get(ref)
            else:
                found = self.model_kind(*ref)
            if found == "settings":
                kind = "settings"
                break
            if found == "model":
                kind = "model"
        cls = self.class_facts(path, qualname)
        if kind == "model" and cls is not None and cls.keywords.get("table") is True:
            kind = None
        return kind

    def is_model(self, path: str, qualname: str) -> bool:
        return self.model_kind(path, qualname) == "model"

    def is_enum(self, path: str, qualname: str, depth: int = 0) -> bool:
        """Whether the class derives from `enum.Enum` (or a kind of it), through
        project bases however imported."""
        if depth > MAX_REEXPORT_DEPTH:
            return False
        for ref in self._bases(path, qualname):
            if isinstance(ref, str):
                if ref in ENUM_BASES:
                    return True
            elif self.is_enum(*ref, depth=depth + 1):
                return True
        return False

    def ancestors(self, path: str, qualname: str) -> list[tuple[str, ClassFacts]]:
        """The project base classes, nearest first (depth-first, each once)."""
        out: list[tuple[str, ClassFacts]] = []
        seen = {(path, qualname)}
        stack = list(reversed(self._bases(path, qualname)))
        while stack:
            ref = stack.pop()
            if isinstance(ref, str) or ref in seen:
                continue
            seen.add(ref)
            cls = self.class_facts(*ref)
            if cls is None:
                continue
            out.append((ref[0], cls))
            stack.extend(reversed(self._bases(*ref)))
        return out

    def model_config(self, path: str, qualname: str) -> dict[str, Any]:
        """The model's configuration as Pydantic builds it: each base's (in the
        order the bases are listed, a later one winning), then its own
        `model_config`, then its class keywords (`class M(Base, extra="forbid")`)."""
        key = (path, qualname)
        known = self._configs.get(key)
        if known is not None:
            return known
        self._configs[key] = {}  # a cycle of bases resolves to nothing
        merged: dict[str, Any] = {}
        try:
            for ref in self._bases(path, qualname):
                if isinstance(ref, tuple):
                    merged.update(self.model_config(*ref))
        except BaseException:  # `partial.Incomplete`: no answer, no guard left
            del self._configs[key]
            raise
        cls = self.class_facts(path, qualname)
        if cls is not None:
            merged.update(cls.config)
            merged.update(cls.keywords)
        self._configs[key] = merged
        return merged

    def inherited_field(self, path: str, qualname: str, name: str) -> FieldFacts | None:
        for _, base in self.ancestors(path, qualname):
            found = base.field(name)
            if found is not None:
                return found
        return None

    def is_described_type(self, path: str, annotation: str) -> bool:
        """Whether an annotation names a type alias that carries a description
        (`OrderId`, `Optional[OrderId]`), defined here or imported."""
        for name in re.findall(r"[A-Za-z_][\w.]*", annotation):
            head = name.split(".", 1)[0]
            facts = self.facts.get(path)
            if facts is None:
                return False
            if head in facts.described_aliases:
                return True
            found = self.resolve_name(path, head)
            if found is not None and found[1] is not None and found[0] != path:
                there = self.facts.get(found[0])
                if there is not None and found[1] in there.described_aliases:
                    return True
        return False

    def inherited_classvar(self, path: str, qualname: str, name: str) -> bool:
        return any(name in base.classvars for _, base in self.ancestors(path, qualname))

    def is_root_model(self, path: str, qualname: str) -> bool:
        chain = [self.class_facts(path, qualname), *(c for _, c in self.ancestors(path, qualname))]
        return any(
            c is not None and any(b.rsplit(".", 1)[-1] == "RootModel" for b in c.bases)
            for c in chain
        )

    def all_fields(self, path: str, qualname: str) -> dict[str, FieldFacts]:
        out: dict[str, FieldFacts] = {}
        for _, base in reversed(self.ancestors(path, qualname)):
            out.update((f.name, f) for f in base.fields)
        cls = self.class_facts(path, qualname)
        if cls is not None:
            out.update((f.name, f) for f in cls.fields)
        return out

    def all_field_names(self, path: str, qualname: str) -> set[str]:
        return set(self.all_fields(path, qualname))

    @cached_property
    def _payloads(self) -> set[tuple[str, str]]:
        out: set[tuple[str, str]] = set()
        for path in self.facts:
            for name in self.facts[path].payloads:
                ref = self.resolve_class(path, name)
                if isinstance(ref, tuple):
                    out.add(ref)
        return out

    def is_payload(self, path: str, qualname: str) -> bool:
        """Whether the class is used as the envelope's data anywhere in the project."""
        return (path, qualname) in self._payloads

    def shared_event_base(self, path: str, qualname: str, patterns: list[str]) -> str | None:
        """The name of an ancestor in the shared models that is an event base."""
        for where, base in self.ancestors(path, qualname):
            short = base.name.rsplit(".", 1)[-1]
            if self.layout.is_shared_model(where) and (
                self.is_payload(where, base.name) or any(fnmatchcase(short, p) for p in patterns)
            ):
                return base.name
        return None

    def field_signature(self, path: str, qualname: str) -> frozenset[tuple[str, str]]:
        """(name, normalised type) of every field, inherited ones included."""
        key = (path, qualname)
        known = self._signatures.get(key)
        if known is None:
            fields = self.all_fields(path, qualname).items()
            known = frozenset((name, normalise_type(f.annotation)) for name, f in fields)
            self._signatures[key] = known
        return known

    @cached_property
    def _models_by_field(self) -> dict[str, list[tuple[str, str]]]:
        out: dict[str, list[tuple[str, str]]] = {}
        for path in self.facts:
            for cls in self.facts[path].classes:
                if self.is_model(path, cls.name):
                    for name in self.all_field_names(path, cls.name):
                        out.setdefault(name, []).append((path, cls.name))
        return out

    def models_sharing_fields(
        self, signature: frozenset[tuple[str, str]], minimum: int
    ) -> list[tuple[str, str]]:
        """Models of the project with at least `minimum` field names in common."""
        counts: dict[tuple[str, str], int] = {}
        for name, _ in signature:
            for ref in self._models_by_field.get(name, ()):
                counts[ref] = counts.get(ref, 0) + 1
        return sorted(ref for ref, n in counts.items() if n >= minimum)

    # data layer ----------------------------------------------------------------------
    @cached_property
    def tables(self) -> dict[str, TableOwners]:
        """Every declared or created table (by lower-case name) and its services."""
        out: dict[str, TableOwners] = {}
        for path, facts in self.facts.items():
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

    @cached_property
    def json_attribute_names(self) -> frozenset[str]:
        """Every attribute some ORM class maps to a JSON column (or may, by annotation)."""
        return frozenset(a for orm in self._orm.values() for a in (*orm.columns, *orm.pending))

    @cached_property
    def _orm(self) -> dict[tuple[str, str], OrmClass]:
        return {(path, o.name): o for path, facts in self.facts.items() for o in facts.orm}

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
            orm = self._orm.get(ref)
            if orm is not None:
                out.append(orm)
            stack.extend(reversed(self._bases(*ref)))
        return out

    @cached_property
    def json_tracked_everywhere(self) -> bool:
        """`MutableDict.associate_with(...)` somewhere: every JSON column may be tracked."""
        return any(facts.associations for facts in self.facts.values())

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
        for path, facts in self.facts.items():
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

    def json_attribute_of_service(self, service: str, attr: str) -> tuple[str, str, str] | None:
        """The one table class of the service with JSON column `attr` when no other
        table class of it and no Pydantic model of the project has an attribute so named."""
        found = self._json_attributes.get((service, attr), [])
        if len(found) != 1 or attr in self._models_by_field:
            return None  # several tables, or a Pydantic model anywhere has such a field
        return found[0]


MODEL_BASES = {
    name: "model"
    for name in (
        "pydantic.BaseModel",
        "pydantic.main.BaseModel",
        "pydantic.RootModel",
        "pydantic.root_model.RootModel",
        "pydantic.v1.BaseModel",
        "pydantic.v1.main.BaseModel",
        "pydantic.generics.GenericModel",
        "sqlmodel.SQLModel",
        "sqlmodel.main.SQLModel",
    )
}
ENUM_BASES = frozenset(
    f"enum.{name}" for name in ("Enum", "IntEnum", "StrEnum", "Flag", "IntFlag", "ReprEnum")
)
SETTINGS_BASES = {
    name: "settings"
    for name in (
        "pydantic_settings.BaseSettings",
        "pydantic_settings.main.BaseSettings",
        "pydantic.BaseSettings",
        "pydantic.v1.BaseSettings",
        "pydantic.env_settings.BaseSettings",
    )
}

_TYPE_ALIASES = re.compile(r"\b(List|Dict|Set|Tuple|FrozenSet|Type)\[")
_OPTIONAL = re.compile(r"Optional\[(.*)\]")


@lru_cache(maxsize=4096)
def normalise_type(annotation: str) -> str:
    """A type's spelling with `typing.` prefixes, `List`/`list` and the
    `Optional[X]`/`X | None` difference removed (good enough to compare fields)."""
    text = annotation.replace("typing.", "").replace(" ", "")
    text = _TYPE_ALIASES.sub(lambda m: m.group(1).lower() + "[", text)
    match = _OPTIONAL.fullmatch(text)
    if match:
        text = f"{match.group(1)}|None"
    return text
