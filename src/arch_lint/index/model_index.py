"""The model index: the classes of the project, followed across files.

Whether a class is a Pydantic model (or settings, or an enum) is decided here,
by following its bases through imports and re-exports with the module graph;
so are its inherited fields and configuration, and the project-wide tables
of models (the envelopes' payloads, the models by field name). What one class
statement says is read in `models.py`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from fnmatch import fnmatchcase
from functools import cached_property, lru_cache
from typing import Any, NamedTuple

from arch_lint.index.datalayer import OrmClass
from arch_lint.index.facts import DEF, IMPORT, ORM, FileFacts
from arch_lint.index.layout import Layout
from arch_lint.index.memo import CycleMemo
from arch_lint.index.models import ClassFacts, FieldFacts
from arch_lint.index.modgraph import MAX_REEXPORT_DEPTH, ModuleGraph
from arch_lint.index.partial import holding


class ClassRef(NamedTuple):
    """A class of the project: the file that defines it and its qualified name."""

    path: str
    qualname: str


ClassTarget = ClassRef | str | None
"""What a class name resolves to: a class of the project, the dotted name of a
third-party class (`pydantic.BaseModel`), or None when unknown."""


class ModelIndex:
    """The project's classes: what a class name refers to, and what a class is."""

    def __init__(
        self, layout: Layout, facts: Mapping[str, FileFacts], modules: ModuleGraph
    ) -> None:
        self.layout = layout
        self.facts = facts
        self.modules = modules
        self._kinds: CycleMemo[tuple[str, str], str | None] = CycleMemo(None)
        self._signatures: dict[tuple[str, str], frozenset[tuple[str, str]]] = {}
        self._configs: CycleMemo[tuple[str, str], dict[str, Any]] = CycleMemo({})
        """Bases that resolve in a circle configure nothing."""

    def class_facts(self, path: str, qualname: str) -> ClassFacts | None:
        facts = self.facts.get(path)
        if facts is None:
            return None
        return next((c for c in facts.classes if c.name == qualname), None)

    @cached_property
    def orm_classes(self) -> dict[tuple[str, str], OrmClass]:
        """The ORM classes of the project by (file, qualname): a class name may
        resolve to one (the data-layer index reads their columns)."""
        return {(path, o.name): o for path, facts in holding(self.facts, ORM) for o in facts.orm}

    def resolve_class(self, path: str, name: str) -> ClassTarget:
        """What a class name used at module level of file `path` refers to:
        `(file, qualname)` of a class of the project, the dotted name of a
        third-party class (`pydantic.BaseModel`), or None when unknown."""
        facts = self.facts.get(path)
        if facts is None:
            return None
        modules = self.modules
        head, _, rest = name.partition(".")
        binding = facts.bindings.get(head)
        if binding is None or binding.kind == DEF:
            if self.class_facts(path, name) is not None or (path, name) in self.orm_classes:
                return ClassRef(path, name)
            if binding is not None:
                return None  # a module-level name that is not a class we know
        elif binding.kind == IMPORT:
            dotted_name = f"{binding.module}.{rest}" if rest else binding.module
            return self._dotted_class(dotted_name, path)
        else:  # FROM
            original = binding.name
            base = modules.absolute(path, binding.level, binding.module or None)
            if base is None:
                return None
            if modules.file_of(base, path) is None and not modules.is_module(f"{base}.{original}"):
                full = f"{base}.{original}"
                return f"{full}.{rest}" if rest else full  # third-party
        found = modules.resolve_name(path, head)  # re-exports and star imports
        if found is None:
            origin = modules.external_origin(path, head)  # pydantic's, re-exported
            return f"{origin}.{rest}" if origin and rest else origin
        if found == (path, head):
            return None
        where, there = found
        if there is None:  # `head` names a module of the project
            return self._class_in_module(where, rest) if rest else None
        return ClassRef(where, f"{there}.{rest}" if rest else there)

    def _class_in_module(self, path: str, dotted: str) -> ClassTarget:
        """A class named `dotted` in module `path`, following the module's re-exports."""
        if self.class_facts(path, dotted) is not None or (path, dotted) in self.orm_classes:
            return ClassRef(path, dotted)
        head, _, rest = dotted.partition(".")
        found = self.modules.resolve_name(path, head)
        if found is None:
            origin = self.modules.external_origin(path, head)
            return f"{origin}.{rest}" if origin and rest else origin
        where, there = found
        if there is None:
            return self._class_in_module(where, rest) if rest else None
        if (where, there) == (path, head):
            return None
        return ClassRef(where, f"{there}.{rest}" if rest else there)

    def _dotted_class(self, full: str, importer: str) -> ClassTarget:
        parts = full.split(".")
        for depth in range(len(parts) - 1, 0, -1):
            found = self.modules.file_of(".".join(parts[:depth]), importer)
            if found is not None:
                return self._class_in_module(found, ".".join(parts[depth:]))
        return full

    def bases(self, path: str, qualname: str) -> list[ClassRef | str]:
        """What each base of the class, as written, resolves to (unknown ones left out)."""
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
        return self._kinds.get(key, lambda: self._model_kind(path, qualname))

    def _model_kind(self, path: str, qualname: str) -> str | None:
        kind = None
        outer = qualname.rpartition(".")[0]
        if outer and self.model_kind(path, outer) == "settings":
            return "settings"  # a model nested in settings is settings too
        for ref in self.bases(path, qualname):
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
        for ref in self.bases(path, qualname):
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
        stack = list(reversed(self.bases(path, qualname)))
        while stack:
            ref = stack.pop()
            if isinstance(ref, str) or ref in seen:
                continue
            seen.add(ref)
            cls = self.class_facts(*ref)
            if cls is None:
                continue
            out.append((ref[0], cls))
            stack.extend(reversed(self.bases(*ref)))
        return out

    @cached_property
    def _based_on(self) -> frozenset[ClassRef]:
        """Every class of the project that another class of it derives from."""
        out: set[ClassRef] = set()
        for path in sorted(self.facts):
            for cls in self.facts[path].classes:
                for ref in self.bases(path, cls.name):
                    if isinstance(ref, ClassRef):
                        out.add(ref)
        return frozenset(out)

    def is_base(self, path: str, qualname: str) -> bool:
        """Whether another class of the project derives from the class."""
        return ClassRef(path, qualname) in self._based_on

    def model_config(self, path: str, qualname: str) -> dict[str, Any]:
        """The model's configuration as Pydantic builds it: each base's (in the
        order the bases are listed, a later one winning), then its own
        `model_config`, then its class keywords (`class M(Base, extra="forbid")`)."""
        return self._configs.get((path, qualname), lambda: self._model_config(path, qualname))

    def _model_config(self, path: str, qualname: str) -> dict[str, Any]:
        merged: dict[str, Any] = {}
        for ref in self.bases(path, qualname):
            if isinstance(ref, tuple):
                merged.update(self.model_config(*ref))
        cls = self.class_facts(path, qualname)
        if cls is not None:
            merged.update(cls.config)
            merged.update(cls.keywords)
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
            found = self.modules.resolve_name(path, head)
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
    def models_by_field(self) -> dict[str, list[tuple[str, str]]]:
        """Field name -> (file, qualname) of every model of the project with such a field."""
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
            for ref in self.models_by_field.get(name, ()):
                counts[ref] = counts.get(ref, 0) + 1
        return sorted(ref for ref, n in counts.items() if n >= minimum)


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
