"""The index keeps compact facts, not syntax trees (SPEC §6): the build parses
one file at a time and lets go of its tree and bytes before the next; the
check parses a file again when a tree rule is relevant to it."""

from __future__ import annotations

import ast
import gc
import tracemalloc
from pathlib import Path

import pytest
from helpers import CONFIG, make_repo

from arch_lint.config import load_settings
from arch_lint.index.build import ChangedFile, build
from arch_lint.source import source_lines

FILES = 40
MODULE = '''\
"""A handler module of the kind services have."""

from __future__ import annotations

import logging

from pydantic import BaseModel, Field

from services.orders.db import Session

logger = logging.getLogger(__name__)


class OrderPlacedV1(BaseModel):
    order_id: str = Field(description="The order")
    amount: int = Field(description="In cents")
'''
FUNCTION = '''

def handle_{n}(event: OrderPlacedV1, correlation_id: str) -> dict[str, object]:
    """Handle one event."""
    total = 0
    for line in range(event.amount):
        if line % 3 == 0 and total < {n}:
            total += line * {n}
        elif line % 5 == 0:
            total -= 1
    logger.info("handled", extra={{"correlation_id": correlation_id, "total": total}})
    return {{"order": event.order_id, "total": total, "session": Session}}
'''


def _module(functions: int = 12) -> str:
    return MODULE + "".join(FUNCTION.format(n=n) for n in range(functions))


def _repo(tmp_path: Path, files: int = FILES) -> Path:
    layout: dict[str, str] = {
        "pyproject.toml": CONFIG,
        "services/__init__.py": "",
        "services/orders/__init__.py": "",
        "services/orders/db.py": "class Session:\n    pass\n",
    }
    for n in range(files):
        layout[f"services/orders/handler_{n}.py"] = _module()
    return make_repo(tmp_path, layout)


def _build_memory(root: Path) -> tuple[int, int]:
    """(bytes the index of `root` keeps, bytes its build needs beyond them at its peak)."""
    settings = load_settings(None, root)
    build(settings, use_cache=False)  # what a first build loads and caches once
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        built = build(settings, use_cache=False)
        after, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(built.index.facts) == len(built.sources)
    return after - before, peak - after


def test_the_build_keeps_neither_trees_nor_bytes(tmp_path: Path) -> None:
    root = _repo(tmp_path, files=5)
    settings = load_settings(None, root)
    gc.collect()
    modules = sum(isinstance(o, ast.Module) for o in gc.get_objects())
    built = build(settings, use_cache=False)
    gc.collect()
    assert sum(isinstance(o, ast.Module) for o in gc.get_objects()) == modules
    assert built.sources
    for source in built.sources.values():
        assert source.tree is None
        assert not any(isinstance(getattr(source, slot, None), bytes) for slot in source.__slots__)


def test_build_memory_grows_by_facts_not_trees(tmp_path: Path) -> None:
    """Four times the files: the index keeps far less than a tree per file more,
    and the build's peak beyond what it keeps does not grow (nothing piles up)."""
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        tree = ast.parse(_module())
        tree_size = tracemalloc.get_traced_memory()[0] - before
        del tree
    finally:
        tracemalloc.stop()
    small_kept, small_peak = _build_memory(_repo(tmp_path / "small", files=FILES // 4))
    kept, peak = _build_memory(_repo(tmp_path / "large", files=FILES))
    assert kept - small_kept < (FILES - FILES // 4) * tree_size / 8, (kept, small_kept, tree_size)
    assert peak < small_peak + tree_size, (peak, small_peak, tree_size)


def test_the_check_reads_the_content_the_index_was_built_from(tmp_path: Path) -> None:
    root = _repo(tmp_path, files=1)
    settings = load_settings(None, root)
    built = build(settings, use_cache=False)
    handler = built.sources["services/orders/handler_0.py"]
    assert source_lines(handler.source.decode())[0] == source_lines(_module())[0]
    (root / "services/orders/handler_0.py").write_text("X = 1\n", encoding="utf-8")
    with pytest.raises(ChangedFile):
        _ = handler.source


def test_an_overridden_file_is_read_from_its_override(tmp_path: Path) -> None:
    root = _repo(tmp_path, files=1)
    settings = load_settings(None, root)
    buffer = b"from services.orders.db import Session\n"
    built = build(settings, use_cache=False, overrides={"services/orders/handler_0.py": buffer})
    assert built.sources["services/orders/handler_0.py"].source is buffer
    imports = built.index.facts["services/orders/handler_0.py"].imports
    assert [stmt.module for stmt in imports] == ["services.orders.db"]


def test_a_checked_file_leaves_no_tree_behind(tmp_path: Path) -> None:
    from arch_lint.engine.run import run

    root = _repo(tmp_path, files=3)
    settings = load_settings(None, root)
    gc.collect()
    run(settings, [root], jobs=1, use_cache=False)
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        gc.collect()
        left = [o for o in gc.garbage if isinstance(o, ast.AST)]
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
    assert left == []
