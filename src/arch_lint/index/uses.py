"""What one file does with classes: the model uses that tell an event payload
from a look-alike (ARC202's evidence).

Read from the standard `ast` in one pass over the statements. Expressions are
walked only in statements that span a line holding one of a few byte markers
(`publish`, `model_validate`, `response_model`, `yield` in a streaming file,
...), in the signatures of route handlers, subscribers and repositories, and in
column declarations of class bodies; the cost stays near the statement pass.

A use names a class as written (`TaskPayload`, `schemas.TaskPayload`): what it
resolves to, and whether it is a Pydantic model, is the project index's
question (`event_evidence.py`). A use is kept whatever the name: the facts do
not depend on the configuration's name patterns.

What counts, by kind:
- `publish` (detail: the callee as written): a model value passed to a call
  whose method name says it sends (`publish`, `produce`, `send`, `emit`,
  `dispatch`, `xadd`, `put_record`): `X(...)`, `X.model_validate(...)`, a local
  or parameter known to hold an `X`, or a dump of one (`x.model_dump_json()`);
- `subscribe` (detail: the decorator): the annotation of a parameter of a
  function decorated `@….subscriber(...)`, `@….subscribe`, `@….consumer`,
  `@….listener` (FastStream and the like); and `publish` (detail: `@` and the
  decorator) for the return annotation of one decorated `@….publisher(...)`;
- `parse` (detail: the attribute read, or ""): `X.model_validate(a.attr)`,
  `X.model_validate_json(...)`, `X.parse_obj(...)`, `X.parse_raw(...)`,
  `X(**a.attr)`;
- `row` (detail: the attribute or keyword written): `a.attr = x.model_dump()`,
  `Row(attr=x.model_dump())`: a dump stored under a name (the index decides
  whether the name is a JSON column of the service);
- `column` (detail: the attribute or the `TypeDecorator` class): a class named
  inside a column declaration (`Column(PydanticType(X))`,
  `mapped_column(PydanticJSON(list[X]))`, `Field(sa_column=Column(...))`), or
  validated or built in a `TypeDecorator` subclass;
- `repository` (detail: the class): a class in the signature of a method of a
  class named `*Repository`, `*Repo`, `*Store`, `*Storage`, `*Dao`/`*DAO`;
- `stream` (detail: ""): a model value yielded by a generator in a file that
  streams HTTP responses (`EventSourceResponse`, `ServerSentEvent`,
  `StreamingResponse`, `text/event-stream`), or sent on a websocket
  (`websocket.send_json(x.model_dump())`);
- `response` (detail: ""): a class named in `response_model=...`, in the return
  annotation of a route handler (`@router.get(...)`, `@app.route(...)`), or in
  a value it returns;
- `wrap` (detail: the class called): a model value passed to a class as a
  payload-like keyword (`PayloadContainer(payload=p)`, `Journal(event_data=e)`,
  `OutboxMessage(body=event.model_dump())`): the index decides what the outer
  class is;
- `receive` (detail: the function): the data of the envelope a function's
  parameter is annotated with (`envelope: EventEnvelope[X]`), read by
  `facts.py`, which knows the envelope's name.

The same pass reads the topics a file names (`TopicUse`), each a literal string
(or a name bound to one in the module or the function):
- `publish` (detail: the callee as written): the first argument of a sending
  call (`producer.send("orders", ...)`, `redis.publish("chan", ...)`), or its
  `topic=`, `routing_key=`, `subject=`, ... keyword; the second argument of
  `.publish(message, "topic")` when the first is no string; the argument of a
  `@….publisher("topic")` decorator;
- `subscribe` (detail: the callee): `consumer.subscribe(["orders"])`,
  `.psubscribe(...)`, `.basic_consume(queue=...)`, a consumer's constructor
  (`AIOKafkaConsumer("orders", ...)`), a `@….subscriber("orders")` decorator;
- `declare` (detail: the callee): `channel.declare_queue("mails")`,
  `queue_declare(queue=...)`, which consumers do and so do some producers.
Whether the call reaches a message broker is the index's question
(`event_evidence.py`), as for the model uses.
"""

from __future__ import annotations

import ast
import re
from bisect import bisect_left
from collections.abc import Callable, Iterator, Mapping
from operator import attrgetter
from types import MappingProxyType
from typing import NamedTuple

from arch_lint.index.brokers import has_send_word, library_of
from arch_lint.index.models import dotted, unquote
from arch_lint.index.walk import (
    MarkedLines,
    binding_counts,
    header_roots,
    marker_places,
    nodes_of,
    place_lines,
    push_children,
)
from arch_lint.source import spelled_as_is

PUBLISH = "publish"
SUBSCRIBE = "subscribe"
PARSE = "parse"
ROW = "row"
COLUMN = "column"
REPOSITORY = "repository"
STREAM = "stream"
RESPONSE = "response"
WRAP = "wrap"
RECEIVE = "receive"
DECLARE = "declare"


