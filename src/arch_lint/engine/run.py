"""The engine: select rules per file, run them in one traversal, filter, cache.

How a run flows: settings -> project index (cached) -> for each checked file
the active rules (facts-based `check()` plus one batched `ast` traversal for
the visitors) -> allow-list and `# noqa` filtering -> ARC002 -> report.
"""

from __future__ import annotations

import ast
import gc
import hashlib
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TypeVar

from arch_lint.config.resolve import Settings, matcher
from arch_lint.engine.fingerprint import fingerprints as fingerprints_of
from arch_lint.engine.noqa import file_noqa, parse_noqa
from arch_lint.findings import Finding
from arch_lint.index.build import BuiltIndex, SyntaxProblem, build, parse
from arch_lint.index.facts import FileFacts, extract
from arch_lint.index.layout import Layout
from arch_lint.index.project import ProjectIndex
from arch_lint.index.walk import push_children
from arch_lint.rules import RULES, FileContext, FileRule
from arch_lint.rules.syntax_error import SyntaxErrorRule
from arch_lint.rules.unused_suppression import UnusedSuppression

_ARC_NOQA = re.compile(rb"noqa\s*:[^\n]*ARC", re.IGNORECASE)
T = TypeVar("T")
FILE_RULES: tuple[type[FileRule], ...] = tuple(r for r in RULES if issubclass(r, FileRule))


@dataclass
class FileResult:
    findings: list[Finding]
    used_allow: set[int] = field(default_factory=set)
    notices: list[str] = field(default_factory=list)
    """Rules that raised on this file (their findings are left out)."""
    failed: frozenset[str] = frozenset()
    """Their codes: a `# noqa` for them is not judged (ARC002)."""
    tree: ast.Module | None = None
    """The file's syntax tree where the check parsed it (for fingerprints)."""


def _guarded(rule: FileRule, step: Callable[[], T], failed: dict[str, str]) -> T | None:
    """Run one step of a rule; an exception costs only that rule's findings on
    this file (recorded in `failed`), never the run."""
    try:
        return step()
    except RecursionError:
        failed[rule.code] = "the file is nested too deeply"
    except Exception as exc:
        failed[rule.code] = f"{type(exc).__name__}: {exc}"
    return None


