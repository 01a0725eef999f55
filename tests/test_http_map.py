"""The HTTP map (issue 13): service URLs inferred, routes with their prefixes and
models, calls resolved to (service, method, path template) and matched."""

from __future__ import annotations

import ast
from pathlib import Path

from helpers import make_repo

from arch_lint.config import load_settings
from arch_lint.index.build import build
from arch_lint.index.compose import compose_facts
from arch_lint.index.http import PATHS, HttpFacts, normalise_path, read_http
from arch_lint.index.http import cannot_hold as http_parts
from arch_lint.index.http_map import HttpMap, match_templates

CONFIG = '[tool.arch_lint]\nservices = ["services/*"]\nshared-models = []\n'


def _map(tmp_path: Path, files: dict[str, str], config: str = CONFIG) -> HttpMap:
    make_repo(tmp_path, {"pyproject.toml": config, **files})
    settings = load_settings(None, tmp_path)
    return build(settings, use_cache=False).index.http


def _calls(http: HttpMap) -> list[tuple[str, str, str | None, str, str]]:
    """(file, method, service, template, route handler or why)."""
    return [
        (path, c.method, c.service, c.template, c.route.handler if c.route else c.why)
        for path, c in http.all_calls()
    ]


def test_paths_are_normalised() -> None:
    assert normalise_path("/quotes/{quote_id}/") == "/quotes/{}"
    assert normalise_path("items/<int:item_id>?x=1") == "/items/{}"
    assert normalise_path("") == "/"
    assert match_templates("/quotes/{}", "/quotes/{}") == 0
    assert match_templates("/quotes/abc", "/quotes/{}") == 1
    assert match_templates("/quotes", "/quotes") == 0
    assert match_templates("/quotes/v{}", "/quotes/v1") == 1
    assert match_templates("/quotes", "/quotes/{}") is None
    assert match_templates("/orders", "/quotes") is None


def test_fastapi_prefixes_across_files_and_models(tmp_path: Path) -> None:
    http = _map(
        tmp_path,
        {
            "services/pricing/__init__.py": "",
            "services/pricing/api/__init__.py": "",
            "services/pricing/api/quotes.py": (
                "from fastapi import APIRouter, Depends\n"
                "from pydantic import BaseModel\n\n"
                'router = APIRouter(prefix="/quotes")\n\n\n'
                "class QuoteIn(BaseModel):\n    sku: str\n\n\n"
                "class QuoteOut(BaseModel):\n    price: int\n\n\n"
                '@router.post("", response_model=QuoteOut)\n'
                "async def create(body: QuoteIn, db=Depends(lambda: 1)) -> dict:\n"
                "    return {}\n\n\n"
                '@router.get("/{quote_id}")\n'
                "async def read(quote_id: str) -> QuoteOut:\n"
                "    return QuoteOut(price=1)\n"
            ),
            "services/pricing/main.py": (
                "from fastapi import FastAPI\n\n"
                "from services.pricing.api import quotes\n\n"
                "app = FastAPI()\n"
                'app.include_router(quotes.router, prefix="/internal/v1")\n'
            ),
        },
    )
    routes = {(r.method, r.template): r for r in http.routes}
    assert set(routes) == {("POST", "/internal/v1/quotes"), ("GET", "/internal/v1/quotes/{}")}
    create = routes[("POST", "/internal/v1/quotes")]
    assert create.service == "pricing"
    request, response = http.request_model(create), http.response_model(create)
    assert request is not None
    assert request.qualname == "QuoteIn"
    assert response is not None
    assert response.qualname == "QuoteOut"
    read = routes[("GET", "/internal/v1/quotes/{}")]
    assert http.request_model(read) is None  # a path parameter is no body
    response = http.response_model(read)
    assert response is not None
    assert response.qualname == "QuoteOut"


