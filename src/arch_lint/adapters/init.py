"""`arch-lint init [--write]` and the run without any configuration (SPEC §3, §5).

The inference itself lives in `arch_lint.index.infer` (read-only, evidence per
value); this module renders it as a `[tool.arch_lint]` block, appends that block
to `pyproject.toml`, and gives `check` the settings it runs on when no table is
found.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import IO, Any

from arch_lint.config.load import RawConfig, find_config, git_root
from arch_lint.config.model import DEFAULT_DATA_LAYER, LoggingConfig
from arch_lint.config.resolve import Settings, resolve
from arch_lint.index.infer import Evidence, Inference, infer

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

EXIT_OK, EXIT_ERROR = 0, 2

NO_CONFIG_NOTICE = "no [tool.arch_lint]: using the layout `arch-lint init` infers"
NOTHING_INFERRED = (
    "no [tool.arch_lint] table found, and `arch-lint init` infers no services and no "
    "shared models here; run `arch-lint init` to see what it finds, then add a "
    "[tool.arch_lint] table (`arch-lint init --write` appends one to pyproject.toml)"
)

__all__ = [
    "NOTHING_INFERRED",
    "NO_CONFIG_NOTICE",
    "InitError",
    "init_main",
    "project_root",
    "render",
    "settings_without_config",
    "write_block",
]


class InitError(Exception):
    """`init --write` cannot write (exit status 2)."""


def project_root(start: Path) -> Path:
    """The directory `init` inspects: the project root `check` would use (SPEC §3):
    the folder of the nearest `pyproject.toml` with a `[tool.arch_lint]` table,
    else the git work tree's top, else the current directory. A service's own
    `pyproject.toml` does not make it a project of its own."""
    config = find_config(start)
    if config is not None:
        return config.parent
    return git_root(start.resolve()) or start.resolve()


# --- rendering ------------------------------------------------------------------------------


def _toml_str(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)


def _comment(text: str) -> str:
    return " ".join(text.split())


def _why(inference: Inference, key: str, value: str) -> str:
    return "; ".join(_comment(w) for w in inference.why(key, value))


def _array(
    inference: Inference, key: str, name: str, values: list[str], defaults: tuple[str, ...] = ()
) -> list[str]:
    """`name = [...]`, one value per line with its evidence; the defaults first, on one line."""
    if not values:
        lines = [f"# {w}" for w in inference.why(key, "")] or ["# nothing found"]
        return [*lines, f"{name} = []"]
    out = [f"{name} = ["]
    kept_defaults = [v for v in values if v in defaults]
    if kept_defaults:
        out.append("  # the defaults")
        out.append("  " + ", ".join(_toml_str(v) for v in kept_defaults) + ",")
    for value in values:
        if value in defaults:
            continue
        why = _why(inference, key, value)
        if not why and value == ".":
            why = "the repository's root (the default)"
        out.append(f"  {_toml_str(value)},  # {why}" if why else f"  {_toml_str(value)},")
    out.append("]")
    out += [f"# {_comment(w)}" for w in inference.why(key, "")]  # what was left out, and why
    return out


def render(inference: Inference) -> str:
    """The inferred configuration as a TOML `[tool.arch_lint]` block (deterministic)."""
    table = inference.table
    lines = [
        "# Inferred by `arch-lint init`: each value with the evidence that produced it.",
        "# Check it, then commit it; `arch-lint check --show-settings` shows the result.",
        "[tool.arch_lint]",
    ]
    lines += _array(inference, "services", "services", list(table.get("services", [])))
    lines += _array(
        inference, "shared-models", "shared-models", list(table.get("shared-models", []))
    )
    for key in ("source-roots", "public"):
        if key in table:
            lines += _array(inference, key, key, list(table[key]))
    if "data-layer" in table:
        lines += _array(
            inference, "data-layer", "data-layer", list(table["data-layer"]), DEFAULT_DATA_LAYER
        )
    for note in inference.notes:
        lines.append(f"# note: {_comment(note)}")
    logging_table: dict[str, Any] = table.get("logging", {})
    if logging_table:
        lines += ["", "[tool.arch_lint.logging]"]
        defaults = tuple(LoggingConfig().logger_factories)
        for key in ("logger-factories", "structlog-factories"):
            if key in logging_table:
                lines += _array(
                    inference, f"logging.{key}", key, list(logging_table[key]), defaults
                )
    urls: dict[str, str] = table.get("models", {}).get("service-urls", {})
    if urls:
        lines += ["", "[tool.arch_lint.models.service-urls]"]
        lines += [f"# {_comment(w)}" for w in inference.why("models.service-urls", "")]
        for key in sorted(urls):
            why = _why(inference, "models.service-urls", key)
            entry = f"{_toml_str(key)} = {_toml_str(urls[key])}"
            lines.append(f"{entry}  # {why}" if why else entry)
    return "\n".join(lines) + "\n"


# --- --write -------------------------------------------------------------------------------


def write_block(root: Path, block: str) -> Path:
    """Append `block` to `root/pyproject.toml` (created if missing), atomically,
    keeping every existing byte; refuse when a `[tool.arch_lint]` table exists."""
    path = root / "pyproject.toml"
    target = path
    if path.is_symlink():
        target = path.resolve()
        try:
            target.relative_to(root.resolve())
        except ValueError:
            raise InitError(
                f"{path}: a symbolic link to {target}, outside the project; not writing through it"
            ) from None
    try:
        old = target.read_bytes() if target.exists() else b""
    except OSError as exc:
        raise InitError(f"{path}: cannot read it ({exc.strerror or exc})") from None
    if old:
        try:
            doc = tomllib.loads(old.decode("utf-8"))
        except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise InitError(f"{path}: not valid TOML ({exc}); fix it first") from None
        tool = doc.get("tool")
        if isinstance(tool, dict) and "arch_lint" in tool:
            raise InitError(
                f"{path} already has a [tool.arch_lint] table; not overwriting it "
                "(run `arch-lint init` without --write to see the inferred one)"
            )
    newline = b"\r\n" if b"\r\n" in old else b"\n"
    added = block.encode("utf-8").replace(b"\n", newline)
    sep = b""
    if old:
        sep = (b"" if old.endswith(b"\n") else newline) + newline
    new = old + sep + added
    try:
        tomllib.loads(new.decode("utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise InitError(
            f"{path}: the result would not be valid TOML ({exc}); not written"
        ) from None
    _atomic_write(target, new)
    return path


def _atomic_write(target: Path, data: bytes) -> None:
    mode = None
    with contextlib.suppress(OSError):
        mode = target.stat().st_mode & 0o7777
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".pyproject.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if mode is not None:
            os.chmod(tmp, mode)
        os.replace(tmp, target)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise InitError(f"{target}: cannot write it ({exc.strerror or exc})") from None


# --- the command -------------------------------------------------------------------------------


def init_main(
    start: Path,
    *,
    write: bool = False,
    stdout: IO[str] | None = None,
    stderr: IO[str] | None = None,
) -> int:
    """`arch-lint init [--write]`: print (or append) the inferred block; the exit status."""
    stdout = stdout or sys.stdout
    stderr = stderr or sys.stderr
    root = project_root(start)
    inference = infer(root)
    block = render(inference)
    if not write:
        stdout.write(block)
        if not inference.found_anything:
            stderr.write("arch-lint: init found no services and no shared models\n")
        return EXIT_OK
    try:
        path = write_block(root, block)
    except InitError as exc:
        stderr.write(f"arch-lint: {exc}\n")
        return EXIT_ERROR
    shown = os.path.relpath(path, Path.cwd())
    stderr.write(f"Appended [tool.arch_lint] to {shown}.\n")
    return EXIT_OK


def settings_without_config(raw: RawConfig) -> tuple[Settings, list[Evidence]] | None:
    """The settings `check` runs on when `raw` found no table (`raw.path is None`):
    what `init` infers at `raw.root`, or None when it infers nothing."""
    inference = infer(raw.root)
    if not inference.found_anything:
        return None
    settings = resolve(RawConfig(path=None, root=raw.root, table=inference.table))
    return settings, inference.evidence
