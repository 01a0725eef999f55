"""`arch-lint schema-snapshot` and `arch-lint schema-diff`: the head schema from
the working tree, the base from a git revision (read with git, the working tree
untouched) or from a snapshot file. Only the shared-model files and the project
modules they import are read, so the cost does not grow with the monorepo."""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from arch_lint.config import Settings
from arch_lint.findings import Finding
from arch_lint.index.build import parse
from arch_lint.index.facts import FileFacts, ImportStmt, extract
from arch_lint.index.layout import Layout
from arch_lint.index.modgraph import ModuleGraph
from arch_lint.index.project import ProjectIndex
from arch_lint.rules import BY_CODE
from arch_lint.schema.diff import diff
from arch_lint.schema.extract import SNAPSHOT_VERSION, Schema, SchemaError, binding_lines
from arch_lint.schema.extract import extract as extract_schema
from arch_lint.schema.git import GitError, GitTree
from arch_lint.source import read_regular


class SchemaCommandError(Exception):
    """A usage problem: no git repository, an unknown revision, a bad snapshot."""


@dataclass
class Head:
    schema: Schema
    shared: list[str]
    index: ProjectIndex | None = None
    lines: dict[str, dict[str, int]] | None = None

    def seen_by(self, base: Schema) -> Schema:
        """The head as the base's snapshot format sees it: a version 1 snapshot
        knows no alias generators, computed or excluded fields or computed enum
        values, so the head is read without them (else each would look changed)."""
        if base.version == self.schema.version or self.index is None:
            return self.schema
        return extract_schema(self.index, self.schema_paths(), base.version, self.lines)

    def schema_paths(self) -> list[str]:
        assert self.index is not None
        return [p for p in self.shared if p in self.index.facts]


Reader = Callable[[list[str]], dict[str, bytes]]


def _shared(layout: Layout, path: str) -> bool:
    return layout.is_shared_model(path) and not layout.is_excluded(path)


def _facts(
    settings: Settings,
    sources: dict[str, bytes],
    where: str,
    strict: bool = False,
    lines: dict[str, dict[str, int]] | None = None,
) -> dict[str, FileFacts]:
    """Facts of the sources; a shared-model file that does not parse is an error
    in the working tree (its models would look removed) and left out at a base.
    `lines` receives the line of each module-level name of every file."""
    envelope = settings.model.models.envelope_class
    out: dict[str, FileFacts] = {}
    for path, source in sources.items():
        tree, problem = parse(source, path)
        if tree is None:
            assert problem is not None
            if strict:
                raise SchemaCommandError(
                    f"{path}:{problem.line}: does not parse ({problem.message}); "
                    "fix it before comparing schemas"
                )
            _warn(f"{path}:{problem.line}: does not parse{where} ({problem.message}); "
                  "its models are left out")  # fmt: skip
            continue
        out[path] = extract(tree, source, envelope)
        if lines is not None:
            lines[path] = binding_lines(tree)
    return out


def _schema_of(settings: Settings, files: list[str], read: Reader, where: str) -> Head:
    """The schema of the shared-model files among `files`, with every project
    module they import (transitively) read too, so that bases defined outside the
    shared packages are followed; nothing else of the project is read."""
    layout = Layout.scan(settings, files=files)
    shared = sorted(p for p in files if _shared(layout, p))
    modules: dict[str, str] = {}
    for path in files:
        module = layout.module_of(path)
        if module is not None:
            modules.setdefault(module, path)
    resolver = ModuleGraph(layout, {})
    lines: dict[str, dict[str, int]] = {}
    facts = _facts(settings, read(shared), where, strict=not where, lines=lines)
    todo = list(facts)
    while todo:
        wanted: set[str] = set()
        for path in todo:
            for stmt in facts[path].imports:
                for module in _modules_named(resolver, path, stmt):
                    target = modules.get(module)
                    if target is not None and target not in facts:
                        wanted.add(target)
        found = _facts(settings, read(sorted(wanted)), where)
        for path in wanted - set(found):
            facts[path] = FileFacts()  # does not parse: known, but empty
        facts.update(found)
        todo = sorted(found)
    index = ProjectIndex(Layout.scan(settings, files=sorted(facts)), facts)
    paths = [p for p in shared if p in facts]
    return Head(extract_schema(index, paths, SNAPSHOT_VERSION, lines), shared, index, lines)


def _modules_named(resolver: ModuleGraph, path: str, stmt: ImportStmt) -> list[str]:
    if stmt.kind == "import" or (stmt.kind == "dynamic" and stmt.level == 0):
        return [name for name, _ in stmt.names]
    base = resolver.absolute(path, stmt.level, stmt.module)
    if base is None:
        return []
    return [base, *(f"{base}.{name}" for name, _ in stmt.names if name != "*")]


def head_schema(settings: Settings, layout: Layout) -> Head:
    """The schema of the working tree's shared models."""
    root = settings.root

    def read(paths: list[str]) -> dict[str, bytes]:
        out: dict[str, bytes] = {}
        for path in paths:
            try:
                out[path] = read_regular(root / path)
            except OSError as exc:
                _warn(f"{path}: cannot read ({exc.strerror or exc})")
        return out

    return _schema_of(settings, layout.files, read, "")


def base_schema_from_git(settings: Settings, ref: str) -> Schema:
    """The schema of the shared models at git revision `ref`."""
    try:
        tree = GitTree(settings.root, ref)
        return _schema_of(settings, tree.files, tree.read, f" at {ref}").schema
    except GitError as exc:
        raise SchemaCommandError(str(exc)) from None


def base_schema_from_file(path: Path) -> Schema:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise SchemaCommandError(f"{path}: not a snapshot (not UTF-8 text)") from None
    except FileNotFoundError:
        raise SchemaCommandError(
            f"{path}: no such snapshot (write one with `arch-lint schema-snapshot`, "
            "or compare with a git revision: `--base REF`)"
        ) from None
    except OSError as exc:
        raise SchemaCommandError(f"{path}: cannot read the snapshot ({exc.strerror})") from None
    try:
        return Schema.loads(text, str(path))
    except SchemaError as exc:
        raise SchemaCommandError(str(exc)) from None


def findings(
    settings: Settings,
    base: Schema,
    head: Schema,
    mode: str,
    enabled: Callable[[str], frozenset[str]],
) -> list[Finding]:
    """The changes as findings; `enabled(path)` gives the codes active for a file
    (the selection minus `per-path-ignores`)."""
    out: list[Finding] = []
    for change in diff(base, head, mode):
        if change.code not in enabled(change.path):
            continue
        rule = BY_CODE[change.code]
        width = _line_width(settings.root / change.path, change.line)
        out.append(
            Finding(
                code=change.code,
                name=rule.name,
                message=change.message,
                path=change.path,
                line=change.line,
                column=1,
                end_line=change.line,
                end_column=width + 1,
                service=None,
            )
        )
    out.sort(key=Finding.sort_key)
    return out


def _line_width(path: Path, line: int) -> int:
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return 0  # a removed model's file may be gone from the working tree
    return len(lines[line - 1]) if 1 <= line <= len(lines) else 0


def _warn(message: str) -> None:
    print(f"arch-lint: {message}", file=sys.stderr)
