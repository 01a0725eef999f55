"""The engine: select rules per file, run them in one traversal, filter, cache.

How a run flows: settings -> project index (cached) -> for each checked file
the active rules (facts-based `check()` plus one batched `ast` traversal for
the visitors) -> allow-list and `# noqa` filtering -> ARC002 -> report.

A run that finds every file unchanged since the cache was written, and the
findings of every checked file cached under the same index digest and
selection, answers from `index.json` alone: it builds no index, reads no facts
and imports no rule (the rules, the index builder and `ast` are imported by
the code that needs them, not with this module).
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import json
import os
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from arch_lint.config.resolve import RuleSelection, Settings, matcher
from arch_lint.engine.noqa import file_noqa, parse_noqa
from arch_lint.findings import Finding
from arch_lint.index.cache import RACY_NS, Cache, content_hash, file_stamp, scan_layout
from arch_lint.index.layout import Layout
from arch_lint.source import read_regular

if TYPE_CHECKING:
    import ast

    from arch_lint.engine.fingerprint import FindingKey, Where
    from arch_lint.index.build import BuiltIndex, SyntaxProblem
    from arch_lint.index.facts import FileFacts
    from arch_lint.index.modgraph import ModuleGraph
    from arch_lint.index.partial import PartialFacts
    from arch_lint.index.project import ProjectIndex
    from arch_lint.index.semantic import SemanticModel
    from arch_lint.rules import FileContext, FileRule

_ARC_NOQA = re.compile(rb"noqa\s*:[^\n]*ARC", re.IGNORECASE)
"""Where a file may hold a `# noqa: ARC…` comment (a file that spells `noqa` in
some case: a case-blind search has no literal to skip ahead to)."""


T = TypeVar("T")


def file_rules() -> tuple[type[FileRule], ...]:
    """The rules that check files (the registry is imported on first use)."""
    global _FILE_RULES
    if _FILE_RULES is None:
        from arch_lint.rules import RULES, FileRule

        _FILE_RULES = tuple(r for r in RULES if issubclass(r, FileRule))
    return _FILE_RULES


_FILE_RULES: tuple[type[FileRule], ...] | None = None


def __getattr__(name: str) -> Any:
    """`FILE_RULES`, loaded with the rules when first asked for."""
    if name == "FILE_RULES":
        return file_rules()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def parse(source: bytes, filename: str) -> tuple[ast.Module | None, SyntaxProblem | None]:
    """The index build's `parse`, imported when a check first parses a file."""
    from arch_lint.index.build import parse as parse_source

    return parse_source(source, filename)


def selection_key(selection: RuleSelection, index_digest: str) -> str:
    """What cached findings are valid for: the rule selection and the index digest."""
    blob = json.dumps([selection.select, selection.extend_select, selection.ignore, index_digest])
    return hashlib.blake2b(blob.encode(), digest_size=16).hexdigest()