def test_flask_blueprints_and_aiohttp_tables(tmp_path: Path) -> None:
    http = _map(
        tmp_path,
        {
            "services/stock/app.py": (
                "from flask import Blueprint, Flask\n\n"
                'bp = Blueprint("stock", __name__, url_prefix="/ignored")\n\n\n'
                '@bp.route("/levels/<sku>", methods=["GET", "PUT"])\n'
                "def levels(sku):\n    return {}\n\n\n"
                "app = Flask(__name__)\n"
                'app.register_blueprint(bp, url_prefix="/api")\n'
            ),
            "services/mail/server.py": (
                "from aiohttp import web\n\n"
                "routes = web.RouteTableDef()\n\n\n"
                '@routes.post("/send")\n'
                "async def send(request):\n    return web.json_response({})\n\n\n"
                "async def health(request):\n    return web.Response()\n\n\n"
                "app = web.Application()\n"
                "app.add_routes(routes)\n"
                'app.router.add_get("/health", health)\n'
            ),
        },
    )
    found = sorted((r.service, r.method, r.template) for r in http.routes)
    assert found == [
        ("mail", "GET", "/health"),
        ("mail", "POST", "/send"),
        ("stock", "GET", "/api/levels/{}"),
        ("stock", "PUT", "/api/levels/{}"),
    ]


_SERVING = {
    "services/pricing/main.py": (
        "from fastapi import FastAPI\nfrom pydantic import BaseModel\n\n"
        "app = FastAPI()\n\n\n"
        "class Quote(BaseModel):\n    price: int\n\n\n"
        '@app.post("/internal/v1/quotes")\n'
        "async def create() -> Quote:\n    return Quote(price=1)\n\n\n"
        '@app.get("/items/{sku}")\n'
        "async def item(sku: str) -> Quote:\n    return Quote(price=1)\n"
    ),
}


def test_calls_resolve_through_settings_init_attributes_and_base_url(tmp_path: Path) -> None:
    http = _map(
        tmp_path,
        {
            **_SERVING,
            "services/orders/settings.py": (
                "from pydantic_settings import BaseSettings\n\n\n"
                "class Settings(BaseSettings):\n"
                '    PRICING_BASE_URL: str = "http://pricing_service:8000"\n'
                '    STRIPE_URL: str = "https://api.stripe.com"\n\n\n'
                "settings = Settings()\n"
            ),
            "services/orders/clients.py": (
                "import httpx\n\n"
                "from services.orders.settings import settings\n\n\n"
                "class PricingClient:\n"
                "    def __init__(self, http: httpx.AsyncClient) -> None:\n"
                "        self._http = http\n"
                "        self._url = settings.PRICING_BASE_URL\n\n"
                "    async def quote(self) -> None:\n"
                '        await self._http.post(f"{self._url}/internal/v1/quotes", json={})\n\n\n'
                "async def item(sku: str) -> None:\n"
                "    async with httpx.AsyncClient(base_url=settings.PRICING_BASE_URL) as c:\n"
                '        await c.get(f"/items/{sku}")\n\n\n'
                "async def charge(url: str) -> None:\n"
                '    await httpx.AsyncClient().post(f"{settings.STRIPE_URL}/v1/charges")\n'
                "    await httpx.AsyncClient().post(url)\n"
                "    cache = {}\n"
                '    cache.get("key")\n'
            ),
        },
    )
    assert _calls(http) == [
        ("services/orders/clients.py", "POST", "pricing", "/internal/v1/quotes", "create"),
        ("services/orders/clients.py", "GET", "pricing", "/items/{}", "item"),
        ("services/orders/clients.py", "POST", None, "", "`STRIPE_URL` names no service"),
        ("services/orders/clients.py", "POST", None, "", "the URL comes from a parameter"),
    ]
    assert [(e.key, e.service) for e in http.urls.evidence()] == [("PRICING_BASE_URL", "pricing")]


