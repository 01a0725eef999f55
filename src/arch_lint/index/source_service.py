"""What each service stamps as `source_service`, and which name it should
stamp (ARC211).

Read from every file's stamp facts (`stamps.py`) with the model index (is the
class called the envelope?) and the module graph (what a constant's name
refers to). Files excluded from checking (tests) neither stamp nor declare:
a test that builds another service's event must not vote for a name.

A stamp counts where the class called, or validated into, is the envelope
(`envelope-class`), a subclass of it, or an alias of either (`OrderEnvelope =
EventEnvelope[OrderPlaced]`), wherever imported from; or where the function
called is a factory that passes its `source_service` parameter on to one
(`create_event(source_service="orders", ...)`, `self._metadata(...)`). Its value is:
- a string literal, or a module constant bound to one (in the module, or
  imported from another module of the project, through re-exports, where its
  name says it may name something: the constants the facts keep, `stamps.py`);
- read from the settings: a service-name field (`SERVICE_NAME`,
  `service_name`) read from an object spelled as settings
  (`settings.SERVICE_NAME`, `self.settings.service_name`,
  `get_settings().SERVICE_NAME`), or a module constant bound to such a read or
  to an environment variable (`os.getenv("SERVICE_NAME", "orders")`): always
  consistent, since it is the settings' name;
- anything else (a parameter, an instance attribute, a call): not known, not
  judged, and no vote.

The canonical name of a service is the one its own settings declare: a
service-name field with a literal default (`SERVICE_NAME: str = "orders"`,
`Field(default="orders")`) in a settings class (`BaseSettings`, a dataclass, a
class named `*Settings` / `*Config`) named as the service's own settings are
(`Settings`, `AppConfig`, `ServiceSettings`, `OrdersSettings` in service
`orders`: nothing before the suffix but a generic word or the service's own
name), or a module constant `SERVICE_NAME` (a literal, or an environment
read's default) in a module named as settings or an entry point are
(`config.py`, `settings.py`, `constants.py`, `main.py`, `app.py`, the
package's `__init__.py`, anything under a `config/` folder). Not the service's
own name, and never canonical: the settings of a client of another service
(`PaymentsClientSettings`), of a library (`TracingConfig`, `KafkaSettings`),
a constant in any other module (`SERVICE_NAME = "payments"` in
`payments_client.py`), and any value that names another service of the
repository. Where the declarations of a service disagree, or there are none,
the name most of its known stamps use; on a tie there is no canonical name.

Each answer depends only on the facts, never on the order of questions.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property

from arch_lint.index.facts import FileFacts
from arch_lint.index.layout import Layout, Service
from arch_lint.index.model_index import ClassRef, ModelIndex
from arch_lint.index.models import Pos
from arch_lint.index.names import normal_service_name as normalise
from arch_lint.index.stamps import (
    CONST_LITERAL,
    CONST_SETTINGS,
    LITERAL,
    NAME,
    SETTINGS,
    is_service_name_field,
    settings_like_class,
)

SETTINGS_READ = None
"""A resolved stamp's value when it is read from the settings."""

# how a service's canonical name is known
BY_SETTINGS = "settings"
BY_MAJORITY = "majority"
TIE = "tie"


@dataclass(frozen=True, slots=True)
class Resolved:
    """A stamp of a service, its value followed."""

    path: str
    pos: Pos
    value: str | None
    """The string stamped, or None when it is read from the settings."""
    spelled: str
    """How the value is written (a literal's repr, a constant's or a settings
    read's expression)."""


@dataclass(slots=True)
class ServiceStamps:
    """What one service stamps, and the name it should."""

    service: Service
    stamps: list[Resolved] = field(default_factory=list)
    declared: dict[str, list[str]] = field(default_factory=dict)
    """Each name the service's settings declare -> where (`config.py`:
    `Settings.SERVICE_NAME`)."""
    canonical: str | None = None
    how: str | None = None
    """`settings`, `majority`, `tie`, or None (nothing known to compare with)."""

    def counts(self) -> Counter[str]:
        return Counter(s.value for s in self.stamps if s.value is not None)