@dataclass
class Early:
    """What a file's tree rules found while the index was being built and the
    file's tree was at hand (`Engine.check_early`)."""

    done: frozenset[str]
    """The rules that finished: the check skips them."""
    gathered: dict[str, Any]
    """What the rules that gather (`FileRule.gathers`) gathered (their `check`
    finished): the check has them judge it."""
    findings: list[Finding]
    used_allow: set[int]
    keys: dict[Where, FindingKey]
    """The findings' fingerprint keys (the tree is gone by the time they are needed)."""
    waiting: bool = False
    """A rule stopped on a question about a file not read yet (`Incomplete`)."""
    places: dict[tuple[int, int], FindingKey] = field(default_factory=dict)
    """Fingerprint keys of the places where the check may report on the file
    (`import_places`), by line and character column."""

    @property
    def settled(self) -> frozenset[str]:
        """The rules a later look at the file skips: finished, or gathered."""
        return self.done | self.gathered.keys()

    def then(self, later: Early) -> Early:
        """This look at the file followed by a later one (which skipped `settled`):
        the findings in the order the check would have added them (it runs the
        rules left to it after the early findings)."""
        return Early(
            self.done | later.done,
            {**self.gathered, **later.gathered},
            self.findings + later.findings,
            self.used_allow | later.used_allow,
            {**self.keys, **later.keys},
            later.waiting,
            {**self.places, **later.places},
        )


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
        from arch_lint.index.partial import Incomplete
        from arch_lint.rules import RULES, FileContext
        from arch_lint.rules.syntax_error import SyntaxErrorRule
        from arch_lint.rules.unused_suppression import UnusedSuppression

        # What the per-file steps use, looked up once: an import inside a
        # method runs at every call (microseconds, for every file).
        self._context = FileContext
        self._incomplete = Incomplete
        self._syntax_error = SyntaxErrorRule
        self._unused = UnusedSuppression
        self.settings = settings
        self.index = index
        self._ppi = [
            (matcher([glob]), tuple(codes))
            for glob, codes in settings.model.per_path_ignores.items()
        ]
        self._enabled: dict[str, frozenset[str]] = {}
        sel = settings.selection
        self._selected = frozenset(r.code for r in RULES if sel.enabled(r.code, r.default_on))
        self._partial: ProjectIndex | None = None
        """The index `check_early` asks while the whole one is being built."""
        self._module_files: dict[tuple[str, str | None, str | None], str | None] = {}
        """`import_places`' look-ups."""
        self._import_verdicts: dict[tuple[Any, ...], bool] = {}
        """`import_places`' verdicts on import statements."""

    @property
    def selection_key(self) -> str:
        return selection_key(self.settings.selection, self.index.digest)

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

    def check_early(
        self,
        path: str,
        source: bytes,
        facts: FileFacts,
        tree: ast.Module,
        read: PartialFacts,
        with_keys: bool,
        skip: frozenset[str] = frozenset(),
        model: SemanticModel | None = None,
    ) -> Early:
        """Run the file's tree rules while the index is still being built, so
        that the check does not parse the file again (SPEC §6: a tree lives
        only while its file is being checked), neither for them nor for the
        fingerprints of their findings. (Running the rules of the facts here
        too was measured slower: many need a file not read yet.)

        The rules ask an index over the facts read so far (`read`); a rule that
        needs a file not read yet stops with `Incomplete` and is left to the
        check, as is a rule that raises (the check reports it). What a rule
        finished is final: a file's facts never change once read, the set of
        files is known, and the index's recursive questions answer alike in any
        order (`index.memo`). `with_keys`: also compute the findings'
        fingerprint keys. `skip`: rules an earlier look settled; `model`: the
        semantic model of `tree` an earlier look built (the build kept it with
        the tree). A file that waits leaves its model where `SemanticModel.of`
        finds it, for the build to keep with its tree."""
        FileContext, Incomplete = self._context, self._incomplete
        codes = self.enabled_codes(path)
        skip_all, file_codes = file_noqa(source)
        if skip_all:
            if file_codes is None:  # the check skips the whole file
                return Early(frozenset(), {}, [], set(), {})
            codes = frozenset(c for c in codes if not c.startswith(file_codes))
        if self._partial is None:
            from arch_lint.index.project import ProjectIndex

            self._partial = ProjectIndex(self.index.layout, read)
        ctx = FileContext(path, self.settings, self._partial, facts, source, tree)
        if model is not None:
            ctx.use_model(model)
        done = set()
        gathered: dict[str, Any] = {}
        findings: list[Finding] = []
        used_allow: set[int] = set()
        waiting = False
        for rule_class in file_rules():
            if not rule_class.needs_tree or rule_class.code not in codes:
                continue  # a rule of the facts needs no tree: the check runs it
            if rule_class.code in skip:
                continue
            try:
                rule = rule_class(ctx)
                rule.check()
                if rule_class.applies(self.settings, source) and rule.relevant():
                    if rule_class.gathers:
                        gathered[rule_class.code] = rule.gather(tree)
                    else:
                        rule.check_tree(tree)
            except (Incomplete, Exception) as exc:
                waiting = waiting or isinstance(exc, Incomplete)
                # Left to the check: a question about a file not read yet
                # (`Incomplete`), or a defect (the check meets it again and
                # reports it). What the rule was working out may sit half-done
                # in the rules' shared analyses: the rules after it start from
                # new ones (the semantic model is the tree's alone).
                fresh = FileContext(path, self.settings, self._partial, facts, source, tree)
                if "semantic" in ctx.__dict__:
                    fresh.use_model(ctx.semantic)
                ctx.release(keep_model=True)
                ctx = fresh
                continue
            if rule_class.code not in gathered:
                done.add(rule_class.code)
            findings += ctx.findings
            used_allow |= ctx.used_allow
            ctx.findings, ctx.used_allow = [], set()
        ctx.release(keep_model=waiting)
        keys: dict[Where, FindingKey] = {}
        places: dict[tuple[int, int], FindingKey] = {}
        if with_keys:
            from arch_lint.engine.fingerprint import finding_keys, place_keys

            if findings:
                keys = finding_keys(findings, source, tree)
            if not skip:  # a second look finds the same places
                spots = import_places(
                    self._partial, path, facts, self._module_files, self._import_verdicts
                )
                if spots:
                    places = place_keys(source, tree, spots)
        return Early(frozenset(done), gathered, findings, used_allow, keys, waiting, places)

    def use_index(self, index: ProjectIndex) -> None:
        """The whole index, once built: `check_early`'s partial one is let go."""
        self.index = index
        self._partial = None

    def check_file(
        self,
        path: str,
        source: bytes,
        facts: FileFacts,
        tree: ast.Module | None,
        error: SyntaxProblem | None,
        text: str | None = None,
        early: Early | None = None,
    ) -> FileResult:
        """Raw findings (before `# noqa`) of one file; `early`: what
        `check_early` found (its finished rules are not run again)."""
        FileContext, SyntaxErrorRule = self._context, self._syntax_error
        FILE_RULES = file_rules()
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
        done: frozenset[str] = frozenset()
        if early is not None:
            done = early.done | early.gathered.keys()
            ctx.findings.extend(early.findings)
            ctx.used_allow |= early.used_allow
        for rule in active:
            if rule.code in done:
                if early is not None and rule.code in early.gathered:
                    _guarded(rule, partial(rule.judge, early.gathered[rule.code]), failed)
                continue
            _guarded(rule, rule.check, failed)
        tree_rules = [
            r
            for r in active
            if r.code not in failed
            and r.code not in done
            and type(r).needs_tree
            and type(r).applies(self.settings, source)
            and _guarded(r, r.relevant, failed)
        ]
        if tree_rules:
            if ctx.tree is None:
                ctx.tree, _ = parse(source, path)
            if ctx.tree is not None:
                for rule in tree_rules:
                    _guarded(rule, partial(rule.check_tree, ctx.tree), failed)
        ctx.release()  # the rules' analyses refer back to ctx: let the tree go with it
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
        UnusedSuppression = self._unused
        # No `noqa` in any case (`bytes.lower` is ASCII-only, as `re.IGNORECASE`
        # is for a bytes pattern): no comment suppresses a finding or is unused.
        if b"noqa" not in source.lower():
            return findings
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


