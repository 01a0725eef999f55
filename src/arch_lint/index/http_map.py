"""The HTTP map of the monorepo: which service a URL names, the routes each
service serves, and the calls each makes, resolved to (service, method, path
template) and matched to a route (issue 13; SPEC §4, "An inter-service URL").

Built on first use from the files' HTTP facts (`http.py`), once per run:

- **service URLs**: `models.service-urls` (a glob over a settings attribute or
  an environment variable's name), and, with `models.infer-service-urls`, the
  hosts that name a service (its directory's name, `-`/`_` alike, an optional
  `-service`/`_service` suffix, unless a docker-compose service of that name
  runs an image that is something else; a docker-compose service that builds
  from its directory, or is named like it, with its `container_name`/`hostname`), the
  settings fields and constants whose default URL has such a host, and the
  environment variables a compose file sets to one; each with its evidence
  (`--show-settings` lists them). A name the caller's own service defines
  (a URL default in its files, its compose `environment`) is read only from
  those: another service's namesake is not it, and where they name no service
  (a vendor, `localhost`) the call reaches none. Otherwise a name that maps to
  several services names none.
- **routes**: per service, each route's method and full path template (the
  prefixes of its router, of the `include_router`/`register_blueprint` calls
  that include it, followed across files through the module graph; a prefix
  read from a setting or an imported constant, `prefix=settings.API_V1_STR`, is
  the one path default of that name in the service's files (else in the files
  outside every service that a service imports, the import resolved: a
  library in a src layout needs its `source-roots` entry), as the service
  declares it: the environment may set
  another; a prefix that cannot be read, `prefix=version` or a name with no
  single path default, leaves the route out of matching), and its
  request and response models (the first candidate that is a Pydantic model).
- **calls**: per file, each call's target service and path template, and the
  route it matches (same method, same template, path parameters as wildcards),
  or why it resolved to nothing.

Files under `exclude` give no evidence of URLs (a test's fake host is no
service), and their calls are not mapped (a test calling a route is no service).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from fnmatch import fnmatchcase
from functools import cached_property
from typing import NamedTuple

from arch_lint.index.facts import FileFacts
from arch_lint.index.http import (
    PATHS,
    ROUTES,
    UNKNOWN_PREFIX,
    URLS,
    HttpFacts,
    Include,
    normalise_path,
    split_url,
)
from arch_lint.index.layout import Layout, Service
from arch_lint.index.model_index import ClassRef, ModelIndex
from arch_lint.index.modgraph import ModuleGraph
from arch_lint.index.partial import holding, may_hold

_INTERNAL_DOMAINS = frozenset({"internal", "local", "svc", "cluster", "lan", "localdomain"})

RouterRef = tuple[str, str]
"""(file, name) of a router or application object."""


def normal_host(name: str) -> str:
    """A service or host name in one spelling: lower case, `_` as `-`, no
    `-service` suffix (`Pricing_Service` -> `pricing`)."""
    name = name.lower().replace("_", "-")
    return name.removesuffix("-service") or name


@dataclass(frozen=True, order=True)
class UrlEvidence:
    """Why a name or host is a service's URL."""

    key: str
    """A settings or environment name (`PRICING_BASE_URL`), or `host:<name>`."""
    service: str
    why: str
    """`services/orders/settings.py:12: default `http://pricing:8000``."""
    origin: str = ""
    """The service whose file says so ("" for none)."""
    prefix: str = ""
    """The path the default URL carries (`/api/v1`), "" for none."""


