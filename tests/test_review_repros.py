"""REVIEW REPROS (review of bd4798a..3db928a): one failing test per defect found.

Each test asserts the correct behaviour and is marked
`xfail(strict=True)`: it fails today; when the defect is fixed it passes and
strict xfail turns that into a failure, so remove the mark with the fix.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from helpers import make_repo, run_cli

ENVELOPE = """\
from typing import Any

from pydantic import BaseModel, Field


class EventEnvelope(BaseModel):
    source_service: str = Field(description="who")
    data: dict[str, Any] = Field(description="the event")
"""


def _config(select: str, shared: str = '["common/models"]') -> str:
    return (
        "[tool.arch_lint]\n"
        'services = ["services/*"]\n'
        f"shared-models = {shared}\n"
        f"select = [{select}]\n"
    )


def _base(select: str, shared: str = '["common/models"]') -> dict[str, str]:
    return {
        "pyproject.toml": _config(select, shared),
        "services/__init__.py": "",
        "services/orders/__init__.py": "",
        "services/payments/__init__.py": "",
        "services/payments/app.py": "x = 1\n",
    }


def _shared(files: dict[str, str]) -> dict[str, str]:
    return {
        **files,
        "common/__init__.py": "",
        "common/models/__init__.py": "",
        "common/models/envelope.py": ENVELOPE,
    }


def _check(capsys: pytest.CaptureFixture[str], *args: str) -> list[dict[str, Any]]:
    result = run_cli(capsys, "check", "--format", "json", *args)
    assert result.code in (0, 1), result.err
    return result.json()


def _found(findings: list[dict[str, Any]]) -> list[tuple[str, int, str]]:
    return [(f["path"], f["line"], f["code"]) for f in findings]


# --- 2. ARC211: a declaration that is not the service's own name -----------------------


PUBLISH_ORDERS = """\
from common.models.envelope import EventEnvelope


def placed() -> EventEnvelope:
    return EventEnvelope(source_service="orders", data={})