class SourceServices:
    """The project's `source_service` stamps, by service."""

    def __init__(self, layout: Layout, facts: Mapping[str, FileFacts], models: ModelIndex) -> None:
        self.layout = layout
        self.facts = facts
        self.models = models
        self._envelope = layout.settings.model.models.envelope_class
        self._callees: dict[tuple[str, str], bool] = {}

    # the answers -----------------------------------------------------------------------
    def stamps_of(self, path: str) -> list[Resolved]:
        """The file's stamps on the envelope, their values followed."""
        facts = self.facts.get(path)
        if facts is None or facts.stamping is None:
            return []
        out = []
        for stamp in facts.stamping.stamps:
            if not self.is_envelope(path, stamp.callee):
                continue
            known, value = self._value(path, stamp.kind, stamp.value)
            if not known:
                continue
            spelled = repr_name(stamp.value) if stamp.kind == LITERAL else stamp.value
            out.append(Resolved(path, stamp.pos, value, spelled))
        return out

    def service(self, name: str) -> ServiceStamps | None:
        return self._services.get(name)

    def names_other_service(self, own: Service, value: str) -> Service | None:
        """The other service of the repository a stamped value names, if any
        (never when it names `own` too)."""
        key = normalise(value)
        if key == normalise(own.name) or key == normalise(own.path.rsplit("/", 1)[-1]):
            return None
        for other in sorted(self.layout.services.values(), key=lambda s: s.path):
            if other.path == own.path:
                continue
            if key in (normalise(other.name), normalise(other.path.rsplit("/", 1)[-1])):
                return other
        return None

    # envelopes -------------------------------------------------------------------------
    def is_envelope(self, path: str, callee: str) -> bool:
        """Whether the class called in `path` as `callee` is the envelope, a
        subclass of it, or an alias of either."""
        key = (path, callee)
        known = self._callees.get(key)
        if known is None:
            known = self._is_envelope(path, callee, 0)
            self._callees[key] = known
        return known

    def _is_envelope(self, path: str, callee: str, depth: int) -> bool:
        envelope = self._envelope
        if not envelope or depth > 3:
            return False
        forwarded = self._forwarded(path, callee)
        if forwarded:
            return any(self._is_envelope(where, to, depth + 1) for where, to in forwarded)
        target = self.models.resolve_class(path, callee)
        if isinstance(target, ClassRef):
            chain = [target.qualname, *(c.name for _, c in self.models.ancestors(*target))]
            if any(name.rsplit(".", 1)[-1] == envelope for name in chain):
                return True
            for ref in [target, *(ClassRef(w, c.name) for w, c in self.models.ancestors(*target))]:
                for base in self.models.bases(*ref):
                    if isinstance(base, str) and base.rsplit(".", 1)[-1] == envelope:
                        return True
            return False
        if isinstance(target, str):
            return target.rsplit(".", 1)[-1] == envelope
        alias = self._alias(path, callee)
        if alias is not None:
            where, written = alias
            return self._is_envelope(where, written, depth + 1)
        # imported where the module-level names do not show it (in a function)
        return callee.rsplit(".", 1)[-1] == envelope

    def _forwarded(self, path: str, callee: str) -> list[tuple[str, str]]:
        """Where a factory called as `callee` in `path` passes its
        `source_service` parameter on: (its file, the class it calls there).
        `create_event` (defined here or imported), `events.create_event`,
        `self._metadata` (a method of a class of this file)."""
        head, _, rest = callee.partition(".")
        if head in ("self", "cls"):
            if not rest or "." in rest:
                return []
            facts = self.facts.get(path)
            stamping = facts.stamping if facts is not None else None
            if stamping is None:
                return []
            return [(path, to) for name, to in stamping.forwarders if name.endswith(f".{rest}")]
        modules = self.models.modules
        found = modules.resolve_name(path, head)
        if found is None:
            return []
        where, name = found
        if rest:
            if name is not None or "." in rest:
                return []  # `obj.method`: not followed
            found = modules.resolve_name(where, rest)
            if found is None or found[1] is None:
                return []
            where, name = found
        if name is None:
            return []
        facts = self.facts.get(where)
        stamping = facts.stamping if facts is not None else None
        if stamping is None:
            return []
        return [(where, to) for qualname, to in stamping.forwarders if qualname == name]

    def _alias(self, path: str, callee: str) -> tuple[str, str] | None:
        """`OrderEnvelope = EventEnvelope[OrderPlaced]` (here or imported): the
        file and the class the alias names."""
        if "." in callee:
            return None
        found = self.models.modules.resolve_name(path, callee)
        if found is None or found[1] is None:
            return None
        where, name = found
        facts = self.facts.get(where)
        if facts is None or name not in facts.type_aliases:
            return None
        head = facts.type_aliases[name].split("[", 1)[0].strip()
        return (where, head) if head and head != name else None

    # values ----------------------------------------------------------------------------
    def _value(self, path: str, kind: str, written: str) -> tuple[bool, str | None]:
        """Whether a stamp's value is known, and the string it is (None: read
        from the settings)."""
        if kind == LITERAL:
            return True, written
        if kind == SETTINGS:
            return True, SETTINGS_READ
        if kind != NAME:
            return False, None
        constant = self.constant(path, written)
        if constant is None:
            return False, None
        value, how = constant
        return True, value if how == CONST_LITERAL else SETTINGS_READ

    def constant(self, path: str, written: str) -> tuple[str, str] | None:
        """(value, how bound) of the module constant `written` (`SERVICE`,
        `constants.SERVICE`) refers to in `path`, followed through imports."""
        head, _, rest = written.partition(".")
        found = self.models.modules.resolve_name(path, head)
        if found is None:
            return None
        where, name = found
        if name is None:  # a module: `constants.SERVICE`
            if not rest or "." in rest:
                return None
            name = rest
            found = self.models.modules.resolve_name(where, name)
            if found is None or found[1] is None:
                return None
            where, name = found
        elif rest:
            return None
        if name is None:
            return None
        facts = self.facts.get(where)
        if facts is None or facts.stamping is None:
            return None
        return facts.stamping.constants.get(name)

    # services --------------------------------------------------------------------------
    @cached_property
    def _services(self) -> dict[str, ServiceStamps]:
        out: dict[str, ServiceStamps] = {}
        for path in sorted(self.facts):
            facts = self.facts[path]
            if facts.stamping is None or self.layout.is_excluded(path):
                continue
            service = self.layout.service_of(path)
            if service is None:
                continue
            entry = out.get(service.name)
            if entry is None:
                entry = out[service.name] = ServiceStamps(service)
            entry.stamps.extend(self.stamps_of(path))
            for value, where in self._declarations(path, service):
                entry.declared.setdefault(value, []).append(where)
        for entry in out.values():
            _decide(entry)
        return out

    def _declarations(self, path: str, service: Service) -> list[tuple[str, str]]:
        """(name, where) of each service name the service's own settings
        declare in the file (see the module's documentation)."""
        facts = self.facts[path]
        stamping = facts.stamping
        if stamping is None:
            return []
        rel = self._relative(path)
        out = []
        for decl in stamping.declarations:
            settings = (
                decl.dataclass
                or settings_like_class(decl.owner)
                or self.models.model_kind(path, decl.owner) == "settings"
            )
            if settings and _own_settings_class(decl.owner, service):
                out.append((decl.value, f"`{decl.owner}.{decl.name}` in {rel}"))
        if _settings_module(rel):
            for name, (value, how) in sorted(stamping.constants.items()):
                if is_service_name_field(name) and how != CONST_SETTINGS and value:
                    out.append((value, f"`{name}` in {rel}"))
        return [(v, w) for v, w in out if self.names_other_service(service, v) is None]

    def _relative(self, path: str) -> str:
        service = self.layout.service_of(path)
        if service is not None and path.startswith(service.path + "/"):
            return path[len(service.path) + 1 :]
        return path

    def relative(self, path: str) -> str:
        """A file's path within its service (as messages name it)."""
        return self._relative(path)


