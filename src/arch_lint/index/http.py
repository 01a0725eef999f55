"""What one file tells the HTTP map: the routes it serves, the calls it makes
to URLs, and the URLs its settings default to (`http_map.py` puts them together).

Read from the standard `ast`, with the file's semantic model (`semantic.py`)
for what a name holds where it is used, built only in a file whose bytes may
hold a route or a client call. The facts are plain data; nothing here knows the
configuration or the services: a call's URL is kept as the key it is read
from (`a:NAME`, a settings attribute or an imported constant; `e:NAME`, an
environment variable; `u:scheme://host:port`, a literal URL) and the path
template after it, and the map decides which service a key names.

- **URL defaults**: a class field (pydantic `BaseSettings`, a dataclass, a plain
  class) or module constant whose default is a URL literal, directly,
  as `Field("…")`/`Field(default="…")`, or as `os.getenv("NAME", "…")`;
- **path defaults**: the same, whose default is a path (`API_V1_STR: str =
  "/api/v1"`): what an include's prefix read from a setting
  (`prefix=settings.API_V1_STR`) is, unless the environment says otherwise;
- **routers**: `APIRouter(prefix=…)`, `Blueprint(…, url_prefix=…)`,
  `web.RouteTableDef()`, and the applications (`FastAPI()`, `Flask()`,
  `Quart()`, `Starlette()`, `web.Application()`);
- **routes**: `@router.post("/path", response_model=X)`, `@app.route("/p",
  methods=[…])`, `@routes.get("/p")`, `app.router.add_post("/p", handler)`,
  `app.add_routes([web.post("/p", handler)])`; each with its method, path, the
  classes that may be its request model (a parameter annotated with a class
  and not injected, `X.model_validate(await request.json())` in the body,
  `@validate_request(X)`) and its response model (`response_model=`, the return
  annotation, the model a handler returns or dumps into its response);
- **includes**: `app.include_router(r, prefix=…)`, `app.register_blueprint(bp,
  url_prefix=…)`, `app.add_routes(routes)`, `app.add_subapp("/p", sub)`; a
  prefix read from a setting or an imported constant is kept as its name, which
  the map looks up among the path defaults;
- **calls**: `client.post(url, …)` (`get`, `put`, `patch`, `delete`, `head`,
  `options`, `request`, `stream`) whose URL is read from a settings attribute,
  an environment variable or a literal URL (its host literal, its port
  perhaps not), directly, in an f-string or a concatenation, through a local,
  a module constant or a `self.` attribute set in `__init__`, as the default
  of an override (`base_url or SEARCH_URL`), or relative to the client's
  `base_url=`; a call through a
  known HTTP client (httpx, requests, aiohttp) whose URL cannot be told is
  kept too, with the reason (`?param`, `?unknown`), so that the map can count it.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from functools import cached_property
from http import HTTPStatus
from typing import Any, NamedTuple, cast
from urllib.parse import urlsplit

from arch_lint.index.models import dotted, unquote
from arch_lint.index.semantic import (
    ASSIGN,
    IMPORT,
    PARAM,
    UNKNOWN,
    Binding,
    Scope,
    SemanticModel,
    Site,
    enclosing_class,
)
from arch_lint.index.walk import MarkedLines, nodes_of, place_lines, push_children
from arch_lint.source import decode, source_lines, spelled_as_is

HTTP_METHODS = frozenset({"get", "post", "put", "patch", "delete", "head", "options"})
_CLIENT_METHODS = HTTP_METHODS | {"request", "stream"}
_URL_SCHEMES = ("http://", "https://")
_ENV_READERS = frozenset({"os.environ.get", "os.getenv", "getenv", "environ.get"})
_HTTP_LIBRARIES = frozenset({"httpx", "requests", "aiohttp", "urllib3"})
_HTTP_LIBRARY_BYTES = tuple(sorted(name.encode() for name in _HTTP_LIBRARIES))
_APPS = frozenset({"FastAPI", "Flask", "Quart", "Starlette", "Sanic", "Application", "APIFlask"})
_ROUTERS = {"APIRouter": "prefix", "Blueprint": "url_prefix", "RouteTableDef": ""}
_ROUTE_DECORATORS = HTTP_METHODS | {"route", "api_route"}
_INJECTED = frozenset(
    {"Depends", "Query", "Header", "Path", "Cookie", "Security", "File", "Form", "Inject"}
)
_NOT_BODY = frozenset(
    {"Request", "Response", "WebSocket", "BackgroundTasks", "Session", "AsyncSession",
     "HTTPConnection", "UploadFile", "Any", "str", "int", "float", "bool", "bytes", "dict",
     "list", "object", "UUID", "datetime", "date"}
)  # fmt: skip
_VALIDATORS = frozenset({"model_validate", "model_validate_json", "parse_obj", "parse_raw"})
_DUMPS = frozenset({"model_dump", "model_dump_json", "dict", "json"})
_WRAPPERS = frozenset({"list", "List", "Sequence", "Optional", "Iterable", "tuple", "Tuple"})
_JSON_RESPONSES = frozenset({"JSONResponse", "ORJSONResponse", "UJSONResponse"})
_PLAIN_RESPONSES = _JSON_RESPONSES | {"Response"}
_NO_MODEL = frozenset(
    {"list", "List", "Sequence", "MutableSequence", "Iterable", "Iterator", "AsyncIterator",
     "AsyncIterable", "Generator", "AsyncGenerator", "tuple", "Tuple", "set", "Set",
     "frozenset", "FrozenSet", "dict", "Dict", "Mapping", "MutableMapping", "Collection",
     "Literal", "Type", "Any", "object", "Response", "JSONResponse", "ORJSONResponse",
     "UJSONResponse", "StreamingResponse", "FileResponse", "HTMLResponse", "PlainTextResponse",
     "RedirectResponse", "EventSourceResponse", "StreamResponse", "WebSocket"}
)  # fmt: skip
"""What answers no single model: containers (a list of models has no place for
metadata), the frameworks' responses and streams."""
_FRAMEWORKS = frozenset(
    {"fastapi", "starlette", "flask", "werkzeug", "quart", "aiohttp", "sanic", "litestar",
     "django", "sse_starlette", "typing", "collections"}
)  # fmt: skip
_ERROR_STATUSES = frozenset(s.name for s in HTTPStatus if s.value >= 400)
_ERROR_CONSTANT = re.compile(r"HTTP_[45]\d\d")
_PLACEHOLDER = re.compile(r"\{[^{}]*\}|<[^<>]*>")
_CALL_BYTES = re.compile(
    rb"\.(?:get|post|put|patch|delete|head|options|request|stream)(?:\s|\\)*\("
)
"""A client call, however spaced (`client.post (`, `client.patch \\` + newline + `(`)."""
_DEFERRED = frozenset({ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef})
"""What `Site.nodes` does not enter: the bodies that run later, if at all."""
_LEAVES = frozenset({ast.Name, ast.Constant})
"""Nodes that hold no call: the walk for client calls does not enter them."""
_NOT_ENTERED = _DEFERRED | _LEAVES
_CALL = frozenset({ast.Call})
_URLISH = (b"url", b"URL", b"Url", b"http", b"endpoint", b"host", b"HOST")
_DECORATOR = re.compile(
    rb"@[\w.]+\.(?:get|post|put|patch|delete|head|options|route|api_route)\s*\("
)
_ROUTE_WORDS = (
    b"add_route", b"router.add_", b"add_subapp", b"include_router", b"register_blueprint",
    b"APIRouter", b"Blueprint", b"RouteTableDef",
)  # fmt: skip
_ROUTE_PARTS = (b"oute", b"lueprint", b"add_subapp")
"""A part of every one of `_ROUTE_WORDS`: three scans of a file that holds none, not eight."""
_REGISTRATION_BYTES = (b"add_", b"include_router", b"register_blueprint")
"""What the method of every call `_Reader._registration` reads spells (`add_get`,
`add_routes`, `add_subapp`, `include_router`, `register_blueprint`)."""
_REQUEST_BYTES = (b"req",)
"""What the names `_reads_request` looks for (`request`, `req`) spell."""
_WITH_BYTES = (b"with", b"async")
"""What the line a `with` statement starts on spells (its `lineno` is that of
`with`, or of `async` where `async with` is split by a backslash)."""
_URL_NAME = re.compile(r"(?i)ur[li]|endpoint|host|addr|api|base|server|service")
"""A name that may hold a URL, where the call's receiver is not known to be an
HTTP client and no path follows it (`session.delete(models.Row)` is no request)."""
_MAX_DEPTH = 6


