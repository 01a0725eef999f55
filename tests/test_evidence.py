"""Evidence before presumption (SPEC §4): the correlation facts of a file
(`index/correlation.py`), what they add up to for a service (`index/evidence.py`),
the `"auto"` settings, `--show-settings`, and a warm run that follows a change in
another file. The fixture cases `ARC301_evidence_*`, `ARC301_pipeline_*`,
`ARC301_logger_factories` and `ARC302_route_without_evidence` show the findings."""

from __future__ import annotations

import ast
import json
import textwrap
from pathlib import Path
from typing import Any

import pytest
from helpers import make_repo, run_cli

from arch_lint.adapters.settings_view import settings_document
from arch_lint.config import load_settings
from arch_lint.index.build import build
from arch_lint.index.correlation import CorrelationFacts
from arch_lint.index.evidence import PIPELINE_KEY, REQUEST_KEY, logging_evidence
from arch_lint.index.facts import FileFacts, extract
from arch_lint.index.layout import Layout


def _facts(source: str) -> CorrelationFacts:
    data = textwrap.dedent(source).encode()
    found = extract(ast.parse(data), data).correlation
    assert found is not None
    return found


# --- facts ------------------------------------------------------------------------------------


def test_installs_name_what_they_cover() -> None:
    found = _facts(
        """
        from fastapi import APIRouter, Depends, FastAPI
        from mw import RequestIdMiddleware
        from deps import get_cid

        app = FastAPI(dependencies=[Depends(get_cid)])
        app.add_middleware(RequestIdMiddleware)
        router = APIRouter(dependencies=[Depends(get_cid)])
        app.include_router(router, dependencies=[Depends(get_cid)])

        @app.middleware("http")
        async def stamp(request, call_next):
            return await call_next(request)

        @router.get("/x", dependencies=[Depends(get_cid)])
        async def x(cid=Depends(get_cid)):
            return cid
        """
    )
    got = {(i.kind, i.target, i.scope, i.via) for i in found.installs}
    assert got == {
        ("dependency", "get_cid", "app", "Depends"),
        ("middleware", "RequestIdMiddleware", "app", "add_middleware"),
        ("dependency", "get_cid", "router:router", "Depends"),
        ("dependency", "get_cid", "include:router", "Depends"),
        ("middleware", "#stamp", "app", "@middleware"),
        ("dependency", "get_cid", "route:x", "Depends"),
    }
    middleware = next(i for i in found.installs if i.target == "RequestIdMiddleware")
    assert middleware.origin == "mw.RequestIdMiddleware"


def test_behaviours_of_hooks_setters_getters_and_pipeline_members() -> None:
    found = _facts(
        """
        import logging
        from contextvars import ContextVar

        HEADER = "X-Request-ID"
        cid_var: ContextVar[str] = ContextVar("correlation_id", default="")

        class Stamp:
            def __init__(self, app, header: str = "X-Correlation-ID"):
                self.header = header

            async def __call__(self, scope, receive, send):
                cid_var.set(dict(scope["headers"]).get(self.header.lower().encode()))
                set_tenant(scope)

        def read(request):
            return request.headers.get(HEADER)

        def get_cid():
            return cid_var.get()

        def add_cid(logger, method_name, event_dict):
            event_dict["correlation_id"] = get_cid()
            return event_dict

        class CidFilter(logging.Filter):
            def filter(self, record):
                cid = cid_var.get()
                record.correlation_id = cid
                return True

        def not_a_pipeline(order):
            order.correlation_id = get_cid()  # a model's attribute: no pipeline
        """
    )
    assert found.contextvars == {"cid_var": "correlation_id"}
    behaviours = found.behaviours
    assert behaviours["Stamp.__call__"].sets == ["cid_var"]
    assert behaviours["Stamp.__call__"].reads == ["x-correlation-id"]  # the default, by name
    assert behaviours["read"].reads == ["x-request-id"]  # a module constant
    assert behaviours["get_cid"].gets == ["var:cid_var"]
    assert behaviours["add_cid"].puts == [("correlation_id", "call:get_cid")]
    assert behaviours["CidFilter.filter"].puts == [("correlation_id", "var:cid_var")]
    assert "not_a_pipeline" not in behaviours


