"""`check --show-settings`: every resolved setting as text and JSON (SPEC §3)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from helpers import make_repo

from arch_lint.adapters.init import settings_without_config
from arch_lint.adapters.settings_view import describe, settings_document
from arch_lint.config import load_settings
from arch_lint.config.load import RawConfig
from arch_lint.config.resolve import Settings
from arch_lint.index.build import build
from arch_lint.index.infer import Evidence
from arch_lint.index.layout import Layout

SHOP = Path(__file__).resolve().parent.parent / "examples" / "shop"

KEYS = {
    "version", "root", "configuration", "inferred", "source_roots", "python_files",
    "services", "shared_models", "data_layer", "public", "exclude", "respect_gitignore",
    "logging", "models", "schema", "auto", "logger_factories", "service_urls",
    "response_headers", "http_map",
    "allow", "per_path_ignores",
    "selection",
    "enabled_rules", "problems", "evidence",
}  # fmt: skip


def _show(settings: Settings, fmt: str, evidence: list[Evidence] | None = None) -> str:
    layout = Layout.scan(settings)
    index = build(settings, use_cache=False, layout=layout).index
    return describe(settings, layout, index, fmt, evidence or [])


def _shop(tmp_path: Path) -> Settings:
    repo = tmp_path / "shop"
    shutil.copytree(SHOP, repo, ignore=shutil.ignore_patterns(".arch_lint_cache"))
    return load_settings(None, repo)


def test_text_shows_every_section(tmp_path: Path) -> None:
    text = _show(_shop(tmp_path), "text")
    for needle in (
        "services (4):",
        "      services/reports/replica.py  [calls `create_async_engine()`]",
        "      services/orders/models_db.py  [matches `data-layer`]",
        "    public (2):",
        "shared models (1):\n  common/models  (4 files)",
        'logging:\n  correlation-fields = ["correlation_id"]',
        '  logger-factories = ["logging.getLogger", "structlog.get_logger", "structlog.getLogger"]',
        "models:\n  event-name-patterns",
        "  service-urls = {}",
        'schema:\n  compatibility = "full"',
        "allow (2):\n  from services/reports/** import services.orders.models_db"
        "  # read replica for reporting; remove with REP-12",
        "per-path ignores (0):",
        "enabled rules: ARC000, ARC001, ARC002, ARC101",
    ):
        assert needle in text, needle
    assert "problems (ARC000)" not in text


def test_json_has_stable_keys(tmp_path: Path) -> None:
    doc = json.loads(_show(_shop(tmp_path), "json"))
    assert set(doc) == KEYS
    assert doc["version"] == 1
    assert doc["configuration"].endswith("shop/pyproject.toml")
    assert doc["inferred"] is False
    reports = next(s for s in doc["services"] if s["name"] == "reports")
    assert reports["data_layer"] == [
        {"path": "services/reports/legacy_export.py", "why": "calls `psycopg2.connect()`"},
        {"path": "services/reports/replica.py", "why": "calls `create_async_engine()`"},
    ]
    assert doc["shared_models"] == [
        {"path": "common/models", "configured": "common/models", "files": 4}
    ]
    assert doc["allow"][1]["import"] == "services.orders.repositories.*"
    assert doc["logging"]["structlog-factories"] == []
    assert doc["models"]["envelope-class"] == "EventEnvelope"
    assert "ARC203" not in doc["enabled_rules"]
    assert doc["problems"] == []


def test_problems_and_per_path_ignores(tmp_path: Path) -> None:
    repo = make_repo(
        tmp_path,
        {
            "pyproject.toml": (
                "[tool.arch_lint]\n"
                'services = ["svc/*"]\n'
                'extend-select = ["ARC203"]\n'
                'per-path-ignores = { "legacy/**" = ["ARC1", "ARC301"] }\n'
            ),
            "app.py": "",
        },
    )
    settings = load_settings(None, repo)
    text = _show(settings, "text")
    assert "per-path ignores (1):\n  legacy/**: ARC1, ARC301" in text
    assert "problems (ARC000):\n  tool.arch_lint.services[0]: `svc/*` matches no directory" in text
    doc = json.loads(_show(settings, "json"))
    assert doc["per_path_ignores"] == {"legacy/**": ["ARC1", "ARC301"]}
    assert [p["key"] for p in doc["problems"]] == ["services[0]", "shared-models[0]"]
    assert doc["selection"]["extend_select"] == ["ARC203"]
    assert "ARC203" in doc["enabled_rules"]


def test_inferred_settings_show_their_evidence(tmp_path: Path) -> None:
    repo = make_repo(
        tmp_path,
        {
            "services/a/__init__.py": "",
            "services/a/api.py": "",
            "services/b/__init__.py": "",
            "services/b/api.py": "",
        },
    )
    got = settings_without_config(RawConfig(path=None, root=repo))
    assert got is not None
    settings, evidence = got
    text = _show(settings, "text", evidence)
    assert "configuration: (none: inferred as `arch-lint init` does)" in text
    assert 'services "services/*": 2 directories with Python packages: a, b' in text
    doc = json.loads(_show(settings, "json", evidence))
    assert doc["inferred"] is True
    assert doc["configuration"] is None
    assert {
        "key": "services",
        "value": "services/*",
        "why": "2 directories with Python packages: a, b",
    } in doc["evidence"]


def test_auto_settings_are_listed(tmp_path: Path) -> None:
    settings = _shop(tmp_path)
    layout = Layout.scan(settings)
    index = build(settings, use_cache=False, layout=layout).index
    doc = settings_document(settings, layout, index)
    autos = [k for k, v in doc["logging"].items() if v == "auto"]
    assert [a["key"] for a in doc["auto"]] == [f"logging.{k}" for k in autos]


def test_response_headers_set_by_middlewares_are_listed(tmp_path: Path) -> None:
    """ARC210 counts a header an app-wide middleware sets; the evidence is shown."""
    fixture = SHOP.parent.parent / "tests" / "fixtures" / "rules" / "ARC210_api_response_metadata"
    repo = tmp_path / "repo"
    shutil.copytree(fixture, repo)
    settings = load_settings(None, repo)
    text = _show(settings, "text")
    assert (
        "response headers set by middlewares (1):\n"
        "  [orders] x-request-id  (services/orders/main.py:9: middleware `RequestIdMiddleware`)"
    ) in text
    doc = json.loads(_show(settings, "json"))
    assert [h["service"] for h in doc["response_headers"]] == ["orders"]  # not catalog's


def test_calls_the_http_map_could_not_place_are_listed_with_why(tmp_path: Path) -> None:
    """Where a finding is expected and none comes, the view says which calls
    reach no service (grouped by why) and which match no route of theirs."""
    make_repo(
        tmp_path,
        {
            "pyproject.toml": '[tool.arch_lint]\nservices = ["services/*"]\nshared-models = []\n',
            "services/search/main.py": (
                "from fastapi import FastAPI\n\napp = FastAPI()\n\n\n"
                '@app.get("/hits")\nasync def hits() -> dict:\n    return {}\n'
            ),
            "services/feeds/client.py": (
                "import httpx\n\nfrom services.feeds.settings import settings\n\n\n"
                "async def run(client: httpx.AsyncClient) -> None:\n"
                '    await client.get(f"{settings.LEGACY_URL}/a")\n'
                '    await client.get(f"{settings.LEGACY_URL}/b")\n'
                '    await client.get("http://search:8000/hits")\n'
                '    await client.post("http://search:8000/missing", json={})\n'
            ),
        },
    )
    settings = load_settings(None, tmp_path)
    doc = json.loads(_show(settings, "json"))["http_map"]
    assert doc["calls_unresolved"] == [
        {"why": "`LEGACY_URL` names no service", "count": 2, "first": "services/feeds/client.py:7"}
    ]
    assert doc["calls_unmatched"] == [
        {"service": "search", "call": "POST /missing", "at": "services/feeds/client.py:10"}
    ]
    text = _show(settings, "text")
    assert (
        "  to no service (2): `LEGACY_URL` names no service  (first services/feeds/client.py:7)\n"
        "  no route of `search` matches POST /missing  (services/feeds/client.py:10)"
    ) in text