URLS = "http-urls"
"""The part of a file's facts that may say a URL (a default, a compose service)."""
ROUTES = "http-routes"
"""The part of a file's facts that may say a route, a router or an include."""
PATHS = "http-paths"
"""The part of a file's facts that may say a path default (`API_V1_STR = "/api/v1"`)."""

_PATH_BYTES = (b'"/', b"'/")
"""What a path default's literal spells: a quote, then `/` (the reader takes
a literal only where it is so spelled, see `_spelled_as_path`); two byte
scans, a third of the cost of one regex search for either."""
_SPELLED_PATH = re.compile(rb"""[rRuU]?(?:\"\"\"|'''|"|')/""")


def cannot_hold(source: bytes) -> frozenset[str]:
    """The HTTP parts (`URLS`, `ROUTES`, `PATHS`) a `.py` file's bytes cannot
    hold: the tests `read_http` makes before it reads them (see `partial.holding`)."""
    out = set()
    if b"://" not in source:
        out.add(URLS)
    if not _may_route(source):
        out.add(ROUTES)
    if _PATH_BYTES[0] not in source and _PATH_BYTES[1] not in source:
        out.add(PATHS)
    return frozenset(out)


class UrlDefault(NamedTuple):
    """A setting or constant whose default is a URL literal."""

    name: str
    """The field or constant."""
    env: str
    """The environment variable it is read from (`os.getenv("X", "…")`), or ""."""
    url: str
    line: int


class PathDefault(NamedTuple):
    """A setting or constant whose default is a path (`API_V1_STR = "/api/v1"`)."""

    name: str
    """The field or constant."""
    env: str
    """The environment variable it is read from (`os.getenv("X", "/…")`), or ""."""
    path: str
    line: int


class Router(NamedTuple):
    """A module-level router or application object."""

    name: str
    app: bool
    """An application (`FastAPI()`, `Flask()`): its routes are served at its prefix."""
    prefix: str


class Route(NamedTuple):
    router: str
    """The router's name as written in the decorator or registration (`router`,
    `app`, `api.router`)."""
    method: str
    """Upper case (`POST`)."""
    path: str
    """As written (`/quotes/{quote_id}`)."""
    request: tuple[str, ...]
    """Classes (as written) that may be its request model, in order."""
    response: tuple[str, ...]
    """Classes (as written) that may be its response model, in order."""
    line: int
    handler: str
    reply: str = ""
    """What the route answers, as ARC210 judges it: a class as written (`Item`:
    the value returned is one), a generic wrapper (`ApiResponse[`: the value is
    returned in one, `ApiResponse[Item]`), `-` when the answer is no single
    model (a list, a dict, a `Response`, a stream, `None`), "" when unknown (see
    `_Reader._reply`)."""
    hidden: bool = False
    """`include_in_schema=False`: not part of the API (a probe, an internal hook)."""


UNKNOWN_PREFIX = "/{prefix}"
"""The prefix of an include that names it with what cannot be read
(`prefix=version`): its routes are served at no path the map knows."""


class Include(NamedTuple):
    """`parent.include_router(child, prefix=…)` and the like."""

    parent: str
    child: str
    prefix: str
    replaces: bool
    """The prefix replaces the child's own (Flask's `register_blueprint`)."""
    setting: str = ""
    """Where `prefix` is `UNKNOWN_PREFIX`: the name of the setting or imported
    constant it is read from (`API_V1_STR` of `settings.API_V1_STR`), which the
    map looks up among the service's path defaults; "" for none."""


class HttpCall(NamedTuple):
    """One call to a URL."""

    method: str
    """Upper case; "" where a `request(method, url)` names none that can be read."""
    base: str
    """`a:NAME`, `e:NAME`, `u:scheme://host:port`, or `?why` when unknown."""
    path: str
    """The path template after the base (placeholders as `{}`), "" for none."""
    line: int
    col: int
    end_line: int
    end_col: int

    def interface(self) -> list[Any]:
        return [self.method, self.base, self.path]


@dataclass(slots=True)
class ComposeService:
    """One service of a docker-compose file."""

    name: str
    aliases: tuple[str, ...]
    """`container_name`, `hostname` and network aliases: hosts it answers to."""
    build: str
    """The folder it builds from, relative to the project root ("" when none)."""
    line: int
    environment: tuple[tuple[str, str, int], ...]
    """(variable, value, line) of its `environment` entries."""
    image: str = ""
    """The image it runs where it builds none (`image:` and no `build:`), else ""."""

    def to_json(self) -> list[Any]:
        return [
            self.name,
            list(self.aliases),
            self.build,
            self.line,
            [list(e) for e in self.environment],
            self.image,
        ]

    @classmethod
    def from_json(cls, data: list[Any]) -> ComposeService:
        name, aliases, build, line, env, image = data
        env = tuple((k, v, n) for k, v, n in env)
        return cls(name, tuple(aliases), build, line, env, image)


