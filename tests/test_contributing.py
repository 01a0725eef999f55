"""The rule CONTRIBUTING.md shows as the way to write a rule on the semantic
model is real code: it defines a valid rule and finds what it says it finds."""

from __future__ import annotations

import ast
import re
import textwrap
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from arch_lint.index.facts import FileFacts
from arch_lint.rules._base import FileContext, FileRule

ROOT = Path(__file__).resolve().parent.parent


def example_rule() -> type[FileRule]:
    text = (ROOT / "CONTRIBUTING.md").read_text(encoding="utf-8")
    match = re.search(r'^```python\n("""ARC\d{3} .*?)^```$', text, re.S | re.M)
    assert match is not None, "CONTRIBUTING.md lost its example rule"
    namespace: dict[str, Any] = {"__name__": "contributing_example"}
    exec(compile(match.group(1), "CONTRIBUTING.md", "exec"), namespace)
    rules = [v for v in namespace.values() if isinstance(v, type) and issubclass(v, FileRule)]
    rules = [r for r in rules if r is not FileRule]
    assert len(rules) == 1
    return rules[0]


def findings(code: str) -> list[tuple[int, str]]:
    rule = example_rule()
    source = textwrap.dedent(code).encode()
    index = SimpleNamespace(
        layout=SimpleNamespace(service_of=lambda path: None),
        modules=SimpleNamespace(module_of=lambda path: None),
    )
    ctx = FileContext(
        "services/orders/worker.py",
        None,  # type: ignore[arg-type]  # the example asks no setting
        index,  # type: ignore[arg-type]
        FileFacts(),
        source,
        ast.parse(source),
    )
    assert rule.applies(None, source)  # type: ignore[arg-type]
    rule(ctx).check_tree(ctx.tree)  # type: ignore[arg-type]
    return [(f.line, f.message) for f in ctx.findings]


def test_the_example_rule_finds_blocking_sleeps_however_imported() -> None:
    found = findings(
        """
        import time as t
        from time import sleep as pause


        async def poll() -> None:
            t.sleep(1)
            if True:
                pause(2)


        def sync_poll() -> None:
            t.sleep(1)


        async def shadowed(pause) -> None:
            pause(3)
        """
    )
    assert found == [
        (7, "`poll` calls `t.sleep`, which blocks the event loop"),
        (9, "`poll` calls `pause`, which blocks the event loop"),
    ]
