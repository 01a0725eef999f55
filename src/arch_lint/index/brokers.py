"""Message brokers: the client libraries, their sending methods, and what one
file shows a value to be as far as brokers go (ARC202's and ARC206's evidence).

One table serves both rules: `BROKER_LIBRARIES` (a dotted prefix of an
imported module -> the broker it talks to) and `SENDING_METHODS` (the broker
-> its clients' own sending methods).

What a value is, read with the file's semantic model (`BrokerReader`), as a
`Ref` (kind, text) that the project index finishes where it names another
file (`broker_evidence.py`):
- `client`: a broker client, by evidence in this file: made by a call into a
  broker library (`AIOKafkaProducer(...)`, `aio_pika.connect_robust(...)`,
  `redis.asyncio.from_url(...)`, `boto3.client("sqs")`), annotated with a
  broker library's class (`producer: AIOKafkaProducer`, `Optional[...]`,
  `Annotated[..., Depends(...)]`), or derived from one (`await
  connection.channel()`, `channel.default_exchange`, `nc.jetstream()`);
  text: `broker|origin|noun` (`Kafka|aiokafka.AIOKafkaProducer|producer`);
- `instance`: an instance of a class named at module level (`EventPublisher()`,
  a parameter annotated `EventPublisher`): text: the class as written;
- `returns`: what a function named at module level returns (`get_redis()`);
- `name`: a module-level name bound by an import (or a dotted name under
  one: `events.publisher`), for the index to follow;
- `self`: the instance of the enclosing class (text: its qualified name);
- `unseen`: in a `sends` entry only, a receiver this file does not show (an
  unannotated parameter): the call may send, on what is not known.

A local name is what its last binding before the use holds; `self.x` is what
the method's own last assignment of it before the use holds, where it has one
(`self.producer = FakeOutbox()` then `self.producer.send(...)`: the stub), else
what any method of the class assigns to it (`__init__` or a `start()`; an
annotation `self.x: AIOKafkaProducer | None = None` counts, `None` says
nothing); `async with AIOKafkaProducer(...) as producer` binds the client.

Per file, `read_brokers` records (facts, for other files' findings): which
module-level functions and methods of module-level classes send on what
(`sends`: the receiver's `Ref` and the method called: a call whose method name
says it sends, and the calls of the same class's methods or the module's
functions that lead to one), what module-level functions return (`returns`),
and what module-level names hold (`names`).
"""

from __future__ import annotations

import ast
import re
from bisect import bisect_left
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from arch_lint.index.broker_messages import SERIALISERS, Passes, passes, signature
from arch_lint.index.broker_messages import client_slot as client_slot
from arch_lint.index.broker_messages import message_arguments as message_arguments
from arch_lint.index.models import dotted, unquote
from arch_lint.index.semantic import (
    ASSIGN,
    CLASS,
    DEF,
    IMPORT,
    UNKNOWN,
    Binding,
    Scope,
    SemanticModel,
    is_dict,
    is_empty_dict,
)
from arch_lint.index.walk import header_nodes, marker_places, place_lines, push_children
from arch_lint.source import spelled_as_is

BROKER_LIBRARIES: dict[str, str] = {
    "aiokafka": "Kafka", "kafka": "Kafka", "confluent_kafka": "Kafka",
    "aio_pika": "RabbitMQ", "pika": "RabbitMQ", "aiormq": "RabbitMQ", "kombu": "RabbitMQ",
    "nats": "NATS", "faststream": "FastStream", "redis": "Redis", "aioredis": "Redis",
    "boto3": "AWS", "aioboto3": "AWS", "aiobotocore": "AWS", "pulsar": "Pulsar",
    "google.cloud.pubsub": "Google Pub/Sub", "google.cloud.pubsub_v1": "Google Pub/Sub",
    "azure.servicebus": "Azure Service Bus", "azure.eventhub": "Azure Event Hubs",
    "paho.mqtt": "MQTT", "aiomqtt": "MQTT", "gmqtt": "MQTT",
}  # fmt: skip
"""Message-broker client libraries (a dotted prefix of the imported module) and
the broker each talks to."""

SENDING_METHODS: dict[str, frozenset[str]] = {
    "Kafka": frozenset({"send", "send_and_wait", "send_batch", "produce"}),
    "RabbitMQ": frozenset({"publish", "basic_publish"}),
    "NATS": frozenset({"publish"}),
    "FastStream": frozenset({"publish"}),
    "Redis": frozenset({"publish", "spublish", "xadd"}),
    "SQS": frozenset({"send_message", "send_message_batch"}),
    "SNS": frozenset({"publish", "publish_batch"}),
    "Kinesis": frozenset({"put_record", "put_records"}),
    "EventBridge": frozenset({"put_events"}),
    "AWS": frozenset({"send_message", "send_message_batch", "publish", "publish_batch",
                      "put_record", "put_records", "put_events"}),
    "Pulsar": frozenset({"send", "send_async"}),
    "Google Pub/Sub": frozenset({"publish"}),
    "Azure Service Bus": frozenset({"send_messages"}),
    "Azure Event Hubs": frozenset({"send_batch", "send_event"}),
    "MQTT": frozenset({"publish"}),
}  # fmt: skip
"""A broker's clients' own sending methods (Redis: pub/sub and streams, not a
cache's `set`; a list used as a work queue, `rpush`, is not an event)."""

