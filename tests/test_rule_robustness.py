"""The logging rules (ARC301-ARC304) and ARC206 on odd but valid Python: generated
logger-call-shaped functions never make a rule raise, and the byte prefilters see
every spelling of a call the analysis accepts."""

from __future__ import annotations

import ast

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from arch_lint.config import load_settings
from arch_lint.engine.run import Engine
from arch_lint.index.build import build, parse
from arch_lint.index.facts import extract
from arch_lint.rules import _logging

HEADER = """\
import logging
import os

import httpx
import structlog
from structlog.contextvars import bind_contextvars, bound_contextvars
from uuid import uuid4

from settings import settings

logger = logging.getLogger(__name__)
slog = structlog.get_logger()
slog = slog.bind(service="orders")
log = lambda: 0


class C(httpx.Client):
    def request(self, *args, **kwargs):
        return super().request(*args, **kwargs)


def handler(event, correlation_id, client, bus, *a, **k):
"""

STATEMENTS = [
    "logger.info(*a)",
    "logger.info(**k)",
    "logger.info()",
    "logger.log()",
    "logger.log(*a, **k)",
    'logger.info ("spaced")',
    'logger.info\\\n        ("continued")',
    'logger.info("x", extra=k)',
    'logger.info("x", extra={**k})',
    'logger.info("x", extra={k: 1, **k})',
    'logger.info("x", extra=dict(*a, **k))',
    'logger.info(f"{correlation_id}")',
    'slog.info("x", **k)',
    'log.info("x")',
    "log = lambda: 0",
    "log = lambda *a: logger",
    "log = log.bind(a=1)",
    "logger = logger.bind()",
    "logger = logging.LoggerAdapter(*a)",
    "logger = logging.LoggerAdapter(logger, *a)",
    "logger = logging.LoggerAdapter(logger, {**k})",
    "logger = logging.getLogger(*a).getChild(*a)",
    "(lambda: logger)().info('x')",
    "del correlation_id",
    "del event.correlation_id",
    "del event",
    "del (correlation_id, (event, k))",
    'correlation_id = event["cid"]',
    "correlation_id: bool = True",
    "a, *correlation_id = a",
    "(cid := uuid4())",
    "bind_contextvars(**k)",
    "bind_contextvars(correlation_id=correlation_id)",
    "EventEnvelope(*a, **k)",
    "EventEnvelope(correlation_id=str(uuid4()))",
    'client.request(*a, json={"a": 1})',
    'client.request("POST", *a, json={"a": 1})',
    "client.request()",
    "client.post(*a)",
    "client.post(**k)",
    'client.post(os.getenv(*a), json={"a": 1})',
    'client.post(settings.B_URL, **k, json={"a": 1})',
    "bus.publish(*a, **k)",
    "bus.publish()",
    "pass",
]

HEADERS = [
    'if not hasattr(event, "correlation_id"):',
    "if hasattr(*a):",
    "if getattr(*a) is None:",
    "if event is None:",
    "if not event:",
    "if (e := event) is None or k:",
    "if None is correlation_id:",
    "if event is not None and not correlation_id:",
    "while not event:",
    "for correlation_id in a:",
    "for a, (b, *c) in k:",
    "with bound_contextvars(*a):",
    "with bound_contextvars(correlation_id=correlation_id) as log:",
    "def inner(*a, **k):",
    "async def inner(correlation_id):",
    "class Inner:",
]

HANDLERS = [
    "except AttributeError:",
    "except (KeyError, AttributeError) as exc:",
    "except Exception:",
    "except:",
    "except (*a,):",
    "else:",
    "finally:",
]


@st.composite
def block(draw: st.DrawFn, depth: int = 0) -> list[str]:
    """Indented lines of a block: simple statements and compound ones nested in it."""
    lines: list[str] = []
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["simple", "simple", "compound", "try", "match"]))
        if depth >= 3 or kind == "simple":
            lines.append(draw(st.sampled_from(STATEMENTS)))
            continue
        inner = ["    " + line for line in draw(block(depth + 1))]
        if kind == "compound":
            header = draw(st.sampled_from(HEADERS))
            lines += [header, *inner]
            if header.startswith(("if ", "while ", "for ")) and draw(st.booleans()):
                lines += ["else:", *["    " + line for line in draw(block(depth + 1))]]
        elif kind == "try":
            handler = draw(st.sampled_from(HANDLERS))
            if handler in {"else:", "finally:"}:
                handler = "except AttributeError:\n    pass\n" + handler
            lines += ["try:", *inner, *handler.split("\n")]
            lines += ["    " + line for line in draw(block(depth + 1))]
        else:
            lines += ["match event:", "    case None:", *["    " + line for line in inner]]
            lines += ["    case _:", "        pass"]
    return lines


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    root = tmp_path_factory.mktemp("rules")
    (root / "pyproject.toml").write_text(
        "[tool.arch_lint]\nshared-models = []\n"
        '[tool.arch_lint.models]\nservice-urls = { "B_URL" = "b" }\n'
    )
    (root / "services" / "orders").mkdir(parents=True)
    (root / "services" / "orders" / "__init__.py").write_text("")
    (root / "services" / "b").mkdir(parents=True)
    (root / "services" / "b" / "__init__.py").write_text("")
    config = load_settings(None, root)
    return Engine(config, build(config, use_cache=False).index)


