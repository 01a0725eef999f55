"""Build the project index: list, hash, parse what changed, extract facts.

A warm run reads as little as it can: a file whose size and modification time
match its cache entry (and was not modified within a second of the cache being
written: git's "racy" rule) keeps its recorded content hash without being read;
facts are decoded from the cache only when a rule asks for them.

A cold run streams: each file is read, hashed, parsed and its facts extracted
before the next is read, and neither its bytes nor its tree are kept once
analysed (SPEC §6). While its tree is at hand, the caller may check it
(`visit`): against the facts read so far, which answer what they can and raise
`partial.Incomplete` for a file not read yet. The files that answer the
whole-project questions are read first; one of them that waited for the others
is visited again once they are read, and a file that waited for a later file
once every file is read (its tree kept meanwhile, up to `WAITING_BYTES` of
source). The check parses a file again only for a tree rule beyond that budget
(on the benchmark corpus, none), and the peak memory of a cold check stays near
that of the facts.

A test or a migration's version excluded from checking gives only what it
declares (`FileFacts.declarations`, `Layout.declarations_only`), and one whose
bytes show it declares nothing (no class, no table: `declares_nothing`) is not
parsed at all.
"""

from __future__ import annotations

import ast
import gc
import hashlib
import json
import os
import time
import warnings
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from arch_lint.config.resolve import Settings
from arch_lint.index.cache import Cache
from arch_lint.index.correlation import INSTALLS, PIPELINES, cannot_hold
from arch_lint.index.facts import ASSOCIATIONS, ORM, TABLES, FileFacts, extract
from arch_lint.index.facts import cannot_hold as cannot_hold_data
from arch_lint.index.http import PATHS, ROUTES, URLS
from arch_lint.index.http import cannot_hold as cannot_hold_http
from arch_lint.index.layout import SQL_SUFFIX, Layout, is_compose_file
from arch_lint.index.partial import PartialFacts
from arch_lint.index.project import ProjectIndex
from arch_lint.index.semantic import SemanticModel
from arch_lint.source import char_column, decode, read_regular, source_lines, spelled_as_is

RACY_NS = 1_000_000_000


@dataclass(frozen=True, slots=True)
class SyntaxProblem:
    line: int
    col: int
    """1-based character column."""
    message: str


class ChangedFile(OSError):
    """A file whose content is no longer the one the index was built from."""


class SourceFile:
    """One file of the project: its content hash. Neither its bytes nor its
    syntax tree are kept (SPEC §6: the index keeps compact facts; a tree lives
    only while its file is being checked): `source` reads the file again."""

    __slots__ = ("_override", "_stamp", "digest", "path", "root")

    def __init__(
        self,
        root: Path,
        path: str,
        digest: str,
        override: bytes | None = None,
        stamp: list[int] | None = None,
    ) -> None:
        self.root = root
        self.path = path
        self.digest = digest
        self._override = override
        """The content that replaces the file's (an editor's buffer, the caller's)."""
        self._stamp = stamp
        """The file's stamp (`file_stamp`) taken before the bytes of `digest`
        were read, when its times are older than the build by `RACY_NS`:
        a file that still has it is unchanged (git's "racy" rule, as the cache
        trusts a stamp), and its bytes need no hashing. As for git, an edit
        that keeps the size, on a file system whose times are coarser than a
        second (FAT: two), can go unseen within that time."""

    @property
    def source(self) -> bytes:
        """The file's bytes, read again; `ChangedFile` when they are not the ones
        the index was built from (the file was edited meanwhile)."""
        if self._override is not None:
            return self._override
        full = os.path.join(self.root, self.path)
        source = read_regular(full)
        # stat after the read: an edit before or during it moves the stamp
        if self._stamp is not None and file_stamp(os.stat(full)) == self._stamp:
            return source
        if content_hash(source) != self.digest:
            raise ChangedFile("changed while being checked")
        return source

    @property
    def tree(self) -> None:
        """No tree outlives the build: the check parses the file again, and only
        where a tree rule is relevant to it."""
        return None


def _prefix(root: Path) -> str:
    """`root` as a string to append a relative path to: the build stats and
    opens every file more than once, and a `Path` made for each costs more
    than the system call it is for."""
    return os.path.join(root, "")


