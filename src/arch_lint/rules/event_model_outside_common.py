"""ARC202 event-model-outside-common."""

from __future__ import annotations

from arch_lint.index.event_evidence import BASE, CONSUMED, NAMED, PAYLOAD, PUBLISHED, Verdict
from arch_lint.rules._base import FileRule
from arch_lint.rules._models import models


class EventModelOutsideCommon(FileRule):
    """An event payload model defined outside the shared models.

    ## What it does
    Flags a Pydantic model defined outside the shared-model packages that the
    project shows to be an event payload. The finding sits on the class line and
    names its evidence, the first of:
    - it is the data of the envelope anywhere in the project
      (`EventEnvelope[OrderShipped]`, `EventEnvelope(data=OrderShipped(...))`);
    - it inherits from an event base class of the shared models;
    - it is published on a message broker: passed (made there, held by a local
      or parameter, or dumped: `producer.send(topic, event.model_dump_json())`;
      also inside a message a local holds: `message = aio_pika.Message(body=
      event.model_dump_json().encode())`, then `exchange.publish(message)`)
      to a call whose receiver the project shows to reach a broker, as ARC206
      judges it (a broker client's own sending method, a project wrapper whose
      method reaches one; never an in-process event bus, whatever the file
      imports); where the receiver is not known (an unannotated parameter), to
      a call that `publish-calls` names or to a broker client's own sending
      method (`produce`, `basic_publish`, `send_message`, `xadd`, ...), in a file
      that imports a broker client library (Kafka, RabbitMQ, NATS, Redis,
      SQS/SNS, Google Pub/Sub, ...) or a module of the project that does; or
      returned by a function decorated `@broker.publisher(...)`;
    - it is consumed: a parameter of a subscriber (`@broker.subscriber(...)`);
      or, for a model named like an event, validated in a file that imports a
      broker client library (Redis and the AWS SDK excepted);
    - its name matches `event-name-patterns` (`*Event`, `*EventV1`, `*Payload*`,
      ...) and it is used as nothing else.

    The evidence is what the services' code does: a test excluded from
    checking (`tests/`, `test_*.py`, `conftest.py`, ...) that publishes,
    consumes, stores or wraps a model in the envelope shows what the test
    does, not what the services exchange, and is no evidence either way. The
    classes a test declares still count (a test's subclass of a model).
    Other excluded code (`extend-exclude = ["libs/**"]`) counts in full.

    A model named like an event is not flagged by its name where the project
    shows it to be something else:
    - stored: the type of an ORM row's field (`Mapped[TaskPayload]`, a field of
      a SQLModel table), named in a column declaration
      (`Column(PydanticType(TaskPayload))`) or a `TypeDecorator`, validated from
      or dumped into a JSON column of a table of its service
      (`TaskPayload.model_validate(row.payload)`, `row.payload = p.model_dump()`),
      in the signature of a repository's method (a class named `*Repository`,
      `*Repo`, `*Store`, `*Storage`, `*Dao`), or handed to a row's constructor;
    - an outbox, inbox, dead-letter, event-store or journal row that wraps any
      event: a field typed with the envelope; a generic payload field
      (`payload`, `data`, `original_event`, ... typed `dict`, `Any`, `BaseModel`
      or `Json`; `payload`-like ones also `str` or `bytes`) beside a routing or
      event-type field (`topic`, `failed_topic`, `event_type`, `routing_key`,
      ...) or in a class whose name says so (`Outbox`, `Inbox`, `DeadLetter`,
      `Dlq`, `Stored`, `Journal`, `Record`); a field typed with an event beside a
      routing field, or in such a class;
    - one chunk of an HTTP stream: yielded by a generator in a file that streams
      responses (`EventSourceResponse`, `ServerSentEvent`, `StreamingResponse`,
      `text/event-stream`), or sent on a websocket;
    - an item of an API: named in `response_model=`, in a route handler's
      return annotation or in a value it returns;
    - a part of a model that is no event: a field of it, or handed to its
      constructor as a payload-like keyword (`PayloadContainer(payload=p)`). A
      part of an event, of the envelope or of a message wrapper (one that names
      a topic, or an outbox or dead-letter class) is on its way to a broker:
      that is no other use;
    - a variant of a project base named like an event that is something else
      (`class RatingPayload(TaskPayload)`; a base not named like an event, such
      as `Entity`, passes nothing on).

    Where the evidence is unsure the model is not flagged: a name says less
    than a use, and a finding on a stored row or a response model teaches users
    to ignore the rule. The evidence does not see a generator streamed from
    another file than the one that builds the response, a value that reaches a
    publish call through another function, a `publish-calls` method whose name
    holds none of `publish`, `produce`, `send`, `emit`, `dispatch`, `xadd`,
    `put_record`, nor names imported inside functions. The message names the
    file of the evidence, not its line: a line that moves in another file does
    not change this file's findings.

    ## Why is this bad?
    An event is a contract between the producer and every consumer. Defined
    inside the producing service, consumers either import that service's code
    (ARC201) or keep a copy that drifts (ARC207), and no schema check sees a
    breaking change.

    ## Example
    ```python
    # services/payments/schemas.py
    from pydantic import BaseModel, Field


    class RefundIssuedEvent(BaseModel):
        refund_id: str = Field(description="Refund identifier")
    ```

    ## Use instead
    ```python
    # services/payments/schemas.py
    from pydantic import BaseModel, Field


    class RefundRow(BaseModel):  # service-internal, not an event
        refund_id: str = Field(description="Refund identifier")
    ```

    ## How to fix
    Move the model into the shared models package (versioned, e.g.
    `RefundIssuedV1`) and import it from there in the producer and the consumers.
    If the name only looks like an event and nothing shows what it is, rename
    it or narrow `event-name-patterns`.

    ## Options
    `shared-models`, `models.event-name-patterns`, `models.envelope-class`,
    `models.publish-calls`, `models.dto-name-patterns`
    """

    code = "ARC202"
    name = "event-model-outside-common"
    message = "event payload `{model}` is defined in `{module}`, outside the shared models ({why})"
    fix_title = "Move the event model into the shared models package"

    def check(self) -> None:
        ctx = self.ctx
        if ctx.in_shared_models:
            return
        envelope = ctx.settings.model.models.envelope_class
        for cls in models(ctx):
            if cls.name.rsplit(".", 1)[-1] == envelope:
                continue
            verdict = ctx.index.events.verdict(ctx.path, cls.name)
            if verdict is not None:
                why = _why(verdict)
                self.report(*cls.pos, {"model": cls.name, "module": ctx.module, "why": why})


def _why(verdict: Verdict) -> str:
    """The evidence, as the message names it."""
    named = f"named like an event (`{verdict.pattern}`)" if verdict.pattern else ""
    if verdict.kind == PAYLOAD:
        return f"used as the data of `{verdict.detail}` in `{verdict.where}`"
    if verdict.kind == BASE:
        return f"inherits the shared event base `{verdict.detail}`"
    if verdict.kind == NAMED:
        return f"{named} and used as nothing else"
    if verdict.kind == PUBLISHED:
        what = f"published with `{verdict.detail}` in `{verdict.where}`"
    elif verdict.kind == CONSUMED:
        what = f"consumed by `{verdict.detail}` in `{verdict.where}`"
    else:
        what = f"validated in `{verdict.where}`, which imports `{verdict.detail}`"
    return f"{named} and {what}" if named else what
