"""The flake8 plugin: thin and report-only.

It gives exactly the CLI's findings for a file (flake8 then applies its own
`# noqa`, `--select`, `per-file-ignores` and output formats). The project index
is built once per process — in `parse_options`, which runs in flake8's main
process before it forks its workers, so they inherit it — from the same
on-disk cache the CLI uses.

Safe to install anywhere (SPEC §3): in a project without a `[tool.arch_lint]`
table (and no `--arch-lint-config`) the plugin is inactive, so a shared
virtualenv or a pipx-installed flake8 lints other projects as before. A buffer
read from stdin is judged as the file named by `--stdin-display-name`: the
configuration search starts there, and its path places it in the project.
"""

from __future__ import annotations

import ast
import gc
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from arch_lint import __version__
from arch_lint.config import ConfigError, Settings, cached, load_settings
from arch_lint.config.load import find_config
from arch_lint.config.model import register_code_check_loader
from arch_lint.engine.run import (
    decode_findings,
    select_files,
    selection_key,
    unchanged_digests,
)
from arch_lint.findings import Finding
from arch_lint.index.cache import Cache, content_hash, scan_layout
from arch_lint.index.layout import Layout
from arch_lint.report import baseline
from arch_lint.report.baseline import Baseline

if TYPE_CHECKING:
    from arch_lint.engine.run import Engine
    from arch_lint.index.build import BuiltIndex

Report = tuple[int, int, str, type[Any]]


def _load_rules() -> object:
    import arch_lint.rules

    return arch_lint.rules


register_code_check_loader(_load_rules)


@dataclass
class _State:
    settings: Settings
    layout: Layout
    cache: Cache
    """The findings the CLI cached (the whole index's files when `built` is set)."""
    key: str | None
    """The key cached findings must have to hold for this run, when known."""
    built: BuiltIndex | None = None
    """The project index, built in flake8's main process unless every file to
    check had its findings cached (then a worker builds it only if it needs it)."""
    baseline: Baseline | None = None
    """The configured baseline (`baseline` key), when its file exists."""
    folders: dict[str, str | None] = field(default_factory=dict)
    _engine: Engine | None = None

    def relative(self, filename: str) -> str | None:
        """The project-relative posix path of a file flake8 names, or None outside
        the project (folders are resolved once each, not once per file)."""
        folder, name = os.path.split(filename)
        if folder not in self.folders:
            try:
                rel = Path(folder or ".").resolve().relative_to(self.settings.root).as_posix()
                self.folders[folder] = "" if rel == "." else rel
            except ValueError:
                self.folders[folder] = None
        rel_folder = self.folders[folder]
        if rel_folder is None:
            return None
        return f"{rel_folder}/{name}" if rel_folder else name

    def cached(self, path: str, digest: str) -> list[Finding] | None:
        """The rules' findings (before `# noqa`: flake8 applies its own) that a
        check of exactly this content recorded under this run's key, else None."""
        entry = self.cache.findings.get(path)
        if self.key is None or self.cache.findings_key != self.key or entry is None:
            return None
        if entry[0] != digest:
            return None
        return decode_findings(entry[3] if entry[3] is not None else entry[1])

    def engine(self) -> Engine:
        if self._engine is None:
            from arch_lint.engine.run import Engine
            from arch_lint.index.build import build

            if self.built is None:
                self.built = build(self.settings, layout=self.layout)
            self._engine = Engine(self.settings, self.built.index)
        return self._engine


def _arc_selected(options: Any) -> bool:
    """Whether flake8's own selection can let any ARC code through."""
    select = list(getattr(options, "select", None) or [])
    if not select:
        return True
    extended = list(getattr(options, "extend_select", None) or [])
    return any("ARC".startswith(s) or s.startswith("ARC") for s in [*select, *extended])


def _start_path(options: Any) -> Path:
    """Where the configuration search starts: the first path flake8 checks,
    where stdin (`-`) stands for the file named by `--stdin-display-name`."""
    display = getattr(options, "stdin_display_name", None)
    for name in getattr(options, "filenames", None) or []:
        if name != "-":
            return Path(name)
        if display and display != "stdin":
            return Path(display)
    return Path(".")


