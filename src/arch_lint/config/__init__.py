"""Configuration: load (find and read TOML) -> model (dataclasses; pydantic checks
a new table) -> resolve (Settings), with the validated result cached by the
configuration file's bytes (`cached`)."""

from __future__ import annotations

from pathlib import Path

from arch_lint.config import cached
from arch_lint.config.load import (
    ConfigError,
    RawConfig,
    check_explicit,
    find_config,
    load,
    no_config,
    read_bytes,
    read_config,
)
from arch_lint.config.resolve import Settings, resolve

__all__ = [
    "ConfigError",
    "RawConfig",
    "Settings",
    "load",
    "load_project",
    "load_settings",
    "resolve",
]


def load_settings(explicit: Path | None, start: Path, *, use_cache: bool = True) -> Settings:
    """Find, read and validate the configuration for a run starting at `start`
    (the defaults when there is none)."""
    found = load_project(explicit, start, use_cache=use_cache)
    return found if isinstance(found, Settings) else resolve(found)


def load_project(
    explicit: Path | None, start: Path, *, use_cache: bool = True
) -> Settings | RawConfig:
    """The settings of `explicit`, or of the nearest configuration above `start`;
    where there is none, the `RawConfig` without a path (its root only), for the
    caller to choose defaults or inferred ones.

    `use_cache`: take a configuration whose file has the very bytes of one that
    passed validation before from the cache, and record a newly validated one
    there (a bad configuration raises `ConfigError` either way, and is never
    recorded)."""
    hits: list[Settings] = []

    def known(path: Path, raw: bytes) -> bool:
        settings = cached.lookup(path, raw) if use_cache else None
        if settings is not None:
            hits.append(settings)
        return settings is not None

    raw: bytes | None = None
    if explicit is not None:
        check_explicit(explicit)
        path = explicit
        raw = read_bytes(path)
        if known(path, raw):
            return hits[0]
    else:
        found = find_config(start, known)
        if found is None:
            return no_config(start)
        if hits:
            return hits[0]
        path = found
        raw = read_bytes(path)
    settings = resolve(read_config(path, raw))
    if use_cache:
        cached.store(settings, raw)
    return settings