@dataclass(slots=True)
class HttpFacts:
    urls: list[UrlDefault] = field(default_factory=list)
    routers: list[Router] = field(default_factory=list)
    routes: list[Route] = field(default_factory=list)
    includes: list[Include] = field(default_factory=list)
    calls: list[HttpCall] = field(default_factory=list)
    compose: list[ComposeService] = field(default_factory=list)
    """A docker-compose file's services (such a file has nothing else)."""
    paths: list[PathDefault] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(
            self.urls
            or self.routers
            or self.routes
            or self.includes
            or self.calls
            or self.compose
            or self.paths
        )

    def interface(self) -> list[Any]:
        """What other files' findings may depend on: no positions (a line moved
        in a client changes no finding elsewhere)."""
        return [
            sorted([u.name, u.env, u.url] for u in self.urls),
            sorted(list(r) for r in self.routers),
            sorted(
                [
                    r.router,
                    r.method,
                    r.path,
                    list(r.request),
                    list(r.response),
                    r.handler,
                    r.reply,
                    r.hidden,
                ]
                for r in self.routes
            ),
            sorted(list(i) for i in self.includes),
            sorted(c.interface() for c in self.calls),
            [
                [c.name, list(c.aliases), c.build, [e[:2] for e in c.environment]]
                for c in self.compose
            ],
            sorted([p.name, p.env, p.path] for p in self.paths),
        ]

    def to_json(self) -> list[Any]:
        return [
            [list(u) for u in self.urls],
            [list(r) for r in self.routers],
            [[*r[:3], list(r.request), list(r.response), *r[5:]] for r in self.routes],
            [list(i) for i in self.includes],
            [list(c) for c in self.calls],
            [c.to_json() for c in self.compose],
            [list(p) for p in self.paths],
        ]

    @classmethod
    def from_json(cls, data: list[Any]) -> HttpFacts:
        urls, routers, routes, includes, calls, compose, paths = data
        return cls(
            urls=[UrlDefault(*u) for u in urls],
            routers=[Router(*r) for r in routers],
            routes=[Route(r[0], r[1], r[2], tuple(r[3]), tuple(r[4]), *r[5:]) for r in routes],
            includes=[Include(*i) for i in includes],
            calls=[HttpCall(*c) for c in calls],
            compose=[ComposeService.from_json(c) for c in compose],
            paths=[PathDefault(*p) for p in paths],
        )


# --- paths ---------------------------------------------------------------------------------


def normalise_path(path: str) -> str:
    """A path template in one spelling: placeholders (`{id}`, `{id:int}`,
    `<int:id>`) as `{}`, no query string, no doubled or trailing slash, a
    leading slash (the root is `/`)."""
    path = path.split("?", 1)[0].split("#", 1)[0]
    path = _PLACEHOLDER.sub("{}", path)
    parts = [p for p in path.split("/") if p]
    return "/" + "/".join(parts)


def split_url(url: str) -> tuple[str, str] | None:
    """`http://pricing:8000/api/v1` -> (`http://pricing:8000`, `/api/v1`); None
    for anything that is not an http(s) URL with a literal host."""
    if not url.lower().startswith(_URL_SCHEMES):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if not parts.netloc or "{" in parts.netloc:
        return None
    return f"{parts.scheme.lower()}://{parts.netloc}", parts.path


# --- the reader ----------------------------------------------------------------------------


def string_default(value: ast.expr) -> tuple[ast.Constant, str] | None:
    """(string literal, environment variable or "") of a setting's literal
    default: the literal, `Field("…")`/`Field(default="…")` or
    `os.getenv("NAME", "…")`."""
    if isinstance(value, ast.Constant) and isinstance(value.value, str):
        return value, ""
    if not isinstance(value, ast.Call):
        return None
    name = dotted(value.func) or ""
    if name in _ENV_READERS and len(value.args) >= 2:
        env, default = value.args[0], value.args[1]
        if isinstance(default, ast.Constant) and isinstance(default.value, str):
            key = env.value if isinstance(env, ast.Constant) and isinstance(env.value, str) else ""
            return default, key
        return None
    if name.rsplit(".", 1)[-1] == "Field":
        given = [kw.value for kw in value.keywords if kw.arg == "default"] or value.args[:1]
        if given and isinstance(given[0], ast.Constant) and isinstance(given[0].value, str):
            return given[0], ""
    return None


def _spelled_as_path(lines: list[str], literal: ast.Constant) -> bool:
    """Whether a string literal is spelled in the source as the path it reads:
    one literal whose text starts with `/` (raw or not, triple-quoted or not;
    not an escape, not literals run together), which `_PATH_BYTES` find.
    `lines`: the decoded source's lines (the parser's columns count the UTF-8
    bytes of the decoded line, whatever the file's encoding or BOM)."""
    if literal.lineno > len(lines):
        return False
    line = lines[literal.lineno - 1].encode("utf-8", "surrogatepass")
    return _SPELLED_PATH.match(line, literal.col_offset) is not None


def _defaults(
    body: list[ast.stmt],
    urls: list[UrlDefault] | None,
    paths: list[PathDefault] | None,
    lines: list[str],
) -> None:
    """Module constants and class fields (at any class depth) with a URL default
    (into `urls`) or a path default (into `paths`; None: not read); `lines`:
    the decoded source's lines (where `paths` is read)."""
    for stmt in body:
        targets: list[ast.expr] = []
        value: ast.expr | None = None
        if isinstance(stmt, ast.Assign):
            targets, value = stmt.targets, stmt.value
        elif isinstance(stmt, ast.AnnAssign) and stmt.value is not None:
            targets, value = [stmt.target], stmt.value
        elif isinstance(stmt, ast.ClassDef | ast.If | ast.Try):
            _defaults(stmt.body, urls, paths, lines)
            continue
        if value is None:
            continue
        found = string_default(value)
        if found is None:
            continue
        literal, env = found
        text = cast(str, literal.value)
        names = [target.id for target in targets if isinstance(target, ast.Name)]
        if "://" in text:
            if urls is not None:
                urls += [UrlDefault(name, env, text, stmt.lineno) for name in names]
        elif text.startswith("/") and paths is not None and _spelled_as_path(lines, literal):
            paths += [PathDefault(name, env, text, stmt.lineno) for name in names]


def _may_route(source: bytes) -> bool:
    """Whether the bytes may declare a route, a router or an include."""
    if any(part in source for part in _ROUTE_PARTS) and any(w in source for w in _ROUTE_WORDS):
        return True
    return b"@" in source and _DECORATOR.search(source) is not None


def read_http(
    tree: ast.Module, source: bytes, lacks: frozenset[str] | None = None
) -> HttpFacts | None:
    """The HTTP facts of one parsed file, or None when it has none; `lacks`:
    what `cannot_hold` said of these bytes (among other parts' names), where
    the caller asked it already."""
    if lacks is None:
        lacks = cannot_hold(source)
    facts = HttpFacts()
    urls, paths = URLS not in lacks, PATHS not in lacks
    if urls or paths:
        lines = source_lines(decode(source)) if paths else []
        _defaults(tree.body, facts.urls if urls else None, facts.paths if paths else None, lines)
    routes = ROUTES not in lacks
    # the call's regex first: it stops at the first call, the scans for a word read every byte
    calls = _CALL_BYTES.search(source) is not None and any(b in source for b in _URLISH)
    if routes or calls:
        reader = _Reader(SemanticModel.of(tree, source), source)
        if routes:
            reader.routes(facts)
        if calls:
            reader.calls(facts)
    return facts if facts else None