class Engine:
    """Runs the active rules on files of one project index."""

    def __init__(self, settings: Settings, index: ProjectIndex) -> None:
        self.settings = settings
        self.index = index
        self._ppi = [
            (matcher([glob]), tuple(codes))
            for glob, codes in settings.model.per_path_ignores.items()
        ]
        self._enabled: dict[str, frozenset[str]] = {}
        sel = settings.selection
        self._selected = frozenset(r.code for r in RULES if sel.enabled(r.code, r.default_on))
        self.applying: dict[int, frozenset[str]] = {}
        """`id(source)` -> codes of the tree rules whose `applies` said yes while
        the index was built (the same bytes object is checked later). Ids are
        unique only while the objects live: the build keeps every noted source in
        its `SourceFile` for the whole run, and a source it did not note falls
        back to asking `applies()`."""

    @property
    def selection_key(self) -> str:
        sel = self.settings.selection
        blob = json.dumps([sel.select, sel.extend_select, sel.ignore, self.index.digest])
        return hashlib.blake2b(blob.encode(), digest_size=16).hexdigest()

    def enabled_codes(self, path: str) -> frozenset[str]:
        """Codes active for `path`: the selection minus `per-path-ignores`."""
        known = self._enabled.get(path)
        if known is not None:
            return known
        ignored = tuple(c for spec, codes in self._ppi if spec.match_file(path) for c in codes)
        codes = self._selected
        if ignored:
            codes = frozenset(c for c in codes if not c.startswith(ignored))
        self._enabled[path] = codes
        return codes

    def is_excluded(self, path: str) -> bool:
        return self.index.layout.is_excluded(path)

    def check_file(
        self,
        path: str,
        source: bytes,
        facts: FileFacts,
        tree: ast.Module | None,
        error: SyntaxProblem | None,
        text: str | None = None,
    ) -> FileResult:
        """Raw findings (before `# noqa`) of one file."""
        codes = self.enabled_codes(path)
        skip_all, file_codes = file_noqa(source)
        if skip_all:
            if file_codes is None:
                return FileResult([])
            codes = frozenset(c for c in codes if not c.startswith(file_codes))
        ctx = FileContext(path, self.settings, self.index, facts, source, tree, text)
        if error is not None:
            if SyntaxErrorRule.code in codes:
                ctx.findings.append(_syntax_finding(ctx, error))
            return FileResult(ctx.findings)
        active = [rule(ctx) for rule in FILE_RULES if rule.code in codes]
        failed: dict[str, str] = {}
        for rule in active:
            _guarded(rule, rule.check, failed)
        known = self.applying.get(id(source))
        tree_rules = [
            r
            for r in active
            if r.code not in failed
            and _wants_tree(type(r))
            and (r.code in known if known is not None else type(r).applies(self.settings, source))
            and _guarded(r, r.relevant, failed)
        ]
        if tree_rules:
            if ctx.tree is None:
                ctx.tree, _ = parse(source, path)
            if ctx.tree is not None:
                tree = ctx.tree
                dispatch: dict[type[ast.AST], list[tuple[FileRule, Callable[[ast.AST], None]]]]
                dispatch = {}
                for rule in tree_rules:
                    _guarded(rule, partial(rule.check_tree, tree), failed)
                    if rule.code in failed:
                        continue
                    for node_type, method in _visitors(type(rule)):
                        dispatch.setdefault(node_type, []).append((rule, getattr(rule, method)))
                if dispatch:
                    _traverse(tree, dispatch, failed)
        if not failed:
            return FileResult(ctx.findings, ctx.used_allow, tree=ctx.tree)
        kept = [f for f in ctx.findings if f.code not in failed]
        result_failed = frozenset(failed)
        notices = [
            f"{path}: {code} stopped on this file ({why}); its findings here are left out. "
            "This is a bug of arch-lint: please report it"
            for code, why in sorted(failed.items())
        ]
        return FileResult(kept, ctx.used_allow, notices, result_failed, ctx.tree)

    def apply_noqa(
        self,
        path: str,
        source: bytes,
        findings: list[Finding],
        unjudged: frozenset[str] = frozenset(),
    ) -> list[Finding]:
        """Drop suppressed findings; add ARC002 for `# noqa: ARC…` codes that suppress
        nothing (except `unjudged` ones: rules that did not finish on the file)."""
        codes = self.enabled_codes(path) - unjudged
        judge = UnusedSuppression.code in codes and _ARC_NOQA.search(source) is not None
        if not findings and not judge:
            return findings
        noqa = parse_noqa(source)
        if not noqa.comments:
            return findings
        kept = []
        for finding in findings:
            hit = noqa.suppressing(finding.line, finding.code)
            if hit is None:
                kept.append(finding)
            else:
                sup, listed = hit
                sup.used.add(listed)
        if not judge:
            return kept
        for sup in noqa.comments:
            if sup.codes is None:
                continue
            unused = [
                c
                for c in sup.codes
                if c.startswith("ARC")
                and c not in sup.used
                and any(code.startswith(c) for code in codes)
            ]
            if not unused:
                continue
            listed = ", ".join(f"`{c}`" for c in unused)
            what = f"`# noqa` code {listed}" if len(unused) == 1 else f"`# noqa` codes {listed}"
            kept.append(
                Finding(
                    code=UnusedSuppression.code,
                    name=UnusedSuppression.name,
                    message=UnusedSuppression.message.format(what=what),
                    path=path,
                    line=sup.line,
                    column=sup.col + 1,
                    end_line=sup.line,
                    end_column=sup.end_col + 1,
                    service=_service_name(self.index, path),
                    fixable=False,
                )
            )
        return kept


def _service_name(index: ProjectIndex, path: str) -> str | None:
    service = index.service_of(path)
    return service.name if service else None


