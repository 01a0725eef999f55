"""A project kept warm for an editor (`arch-lint server`), without the protocol.

`LiveProject` holds what `arch-lint check` builds for one run, for as long as
the editor is open: the settings, the layout, every file's facts and the
project index over them. It is built once from the on-disk cache the CLI uses
(and writes it back), then kept current one file at a time:

- an open document's buffer, saved or not, stands in for its file: its facts
  are read from the buffer and the index is made over them, so that a change
  in one tab re-judges the files open in the others (while a buffer does not
  parse, the other files are judged against its last version that did:
  half-typed code should not make diagnostics flicker in every tab);
- a file that changes on disk (the editor's file watcher, a save) is read
  again, its facts put in the cache; a file created or deleted lists the
  project again.

A change that changes a fact makes a new `ProjectIndex` over the facts (its
parts are computed again as rules ask them); an edit that changes none (most
edits inside a function) keeps the index. Whoever shows diagnostics asks
`generation` before and after a change: when it moved, the findings of every
other open file may have moved too. (Whenever the index is made anew, not
only when `digest` moves: an open file is checked again as a fresh `check`
would, whatever the digest leaves out.)

A file's findings are those `arch-lint check` reports for the same content:
the same engine (`Engine.check_file`, then `# noqa` and ARC002), the baseline
applied as `check` applies it, nothing for an excluded or unlisted file.
"""

from __future__ import annotations

import ast
import io
import os
import tokenize
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from arch_lint.config import Settings
from arch_lint.engine.run import Engine
from arch_lint.findings import Finding
from arch_lint.index.build import (
    Analysis,
    analyse,
    build,
    file_stamp,
    parse,
    record_analysis,
)
from arch_lint.index.cache import Cache, content_hash, scan_layout
from arch_lint.index.facts import FileFacts
from arch_lint.index.layout import SQL_SUFFIX, Problem
from arch_lint.index.project import ProjectIndex
from arch_lint.report import baseline as baseline_file
from arch_lint.source import decode, read_regular

if TYPE_CHECKING:
    from arch_lint.report.baseline import Baseline


@dataclass
class Checked:
    """One file's findings, for the content they were found in."""

    path: str
    text: str
    """The buffer's text the findings' lines and columns refer to."""
    source: bytes
    """That text as the check read it (the file's encoding)."""
    findings: list[Finding]
    notices: list[str] = field(default_factory=list)
    """What was left out and why (a rule that stopped on the file), for the log."""


@dataclass
class _Buffer:
    """An open document."""

    text: str
    source: bytes
    analysis: Analysis
    """The facts of `source` (its tree dropped once checked)."""
    indexed: FileFacts
    indexed_hash: str
    """What the index holds for the file: `analysis`'s facts, or while the
    buffer does not parse, those of its last version that did (or of the disk)."""


