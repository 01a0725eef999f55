"""Infer a `[tool.arch_lint]` table from a repository (`arch-lint init`, SPEC §5).

Read-only: the files are listed as a run lists them, parsed with `ast` (through
the index's own fact extraction: data layer by content, Pydantic models,
imports) and never imported or run. Every inferred value comes with the
evidence that produced it, so that `init` can print it as a comment and
`check --show-settings` can name it.

What is inferred, in this order (each step sees the steps before it):
- `services`: a folder whose sub-folders hold Python packages that look like
  services (`services/*`, `apps/*`, ...), `*-service` folders at the top, or
  top-level folders that each carry their own `Dockerfile`/`pyproject.toml`.
  A folder that shows nothing that runs (no `Dockerfile`, no docker-compose
  service built from it, no routes, no entry point such as `main.py`) is no
  service when it is named like shared code (`lib-models`, `shared`, `core`)
  or, among top-level folders, when the others import it: it is a library,
  which the steps below make a source root or the shared models. A folder of
  data (`data/`, `datasets/`) holds no services, nor does a folder that holds
  no Python package and nothing that runs (scripts, notebooks);
- `source-roots`: `src` layouts, and folders that hold a top-level package the
  code imports but that is not importable from the root (not a folder that is
  a package itself, nor one of scripts, tools, docs or examples);
- `shared-models`: the package of Pydantic models outside the services that
  several services import (or one named so: `common/models`, `libs/x/models`);
- `public`: client packages of a service (`client/`, `sdk/`);
- `data-layer`: folders or file names that hold ORM tables beyond the defaults;
- `logging.logger-factories` / `logging.structlog-factories`: project functions
  that return a logger made by a known factory (any depth);
- `models.service-urls`: settings fields and constants whose default URL's host
  is a service's directory name (`-`/`_` alike, optional `-service` suffix), and
  docker-compose services that build from a service's directory.
"""

from __future__ import annotations

import ast
import contextlib
import os
import re
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from arch_lint.config.load import RawConfig
from arch_lint.config.model import DEFAULT_DATA_LAYER, DEFAULT_EXCLUDE, LoggingConfig
from arch_lint.config.resolve import Settings, matcher, resolve
from arch_lint.index.build import build, parse
from arch_lint.index.facts import FROM, IMPORT, FileFacts, ImportStmt
from arch_lint.index.http_map import ServiceUrls
from arch_lint.index.layout import SKIP_DIRS, Layout, Service, scan_files
from arch_lint.index.models import dotted
from arch_lint.index.project import ProjectIndex
from arch_lint.source import read_regular

# Folder names that hold services, whatever their children look like.
CONTAINER_NAMES = frozenset(
    {"services", "apps", "microservices", "svc", "backends", "workers", "components"}
)
# Folder names that are never service containers (nor searched for one).
_NOT_CONTAINERS = frozenset(
    {
        "tests", "test", "testing", "docs", "doc", "examples", "example", "samples",
        "scripts", "tools", "benchmarks", "fixtures", "migrations", "alembic", "vendor",
        "third_party", "deploy", "infra", "ops", "notebooks", "benchmark", *SKIP_DIRS,
    }
)  # fmt: skip
# Folder names that hold data, not code to run: never a service container.
_DATA_NAMES = frozenset({"data", "datasets", "dataset", "assets", "static", "resources"})
# Names of shared code: never a service, and a hint for the shared models.
SHARED_NAMES = frozenset(
    {"common", "commons", "shared", "libs", "lib", "core", "utils", "contracts", "protos",
     "proto", "sdk", "schemas", "models", "packages", "platform"}
)  # fmt: skip
_MODEL_DIR_NAMES = frozenset(
    {"models", "schemas", "contracts", "dto", "dtos", "events", "messages", "payloads"}
)
_PUBLIC_NAMES = ("client", "clients", "sdk", "api_client", "public")
_ENTRY_FILES = frozenset(
    {"main.py", "app.py", "api.py", "server.py", "worker.py", "handlers.py", "consumers.py",
     "__main__.py", "asgi.py", "wsgi.py", "routes.py", "views.py", "tasks.py", "service.py"}
)  # fmt: skip
_MARKER_FILES = ("Dockerfile", "pyproject.toml", "setup.py", "setup.cfg", "requirements.txt")
# Files that start a program: a folder holding one runs (a library does not).
_RUN_FILES = frozenset(
    {"__main__.py", "main.py", "app.py", "server.py", "asgi.py", "wsgi.py", "worker.py",
     "manage.py"}
)  # fmt: skip
# Name parts (split at `-`/`_`) of a library's folder (`lib-models`, `shared_utils`)...
_LIBRARY_PARTS = SHARED_NAMES | {"libraries", "library", "dto", "dtos"}
# ...unless a part says it runs (`core-api`, `common-worker`).
_RUNNING_PARTS = frozenset({"service", "svc", "api", "app", "server", "worker", "gateway"})
_STDLIB = frozenset(getattr(sys, "stdlib_module_names", ()))


