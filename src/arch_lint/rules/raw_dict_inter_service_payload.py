"""ARC206 raw-dict-inter-service-payload."""

from __future__ import annotations

import ast
import re
from collections.abc import Sequence
from fnmatch import fnmatchcase
from functools import lru_cache

from arch_lint.config.resolve import Settings
from arch_lint.index.brokers import (
    CLIENT,
    SENDING_METHODS,
    BrokerReader,
    Client,
    client_slot,
    holds_dump,
    message_arguments,
    message_dict,
)
from arch_lint.index.models import dotted
from arch_lint.index.semantic import Site
from arch_lint.rules._base import FileRule
from arch_lint.rules._http import HttpFindings
from arch_lint.rules._logging import Calls, call_pattern, has_call, marked_lines

_DICT_CALL = call_pattern("dict")
SENDING_NAMES = frozenset(m for methods in SENDING_METHODS.values() for m in methods)
_HTTP_CALL = re.compile(rb"\.(?:get|post|put|patch|delete|request|stream)\s*\(")
"""A client call the HTTP map may have resolved (its URL known to name a service)."""


@lru_cache(maxsize=8)
def _calls(publish_calls: tuple[str, ...]) -> Calls:
    """The publishing calls worth a look, however spaced (`producer.send (`): the
    literal tails of the publish-call globs (`*producer.send` -> `producer.send`,
    `*.publish_event` -> also a bare `publish_event`) and the broker clients' own
    sending methods. A glob whose tail is not literal makes every call a candidate."""
    tails = [f".{method}" for method in sorted(SENDING_NAMES)]
    for glob in publish_calls:
        tail = glob.rsplit("*", 1)[-1]
        if not tail or any(ch in tail for ch in "?["):
            return (re.compile(rb"\("),)
        tails.append(tail)
        if tail.startswith(".") and "." not in tail[1:]:
            tails.append(tail[1:])  # `publish_event(...)`, a function imported
    return call_pattern(*tails)


def _builds_and_sends(settings: Settings, source: bytes) -> bool:
    """A dict built and a publishing call in the bytes: the broker half of the
    rule has something to look at."""
    cfg = settings.model.models
    if b"{" not in source and not has_call(source, _DICT_CALL):
        return False  # no dict is built here at all
    return has_call(source, _calls(tuple(cfg.publish_calls)))