def test_compose_hosts_and_environment(tmp_path: Path) -> None:
    compose = (
        "services:\n"
        "  quotes-api:\n"
        "    build:\n"
        "      context: ./services/pricing\n"
        "    container_name: quotes\n"
        "  orders:\n"
        "    build: ./services/orders\n"
        "    environment:\n"
        "      - QUOTES_ENDPOINT=http://quotes-api:8000/internal\n"
        "  redis:\n"
        "    image: redis\n"
    )
    http = _map(
        tmp_path,
        {
            **_SERVING,
            "deploy/docker-compose.yml": compose.replace("./services", "../services"),
            "services/orders/client.py": (
                "import os\n\nimport requests\n\n\n"
                "def quote() -> None:\n"
                '    requests.post(os.environ["QUOTES_ENDPOINT"] + "/v1/quotes")\n'
                '    requests.post("http://quotes:8000/internal/v1/quotes")\n'
            ),
        },
    )
    keys = [(e.key, e.service) for e in http.urls.evidence()]
    assert keys == [
        ("host:quotes", "pricing"),
        ("host:quotes-api", "pricing"),
        ("QUOTES_ENDPOINT", "pricing"),
    ]
    assert [c[2:] for c in _calls(http)] == [
        ("pricing", "/internal/v1/quotes", "create"),  # the default's path is its prefix
        ("pricing", "/internal/v1/quotes", "create"),
    ]


def test_inference_off_and_configured_names_win(tmp_path: Path) -> None:
    client = {
        "services/orders/client.py": (
            "import httpx\n\nfrom services.orders.settings import settings\n\n\n"
            "async def go() -> None:\n"
            '    await httpx.post(f"{settings.PRICING_URL}/internal/v1/quotes")\n'
        ),
        "services/orders/settings.py": 'PRICING_URL = "http://orders:8000"\n',
    }
    off = CONFIG + "\n[tool.arch_lint.models]\ninfer-service-urls = false\n"
    assert [c[2] for c in _calls(_map(tmp_path / "off", {**_SERVING, **client}, off))] == [None]
    inferred = _map(tmp_path / "on", {**_SERVING, **client})
    assert [c[2] for c in _calls(inferred)] == ["orders"]  # the default's host says so
    configured = CONFIG + '\n[tool.arch_lint.models]\nservice-urls = {"PRICING_*" = "pricing"}\n'
    assert [c[2:] for c in _calls(_map(tmp_path / "cfg", {**_SERVING, **client}, configured))] == [
        ("pricing", "/internal/v1/quotes", "create")
    ]


def test_compose_reader_shapes() -> None:
    text = (
        "version: '3'\n"
        "x-common: &common\n"
        "  restart: always\n"
        "services:\n"
        '  "pricing":\n'
        "    build:\n"
        "      context: .\n"
        "      dockerfile: services/pricing/Dockerfile\n"
        "    environment:\n"
        "      CATALOG_URL: 'http://catalog:80'  # the catalog\n"
        "  catalog:\n"
        "    hostname: cat\n"
        "    image: catalog:latest\n"
    )
    facts = compose_facts(text.encode(), "ops/compose.yaml")
    assert [(s.name, s.aliases, s.build, s.environment) for s in facts.compose] == [
        ("pricing", (), "ops/services/pricing", (("CATALOG_URL", "http://catalog:80", 10),)),
        ("catalog", ("cat",), "", ()),
    ]


def test_url_defaults_are_read_from_settings_dataclasses_and_constants() -> None:
    source = (
        b"import os\nfrom dataclasses import dataclass\nfrom pydantic import Field\n\n"
        b'PRICING = os.getenv("PRICING_URL", "http://pricing:8000")\n\n\n'
        b"@dataclass\nclass Config:\n"
        b'    catalog_url: str = "http://catalog-service/api"\n'
        b'    db_url: str = Field(default="postgresql://db:5432/x")\n'
        b'    name: str = "catalog"\n'
    )
    facts = read_http(ast.parse(source), source)
    assert facts is not None
    assert [(u.name, u.env, u.url) for u in facts.urls] == [
        ("PRICING", "PRICING_URL", "http://pricing:8000"),
        ("catalog_url", "", "http://catalog-service/api"),
        ("db_url", "", "postgresql://db:5432/x"),
    ]