@dataclass(frozen=True, order=True)
class Evidence:
    """Why one value of the table was inferred."""

    key: str
    """The key path below `tool.arch_lint`: `services`, `logging.logger-factories`."""
    value: str
    """The value (a glob, a dotted name, `NAME = service`), or "" for the key itself."""
    why: str


@dataclass
class Inference:
    """What `arch-lint init` found in one repository."""

    root: Path
    table: dict[str, Any]
    """The `[tool.arch_lint]` table as TOML reads it (kebab-case keys): only
    keys that differ from the defaults, plus `services` and `shared-models`."""
    evidence: list[Evidence] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    """Things seen but not configured (printed as comments)."""

    @property
    def found_anything(self) -> bool:
        """Whether there is a layout to check: services or shared models."""
        return bool(self.table.get("services")) or bool(self.table.get("shared-models"))

    def why(self, key: str, value: str = "") -> list[str]:
        return [e.why for e in self.evidence if e.key == key and e.value == value]


def settings_for(root: Path, table: Mapping[str, Any]) -> Settings:
    """Settings from a table as if it stood in `root`/pyproject.toml (no file)."""
    return resolve(RawConfig(path=None, root=root, table=dict(table)))


def infer(root: Path) -> Inference:
    """Inspect the repository at `root` (read-only) and infer its configuration."""
    root = root.resolve()
    files, listed, _ = scan_files(root, respect_gitignore=True)
    tree = _Tree(root, files)
    out = Inference(root=root, table={})
    table: dict[str, Any] = {"services": [], "shared-models": []}
    layout = Layout.scan(settings_for(root, table), files, listed)
    # a file's facts do not depend on where the services are
    built = build(layout.settings, use_cache=True, layout=layout)  # reads the cache, writes none
    facts = built.index.facts
    table["services"] = _infer_services(tree, _Roles(tree, facts), out)
    layout = Layout.scan(settings_for(root, table), files, listed)

    roots = _infer_source_roots(tree, layout, ProjectIndex(layout, facts), out)
    if roots != ["."]:
        table["source-roots"] = roots
        layout = Layout.scan(settings_for(root, table), files, listed)
    index = ProjectIndex(layout, facts)

    table["shared-models"] = _infer_shared_models(tree, index, out)
    layout = Layout.scan(settings_for(root, table), files, listed)
    index = ProjectIndex(layout, facts)

    public = _infer_public(tree, index, out)
    if public:
        table["public"] = public
    extra = _infer_data_layer(tree, index, out)
    if extra:
        table["data-layer"] = [*DEFAULT_DATA_LAYER, *extra]
    logging_table = _infer_logger_factories(tree, index, out)
    if logging_table:
        table["logging"] = logging_table
    urls = _infer_service_urls(tree, index, out)
    if urls:
        table["models"] = {"service-urls": urls}
    out.table = table
    out.evidence.sort()
    return out


def infer_table(root: Path) -> tuple[dict[str, Any], list[Evidence]] | None:
    """The inferred table and its evidence, or None when nothing can be inferred
    (no services and no shared models): what `check` uses without a configuration."""
    found = infer(root)
    if not found.found_anything:
        return None
    return found.table, found.evidence


# --- the file tree --------------------------------------------------------------------


class _Tree:
    """The project's Python files seen as folders."""

    def __init__(self, root: Path, files: list[str]) -> None:
        self.root = root
        self.files = files
        self.excluded = matcher(DEFAULT_EXCLUDE)
        self.kept = [f for f in files if not self.excluded.match_file(f)]
        self.children: dict[str, set[str]] = {}
        self.below: dict[str, list[str]] = {}
        """folder -> the kept files below it."""
        self.homes: dict[str, set[str]] = {}
        """top-level name -> folders that hold a package or module of that name."""
        self.paths = frozenset(files)
        for path in files:
            parts = PurePosixPath(path).parts
            for i, name in enumerate(parts):
                parent = "/".join(parts[:i])
                stem = name[:-3] if i == len(parts) - 1 else name
                if stem.isidentifier() and stem != "__init__":
                    self.homes.setdefault(stem, set()).add(parent)
                if i < len(parts) - 1:
                    self.children.setdefault(parent, set()).add(f"{parent}/{name}".lstrip("/"))
        for path in self.kept:
            parts = PurePosixPath(path).parts
            for i in range(len(parts)):
                self.below.setdefault("/".join(parts[:i]), []).append(path)

    def kids(self, folder: str) -> list[str]:
        return sorted(
            k
            for k in self.children.get(folder, ())
            if self.below.get(k)
            and _name(k) not in _NOT_CONTAINERS
            and not _name(k).startswith(".")
        )

    def has_marker(self, folder: str) -> bool:
        return any(os.path.isfile(self.root / folder / m) for m in _MARKER_FILES)

    def looks_like_service(self, folder: str) -> bool:
        if self.has_marker(folder):
            return True
        return any(_name(f) in _ENTRY_FILES for f in self.below.get(folder, ()))

    def is_package_dir(self, folder: str) -> bool:
        return f"{folder}/__init__.py" in self.below.get(folder, ()) or os.path.isfile(
            self.root / folder / "__init__.py"
        )


def _name(path: str) -> str:
    return path.rsplit("/", 1)[-1]


