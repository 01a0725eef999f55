"""`arch-lint server`: the language server (LSP over stdio, on pygls).

What an editor gets:
- diagnostics for open files on open, on change (debounced; the unsaved
  buffer is what is checked) and on save, the findings `arch-lint check`
  reports for the same content (`live.LiveProject`); when a change makes the
  project index anew (a fact changed: a file became data layer, say), every
  open file of the project is checked again;
- per diagnostic, code actions: the rule's fix (a safe one is the preferred
  quick fix, an unsafe one says "(unsafe)" in its title), "suppress with
  `# noqa: ARCxxx`" (merged into an existing `# noqa`, as `--add-noqa` does),
  and "fix all safe fixes in this file" (also as a `source.fixAll` action);
- `code` = the rule code, `source` = `arch-lint`, `codeDescription.href` =
  the rule's documentation (the JSON report's `url`);
- a configuration error as a diagnostic on `pyproject.toml` and one message,
  never a dead server: the project is loaded again when the file changes.

The whole-project index is kept warm in the process and follows the files as
they change on disk (the server asks the client to watch `*.py`, `*.sql` and
`pyproject.toml` files) or in the editor; it is built from, and written back
to, the on-disk cache the CLI uses.

All project work runs on one worker thread, in the order it arrived; the
protocol's event loop stays free to take the editor's messages meanwhile.
A file without a `[tool.arch_lint]` table above it is left alone (as the
flake8 plugin leaves it), said once in the log.

Positions: arch-lint's columns are 1-based characters with an exclusive end;
LSP's are 0-based in the code units of the negotiated position encoding
(UTF-16 unless the client offers another): converted line by line.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import os
import re
import sys
import traceback
from collections.abc import Callable, Coroutine, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

from lsprotocol import types as lsp
from pygls.lsp.server import LanguageServer
from pygls.uris import to_fs_path

from arch_lint import __version__
from arch_lint.adapters.live import Checked, LiveProject
from arch_lint.config import ConfigError, Settings, load_project
from arch_lint.config.load import find_config, key_line
from arch_lint.config.model import register_code_check_loader
from arch_lint.findings import Finding
from arch_lint.index.cache import CACHE_DIR, content_hash
from arch_lint.index.layout import is_compose_file
from arch_lint.report.rules import rule_url
from arch_lint.source import line_starts, source_lines

T = TypeVar("T")

SOURCE = "arch-lint"
DEBOUNCE_S = 0.2
"""How long typing must pause before a changed buffer is checked."""
STORE_AFTER_S = 5.0
"""How long after the last change on disk the cache is written."""
FIX_ALL_KIND = f"{lsp.CodeActionKind.SourceFixAll.value}.{SOURCE}"
WATCHED = (
    "**/*.py",
    "**/*.sql",
    "**/pyproject.toml",
    "**/docker-compose*.y*ml",
    "**/compose*.y*ml",
)
"""The files whose changes on disk the client reports: what the index reads
(Python, plain-SQL migrations, docker-compose files for the HTTP map's URLs)
and the configuration."""
ERROR_CODES = frozenset({"ARC000", "ARC001"})
"""A configuration key that matches nothing and a syntax error: errors; the rest warnings."""

log = logging.getLogger("arch_lint.server")


def _load_rules() -> object:
    import arch_lint.rules

    return arch_lint.rules


register_code_check_loader(_load_rules)


# --- positions ------------------------------------------------------------------------------


def _units(text: str, encoding: str) -> int:
    """The length of `text` in the code units of a position encoding."""
    if encoding == lsp.PositionEncodingKind.Utf8:
        return len(text.encode("utf-8", "surrogatepass"))
    if encoding == lsp.PositionEncodingKind.Utf32:
        return len(text)
    if text.isascii():
        return len(text)
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def _chars(text: str, units: int, encoding: str) -> int:
    """The character offset in `text` (one line) of a position in code units."""
    if encoding == lsp.PositionEncodingKind.Utf32 or text.isascii():
        return min(units, len(text))
    count = 0
    for i, char in enumerate(text):
        if count >= units:
            return i
        count += _units(char, encoding)
    return len(text)


class Lines:
    """A text's lines as LSP and Python's tokenizer both count them (`\\r\\n`,
    `\\r`, `\\n`), and its positions in both measures."""

    def __init__(self, text: str, encoding: str) -> None:
        self.text = text
        self.encoding = encoding
        self.lines = source_lines(text)
        self.starts = line_starts(text)

    def position(self, line: int, column: int) -> lsp.Position:
        """arch-lint's (1-based line, 1-based character column) -> LSP's."""
        if line < 1:
            return lsp.Position(line=0, character=0)
        if line > len(self.lines):
            last = len(self.lines) - 1
            return lsp.Position(line=last, character=_units(self.lines[last], self.encoding))
        text = self.lines[line - 1]
        chars = min(max(column - 1, 0), len(text))
        return lsp.Position(line=line - 1, character=_units(text[:chars], self.encoding))

    def range(self, f: Finding) -> lsp.Range:
        start = self.position(f.line, f.column)
        end = self.position(f.end_line, f.end_column)
        if (end.line, end.character) < (start.line, start.character):
            end = start
        return lsp.Range(start=start, end=end)

    def at_offset(self, offset: int) -> lsp.Position:
        """The LSP position of a character offset in the text."""
        from bisect import bisect_right

        line = max(bisect_right(self.starts, offset) - 1, 0)
        return self.position(line + 1, offset - self.starts[line] + 1)

    def line_of(self, position: lsp.Position) -> int:
        """The 1-based line of an LSP position."""
        return position.line + 1

    def edit_to(self, new: str) -> lsp.TextEdit:
        """One edit that turns the text into `new`: the lines between their
        common head and tail replaced (a line break is never split)."""
        old = self.text
        new_starts = line_starts(new)
        old_lines = _pieces(old, self.starts)
        new_lines = _pieces(new, new_starts)
        head = 0
        while (
            head < len(old_lines) and head < len(new_lines) and old_lines[head] == new_lines[head]
        ):
            head += 1
        tail = 0
        while (
            tail < len(old_lines) - head
            and tail < len(new_lines) - head
            and old_lines[-1 - tail] == new_lines[-1 - tail]
        ):
            tail += 1
        start = sum(map(len, old_lines[:head]))
        end = len(old) - sum(map(len, old_lines[len(old_lines) - tail :])) if tail else len(old)
        new_end = len(new) - sum(map(len, new_lines[len(new_lines) - tail :])) if tail else len(new)
        return lsp.TextEdit(
            range=lsp.Range(start=self.at_offset(start), end=self.at_offset(end)),
            new_text=new[start:new_end],
        )


def _pieces(text: str, starts: list[int]) -> list[str]:
    """The text's lines with their line breaks."""
    return [text[a:b] for a, b in zip(starts, [*starts[1:], len(text)], strict=True)]


# --- what the client can take -------------------------------------------------------------


@dataclass(frozen=True)
class ClientCaps:
    encoding: str = lsp.PositionEncodingKind.Utf16.value
    code_description: bool = False
    tags: bool = False
    preferred: bool = False
    document_changes: bool = False
    watch: bool = False
    """The client watches files for the server when asked (dynamic registration)."""

    @classmethod
    def of(cls, caps: lsp.ClientCapabilities, encoding: str | None) -> ClientCaps:
        text = caps.text_document
        diagnostics = text.publish_diagnostics if text else None
        action = text.code_action if text else None
        workspace = caps.workspace
        edit = workspace.workspace_edit if workspace else None
        watched = workspace.did_change_watched_files if workspace else None
        tag_support = diagnostics.tag_support if diagnostics else None
        return cls(
            encoding=str(encoding or lsp.PositionEncodingKind.Utf16.value),
            code_description=bool(diagnostics and diagnostics.code_description_support),
            tags=bool(
                tag_support and lsp.DiagnosticTag.Unnecessary in (tag_support.value_set or [])
            ),
            preferred=bool(action and action.is_preferred_support),
            document_changes=bool(edit and edit.document_changes),
            watch=bool(watched and watched.dynamic_registration),
        )


# --- the session: projects and open documents, on the worker thread -------------------------


@dataclass
class Doc:
    uri: str
    path: Path
    text: str
    version: int | None
    config: Path | None = None
    """The configuration file of the project the document belongs to, if any."""


@dataclass
class Broken:
    """A project whose configuration cannot be used (until its file changes)."""

    config: Path
    stamp: tuple[int, int] | None
    problems: list[tuple[int, str]]
    """(1-based line or 0, message)."""


@dataclass
class Loaded:
    config: Path
    stamp: tuple[int, int] | None
    project: LiveProject


@dataclass
class Outcome:
    """What a piece of work has the protocol side send."""

    publish: list[tuple[str, int | None, list[lsp.Diagnostic]]] = field(default_factory=list)
    show: list[tuple[lsp.MessageType, str]] = field(default_factory=list)
    log: list[tuple[lsp.MessageType, str]] = field(default_factory=list)
    store_soon: bool = False


_LINE_PREFIX = re.compile(r"^(\d+):\s*")
_TOML_AT = re.compile(r"\(at line (\d+), column (\d+)\)")


def _stamp(path: Path) -> tuple[int, int] | None:
    try:
        info = os.stat(path)
    except OSError:
        return None
    return info.st_mtime_ns, info.st_size


class Session:
    """The projects the open documents belong to, kept warm; every method runs
    on the worker thread."""

    def __init__(self, caps: ClientCaps) -> None:
        self.caps = caps
        self.projects: dict[Path, Loaded | Broken] = {}
        self.config_of: dict[Path, Path | None] = {}
        """Folder -> the configuration file above it (None: no table)."""
        self.docs: dict[str, Doc] = {}
        self.results: dict[str, Checked] = {}
        """Uri -> the findings last published for it (code actions come from them)."""
        self.config_diagnostics: set[Path] = set()
        """Configuration files that have diagnostics of ours published."""
        self.said: set[str] = set()
        self._fixes: dict[tuple[str, str], bytes | str] = {}
        """(uri, key) -> a fixed source or why not, for the text last checked."""

    def run(self, step: Callable[[Session], T]) -> T:
        """One piece of work, the cyclic collector paused as `arch-lint check`
        pauses it: syntax trees and facts have no cycles, and a collection in
        the middle of a check would walk the whole warm index for nothing."""
        was_enabled = gc.isenabled()
        gc.disable()
        try:
            return step(self)
        finally:
            if was_enabled:
                gc.enable()

    # --- documents ---

    def open(self, uri: str, text: str, version: int | None) -> Outcome:
        out = Outcome()
        path = _path_of(uri)
        if path is None:
            return out
        doc = Doc(uri, path, text, version)
        self.docs[uri] = doc
        if _checkable(path):  # `pyproject.toml`'s diagnostics come with its project
            self._update(doc, out)
        return out

    def change(self, uri: str, text: str, version: int | None) -> Outcome:
        out = Outcome()
        doc = self.docs.get(uri)
        if doc is None:
            return self.open(uri, text, version)
        doc.text, doc.version = text, version
        if _checkable(doc.path):
            self._update(doc, out)
        return out

    def save(self, uri: str, text: str, version: int | None) -> Outcome:
        """Saved: the buffer is checked, and its file is read again from disk
        (for clients that do not watch files)."""
        out = self.change(uri, text, version)
        doc = self.docs.get(uri)
        if doc is not None:
            self._disk_changes([(doc.path, True)], out)
        return out

    def close(self, uri: str) -> Outcome:
        out = Outcome()
        doc = self.docs.pop(uri, None)
        self.results.pop(uri, None)
        if doc is None:
            return out
        out.publish.append((uri, None, []))
        loaded = self._loaded(doc.config)
        if loaded is not None:
            rel = loaded.project.relative(doc.path)
            if rel is not None:
                before = loaded.project.generation
                self._guard(out, f"closing {rel}", partial(loaded.project.drop_buffer, rel))
                if loaded.project.generation != before:
                    self._recheck(loaded, out, skip=None)
        return out

    def watched(self, changes: Sequence[tuple[str, lsp.FileChangeType]]) -> Outcome:
        out = Outcome()
        paths = [
            (path, kind != lsp.FileChangeType.Changed)
            for uri, kind in changes
            if (path := _path_of(uri)) is not None
        ]
        self._disk_changes(paths, out)
        return out

    def _disk_changes(self, paths: Sequence[tuple[Path, bool]], out: Outcome) -> None:
        """Files written, created or deleted (`True`: created or deleted, or not
        known to be neither)."""
        configs = {p.resolve() for p, _ in paths if p.name == "pyproject.toml"}
        if configs:
            self._configs_changed(configs, out)
        by_project: dict[Path, list[str]] = {}
        for path, listing in paths:
            if CACHE_DIR in path.parts or not (
                path.suffix in {".py", ".sql"} or is_compose_file(path.name)
            ):
                continue
            for config, entry in self.projects.items():
                if isinstance(entry, Loaded):
                    rel = entry.project.relative(path)
                    if rel is not None and (listing or rel in entry.project.facts):
                        by_project.setdefault(config, []).append(rel)
        for config, rels in by_project.items():
            loaded = self._loaded(config)
            if loaded is not None:
                self._files_changed(loaded, rels, out)

    def _files_changed(self, loaded: Loaded, rels: list[str], out: Outcome) -> None:
        project = loaded.project
        before = project.generation
        had_problems = bool(project.problems)
        self._guard(out, "reading changed files", partial(project.files_changed, rels))
        self._drain(project, out)
        out.store_soon = True
        if project.problems or had_problems:
            self._publish_config(loaded, out)
        if project.generation != before or bool(project.problems) != had_problems:
            self._recheck(loaded, out, skip=None)

    def _configs_changed(self, configs: set[Path], out: Outcome) -> None:
        """`pyproject.toml` files written, created or deleted: the projects
        they configure are loaded again, and a document whose nearest table
        is now another one moves to that project."""
        self.config_of.clear()  # a table may have appeared or gone anywhere
        for config in configs:
            entry = self.projects.get(config)
            if entry is None:
                continue
            if not config.is_file():  # deleted: its project is no more
                del self.projects[config]
                if config in self.config_diagnostics:
                    self.config_diagnostics.discard(config)
                    out.publish.append((config.as_uri(), None, []))
            elif entry.stamp != _stamp(config):
                self._reload(config, out)
        for doc in list(self.docs.values()):
            if _checkable(doc.path) and self._config_for(doc.path) != doc.config:
                self._update(doc, out)

    # --- projects ---

    def _config_for(self, path: Path) -> Path | None:
        folder = path.parent
        if folder not in self.config_of:
            try:
                found = find_config(folder)
            except OSError:
                found = None
            self.config_of[folder] = found.resolve() if found is not None else None
        return self.config_of[folder]

    def _loaded(self, config: Path | None) -> Loaded | None:
        entry = self.projects.get(config) if config is not None else None
        return entry if isinstance(entry, Loaded) else None

    def _project_for(self, doc: Doc, out: Outcome) -> tuple[Loaded | None, bool]:
        """The document's project, and whether it was (re)loaded just now (its
        open documents, this one included, are checked then)."""
        config = self._config_for(doc.path)
        doc.config = config
        if config is None:
            folder = doc.path.parent
            self._say_once(
                out,
                f"noconfig:{folder}",
                lsp.MessageType.Info,
                f"no [tool.arch_lint] table above {folder}: files there are not checked "
                "(`arch-lint init` writes one)",
                show=False,
            )
            return None, False
        entry = self.projects.get(config)
        fresh = entry is None or entry.stamp != _stamp(config)
        if fresh:
            entry = self._reload(config, out)
        return (entry, fresh) if isinstance(entry, Loaded) else (None, fresh)

    def _reload(self, config: Path, out: Outcome) -> Loaded | Broken:
        """Load the project of `config` (again), its open documents with it."""
        old = self.projects.get(config)
        if isinstance(old, Loaded):
            with contextlib.suppress(Exception):
                old.project.store()
        stamp = _stamp(config)
        entry: Loaded | Broken
        try:
            found = load_project(config, config.parent)
            assert isinstance(found, Settings)  # an explicit file has a table or raises
            project = LiveProject(found)
            entry = Loaded(config, stamp, project)
        except ConfigError as exc:
            entry = Broken(config, stamp, _config_problems(exc))
        except Exception as exc:
            out.log.append((lsp.MessageType.Error, _internal(f"loading {config}", exc)))
            entry = Broken(config, stamp, [(0, f"internal error: {type(exc).__name__}: {exc}")])
        self.projects[config] = entry
        gc.freeze()  # what the build allocated stays: the collector need not walk it
        if isinstance(entry, Broken):
            self._publish_config(entry, out)
            self._say_once(
                out,
                f"broken:{config}:{entry.problems}",
                lsp.MessageType.Error,
                f"{_shown(config)}: the [tool.arch_lint] configuration has errors; "
                "nothing is checked until they are fixed (see its diagnostics)",
            )
            for doc in self.docs.values():
                if doc.config == config:
                    self.results.pop(doc.uri, None)
                    out.publish.append((doc.uri, doc.version, []))
            return entry
        self._drain(entry.project, out)
        self._publish_config(entry, out)
        for doc in self.docs.values():
            if doc.config == config and _checkable(doc.path):
                rel = entry.project.relative(doc.path)
                if rel is not None:
                    self._guard(out, rel, partial(entry.project.set_buffer, rel, doc.text))
        self._recheck(entry, out, skip=None)
        return entry

    # --- checking ---

    def _update(self, doc: Doc, out: Outcome) -> None:
        """The document's buffer changed (or it was opened): check it, and the
        project's other open documents when the index was made anew."""
        old_config = doc.config
        loaded, fresh = self._project_for(doc, out)
        if old_config is not None and old_config != doc.config:
            old = self._loaded(old_config)
            rel_old = old.project.relative(doc.path) if old is not None else None
            if old is not None and rel_old is not None:
                before = old.project.generation
                self._guard(out, rel_old, partial(old.project.drop_buffer, rel_old))
                if old.project.generation != before:
                    self._recheck(old, out, skip=doc.uri)
        if fresh:
            return  # loaded with its project
        if loaded is None:
            self.results.pop(doc.uri, None)
            out.publish.append((doc.uri, doc.version, []))
            return
        project = loaded.project
        rel = project.relative(doc.path)
        if rel is None:
            out.publish.append((doc.uri, doc.version, []))
            return
        before = project.generation
        if self._guard(out, rel, partial(project.set_buffer, rel, doc.text)) is _FAILED:
            return
        self._publish_doc(loaded, doc, out)
        if project.generation != before:
            self._recheck(loaded, out, skip=doc.uri)

    def _recheck(self, loaded: Loaded, out: Outcome, skip: str | None) -> None:
        for doc in list(self.docs.values()):
            same = doc.uri != skip and doc.config == loaded.config
            if same and _checkable(doc.path):
                self._publish_doc(loaded, doc, out)

    def _publish_doc(self, loaded: Loaded, doc: Doc, out: Outcome) -> None:
        project = loaded.project
        rel = project.relative(doc.path)
        if rel is None or project.problems:  # `check` checks nothing then
            self.results.pop(doc.uri, None)
            out.publish.append((doc.uri, doc.version, []))
            return
        checked = self._guard(out, rel, partial(project.check, rel))
        if checked is _FAILED:
            return  # what was published last stays
        self._drain(project, out)
        if not isinstance(checked, Checked):
            self.results.pop(doc.uri, None)
            out.publish.append((doc.uri, doc.version, []))
            return
        for notice in checked.notices:
            out.log.append((lsp.MessageType.Warning, notice))
        self.results[doc.uri] = checked
        lines = Lines(checked.text, self.caps.encoding)
        out.publish.append(
            (doc.uri, doc.version, [self.diagnostic(f, lines) for f in checked.findings])
        )

    def diagnostic(self, f: Finding, lines: Lines) -> lsp.Diagnostic:
        unnecessary = f.code == "ARC002" and self.caps.tags
        return lsp.Diagnostic(
            range=lines.range(f),
            message=f.message,
            severity=(
                lsp.DiagnosticSeverity.Error
                if f.code in ERROR_CODES
                else lsp.DiagnosticSeverity.Warning
            ),
            code=f.code,
            code_description=(
                lsp.CodeDescription(href=rule_url(f.code, f.name))
                if self.caps.code_description
                else None
            ),
            source=SOURCE,
            tags=[lsp.DiagnosticTag.Unnecessary] if unnecessary else None,
        )

    def _publish_config(self, entry: Loaded | Broken, out: Outcome) -> None:
        """The configuration's own diagnostics: its errors, or ARC000 (a key
        that matches nothing), on `pyproject.toml`."""
        config = entry.config
        diagnostics: list[lsp.Diagnostic] = []
        code: str | None = None
        if isinstance(entry, Broken):
            problems = entry.problems
        elif entry.project.problems:
            from arch_lint.rules.configuration_matches_nothing import (
                ConfigurationMatchesNothing as Rule,
            )

            text = entry.project.settings.config_text
            code = Rule.code
            problems = [
                (
                    key_line(text, _key_path(p.key)) if text else 0,
                    Rule.message.format(key=p.key, problem=p.message),
                )
                for p in entry.project.problems
            ]
            self._say_once(
                out,
                f"arc000:{config}:{problems}",
                lsp.MessageType.Error,
                f"{_shown(config)}: a configuration key matches nothing ({code}); "
                "nothing is checked until it is fixed (see its diagnostics)",
            )
        else:
            problems = []
        try:
            config_text = config.read_text(encoding="utf-8", errors="replace")
        except OSError:
            config_text = ""
        lines = source_lines(config_text)
        for line, message in problems:
            row = min(max(line, 1), max(len(lines), 1)) - 1
            width = len(lines[row]) if row < len(lines) else 0
            end = lsp.Position(line=row, character=_units(lines[row][:width], self.caps.encoding))
            diagnostics.append(
                lsp.Diagnostic(
                    range=lsp.Range(start=lsp.Position(line=row, character=0), end=end),
                    message=message,
                    severity=lsp.DiagnosticSeverity.Error,
                    code=code,
                    code_description=(
                        lsp.CodeDescription(href=rule_url(code))
                        if code and self.caps.code_description
                        else None
                    ),
                    source=SOURCE,
                )
            )
        if diagnostics or config in self.config_diagnostics:
            out.publish.append((config.as_uri(), None, diagnostics))
        if diagnostics:
            self.config_diagnostics.add(config)
        else:
            self.config_diagnostics.discard(config)

    # --- code actions ---

    def code_actions(
        self, uri: str, text: str, version: int | None, params: lsp.CodeActionParams
    ) -> tuple[list[lsp.CodeAction], Outcome]:
        """The actions for the findings the range touches, on the buffer as it
        is now (checked first if its findings are not those of this text), and
        what that check has to publish."""
        out = Outcome()
        checked = self.results.get(uri)
        if checked is None or checked.text != text:
            out = self.change(uri, text, version)
            checked = self.results.get(uri)
            if checked is None or checked.text != text:
                return [], out
        return self._code_actions(uri, version, checked, params), out

    def _code_actions(
        self, uri: str, version: int | None, checked: Checked, params: lsp.CodeActionParams
    ) -> list[lsp.CodeAction]:
        lines = Lines(checked.text, self.caps.encoding)
        only = params.context.only
        first = lines.line_of(params.range.start)
        last = lines.line_of(params.range.end)
        touched = [f for f in checked.findings if f.line <= last and f.end_line >= first]
        actions: list[lsp.CodeAction] = []
        safe = [f for f in checked.findings if f.fix is not None and f.fix.safe]
        if _wanted(lsp.CodeActionKind.QuickFix.value, only):
            for f in touched:
                actions.extend(self._actions_for(uri, version, checked, lines, f))
            if len(safe) > 1 and any(f in safe for f in touched):
                fix_all = self._fix_all(uri, version, checked, lines, lsp.CodeActionKind.QuickFix)
                if fix_all is not None:
                    actions.append(fix_all)
        if only and _wanted(FIX_ALL_KIND, only) and safe:
            fix_all = self._fix_all(uri, version, checked, lines, FIX_ALL_KIND)
            if fix_all is not None:
                actions.append(fix_all)
        return actions

    def _actions_for(
        self, uri: str, version: int | None, checked: Checked, lines: Lines, f: Finding
    ) -> list[lsp.CodeAction]:
        from arch_lint.report.add_noqa import UNSUPPRESSIBLE, noqa_text

        diagnostic = self.diagnostic(f, lines)
        actions = []
        if f.fix is not None:
            fixed = self._fixed(uri, checked, [f], unsafe=True, key=repr(f))
            if fixed is not None:
                title = f.fix.title if f.fix.safe else f"{f.fix.title} (unsafe)"
                actions.append(
                    lsp.CodeAction(
                        title=title,
                        kind=lsp.CodeActionKind.QuickFix,
                        diagnostics=[diagnostic],
                        is_preferred=f.fix.safe if self.caps.preferred else None,
                        edit=self._workspace_edit(uri, version, lines, fixed),
                    )
                )
        if f.code not in UNSUPPRESSIBLE and checked.path.endswith(".py"):
            suppressed = noqa_text(checked.text, [f], None)
            if not isinstance(suppressed, str) and suppressed[1]:
                actions.append(
                    lsp.CodeAction(
                        title=f"Suppress {f.code} with `# noqa: {f.code}`",
                        kind=lsp.CodeActionKind.QuickFix,
                        diagnostics=[diagnostic],
                        edit=self._workspace_edit(uri, version, lines, suppressed[0]),
                    )
                )
        return actions

    def _fix_all(
        self, uri: str, version: int | None, checked: Checked, lines: Lines, kind: str
    ) -> lsp.CodeAction | None:
        safe = [f for f in checked.findings if f.fix is not None and f.fix.safe]
        fixed = self._fixed(uri, checked, safe, unsafe=False, key="*")
        if fixed is None:
            return None
        n = len(safe)
        return lsp.CodeAction(
            title=f"Fix all safe arch-lint fixes in this file ({n})",
            kind=kind,
            diagnostics=[self.diagnostic(f, lines) for f in safe],
            edit=self._workspace_edit(uri, version, lines, fixed),
        )

    def _fixed(
        self, uri: str, checked: Checked, findings: list[Finding], *, unsafe: bool, key: str
    ) -> str | None:
        """The buffer's text with these fixes applied, None when the fix engine
        refuses them (as `arch-lint fix` would: the action is not offered)."""
        from arch_lint.engine.fix import fixed_source
        from arch_lint.source import decode

        cache_key = (uri, f"{content_hash(checked.source)}:{key}")
        result = self._fixes.get(cache_key)
        if result is None:
            if len(self._fixes) > 256:
                self._fixes.clear()
            result = fixed_source(checked.source, findings, unsafe=unsafe)
            self._fixes[cache_key] = result
        return None if isinstance(result, str) else decode(result)

    def _workspace_edit(
        self, uri: str, version: int | None, lines: Lines, new_text: str
    ) -> lsp.WorkspaceEdit:
        edit = lines.edit_to(new_text)
        if self.caps.document_changes:
            document = lsp.OptionalVersionedTextDocumentIdentifier(uri=uri, version=version)
            return lsp.WorkspaceEdit(
                document_changes=[lsp.TextDocumentEdit(text_document=document, edits=[edit])]
            )
        return lsp.WorkspaceEdit(changes={uri: [edit]})

    # --- housekeeping ---

    def store(self) -> None:
        for entry in self.projects.values():
            if isinstance(entry, Loaded):
                with contextlib.suppress(Exception):
                    entry.project.store()

    def _drain(self, project: LiveProject, out: Outcome) -> None:
        for notice in project.notices:
            out.log.append((lsp.MessageType.Warning, notice))
        project.notices.clear()

    def _say_once(
        self, out: Outcome, key: str, kind: lsp.MessageType, message: str, show: bool = True
    ) -> None:
        if key in self.said:
            return
        self.said.add(key)
        out.log.append((kind, message))
        if show:
            out.show.append((kind, f"arch-lint: {message}"))

    def _guard(self, out: Outcome, what: str, step: Callable[[], T]) -> T | object:
        """Run one step; a defect of arch-lint's is logged and costs that step only."""
        try:
            return step()
        except Exception as exc:
            out.log.append((lsp.MessageType.Error, _internal(what, exc)))
            self._say_once(
                out,
                f"internal:{type(exc).__name__}",
                lsp.MessageType.Error,
                f"internal error ({type(exc).__name__}: {exc}); see the log. This is a bug: "
                "please report it",
            )
            return _FAILED


_FAILED = object()


def _wanted(kind: str, only: Sequence[str] | None) -> bool:
    """Whether the client asked for actions of this kind (`only`: kinds or their parents)."""
    if not only:
        return True
    return any(kind == o or kind.startswith(f"{o}.") for o in only)


def _checkable(path: Path) -> bool:
    """A file whose buffer counts: Python, or a plain-SQL migration (its tables)."""
    return path.suffix in {".py", ".sql"}


def _path_of(uri: str) -> Path | None:
    if not uri.startswith("file:"):
        return None
    path = to_fs_path(uri)
    return Path(path) if path else None


def _shown(path: Path) -> str:
    try:
        return path.relative_to(Path.cwd()).as_posix()
    except ValueError:
        return str(path)


def _internal(what: str, exc: BaseException) -> str:
    tail = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__)[-3:])
    return f"{what}: internal error: {type(exc).__name__}: {exc}\n{tail}"


