"""The on-disk cache in `.arch_lint_cache/` (JSON, never pickle: the cache sits
in the checked repository, and arch-lint must be safe on untrusted code).

Facts are keyed by each file's content hash and arch-lint's version; findings
by the file's hash and the index digest (every fact they can depend on plus the
configuration). A corrupt, truncated or foreign cache is ignored; writes are
atomic (a temporary file, then `os.replace`), so two runs at once never leave a
broken cache behind — at worst one run's update is lost.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from arch_lint import __version__
from arch_lint.index.facts import FACTS_VERSION
from arch_lint.source import read_regular

CACHE_DIR = ".arch_lint_cache"
CACHE_FORMAT = 5
_FILE = "index.json"
_ENTRY = 5


def _stamp(options: list[Any]) -> list[Any]:
    return [CACHE_FORMAT, __version__, FACTS_VERSION, options]


def _file_entry_ok(entry: Any) -> bool:
    """[hash, facts JSON text | None, [line, col, message] | None,
    [mtime_ns, size, ctime_ns, inode], interface hash]"""
    if not (isinstance(entry, list) and len(entry) == _ENTRY):
        return False
    digest, facts, err, stamp, iface = entry
    err_ok = err is None or (
        isinstance(err, list)
        and len(err) == 3
        and isinstance(err[0], int)
        and isinstance(err[1], int)
        and isinstance(err[2], str)
    )
    return (
        isinstance(digest, str)
        and (facts is None or isinstance(facts, str))
        and err_ok
        and isinstance(stamp, list)
        and len(stamp) == 4
        and all(type(n) is int for n in stamp)
        and isinstance(iface, str)
    )


def _findings_entry_ok(entry: Any) -> bool:
    """[hash, [finding dicts], [used allow indices]]"""
    return (
        isinstance(entry, list)
        and len(entry) == 3
        and isinstance(entry[0], str)
        and isinstance(entry[1], list)
        and all(isinstance(f, dict) for f in entry[1])
        and isinstance(entry[2], list)
        and all(isinstance(i, int) for i in entry[2])
    )


def _fingerprints_entry_ok(entry: Any) -> bool:
    """[hash, [fingerprint, ...]]"""
    return (
        isinstance(entry, list)
        and len(entry) == 2
        and isinstance(entry[0], str)
        and isinstance(entry[1], list)
        and all(isinstance(f, str) for f in entry[1])
    )


class Cache:
    """Load-modify-store of one JSON document."""

    def __init__(
        self, root: Path, enabled: bool = True, facts_options: list[Any] | None = None
    ) -> None:
        self.dir = root / CACHE_DIR
        self.stamp = _stamp(facts_options or [])
        """Facts depend on the content and on these few settings (the envelope's name)."""
        self.enabled = enabled
        self.files: dict[str, list[Any]] = {}
        """path -> [content hash, facts json | None, syntax error | None,
        [mtime_ns, size, ctime_ns, inode], interface hash]"""
        self.written_ns = 0
        """When the cache file was last written (its mtime), 0 if there is none."""
        self.findings_key: str = ""
        self.findings: dict[str, list[Any]] = {}
        """path -> [content hash, [finding dicts], [used allow indices]]"""
        self.fingerprints: dict[str, list[Any]] = {}
        """path -> [content hash, [fingerprints of its findings, in order]], valid
        while `findings_key` is (the findings they belong to are the same)."""
        self.dirty = False
        self.notices: list[str] = []
        if enabled and self.dir.is_symlink():
            # The checked tree could point the cache anywhere: it is neither
            # read nor written through a link.
            self.enabled = False
            self.notices.append(
                f"{CACHE_DIR}: a symbolic link; running without the cache (delete the link)"
            )
        if self.enabled:
            self._load()

    def _load(self) -> None:
        try:
            path = self.dir / _FILE
            written = path.stat().st_mtime_ns
            doc = json.loads(read_regular(path, limit=1 << 30))
        except (OSError, ValueError, RecursionError, MemoryError):
            return  # missing, unreadable, not JSON or nested too deeply: start afresh
        try:
            if doc["stamp"] != self.stamp:
                return
            files, findings = doc["files"], doc["findings"]
            if not isinstance(files, dict) or not isinstance(findings, dict):
                return
            self.files = {p: e for p, e in files.items() if _file_entry_ok(e)}
            self.written_ns = written
            found = findings["files"]
            if isinstance(found, dict):
                self.findings_key = str(findings["key"])
                self.findings = {p: e for p, e in found.items() if _findings_entry_ok(e)}
                prints = findings.get("fingerprints")
                if isinstance(prints, dict):
                    self.fingerprints = {
                        p: e for p, e in prints.items() if _fingerprints_entry_ok(e)
                    }
        except (KeyError, TypeError):
            self.files, self.findings_key, self.findings = {}, "", {}

    def store(self) -> None:
        if not self.enabled or not self.dirty:
            return
        doc = {
            "stamp": self.stamp,
            "files": self.files,
            "findings": {
                "key": self.findings_key,
                "files": self.findings,
                "fingerprints": self.fingerprints,
            },
        }
        try:
            self.dir.mkdir(exist_ok=True)
            if self.dir.is_symlink() or not self.dir.is_dir():
                return  # replaced by a link meanwhile: never write through it
            ignore = self.dir / ".gitignore"
            if not ignore.exists() and not ignore.is_symlink():
                ignore.write_text("# created by arch-lint\n*\n")
            fd, tmp = tempfile.mkstemp(dir=self.dir, prefix=".index-", suffix=".tmp")
            try:
                with os.fdopen(fd, "w") as handle:
                    json.dump(doc, handle, separators=(",", ":"))
                os.replace(tmp, self.dir / _FILE)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        except OSError:
            pass  # a read-only checkout still lints; it is just not cached