def _listed(names: Iterable[str], limit: int = 6) -> str:
    names = sorted(names)
    shown = ", ".join(names[:limit])
    return shown + (f", … ({len(names)} in all)" if len(names) > limit else "")


def _plural(n: int, word: str) -> str:
    if n == 1:
        return f"1 {word}"
    return f"{n} {word[:-1]}ies" if word.endswith("y") else f"{n} {word}s"


# --- services ----------------------------------------------------------------------------


class _Roles:
    """What a folder's files show it to be: a program that runs, a library
    that other code imports, or neither (data, scripts, notebooks)."""

    def __init__(self, tree: _Tree, facts: Mapping[str, FileFacts]) -> None:
        self.tree = tree
        self.facts = facts
        self.built: dict[str, str] = {}
        """Folder -> the docker-compose service that builds from it (`file:line: name`)."""
        self.served: list[str] = []
        """The files that declare routes or an application object (`FastAPI()`)."""
        for path in sorted(facts):
            http = facts[path].http
            if http is None:
                continue
            for service in http.compose:
                if service.build:
                    self.built.setdefault(service.build, f"{path}:{service.line}: `{service.name}`")
            if http.routes or any(r.app for r in http.routers):
                self.served.append(path)

    def runs(self, folder: str) -> str | None:
        """What shows that `folder` runs, or None."""
        root = self.tree.root
        with contextlib.suppress(OSError):
            for entry in sorted(os.listdir(root / folder)):
                low = entry.lower()
                if (
                    low == "dockerfile"
                    or low.startswith("dockerfile.")
                    or low.endswith(".dockerfile")
                ) and os.path.isfile(root / folder / entry):
                    return f"{folder}/{entry}"
        for context, where in sorted(self.built.items()):
            if _inside(context, folder):
                return f"the docker-compose service {where}"
        kept = self.tree.below.get(folder, [])
        mine = set(kept)
        served = [p for p in self.served if p in mine]
        if served:
            return f"routes in {served[0]}"
        entry_points = [p for p in kept if _name(p) in _RUN_FILES]
        if entry_points:
            return f"an entry point, {entry_points[0]}"
        return None

    def holds_package(self, folder: str) -> bool:
        return any(_name(p) == "__init__.py" for p in self.tree.below.get(folder, ()))

    def _own_names(self, folder: str) -> set[str]:
        """The top-level packages and modules that live in `folder` (or its
        `src/`) and nowhere else."""
        where = {folder, f"{folder}/src"}
        return {
            name
            for name, homes in self.tree.homes.items()
            if homes & where and all(h == folder or h.startswith(folder + "/") for h in homes)
        }

    def importers(self, folder: str, others: Iterable[str]) -> list[str]:
        """The folders of `others` whose files import a package of `folder`."""
        names = self._own_names(folder)
        found = []
        for other in others:
            if other == folder or not names:
                continue
            for path in self.tree.below.get(other, ()):
                facts = self.facts.get(path)
                if facts is not None and _imported_tops(facts) & names:
                    found.append(other)
                    break
        return found

    def not_a_service(
        self, folder: str, peers: list[str], *, by_use: bool, by_package: bool
    ) -> str | None:
        """Why `folder`, one of `peers`, is no service, or None when it may be one:
        nothing in it runs, and it is named like a library, or (`by_use`) the
        others import it, or (`by_package`) it holds no Python package (data,
        scripts, notebooks)."""
        if self.runs(folder) is not None:
            return None
        nothing = (
            "nothing in it runs (no Dockerfile, docker-compose service, routes or entry point)"
        )
        users = self.importers(folder, peers) if by_use else []
        parts = set(re.split(r"[-_.]", _name(folder).lower()))
        named = bool(parts & _LIBRARY_PARTS) and not parts & _RUNNING_PARTS
        if users or named:
            what = "a library"
            if users:
                what += f" that {_listed(_name(u) for u in users)} "
                what += "imports" if len(users) == 1 else "import"
            if named:
                what += " (named like one)" if users else " (its name)"
            return f"{folder}/ is no service: {what}; {nothing}"
        if by_package and not self.holds_package(folder):
            return f"{folder}/ is no service: it holds no Python package, and {nothing}"
        return None


def _absolute_modules(stmt: ImportStmt) -> list[str]:
    """The modules an import statement names absolutely (`from a.b import c`:
    `a.b`; `import a.b, d`: `a.b` and `d`; a relative import: none)."""
    if stmt.level:
        return []
    if stmt.kind == "from":
        return [stmt.module] if stmt.module else []
    return [name for name, _ in stmt.names]


def _imported_tops(facts: FileFacts) -> set[str]:
    """The top-level names a file imports absolutely."""
    return {m.split(".", 1)[0] for stmt in facts.imports for m in _absolute_modules(stmt)}