_AWS_SERVICES = {"sqs": "SQS", "sns": "SNS", "kinesis": "Kinesis", "events": "EventBridge"}
"""`boto3.client("sqs")`: the AWS services that are brokers (`s3` is none)."""

_GENERIC_METHODS = frozenset({"send", "send_batch", "send_async", "send_event"})
"""Sending methods whose name alone says little (`websocket.send`, `mail.send`):
a broker's only on a receiver known to be its client."""

BROKER_METHODS = frozenset(
    {m for methods in SENDING_METHODS.values() for m in methods} - _GENERIC_METHODS
) | {"publish_event", "publisher"}
"""Method names that say a call sends on a broker where only the file's imports
are known (ARC202's evidence beside `publish-calls`)."""

NOT_ONLY_BROKERS = frozenset({"redis", "aioredis", "boto3", "aioboto3", "aiobotocore"})
"""Libraries as often used for something else (a cache, a bucket)."""

_DUMPS = frozenset({"model_dump", "model_dump_json", "json", "dict"})

SEND_WORDS = ("publish", "produce", "send", "emit", "dispatch", "xadd", "put_record")
"""A method whose name holds one of these may send a message (facts record it;
`uses.py` records the models and topics passed to it)."""
_WORDS = b"|".join(word.encode() for word in SEND_WORDS)
_SEND_WORD = re.compile("|".join(SEND_WORDS))
"""One of `SEND_WORDS` (in a lower-case name)."""
_SEND_DEF = re.compile(rb"def\s+\w*(?:" + _WORDS + rb")")
_SEND_WORD_BYTES = tuple(word.encode() for word in SEND_WORDS)
_SEND_TAIL = re.compile(rb"\w*[\s\\]*\(")
"""After a send word: the rest of the name, then the call (`publish_event (`);
read in the lower-cased source, as `_SEND_DEF` is."""
_CALL_TAIL = re.compile(rb"[\s\\]*\(")
_WORD_BYTES = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_")

# `Ref` kinds
CLIENT = "client"
INSTANCE = "instance"
RETURNS = "returns"
NAME = "name"
SELF = "self"
UNSEEN = "unseen"
"""A receiver the file does not show (a parameter without an annotation, an
attribute set from one): the call's method says it sends, what it sends on is
not known (text: "")."""
CALL = ""
"""The method of a `sends` entry that calls the receiver itself (a function)."""

Ref = tuple[str, str]
Entry = tuple[str, str, str, str, Passes]
"""A call that may send: the receiver's `Ref` (kind, text), the method called
(`""`: the receiver itself is called), the receiver as written, and which
parameters of the calling function its arguments hold (`broker_messages.passes`)."""
_MAX_DEPTH = 6
_DEFINITIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
_LAMBDA = (ast.Lambda,)
_NOT_CLASSES = frozenset({"Optional", "Union", "Annotated"})
_NOT_PROJECT = ("typing.", "typing_extensions.", "collections.", "builtins.")
"""Origins of annotations that name no class of the project (`Any`, `Mapping`)."""


_LIBRARY_HEADS = frozenset(library.partition(".")[0] for library in BROKER_LIBRARIES)
"""The first parts of `BROKER_LIBRARIES` (a module under none of them lies in none)."""


def library_of(origin: str) -> str | None:
    """The broker library a dotted import origin lies in (`aiokafka.AIOKafkaProducer`
    -> `aiokafka`), or None."""
    parts = origin.split(".")
    for depth in range(len(parts), 0, -1):
        prefix = ".".join(parts[:depth])
        if prefix in BROKER_LIBRARIES:
            return prefix
    return None


_SENDING_NAMES: dict[str, bool] = {}
"""Name -> whether it holds a send word: asked of the same method names in
every file (a project spells few of them)."""


def has_send_word(name: str) -> bool:
    known = _SENDING_NAMES.get(name)
    if known is None:
        known = _SENDING_NAMES[name] = _SEND_WORD.search(name.lower()) is not None
    return known


@dataclass(frozen=True, slots=True)
class Client:
    """A broker client: the broker, the library call or class that shows it
    (`aiokafka.AIOKafkaProducer`), and what it is (`producer`, `exchange`)."""

    broker: str
    origin: str
    noun: str

    @property
    def text(self) -> str:
        return f"{self.broker}|{self.origin}|{self.noun}"

    @classmethod
    def parse(cls, text: str) -> Client:
        broker, origin, noun = text.split("|", 2)
        return cls(broker, origin, noun)

    def sends_with(self, method: str) -> bool:
        return method in SENDING_METHODS.get(self.broker, frozenset())

    def describe(self, receiver: str) -> str:
        """ "the Kafka producer `self._producer` (aiokafka.AIOKafkaProducer)"."""
        return f"the {self.broker} {self.noun} `{receiver}` ({self.origin})"