class ModelUse(NamedTuple):
    """One use of a class in a file: its kind, the class as written, a detail."""

    kind: str
    name: str
    detail: str = ""


class TopicUse(NamedTuple):
    """A topic (queue, channel, subject, stream) a file publishes to or reads:
    `publish`, `subscribe` or `declare`, the topic, and the callee as written."""

    kind: str
    topic: str
    detail: str = ""


class Uses(NamedTuple):
    """What `read_uses` finds in a file."""

    models: list[ModelUse]
    topics: list[TopicUse]


_TOPIC_KEYWORDS = (
    "topic", "topic_name", "routing_key", "subject", "channel", "queue", "queue_name",
    "stream", "stream_name", "TopicArn", "QueueUrl",
)  # fmt: skip
"""Keywords that name where a message goes or comes from, in order of preference."""
_SUBSCRIBE_KEYWORDS = ("topics", "channels", *_TOPIC_KEYWORDS)
_SUBSCRIBE_METHODS = frozenset({"subscribe", "psubscribe", "basic_consume"})
_DECLARE_METHODS = frozenset({"declare_queue", "queue_declare"})
_TOPIC_METHODS = _SUBSCRIBE_METHODS | _DECLARE_METHODS
_VALIDATORS = frozenset(
    {"model_validate", "model_validate_json", "parse_obj", "parse_raw", "validate_json",
     "model_construct", "construct", "from_orm"}
)  # fmt: skip
_DUMPS = frozenset({"model_dump", "model_dump_json", "dict", "json"})
_ROUTE_METHODS = frozenset(
    {"get", "post", "put", "patch", "delete", "head", "options", "api_route", "route"}
)
_SUBSCRIBERS = frozenset({"subscriber", "subscribe", "consumer", "listener"})
_PUBLISHERS = frozenset({"publisher"})
_COLUMN_CALLS = frozenset({"Column", "mapped_column"})
_REPOSITORY = re.compile(r"(Repository|Repo|Store|Storage|Dao|DAO)$")
_REPOSITORY_CLASS = re.compile(rb"class\s+\w*(?:Repository|Repo|Store|Storage|Dao|DAO)\b")
_REPOSITORY_NAME = re.compile(rb"class[\s\\]+\w*(?:Repository|Repo|Store|Storage|Dao|DAO)\b")
"""`_REPOSITORY_CLASS`, and a line break escaped after `class` (where Python
reads the name of every class of a source `spelled_as_is`)."""
_TYPING = frozenset(
    {"Optional", "Union", "List", "Dict", "Set", "Tuple", "FrozenSet", "Sequence", "Iterable",
     "Iterator", "AsyncIterator", "AsyncIterable", "AsyncGenerator", "Generator", "Mapping",
     "Annotated", "Literal", "Any", "Type", "Callable", "Awaitable", "Coroutine", "ClassVar",
     "Mapped", "None", "Self", "TypeVar", "Generic"}
)  # fmt: skip
_STREAM_BYTES = (
    b"EventSourceResponse",
    b"ServerSentEvent",
    b"StreamingResponse",
    b"text/event-stream",
)
_WRAP_WORDS = (
    "payload",
    "data",
    "event",
    "body",
    "message",
    "content",
    "record",
    "value",
)
"""Keywords that hand a value to a class that wraps it (`payload=`, `event_data=`)."""
_MARKERS = (
    b"model_", b"parse_", b".dict(", b".json(", b"response_model", b"**", b"olumn",
    b"TypeDecorator", b"publish", b"produce", b"send", b"emit", b"dispatch",
    b"payload=", b"data=", b"event=", b"body=", b"subscribe", b"onsume", b"declare",
)  # fmt: skip
"""Bytes on a line worth a look (`model_validate`, `model_dump`, `Column(`,
`mapped_column`, `response_model`, a sending method, a payload-like
keyword, ...): a statement that spans none is not walked. Fewer,
shorter markers cost less (each is one scan of the file; none holds another,
whose lines it would only find again); a line marked for nothing costs one
look at a statement."""
_DECORATOR = re.compile(
    rb"[\w.]+\.(?:get|post|put|patch|delete|head|options|api_route|route|subscriber"
    rb"|subscribe|consumer|listener|publisher)\b"
)
"""Lines worth a look too: a route's or subscriber's decorator (what follows its `@`)."""
_INERT = frozenset({ast.Import, ast.ImportFrom, ast.Pass, ast.Break, ast.Continue,
                    ast.Global, ast.Nonlocal})  # fmt: skip