def _infer_services(tree: _Tree, roles: _Roles, out: Inference) -> list[str]:
    candidates: list[tuple[bool, int, str, list[str], list[str]]] = []
    dropped: dict[str, str] = {}
    for folder in sorted(tree.below):
        if not folder or folder.count("/") > 1:
            continue
        parts = folder.split("/")
        if any(p in _NOT_CONTAINERS or p in _DATA_NAMES or p.startswith(".") for p in parts):
            continue
        if tree.excluded.match_dir(folder):
            continue
        kids = tree.kids(folder)
        known = _name(folder) in CONTAINER_NAMES
        shared = [k for k in kids if _name(k) in SHARED_NAMES]
        others = [k for k in kids if k not in shared]
        for kid in others:
            # a folder named for services: only a name says "library" (a service
            # that another imports is what ARC102 reports, not a library)
            why = roles.not_a_service(kid, others, by_use=False, by_package=not known)
            if why is not None:
                dropped[kid] = why
                shared.append(kid)
        members = [k for k in others if k not in shared]
        looks = [k for k in members if tree.looks_like_service(k)]
        if (known and members) or (
            not known and len(looks) >= 2 and _name(folder) not in SHARED_NAMES
        ):
            candidates.append((known, len(looks), folder, members, shared))
    chosen = [c for c in candidates if c[0]]
    if not chosen and candidates:
        chosen = [
            max(candidates, key=lambda c: (c[1], -c[2].count("/"), [-ord(ch) for ch in c[2]]))
        ]
    patterns: list[str] = []
    taken: list[str] = []
    for _, _, folder, members, shared in sorted(chosen, key=lambda c: c[2]):
        if any(folder.startswith(t + "/") for t in taken):
            continue  # inside a service already chosen
        names = [_name(m) for m in members]
        why = f"{_plural(len(members), 'directory')} with Python packages: {_listed(names)}"
        if len(members) == 1:
            why = f"1 directory with Python packages: {names[0]}"
        if shared:
            left = ", ".join(_name(s) for s in sorted(shared) if s not in dropped)
            if left:
                why += f" (left out: {left}, shared code)"
            for member in members:
                patterns.append(member)
                out.evidence.append(Evidence("services", member, f"in {folder}/; {why}"))
            for kid in sorted(shared):
                if kid in dropped:
                    out.evidence.append(Evidence("services", "", dropped[kid]))
        else:
            patterns.append(f"{folder}/*")
            out.evidence.append(Evidence("services", f"{folder}/*", why))
        taken.extend(members)
    if patterns:
        return patterns
    top = [k for k in tree.kids("") if _name(k) not in SHARED_NAMES]
    suffixed = [k for k in top if re.search(r"[-_]service$", k)]
    if len(suffixed) >= 2:
        for suffix in ("-service", "_service"):
            group = [k for k in suffixed if k.endswith(suffix)]
            if len(group) >= 2:
                pattern = f"/*{suffix}"
                patterns.append(pattern)
                why = f"{len(group)} top-level directories named `*{suffix}`: {_listed(group)}"
                out.evidence.append(Evidence("services", pattern, why))
        if patterns:
            return patterns
    marked = [k for k in top if tree.has_marker(k) and k not in suffixed]
    libraries = {k: roles.not_a_service(k, marked, by_use=True, by_package=True) for k in marked}
    kept = [k for k in marked if libraries[k] is None]
    if len(kept) >= 2:
        for k in kept:
            patterns.append(k)
            out.evidence.append(
                Evidence("services", k, "a top-level directory with its own Dockerfile/pyproject")
            )
        for why in libraries.values():
            if why is not None:
                out.evidence.append(Evidence("services", "", why))
        return patterns
    out.evidence.append(
        Evidence("services", "", "no folder holds two or more directories that look like services")
    )
    return []


# --- source roots -----------------------------------------------------------------------


def _service_glob(layout: Layout, folder: str) -> str:
    """`services/*/src` for `services/billing/src` when `services/*` is a glob."""
    service = layout.service_of(f"{folder}/x.py")
    if service is None:
        return folder
    rest = folder[len(service.path) + 1 :]
    for pattern in layout.settings.model.services:
        if (
            pattern.endswith("/*")
            and service.path.startswith(pattern[:-1])
            and "/" not in service.path[len(pattern) - 1 :]
        ):
            return f"{pattern}/{rest}" if rest else pattern
    return folder


def _imports_itself(index: ProjectIndex, folder: str, top: str) -> bool:
    """Whether the module `folder/top.py` imports `top` by its absolute name (so
    `top` is an installed library it wraps, not the module itself)."""
    facts = index.facts.get(f"{folder}/{top}.py" if folder else f"{top}.py")
    return facts is not None and top in _imported_tops(facts)


def _reached_in(tree: _Tree, index: ProjectIndex, folder: str, top: str, users: set[str]) -> bool:
    """Whether an import of `top` by one of `users` reaches a module under
    `folder` (`from src.db.session import x`: `folder/src/db/session.py`;
    `from alembic import context`: `folder/alembic/context.py` or a
    `context` package there)."""
    prefix = f"{folder}/" if folder else ""
    for user in users:
        for stmt in index.facts[user].imports:
            if stmt.level or stmt.kind == "dynamic":
                continue
            if stmt.kind == "from":
                dotted = stmt.module or ""
                wanted = [f"{dotted}.{name}" for name, _ in stmt.names]
            else:
                dotted, wanted = "", [name for name, _ in stmt.names]
            if (dotted or wanted[0]).split(".", 1)[0] != top:
                continue
            path = prefix + dotted.replace(".", "/")
            if dotted and (f"{path}.py" in tree.paths or f"{path}/__init__.py" in tree.paths):
                return True
            for name in wanted:
                path = prefix + name.replace(".", "/")
                if f"{path}.py" in tree.paths or path in tree.children:
                    return True
    return False


