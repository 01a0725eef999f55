"""The repository's layout: which files there are, their modules and services.

A file belongs to at most one service: the top-most directory above it that a
`services` glob matches (the folder is the identity, so `scripts/orders/` is
not the `orders` service). Its module name comes from the deepest source root
that holds it; a file that is not importable through any root (a service
folder named `order-service`, say) falls back to its service folder as a root.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from arch_lint.config.load import git_ls_files
from arch_lint.config.resolve import Settings, matcher

if TYPE_CHECKING:
    from arch_lint.config.resolve import Matcher

# Directories never read, not even for project facts: environments, caches and
# build output hold copies of packages that would shadow the real modules.
SKIP_DIRS = frozenset(
    {
        ".git",
        ".hg",
        ".svn",
        ".venv",
        "venv",
        ".tox",
        ".nox",
        "node_modules",
        "__pycache__",
        "__pypackages__",
        "build",
        "dist",
        ".eggs",
        "site-packages",
        ".mypy_cache",
        ".ruff_cache",
        ".pytest_cache",
        ".arch_lint_cache",
    }
)


@dataclass(frozen=True)
class Service:
    name: str
    path: str
    """Relative posix path of the service folder."""


@dataclass(frozen=True)
class Problem:
    """A configuration key that matches nothing (ARC000)."""

    key: str
    message: str


def _skipped(parts: tuple[str, ...]) -> bool:
    return any(p in SKIP_DIRS or p.endswith(".egg-info") for p in parts[:-1])


def _valid_name(path: str) -> bool:
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:
        return False  # not UTF-8 on disk: no module can have that name
    return True


def listable(path: str) -> bool:
    """Whether a relative posix path is one the project listing keeps (a valid
    name, not under a skipped folder such as `.venv` or `build`)."""
    return _valid_name(path) and not _skipped(PurePosixPath(path).parts)


def list_python_files(root: Path, respect_gitignore: bool) -> list[str]:
    """Relative posix paths of the `.py` files of the project.

    Files whose names are not valid UTF-8 are left out: no import can name them.
    """
    return [p for p in _list_python_files(root, respect_gitignore) if _valid_name(p)]


def _list_python_files(root: Path, respect_gitignore: bool) -> list[str]:
    listed = git_ls_files(root) if respect_gitignore and _inside_git(root) else None
    if listed is not None:
        files = [p for p in listed if not _skipped(PurePosixPath(p).parts)]
        return [p for p in files if (root / p).is_file()]
    found: list[str] = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(
            d
            for d in dirnames
            if d not in SKIP_DIRS
            and not d.endswith(".egg-info")
            and not (Path(dirpath, d, "pyvenv.cfg")).exists()
        )
        rel_dir = Path(dirpath).relative_to(root).as_posix()
        for name in filenames:
            if name.endswith(".py"):
                found.append(name if rel_dir == "." else f"{rel_dir}/{name}")
    return sorted(found)


def _inside_git(root: Path) -> bool:
    return any((p / ".git").exists() for p in (root, *root.parents))


def _is_identifier_path(parts: tuple[str, ...]) -> bool:
    return all(p.isidentifier() for p in parts)


@dataclass
class Layout:
    """Files, modules and services of one project under one configuration."""

    settings: Settings
    files: list[str]
    _placements: dict[str, tuple[str | None, str | None]] = field(default_factory=dict)
    services: dict[str, Service] = field(default_factory=dict)
    """Service folder (relative path) -> service."""
    problems: list[Problem] = field(default_factory=list)

    @classmethod
    def scan(cls, settings: Settings, files: list[str] | None = None) -> Layout:
        cfg = settings.model
        if files is None:
            files = list_python_files(settings.root, cfg.respect_gitignore)
        layout = cls(settings=settings, files=files)
        layout._find_services()
        layout._check_keys()
        return layout

    # matchers ---------------------------------------------------------------------
    @cached_property
    def _services_spec(self) -> Matcher:
        return matcher([p.rstrip("/") for p in self.settings.model.services])

    @cached_property
    def _data_layer_spec(self) -> Matcher:
        return matcher(self.settings.model.data_layer)

    @cached_property
    def _public_spec(self) -> Matcher:
        return matcher(self.settings.model.public)

    @cached_property
    def _exclude_spec(self) -> Matcher:
        cfg = self.settings.model
        return matcher([*cfg.exclude, *cfg.extend_exclude])

    @cached_property
    def source_roots(self) -> list[str]:
        """Relative posix source roots, deepest first ("" is the project root)."""
        roots: set[str] = set()
        for entry in self.settings.model.source_roots:
            entry = entry.strip("/") or "."
            if any(ch in entry for ch in "*?["):
                for match in self.settings.root.glob(entry):
                    if match.is_dir():
                        roots.add(match.relative_to(self.settings.root).as_posix())
            else:
                roots.add("" if entry == "." else PurePosixPath(entry).as_posix())
        return sorted((r if r != "." else "" for r in roots), key=lambda r: (-r.count("/"), r))

    @cached_property
    def shared_dirs(self) -> list[str]:
        """Relative posix folders (or files) that hold the shared models."""
        out = []
        for entry in self.settings.model.shared_models:
            entry = entry.strip("/")
            if "/" not in entry and "." in entry and not (self.settings.root / entry).exists():
                # a dotted package name: look it up through the source roots
                rel = entry.replace(".", "/")
                for root in self.source_roots:
                    cand = f"{root}/{rel}" if root else rel
                    if (self.settings.root / cand).exists() or (
                        self.settings.root / f"{cand}.py"
                    ).exists():
                        out.append(cand)
                        break
                else:
                    out.append(rel)
            else:
                out.append(entry)
        return out

    # services -------------------------------------------------------------------------
    def _find_services(self) -> None:
        spec = self._services_spec
        seen_dirs: set[str] = set()
        for path in self.files:
            parts = PurePosixPath(path).parts[:-1]
            for depth in range(1, len(parts) + 1):
                folder = "/".join(parts[:depth])
                if folder in seen_dirs:
                    break
                if spec.match_dir(folder) and not self._is_shared(folder + "/x.py"):
                    seen_dirs.add(folder)
                    break
        names: dict[str, int] = {}
        for folder in seen_dirs:
            name = folder.rsplit("/", 1)[-1]
            names[name] = names.get(name, 0) + 1
        for folder in sorted(seen_dirs):
            name = folder.rsplit("/", 1)[-1]
            self.services[folder] = Service(name=name if names[name] == 1 else folder, path=folder)

    @cached_property
    def _service_of_file(self) -> dict[str, Service | None]:
        return {path: self._find_service(path) for path in self.files}

    def _find_service(self, path: str) -> Service | None:
        if self._is_shared(path):
            return None  # shared models belong to no service, wherever they live
        parts = path.split("/")[:-1]
        for depth in range(1, len(parts) + 1):
            service = self.services.get("/".join(parts[:depth]))
            if service is not None:
                return service
        return None

    def service_of(self, path: str) -> Service | None:
        known = self._service_of_file
        return known[path] if path in known else self._find_service(path)

    def _within(self, path: str, service: Service) -> tuple[str, ...]:
        """`path` relative to its service folder and, for a service with its own
        source root (`services/billing/src/billing/…`, `services/order-api/app/…`),
        also relative to the service's top-level package, so that `db/**` means
        the same in every layout."""
        rel = path[len(service.path) + 1 :]
        root = self.root_of(path)
        if root is not None and (root == service.path or root.startswith(service.path + "/")):
            inner = path[len(root) + 1 :]
            _, sep, below_package = inner.partition("/")
            if sep:
                return (rel, below_package)
        return (rel,)

    def is_data_layer_path(self, path: str) -> bool:
        service = self.service_of(path)
        return service is not None and any(
            self._data_layer_spec.match_file(rel) for rel in self._within(path, service)
        )

    def is_public(self, path: str) -> bool:
        service = self.service_of(path)
        return service is not None and any(
            self._public_spec.match_file(rel) for rel in self._within(path, service)
        )

    def _is_shared(self, path: str) -> bool:
        return any(self.in_shared_dir(path, d) for d in self.shared_dirs)

    def is_shared_model(self, path: str) -> bool:
        return self._is_shared(path)

    def in_shared_dir(self, path: str, folder: str) -> bool:
        return path == folder or path.startswith(folder + "/") or path == f"{folder}.py"

    def is_excluded(self, path: str) -> bool:
        return self._exclude_spec.match_file(path)

    # modules -------------------------------------------------------------------------------
    def module_of(self, path: str) -> str | None:
        """The dotted module name of a file (`pkg/__init__.py` -> `pkg`), or None."""
        return self._placement(path)[1]

    def root_of(self, path: str) -> str | None:
        """The source root the file is imported through, or None."""
        return self._placement(path)[0]

    def _placement(self, path: str) -> tuple[str | None, str | None]:
        known = self._placements.get(path)
        if known is None:
            known = self._place(path)
            self._placements[path] = known
        return known

    def _place(self, path: str) -> tuple[str | None, str | None]:
        """(root, module): the deepest source root whose folders below it are
        importable names; else the service folder (`services/order-api/app/…`).
        A file whose own name is not an identifier has no module."""
        candidates = [r for r in self.source_roots if not r or path.startswith(r + "/")]
        service = self.service_of(path)
        if service is not None:
            candidates.append(service.path)
        for root in candidates:
            rel = path[len(root) + 1 :] if root else path
            if _is_identifier_path(tuple(rel.split("/")[:-1])):
                return root, _module_name(rel)
        return None, None

    # ARC000 ------------------------------------------------------------------------------
    def _check_keys(self) -> None:
        cfg = self.settings.model
        explicit = self.settings.explicit_keys
        dirs = self._all_dirs()
        for i, pattern in enumerate(cfg.services):
            spec = matcher([pattern.rstrip("/")])
            if not any(spec.match_dir(d) for d in dirs):
                how = "" if "services" in explicit else " (the default)"
                self.problems.append(
                    Problem(
                        f"services[{i}]",
                        f"`{pattern}`{how} matches no directory; set `services = []` "
                        "if the repository has no services",
                    )
                )
        for i, folder in enumerate(self.shared_dirs):
            if not any(self.in_shared_dir(f, folder) for f in self.files):
                how = "" if "shared-models" in explicit else " (the default)"
                self.problems.append(
                    Problem(
                        f"shared-models[{i}]",
                        f"`{cfg.shared_models[i]}`{how} holds no Python file; set "
                        "`shared-models = []` if the repository has no shared models",
                    )
                )
        for i, entry in enumerate(cfg.source_roots):
            prefix = entry.strip("/")
            prefix = "" if prefix in {"", "."} else prefix
            if any(ch in prefix for ch in "*?["):
                roots = [r for r in self.source_roots if matcher([prefix]).match_dir(r)]
            else:
                roots = [prefix]
            if not any(
                (not root or f.startswith(root + "/")) for f in self.files for root in roots
            ):
                self.problems.append(
                    Problem(f"source-roots[{i}]", f"`{entry}` holds no Python package or module")
                )

    def _all_dirs(self) -> set[str]:
        dirs: set[str] = set()
        for path in self.files:
            parts = PurePosixPath(path).parts[:-1]
            for depth in range(1, len(parts) + 1):
                dirs.add("/".join(parts[:depth]))
        return dirs


def _module_name(rel: str) -> str | None:
    parts = PurePosixPath(rel).parts
    if not parts:
        return None
    stem = parts[-1][:-3] if parts[-1].endswith(".py") else parts[-1]
    names = (*parts[:-1], stem) if stem != "__init__" else parts[:-1]
    if not names or not _is_identifier_path(tuple(names)):
        return None
    return ".".join(names)