"""Statements with nothing to read in them (a module's imports, mostly)."""
_NO_IMPORTS: Mapping[str, str] = MappingProxyType({})
_PAYLOADS = frozenset({"body", "value", "data", "payload", "message", "content"})
"""The keywords of a broker message's constructor that carry its payload (its
first positional argument does too; `headers=`, `properties=` do not)."""
_MADE = frozenset({ast.Call, ast.Await})
"""What an assignment's value must be for the local to hold a model made there."""
_PARTS = frozenset({ast.Attribute, ast.Subscript, ast.Lambda})
"""Not followed into for values: a part read from a value is not the value."""
_IDENT = re.compile(r"[A-Za-z_][\w.]*")
_BLOCKS: dict[type[ast.stmt], tuple[tuple[str, ...], str]] = {
    ast.If: (("body", "orelse"), ""),
    ast.For: (("body", "orelse"), ""),
    ast.AsyncFor: (("body", "orelse"), ""),
    ast.While: (("body", "orelse"), ""),
    ast.With: (("body",), ""),
    ast.AsyncWith: (("body",), ""),
    ast.Try: (("body", "orelse", "finalbody"), "handlers"),
    ast.Match: ((), "cases"),
    **({ast.TryStar: (("body", "orelse", "finalbody"), "handlers")}
       if hasattr(ast, "TryStar") else {}),  # TryStar: 3.11+
}  # fmt: skip
"""Compound statements: their blocks, in the order they are read, then the field
holding their handlers or cases (each with a block)."""


_WRAPPING: dict[str, bool] = {}
"""Keyword -> whether it holds a `_WRAP_WORDS` word (a project spells few)."""


def _wraps(keyword: str) -> bool:
    known = _WRAPPING.get(keyword)
    if known is None:
        known = _WRAPPING[keyword] = any(word in keyword for word in _WRAP_WORDS)
    return known


def _class_like(name: str) -> bool:
    """`TaskPayload`, `schemas.TaskPayload`: a capitalised last part that is not
    a constant (`TOPIC`) nor a typing construct."""
    last = name[name.rfind(".") + 1 :]
    return last[:1].isupper() and not last.isupper() and last not in _TYPING


def annotation_names(node: ast.expr | None) -> Iterator[str]:
    """The class-like names an annotation mentions (quoted ones too)."""
    if node is None:
        return
    stack: list[ast.AST] = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, ast.Constant) and isinstance(item.value, str):
            for name in _IDENT.findall(item.value):
                if _class_like(name):
                    yield name
            continue
        if isinstance(item, (ast.Name, ast.Attribute)):
            name = dotted(item)
            if name is not None:
                if _class_like(name):
                    yield name
                continue
        push_children(item, stack)


def _single_class(annotation: ast.expr | None) -> str | None:
    """The one class an annotation names where a value of it is meant
    (`X`, `X | None`, `Optional[X]`), else None."""
    if annotation is None:
        return None
    annotation = unquote(annotation)
    if isinstance(annotation, ast.BinOp) and isinstance(annotation.op, ast.BitOr):
        parts = [annotation.left, annotation.right]
        rest = [p for p in parts if not (isinstance(p, ast.Constant) and p.value is None)]
        annotation = rest[0] if len(rest) == 1 else annotation
    elif isinstance(annotation, ast.Subscript) and dotted(annotation.value) in {
        "Optional",
        "typing.Optional",
    }:
        annotation = annotation.slice
    name = dotted(annotation)
    return name if name is not None and _class_like(name) else None


def _created(value: ast.expr) -> str | None:
    """The class of `X(...)`, `X.model_validate(...)` (a value made right there)."""
    if isinstance(value, ast.Await):
        value = value.value
    if not isinstance(value, ast.Call):
        return None
    func = value.func
    if type(func) is ast.Attribute and not func.attr[:1].isupper():
        # the commonest call, `x.method(...)`: neither a class nor, but for a
        # validator, a class's method (without joining the name it is called on)
        if func.attr not in _VALIDATORS or dotted(func) is None:
            return None
        receiver = dotted(func.value)
        return receiver if receiver is not None and _class_like(receiver) else None
    name = dotted(func)
    if name is None:
        return None
    if _class_like(name):
        return name
    if isinstance(func, ast.Attribute) and func.attr in _VALIDATORS:
        receiver = dotted(func.value)
        if receiver is not None and _class_like(receiver):
            return receiver
    return None


def _nodes(node: ast.AST) -> Iterator[ast.AST]:
    """The nodes under `node` (itself included), lambdas not entered."""
    stack = [node]
    while stack:
        item = stack.pop()
        yield item
        if not isinstance(item, ast.Lambda):
            push_children(item, stack)


def _marks(source: bytes, markers: tuple[bytes, ...]) -> MarkedLines:
    """The lines that hold a marker (`markers`, `_DECORATOR`)."""
    found = marker_places(source, markers)
    # an `@` is rare: matching after each is cheaper than a search for the
    # pattern with it (whose matches hold no other `@`, so none is missed)
    at = source.find(b"@")
    while at != -1:
        if _DECORATOR.match(source, at + 1) is not None:
            found.append(at)
        at = source.find(b"@", at + 1)
    return MarkedLines.of_lines(place_lines(source, found))