def _spelled_from_above(folder: str, absolute: set[str]) -> bool:
    """Whether a module under `folder` is imported by a name that spells the
    folder itself (`services.orders.src.db` for `services/orders`): a source
    root at the folder would name that module otherwise."""
    dotted = folder.replace("/", ".")
    return any(m == dotted or m.startswith(dotted + ".") for m in absolute)


def _covered(layout: Layout, glob: str, service_dirs: set[str]) -> list[str]:
    """The folders of every service a source root written with a services
    pattern stands for (`services/*/src`: `services/orders/src`, … and for
    `services/billing`, which holds none, `services/billing/src` all the same)."""
    out = []
    for service in service_dirs:
        pattern = _service_glob(layout, service)
        if pattern == glob:
            out.append(service)
        elif glob.startswith(pattern + "/") and "*" in pattern:
            out.append(service + glob[len(pattern) :])
    return out


def _infer_source_roots(
    tree: _Tree, layout: Layout, index: ProjectIndex, out: Inference
) -> list[str]:
    found: dict[str, set[str]] = {}
    service_dirs = set(layout.services)
    containers = {s.rsplit("/", 1)[0] if "/" in s else "" for s in service_dirs}
    # src layouts: a `src` folder (no package itself) that holds packages, at
    # the root or in a service; elsewhere (a library's `shared/src/shared/`),
    # one whose packages files outside it import by their own name
    imported: dict[str, set[str]] = {}
    for path, facts in index.facts.items():
        for top in _imported_tops(facts):
            imported.setdefault(top, set()).add(path)
    for folder in sorted(tree.below):
        if _name(folder) != "src" or tree.is_package_dir(folder):
            continue
        parent = folder.rsplit("/", 1)[0] if "/" in folder else ""
        packages = [k for k in tree.kids(folder) if tree.is_package_dir(k)]
        if not packages:
            continue
        if not parent or parent in service_dirs:
            glob = _service_glob(layout, folder)
            found.setdefault(glob, set()).add(
                f"a src layout: {folder}/ holds {_listed(_name(p) for p in packages)}"
            )
            continue
        if any(p in _NOT_CONTAINERS or p in _DATA_NAMES for p in folder.split("/")):
            continue
        for package in packages:
            users = {u for u in imported.get(_name(package), ()) if not _inside(u, folder)}
            if users:
                found.setdefault(folder, set()).add(
                    f"a src layout: {folder}/ holds `{_name(package)}`, which "
                    f"{_plural(len(users), 'file')} outside it import"
                )
    # imports of top-level packages that only a deeper folder holds
    unresolved: dict[str, set[str]] = {}
    for path, facts in index.facts.items():
        for stmt in facts.imports:
            if stmt.kind == "dynamic":
                continue
            for module in _absolute_modules(stmt):
                top = module.split(".", 1)[0]
                if top in _STDLIB or index.modules.is_module(top):
                    continue
                unresolved.setdefault(top, set()).add(path)
    absolute = {
        module
        for facts in index.facts.values()
        for stmt in facts.imports
        if stmt.kind != "dynamic"
        for module in _absolute_modules(stmt)
    }
    """Every module imported by its absolute name."""
    for top in sorted(unresolved):
        homes = {
            h
            for h in tree.homes.get(top, ())
            if h
            and f"{h}/{top}" not in service_dirs
            and h not in containers
            and not tree.excluded.match_dir(h)
            and not any(
                p in SKIP_DIRS or p in _NOT_CONTAINERS or p in _DATA_NAMES for p in h.split("/")
            )
            # inside a package (`auth/__init__.py`), `auth/jwt.py` is `auth.jwt`:
            # an import of `jwt` reaches an installed library (PyJWT), not it;
            # but a service folder's own package (`services/orders/src/`) is
            # what its code imports, run from that folder, `__init__.py` or not
            and (
                not tree.is_package_dir(h)
                or (h in service_dirs and tree.is_package_dir(f"{h}/{top}"))
            )
            # `storage/minio.py` that imports `minio` imports the library: a
            # module cannot mean itself
            and not _imports_itself(index, h, top)
            # `from alembic import context` beside each service's `alembic/`
            # folder (no `context` in it): the library, not the folder
            and _reached_in(tree, index, h, top, unresolved[top])
            # `services.orders.src.db` imported too: the root would rename it
            and not _spelled_from_above(h, absolute)
        }
        count = len(unresolved[top])
        owners = sorted(homes)
        if len(owners) == 1:
            glob = _service_glob(layout, owners[0])
            where = f"{owners[0]}/"
        else:
            # `services/orders/src/`, `services/payments/src/`: each service runs
            # from its own folder, one root for all of them (`services/*`)
            globs = {_service_glob(layout, h) for h in owners}
            glob = globs.pop() if len(globs) == 1 else ""
            where = f"each of {_listed(f'{h}/' for h in owners)}"
            if not glob and all(h in service_dirs for h in owners):
                # services listed one by one (`accounts`, `auth`), each holding
                # the package: each runs from its own folder, a root for each
                why = f"`{top}` is imported by {_plural(count, 'file')} and lives in {where}"
                for home in owners:
                    found.setdefault(home, set()).add(why)
                continue
            if not glob or glob in homes:
                continue
        why = f"`{top}` is imported by {_plural(count, 'file')} and lives in {where}"
        if any(_spelled_from_above(f, absolute) for f in _covered(layout, glob, service_dirs)):
            # the pattern would rename another service's modules that its code
            # imports: a root for each folder that holds the package instead
            for home in owners:
                found.setdefault(home, set()).add(why)
            continue
        found.setdefault(glob, set()).add(why)
    roots = ["."]
    for glob in sorted(found):
        roots.append(glob)
        for why in sorted(found[glob]):
            out.evidence.append(Evidence("source-roots", glob, why))
    fallback = sorted(s for s in service_dirs if not all(p.isidentifier() for p in s.split("/")))
    if fallback:
        out.notes.append(
            f"{_listed(fallback)}: not importable from the root; arch-lint imports "
            "their code from the service folder itself"
        )
    return roots