def _syntax_finding(ctx: FileContext, error: SyntaxProblem) -> Finding:
    return Finding(
        code=SyntaxErrorRule.code,
        name=SyntaxErrorRule.name,
        message=SyntaxErrorRule.message.format(error=error.message),
        path=ctx.path,
        line=error.line,
        column=max(error.col, 1),
        end_line=error.line,
        end_column=max(error.col, 1) + 1,
        service=ctx.service.name if ctx.service else None,
    )


def _wants_tree(rule: type[FileRule]) -> bool:
    return rule.needs_tree or bool(_visitors(rule))


def wants_tree(
    settings: Settings, source: bytes, note: dict[int, frozenset[str]] | None = None
) -> bool:
    """Whether any selected rule will read this source's syntax tree (`note`
    records, by `id(source)`, which tree rules apply, for the checking phase)."""
    sel = settings.selection
    applying = [
        r
        for r in FILE_RULES
        if _wants_tree(r) and sel.enabled(r.code, r.default_on) and r.applies(settings, source)
    ]
    if note is not None:
        note[id(source)] = frozenset(r.code for r in applying)
    return any(r.retain_tree for r in applying)


_VISITORS: dict[type[FileRule], tuple[tuple[type[ast.AST], str], ...]] = {}


def _visitors(rule: type[FileRule]) -> tuple[tuple[type[ast.AST], str], ...]:
    if rule not in _VISITORS:
        out = []
        for attr in dir(rule):
            if attr.startswith("visit_"):
                node_type = getattr(ast, attr[len("visit_") :], None)
                if isinstance(node_type, type) and issubclass(node_type, ast.AST):
                    out.append((node_type, attr))
        _VISITORS[rule] = tuple(out)
    return _VISITORS[rule]


def _traverse(
    tree: ast.AST,
    dispatch: dict[type[ast.AST], list[tuple[FileRule, Callable[[ast.AST], None]]]],
    failed: dict[str, str],
) -> None:
    """One walk of the tree calling every rule's visitor for each node (not in
    source order; a rule that needs order walks a scope itself). A visitor that
    raises takes its rule out of the rest of the walk."""
    stack: list[ast.AST] = [tree]
    pop = stack.pop
    while stack:
        node = pop()
        handlers = dispatch.get(type(node))
        if handlers is not None:
            for rule, visit in handlers:
                if rule.code in failed:
                    continue  # failed on this very node: the list is already rebuilt
                try:
                    visit(node)
                except Exception as exc:
                    failed[rule.code] = f"{type(exc).__name__}: {exc}"
                    for kind, listed in list(dispatch.items()):
                        dispatch[kind] = [(r, v) for r, v in listed if r is not rule]
        push_children(node, stack)


# --- a whole run -------------------------------------------------------------------


@dataclass
class RunResult:
    findings: list[Finding]
    checked: list[str]
    built: BuiltIndex
    notices: list[str] = field(default_factory=list)
    """One line each for what the run left out and why, for stderr."""


def _under(path: str, prefixes: list[str]) -> bool:
    return any(not p or path == p or path.startswith(p + "/") for p in prefixes)


def select_files(settings: Settings, files: Iterable[str], targets: list[Path]) -> list[str]:
    """The project files under `targets` (relative prefixes of the root)."""
    prefixes = []
    for target in targets:
        try:
            rel = target.resolve().relative_to(settings.root).as_posix()
        except ValueError:
            continue
        prefixes.append("" if rel == "." else rel)
    return [f for f in files if _under(f, prefixes)]


def run(
    settings: Settings,
    targets: list[Path],
    *,
    jobs: int = 1,
    use_cache: bool = True,
    layout: Layout | None = None,
    fingerprints: bool = False,
) -> RunResult:
    """Check the files under `targets` with the whole project as context.

    `fingerprints`: also record each checked file's findings' fingerprints in
    the cache while its tree is at hand (reports and the baseline need them;
    `engine.fingerprint.cached_fingerprints` reads them back)."""
    gc_was_enabled = gc.isenabled()
    gc.disable()  # trees and facts are acyclic: a collector pass only costs time
    try:
        return _run(
            settings,
            targets,
            jobs=jobs,
            use_cache=use_cache,
            layout=layout,
            fingerprints=fingerprints,
        )
    finally:
        if gc_was_enabled:
            gc.enable()