def _check(engine: Engine, source: bytes) -> list[str]:
    """The codes found in a service module; no rule may have stopped on it."""
    path = "services/orders/generated.py"
    tree, error = parse(source, path)
    assert tree is not None, error
    result = engine.check_file(path, source, extract(tree, source), tree, error)
    assert not result.notices, "\n".join(result.notices)
    return sorted({f.code for f in result.findings})


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(block())
def test_logger_call_shapes_never_make_a_rule_raise(engine: Engine, lines: list[str]) -> None:
    source = HEADER + "".join(f"    {line}\n" for line in "\n".join(lines).split("\n"))
    ast.parse(source)
    _check(engine, source.encode())


@pytest.mark.parametrize(
    "source",
    [
        # issue 17: one starred argument to `.request` with `service-urls` set
        "import httpx\n\n\nclass C(httpx.Client):\n"
        "    def request(self, *args, **kwargs):\n"
        "        return super().request(*args, **kwargs)\n\n\nx = {'a': 1}\n",
        # a logger bound again under its own name, in a function and at module level
        "import structlog\n\nlogger = structlog.get_logger()\n\n\n"
        "def f(correlation_id):\n    log = logger\n    log = log.bind(x=1)\n    log.info('x')\n",
        "import structlog\n\nlog = structlog.get_logger()\nlog = log.bind(service='x')\n\n\n"
        "def f(correlation_id):\n    log.info('x')\n",
        # a dict that holds itself
        "import logging\n\nlogger = logging.getLogger()\n\n\n"
        "def f(correlation_id, k):\n    extra = {**k}\n    extra = {**extra}\n"
        "    logger.info('x', extra=extra)\n",
    ],
)
def test_reproductions_do_not_stop_a_rule(engine: Engine, source: str) -> None:
    _check(engine, source.encode())


SPELLINGS = [
    b'logger.info ("x")',
    b'logger.info\t("x")',
    b'logger . info("x")',
    b'logger.info\\\n("x")',
    b'logger.\\\n    info("x")',
    b'(logger.info\n ("x"))',
    b'(logger\n .info\n ("x"))',
    b'(logger.info  # a comment\n ("x"))',
    b'logger.info("x")',
    b"uuid4 ()",
]


@pytest.mark.parametrize("spelling", SPELLINGS)
def test_the_prefilter_sees_every_spelling(spelling: bytes, engine: Engine) -> None:
    assert _logging.applies(spelling)
    source = b"import logging\n\nlogger = logging.getLogger()\n\n\ndef f(correlation_id):\n"
    body = spelling.replace(b"\n", b"\n    ")
    if spelling.startswith(b"uuid4"):
        body = b"logger.info('x', extra={'correlation_id': str(" + spelling + b")})"
        assert "ARC304" in _check(engine, source + b"    " + body + b"\n")
    else:
        assert "ARC301" in _check(engine, source + b"    " + body + b"\n")


@pytest.mark.parametrize(
    "source",
    [b'logger.information("x")', b'x = "info"', b"logger.info", b"from uuid import uuid4\n# x\n"],
)
def test_the_prefilter_skips_what_is_no_call(source: bytes) -> None:
    assert not _logging.applies(source)


@pytest.mark.parametrize(
    "source",
    [
        b'x = "' + b".#" * 20_000 + b'"\n',
        b"." + b" " * 100_000,
        b". \\" * 30_000,
        b"a.info #\n" * 20_000,
        b"uuid4 #" * 20_000,
    ],
)
def test_the_prefilter_is_linear_on_hostile_input(source: bytes) -> None:
    # a pattern that backtracks takes minutes here; a linear one, milliseconds
    assert not _logging.applies(source)
    assert not _logging.marked_lines(source, _logging._CALLS)