def content_hash(source: bytes) -> str:
    return hashlib.blake2b(source, digest_size=16).hexdigest()


def parse(source: bytes, filename: str) -> tuple[ast.Module | None, SyntaxProblem | None]:
    """Parse with the running interpreter's grammar; a failure is data, not an exception.

    The parser's warnings (an invalid escape sequence, say) are the compiler's
    business, not a lint result: they are silenced rather than printed into the
    middle of the report."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return ast.parse(source, filename=filename), None
    except SyntaxError as exc:
        line = exc.lineno or 1
        return None, SyntaxProblem(line, _char_offset(source, line, exc.offset or 1), exc.msg)
    except (ValueError, UnicodeDecodeError) as exc:  # NUL bytes, undecodable source
        return None, SyntaxProblem(1, 1, str(exc).splitlines()[0])
    except (RecursionError, MemoryError):  # `x = ------…1`, thousands of brackets
        return None, SyntaxProblem(1, 1, "too deeply nested to parse")


def _char_offset(source: bytes, line: int, byte_offset: int) -> int:
    """The parser's 1-based offset counts UTF-8 bytes; findings count characters."""
    lines = source_lines(decode(source))
    if not 1 <= line <= len(lines):
        return byte_offset
    return char_column(lines[line - 1], max(byte_offset - 1, 0)) + 1


class FactsTable(Mapping[str, FileFacts]):
    """Facts by path, decoded from their cached JSON on first use."""

    def __init__(self, root: Path, envelope: str, declarative: Callable[[str], bool]) -> None:
        self._root = root
        self._envelope = envelope
        self._declarative = declarative
        self._raw: dict[str, Any] = {}
        self._decoded: dict[str, FileFacts] = {}

    def put(self, path: str, facts: FileFacts) -> None:
        self._decoded[path] = facts
        self._raw[path] = None

    def put_raw(self, path: str, raw: Any) -> None:
        self._raw[path] = raw
        self._decoded.pop(path, None)

    def __getitem__(self, path: str) -> FileFacts:
        facts = self._decoded.get(path)
        if facts is None:
            raw = self._raw[path]  # KeyError for unknown paths, as a Mapping should
            try:
                facts = FileFacts.from_json(json.loads(raw)) if raw is not None else FileFacts()
            except (ValueError, TypeError, KeyError, IndexError, AttributeError):
                facts = self._reanalyse(path)  # a damaged cache entry
            self._decoded[path] = facts
        return facts

    def _reanalyse(self, path: str) -> FileFacts:
        try:
            source = read_regular(self._root / path)
        except OSError:
            return FileFacts()
        declarative = self._declarative(path)
        result = _analysed(path, source, self._envelope, cached=False, declarative=declarative)
        return result[0][1] or FileFacts()

    def __iter__(self) -> Iterator[str]:
        return iter(self._raw)

    def __len__(self) -> int:
        return len(self._raw)

    def __contains__(self, path: object) -> bool:
        return path in self._raw


@dataclass
class BuiltIndex:
    index: ProjectIndex
    cache: Cache
    sources: dict[str, SourceFile]
    errors: dict[str, SyntaxProblem]
    notices: list[str] = field(default_factory=list)
    """One line each for what was left out and why (a file that is not a
    regular file, a fact extraction that failed), for the user to read."""
    visited_whole: bool = True
    """Whether the answers `build(visit=...)` gave while building hold (see `build`)."""


def file_stamp(info: os.stat_result) -> list[int]:
    """What says a file is unchanged without reading it: as git's index does,
    the modification and change times, the size and the inode (an edit that
    keeps size and mtime still moves the ctime)."""
    return [info.st_mtime_ns, info.st_size, info.st_ctime_ns, info.st_ino]


def _extract(
    tree: ast.Module,
    source: bytes,
    envelope: str,
    path: str,
    lacks: frozenset[str] | None = None,
    declarative: bool = False,
) -> tuple[FileFacts, str]:
    """The file's facts, and a notice ("" when all went well): a defect of
    arch-lint's on one file costs only that file's facts, never the run.
    `declarative`: only its declarations are read (`FileFacts.declarations`)."""
    try:
        return extract(tree, source, envelope, lacks, declarative), ""
    except RecursionError:
        return FileFacts(), f"{path}: too deeply nested to read its facts"
    except Exception as exc:
        why = f"{type(exc).__name__}: {exc}"
        return FileFacts(), f"{path}: internal error reading its facts ({why}); please report it"


