"""The semantic model of one file (index/semantic.py): bindings, scopes, the
ordered walk with flow, import origins and value kinds."""

from __future__ import annotations

import ast
import textwrap

import pytest

from arch_lint.index.semantic import (
    ASSIGN,
    CLASS,
    DEF,
    IMPORT,
    PARAM,
    UNKNOWN,
    Scope,
    SemanticModel,
    Site,
)
from arch_lint.index.walk import MarkedLines


def model_of(code: str) -> SemanticModel:
    return SemanticModel(ast.parse(textwrap.dedent(code)))


def site_at(model: SemanticModel, marker: str) -> Site:
    """The (innermost) statement whose source holds `marker`."""
    marker = marker.replace('"', "'")  # as `ast.unparse` quotes
    found = [
        site
        for site in model.sites
        if marker in ast.unparse(site.stmt)
        and not isinstance(site.stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
        and not any(getattr(site.stmt, f, None) for f in ("body", "orelse", "handlers"))
    ]
    assert found, marker
    return found[-1]


def function(model: SemanticModel, name: str) -> Scope:
    return next(s for s in model.functions() if getattr(s.node, "name", "") == name)


# --- bindings and import origins ---------------------------------------------------------


def test_import_origins_follow_aliases_and_dotted_imports() -> None:
    model = model_of(
        """
        import sqlalchemy as sa
        import os.path
        import xml.etree as et
        from sqlalchemy import text as sql_text
        from . import sibling
        from .models import Order
        """
    )
    module = model.module
    assert module.origin("sa.orm.Session") == "sqlalchemy.orm.Session"
    assert module.origin("os.path.join") == "os.path.join"
    assert module.origin("et.ElementTree") == "xml.etree.ElementTree"
    assert module.origin("sql_text") == "sqlalchemy.text"
    assert module.origin("sibling") is None  # relative: no absolute origin
    assert module.origin("Order") is None
    assert module.origin("print") is None
    assert [b.kind for b in module.bindings["sa"]] == [IMPORT]


def test_an_import_in_a_function_resolves_there_and_not_in_another_function() -> None:
    model = model_of(
        """
        def reads():
            from sqlalchemy import text
            return text("SELECT 1")

        def other():
            return text("SELECT 1")
        """
    )
    assert function(model, "reads").origin("text") == "sqlalchemy.text"
    assert function(model, "other").origin("text") is None


def test_a_name_bound_again_after_its_import_has_no_origin() -> None:
    model = model_of(
        """
        from sqlalchemy import text
        text = "SELECT 1"
        try:
            import ujson as json
        except ImportError:
            json = None
        """
    )
    assert model.module.origin("text") is None
    assert model.module.origin("json.loads") == "ujson.loads"  # the fallback stands in for it


def test_type_checking_imports_are_marked() -> None:
    model = model_of(
        """
        from typing import TYPE_CHECKING
        if TYPE_CHECKING:
            from services.orders.models_db import Order
        else:
            Order = None
        """
    )
    kinds = [(b.kind, b.type_checking) for b in model.module.bindings["Order"]]
    assert kinds == [(IMPORT, True), (ASSIGN, False)]


def test_every_kind_of_binding_is_recorded() -> None:
    model = model_of(
        """
        class Repo: ...

        def handle(event: Event, *args, **kwargs):
            cid = event.correlation_id
            a, b = pair()
            for item in items:
                pass
            with open(path) as fh:
                pass
            try:
                pass
            except ValueError as exc:
                pass
            count: int = 0
            declared: int
            count += 1
        """
    )
    handle = function(model, "handle")
    kinds = {name: [b.kind for b in found] for name, found in handle.bindings.items()}
    assert kinds == {
        "event": [PARAM],
        "args": [PARAM],
        "kwargs": [PARAM],
        "cid": [ASSIGN],
        "a": [UNKNOWN],
        "b": [UNKNOWN],
        "item": [UNKNOWN],
        "fh": [UNKNOWN],
        "exc": [UNKNOWN],
        "count": [ASSIGN],  # `declared: int` binds nothing, `+=` keeps the binding
    }
    assert dict(handle.params())["event"] is not None
    assert model.module.bindings["Repo"][0].kind == CLASS
    assert model.module.bindings["handle"][0].kind == DEF


# --- scopes and where a name is surely bound ----------------------------------------------


def test_a_name_set_in_a_branch_is_not_sure_after_it_but_may_be() -> None:
    model = model_of(
        """
        def handle(event):
            if event.urgent:
                cid = event.correlation_id
                log.info("in branch")
            log.info("after branch")
        """
    )
    inside, after = site_at(model, "in branch"), site_at(model, "after branch")
    scope = inside.scope
    found = scope.lookup("cid", inside.stmt.lineno, inside.path)
    assert found is not None
    assert found.kind == ASSIGN
    assert scope.lookup("cid", after.stmt.lineno, after.path) is None
    assert scope.latest("cid", after.stmt.lineno) is found


def test_the_last_binding_before_the_use_wins_and_later_ones_do_not_count() -> None:
    model = model_of(
        """
        def handle(cid):
            log.info("first")
            cid = normalise(cid)
            log.info("second")
            cid = None
        """
    )
    first, second = site_at(model, '"first"'), site_at(model, '"second"')
    scope = first.scope
    assert scope.lookup("cid", first.stmt.lineno, first.path).kind == PARAM  # type: ignore[union-attr]
    found = scope.lookup("cid", second.stmt.lineno, second.path)
    assert found is not None
    assert found.kind == ASSIGN
    assert ast.unparse(found.value) == "normalise(cid)"  # type: ignore[arg-type]
    assert scope.rebound("cid", first.stmt.lineno, second.stmt.lineno, second.path)


def test_nested_functions_see_enclosing_functions_but_not_class_bodies() -> None:
    model = model_of(
        """
        class Handler:
            correlation_id = "class attribute"

            def handle(self):
                return correlation_id

        def outer(event):
            cid = event.cid

            def inner():
                log.info("inner")
        """
    )
    method = function(model, "handle")
    line = method.node.lineno + 1  # type: ignore[attr-defined]
    assert method.lookup("correlation_id", line, (*method.path, 99)) is None
    inner = site_at(model, '"inner"')
    found = inner.scope.lookup("cid", inner.stmt.lineno, inner.path, functions_only=True)
    assert found is not None
    assert found.kind == ASSIGN
    assert [s.kind for s in inner.scope.visible()] == ["function", "function", "module"]


def test_flow_names_the_branches_around_a_statement_within_its_function() -> None:
    model = model_of(
        """
        def handle(event):
            if event is None:
                return
            try:
                for item in event.items:
                    with lock:
                        log.info("deep")
            except AttributeError:
                log.info("handler")

            def nested():
                log.info("nested")
        """
    )
    deep = site_at(model, '"deep"')
    assert [(type(s).__name__, p) for s, p in deep.flow] == [
        ("Try", "body"),
        ("For", "body"),
        ("With", "body"),
    ]
    handler = site_at(model, '"handler"')
    ((stmt, part),) = handler.flow
    assert isinstance(stmt, ast.Try)
    assert isinstance(part, ast.ExceptHandler)
    assert site_at(model, '"nested"').flow == ()  # a function starts a new flow
    assert deep.path[-1] in model.loops  # a `with` body is no block of its own


def test_sites_are_in_source_order_and_grouped_by_scope() -> None:
    model = model_of(
        """
        a = 1
        def f():
            b = 2
            def g():
                c = 3
            d = 4
        e = 5
        """
    )
    lines = [site.stmt.lineno for site in model.sites]
    assert lines == sorted(lines)
    f = function(model, "f")
    assert [ast.unparse(s.stmt).split("\n")[0] for s in model.sites_of(f)] == [
        "b = 2",
        "def g():",
        "d = 4",
    ]


def test_a_site_header_is_what_the_statement_evaluates_itself() -> None:
    model = model_of(
        """
        @router.post("/orders", status_code=201)
        async def create(body: Body = Depends(parse)) -> Out:
            if check(body):
                pass
            try:
                pass
            except errors.Conflict:
                pass
        """
    )
    header = {ast.unparse(n) for s in model.sites for n in s.header() if isinstance(n, ast.expr)}
    assert "router.post('/orders', status_code=201)" in header
    assert {"Depends(parse)", "Body", "Out"} <= header  # a def's defaults and annotations
    assert "check(body)" in header
    assert "errors.Conflict" in header
    assert "pass" not in header


def test_string_constants_are_read_only_where_the_name_is_bound_once() -> None:
    model = model_of(
        """
        QUERY = "SELECT * FROM payments"
        TWICE = "SELECT 1"
        TWICE = "SELECT 2"

        def run(conn, OTHER):
            LOCAL = "SELECT * FROM orders"
            if (WALRUS := "SELECT 3"):
                pass
            WALRUS = "SELECT 4"
        """
    )
    run = function(model, "run")
    assert run.string_constant("QUERY") == "SELECT * FROM payments"
    assert run.string_constant("LOCAL") == "SELECT * FROM orders"
    assert run.string_constant("TWICE") is None
    assert run.string_constant("OTHER") is None  # a parameter
    assert run.string_constant("WALRUS") is None  # bound twice, once by `:=`


# --- value kinds ---------------------------------------------------------------------------


def test_a_dict_grown_in_place_is_followed_to_its_use() -> None:
    model = model_of(
        """
        async def quote(client, order):
            request_data: dict[str, Any] = {"order_id": order.id}
            request_data["options"] = order.options
            request_data.update(currency="EUR")
            request_data |= {"lines": order.lines}
            request_data.setdefault("channel", "web")
            await client.post(url, json=request_data)
        """
    )
    use = site_at(model, "client.post")
    value = model.dict_value("request_data", use.scope, use.stmt.lineno, use.path)
    assert value is not None
    assert value.keys == ("order_id", "options", "currency", "lines", "channel")
    assert value.complete
    assert len(value.growth) == 4


def test_a_dict_is_incomplete_where_a_key_or_spread_is_unknown() -> None:
    model = model_of(
        """
        def send(extra):
            body = {"a": 1, **extra}
            other = dict(b=2)
            other[key] = 3
            made = build()
            publish(body, other, made)
        """
    )
    use = site_at(model, "publish(")
    body = model.dict_value("body", use.scope, use.stmt.lineno, use.path)
    other = model.dict_value("other", use.scope, use.stmt.lineno, use.path)
    assert body is not None
    assert not body.complete
    assert body.keys == ("a",)
    assert other is not None
    assert not other.complete
    assert other.keys == ("b",)
    assert model.dict_value("made", use.scope, use.stmt.lineno, use.path) is None


def test_a_dict_bound_in_one_branch_is_only_a_may_value() -> None:
    model = model_of(
        """
        def send(flag):
            if flag:
                body = {"a": 1}
            publish(body)
        """
    )
    use = site_at(model, "publish(")
    assert model.dict_value("body", use.scope, use.stmt.lineno, use.path) is None
    maybe = model.dict_value("body", use.scope, use.stmt.lineno, use.path, sure=False)
    assert maybe is not None
    assert maybe.keys == ("a",)


INSTANCES = """
from common.models.events import EventEnvelope, OrderPlacedV1
from common.settings import get_settings


class Local:
    pass


def make() -> Local:
    return Local()


async def load() -> Local:
    return Local()


def handle(raw: bytes, typed: OrderPlacedV1, untyped):
    envelope = EventEnvelope[OrderPlacedV1].model_validate_json(raw)
    plain = OrderPlacedV1.model_validate(raw)
    built = Local()
    made = make()
    settings = get_settings()
    log.info("use")


async def handle_async():
    loaded = await load()
    pending = load()
    log.info("async use")


class Client:
    def __init__(self, envelope: EventEnvelope, url: str):
        self.envelope = envelope
        self.local = Local()
        self.url = url

    def send(self):
        log.info("method use")
"""


@pytest.mark.parametrize(
    ("marker", "expr", "expected"),
    [
        ('"use"', "envelope", "EventEnvelope"),
        ('"use"', "plain", "OrderPlacedV1"),
        ('"use"', "typed", "OrderPlacedV1"),
        ('"use"', "built", "Local"),
        ('"use"', "made", "Local"),
        ('"use"', "settings", None),  # a lowercase factory: not certain
        ('"use"', "untyped", None),
        ('"use"', "raw", None),  # `bytes` is no class of the project or an import
        ('"async use"', "loaded", "Local"),
        ('"async use"', "pending", None),  # a coroutine until awaited
        ('"method use"', "self.envelope", "EventEnvelope"),
        ('"method use"', "self.local", "Local"),
        ('"method use"', "self.url", None),
    ],
)
def test_instances_are_known_where_they_are_certain(
    marker: str, expr: str, expected: str | None
) -> None:
    model = model_of(INSTANCES)
    use = site_at(model, marker)
    node = ast.parse(expr, mode="eval").body
    assert model.instance_of(node, use.scope, use.stmt.lineno, use.path) == expected


def test_attributes_set_in_init_are_listed_with_their_site() -> None:
    model = model_of(INSTANCES)
    client = next(s for s in model.scopes.values() if getattr(s.node, "name", "") == "Client")
    attributes = model.self_attributes(client)
    assert sorted(attributes) == ["envelope", "local", "url"]
    value, site = attributes["url"]
    assert ast.unparse(value) == "url"
    assert site.scope.kind == "function"
    assert site.scope.lookup("url", site.stmt.lineno + 1, site.path).kind == PARAM  # type: ignore[union-attr]


# --- what is sure after a compound statement (from a review) ---------------------------


@pytest.mark.parametrize(
    ("code", "sure"),
    [
        ("with lock:\n        cid = event.cid", True),
        ("with suppress(KeyError):\n        cid = event['cid']", False),
        ("try:\n        pass\n    finally:\n        cid = event.cid", True),
        ("try:\n        cid = event.cid\n    except KeyError:\n        return", True),
        ("try:\n        cid = event.cid\n    except KeyError:\n        pass", False),
        (
            "try:\n        cid = event.cid\n    except KeyError:\n        raise\n"
            "    except OSError:\n        log.info('x')",
            False,
        ),
        ("if (cid := event.get('cid')):\n        pass", True),
        ("for item in items:\n        cid = item.cid", False),
    ],
)
def test_what_a_compound_statement_binds_is_sure_after_it_only_where_it_always_runs(
    code: str, sure: bool
) -> None:
    model = model_of(f"def handle(event, items, lock, log):\n    {code}\n    log.info('after')\n")
    after = site_at(model, "'after'")
    found = after.scope.lookup("cid", after.stmt.lineno, after.path)
    assert (found is not None) == sure


def test_a_try_body_binds_in_its_else_and_a_one_line_handler_sees_its_exception() -> None:
    model = model_of(
        """
        def handle(event):
            try:
                cid = event.cid
            except KeyError as exc: log.info("handler", exc)
            else:
                log.info("else")
        """
    )
    in_else = site_at(model, '"else"')
    assert in_else.scope.lookup("cid", in_else.stmt.lineno, in_else.path) is not None
    handler = site_at(model, '"handler"')
    assert handler.scope.lookup("exc", handler.stmt.lineno, handler.path) is not None
    assert handler.scope.lookup("cid", handler.stmt.lineno, handler.path) is None


def test_global_match_rest_and_type_checking_fallbacks() -> None:
    model = model_of(
        """
        from typing import TYPE_CHECKING
        if TYPE_CHECKING:
            from sqlalchemy.orm import Session
        else:
            Session = object
        QUERY = "SELECT 1"

        def rebind():
            global QUERY
            QUERY = "SELECT 2"

        def matcher(message):
            match message:
                case {"kind": "order", **rest}:
                    log.info("matched")
        """
    )
    assert model.module.origin("Session") == "sqlalchemy.orm.Session"
    assert model.module.string_constant("QUERY") is None  # bound twice, once by `global`
    assert [b.kind for b in model.module.bindings["QUERY"]] == [ASSIGN, ASSIGN]
    matched = site_at(model, '"matched"')
    assert matched.scope.lookup("rest", matched.stmt.lineno, matched.path) is not None


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("envelope = EventEnvelope[OrderPlacedV1](data=order)", "EventEnvelope"),
        ("envelope: EventEnvelope[OrderPlacedV1] = parse(raw)", "EventEnvelope"),
        ("envelope = quoted(raw)", "EventEnvelope"),
        ("envelope = maybe(raw)", None),  # `-> EventEnvelope | None`: may be None
        ("envelope = MAKE_ENVELOPE(raw)", None),  # a constant, not a class
        (
            "envelope = EventEnvelope.model_validate(raw)\n    if retry:\n        envelope = None",
            None,
        ),
    ],
)
def test_instances_are_not_claimed_where_they_are_not_certain(
    code: str, expected: str | None
) -> None:
    model = model_of(
        "from common.models import EventEnvelope, OrderPlacedV1, MAKE_ENVELOPE\n"
        "def quoted(raw) -> 'EventEnvelope': ...\n"
        "def maybe(raw) -> EventEnvelope | None: ...\n"
        f"def handle(raw, order, retry):\n    {code}\n    log.info('use')\n"
    )
    use = site_at(model, "'use'")
    node = ast.Name("envelope")
    assert model.instance_of(node, use.scope, use.stmt.lineno, use.path) == expected


