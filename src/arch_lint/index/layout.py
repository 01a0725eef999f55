"""The repository's layout: which files there are, their modules and services.

A file belongs to at most one service: the top-most directory above it that a
`services` glob matches (the folder is the identity, so `scripts/orders/` is
not the `orders` service). Its module name comes from the deepest source root
that holds it; a file that is not importable through any root (a service
folder named `order-service`, say) falls back to its service folder as a root.
"""

from __future__ import annotations

import os
import re
import stat
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from arch_lint.config.load import git_root
from arch_lint.config.model import TESTS_AND_MIGRATIONS
from arch_lint.config.resolve import Settings, matcher
from arch_lint.source import file_kind
from arch_lint.vcs import git_ls_files

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


SQL_SUFFIX = ".sql"
_FLYWAY = re.compile(r"V\d+(?:[._]\d+)*__.+\.sql")
"""A Flyway versioned migration's name: `V1__init.sql`, `V2_1__add_audit.sql`."""


_MIGRATION_DIR = re.compile(r"migrations|^alembic$")


def in_migrations(path: str) -> bool:
    """Whether a relative posix path lies in a migration tool's folder: under an
    `alembic/` folder or a folder whose name contains `migrations` (its scripts
    and `env.py`, which run on a loop of their own where they are async)."""
    return any(_MIGRATION_DIR.search(folder) for folder in path.split("/")[:-1])


def is_sql_migration(path: str) -> bool:
    """Whether a relative posix path is a plain-SQL migration, read for the tables
    it creates (ARC103): a `.sql` file in a folder named `migrations` (at any
    depth), or one named as Flyway names versioned migrations, anywhere."""
    if not path.endswith(SQL_SUFFIX):
        return False
    folder, _, name = path.rpartition("/")
    return _FLYWAY.fullmatch(name) is not None or "migrations" in folder.split("/")


_COMPOSE = re.compile(r"(?:docker-)?compose(?:[.-][\w.-]*)?\.ya?ml")


def is_compose_file(path: str) -> bool:
    """Whether a relative posix path is a docker-compose file, read for the
    services it runs (the HTTP map's URLs): `docker-compose.yml`,
    `docker-compose.prod.yaml`, `compose.yaml`, … at any depth."""
    return _COMPOSE.fullmatch(path.rsplit("/", 1)[-1]) is not None


def _data_file(path: str) -> bool:
    """A file read for facts though it is not Python: a plain-SQL migration or a
    docker-compose file."""
    return is_sql_migration(path) or is_compose_file(path)


def split_listed(listed: list[str]) -> tuple[list[str], list[str]]:
    """(plain-SQL migrations, compose files) of what `scan_files` lists beside
    the `.py` files."""
    sql = [p for p in listed if p.endswith(SQL_SUFFIX)]
    return sql, [p for p in listed if not p.endswith(SQL_SUFFIX)]


def list_python_files(root: Path, respect_gitignore: bool) -> list[str]:
    """Relative posix paths of the `.py` files of the project (see `scan_python_files`)."""
    return scan_python_files(root, respect_gitignore)[0]


def scan_python_files(root: Path, respect_gitignore: bool) -> tuple[list[str], list[str]]:
    """(files, notices): the relative posix paths of the project's `.py` files,
    and one line for every file or folder left out for a reason the user should
    hear of (see `scan_files`)."""
    files, _, notices = scan_files(root, respect_gitignore, sql=False)
    return files, notices


def scan_files(
    root: Path, respect_gitignore: bool, *, sql: bool = True
) -> tuple[list[str], list[str], list[str]]:
    """(python, data files, notices): the relative posix paths of the project's
    `.py` files and (with `sql`) of its plain-SQL migrations (`is_sql_migration`)
    and docker-compose files (`is_compose_file`; `split_listed` tells them apart),
    and one line for every file or folder left out for a reason the user should
    hear of. One listing serves both, and the same rules: git's ignores, the
    skipped folders.

    Regular files only (after following symlinks): a FIFO would block the
    read, a link to `/dev/zero` would fill the memory. Files whose names are
    not valid UTF-8 are left out without a word: no import can name them.
    """
    notices: list[str] = []
    in_git = respect_gitignore and git_root(root) is not None
    listed = git_ls_files(root) if in_git else None
    known: list[str] = []
    if in_git and listed is None:
        notices.append(
            "git could not list the project's files (not installed, or it failed or timed "
            "out); every file is checked, .gitignore is not applied"
        )
    if listed is not None:
        unsure = [
            p
            for p in listed
            if (p.endswith(".py") or (sql and _data_file(p)))
            and not _skipped(PurePosixPath(p).parts)
        ]
    else:
        known, unsure = _walk(root, notices, sql)
    files = [p for p in known if _valid_name(p)]
    for path in unsure:
        if not _valid_name(path):
            continue
        why = _not_regular(os.path.join(root, path))
        if why is None:
            files.append(path)
        elif why:
            notices.append(f"{path}: skipped: {why}")
    python = sorted(p for p in files if p.endswith(".py"))
    migrations = sorted(p for p in files if not p.endswith(".py"))
    return python, migrations, sorted(notices)