def _run(
    settings: Settings,
    targets: list[Path],
    *,
    jobs: int,
    use_cache: bool,
    layout: Layout | None,
    fingerprints: bool,
) -> RunResult:
    applying: dict[int, frozenset[str]] = {}
    built = build(
        settings,
        jobs=jobs,
        use_cache=use_cache,
        layout=layout,
        keep_tree=lambda source: wants_tree(settings, source, applying),
    )
    index = built.index
    engine = Engine(settings, index)
    engine.applying = applying
    checked = [
        f
        for f in select_files(settings, sorted(built.sources), targets)
        if not engine.is_excluded(f)
    ]
    cache = built.cache
    key = engine.selection_key
    if cache.findings_key != key:
        cache.findings_key, cache.findings, cache.dirty = key, {}, True
        cache.fingerprints = {}
    findings: list[Finding] = []
    used_allow: set[int] = set()
    notices = list(built.notices)
    for path in checked:
        src = built.sources[path]
        entry = cache.findings.get(path)
        if entry is not None and entry[0] == src.digest:
            try:
                cached = [Finding.model_validate(f) for f in entry[1]]
            except ValueError:  # pydantic's ValidationError: a damaged entry
                cached = None
            if cached is not None:
                findings.extend(cached)
                used_allow.update(entry[2])
                continue
        try:
            source = src.source
        except OSError as exc:  # replaced by something that is not a file since it was listed
            notices.append(f"{path}: skipped: {exc.strerror or exc}")
            continue
        tree = src.tree
        envelope = settings.model.models.envelope_class
        facts = index.facts.get(path) or (extract(tree, source, envelope) if tree else FileFacts())
        result = engine.check_file(path, source, facts, tree, built.errors.get(path))
        if path in built.errors:
            kept = result.findings  # nothing else was checked: no suppression can be judged
        else:
            kept = engine.apply_noqa(path, source, result.findings, result.failed)
        findings.extend(kept)
        used_allow |= result.used_allow
        if result.notices:
            notices.extend(result.notices)
            continue  # not cached: the next run tries the rule again
        cache.findings[path] = [
            src.digest,
            [f.model_dump(mode="json") for f in kept],
            sorted(result.used_allow),
        ]
        if fingerprints and kept:
            tree_of = {path: result.tree} if result.tree is not None else None
            prints = fingerprints_of(kept, settings.root, {path: source}, tree_of)
            cache.fingerprints[path] = [src.digest, prints]
        cache.dirty = True
    for stale in set(cache.findings) - set(built.sources):
        del cache.findings[stale]
    cache.store()
    if _whole_project(settings, targets):
        findings.extend(unused_allow_findings(engine, used_allow))
    findings.sort(key=Finding.sort_key)
    return RunResult(findings, checked, built, notices)


def _whole_project(settings: Settings, targets: list[Path]) -> bool:
    return any(t.resolve() == settings.root for t in targets)


def unused_allow_findings(engine: Engine, used: set[int]) -> list[Finding]:
    settings = engine.settings
    if settings.config_path is None or UnusedSuppression.code not in engine.enabled_codes(""):
        return []
    from arch_lint.config.load import key_line

    try:
        rel = settings.config_path.relative_to(settings.root).as_posix()
    except ValueError:
        rel = settings.config_path.name
    out = []
    for i, entry in enumerate(settings.model.allow):
        if i in used:
            continue
        line = key_line(settings.config_text, ("allow", i))
        width = len(settings.config_text.splitlines()[line - 1]) if settings.config_text else 1
        out.append(
            Finding(
                code=UnusedSuppression.code,
                name=UnusedSuppression.name,
                message=UnusedSuppression.message.format(
                    what=f'`allow` entry `from = "{entry.from_}"`, `import = "{entry.import_}"`'
                ),
                path=rel,
                line=line,
                column=1,
                end_line=line,
                end_column=width + 1,
            )
        )
    return out