def _marked(stmt: ast.stmt) -> bool:
    """`x.done = ...`: the statement the flow questions below look for."""
    return isinstance(stmt, ast.Assign) and any(
        isinstance(t, ast.Attribute) and t.attr == "done" for t in stmt.targets
    )


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("x.done = 1", True),
        ("if c:\n    x.done = 1", False),  # the `if` may not run its body
        ("if c:\n    x.done = 1\nelse:\n    x.done = 2", True),  # every branch runs one
        ("if c:\n    x.done = 1\nelse:\n    return", True),  # the other branch leaves
        ("if c:\n    x.done = 1\nelif d:\n    x.done = 2", False),  # no final `else`
        ("with lock:\n    x.done = 1", True),
        ("with suppress(E):\n    x.done = 1", False),  # an exception skips the rest
        ("for i in y:\n    x.done = 1", False),  # a loop may not run its body
        ("try:\n    x.done = 1\nexcept E:\n    pass", False),
        ("try:\n    x.done = 1\nexcept E:\n    raise", True),
        ("try:\n    pass\nfinally:\n    x.done = 1", True),
        ("try:\n    x.done = 1\nexcept E:\n    x.done = 2", True),
    ],
)
def test_preceded_by_asks_whether_every_path_runs_a_statement(body: str, expected: bool) -> None:
    indented = textwrap.indent(body, "    ")
    model = model_of(f"def f(x, y, c, d):\n{indented}\n    use('here')\n")
    assert site_at(model, "'here'").preceded_by(_marked) is expected