_NOUNS = (
    ("jetstream", "JetStream context"),
    ("producer", "producer"),
    ("exchange", "exchange"),
    ("channel", "channel"),
    ("publisher", "publisher"),
    ("broker", "broker"),
    ("queue", "queue"),
    ("topic", "topic"),
    ("stream", "stream"),
)


def _noun(name: str) -> str | None:
    lowered = name.lower()
    return next((noun for word, noun in _NOUNS if word in lowered), None)


def client_of(origin: str, call: ast.Call | None = None) -> Client | None:
    """The client a call into (or a class of) a broker library makes."""
    library = library_of(origin)
    if library is None:
        return None
    broker = BROKER_LIBRARIES[library]
    last = origin.rsplit(".", 1)[-1]
    if broker == "AWS":
        if last not in {"client", "resource"}:
            return Client(broker, origin, "session")  # `boto3.Session()`: not yet a client
        service = call.args[0] if call is not None and call.args else None
        if call is not None:
            service = next((k.value for k in call.keywords if k.arg == "service_name"), service)
        if isinstance(service, ast.Constant) and isinstance(service.value, str):
            found = _AWS_SERVICES.get(service.value)
            if found is None:
                return None  # `boto3.client("s3")`: no broker
            return Client(found, f'{origin}("{service.value}")', "client")
        return Client(broker, origin, "client")
    return Client(broker, origin, _noun(last) or "client")


def _derived(base: Client, name: str, call: ast.Call | None = None) -> Client | None:
    """What an attribute or a method call of a client gives (`connection.channel()`,
    `channel.default_exchange`, `session.client("sqs")`)."""
    if base.broker == "AWS" and name in {"client", "resource"} and call is not None:
        return client_of(f"{base.origin}.{name}", call)
    return Client(base.broker, base.origin, _noun(name) or base.noun)


def _qualname(scope: Scope) -> str | None:
    """`Outer.Inner` for a class scope at module level (None: inside a function)."""
    names: list[str] = []
    current: Scope | None = scope
    while current is not None and current.kind == "class":
        names.append(getattr(current.node, "name", ""))
        current = current.parent
    if current is None or current.kind != "module":
        return None
    return ".".join(reversed(names))


def _class_scope(scope: Scope) -> Scope | None:
    """The class whose method the scope is (a function directly in a class)."""
    if scope.kind == "function" and scope.parent is not None and scope.parent.kind == "class":
        return scope.parent
    return None