def _held_by(stmt: ast.stmt) -> str | None:
    """The class a local holds after `x = X(...)` or `x: X = ...` (None: the
    statement leaves it as it was)."""
    if type(stmt) is ast.Assign:
        return _created(stmt.value)
    assert isinstance(stmt, ast.AnnAssign)
    name = _single_class(stmt.annotation)
    if name is None and stmt.value is not None:
        name = _created(stmt.value)
    return name


def _nothing(name: str) -> str | None:
    return None


class _Bindings:
    """What the names of one scope hold where the walk stands: the class of a
    model made or annotated (the last statement that says one wins, enough to
    follow a value to the call that sends it), or (`strings`) a literal string
    (`routing_key = "mails"`; any other assignment but of a call forgets it).

    Worked out only for a name asked for: most scopes ask for none. The
    statements that may bind one are handed over in the order the walk meets
    them (`add`, `defer`: blocks are entered, nested scopes not) and read on
    the first ask after them; what a name holds where the scope starts comes
    from `start` (the enclosing scope's bindings, asked while the walk is in
    the nested scope and so still at its definition)."""

    __slots__ = ("_bindings", "_by_name", "_pending", "_scope", "_start", "_strings", "_tracked")

    def __init__(
        self,
        strings: bool,
        start: Callable[[str], str | None] = _nothing,
        tracked: bool = True,
        scope: ast.AST | None = None,
    ) -> None:
        self._strings = strings
        self._start = start
        self._tracked = tracked
        self._scope = scope
        """The function or module whose names these are (`made_of`)."""
        self._bindings: dict[str, int] | None = None
        """False: the scope's statements bind nothing that is kept (the
        module's strings are read once, `_module_texts`)."""
        self._pending: list[ast.stmt] = []
        self._by_name: dict[str, list[ast.stmt]] = {}
        """Name -> the statements read so far that may bind it, in order."""

    def add(self, stmt: ast.stmt) -> None:
        if self._tracked:
            self._pending.append(stmt)

    def defer(self, stmts: list[ast.stmt]) -> None:
        if self._tracked:
            self._pending += stmts

    def get(self, name: str) -> str | None:
        if self._pending:
            self._read(self._pending)
            self._pending = []
        found = self._by_name.get(name)
        if found is None:
            return self._start(name)
        if self._strings:  # the last assignment says what it holds, or that it holds none
            value = found[-1].value  # type: ignore[attr-defined]
            if type(value) is ast.Constant and isinstance(value.value, str) and value.value:
                return value.value
            return None
        for stmt in reversed(found):
            made = _held_by(stmt)
            if made is not None:
                return made
        return self._start(name)

    def made_of(self, name: str) -> ast.Call | None:
        """The call that made what a local of this scope holds, where the scope
        binds it once, in any way, and that is `x = X(...)` (`message =
        Message(body=event.model_dump_json())`); None elsewhere (bound again,
        by a loop, a `with`, a walrus, an `except`, a comprehension…, or in
        another scope). `get` was asked for it first."""
        found = self._by_name.get(name)
        if not found or len(found) != 1 or self._scope is None:
            return None
        stmt = found[0]
        if type(stmt) is not ast.Assign or len(stmt.targets) != 1:
            return None
        if self._bindings is None:
            self._bindings = binding_counts(self._scope)
        if self._bindings.get(name) != 1:
            return None
        value = stmt.value
        return value if type(value) is ast.Call and _created(value) is not None else None

    def _read(self, stmts: list[ast.stmt]) -> None:
        by_name = self._by_name
        strings = self._strings
        for stmt in stmts:
            kind = type(stmt)
            if kind is ast.Assign:
                if (type(stmt.value) in _MADE) is not strings:  # type: ignore[attr-defined]
                    for target in stmt.targets:  # type: ignore[attr-defined]
                        if type(target) is ast.Name:
                            by_name.setdefault(target.id, []).append(stmt)
            elif kind is ast.AnnAssign:
                target = stmt.target  # type: ignore[attr-defined]
                if not strings and type(target) is ast.Name:
                    by_name.setdefault(target.id, []).append(stmt)
            else:
                blocks = _BLOCKS.get(kind)
                if blocks is not None:
                    fields, parts = blocks
                    for field in fields:
                        self._read(getattr(stmt, field))
                    if parts:
                        for part in getattr(stmt, parts):
                            self._read(part.body)


_END_LINE = attrgetter("end_lineno")
_DEFINITIONS = frozenset({ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef})
_NEVER = 1 << 62
"""A line after every marked one."""