def test_pipelines_with_the_loggers_they_serve() -> None:
    found = _facts(
        """
        import logging
        import structlog
        from obs import CidFilter, JsonFormatter, add_cid

        def setup():
            processors = [structlog.contextvars.merge_contextvars]
            processors.append(add_cid)
            structlog.configure(processors=processors)
            handler = logging.StreamHandler()
            handler.setFormatter(JsonFormatter())
            logging.getLogger("billing").addHandler(handler)
            logging.getLogger("audit").addFilter(CidFilter())
            root = logging.StreamHandler()
            root.addFilter(CidFilter())
            logging.basicConfig(handlers=[root])
            loose = logging.StreamHandler()
            loose.addFilter(CidFilter())
            return loose
        """
    )
    got = {(p.kind, p.members, p.target) for p in found.pipelines}
    assert got == {
        ("structlog", ("structlog.contextvars.merge_contextvars", "add_cid"), ""),
        ("formatter", ("JsonFormatter",), "handler:billing"),
        ("filter", ("CidFilter",), "logger:audit"),
        ("filter", ("CidFilter",), "root"),
        ("filter", ("CidFilter",), "?"),
    }


def test_factories_record_what_they_return() -> None:
    found = _facts(
        """
        import logging
        import structlog

        get_logger = lambda name: structlog.get_logger(name)
        alias = structlog.get_logger

        def make(name):
            log = structlog.get_logger(name)
            if name:
                log = log.bind(service=name)
            return log

        def maybe(name):
            if not name:
                return None
            return logging.getLogger(name)

        def unrelated():
            return compute()
        """
    )
    returns = {n: [(r.written, r.keys) for r in f.returns] for n, f in found.factories.items()}
    assert returns == {
        "get_logger": [("structlog.get_logger", ())],
        "alias": [("structlog.get_logger", ())],
        "make": [("structlog.get_logger", ("service",))],
    }


def test_facts_survive_the_cache_and_their_interface_has_no_lines() -> None:
    source = """
        import structlog
        from fastapi import FastAPI
        from mw import RequestIdMiddleware

        app = FastAPI()
        app.add_middleware(RequestIdMiddleware)
        get_logger = lambda name: structlog.get_logger(name)
        """
    data = textwrap.dedent(source).encode()
    facts = extract(ast.parse(data), data)
    again = FileFacts.from_json(json.loads(facts.to_text()))
    assert again.to_json() == facts.to_json()
    moved = b"\n\n# a comment moves every line\n" + data
    assert extract(ast.parse(moved), moved).interface_hash() == facts.interface_hash()


def test_a_file_without_any_of_it_has_no_correlation_facts() -> None:
    data = b"import os\n\n\ndef f(x):\n    return os.path.join(x, 'y')\n"
    assert extract(ast.parse(data), data).correlation is None


# --- decisions ---------------------------------------------------------------------------------

SHARED_MIDDLEWARE = """\
from contextvars import ContextVar

from starlette.middleware.base import BaseHTTPMiddleware

cid: ContextVar[str] = ContextVar("correlation_id", default="")


class CorrelationMiddleware(BaseHTTPMiddleware):
    async def dispatch(self, request, call_next):
        cid.set(request.headers.get("X-Correlation-ID", ""))
        return await call_next(request)
"""

ROUTES = """\
import logging

from fastapi import FastAPI

from libs.mw import CorrelationMiddleware

logger = logging.getLogger(__name__)
app = FastAPI()
app.add_middleware(CorrelationMiddleware)


@app.get("/orders")
async def orders() -> list:
    logger.info("listing")
    return []
"""


def _repo(tmp_path: Path, logging_table: str = "") -> Path:
    config = '[tool.arch_lint]\nservices = ["services/*"]\nshared-models = []\n'
    if logging_table:
        config += f"\n[tool.arch_lint.logging]\n{logging_table}\n"
    return make_repo(
        tmp_path,
        {
            "pyproject.toml": config,
            "libs/__init__.py": "",
            "libs/mw.py": SHARED_MIDDLEWARE,
            "services/__init__.py": "",
            "services/orders/__init__.py": "",
            "services/orders/api.py": ROUTES,
            "services/billing/__init__.py": "",
            "services/billing/api.py": ROUTES.replace("app.add_middleware", "# app.add_middleware"),
        },
    )


def _check(capsys: pytest.CaptureFixture[str], *args: str) -> list[dict[str, Any]]:
    result = run_cli(capsys, "check", "--format", "json", "--select", "ARC301,ARC302", *args)
    assert result.code in (0, 1), result.err
    return result.json()


