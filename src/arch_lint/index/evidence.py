"""Evidence before presumption (SPEC §4): what the `"auto"` logging settings
decide, per service, from the whole project's correlation facts.

The facts (`index/correlation.py`) say what each file installs, configures and
defines; this module follows them through the project index (`resolve_name`,
re-exports, base classes) and decides, against the configuration:

- **request-scoped correlation** (`request-handlers-have-correlation = "auto"`):
  the middlewares, dependencies and before-request hooks a service installs
  whose code (the class's methods, the function, and the project functions
  they call) reads one of `correlation-headers`, sets a correlation ContextVar
  (directly or through a project setter) or binds a `correlation-fields` key
  into structlog contextvars; asgi-correlation-id's `CorrelationIdMiddleware`
  counts as it is. An install covers the app, one router or one route. A
  class that is defined and never installed proves nothing, nor does an
  install in a test or outside every service.
- **ids added by the logging pipeline** (`middleware-binds-contextvars = "auto"`):
  structlog processors and `logging.Filter`/`Formatter` members that put a
  ContextVar's value under a `correlation-fields` key, with the loggers they
  serve; a route handler's calls carry the id when what covers it sets that
  ContextVar (or binds the id into structlog contextvars, for structlog loggers).
- **logger factories**: project functions, lambdas and aliases whose result is
  a logger made by a `logger-factories` / `structlog-factories` entry, followed
  to any depth across modules, with the kind of logger they make.

One `LoggingEvidence` per project index (`logging_evidence(index)`), computed
on first use: rules ask it from any file, `--show-settings` prints it.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterator
from dataclasses import dataclass, field

from arch_lint.index.correlation import (
    APP,
    FILTER,
    INCLUDE,
    INSTALLS,
    MIDDLEWARE,
    OWN,
    PIPELINES,
    ROOT,
    ROUTE,
    ROUTER,
    STRUCTLOG_PIPELINE,
    UNKNOWN_RETURN,
    UNKNOWN_TARGET,
    Behaviour,
    CorrelationFacts,
    Install,
    Pipeline,
)
from arch_lint.index.facts import DEF, IMPORT
from arch_lint.index.memo import CycleMemo
from arch_lint.index.partial import holding
from arch_lint.index.project import ProjectIndex

REQUEST_KEY = "logging.request-handlers-have-correlation"
PIPELINE_KEY = "logging.middleware-binds-contextvars"
STDLIB, STRUCTLOG, LOGGER = "stdlib", "structlog", "logger"
"""Logger kinds: stdlib `logging`, structlog, or a logger of unknown flavour."""

ASGI_VAR = "asgi_correlation_id.correlation_id"
"""The ContextVar asgi-correlation-id's middleware sets."""
_ASGI_VARS = frozenset({ASGI_VAR, "asgi_correlation_id.context.correlation_id"})
_ASGI_MIDDLEWARES = frozenset(
    {"asgi_correlation_id.CorrelationIdMiddleware",
     "asgi_correlation_id.middleware.CorrelationIdMiddleware"}
)  # fmt: skip
_ASGI_FILTERS = frozenset(
    {
        "asgi_correlation_id.CorrelationIdFilter",
        "asgi_correlation_id.log_filters.CorrelationIdFilter",
    }
)
_ASGI_HEADER = "x-request-id"
_MAX_DEPTH = 6
"""How many calls deep a hook's effect and a factory are followed."""

Ref = tuple[str, str]
"""A function, class or variable of the project: (file, qualified name)."""
Target = Ref | str | None
"""What a name resolves to: a project `Ref`, a third-party dotted name, or unknown."""


@dataclass(frozen=True, slots=True)
class Effect:
    """What running an installed thing does for correlation ids."""

    reads: frozenset[str] = frozenset()
    sets: frozenset[str] = frozenset()
    """ContextVars set (`path::name`, or a third-party dotted name)."""
    binds: frozenset[str] = frozenset()
    library: str = ""
    """A third-party middleware that counts as it is (asgi-correlation-id)."""
    writes: frozenset[str] = frozenset()
    """Response headers it sets (lower-case)."""

    def __or__(self, other: Effect) -> Effect:
        return Effect(
            self.reads | other.reads,
            self.sets | other.sets,
            self.binds | other.binds,
            self.library or other.library,
            self.writes | other.writes,
        )


