"""`arch-lint graph` (SPEC §5 "Graph and init"): the nodes, the edges and their
counts, the violations on them, the three formats, the command line, and the
README's picture of examples/shop."""

from __future__ import annotations

import ast
import json
import re
import shutil
import subprocess
import warnings
from pathlib import Path
from typing import Any

import pydot
import pytest
from helpers import assert_no_traceback, make_repo, run_cli, run_subprocess

from arch_lint.config import load_settings
from arch_lint.engine.run import run
from arch_lint.index.facts import extract
from arch_lint.index.uses import TopicUse, read_uses
from arch_lint.report.graph import (
    EDGE_SOURCES,
    EVENTS,
    HTTP,
    IMPORTS,
    Graph,
    Link,
    build_graph,
    event_links,
    http_links,
    import_links,
)
from arch_lint.report.graph_formats import render_graph, to_dot, to_mermaid

ROOT = Path(__file__).parent.parent
SHOP = ROOT / "examples" / "shop"

CONFIG = '[tool.arch_lint]\nservices = ["services/*"]\nshared-models = ["common/models"]\n'

MODELS = """\
from typing import Generic, TypeVar

from pydantic import BaseModel, Field

T = TypeVar("T")


class EventEnvelope(BaseModel, Generic[T]):
    event_id: str = Field(description="id")
    event_timestamp: str = Field(description="when")
    source_service: str = Field(description="who")
    correlation_id: str = Field(description="chain")
    data: T = Field(description="the event")


class OrderPlacedV1(BaseModel):
    order_id: int = Field(description="The order")


class RefundIssuedV1(BaseModel):
    refund_id: int = Field(description="The refund")
"""

ORDERS_API = """\
from typing import TYPE_CHECKING

from common.models import EventEnvelope, OrderPlacedV1
from libs.shared.bus import producer
from services.payments import gateway, models_db
from services.payments.gateway import charge

if TYPE_CHECKING:
    from services.payments.models_db import Payment

TOPIC = "orders.placed"


async def place(order_id: int) -> None:
    await producer.send_and_wait(
        TOPIC,
        EventEnvelope[OrderPlacedV1](
            event_id="1", event_timestamp="t", source_service="orders", correlation_id="c",
            data=OrderPlacedV1(order_id=order_id),
        ).model_dump_json().encode(),
    )
"""

PAYMENTS_CONSUMER = """\
from aiokafka import AIOKafkaConsumer

from common.models import EventEnvelope, OrderPlacedV1

consumer = AIOKafkaConsumer("orders.placed", bootstrap_servers="kafka:9092")


async def on_placed(envelope: EventEnvelope[OrderPlacedV1]) -> None:
    print(envelope.data.order_id)
"""

PAYMENTS_REFUNDS = """\
import aio_pika


async def refund(channel: aio_pika.abc.AbstractChannel) -> None:
    routing_key = "refunds"
    await channel.default_exchange.publish(aio_pika.Message(body=b"x"), routing_key=routing_key)
"""

SHIPPING_WORKER = """\
import aio_pika


async def main(channel: aio_pika.abc.AbstractChannel) -> None:
    queue = await channel.declare_queue("refunds")
    await channel.default_exchange.publish(aio_pika.Message(body=b"y"), routing_key="refunds")
    await channel.declare_queue("orders.placed")
    print(queue)
"""

BILLING = """\
from sqlalchemy import text


def total(session) -> int:
    return session.execute(text("SELECT sum(amount) FROM payments")).scalar()
"""


