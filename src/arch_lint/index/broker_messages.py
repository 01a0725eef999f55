"""Which argument of a sending call is its message (ARC206's question).

A broker client's sending method takes its message at one position or
keyword (`MESSAGE_SLOTS`): Kafka's `send(topic, value, key, ...)` the second
positional or `value=`, pika's `basic_publish(exchange, routing_key, body)` the
third or `body=`, SQS's `send_message(MessageBody=...)` a keyword only. The
other arguments are no message, whatever they hold: a key
(`produce("t", value, json.dumps({"id": 1}))`), headers, attributes.

A project wrapper takes its message through the parameters that flow into the
message of the calls it makes (its broker facts record, for each call, which
of its parameters each argument holds, and its signature; the index finishes
the flow across files: `BrokerEvidence`, `Reach.message`).

SNS with `MessageStructure="json"`: the `Message` is a JSON object of one
string per protocol (`{"default": body, "sqs": body}`): each value is the
message, the object around them is not.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from arch_lint.index.models import dotted
from arch_lint.index.semantic import ASSIGN, PARAM, Scope
from arch_lint.index.walk import push_children

MESSAGE_KEYWORDS = frozenset(
    {"value", "payload", "data", "message", "event", "body", "json", "msg", "fields",
     "MessageBody", "Message", "Data", "Detail"}
)  # fmt: skip
"""Keywords that may hold the message of a sending call where the callee is not
known (Kafka `value=`, pika `body=`, SQS `MessageBody=`, SNS `Message=`, Kinesis
`Data=`, Pub/Sub `data=`, a wrapper's `event=`); never `headers=`, `key=`,
`MessageAttributes=`."""
BATCH_KEYWORDS = frozenset({"Entries", "Records", "PublishBatchRequestEntries"})
"""AWS batch calls: a list of entries, each a dict whose `MessageBody`, `Message`,
`Data` or `Detail` is a message (`put_events(Entries=[{"Detail": ...}])`)."""
_ENTRY_KEYS = frozenset({"MessageBody", "Message", "Data", "Detail"})
SERIALISERS = frozenset(
    {"json.dumps", "orjson.dumps", "ujson.dumps", "simplejson.dumps", "rapidjson.dumps"}
)
"""Calls that turn a dict into the text a message carries."""


@dataclass(frozen=True, slots=True)
class MessageSlot:
    """Where a callable takes its message: positions, keywords, and (for a
    wrapper whose `*args` or `**kwargs` flow into it) the rest."""

    positions: frozenset[int] = frozenset()
    keywords: frozenset[str] = frozenset()
    star: int | None = None
    """Every positional from this index on (a wrapper's `*args`)."""
    any_keyword: bool = False
    """Every keyword not in `named` (a wrapper's `**kwargs`)."""
    named: frozenset[str] = frozenset()
    """The parameters a keyword can name."""


def _slot(positions: tuple[int, ...], *keywords: str) -> MessageSlot:
    return MessageSlot(frozenset(positions), frozenset(keywords))


_KAFKA = _slot((1,), "value")
_AWS = {
    "send_message": _slot((), "MessageBody"),
    "send_message_batch": _slot((), "Entries"),
    "publish": _slot((), "Message"),
    "publish_batch": _slot((), "PublishBatchRequestEntries"),
    "put_record": _slot((), "Data"),
    "put_records": _slot((), "Records"),
    "put_events": _slot((), "Entries"),
}
MESSAGE_SLOTS: dict[str, dict[str, MessageSlot]] = {
    "Kafka": {  # aiokafka, kafka-python: send(topic, value, key, ...); confluent: produce(...)
        "send": _KAFKA, "send_and_wait": _KAFKA, "produce": _KAFKA,
        "send_batch": _slot(()),  # a BatchBuilder, never a dict
    },
    "RabbitMQ": {  # aio_pika publish(message, routing_key); kombu publish(body, ...)
        "publish": _slot((0,), "message", "body"),
        "basic_publish": _slot((0, 2), "body"),  # pika (exchange, routing_key, body); aiormq (body)
    },
    "NATS": {"publish": _slot((1,), "payload")},
    "FastStream": {"publish": _slot((0,), "message")},
    "Redis": {
        "publish": _slot((1,), "message"), "spublish": _slot((1,), "message"),
        "xadd": _slot((1,), "fields"),
    },
    "SQS": {k: _AWS[k] for k in ("send_message", "send_message_batch")},
    "SNS": {k: _AWS[k] for k in ("publish", "publish_batch")},
    "Kinesis": {k: _AWS[k] for k in ("put_record", "put_records")},
    "EventBridge": {"put_events": _AWS["put_events"]},
    "AWS": _AWS,
    "Pulsar": {"send": _slot((0,), "content"), "send_async": _slot((0,), "content")},
    "Google Pub/Sub": {"publish": _slot((1,), "data")},
    "Azure Service Bus": {"send_messages": _slot((0,), "message")},
    "Azure Event Hubs": {
        "send_batch": _slot((0,), "event_data_batch"), "send_event": _slot((0,), "event_data"),
    },
    "MQTT": {"publish": _slot((1,), "payload")},  # paho, aiomqtt: publish(topic, payload)
}  # fmt: skip
"""Broker -> its clients' sending method -> where it takes the message."""


def client_slot(broker: str, method: str) -> MessageSlot | None:
    """Where a broker client's sending method takes its message (None: not known)."""
    return MESSAGE_SLOTS.get(broker, {}).get(method)


def message_arguments(call: ast.Call, slot: MessageSlot | None = None) -> list[ast.expr]:
    """The arguments of a sending call that carry its message, in order: those
    `slot` names (a client's method: `client_slot`; a wrapper's: `Reach.message`);
    without one, every positional and the keywords of `MESSAGE_KEYWORDS`. A
    batch keyword gives its entries' messages; SNS's `Message` with
    `MessageStructure="json"` its values (see the module's documentation)."""
    out: list[ast.expr] = []
    starred = False
    for index, arg in enumerate(call.args):
        if isinstance(arg, ast.Starred):
            starred = True  # the positions of what follows are not known
            continue
        if slot is None or starred or _takes(slot, index):
            out.append(arg)
    sns_json = any(
        kw.arg == "MessageStructure"
        and isinstance(kw.value, ast.Constant)
        and kw.value.value == "json"
        for kw in call.keywords
    )
    for keyword in call.keywords:
        name = keyword.arg
        if name is None:
            continue  # `**extra`: what it holds is not known
        if slot is None:
            wanted = name in MESSAGE_KEYWORDS or name in BATCH_KEYWORDS
        else:
            wanted = name in slot.keywords or (slot.any_keyword and name not in slot.named)
        if not wanted:
            continue
        if name in BATCH_KEYWORDS:
            out += _entries(keyword.value)
        elif name == "Message" and sns_json:
            out += _per_protocol(keyword.value)
        else:
            out.append(keyword.value)
    return out


def _takes(slot: MessageSlot, index: int) -> bool:
    return index in slot.positions or (slot.star is not None and index >= slot.star)


def _entries(node: ast.expr) -> list[ast.expr]:
    if not isinstance(node, (ast.List, ast.Tuple)):
        return []
    return [
        value
        for entry in node.elts
        if isinstance(entry, ast.Dict)
        for key, value in zip(entry.keys, entry.values, strict=True)
        if isinstance(key, ast.Constant) and key.value in _ENTRY_KEYS
    ]


def _per_protocol(node: ast.expr) -> list[ast.expr]:
    """`json.dumps({"default": body, "sqs": body})` -> `body`, `body`."""
    if isinstance(node, ast.Call) and dotted(node.func) in SERIALISERS and node.args:
        node = node.args[0]
    if isinstance(node, ast.Dict):
        return [v for v in node.values if v is not None]
    return []


# what a wrapper passes on --------------------------------------------------------------
Passes = tuple[tuple[str, str], ...]
"""(argument, parameter) pairs of a call: the argument `0`, `1`, ... (a
position), `=name` (a keyword), `*` (a position after `*args`) or `**`; the
parameter of the calling function whose value the argument holds."""


def passes(call: ast.Call, function: Scope) -> Passes:
    """Which parameters of `function` each argument of `call` holds: read
    directly or through a local bound from one (`body = json.dumps(payload)`)."""
    params = {name for name in function.params() if name not in ("self", "cls")}
    if not params:
        return ()
    out: set[tuple[str, str]] = set()
    starred = False
    held: dict[tuple[int, int], set[str]] = {}
    for index, arg in enumerate(call.args):
        starred = starred or isinstance(arg, ast.Starred)
        key = "*" if starred else str(index)
        out.update((key, p) for p in _held(arg, function, params, 0, held))
    for keyword in call.keywords:
        key = "**" if keyword.arg is None else f"={keyword.arg}"
        out.update((key, p) for p in _held(keyword.value, function, params, 0, held))
    return tuple(sorted(out))


def _held(
    node: ast.expr,
    function: Scope,
    params: set[str],
    depth: int,
    memo: dict[tuple[int, int], set[str]],
) -> set[str]:
    """The parameters an expression reads, directly or through the values of
    the locals it reads (to a depth of 3); `memo`: per expression and depth,
    what is found (a value read by several names, or twice, is walked once)."""
    key = (id(node), depth)
    found = memo.get(key)
    if found is not None:
        return found
    found = memo[key] = set()  # a deeper look never asks for this key again
    stack: list[ast.AST] = [node]
    while stack:
        item = stack.pop()
        if type(item) is not ast.Name:
            push_children(item, stack)
            continue
        name = item.id
        bindings = function.bindings.get(name, [])
        if name in params and any(b.kind == PARAM for b in bindings):
            found.add(name)
        if depth < 3:
            for binding in bindings:
                if binding.kind == ASSIGN and binding.value is not None:
                    found |= _held(binding.value, function, params, depth + 1, memo)
    return found


def signature(node: ast.FunctionDef | ast.AsyncFunctionDef, method: bool) -> tuple[str, ...]:
    """A function's parameters as a call binds them: positional names in
    order (a method's `self` left out), `*args` as `*args`, keyword-only ones
    as `=name`, `**kwargs` as `**kwargs`."""
    args = node.args
    positional = [a.arg for a in (*args.posonlyargs, *args.args)]
    static = any(dotted(d) == "staticmethod" for d in node.decorator_list)
    if method and not static and positional:
        positional = positional[1:]
    out = list(positional)
    if args.vararg is not None:
        out.append(f"*{args.vararg.arg}")
    out += [f"={a.arg}" for a in args.kwonlyargs]
    if args.kwarg is not None:
        out.append(f"**{args.kwarg.arg}")
    return tuple(out)


def wrapper_slot(signature: tuple[str, ...], flow: frozenset[str]) -> MessageSlot:
    """Where a wrapper with this signature takes its message, given the
    parameters that flow into a message (`flow`)."""
    positional = [p for p in signature if not p.startswith(("*", "="))]
    named = frozenset(positional) | {p[1:] for p in signature if p.startswith("=")}
    vararg = next((p[1:] for p in signature if p.startswith("*") and p[1] != "*"), None)
    kwarg = next((p[2:] for p in signature if p.startswith("**")), None)
    return MessageSlot(
        positions=frozenset(i for i, p in enumerate(positional) if p in flow),
        keywords=frozenset(p for p in named if p in flow),
        star=len(positional) if vararg is not None and vararg in flow else None,
        any_keyword=kwarg is not None and kwarg in flow,
        named=named,
    )


def passed(given: Passes, slot: MessageSlot) -> frozenset[str]:
    """The parameters a call passes into the arguments `slot` takes as the
    message (an argument after `*args`, and `**kwargs`, may be any)."""
    out = set()
    for key, param in given:
        if key in ("*", "**"):
            out.add(param)
        elif key.startswith("="):
            name = key[1:]
            if name in slot.keywords or (slot.any_keyword and name not in slot.named):
                out.add(param)
        elif _takes(slot, int(key)):
            out.add(param)
    return frozenset(out)
