"""ARC206's broker evidence across files: what a wrapper reaches is read from
the wrapper's file's facts, which key the findings of the files that call it."""

from __future__ import annotations

import ast
import json
from pathlib import Path
from typing import Any

import pytest
from helpers import make_repo, run_cli

from arch_lint.index.brokers import read_brokers
from arch_lint.index.facts import FileFacts, extract

CONFIG = '[tool.arch_lint]\nservices = ["services/*"]\nshared-models = []\n'

KAFKA_WRAPPER = """\
import json

from aiokafka import AIOKafkaProducer


class Events:
    def __init__(self) -> None:
        self._producer = AIOKafkaProducer(bootstrap_servers="kafka:9092")

    async def publish(self, topic: str, payload: dict) -> None:
        await self._producer.send_and_wait(topic, json.dumps(payload).encode())


events = Events()
"""

IN_PROCESS = KAFKA_WRAPPER.replace(
    "await self._producer.send_and_wait(topic, json.dumps(payload).encode())",
    "self._handlers.append(json.dumps(payload))",
)
"""The same module, but `publish` keeps the message in the process (only the
broker facts tell the two apart: imports and names are the same)."""

CALLER = """\
from services.orders.bus import events


async def placed(order_id: str) -> None:
    await events.publish("orders.placed", {"order_id": order_id})
"""


def _repo(tmp_path: Path, bus: str) -> Path:
    return make_repo(
        tmp_path,
        {
            "pyproject.toml": CONFIG,
            "services/__init__.py": "",
            "services/orders/__init__.py": "",
            "services/orders/bus.py": bus,
            "services/orders/api.py": CALLER,
            "services/billing/__init__.py": "",
        },
    )


def _arc206(capsys: pytest.CaptureFixture[str], *args: str) -> list[tuple[str, int]]:
    result = run_cli(capsys, "check", "--format", "json", "--select", "ARC206", *args)
    assert result.code in (0, 1), result.err
    return [(f["path"], f["line"]) for f in result.json()]


def test_a_wrapper_that_stops_reaching_a_broker_clears_its_callers_on_a_warm_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _repo(tmp_path, KAFKA_WRAPPER)
    monkeypatch.chdir(tmp_path)
    assert _arc206(capsys) == [("services/orders/api.py", 5)]
    (tmp_path / "services/orders/bus.py").write_text(IN_PROCESS, encoding="utf-8")
    assert _arc206(capsys) == []  # api.py is unchanged: the wrapper's facts key it
    assert _arc206(capsys, "--no-cache") == []
    (tmp_path / "services/orders/bus.py").write_text(KAFKA_WRAPPER, encoding="utf-8")
    assert _arc206(capsys) == [("services/orders/api.py", 5)]