def _walk(root: Path, notices: list[str], sql: bool) -> tuple[list[str], list[str]]:
    """(regular, unsure): the `.py` files (and, with `sql`, the plain-SQL
    migrations) below `root` outside skipped folders, those the directory entry
    shows to be regular files (no `stat` needed) and the others (symlinks,
    FIFOs, ...). Symlinked folders are not entered: they may lead out of the
    project."""
    regular: list[str] = []
    unsure: list[str] = []
    folders = [""]
    while folders:
        folder = folders.pop()
        try:
            with os.scandir(os.path.join(root, folder)) as listing:
                entries = list(listing)
        except OSError as exc:
            notices.append(
                f"{folder or '.'}: skipped: cannot read the directory ({exc.strerror or exc})"
            )
            continue
        for entry in entries:
            rel = f"{folder}/{entry.name}" if folder else entry.name
            try:
                is_dir = entry.is_dir(follow_symlinks=False)
                is_file = not is_dir and entry.is_file(follow_symlinks=False)
            except OSError:
                is_dir = is_file = False  # the listing below says why
            if is_dir:
                if (
                    entry.name not in SKIP_DIRS
                    and not entry.name.endswith(".egg-info")
                    and not os.path.isfile(os.path.join(entry.path, "pyvenv.cfg"))
                ):
                    folders.append(rel)
            elif entry.name.endswith(".py") or (sql and _data_file(rel)):
                (regular if is_file else unsure).append(rel)
    return regular, unsure


def _not_regular(path: str) -> str | None:
    """Why the file at `path` is not read: None for a regular file (or a link
    to one), "" for one that is gone (deleted but still in git's index, or
    removed since it was listed: nothing to say), else the reason."""
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return "broken symbolic link" if os.path.islink(path) else ""
    except OSError as exc:
        return f"cannot read ({exc.strerror or exc})"
    return None if stat.S_ISREG(mode) else f"not a regular file ({file_kind(mode)})"


def _is_identifier_path(parts: tuple[str, ...]) -> bool:
    return all(p.isidentifier() for p in parts)