class RawDictInterServicePayload(FileRule):
    """A raw dict sent to another service or published as an event.

    ## What it does
    Flags, on a call to another service of the repository:
    - a dict (a literal, `dict(...)`, or a local bound to one and maybe grown in
      place: `body["k"] = v`, `body.update(...)`) sent as `json=` / `data=` /
      `content=`;
    - the response read as a raw dict (`resp.json()["k"]`, `data = await
      resp.json()` then `data.get("k")`) where the route it reaches has a
      response model: the message names the model to validate into.

    A call reaches another service when the HTTP map resolves its URL
    (`ctx.index.http`): a settings attribute, constant or environment variable
    that `service-urls` maps to a service, or (with `infer-service-urls`) whose
    default URL's host is a service's directory name or a docker-compose
    service that builds from it; directly, in an f-string or a concatenation
    (a literal URL's host in literal text, its port perhaps interpolated:
    `f"http://search:{PORT}/…"`), through a local, a `self.` attribute set in
    `__init__`, the default of an override (`base_url or SEARCH_URL`, where
    the other operands cannot be told: a parameter; operands that name
    different URLs tell none), or a client made
    with `base_url=` such a URL. Where the map matches the call to a route
    (same method, same path template), the message names the route and its
    request model. Also flags a dict published as the message of an event on a
    message broker (below).

    Not flagged: `json=model.model_dump(mode="json")`, an empty dict written
    in place (`json={}`, `dict()`: no data to model), external URLs (a host
    that is no service: a vendor API), a call inside the service it reaches,
    a call from a file outside every service (a script), a publish from
    such a file that no service imports (a one-off script; a shared library
    the services import is judged: its dicts are what they publish), a dict
    built in another function (unknown), a response validated into a model
    (`X.model_validate(data)`, `X(**data)`) or read only as a whole, and an
    error reply's body (`resp.json()["detail"]` is the framework's error, not
    the route's model): a read in an `except` handler, in the branch of an `if`
    that tests for a failure (`resp.status_code != 200`, `>= 400`,
    `resp.is_error`, `not resp.ok`, `resp.ok is False`) or in the `else` of one
    that tests for a success (`resp.status_code == 200`, `resp.ok`).

    A call publishes on a message broker only where the project shows its
    receiver to be one; the message names the evidence:
    - a broker client's own sending method (Kafka `send`, `send_and_wait`,
      `produce`; RabbitMQ `publish`, `basic_publish`; Redis pub/sub `publish` and
      streams `xadd`; NATS and JetStream `publish`; SQS `send_message`, SNS
      `publish`; Google Pub/Sub `publish`; FastStream `publish`; ...) called on a
      client that a broker library made (`AIOKafkaProducer(...)`,
      `confluent_kafka.Producer(...)`, `aio_pika.connect_robust(...)` and the
      channels and exchanges got from it, `redis.asyncio.from_url(...)`,
      `nats.connect(...)`, `boto3.client("sqs")`, `pubsub_v1.PublisherClient()`,
      `KafkaBroker(...)`), or that is annotated with a broker library's class
      (`producer: AIOKafkaProducer`, `exchange: aio_pika.abc.AbstractExchange`):
      a local, a parameter, `async with ... as producer`, a module-level name,
      `self._producer` set by the method itself before the call, else in any
      method (`None` first is fine), or what a function returns
      (`get_producer().send(...)`);
    - a call that `publish-calls` names (`*.publish`, `*.publish_event`,
      `*producer.send`, ...) on an instance of a project class, a module or a
      function of the project (in any file) whose method reaches a broker
      client's sending method: directly, through the class's other methods or
      the module's functions, or through another such wrapper.

    The message is a dict literal, `dict(...)` or a local bound to one (maybe
    grown in place), also serialised on the way: `json.dumps(...)`,
    `orjson.dumps(...)`, `.encode()` of that, a broker library's message around
    it (`aio_pika.Message(body=...)`), passed or bound to a local first. Only the
    argument that carries the message counts, at the position or keyword the
    client's method takes it (Kafka `send(topic, value, key)` and confluent
    `produce`: the second or `value=`, never the key; pika `basic_publish`:
    `body`; Redis `publish(channel, message)`; SQS `MessageBody=`; SNS
    `Message=`, with `MessageStructure="json"` each protocol's string in it;
    ...), never `headers=`, `key=` or `MessageAttributes=`; on a wrapper, the
    arguments bound to the parameters that flow into the message of the calls
    it makes (`publish(event, headers)`: `event`). A Redis stream entry is a
    dict by the API: it is flagged only when no field holds a model's dump
    (`{"payload": event.model_dump_json()}` is the model).

    Where the receiver's kind is unknown nothing is flagged: an in-process event
    bus (a class whose `publish` calls handlers of its own), a stub producer with
    no broker behind it, a receiver typed with a `Protocol` or an abstract base
    (its method sends nothing itself; the implementations are not followed), an
    object from `request.app.state`, a function imported under another name, a
    wrapper method that `publish-calls` does not name, or a value that reaches
    the call through a helper the index cannot follow. A wrapper is followed
    through functions whose names say they send (`publish`, `produce`, `send`,
    `emit`, `dispatch`, ...) and the helpers of their own module and class they
    call. A cache write (`redis.set`) or a work list (`rpush`) is no event, and
    a dict that is not built in sight (`row.to_dict()`, `json.loads(...)`, a
    parameter) is unknown.

    ## Why is this bad?
    A dict has no schema: the receiving service validates nothing the sender
    promised, a renamed key passes every test of the sender, and the contract
    exists only in two teams' heads. The shared models are that contract.

    ## Example
    ```python
    # services/orders/payments_gateway.py
    import httpx

    from services.orders.settings import settings


    async def charge(order_id: str, cents: int) -> None:
        async with httpx.AsyncClient() as client:
            await client.post(f"{settings.PAYMENTS_URL}/charges", json={"order_id": order_id})
    ```

    ```python
    # services/orders/events.py
    import json

    from aiokafka import AIOKafkaProducer


    async def placed(producer: AIOKafkaProducer, order_id: str) -> None:
        await producer.send_and_wait("orders.placed", json.dumps({"order_id": order_id}).encode())
    ```

    ## Use instead
    ```python
    # services/orders/payments_gateway.py
    import httpx

    from common.models.payments import ChargeRequestV1
    from services.orders.settings import settings


    async def charge(order_id: str, cents: int) -> None:
        body = ChargeRequestV1(order_id=order_id, amount_cents=cents)
        async with httpx.AsyncClient() as client:
            await client.post(f"{settings.PAYMENTS_URL}/charges", json=body.model_dump(mode="json"))
    ```

    ```python
    # services/orders/events.py
    from aiokafka import AIOKafkaProducer

    from common.models.orders import OrderPlacedV1


    async def placed(producer: AIOKafkaProducer, order_id: str) -> None:
        event = OrderPlacedV1(order_id=order_id)
        await producer.send_and_wait("orders.placed", event.model_dump_json().encode())
    ```

    ## How to fix
    Build the shared model for the request or event and send
    `model.model_dump(mode="json")` (or the model itself where the client
    serialises it).

    ## Options
    `models.service-urls` (e.g. `{"PAYMENTS_*URL" = "payments"}`), `models.publish-calls`
    (which project calls are candidates: the broker evidence decides)
    """

    code = "ARC206"
    name = "raw-dict-inter-service-payload"
    message = "a raw dict is {how}; {remedy}"
    fix_title = 'Send a shared model (`model.model_dump(mode="json")`)'
    example_config = '[tool.arch_lint.models]\nservice-urls = {"PAYMENTS_*URL" = "payments"}\n'

    needs_tree = True
    _brokers: BrokerReader | None = None

    def relevant(self) -> bool:
        """A call the HTTP map may resolve: one in the file's facts (asked first:
        no scan) and spelled as a client's call (a response needs no `{`). A file
        without one is looked at only for what the rest of the rule looks for (no
        tree walked otherwise)."""
        ctx = self.ctx
        cfg = ctx.settings.model.models
        if (
            HttpFindings.has_calls(ctx)
            and (cfg.infer_service_urls or cfg.service_urls)
            and _HTTP_CALL.search(ctx.source)
        ):
            return True
        return _builds_and_sends(ctx.settings, ctx.source)

    def report_node(
        self, node: ast.stmt | ast.expr, *, peers: Sequence[str] = (), **fields: str
    ) -> None:
        fields.setdefault("remedy", "send a shared model")
        super().report_node(node, peers=peers, **fields)

    def check_tree(self, tree: ast.Module) -> None:
        """The calls the HTTP map resolved to another service first (`rules/_http.py`,
        the one reader of URLs); then only the statements on a line where a
        publishing call worth a look starts (`.publish (`, `.send_and_wait(`, …)
        have their expressions walked."""
        http = HttpFindings(self.ctx)
        for found, how, remedy, service in http.findings():
            self.report_node(
                found, how=how, remedy=remedy, peers=() if service is None else (service,)
            )
        ctx = self.ctx
        if ctx.service is None and ctx.path not in ctx.index.modules.imported_by_services:
            return  # a script outside every service, as for HTTP calls
        cfg = self.ctx.settings.model.models
        calls = _calls(tuple(cfg.publish_calls))
        if not calls:
            return
        marks = marked_lines(self.ctx.source, calls)
        for site in self.ctx.semantic.marked(marks):
            for node in site.nodes(marks):
                if isinstance(node, ast.Call):
                    self._published(node, site)

    def _published(self, call: ast.Call, site: Site) -> None:
        """A raw dict as the message of a call that sends on a message broker:
        a broker client's own sending method, or a `publish-calls` call on a
        project object whose method reaches one (the index's evidence)."""
        func = call.func
        if isinstance(func, ast.Attribute):
            method = func.attr
            receiver = dotted(func.value)
            if receiver is None and isinstance(func.value, ast.Call):
                made_by = dotted(func.value.func)  # `get_producer().send(...)`
                receiver = f"{made_by}()" if made_by is not None else None
            if receiver is None:
                return
            name = f"{receiver}.{method}"
        elif isinstance(func, ast.Name):
            name = receiver = method = func.id
        else:
            return
        globs = self.ctx.settings.model.models.publish_calls
        spelled = [name]
        if isinstance(func, ast.Name):  # a bare function: also as its module names it
            spelled.append(site.scope.origin(name) or f"{self.ctx.module}.{name}")
        named = any(fnmatchcase(n, p) for n in spelled for p in globs)
        if not named and method not in SENDING_NAMES:
            return
        model = self.ctx.semantic
        line = call.lineno
        scope = site.scope
        if not any(message_dict(model, a, scope, line, site.path) for a in message_arguments(call)):
            return  # no argument that may carry the message is a dict
        if self._brokers is None:
            self._brokers = BrokerReader(model)
        found = self._brokers.receiver(call, scope, line, site.path)
        if found is None:
            return
        ref, called = found
        if ref[0] == CLIENT:
            client = Client.parse(ref[1])
            if not client.sends_with(called):
                return
            slot = client_slot(client.broker, called)
            evidence = f"on {client.describe(receiver)}"
        else:
            reach = self.ctx.index.brokers.reach(self.ctx.path, ref, called)
            if reach is None or (reach.chain and not named):
                return  # a wrapper's method is a candidate only where `publish-calls` names it
            slot = reach.message
            evidence = reach.describe(name, receiver, self.ctx.path)
        message = next(
            (
                arg
                for arg in message_arguments(call, slot)  # only what carries the message
                if message_dict(model, arg, scope, line, site.path)
                and not (method == "xadd" and holds_dump(model, arg, scope, line))
            ),
            None,
        )  # Redis stream fields that carry a model's dump are that model
        if message is not None:
            self.report_node(message, how=f"published {evidence}")