def _extract_sql(source: bytes, path: str) -> tuple[FileFacts, str]:
    """A plain-SQL migration's facts (the tables it creates), and a notice as
    `_extract` gives one. Never parsed as Python, and never checked."""
    from arch_lint.index.sql import sql_facts

    try:
        return sql_facts(source), ""
    except Exception as exc:
        why = f"{type(exc).__name__}: {exc}"
        return FileFacts(), f"{path}: internal error reading its tables ({why}); please report it"


def _extract_compose(source: bytes, path: str) -> tuple[FileFacts, str]:
    """A docker-compose file's facts (the services it runs), and a notice as
    `_extract` gives one. Never parsed as Python, and never checked."""
    from arch_lint.index.compose import compose_facts

    try:
        return FileFacts(http=compose_facts(source, path) or None), ""
    except Exception as exc:
        why = f"{type(exc).__name__}: {exc}"
        return FileFacts(), f"{path}: internal error reading its services ({why}); please report it"


Result = tuple[str, FileFacts | None, str | None, Any, str, str]
"""(path, facts (None from a worker process), their JSON text, syntax error,
interface hash, notice)"""


def _analyse(
    path: str, source: bytes, envelope: str, cached: bool = True, declarative: bool = False
) -> Result:
    """Parse one file and extract its facts; the tree is gone when this returns."""
    return _analysed(path, source, envelope, cached=cached, declarative=declarative)[0]


def _analysed(
    path: str,
    source: bytes,
    envelope: str,
    lacks: frozenset[str] | None = None,
    cached: bool = True,
    declarative: bool = False,
) -> tuple[Result, ast.Module | None]:
    """`_analyse`, and the tree (None where the file does not parse or its
    facts could not be read, for a plain-SQL migration, which has none, and
    for a test or migration that declares nothing, which is not parsed: see
    `declares_nothing`); the facts' text only where they are `cached`.
    `declarative`: only the file's declarations are read
    (`Layout.declarations_only`)."""
    if path.endswith(SQL_SUFFIX) or is_compose_file(path):
        read = _extract_sql if path.endswith(SQL_SUFFIX) else _extract_compose
        facts, notice = read(source, path)
        text, iface = facts.encoded() if cached else (None, facts.interface_hash())
        return (path, facts, text, None, iface, notice), None
    if declarative:
        if lacks is None:
            lacks = cannot_hold_data(source)
        if declares_nothing(source, lacks):
            return (
                path,
                FileFacts(),
                _no_facts_text() if cached else None,
                None,
                _no_facts_hash(),
                "",
            ), None
        lacks = lacks | _ACTS
    tree, error = parse(source, path)
    if tree is None:
        assert error is not None
        err = [error.line, error.col, error.message]
        return (path, None, None, err, _no_facts_hash(), ""), None
    facts, notice = _extract(tree, source, envelope, path, lacks, declarative)
    # the cache's text and the hash in one pass
    text, iface = facts.encoded() if cached else (None, facts.interface_hash())
    return (path, facts, text, None, iface, notice), None if notice else tree


@dataclass
class Analysis:
    """One file read afresh, outside a build: an editor's buffer, or a file
    that changed on disk while the index was kept (`arch-lint server`)."""

    digest: str
    facts: FileFacts
    error: SyntaxProblem | None
    interface_hash: str
    notice: str
    """Why its facts could not be read ("" when they were)."""
    tree: ast.Module | None
    """Its syntax tree (None where it does not parse, its facts could not be
    read, or it is a plain-SQL migration)."""


def analyse(path: str, source: bytes, envelope: str, declarative: bool = False) -> Analysis:
    """Parse one file and read its facts, as the build does (`declarative`:
    only its declarations, see `Layout.declarations_only`)."""
    (_, facts, _, err, iface, notice), tree = _analysed(
        path, source, envelope, cached=False, declarative=declarative
    )
    return Analysis(
        content_hash(source),
        facts or FileFacts(),
        SyntaxProblem(*err) if err is not None else None,
        iface,
        notice,
        tree,
    )