def import_places(
    index: ProjectIndex,
    path: str,
    facts: FileFacts,
    memo: dict[tuple[str, str | None, str | None], str | None] | None = None,
    verdicts: dict[tuple[Any, ...], bool] | None = None,
) -> list[tuple[int, int]]:
    """Where the rules of the facts may report on a file once its tree is gone
    (its fingerprint keys are then taken while the tree is at hand): the
    import statements whose module, as written, is a file of another service
    (or of a service, from a file of none), found without following
    re-exports. A finding elsewhere costs its file one more parse. `memo`:
    the files of modules already looked up, by importer's root and service;
    `verdicts`: whether an absolute import is such a place, by what decides
    it (the statement's kind, module and names, the importer's root and
    service: the same imports recur across a service's files)."""
    from arch_lint.index.partial import Incomplete

    layout, modules = index.layout, index.modules
    own = layout.service_of(path)
    root = layout.root_of(path)
    where = (root, own.name if own is not None else None)
    memo = {} if memo is None else memo
    verdicts = {} if verdicts is None else verdicts
    out = []
    for stmt in facts.imports:
        level = stmt.level
        said = None
        if level == 0:
            said = (stmt.kind, stmt.module, stmt.names, root, own)
            verdict = verdicts.get(said)
            if verdict is not None:  # spelled alike in a file placed alike
                if verdict:
                    out.append((stmt.line, stmt.col))
                continue
            names = [stmt.module] if stmt.kind == "from" else [n for n, _ in stmt.names]
            if not any(n and modules.is_module(n.partition(".")[0]) for n in names):
                verdicts[said] = False
                continue  # third-party or the standard library
        try:
            base = modules.absolute(path, level, stmt.module)
            if stmt.kind == "from":
                named = [] if base is None else [base, *(f"{base}.{n}" for n, _ in stmt.names)]
            else:
                named = [name for name, _ in stmt.names]
            files = []
            for name in named:
                key = (name, *where)
                if key not in memo:
                    memo[key] = _longest_module_file(modules, name, path)
                files.append(memo[key])
        except Incomplete:  # not a verdict: a later file may answer
            out.append((stmt.line, stmt.col))
            continue
        verdict = any(f is not None and layout.service_of(f) != own for f in files)
        if said is not None:
            verdicts[said] = verdict
        if verdict:
            out.append((stmt.line, stmt.col))
    return out