def _has_table_above(start: Path) -> bool:
    """Whether a `[tool.arch_lint]` table is found above `start` (a broken
    pyproject that may be ours counts, so that its error is shown); a file whose
    validated configuration is cached is known to hold one without parsing it."""
    try:
        return (
            find_config(start, lambda path, raw: cached.lookup(path, raw) is not None) is not None
        )
    except OSError:
        return False


def _load_baseline(settings: Settings) -> Baseline | None:
    path = settings.root / settings.model.baseline
    if not path.is_file():
        return None
    try:
        return baseline.load(path)
    except baseline.BaselineError as exc:
        _fail(str(exc))
        raise  # unreachable: _fail exits


def _notice(message: str) -> None:
    """One line on stderr; flake8 goes on."""
    print(f"flake8-arch-lint: {message}", file=sys.stderr)


def _fail(message: str) -> None:
    print(f"flake8-arch-lint: {message}", file=sys.stderr)
    raise SystemExit(2)


class ArchLintPlugin:
    """flake8 entry point for the `ARC` codes."""

    name = "flake8-arch-lint"
    version = __version__

    _config: ClassVar[Path | None] = None
    _start: ClassVar[Path] = Path(".")
    _targets: ClassVar[list[Path]] = []
    """The paths flake8 checks (stdin left out)."""
    _state: ClassVar[_State | None] = None
    _enabled: ClassVar[bool] = True

    def __init__(self, tree: ast.AST, filename: str, lines: list[str]) -> None:
        self.tree = tree
        self.filename = filename
        self.lines = lines

    @classmethod
    def add_options(cls, parser: Any) -> None:
        parser.add_option(
            "--arch-lint-config",
            default=None,
            parse_from_config=True,
            help="TOML file with the [tool.arch_lint] table (default: the nearest pyproject.toml)",
        )

    @classmethod
    def parse_options(cls, options: Any) -> None:
        config = getattr(options, "arch_lint_config", None)
        cls._config = Path(config) if config else None
        cls._start = _start_path(options)
        cls._targets = [Path(n) for n in getattr(options, "filenames", None) or [] if n != "-"]
        cls._enabled = _arc_selected(options) and (
            cls._config is not None or _has_table_above(cls._start)
        )
        cls._state = None
        if cls._enabled:
            cls._state = cls._load_or_disable()

    @classmethod
    def _load_or_disable(cls) -> _State | None:
        """The project state; a defect of arch-lint's while building it costs
        only the ARC reports of this run, with one line saying so, never
        flake8's own (E/F/W) results."""
        try:
            return cls._load()
        except (SystemExit, KeyboardInterrupt):
            raise
        except BaseException as exc:  # MemoryError and RecursionError too
            _notice(f"internal error, no ARC checks in this run: {type(exc).__name__}: {exc}")
            cls._enabled = False
            return None

    @classmethod
    def _load(cls) -> _State:
        try:
            settings = load_settings(cls._config, cls._start)
        except ConfigError as exc:
            _fail("\n".join(exc.lines()))
            raise  # unreachable: _fail exits
        layout = scan_layout(settings)
        if layout.problems:
            from arch_lint.rules.configuration_matches_nothing import ConfigurationMatchesNothing

            problem = layout.problems[0]
            _fail(
                f"{ConfigurationMatchesNothing.code} "
                + ConfigurationMatchesNothing.message.format(
                    key=problem.key, problem=problem.message
                )
            )
        state = _warm_state(settings, layout, cls._targets) or _built_state(settings, layout)
        state.baseline = _load_baseline(settings)
        # The state lives as long as the process: keep the collector from walking
        # it in every forked worker (and from copying its pages by touching them).
        gc.collect()
        gc.freeze()
        return state

    @classmethod
    def _get_state(cls) -> _State | None:
        if cls._state is None and cls._enabled:
            cls._state = cls._load_or_disable()
        return cls._state

    def run(self) -> Iterator[Report]:
        if (
            not self._enabled
            or self.filename in {"stdin", "-"}
            or not isinstance(self.tree, ast.Module)
        ):
            return
        try:
            reports = list(self._reports())
        except (SystemExit, KeyboardInterrupt):
            raise
        except BaseException as exc:
            _notice(f"{self.filename}: internal error: {type(exc).__name__}: {exc}")
            return
        yield from reports

    def _reports(self) -> Iterator[Report]:
        state = self._get_state()
        tree = self.tree
        if state is None or not isinstance(tree, ast.Module):
            return
        path = state.relative(self.filename)
        if path is None:
            return  # outside the project: not ours to judge
        if state.layout.is_excluded(path):
            return
        text = "".join(self.lines)
        source = text.encode("utf-8", "surrogatepass")
        digest = content_hash(source)
        findings = state.cached(path, digest)
        if findings is None:
            findings = self._check(state, path, source, digest, text)
        if state.baseline is not None and findings:
            # as `arch-lint check` does; stale entries are the CLI's to count
            prints = _fingerprints(state, path, digest, findings, source, tree)
            findings, _ = baseline.filter(findings, prints, state.baseline, lambda p, c: False)
        for finding in findings:
            yield (
                finding.line,
                finding.column - 1,
                f"{finding.code} {finding.message}",
                type(self),
            )

    def _check(
        self, state: _State, path: str, source: bytes, digest: str, text: str
    ) -> list[Finding]:
        """The rules' findings on the buffer flake8 read."""
        from arch_lint.index.facts import extract

        engine = state.engine()
        assert state.built is not None
        tree = self.tree
        assert isinstance(tree, ast.Module)
        indexed = state.built.sources.get(path)
        facts = engine.index.facts.get(path)
        if facts is None or indexed is None or indexed.digest != digest:
            # an unsaved buffer, or a file not indexed
            facts = extract(tree, source, state.settings.model.models.envelope_class)
        result = engine.check_file(path, source, facts, tree, None, text)
        for notice in result.notices:
            _notice(notice)
        return result.findings