# --- shared models ------------------------------------------------------------------------


def _model_candidate(path: str) -> tuple[str, bool]:
    """(folder or module, named like a models package) that a model file belongs to."""
    parts = PurePosixPath(path).parts
    for depth in range(len(parts) - 1, 0, -1):
        if parts[depth - 1] in _MODEL_DIR_NAMES:
            return "/".join(parts[:depth]), True
    if len(parts) == 1:
        return path[:-3], parts[0][:-3] in _MODEL_DIR_NAMES
    return "/".join(parts[:-1]), False


def _inside(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder + "/") or path == f"{folder}.py"


def _infer_shared_models(tree: _Tree, index: ProjectIndex, out: Inference) -> list[str]:
    layout = index.layout
    models: dict[str, list[str]] = {}
    named: dict[str, bool] = {}
    for path in sorted(index.facts):
        if layout.service_of(path) is not None or tree.excluded.match_file(path):
            continue
        if any(p in _NOT_CONTAINERS for p in path.split("/")[:-1]):
            continue  # examples, scripts, tests: not the project's shared models
        facts = index.facts[path]
        found = [
            c.name
            for c in facts.classes
            if "." not in c.name and index.models.is_model(path, c.name)
        ]
        if found:
            cand, is_named = _model_candidate(path)
            models.setdefault(cand, []).extend(found)
            named[cand] = named.get(cand, False) or is_named
    if not models:
        out.evidence.append(
            Evidence("shared-models", "", "no Pydantic models outside the services")
        )
        return []
    importers: dict[str, set[str]] = {c: set() for c in models}
    model_importers: dict[str, set[str]] = {c: set() for c in models}
    for path in sorted(index.facts):
        service = layout.service_of(path)
        if service is None:
            continue
        for stmt in index.facts[path].imports:
            for target in index.modules.targets(path, stmt):
                for cand in models:
                    if _inside(target.defining, cand):
                        importers[cand].add(service.name)
                        if target.name and index.models.is_model(target.defining, target.name):
                            model_importers[cand].add(service.name)
    accepted: list[str] = []
    for cand in sorted(models):
        shared_name = any(p in SHARED_NAMES for p in cand.split("/")[:-1])
        users = importers[cand] | model_importers[cand]
        if named[cand] and (users or shared_name or not layout.services):
            pass
        elif len(model_importers[cand]) < 2:
            continue
        accepted.append(cand)
    kept = [c for c in accepted if not any(c != o and _inside(c, o) for o in accepted)]
    for cand in kept:
        inner = [c for c in models if _inside(c, cand)]
        count = sum(len(models[c]) for c in inner)
        users = set().union(*(importers[c] for c in inner))
        why = f"{_plural(count, 'Pydantic model')}"
        why += (
            f", imported by {_plural(len(users), 'service')}: {_listed(users)}"
            if users
            else ", named like a models package"
        )
        out.evidence.append(Evidence("shared-models", cand, why))
    if not kept:
        out.evidence.append(
            Evidence("shared-models", "", "no package of Pydantic models that services share")
        )
    return kept


# --- public client packages ---------------------------------------------------------------


def _infer_public(tree: _Tree, index: ProjectIndex, out: Inference) -> list[str]:
    layout = index.layout
    by_glob: dict[str, set[str]] = {}
    for path in tree.kept:
        service = layout.service_of(path)
        if service is None:
            continue
        for rel in layout._within(path, service):
            head = rel.split("/", 1)[0]
            if head in _PUBLIC_NAMES and "/" in rel:
                by_glob.setdefault(f"{head}/**", set()).add(f"{service.path}/{head}")
    out_globs: list[str] = []
    for glob in sorted(by_glob):
        folders = by_glob[glob]
        inside = [p for p in tree.kept if any(p.startswith(f + "/") for f in folders)]
        if any(index.data.is_data_layer(p) for p in inside):
            out.notes.append(f"{glob} not made public: it holds data-layer code")
            continue
        users: set[str] = set()
        for path, facts in index.facts.items():
            own = layout.service_of(path)
            for stmt in facts.imports:
                for target in index.modules.targets(path, stmt):
                    there = layout.service_of(target.defining)
                    if there is not None and there != own and target.defining in inside:
                        users.add(own.name if own else path)
        why = f"client package {_listed(folders)}"
        why += (
            f", imported by {_listed(users)}" if users else ", not imported by another service yet"
        )
        out_globs.append(glob)
        out.evidence.append(Evidence("public", glob, why))
    return out_globs


