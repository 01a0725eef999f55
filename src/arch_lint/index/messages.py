"""The messages between the parts of a project: which files publish a topic or
an event model on a message broker, and which read it (the event edges of
`arch-lint graph`).

Read from every file's facts (`uses.TopicUse`, `uses.ModelUse`) with the event
evidence (whether a call reaches a broker) and the model index (what a class
name refers to). A message is a topic named by a literal string (or a name
bound to one), or a Pydantic model of the project.

Sent, by evidence:
- a topic: where a sending call that reaches a broker sends
  (`EventEvidence.sends`: a receiver the broker evidence shows to reach one,
  never one it shows to send nothing, an in-process event bus; where the
  receiver is not known, a broker client's own sending method or a
  `publish-calls` call, in a file that imports a broker client library or a
  wrapper of one), or named by a `@….publisher("topic")` decorator;
- a model: a value of it passed to such a call, or returned by a
  `@….publisher` function.

Read, by evidence:
- a topic subscribed to (`consumer.subscribe(["orders"])`, a consumer's
  constructor, `@….subscriber("orders")`) in a file that reaches a broker;
- a model: the annotation of a parameter of a `@….subscriber` function.

Read, by weaker evidence, counted only where the reader's service sends no such
message itself (a service's own helper that takes what it publishes reads
nothing from another):
- a topic declared (`channel.declare_queue("mails")`): consumers declare their
  queues, and so do some producers;
- a model: the data of the envelope a parameter is annotated with
  (`envelope: EventEnvelope[OrderPlacedV1]`), or validated in a file that
  imports a broker client library.

Not read: a topic built at run time (an f-string, a setting), a subscription
to another process's in-memory bus (no broker reached).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property

from arch_lint.index.event_evidence import EventEvidence
from arch_lint.index.facts import FileFacts
from arch_lint.index.layout import Layout
from arch_lint.index.model_index import ClassRef, ModelIndex
from arch_lint.index.uses import DECLARE, PARSE, PUBLISH, RECEIVE, SUBSCRIBE

TOPIC = "topic"
MODEL = "model"


@dataclass(frozen=True, order=True, slots=True)
class Message:
    """A kind of message: a topic, or an event model."""

    kind: str
    """`topic` or `model`."""
    name: str
    """The topic; the model as `module.Class`."""

    @property
    def label(self) -> str:
        """How a picture names it: the topic, or the model's class name."""
        return self.name if self.kind == TOPIC else self.name.rsplit(".", 1)[-1]


class MessageFlow:
    """Who sends and who reads each message, by file."""

    def __init__(
        self,
        layout: Layout,
        facts: Mapping[str, FileFacts],
        models: ModelIndex,
        events: EventEvidence,
    ) -> None:
        self.layout = layout
        self.facts = facts
        self.models = models
        self.events = events

    @property
    def senders(self) -> Mapping[Message, frozenset[str]]:
        """Message -> the files that publish it."""
        return self._flow[0]

    @property
    def readers(self) -> Mapping[Message, frozenset[str]]:
        """Message -> the files that read it."""
        return self._flow[1]

    @cached_property
    def _flow(self) -> tuple[dict[Message, frozenset[str]], dict[Message, frozenset[str]]]:
        sent: dict[Message, set[str]] = {}
        read: dict[Message, set[str]] = {}
        weak: dict[Message, set[str]] = {}
        for path in sorted(self.facts):
            facts = self.facts[path]
            if facts.topics and self.events.reaches_broker(path):
                for topic in facts.topics:
                    message = Message(TOPIC, topic.topic)
                    if topic.kind == PUBLISH:
                        if self.events.sends(path, topic.detail):
                            sent.setdefault(message, set()).add(path)
                    elif topic.kind == SUBSCRIBE:
                        read.setdefault(message, set()).add(path)
                    elif topic.kind == DECLARE:
                        weak.setdefault(message, set()).add(path)
            for use in facts.model_uses:
                if use.kind == PUBLISH:
                    if not self.events.sends(path, use.detail):
                        continue
                    table = sent
                elif use.kind == SUBSCRIBE:
                    table = read
                elif use.kind == RECEIVE or (
                    use.kind == PARSE and self.events.consumes_by_parsing(path)
                ):
                    table = weak
                else:
                    continue
                model = self._model(path, use.name)
                if model is not None:
                    table.setdefault(model, set()).add(path)
        for message, paths in weak.items():
            senders = {self._owner(p) for p in sent.get(message, ())}
            kept = {p for p in paths if self._owner(p) not in senders}
            if kept:
                read.setdefault(message, set()).update(kept)
        return (
            {m: frozenset(p) for m, p in sorted(sent.items())},
            {m: frozenset(p) for m, p in sorted(read.items())},
        )

    def _model(self, path: str, name: str) -> Message | None:
        ref = self.models.resolve_class(path, name)
        if not isinstance(ref, ClassRef) or not self.models.is_model(*ref):
            return None
        module = self.layout.module_of(ref.path) or ref.path
        return Message(MODEL, f"{module}.{ref.qualname}")

    def _owner(self, path: str) -> str:
        """The service of a file (the file itself outside services)."""
        service = self.layout.service_of(path)
        return f"service:{service.name}" if service is not None else path