def _longest_module_file(modules: ModuleGraph, name: str, importer: str) -> str | None:
    """The file of the longest prefix of a dotted module that is a module."""
    parts = name.split(".")
    for depth in range(len(parts), 0, -1):
        found = modules.file_of(".".join(parts[:depth]), importer)
        if found is not None:
            return found
    return None


def _service_name(index: ProjectIndex, path: str) -> str | None:
    service = index.layout.service_of(path)
    return service.name if service else None


def _syntax_finding(ctx: FileContext, error: SyntaxProblem) -> Finding:
    from arch_lint.rules.syntax_error import SyntaxErrorRule

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


# --- a whole run -------------------------------------------------------------------


class RunResult:
    """What a run found, and what it knew to find it."""

    def __init__(
        self,
        findings: list[Finding],
        checked: list[str],
        digests: dict[str, str],
        cache: Cache,
        notices: list[str],
        built: BuiltIndex | Callable[[], BuiltIndex],
    ) -> None:
        self.findings = findings
        self.checked = checked
        self.digests = digests
        """Path -> content hash of every project file the run saw."""
        self.cache = cache
        """The cache the run read and updated (fingerprints are added to it)."""
        self.notices = notices
        """One line each for what the run left out and why, for stderr."""
        self._built = built

    @property
    def built(self) -> BuiltIndex:
        """The project index; built now when the run answered from the cache alone."""
        if callable(self._built):
            self._built = self._built()
        return self._built


def select_files(settings: Settings, files: Iterable[str], targets: list[Path]) -> list[str]:
    """The project files under `targets` (relative prefixes of the root)."""
    prefixes = []
    for target in targets:
        try:
            rel = target.resolve().relative_to(settings.root).as_posix()
        except ValueError:
            continue
        prefixes.append("" if rel == "." else rel)
    if "" in prefixes:
        return list(files)
    exact = set(prefixes)
    folders = tuple(p + "/" for p in prefixes)
    return [f for f in files if f in exact or f.startswith(folders)]


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
        layout = layout or scan_layout(settings, use_cache=use_cache)
        if use_cache:
            warm = _from_cache(settings, targets, layout, jobs)
            if warm is not None:
                return warm
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