class BrokerReader:
    """What values of one file are, as far as brokers go (see the module's
    documentation), read with its semantic model."""

    def __init__(self, model: SemanticModel) -> None:
        self.model = model
        self._attributes: dict[tuple[int, str], Ref | None] = {}
        self._module_names: dict[str, Ref | None] = {}

    # values ---------------------------------------------------------------------------
    def ref(
        self, node: ast.expr, scope: Scope, line: int, path: tuple[int, ...], depth: int = 0
    ) -> Ref | None:
        """What the value of an expression is, where it stands."""
        if depth > _MAX_DEPTH:
            return None
        if isinstance(node, ast.Await):
            node = node.value
        if isinstance(node, ast.Name):
            return self._name(node.id, scope, line, depth)
        if isinstance(node, ast.Attribute):
            base = node.value
            if isinstance(base, ast.Name) and base.id == "self":
                cls = _class_scope(scope.function() or scope)
                if cls is not None and scope.kind == "function":
                    here = self._assigned_before(scope, node.attr, line, depth)
                    if here is not None:
                        return here[0]  # this method set it before the use
                    return self.attribute(cls, node.attr, depth + 1)
                return None
            written = dotted(node)
            if written is not None:
                origin = scope.origin(written)
                if origin is not None:
                    made = client_of(origin)
                    return (CLIENT, made.text) if made is not None else (NAME, written)
            found = self.ref(base, scope, line, path, depth + 1)
            if found is None:
                return None
            if found[0] == CLIENT:
                derived = _derived(Client.parse(found[1]), node.attr)
                return (CLIENT, derived.text) if derived is not None else None
            if found[0] == NAME:
                return (NAME, f"{found[1]}.{node.attr}")
            return None
        if isinstance(node, ast.Call):
            return self._call(node, scope, line, path, depth)
        return None

    def _call(
        self, node: ast.Call, scope: Scope, line: int, path: tuple[int, ...], depth: int
    ) -> Ref | None:
        func = node.func
        written = dotted(func)
        if written is not None:
            origin = scope.origin(written)
            if origin is not None:
                made = client_of(origin, node)
                if made is not None:
                    return (CLIENT, made.text)
                if library_of(origin) is not None:
                    return None  # a broker library's other callables (a session, a message)
        if isinstance(func, ast.Attribute):
            base = self.ref(func.value, scope, line, path, depth + 1)
            if base is not None and base[0] == CLIENT:
                derived = _derived(Client.parse(base[1]), func.attr, node)
                return (CLIENT, derived.text) if derived is not None else None
            return None
        if isinstance(func, ast.Name):
            binding = self._module_binding(func.id, scope)
            if binding is None:
                return None
            if binding.kind == CLASS or (
                binding.kind == IMPORT and func.id[:1].isupper() and not func.id.isupper()
            ):
                return (INSTANCE, func.id)
            if binding.kind == DEF and binding.node is not None and depth < _MAX_DEPTH:
                defined = self.model.scope_of(binding.node)
                returned = _returned(self, self.model, defined, depth + 1) if defined else None
                if returned is not None:
                    return returned  # a function of this file: what it returns
            if binding.kind in (DEF, IMPORT):
                return (RETURNS, func.id)
        return None

    def _module_binding(self, name: str, scope: Scope) -> Binding | None:
        """The module-level binding a name read here refers to (None when a nearer
        scope binds it)."""
        for current in scope.visible():
            found = current.bindings.get(name)
            if found:
                return found[-1] if current.kind == "module" else None
        return None

    def _name(self, name: str, scope: Scope, line: int, depth: int) -> Ref | None:
        owner = next((s for s in scope.visible() if s.bindings.get(name)), None)
        if owner is None:
            return None
        if owner.kind == "module":
            return self.module_name(name, depth)
        binding = owner.latest(name, line) if owner is scope else owner.bindings[name][-1]
        if binding is None:
            return None
        return self._binding(name, binding, owner, depth)

    def module_name(self, name: str, depth: int = 0) -> Ref | None:
        """What a module-level name holds: the first of its bindings that tells
        (`_producer = None`, then `_producer = Producer(...)`: the producer); an
        import is for the index to follow. Asked again while deciding (names
        bound to each other), a name tells nothing."""
        if name in self._module_names:
            return self._module_names[name]
        self._module_names[name] = None
        found = self._module_name(name, depth)
        self._module_names[name] = found
        return found

    def _module_name(self, name: str, depth: int) -> Ref | None:
        module = self.model.module
        bindings = module.bindings.get(name, [])
        if any(b.kind == IMPORT and not b.type_checking for b in bindings):
            return (NAME, name)
        for binding in bindings:
            found = self._binding(name, binding, module, depth)
            if found is not None:
                return found
        return None

    def _binding(self, name: str, binding: Binding, owner: Scope, depth: int) -> Ref | None:
        if binding.annotation is not None:
            found = self.annotation(binding.annotation, owner)
            if found is not None:
                return found
        if binding.kind == ASSIGN and binding.value is not None:
            site_scope = self._value_scope(name, binding, owner)
            return self.ref(binding.value, site_scope, binding.line, binding.path, depth + 1)
        if binding.kind == UNKNOWN:
            value = self._with_item(name, binding, owner)
            if value is not None:
                return self.ref(value, owner, binding.line + 1, binding.path, depth + 1)
        return None

    def _value_scope(self, name: str, binding: Binding, owner: Scope) -> Scope:
        """The scope a binding's value is read in: a module name assigned under
        `global` in a function is read in that function."""
        if owner.kind != "module":
            return owner
        for function in self.model.functions():
            if function.declared.get(name) is owner:
                node = function.node
                first = getattr(node, "lineno", 0)
                if first <= binding.line <= (getattr(node, "end_lineno", None) or first):
                    return function
        return owner

    def _with_item(self, name: str, binding: Binding, owner: Scope) -> ast.expr | None:
        """`with X(...) as name`: the item's expression."""
        for site in self.model.sites_of(owner):
            stmt = site.stmt
            if isinstance(stmt, (ast.With, ast.AsyncWith)) and stmt.lineno == binding.line + 1:
                for item in stmt.items:
                    target = item.optional_vars
                    if isinstance(target, ast.Name) and target.id == name:
                        return item.context_expr
        return None

    def annotation(self, node: ast.expr, scope: Scope) -> Ref | None:
        """A broker library's class (a client), or a class named at module level
        (an instance of it): `X`, `X | None`, `Optional[X]`, `Annotated[X, ...]`."""
        node = _unwrap(unquote(node))
        written = dotted(node)
        if written is None:
            return None
        origin = scope.origin(written)
        if origin is not None:
            made = client_of(origin)
            if made is not None:
                return (CLIENT, made.text)
            if library_of(origin) is not None or origin.startswith(_NOT_PROJECT):
                return None
        head = written.partition(".")[0]
        binding = self._module_binding(head, scope)
        last = written.rsplit(".", 1)[-1]
        if binding is not None and binding.kind in (CLASS, IMPORT) and last[:1].isupper():
            return (INSTANCE, written)
        return None

    def _assigned_before(
        self, function: Scope, attr: str, line: int, depth: int
    ) -> tuple[Ref | None] | None:
        """What the method's last assignment of `self.<attr>` before `line`
        holds (in a 1-tuple: None inside when it tells nothing), or None where
        the method assigns none before it."""
        last: tuple[ast.stmt, tuple[int, ...]] | None = None
        for site in self.model.sites_of(function):
            stmt = site.stmt
            if stmt.lineno >= line:
                break
            targets: list[ast.expr]
            if isinstance(stmt, ast.AnnAssign):
                targets = [stmt.target]
            elif isinstance(stmt, ast.Assign):
                targets = stmt.targets
            else:
                continue
            if any(_is_self_attribute(t, attr) for t in targets):
                last = (stmt, site.path)
        if last is None:
            return None
        stmt, path = last
        found: Ref | None = None
        if isinstance(stmt, ast.AnnAssign):
            found = self.annotation(stmt.annotation, function)
            if found is None and stmt.value is not None:
                found = self.ref(stmt.value, function, stmt.lineno, path, depth + 1)
        elif isinstance(stmt, ast.Assign):
            found = self.ref(stmt.value, function, stmt.lineno, path, depth + 1)
        return (found,)

    def attribute(self, cls: Scope, attr: str, depth: int = 0) -> Ref | None:
        """What `self.<attr>` holds in the methods of a class: the first
        assignment (or annotation) of it in any method, or in the class body,
        that tells."""
        key = (id(cls), attr)
        if key in self._attributes:
            return self._attributes[key]
        self._attributes[key] = None  # a cycle tells nothing
        found = self._attribute(cls, attr, depth)
        self._attributes[key] = found
        return found

    def _attribute(self, cls: Scope, attr: str, depth: int) -> Ref | None:
        for binding in cls.bindings.get(attr, ()):  # `_producer: AIOKafkaProducer` in the body
            if binding.annotation is not None:
                found = self.annotation(binding.annotation, cls)
                if found is not None:
                    return found
        methods = [
            b.node
            for found in cls.bindings.values()
            for b in found
            if b.kind == DEF and b.node is not None
        ]
        methods.sort(key=lambda n: (getattr(n, "name", "") != "__init__", getattr(n, "lineno", 0)))
        for method in methods:
            inner = self.model.scope_of(method)
            if inner is None:
                continue
            for site in self.model.sites_of(inner):
                stmt = site.stmt
                if isinstance(stmt, ast.AnnAssign) and _is_self_attribute(stmt.target, attr):
                    found = self.annotation(stmt.annotation, inner)
                    if found is None and stmt.value is not None:
                        found = self.ref(stmt.value, inner, stmt.lineno, site.path, depth + 1)
                    if found is not None:
                        return found
                elif isinstance(stmt, ast.Assign) and any(
                    _is_self_attribute(t, attr) for t in stmt.targets
                ):
                    found = self.ref(stmt.value, inner, stmt.lineno, site.path, depth + 1)
                    if found is not None:
                        return found
        return None

    # calls ----------------------------------------------------------------------------
    def receiver(
        self, call: ast.Call, scope: Scope, line: int, path: tuple[int, ...]
    ) -> tuple[Ref, str] | None:
        """What a call is made on and the method called: `(ref, method)`; a bare
        call of a module-level function or import is `((name, f), "")`."""
        func = call.func
        if isinstance(func, ast.Attribute):
            base = func.value
            if isinstance(base, ast.Name) and base.id == "self":
                cls = _class_scope(scope)
                qualname = _qualname(cls) if cls is not None else None
                if qualname is not None:
                    return (SELF, qualname), func.attr
            found = self.ref(base, scope, line, path)
            return (found, func.attr) if found is not None else None
        if isinstance(func, ast.Name):
            binding = self._module_binding(func.id, scope)
            if binding is not None and binding.kind in (DEF, IMPORT):
                return (NAME, func.id), CALL
        return None