def test_path_defaults_are_read_like_url_defaults() -> None:
    source = (
        b"import os\nfrom pydantic import Field\nfrom pydantic_settings import BaseSettings\n\n"
        b'API_PREFIX = os.getenv("API_PREFIX", "/api")\n'
        b'DOCS = "/docs"\n\n\n'
        b"class Settings(BaseSettings):\n"
        b'    API_V1_STR: str = "/api/v1"\n'
        b'    ADMIN_PREFIX: str = Field(default="/admin")\n'
        b'    BASE_URL: str = "http://orders:8000"\n'
        b'    NAME: str = "orders"\n'
    )
    facts = read_http(ast.parse(source), source)
    assert facts is not None
    assert [(p.name, p.env, p.path) for p in facts.paths] == [
        ("API_PREFIX", "API_PREFIX", "/api"),
        ("DOCS", "", "/docs"),
        ("API_V1_STR", "", "/api/v1"),
        ("ADMIN_PREFIX", "", "/admin"),
    ]
    assert [u.name for u in facts.urls] == ["BASE_URL"]
    assert HttpFacts.from_json(facts.to_json()) == facts
    # the bytes of a file with no path default say so: its facts are not waited for
    assert http_parts(b'NAME = "orders"\nx = f("a/b")\n') >= {PATHS}
    for spelled in (b'X = "/p"', b"X: str='/p'", b'X = Field(default="/p")', b'getenv("X",\t"/p")'):
        assert PATHS not in http_parts(spelled), spelled


def test_the_path_default_prefilter_passes_every_file_the_reader_finds_one_in() -> None:
    # each form the reader reads, alone in its file; then every fixture and example
    forms = [
        b'API_V1_STR: str = Field("/api/v1", description="d")\n',
        b'X = os.getenv(\n    "X",\n    "/api/v1",\n)\n',
        b'X = r"/api/v1"\n',
        b'X = (\n    "/api/v1"\n)\n',
        b'class S:\n    X: str = Field(\n        default="/v1",\n    )\n',
        b'X = (  # a comment\n    "/api/v1"\n)\n',
        b'X = \\\n    "/api/v1"\n',
        b"X = '''/api/v1'''\n",
    ]
    # a literal not spelled as the path it reads is not read (nor let through)
    for source in (b'X = "\\u002fapi"\n', b'X = "" "/api"\n', b'X = "\\x2fapi"\n'):
        facts = read_http(ast.parse(source), source, frozenset())
        assert facts is None or not facts.paths, source
    repo = Path(__file__).parent.parent
    files = [*(repo / "tests" / "fixtures").rglob("*.py"), *(repo / "examples").rglob("*.py")]
    for source in [*forms, *(path.read_bytes() for path in sorted(files))]:
        try:
            tree = ast.parse(source)
        except SyntaxError:
            continue
        facts = read_http(tree, source, frozenset())
        if facts is not None and facts.paths:
            assert PATHS not in http_parts(source), source[:80]
    for source in forms:
        facts = read_http(ast.parse(source), source, frozenset())
        assert facts is not None, source
        assert facts.paths, source


def test_an_include_prefix_read_from_a_setting_keeps_its_name() -> None:
    source = (
        b"from fastapi import APIRouter, FastAPI\n"
        b"from app.config import settings, get_settings\n"
        b"from app.consts import API_PREFIX as PREFIX\n"
        b"router = APIRouter()\n"
        b"app = FastAPI()\n"
        b"app.include_router(router, prefix=settings.API_V1_STR)\n"
        b"app.include_router(router, prefix=get_settings().ADMIN_PREFIX)\n"
        b"app.include_router(router, prefix=PREFIX)\n"
        b"app.include_router(router, prefix='/plain')\n"
        b"for version in ('/v1', '/v2'):\n"
        b"    app.include_router(router, prefix=version)\n"
        b"class Mount:\n"
        b"    def mount(self, app):\n"
        b"        app.include_router(router, prefix=self.prefix)\n"
    )
    facts = read_http(ast.parse(source), source)
    assert facts is not None
    assert [(i.prefix, i.setting) for i in facts.includes] == [
        ("/{prefix}", "API_V1_STR"),
        ("/{prefix}", "ADMIN_PREFIX"),
        ("/{prefix}", "API_PREFIX"),
        ("/plain", ""),
        ("/{prefix}", ""),
        ("/{prefix}", ""),
    ]