def unchanged_digests(cache: Cache, layout: Layout) -> dict[str, str] | None:
    """Path -> content hash of every listed file (the plain-SQL migrations too:
    they decide table owners), when the listing is the one
    `cache.heads` records and no file changed since (by its stamp, or, for one
    whose stamp moved or that is too recent to trust it, by its content hash);
    else None. Stamps found moved on unchanged content are updated in `heads`."""
    heads = cache.heads
    files = layout.indexed_files
    if not heads or len(heads) != len(files):
        return None
    racy_after = cache.written_ns - RACY_NS
    root = os.path.join(layout.settings.root, "")
    digests: dict[str, str] = {}
    for path in files:
        head = heads.get(path)
        if head is None:
            return None
        full = root + path
        try:
            info = os.stat(full)
        except OSError:
            return None
        stamp = file_stamp(info)
        if stamp != head[2] or info.st_mtime_ns >= racy_after:
            try:
                same = content_hash(read_regular(full)) == head[0]
            except OSError:  # gone, or no longer a regular file
                return None
            if not same:
                return None
            if stamp != head[2]:
                head[2] = stamp
                cache.dirty = True
        digests[path] = head[0]
    return digests


def _from_cache(
    settings: Settings, targets: list[Path], layout: Layout, jobs: int
) -> RunResult | None:
    """The run's result from `index.json` alone, or None when anything it would
    need is not there (then the run builds the index)."""
    cache = Cache(settings.root, facts=False)
    digest = cache.valid_index_digest(settings.fingerprint) if cache.enabled else None
    if digest is None or cache.findings_key != selection_key(settings.selection, digest):
        return None
    digests = unchanged_digests(cache, layout)
    if digests is None:
        return None
    checked = [
        f for f in select_files(settings, layout.files, targets) if not layout.is_excluded(f)
    ]
    findings: list[Finding] = []
    used_allow: set[int] = set()
    for path in checked:
        entry = cache.findings.get(path)
        if entry is None or entry[0] != digests[path]:
            return None
        found = decode_findings(entry[1])
        if found is None:
            return None
        findings.extend(found)
        used_allow.update(entry[2])
    cache.store()  # stamps refreshed on unchanged content, if any
    if _whole_project(settings, targets):
        findings.extend(unused_allow_findings(settings, layout, used_allow))
    findings.sort(key=Finding.sort_key)
    notices = [*layout.notices, *cache.notices]

    def build_index() -> BuiltIndex:
        from arch_lint.index.build import build

        return build(settings, jobs=jobs, layout=layout)

    return RunResult(findings, checked, digests, cache, notices, build_index)


_COMPACT = json.JSONEncoder(separators=(",", ":"))
"""`json.dumps(..., separators=(",", ":"))` without making an encoder per file."""


def encode_findings(findings: list[Finding]) -> str:
    return _COMPACT.encode([f.to_json() for f in findings])


def decode_findings(text: str) -> list[Finding] | None:
    """Findings `encode_findings` wrote; None for a damaged entry."""
    try:
        data = json.loads(text)
        if not isinstance(data, list):
            return None
        return [Finding.from_json(f) for f in data]
    except (ValueError, RecursionError):
        return None