def _written(node: ast.expr) -> str:
    """A receiver as written: `self._producer`, `get_producer()`."""
    if isinstance(node, ast.Call):
        inner = dotted(node.func)
        return f"{inner}()" if inner is not None else ""
    return dotted(node) or ""


def _is_self_attribute(node: ast.expr, attr: str) -> bool:
    return (
        isinstance(node, ast.Attribute)
        and node.attr == attr
        and isinstance(node.value, ast.Name)
        and node.value.id == "self"
    )


def _unwrap(node: ast.expr) -> ast.expr:
    """`X | None`, `Optional[X]`, `Union[X, None]`, `Annotated[X, ...]` -> X."""
    for _ in range(4):
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
            parts = [p for p in (node.left, node.right) if not _is_none(p)]
            if len(parts) != 1:
                return node
            node = parts[0]
        elif isinstance(node, ast.Subscript):
            head = (dotted(node.value) or "").rsplit(".", 1)[-1]
            if head not in _NOT_CLASSES:
                return node
            inner = node.slice
            items = inner.elts if isinstance(inner, ast.Tuple) else [inner]
            if head == "Annotated":
                node = items[0]
            else:
                rest = [p for p in items if not _is_none(p)]
                if len(rest) != 1:
                    return node
                node = rest[0]
        else:
            return node
    return node