def test_what_a_route_answers() -> None:
    """`Route.reply` (ARC210): the framework's precedence, wrappers, and what
    answers no single model."""
    source = (
        "from typing import Optional, Union\n"
        "from aiohttp import web\n"
        "from fastapi import APIRouter\n"
        "from fastapi.responses import HTMLResponse, JSONResponse, StreamingResponse\n"
        "from flask import jsonify\n"
        "from common.models import ApiResponse, Item, Other\n\n"
        "router = APIRouter()\n\n\n"
        '@router.get("/a", response_model=Item)\n'
        "async def a() -> dict:\n    return {}\n\n\n"
        '@router.get("/b", response_model=None)\n'
        "async def b() -> Item:\n    return Item()\n\n\n"
        '@router.get("/c")\n'
        "async def c() -> 'ApiResponse[list[Item]]':\n    ...\n\n\n"
        '@router.get("/d")\n'
        "async def d() -> Optional[Item]:\n    ...\n\n\n"
        '@router.get("/e")\n'
        "async def e() -> list[Item]:\n    ...\n\n\n"
        '@router.get("/f")\n'
        "async def f() -> Union[Item, Other]:\n    ...\n\n\n"
        '@router.get("/g", response_class=HTMLResponse)\n'
        "async def g() -> Item:\n    ...\n\n\n"
        '@router.get("/h", include_in_schema=False)\n'
        "async def h() -> StreamingResponse:\n    ...\n\n\n"
        '@router.get("/i")\n'
        "async def i(x: int):\n"
        "    if x:\n        return jsonify({'error': 'no'}), 404\n"
        "    if x > 1:\n        return JSONResponse({'e': 1}, status_code=409)\n"
        "    found = Item()\n    return jsonify(found.model_dump()), 200\n\n\n"
        '@router.get("/j")\n'
        "async def j(x: int):\n"
        "    if x:\n        return {'ok': 1}\n    return Item()\n\n\n"
        '@router.get("/k")\n'
        "async def k(request: web.Request) -> web.Response:\n"
        "    return web.json_response(Other().model_dump())\n\n\n"
        '@router.get("/l")\n'
        "async def l():\n    yield b''\n"
    )
    tree = ast.parse(source)
    http = read_http(tree, source.encode())
    assert http is not None
    found = {r.path: (r.reply, r.hidden) for r in http.routes}
    assert found == {
        "/a": ("Item", False),  # `response_model=` wins over the annotation
        "/b": ("-", False),  # `response_model=None` turns it off
        "/c": ("ApiResponse[", False),  # a generic wrapper
        "/d": ("Item", False),
        "/e": ("-", False),  # a list has no place for metadata
        "/f": ("", False),  # a union: unknown
        "/g": ("-", False),  # an HTML answer
        "/h": ("-", True),
        "/i": ("Item", False),  # error answers aside, every return gives `Item`
        "/j": ("", False),  # a dict on one path
        "/k": ("Other", False),  # `-> web.Response`: what the body puts in it
        "/l": ("-", False),  # a generator: a stream
    }


def test_replies_resolve_models_and_leave_out_tests_and_scripts(tmp_path: Path) -> None:
    http = _map(
        tmp_path,
        {
            "services/shop/__init__.py": "",
            "services/shop/api.py": (
                "from fastapi import FastAPI\nfrom pydantic import BaseModel\n\n"
                "from services.shop.lib import Plain\n\n"
                "app = FastAPI()\n\n\n"
                "class Out(BaseModel):\n    x: int\n\n\n"
                '@app.get("/out")\nasync def out() -> Out:\n    return Out(x=1)\n\n\n'
                '@app.get("/plain")\nasync def plain() -> Plain:\n    return Plain()\n'
            ),
            "services/shop/lib.py": "class Plain:\n    pass\n",
            "services/shop/tests/test_api.py": (
                "from fastapi import FastAPI\n\nfrom services.shop.api import Out\n\n"
                'app = FastAPI()\n\n\n@app.get("/t")\nasync def t() -> Out:\n    ...\n'
            ),
            "scripts/stub.py": (
                "from fastapi import FastAPI\n\nfrom services.shop.api import Out\n\n"
                'app = FastAPI()\n\n\n@app.get("/s")\nasync def s() -> Out:\n    ...\n'
            ),
        },
    )
    replies = {ref.qualname: [r.template for r, _ in uses] for ref, uses in http.replies.items()}
    assert replies == {"Out": ["/out"]}  # not a plain class, a test's app, a script's