class _Reader:
    def __init__(self, model: SemanticModel, source: bytes) -> None:
        self.model = model
        self.source = source
        ascii_only = source.isascii()
        self.may_import_client = not ascii_only or any(n in source for n in _HTTP_LIBRARY_BYTES)
        """Whether the file may import an HTTP library: a name imported from one is
        spelled in the bytes (in an ASCII source: elsewhere a name is normalised,
        NFKC, and may be spelled otherwise)."""
        self.may_base = not ascii_only or b"base_url" in source
        """Whether a call may pass `base_url=` (spelled so in an ASCII source)."""
        self.as_is = spelled_as_is(source)
        self._withs: dict[int, dict[int, list[tuple[ast.With | ast.AsyncWith, Site]]]] = {}
        """`id(scope)` -> line -> the `with` statements of the scope's own code there."""
        self._clients: dict[tuple[int, str, int], bool] = {}
        """(`id` of a scope, a name, `id` of the binding it reads there) -> whether
        the name holds an HTTP client (`_is_client`): the same for every call
        through it (`record.get(…)` in a loop), as the scope, the name and the
        binding decide it."""

    @cached_property
    def _with_lines(self) -> list[int] | None:
        """`_marked_lines` of `_WITH_BYTES`: where a `with` statement may start."""
        return self._marked_lines(_WITH_BYTES)

    # routes ----------------------------------------------------------------------------
    def routes(self, facts: HttpFacts) -> None:
        functions: dict[str, ast.FunctionDef | ast.AsyncFunctionDef] = {}
        sites = self.model.sites
        for site in sites:
            stmt = site.stmt
            if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
                functions.setdefault(stmt.name, stmt)
                self._decorated(stmt, facts)
        registering = self._marked_lines(_REGISTRATION_BYTES)
        for site in sites:
            stmt = site.stmt
            if isinstance(stmt, (ast.Assign, ast.AnnAssign)) and stmt.value is not None:
                self._router(stmt, facts)
            if _may_span(stmt, registering):
                for root in site.header():
                    for node in _calls_in(root):
                        self._registration(node, site, functions, facts)

    @cached_property
    def _reading(self) -> list[int] | None:
        """`_marked_lines` of `_REQUEST_BYTES`: where a handler may read the request."""
        return self._marked_lines(_REQUEST_BYTES)

    def _marked_lines(self, markers: tuple[bytes, ...]) -> list[int] | None:
        """`MarkedLines.following()` of the lines that hold one of `markers`, in
        a source whose names are spelled in its bytes (see `spelled_as_is`);
        None elsewhere: any line may hold a name."""
        if not self.as_is:
            return None
        return MarkedLines(self.source, markers).following()

    def _router(self, stmt: ast.Assign | ast.AnnAssign, facts: HttpFacts) -> None:
        value = stmt.value
        if not isinstance(value, ast.Call):
            return
        last = (dotted(value.func) or "").rsplit(".", 1)[-1]
        targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
        names = [t.id for t in targets if isinstance(t, ast.Name)]
        if last in _APPS:
            facts.routers += [Router(n, True, "") for n in names]
        elif last in _ROUTERS:
            keyword = _ROUTERS[last]
            prefix = _keyword_str(value, keyword) if keyword else ""
            facts.routers += [Router(n, False, prefix or "") for n in names]

    def _decorated(self, func: ast.FunctionDef | ast.AsyncFunctionDef, facts: HttpFacts) -> None:
        for decorator in func.decorator_list:
            if not isinstance(decorator, ast.Call) or not isinstance(decorator.func, ast.Attribute):
                continue
            verb = decorator.func.attr
            if verb not in _ROUTE_DECORATORS:
                continue
            router = dotted(decorator.func.value)
            if router is None:
                continue
            args = decorator.args
            methods: list[str]
            path_node: ast.expr | None
            if (
                verb == "route"
                and len(args) >= 2
                and isinstance(args[0], ast.Constant)
                and str(args[0].value).lower() in HTTP_METHODS
            ):  # aiohttp: `@routes.route("POST", "/path")`
                methods, path_node = [str(args[0].value).upper()], args[1]
            else:
                path_node = args[0] if args else _keyword(decorator, "path", "rule")
                if verb in HTTP_METHODS:
                    methods = [verb.upper()]
                else:
                    methods = _methods(_keyword(decorator, "methods")) or ["GET"]
            path = self._string(path_node, func) if path_node is not None else None
            if path is None:
                continue
            request, response = self._models(func, decorator)
            reply = self._reply(func, decorator)
            hidden = _is_false(_keyword(decorator, "include_in_schema"))
            for method in methods:
                route = Route(router, method, path, request, response, func.lineno, func.name,
                              reply, hidden)  # fmt: skip
                facts.routes.append(route)

    def _registration(
        self,
        call: ast.Call,
        site: Site,
        functions: dict[str, ast.FunctionDef | ast.AsyncFunctionDef],
        facts: HttpFacts,
    ) -> None:
        func = call.func
        if not isinstance(func, ast.Attribute):
            return
        verb = func.attr
        receiver = dotted(func.value)
        if receiver is None:
            return
        if verb in {"include_router", "register_blueprint"} and call.args:
            child = self._imported_here(dotted(call.args[0]), site)
            if child is not None:
                key = "prefix" if verb == "include_router" else "url_prefix"
                given = _keyword(call, key)
                prefix = self._string(given, None) if given is not None else ""
                setting = ""
                if prefix is None:
                    assert given is not None
                    prefix = UNKNOWN_PREFIX  # `prefix=version` in a loop: none can be told
                    setting = self._setting(given, site)
                replaces = verb == "register_blueprint" and given is not None
                facts.includes.append(Include(receiver, child, prefix, replaces, setting))
        elif verb == "add_subapp" and len(call.args) >= 2:
            child = dotted(call.args[1])
            mounted = self._string(call.args[0], None)
            if child is not None and mounted is not None:
                facts.includes.append(Include(receiver, child, mounted, False))
        elif verb == "add_routes" and call.args:
            table = call.args[0]
            if isinstance(table, (ast.List, ast.Tuple)):
                for item in table.elts:
                    if isinstance(item, ast.Call) and isinstance(item.func, ast.Attribute):
                        self._added(receiver, item.func.attr, item, functions, facts)
            else:
                child = dotted(table)
                if child is not None:
                    facts.includes.append(Include(receiver, child, "", False))
        elif verb.startswith("add_"):
            owner = receiver.removesuffix(".router")
            self._added(owner, verb[4:], call, functions, facts)

    def _setting(self, node: ast.expr, site: Site) -> str:
        """The setting or constant a prefix that cannot be read is read from:
        the attribute of anything but `self` or `cls` (`settings.API_V1_STR`,
        `get_settings().API_V1_STR`), or an imported name (`API_PREFIX`, as its
        module spells it); "" for anything else (a parameter, a loop's name)."""
        if isinstance(node, ast.Attribute):
            receiver = node.value
            if isinstance(receiver, ast.Name) and receiver.id in {"self", "cls"}:
                return ""
            return node.attr
        if isinstance(node, ast.Name):
            binding = site.scope.lookup(node.id, site.stmt.lineno, site.path)
            if binding is not None and binding.kind == IMPORT:
                return (binding.origin or node.id).rsplit(".", 1)[-1]
        return ""

    def _imported_here(self, written: str | None, site: Site) -> str | None:
        """A name as written, or, where a function imports it (`def create_app():
        from .routes import bp`), the import spelled `.routes|bp` (dots for its
        level, the module, `|`, the name): the module's own bindings do not hold it."""
        if written is None or site.scope.kind == "module":
            return written
        head, dot, rest = written.partition(".")
        binding = site.scope.lookup(head, site.stmt.lineno + 1, site.path)
        if binding is None or binding.kind != IMPORT:
            return written
        for other in self.model.sites:
            stmt = other.stmt
            if stmt.lineno == binding.line and isinstance(stmt, ast.ImportFrom):
                for alias in stmt.names:
                    if (alias.asname or alias.name) == head:
                        where = "." * stmt.level + (stmt.module or "")
                        return f"{where}|{alias.name}{dot}{rest}"
        return written

    def _added(
        self,
        router: str,
        verb: str,
        call: ast.Call,
        functions: dict[str, ast.FunctionDef | ast.AsyncFunctionDef],
        facts: HttpFacts,
    ) -> None:
        """`add_post("/p", handler)`, `web.post("/p", handler)`, `add_route("POST", "/p", h)`."""
        args = list(call.args)
        if verb == "route" and args and isinstance(args[0], ast.Constant):
            method = str(args[0].value).upper()
            args = args[1:]
        elif verb in HTTP_METHODS:
            method = verb.upper()
        else:
            return
        if len(args) < 2 or method.lower() not in HTTP_METHODS:
            return
        path = self._string(args[0], None)
        handler = dotted(args[1]) or ""
        if path is None:
            return
        found = functions.get(handler)
        request, response = self._models(found, None) if found is not None else ((), ())
        reply = self._reply(found, None) if found is not None else ""
        line = found.lineno if found is not None else call.lineno
        facts.routes.append(Route(router, method, path, request, response, line, handler, reply))

    def _string(
        self, node: ast.expr, func: ast.FunctionDef | ast.AsyncFunctionDef | None
    ) -> str | None:
        """A route path: a literal, or a module constant that holds one."""
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return node.value
        if isinstance(node, ast.Name):
            return self.model.module.string_constant(node.id)
        if isinstance(node, ast.JoinedStr):
            return self._template(node.values, _At(self.model.module, 1 << 30, (0,)))
        return None

    def _models(
        self, func: ast.FunctionDef | ast.AsyncFunctionDef, decorator: ast.Call | None
    ) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """(request candidates, response candidates) of a route handler."""
        request: list[str] = []
        response: list[str] = []
        if decorator is not None:
            given = _keyword(decorator, "response_model")
            if given is not None:
                response += _classes(given)
        for other in func.decorator_list:
            if isinstance(other, ast.Call) and other.args:
                last = (dotted(other.func) or "").rsplit(".", 1)[-1]
                if last == "validate_request":
                    request += _classes(other.args[0])
                elif last == "validate_response":
                    response += _classes(other.args[0])
        args = func.args
        every = [*args.posonlyargs, *args.args, *args.kwonlyargs]
        defaults: list[ast.expr | None] = [None] * (
            len(args.posonlyargs) + len(args.args) - len(args.defaults)
        )
        defaults += [*args.defaults, *args.kw_defaults]
        for arg, default in zip(every, defaults, strict=False):
            if arg.arg in {"self", "cls"} or arg.annotation is None:
                continue
            if _injected(default) or _injected_annotation(arg.annotation):
                continue
            request += [
                c for c in _classes(arg.annotation) if c.rsplit(".", 1)[-1] not in _NOT_BODY
            ]
        if func.returns is not None:
            response += [c for c in _classes(func.returns) if c.rsplit(".", 1)[-1] not in _NOT_BODY]
        scope = self.model.scope_of(func)
        if scope is not None:
            reading = self._reading
            for site in self.model.sites_of(scope):
                self._body_models(site, request, response, reading)
        return tuple(dict.fromkeys(request)), tuple(dict.fromkeys(response))

    def _body_models(
        self, site: Site, request: list[str], response: list[str], reading: list[int] | None
    ) -> None:
        """The models a statement of a handler returns or reads the request into
        (`reading`: `_marked_lines` of `_REQUEST_BYTES`)."""
        stmt = site.stmt
        if isinstance(stmt, ast.Return) and stmt.value is not None:
            made = self._returned(stmt.value, site)
            if made is not None:
                response.append(made)
            return
        if not _may_span(stmt, reading):
            return  # no `request` or `req` for `_reads_request` to find
        for root in site.header():
            for node in _calls_in(root):
                func = node.func
                if isinstance(func, ast.Attribute) and func.attr in _VALIDATORS:
                    name = dotted(func.value)
                    if name is None or not name[:1].isupper():
                        continue
                else:
                    name = dotted(func)
                    if (
                        name is None
                        or not name.rsplit(".", 1)[-1][:1].isupper()
                        or not any(k.arg is None for k in node.keywords)
                    ):
                        continue  # not `X(**await request.json())`
                # the cheap tests first: this one walks the arguments
                if any(_reads_request(a) for a in (*node.args, *(k.value for k in node.keywords))):
                    request.append(name)

    def _returned(self, value: ast.expr, site: Site) -> str | None:
        """The model a handler returns: `X(...)`, a value of one, its dump, or a
        response built from its dump (`web.json_response(x.model_dump())`)."""
        for _ in range(3):
            if isinstance(value, ast.Await):
                value = value.value
            if isinstance(value, ast.Call):
                func = value.func
                if isinstance(func, ast.Attribute) and func.attr in _DUMPS:
                    value = func.value
                    continue
                last = (dotted(func) or "").rsplit(".", 1)[-1]
                if last in {"json_response", "jsonify", "JSONResponse", "ORJSONResponse"}:
                    given = value.args[0] if value.args else _keyword(value, "content", "data")
                    if given is None:
                        return None
                    value = given
                    continue
            break
        stmt = site.stmt
        return self.model.instance_of(value, site.scope, stmt.lineno + 1, site.path)

    def _reply(
        self, func: ast.FunctionDef | ast.AsyncFunctionDef, decorator: ast.Call | None
    ) -> str:
        """What a route answers (`Route.reply`), as the framework decides it:
        `response_model=` where given (`None` turns it off), else
        `@validate_response(X)`, else the return annotation (unless it names
        just a response, `-> web.Response`), else the class that every `return`
        of the handler gives (an error answer, with a 4xx or 5xx status,
        aside). A `response_class=` that is no JSON response answers no model."""
        if decorator is not None:
            kind = _keyword(decorator, "response_class")
            if kind is not None and (dotted(kind) or "").rsplit(".", 1)[-1] not in _JSON_RESPONSES:
                return "-"
            given = _keyword(decorator, "response_model")
            if given is not None:
                return self._answer(given)
        for other in func.decorator_list:
            if (
                isinstance(other, ast.Call)
                and other.args
                and (dotted(other.func) or "").rsplit(".", 1)[-1] == "validate_response"
            ):
                return self._answer(other.args[0])
        if func.returns is not None:
            answer = self._answer(func.returns)
            written = dotted(unquote(func.returns)) or ""
            if answer != "-" or written.rsplit(".", 1)[-1] not in _PLAIN_RESPONSES:
                return answer
            # `-> web.Response`, `-> JSONResponse`: what the body puts in it decides
        scope = self.model.scope_of(func)
        if scope is None:
            return ""
        found: set[str] = set()
        for site in self.model.sites_of(scope):
            stmt = site.stmt
            if isinstance(stmt, (ast.Yield, ast.YieldFrom)) or (
                isinstance(stmt, ast.Expr) and isinstance(stmt.value, (ast.Yield, ast.YieldFrom))
            ):
                return "-"  # a generator: a stream
            if not isinstance(stmt, ast.Return):
                continue
            value = stmt.value
            if value is None:
                return "-"
            if isinstance(value, ast.Tuple) and len(value.elts) >= 2:
                if _error_status(value.elts[1]):
                    continue  # `return {"error": ...}, 404`
                value = value.elts[0]
            if isinstance(value, ast.Call) and _error_status(
                _keyword(value, "status_code", "status")
            ):
                continue  # `return JSONResponse({...}, status_code=404)`
            made = self._returned(value, site)
            if made is None:
                return ""
            found.add(made)
        return next(iter(found)) if len(found) == 1 else ""

    def _answer(self, node: ast.expr) -> str:
        """`Route.reply` of a `response_model=` or return annotation."""
        node = unquote(node)
        for _ in range(4):
            if isinstance(node, ast.Constant) and node.value is None:
                return "-"
            if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
                sides = [s for s in _union_members(node) if not _is_none(s)]
                if len(sides) != 1:
                    return ""
                node = sides[0]
                continue
            if not isinstance(node, ast.Subscript):
                break
            written = dotted(node.value) or ""
            head = written.rsplit(".", 1)[-1]
            inner = node.slice
            if head == "Annotated" and isinstance(inner, ast.Tuple) and inner.elts:
                node = inner.elts[0]
            elif head == "Optional":
                node = inner
            elif head == "Union":
                members = inner.elts if isinstance(inner, ast.Tuple) else [inner]
                sides = [s for s in members if not _is_none(s)]
                if len(sides) != 1:
                    return ""
                node = sides[0]
            elif head in _NO_MODEL or not head[:1].isupper() or self._framework(written):
                return "-"  # `list[Item]`, `dict[str, Item]`, `AsyncIterator[bytes]`
            else:
                return written + "["  # a generic wrapper: `ApiResponse[Item]`
        name = dotted(node)
        if name is None:
            return ""
        last = name.rsplit(".", 1)[-1]
        if last in _NO_MODEL or last.islower() or self._framework(name):
            return "-"
        return name if last[:1].isupper() and not last.isupper() else ""

    def _framework(self, written: str) -> bool:
        """Whether a name is imported from a web framework (its responses, its
        streams: no model of the project)."""
        origin = self.model.module.origin(written)
        return origin is not None and origin.split(".", 1)[0] in _FRAMEWORKS

    # calls -----------------------------------------------------------------------------
    def calls(self, facts: HttpFacts) -> None:
        marks = _call_lines(self.source)
        following = marks.following()
        for site in self.model.marked(marks):
            stmt = site.stmt
            if type(stmt) in _HEAD_ABOVE_BODY and not _may_span(
                stmt,
                following,
                stmt.body[0].lineno,  # type: ignore[attr-defined]  # the header ends there at the latest
            ):
                continue  # a `def`, `for`, `if` … spans a marked line in its body only
            for root in site.header():
                # a simple statement is its own header, found on a marked line
                if root is stmt or marks.marks(root):
                    for node in _client_calls_in(root):
                        call = self._call(node, site)
                        if call is not None:
                            facts.calls.append(call)

    def _call(self, call: ast.Call, site: Site) -> HttpCall | None:
        assert isinstance(call.func, ast.Attribute)
        verb = call.func.attr
        receiver = call.func.value
        at = _site_at(site)
        url: ast.expr | None
        if verb in {"request", "stream"}:
            method_node = call.args[0] if call.args else _keyword(call, "method")
            url = call.args[1] if len(call.args) > 1 else _keyword(call, "url")
            method = ""
            if isinstance(method_node, ast.Constant) and isinstance(method_node.value, str):
                method = method_node.value.upper()
            if method and method.lower() not in HTTP_METHODS:
                return None
        else:
            url = call.args[0] if call.args else _keyword(call, "url")
            method = verb.upper()
        if url is None or isinstance(url, ast.Starred):
            return None
        # whether the receiver is a client is asked last, where the URL leaves it open
        parts = self._parts(url, at, 0)
        if parts is not None and not parts[0]:
            made = self._client_base(receiver, at) if self.may_base else None
            if made is not None:
                parts = (made[0], made[1] + parts[1])
            elif self._is_client(receiver, at):
                parts = ("?relative", "")
            else:
                return None
        elif parts is None or parts[0].startswith("?"):
            if not self._is_client(receiver, at):
                return None
            parts = parts or ("?unknown", "")
        elif (
            parts[0].startswith("a:")
            and not parts[1]
            and (_URL_NAME.search(parts[0]) is None or (verb == "get" and not call.keywords))
            and not self._is_client(receiver, at)
        ):
            return None  # `cache.get(self.key)`, `session.delete(models.Row)`: no request
        base, path = parts
        path = normalise_path(path) if path and not base.startswith("?") else ""
        end_line = call.end_lineno or call.lineno
        end_col = call.end_col_offset or call.col_offset
        return HttpCall(method, base, path, call.lineno, call.col_offset, end_line, end_col)

    def _parts(self, node: ast.expr, at: _At, depth: int) -> tuple[str, str] | None:
        """(base key, path template) of a URL expression: the base is "" for a
        path alone, `?why` when it cannot be told; None for what is no URL."""
        if depth > _MAX_DEPTH:
            return ("?unknown", "")
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return _literal_parts(node.value)
        if isinstance(node, ast.JoinedStr):
            values = node.values
            if values and isinstance(values[0], ast.FormattedValue):
                head = self._parts(values[0].value, at, depth + 1)
                if head is None:
                    return ("?unknown", "")
                return (head[0], head[1] + self._template(values[1:], at))
            return _literal_parts(self._template(values, at))
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            left = self._parts(node.left, at, depth + 1)
            if left is None:
                return None
            return (left[0], left[1] + self._template([node.right], at))
        if isinstance(node, ast.Name):
            return self._name_parts(node.id, at, depth)
        if isinstance(node, ast.BoolOp) and isinstance(node.op, ast.Or):
            return self._fallback(node.values, at, depth)
        if isinstance(node, ast.Attribute):
            if isinstance(node.value, ast.Name) and node.value.id == "self":
                cls = enclosing_class(at.scope)
                if cls is not None:
                    found = self.model.self_attributes(cls).get(node.attr)
                    if found is not None:
                        value, where = found
                        return self._parts(value, _site_at(where), depth + 1)
            return (f"a:{node.attr}", "")
        if isinstance(node, ast.Subscript) and dotted(node.value) in {"os.environ", "environ"}:
            key = node.slice
            if isinstance(key, ast.Constant) and isinstance(key.value, str):
                return (f"e:{key.value}", "")
            return ("?unknown", "")
        if isinstance(node, ast.Call):
            name = dotted(node.func) or ""
            if name in _ENV_READERS and node.args:
                key = node.args[0]
                if isinstance(key, ast.Constant) and isinstance(key.value, str):
                    return (f"e:{key.value}", "")
            if name.rsplit(".", 1)[-1] == "urljoin" and len(node.args) == 2:
                left = self._parts(node.args[0], at, depth + 1)
                if left is None:
                    return None
                return (left[0], left[1] + "/" + self._template([node.args[1]], at))
            if name == "str" and len(node.args) == 1:
                return self._parts(node.args[0], at, depth + 1)
            if isinstance(node.func, ast.Attribute) and node.func.attr in {"rstrip", "strip"}:
                return self._parts(node.func.value, at, depth + 1)
            return ("?unknown", "")
        return None

    def _fallback(self, values: list[ast.expr], at: _At, depth: int) -> tuple[str, str] | None:
        """`base_url or DEFAULT_URL` (`a or b or …`): the URL the operands that
        can be told agree on, the others being overrides that cannot (a
        parameter, an empty string); None where none can be told, and where
        two say different things, `?unknown`."""
        told = set()
        for value in values:
            parts = self._parts(value, at, depth + 1)
            if parts is not None and parts[0] and not parts[0].startswith("?"):
                told.add(parts)
        if not told:
            return None
        return next(iter(told)) if len(told) == 1 else ("?unknown", "")

    def _name_parts(self, name: str, at: _At, depth: int) -> tuple[str, str] | None:
        binding = self._binding(name, at)
        if binding is None:
            return ("?unknown", "")
        if binding.kind == PARAM:
            return ("?param", "")
        if binding.kind == IMPORT:
            return (f"a:{(binding.origin or name).rsplit('.', 1)[-1]}", "")
        if binding.kind == ASSIGN and binding.value is not None:
            owner = self._owner(name, at) or at.scope
            return self._parts(binding.value, _At(owner, binding.line, binding.path), depth + 1)
        return ("?unknown", "")

    def _template(self, values: list[ast.expr], at: _At) -> str:
        out = []
        for value in values:
            if isinstance(value, ast.Constant) and isinstance(value.value, str):
                out.append(value.value)
            elif isinstance(value, ast.JoinedStr):
                out.append(self._template(value.values, at))
            elif isinstance(value, ast.Name):
                known = at.scope.string_constant(value.id)
                out.append(known if known is not None else "{}")
            else:
                out.append("{}")
        return "".join(out)

    def _binding(self, name: str, at: _At) -> Binding | None:
        return at.scope.lookup(name, at.line, at.path) or at.scope.latest(name, at.line)

    def _owner(self, name: str, at: _At) -> Scope | None:
        for scope in at.scope.visible():
            if name in scope.bindings:
                return scope
        return None

    def _client_base(self, receiver: ast.expr, at: _At) -> tuple[str, str] | None:
        """(base, path) of the `base_url=` the client was made with."""
        made = self._made(receiver, at, 0)
        if made is None:
            return None
        given = _keyword(made[0], "base_url")
        if given is None:
            return None
        parts = self._parts(given, made[1], 1)
        if parts is None or not parts[0] or parts[0].startswith("?"):
            return None
        return parts

    def _made(self, receiver: ast.expr, at: _At, depth: int) -> tuple[ast.Call, _At] | None:
        """The call a client was made by, and where: a local (also `with … as`),
        a module-level name, or a `self.` attribute set in `__init__`."""
        if depth > _MAX_DEPTH:
            return None
        if isinstance(receiver, ast.Await):
            receiver = receiver.value
        if isinstance(receiver, ast.Call):
            return receiver, at
        if isinstance(receiver, ast.Attribute):
            if isinstance(receiver.value, ast.Name) and receiver.value.id == "self":
                cls = enclosing_class(at.scope)
                found = self.model.self_attributes(cls).get(receiver.attr) if cls else None
                if found is not None:
                    return self._made(found[0], _site_at(found[1]), depth + 1)
            return None
        if not isinstance(receiver, ast.Name):
            return None
        return self._made_by(receiver.id, self._binding(receiver.id, at), at, depth)

    def _made_by(
        self, name: str, binding: Binding | None, at: _At, depth: int
    ) -> tuple[ast.Call, _At] | None:
        """`_made` of a name read at `at`, where it reads `binding`."""
        if binding is None:
            return None
        owner = self._owner(name, at) or at.scope
        if binding.kind == ASSIGN and binding.value is not None:
            return self._made(binding.value, _At(owner, binding.line, binding.path), depth + 1)
        if binding.kind == UNKNOWN:
            for stmt, other in self._withs_at(owner, binding.line + 1):
                for item in stmt.items:
                    target = item.optional_vars
                    if (
                        isinstance(target, ast.Name)
                        and target.id == name
                        and isinstance(item.context_expr, ast.Call)
                    ):
                        return item.context_expr, _site_at(other)
        return None

    def _withs_at(self, scope: Scope, line: int) -> list[tuple[ast.With | ast.AsyncWith, Site]]:
        """The `with` statements of the scope's own code that start on a line, in
        order (indexed once per scope: `_made` asks for each name it follows)."""
        starts = self._with_lines
        if starts is not None and (line >= len(starts) or starts[line] != line):
            return []  # no `with` or `async` on the line: a loop's target, mostly
        index = self._withs.get(id(scope))
        if index is None:
            index = {}
            for site in self.model.sites_of(scope):
                stmt = site.stmt
                if isinstance(stmt, ast.With | ast.AsyncWith):
                    index.setdefault(stmt.lineno, []).append((stmt, site))
            self._withs[id(scope)] = index
        return index.get(line, [])

    def _is_client(self, receiver: ast.expr, at: _At) -> bool:
        """Whether the receiver is surely an HTTP client: the library itself
        (`requests.post`), or a value made by one of its calls."""
        if not self.may_import_client:
            return False
        if type(receiver) is ast.Name:  # the most frequent: asked once per binding read
            name = receiver.id
            binding = self._binding(name, at)
            key = (id(at.scope), name, id(binding))
            known = self._clients.get(key)
            if known is None:
                known = self._clients[key] = self._name_is_client(name, binding, at)
            return known
        written = dotted(receiver)
        if written is not None:
            origin = at.scope.origin(written)
            if origin is not None and origin.split(".", 1)[0] in _HTTP_LIBRARIES:
                return True
        return self._made_by_client(self._made(receiver, at, 0))

    def _name_is_client(self, name: str, binding: Binding | None, at: _At) -> bool:
        """`_is_client` of a name read at `at`, where it reads `binding`."""
        origin = at.scope.origin(name)
        if origin is not None and origin.split(".", 1)[0] in _HTTP_LIBRARIES:
            return True
        return self._made_by_client(self._made_by(name, binding, at, 0))

    @staticmethod
    def _made_by_client(made: tuple[ast.Call, _At] | None) -> bool:
        """Whether a client was made by a call of an HTTP library."""
        if made is None:
            return False
        name = dotted(made[0].func)
        origin = made[1].scope.origin(name) if name else None
        return origin is not None and origin.split(".", 1)[0] in _HTTP_LIBRARIES