def test_preceded_by_reads_the_blocks_around_the_statement() -> None:
    model = model_of(
        """
        def f(x, y, c):
            x.done = 1
            for i in y:
                if c:
                    use("in a branch, after the statement")

        def g(x, y, c):
            for i in y:
                use("before")
                x.done = 1
                if c:
                    use("after, in the loop")

        def h(x):
            try:
                x.done = 2
            except E:
                use("in a handler")
            else:
                use("in the else of the try")
        """
    )
    assert site_at(model, "in a branch, after the statement").preceded_by(_marked)
    assert not site_at(model, "before").preceded_by(_marked)  # not the last iteration's
    assert site_at(model, "after, in the loop").preceded_by(_marked)
    assert site_at(model, "in the else of the try").preceded_by(_marked)  # the body ran
    assert not site_at(model, "in a handler").preceded_by(_marked)


_MARKED_CODE = """
import os
x = 1; y = (
    2)
if x: z = 3
def f(a):
    if a:
        return 1
    for i in a:
        b = i; c = (
            i)
    @decorated
    def g():
        try:
            pass
        except ValueError:
            d = 4
        return d
    return g
class C:
    e = 5
    def m(self):
        match self:
            case 1:
                f = 6
            case _:
                pass
w = 7
"""


@pytest.mark.parametrize("lines", [[], [1], [3], [4], [5], [11], [13], [18], [21], [25], [29], [40],
                                   [4, 18], [6, 25], list(range(1, 31))])  # fmt: skip
def test_marked_yields_each_statement_that_spans_a_marked_line(lines: list[int]) -> None:
    """The statements inside a compound statement that spans no marked line are
    skipped with it; those after `;` on its last line and those it holds are not
    skipped when they span one."""
    model = SemanticModel(ast.parse(_MARKED_CODE))
    expected = [
        site
        for site in model.sites
        if any(site.stmt.lineno <= line <= (site.stmt.end_lineno or 0) for line in lines)
    ]
    assert list(model.marked(MarkedLines.of_lines(lines))) == expected
