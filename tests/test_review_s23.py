"""Inputs on which shortcuts of the performance work (s23) once gave other
results than the code before them: a `response_model=` that only its own
marker finds, and names or keywords spelled otherwise in a `# coding: utf-7`
file than Python reads them (`source.spelled_as_is`)."""

from __future__ import annotations

import ast
import shutil
import textwrap
from pathlib import Path

from arch_lint.config import load_settings
from arch_lint.engine.run import run
from arch_lint.index.facts import extract

FIXTURES = Path(__file__).parent / "fixtures" / "rules"


def _facts(text: str):  # type: ignore[no-untyped-def]
    source = textwrap.dedent(text).encode()
    return extract(ast.parse(source), source)


def test_response_model_keyword_outside_a_route_decorator_is_a_model_use() -> None:
    facts = _facts(
        """\
        from fastapi import FastAPI
        from .schemas import Item

        app = FastAPI()


        def list_items():
            return []


        app.add_api_route("/items", list_items, response_model=Item)
        """
    )
    assert [tuple(use) for use in facts.model_uses] == [("response", "Item", "")]


BROKER_HELPERS = """\
import json

from app.bus import Bus


def make_bus() -> Bus:
    return Bus()


def publish_event(payload: dict) -> None:
    bus = get_bus()
    bus.publish(json.dumps(payload))


def get_bus() -> Bus:
    return Bus()
"""


def test_broker_facts_of_a_utf7_source_use_a_model_of_the_kept_statements() -> None:
    from arch_lint.index.brokers import read_brokers

    text = "# coding: utf-7\n" + BROKER_HELPERS + "\nbus = +AG0-ake_bus()\n"
    source = text.encode("ascii")
    tree = ast.parse(source)
    assert isinstance(tree.body[-1], ast.Assign)  # `bus = make_bus()`, decoded
    facts = read_brokers(tree, source)
    assert facts is not None
    assert facts.names == {}  # as the model of the kept statements alone reads them
    assert "publish_event" in facts.sends


def test_a_yield_spelled_in_utf7_still_streams() -> None:
    from arch_lint.index.uses import read_uses

    text = (
        "# coding: utf-7\n"
        "from fastapi.responses import StreamingResponse\n"
        "from .schemas import Tick\n"
        "\n\n"
        "async def ticks():\n"
        "    +AHk-ield Tick.model_validate({}).model_dump_json()\n"
        "\n\n"
        "def stream():\n"
        "    return StreamingResponse(ticks())\n"
    )
    source = text.encode("ascii")
    uses = read_uses(ast.parse(source), source)
    assert [tuple(use) for use in uses.models] == [("parse", "Tick", ""), ("stream", "Tick", "")]


def test_a_response_model_in_a_route_decorator_is_a_use(tmp_path: Path) -> None:
    """The setting of the next test, with the route decorated: no finding."""
    case = _arc202_case(tmp_path, decorated=True)
    assert _arc202(case) == []


def test_arc202_a_response_model_given_to_add_api_route_is_a_use(tmp_path: Path) -> None:
    case = _arc202_case(tmp_path, decorated=False)
    assert _arc202(case) == []


def _arc202_case(tmp_path: Path, *, decorated: bool) -> Path:
    case = tmp_path / "case"
    shutil.copytree(FIXTURES / "ARC202_by_usage", case)
    api = case / "services" / "security" / "api.py"
    text = api.read_text()
    route = '@router.get("/events", response_model=list[SecurityEvent])\n'
    assert route in text
    if not decorated:  # the same route, registered by a call (no route decorator)
        text = text.replace(route, "")
        text += (
            '\n\nrouter.add_api_route("/events", events, methods=["GET"], '
            "response_model=list[SecurityEvent])\n"
        )
    api.write_text(text)
    return case


def _arc202(case: Path) -> list[str]:
    settings = load_settings(None, case)
    result = run(settings, [case], use_cache=False)
    return [f.message for f in result.findings if "SecurityEvent" in f.message]