def record_analysis(cache: Cache, path: str, analysis: Analysis, stamp: list[int]) -> None:
    """Put a file analysed outside a build in the cache, as the build records
    one (nothing when its facts could not be read: the next run tries again).
    `stamp`: the file's, taken before the bytes analysed were read (see
    `_Builder.record`)."""
    if analysis.notice or not cache.enabled:
        return
    error = analysis.error
    err = None if error is None else [error.line, error.col, error.message]
    text = None if error is not None else analysis.facts.to_text()
    cache.files[path] = [analysis.digest, text, err, stamp, analysis.interface_hash]
    cache.dirty = True


Visitor = Callable[[str, bytes, ast.Module, FileFacts, PartialFacts], bool]
"""Called with each file parsed in this process while its tree is at hand:
path, bytes, tree, facts, and the facts of the project as far as they are
read (see `partial`). Returns whether it waited for a file not read yet: a
file read ahead of the rest (see `_read_ahead`) is then visited again once
all those are read."""


def declares_nothing(source: bytes, lacks: frozenset[str]) -> bool:
    """Whether a test or migration (`Layout.declarations_only`) surely declares nothing the
    project reads of it (`FileFacts.declarations`): no class, no table it
    creates, no JSON column it tracks (`lacks`: what `facts.cannot_hold` said
    of its bytes). Such a file is not parsed, and has no facts: the names it
    binds or imports are not followed either (a name imported through such a
    test module resolves to nothing). A source whose names may be spelled
    otherwise than in its bytes (non-ASCII, a coding declaration) is parsed."""
    return (
        TABLES in lacks
        and ASSOCIATIONS in lacks
        and b"class" not in source
        and spelled_as_is(source)
    )


def _analyse_in_worker(args: tuple[str, bytes, str, bool]) -> Result:
    """`_analyse` in a worker process: the facts come back as their JSON text."""
    path, source, envelope, declarative = args
    path, _, text, err, iface, notice = _analyse(path, source, envelope, True, declarative)
    return path, None, text, err, iface, notice


@lru_cache(maxsize=1)
def _no_facts_hash() -> str:
    return FileFacts().interface_hash()


@lru_cache(maxsize=1)
def _no_facts_text() -> str:
    return FileFacts().encoded()[0]