def _may_span(stmt: ast.stmt, following: list[int] | None, last: int | None = None) -> bool:
    """Whether what `Site.header` gives of a statement may lie on a marked line
    (`following`: `MarkedLines.following()`, None where any line may be one): its
    own lines up to `last` (by default its last), and those of its decorators,
    above a `def` or `class` line."""
    if following is None:
        return True
    first = stmt.lineno
    decorators = getattr(stmt, "decorator_list", None)
    if decorators:
        first = decorators[0].lineno
    if last is None:
        last = stmt.end_lineno or stmt.lineno
    return first < len(following) and following[first] <= last


_HEAD_ABOVE_BODY = frozenset(
    {ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.For, ast.AsyncFor, ast.While,
     ast.If, ast.With, ast.AsyncWith}
)  # fmt: skip
"""Compound statements whose header (`Site.header`) lies above their body: its
decorators, the `def`, `class`, `for`, `while`, `if` or `with` line and those
that line goes on to, up to the colon before the first statement of the body
(a `try`'s handlers and a `match`'s cases come after a body)."""


def _calls_in(root: ast.AST) -> list[ast.Call]:
    """The calls among the nodes `Site.nodes` walks from a header root, in its
    order (the same stack), without entering a name or a constant."""
    return cast("list[ast.Call]", nodes_of([root], _CALL, _NOT_ENTERED))