# --- data layer -------------------------------------------------------------------------


def _infer_data_layer(tree: _Tree, index: ProjectIndex, out: Inference) -> list[str]:
    layout = index.layout
    defaults = matcher(DEFAULT_DATA_LAYER)
    service_files: list[tuple[str, Service, str]] = []
    for path in tree.kept:
        service = layout.service_of(path)
        if service is not None:
            service_files.append((path, service, layout._within(path, service)[-1]))
    by_content: dict[str, str] = {}
    for path, _, rel in service_files:
        reason = index.data.data_layer_reason(path)
        if reason is not None and not defaults.match_file(rel):
            by_content[path] = reason
    if not by_content:
        return []
    folder_globs: dict[str, list[str]] = {}
    file_globs: dict[str, list[str]] = {}
    for path, _, rel in service_files:
        if path not in by_content:
            continue
        if "/" in rel:
            folder_globs.setdefault(f"{rel.split('/', 1)[0]}/**", []).append(path)
        else:
            file_globs.setdefault(_name(rel), []).append(path)
    chosen: list[str] = []
    for glob, paths in sorted(folder_globs.items()):
        spec = matcher([glob])
        matched = [(p, svc) for p, svc, rel in service_files if spec.match_file(rel)]
        if any(p not in by_content and _defines_models(index, p) for p, _ in matched):
            out.notes.append(f"data-layer `{glob}` not added: it also holds Pydantic models")
            continue
        chosen.append(glob)
        owners = {svc.name for _, svc in matched}
        out.evidence.append(
            Evidence(
                "data-layer",
                glob,
                f"{_plural(len(paths), 'file')} declare tables or build sessions "
                f"in {_listed(owners)} ({by_content[paths[0]]} in {paths[0]})",
            )
        )
    for name, paths in sorted(file_globs.items()):
        spec = matcher([name])
        hits = [p for p, _, rel in service_files if spec.match_file(rel)]
        if any(p not in by_content for p in hits):
            continue  # the name also holds other code somewhere: content decides alone
        owners = {svc.name for p, svc, _ in service_files if p in paths}
        if len(owners) < 2:
            continue  # one file of one service: no naming convention to state
        chosen.append(name)
        out.evidence.append(
            Evidence(
                "data-layer",
                name,
                f"{_plural(len(paths), 'file')} so named in {_listed(owners)} declare tables "
                f"or build sessions ({by_content[paths[0]]} in {paths[0]})",
            )
        )
    return chosen


def _defines_models(index: ProjectIndex, path: str) -> bool:
    facts = index.facts.get(path)
    return facts is not None and any(index.models.is_model(path, c.name) for c in facts.classes)


# --- parsed files (loggers, URLs) -------------------------------------------------------


def _parsed(tree: _Tree, needles: tuple[bytes, ...]) -> Iterable[tuple[str, ast.Module]]:
    """The kept files whose bytes hold every needle, parsed one at a time."""
    for path in tree.kept:
        try:
            source = read_regular(tree.root / path)
        except OSError:
            continue
        if not all(n in source for n in needles):
            continue
        module, _ = parse(source, path)
        if module is not None:
            yield path, module


def _import_origins(index: ProjectIndex, path: str, facts: FileFacts) -> dict[str, str]:
    """Module-level name -> the dotted name it was imported as (relative ones made absolute)."""
    out: dict[str, str] = {}
    for name, binding in facts.bindings.items():
        if binding.kind == IMPORT:
            out[name] = binding.module
        elif binding.kind == FROM:
            base = index.modules.absolute(path, binding.level, binding.module or None)
            if base:
                out[name] = f"{base}.{binding.name}"
    return out


def _canonical(index: ProjectIndex, dotted_name: str) -> str:
    """The defining module's name for a project function reached through re-exports."""
    module, _, name = dotted_name.rpartition(".")
    if not module:
        return dotted_name
    where = index.modules.file_of(module)
    if where is None:
        return dotted_name
    found = index.modules.resolve_name(where, name)
    if found is None or found[1] is None:
        return dotted_name
    there = index.modules.module_of(found[0])
    return f"{there}.{found[1]}" if there else dotted_name


_STRUCTLOG_MAKERS = frozenset(
    {"structlog.get_logger", "structlog.getLogger", "structlog.wrap_logger"}
)


