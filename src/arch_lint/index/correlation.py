"""Per-file facts about correlation ids: what a file installs, configures and
defines that can put a correlation id in scope or on a log line.

Gathered at index-build time (`facts.extract` calls `extract_correlation`) and
kept as plain data; what they add up to for a service is decided by
`index/evidence.py`, against the configuration (the facts name headers, keys
and callees as written, so they do not depend on it):

- **installs**: middlewares (`app.add_middleware(X)`, `@app.middleware("http")`,
  Starlette's `Middleware(X)`, aiohttp's `middlewares=[...]`), dependencies
  (`Depends(f)` on a route, an `APIRouter(dependencies=[...])`, a
  `FastAPI(dependencies=[...])`, `include_router(r, dependencies=[...])`) and
  before-request hooks (`@app.before_request`), each with what it covers;
- **behaviours** of the functions (and methods) that can be such a hook, a
  ContextVar setter or getter, or a logging pipeline: the request headers they
  read, the ContextVars they set (`var.set(...)`) or return (`var.get()`), the
  keys they bind into structlog contextvars, the keys they put a value under
  (`event_dict["k"] = ...`, `record.k = ...`) and where that value comes from,
  and (for request hooks) the project functions they call;
- **contextvars**: module-level `ContextVar(...)` names and their labels;
- **pipelines**: `structlog.configure(processors=[...])`, and filters and
  formatters added to a logger or a handler (with the logger they serve);
- **factories**: module-level functions, lambdas and aliases whose result is
  a logger made by a call whose name speaks of logging (`structlog.get_logger`,
  `make_logger`): what they return, as written, to be followed through the
  project to a known factory at any depth.

Only files whose bytes can hold one of these are walked (`_INSTALL_BYTES` & co.):
the cost stays off the files that log, import and compute and do nothing else.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from arch_lint.index.models import dotted
from arch_lint.index.walk import nodes_of, own_nodes

APP, ROUTER, ROUTE, INCLUDE = "app", "router", "route", "include"
"""What an install covers: the whole app, one router (`router:NAME`), one route
(`route:QUALNAME`), or the router an `include_router` names (`include:WRITTEN`)."""
MIDDLEWARE, DEPENDENCY, HOOK = "middleware", "dependency", "hook"
OWN = "#"
"""An install's target that is a function of this file, by qualified name
(`#create_app.add_id`): a decorated hook, which no import can name."""
ROUTE_METHODS = frozenset(
    {"get", "post", "put", "patch", "delete", "head", "options", "route", "api_route",
     "websocket"}
)  # fmt: skip
STRUCTLOG_PIPELINE, FILTER, FORMATTER = "structlog", "filter", "formatter"
ROOT = "root"
UNKNOWN_TARGET = "?"
UNKNOWN_RETURN = "?"
"""A factory's return that cannot be told (`_loggers[name]`): neither a logger
nor evidence against one."""

_INSTALL_BYTES = (b"iddleware", b"Security(", b"before_")
"""What a file that installs a middleware, dependency or hook spells (`add_middleware`,
`Middleware(`, `middlewares=`, `before_request`), or `_DEPENDS_BYTES`."""
_DEPENDS_BYTES = (b"Depends(", b"dependencies")
"""`Depends(f)`, `dependencies=[...]`: both spell `epend`, which a file is scanned for
first (one scan of a file that spells neither, instead of two)."""
_BEHAVIOUR_BYTES = (
    b".set(",
    b"contextvars(",
    b"ContextVar",
    b"event_dict",
    b".get()",
    b".get(None)",
)
_HOOK_METHODS = re.compile(rb"def (?:filter|format|process|add_fields|__call__)\(")
"""The methods of a pipeline's member, in one scan (a pattern that starts with a
literal is searched for fast; `bytes.find` finds a literal faster still)."""
_HEADERS = re.compile(rb"eaders(?:(?<=[hH]eaders)\s*[.\[]|[\"'])")
"""A header read (`request.headers.get(`, `scope["headers"]`), not a client's
`headers=`. It and `Header(` spell `eader`, which a file is scanned for first."""
_RECORD = re.compile(rb"record\.\w++\s*+=[^=]")
"""A filter function's `record.correlation_id = ...` (possessive: what a name or
the blanks after it give back can never be the `=`)."""
_PIPELINE_BYTES = (b"addFilter", b"setFormatter")
_CONFIGURE = re.compile(rb"configure(?:_once)?\(")
"""`configure(`, `configure_once(`: the other markers of a pipeline (asked of a file
that spells `configure`: `bytes.find` scans for a literal faster than the regex
engine scans for the pattern's)."""
_FACTORY_BYTES = (b"log", b"Log", b"LOG")
_RETURNS_LOG = re.compile(rb"return\b[^\n]*(?:log|Log|LOG)")
"""A `return` line that names a logger: a factory's."""
_HEADER_GETTERS = frozenset({"get", "getlist", "get_all", "getheader", "getheaders", "get_header"})
_REQUEST_PARAMS = frozenset(
    {"request", "req", "scope", "environ", "conn", "connection", "websocket", "call_next",
     "handler"}
)  # fmt: skip
_REQUEST_TYPES = frozenset({"Request", "HTTPConnection", "WebSocket", "Scope", "BaseRequest"})
_DEPENDS = frozenset({"Depends", "Security"})
_HOOK_DECORATORS = frozenset({"middleware", "before_request", "before_app_request"})
_BINDERS = frozenset({"bind_contextvars", "bound_contextvars"})
_HEADERISH = re.compile(r"^[A-Za-z][A-Za-z0-9_]*-[A-Za-z0-9_-]+$")
_KEY = re.compile(r"^[A-Za-z_]\w*$")
_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)
_TRY: tuple[type[ast.stmt], ...] = (ast.Try, ast.TryStar) if hasattr(ast, "TryStar") else (ast.Try,)
_COMPOUND = frozenset(
    {ast.If, ast.For, ast.AsyncFor, ast.While, ast.With, ast.AsyncWith, ast.Match, *_TRY}
)
"""The statements other than definitions that hold blocks of statements."""
_READ = frozenset(
    {ast.Assign, ast.AnnAssign, ast.AugAssign, ast.Call, ast.List, ast.Tuple, ast.Subscript,
     ast.Compare, ast.Return, ast.Dict}
)  # fmt: skip
"""The nodes of a scope's own code that the readers below look at (`_scope`, `_installs`,
`_pipelines`, `_list_members`, `_behaviour`): the others are left out once, not by each."""
_NOT_ENTERED = frozenset(
    {ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef, ast.Name, ast.Constant}
)
"""What `own_nodes` does not enter (nested scopes), and the commonest leaves (no children)."""