def _client_calls_in(root: ast.AST) -> list[ast.Call]:
    """The client-method calls (`x.get(…)`) in a header root, in the order of
    `Site.nodes`'s walk, which enters no name or constant (they hold no call)."""
    # the calls by `_calls_in`'s plain loop (no generator resumed per node), in
    # the same order, then their method
    return [
        node
        for node in _calls_in(root)
        if type(node.func) is ast.Attribute and node.func.attr in _CLIENT_METHODS
    ]


def _call_lines(source: bytes) -> MarkedLines:
    """The lines on which a client call starts, however spaced (`_CALL_BYTES`)."""
    places = [match.start() for match in _CALL_BYTES.finditer(source)]
    return MarkedLines.of_lines(place_lines(source, places))


class _At(NamedTuple):
    """Where an expression is read: its scope, a line after it, its block path."""

    scope: Scope
    line: int
    path: tuple[int, ...]


def _site_at(site: Site) -> _At:
    return _At(site.scope, site.stmt.lineno + 1, site.path)


def _literal_parts(text: str) -> tuple[str, str] | None:
    """A string that is a URL (base and path), a path ("" base), or neither."""
    lower = text.lower()
    if lower.startswith(_URL_SCHEMES):
        scheme, _, rest = text.partition("://")
        netloc, slash, path = rest.partition("/")
        if "{" in netloc:  # `host:{port}`: the host is told, the port does not matter
            host, colon, port = netloc.rpartition(":")
            netloc = host if colon and "{" not in host and "@" not in port else ""
        if not netloc:
            return ("?unknown", "")
        return (f"u:{scheme.lower()}://{netloc}", slash + path)
    if text.startswith("/"):
        return ("", text)
    return None