def _is_none(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and node.value is None


# the message ----------------------------------------------------------------------------
def message_dict(
    model: SemanticModel,
    node: ast.expr,
    scope: Scope,
    line: int,
    path: tuple[int, ...],
    depth: int = 0,
) -> bool:
    """Whether a message argument is a raw dict: a dict literal, `dict(...)`, a
    local bound to one (maybe grown in place), or such a dict serialised on
    the way (`json.dumps(d)`, `orjson.dumps(d)`, `.encode()` of that, a broker
    library's message around it: `aio_pika.Message(body=...)`), also through a
    local bound to that. A model's dump (`model.model_dump()`) is no dict."""
    if depth > 4:
        return False
    if is_dict(node):
        return not is_empty_dict(node)  # `{}` written in place: no data to model
    if isinstance(node, ast.Name):
        if model.dict_value(node.id, scope, line, path, sure=False) is not None:
            return True
        binding = scope.latest(node.id, line)
        if binding is not None and binding.kind == ASSIGN and binding.value is not None:
            return message_dict(model, binding.value, scope, binding.line, path, depth + 1)
        return False
    if isinstance(node, ast.Await):
        return False
    if not isinstance(node, ast.Call):
        return False
    func = node.func
    if isinstance(func, ast.Attribute) and func.attr == "encode" and not node.keywords:
        return message_dict(model, func.value, scope, line, path, depth + 1)
    written = dotted(func)
    origin = scope.origin(written) if written is not None else None
    inner: ast.expr | None = None
    if origin in SERIALISERS or written == "bytes":
        inner = node.args[0] if node.args else None
    elif origin is not None and library_of(origin) is not None:
        last = origin.rsplit(".", 1)[-1]
        if last[:1].isupper():  # a message class: `aio_pika.Message(body=...)`
            inner = next((k.value for k in node.keywords if k.arg == "body"), None)
            if inner is None and node.args:
                inner = node.args[0]
    if inner is None or isinstance(inner, ast.Starred):
        return False
    return message_dict(model, inner, scope, line, path, depth + 1)


def holds_dump(model: SemanticModel, node: ast.expr, scope: Scope, line: int) -> bool:
    """Whether a dict (a literal, or a local bound to one) holds a model's dump
    among its values (Redis stream fields: `{"payload": event.model_dump_json()}`)."""
    if isinstance(node, ast.Name):
        binding = scope.latest(node.id, line)
        if binding is None or binding.kind != ASSIGN or binding.value is None:
            return False
        node = binding.value
    values: list[ast.expr] = []
    if isinstance(node, ast.Dict):
        values = [v for v in node.values if v is not None]
    elif isinstance(node, ast.Call):
        values = [k.value for k in node.keywords]
    for value in values:
        for inner in ast.walk(value):
            if (
                isinstance(inner, ast.Call)
                and isinstance(inner.func, ast.Attribute)
                and inner.func.attr in _DUMPS
            ):
                return True
    return False


# facts ----------------------------------------------------------------------------------
@dataclass(slots=True)
class BrokerFacts:
    """What one file tells other files about brokers (see the module's
    documentation)."""

    sends: dict[str, list[Entry]] = field(default_factory=dict)
    """Function or `Class.method` -> each call in it that may send (`Entry`)."""
    returns: dict[str, tuple[str, str]] = field(default_factory=dict)
    """Module-level function -> what it returns."""
    names: dict[str, tuple[str, str]] = field(default_factory=dict)
    """Module-level name -> what it holds."""
    signatures: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """Function or `Class.method` of `sends` -> its parameters as a call binds
    them (`broker_messages.signature`)."""

    def to_json(self) -> list[Any]:
        return [
            sorted(
                [k, [[a, b, c, d, [list(p) for p in e]] for a, b, c, d, e in v]]
                for k, v in self.sends.items()
            ),
            sorted([k, list(v)] for k, v in self.returns.items()),
            sorted([k, list(v)] for k, v in self.names.items()),
            sorted([k, list(v)] for k, v in self.signatures.items()),
        ]

    @classmethod
    def from_json(cls, data: list[Any]) -> BrokerFacts:
        sends, returns, names, signatures = data
        return cls(
            sends={
                k: [(a, b, c, d, tuple((x, y) for x, y in e)) for a, b, c, d, e in v]
                for k, v in sends
            },
            returns={k: (v[0], v[1]) for k, v in returns},
            names={k: (v[0], v[1]) for k, v in names},
            signatures={k: tuple(v) for k, v in signatures},
        )


def read_brokers(
    tree: ast.Module, source: bytes, imported: Iterable[str] = ()
) -> BrokerFacts | None:
    """The broker facts of one parsed file (`imported`: the modules its import
    statements name): None when it neither imports a broker library nor
    defines a function whose name says it sends (`def publish...`).

    Only what a wrapper needs is modelled (the rest of a big module costs
    nothing): in a file that imports no broker library, the module-level
    statements other than definitions, the functions whose names say they
    send, the classes with such a method, and the module's functions these
    call (at any depth)."""
    names_library = any(
        module.partition(".")[0] in _LIBRARY_HEADS and library_of(module) is not None
        for module in imported
    )
    lowered = source.lower()
    if not names_library and _SEND_DEF.search(lowered) is None:
        return None
    body = tree.body if names_library else _relevant(tree.body)
    left_out = _unseen(tree.body, body, source) if len(body) < len(tree.body) else set()
    if left_out is not None:
        # the model of the whole module answers as one of `body` would: the one the
        # HTTP facts and the rules ask for next (built once)
        model = SemanticModel.of(tree, source)
    else:
        model = SemanticModel(ast.Module(body=body, type_ignores=[]), source)
    reader = BrokerReader(model)
    facts = BrokerFacts()
    module = model.module
    for name, bindings in module.bindings.items():
        if all(b.kind in (IMPORT, DEF, CLASS) for b in bindings):
            continue
        found = reader.module_name(name)
        if found is not None and found[0] != NAME:
            facts.names[name] = found
    functions = [f for f in _functions(model) if not left_out or id(_top(f[0])) not in left_out]
    marks = _marks(functions, source, lowered)
    for function, qualname in functions:
        if "." not in qualname:
            returned = _returned(reader, model, function)
            if returned is not None:
                facts.returns[qualname] = returned
        entries = _sends(reader, model, function, marks)
        if entries:
            facts.sends[qualname] = entries
            node = function.node
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                facts.signatures[qualname] = signature(node, "." in qualname)
    _keep_reaching(facts)
    facts.signatures = {k: v for k, v in facts.signatures.items() if k in facts.sends}
    return facts if (facts.sends or facts.returns or facts.names) else None


def _relevant(body: list[ast.stmt]) -> list[ast.stmt]:
    """The module-level statements a wrapper may need (see `read_brokers`)."""
    functions: dict[str, ast.stmt] = {}
    kept: list[ast.stmt] = []
    wanted: list[ast.stmt] = []
    for stmt in body:
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
            functions[stmt.name] = stmt
            if has_send_word(stmt.name):
                wanted.append(stmt)
        elif isinstance(stmt, ast.ClassDef):
            if any(
                isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef))
                and has_send_word(item.name)
                for item in stmt.body
            ):
                wanted.append(stmt)
        else:
            kept.append(stmt)
    chosen = {id(stmt) for stmt in wanted} | {id(stmt) for stmt in kept}
    if len(chosen) - len(kept) < len(functions):  # a function left out may be called
        stack: list[ast.AST] = list(wanted)
        while stack:
            node = stack.pop()
            if type(node) is ast.Call and isinstance(node.func, ast.Name):
                called = functions.get(node.func.id)
                if called is not None and id(called) not in chosen:
                    chosen.add(id(called))
                    stack.append(called)
            push_children(node, stack)
    return [stmt for stmt in body if id(stmt) in chosen]


