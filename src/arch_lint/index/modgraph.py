"""The module graph: which file a dotted module is, what an import reaches.

Built from the layout (file -> module, source roots, services) and every file's
facts (its module-level bindings and star imports); answers the resolution
questions the model index, the data-layer index and the rules ask: the file of
a module, the repository files an import statement reaches, and the file and
name that define a name after following re-exports.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property

from arch_lint.index.facts import DEF, FROM, IMPORT, FileFacts, ImportStmt
from arch_lint.index.layout import Layout, in_migrations
from arch_lint.index.memo import CycleMemo

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
    name: str | None = None
    """The imported thing's name in the defining module (None for a module)."""


class ModuleGraph:
    """The project's modules and import resolution over them."""

    def __init__(self, layout: Layout, facts: Mapping[str, FileFacts]) -> None:
        self.layout = layout
        self.facts = facts
        self._follow_memo: CycleMemo[tuple[str, str], tuple[str, str | None] | None]
        self._follow_memo = CycleMemo(None)
        """A re-export cycle (`try: from b import x` both ways) defines nothing."""
        self._beside_memo: dict[tuple[str, str], tuple[str, str] | None] = {}
        """(importer, top-level name) -> `_beside`."""

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

    @cached_property
    def imported_by_async(self) -> dict[str, str]:
        """Files that a module with async code of the same service imports (its code
        may run on that module's event loop): file -> the first such importer.
        An async test or migration (a file excluded from checking, or one in a
        migration tool's folder: alembic's `env.py`) is no such importer: the
        loop it runs on is its own, not the service's."""
        out: dict[str, str] = {}
        for importer in sorted(self.facts):
            facts = self.facts[importer]
            if not facts.has_async or self.layout.is_excluded(importer):
                continue
            if in_migrations(importer):
                continue
            service = self.layout.service_of(importer)
            if service is None:
                continue
            for stmt in facts.imports:
                if stmt.type_checking:
                    continue
                for target in self.targets(importer, stmt):
                    for path in {target.spelled, target.defining}:
                        if path != importer and self.layout.service_of(path) == service:
                            out.setdefault(path, importer)
        return out

    @cached_property
    def imported_by_services(self) -> frozenset[str]:
        """Files outside every service that a file of a service imports, directly
        or through such files: a shared library's modules, which the services
        run (a script no service imports is none of them)."""
        out: set[str] = set()
        todo = [
            path
            for path in sorted(self.facts)
            if self.layout.service_of(path) is not None and not self.layout.is_excluded(path)
        ]
        while todo:
            importer = todo.pop()
            for stmt in self.facts[importer].imports:
                for target in self.targets(importer, stmt):
                    for path in {target.spelled, target.defining}:
                        if path and path not in out and self.layout.service_of(path) is None:
                            out.add(path)
                            todo.append(path)
        return frozenset(out)

    def may_import(self, path: str, name: str) -> bool:
        """Whether a file of `path`'s service, or one outside every service
        (tests aside), may import the function `name` of `path`: an import
        that resolves to it, to `path` as a module or to all its names (`from
        app.middleware import *`); or one the layout does not resolve, outside
        the standard library, that names `path` from a folder Python may run
        it from (an ancestor of the importer that is the service's folder, the
        root, a `src` folder, or no regular package: a service's own `from
        app.core.middleware import setup`, a script's neighbour; `import redis`
        from inside a package is the library). ARC301's evidence: an install a
        function makes on the app it is given may then be made."""
        resolved, spelled = self._import_reach
        layout = self.layout
        service = layout.service_of(path)
        near = {"", service.name if service is not None else ""}
        if resolved.get((path, name), set()) & near or resolved.get((path, None), set()) & near:
            return True
        stem = path.removesuffix(".py").removesuffix("/__init__")
        home = service.path if service is not None else ""
        facts = self.facts
        for importer, module, imported in spelled:
            if imported is not None and imported != name:
                continue
            owner = layout.service_of(importer)
            if (owner.name if owner is not None else "") not in near:
                continue
            tail = module.replace(".", "/")
            folder = importer.rpartition("/")[0]
            while True:
                runs_from = (
                    not folder
                    or folder == home
                    or folder.rpartition("/")[2] == "src"  # a src layout's, package or not
                    or f"{folder}/__init__.py" not in facts
                )
                if runs_from and (f"{folder}/{tail}" if folder else tail) == stem:
                    return True
                if not folder:
                    break
                folder = folder.rpartition("/")[0]
        return False

    @cached_property
    def _import_reach(
        self,
    ) -> tuple[dict[tuple[str, str | None], set[str]], list[tuple[str, str, str | None]]]:
        """(file, name there or None for the module) -> the services ("" for
        none) of the files (tests aside) whose imports resolve to it, re-exports
        followed; and (importer, dotted module, name or None) of the imports
        that do not resolve, outside the standard library (a file not read yet
        breaks it off: kept once whole)."""
        resolved: dict[tuple[str, str | None], set[str]] = {}
        spelled: list[tuple[str, str, str | None]] = []
        facts, layout = self.facts, self.layout
        for importer in sorted(facts):
            if layout.is_excluded(importer):
                continue
            owner = layout.service_of(importer)
            service = owner.name if owner is not None else ""
            for stmt in facts[importer].imports:
                if stmt.type_checking:
                    continue
                targets = self.targets(importer, stmt)
                for target in targets:
                    resolved.setdefault((target.defining, target.name), set()).add(service)
                    resolved.setdefault((target.spelled, target.name), set()).add(service)
                if targets:
                    continue
                if stmt.kind == "from":
                    base = self.absolute(importer, stmt.level, stmt.module)
                    if base is None or base.partition(".")[0] in sys.stdlib_module_names:
                        continue
                    for imported, _ in stmt.names:
                        if imported == "*":
                            spelled.append((importer, base, None))
                        else:
                            spelled.append((importer, base, imported))
                            spelled.append((importer, f"{base}.{imported}", None))
                else:  # `import a.b.middleware`, an `import_module` call
                    for imported, _ in stmt.names:
                        if imported.partition(".")[0] not in sys.stdlib_module_names:
                            spelled.append((importer, imported, None))
        return resolved, spelled

    def module_of(self, path: str) -> str | None:
        return self.layout.module_of(path)

    def is_package(self, path: str) -> bool:
        return path.endswith("/__init__.py") or path == "__init__.py"

    def file_of(self, module: str, importer: str | None = None) -> str | None:
        """The file of a dotted module, preferring the importer's own source root;
        None where the importer's own folder holds a module of the import's
        top-level name (see `_beside`) and the file found is not in it."""
        found = self._file_of(module, importer)
        if found is not None and importer is not None:
            beside = self._beside(importer, module)
            if beside is not None and found != beside[0] and not found.startswith(beside[1]):
                return None
        return found

    def _beside(self, importer: str, module: str) -> tuple[str, str] | None:
        """(module file, package folder + "/") of the module of `module`'s
        top-level name in the importer's own folder, when there is one, the
        folder is no regular package (no `__init__.py`: in a package, Python
        resolves an absolute import from the source root, never beside the
        importer) and the importer is not inside that name's package: a script
        run from its folder (`python main.py`, as many services' images do)
        imports its neighbour `settings.py` by `import settings`, whatever a
        source root elsewhere holds; as the importer may be run either way, the
        import is ambiguous unless it reaches that neighbour."""
        top = module.split(".", 1)[0]
        key = (importer, top)
        if key in self._beside_memo:
            return self._beside_memo[key]
        found = None
        folder, _, _ = importer.rpartition("/")
        own = self.layout.module_of(importer)
        # beside a file of its root, the neighbours are named from that root already
        if (
            folder
            and folder != self.layout.root_of(importer)
            and (own is None or own.split(".", 1)[0] != top)
            and f"{folder}/__init__.py" not in self.facts
        ):
            for candidate in (f"{folder}/{top}.py", f"{folder}/{top}/__init__.py"):
                if candidate in self.facts:
                    found = candidate, f"{folder}/{top}/"
                    break
        self._beside_memo[key] = found
        return found

    def _file_of(self, module: str, importer: str | None) -> str | None:
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
        return self._follow_memo.get(key, lambda: self._follow(path, name, 0))

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
