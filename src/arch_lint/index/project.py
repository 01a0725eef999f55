"""The project index: every file's facts, the module map, import resolution.

Built once per run (once per flake8 worker process) from the cached facts;
answers the semantic questions rules ask: which file an import resolves to,
which service owns a file, whether it is part of a data layer.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property

from arch_lint.index.facts import DEF, FROM, IMPORT, FileFacts, ImportStmt
from arch_lint.index.layout import Layout, Service

MAX_REEXPORT_DEPTH = 16


@dataclass(frozen=True, slots=True)
class Target:
    """What one name of an import statement resolves to inside the repository."""

    spelled: str
    """The file of the module as written (the package, for `from pkg import name`)."""
    defining: str
    """The file that defines the imported thing, after following re-exports."""
    module: str
    """The dotted module of the defining file."""


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
        self._follow_memo: dict[tuple[str, str], str | None] = {}

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
            defining = self.follow(base_file, name)
            if defining is not None:
                out.append(Target(base_file, defining, self.module_of(defining) or base))
        return out

    def follow(self, path: str, name: str) -> str | None:
        """The file that defines `name` as seen from module file `path`.

        Follows `from x import name` re-exports (and star imports) to the
        defining module; None when the name comes from outside the repository.
        """
        key = (path, name)
        if key not in self._follow_memo:
            self._follow_memo[key] = path  # cycle guard
            self._follow_memo[key] = self._follow(path, name, 0)
        return self._follow_memo[key]

    def _follow(self, path: str, name: str, depth: int) -> str | None:
        facts = self.facts.get(path)
        if facts is None or depth > MAX_REEXPORT_DEPTH:
            return path
        binding = facts.bindings.get(name)
        if binding is None:
            for level, module in facts.star_imports:
                base = self.absolute(path, level, module)
                star_file = self.file_of(base, path) if base else None
                if star_file is not None and self._defines(star_file, name):
                    return self.follow(star_file, name)
            return path
        if binding[0] == DEF:
            return path
        if binding[0] == IMPORT:
            return self._module_file(binding[1], path) if self.is_module(binding[1]) else None
        if binding[0] == FROM:
            _, level_text, module, original = binding
            base = self.absolute(path, int(level_text), module or None)
            if base is None:
                return None
            sub_file = self.file_of(f"{base}.{original}", path)
            if sub_file is not None:
                return sub_file
            base_file = self.file_of(base, path)
            if base_file is None:
                return None  # third-party (or ambiguous): not ours to judge
            return self.follow(base_file, original)
        return path

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