def _unseen(body: list[ast.stmt], kept: list[ast.stmt], source: bytes) -> set[int] | None:
    """The ids of the definitions of `body` that `kept` leaves out, when the
    model of the whole module answers every question `read_brokers` asks of
    the statements kept as the model of these alone would: each is named
    nowhere outside its own lines (no kept statement binds, reads or calls
    it) and binds no module-level name but its own (no `global`, no `:=` in
    its lines), in a source whose names are its bytes (`spelled_as_is`); else
    None. The functions in them are then left out of the facts by hand."""
    if not spelled_as_is(source):
        return None
    chosen = {id(stmt) for stmt in kept}
    hazards = place_lines(source, marker_places(source, (b"global", b":=")))
    out: set[int] = set()
    for stmt in body:
        if id(stmt) in chosen or not isinstance(stmt, _DEFINITIONS):
            continue
        first = stmt.decorator_list[0].lineno if stmt.decorator_list else stmt.lineno
        last = stmt.end_lineno or stmt.lineno
        named = place_lines(source, marker_places(source, (stmt.name.encode(),)))
        if any(first <= line <= last for line in hazards) or any(
            not first <= line <= last for line in named
        ):
            return None
        out.add(id(stmt))
    return out


def _top(scope: Scope) -> ast.AST:
    """The module-level statement a scope lies in (a function or a class)."""
    while scope.parent is not None and scope.parent.kind != "module":
        scope = scope.parent
    return scope.node


def _marks(functions: list[tuple[Scope, str]], source: bytes, lowered: bytes) -> list[int]:
    """The lines that may hold a call that sends: one whose name says it sends,
    or a call of a function or method of this file that spans such a line (at
    any depth); the other statements are not walked."""
    # (`lowered` has the same line breaks at the same offsets as `source`)
    lines = set(place_lines(source, list(_call_places(lowered, _SEND_WORD_BYTES, False))))
    known: set[str] = set()
    while True:
        ordered = sorted(lines)
        sending = {
            getattr(scope.node, "name", "") for scope, _ in functions if _spans(ordered, scope.node)
        }
        new = sending - known
        if not new:
            return ordered
        known |= new
        names = tuple(name.encode() for name in new)
        lines.update(place_lines(source, list(_call_places(source, names, True))))