def graph_files() -> dict[str, str]:
    """Four services (orders, payments, shipping, billing), the shared models,
    a library `libs.shared` (inside the container folder `libs/`), a script and
    a test that import services (neither is a node, nor counted).

    Imports, by statement: orders -> common.models 1, -> libs.shared 1,
    -> payments 3 (`gateway, models_db` in one statement, `gateway.charge`, the
    TYPE_CHECKING `models_db`); libs.shared -> nothing of the project.
    Events: orders publishes `orders.placed` (a module constant) with
    `OrderPlacedV1`; payments subscribes to `orders.placed` (a consumer's
    constructor) and receives `EventEnvelope[OrderPlacedV1]`; payments
    publishes `refunds` (a local), which shipping declares but also publishes
    itself (a declaration is weak evidence: no edge); shipping declares
    `orders.placed`, which it does not publish (an edge orders -> shipping).
    Violations: orders -> payments ARC101 x2 (the statement with `models_db`,
    the TYPE_CHECKING one), ARC102 x1 (`gateway.charge`); billing -> payments
    ARC103 x1 (a table, no import).
    """
    return {
        "pyproject.toml": CONFIG,
        "common/__init__.py": "",
        "common/models/__init__.py": MODELS,
        "libs/__init__.py": "",
        "libs/shared/__init__.py": "",
        "libs/shared/bus.py": (
            "from aiokafka import AIOKafkaProducer\n\nproducer = AIOKafkaProducer()\n"
        ),
        "libs/shared/retry.py": "def retry() -> None:\n    pass\n",
        "scripts/backfill.py": "from services.orders import api\n",
        "services/__init__.py": "",
        "services/orders/__init__.py": "",
        "services/orders/api.py": ORDERS_API,
        "services/orders/tests/test_api.py": "from services.payments import models_db\n",
        "services/payments/__init__.py": "",
        "services/payments/gateway.py": "def charge() -> None:\n    pass\n",
        "services/payments/models_db.py": (
            "from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column\n\n\n"
            "class Base(DeclarativeBase):\n    pass\n\n\n"
            "class Payment(Base):\n"
            '    __tablename__ = "payments"\n'
            "    id: Mapped[int] = mapped_column(primary_key=True)\n"
        ),
        "services/payments/consumer.py": PAYMENTS_CONSUMER,
        "services/payments/refunds.py": PAYMENTS_REFUNDS,
        "services/shipping/__init__.py": "",
        "services/shipping/worker.py": SHIPPING_WORKER,
        "services/billing/__init__.py": "",
        "services/billing/report.py": BILLING,
    }


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    make_repo(tmp_path, graph_files())
    monkeypatch.chdir(tmp_path)
    return tmp_path


def graph_of(root: Path, *, select: list[str] | None = None) -> Graph:
    settings = load_settings(None, root, use_cache=False)
    if select is not None:
        settings = settings.with_selection(select, None, None)
    result = run(settings, [root], use_cache=False)
    return build_graph(result.built.index, result.findings)


def table(graph: Graph) -> dict[tuple[str, str], dict[str, Any]]:
    """(from, to) -> {kind: count, ..., "via:<kind>": names, "violations": {...}}."""
    out: dict[tuple[str, str], dict[str, Any]] = {}
    for edge in graph.edges:
        row: dict[str, Any] = {}
        for dep in edge.ordered():
            row[dep.kind] = dep.count
            row[f"via:{dep.kind}"] = list(dep.via)
        if edge.violations:
            row["violations"] = dict(edge.violations)
        out[(edge.source, edge.target)] = row
    return out


# --- nodes and edges -------------------------------------------------------------


def test_nodes_are_services_shared_models_and_the_libraries_services_import(repo: Path) -> None:
    graph = graph_of(repo)
    assert [(n.id, n.kind, n.path) for n in graph.nodes] == [
        ("billing", "service", "services/billing"),
        ("orders", "service", "services/orders"),
        ("payments", "service", "services/payments"),
        ("shipping", "service", "services/shipping"),
        ("common.models", "shared-models", "common/models"),
        ("libs.shared", "library", "libs/shared"),
    ]  # `scripts` imports a service but no service imports it: no node


def test_edges_count_import_statements_events_and_violations(repo: Path) -> None:
    assert table(graph_of(repo)) == {
        ("orders", "common.models"): {IMPORTS: 1, "via:imports": ["common.models"]},
        ("orders", "libs.shared"): {IMPORTS: 1, "via:imports": ["libs.shared.bus"]},
        ("orders", "payments"): {
            IMPORTS: 3,  # one statement reaching two modules counts once
            "via:imports": ["services.payments.gateway", "services.payments.models_db"],
            EVENTS: 2,
            "via:events": ["OrderPlacedV1", "orders.placed"],
            "violations": {"ARC101": 2, "ARC102": 1},
        },
        ("orders", "shipping"): {EVENTS: 1, "via:events": ["orders.placed"]},
        ("payments", "common.models"): {IMPORTS: 1, "via:imports": ["common.models"]},
        ("billing", "payments"): {"violations": {"ARC103": 1}},
    }