class LiveProject:
    """One project (one `[tool.arch_lint]` table) and its open documents."""

    def __init__(self, settings: Settings, *, use_cache: bool = True) -> None:
        self.settings = settings
        self.root = settings.root
        self.notices: list[str] = []
        """What the last build or change left out and why, for the log (taken by the caller)."""
        self.layout = scan_layout(settings, use_cache=use_cache)
        built = build(settings, use_cache=use_cache, layout=self.layout)
        self.cache: Cache = built.cache
        self.cache.store()
        self.notices.extend(built.notices)
        self._envelope = settings.model.models.envelope_class
        found = built.index.facts
        # Every file's facts decoded now (the first whole-project question would
        # decode them anyway): the index asks a plain table millions of times.
        self.disk: dict[str, FileFacts] = {
            p: found[p] for p in self.layout.indexed_files if p in found
        }
        """Path -> facts of the file on disk, as last read."""
        self.facts: dict[str, FileFacts] = dict(self.disk)
        """Path -> what the index holds: an open buffer's facts, else the disk's."""
        self.digests = {path: src.digest for path, src in built.sources.items()}
        """Path -> content hash of the file on disk, as last read."""
        self.errors = dict(built.errors)
        """Path -> syntax error of the file on disk."""
        self._disk_hashes = {p: built.index.interface_hash(p) for p in self.facts}
        self.hashes = dict(self._disk_hashes)
        """Path -> interface hash of what the index holds (a buffer's, or the disk's)."""
        self.buffers: dict[str, _Buffer] = {}
        self._stale = False
        """Facts changed since the index was made."""
        self._generation = 0
        self.index = built.index
        self.engine = Engine(settings, built.index)
        self._reindex()
        self._baseline_stamp: tuple[float, int] | None = None
        self._baseline: Baseline | None = None

    # --- where a file lies -------------------------------------------------------------

    @property
    def problems(self) -> list[Problem]:
        """ARC000: configuration keys that match nothing (then `check` checks nothing)."""
        return self.layout.problems

    @property
    def generation(self) -> int:
        """How many times the index was made: moves whenever a fact changed."""
        return self._generation

    @property
    def digest(self) -> str:
        """Changes whenever another file's findings may have changed."""
        return self.index.digest

    def relative(self, path: Path) -> str | None:
        """The project-relative posix path of a file, None outside the project."""
        try:
            rel = path.resolve().relative_to(self.root).as_posix()
        except (ValueError, OSError):
            return None
        return None if rel == "." else rel

    def checked(self, rel: str) -> bool:
        """Whether `arch-lint check` checks this file: a listed `.py` file, not excluded."""
        if rel not in self.facts or rel.endswith(SQL_SUFFIX):
            return False
        return not self.layout.is_excluded(rel)

    # --- the editor's buffers ------------------------------------------------------------

    def set_buffer(self, rel: str, text: str) -> None:
        """An open document's content (opened or changed, saved or not)."""
        known = self.buffers.get(rel)
        if known is not None and known.text == text:
            return
        source = self._source_of(rel, text)
        analysis = analyse(rel, source, self._envelope, self.layout.declarations_only(rel))
        if analysis.notice:
            self.notices.append(analysis.notice)
        if analysis.error is None or known is None:
            indexed, indexed_hash = analysis.facts, analysis.interface_hash
            if analysis.error is not None and rel in self.disk:
                indexed, indexed_hash = self.disk[rel], self._disk_hashes[rel]
        else:
            indexed, indexed_hash = known.indexed, known.indexed_hash
        self.buffers[rel] = _Buffer(text, source, analysis, indexed, indexed_hash)
        if rel in self.facts:
            same = self.facts[rel] == indexed  # an edit that changes no fact (most do not)
            self.facts[rel] = indexed
            self.hashes[rel] = indexed_hash
            if not same:
                self._reindex()

    def drop_buffer(self, rel: str) -> None:
        """An open document closed: its file on disk counts again."""
        if self.buffers.pop(rel, None) is None or rel not in self.facts:
            return
        indexed = self.facts[rel]
        self.facts[rel] = self.disk[rel]
        self.hashes[rel] = self._disk_hashes[rel]
        if self.disk[rel] != indexed:
            self._reindex()

    def _source_of(self, rel: str, text: str) -> bytes:
        """The bytes `check` would read for this text: the file's own when the
        buffer holds exactly what is on disk (its encoding, its BOM), else the
        text in the encoding its coding cookie names (UTF-8 without one)."""
        try:
            on_disk = read_regular(self.root / rel)
        except OSError:
            on_disk = None
        if on_disk is not None and decode(on_disk) == text:
            return on_disk
        try:
            head = text.encode("utf-8", "surrogatepass")
            encoding, _ = tokenize.detect_encoding(io.BytesIO(head).readline)
            source = text.encode(encoding.removesuffix("-sig"), "surrogatepass")
        except (SyntaxError, LookupError, UnicodeError):
            source = text.encode("utf-8", "surrogatepass")
        if on_disk is not None and on_disk.startswith(b"\xef\xbb\xbf"):
            source = b"\xef\xbb\xbf" + source
        return source

    # --- the disk ---------------------------------------------------------------------

    def files_changed(self, rels: Iterable[str]) -> None:
        """Files that changed on disk (written, created or deleted): read again;
        a file that appeared or vanished lists the project again."""
        listing = False
        for rel in rels:
            if rel not in self.facts:
                listing = True  # a new file (or one not listed: the listing says)
                continue
            try:
                stamp, source = self._stamped_read(rel)
            except OSError:
                listing = True  # gone
                continue
            if content_hash(source) != self.digests.get(rel):
                self._read_from_disk(rel, source, stamp)
        if listing:
            self.relist()
        elif self._stale:
            self._reindex()

    def relist(self) -> None:
        """List the project's files again (some were created or deleted)."""
        self.layout = scan_layout(self.settings, use_cache=self.cache.enabled)
        listed = self.layout.indexed_files
        known = set(self.facts)
        for rel in listed:
            if rel in known:
                continue
            try:
                stamp, source = self._stamped_read(rel)
            except OSError as exc:
                self.notices.append(f"{rel}: skipped: {exc.strerror or exc}")
                continue
            self._read_from_disk(rel, source, stamp)
        gone = known - set(listed)
        for rel in gone:
            self.digests.pop(rel, None)
            self.errors.pop(rel, None)
            self._disk_hashes.pop(rel, None)
            self.hashes.pop(rel, None)
            if self.cache.files.pop(rel, None) is not None:
                self.cache.dirty = True
        self.disk = {p: self.disk[p] for p in listed if p in self.disk}  # in listing order
        facts = {p: self.facts.get(p, self.disk[p]) for p in self.disk}
        for rel in facts.keys() - known:  # newly listed: an open buffer stands in for it
            buffer = self.buffers.get(rel)
            if buffer is not None:
                facts[rel] = buffer.indexed
                self.hashes[rel] = buffer.indexed_hash
        self.facts = facts
        self._reindex()

    def _stamped_read(self, rel: str) -> tuple[list[int], bytes]:
        """A file's stamp, then its bytes: the stamp the cache may keep for
        them (taken after the read, it could be that of a later save)."""
        path = self.root / rel
        stamp = file_stamp(os.stat(path))
        return stamp, read_regular(path)

    def _read_from_disk(self, rel: str, source: bytes, stamp: list[int]) -> None:
        analysis = analyse(rel, source, self._envelope, self.layout.declarations_only(rel))
        analysis.tree = None
        if analysis.notice:
            self.notices.append(analysis.notice)
        self.digests[rel] = analysis.digest
        if analysis.error is not None:
            self.errors[rel] = analysis.error
        else:
            self.errors.pop(rel, None)
        self.disk[rel] = analysis.facts
        self._disk_hashes[rel] = analysis.interface_hash
        if rel not in self.buffers:  # else the open buffer stands in for it
            if self.facts.get(rel) != analysis.facts:
                self._stale = True
            self.facts[rel] = analysis.facts
            self.hashes[rel] = analysis.interface_hash
        record_analysis(self.cache, rel, analysis, stamp)

    def store(self) -> None:
        """Write what was learnt to the on-disk cache (shared with the CLI)."""
        self.cache.store()

    def _reindex(self) -> None:
        """A new index over the facts as they are now (its parts are computed
        again as rules ask them): after any change of a fact, whether or not
        it moves the digest."""
        self.index = ProjectIndex(self.layout, self.facts, self.hashes)
        self.engine.use_index(self.index)
        self._stale = False
        self._generation += 1

    # --- findings -----------------------------------------------------------------------

    def check(self, rel: str) -> Checked | None:
        """The findings of an open document's buffer, as `arch-lint check`
        reports them for that content; None when `check` does not check the
        file (not listed, excluded, or not a `.py` file)."""
        buffer = self.buffers.get(rel)
        if buffer is None or not self.checked(rel):
            return None
        analysis = buffer.analysis
        source = buffer.source
        tree = analysis.tree
        analysis.tree = None  # a tree lives only while its file is checked
        if tree is None and analysis.error is None:
            tree, _ = parse(source, rel)
        result = self.engine.check_file(rel, source, analysis.facts, tree, analysis.error)
        if analysis.error is not None:
            kept = result.findings  # nothing else was checked: no suppression is judged
        else:
            kept = self.engine.apply_noqa(rel, source, result.findings, result.failed)
        kept = self._without_baselined(rel, source, tree, kept)
        kept.sort(key=Finding.sort_key)
        return Checked(rel, buffer.text, source, kept, list(result.notices))

    def _without_baselined(
        self, rel: str, source: bytes, tree: ast.Module | None, findings: list[Finding]
    ) -> list[Finding]:
        """`findings` less those the configured baseline hides, as `check` and
        the flake8 plugin hide them (stale entries are the CLI's to count)."""
        recorded = self._current_baseline()
        if recorded is None or not findings:
            return findings
        from arch_lint.engine.fingerprint import fingerprints

        trees = {rel: tree} if tree is not None else None
        prints = fingerprints(findings, self.root, sources={rel: source}, trees=trees)
        kept, _ = baseline_file.filter(findings, prints, recorded, lambda p, c: False)
        return kept

    def _current_baseline(self) -> Baseline | None:
        """The configured baseline file, read again when it changed."""
        path = self.root / self.settings.model.baseline
        try:
            info = os.stat(path)
            stamp: tuple[float, int] | None = (info.st_mtime, info.st_size)
        except OSError:
            stamp = None
        if stamp != self._baseline_stamp:
            self._baseline_stamp = stamp
            self._baseline = None
            if stamp is not None:
                try:
                    self._baseline = baseline_file.load(path)
                except baseline_file.BaselineError as exc:
                    self.notices.append(f"{exc}; the baseline is not applied")
        return self._baseline