def test_a_callers_own_local_default_gives_way_to_its_compose_environment(
    tmp_path: Path,
) -> None:
    """orders' `PRICING_URL` defaults to `localhost` (no service) and its compose
    environment sets it to `http://pricing:8000`: its own entries name one
    service, so the call reaches it; shipping's own vendor `PRICING_URL` reaches
    none, whatever orders says."""
    http = _map(
        tmp_path,
        {
            **_SERVING,
            "services/shipping/__init__.py": "",
            "docker-compose.yml": (
                "services:\n  orders:\n    build: ./services/orders\n"
                "    environment:\n      - PRICING_URL=http://pricing:8000\n"
            ),
            "services/orders/client.py": (
                "import os\n\nimport httpx\n\n"
                'PRICING_URL = os.getenv("PRICING_URL", "http://localhost:8001")\n\n\n'
                "def quote() -> None:\n"
                '    httpx.post(os.environ["PRICING_URL"] + "/internal/v1/quotes")\n'
            ),
            "services/shipping/client.py": (
                "import os\n\nimport httpx\n\n"
                'PRICING_URL = os.getenv("PRICING_URL", "https://pricing.vendor.com")\n\n\n'
                "def quote() -> None:\n"
                '    httpx.post(os.environ["PRICING_URL"] + "/internal/v1/quotes")\n'
            ),
        },
    )
    assert [c[2:] for c in _calls(http)] == [
        ("pricing", "/internal/v1/quotes", "create"),
        (None, "", "`PRICING_URL` of service `shipping` names no service"),
    ]


def test_configured_globs_match_settings_attributes_and_environment_variables(
    tmp_path: Path,
) -> None:
    """SPEC §4: `service-urls` keys are case-sensitive globs matched against the
    attribute name of a settings object or an environment variable read with
    `os.environ[...]` / `os.getenv(...)`; the map is ARC206's one reader of them."""
    config = CONFIG + '\n[tool.arch_lint.models]\nservice-urls = {"PRICING_*" = "pricing"}\n'
    http = _map(
        tmp_path,
        {
            **_SERVING,
            "services/orders/client.py": (
                "import os\n\nimport httpx\n\nfrom services.orders.settings import settings\n\n\n"
                "def quote() -> None:\n"
                '    httpx.post(f"{settings.PRICING_URL}/internal/v1/quotes")\n'
                '    httpx.post(os.environ["PRICING_HOST"] + "/internal/v1/quotes")\n'
                '    httpx.post(os.getenv("PRICING_ADDR") + "/internal/v1/quotes")\n'
                '    httpx.post (f"{settings.pricing_url}/internal/v1/quotes")\n'
            ),
        },
        config,
    )
    assert [c[2:] for c in _calls(http)] == [
        ("pricing", "/internal/v1/quotes", "create"),
        ("pricing", "/internal/v1/quotes", "create"),
        ("pricing", "/internal/v1/quotes", "create"),
        (None, "", "`pricing_url` names no service"),  # case-sensitive
    ]


def test_a_compose_image_service_named_like_a_folder(tmp_path: Path) -> None:
    """A compose service that runs its own image (`registry/pricing:1`) is the
    folder of its name; one that runs another image (`postgres`) is not."""
    http = _map(
        tmp_path,
        {
            **_SERVING,
            "services/db/__init__.py": "",
            "deploy/compose.prod.yaml": (
                "services:\n"
                "  pricing:\n    image: registry.example.com/team/pricing:1.2\n"
                "  db:\n    image: postgres:16\n"
            ),
        },
    )
    assert http.urls.host_service("http://pricing:8000") == "pricing"
    assert http.urls.host_service("http://db:5432") is None


def _read_calls(source: str) -> list[list[object]]:
    facts = read_http(ast.parse(source), source.encode())
    return [c.interface() for c in facts.calls] if facts is not None else []