def _call_places(source: bytes, names: tuple[bytes, ...], whole: bool) -> Iterator[int]:
    """Where one of `names` is called: the name (at a word boundary when `whole`;
    else the start of a name: `publish_event (`), blanks, then `(`. The lines of
    these places are those of the matches of one regular expression of the names
    (`\\b(?:a|b)[\\s\\\\]*\\(`; a place it skips lies inside one of its matches, on
    the same line), for a scan of each name instead of an attempt at every byte."""
    tail = _CALL_TAIL if whole else _SEND_TAIL
    for name in names:
        at = source.find(name)
        while at != -1:
            if (not whole or _at_boundary(source, at)) and tail.match(source, at + len(name)):
                yield at
            at = source.find(name, at + 1)


def _at_boundary(source: bytes, at: int) -> bool:
    """`\\b` of a bytes pattern: an ASCII word byte on one side of `at` only."""
    before = at > 0 and source[at - 1] in _WORD_BYTES
    after = at < len(source) and source[at] in _WORD_BYTES
    return before != after


def _spans(lines: list[int], node: ast.AST) -> bool:
    first = getattr(node, "lineno", 0)
    last = getattr(node, "end_lineno", None) or first
    at = bisect_left(lines, first)
    return at < len(lines) and lines[at] <= last


def _functions(model: SemanticModel) -> Iterator[tuple[Scope, str]]:
    """Module-level functions and the methods of module-level classes (nested
    classes too), with their qualified names."""
    for scope in model.functions():
        parent = scope.parent
        name = getattr(scope.node, "name", "")
        if parent is None:
            continue
        if parent.kind == "module":
            yield scope, name
        elif parent.kind == "class":
            owner = _qualname(parent)
            if owner is not None:
                yield scope, f"{owner}.{name}"


def _returned(
    reader: BrokerReader, model: SemanticModel, function: Scope, depth: int = 0
) -> Ref | None:
    """What a function returns: a client shown by its return annotation or by
    a value it returns, else the class its annotation names, else the first
    value it returns that tells."""
    node = function.node
    returns = getattr(node, "returns", None)
    annotated = reader.annotation(returns, function) if returns is not None else None
    if annotated is not None and annotated[0] == CLIENT:
        return annotated
    value: Ref | None = None
    for site in model.sites_of(function):
        stmt = site.stmt
        if isinstance(stmt, ast.Return) and stmt.value is not None:
            found = reader.ref(stmt.value, function, stmt.lineno, site.path, depth)
            if found is not None and found[0] == CLIENT:
                return found
            if found is not None and found[0] != SELF and value is None:
                value = found
    return annotated or value


def _sends(
    reader: BrokerReader, model: SemanticModel, function: Scope, marks: list[int]
) -> list[Entry]:
    out: list[Entry] = []
    if not _spans(marks, function.node):
        return out  # none of its statements does
    for site in model.sites_of(function):
        stmt = site.stmt
        first = stmt.lineno
        at = bisect_left(marks, first)  # `_spans`, inlined: the loop is hot
        if at == len(marks) or marks[at] > (stmt.end_lineno or first):
            continue
        for node in header_nodes(stmt, prune=_LAMBDA):
            if type(node) is not ast.Call:
                continue
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            sending = has_send_word(name)
            self_call = (
                isinstance(func, ast.Attribute)
                and isinstance(func.value, ast.Name)
                and func.value.id == "self"
            )
            if not sending and not self_call and not isinstance(func, ast.Name):
                continue
            if isinstance(func, ast.Name) and name[:1].isupper():
                continue  # a class made, not a function called
            found = reader.receiver(node, function, node.lineno, site.path)
            written = _written(func.value) if isinstance(func, ast.Attribute) else name
            if found is None:
                if not sending or not isinstance(func, ast.Attribute):
                    continue
                found = (UNSEEN, ""), name  # may send, on what is not known
            (kind, text), method = found
            entry = (kind, text, method, written or "", passes(node, function))
            if entry not in out:
                out.append(entry)
    return out


def _keep_reaching(facts: BrokerFacts) -> None:
    """Keep the entries that may lead to a send: a call whose name says it sends,
    or a call of a function or method of this file that keeps one (in another
    file only a name that says it sends)."""
    keep: dict[str, list[Entry]] = {}
    changed = True
    while changed:
        changed = False
        for qualname, entries in facts.sends.items():
            kept = [e for e in entries if _leads(e, qualname, keep)]
            if kept and kept != keep.get(qualname):
                keep[qualname] = kept
                changed = True
    facts.sends = {k: keep[k] for k in facts.sends if k in keep}


def _leads(entry: Entry, qualname: str, keep: dict[str, list[Entry]]) -> bool:
    kind, text, method = entry[:3]
    if kind == SELF:
        return has_send_word(method) or f"{text}.{method}" in keep
    if kind == NAME and method == "":
        return has_send_word(text) or text in keep
    return has_send_word(method)