def _keyword(call: ast.Call, *names: str) -> ast.expr | None:
    for kw in call.keywords:
        if kw.arg in names:
            return kw.value
    return None


def _keyword_str(call: ast.Call, name: str) -> str | None:
    value = _keyword(call, name)
    if isinstance(value, ast.Constant) and isinstance(value.value, str):
        return value.value
    return None


def _methods(node: ast.expr | None) -> list[str]:
    if not isinstance(node, (ast.List, ast.Tuple, ast.Set)):
        return []
    return [
        e.value.upper()
        for e in node.elts
        if isinstance(e, ast.Constant)
        and isinstance(e.value, str)
        and e.value.lower() in HTTP_METHODS
    ]


def _classes(annotation: ast.expr) -> list[str]:
    """The class an annotation or `response_model=` names where a value of it is
    meant: `X`, `X | None`, `Optional[X]`, `list[X]`, `Annotated[X, Body()]`."""
    node = unquote(annotation)
    for _ in range(4):
        if isinstance(node, ast.Subscript):
            head = (dotted(node.value) or "").rsplit(".", 1)[-1]
            inner = node.slice
            if head == "Annotated" and isinstance(inner, ast.Tuple) and inner.elts:
                node = inner.elts[0]
                continue
            if head in _WRAPPERS:
                if isinstance(inner, ast.Tuple):
                    return []
                node = inner
                continue
            return []
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
            sides = [
                s
                for s in (node.left, node.right)
                if not (isinstance(s, ast.Constant) and s.value is None)
            ]
            if len(sides) != 1:
                return []
            node = sides[0]
            continue
        break
    name = dotted(node)
    if name is None:
        return []
    last = name.rsplit(".", 1)[-1]
    return [name] if last[:1].isupper() and not last.isupper() else []


