"""The architecture as a graph (`arch-lint graph`): the services, the shared
packages, the dependencies between them, and the violations on each.

Nodes:
- each service (`services`);
- each shared-models package (`shared-models`, one node per entry);
- each library: a package outside the services and the shared models that a
  service imports, directly or through other libraries. A library is the
  top-level package of its modules; a top-level package that holds nothing but
  one package (`libs/` holding `libs/shared/`) stands for that package.

Edges: one per direction between two nodes, with a count per kind of
dependency:
- `imports`: the import statements of the one node's files that reach a file
  of the other (a statement that reaches several modules of it counts once);
  `TYPE_CHECKING` imports and `importlib.import_module("…")` literals count
  too, as they do for ARC101;
- `http`: the calls of the one node's files that the HTTP map of the index
  resolves to the other service (a call whose URL names no service of the
  repository, or the caller's own, is no edge), each once; a call that
  matches a route is about that route (`POST /internal/v1/quotes`), one that
  matches none about its method and path template (`GET /status/{}`);
- `events`: the messages (topics, event models) the one node publishes on a
  message broker and the other reads (`index/messages.py`), each once.
Files that `exclude` matches (tests, migrations' versions) are left out, as the
check leaves them out. A dependency inside one node is no edge.

The violations on an edge: the check's findings (after `--select`/`--ignore`,
`per-path-ignores`, `# noqa` and `allow`; the baseline is not applied: the
picture shows every violation) whose service is the edge's first node and
whose peers (`Finding.peers`, the other services the rule found the finding
couples its own to) include the second, counted by code; and those whose
service is the second node and whose dependents (`Finding.dependents`, the
services that depend on its own through what it flags: the callers of a route
whose contract ARC208 finds outside the shared models) include the first.

Each kind of dependency comes from an edge source: a function from the project
index to `Link`s between files (`EDGE_SOURCES`); the graph maps the files to
nodes.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

from arch_lint.findings import Finding
from arch_lint.index.project import ProjectIndex

IMPORTS = "imports"
HTTP = "http"
EVENTS = "events"
KINDS = (IMPORTS, HTTP, EVENTS)
"""The kinds of dependency, in the order a picture lists them."""

SERVICE = "service"
SHARED_MODELS = "shared-models"
LIBRARY = "library"
NODE_KINDS = (SERVICE, SHARED_MODELS, LIBRARY)


class Link(NamedTuple):
    """One dependency an edge source found between two files of the project."""

    source: str
    """The file that depends (relative path)."""
    target: str
    """The file it depends on, or a service's folder when no one file of it is
    (an HTTP call that resolves to the service but matches none of its routes)."""
    kind: str
    """`imports`, `http` or `events`."""
    what: str
    """What it is about: the module imported, the topic or model, the route."""
    unit: str
    """What is counted once per edge: an import statement (`path:line`), a
    message (its name), a call (`path:line`)."""


EdgeSource = Callable[[ProjectIndex], Iterable[Link]]


@dataclass(frozen=True, order=True)
class Node:
    id: str
    """The service's name, or the package's dotted name (its path where that
    is a service's name too)."""
    kind: str
    """`service`, `shared-models` or `library`."""
    path: str
    """The folder (or module file), relative to the project root."""


@dataclass(frozen=True)
class Dependency:
    """The dependencies of one kind along an edge."""

    kind: str
    count: int
    via: tuple[str, ...]
    """What they are about, sorted: the modules imported, the topics and models."""


@dataclass
class Edge:
    source: str
    target: str
    dependencies: dict[str, Dependency] = field(default_factory=dict)
    """Kind -> the dependencies of that kind (only kinds that occur)."""
    violations: dict[str, int] = field(default_factory=dict)
    """Code -> how many findings, sorted by code."""
    names: dict[str, str] = field(default_factory=dict)
    """Code -> the rule's name."""

    def ordered(self) -> list[Dependency]:
        return [self.dependencies[k] for k in KINDS if k in self.dependencies]


@dataclass
class Graph:
    nodes: list[Node]
    edges: list[Edge]

    def violations_only(self) -> Graph:
        """Only the edges that carry violations, and the nodes they join."""
        edges = [e for e in self.edges if e.violations]
        joined = {e.source for e in edges} | {e.target for e in edges}
        return Graph([n for n in self.nodes if n.id in joined], edges)


# --- edge sources ----------------------------------------------------------------


def import_links(index: ProjectIndex) -> Iterator[Link]:
    """Every import statement of the project, to each file it reaches."""
    modules = index.modules
    for path in sorted(index.facts):
        for stmt in index.facts[path].imports:
            unit = f"{path}:{stmt.line}"
            for target in modules.targets(path, stmt):
                if target.defining != path:
                    yield Link(path, target.defining, IMPORTS, target.module, unit)


def event_links(index: ProjectIndex) -> Iterator[Link]:
    """Every message, from each file that publishes it to each that reads it."""
    flow = index.messages
    for message, senders in flow.senders.items():
        for reader in sorted(flow.readers.get(message, ())):
            for sender in sorted(senders):
                yield Link(sender, reader, EVENTS, message.label, f"{message.kind}:{message.name}")


def http_links(index: ProjectIndex) -> Iterator[Link]:
    """Every call the HTTP map resolves to a service, from the calling file to
    the handler of the route it matches, or to the service's folder when it
    matches none. A call whose URL the map resolves to no service is no link."""
    folders = {s.name: s.path for s in index.layout.services.values()}
    for path, call in index.http.all_calls():
        if call.service is None or call.service not in folders:
            continue
        unit = f"{path}:{call.line}:{call.col}"
        route = call.route
        if route is not None:
            yield Link(path, route.path, HTTP, f"{route.method} {route.shown}", unit)
        else:
            what = f"{call.method} {call.template}".lstrip()  # a method unknown: ""
            yield Link(path, folders[call.service], HTTP, what, unit)


EDGE_SOURCES: tuple[EdgeSource, ...] = (import_links, http_links, event_links)
"""The edge sources of `arch-lint graph`."""


# --- nodes -----------------------------------------------------------------------


class _Places:
    """Which node a file belongs to."""

    def __init__(self, index: ProjectIndex) -> None:
        layout = index.layout
        self.layout = layout
        self.services = {s.name: s for s in layout.services.values()}
        self.shared: list[tuple[str, Node]] = []
        for folder in layout.shared_dirs:
            module = layout.module_of(f"{folder}.py") if folder + ".py" in index.facts else None
            module = module or layout.module_of(f"{folder}/__init__.py") or folder
            self.shared.append((folder, Node(self._free(module, folder), SHARED_MODELS, folder)))
        self._libraries = self._library_table(index)

    def _free(self, name: str, path: str) -> str:
        return path if name in self.services else name

    def _library_table(self, index: ProjectIndex) -> dict[str, Node]:
        """File -> its library node, for every file outside services and shared models."""
        layout = self.layout
        outside: dict[str, tuple[str, ...]] = {}
        contents: dict[tuple[str, ...], set[str]] = {}
        packages: set[tuple[str, ...]] = set()
        for path in index.facts:
            if not path.endswith(".py") or layout.service_of(path) is not None:
                continue
            if layout.is_shared_model(path) or layout.is_excluded(path):
                continue
            module = layout.module_of(path)
            if module is None:
                continue
            parts = tuple(module.split("."))
            outside[path] = parts
            package = path.endswith("/__init__.py")
            for depth in range(1, len(parts)):
                contents.setdefault(parts[:depth], set()).add(parts[depth])
                if depth < len(parts) - 1 or package:
                    packages.add(parts[: depth + 1])
        out: dict[str, Node] = {}
        for path, parts in outside.items():
            name = parts[:1]
            while len(contents.get(name, ())) == 1:
                only = (*name, next(iter(contents[name])))
                if only not in packages:
                    break
                name = only  # a folder that holds nothing but one package stands for it
            root = layout.root_of(path)
            folder = "/".join([*([root] if root else []), *name])
            if f"{folder}.py" in index.facts:
                folder += ".py"
            dotted = ".".join(name)
            out[path] = Node(self._free(dotted, folder), LIBRARY, folder)
        return out

    def node_of(self, path: str) -> Node | None:
        """The node of a file (or of a service's folder)."""
        service = self.layout.services.get(path) or self.layout.service_of(path)
        if service is not None:
            return Node(service.name, SERVICE, service.path)
        for folder, node in self.shared:
            if self.layout.in_shared_dir(path, folder):
                return node
        return self._libraries.get(path)


# --- the graph -------------------------------------------------------------------


def build_graph(
    index: ProjectIndex,
    findings: Sequence[Finding],
    sources: Sequence[EdgeSource] = EDGE_SOURCES,
) -> Graph:
    """The project's graph: its nodes, the links of every edge source between
    them, and the findings on the edges."""
    layout = index.layout
    places = _Places(index)
    found: list[tuple[Node, Node, Link]] = []
    for source in sources:
        for link in source(index):
            if layout.is_excluded(link.source) or layout.is_excluded(link.target):
                continue
            one, other = places.node_of(link.source), places.node_of(link.target)
            if one is not None and other is not None and one != other:
                found.append((one, other, link))
    nodes = _reached(places, found)
    grouped: dict[tuple[str, str], dict[str, list[Link]]] = {}
    for one, other, link in found:
        if one.id in nodes and other.id in nodes:
            kinds = grouped.setdefault((one.id, other.id), {})
            kinds.setdefault(link.kind, []).append(link)
    edges: dict[tuple[str, str], Edge] = {}
    for (one_id, other_id), kinds in grouped.items():
        edge = edges[(one_id, other_id)] = Edge(one_id, other_id)
        for kind, links in kinds.items():
            units = {link.unit for link in links}
            via = tuple(sorted({link.what for link in links}))
            edge.dependencies[kind] = Dependency(kind, len(units), via)
    counts: Counter[tuple[str, str, str]] = Counter()
    names: dict[str, str] = {}
    for finding in findings:
        own = finding.service
        if own is None or own not in nodes:
            continue
        ends = [(own, peer) for peer in finding.peers]
        ends += [(dependent, own) for dependent in finding.dependents]
        for one_id, other_id in ends:
            if one_id != other_id and one_id in nodes and other_id in nodes:
                counts[(one_id, other_id, finding.code)] += 1
                names[finding.code] = finding.name
    for (one_id, other_id, code), count in sorted(counts.items()):
        edge = edges.setdefault((one_id, other_id), Edge(one_id, other_id))
        edge.violations[code] = count
        edge.names[code] = names[code]
    order = {kind: i for i, kind in enumerate(NODE_KINDS)}
    ordered = sorted(nodes.values(), key=lambda n: (order[n.kind], n.id))
    return Graph(ordered, [edges[k] for k in sorted(edges)])


def _reached(places: _Places, found: list[tuple[Node, Node, Link]]) -> dict[str, Node]:
    """Every service and shared-models package, and the libraries they depend
    on (through other libraries too)."""
    nodes = {n.id: n for n in (Node(s.name, SERVICE, s.path) for s in places.services.values())}
    nodes.update((node.id, node) for _, node in places.shared)
    targets: dict[str, set[Node]] = {}
    for one, other, _ in found:
        targets.setdefault(one.id, set()).add(other)
    todo = list(nodes)
    while todo:
        for node in sorted(targets.get(todo.pop(), ())):
            if node.id not in nodes:
                nodes[node.id] = node
                todo.append(node.id)
    return nodes