class _UseReader:
    def __init__(
        self,
        marks: MarkedLines,
        streaming: bool,
        texts: _Bindings,
        as_is: bool,
        repositories: bool,
        imported: Mapping[str, str],
    ) -> None:
        self.marks = marks
        self.following = marks.following()
        self.streaming = streaming
        self.repositories = repositories
        """Whether a class may be named like a repository (`_REPOSITORY_CLASS`, or
        a source whose bytes may spell names otherwise): its methods are read
        wherever it stands, so no statement is passed over unread."""
        self.as_is = as_is
        """Whether the source spells every name in its bytes as Python reads it
        (`spelled_as_is`)."""
        self.found: set[ModelUse] = set()
        self.topics: set[TopicUse] = set()
        self.texts = texts
        """Names bound to a literal string: the module's, then each function's
        (the last assignment before the call wins, as for `held`)."""
        self.imported = imported
        """Names bound by an absolute import anywhere in the file -> their origin
        (the fact extraction's, `_Extractor.imported`)."""

    def add(self, kind: str, name: str, detail: str = "") -> None:
        self.found.add(ModelUse(kind, name, detail))

    def from_broker(self, written: str) -> bool:
        """Whether a class as written (`aio_pika.Message`, `Message`) is imported
        from a broker library: a message of it carries what it was made of (a
        model of the project made of another is no message of it)."""
        origin = self.imported.get(written.partition(".")[0])
        return origin is not None and library_of(origin) is not None

    # topics ------------------------------------------------------------------------
    def text(self, node: ast.expr | None) -> str | None:
        """The string an expression surely is: a literal, or a name bound to one."""
        if isinstance(node, ast.Constant):
            return node.value if isinstance(node.value, str) and node.value else None
        if isinstance(node, ast.Name):
            return self.texts.get(node.id)
        return None

    def texts_of(self, node: ast.expr | None) -> list[str]:
        """A string, or the strings of a list, tuple or set literal."""
        if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
            return [t for t in (self.text(e) for e in node.elts) if t is not None]
        found = self.text(node)
        return [] if found is None else [found]

    def keyword_texts(self, call: ast.Call, names: tuple[str, ...]) -> list[str]:
        given = {k.arg: k.value for k in call.keywords if k.arg is not None}
        for name in names:
            if name in given:
                return self.texts_of(given[name])
        return []

    def topic(self, kind: str, texts: list[str], detail: str) -> None:
        for text in texts:
            self.topics.add(TopicUse(kind, text, detail))

    def sent_to(self, call: ast.Call, method: str) -> list[str]:
        """Where a sending call sends: a topic keyword, else its first argument
        when that is a string; `.publish(message, "topic")` too."""
        found = self.keyword_texts(call, _TOPIC_KEYWORDS)
        if found or not call.args:
            return found
        first = self.text(call.args[0])
        if first is not None:
            return [first]
        if (
            method == "publish"
            and len(call.args) > 1
            and not isinstance(call.args[0], ast.Constant)
        ):
            second = self.text(call.args[1])
            return [] if second is None else [second]
        return []

    def read_from(self, call: ast.Call) -> list[str]:
        """The topics a subscribing call names: its first argument (a string or
        a list of them) or a topic keyword."""
        found = self.keyword_texts(call, _SUBSCRIBE_KEYWORDS)
        if found or not call.args:
            return found
        return self.texts_of(call.args[0])

    # values ------------------------------------------------------------------------
    def values(self, expr: ast.AST, held: _Bindings) -> set[str]:
        """Classes of the model values an expression passes on: made there
        (`X(...)`, `X.model_validate(...)`), held by a local or parameter (and
        what a broker library's message a local holds was made of, as if
        written in place: `message = aio_pika.Message(body=
        event.model_dump_json().encode())`, then `publish(message)`), or dumped
        (`x.model_dump_json().encode()`); not a part read from one (`order.id`,
        `event["key"]`)."""
        out: set[str] = set()
        stack: list[ast.AST] = [expr]
        followed: set[str] = set()
        while stack:
            node = stack.pop()
            kind = type(node)
            if kind is ast.Name:
                ident: str = node.id  # type: ignore[attr-defined]
                name = held.get(ident)
                if name is not None:
                    out.add(name)
                    if ident not in followed and self.from_broker(name):
                        followed.add(ident)  # `x = Message(body=x.model_dump_json())`
                        source_call = held.made_of(ident)
                        if source_call is not None:  # its payload, not its headers
                            stack.extend(source_call.args[:1])
                            stack.extend(
                                k.value for k in source_call.keywords if k.arg in _PAYLOADS
                            )
            elif kind is ast.Call:
                call: ast.Call = node  # type: ignore[assignment]
                made = _created(call)
                if made is not None:
                    out.add(made)
                if isinstance(call.func, ast.Attribute):
                    stack.append(call.func.value)  # `x.model_dump()`, `dump.encode()`
                stack.extend(call.args)
                stack.extend(k.value for k in call.keywords)
            elif kind not in _PARTS:
                push_children(node, stack)
        return out

    def dumped(self, expr: ast.AST, held: _Bindings) -> set[str]:
        """Classes of the values an expression dumps (`x.model_dump()`)."""
        out: set[str] = set()
        for node in _nodes(expr):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in _DUMPS
            ):
                receiver = node.func.value
                made = _created(receiver)
                if made is None and isinstance(receiver, ast.Name):
                    made = held.get(receiver.id)
                if made is not None:
                    out.add(made)
        return out

    # statements --------------------------------------------------------------------
    def body(self, body: list[ast.stmt], held: _Bindings, route: bool) -> None:
        """The statements of a scope, or of a block in one. One that spans no
        marked line is passed over (its names are read if asked for, `held` and
        `texts`), but for a route's returns and a repository's methods, which
        are read wherever they stand."""
        following = self.following
        size = len(following)
        texts = self.texts
        skip = not route and not self.repositories
        at, count = 0, len(body)
        while at < count:
            stmt = body[at]
            kind = type(stmt)
            if skip:
                first = _first_line(stmt) if kind in _DEFINITIONS else stmt.lineno  # type: ignore[arg-type]
                mark = following[first] if first < size else _NEVER  # the next marked line
                if mark > stmt.end_lineno:  # type: ignore[operator]
                    # this statement and those that end before `mark` span none:
                    # only what they bind may matter, and only if it is asked for
                    end = bisect_left(body, mark, at + 1, count, key=_END_LINE)
                    run = body[at:end]
                    held.defer(run)
                    texts.defer(run)
                    at = end
                    continue
            at += 1
            if kind is ast.FunctionDef or kind is ast.AsyncFunctionDef:
                self.function(stmt, held, None)  # type: ignore[arg-type]
                continue
            if kind is ast.ClassDef:
                self.class_def(stmt)  # type: ignore[arg-type]
                continue
            if kind in _INERT:
                continue  # no call, keyword, value nor block in it
            if kind is ast.Assign or kind is ast.AnnAssign:
                held.add(stmt)  # read if a name is asked for (`_Bindings`)
                texts.add(stmt)
            first = stmt.lineno  # `MarkedLines.spans`, inlined: the loop is hot
            if first < size and following[first] <= (stmt.end_lineno or first):
                self.expressions(stmt, held)
            blocks = _BLOCKS.get(kind)
            if blocks is not None:
                names, parts = blocks
                for name in names:
                    inner = getattr(stmt, name)
                    if inner:
                        self.body(inner, held, route)
                if parts:
                    for part in getattr(stmt, parts):
                        self.body(part.body, held, route)
            elif route and kind is ast.Return and stmt.value is not None:  # type: ignore[attr-defined]
                for name in self.values(stmt.value, held):  # type: ignore[attr-defined]
                    self.add(RESPONSE, name)

    def expressions(self, stmt: ast.stmt, held: _Bindings) -> None:
        streaming = self.streaming
        calls: list[ast.Call] = []
        # whether the statement calls a dump (`x.model_dump()`): else `dumped`
        # finds nothing in any of its values, which are then not walked for one
        dumps = False
        # a keyword stands only in a call (a class's are not walked), a yield
        # is read only in a streaming file
        wanted = _CALLS_YIELDS if streaming else _CALLS
        for node in nodes_of(_header(stmt), wanted, _UNREAD):
            if type(node) is ast.Call:
                calls.append(node)
                func = node.func
                if type(func) is ast.Attribute and func.attr in _DUMPS:
                    dumps = True
                for keyword in node.keywords:
                    if keyword.arg == "response_model":
                        for name in annotation_names(keyword.value):
                            self.add(RESPONSE, name)
            else:  # a yield
                value = node.value  # type: ignore[attr-defined]
                if value is not None:
                    for name in self.values(value, held):
                        self.add(STREAM, name)
        for call in calls:  # what they add is a set: the order does not matter
            self.call(call, held, dumps)
        if dumps and isinstance(stmt, (ast.Assign, ast.AnnAssign)):
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            if stmt.value is not None:
                for target in targets:
                    if isinstance(target, ast.Attribute):
                        for name in self.dumped(stmt.value, held):
                            self.add(ROW, name, target.attr)

    def call(self, call: ast.Call, held: _Bindings, dumps: bool) -> None:
        """`dumps`: whether the statement holds a dump call (`expressions`)."""
        func = call.func
        # the callee's name is joined only where it is read: the commonest call,
        # `x.method(...)`, is neither a class's nor, mostly, a sending one
        named = type(func) is ast.Name
        if type(func) is ast.Attribute:
            method = func.attr
            if method.startswith("send"):
                receiver = (dotted(func.value) or "").rsplit(".", 1)[-1].lower()
                if "websocket" in receiver or receiver == "ws":
                    for arg in (*call.args, *(k.value for k in call.keywords)):
                        for name in self.values(arg, held):
                            self.add(STREAM, name)
                    return
            if has_send_word(method) or method in _TOPIC_METHODS:
                callee = dotted(func)
                if callee is None:
                    pass
                elif has_send_word(method):
                    for arg in (*call.args, *(k.value for k in call.keywords)):
                        for name in self.values(arg, held):
                            self.add(PUBLISH, name, callee)
                    self.topic(PUBLISH, self.sent_to(call, method), callee)
                elif method in _SUBSCRIBE_METHODS:
                    self.topic(SUBSCRIBE, self.read_from(call), callee)
                else:
                    self.topic(DECLARE, self.read_from(call), callee)
            if method in _VALIDATORS:
                receiver_name = dotted(func.value)
                if receiver_name is not None and _class_like(receiver_name):
                    first = call.args[0] if call.args else None
                    attr = first.attr if isinstance(first, ast.Attribute) else ""
                    self.add(PARSE, receiver_name, attr)
            named = method[:1].isupper()  # else not a class's name (`_class_like`)
        callee = dotted(func) if named else None
        if callee is not None and _class_like(callee):
            if callee.rsplit(".", 1)[-1].endswith("Consumer"):  # AIOKafkaConsumer("orders")
                topics = [t for a in call.args for t in self.texts_of(a)]
                self.topic(SUBSCRIBE, topics or self.keyword_texts(call, ("topics",)), callee)
            for kw in call.keywords:
                if kw.arg is None:
                    if isinstance(kw.value, ast.Attribute):
                        self.add(PARSE, callee, kw.value.attr)  # X(**row.payload)
                elif _wraps(kw.arg):
                    for name in self.values(kw.value, held):
                        if name != callee:
                            self.add(WRAP, name, callee)
        if dumps:
            for kw in call.keywords:
                if kw.arg is not None:
                    for name in self.dumped(kw.value, held):
                        self.add(ROW, name, kw.arg)

    # definitions ---------------------------------------------------------------------
    def function(
        self,
        node: ast.FunctionDef | ast.AsyncFunctionDef,
        outer: _Bindings | None,
        owner: str | None,
    ) -> None:
        """`outer`: the names the enclosing scope binds (None: a method's)."""
        first = _first_line(node)
        marked = self.marks.spans(first, node.end_lineno or first)
        if not marked and owner is None:
            return  # nothing worth a look in it, nor in what is nested in it
        args = node.args
        every = [*args.posonlyargs, *args.args, *args.kwonlyargs]
        if args.vararg is not None:
            every.append(args.vararg)
        if args.kwarg is not None:
            every.append(args.kwarg)
        route = False
        for decorator in node.decorator_list:
            target = decorator.func if isinstance(decorator, ast.Call) else decorator
            last = target.attr if isinstance(target, ast.Attribute) else ""
            if isinstance(decorator, ast.Call) and last in _ROUTE_METHODS:
                route = True
            elif last in _SUBSCRIBERS:
                where = dotted(target) or last
                for arg in every:
                    for name in annotation_names(arg.annotation):
                        self.add(SUBSCRIBE, name, where)
                if isinstance(decorator, ast.Call):
                    self.topic(SUBSCRIBE, self.read_from(decorator), where)
            elif last in _PUBLISHERS:  # FastStream: what the function returns is published
                where = dotted(target) or last
                for name in annotation_names(node.returns):
                    self.add(PUBLISH, name, f"@{where}")
                if isinstance(decorator, ast.Call):
                    self.topic(PUBLISH, self.read_from(decorator), f"@{where}")
            if self.marks.marks(decorator):
                for item in _nodes(decorator):
                    if isinstance(item, ast.keyword) and item.arg == "response_model":
                        for name in annotation_names(item.value):
                            self.add(RESPONSE, name)
        if route:
            for name in annotation_names(node.returns):
                self.add(RESPONSE, name)
        if owner is not None:
            for arg in every:
                for name in annotation_names(arg.annotation):
                    self.add(REPOSITORY, name, owner)
            for name in annotation_names(node.returns):
                self.add(REPOSITORY, name, owner)
        if not (route or marked):
            return

        def start(name: str) -> str | None:
            """What a name holds where the body starts: the class a parameter
            is annotated with, else what the enclosing scope's name holds at
            the definition."""
            for arg in every:
                if arg.arg == name:
                    made = _single_class(arg.annotation)
                    if made is not None:
                        return made
            return None if outer is None else outer.get(name)

        texts = self.texts
        self.texts = _Bindings(True, texts.get)
        try:
            self.body(node.body, _Bindings(False, start, scope=node), route)
        finally:
            self.texts = texts

    def class_def(self, node: ast.ClassDef) -> None:
        first = _first_line(node)
        owner = node.name if _REPOSITORY.search(node.name) else None
        if owner is None and not self.marks.spans(first, node.end_lineno or first):
            return  # nothing worth a look in it
        bases = [dotted(b) or "" for b in node.bases]
        if any(b.rsplit(".", 1)[-1] == "TypeDecorator" for b in bases):
            for item in _nodes(node):
                if isinstance(item, ast.Call):
                    made = _created(item)
                    if made is not None:
                        self.add(COLUMN, made, node.name)
            return
        following = self.following
        size = len(following)
        as_is = self.as_is
        for stmt in node.body:
            kind = type(stmt)
            first = stmt.lineno
            marked = first < size and following[first] <= (stmt.end_lineno or first)
            if kind is ast.FunctionDef or kind is ast.AsyncFunctionDef:
                self.function(stmt, None, owner)  # type: ignore[arg-type]
            elif kind is ast.ClassDef:
                self.class_def(stmt)  # type: ignore[arg-type]
            elif (kind is ast.Assign or kind is ast.AnnAssign) and stmt.value is not None:  # type: ignore[attr-defined]
                # a column's call spells `olumn` (`Column`, `mapped_column`,
                # `sa_column`) in a source whose bytes spell names as read
                if marked or not as_is:
                    self.column(stmt, stmt.value)  # type: ignore[arg-type, attr-defined]
            elif marked or kind in _BLOCKS:
                # (a simple statement that spans no marked line binds nothing
                # kept: an annotation alone, a docstring)
                self.body([stmt], _Bindings(False), False)

    def column(self, stmt: ast.Assign | ast.AnnAssign, value: ast.expr) -> None:
        """`x = Column(PydanticType(X))`, `x: Mapped[...] = mapped_column(JSONType(X))`,
        `x: X = Field(sa_column=Column(...))`: the classes the column's type is
        built from (the arguments of the calls inside the column call)."""
        if not isinstance(value, ast.Call):
            return
        columns: list[ast.Call] = []
        if (dotted(value.func) or "").rsplit(".", 1)[-1] in _COLUMN_CALLS:
            columns.append(value)
        columns.extend(
            kw.value
            for kw in value.keywords
            if kw.arg == "sa_column" and isinstance(kw.value, ast.Call)
        )
        target = stmt.targets[0] if isinstance(stmt, ast.Assign) else stmt.target
        attr = target.id if isinstance(target, ast.Name) else ""
        for column in columns:
            for inner in _nodes(column):
                if inner is column or not isinstance(inner, ast.Call):
                    continue
                for arg in (*inner.args, *(k.value for k in inner.keywords)):
                    for name in annotation_names(arg):
                        self.add(COLUMN, name, attr)