def _run(
    settings: Settings,
    targets: list[Path],
    *,
    jobs: int,
    use_cache: bool,
    layout: Layout,
    fingerprints: bool,
) -> RunResult:
    from arch_lint.engine.fingerprint import fingerprints as fingerprints_of
    from arch_lint.index.build import build
    from arch_lint.index.facts import FileFacts, extract
    from arch_lint.index.partial import Incomplete
    from arch_lint.index.project import ProjectIndex

    engine = Engine(settings, ProjectIndex(layout, {}))  # the whole index comes with the build
    wanted = {f for f in select_files(settings, layout.files, targets) if not engine.is_excluded(f)}
    early: dict[str, Early] = {}
    models: dict[str, SemanticModel] = {}  # the build's, for a look at a tree it kept

    def visit(
        path: str, source: bytes, tree: ast.Module, facts: FileFacts, read: PartialFacts
    ) -> bool:
        if path not in wanted:
            return False
        before = early.get(path)  # a second look: the rules the first one left
        skip = before.settled if before is not None else frozenset()
        # a defect costs only the head start: the check does the file
        with contextlib.suppress(Incomplete, Exception):
            found = engine.check_early(
                path, source, facts, tree, read, fingerprints, skip=skip, model=models.get(path)
            )
            early[path] = before.then(found) if before is not None else found
            return found.waiting
        return False

    built = build(
        settings,
        jobs=jobs,
        use_cache=use_cache,
        layout=layout,
        trees_checked=True,
        visit=visit,
        wanted=wanted.__contains__,
        models=models,
    )
    if not built.visited_whole:
        early.clear()
    index = built.index
    engine.use_index(index)
    checked = [  # `.py` files only: a plain-SQL migration or a compose file gives facts
        f  # and is never checked
        for f in select_files(settings, sorted(built.sources), targets)
        if not engine.is_excluded(f) and f.endswith(".py")
    ]
    cache = built.cache
    key = engine.selection_key
    if set(cache.files) == set(index.facts):
        cache.record_index(settings.fingerprint, index.digest)
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
            cached = decode_findings(entry[1])
            if cached is not None:  # else a damaged entry
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
        ahead = early.pop(path, None)
        result = engine.check_file(path, source, facts, tree, built.errors.get(path), early=ahead)
        if path in built.errors:
            kept = result.findings  # nothing else was checked: no suppression can be judged
        else:
            kept = engine.apply_noqa(path, source, result.findings, result.failed)
        # In report order: the cached fingerprints (below) follow the same order.
        kept = sorted(kept, key=Finding.sort_key)
        findings.extend(kept)
        used_allow |= result.used_allow
        if result.notices:
            notices.extend(result.notices)
            continue  # not cached: the next run tries the rule again
        if cache.enabled:  # else nothing reads them back (the fingerprints, below, are read)
            raw = sorted(result.findings, key=Finding.sort_key)
            cache.findings[path] = [
                src.digest,
                encode_findings(kept),
                sorted(result.used_allow),
                None if raw == kept else encode_findings(raw),
            ]
        if fingerprints and kept:
            tree_of = {path: result.tree} if result.tree is not None else None
            keys = ahead.keys if ahead is not None else None
            places = ahead.places if ahead is not None else None
            prints = fingerprints_of(kept, settings.root, {path: source}, tree_of, keys, places)
            cache.fingerprints[path] = [src.digest, prints]
        cache.dirty = True
    for stale in set(cache.findings) - set(built.sources):
        del cache.findings[stale]
    cache.store()
    if _whole_project(settings, targets):
        findings.extend(unused_allow_findings(settings, layout, used_allow))
    findings.sort(key=Finding.sort_key)
    digests = {path: src.digest for path, src in built.sources.items()}
    return RunResult(findings, checked, digests, cache, notices, built)


def _whole_project(settings: Settings, targets: list[Path]) -> bool:
    return any(t.resolve() == settings.root for t in targets)


def unused_allow_findings(settings: Settings, layout: Layout, used: set[int]) -> list[Finding]:
    """ARC002 for the `allow` entries of the configuration that no import used."""
    if settings.config_path is None or not settings.model.allow:
        return []
    from arch_lint.index.project import ProjectIndex
    from arch_lint.rules.unused_suppression import UnusedSuppression

    engine = Engine(settings, ProjectIndex(layout, {}))
    if UnusedSuppression.code not in engine.enabled_codes(""):
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