def build(
    settings: Settings,
    *,
    jobs: int = 1,
    use_cache: bool = True,
    trees_checked: bool = False,
    overrides: dict[str, bytes] | None = None,
    layout: Layout | None = None,
    visit: Visitor | None = None,
    wanted: Callable[[str], bool] | None = None,
    models: dict[str, SemanticModel] | None = None,
) -> BuiltIndex:
    """The project index for `settings`, reusing cached facts of unchanged files.

    One file at a time: read, hash, parse, extract its facts, and let go of
    its bytes and tree before the next (SPEC §6: the index keeps compact
    facts, a tree lives only while its file is being checked). `overrides`
    replaces files' content (an editor's unsaved buffer).

    `trees_checked`: the caller will parse the files again to check them,
    which keeps `jobs=0` in one process.

    `visit`: see `Visitor` (only when the files are parsed in this process);
    `wanted`: the files it checks (None: all), the only ones whose trees are
    kept for it; `models`: where the visitor finds, under a file's path while
    the file is visited again, the semantic model of its tree, kept with the
    tree (it would cost as much to build again as it did the first time).
    `BuiltIndex.visited_whole` says whether its partial answers hold: not when
    a file expected to have facts could not be read after all.
    """
    layout = layout or Layout.scan(settings)
    declarative = layout.declarations_only
    root = settings.root
    envelope = settings.model.models.envelope_class
    # a test's facts are its declarations only where it is excluded: they hold for this exclusion
    cache = Cache(root, enabled=use_cache, facts_options=[envelope, layout.exclude_globs])
    overrides = overrides or {}
    built = _Builder(root, envelope, cache, overrides, list(layout.notices), declarative)
    racy_after = cache.written_ns - RACY_NS
    pending: list[tuple[str, list[int]]] = []
    prefix = _prefix(root)
    for path in layout.indexed_files:
        if path in overrides:
            pending.append((path, list(OVERRIDDEN)))
            continue
        try:
            info = os.stat(prefix + path)
        except OSError:
            continue  # vanished between listing and reading
        stamp = file_stamp(info)
        entry = cache.files.get(path)
        if entry is not None and entry[3] == stamp and info.st_mtime_ns < racy_after:
            built.reuse(path, entry)
            built.sources[path] = SourceFile(root, path, entry[0])
        else:
            pending.append((path, stamp))
    if jobs <= 0:
        # auto: worker processes for a large project, unless the caller checks
        # trees: it parses most files again then, and the workers' facts come
        # back as text to decode here (2,000 files on two busy CPUs: 12.2 s cold
        # with two workers, 11.1 s in one process)
        big = len(pending) >= PARALLEL_FROM
        jobs = min(os.cpu_count() or 1, 8) if big and not trees_checked else 1
    gc_was_enabled = gc.isenabled()
    gc.disable()  # ASTs are acyclic; collecting while building them only costs time
    try:
        if jobs > 1 and len(pending) > 50:
            todo = []
            for path, stamp in pending:
                source = built.read(path, stamp)
                if source is not None:
                    todo.append((path, source, envelope, declarative(path)))
            for result in _parallel(todo, jobs):
                built.record(*result)
        elif visit is None:
            for path, stamp in pending:
                source = built.read(path, stamp)
                if source is not None:
                    built.record(
                        *_analyse(path, source, envelope, cache.enabled, declarative(path))
                    )
        else:
            expected = frozenset([*built.facts, *(path for path, _ in pending)])
            pending, lacking, ahead, leading = _read_ahead(root, pending, overrides, declarative)
            partial = PartialFacts(built.facts, expected, lacking)
            # The files read ahead of the rest answer the whole-project questions
            # (ORM classes, installs): one of them is first visited once they are
            # all read (visited before, its rules would mostly wait for the
            # others, and redo their work); a file whose rules wait for a later
            # file is visited again once all are read. Its tree is kept until
            # then (up to `WAITING_BYTES` of source: a leading file past that is
            # visited at once, another waiting one is parsed again by the check).
            waiting = _Waiting(visit, built, partial, {} if models is None else models)
            for i, (path, stamp) in enumerate(pending):
                if i == leading:
                    waiting.again()
                source = built.read(path, stamp, ahead.pop(path, None))
                if source is None:
                    if path not in built.facts:  # unreadable: what was visited may be wrong
                        built.visited_whole = False
                    continue
                result, tree = _analysed(
                    path, source, envelope, lacking.get(path), cache.enabled, declarative(path)
                )
                built.record(*result)
                if tree is not None and built.visited_whole:
                    if (
                        i < leading
                        and (wanted is None or wanted(path))
                        and waiting.keep(path, source, tree, leads=True)
                    ):
                        pass  # first visited once every leading file is read
                    elif visit(path, source, tree, built.facts[path], partial):
                        waiting.keep(path, source, tree, leads=i < leading)
                del tree
            waiting.again()
            waiting.last()
    finally:
        if gc_was_enabled:
            gc.enable()
    for stale in set(cache.files) - set(built.sources):
        del cache.files[stale]
        cache.dirty = True
    built.notices.extend(cache.notices)
    index = ProjectIndex(layout, built.facts, built.hashes)
    return BuiltIndex(index, cache, built.sources, built.errors, built.notices, built.visited_whole)