def _own(body: list[ast.stmt]) -> list[ast.AST]:
    """The nodes of `own_nodes(body)` of the kinds in `_READ`, in its order."""
    return nodes_of(body, _READ, _NOT_ENTERED)


_PIPELINE_PARAMS = frozenset({"event_dict", "record", "log_record"})
_PIPELINE_METHODS = frozenset({"filter", "format", "process", "add_fields", "__call__"})


@dataclass(frozen=True, slots=True)
class Install:
    """One thing a file installs into an app, a router or a route."""

    kind: str
    """`middleware`, `dependency` or `hook`."""
    target: str
    """The installed class or function as written (`RequestIdMiddleware`,
    `deps.get_correlation_id`), or `#qualname` for a function of this file."""
    origin: str
    """The import origin of the target's head, where an import in this file binds it."""
    scope: str
    """`app`, `router:NAME`, `route:QUALNAME` or `include:WRITTEN`."""
    via: str
    """How: `add_middleware`, `@middleware`, `Middleware`, `middlewares`,
    `Depends`, `before_request`."""
    line: int
    helper: str = ""
    """The module-level function that makes the install on an app it is given
    (`def setup(app): app.add_middleware(X)`), where this file does not name it
    again (no call, no reference): the install is made only where another
    file may import it (see `ModuleGraph.may_import`); "" for none."""

    def interface(self) -> list[Any]:
        return [self.kind, self.target, self.origin, self.scope, self.via, self.helper]

    def to_json(self) -> list[Any]:
        return [self.kind, self.target, self.origin, self.scope, self.via, self.line, self.helper]


@dataclass(frozen=True, slots=True)
class Pipeline:
    """A logging pipeline a file configures."""

    kind: str
    """`structlog` (processors), `filter` or `formatter`."""
    members: tuple[str, ...]
    """The processors, or the filter's or formatter's class (or function), as written."""
    origins: tuple[str, ...]
    """The import origin of each member ("" where none)."""
    target: str
    """Which stdlib loggers it serves: `root` (every logger that propagates),
    `logger:NAME` (that logger's own calls), `handler:NAME` (a handler of that
    logger: it and its children), `?` (cannot tell); "" for structlog."""
    line: int

    def interface(self) -> list[Any]:
        return [self.kind, list(self.members), list(self.origins), self.target]

    def to_json(self) -> list[Any]:
        return [*self.interface(), self.line]


@dataclass(frozen=True, slots=True)
class Returned:
    """What a factory returns: a call of `written` (`call`), or `written` itself
    (an alias: `get_logger = structlog.get_logger`), or `?` (cannot tell)."""

    written: str
    origin: str
    keys: tuple[str, ...] = ()
    """Keywords of a `.bind(...)` applied to the result."""
    call: bool = True


@dataclass(slots=True)
class Behaviour:
    """What one function (or method) does that bears on correlation ids."""

    reads: list[str] = field(default_factory=list)
    """Request headers it reads (lower-case)."""
    sets: list[str] = field(default_factory=list)
    """Receivers of `.set(...)` calls as written (ContextVars, once resolved)."""
    binds: list[str] = field(default_factory=list)
    """Keys it binds into structlog contextvars."""
    gets: list[str] = field(default_factory=list)
    """What it returns: `var:R` (`R.get()`) or `call:F` (`F()`'s result)."""
    puts: list[tuple[str, str]] = field(default_factory=list)
    """(key, source) it puts a value under: `event_dict["k"] = R.get()` ->
    (`k`, `var:R`); `record.k = get_id()` -> (`k`, `call:get_id`)."""
    calls: list[str] = field(default_factory=list)
    """Project functions a request hook calls (and its `Depends(...)`), as written."""
    writes: list[str] = field(default_factory=list)
    """Response headers it sets (lower-case): `response.headers["X-Request-ID"] = rid`,
    `response.headers.setdefault(...)`, `.append(...)`, `.update({...})` (ARC210)."""

    def __bool__(self) -> bool:
        return bool(
            self.reads or self.sets or self.binds or self.gets or self.puts or self.calls
            or self.writes
        )  # fmt: skip

    def to_json(self) -> list[Any]:
        return [self.reads, self.sets, self.binds, self.gets, [list(p) for p in self.puts],
                self.calls, self.writes]  # fmt: skip

    @classmethod
    def from_json(cls, data: list[Any]) -> Behaviour:
        reads, sets, binds, gets, puts, calls, writes = data
        return cls(list(reads), list(sets), list(binds), list(gets),
                   [(k, s) for k, s in puts], list(calls), list(writes))  # fmt: skip


@dataclass(slots=True)
class Factory:
    """A module-level function, lambda or alias that may return a logger."""

    returns: tuple[Returned, ...]
    line: int

    def interface(self) -> list[Any]:
        return [[r.written, r.origin, list(r.keys), r.call] for r in self.returns]

    def to_json(self) -> list[Any]:
        return [self.interface(), self.line]

    @classmethod
    def from_json(cls, data: list[Any]) -> Factory:
        returns, line = data
        return cls(tuple(Returned(w, o, tuple(k), c) for w, o, k, c in returns), line)


@dataclass(slots=True)
class CorrelationFacts:
    contextvars: dict[str, str] = field(default_factory=dict)
    """Module-level ContextVar name -> its label (`ContextVar("correlation_id")`)."""
    behaviours: dict[str, Behaviour] = field(default_factory=dict)
    """Qualified name (`f`, `Cls.method`, `outer.inner`) -> what it does."""
    installs: list[Install] = field(default_factory=list)
    pipelines: list[Pipeline] = field(default_factory=list)
    factories: dict[str, Factory] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(
            self.contextvars or self.behaviours or self.installs or self.pipelines or self.factories
        )

    def interface(self) -> list[Any]:
        return [
            sorted(self.contextvars.items()),
            sorted([k, b.to_json()] for k, b in self.behaviours.items()),
            [i.interface() for i in self.installs],
            [p.interface() for p in self.pipelines],
            sorted([k, f.interface()] for k, f in self.factories.items()),
        ]

    def to_json(self) -> list[Any]:
        return [
            sorted(self.contextvars.items()),
            sorted([k, b.to_json()] for k, b in self.behaviours.items()),
            [i.to_json() for i in self.installs],
            [p.to_json() for p in self.pipelines],
            sorted([k, f.to_json()] for k, f in self.factories.items()),
        ]

    @classmethod
    def from_json(cls, data: list[Any]) -> CorrelationFacts:
        contextvars, behaviours, installs, pipelines, factories = data
        return cls(
            contextvars={k: v for k, v in contextvars},
            behaviours={k: Behaviour.from_json(b) for k, b in behaviours},
            installs=[Install(*i) for i in installs],
            pipelines=[
                Pipeline(kind, tuple(members), tuple(origins), target, line)
                for kind, members, origins, target, line in pipelines
            ],
            factories={k: Factory.from_json(f) for k, f in factories},
        )