class ServiceUrls:
    """What a URL's key names: a service (and the path its default carries)."""

    def __init__(self, layout: Layout, facts: Mapping[str, FileFacts]) -> None:
        self.layout = layout
        cfg = layout.settings.model.models
        self.configured = dict(cfg.service_urls)
        self.infer = cfg.infer_service_urls
        self.hosts: dict[str, str] = {}
        """Normalised host -> service name."""
        self.host_evidence: list[UrlEvidence] = []
        self.names: dict[str, list[UrlEvidence]] = {}
        """Upper-cased name -> what maps it."""
        self.defined: dict[tuple[str, str], set[str | None]] = {}
        """(upper-cased name, service) -> what the service's own URL defaults and
        compose environment set it to: a service, or None (a vendor, a database,
        `localhost`)."""
        if self.infer:
            self._read(facts)

    def _read(self, facts: Mapping[str, FileFacts]) -> None:
        layout = self.layout
        taken: dict[str, set[str]] = {}
        for service in layout.services.values():
            taken.setdefault(normal_host(service.path.rsplit("/", 1)[-1]), set()).add(service.name)
        read: list[tuple[str, HttpFacts]] = []
        for path, found in holding(facts, URLS):
            http = found.http
            if http is not None and not layout.is_excluded(path):
                read.append((path, http))
        built_by = {
            self._built(entry.build) for _, http in read for entry in http.compose if entry.build
        }
        for _, http in read:
            for entry in http.compose:
                host = normal_host(entry.name)
                if (
                    entry.image
                    and host in taken
                    and self._runs_another(entry.image, host, built_by)
                ):
                    del taken[
                        host
                    ]  # `search: image: opensearch`: the host is not `services/search`
        for path, http in read:
            for entry in http.compose:
                built = self._built(entry.build)
                owner = built or self._named(entry.name, taken)
                if owner is None:
                    continue
                why = f"{path}:{entry.line}: compose service `{entry.name}`"
                why += f" builds `{entry.build}`" if built else f" is named like `{owner.name}`"
                for host in (entry.name, *entry.aliases):
                    if normal_host(host) not in taken:
                        taken.setdefault(normal_host(host), set()).add(owner.name)
                        self.host_evidence.append(
                            UrlEvidence(f"host:{host}", owner.name, why, owner.name)
                        )
        self.hosts = {host: next(iter(s)) for host, s in taken.items() if len(s) == 1}
        for path, http in read:
            origin = self.layout.service_of(path)
            for url in http.urls:
                target = self.host_service(url.url)
                if target is None:
                    if origin is not None:
                        for key in {url.name, url.env} - {""}:
                            self.defined.setdefault((key.upper(), origin.name), set()).add(None)
                    continue
                split = split_url(url.url)
                prefix = normalise_path(split[1]) if split is not None else ""
                why = f"{path}:{url.line}: default `{url.url}`"
                for key in {url.name, url.env} - {""}:
                    self._note(key, target, why, origin, prefix)
            for entry in http.compose:
                owner = self._built(entry.build)
                for key, value, line in entry.environment:
                    target = self.host_service(value)
                    if target is None and owner is not None and "://" in value:
                        self.defined.setdefault((key.upper(), owner.name), set()).add(None)
                    if target is not None:
                        split = split_url(value)
                        prefix = normalise_path(split[1]) if split else ""
                        why = f"{path}:{line}: `{key}={value}`"
                        self._note(key, target, why, owner, prefix)

    def _note(self, key: str, target: str, why: str, origin: Service | None, prefix: str) -> None:
        entry = UrlEvidence(key, target, why, origin.name if origin else "", prefix.rstrip("/"))
        self.names.setdefault(key.upper(), []).append(entry)
        if origin is not None:
            self.defined.setdefault((key.upper(), origin.name), set()).add(target)

    def _runs_another(self, image: str, host: str, built_by: set[Service | None]) -> bool:
        """Whether a compose service that runs `image` (and builds nothing) is
        something else than the service folders its name is like: another compose
        service builds such a folder, or the image's name is not the host's
        (`opensearchproject/opensearch:2` for `search`; `registry/search:1` is it)."""
        named = image.rsplit("/", 1)[-1].split(":", 1)[0].split("@", 1)[0]
        if normal_host(named) != host:
            return True
        return any(
            s is not None and normal_host(s.path.rsplit("/", 1)[-1]) == host for s in built_by
        )

    def _built(self, folder: str) -> Service | None:
        if not folder:
            return None
        for service in self.layout.services.values():
            if folder == service.path or folder.startswith(service.path + "/"):
                return service
        return None

    def _named(self, name: str, taken: dict[str, set[str]]) -> Service | None:
        found = taken.get(normal_host(name))
        if found is None or len(found) != 1:
            return None
        wanted = next(iter(found))
        return next((s for s in self.layout.services.values() if s.name == wanted), None)

    def host_service(self, url: str) -> str | None:
        """The service a URL's host names, or None (a public domain, a database)."""
        split = split_url(url)
        if split is None:
            return None
        host = split[0].split("://", 1)[1].rsplit("@", 1)[-1]
        host = host.split(":", 1)[0] if not host.startswith("[") else host
        labels = host.lower().split(".")
        if len(labels) > 1 and not (set(labels[1:]) & _INTERNAL_DOMAINS):
            return None  # a public domain name
        return self.hosts.get(normal_host(labels[0]))

    def resolve(self, base: str, caller: str | None) -> tuple[str, str] | str:
        """(service, path prefix) a call's base key names, or why none."""
        kind, _, name = base.partition(":")
        if kind == "u":
            if not self.infer:
                return "a literal URL (`infer-service-urls` is off)"
            target = self.host_service(name)
            return (target, "") if target is not None else f"`{name}` is no service's host"
        if kind not in {"a", "e"}:
            return {
                "?param": "the URL comes from a parameter",
                "?relative": "a relative path on a client whose base URL is unknown",
            }.get(base, "the URL cannot be followed")
        for pattern, service in self.configured.items():
            if fnmatchcase(name, pattern):
                return service, ""
        entries = self.names.get(name.upper(), [])
        services = {e.service for e in entries}
        own = self.defined.get((name.upper(), caller)) if caller is not None else None
        if own is not None:  # the caller's own setting: another service's namesake is not it
            others = services
            entries = [e for e in entries if e.origin == caller]
            services = {e.service for e in entries}
            if not services and others:
                return f"`{name}` of service `{caller}` names no service"
        if len(services) > 1:
            return f"`{name}` names several services ({', '.join(sorted(services))})"
        if not services:
            return f"`{name}` names no service"
        target = next(iter(services))
        prefix = next((e.prefix for e in sorted(entries) if e.service == target), "")
        return target, prefix

    def evidence(self) -> list[UrlEvidence]:
        """Every inferred mapping, hosts first, then names, each with its evidence."""
        out = sorted(self.host_evidence)
        for key in sorted(self.names):
            out += sorted(self.names[key])
        return out