def _read_ahead(
    root: Path,
    pending: list[tuple[str, list[int]]],
    overrides: Mapping[str, bytes],
    declarative: Callable[[str], bool],
) -> tuple[list[tuple[str, list[int]]], dict[str, frozenset[str]], dict[str, bytes], int]:
    """The files to analyse in the order that lets the early check answer most:
    plain-SQL migrations and compose files, then the files whose bytes may install
    a request hook, configure a logging pipeline, declare tables, ORM classes or
    tracked JSON, or say a URL or a route
    (the whole-project questions of the logging and data rules wait for them),
    then packages' `__init__` (re-exports), then the rest; for every file, the
    parts of the facts its bytes cannot hold; the bytes read, which the
    build analyses rather than reading each file again (each is let go once
    analysed: the bytes still to analyse shrink as the facts grow, so the peak
    memory barely moves, and the read costs one pass of the files, no parse);
    and how many files lead (the migrations and the files that may hold a
    part of the facts that whole-project questions ask about)."""
    lacking: dict[str, frozenset[str]] = {}
    ahead: dict[str, bytes] = {}
    prefix = _prefix(root)
    sql, first, http, inits, rest = [], [], [], [], []
    for item in pending:
        path = item[0]
        if path.endswith(SQL_SUFFIX):  # tables only: cheap, and whole-project questions wait
            sql.append(item)
            lacking[path] = _EVERY_PART - {TABLES}
            continue
        if is_compose_file(path):  # services and their URLs only: cheap
            sql.append(item)
            lacking[path] = _EVERY_PART - {URLS}
            continue
        try:
            source = overrides[path] if path in overrides else read_regular(prefix + path)
        except OSError:
            rest.append(item)  # said when it is read in turn
            continue
        ahead[path] = source
        if declarative(path):  # what it does is not read (`FileFacts.declarations`)
            lacks = cannot_hold_data(source) | _ACTS
        else:
            lacks = cannot_hold(source) | cannot_hold_data(source) | cannot_hold_http(source)
        lacking[path] = lacks
        if not lacks >= _DATA_AND_LOGGING:
            first.append(item)
        elif lacks != _EVERY_PART:
            http.append(item)  # after the others: their questions are asked more often
        elif path.endswith("__init__.py"):
            inits.append(item)
        else:
            rest.append(item)
    return [*sql, *first, *http, *inits, *rest], lacking, ahead, len(sql) + len(first)


class _Waiting:
    """The files visited again (see `build`), their trees kept meanwhile: up to
    `WAITING_BYTES` of source at a time."""

    def __init__(
        self,
        visit: Visitor,
        built: _Builder,
        partial: PartialFacts,
        models: dict[str, SemanticModel],
    ) -> None:
        self.visit = visit
        self.built = built
        self.partial = partial
        self.models = models
        """The visitor's: the model of the file being visited again (see `build`)."""
        self.leading: list[_Kept] = []
        """Leading files that waited: visited again once all leading files are read."""
        self.later: list[_Kept] = []
        """Files that wait for a later file: visited again once every file is read."""
        self.kept = 0

    def keep(self, path: str, source: bytes, tree: ast.Module, leads: bool) -> bool:
        """Keep a file's tree to visit it again (`leads`: once every leading
        file is read, else once every file is); whether it fit.

        Its semantic model is kept with it: the one its facts' extraction or
        the visit just built, where `SemanticModel.of` finds it (a tree kept
        is one a tree rule will look at again: its model is all but always
        asked for)."""
        if self.kept + len(source) > WAITING_BYTES:
            return False
        model = SemanticModel.of(tree, source)
        (self.leading if leads else self.later).append((path, source, tree, model))
        self.kept += len(source)
        return True

    def _look(self, kept: _Kept) -> bool:
        """Visit a file again; whether it still waits."""
        built = self.built
        if not built.visited_whole:
            return False
        path, source, tree, model = kept
        self.models[path] = model
        try:
            return self.visit(path, source, tree, built.facts[path], self.partial)
        finally:
            del self.models[path]

    def again(self) -> None:
        """The leading files, all leading files being read: a file whose rules
        still wait waits for the last look."""
        for kept in self.leading:
            if self._look(kept):
                self.later.append(kept)
            else:
                self.kept -= len(kept[1])
        self.leading.clear()

    def last(self) -> None:
        """The last look, every file being read (the rules that still wait then
        waited for a file that could not be read: the check takes them up)."""
        for kept in self.later:
            self._look(kept)
        self.later.clear()
        self.kept = 0


_Kept = tuple[str, bytes, ast.Module, SemanticModel]
"""A file kept to be visited again: path, bytes, tree and the tree's model."""


_DATA_AND_LOGGING = frozenset({INSTALLS, PIPELINES, ORM, TABLES, ASSOCIATIONS})
_EVERY_PART = _DATA_AND_LOGGING | {URLS, ROUTES, PATHS}
"""The parts of the facts whose absence `_read_ahead` tells from the bytes."""
_ACTS = frozenset({INSTALLS, PIPELINES, URLS, ROUTES, PATHS})
"""The parts of the facts that say what a file does, or how a service is
set up (a path default), not what it declares: a test or migration excluded
from checking has none (`FileFacts.declarations`)."""