Origin = Callable[[ast.expr], "str | None"]


INSTALLS = "installs"
PIPELINES = "pipelines"


def cannot_hold(source: bytes) -> frozenset[str]:
    """The parts of the correlation facts (`INSTALLS`, `PIPELINES`) that a file's
    bytes cannot hold: the tests `extract_correlation` makes before it reads
    them (the build reads such files later, see `partial.PartialFacts`)."""
    out = set()
    if not (
        any(marker in source for marker in _INSTALL_BYTES)
        or (b"epend" in source and any(marker in source for marker in _DEPENDS_BYTES))
    ):
        out.add(INSTALLS)
    if not (
        any(marker in source for marker in _PIPELINE_BYTES)
        or (b"configure" in source and _CONFIGURE.search(source) is not None)
    ):
        out.add(PIPELINES)
    return frozenset(out)


def extract_correlation(
    tree: ast.Module, source: bytes, origin: Origin, lacks: frozenset[str] | None = None
) -> CorrelationFacts | None:
    """The file's correlation facts (None when it has none); `origin` gives the
    import origin of a dotted name (`sa.text` -> `sqlalchemy.text`); `lacks`:
    what `cannot_hold` said of these bytes, where the caller asked it already."""
    if lacks is None:
        lacks = cannot_hold(source)
    installs = INSTALLS not in lacks
    behaviours = (
        any(marker in source for marker in _BEHAVIOUR_BYTES)
        or _HOOK_METHODS.search(source) is not None
        or (b"eader" in source and (b"Header(" in source or _HEADERS.search(source) is not None))
        or (b"record." in source and _RECORD.search(source) is not None)
    )
    pipelines = PIPELINES not in lacks
    factories = any(marker in source for marker in _FACTORY_BYTES)
    if not (installs or behaviours or pipelines or factories):
        return None
    reader = _Reader(tree, origin, source)
    if factories:
        reader.factories(source)
    if behaviours or installs or pipelines:
        reader.scopes(behaviours, installs, pipelines)
    facts = reader.facts
    return facts if facts else None


def _last(node: ast.expr) -> str:
    """The last name of a callee (`structlog.configure` -> `configure`)."""
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Name):
        return node.id
    return ""


def _strings(node: ast.expr | None) -> str | None:
    if isinstance(node, ast.Constant):
        if isinstance(node.value, str):
            return node.value
        if isinstance(node.value, bytes):
            return node.value.decode("latin-1")
    return None


def _elements(node: ast.expr | None) -> list[ast.expr]:
    if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
        return list(node.elts)
    return []


def _keyword(call: ast.Call, name: str) -> ast.expr | None:
    return next((kw.value for kw in call.keywords if kw.arg == name), None)


def _is_headers(node: ast.expr) -> bool:
    """`request.headers`, `self.request.headers`, `scope["headers"]`, `dict(scope["headers"])`."""
    if isinstance(node, ast.Call) and dotted(node.func) == "dict" and node.args:
        return _is_headers(node.args[0])
    if isinstance(node, ast.Subscript):
        return (_strings(node.slice) or "").lower() == "headers"
    return (dotted(node) or "").rsplit(".", 1)[-1].lower().endswith("headers")


def _is_response_headers(node: ast.expr) -> bool:
    """`response.headers`, `resp.headers` (a middleware's answer), not a request's
    headers nor a client's outgoing `request_headers`."""
    written = dotted(node) or ""
    head = written.split(".", 1)[0].lower()
    return written.endswith(".headers") and not head.startswith(
        ("request", "req", "scope", "environ", "client")
    )


def _depends_target(node: ast.expr) -> ast.expr | None:
    """`f` of `Depends(f)` / `Security(f)` (however imported: `fastapi.Depends`)."""
    if isinstance(node, ast.Call) and _last(node.func) in _DEPENDS and node.args:
        return node.args[0]
    return None


def _annotated_depends(annotation: ast.expr | None) -> Iterator[ast.expr]:
    """`f` of `Annotated[X, Depends(f)]`."""
    if isinstance(annotation, ast.Subscript) and _last(annotation.value) == "Annotated":
        for elt in _elements(annotation.slice):
            target = _depends_target(elt)
            if target is not None:
                yield target