def _infer_logger_factories(tree: _Tree, index: ProjectIndex, out: Inference) -> dict[str, Any]:
    defaults = LoggingConfig().logger_factories
    known: dict[str, str] = {name: _flavour(name) for name in defaults} | {
        name: "structlog" for name in _STRUCTLOG_MAKERS
    }
    functions: dict[str, tuple[str, ast.FunctionDef | ast.AsyncFunctionDef, dict[str, str]]] = {}
    for path, module in _parsed(tree, (b"return",)):
        own = index.modules.module_of(path)
        facts = index.facts.get(path)
        if own is None or facts is None:
            continue
        origins = _import_origins(index, path, facts)
        for stmt in module.body:
            if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
                origins.setdefault(stmt.name, f"{own}.{stmt.name}")
        for stmt in module.body:
            if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
                functions[f"{own}.{stmt.name}"] = (path, stmt, origins)
    found: dict[str, tuple[str, str]] = {}
    changed = True
    while changed:
        changed = False
        for name in sorted(functions):
            if name in known:
                continue
            path, func, origins = functions[name]
            made = _returns_logger(func, origins, known, index)
            if made is not None:
                known[name] = known[made]
                found[name] = (path, made)
                changed = True
    if not found:
        return {}
    spellings: dict[str, set[str]] = {name: {name} for name in found}
    for facts in index.facts.values():
        for binding in facts.bindings.values():
            if binding.kind == FROM and binding.level == 0:
                spelled = f"{binding.module}.{binding.name}"
                canonical = _canonical(index, spelled)
                if canonical in spellings:
                    spellings[canonical].add(spelled)
    table: dict[str, Any] = {}
    stdlib: list[str] = []
    structlog_names: list[str] = []
    for name in sorted(found):
        path, made = found[name]
        for spelled in sorted(spellings[name]):
            why = f"`{name}` in {path} returns a logger made by `{made}`"
            if spelled != name:
                why = f"re-export of `{name}` ({path}), which returns a logger made by `{made}`"
            if known[name] == "structlog":
                structlog_names.append(spelled)
                out.evidence.append(Evidence("logging.structlog-factories", spelled, why))
            else:
                stdlib.append(spelled)
                out.evidence.append(Evidence("logging.logger-factories", spelled, why))
    if stdlib:
        table["logger-factories"] = [*defaults, *stdlib]
    if structlog_names:
        table["structlog-factories"] = structlog_names
    return table


def _flavour(name: str) -> str:
    return "structlog" if name.startswith("structlog") else "stdlib"


def _returns_logger(
    func: ast.FunctionDef | ast.AsyncFunctionDef,
    origins: dict[str, str],
    known: dict[str, str],
    index: ProjectIndex,
) -> str | None:
    """The known factory whose logger `func` returns, or None."""
    local: dict[str, ast.expr] = {}
    returns: list[ast.expr] = []
    stack: list[ast.AST] = list(func.body)
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            continue
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target = node.targets[0]
            if isinstance(target, ast.Name):
                local[target.id] = node.value
        elif isinstance(node, ast.Return) and node.value is not None:
            returns.append(node.value)
        stack.extend(ast.iter_child_nodes(node))

    def made_by(expr: ast.expr, depth: int = 0) -> str | None:
        if depth > 8:
            return None
        if isinstance(expr, ast.Name) and expr.id in local:
            return made_by(local[expr.id], depth + 1)
        if not isinstance(expr, ast.Call):
            return None
        written = dotted(expr.func)
        if written is None:
            if isinstance(expr.func, ast.Attribute) and expr.func.attr in {"bind", "new"}:
                return made_by(expr.func.value, depth + 1)
            return None
        head, _, rest = written.partition(".")
        origin = origins.get(head)
        full = (f"{origin}.{rest}" if rest else origin) if origin else written
        for name in (full, _canonical(index, full)):
            if name in known:
                return name
        if isinstance(expr.func, ast.Attribute) and expr.func.attr in {"bind", "new"}:
            return made_by(expr.func.value, depth + 1)
        if written.rsplit(".", 1)[-1] == "LoggerAdapter" and expr.args:
            return made_by(expr.args[0], depth + 1)
        return None

    for value in returns:
        made = made_by(value)
        if made is not None:
            return made
    return None


# --- service URLs -------------------------------------------------------------------------


def _infer_service_urls(tree: _Tree, index: ProjectIndex, out: Inference) -> dict[str, str]:
    """The names the HTTP map's service URLs infer (`http_map.ServiceUrls`, the
    same that `infer-service-urls` uses in a check), as `service-urls` entries."""
    urls = ServiceUrls(index.layout, index.facts)
    for entry in urls.host_evidence:
        out.evidence.append(Evidence("models.service-urls", "", entry.why))
    found: dict[str, dict[str, list[str]]] = {}
    for entries in urls.names.values():
        for entry in entries:
            found.setdefault(entry.key, {}).setdefault(entry.service, []).append(entry.why)
    table: dict[str, str] = {}
    for key in sorted(found):
        services = found[key]
        if len(services) > 1:
            out.notes.append(
                f"service URL `{key}` names several services ({_listed(services)}): left out"
            )
            continue
        owner, wheres = next(iter(services.items()))
        table[key] = owner
        out.evidence.append(Evidence("models.service-urls", key, sorted(wheres)[0]))
    return table