def _key_path(key: str) -> tuple[str | int, ...]:
    name, _, rest = key.partition("[")
    return (name, int(rest.rstrip("]"))) if rest else (name,)


def _config_problems(exc: ConfigError) -> list[tuple[int, str]]:
    """(line, message) of each problem; line 0 where it is not known."""
    out = []
    for problem in exc.problems:
        line = 0
        match = _LINE_PREFIX.match(problem)
        if match:
            line = int(match.group(1))
            problem = problem[match.end() :]
        else:
            at = _TOML_AT.search(problem)
            if at:
                line = int(at.group(1))
        out.append((line, problem))
    return out


# --- the protocol side ----------------------------------------------------------------------


class ArchLintServer(LanguageServer):
    """The pygls server: takes the editor's messages, hands the work to the
    session on the worker thread, sends what it returns."""

    def __init__(self) -> None:
        super().__init__(
            "arch-lint", __version__, text_document_sync_kind=lsp.TextDocumentSyncKind.Incremental
        )
        self.worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="arch-lint")
        self.session: Session | None = None
        self.timers: dict[str, asyncio.TimerHandle] = {}
        self.store_timer: asyncio.TimerHandle | None = None
        self.tasks: set[asyncio.Future[object]] = set()
        """Checks started by a timer (kept referenced until they finish)."""
        self.debounce = DEBOUNCE_S

    def the_session(self) -> Session:
        if self.session is None:
            caps = ClientCaps.of(self.client_capabilities, self.workspace.position_encoding or None)
            self.session = Session(caps)
        return self.session

    async def work(self, step: Callable[[Session], T]) -> T:
        session = self.the_session()
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.worker, session.run, step)

    async def work_and_send(self, step: Callable[[Session], Outcome]) -> None:
        try:
            out = await self.work(step)
        except Exception as exc:  # the session guards its steps; this is the last net
            self.window_log_message(
                lsp.LogMessageParams(type=lsp.MessageType.Error, message=_internal("server", exc))
            )
            return
        self.send(out)

    def send(self, out: Outcome) -> None:
        for kind, message in out.log:
            self.window_log_message(lsp.LogMessageParams(type=kind, message=message))
        for kind, message in out.show:
            self.window_show_message(lsp.ShowMessageParams(type=kind, message=message))
        for uri, version, diagnostics in out.publish:
            self.text_document_publish_diagnostics(
                lsp.PublishDiagnosticsParams(uri=uri, diagnostics=diagnostics, version=version)
            )
        if out.store_soon:
            self.schedule_store()

    def schedule_store(self) -> None:
        if self.store_timer is not None:
            self.store_timer.cancel()
        loop = asyncio.get_running_loop()
        self.store_timer = loop.call_later(
            STORE_AFTER_S, lambda: self.spawn(self.work(Session.store))
        )

    def spawn(self, work: Coroutine[Any, Any, object]) -> None:
        """Start `work` from a timer, keeping it referenced until it is done."""
        task = asyncio.ensure_future(work)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    def document(self, uri: str) -> tuple[str, int | None]:
        doc = self.workspace.get_text_document(uri)
        return doc.source, doc.version