def test_the_selection_decides_the_violations_not_the_edges(repo: Path) -> None:
    rows = table(graph_of(repo, select=["ARC102"]))
    assert rows[("orders", "payments")]["violations"] == {"ARC102": 1}
    assert rows[("orders", "payments")][IMPORTS] == 3
    assert ("billing", "payments") not in rows


def test_violations_only_keeps_the_edges_with_violations(repo: Path) -> None:
    graph = graph_of(repo).violations_only()
    assert [(e.source, e.target) for e in graph.edges] == [
        ("billing", "payments"),
        ("orders", "payments"),
    ]
    assert [n.id for n in graph.nodes] == ["billing", "orders", "payments"]


def test_a_library_folder_with_several_packages_is_one_node(tmp_path: Path) -> None:
    """`shared/` holds `kafka/` and `retry.py`: the library is `shared`, and its
    import of a service is an edge from it."""
    make_repo(
        tmp_path,
        {
            "pyproject.toml": '[tool.arch_lint]\nservices = ["services/*"]\nshared-models = []\n',
            "services/a/__init__.py": "",
            "services/a/main.py": "from shared.kafka.bus import send\nfrom shared import retry\n",
            "services/b/__init__.py": "",
            "services/b/client.py": "URL = 'http://b'\n",
            "shared/__init__.py": "",
            "shared/retry.py": "from services.b.client import URL\n",
            "shared/kafka/__init__.py": "",
            "shared/kafka/bus.py": "def send() -> None:\n    pass\n",
        },
    )
    graph = graph_of(tmp_path)
    assert [(n.id, n.kind, n.path) for n in graph.nodes][-1] == ("shared", "library", "shared")
    assert table(graph) == {
        ("a", "shared"): {IMPORTS: 2, "via:imports": ["shared.kafka.bus", "shared.retry"]},
        ("shared", "b"): {IMPORTS: 1, "via:imports": ["services.b.client"]},
    }


def test_http_edges_come_from_an_edge_source_of_their_own(repo: Path) -> None:
    """The seam the HTTP map plugs into: one more source in the list (here a
    fake one, the fixture having no HTTP calls)."""
    assert (import_links, http_links, event_links) == EDGE_SOURCES

    def fake_http_links(index: object) -> list[Link]:
        return [
            Link("services/orders/api.py", "services/payments/gateway.py", HTTP, "POST /charge",
                 "services/orders/api.py:20"),
            Link("services/orders/api.py", "services/payments/gateway.py", HTTP, "POST /charge",
                 "services/orders/api.py:22"),
            Link("services/shipping/worker.py", "services/billing/report.py", HTTP, "GET /total",
                 "services/shipping/worker.py:4"),
        ]  # fmt: skip

    settings = load_settings(None, repo, use_cache=False)
    result = run(settings, [repo], use_cache=False)
    graph = build_graph(result.built.index, result.findings, (*EDGE_SOURCES, fake_http_links))
    rows = table(graph)
    assert rows[("orders", "payments")][HTTP] == 2
    assert rows[("orders", "payments")]["via:http"] == ["POST /charge"]
    assert rows[("shipping", "billing")] == {HTTP: 1, "via:http": ["GET /total"]}
    edge = next(e for e in graph.edges if (e.source, e.target) == ("orders", "payments"))
    assert [d.kind for d in edge.ordered()] == [IMPORTS, HTTP, EVENTS]
    assert '  s_shipping ==>|"http: 1 (GET /total)"| s_billing' in to_mermaid(graph).splitlines()
    assert '"shipping" -> "billing" [label="http: 1 (GET /total)", style=bold];' in to_dot(graph)


# --- HTTP edges, from the HTTP map ------------------------------------------------

HTTP_FIXTURE = ROOT / "tests" / "fixtures" / "rules" / "ARC208_http_contracts"


def test_http_edges_count_the_calls_the_map_resolves_to_another_service() -> None:
    """ARC208_http_contracts: orders calls catalog twice (GET and POST
    `/items/search`) and pricing five times (three routes); shipping calls
    pricing twice. Not edges: orders' call to Stripe (no service of the
    repository), to a URL from a parameter (unknown), to its own service."""
    rows = table(graph_of(HTTP_FIXTURE))
    http = {k: (v[HTTP], v["via:http"]) for k, v in rows.items() if HTTP in v}
    assert http == {
        ("orders", "catalog"): (2, ["GET /items/search", "POST /items/search"]),
        ("orders", "pricing"): (
            5,
            ["GET /internal/v1/health", "GET /internal/v1/quotes/{quote_id}",
             "POST /internal/v1/quotes"],
        ),
        ("shipping", "pricing"): (2, ["POST /internal/v1/quotes", "POST /internal/v1/quotes/bulk"]),
    }  # fmt: skip


