"""The on-disk cache in `.arch_lint_cache/` (JSON, never pickle: the cache sits
in the checked repository, and arch-lint must be safe on untrusted code).

Three files, so that a warm run reads only what it needs:
- `index.json`, small: every file's content hash, syntax error, stamp and
  interface hash; the findings of each checked file (as JSON text, decoded only
  for the files a run reports) and their fingerprints; and the digest of the
  project index those findings were computed under;
- `facts.json`, large: every file's facts, read only when a run builds the
  project index (a file changed, or a selection that has no findings cached),
  one line of JSON per file (see `facts_text`);
- `layout.json`: the services and ARC000 problems of one listing of the `.py` files.
(The validated configuration has its own file, see `config.cached`.)

Facts are keyed by each file's content hash and arch-lint's version; findings
by the file's hash and the index digest (every fact they can depend on plus the
configuration). A corrupt, truncated or foreign cache file is ignored; writes
are atomic (a temporary file, then `os.replace`), so two runs at once never
leave a broken file behind — at worst one run's update is lost, and an entry of
`facts.json` whose hash does not match `index.json`'s is not used.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from arch_lint import __version__
from arch_lint.config.cached import CACHE_DIR, read_json, usable_dir, write_json, write_text
from arch_lint.config.resolve import Settings
from arch_lint.index.layout import Layout, Problem, Service, scan_files, split_listed
from arch_lint.source import read_regular

__all__ = [
    "CACHE_DIR",
    "RACY_NS",
    "Cache",
    "IndexRecord",
    "content_hash",
    "file_stamp",
    "scan_layout",
]

CACHE_FORMAT = 9
_INDEX = "index.json"
_FACTS = "facts.json"
_LAYOUT = "layout.json"
_ENTRY = 5

IndexRecord = tuple[str, str, str]
"""(settings fingerprint, signature of the files' interface hashes, index digest)."""


def _stamp() -> list[Any]:
    return [CACHE_FORMAT, __version__]


def _facts_stamp(options: list[Any]) -> list[Any]:
    from arch_lint.index.facts import FACTS_VERSION  # only where facts are read

    return [CACHE_FORMAT, __version__, FACTS_VERSION, options]


def _is_error(err: Any) -> bool:
    return err is None or (
        isinstance(err, list)
        and len(err) == 3
        and type(err[0]) is int
        and type(err[1]) is int
        and type(err[2]) is str
    )


def _head_entry_ok(entry: Any) -> bool:
    """[hash, [line, col, message] | None, [mtime_ns, size, ctime_ns, inode], interface hash]"""
    if type(entry) is not list or len(entry) != 4:
        return False
    digest, err, stamp, iface = entry
    return (
        type(digest) is str
        and type(iface) is str
        and (err is None or _is_error(err))
        and type(stamp) is list
        and len(stamp) == 4
        and type(stamp[0]) is int
        and type(stamp[1]) is int
        and type(stamp[2]) is int
        and type(stamp[3]) is int
    )


def facts_text(stamp: list[Any], files: dict[str, list[Any]]) -> str:
    """`facts.json`: a first line, the JSON of `{"stamp": ..., "files": [[path,
    content hash], ...]}`, then one line per file in that order, its facts JSON
    text as it is (an empty line for None).

    The texts are not escaped into one JSON document: that was most of writing
    the cache on a cold run, and reading them back is a split at line breaks (a
    text is compact ASCII JSON, which holds none; one that is not such text is
    left out, to be extracted again)."""
    heads: list[list[str]] = []
    texts: list[str] = []
    for path, (digest, text) in files.items():
        if text is not None and ("\n" in text or not text or not text.isascii()):
            continue
        heads.append([path, digest])
        texts.append("" if text is None else text)
    head = json.dumps({"stamp": stamp, "files": heads}, separators=(",", ":"))
    return "\n".join([head, *texts, ""])


def read_facts_text(raw: bytes) -> tuple[Any, dict[str, list[Any]]] | None:
    """(stamp, path -> [content hash, facts JSON text | None]) of `facts_text`,
    or None when it is not such text."""
    try:
        lines = raw.decode("ascii").split("\n")
        doc = json.loads(lines[0])
        stamp, heads = doc["stamp"], doc["files"]
    except (ValueError, RecursionError, KeyError, TypeError):
        return None
    if type(heads) is not list or len(lines) != len(heads) + 2 or lines[-1]:
        return None
    files: dict[str, list[Any]] = {}
    for head, text in zip(heads, lines[1:], strict=False):
        if not (type(head) is list and len(head) == 2 and all(type(h) is str for h in head)):
            return None
        files[head[0]] = [head[1], text or None]
    return stamp, files


def _findings_entry_ok(entry: Any) -> bool:
    """[hash, findings JSON text, [used allow indices], raw findings JSON text | None]"""
    return (
        type(entry) is list
        and len(entry) == 4
        and type(entry[0]) is str
        and type(entry[1]) is str
        and type(entry[2]) is list
        and (not entry[2] or all(type(i) is int for i in entry[2]))
        and (entry[3] is None or type(entry[3]) is str)
    )


def _fingerprints_entry_ok(entry: Any) -> bool:
    """[hash, [fingerprint, ...]]"""
    return (
        isinstance(entry, list)
        and len(entry) == 2
        and type(entry[0]) is str
        and isinstance(entry[1], list)
        and all(type(f) is str for f in entry[1])
    )


RACY_NS = 1_000_000_000
"""As the index build's: a file modified this close before the cache was
written may have changed again within the same timestamp (git's "racy" rule):
its stamp alone does not say it is unchanged."""


def content_hash(source: bytes) -> str:
    """A file's content hash, as the index build computes it (`build.content_hash`)."""
    return hashlib.blake2b(source, digest_size=16).hexdigest()


def file_stamp(info: os.stat_result) -> list[int]:
    """What says a file is unchanged without reading it, as the index build
    records it (`build.file_stamp`): git's choice of modification and change
    times, size and inode."""
    return [info.st_mtime_ns, info.st_size, info.st_ctime_ns, info.st_ino]


def interface_signature(entries: Iterable[tuple[str, str]]) -> str:
    """A hash of (path, interface hash) pairs, in path order."""
    h = hashlib.blake2b(digest_size=16)
    for path, iface in sorted(entries):
        h.update(f"{path}\0{iface}\0".encode("utf-8", "surrogatepass"))
    return h.hexdigest()


class Cache:
    """Load-modify-store of the cache files.

    `facts=False` loads `index.json` only: `heads` and the findings, for a run
    that may answer from them alone; such a cache never writes `facts.json`.
    """

    def __init__(
        self,
        root: Path,
        enabled: bool = True,
        facts_options: list[Any] | None = None,
        *,
        facts: bool = True,
    ) -> None:
        self.dir = root / CACHE_DIR
        self.options = facts_options or []
        """Facts depend on the content and on these few settings (the envelope's name)."""
        self.enabled = enabled
        self.with_facts = facts
        self.heads: dict[str, list[Any]] = {}
        """path -> [content hash, syntax error | None, [mtime_ns, size, ctime_ns,
        inode], interface hash], as `index.json` holds them."""
        self.files: dict[str, list[Any]] = {}
        """With facts: path -> [content hash, facts json | None, syntax error | None,
        [mtime_ns, size, ctime_ns, inode], interface hash]; the index build reads
        and updates these."""
        self.written_ns = 0
        """When `index.json` was last written (its mtime), 0 if there is none."""
        self.index_record: IndexRecord | None = None
        """The digest of the project index the files of `heads` make, with what it
        was computed from (see `record_index`)."""
        self.findings_key: str = ""
        self.findings: dict[str, list[Any]] = {}
        """path -> [content hash, findings JSON text, [used allow indices], raw
        findings JSON text | None]: the findings a check reports (after `# noqa`)
        and, when they differ, the rules' findings before it (the flake8 plugin's,
        flake8 applies its own `# noqa`)."""
        self.fingerprints: dict[str, list[Any]] = {}
        """path -> [content hash, [fingerprints of its findings, in order]], valid
        while `findings_key` is (the findings they belong to are the same)."""
        self.dirty = False
        self.notices: list[str] = []
        self._loaded_facts: dict[str, str] = {}
        """path -> content hash of the facts `facts.json` held when loaded."""
        if enabled and usable_dir(root) is None:
            self.enabled = False
            self.notices.append(
                f"{CACHE_DIR}: a symbolic link; running without the cache (delete the link)"
            )
        if self.enabled:
            self._load()

    def _load(self) -> None:
        found = read_json(self.dir, _INDEX)
        if found is None:
            return  # missing, unreadable, not JSON: start afresh
        doc, written = found
        try:
            if doc["stamp"] != _stamp():
                return
            files, findings = doc["files"], doc["findings"]
            if not isinstance(files, dict) or not isinstance(findings, dict):
                return
            self.heads = {p: e for p, e in files.items() if _head_entry_ok(e)}
            self.written_ns = written
            record = doc.get("index")
            if (
                isinstance(record, list)
                and len(record) == 3
                and all(type(r) is str for r in record)
            ):
                self.index_record = (record[0], record[1], record[2])
            found_files = findings["files"]
            if isinstance(found_files, dict) and type(findings["key"]) is str:
                self.findings_key = findings["key"]
                self.findings = {p: e for p, e in found_files.items() if _findings_entry_ok(e)}
                prints = findings.get("fingerprints")
                if isinstance(prints, dict):
                    self.fingerprints = {
                        p: e for p, e in prints.items() if _fingerprints_entry_ok(e)
                    }
        except (KeyError, TypeError, AttributeError):
            self.heads, self.findings_key, self.findings = {}, "", {}
            self.fingerprints, self.index_record = {}, None
            return
        if self.with_facts:
            self._load_facts()

    def _load_facts(self) -> None:
        try:
            found = read_facts_text(read_regular(self.dir / _FACTS, limit=1 << 30))
        except (OSError, MemoryError):
            return
        if found is None or found[0] != _facts_stamp(self.options):
            return
        facts = found[1]
        for path, head in self.heads.items():
            entry = facts.get(path)
            if entry is not None and entry[0] == head[0]:
                self.files[path] = [head[0], entry[1], head[1], head[2], head[3]]
                self._loaded_facts[path] = head[0]

    def record_index(self, settings_fingerprint: str, digest: str) -> None:
        """Note the digest of the project index built from exactly the files of
        `files` (the caller checks that), for a later run that finds every file
        unchanged to use without building the index (`valid_index_digest`)."""
        signature = interface_signature((p, e[4]) for p, e in self.files.items())
        record = (settings_fingerprint, signature, digest)
        if record != self.index_record:
            self.index_record = record
            self.dirty = True

    def valid_index_digest(self, settings_fingerprint: str) -> str | None:
        """The recorded index digest, if it was computed under these settings from
        the files `heads` holds now (whoever wrote them last), else None."""
        record = self.index_record
        if record is None or record[0] != settings_fingerprint:
            return None
        signature = interface_signature((p, e[3]) for p, e in self.heads.items())
        return record[2] if record[1] == signature else None

    def store(self) -> None:
        if not self.enabled or not self.dirty:
            return
        folder = usable_dir(self.dir.parent)
        if folder is None:
            return
        if self.with_facts:
            heads = {p: [e[0], e[2], e[3], e[4]] for p, e in self.files.items()}
            if self.index_record is not None:
                signature = interface_signature((p, e[4]) for p, e in self.files.items())
                if signature != self.index_record[1]:
                    self.index_record = None  # the files changed since it was noted
        else:
            heads = self.heads
        doc = {
            "stamp": _stamp(),
            "files": heads,
            "index": list(self.index_record) if self.index_record is not None else None,
            "findings": {
                "key": self.findings_key,
                "files": self.findings,
                "fingerprints": self.fingerprints,
            },
        }
        if self.with_facts and self._facts_changed():
            facts = {p: [e[0], e[1]] for p, e in self.files.items()}
            write_text(folder, _FACTS, facts_text(_facts_stamp(self.options), facts))
            self._loaded_facts = {p: e[0] for p, e in self.files.items()}
        write_json(folder, _INDEX, doc)
        self.dirty = False

    def _facts_changed(self) -> bool:
        loaded = self._loaded_facts
        return len(loaded) != len(self.files) or any(
            loaded.get(p) != e[0] for p, e in self.files.items()
        )


# --- the layout ------------------------------------------------------------------------------


def _layout_key(settings: Settings, layout: Layout) -> list[Any]:
    # the `.py` files only: they alone decide the services and the ARC000
    # problems (the plain-SQL migrations are listed on every run and decide neither)
    listing = hashlib.blake2b(digest_size=16)
    for path in layout.files:
        listing.update(path.encode("utf-8", "surrogatepass") + b"\0")
    return [
        CACHE_FORMAT,
        __version__,
        settings.fingerprint,
        sorted(settings.explicit_keys),
        listing.hexdigest(),
        layout.source_roots,
        layout.shared_dirs,
    ]


def scan_layout(settings: Settings, *, use_cache: bool = True) -> Layout:
    """`Layout.scan(settings)`: the files are listed every time; the services and
    the ARC000 problems, which follow from the listing, the configuration and
    the folders it names, are taken from the cache when all of those are the
    same as when they were recorded."""
    files, listed, notices = scan_files(settings.root, settings.model.respect_gitignore)
    migrations, compose = split_listed(listed)
    folder = usable_dir(settings.root) if use_cache else None
    if folder is not None:
        layout = Layout(
            settings=settings,
            files=files,
            notices=notices,
            migrations=migrations,
            compose=compose,
        )
        key = _layout_key(settings, layout)
        found = read_json(folder, _LAYOUT, limit=1 << 26)
        restored = _restore(found[0], key) if found is not None else None
        if restored is not None:
            layout.services, layout.problems = restored
            return layout
    scanned = Layout.scan(settings, files=files, migrations=listed)
    scanned.notices = notices
    if folder is not None:
        doc = {
            "key": key,
            "services": [[s.path, s.name] for s in scanned.services.values()],
            "problems": [[p.key, p.message] for p in scanned.problems],
        }
        write_json(folder, _LAYOUT, doc)
    return scanned


def _restore(doc: Any, key: list[Any]) -> tuple[dict[str, Service], list[Problem]] | None:
    try:
        if doc["key"] != key:
            return None
        services, problems = doc["services"], doc["problems"]
        pairs = [*services, *problems]
        if not (
            isinstance(services, list)
            and isinstance(problems, list)
            and all(
                isinstance(p, list) and len(p) == 2 and all(type(s) is str for s in p)
                for p in pairs
            )
        ):
            return None
    except (KeyError, TypeError):
        return None
    return (
        {path: Service(name=name, path=path) for path, name in services},
        [Problem(key, message) for key, message in problems],
    )