def make_server() -> ArchLintServer:
    server = ArchLintServer()

    @server.feature(lsp.INITIALIZE)
    def initialize(ls: ArchLintServer, params: lsp.InitializeParams) -> None:
        options = params.initialization_options
        if isinstance(options, dict) and isinstance(options.get("debounce"), (int, float)):
            ls.debounce = max(float(options["debounce"]) / 1000, 0.0)

    @server.feature(lsp.INITIALIZED)
    async def initialized(ls: ArchLintServer, params: lsp.InitializedParams) -> None:
        if not ls.the_session().caps.watch:
            return
        watchers = [lsp.FileSystemWatcher(glob_pattern=pattern) for pattern in WATCHED]
        registration = lsp.Registration(
            id="arch-lint-watched-files",
            method=lsp.WORKSPACE_DID_CHANGE_WATCHED_FILES,
            register_options=lsp.DidChangeWatchedFilesRegistrationOptions(watchers=watchers),
        )
        try:
            await ls.client_register_capability_async(
                lsp.RegistrationParams(registrations=[registration])
            )
        except Exception as exc:
            ls.window_log_message(
                lsp.LogMessageParams(
                    type=lsp.MessageType.Warning,
                    message=f"the client does not watch files for arch-lint ({exc}); "
                    "files changed outside the editor are read again when saved in it",
                )
            )

    @server.feature(lsp.TEXT_DOCUMENT_DID_OPEN)
    async def did_open(ls: ArchLintServer, params: lsp.DidOpenTextDocumentParams) -> None:
        item = params.text_document
        text, version = item.text, item.version
        await ls.work_and_send(lambda s: s.open(item.uri, text, version))

    @server.feature(lsp.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: ArchLintServer, params: lsp.DidChangeTextDocumentParams) -> None:
        uri = params.text_document.uri
        pending = ls.timers.pop(uri, None)
        if pending is not None:
            pending.cancel()

        def fire() -> None:
            ls.timers.pop(uri, None)
            text, version = ls.document(uri)
            ls.spawn(ls.work_and_send(lambda s: s.change(uri, text, version)))

        ls.timers[uri] = asyncio.get_running_loop().call_later(ls.debounce, fire)

    @server.feature(lsp.TEXT_DOCUMENT_DID_SAVE)
    async def did_save(ls: ArchLintServer, params: lsp.DidSaveTextDocumentParams) -> None:
        uri = params.text_document.uri
        pending = ls.timers.pop(uri, None)
        if pending is not None:
            pending.cancel()
        text, version = ls.document(uri)
        await ls.work_and_send(lambda s: s.save(uri, text, version))

    @server.feature(lsp.TEXT_DOCUMENT_DID_CLOSE)
    async def did_close(ls: ArchLintServer, params: lsp.DidCloseTextDocumentParams) -> None:
        uri = params.text_document.uri
        pending = ls.timers.pop(uri, None)
        if pending is not None:
            pending.cancel()
        await ls.work_and_send(lambda s: s.close(uri))

    @server.feature(lsp.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    async def did_change_watched_files(
        ls: ArchLintServer, params: lsp.DidChangeWatchedFilesParams
    ) -> None:
        changes = [(c.uri, c.type) for c in params.changes]
        await ls.work_and_send(lambda s: s.watched(changes))

    @server.feature(
        lsp.TEXT_DOCUMENT_CODE_ACTION,
        lsp.CodeActionOptions(
            code_action_kinds=[lsp.CodeActionKind.QuickFix, FIX_ALL_KIND], resolve_provider=False
        ),
    )
    async def code_action(
        ls: ArchLintServer, params: lsp.CodeActionParams
    ) -> list[lsp.CodeAction] | None:
        uri = params.text_document.uri
        try:
            text, version = ls.document(uri)
        except Exception:
            return None
        try:
            actions, out = await ls.work(lambda s: s.code_actions(uri, text, version, params))
        except Exception as exc:
            ls.window_log_message(
                lsp.LogMessageParams(
                    type=lsp.MessageType.Error, message=_internal("code actions", exc)
                )
            )
            return None
        ls.send(out)
        return actions

    @server.feature(lsp.SHUTDOWN)
    async def shutdown(ls: ArchLintServer, params: None) -> None:
        for timer in ls.timers.values():
            timer.cancel()
        ls.timers.clear()
        if ls.store_timer is not None:
            ls.store_timer.cancel()
        await ls.work(Session.store)

    return server


class _OneLine(logging.Formatter):
    """Log records without their tracebacks (pygls logs one for a malformed
    message): no traceback reaches a user; `ARCH_LINT_DEBUG=1` shows them."""

    def format(self, record: logging.LogRecord) -> str:
        shown = logging.LogRecord(
            record.name,
            record.levelno,
            record.pathname,
            record.lineno,
            record.getMessage(),
            None,
            None,
        )
        text = super().format(shown)
        if record.exc_info and record.exc_info[1] is not None:
            exc = record.exc_info[1]
            text += f" ({type(exc).__name__}: {exc})"
        return text


def serve() -> int:
    """Run the server on stdin/stdout until the client says exit."""
    # A long-lived process: the collector runs again (the CLI switches it off
    # for its short runs); what the build allocated is moved out of its way.
    gc.enable()
    handler = logging.StreamHandler(sys.stderr)
    if not os.environ.get("ARCH_LINT_DEBUG"):
        handler.setFormatter(_OneLine("arch-lint server: %(name)s: %(message)s"))
    logging.basicConfig(level=logging.WARNING, handlers=[handler])
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr  # a stray print must never corrupt the protocol
    server = make_server()
    server.start_io(stdin, stdout)
    return 0