def test_http_violations_land_on_the_edge_from_the_caller_to_the_server() -> None:
    """ARC206 (in the caller, the called service its peer) and ARC208 on both
    sides: orders' copy of pricing's `QuoteSummaryV1` (the copier's finding,
    pricing its peer), and pricing's own `QuoteRequest`, `QuoteSummaryV1`
    (called by orders and shipping), `BulkQuoteRequest`, `BulkQuoteResponse`
    (called by shipping): findings of pricing whose callers are their
    dependents, so they count on orders -> pricing and shipping -> pricing,
    never on an edge from pricing."""
    rows = table(graph_of(HTTP_FIXTURE))
    violations = {k: v["violations"] for k, v in rows.items() if "violations" in v}
    assert violations == {
        ("orders", "catalog"): {"ARC206": 2},
        ("orders", "pricing"): {"ARC206": 5, "ARC208": 3},
        ("shipping", "pricing"): {"ARC206": 4, "ARC208": 4},
    }
    assert not [k for k in rows if k[0] == "pricing"]


def test_http_edges_in_mermaid_dot_and_json() -> None:
    graph = graph_of(HTTP_FIXTURE)
    nodes, edges = parse_mermaid(to_mermaid(graph))
    names = {mid: label for mid, (label, _) in nodes.items()}
    drawn = {(names[s], names[t]): (arrow, label) for s, arrow, label, t in edges}
    assert drawn[("orders", "pricing")] == (
        "==>",
        "http: 5 (GET /internal/v1/health, GET /internal/v1/quotes/{quote_id}, "
        "POST /internal/v1/quotes)\nARC206 ×5, ARC208 ×3",
    )
    assert drawn[("orders", "common.models")] == ("-->", "imports: 1")
    assert (
        '  "shipping" -> "pricing" [label="http: 2 (POST /internal/v1/quotes, '
        'POST /internal/v1/quotes/bulk)\\nARC206 ×4, ARC208 ×4", style=bold, '
        'color="#d73a49", fontcolor="#d73a49"];'
    ) in to_dot(graph).splitlines()
    data = json.loads(render_graph(graph, "json"))
    edge = next(e for e in data["edges"] if (e["from"], e["to"]) == ("orders", "catalog"))
    assert edge["kinds"] == [
        {"kind": "http", "count": 2, "via": ["GET /items/search", "POST /items/search"]}
    ]


def test_a_call_that_matches_no_route_is_an_edge_to_the_service(tmp_path: Path) -> None:
    """A URL that names a service, on a path none of its routes has: an edge
    all the same, about the method and the path template; past three routes
    a label says how many more. A test's call is no edge."""
    make_repo(
        tmp_path,
        {
            "pyproject.toml": '[tool.arch_lint]\nservices = ["services/*"]\nshared-models = []\n',
            "services/a/__init__.py": "",
            "services/a/calls.py": (
                "import httpx\n\nURL = 'http://b:8000'\n\n\n"
                "def go(i: int) -> None:\n"
                "    httpx.get(f'{URL}/status/{i}')\n"
                "    httpx.get(f'{URL}/one')\n"
                "    httpx.get(f'{URL}/one')\n"
                "    httpx.post(f'{URL}/two')\n"
                "    httpx.delete(f'{URL}/three')\n"
            ),
            "services/a/tests/test_calls.py": (
                "import httpx\n\n\ndef test_it() -> None:\n    httpx.get('http://b:8000/one')\n"
            ),
            "services/b/__init__.py": "",
            "services/b/app.py": (
                "from fastapi import FastAPI\n\napp = FastAPI()\n\n\n"
                "@app.get('/one')\ndef one() -> None: ...\n\n\n"
                "@app.post('/two')\ndef two() -> None: ...\n"
            ),
        },
    )
    graph = graph_of(tmp_path)
    assert table(graph) == {
        ("a", "b"): {
            HTTP: 5,
            "via:http": ["DELETE /three", "GET /one", "GET /status/{}", "POST /two"],
        }
    }
    (edge,) = graph.edges
    from arch_lint.report.graph_formats import label_lines

    assert label_lines(edge) == ["http: 5 (DELETE /three, GET /one, GET /status/{}, +1 more)"]


