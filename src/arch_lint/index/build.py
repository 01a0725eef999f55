"""Build the project index: list, hash, parse what changed, extract facts.

A warm run reads as little as it can: a file whose size and modification time
match its cache entry (and was not modified within a second of the cache being
written: git's "racy" rule) keeps its recorded content hash without being read;
facts are decoded from the cache only when a rule asks for them.
"""

from __future__ import annotations

import ast
import gc
import hashlib
import json
import multiprocessing
import os
import warnings
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from arch_lint.config.resolve import Settings
from arch_lint.index.cache import Cache
from arch_lint.index.facts import FileFacts, extract
from arch_lint.index.layout import Layout
from arch_lint.index.project import ProjectIndex
from arch_lint.source import decode, read_regular, source_lines

RACY_NS = 1_000_000_000


@dataclass(frozen=True, slots=True)
class SyntaxProblem:
    line: int
    col: int
    """1-based character column."""
    message: str


class SourceFile:
    """One file of the project: its content hash, and its bytes when read."""

    __slots__ = ("_source", "digest", "path", "root", "tree")

    def __init__(self, root: Path, path: str, digest: str, source: bytes | None) -> None:
        self.root = root
        self.path = path
        self.digest = digest
        self._source = source
        self.tree: ast.Module | None = None

    @property
    def source(self) -> bytes:
        if self._source is None:
            self._source = read_regular(self.root / self.path)
        return self._source


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
    encoded = lines[line - 1].encode("utf-8", "surrogatepass")
    return len(encoded[: max(byte_offset - 1, 0)].decode("utf-8", "replace")) + 1


class FactsTable(Mapping[str, FileFacts]):
    """Facts by path, decoded from their cached JSON on first use."""

    def __init__(self, root: Path, envelope: str) -> None:
        self._root = root
        self._envelope = envelope
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
        tree, _ = parse(source, path)
        return extract(tree, source, self._envelope) if tree is not None else FileFacts()

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


def file_stamp(info: os.stat_result) -> list[int]:
    """What says a file is unchanged without reading it: as git's index does,
    the modification and change times, the size and the inode (an edit that
    keeps size and mtime still moves the ctime)."""
    return [info.st_mtime_ns, info.st_size, info.st_ctime_ns, info.st_ino]


def _extract(tree: ast.Module, source: bytes, envelope: str, path: str) -> tuple[FileFacts, str]:
    """The file's facts, and a notice ("" when all went well): a defect of
    arch-lint's on one file costs only that file's facts, never the run."""
    try:
        return extract(tree, source, envelope), ""
    except RecursionError:
        return FileFacts(), f"{path}: too deeply nested to read its facts"
    except Exception as exc:
        why = f"{type(exc).__name__}: {exc}"
        return FileFacts(), f"{path}: internal error reading its facts ({why}); please report it"


Result = tuple[str, Any, Any, str, str]
"""(path, facts or their JSON text, syntax error, interface hash, notice)"""


def _analyse(args: tuple[str, bytes, str]) -> Result:
    path, source, envelope = args
    tree, error = parse(source, path)
    if tree is None:
        assert error is not None
        err = [error.line, error.col, error.message]
        return path, None, err, FileFacts().interface_hash(), ""
    facts, notice = _extract(tree, source, envelope, path)
    return path, facts.to_text(), None, facts.interface_hash(), notice


