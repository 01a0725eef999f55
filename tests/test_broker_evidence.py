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