_SETTINGS_SUFFIX = re.compile(r"(?:Settings|Config|Configuration|Conf|Cfg)$")
_GENERIC_PREFIXES = frozenset(
    {"", "app", "application", "service", "base", "main", "core", "global", "project",
     "common", "default", "env", "environment", "runtime", "server", "api", "web"}
)  # fmt: skip
"""What may stand before `Settings`/`Config` in the name of a service's own
settings class (`AppSettings`, `BaseConfig`), besides the service's name."""
_SETTINGS_MODULES = frozenset(
    {"config", "configs", "configuration", "settings", "conf", "constants", "consts", "const",
     "main", "app", "application", "server", "__init__", "__main__"}
)  # fmt: skip
"""Modules where a constant `SERVICE_NAME` is the service's own name."""
_SETTINGS_FOLDERS = frozenset({"config", "configs", "configuration", "settings", "conf"})


def _own_settings_class(qualname: str, service: Service) -> bool:
    """A class named as the service's own settings: a settings suffix, and
    before it nothing but a generic word or the service's own name, maybe with
    `Service` (`Settings`, `AppConfig`, `ServiceSettings`, `OrdersSettings`,
    `OrderServiceConfig`); not `PaymentsClientSettings` nor `TracingConfig`."""
    own = {_singular(normalise(service.name)), _singular(normalise(service.path.rsplit("/")[-1]))}
    for part in qualname.split("."):
        match = _SETTINGS_SUFFIX.search(part)
        if match is None:
            continue
        prefix = part[: match.start()]
        if prefix.endswith("Service"):
            prefix = prefix[: -len("Service")]
        if prefix.lower() in _GENERIC_PREFIXES or _singular(normalise(_snake(prefix))) in own:
            return True
    return False


def _settings_module(rel: str) -> bool:
    """A module of the service named as settings or an entry point are (see
    `_SETTINGS_MODULES`), or one under a `config/` folder."""
    parts = rel.split("/")
    stem = parts[-1].rsplit(".", 1)[0]
    return stem in _SETTINGS_MODULES or any(p in _SETTINGS_FOLDERS for p in parts[:-1])


def _snake(name: str) -> str:
    """`OrderProcessing` -> `order_processing`."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name)


def _singular(name: str) -> str:
    """`orders` -> `order` (a service's name is spelled either way in class names)."""
    return name[:-1] if name.endswith("s") and len(name) > 3 else name


def _decide(entry: ServiceStamps) -> None:
    """The canonical name: the settings' one where they declare one name, else
    the one most known stamps use (none on a tie)."""
    if len(entry.declared) == 1:
        entry.canonical = next(iter(entry.declared))
        entry.how = BY_SETTINGS
        return
    counts = entry.counts()
    if not counts:
        return
    ranked = counts.most_common()
    if len(ranked) > 1 and ranked[0][1] == ranked[1][1]:
        entry.how = TIE
        return
    entry.canonical = ranked[0][0]
    entry.how = BY_MAJORITY


def repr_name(value: str) -> str:
    """A stamped string as messages show it: `"orders"`."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