"""


@pytest.mark.parametrize(
    ("where", "text"),
    [
        pytest.param(
            "services/orders/clients.py",
            "from pydantic_settings import BaseSettings\n\n\n"
            "class PaymentsClientSettings(BaseSettings):\n"
            '    service_name: str = "payments"\n'
            '    base_url: str = "http://payments"\n',
            id="client-settings-of-another-service",
        ),
        pytest.param(
            "services/orders/payments_client.py",
            'SERVICE_NAME = "payments"\n\n\ndef charge() -> None: ...\n',
            id="module-constant-naming-the-callee",
        ),
        pytest.param(
            "services/orders/telemetry.py",
            "from dataclasses import dataclass\n\n\n@dataclass\nclass TracingConfig:\n"
            '    service_name: str = "orders-api"\n',
            id="otel-tracing-config",
        ),
    ],
)
def test_arc211_a_stamp_of_the_services_own_name_is_not_flagged(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    where: str,
    text: str,
) -> None:
    """Service `orders` stamps `"orders"` (its own directory's name) everywhere;
    a class or constant of the service that names a downstream service (or the
    tracing name) becomes "the name its settings declare" and every stamp is
    flagged, the first two cases suggesting another service's name."""
    files = _shared(_base('"ARC211"'))
    files["services/orders/publish.py"] = PUBLISH_ORDERS
    files[where] = text
    make_repo(tmp_path, files)
    monkeypatch.chdir(tmp_path)
    assert _found(_check(capsys, "--no-cache")) == []


# --- 3. ARC209 and the graph judge "sends on a broker" by name, not as ARC206 does -------


BUS = """\
from collections import defaultdict


class EventBus:
    def __init__(self):
        self._handlers = defaultdict(list)

    def publish(self, *args):
        for handler in self._handlers[args[0]]:
            handler(*args)


bus = EventBus()
"""


def test_arc209_an_in_process_bus_publishes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`bus.publish(OrderShipped(...))` on an in-process bus, in a file that
    imports redis as a cache: ARC206 (same receiver, a dict) says no broker,
    ARC209 says `OrderShipped` is "published with `bus.publish`"."""
    files = _shared(_base('"ARC209", "ARC206"'))
    files["common/models/orders.py"] = (
        "from pydantic import BaseModel\n\n\nclass OrderShipped(BaseModel):\n    order_id: str\n"
    )
    files["services/orders/bus.py"] = BUS
    files["services/orders/ship.py"] = (
        "import redis\n\n"
        "from common.models.orders import OrderShipped\n"
        "from services.orders.bus import bus\n\n"
        "cache = redis.Redis()\n\n\n"
        "def ship(order_id: str) -> None:\n"
        '    cache.set(order_id, "shipped")\n'
        "    bus.publish(OrderShipped(order_id=order_id))\n"
        '    bus.publish({"order_id": order_id})\n'
    )
    make_repo(tmp_path, files)
    monkeypatch.chdir(tmp_path)
    assert _found(_check(capsys, "--no-cache")) == []


def test_graph_draws_no_event_edge_for_an_in_process_bus(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    files = _base("", "[]")
    files["services/billing/__init__.py"] = ""
    files["services/orders/bus.py"] = BUS
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


# --- 4. ARC206: arguments that are not the message ---------------------------------------


_POSITIONAL = pytest.mark.xfail(
    strict=True, reason="needs the rule wiring (`message_arguments(call, slot)`): see the report"
)


@pytest.mark.parametrize(
    "files",
    [
        pytest.param(
            {
                "services/orders/notify.py": "import json\n\nimport boto3\n\n"
                'sns = boto3.client("sns")\n\n\n'
                "def notify(event) -> None:\n"
                "    body = event.model_dump_json()\n"
                "    sns.publish(\n"
                '        TopicArn="arn:aws:sns:eu-west-1:1:orders",\n'
                '        Message=json.dumps({"default": body, "sqs": body}),\n'
                '        MessageStructure="json",\n'
                "    )\n"
            },
            id="sns-message-structure-json",
        ),
        pytest.param(
            {
                "services/orders/produce.py": "import json\n\n"
                "from confluent_kafka import Producer\n\n"
                'p = Producer({"bootstrap.servers": "x"})\n\n\n'
                "def send(event) -> None:\n"
                '    p.produce("orders", event.model_dump_json(), json.dumps({"id": event.id}))\n'
            },
            id="kafka-positional-key",
            marks=_POSITIONAL,
        ),
        pytest.param(
            {
                "services/orders/wrap.py": "from aiokafka import AIOKafkaProducer\n\n\n"
                "class Publisher:\n"
                "    def __init__(self):\n"
                "        self._p = AIOKafkaProducer()\n\n"
                "    async def publish(self, event, headers=None):\n"
                '        await self._p.send_and_wait("t", event.model_dump_json().encode(),'
                " headers=headers)\n\n\n"
                "publisher = Publisher()\n",
                "services/orders/use.py": "from services.orders.wrap import publisher\n\n\n"
                "async def go(event, cid):\n"
                '    await publisher.publish(event, {"correlation_id": cid})\n',
            },
            id="wrapper-positional-headers",
            marks=_POSITIONAL,
        ),
        pytest.param(
            {
                "services/orders/svc.py": "from aiokafka import AIOKafkaProducer\n\n\n"
                "class FakeOutbox:\n"
                "    def send(self, topic, value): ...\n\n\n"
                "class Svc:\n"
                "    def __init__(self):\n"
                "        self.producer = AIOKafkaProducer()\n\n"
                "    def dry_run(self):\n"
                "        self.producer = FakeOutbox()\n"
                '        self.producer.send("t", {"a": 1})\n'
            },
            id="self-attribute-reassigned-before-use",
        ),
    ],
)
def test_arc206_only_the_message_is_judged(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    files: dict[str, str],
) -> None:
    make_repo(tmp_path, {**_base('"ARC206"', "[]"), **files})
    monkeypatch.chdir(tmp_path)
    assert _found(_check(capsys, "--no-cache")) == []