@dataclass(frozen=True, slots=True)
class Proof:
    """An installed middleware, dependency or hook that puts an id in scope."""

    kind: str
    name: str
    """The installed thing as written where it is installed."""
    path: str
    line: int
    via: str
    covers: tuple[str, ...]
    """`("app",)`, `("router", file, name)` or `("route", file, qualname)`."""
    why: tuple[str, ...]
    """What it does: "reads `x-request-id`", "sets ContextVar `cid`", ..."""
    sets: frozenset[str]
    binds: bool
    """It binds a correlation key into structlog contextvars."""

    @property
    def shown(self) -> str:
        return self.name.removeprefix(OWN).rsplit(".", 1)[-1]

    def describe(self) -> str:
        where = {
            APP: "",
            ROUTER: f" on router `{self.covers[-1]}`",
            ROUTE: f" on route `{self.covers[-1]}`",
        }[self.covers[0]]
        return f"{self.path}:{self.line}: {self.kind} `{self.shown}`{where} {', '.join(self.why)}"


@dataclass(frozen=True, slots=True)
class PipelineProof:
    """A configured logging pipeline member that puts a ContextVar's value under
    a correlation key."""

    kind: str
    """`structlog`, `filter` or `formatter`."""
    member: str
    path: str
    line: int
    target: str
    """`root`, `logger:NAME`, `handler:NAME`, `?`, or "" (structlog)."""
    service: str | None
    """The service whose files configure it (None: a shared library)."""
    vars: frozenset[str]
    keys: tuple[str, ...]
    merges: bool = False
    """structlog's `merge_contextvars` in a stdlib formatter's chain
    (`ProcessorFormatter(foreign_pre_chain=[...])`): what is bound into
    structlog contextvars reaches the stdlib loggers it serves too."""

    def serves(self, kind: str, name: str | None) -> bool:
        """Whether it is configured for a logger of this kind and name (None: unknown)."""
        if kind == LOGGER:
            return True
        if self.kind == STRUCTLOG_PIPELINE:
            return kind == STRUCTLOG
        if kind != STDLIB:
            return False
        if name is None or self.target in {ROOT, UNKNOWN_TARGET}:
            return True
        scope, _, logger = self.target.partition(":")
        if scope == "logger":
            return name == logger  # a logger's filters see its own calls only
        return name == logger or name.startswith(f"{logger}.")  # a handler: children too

    def describe(self, names: dict[str, str]) -> str:
        where = {"": "", ROOT: " on the root logger", UNKNOWN_TARGET: " on a handler"}.get(
            self.target, f" on `{self.target.partition(':')[2]}`"
        )
        head = f"{self.path}:{self.line}: {self.kind} `{self.member}`{where}"
        if self.merges:
            return f"{head} merges structlog contextvars"
        shown = ", ".join(f"`{names.get(v, v)}`" for v in sorted(self.vars))
        return f"{head} puts ContextVar {shown} under `{self.keys[0]}`"


@dataclass(frozen=True, slots=True)
class FoundFactory:
    path: str
    line: int
    name: str
    kind: str
    carries: bool


@dataclass(slots=True)
class _Services:
    proofs: dict[str, list[Proof]] = field(default_factory=dict)
    """Service -> every proof installed in it."""