def _is_false(node: ast.expr | None) -> bool:
    return isinstance(node, ast.Constant) and node.value is False


def _is_none(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and node.value is None


def _union_members(node: ast.expr) -> list[ast.expr]:
    """The members of `A | B | C`."""
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        return [*_union_members(node.left), *_union_members(node.right)]
    return [node]


def _error_status(node: ast.expr | None) -> bool:
    """A 4xx or 5xx status: `404`, `HTTPStatus.NOT_FOUND`, `status.HTTP_404_NOT_FOUND`."""
    if isinstance(node, ast.Constant):
        return type(node.value) is int and node.value >= 400
    if isinstance(node, ast.Attribute):
        return node.attr in _ERROR_STATUSES or _ERROR_CONSTANT.match(node.attr) is not None
    return False


def _injected(default: ast.expr | None) -> bool:
    """A default that says FastAPI injects the value (`Depends(...)`, `Query(...)`)."""
    if not isinstance(default, ast.Call):
        return False
    return (dotted(default.func) or "").rsplit(".", 1)[-1] in _INJECTED


def _injected_annotation(annotation: ast.expr) -> bool:
    """`Annotated[X, Depends(...)]` and the like."""
    node = unquote(annotation)
    if not isinstance(node, ast.Subscript) or not isinstance(node.slice, ast.Tuple):
        return False
    if (dotted(node.value) or "").rsplit(".", 1)[-1] != "Annotated":
        return False
    return any(_injected(extra) for extra in node.slice.elts[1:])


def _reads_request(node: ast.expr) -> bool:
    """An expression that reads the request body (`await request.json()`,
    `request.get_json()`, `request.json`)."""
    stack: list[ast.AST] = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, ast.Name) and item.id in {"request", "req"}:
            return True
        push_children(item, stack)
    return False