class RouteRef(NamedTuple):
    """A route of a service, with its full path template."""

    service: str
    method: str
    template: str
    path: str
    """The file of its handler."""
    line: int
    handler: str
    request: tuple[str, ...]
    """The classes (as written in `path`) that may be its request model
    (`HttpMap.request_model` says which one is)."""
    response: tuple[str, ...]
    """Likewise for its response model (`HttpMap.response_model`)."""
    shown: str
    """The full path as written (`/internal/v1/quotes/{quote_id}`), for messages."""
    reply: str = ""
    """What it answers (`http.Route.reply`; `HttpMap.reply_model` resolves it)."""
    hidden: bool = False
    """`include_in_schema=False`."""
    unknown_prefix: bool = False
    """Included with a prefix that cannot be read (`prefix=version`): the route
    is served at no path the map knows, and no call is matched to it."""


class ResolvedCall(NamedTuple):
    line: int
    col: int
    end_line: int
    end_col: int
    method: str
    service: str | None
    """The service called, or None (see `why`)."""
    template: str
    route: RouteRef | None
    why: str
    """Why the call resolved to no service ("" when it did)."""


class HttpMap:
    """The routes and the calls of the whole project (see the module's docstring)."""

    def __init__(
        self,
        layout: Layout,
        facts: Mapping[str, FileFacts],
        modules: ModuleGraph,
        models: ModelIndex,
    ) -> None:
        self.layout = layout
        self.facts = facts
        self.modules = modules
        self.models = models

    @cached_property
    def urls(self) -> ServiceUrls:
        return ServiceUrls(self.layout, self.facts)

    def _http(self, part: str | None = None) -> Iterator[tuple[str, HttpFacts]]:
        """(path, HTTP facts) of every file, by path (`part`: of the files that may
        hold that part, so that a question is answered while the index is built
        once those files are read, see `partial.may_hold`)."""
        paths = self._may_hold(part) if part is not None else sorted(self.facts)
        for path in paths:
            found = self.facts[path].http
            if found is not None:
                yield path, found

    def _may_hold(self, part: str) -> list[str]:
        known = self._holders.get(part)
        if known is None:
            known = self._holders[part] = may_hold(self.facts, part)
        return known

    @cached_property
    def _holders(self) -> dict[str, list[str]]:
        return {}

    # routes ---------------------------------------------------------------------------
    # Answers are kept as they are found (a file's facts never change once read),
    # so that a question asked while the index is built, and broken off because a
    # file is not read yet, does not start over when it is asked again.
    @cached_property
    def _routers(self) -> dict[RouterRef, str]:
        """Every router or application object with its own prefix."""
        return {
            (path, router.name): router.prefix
            for path, http in self._route_files
            for router in http.routers
        }

    @cached_property
    def _includes(self) -> list[tuple[str, int, Include]]:
        return [
            (path, i, include)
            for path, http in self._route_files
            for i, include in enumerate(http.includes)
        ]

    @cached_property
    def _resolved_includes(self) -> dict[tuple[str, int], tuple[RouterRef, RouterRef] | None]:
        return {}

    def _parents(self, ref: RouterRef) -> list[tuple[RouterRef, str, bool]]:
        out = []
        memo = self._resolved_includes
        for path, i, include in self._includes:
            key = (path, i)
            if key not in memo:
                parent = self._router(path, include.parent)
                child = self._router(path, include.child)
                memo[key] = (parent, child) if parent is not None and child is not None else None
            found = memo[key]
            if found is not None and found[1] == ref:
                prefix = include.prefix
                if include.setting and prefix == UNKNOWN_PREFIX:
                    prefix = self._path_default(path, include.setting) or prefix
                out.append((found[0], prefix, include.replaces))
        return out

    def _path_default(self, path: str, name: str) -> str | None:
        """The path a setting or constant of that name defaults to, for a file
        at `path`: the one path default of that name in its service's files,
        else in the files outside every service that a service imports (a
        shared library's); None where there are several (or none, or `path` is
        in no service)."""
        service = self.layout.service_of(path)
        if service is None:
            return None
        defaults = self._path_defaults
        found = defaults.get((service.name, name)) or defaults.get(("", name))
        return next(iter(found)) if found is not None and len(found) == 1 else None

    @cached_property
    def _path_defaults(self) -> dict[tuple[str, str], set[str]]:
        """(service or "" outside every service, name) -> the paths that name
        defaults to in those files. Left out: excluded files (a test's default
        is none) and, outside every service, the files no service imports (a
        script's)."""
        out: dict[tuple[str, str], set[str]] = {}
        layout = self.layout
        for path, facts in holding(self.facts, PATHS):
            http = facts.http
            if http is None or not http.paths or layout.is_excluded(path):
                continue
            service = layout.service_of(path)
            if service is None and path not in self.modules.imported_by_services:
                continue
            owner = service.name if service is not None else ""
            for default in http.paths:
                out.setdefault((owner, default.name), set()).add(default.path)
        return out

    def _router(self, path: str, written: str) -> RouterRef | None:
        """The router object a name written in `path` refers to (`.routes|bp`:
        imported in a function, see `http._Reader._imported_here`)."""
        if (path, written) in self._routers:
            return (path, written)
        if "|" in written:
            module, _, name = written.partition("|")
            level = len(module) - len(module.lstrip("."))
            base = self.modules.absolute(path, level, module[level:] or None)
            where = self.modules.file_of(base, path) if base is not None else None
            if where is None:
                return None
            return self._router(where, name)
        head, _, rest = written.partition(".")
        found = self.modules.resolve_name(path, head)
        if found is None:
            return None
        where, there = found
        if there is None:
            if not rest:
                return None
            inner = self.modules.resolve_name(where, rest)
            return (inner[0], inner[1]) if inner is not None and inner[1] is not None else None
        return (where, there) if not rest else None

    def _full_prefixes(self, ref: RouterRef, seen: frozenset[RouterRef] = frozenset()) -> set[str]:
        own = self._routers.get(ref, "")
        parents = self._parents(ref)
        if not parents or ref in seen or len(seen) > 8:
            return {own}
        out: set[str] = set()
        for parent, prefix, replaces in parents:
            for above in self._full_prefixes(parent, seen | {ref}):
                out.add(above + prefix if replaces else above + prefix + own)
        return out

    @cached_property
    def _file_routes(self) -> dict[str, list[RouteRef]]:
        return {}

    def _routes_in(self, path: str, http: HttpFacts) -> list[RouteRef]:
        known = self._file_routes.get(path)
        if known is not None:
            return known
        out: list[RouteRef] = []
        service = self.layout.service_of(path)
        if service is not None:
            for route in http.routes:
                ref = self._router(path, route.router)
                prefixes = self._full_prefixes(ref) if ref is not None else {""}
                for prefix in sorted(prefixes):
                    full = prefix + "/" + route.path
                    shown = "/" + "/".join(part for part in full.split("/") if part)
                    found = RouteRef(service.name, route.method, normalise_path(full), path,
                                     route.line, route.handler, route.request, route.response,
                                     shown, route.reply, route.hidden,
                                     UNKNOWN_PREFIX in prefix)  # fmt: skip
                    out.append(found)
        self._file_routes[path] = out
        return out

    @property
    def routes(self) -> list[RouteRef]:
        """Every route of every service."""
        return [r for path, http in self._route_files for r in self._routes_in(path, http)]

    def request_model(self, route: RouteRef) -> ClassRef | None:
        """The route's request model: the first candidate that is a Pydantic model."""
        return self._model(route.path, route.request)

    def response_model(self, route: RouteRef) -> ClassRef | None:
        """The route's response model: the first candidate that is a Pydantic model."""
        return self._model(route.path, route.response)

    def reply_model(self, route: RouteRef) -> tuple[ClassRef, bool] | None:
        """The model a route answers with, and whether the value is returned in
        it as a generic wrapper (`ApiResponse[Item]`: the wrapper is the
        answer); None where the answer is no model of the project (a list, a
        dict, a response, a library's class, unknown)."""
        reply = route.reply
        if reply in {"", "-"}:
            return None
        found = self.models.resolve_class(route.path, reply.removesuffix("["))
        if isinstance(found, ClassRef) and self.models.is_model(*found):
            return found, reply.endswith("[")
        return None

    @cached_property
    def replies(self) -> dict[ClassRef, list[tuple[RouteRef, bool]]]:
        """A model -> the routes that answer with it, each with whether it wraps
        their value (`reply_model`). Routes of files under `exclude` are left
        out (a test's app serves no one)."""
        out: dict[ClassRef, list[tuple[RouteRef, bool]]] = {}
        for route in self.routes:
            if self.layout.is_excluded(route.path):
                continue
            found = self.reply_model(route)
            if found is not None:
                out.setdefault(found[0], []).append((route, found[1]))
        return out

    def _model(self, path: str, names: tuple[str, ...]) -> ClassRef | None:
        for name in names:
            found = self.models.resolve_class(path, name)
            if isinstance(found, ClassRef) and self.models.is_model(*found):
                return found
        return None

    @cached_property
    def _route_files(self) -> list[tuple[str, HttpFacts]]:
        """The files that declare routes, routers or includes."""
        return [(p, h) for p, h in self._http(ROUTES) if h.routes or h.routers or h.includes]

    def _routes_of(self, service: str) -> list[RouteRef]:
        known = self._service_routes.get(service)
        if known is None:
            known = [
                route
                for path, http in self._route_files
                if http.routes and self.layout.service_of(path) is not None
                for route in self._routes_in(path, http)
                if route.service == service and not route.unknown_prefix
            ]
            self._service_routes[service] = known
        return known

    @cached_property
    def _service_routes(self) -> dict[str, list[RouteRef]]:
        return {}

    # calls ----------------------------------------------------------------------------
    def calls_in(self, path: str) -> list[ResolvedCall]:
        """The calls of one file, resolved (the URLs and routes of the project are
        asked, not the other files' calls)."""
        known = self._calls_in.get(path)
        if known is None:
            facts = self.facts.get(path)
            http = facts.http if facts is not None else None
            known = self._resolve(path, http) if http is not None else []
            self._calls_in[path] = known
        return known

    @cached_property
    def _calls_in(self) -> dict[str, list[ResolvedCall]]:
        return {}

    def _resolve(self, path: str, http: HttpFacts) -> list[ResolvedCall]:
        if not http.calls or self.layout.is_excluded(path):
            return []  # a test's call is no service's
        caller = self.layout.service_of(path)
        resolved = []
        for call in http.calls:
            found = self.urls.resolve(call.base, caller.name if caller else None)
            service: str | None = None
            template, route, why = "", None, ""
            if isinstance(found, str):
                why = found
            else:
                service, prefix = found
                template = normalise_path(prefix + "/" + call.path)
                route = self._match(service, call.method, template)
            where = (call.line, call.col, call.end_line, call.end_col)
            resolved.append(ResolvedCall(*where, call.method, service, template, route, why))
        return resolved

    def _match(self, service: str, method: str, template: str) -> RouteRef | None:
        best: tuple[int, RouteRef] | None = None
        for route in self._routes_of(service):
            if method and route.method != method:
                continue
            score = match_templates(template, route.template)
            if score is not None and (best is None or score < best[0]):
                best = (score, route)
        return best[1] if best is not None else None

    def all_calls(self) -> Iterator[tuple[str, ResolvedCall]]:
        """Every call of the project, resolved, by path."""
        for path, _ in self._http():
            for call in self.calls_in(path):
                yield path, call

    # contracts ------------------------------------------------------------------------
    @cached_property
    def callers(self) -> dict[RouteRef, set[str]]:
        """Route -> the other services of the repository that call it."""
        out: dict[RouteRef, set[str]] = {}
        for path, call in self.all_calls():
            caller = self.layout.service_of(path)
            route = call.route
            if route is None or caller is None or caller.name == route.service:
                continue
            out.setdefault(route, set()).add(caller.name)
        return out

    @cached_property
    def contracts(self) -> dict[ClassRef, list[tuple[RouteRef, str]]]:
        """A model -> the called routes it is the request or response model of,
        each with "request" or "response"."""
        out: dict[ClassRef, list[tuple[RouteRef, str]]] = {}
        for route in sorted(self.callers):
            request, response = self.request_model(route), self.response_model(route)
            for ref, role in ((request, "request"), (response, "response")):
                if ref is not None:
                    out.setdefault(ref, []).append((route, role))
        return out

    def called_by(self, service: str) -> list[tuple[ClassRef, RouteRef, str]]:
        """(model, route, role) of the contracts of other services' routes that
        `service` calls."""
        return [
            (ref, route, role)
            for ref, uses in sorted(self.contracts.items())
            for route, role in uses
            if service in self.callers.get(route, ()) and route.service != service
        ]


def match_templates(call: str, route: str) -> int | None:
    """How loosely a call's path template matches a route's (the number of
    wildcard segments; 0 is exact), or None when they do not match."""
    mine = call.strip("/").split("/")
    theirs = route.strip("/").split("/")
    if len(mine) != len(theirs):
        return None
    loose = 0
    for a, b in zip(mine, theirs, strict=True):
        if a == b:
            continue
        if a == "{}" or b == "{}":
            loose += 1
            continue
        if "{}" in a and fnmatchcase(b, a.replace("{}", "*")):
            loose += 1
            continue
        if "{}" in b and fnmatchcase(a, b.replace("{}", "*")):
            loose += 1
            continue
        return None
    return loose
