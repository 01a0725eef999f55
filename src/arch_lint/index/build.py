"""Build the project index: list, hash, parse what changed, extract facts."""

from __future__ import annotations

import ast
import gc
import hashlib
import multiprocessing
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from arch_lint.config.resolve import Settings
from arch_lint.index.cache import Cache
from arch_lint.index.facts import FileFacts, extract
from arch_lint.index.layout import Layout
from arch_lint.index.project import ProjectIndex


@dataclass(frozen=True, slots=True)
class SyntaxProblem:
    line: int
    col: int
    """1-based character column."""
    message: str


@dataclass(slots=True)
class SourceFile:
    path: str
    source: bytes
    digest: str
    error: SyntaxProblem | None = None
    tree: ast.Module | None = None


def content_hash(source: bytes) -> str:
    return hashlib.blake2b(source, digest_size=16).hexdigest()


def parse(source: bytes, filename: str) -> tuple[ast.Module | None, SyntaxProblem | None]:
    """Parse with the running interpreter's grammar; a failure is data, not an exception."""
    try:
        return ast.parse(source, filename=filename), None
    except SyntaxError as exc:
        return None, SyntaxProblem(exc.lineno or 1, exc.offset or 1, exc.msg)
    except (ValueError, UnicodeDecodeError) as exc:  # NUL bytes, undecodable source
        return None, SyntaxProblem(1, 1, str(exc).splitlines()[0])
    except RecursionError:
        return None, SyntaxProblem(1, 1, "too deeply nested to parse")


def _analyse(args: tuple[str, bytes]) -> tuple[str, list[object] | None, list[object] | None]:
    path, source = args
    tree, error = parse(source, path)
    facts = extract(tree, source).to_json() if tree is not None else None
    err = [error.line, error.col, error.message] if error is not None else None
    return path, facts, err


@dataclass
class BuiltIndex:
    index: ProjectIndex
    cache: Cache
    sources: dict[str, SourceFile]
    errors: dict[str, SyntaxProblem]


def _read(root: Path, paths: Iterable[str]) -> dict[str, bytes]:
    out = {}
    for path in paths:
        try:
            out[path] = (root / path).read_bytes()
        except OSError:
            continue  # vanished between listing and reading
    return out


def build(
    settings: Settings,
    *,
    jobs: int = 1,
    use_cache: bool = True,
    keep_trees: frozenset[str] = frozenset(),
    overrides: dict[str, bytes] | None = None,
    layout: Layout | None = None,
) -> BuiltIndex:
    """The project index for `settings`, reusing cached facts of unchanged files.

    `keep_trees` names files whose parsed tree the caller will want (they are
    parsed at most once per run); `overrides` replaces files' content (an
    editor's unsaved buffer).
    """
    layout = layout or Layout.scan(settings)
    cache = Cache(settings.root, enabled=use_cache)
    raw = _read(settings.root, layout.files)
    if overrides:
        raw.update(overrides)
    facts: dict[str, FileFacts] = {}
    sources: dict[str, SourceFile] = {}
    errors: dict[str, SyntaxProblem] = {}
    todo: list[tuple[str, bytes]] = []
    for path, source in raw.items():
        digest = content_hash(source)
        sources[path] = SourceFile(path, source, digest)
        entry = cache.files.get(path)
        if entry is not None and entry[0] == digest and path not in keep_trees:
            try:
                if entry[2] is not None:
                    errors[path] = SyntaxProblem(*entry[2])
                    facts[path] = FileFacts()
                else:
                    facts[path] = FileFacts.from_json(entry[1])
                continue
            except (TypeError, ValueError, KeyError, IndexError):
                pass  # a damaged entry: analyse the file again
        todo.append((path, source))

    gc_was_enabled = gc.isenabled()
    gc.disable()  # ASTs are acyclic; collecting while building them only costs time
    try:
        if jobs <= 0:  # auto: processes only pay off for a cold run of a large tree
            jobs = min(os.cpu_count() or 1, 8) if len(todo) >= 400 else 1
        if jobs > 1 and len(todo) > 50:
            results = _parallel(todo, jobs, keep_trees)
        else:
            results = []
            for path, source in todo:
                tree, error = parse(source, path)
                if tree is not None:
                    facts[path] = extract(tree, source)
                    if path in keep_trees:
                        sources[path].tree = tree
                    cache.files[path] = [sources[path].digest, facts[path].to_json(), None]
                else:
                    assert error is not None
                    errors[path] = error
                    facts[path] = FileFacts()
                    cache.files[path] = [sources[path].digest, None, _err_json(error)]
                cache.dirty = True
        for path, facts_json, err in results:
            if err is not None:
                errors[path] = SyntaxProblem(*err)  # type: ignore[arg-type]
                facts[path] = FileFacts()
            else:
                facts[path] = FileFacts.from_json(facts_json)  # type: ignore[arg-type]
            cache.files[path] = [sources[path].digest, facts_json, err]
            cache.dirty = True
    finally:
        if gc_was_enabled:
            gc.enable()
    for stale in set(cache.files) - set(raw):
        del cache.files[stale]
        cache.dirty = True
    return BuiltIndex(ProjectIndex(layout, facts), cache, sources, errors)


def _err_json(error: SyntaxProblem) -> list[object]:
    return [error.line, error.col, error.message]


def _parallel(
    todo: list[tuple[str, bytes]], jobs: int, keep_trees: frozenset[str]
) -> list[tuple[str, list[object] | None, list[object] | None]]:
    del keep_trees  # trees do not cross processes; the engine re-parses if it must
    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    ctx = multiprocessing.get_context(method)
    chunk = max(1, len(todo) // (jobs * 8))
    with ctx.Pool(min(jobs, os.cpu_count() or 1)) as pool:
        return list(pool.imap_unordered(_analyse, todo, chunksize=chunk))