def test_wrappers_that_call_each_other_reach_nothing_and_end(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A cycle of wrappers across two files (and a method that calls itself)
    shows no broker: nothing is flagged, and the answer ends."""
    ping = (
        "from services.orders import pong\n\n\n"
        "class Ping:\n"
        "    def publish(self, topic: str, payload: dict) -> None:\n"
        "        pong.Pong().publish(topic, payload)\n"
        "        self.publish(topic, payload)\n"
    )
    pong = (
        "from services.orders import ping\n\n\n"
        "class Pong:\n"
        "    def publish(self, topic: str, payload: dict) -> None:\n"
        "        ping.Ping().publish(topic, payload)\n\n\n"
        "def use() -> None:\n"
        '    Pong().publish("t", {"a": 1})\n'
        "    p = ping.Ping()\n"
        '    p.publish("t", {"a": 1})\n'
    )
    make_repo(
        tmp_path,
        {
            "pyproject.toml": CONFIG,
            "services/__init__.py": "",
            "services/orders/__init__.py": "",
            "services/orders/ping.py": ping,
            "services/orders/pong.py": pong,
            "services/billing/__init__.py": "",
        },
    )
    monkeypatch.chdir(tmp_path)
    assert _arc206(capsys, "--no-cache") == []


def test_broker_facts_survive_the_cache_as_json() -> None:
    source = KAFKA_WRAPPER.encode()
    facts = extract(ast.parse(source), source)
    assert facts.brokers is not None
    assert facts.brokers.sends["Events.publish"] == [
        (
            "client",
            "Kafka|aiokafka.AIOKafkaProducer|producer",
            "send_and_wait",
            "self._producer",
            (("0", "topic"), ("1", "payload")),  # the parameters each argument holds
        )
    ]
    assert facts.brokers.signatures == {"Events.publish": ("topic", "payload")}
    text = facts.to_text()
    again = FileFacts.from_json(json.loads(text))
    assert again.brokers == facts.brokers
    assert again.to_text() == text


@pytest.mark.parametrize(
    "source",
    [
        "import json\n\n\ndef handle(d: dict) -> str:\n    return json.dumps(d)\n",
        # a call that says it sends, but no function that does and no broker library
        "async def handle(ws) -> None:\n    await ws.send_json({'a': 1})\n",
    ],
)
def test_files_without_a_broker_or_a_sending_function_have_no_broker_facts(source: str) -> None:
    data = source.encode()
    assert read_brokers(ast.parse(data), data) is None


def test_a_module_level_client_made_in_a_function_under_global_is_known() -> None:
    source = (
        b"from kafka import KafkaProducer\n\n"
        b"_producer = None\n\n\n"
        b"def get_producer():\n"
        b"    global _producer\n"
        b"    if _producer is None:\n"
        b"        _producer = KafkaProducer()\n"
        b"    return _producer\n"
    )
    facts = read_brokers(ast.parse(source), source, ["kafka"])
    assert facts is not None
    client: Any = ("client", "Kafka|kafka.KafkaProducer|producer")
    assert facts.names == {"_producer": client}
    assert facts.returns == {"get_producer": client}


# --- whether a call sends: True, False (shown to send nothing), None (not known) ---------

_SENDS_FILES = {
    "services/orders/kafka.py": KAFKA_WRAPPER,
    "services/orders/bus.py": (
        "class EventBus:\n"
        "    def __init__(self):\n"
        "        self.handlers = []\n\n"
        "    def publish(self, event):\n"
        "        for handler in self.handlers:\n"
        "            handler(event)\n\n\n"
        "bus = EventBus()\n"
    ),
    "services/orders/proto.py": (
        "from typing import Protocol\n\n\n"
        "class Notifier(Protocol):\n"
        "    def publish(self, event) -> None: ...\n"
    ),
    "services/orders/base.py": (
        "from aiokafka import AIOKafkaProducer\n\n\n"
        "class BasePublisher:\n"
        "    def publish(self, event):\n"
        "        raise NotImplementedError\n\n\n"
        "class KafkaPublisher(BasePublisher):\n"
        "    def __init__(self):\n"
        "        self.p = AIOKafkaProducer()\n\n"
        "    async def publish(self, event):\n"
        '        await self.p.send_and_wait("t", event)\n'
    ),
    "services/orders/di.py": (
        "class Publisher:\n"
        "    def __init__(self, producer):\n"
        "        self.producer = producer\n\n"
        "    def publish(self, event):\n"
        '        self.producer.send("t", event)\n\n\n'
        "di = Publisher(None)\n"
    ),
    "services/orders/cache.py": "import redis\n\ncache = redis.Redis()\n",
    "services/orders/api.py": (
        "from services.orders.bus import bus\n"
        "from services.orders.cache import cache\n"
        "from services.orders.di import di\n"
        "from services.orders.kafka import events\n"
    ),
}


@pytest.mark.parametrize(
    ("path", "ref", "method", "expected"),
    [
        ("services/orders/api.py", ("name", "events"), "publish", True),
        ("services/orders/api.py", ("name", "cache"), "publish", True),  # Redis pub/sub
        ("services/orders/api.py", ("name", "cache"), "set", False),  # a cache's method
        ("services/orders/api.py", ("name", "bus"), "publish", False),  # in-process
        ("services/orders/api.py", ("name", "di"), "publish", None),  # an unseen producer
        ("services/orders/proto.py", ("instance", "Notifier"), "publish", None),
        ("services/orders/base.py", ("instance", "BasePublisher"), "publish", None),
        ("services/orders/base.py", ("instance", "KafkaPublisher"), "publish", True),
        ("services/orders/api.py", ("name", "unknown"), "publish", None),
    ],
)
def test_whether_a_call_sends_is_known_where_the_project_shows_it(
    tmp_path: Path, path: str, ref: tuple[str, str], method: str, expected: bool | None
) -> None:
    from arch_lint.config import load_project
    from arch_lint.config.resolve import Settings
    from arch_lint.index.build import build

    make_repo(
        tmp_path,
        {
            "pyproject.toml": CONFIG,
            "services/__init__.py": "",
            "services/orders/__init__.py": "",
            **_SENDS_FILES,
        },
    )
    settings = load_project(None, tmp_path, use_cache=False)
    assert isinstance(settings, Settings)
    index = build(settings, use_cache=False).index
    assert index.brokers.sends(path, ref, method) is expected


# --- one answer for ARC206, ARC209 and the graph; only the message is judged ----------------

ENVELOPE = """\
from typing import Any

from pydantic import BaseModel, Field


class EventEnvelope(BaseModel):
    source_service: str = Field(description="who")
    data: dict[str, Any] = Field(description="the event")
"""


def _select_config(select: str, shared: str = '["common/models"]') -> str:
    return (
        "[tool.arch_lint]\n"
        'services = ["services/*"]\n'
        f"shared-models = {shared}\n"
        f"select = [{select}]\n"
    )


def _base(select: str, shared: str = '["common/models"]') -> dict[str, str]:
    return {
        "pyproject.toml": _select_config(select, shared),
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
    imports redis as a cache: ARC206 (same receiver, a dict) and ARC209 give
    one answer, no broker (the receiver's broker evidence, not the method's
    name and the file's imports)."""
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


HELPERS = """\
import json

from app.bus import Bus


def make_bus() -> Bus:
    return Bus()


class Unrelated:
    def helper(self) -> int:
        return 1


def publish_event(payload: dict) -> None:
    bus = get_bus()
    bus.publish(json.dumps(payload))


def get_bus() -> Bus:
    return Bus()
"""
"""`publish_event` and the `get_bus` it calls are modelled; `make_bus` and
`Unrelated` are left out (named nowhere else): the shared model of the whole
module stands in for one of the rest."""


@pytest.mark.parametrize(
    "source",
    [
        HELPERS,
        HELPERS + "\nbus = make_bus()\n",  # a left-out function called by a kept statement
        HELPERS + "\nthing = Unrelated()\n",  # a left-out class made at module level
        HELPERS.replace("    return Bus()\n\n\nclass", "    global b\n    b = Bus()\n\n\nclass"),
        HELPERS.replace("def make_bus() -> Bus:", "@(wrap := lambda f: f)\ndef make_bus() -> Bus:"),
        HELPERS.replace("return 1", "return 'é'"),  # not ASCII: its names may not be its bytes
    ],
)
def test_broker_facts_are_the_same_read_with_the_shared_model(
    source: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from arch_lint.index import brokers

    tree = ast.parse(source)
    shared = read_brokers(tree, source.encode())
    monkeypatch.setattr(brokers, "_unseen", lambda body, kept, source: None)
    own = read_brokers(ast.parse(source), source.encode())
    assert shared is not None
    assert own is not None
    assert shared.to_json() == own.to_json()
    assert "publish_event" in shared.sends


def test_left_out_definitions_named_elsewhere_keep_a_model_of_their_own() -> None:
    from arch_lint.index.brokers import _relevant, _unseen

    def unseen(source: str) -> set[int] | None:
        tree = ast.parse(source)
        return _unseen(tree.body, _relevant(tree.body), source.encode())

    assert unseen(HELPERS) is not None
    assert unseen(HELPERS + "\nbus = make_bus()\n") is None
    assert unseen(HELPERS + "\nthing = Unrelated()\n") is None
    assert unseen(HELPERS.replace("return 1", "return 'é'")) is None
    assert unseen(HELPERS.replace("def make_bus() -> Bus:", "def make_bus() -> Bus:  # :=")) is None