def build(
    settings: Settings,
    *,
    jobs: int = 1,
    use_cache: bool = True,
    keep_tree: Callable[[bytes], bool] | None = None,
    overrides: dict[str, bytes] | None = None,
    layout: Layout | None = None,
) -> BuiltIndex:
    """The project index for `settings`, reusing cached facts of unchanged files.

    `keep_tree` says which parsed sources the caller will want the tree of (so
    that a file is parsed at most once per run); `overrides` replaces files'
    content (an editor's unsaved buffer).
    """
    layout = layout or Layout.scan(settings)
    root = settings.root
    envelope = settings.model.models.envelope_class
    cache = Cache(root, enabled=use_cache, facts_options=[envelope])
    overrides = overrides or {}
    facts = FactsTable(root, envelope)
    hashes: dict[str, str] = {}
    sources: dict[str, SourceFile] = {}
    errors: dict[str, SyntaxProblem] = {}
    todo: list[tuple[str, bytes]] = []
    racy_after = cache.written_ns - RACY_NS
    notices: list[str] = list(layout.notices)
    for path in layout.files:
        entry = cache.files.get(path)
        source: bytes | None = overrides.get(path)
        if source is None:
            try:
                info = os.stat(root / path)
            except OSError:
                continue  # vanished between listing and reading
            stamp = file_stamp(info)
            if entry is not None and entry[3] == stamp and info.st_mtime_ns < racy_after:
                _reuse(path, entry, facts, hashes, errors)
                sources[path] = SourceFile(root, path, entry[0], None)
                continue
            try:
                source = read_regular(root / path)
            except OSError as exc:
                notices.append(f"{path}: skipped: {exc.strerror or exc}")
                continue
        else:
            stamp = [0, -1, 0, 0]
        digest = content_hash(source)
        sources[path] = SourceFile(root, path, digest, source)
        if entry is not None and entry[0] == digest:
            _reuse(path, entry, facts, hashes, errors)
            if entry[3] != stamp:
                entry[3] = stamp
                cache.dirty = True
            continue
        todo.append((path, source))

    gc_was_enabled = gc.isenabled()
    gc.disable()  # ASTs are acyclic; collecting while building them only costs time
    try:
        if jobs <= 0:
            # auto: worker processes parse, but their trees do not come back; when
            # rules read trees (the default rule set does), parsing twice costs
            # more than it saves, so auto means one process then.
            wants_trees = keep_tree is not None and any(keep_tree(src) for _, src in todo[:50])
            big = len(todo) >= 400
            jobs = min(os.cpu_count() or 1, 8) if big and not wants_trees else 1
        if jobs > 1 and len(todo) > 50:
            results = _parallel([(p, s, envelope) for p, s in todo], jobs)
        else:
            results = []
            for path, source in todo:
                tree, error = parse(source, path)
                if tree is None:
                    assert error is not None
                    err = [error.line, error.col, error.message]
                    results.append((path, None, err, "", ""))
                    continue
                extracted, notice = _extract(tree, source, envelope, path)
                facts.put(path, extracted)
                if keep_tree is not None and keep_tree(source):
                    sources[path].tree = tree
                results.append((path, extracted, None, extracted.interface_hash(), notice))
        for path, facts_data, err, iface, notice in results:
            if err is not None:
                errors[path] = SyntaxProblem(*err)
                facts.put(path, FileFacts())
                iface = FileFacts().interface_hash()
            elif isinstance(facts_data, FileFacts):
                facts_data = facts_data.to_text()
            else:
                facts.put_raw(path, facts_data)
            hashes[path] = iface
            if notice:
                notices.append(notice)  # and not cached: the next run tries again
            elif path not in overrides:
                try:
                    stamp = file_stamp(os.stat(root / path))
                except OSError:
                    continue  # gone since it was read: not cached
                cache.files[path] = [sources[path].digest, facts_data, err, stamp, iface]
                cache.dirty = True
    finally:
        if gc_was_enabled:
            gc.enable()
    for stale in set(cache.files) - set(sources):
        del cache.files[stale]
        cache.dirty = True
    notices.extend(cache.notices)
    return BuiltIndex(ProjectIndex(layout, facts, hashes), cache, sources, errors, notices)


def _reuse(
    path: str,
    entry: list[Any],
    facts: FactsTable,
    hashes: dict[str, str],
    errors: dict[str, SyntaxProblem],
) -> None:
    if entry[2] is not None:
        errors[path] = SyntaxProblem(*entry[2])
        facts.put(path, FileFacts())
    else:
        facts.put_raw(path, entry[1])
    hashes[path] = entry[4]


def _parallel(todo: list[tuple[str, bytes, str]], jobs: int) -> list[Result]:
    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    ctx = multiprocessing.get_context(method)
    chunk = max(1, len(todo) // (jobs * 8))
    with ctx.Pool(min(jobs, os.cpu_count() or 1)) as pool:
        return list(pool.imap_unordered(_analyse, todo, chunksize=chunk))