def read_uses(tree: ast.Module, source: bytes, imported: Mapping[str, str] = _NO_IMPORTS) -> Uses:
    """The model uses and the topics of one parsed file, sorted (`imported`: the
    names its absolute imports bind -> their origin, `_Extractor.imported`)."""
    # what streaming changes is read at a `yield`: a file whose bytes spell the
    # keyword as Python reads it (`spelled_as_is`) and hold none costs one scan
    # for it instead of one for each streaming word
    streaming = (b"yield" in source or not spelled_as_is(source)) and any(
        b in source for b in _STREAM_BYTES
    )
    marks = _marks(source, (*_MARKERS, b"yield") if streaming else _MARKERS)
    if not marks and _REPOSITORY_CLASS.search(source) is None:
        return Uses([], [])
    module: list[dict[str, str]] = []  # its strings, read on the first ask

    def module_text(name: str) -> str | None:
        if not module:
            module.append(_module_texts(tree))
        return module[0].get(name)

    texts = _Bindings(True, module_text, tracked=False)
    as_is = spelled_as_is(source)
    repositories = not as_is or _REPOSITORY_NAME.search(source) is not None
    reader = _UseReader(marks, streaming, texts, as_is, repositories, imported)
    reader.body(tree.body, _Bindings(False, scope=tree), False)
    return Uses(sorted(reader.found), sorted(reader.topics))