def test_calls_kept_by_the_cheap_walk_and_the_lazy_client_test() -> None:
    # a client from `with … as`, one with `base_url=`, calls in an f-string, a
    # comprehension and a tuple (in the walk's order), a dict's `get` left out
    source = (
        "import httpx\n"
        "from app.settings import settings\n"
        "api = httpx.Client(base_url=settings.orders_url)\n"
        "def run(urls, key, d):\n"
        "    with httpx.Client() as c:\n"
        "        c.get('/health')\n"
        "    api.post('/orders/{id}')\n"
        "    note = f\"{c.get(settings.stock_url + '/items')}\"\n"
        "    found = [c.get(u) for u in urls]\n"
        "    both = (c.put(settings.a_url + '/a'), c.delete(settings.b_url + '/b'))\n"
        "    return d.get('status'), d.get(key)\n"
    )
    assert _read_calls(source) == [
        ["GET", "?relative", ""],
        ["POST", "a:orders_url", "/orders/{}"],
        ["GET", "a:stock_url", "/items"],
        ["GET", "?unknown", ""],
        ["DELETE", "a:b_url", "/b"],
        ["PUT", "a:a_url", "/a"],
    ]


def test_calls_in_the_headers_of_compound_statements() -> None:
    # a compound statement's header is read where a marked line lies from its
    # first decorator to the first line of its body (a one-line body included);
    # the calls in its body are their own statements' (a `def` is read where its
    # own lines span a marked line: `e`'s decorator is read for the call in its body)
    source = (
        "import httpx\n"
        "@deco(\n"
        "    httpx.get('http://a:1/deco'))\n"
        "@other\n"
        "def e():\n"
        "    pass\n"
        "    httpx.get('http://a:1/in-e')\n"
        "@other\n"
        "def f(x=httpx.post('http://a:1/default'), *,\n"
        "      y: T = httpx.put('http://a:1/kw')) -> R:\n"
        "    return httpx.patch('http://a:1/body')\n"
        "class C(httpx.get('http://a:1/base')):\n"
        "    pass\n"
        "def g(url): return httpx.delete(url)\n"
        "for r in httpx.get('http://a:1/for').json(): pass\n"
        "while httpx.head(\n"
        "        'http://a:1/while'): break\n"
        "if httpx.get('http://a:1/if'): httpx.post('http://a:1/then')\n"
        "with httpx.stream('GET', 'http://a:1/with') as s: pass\n"
        "try:\n"
        "    pass\n"
        "except httpx.get('http://a:1/except'):\n"
        "    pass\n"
    )
    assert [line for *_, line in _read_call_lines(source)] == [
        "/deco", "/in-e", "/default", "/kw", "/body", "/base", "", "/for", "/while", "/if", "/then",
        "/with", "/except",
    ]  # fmt: skip


def _read_call_lines(source: str) -> list[list[str]]:
    facts = read_http(ast.parse(source), source.encode())
    assert facts is not None
    return [c.interface() for c in sorted(facts.calls, key=lambda c: (c.line, c.col))]


def test_a_name_is_a_client_where_the_binding_it_reads_is_one() -> None:
    # whether `c` holds a client is known once per scope and binding read: the
    # same name bound to a client in another scope or later in one is one there
    source = (
        "import httpx  # url\n"
        "def g(c):\n"
        "    c.get('a')\n"
        "def h():\n"
        "    c = httpx.Client()\n"
        "    c.get('b')\n"
        "def f(items):\n"
        "    for c in items:\n"
        "        c.get('c')\n"
        "        c.get('d')\n"
        "    c = httpx.Client()\n"
        "    c.get('e')\n"
        "    c = {}\n"
        "    c.get('f')\n"
        "def k():\n"
        "    with httpx.Client() as c:\n"
        "        c.get('g')\n"
        "        c.get('h')\n"
    )
    facts = read_http(ast.parse(source), source.encode())
    assert facts is not None
    assert [c.line for c in facts.calls] == [6, 12, 17, 18]


