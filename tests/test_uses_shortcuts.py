"""`read_uses` passes over the runs of statements that span no marked line
(`_UseReader.body`): what they bind is read only when a later statement asks
(`_Bindings.defer`). A file read so gives the same model uses and topics as the
same file read statement by statement, which the reader does where a file may
name a repository class. These tests read the cases below and every Python
file of the fixtures and the examples both ways. (Both ways read a local's
assignments when a statement asks for it: the laziness of `_Bindings` itself
is not what they compare.)"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from arch_lint.index import uses
from arch_lint.index.uses import Uses, read_uses

ROOT = Path(__file__).resolve().parent.parent

# Runs passed over, then a local read after them; a block with a marked line
# after an unmarked one; a class and a nested function between marked lines.
RUNS = b"""
from common.models import OrderPlaced, OrderRow


def handler(producer, raw):
    order = OrderPlaced.model_validate_json(raw)
    a = 1
    b = a + 1
    if b:
        c = [a, b]
    else:
        c = []
    producer.send("orders", order)
    row = OrderRow(**order.model_dump())

    class Local:
        x = 1

    def inner():
        return order

    for item in c:
        producer.publish("items", item)
    return row
"""


# A local bound in both branches of a block that spans no marked line, then sent.
BRANCHES = b"""
from common.models import OrderPlaced


def handler(producer, raw):
    if raw:
        order = OrderPlaced(id=1)
    else:
        order = OrderPlaced(id=2)
    producer.send("orders", order)
"""


def _sources() -> list[Path]:
    files = [*(ROOT / "tests" / "fixtures").rglob("*.py"), *(ROOT / "examples").rglob("*.py")]
    return sorted(p for p in files if ".arch_lint_cache" not in p.parts)


def _both_ways(source: bytes, monkeypatch: pytest.MonkeyPatch) -> tuple[Uses, Uses]:
    tree = ast.parse(source)
    shortcut = read_uses(tree, source)
    with monkeypatch.context() as patch:
        # a file that may name a repository class is read statement by statement
        patch.setattr(uses, "_REPOSITORY_NAME", re.compile(rb""))
        whole = read_uses(ast.parse(source), source)
    return shortcut, whole


@pytest.mark.parametrize("source", [RUNS, BRANCHES], ids=["runs", "branches"])
def test_a_run_passed_over_gives_what_a_whole_reading_gives(
    source: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    shortcut, whole = _both_ways(source, monkeypatch)
    assert shortcut == whole
    assert shortcut.models  # the case reads something: the comparison is not empty


def test_a_local_bound_in_a_block_passed_over_is_read_when_sent(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    shortcut, _ = _both_ways(BRANCHES, monkeypatch)
    assert [(u.kind, u.name) for u in shortcut.models] == [("publish", "OrderPlaced")]


def test_every_fixture_and_example_file_reads_alike_both_ways(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    files = _sources()
    assert len(files) > 300
    read_something = 0
    for path in files:
        source = path.read_bytes()
        try:
            ast.parse(source)
        except (SyntaxError, ValueError):
            continue
        shortcut, whole = _both_ways(source, monkeypatch)
        assert shortcut == whole, path
        read_something += bool(whole.models or whole.topics)
    assert read_something > 50