# --- the facts the event edges come from ------------------------------------------


def _topics(source: str) -> list[TopicUse]:
    return read_uses(ast.parse(source), source.encode()).topics


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ('producer.send("orders", b"x")', [("publish", "orders", "producer.send")]),
        (
            'TOPIC = "orders"\n\n\ndef f():\n    producer.produce(TOPIC, value=b"x")',
            [("publish", "orders", "producer.produce")],
        ),
        (
            'async def f(ch):\n    key = "mails"\n'
            "    await ch.default_exchange.publish(msg, routing_key=key)",
            [("publish", "mails", "ch.default_exchange.publish")],
        ),
        ('broker.publish(order, "orders.created")',
         [("publish", "orders.created", "broker.publish")]),
        ('consumer.subscribe(["a", "b"])', [("subscribe", "a", "consumer.subscribe"),
                                            ("subscribe", "b", "consumer.subscribe")]),
        ('c = AIOKafkaConsumer("orders", group_id="g")',
         [("subscribe", "orders", "AIOKafkaConsumer")]),
        ('@broker.subscriber("orders")\nasync def on(o: Order): ...',
         [("subscribe", "orders", "broker.subscriber")]),
        ('@broker.publisher("done")\nasync def on(o: Order) -> Done: ...',
         [("publish", "done", "@broker.publisher")]),
        ('async def f(ch):\n    await ch.declare_queue("mails")',
         [("declare", "mails", "ch.declare_queue")]),
        # look-alikes: nothing is a topic
        ('producer.send(f"orders.{kind}", b"x")', []),
        ("producer.send(settings.TOPIC, b'x')", []),
        ('T = "a"\nT = "b"\n\n\ndef f():\n    producer.send(T, b"x")', []),
        ('broker.publish("hello", "orders")', [("publish", "hello", "broker.publish")]),
    ],
)  # fmt: skip
def test_topics_read_from_calls(source: str, expected: list[tuple[str, str, str]]) -> None:
    assert [tuple(t) for t in _topics(source)] == sorted(expected)


def test_an_envelope_parameter_receives_its_data() -> None:
    source = (
        "from common.models import EventEnvelope, OrderV1\n\n\n"
        "async def on_order(envelope: EventEnvelope[OrderV1], n: int) -> None: ...\n\n\n"
        "def publish(envelope: EventEnvelope[Any]) -> None: ...\n"
    )
    facts = extract(ast.parse(source), source.encode())
    assert [tuple(u) for u in facts.model_uses if u.kind == "receive"] == [
        ("receive", "OrderV1", "on_order")
    ]


# --- formats ---------------------------------------------------------------------

_MERMAID_NODE = re.compile(r'^  ([A-Za-z][A-Za-z0-9_]*)(\["|\[\("|\[\[")([^"]*)("\]|"\)\]|"\]\])$')
_MERMAID_EDGE = re.compile(
    r'^  ([A-Za-z][A-Za-z0-9_]*) (-->|==>|-\.->)\|"([^"]*)"\| ([A-Za-z][A-Za-z0-9_]*)$'
)
_MERMAID_LINKSTYLE = re.compile(
    r"^  linkStyle (\d+(?:,\d+)*) stroke:#[0-9a-f]{6},color:#[0-9a-f]{6}$"
)
_SHAPES = {'["': "service", '[("': "shared-models", '[["': "library"}