@dataclass
class Layout:
    """Files, modules and services of one project under one configuration."""

    settings: Settings
    files: list[str]
    """The `.py` files: the ones checked, and the only ones services, modules and
    ARC000 are judged by."""
    _placements: dict[str, tuple[str | None, str | None]] = field(default_factory=dict)
    services: dict[str, Service] = field(default_factory=dict)
    """Service folder (relative path) -> service."""
    problems: list[Problem] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    """One line for each file or folder the listing left out (a FIFO, a broken
    symlink, an unreadable folder), for the user to see."""
    migrations: list[str] = field(default_factory=list)
    """The plain-SQL migrations (`is_sql_migration`): read for the tables they
    create, never checked, and no part of where services are."""
    compose: list[str] = field(default_factory=list)
    """The docker-compose files (`is_compose_file`): read for the services they
    run (the HTTP map's URLs), never checked."""

    @classmethod
    def scan(
        cls,
        settings: Settings,
        files: list[str] | None = None,
        migrations: list[str] | None = None,
    ) -> Layout:
        """The layout of the listed files (`scan_files`), or of `files` (and the
        `migrations`, none unless given)."""
        notices: list[str] = []
        compose: list[str] = []
        if files is None:
            files, listed, notices = scan_files(settings.root, settings.model.respect_gitignore)
            sql, compose = split_listed(listed)
            migrations = sql if migrations is None else migrations
        else:
            migrations, compose = split_listed(migrations or [])
        layout = cls(
            settings=settings,
            files=files,
            notices=notices,
            migrations=migrations or [],
            compose=compose,
        )
        layout._find_services()
        layout._check_keys()
        return layout

    @property
    def indexed_files(self) -> list[str]:
        """Every file the project index holds facts of, in the order it reads
        them: the plain-SQL migrations (few and quick to read: while the index
        is built, what they say about the tables is known before any `.py` file
        is checked), the docker-compose files, then the `.py` files."""
        if not self.migrations and not self.compose:
            return self.files
        return [*self.migrations, *self.compose, *self.files]

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
    def exclude_globs(self) -> list[str]:
        """`exclude` and `extend-exclude`, in that order."""
        cfg = self.settings.model
        return [*cfg.exclude, *cfg.extend_exclude]

    @cached_property
    def _exclude_spec(self) -> Matcher:
        return matcher(self.exclude_globs)

    @cached_property
    def source_roots(self) -> list[str]:
        """Relative posix source roots, deepest first ("" is the project root)."""
        roots: set[str] = set()
        for entry in map(_root_entry, self.settings.model.source_roots):
            if any(ch in entry for ch in "*?["):
                for match in self.settings.root.glob(entry):
                    if os.path.isdir(match):  # never PermissionError, unlike Path.is_dir
                        roots.add(match.relative_to(self.settings.root).as_posix())
            else:
                roots.add(entry)
        # depth: the folders a root is below the project root ("" is none, "a" one)
        return sorted(roots, key=lambda r: (-(r.count("/") + 1) if r else 0, r))

    @cached_property
    def shared_dirs(self) -> list[str]:
        """Relative posix folders (or files) that hold the shared models."""
        out = []
        root_dir = self.settings.root
        for entry in self.settings.model.shared_models:
            entry = entry.strip("/")
            if "/" not in entry and "." in entry and not os.path.exists(root_dir / entry):
                # a dotted package name: look it up through the source roots
                rel = entry.replace(".", "/")
                for root in self.source_roots:
                    cand = f"{root}/{rel}" if root else rel
                    if os.path.exists(root_dir / cand) or os.path.exists(root_dir / f"{cand}.py"):
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

    @cached_property
    def _tests_spec(self) -> Matcher:
        return matcher(TESTS_AND_MIGRATIONS)

    def declarations_only(self, path: str) -> bool:
        """Whether the project reads only what the file declares
        (`FileFacts.declarations`): a test or a migration's version (the
        default `exclude`'s own globs) that is excluded from checking. Other
        excluded code (`extend-exclude = ["libs/**"]`) is read in full: the
        services run it."""
        return self.is_excluded(path) and self._tests_spec.match_file(path)

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
        self._check_services(dirs, "" if "services" in explicit else " (the default)")
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
            prefix = _root_entry(entry)
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

    def _check_services(self, dirs: set[str], how: str) -> None:
        """`services` is one gitignore pattern list (SPEC §3): a negation such
        as `!services/common` only takes folders out of the list, so it is never
        judged on its own. A positive glob that matches no directory at all is
        a typo (`service/*`) and is named by its index; a list whose globs each
        match something but whose negations leave no service is named whole."""
        patterns = self.settings.model.services
        fix = "set `services = []` if the repository has no services"
        positive = [(i, p) for i, p in enumerate(patterns) if not _is_negation(p)]
        dead = [
            (i, p)
            for i, p in positive
            if not any(matcher([p.rstrip("/")]).match_dir(d) for d in dirs)
        ]
        for i, pattern in dead:
            self.problems.append(
                Problem(f"services[{i}]", f"`{pattern}`{how} matches no directory; {fix}")
            )
        if dead or len(positive) == len(patterns):
            return  # said above, or no negation that could change the list's verdict
        if not any(self._services_spec.match_dir(d) for d in dirs):
            shown = ", ".join(f"`{p}`" for p in patterns)
            self.problems.append(
                Problem("services", f"the pattern list {shown}{how} leaves no directory; {fix}")
            )

    def _all_dirs(self) -> set[str]:
        dirs: set[str] = set()
        for path in self.files:
            parts = PurePosixPath(path).parts[:-1]
            for depth in range(1, len(parts) + 1):
                dirs.add("/".join(parts[:depth]))
        return dirs


def _is_negation(pattern: str) -> bool:
    """A gitignore negation (`!services/common`; `\\!x` is a literal `!x`)."""
    return pattern.startswith("!")


def _module_name(rel: str) -> str | None:
    parts = PurePosixPath(rel).parts
    if not parts:
        return None
    stem = parts[-1][:-3] if parts[-1].endswith(".py") else parts[-1]
    names = (*parts[:-1], stem) if stem != "__init__" else parts[:-1]
    if not names or not _is_identifier_path(tuple(names)):
        return None
    return ".".join(names)


def _root_entry(entry: str) -> str:
    """A `source-roots` entry as a relative posix path ("" for the project root):
    `./backend/` is `backend`, `.` and `./` are ""."""
    path = PurePosixPath(entry.strip("/") or ".").as_posix()
    return "" if path == "." else path
