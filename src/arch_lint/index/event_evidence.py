"""What the project shows a model to be: an event payload, or something that
only looks like one (ARC202).

Read from every file's facts (the envelope payloads, the model uses of
`uses.py`, the classes and their fields) with the model index (what a name
refers to) and the data-layer index (which attributes are JSON columns).

An event payload, by evidence (the verdict names the first that holds):
- the data of the envelope anywhere (`EventEnvelope[X]`, `EventEnvelope(data=X(...))`);
- a subclass of an event base of the shared models;
- published on a message broker: passed to a call whose receiver the project
  shows to reach a broker (a broker client's own sending method, a project
  wrapper whose method reaches one: the broker evidence ARC206 uses,
  `broker_evidence.py`); where the project shows the receiver to send nothing
  (an in-process event bus, a cache's method) it is no evidence; where the
  receiver is not known (an unannotated parameter), a call that
  `publish-calls` names or a broker client's own sending method (`produce`,
  `basic_publish`, `send_message`, `xadd`, ...) in a file that imports a
  broker client library (Kafka, RabbitMQ, NATS, Redis, SQS/SNS, Google
  Pub/Sub, ...) or a module of the project that does (a wrapper of one); or
  returned by a function decorated `@broker.publisher(...)` (the libraries and
  methods: `brokers.py`, shared with ARC206);
- consumed: the annotation of a parameter of a subscriber (`@broker.subscriber(...)`);
- for a model named like an event only: validated in a file that imports a
  broker client library (Redis and the AWS SDK excepted: there it is as often
  a cache or a bucket), or used as nothing else.

Used as something else, which a name alone does not outweigh:
- stored: the type of an ORM row's field (`Mapped[X]`, a SQLModel table's
  field), named in a column declaration (`Column(PydanticType(X))`) or a
  `TypeDecorator`, validated from or dumped into an attribute that is a JSON
  column of a table of the service (`X.model_validate(row.payload)`,
  `row.payload = x.model_dump()`), in the signature of a repository's method, or
  handed to a row's constructor (`Journal(event_data=PayloadBox(payload=x))`);
- a wrapper of any event (an outbox, dead-letter, inbox, event-store or journal
  row): a field typed with the envelope; a generic payload field (`payload`,
  `data`, `original_event`, ... typed `dict`, `Any`, `BaseModel` or `Json`;
  `payload`-like ones also `str` or `bytes`) beside a routing or event-type
  field (`topic`, `failed_topic`, `event_type`, `routing_key`, ...) or in a class
  whose name says so (`Outbox`, `Inbox`, `DeadLetter`, `Dlq`, `Stored`,
  `Journal`, `Record`); a field typed with an event beside a routing field, or
  in such a class;
- one chunk of an HTTP stream: yielded by a generator of a file that streams
  responses (server-sent events, `StreamingResponse`), or sent on a websocket;
- an item of an API: named in `response_model=`, a route's return annotation or
  a value a route returns;
- a part of a model that is no event: a field of it, or handed to its
  constructor as a payload-like keyword (a response model, an export record,
  `PayloadContainer(payload=x)`). A part of an event, of the envelope or of a
  message wrapper (it names a topic, or is an outbox or dead-letter class) is
  on its way to a broker: that is no other use;
- a variant of a project base named like an event that is used as something
  else (`class RatingPayload(TaskPayload)`).

Each answer depends only on the model asked about (a class met again while
deciding, or more than a few steps away, counts as no event), never on the
order of the questions: a warm run gives the findings of a cold one.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from fnmatch import fnmatchcase
from functools import cached_property

from arch_lint.index.broker_evidence import BrokerEvidence
from arch_lint.index.brokers import (
    BROKER_METHODS,
    NAME,
    NOT_ONLY_BROKERS,
    library_of,
)
from arch_lint.index.data_index import DataIndex
from arch_lint.index.facts import FROM, IMPORT, FileFacts
from arch_lint.index.layout import Layout
from arch_lint.index.model_index import ClassRef, ModelIndex
from arch_lint.index.models import ClassFacts
from arch_lint.index.uses import (
    COLUMN,
    PARSE,
    PUBLISH,
    REPOSITORY,
    RESPONSE,
    ROW,
    STREAM,
    SUBSCRIBE,
    WRAP,
)

_PAYLOAD_FIELDS = frozenset(
    {"payload", "data", "event", "event_data", "event_payload", "body", "message", "content",
     "value", "raw", "raw_payload", "record", "serialized", "serialized_event"}
)  # fmt: skip
_LOOSE_HEADS = frozenset(
    {"dict", "Dict", "Mapping", "MutableMapping", "Any", "object", "BaseModel", "Json",
     "JsonValue", "SerializeAsAny"}
)  # fmt: skip
_PAYLOAD_SUFFIXES = ("_payload", "_event", "_data", "_message", "_body", "_record")
_SERIALISED_FIELDS = frozenset({"payload", "event_data", "serialized", "serialized_event", "raw"})
"""Fields that hold a serialised event when typed `str` or `bytes`."""
_ROUTING_FIELDS = frozenset(
    {"topic", "topic_name", "event_type", "event_name", "routing_key", "channel", "queue",
     "queue_name", "stream", "stream_name", "subject", "exchange", "aggregate_type",
     "message_type", "payload_type", "event_class", "destination"}
)  # fmt: skip
_WRAPPER_NAME = re.compile(r"Outbox|Inbox|DeadLetter|Dlq|DLQ|Stored|Journal|Record(?![a-z])")
_MESSAGE_ROUTING = frozenset(
    {"topic", "topic_name", "routing_key", "channel", "queue", "queue_name", "stream",
     "stream_name", "subject", "exchange", "destination"}
)  # fmt: skip
"""Fields that say where a wrapped message goes (not merely what type it is)."""
_MESSAGE_NAME = re.compile(r"Outbox|DeadLetter|Dlq|DLQ")
_IDENT = re.compile(r"[A-Za-z_][\w.]*")
_MAX_DEPTH = 3

STORED = "stored"
WRAPPER = "wrapper"
STREAMED = "stream"
API = "api"
PART = "part"

# verdicts
PAYLOAD = "payload"
BASE = "base"
PUBLISHED = "published"
CONSUMED = "consumed"
CONSUMED_BY_NAME = "consumed_by_name"
NAMED = "named"


@dataclass(frozen=True, slots=True)
class Use:
    """One piece of evidence: what it shows, where (a file), and how."""

    kind: str
    path: str
    detail: str = ""


@dataclass(frozen=True, slots=True)
class Verdict:
    """Why a model is an event payload: the evidence's kind and its details."""

    kind: str
    """`payload`, `base`, `published`, `consumed`, `consumed_by_name` or `named`."""
    where: str = ""
    """The file that shows it (`payload`, `published`, `consumed*`)."""
    detail: str = ""
    """The envelope, the shared base, the call, the decorator or the library."""
    pattern: str | None = None
    """The `event-name-patterns` entry the name matches, if any."""


