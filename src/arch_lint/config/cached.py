"""The validated configuration, cached by the bytes of its file.

Validating a table means building pydantic's validators (about 0.1 s), more than
the rest of a small warm run. So the configuration that passed validation is
written to `.arch_lint_cache/config.json` at the project root, as the JSON of
`ArchLintConfig` with the table's explicit keys and the regular expressions its
globs translate to; the next run whose configuration file has exactly the same
bytes (and the same arch-lint: its version and the modification times of the
modules that define and check the table, the rule registry among them) takes it
from there and imports neither pydantic nor pathspec nor tomllib.

A changed file is a different key: it is read and validated again, and a bad
one is reported (exit 2) exactly as without the cache, which only ever holds a
configuration that was valid. A damaged or foreign cache file is ignored, and
the cache directory is never read or written through a symbolic link. This
module also holds the cache directory's helpers that the index cache uses.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

from arch_lint import __version__
from arch_lint.config.model import ArchLintConfig
from arch_lint.config.resolve import PATTERN_REGEXES, Settings, globs
from arch_lint.source import read_regular

CACHE_DIR = ".arch_lint_cache"
FORMAT = 1
_FILE = "config.json"
_HERE = os.path.dirname(os.path.abspath(__file__))
_WATCHED = (
    os.path.join(_HERE, "model.py"),
    os.path.join(_HERE, "resolve.py"),
    os.path.join(_HERE, "validate.py"),
    os.path.join(_HERE, "load.py"),
    os.path.join(os.path.dirname(_HERE), "rules"),
    os.path.join(os.path.dirname(_HERE), "rules", "__init__.py"),
)
"""What a validated table depends on besides its bytes: the table's description,
its validation and the rule registry that codes are checked against (a rule
added or removed changes its folder). An installed arch-lint never changes
them; a working copy that does is validated again."""


# --- the cache directory -----------------------------------------------------------------


def usable_dir(root: Path) -> Path | None:
    """`root/.arch_lint_cache`, or None when it is a symbolic link (the checked
    tree could point it anywhere: it is neither read nor written through one)."""
    folder = root / CACHE_DIR
    return None if folder.is_symlink() else folder


def read_json(folder: Path, name: str, limit: int = 1 << 30) -> tuple[Any, int] | None:
    """(document, mtime in ns) of `folder/name`, or None when it is missing,
    unreadable, not JSON or nested too deeply."""
    path = folder / name
    try:
        written = os.stat(path).st_mtime_ns
        return json.loads(read_regular(path, limit=limit)), written
    except (OSError, ValueError, RecursionError, MemoryError):
        return None


def write_json(folder: Path, name: str, doc: Any) -> None:
    """Write `folder/name` atomically (a temporary file, then `os.replace`), with
    the folder's `.gitignore`; a read-only checkout is simply not cached."""
    # `dumps` (C) then one write: `dump` streams through the Python encoder
    write_text(folder, name, json.dumps(doc, separators=(",", ":")))


def write_text(folder: Path, name: str, text: str) -> None:
    """`write_json` of text as it is (ASCII: JSON's escapes; line breaks as written)."""
    import tempfile  # a warm run writes nothing

    try:
        folder.mkdir(exist_ok=True)
        if folder.is_symlink() or not folder.is_dir():
            return  # replaced by a link meanwhile: never write through it
        ignore = folder / ".gitignore"
        if not ignore.exists() and not ignore.is_symlink():
            ignore.write_text("# created by arch-lint\n*\n")
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{name}-", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="ascii", newline="") as handle:
                handle.write(text)
            os.replace(tmp, folder / name)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError:
        pass


# --- the configuration ----------------------------------------------------------------------


def _code_stamp() -> list[list[int]]:
    out = []
    for path in _WATCHED:
        try:
            info = os.stat(path)
        except OSError:
            out.append([0, -1])
        else:
            out.append([info.st_mtime_ns, info.st_size])
    return out


def _key(config: Path, raw: bytes) -> list[Any]:
    digest = hashlib.blake2b(raw, digest_size=16).hexdigest()
    return [FORMAT, __version__, _code_stamp(), str(config), digest]


def lookup(path: Path, raw: bytes) -> Settings | None:
    """The settings validated from exactly these bytes of the configuration file
    at `path`, or None when the cache does not hold them."""
    config = path.resolve()
    root = config.parent
    folder = usable_dir(root)
    found = read_json(folder, _FILE, limit=1 << 24) if folder is not None else None
    if found is None:
        return None
    doc = found[0]
    try:
        if not isinstance(doc, dict) or doc.get("key") != _key(config, raw):
            return None
        model = ArchLintConfig.from_json(doc["model"])
        explicit = doc["explicit"]
        regexes = doc["regexes"]
        if not (
            isinstance(explicit, list)
            and all(type(k) is str for k in explicit)
            and isinstance(regexes, dict)
            and all(type(r) is str or r is None for r in regexes.values())
        ):
            return None
        text = raw.decode("utf-8")
    except (KeyError, TypeError, ValueError):
        return None  # ValueError: a damaged model, or bytes that are not UTF-8
    for pattern, regex in regexes.items():
        PATTERN_REGEXES.setdefault(pattern, regex)
    return Settings.of(root, config, text, model, frozenset(explicit))


def store(settings: Settings, raw: bytes) -> None:
    """Record settings validated from the configuration file's bytes `raw`."""
    config = settings.config_path
    if config is None:
        return
    folder = usable_dir(settings.root)
    if folder is None:
        return
    doc = {
        "key": _key(config, raw),
        "model": settings.model.to_json(),
        "explicit": sorted(settings.explicit_keys),
        "regexes": {
            pattern: PATTERN_REGEXES[pattern]
            for _, pattern in globs(settings.model)
            if pattern in PATTERN_REGEXES
        },
    }
    found = read_json(folder, _FILE, limit=1 << 24)
    if found is not None and found[0] == doc:
        return  # another run wrote it already
    write_json(folder, _FILE, doc)