def test_a_client_made_by_with_wherever_the_line_spells_it() -> None:
    # a `with … as` target is looked for where the line spells `with` or
    # `async` (`async` and `with` split by a backslash), and on every line of a
    # source that may spell a keyword otherwise (`# coding: utf-7`)
    source = (
        "import httpx  # url\n"
        "async def f(items):\n"
        "    for c in items:\n"
        "        c.get('a')\n"
        "    print(items)\n"
        "    async \\\n"
        "    with httpx.AsyncClient() as c:\n"
        "        await c.get('b')\n"
        "    with httpx.Client() as d:\n"
        "        d.get('c')\n"
    )
    assert [c.line for c in _read(source.encode()).calls] == [8, 10]
    utf7 = "# coding: utf-7\n" + source.replace("    with", "    +AHc-ith")
    assert [c.line for c in _read(utf7.encode()).calls] == [9, 11]


def _read(source: bytes) -> HttpFacts:
    facts = read_http(ast.parse(source), source)
    assert facts is not None
    return facts


def test_a_client_imported_under_a_name_spelled_otherwise() -> None:
    # Python reads the fullwidth name as `httpx` (NFKC): the bytes do not spell the library
    source = "import \uff48\uff54\uff54\uff50\uff58  # url\ndef f(url):\n    httpx.get(url)\n"
    assert _read_calls(source) == [["GET", "?param", ""]]
    assert (
        _read_calls(source.replace("import \uff48\uff54\uff54\uff50\uff58", "import other")) == []
    )


def test_the_route_prefilter_parts_cover_every_route_word() -> None:
    from arch_lint.index import http

    for word in http._ROUTE_WORDS:
        assert any(part in word for part in http._ROUTE_PARTS), word
        assert http._may_route(b"x = " + word)
    assert not http._may_route(b"x = router_less + add_sub")


def _read_routes(source: bytes) -> list[tuple[str, str, str, tuple[str, ...]]]:
    facts = read_http(ast.parse(source), source)
    assert facts is not None
    return [(r.router, r.method, r.path, r.request) for r in facts.routes]


def test_registrations_and_request_reads_where_the_bytes_do_not_spell_them() -> None:
    # the route reader walks only the statements on lines that spell `add_` (and
    # `req`, for a handler's body) where the names are spelled in the bytes: a
    # decorator stands above its `def` line, a fullwidth name is read as ASCII
    # (NFKC), and an ASCII source may encode a name (`# coding: utf-7`)
    source = (
        "from aiohttp import web\n"
        "app = web.Application()\n"
        "async def h(request):\n"
        "    def deco(x):\n"
        "        return lambda f: f\n"
        "    @deco(Item(**await request.json()))\n"
        "    def inner():\n"
        "        pass\n"
        "    return web.Response()\n"
        "@deco(\n"
        "    app.router.add_get('/a', h)\n"
        ")\n"
        "def f():\n"
        "    pass\n"
        "app.router.NAME('/b', h)\n"
    )
    routes = [("app", "GET", "/a", ("Item",)), ("app", "POST", "/b", ("Item",))]
    assert _read_routes(source.replace("NAME", "add_post").encode()) == routes
    assert _read_routes(source.replace("NAME", "\uff41dd_post").encode()) == routes
    utf7 = "# coding: utf-7\n" + source.replace("NAME", "+AGE-dd+AF8-post")
    assert _read_routes(utf7.replace("request", "+AHI-equest").encode()) == routes
    assert _read_routes(source.replace("NAME", "ad_post").encode()) == routes[:1]


def test_a_path_default_is_read_past_a_bom_and_in_another_encoding() -> None:
    """The parser's columns count the UTF-8 bytes of the decoded line: a BOM or
    a latin-1 file moves the literal in the raw bytes, not in the decoded text."""
    bom = b'\xef\xbb\xbfAPI_V1_STR = "/api/v1"\n'
    latin1 = (
        b"# -*- coding: latin-1 -*-\n"
        b"from pydantic import Field\n"
        b'X: str = Field(description="pr\xe9fixe", default="/api/v1")\n'
    )
    for source in (bom, latin1):
        facts = read_http(ast.parse(source), source, frozenset())
        assert facts is not None, source
        assert [p.path for p in facts.paths] == ["/api/v1"], source