def parse_mermaid(text: str) -> tuple[dict[str, tuple[str, str]], list[tuple[str, str, str, str]]]:
    """A structural parse of what `to_mermaid` writes: every line is a node, an
    edge or a link style (else the assertion fails); labels are quoted and hold
    no raw `"`, `<` or `>` but the `<br/>` line breaks."""
    lines = text.splitlines()
    assert lines[0] == "flowchart LR"
    nodes: dict[str, tuple[str, str]] = {}
    edges: list[tuple[str, str, str, str]] = []
    styled: list[int] = []
    for line in lines[1:]:
        if m := _MERMAID_NODE.match(line):
            mid, opening, label, closing = m.groups()
            assert (opening, closing) in {('["', '"]'), ('[("', '")]'), ('[["', '"]]')}
            assert mid not in nodes
            assert mid.lower() not in {"end", "graph", "subgraph"}
            nodes[mid] = (_unescape(label), _SHAPES[opening])
        elif m := _MERMAID_EDGE.match(line):
            source, arrow, label, target = m.groups()
            assert source in nodes, line
            assert target in nodes, line
            assert "<" not in label.replace("<br/>", "")
            assert ">" not in label.replace("<br/>", "")
            edges.append((source, arrow, _unescape(label), target))
        elif m := _MERMAID_LINKSTYLE.match(line):
            styled = [int(i) for i in m.group(1).split(",")]
        else:
            raise AssertionError(f"not a Mermaid flowchart line: {line!r}")
    assert all(i < len(edges) for i in styled)
    return nodes, edges


def _unescape(label: str) -> str:
    for entity, ch in (("#quot;", '"'), ("#lt;", "<"), ("#gt;", ">"), ("#35;", "#")):
        label = label.replace(entity, ch)
    return label.replace("<br/>", "\n")


def test_mermaid_says_what_the_graph_holds(repo: Path) -> None:
    graph = graph_of(repo)
    nodes, edges = parse_mermaid(to_mermaid(graph))
    assert sorted(nodes.values()) == sorted((n.id, n.kind) for n in graph.nodes)
    names = {mid: label for mid, (label, _) in nodes.items()}
    drawn = {(names[s], names[t]): (arrow, label) for s, arrow, label, t in edges}
    assert drawn[("orders", "payments")] == (
        "-->",
        "imports: 3\nevents: 2 (OrderPlacedV1, orders.placed)\nARC101 ×2, ARC102 ×1",
    )
    assert drawn[("orders", "shipping")] == ("-.->", "events: 1 (orders.placed)")
    assert drawn[("billing", "payments")] == ("-->", "ARC103 ×1")
    assert len(drawn) == len(graph.edges)
    red = to_mermaid(graph).splitlines()[-1]
    order = [(e.source, e.target) for e in graph.edges]
    assert red == (
        f"  linkStyle {order.index(('billing', 'payments'))},{order.index(('orders', 'payments'))}"
        " stroke:#d73a49,color:#d73a49"
    )


def _odd_graph() -> Graph:
    """Names that Mermaid and dot would misread unescaped."""
    from arch_lint.report.graph import Dependency, Edge, Node

    nodes = [
        Node("end", "service", "services/end"),
        Node('we"ird #1 <b>', "service", "services/weird"),
        Node("end.x", "library", "end/x"),
        Node("end_x", "shared-models", "end_x"),
    ]
    deps = {EVENTS: Dependency(EVENTS, 5, ('t"1', "#x;", "<y>", "a\\b", "e"))}
    edges = [
        Edge("end", 'we"ird #1 <b>', deps, {"ARC101": 1}, {"ARC101": "cross-service-data-access"}),
        Edge("end.x", "end_x", {IMPORTS: Dependency(IMPORTS, 1, ("end_x",))}),
    ]
    return Graph(nodes, edges)


def test_mermaid_ids_and_labels_survive_odd_names() -> None:
    text = to_mermaid(_odd_graph())
    nodes, edges = parse_mermaid(text)
    assert sorted(label for label, _ in nodes.values()) == sorted(
        ["end", 'we"ird #1 <b>', "end.x", "end_x"]
    )
    assert len(set(nodes)) == 4  # `end.x` and `end_x` stay apart
    assert edges[0][2] == 'events: 5 (t"1, #x;, <y>, +2 more)\nARC101 ×1'


def _dot_unquote(text: str) -> str:
    assert text.startswith('"')
    assert text.endswith('"')
    return text[1:-1].replace('\\"', '"').replace("\\n", "\n").replace("\\\\", "\\")