def test_auto_presumes_only_where_a_service_installs_evidence(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(_repo(tmp_path))
    found = [(f["path"], f["code"], f["message"]) for f in _check(capsys, "--no-cache")]
    assert found == [
        ("services/billing/api.py", "ARC302", "log call `logger.info(...)` has no "
         "`correlation_id` and none is in scope"),
        ("services/orders/api.py", "ARC301", "log call `logger.info(...)` has no "
         "`correlation_id` although a route handler has one in scope "
         "(`CorrelationMiddleware`, installed in `services/orders/api.py`)"),
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("true", {("services/billing/api.py", "ARC301"), ("services/orders/api.py", "ARC301")}),
        ("false", {("services/billing/api.py", "ARC302"), ("services/orders/api.py", "ARC302")}),
        ('"auto"', {("services/billing/api.py", "ARC302"), ("services/orders/api.py", "ARC301")}),
    ],
)
def test_request_handlers_have_correlation_values(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    value: str,
    expected: set[tuple[str, str]],
) -> None:
    monkeypatch.chdir(_repo(tmp_path, f"request-handlers-have-correlation = {value}"))
    assert {(f["path"], f["code"]) for f in _check(capsys, "--no-cache")} == expected


def test_a_wrong_value_is_a_configuration_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(_repo(tmp_path, 'middleware-binds-contextvars = "yes"'))
    result = run_cli(capsys, "check", "--no-cache")
    assert result.code == 2
    assert "tool.arch_lint.logging.middleware-binds-contextvars" in result.err


def test_a_warm_run_follows_an_install_removed_in_another_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = _repo(tmp_path)
    monkeypatch.chdir(repo)
    warm = _check(capsys)
    assert ("services/orders/api.py", "ARC301") in {(f["path"], f["code"]) for f in warm}
    # the middleware stops reading the header and setting the ContextVar: no evidence left
    (repo / "libs/mw.py").write_text(
        SHARED_MIDDLEWARE.replace('cid.set(request.headers.get("X-Correlation-ID", ""))', "pass"),
        encoding="utf-8",
    )
    warm = _check(capsys)
    assert warm == _check(capsys, "--no-cache")
    assert ("services/orders/api.py", "ARC302") in {(f["path"], f["code"]) for f in warm}


def test_show_settings_names_the_evidence(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    (repo / "libs/logs.py").write_text(
        "import structlog\n\nfrom libs.mw import cid\n\n\n"
        "def add_cid(logger, method_name, event_dict):\n"
        '    event_dict["correlation_id"] = cid.get()\n'
        "    return event_dict\n\n\n"
        "structlog.configure(processors=[add_cid])\n"
        "get_logger = lambda name: structlog.get_logger(name)\n",
        encoding="utf-8",
    )
    settings = load_settings(None, repo)
    layout = Layout.scan(settings)
    index = build(settings, use_cache=False, layout=layout).index
    doc = settings_document(settings, layout, index)
    auto = {a["key"]: {d["service"]: d for d in a["decisions"]} for a in doc["auto"]}
    orders = auto[REQUEST_KEY]["orders"]
    assert orders["decided"] is True
    assert orders["evidence"] == [
        "services/orders/api.py:9: middleware `CorrelationMiddleware` reads "
        "`x-correlation-id`, sets ContextVar `cid`"
    ]
    assert auto[REQUEST_KEY]["billing"] == {"service": "billing", "decided": False, "evidence": []}
    assert auto[PIPELINE_KEY]["orders"]["evidence"] == [
        "libs/logs.py:11: structlog `add_cid` puts ContextVar `cid` under `correlation_id`, "
        "set by `CorrelationMiddleware`"
    ]
    assert auto[PIPELINE_KEY]["billing"]["decided"] is False
    assert doc["logger_factories"] == [
        {"name": "get_logger", "path": "libs/logs.py", "line": 12, "kind": "structlog",
         "bound": False}
    ]  # fmt: skip
    evidence = logging_evidence(index)
    assert evidence is logging_evidence(index)  # one per index
    assert evidence.factory_kind("services/orders/api.py", "logging.getLogger") == ("stdlib", False)


def test_response_headers_a_middleware_sets() -> None:
    """What ARC210 counts as a header every answer carries: written on the
    middleware's response (a literal, a constant, a parameter default), not a
    request's headers nor a client's outgoing ones."""
    found = _facts(
        """
        HEADER = "X-Request-ID"

        class Stamp:
            def __init__(self, app, trace_header: str = "X-Trace-Id") -> None:
                self.app = app
                self.trace_header = trace_header

            async def dispatch(self, request, call_next):
                response = await call_next(request)
                response.headers[HEADER] = "r"
                response.headers.setdefault(self.trace_header, "t")
                resp = response
                resp.headers.update({"X-Served-At": "now"})
                request_headers = {}
                request_headers["X-Forwarded"] = "no"
                return response
        """
    )
    assert sorted(found.behaviours["Stamp.dispatch"].writes) == [
        "x-request-id",
        "x-served-at",
        "x-trace-id",
    ]