_CALLS = frozenset({ast.Call})
_CALLS_YIELDS = frozenset({ast.Call, ast.Yield, ast.YieldFrom})
_UNREAD = frozenset({ast.Lambda, ast.Name, ast.Constant})
"""Not entered for calls: a lambda's body (not run there) and leaves."""


def _header(stmt: ast.stmt) -> list[ast.AST]:
    """What a statement evaluates itself: all of a simple one, the header of a
    compound one (an `if`'s test, a `with`'s items), not its blocks."""
    if type(stmt) in _BLOCKS:
        return header_roots(stmt)
    return [stmt]


def _first_line(node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) -> int:
    """A definition's first line: its first decorator's."""
    return node.decorator_list[0].lineno if node.decorator_list else node.lineno


def _module_texts(tree: ast.Module) -> dict[str, str]:
    """Module-level names bound once, to a literal string (`TOPIC = "orders"`):
    a function defined above the assignment runs after it."""
    out: dict[str, str] = {}
    seen: set[str] = set()
    for stmt in tree.body:
        if isinstance(stmt, ast.Assign):
            targets, value = stmt.targets, stmt.value
        elif isinstance(stmt, ast.AnnAssign) and stmt.value is not None:
            targets, value = [stmt.target], stmt.value
        else:
            continue
        for target in targets:
            if not isinstance(target, ast.Name):
                continue
            if target.id in seen:
                out.pop(target.id, None)  # bound twice: not one string
                continue
            seen.add(target.id)
            if isinstance(value, ast.Constant) and isinstance(value.value, str) and value.value:
                out[target.id] = value.value
    return out