def _is_route(function: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    return any(
        isinstance(d, ast.Call)
        and isinstance(d.func, ast.Attribute)
        and d.func.attr in ROUTE_METHODS
        for d in function.decorator_list
    )


class _Reader:
    def __init__(self, tree: ast.Module, origin: Origin, source: bytes) -> None:
        self.tree = tree
        self.origin = origin
        self.source = source
        self.facts = CorrelationFacts()
        self._helper: ast.FunctionDef | ast.AsyncFunctionDef | None = None
        """The module-level function whose own code `_installs` reads, else None."""
        self.constants: dict[str, set[str]] = {}
        """Every `NAME = "text"` (any scope), parameter default and dataclass field
        of the file: what a header read through a name (`HEADER`,
        `self.header_name`) may be."""
        self.pending_reads: list[tuple[Behaviour, str]] = []
        self.pending_writes: list[tuple[Behaviour, str]] = []
        self.pipeline_member = False
        """The function being read can be a pipeline's member (what it puts counts)."""
        self.module_bound: set[str] = set()
        """Names bound at module level by an import, `def` or `class` (what a call
        of a project function is written with)."""
        self.blueprints: set[str] = set()
        self.want = (False, False, False)
        """What to read in each scope: behaviours, installs, pipelines."""

    def _module_names(self) -> None:
        """Module-level imports, definitions, ContextVars and Blueprints (for `scopes`)."""
        for stmt in _module_statements(self.tree.body):
            if isinstance(stmt, (ast.Import, ast.ImportFrom)):
                self.module_bound.update(
                    (a.asname or a.name).split(".", 1)[0] for a in stmt.names if a.name != "*"
                )
            elif isinstance(stmt, (*_FUNCTIONS, ast.ClassDef)):
                self.module_bound.add(stmt.name)
            elif isinstance(stmt, (ast.Assign, ast.AnnAssign)) and isinstance(stmt.value, ast.Call):
                targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
                names = [t.id for t in targets if isinstance(t, ast.Name)]
                callee = _last(stmt.value.func)
                if callee == "ContextVar":
                    label = _strings(stmt.value.args[0]) if stmt.value.args else None
                    for name in names:
                        self.facts.contextvars[name] = label or ""
                elif callee == "Blueprint":
                    self.blueprints.update(names)

    # factories ---------------------------------------------------------------------------
    def factories(self, source: bytes) -> None:
        """Module-level functions (when a `return` line names a logger), lambdas
        and aliases that may make loggers."""
        lines: list[bytes] | None = None
        # whether a `return` line of the file names a logger, asked at the first
        # module-level function (a file with none is not scanned for it)
        returns: bool | None = None
        for stmt in _module_statements(self.tree.body):
            if isinstance(stmt, _FUNCTIONS):
                if returns is None:
                    returns = _RETURNS_LOG.search(source) is not None
                if not returns:
                    continue
                if lines is None:
                    lines = source.splitlines()
                text = b"\n".join(lines[stmt.lineno - 1 : stmt.end_lineno or stmt.lineno])
                if _RETURNS_LOG.search(text) is None:
                    continue  # no `return` of it speaks of a logger
                found = [self._returned(v, stmt) for v in _returns(stmt.body)]
                self._factory(stmt.name, found, stmt.lineno)
            elif isinstance(stmt, (ast.Assign, ast.AnnAssign)) and stmt.value is not None:
                targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
                value = stmt.value
                made: list[Returned | None]
                if isinstance(value, ast.Lambda):
                    made = [self._returned(value.body, None)]
                elif isinstance(value, (ast.Name, ast.Attribute)) and dotted(value):
                    written = dotted(value) or ""
                    made = [Returned(written, self.origin(value) or "", (), False)]
                else:
                    continue
                for target in targets:
                    if isinstance(target, ast.Name):
                        self._factory(target.id, made, stmt.lineno)

    def _factory(self, name: str, returns: list[Returned | None], line: int) -> None:
        if not returns or any(r is None for r in returns):
            return  # no return, or one that is surely not a logger (`return None`)
        known = [r for r in returns if r is not None]
        if not any(r.written != UNKNOWN_RETURN and "log" in r.written.lower() for r in known):
            return
        self.facts.factories[name] = Factory(tuple(dict.fromkeys(known)), line)

    def _returned(
        self, value: ast.expr, function: ast.FunctionDef | ast.AsyncFunctionDef | None
    ) -> Returned | None:
        """What one return value is: a call (through `.bind(...)`/`.new(...)`), a
        local bound to one in the function, `?`, or None (a constant: no logger)."""
        if isinstance(value, ast.Await):
            value = value.value
        if isinstance(value, ast.Constant):
            return None
        keys: tuple[str, ...] = ()
        assigned: dict[str, list[ast.expr]] | None = None
        before = 1 << 30
        for _ in range(8):  # `log = log.bind(...)` chains, a few links deep
            if isinstance(value, ast.Name):
                if "log" not in value.id.lower():
                    return Returned(UNKNOWN_RETURN, "")  # `return result`: not read
                if assigned is None:
                    assigned = _assignments(function.body) if function is not None else {}
                earlier = [v for v in assigned.get(value.id, ()) if v.lineno < before]
                if not earlier:
                    return Returned(UNKNOWN_RETURN, "")
                value = earlier[-1]
                before = value.lineno
            elif (
                isinstance(value, ast.Call)
                and isinstance(value.func, ast.Attribute)
                and value.func.attr in {"bind", "new"}
                and isinstance(value.func.value, (ast.Call, ast.Name))
            ):
                keys += tuple(kw.arg for kw in value.keywords if kw.arg)
                value = value.func.value
            else:
                break
        if isinstance(value, ast.Call):
            written = dotted(value.func)
            if written:
                return Returned(written, self.origin(value.func) or "", keys)
        return Returned(UNKNOWN_RETURN, "")

    # scopes --------------------------------------------------------------------------------
    def scopes(self, behaviours: bool, installs: bool, pipelines: bool) -> None:
        self._module_names()
        self.want = (behaviours, installs, pipelines)
        self._scope(self.tree.body, [], None, in_middleware=False)
        for behaviour, name in self.pending_reads:
            for value in sorted(self.constants.get(name, ())):
                if value.lower() not in behaviour.reads:
                    behaviour.reads.append(value.lower())
        for behaviour, name in self.pending_writes:
            for value in sorted(self.constants.get(name, ())):
                if value.lower() not in behaviour.writes:
                    behaviour.writes.append(value.lower())
        for qualname in [q for q, b in self.facts.behaviours.items() if not b]:
            del self.facts.behaviours[qualname]

    def _scope(
        self,
        body: list[ast.stmt],
        names: list[str],
        function: ast.FunctionDef | ast.AsyncFunctionDef | None,
        in_middleware: bool,
    ) -> None:
        """One scope's own code (the module, a class body or a function), then
        the functions and classes it holds."""
        behaviours, installs, pipelines = self.want
        qualname = ".".join(names)
        own = _own(body)
        for node in own:
            if type(node) is ast.Assign:
                if isinstance(node.value, ast.Constant):
                    text = _strings(node.value)
                    for target in node.targets:
                        if isinstance(target, ast.Name) and text is not None:
                            self.constants.setdefault(target.id, set()).add(text)
            elif type(node) is ast.AnnAssign and isinstance(node.target, ast.Name):
                text = _strings(node.value)
                if text is not None:
                    self.constants.setdefault(node.target.id, set()).add(text)
        if installs:
            self._installs(own, function, qualname)
        if pipelines:
            self._pipelines(own)
        if function is not None and behaviours:
            self._behaviour(function, own, qualname, in_middleware)
        for stmt in _nested(body):
            if isinstance(stmt, ast.ClassDef):
                methods = {s.name for s in stmt.body if isinstance(s, _FUNCTIONS)}
                middleware = bool(methods & {"dispatch", "__call__"}) or any(
                    "Middleware" in (dotted(b) or "") for b in stmt.bases
                )
                self._scope(stmt.body, [*names, stmt.name], None, middleware)
            else:
                self._function(stmt, names, in_middleware)

    def _function(
        self, stmt: ast.FunctionDef | ast.AsyncFunctionDef, names: list[str], in_middleware: bool
    ) -> None:
        args = stmt.args
        every = [*args.posonlyargs, *args.args, *args.kwonlyargs]
        defaults = [*args.defaults, *args.kw_defaults]
        for arg, default in zip(reversed(every), reversed(defaults), strict=False):
            text = _strings(default)
            if text is not None:
                self.constants.setdefault(arg.arg, set()).add(text)
        if self.want[1]:
            self._function_installs(stmt, ".".join([*names, stmt.name]))
        self._scope(stmt.body, [*names, stmt.name], stmt, in_middleware)

    # installs ----------------------------------------------------------------------------
    def _install(
        self,
        kind: str,
        target: ast.expr | str,
        scope: str,
        via: str,
        line: int,
        receiver: ast.expr | None = None,
    ) -> None:
        """`receiver`: what the install is made on (`app` of `app.add_middleware`)."""
        if isinstance(target, str):
            written, origin = target, ""
        else:
            written = dotted(target) or ""
            origin = self.origin(target) or "" if written else ""
        if written:
            helper = self._helper_of(receiver) if receiver is not None else ""
            self.facts.installs.append(Install(kind, written, origin, scope, via, line, helper))

    def _helper_of(self, receiver: ast.expr) -> str:
        """The module-level function being read, where `receiver` is one of its
        parameters and the file names the function nowhere else: its install
        is made only where another file imports and calls it; else ""."""
        function = self._helper
        if function is None or function.decorator_list:
            return ""  # a decorator may register it (`@setup_hook`): it is named
        head = (dotted(receiver) or "").partition(".")[0]
        args = function.args
        if head not in {a.arg for a in [*args.posonlyargs, *args.args, *args.kwonlyargs]}:
            return ""
        name = function.name
        word = re.escape(name.encode())  # a non-ASCII byte is part of a word
        spelled = re.findall(rb"(?<![\w\x80-\xff])" + word + rb"(?![\w\x80-\xff])", self.source)
        return name if len(spelled) <= 1 else ""  # a call, a reference, a word in a docstring

    def _function_installs(
        self, stmt: ast.FunctionDef | ast.AsyncFunctionDef, qualname: str
    ) -> None:
        """Decorators that install the function (`@app.middleware("http")`,
        `@app.before_request`) and the dependencies of a route."""
        route = _is_route(stmt)
        for decorator in stmt.decorator_list:
            func = decorator.func if isinstance(decorator, ast.Call) else decorator
            if not isinstance(func, ast.Attribute):
                continue
            if func.attr == "middleware" and isinstance(decorator, ast.Call):
                self._install(MIDDLEWARE, OWN + qualname, APP, "@middleware", stmt.lineno)
            elif func.attr in {"before_request", "before_app_request"}:
                scope = self._hook_scope(func)
                self._install(HOOK, OWN + qualname, scope, func.attr, stmt.lineno)
            elif route and isinstance(decorator, ast.Call):
                for dep in _elements(_keyword(decorator, "dependencies")):
                    target = _depends_target(dep)
                    if target is not None:
                        self._install(DEPENDENCY, target, f"{ROUTE}:{qualname}", "Depends",
                                      dep.lineno)  # fmt: skip
        if not route:
            return
        args = stmt.args
        every = [*args.posonlyargs, *args.args, *args.kwonlyargs]
        for default in [*args.defaults, *args.kw_defaults]:
            target = _depends_target(default) if default is not None else None
            if target is not None:
                self._install(DEPENDENCY, target, f"{ROUTE}:{qualname}", "Depends", target.lineno)
        for arg in every:
            for target in _annotated_depends(arg.annotation):
                self._install(DEPENDENCY, target, f"{ROUTE}:{qualname}", "Depends", arg.lineno)

    def _hook_scope(self, func: ast.Attribute) -> str:
        """`bp.before_request` on a Blueprint of this file covers that blueprint;
        `before_app_request` and an app's `before_request` cover the app."""
        owner = dotted(func.value) or ""
        if func.attr == "before_request" and owner in self.blueprints:
            return f"{ROUTER}:{owner}"
        return APP

    def _installs(
        self,
        own: list[ast.AST],
        function: ast.FunctionDef | ast.AsyncFunctionDef | None,
        qualname: str,
    ) -> None:
        self._helper = function if function is not None and "." not in qualname else None
        assigned: dict[int, str] = {}
        listed: set[int] = set()  # calls that stand in a list (`middleware=[Middleware(X)]`)
        for node in own:
            if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call):
                for target in node.targets:
                    if isinstance(target, ast.Name) and function is None:
                        assigned[id(node.value)] = target.id
            elif isinstance(node, (ast.List, ast.Tuple)):
                listed.update(id(elt) for elt in node.elts)
        for node in own:
            if type(node) is not ast.Call:
                continue
            func = node.func
            last = _last(func)
            if last == "add_middleware" and isinstance(func, ast.Attribute) and node.args:
                on = func.value
                self._install(MIDDLEWARE, node.args[0], APP, "add_middleware", node.lineno, on)
                dispatch = _keyword(node, "dispatch")
                if dispatch is not None:
                    self._install(MIDDLEWARE, dispatch, APP, "add_middleware", node.lineno, on)
            elif last == "Middleware" and node.args and id(node) in listed:
                self._install(MIDDLEWARE, node.args[0], APP, "Middleware", node.lineno)
                dispatch = _keyword(node, "dispatch")
                if dispatch is not None:
                    self._install(MIDDLEWARE, dispatch, APP, "Middleware", node.lineno)
            elif (
                last in {"before_request", "before_app_request"}
                and isinstance(func, ast.Attribute)
                and node.args
            ):
                scope = self._hook_scope(func)
                self._install(HOOK, node.args[0], scope, last, node.lineno, func.value)
            elif (
                last == "append"
                and isinstance(func, ast.Attribute)
                and node.args
                and _last(func.value) == "middlewares"
            ):
                on = func.value
                self._install(MIDDLEWARE, node.args[0], APP, "middlewares", node.lineno, on)
            if not node.keywords:
                continue  # neither `middlewares=` nor `dependencies=`
            for mw in _elements(_keyword(node, "middlewares")):
                self._install(MIDDLEWARE, mw, APP, "middlewares", mw.lineno)
            deps = _elements(_keyword(node, "dependencies"))
            if not deps:
                continue
            if last == "include_router" and node.args:
                scope = f"{INCLUDE}:{dotted(node.args[0]) or ''}"
            elif last == "APIRouter" and id(node) in assigned:
                scope = f"{ROUTER}:{assigned[id(node)]}"
            elif last in {"FastAPI", "Starlette"}:
                scope = APP
            else:
                continue  # a route's are read with its `def`
            for dep in deps:
                depends = _depends_target(dep)
                if depends is not None:
                    self._install(DEPENDENCY, depends, scope, "Depends", dep.lineno)

    # pipelines ---------------------------------------------------------------------------
    def _pipelines(self, own: list[ast.AST]) -> None:
        """Pipelines configured by one scope's own code: structlog's processors,
        and filters and formatters with the logger they end up serving (a
        handler's are known once the scope adds the handler to a logger)."""
        loggers: dict[str, str] = {}  # local name -> the logger it holds (`logger:NAME`, `root`)
        handlers: dict[str, list[tuple[str, list[ast.expr], int]]] = {}  # name -> what it got
        attached: dict[str, str] = {}  # handler name -> the logger it is added to
        made: dict[str, ast.expr] = {}  # local name -> the callee it is bound from (`f = F()`)
        for node in own:
            if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call):
                held = self._logger_target(node.value, loggers)
                for target in node.targets:
                    if isinstance(target, ast.Name):
                        made[target.id] = node.value.func
                        if held is not None:
                            loggers[target.id] = held
        for node in own:
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            last = _last(func)
            if last in {"configure", "configure_once"} and (
                (self.origin(func) or "").startswith("structlog.")
            ):
                members = self._list_members(_keyword(node, "processors"), own)
                self._pipeline(STRUCTLOG_PIPELINE, members, "", node.lineno)
            elif last in {"addFilter", "setFormatter"} and isinstance(func, ast.Attribute):
                if not node.args:
                    continue
                member = node.args[0]
                if isinstance(member, ast.Name) and member.id in made:
                    member = made[member.id]
                members = [member.func if isinstance(member, ast.Call) else member]
                if isinstance(member, ast.Call):  # structlog's `ProcessorFormatter`
                    chains = [_keyword(member, "foreign_pre_chain"), _keyword(member, "processors")]
                    members += [
                        element
                        for chain in chains
                        for element in self._list_members(chain, own)
                        if _last(element) == "merge_contextvars"
                    ]
                kind = FILTER if last == "addFilter" else FORMATTER
                receiver = func.value
                held = (
                    self._logger_target(receiver, loggers)
                    if isinstance(receiver, ast.Call)
                    else loggers.get(dotted(receiver) or "")
                )
                if held is not None:  # a logger's own filter
                    self._pipeline(kind, members, held, node.lineno)
                elif isinstance(receiver, ast.Name):
                    handlers.setdefault(receiver.id, []).append((kind, members, node.lineno))
                else:
                    self._pipeline(kind, members, UNKNOWN_TARGET, node.lineno)
            elif last == "addHandler" and isinstance(func, ast.Attribute) and node.args:
                name = dotted(node.args[0]) or ""
                receiver = func.value
                held = (
                    self._logger_target(receiver, loggers)
                    if isinstance(receiver, ast.Call)
                    else loggers.get(dotted(receiver) or "")
                )
                if dotted(receiver) in {"logging.root", "root"}:
                    held = ROOT
                if held is not None:
                    attached[name] = ROOT if held == ROOT else "handler:" + held.split(":", 1)[1]
            elif last == "basicConfig":
                for handler in _elements(_keyword(node, "handlers")):
                    attached[dotted(handler) or ""] = ROOT
        for name, added in handlers.items():
            for kind, members, line in added:
                self._pipeline(kind, members, attached.get(name, UNKNOWN_TARGET), line)

    def _logger_target(self, call: ast.Call, loggers: dict[str, str]) -> str | None:
        """`logging.getLogger("x")` -> `logger:x`; `logging.getLogger()` -> `root`."""
        if (self.origin(call.func) or dotted(call.func)) != "logging.getLogger":
            return None
        if not call.args:
            return ROOT
        name = _strings(call.args[0])
        if name is not None:
            return ROOT if name in {"", "root"} else f"logger:{name}"
        if isinstance(call.args[0], ast.Name) and call.args[0].id == "__name__":
            return "logger:__name__"
        return None

    def _list_members(self, value: ast.expr | None, own: list[ast.AST]) -> list[ast.expr]:
        """The elements of a processors list: a literal, or a name bound to one and
        grown in the same scope (`.append(x)`, `.extend([...])`, `+= [...]`)."""
        if value is None:
            return []
        if isinstance(value, (ast.List, ast.Tuple)):
            out: list[ast.expr] = []
            for elt in value.elts:
                if isinstance(elt, ast.Starred):
                    out += self._list_members(elt.value, own)
                else:
                    out.append(elt)
            return out
        if not isinstance(value, ast.Name):
            return []
        name = value.id
        out = []
        growth = (ast.Assign, ast.AnnAssign, ast.AugAssign, ast.Call)
        in_order = sorted(
            (n for n in own if isinstance(n, growth)), key=lambda n: (n.lineno, n.col_offset)
        )
        for node in in_order:
            if isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None:
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                if isinstance(node.value, (ast.List, ast.Tuple)) and any(
                    isinstance(t, ast.Name) and t.id == name for t in targets
                ):
                    out += self._list_members(node.value, own)
            elif isinstance(node, ast.AugAssign) and dotted(node.target) == name:
                out += self._list_members(node.value, [])
            elif (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and dotted(node.func.value) == name
            ):
                if node.func.attr in {"append", "insert"} and node.args:
                    out.append(node.args[-1])
                elif node.func.attr == "extend" and node.args:
                    out += self._list_members(node.args[0], [])
        return out

    def _pipeline(self, kind: str, members: list[ast.expr], target: str, line: int) -> None:
        members = [m.func if isinstance(m, ast.Call) else m for m in members]  # `Processor()`
        written = [(dotted(m) or "", self.origin(m) or "") for m in members]
        written = [w for w in written if w[0]]
        if written:
            names = tuple(w for w, _ in written)
            origins = tuple(o for _, o in written)
            self.facts.pipelines.append(Pipeline(kind, names, origins, target, line))

    # behaviours --------------------------------------------------------------------------
    def _behaviour(
        self,
        function: ast.FunctionDef | ast.AsyncFunctionDef,
        own: list[ast.AST],
        qualname: str,
        in_middleware: bool,
    ) -> None:
        found = Behaviour()
        hook = (in_middleware or _request_shaped(function)) and not _is_route(function)
        self.pipeline_member = _pipeline_shaped(function, qualname)
        args = function.args
        # a getter takes nothing: what it returns counts (`return cid_var.get()`)
        getter = not (args.posonlyargs or args.args or args.kwonlyargs or args.vararg)
        locals_: dict[str, ast.expr] = {}
        for node in own:
            if type(node) is ast.Assign and len(node.targets) == 1:
                target = node.targets[0]
                if isinstance(target, ast.Name):
                    locals_[target.id] = node.value
        if hook:
            args = function.args
            every = [*args.posonlyargs, *args.args, *args.kwonlyargs]
            defaults = [*args.defaults, *args.kw_defaults]
            for arg, default in zip(reversed(every), reversed(defaults), strict=False):
                if default is None:
                    continue
                depends = _depends_target(default)
                if depends is not None and dotted(depends):
                    found.calls.append(dotted(depends) or "")
                if isinstance(default, ast.Call) and _last(default.func) == "Header":
                    alias = _strings(_keyword(default, "alias"))
                    found.reads.append((alias or arg.arg.replace("_", "-")).lower())
            for arg in every:
                for depends in _annotated_depends(arg.annotation):
                    if dotted(depends):
                        found.calls.append(dotted(depends) or "")
        for node in own:
            kind = type(node)  # the node types have no subclasses: tested by `is`, cheaper
            if kind is ast.Call:
                self._call(node, found, hook, locals_)  # type: ignore[arg-type]
            elif kind is ast.Subscript:
                if isinstance(node.ctx, ast.Load) and _is_headers(node.value):  # type: ignore[attr-defined]
                    self._read(node.slice, found)  # type: ignore[attr-defined]
            elif kind is ast.Compare:
                self._compare(node, found)  # type: ignore[arg-type]
            elif kind is ast.Assign or kind is ast.AnnAssign:
                assigned: ast.Assign | ast.AnnAssign = node  # type: ignore[assignment]
                if assigned.value is None:
                    continue
                targets = (
                    assigned.targets if isinstance(assigned, ast.Assign) else [assigned.target]
                )
                for target in targets:
                    key = None
                    if isinstance(target, ast.Subscript) and _is_response_headers(target.value):
                        self._write(target.slice, found)
                    if isinstance(target, ast.Subscript):
                        key = _strings(target.slice)
                    elif isinstance(target, ast.Attribute) and dotted(target.value) not in {
                        "self", "cls"
                    }:  # fmt: skip
                        key = target.attr
                    if key is not None:
                        self._put(key, assigned.value, found, locals_)
            elif kind is ast.Return:
                returned = node.value  # type: ignore[attr-defined]
                if returned is not None and getter:
                    source = _source(returned, locals_)
                    if source:
                        found.gets.append(source)
            elif kind is ast.Dict:
                for key_node, value in zip(node.keys, node.values, strict=True):  # type: ignore[attr-defined]
                    key = _strings(key_node) if key_node is not None else None
                    if key is not None:
                        self._put(key, value, found, locals_)
        pending = (*self.pending_reads, *self.pending_writes)
        if found or any(b is found for b, _ in pending):
            _dedupe(found)
            self.facts.behaviours[qualname] = found

    def _call(
        self, node: ast.Call, found: Behaviour, hook: bool, locals_: dict[str, ast.expr]
    ) -> None:
        func = node.func
        last = _last(func)
        if (
            isinstance(func, ast.Attribute)
            and last in {"setdefault", "append", "update"}
            and _is_response_headers(func.value)
            and node.args
        ):
            given = node.args[0]
            keys = given.keys if isinstance(given, ast.Dict) else [given]
            for key_node in keys:
                if key_node is not None:
                    self._write(key_node, found)
        if isinstance(func, ast.Attribute) and last == "set" and node.args:
            receiver = dotted(func.value)
            if receiver and receiver.split(".", 1)[0] not in {"self", "cls"}:
                found.sets.append(receiver)
        elif last in _BINDERS:
            found.binds += [kw.arg for kw in node.keywords if kw.arg]
            for kw in node.keywords:  # `bind_contextvars(**{"correlation_id": cid})`
                if kw.arg is None and isinstance(kw.value, ast.Dict):
                    found.binds += [k for k in map(_strings, kw.value.keys) if k]
        elif isinstance(func, ast.Attribute) and last in _HEADER_GETTERS and node.args:
            if _is_headers(func.value):
                self._read(node.args[0], found)
        elif last == "setattr" and len(node.args) == 3:
            key = _strings(node.args[1])
            if key is not None:
                self._put(key, node.args[2], found, locals_)
        elif isinstance(func, ast.Attribute) and last == "setdefault" and len(node.args) == 2:
            key = _strings(node.args[0])
            if key is not None:
                self._put(key, node.args[1], found, locals_)
        elif (isinstance(func, ast.Attribute) and last == "update") or dotted(func) == "dict":
            for kw in node.keywords:
                if kw.arg:
                    self._put(kw.arg, kw.value, found, locals_)
        if hook:
            written = dotted(func)
            if written and written != "dict":
                head = written.split(".", 1)[0]
                if head in self.module_bound or (head == "self" and written.count(".") == 1):
                    found.calls.append(written)

    def _compare(self, node: ast.Compare, found: Behaviour) -> None:
        """`"x-request-id" in request.headers`, `name == b"x-request-id"`."""
        sides = [node.left, *node.comparators]
        if any(isinstance(op, (ast.In, ast.NotIn)) for op in node.ops) and any(
            _is_headers(side) for side in sides
        ):
            self._read(node.left, found)
            return
        if any(isinstance(op, ast.Eq) for op in node.ops):  # raw ASGI headers are bytes
            for side in sides:
                if isinstance(side, ast.Constant) and isinstance(side.value, bytes):
                    text = side.value.decode("latin-1")
                    if _HEADERISH.match(text):
                        found.reads.append(text.lower())

    def _read(self, node: ast.expr, found: Behaviour) -> None:
        """A header read by name: a literal, or a name whose string values the
        file knows (`HEADER`, `self.header_name`, `self.config.header`)."""
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in {"lower", "upper", "encode", "title", "casefold"}
        ):
            return self._read(node.func.value, found)
        text = _strings(node)
        if text is not None:
            found.reads.append(text.lower())
        elif isinstance(node, ast.Name):
            self.pending_reads.append((found, node.id))
        elif isinstance(node, ast.Attribute):
            self.pending_reads.append((found, node.attr))
        return None

    def _write(self, node: ast.expr, found: Behaviour) -> None:
        """A response header set by name (a literal, or a name whose string
        values the file knows, as `_read`)."""
        text = _strings(node)
        if text is not None:
            found.writes.append(text.lower())
        elif isinstance(node, ast.Name):
            self.pending_writes.append((found, node.id))
        elif isinstance(node, ast.Attribute):
            self.pending_writes.append((found, node.attr))

    def _put(
        self, key: str, value: ast.expr, found: Behaviour, locals_: dict[str, ast.expr]
    ) -> None:
        if not self.pipeline_member or not _KEY.match(key):
            return
        source = _source(value, locals_)
        if source:
            found.puts.append((key, source))