def _fingerprints(
    state: _State, path: str, digest: str, findings: list[Finding], source: bytes, tree: Any
) -> list[str]:
    """The findings' fingerprints: cached with the CLI's findings of this very
    content when those are these findings, else computed on flake8's tree."""
    entry = state.cache.fingerprints.get(path)
    found = state.cache.findings.get(path)
    if (
        entry is not None
        and found is not None
        and found[3] is None  # no noqa comment at work: the fingerprinted findings are these
        and entry[0] == digest == found[0]
        and len(entry[1]) == len(findings)
        and state.key is not None
        and state.cache.findings_key == state.key
    ):
        return list(entry[1])
    from arch_lint.engine.fingerprint import fingerprints

    return fingerprints(findings, state.settings.root, sources={path: source}, trees={path: tree})


def _warm_state(settings: Settings, layout: Layout, targets: list[Path]) -> _State | None:
    """The state without the project index, when no file changed since the cache
    was written and every project file under `targets` (what flake8 checks) has
    its findings there."""
    cache = Cache(settings.root, facts=False)
    digest = cache.valid_index_digest(settings.fingerprint) if cache.enabled else None
    if digest is None:
        return None
    key = selection_key(settings.selection, digest)
    if cache.findings_key != key:
        return None
    digests = unchanged_digests(cache, layout)
    if digests is None:
        return None
    for path in select_files(settings, layout.files, targets or [Path(".")]):
        entry = cache.findings.get(path)
        if (entry is None or entry[0] != digests[path]) and not layout.is_excluded(path):
            return None
    cache.store()  # stamps refreshed on unchanged content, if any
    return _State(settings, layout, cache, key)


def _built_state(settings: Settings, layout: Layout) -> _State:
    """The state with the project index, built before flake8 forks its workers."""
    from arch_lint.engine.run import Engine
    from arch_lint.index.build import build

    built = build(settings, layout=layout)
    built.cache.store()
    index = built.index
    _ = index.digest  # compute shared state before flake8 forks its workers
    for path in index.facts:
        index.modules.module_of(path)
    engine = Engine(settings, index)
    state = _State(settings, layout, built.cache, engine.selection_key, built)
    state._engine = engine
    return state
