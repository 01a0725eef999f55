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
from typing import Any, ClassVar

from arch_lint import __version__
from arch_lint.config import ConfigError, Settings, load_settings
from arch_lint.config.load import find_config
from arch_lint.engine.fingerprint import fingerprints
from arch_lint.engine.run import Engine
from arch_lint.index.build import BuiltIndex, build, content_hash
from arch_lint.index.facts import extract
from arch_lint.index.layout import Layout
from arch_lint.report import baseline
from arch_lint.report.baseline import Baseline
from arch_lint.rules.configuration_matches_nothing import ConfigurationMatchesNothing

Report = tuple[int, int, str, type[Any]]


@dataclass
class _State:
    settings: Settings
    built: BuiltIndex
    engine: Engine
    baseline: Baseline | None = None
    """The configured baseline (`baseline` key), when its file exists."""
    folders: dict[str, str | None] = field(default_factory=dict)

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
    pyproject that may be ours counts, so that its error is shown)."""
    try:
        return find_config(start) is not None
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
        layout = Layout.scan(settings)
        if layout.problems:
            problem = layout.problems[0]
            _fail(
                f"{ConfigurationMatchesNothing.code} "
                + ConfigurationMatchesNothing.message.format(
                    key=problem.key, problem=problem.message
                )
            )
        built = build(settings, layout=layout)
        built.cache.store()
        index = built.index
        _ = index.digest  # compute shared state before flake8 forks its workers
        for path in index.facts:
            index.module_of(path)
        state = _State(settings, built, Engine(settings, index), _load_baseline(settings))
        # The index lives as long as the process: keep the collector from walking
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
        engine = state.engine
        if engine.is_excluded(path):
            return
        text = "".join(self.lines)
        source = text.encode("utf-8", "surrogatepass")
        indexed = state.built.sources.get(path)
        facts = engine.index.facts.get(path)
        if facts is None or indexed is None or indexed.digest != content_hash(source):
            # an unsaved buffer, or a file not indexed
            facts = extract(tree, source, state.settings.model.models.envelope_class)
        result = engine.check_file(path, source, facts, tree, None, text)
        for notice in result.notices:
            _notice(notice)
        findings = result.findings
        if state.baseline is not None and findings:
            # as `arch-lint check` does; stale entries are the CLI's to count
            prints = fingerprints(
                findings, state.settings.root, sources={path: source}, trees={path: tree}
            )
            findings, _ = baseline.filter(findings, prints, state.baseline, lambda p, c: False)
        for finding in findings:
            yield (
                finding.line,
                finding.column - 1,
                f"{finding.code} {finding.message}",
                type(self),
            )