def _source(value: ast.expr, locals_: dict[str, ast.expr], depth: int = 0) -> str:
    """Where a value comes from: `var:R` for `R.get()` (also `R.get(None)`,
    `str(R.get())`, `R.get() or "-"`), `call:F` for the result of a call of
    `F` with no argument (a getter), "" otherwise; a local is followed to its
    value in the function."""
    if depth > 3:
        return ""
    if isinstance(value, ast.Name) and value.id in locals_:
        return _source(locals_[value.id], locals_, depth + 1)
    if isinstance(value, ast.BoolOp):
        return next((s for v in value.values if (s := _source(v, locals_, depth + 1))), "")
    if isinstance(value, ast.IfExp):
        return _source(value.body, locals_, depth + 1) or _source(value.orelse, locals_, depth + 1)
    if isinstance(value, ast.Await):
        return _source(value.value, locals_, depth + 1)
    if not isinstance(value, ast.Call):
        return ""
    func = value.func
    if isinstance(func, ast.Attribute) and func.attr == "get" and not value.keywords:
        receiver = dotted(func.value)
        default = value.args[0] if len(value.args) == 1 else None
        if (
            receiver
            and receiver.split(".", 1)[0] not in {"self", "cls"}
            and not _is_headers(func.value)
            and (not value.args or (isinstance(default, ast.Constant) and default.value is None))
        ):
            return f"var:{receiver}"  # `var.get()`, `var.get(None)`: a dict's `.get` takes a key
    written = dotted(func)
    if written in {"str", "repr", "format"} and value.args:
        return _source(value.args[0], locals_, depth + 1)
    if written and not value.args and not value.keywords:
        return f"call:{written}"
    return ""