WAITING_BYTES = 1 << 20
"""The most source (its trees: about 25 times as much memory) the build keeps
for leading files visited again (see `build`): 156 files of the benchmark
corpus, 1.1 MB, add 27 MB to the peak memory and spare about 100 parses."""
PARALLEL_FROM = 400
"""Files to analyse from which `jobs=0` (automatic) uses worker processes."""
OVERRIDDEN = [0, -1, 0, 0]
"""The stamp of an overridden file: never the stamp of a file on disk."""


class _Builder:
    """The index's tables while they are being filled, one file at a time."""

    def __init__(
        self,
        root: Path,
        envelope: str,
        cache: Cache,
        overrides: dict[str, bytes],
        notices: list[str],
        declarative: Callable[[str], bool],
    ) -> None:
        self.root = root
        self.prefix = _prefix(root)
        self.cache = cache
        self.overrides = overrides
        self.notices = notices
        self.facts = FactsTable(root, envelope, declarative)
        self.hashes: dict[str, str] = {}
        self.sources: dict[str, SourceFile] = {}
        self.stamps: dict[str, list[int]] = {}
        """Each file's stamp (`file_stamp`), taken before its bytes were read."""
        self.errors: dict[str, SyntaxProblem] = {}
        self.visited_whole = True
        self.racy_after = time.time_ns() - RACY_NS
        """A stamp whose times are past this may not say a file is unchanged
        (see `SourceFile`): it was taken within the same second as an edit."""

    def reuse(self, path: str, entry: list[Any]) -> None:
        if entry[2] is not None:
            self.errors[path] = SyntaxProblem(*entry[2])
            self.facts.put(path, FileFacts())
        else:
            self.facts.put_raw(path, entry[1])
        self.hashes[path] = entry[4]

    def read(self, path: str, stamp: list[int], ahead: bytes | None = None) -> bytes | None:
        """The file's bytes when its facts must be extracted; None when it is
        unreadable or its content is that of its cache entry (facts reused).
        `ahead`: the bytes `_read_ahead` read (the file is not read again)."""
        source = self.overrides.get(path, ahead)
        if source is None:
            try:
                source = read_regular(self.prefix + path)
            except OSError as exc:
                self.notices.append(f"{path}: skipped: {exc.strerror or exc}")
                return None
        digest = content_hash(source)
        self.stamps[path] = stamp
        old = stamp[0] < self.racy_after and stamp[2] < self.racy_after
        self.sources[path] = SourceFile(
            self.root, path, digest, self.overrides.get(path), stamp if old else None
        )
        entry = self.cache.files.get(path)
        if entry is not None and entry[0] == digest:
            self.reuse(path, entry)
            if entry[3] != stamp:
                entry[3] = stamp
                self.cache.dirty = True
            return None
        return source

    def record(
        self,
        path: str,
        facts: FileFacts | None,
        text: str | None,
        err: Any,
        iface: str,
        notice: str,
    ) -> None:
        """One analysed file: its facts (None when analysed by a worker process)
        and their JSON text (None when it does not parse)."""
        if err is not None:
            self.errors[path] = SyntaxProblem(*err)
            self.facts.put(path, FileFacts())
        elif facts is not None:
            self.facts.put(path, facts)
        else:
            assert text is not None
            self.facts.put_raw(path, text)
        self.hashes[path] = iface
        if notice:
            self.notices.append(notice)  # and not cached: the next run tries again
            return
        if not self.cache.enabled or path in self.overrides:
            return
        # the stamp taken before the file was read: one taken now could be that
        # of an edit made since, and the entry would then pass for that edit's
        stamp = self.stamps[path]
        self.cache.files[path] = [self.sources[path].digest, text, err, stamp, iface]
        self.cache.dirty = True


def _parallel(todo: list[tuple[str, bytes, str, bool]], jobs: int) -> list[Result]:
    import multiprocessing  # only here: its import costs a run in one process 0.03 G instructions

    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    ctx = multiprocessing.get_context(method)
    chunk = max(1, len(todo) // (jobs * 8))
    with ctx.Pool(min(jobs, os.cpu_count() or 1)) as pool:
        return list(pool.imap_unordered(_analyse_in_worker, todo, chunksize=chunk))
