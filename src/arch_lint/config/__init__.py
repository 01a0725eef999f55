"""Configuration: load (find and read TOML) -> model (pydantic) -> resolve (Settings)."""

from __future__ import annotations

from pathlib import Path

from arch_lint.config.load import ConfigError, RawConfig, load
from arch_lint.config.resolve import Settings, resolve

__all__ = ["ConfigError", "RawConfig", "Settings", "load", "load_settings", "resolve"]


def load_settings(explicit: Path | None, start: Path) -> Settings:
    """Find, read and validate the configuration for a run starting at `start`."""
    return resolve(load(explicit, start))