def _dedupe(found: Behaviour) -> None:
    found.reads = list(dict.fromkeys(found.reads))
    found.sets = list(dict.fromkeys(found.sets))
    found.binds = list(dict.fromkeys(found.binds))
    found.gets = list(dict.fromkeys(found.gets))
    found.puts = list(dict.fromkeys(found.puts))
    found.calls = list(dict.fromkeys(found.calls))
    found.writes = list(dict.fromkeys(found.writes))


def _pipeline_shaped(function: ast.FunctionDef | ast.AsyncFunctionDef, qualname: str) -> bool:
    """A function that can be a logging pipeline's member: a structlog processor
    (`(logger, method_name, event_dict)`), a filter function (`record`), or a
    method a `logging.Filter`/`Formatter`/`LoggerAdapter` overrides."""
    args = [a.arg for a in (*function.args.posonlyargs, *function.args.args)]
    if any(a in _PIPELINE_PARAMS for a in args):
        return True
    if "." in qualname and function.name in _PIPELINE_METHODS:
        return True
    return len(args) == 3 and args[0] not in {"self", "cls"}


def _request_shaped(function: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """A function that can handle a request: decorated as a hook
    (`@app.middleware("http")`, `@web.middleware`, `@app.before_request`), or
    taking a request (`request`, `scope`, an argument typed `Request`), or with
    `Header(...)`, `Depends(...)` defaults (a dependency)."""
    for decorator in function.decorator_list:
        func = decorator.func if isinstance(decorator, ast.Call) else decorator
        if _last(func) in _HOOK_DECORATORS:
            return True
    args = function.args
    every = [*args.posonlyargs, *args.args, *args.kwonlyargs]
    for arg in every:
        if arg.arg in _REQUEST_PARAMS:
            return True
        annotation = arg.annotation
        if annotation is not None and _last(annotation) in _REQUEST_TYPES:
            return True
    return any(
        isinstance(d, ast.Call) and _last(d.func) in {"Header", *_DEPENDS}
        for d in [*args.defaults, *args.kw_defaults]
        if d is not None
    )


def _module_statements(body: list[ast.stmt]) -> Iterator[ast.stmt]:
    """Module-level statements, also inside `if`/`try`/`with` blocks."""
    for stmt in body:
        yield stmt
        if isinstance(stmt, (ast.If, ast.With, ast.AsyncWith, *_TRY)):
            for name in ("body", "orelse", "finalbody"):
                yield from _module_statements(getattr(stmt, name, []))
            for handler in getattr(stmt, "handlers", ()):
                yield from _module_statements(handler.body)


def _nested(
    body: list[ast.stmt],
) -> Iterator[ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef]:
    """The functions and classes a scope's code defines (inside its blocks too)."""
    stack: list[ast.stmt] = list(reversed(body))
    while stack:
        stmt = stack.pop()
        if isinstance(stmt, (*_FUNCTIONS, ast.ClassDef)):
            yield stmt
            continue
        if type(stmt) not in _COMPOUND:
            continue  # no block in it
        for name in ("body", "orelse", "finalbody"):
            stack.extend(reversed([s for s in getattr(stmt, name, ()) if isinstance(s, ast.stmt)]))
        for handler in getattr(stmt, "handlers", ()):
            stack.extend(reversed(handler.body))
        for case in getattr(stmt, "cases", ()):
            stack.extend(reversed(case.body))


def _returns(body: list[ast.stmt]) -> Iterator[ast.expr]:
    """The values of a function's `return` statements (not of nested functions);
    a bare `return` yields a `None` constant."""
    stack: list[ast.stmt] = list(body)
    while stack:
        stmt = stack.pop()
        if isinstance(stmt, ast.Return):
            yield stmt.value if stmt.value is not None else ast.Constant(None)
            continue
        if isinstance(stmt, (*_FUNCTIONS, ast.ClassDef)):
            continue
        for name in ("body", "orelse", "finalbody"):
            stack.extend(s for s in getattr(stmt, name, ()) if isinstance(s, ast.stmt))
        for handler in getattr(stmt, "handlers", ()):
            stack.extend(handler.body)
        for case in getattr(stmt, "cases", ()):
            stack.extend(case.body)


def _assignments(body: list[ast.stmt]) -> dict[str, list[ast.expr]]:
    """The values of a function's own plain `name = value` statements, by name, in
    source order."""
    out: dict[str, list[ast.expr]] = {}
    for node in own_nodes(body):
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    out.setdefault(target.id, []).append(node.value)
    for values in out.values():
        values.sort(key=lambda v: (v.lineno, v.col_offset))
    return out