@pytest.mark.parametrize("which", ["fixture", "http", "odd"])
def test_dot_is_read_back_by_pydot(
    which: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if which == "fixture":
        make_repo(tmp_path, graph_files())
        monkeypatch.chdir(tmp_path)
        graph = graph_of(tmp_path)
    elif which == "http":
        graph = graph_of(HTTP_FIXTURE)
    else:
        graph = _odd_graph()
    with warnings.catch_warnings():
        # pydot 4 builds its grammar with pyparsing names that pyparsing 3.3 deprecates
        warnings.filterwarnings(
            "ignore", message=r".* deprecated - use ", category=DeprecationWarning
        )
        parsed = pydot.graph_from_dot_data(to_dot(graph))
    assert parsed is not None
    assert len(parsed) == 1
    dot = parsed[0]
    assert dot.get_type() == "digraph"
    nodes = {
        _dot_unquote(n.get_name()): n
        for n in dot.get_nodes()
        if n.get_name() not in {"node", "edge"}
    }
    assert set(nodes) == {n.id for n in graph.nodes}
    edges = {
        (_dot_unquote(e.get_source()), _dot_unquote(e.get_destination())): e
        for e in dot.get_edges()
    }
    assert set(edges) == {(e.source, e.target) for e in graph.edges}
    for edge in graph.edges:
        from arch_lint.report.graph_formats import label_lines

        drawn = edges[(edge.source, edge.target)]
        assert _dot_unquote(drawn.get_label()) == "\n".join(label_lines(edge))
        assert (drawn.get("color") is not None) == bool(edge.violations)


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz `dot` is not installed")
def test_the_real_dot_draws_it(repo: Path) -> None:
    for graph in (graph_of(repo), _odd_graph()):
        done = subprocess.run(
            ["dot", "-Tsvg"], input=to_dot(graph), capture_output=True, text=True, check=False
        )
        assert done.returncode == 0, done.stderr
        assert "<svg" in done.stdout


def test_json_is_the_documented_shape(repo: Path) -> None:
    data = json.loads(render_graph(graph_of(repo), "json"))
    assert set(data) == {"version", "nodes", "edges"}
    assert data["version"] == 1
    assert data["nodes"][0] == {"id": "billing", "kind": "service", "path": "services/billing"}
    edge = next(e for e in data["edges"] if (e["from"], e["to"]) == ("orders", "payments"))
    assert edge == {
        "from": "orders",
        "to": "payments",
        "kinds": [
            {
                "kind": "imports",
                "count": 3,
                "via": ["services.payments.gateway", "services.payments.models_db"],
            },
            {"kind": "events", "count": 2, "via": ["OrderPlacedV1", "orders.placed"]},
        ],
        "violations": [
            {"code": "ARC101", "name": "cross-service-data-access", "count": 2},
            {"code": "ARC102", "name": "cross-service-import", "count": 1},
        ],
    }
    assert [(e["from"], e["to"]) for e in data["edges"]] == sorted(
        (e["from"], e["to"]) for e in data["edges"]
    )


# --- the command line ------------------------------------------------------------


def test_graph_exits_0_with_violations(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    result = run_cli(capsys, "graph", "--no-cache")
    assert result.code == 0, result.err
    assert result.out == to_mermaid(graph_of(repo))


def test_graph_options(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    result = run_cli(capsys, "graph", "--format", "json", "--violations-only", "--ignore", "ARC103")
    assert result.code == 0, result.err
    data = json.loads(result.out)
    assert [(e["from"], e["to"]) for e in data["edges"]] == [("orders", "payments")]
    assert run_cli(capsys, "graph", "--format", "dot", "--output-file", "g.dot").code == 0
    assert (repo / "g.dot").read_text(encoding="utf-8") == to_dot(graph_of(repo))


def test_graph_of_a_path_searches_the_configuration_there(
    repo: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(repo / "services")
    result = run_cli(capsys, "graph", str(repo / "services" / "orders"), "--format", "json")
    assert result.code == 0, result.err
    assert len(json.loads(result.out)["nodes"]) == 6


def test_a_configuration_error_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    make_repo(tmp_path, {"pyproject.toml": '[tool.arch_lint]\nservices = ["apps/*"]\n', "a.py": ""})
    result = run_cli(capsys, "graph", str(tmp_path))
    assert result.code == 2
    assert "ARC000" in result.err
    assert result.out == ""
    make_repo(tmp_path, {"pyproject.toml": "[tool.arch_lint]\nservices = 3\n"})
    result = run_cli(capsys, "graph", str(tmp_path))
    assert result.code == 2
    assert "services" in result.err


def test_the_executable_prints_the_graph(repo: Path) -> None:
    result = run_subprocess(repo, "graph", "--format", "json")
    assert_no_traceback(result)
    assert result.code == 0
    assert json.loads(result.out)["version"] == 1


# --- examples/shop and the README ------------------------------------------------


def test_the_shop_graph_matches_its_imports_events_and_findings(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Against EXPECTED.md and the imports in the code: orders imports payments
    in five statements (api.py:17-19, pricing.py:9, order_repository.py:12),
    notifications in two (handlers.py:16, templates.py:8 under `# noqa`),
    reports imports orders' data layer once (allowed) and reads payments'
    `refunds` table in SQL (ARC103, no import)."""
    monkeypatch.chdir(SHOP)
    rows = table(graph_of(SHOP))
    assert {k: (v.get(IMPORTS), v.get("violations")) for k, v in rows.items()} == {
        ("libs.shared", "common.models"): (1, None),
        ("notifications", "common.models"): (3, None),
        ("notifications", "libs.shared"): (2, None),
        ("notifications", "payments"): (2, {"ARC101": 1}),
        ("orders", "common.models"): (8, None),
        ("orders", "libs.shared"): (2, None),
        ("orders", "notifications"): (None, None),
        ("orders", "payments"): (5, {"ARC101": 2, "ARC102": 1, "ARC201": 1}),
        ("payments", "common.models"): (10, None),
        ("payments", "libs.shared"): (5, None),
        ("payments", "notifications"): (None, None),
        ("payments", "orders"): (None, None),
        ("reports", "common.models"): (1, None),
        ("reports", "orders"): (1, None),
        ("reports", "payments"): (None, {"ARC103": 1}),
    }
    events = {k: v["via:events"] for k, v in rows.items() if EVENTS in v}
    assert events == {
        ("orders", "notifications"): ["OrderPlacedV1"],
        ("orders", "payments"): ["OrderCancelledV1"],
        ("payments", "notifications"): ["PaymentCapturedV1"],
        ("payments", "orders"): ["PaymentCapturedV1"],
    }


def readme_picture() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## The architecture as a picture", 1)[1]
    block = re.search(r"```mermaid\n(.*?)```", section, re.S)
    assert block is not None, "the section has no ```mermaid block"
    return block.group(1)


def test_the_readme_picture_is_the_tools_current_output(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(SHOP)
    result = run_cli(capsys, "graph", "--no-cache")
    assert result.code == 0, result.err
    assert readme_picture() == result.out, "regenerate: cd examples/shop && arch-lint graph"
    parse_mermaid(result.out)


# --- an in-process bus is no broker ---------------------------------------------------------

_BUS_CONFIG = '[tool.arch_lint]\nservices = ["services/*"]\nshared-models = []\n'
_BUS = """\
from collections import defaultdict


class EventBus:
    def __init__(self):
        self._handlers = defaultdict(list)

    def publish(self, *args):
        for handler in self._handlers[args[0]]:
            handler(*args)


bus = EventBus()
"""


def test_graph_draws_no_event_edge_for_an_in_process_bus(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The same in-process bus: no event edge to the service that consumes the
    topic from Kafka."""
    files = {
        "pyproject.toml": _BUS_CONFIG,
        "services/__init__.py": "",
        "services/orders/__init__.py": "",
        "services/payments/__init__.py": "",
        "services/payments/app.py": "x = 1\n",
    }
    files["services/billing/__init__.py"] = ""
    files["services/orders/bus.py"] = _BUS
    files["services/orders/place.py"] = (
        "import redis\n\nfrom services.orders.bus import bus\n\ncache = redis.Redis()\n\n\n"
        "def place(order_id: str) -> None:\n"
        '    cache.set(order_id, "placed")\n'
        '    bus.publish("orders.placed", {"order_id": order_id})\n'
    )
    files["services/billing/consume.py"] = (
        'from aiokafka import AIOKafkaConsumer\n\nconsumer = AIOKafkaConsumer("orders.placed")\n'
    )
    make_repo(tmp_path, files)
    monkeypatch.chdir(tmp_path)
    result = run_cli(capsys, "graph", "--format", "json", "--no-cache")
    assert result.code == 0, result.err
    edges = json.loads(result.out)["edges"]
    assert [(e["from"], e["to"]) for e in edges] == []