class EventEvidence:
    """The project's evidence about models: event payloads and look-alikes."""

    def __init__(
        self,
        layout: Layout,
        facts: Mapping[str, FileFacts],
        models: ModelIndex,
        data: DataIndex,
        brokers: BrokerEvidence,
    ) -> None:
        self.layout = layout
        self.facts = facts
        self.models = models
        self.data = data
        self.brokers = brokers
        cfg = layout.settings.model.models
        self._envelope = cfg.envelope_class
        self._patterns = list(cfg.event_name_patterns)
        self._publish_calls = list(cfg.publish_calls)
        self._verdicts: dict[ClassRef, Verdict | None] = {}

    # the answer ------------------------------------------------------------------------
    def verdict(self, path: str, qualname: str) -> Verdict | None:
        """Why the model is an event payload, or None when the project does not
        show it to be one (or shows it to be something else)."""
        ref = ClassRef(path, qualname)
        if ref not in self._verdicts:
            self._verdicts[ref] = self._verdict(ref, frozenset())
        return self._verdicts[ref]

    def _verdict(self, ref: ClassRef, guard: frozenset[ClassRef]) -> Verdict | None:
        """The verdict, asked while deciding about the classes in `guard` (a
        class met again, or too deep, is not an event: the answer depends on the
        class asked about alone, never on the order of questions)."""
        if ref in guard or len(guard) > _MAX_DEPTH:
            return None
        pattern = self._pattern(ref)
        payload = self._payload_files.get(ref)
        if payload is not None:
            return Verdict(PAYLOAD, payload, self._envelope, pattern)
        base = self.models.shared_event_base(ref.path, ref.qualname, self._patterns)
        if base is not None:
            return Verdict(BASE, "", base, pattern)
        used = self._used(ref, pattern)
        if used is not None or pattern is None:
            return used
        if self._look_alike(ref, guard | {ref}) is not None:
            return None
        return Verdict(NAMED, "", "", pattern)

    def use_verdict(self, path: str, qualname: str) -> Verdict | None:
        """Why the model is an event payload by its uses alone: the data of the
        envelope, published, consumed (`payload`, `published`, `consumed`,
        `consumed_by_name`), without the presumptions of a shared event base or
        a name, and shown by a file that is checked: what a test (an excluded
        file) does with a model shows what the test does, not what services
        exchange."""
        ref = ClassRef(path, qualname)
        pattern = self._pattern(ref)
        payload = self._payload_files.get(ref)
        if payload is not None and not self.layout.is_excluded(payload):
            return Verdict(PAYLOAD, payload, self._envelope, pattern)
        return self._used(ref, pattern, skip_excluded=True)

    def _pattern(self, ref: ClassRef) -> str | None:
        short = ref.qualname.rsplit(".", 1)[-1]
        return next((p for p in self._patterns if fnmatchcase(short, p)), None)

    def _used(
        self, ref: ClassRef, pattern: str | None, skip_excluded: bool = False
    ) -> Verdict | None:
        """Published or consumed (consumed by name: only a model named like an
        event); `skip_excluded`: not by the evidence of an excluded file."""
        direct = self._uses.get(ref, {})
        kinds = (PUBLISHED, CONSUMED, CONSUMED_BY_NAME) if pattern else (PUBLISHED, CONSUMED)
        for kind in kinds:
            use = direct.get(kind)
            if use is not None and not (skip_excluded and self.layout.is_excluded(use.path)):
                return Verdict(kind, use.path, use.detail, pattern)
        return None

    def _in_order(self) -> list[str]:
        """The files whose evidence is named first: the checked ones, then the
        excluded ones (tests), each by path."""
        excluded = self.layout.is_excluded
        return sorted(self.facts, key=lambda path: (excluded(path), path))

    # the envelope's data ---------------------------------------------------------------
    @cached_property
    def _payload_files(self) -> dict[ClassRef, str]:
        out: dict[ClassRef, str] = {}
        for path in self._in_order():
            for name in self.facts[path].payloads:
                ref = self.models.resolve_class(path, name)
                if isinstance(ref, ClassRef):
                    out.setdefault(ref, path)
        return out

    # uses ------------------------------------------------------------------------------
    @cached_property
    def _table(self) -> tuple[dict[ClassRef, dict[str, Use]], dict[ClassRef, list[Use]]]:
        """Model -> evidence kind -> the first use of that kind (the checked files
        first, then the excluded ones, each by path); and
        model -> the classes it is handed to (`wrap` uses, `detail`: the class)."""
        uses: dict[ClassRef, dict[str, Use]] = {}
        wraps: dict[ClassRef, list[Use]] = {}
        for path in self._in_order():
            facts = self.facts[path]
            for use in facts.model_uses:
                if use.kind == WRAP:
                    outer = self.models.resolve_class(path, use.detail)
                    if not isinstance(outer, ClassRef):
                        continue
                    found: Use | None = Use(WRAP, path, f"{outer.path}:{outer.qualname}")
                else:
                    found = self._judge(path, use.kind, use.detail)
                if found is None:
                    continue
                ref = self.models.resolve_class(path, use.name)
                if not isinstance(ref, ClassRef) or not self.models.is_model(*ref):
                    continue
                if found.kind == WRAP:
                    wraps.setdefault(ref, []).append(found)
                else:
                    uses.setdefault(ref, {}).setdefault(found.kind, found)
        return uses, wraps

    @property
    def _uses(self) -> dict[ClassRef, dict[str, Use]]:
        return self._table[0]

    def _judge(self, path: str, kind: str, detail: str) -> Use | None:
        """What one recorded use shows, or None when it shows nothing."""
        if kind == PUBLISH:
            return Use(PUBLISHED, path, detail) if self.sends(path, detail) else None
        if kind == SUBSCRIBE:
            return Use(CONSUMED, path, f"@{detail}")
        if kind in (PARSE, ROW):
            if detail and self._json_column(path, detail):
                return Use(STORED, path, f"`.{detail}`, a JSON column")
            if kind == PARSE:
                library = self._broker_library(path, consuming=True)
                if library is not None:
                    return Use(CONSUMED_BY_NAME, path, library)
            return None
        if kind == COLUMN:
            return Use(STORED, path, "a column's type")
        if kind == REPOSITORY:
            return Use(STORED, path, f"`{detail}`")
        if kind == STREAM:
            return Use(STREAMED, path)
        if kind == RESPONSE:
            return Use(API, path)
        return None

    def _json_column(self, path: str, attr: str) -> bool:
        service = self.layout.service_of(path)
        return service is not None and self.data.is_json_attribute_of_service(service.name, attr)

    # brokers ---------------------------------------------------------------------------
    def sends(self, path: str, callee: str) -> bool:
        """Whether a call (the callee as written) in the file publishes on a
        message broker: what the broker evidence says of its receiver where
        the project shows it; else a broker client's sending method or a
        `publish-calls` call, where the file reaches a broker client library."""
        shown = self._receiver_sends(path, callee)
        if shown is not None:
            return shown
        method = callee.rsplit(".", 1)[-1]
        named = method in BROKER_METHODS or any(fnmatchcase(callee, p) for p in self._publish_calls)
        return named and self._broker_reached(path)

    def _receiver_sends(self, path: str, callee: str) -> bool | None:
        """What the broker evidence says of a call `receiver.method` written in
        the file: the receivers the file's broker facts read for calls spelled
        so (any one that reaches a broker: sends; all shown to send nothing:
        does not), else a module-level name of the file; None where unknown
        (a parameter, a `@….publisher` decorator)."""
        receiver, _, method = callee.rpartition(".")
        facts = self.facts.get(path)
        if not receiver or facts is None or callee.startswith("@"):
            return None
        answers: set[bool | None] = set()
        if facts.brokers is not None:
            for entries in facts.brokers.sends.values():
                for kind, text, called, written, _ in entries:
                    if called == method and written == receiver:
                        answers.add(self.brokers.sends(path, (kind, text), method))
        if answers:
            if True in answers:
                return True
            return False if answers == {False} else None
        head = receiver.partition(".")[0]
        if head in ("self", "cls") or head not in facts.bindings:
            return None
        return self.brokers.sends(path, (NAME, receiver), method)

    def reaches_broker(self, path: str) -> bool:
        """Whether the file imports a broker client library, or a module of the
        project that does (a wrapper: one step)."""
        return self._broker_reached(path)

    def consumes_by_parsing(self, path: str) -> bool:
        """Whether a model validated in the file is read from a broker: the file
        imports a broker client library (not one as often a cache or a bucket)."""
        return self._broker_library(path, consuming=True) is not None

    def _broker_library(self, path: str, consuming: bool = False) -> str | None:
        """The broker client library the file imports at module level, if any."""
        facts = self.facts.get(path)
        if facts is None:
            return None
        for binding in facts.bindings.values():
            if binding.kind not in (IMPORT, FROM) or (binding.kind == FROM and binding.level):
                continue
            library = library_of(binding.module)
            if library is not None and not (consuming and library in NOT_ONLY_BROKERS):
                return library
        return None

    def _broker_reached(self, path: str) -> bool:
        """The file imports a broker client library, or a module of the project
        that does (a wrapper: one step)."""
        if self._broker_library(path) is not None:
            return True
        return any(self._broker_library(there) is not None for there in self._imported(path))

    def _imported(self, path: str) -> Iterator[str]:
        """The project files a file's imports reach (the module as written and the
        one that defines the name)."""
        facts = self.facts.get(path)
        if facts is None:
            return
        modules = self.models.modules
        for stmt in facts.imports:
            for target in modules.targets(path, stmt):
                yield from sorted({target.spelled, target.defining} - {path})

    # look-alikes -----------------------------------------------------------------------
    def _look_alike(self, ref: ClassRef, guard: frozenset[ClassRef]) -> Use | None:
        """The first use of the model as something other than an event payload."""
        direct = self._uses.get(ref, {})
        return (
            direct.get(STORED)
            or self._wrapper(ref.path, ref.qualname)
            or direct.get(STREAMED)
            or direct.get(API)
            or self._held(ref, guard)
            or self._contained(ref, guard)
            or self._inherited(ref, guard)
        )

    def _held(self, ref: ClassRef, guard: frozenset[ClassRef]) -> Use | None:
        """Handed to a row or to a model that is no event (`PayloadContainer(payload=p)`,
        `Journal(event_data=e)`). Handed to the envelope or to a message wrapper
        (an outbox or dead-letter row: it has a routing field) it is on its way
        to a broker: that is no other use."""
        for use in self._table[1].get(ref, ()):
            where, _, qualname = use.detail.partition(":")
            outer = ClassRef(where, qualname)
            if qualname.rsplit(".", 1)[-1] == self._envelope or self._routes(*outer):
                continue
            if self._is_row(outer):
                return Use(STORED, use.path, f"handed to the row `{qualname}`")
            if self.models.is_model(*outer) and self._verdict(outer, guard) is None:
                return Use(PART, use.path, f"handed to `{qualname}`")
        return None

    def _is_row(self, ref: ClassRef) -> bool:
        """An ORM or SQLModel table class."""
        if ref in self.models.orm_classes:
            return True
        facts = self.facts.get(ref.path)
        if facts is not None and any(t.owner == ref.qualname for t in facts.tables):
            return True
        cls = self.models.class_facts(*ref)
        return cls is not None and (
            cls.keywords.get("table") is True
            or any(f.annotation.startswith("Mapped[") for f in cls.fields)
        )

    def _routes(self, path: str, qualname: str) -> bool:
        """A message wrapper: a field that names where the message goes, or a
        name that says it waits to be sent (`Outbox`, `DeadLetter`)."""
        fields = self.models.all_fields(path, qualname)
        if any(_is_routing(name, _MESSAGE_ROUTING) for name in fields):
            return True
        return _MESSAGE_NAME.search(qualname.rsplit(".", 1)[-1]) is not None

    @cached_property
    def _mentions(self) -> dict[str, list[tuple[str, ClassFacts]]]:
        """Short class name -> the classes with a field whose type mentions it."""
        out: dict[str, list[tuple[str, ClassFacts]]] = {}
        for path in sorted(self.facts):
            for cls in self.facts[path].classes:
                seen: set[str] = set()
                for f in cls.fields:
                    for name in _IDENT.findall(f.annotation):
                        short = name.rsplit(".", 1)[-1]
                        if short[:1].isupper() and short not in seen:
                            seen.add(short)
                            out.setdefault(short, []).append((path, cls))
        return out

    def holders(self, path: str, qualname: str) -> list[ClassRef]:
        """The classes of the project with a field whose type names the class
        (`items: list[OrderLine]` holds `OrderLine`), by path."""
        ref = ClassRef(path, qualname)
        short = qualname.rsplit(".", 1)[-1]
        out: list[ClassRef] = []
        for where, cls in self._mentions.get(short, ()):
            outer = ClassRef(where, cls.name)
            if outer == ref or outer in out:
                continue
            names = {
                n
                for f in cls.fields
                for n in _IDENT.findall(f.annotation)
                if n.rsplit(".", 1)[-1] == short
            }
            if any(self.models.resolve_class(where, n) == ref for n in sorted(names)):
                out.append(outer)
        return out

    def _contained(self, ref: ClassRef, guard: frozenset[ClassRef]) -> Use | None:
        """A field of a row (`Mapped[X]`, a SQLModel table's field), or of a model
        that is no event (a response model, an export record, a stored model).
        A field of an event, or of a message wrapper (a dead-letter entry that
        names the failed message's topic), is no other use."""
        short = ref.qualname.rsplit(".", 1)[-1]
        for path, cls in self._mentions.get(short, ()):
            outer = ClassRef(path, cls.name)
            if outer == ref:
                continue
            for f in cls.fields:
                if short not in f.annotation:
                    continue
                names = [n for n in _IDENT.findall(f.annotation) if n.rsplit(".", 1)[-1] == short]
                if not any(self.models.resolve_class(path, n) == ref for n in names):
                    continue
                if f.annotation.startswith("Mapped[") or self._is_row(outer):
                    return Use(STORED, path, f"a field of the row `{cls.name}`")
                if (
                    self.models.is_model(*outer)
                    and not self._routes(*outer)
                    and self._verdict(outer, guard) is None
                ):
                    return Use(PART, path, f"a field of `{cls.name}`")
                break
        return None

    def _inherited(self, ref: ClassRef, guard: frozenset[ClassRef]) -> Use | None:
        """A variant of a project base named like an event that is something else
        (`class RatingPayload(TaskPayload)` where `TaskPayload` is stored). A base
        not named like an event (`Entity`, `BaseSchema`) passes nothing on."""
        for where, base in self.models.ancestors(*ref):
            outer = ClassRef(where, base.name)
            short = base.name.rsplit(".", 1)[-1]
            if outer in guard or self.layout.is_shared_model(where):
                continue
            if not any(fnmatchcase(short, p) for p in self._patterns):
                continue
            found = self._look_alike(outer, guard | {outer})
            if found is not None:
                return Use(found.kind, found.path, f"a variant of `{base.name}`: {found.detail}")
        return None

    # wrappers --------------------------------------------------------------------------
    def _wrapper(self, path: str, qualname: str) -> Use | None:
        """A row that wraps any event (an outbox, dead-letter, inbox, event-store
        or journal entry): a field typed with the envelope; a generic payload
        beside a routing or event-type field, or in a class whose name says it
        wraps; a field typed with an event beside a routing field, or in such a
        class (`DeadLetterEvent(failed_event: IngestionEvent, failed_topic: str)`)."""
        fields = self.models.all_fields(path, qualname)
        envelope = re.compile(rf"\b{re.escape(self._envelope)}\b")
        for name, f in fields.items():
            if envelope.search(f.annotation):
                return Use(WRAPPER, path, f"its field `{name}` holds an `{self._envelope}`")
        word = _WRAPPER_NAME.search(qualname.rsplit(".", 1)[-1])
        routing = next((n for n in fields if _is_routing(n, _ROUTING_FIELDS)), None)
        message = next((n for n in fields if _is_routing(n, _MESSAGE_ROUTING)), None)
        generic = next((n for n, f in fields.items() if _generic_payload(n, f.annotation)), None)
        if generic is not None:
            if routing is not None:
                return Use(WRAPPER, path, f"a generic `{generic}` beside `{routing}`")
            if word is not None:
                return Use(WRAPPER, path, f"a generic `{generic}` in a `{word.group()}` class")
        typed = next((n for n, f in fields.items() if self._names_event(f.annotation)), None)
        if typed is not None:
            if message is not None:
                return Use(WRAPPER, path, f"the event `{typed}` beside `{message}`")
            if word is not None:
                return Use(WRAPPER, path, f"the event `{typed}` in a `{word.group()}` class")
        return None

    def _names_event(self, annotation: str) -> bool:
        """Whether a type mentions a class named like an event."""
        return any(
            fnmatchcase(name.rsplit(".", 1)[-1], p)
            for name in _IDENT.findall(annotation)
            for p in self._patterns
        )


def _is_routing(name: str, fields: frozenset[str]) -> bool:
    """`topic`, and `failed_topic`, `source_stream`: a routing field."""
    return name in fields or any(name.endswith(f"_{field}") for field in fields)


def _generic_payload(name: str, annotation: str) -> bool:
    """A field that can hold any event: `payload: dict[str, Any]`, `data: Any`,
    `original_event: BaseModel`, `raw_payload: bytes` (None allowed)."""
    if name not in _PAYLOAD_FIELDS and not name.endswith(_PAYLOAD_SUFFIXES):
        return False
    serialised = name in _SERIALISED_FIELDS or name.endswith("_payload")
    text = annotation.replace(" ", "").replace("typing.", "").replace("pydantic.", "")
    for part in re.split(r"\||,(?![^\[]*\])", _strip_optional(text)):
        if part in ("None", ""):
            continue
        head = part.split("[", 1)[0]
        if head not in _LOOSE_HEADS and not (head in ("str", "bytes") and serialised):
            return False
    return True


def _strip_optional(text: str) -> str:
    for wrapper in ("Optional[", "Union["):
        if text.startswith(wrapper) and text.endswith("]"):
            return text[len(wrapper) : -1]
    return text