class LoggingEvidence:
    """The project's correlation evidence, decided against the configuration."""

    def __init__(self, index: ProjectIndex) -> None:
        self.index = index
        cfg = index.layout.settings.model.logging
        self.fields = tuple(cfg.correlation_fields)
        self.headers = frozenset(h.lower() for h in cfg.correlation_headers)
        self.factories = tuple(cfg.logger_factories)
        self.structlog_factories = tuple(cfg.structlog_factories)
        self._effects: CycleMemo[tuple[str, str], Effect] = CycleMemo(Effect())
        """A cycle of calls adds nothing (whichever member is asked first)."""
        self._factories: CycleMemo[tuple[str, str, str], tuple[str, bool] | None]
        self._factories = CycleMemo(None)
        self._proofs: _Services | None = None
        self._headers: dict[str, dict[str, str]] | None = None
        self._pipelines: list[PipelineProof] | None = None
        self._pipeline_vars: dict[tuple[str | None, str, str | None], frozenset[str]] = {}
        self._var_names: dict[str, str] = {}
        self._setters: dict[tuple[str, str], frozenset[str]] = {}

    # names ---------------------------------------------------------------------------
    def is_id_key(self, key: str) -> bool:
        return any(key == f or key.endswith(f"_{f}") for f in self.fields)

    def _correlation(self, path: str) -> CorrelationFacts | None:
        facts = self.index.facts.get(path)
        return facts.correlation if facts is not None else None

    def resolve(self, path: str, written: str, origin: str = "", depth: int = 0) -> Target:
        """What a dotted name used at module level of `path` (or imported in a
        function, with its `origin`) refers to."""
        if depth > _MAX_DEPTH or not written:
            return None
        if written.startswith(OWN):
            return path, written[len(OWN) :]
        facts = self.index.facts.get(path)
        head, _, rest = written.partition(".")
        binding = facts.bindings.get(head) if facts is not None else None
        if binding is None:
            if origin:
                return self._dotted(origin, path, depth)
            found = self.index.modules.resolve_name(path, head) if facts is not None else None
            if found is None or found == (path, head):
                return None  # unknown (a builtin, a local)
            binding_path, name = found
            if name is None:
                return self.resolve(binding_path, rest, "", depth + 1) if rest else None
            return binding_path, f"{name}.{rest}" if rest else name
        if binding.kind == DEF:
            return path, written
        found = self.index.modules.resolve_name(path, head)
        if found is None:  # third-party
            if binding.kind == IMPORT:
                return f"{binding.module}.{rest}" if rest else binding.module
            external = self.index.modules.external_origin(path, head)
            if external is None:
                return None
            return f"{external}.{rest}" if rest else external
        where, name = found
        if name is None:  # a module of the project
            return self.resolve(where, rest, "", depth + 1) if rest else None
        if (where, name) == (path, head):
            return None
        return self._deeper(where, f"{name}.{rest}" if rest else name, depth)

    def _deeper(self, path: str, qualname: str, depth: int) -> Target:
        """A name defined in `path`: itself, or (an import the re-export following
        stopped at) what it names."""
        facts = self.index.facts.get(path)
        head = qualname.partition(".")[0]
        binding = facts.bindings.get(head) if facts is not None else None
        if binding is None or binding.kind == DEF:
            return path, qualname
        return self.resolve(path, qualname, "", depth + 1)

    def _dotted(self, full: str, importer: str, depth: int) -> Target:
        parts = full.split(".")
        for cut in range(len(parts) - 1, 0, -1):
            found = self.index.modules.file_of(".".join(parts[:cut]), importer)
            if found is not None:
                return self._deeper(found, ".".join(parts[cut:]), depth + 1)
        return full

    def var_of(self, path: str, written: str, origin: str = "") -> str | None:
        """The ContextVar a name refers to (`path::name`, or asgi-correlation-id's)."""
        target = self.resolve(path, written, origin)
        if isinstance(target, str):
            return ASGI_VAR if target in _ASGI_VARS else None
        if target is None:
            return None
        facts = self._correlation(target[0])
        if facts is None or target[1] not in facts.contextvars:
            return None
        key = f"{target[0]}::{target[1]}"
        self._var_names[key] = target[1]
        return key

    def var_name(self, var: str) -> str:
        return self._var_names.get(var, var.rsplit("::", 1)[-1])

    def is_correlation_var(self, var: str) -> bool:
        """A ContextVar named (or labelled) after a `correlation-fields` key, or one
        a configured pipeline puts under such a key."""
        if var == ASGI_VAR:
            return True
        path, _, name = var.partition("::")
        facts = self._correlation(path)
        label = facts.contextvars.get(name, "") if facts is not None else ""
        texts = (name.strip("_").lower(), label.lower())
        if any(f.lower() in text for f in self.fields for text in texts if text):
            return True
        return any(var in p.vars for p in self.pipelines())

    # effects of installed things -------------------------------------------------------
    def _behaviours(self, ref: Ref) -> Iterator[tuple[str, str, Behaviour]]:
        """The behaviours of a function, or of every method of a class and of
        its project bases."""
        path, qualname = ref
        facts = self._correlation(path)
        if facts is not None:
            own = facts.behaviours.get(qualname)
            if own is not None:
                yield path, qualname, own
                return  # a function (its nested functions run only if it calls them)
            prefix = f"{qualname}."
            for name, behaviour in facts.behaviours.items():
                if name.startswith(prefix) and "." not in name[len(prefix) :]:
                    yield path, name, behaviour
        for base_path, base in self.index.models.ancestors(path, qualname):
            facts = self._correlation(base_path)
            if facts is None:
                continue
            prefix = f"{base.name}."
            for name, behaviour in facts.behaviours.items():
                if name.startswith(prefix) and "." not in name[len(prefix) :]:
                    yield base_path, name, behaviour

    def effect(self, target: Target) -> Effect:
        """What running an installed class or function does (its project callees too)."""
        if target is None:
            return Effect()
        if isinstance(target, str):
            if target in _ASGI_MIDDLEWARES:
                header = frozenset({_ASGI_HEADER})  # read, and set on the response
                return Effect(header, frozenset({ASGI_VAR}), library=target, writes=header)
            return Effect()
        found = target
        return self._effects.get(found, lambda: self._effect(found))

    def _effect(self, target: tuple[str, str]) -> Effect:
        out = Effect()
        for path, qualname, behaviour in self._behaviours(target):
            sets = {v for r in behaviour.sets if (v := self.var_of(path, r)) is not None}
            out = out | Effect(
                frozenset(behaviour.reads),
                frozenset(sets),
                frozenset(behaviour.binds),
                writes=frozenset(behaviour.writes),
            )
            owner = qualname.rpartition(".")[0]
            for callee in behaviour.calls:
                if callee.startswith("self.") and owner:
                    inner: Target = (path, f"{owner}.{callee[5:]}")
                else:
                    inner = self.resolve(path, callee)
                out = out | self.effect(inner)
        return out

    def sets_of_call(self, path: str, written: str, origin: str = "") -> frozenset[str]:
        """The ContextVars a call of a project function (a setter) sets: `var.set`
        in its body, or in the project functions it calls."""
        key = (path, written)
        known = self._setters.get(key)
        if known is None:
            target = self.resolve(path, written, origin)
            known = self.effect(target).sets if isinstance(target, tuple) else frozenset()
            self._setters[key] = known
        return known

    def _judge(self, effect: Effect) -> tuple[tuple[str, ...], frozenset[str], bool]:
        """What of an effect counts as request-scoped correlation: (why, the
        correlation ContextVars it sets, whether it binds the id into structlog)."""
        why: list[str] = []
        if effect.library:
            why.append("(asgi-correlation-id)")
        read = sorted(effect.reads & self.headers)
        if read and not effect.library:
            why.append("reads " + ", ".join(f"`{h}`" for h in read))
        sets = frozenset(v for v in effect.sets if self.is_correlation_var(v))
        if sets and not effect.library:
            why.append(
                "sets ContextVar " + ", ".join(f"`{self.var_name(v)}`" for v in sorted(sets))
            )
        binds = sorted(k for k in effect.binds if self.is_id_key(k))
        if binds:
            keys = ", ".join(f"`{k}`" for k in binds)
            why.append(f"binds {keys} into structlog contextvars")
        return tuple(why), sets, bool(binds)

    # request-scoped correlation --------------------------------------------------------
    def _all_proofs(self) -> _Services:
        if self._proofs is not None:
            return self._proofs
        out = _Services()
        layout = self.index.layout
        for path, held in holding(self.index.facts, INSTALLS):
            facts = held.correlation
            if facts is None or not facts.installs:
                continue
            service = layout.service_of(path)
            if service is None or layout.is_excluded(path):
                continue  # a shared helper's or a test's install proves nothing for a service
            for install in facts.installs:
                if install.helper and not self.index.modules.may_import(path, install.helper):
                    continue  # made by a function nothing calls: no install
                proof = self._proof(path, install)
                if proof is not None:
                    out.proofs.setdefault(service.name, []).append(proof)
        self._proofs = out
        return out

    def _proof(self, path: str, install: Install) -> Proof | None:
        target = self.resolve(path, install.target, install.origin)
        why, sets, binds = self._judge(self.effect(target))
        if not why:
            return None
        scope, _, rest = install.scope.partition(":")
        covers: tuple[str, ...]
        if scope == APP:
            covers = (APP,)
        elif scope == ROUTER:
            covers = (ROUTER, path, rest)
        elif scope == ROUTE:
            covers = (ROUTE, path, rest)
        elif scope == INCLUDE:
            router = self.resolve(path, rest)
            if not isinstance(router, tuple):
                return None
            covers = (ROUTER, *router)
        else:
            return None
        return Proof(install.kind, install.target, path, install.line, install.via, covers,
                     why, sets, binds)  # fmt: skip

    def response_headers(self, service: str) -> dict[str, str]:
        """The response headers (lower-case) that middlewares a service installs
        for its whole app set on every answer, each with its evidence
        (`services/orders/main.py:12: middleware `RequestIdMiddleware``)."""
        if self._headers is None:
            found: dict[str, dict[str, str]] = {}  # kept only once whole
            layout = self.index.layout
            for path, held in holding(self.index.facts, INSTALLS):
                facts = held.correlation
                owner = layout.service_of(path)
                if facts is None or owner is None or layout.is_excluded(path):
                    continue
                for install in facts.installs:
                    if install.kind != MIDDLEWARE or install.scope != APP:
                        continue
                    if install.helper and not self.index.modules.may_import(path, install.helper):
                        continue
                    target = self.resolve(path, install.target, install.origin)
                    shown = install.target.removeprefix(OWN).rsplit(".", 1)[-1]
                    why = f"{path}:{install.line}: middleware `{shown}`"
                    for header in sorted(self.effect(target).writes):
                        found.setdefault(owner.name, {}).setdefault(header, why)
            self._headers = found
        return dict(self._headers.get(service, {}))

    def proofs(self, service: str) -> list[Proof]:
        """Every installed proof of request-scoped correlation in a service."""
        return list(self._all_proofs().proofs.get(service, ()))

    def coverage(self, path: str, function: str, routers: tuple[Ref, ...] = ()) -> list[Proof]:
        """The proofs that cover one route handler (`function`, qualified, of
        file `path`) decorated through the given routers."""
        service = self.index.layout.service_of(path)
        if service is None:
            return []
        out = []
        for proof in self._all_proofs().proofs.get(service.name, ()):
            kind, where = proof.covers[0], tuple(proof.covers[1:])
            if (
                kind == APP
                or (kind == ROUTER and where in routers)
                or (kind == ROUTE and where == (path, function))
            ):
                out.append(proof)
        return out

    # pipelines ---------------------------------------------------------------------------
    def pipelines(self) -> list[PipelineProof]:
        """Every configured pipeline member that puts a ContextVar under a correlation key."""
        if self._pipelines is not None:
            return self._pipelines
        found: list[PipelineProof] = []  # kept only once whole (`partial.Incomplete`)
        layout = self.index.layout
        for path, held in holding(self.index.facts, PIPELINES):
            facts = held.correlation
            if facts is None or not facts.pipelines or layout.is_excluded(path):
                continue
            service = layout.service_of(path)
            for pipeline in facts.pipelines:
                found += self._pipeline(path, pipeline, service.name if service else None)
        self._pipelines = found
        return found

    def _pipeline(self, path: str, pipeline: Pipeline, service: str | None) -> list[PipelineProof]:
        target = pipeline.target
        if target == "logger:__name__" or target == "handler:__name__":
            module = self.index.modules.module_of(path) or ""
            target = target.replace("__name__", module)
        out = []
        for member, origin in zip(pipeline.members, pipeline.origins, strict=True):
            found = self.resolve(path, member, origin)
            if isinstance(found, str):
                if found.endswith("contextvars.merge_contextvars"):
                    if pipeline.kind != STRUCTLOG_PIPELINE:  # structlog's own merges anyway
                        first, line = pipeline.members[0], pipeline.line
                        merged = PipelineProof(pipeline.kind, first, path, line, target, service,
                                               frozenset(), (), merges=True)  # fmt: skip
                        out.append(merged)
                elif pipeline.kind == FILTER and found in _ASGI_FILTERS:
                    asgi = frozenset({ASGI_VAR})
                    out.append(PipelineProof(pipeline.kind, member, path, pipeline.line, target,
                                             service, asgi, ("correlation_id",)))  # fmt: skip
                continue
            if found is None:
                continue
            vars_: set[str] = set()
            keys: list[str] = []
            for where, _, behaviour in self._behaviours(found):
                for key, source in behaviour.puts:
                    if not self.is_id_key(key):
                        continue
                    got = self._source_vars(where, source)
                    if got:
                        vars_ |= got
                        keys.append(key)
            if vars_:
                out.append(PipelineProof(pipeline.kind, member, path, pipeline.line, target,
                                         service, frozenset(vars_), tuple(keys)))  # fmt: skip
        return out

    def _source_vars(self, path: str, source: str, depth: int = 0) -> set[str]:
        """The ContextVars a value source reads: `var:R` directly, `call:F`
        through a project getter that returns one (a few levels deep)."""
        kind, _, written = source.partition(":")
        if kind == "var":
            var = self.var_of(path, written)
            return {var} if var is not None else set()
        if kind != "call" or depth > 3:
            return set()
        target = self.resolve(path, written)
        if not isinstance(target, tuple):
            return set()
        out: set[str] = set()
        for where, _, behaviour in self._behaviours(target):
            for got in behaviour.gets:
                out |= self._source_vars(where, got, depth + 1)
        return out

    def pipeline_vars(self, service: str | None, kind: str, name: str | None) -> frozenset[str]:
        """The ContextVars whose value the pipelines configured for a logger of this
        kind and name put on its lines, in a file of `service` (pipelines configured
        in another service do not count; a shared library's do)."""
        key = (service, kind, name)
        known = self._pipeline_vars.get(key)
        if known is None:
            known = frozenset(
                var
                for p in self.pipelines()
                if p.service in {None, service} and p.serves(kind, name)
                for var in p.vars
            )
            self._pipeline_vars[key] = known
        return known

    def merges_contextvars(self, service: str | None, name: str | None) -> bool:
        """Whether a stdlib logger of this name gets structlog contextvars through
        a formatter configured for it (`ProcessorFormatter` with `merge_contextvars`)."""
        return any(
            p.merges and p.service in {None, service} and p.serves(STDLIB, name)
            for p in self.pipelines()
        )

    # logger factories -----------------------------------------------------------------
    def configured_kind(self, written: str, origin: str) -> str | None:
        """The kind of logger a call of a `logger-factories` / `structlog-factories`
        entry makes (matched by import origin or as written)."""
        for name in (origin, written):
            if not name:
                continue
            for factory in self.structlog_factories:
                if name == factory or name.rsplit(".", 1)[-1] == factory.rsplit(".", 1)[-1] == name:
                    return STRUCTLOG
            for factory in self.factories:
                if name == factory:
                    if factory.startswith("structlog"):
                        return STRUCTLOG
                    return STDLIB if factory.startswith("logging.") else LOGGER
        if origin.startswith("structlog.") and origin.rsplit(".", 1)[-1] in {
            "get_logger",
            "getLogger",
            "wrap_logger",
        }:
            return STRUCTLOG
        return None

    def factory_kind(self, path: str, written: str, origin: str = "") -> tuple[str, bool] | None:
        """The kind of logger a call of `written` (as written in `path`) makes, and
        whether it is bound with a correlation key: a configured factory, or a
        project factory that returns one's result, at any depth. None when it is
        not known to make a logger."""
        kind = self.configured_kind(written, origin)
        if kind is not None:
            return kind, False
        key = (path, written, origin)
        return self._factories.get(key, lambda: self._factory_kind(path, written, origin))

    def _factory_kind(self, path: str, written: str, origin: str) -> tuple[str, bool] | None:
        target = self.resolve(path, written, origin)
        if not isinstance(target, tuple):
            return None
        facts = self._correlation(target[0])
        factory = facts.factories.get(target[1]) if facts is not None else None
        if factory is None:
            return None
        kinds: set[str] = set()
        carries = True
        for returned in factory.returns:
            if returned.written == UNKNOWN_RETURN:
                continue
            inner = self.factory_kind(target[0], returned.written, returned.origin)
            if inner is None:
                return None  # it may return something else
            kinds.add(inner[0])
            bound = inner[1] or any(self.is_id_key(k) for k in returned.keys)
            carries = carries and bound
        if not kinds:
            return None
        return (kinds.pop() if len(kinds) == 1 else LOGGER, carries)

    def found_factories(self) -> list[FoundFactory]:
        """Every project factory that makes a logger (for `--show-settings`)."""
        out = []
        for path in sorted(self.index.facts):
            facts = self._correlation(path)
            if facts is None or self.index.layout.is_excluded(path):
                continue
            bindings = self.index.facts[path].bindings
            for name, factory in sorted(facts.factories.items(), key=lambda i: i[1].line):
                if name in bindings and bindings[name].kind != DEF:
                    continue  # a fallback (`except ImportError:`) for an import
                kind = self.factory_kind(path, name)
                if kind is not None:
                    out.append(FoundFactory(path, factory.line, name, *kind))
        return out

    # what "auto" decided ----------------------------------------------------------------
    def decision(self, key: str, service: str) -> tuple[bool, list[str]]:
        """What an `"auto"` setting decided for a service, with its evidence (file:line)."""
        proofs = self.proofs(service)
        if key == REQUEST_KEY:
            return bool(proofs), [p.describe() for p in proofs]
        if key != PIPELINE_KEY:
            return False, []
        evidence = []
        for proof in proofs:
            if proof.binds:
                evidence.append(f"{proof.describe()} (structlog loggers)")
        binds = any(p.binds for p in proofs)
        for pipeline in self.pipelines():
            if pipeline.service not in {None, service}:
                continue
            if pipeline.merges:
                if binds:
                    evidence.append(f"{pipeline.describe(self._var_names)} (stdlib loggers)")
                continue
            setters = [p for p in proofs if p.sets & pipeline.vars]
            if setters:
                names = ", ".join(f"`{p.shown}`" for p in setters)
                evidence.append(f"{pipeline.describe(self._var_names)}, set by {names}")
        if evidence:
            return True, evidence
        # no request hook sets what a pipeline reads: the pipelines still carry the
        # id after the ContextVar is set in a function (`var.set(...)`, a setter)
        others = [
            f"{p.describe(self._var_names)} (after it is set in a function)"
            for p in self.pipelines()
            if p.service in {None, service} and not p.merges
        ]
        return False, others


_EVIDENCE: weakref.WeakKeyDictionary[ProjectIndex, LoggingEvidence] = weakref.WeakKeyDictionary()


def logging_evidence(index: ProjectIndex) -> LoggingEvidence:
    """The project's logging evidence (one per index, built on first use)."""
    found = _EVIDENCE.get(index)
    if found is None:
        found = LoggingEvidence(index)
        _EVIDENCE[index] = found
    return found
