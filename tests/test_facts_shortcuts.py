"""The shortcuts of the fact readers (exact-type dispatch, skipped leaves, cheap
name tests before the full ones) keep the edges the full readers see."""

from __future__ import annotations

import ast
import hashlib
import json
import textwrap
from pathlib import Path

from arch_lint.index.broker_messages import passes
from arch_lint.index.brokers import (
    _SEND_WORD_BYTES,
    _at_boundary,
    _call_places,
    has_send_word,
    read_brokers,
)
from arch_lint.index.facts import _COMPACT, FileFacts, ImportStmt, extract
from arch_lint.index.semantic import SemanticModel
from arch_lint.index.uses import RECEIVE, ModelUse


def _facts(code: str) -> FileFacts:
    source = textwrap.dedent(code).encode()
    return extract(ast.parse(source), source)


def test_the_envelope_is_found_under_other_subscripts_and_attributes() -> None:
    facts = _facts(
        """
        from typing import Optional
        from lib import events

        def on_a(envelope: Optional[EventEnvelope[APlacedV1]]) -> None: ...
        def on_b(*, envelope: events.EventEnvelope[BPlacedV1] | None = None) -> None: ...
        def on_c(envelope: EventEnvelope[list[CPlacedV1]].inner) -> None: ...
        def on_d(envelope: EventEnvelope, other: "EventEnvelope[DPlacedV1]") -> None: ...
        """
    )
    received = {u for u in facts.model_uses if u.kind == RECEIVE}
    assert received == {
        ModelUse(RECEIVE, "APlacedV1", "on_a"),
        ModelUse(RECEIVE, "BPlacedV1", "on_b"),
        ModelUse(RECEIVE, "CPlacedV1", "on_c"),
    }  # a bare name, and a quoted annotation, hold no subscript the reader walks


def test_statements_in_every_kind_of_block_are_read() -> None:
    facts = _facts(
        """
        for item in []:
            import a
        else:
            import b
        while False:
            import c
        else:
            import d
        with open("x") as f:
            import e
        try:
            import g
        except ImportError:
            h = None
        else:
            import i
        finally:
            import j
        match 1:
            case 1:
                import k
        async def run() -> None:
            async for x in y:
                import m
        """
    )
    assert [i.names[0][0] for i in facts.imports] == list("abcdegijkm")
    assert facts.has_async
    assert {"item", "h", "run"} <= set(facts.bindings)
    assert "f" not in facts.bindings  # a `with` target is not read as a module name


def test_the_interface_sorts_each_distinct_import_once_by_its_text() -> None:
    facts = _facts("import b\nimport a\nimport b\nfrom . import c\n")
    imports = facts.interface_json()[0]
    expected = sorted({json.dumps(i.interface(), separators=(",", ":")) for i in facts.imports})
    assert imports == expected == ['["from",1,null,[["c",null]],false]',
                                   '["import",0,null,[["a",null]],false]',
                                   '["import",0,null,[["b",null]],false]']  # fmt: skip
    assert isinstance(facts.imports[0], ImportStmt)


def test_a_dotted_broker_library_is_still_recognised() -> None:
    source = b"def helper(client):\n    return client.topic_path('p', 't')\n"
    tree = ast.parse(source)
    assert read_brokers(tree, source, ["json"]) is None  # no library, no sending def
    found = read_brokers(tree, source, ["google.cloud.pubsub_v1"])
    assert found is None or found.sends == {}  # read, nothing sends
    names = b"from google.cloud import pubsub_v1\nclient = pubsub_v1.PublisherClient()\n"
    facts = read_brokers(ast.parse(names), names, ["google.cloud"])
    assert facts is None  # `google.cloud` alone is no broker library
    facts = read_brokers(ast.parse(names), names, ["google.cloud.pubsub_v1"])
    assert facts is not None
    assert "client" in facts.names


def test_send_words_are_found_in_any_case_and_position() -> None:
    assert has_send_word("Publish_Event")
    assert has_send_word("xadd")
    assert has_send_word("bulk_put_records")
    assert not has_send_word("subscribe")


def test_call_places_find_the_lines_a_regular_expression_of_the_names_finds() -> None:
    source = (
        b"x = publish_event (a)\n"  # a send word starting a longer name
        b"y = republish\\\n(b)\n"  # inside a name, the call after a continued line
        b"send = 1\n"  # no call
        b"helper(1); other_helper(2)\n"  # a whole name only
        b"\xc3\xa9helper(3)\n"  # a non-ASCII byte before the name is no word byte
    )
    sends = set(_call_places(source.lower(), _SEND_WORD_BYTES, False))
    assert sorted(source.count(b"\n", 0, at) + 1 for at in sends) == [1, 2]
    called = _call_places(source, (b"helper",), True)
    assert sorted(source.count(b"\n", 0, at) + 1 for at in called) == [5, 6]
    assert _at_boundary(b"helper", 0)
    assert not _at_boundary(b"my_helper", 3)


def test_what_nested_function_bodies_hold_is_read() -> None:
    facts = _facts(
        """
        def one_line(): import os
        def plain(x):
            if x:
                for y in x:
                    return y
        def continued():
            if True:
                from pydantic \\
                    import Field as F
        def outer():
            @wrap
            async def inner(envelope: EventEnvelope[InnerV1]):
                with open("f"):
                    import json
        def makes():
            class Row(DeclarativeBase):
                pass
        """
    )
    assert [i.module or i.names[0][0] for i in facts.imports] == ["os", "pydantic", "json"]
    assert facts.has_async
    assert ModelUse(RECEIVE, "InnerV1", "inner") in facts.model_uses
    assert facts.data_store == "declares the ORM base `Row`"


def test_passes_follows_locals_to_a_depth_of_three_through_shared_values() -> None:
    source = textwrap.dedent(
        """
        def wrap(self, payload, key, unused):
            body = json.dumps(payload)
            twice = body + body
            deep = [twice]
            deeper = {"d": deep}
            self.producer.send(twice, deep, deeper, key=key, **{"k": unused and 1})
        """
    ).encode()
    model = SemanticModel(ast.parse(source), source)
    function = next(iter(model.functions()))
    call = next(
        n
        for n in ast.walk(function.node)
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr == "send"
    )
    assert passes(call, function) == (
        ("**", "unused"),
        ("0", "payload"),
        ("1", "payload"),
        ("=key", "key"),
    )  # `deeper` reaches `payload` only through four locals


def test_payloads_are_read_where_the_envelope_is_named_as_a_regex_scan_reads_them() -> None:
    facts = _facts(
        """
        a = EventEnvelope(meta=EventEnvelope[Skipped], data=First(EventEnvelope[After]))
        b: EventEnvelope[Second] = MyEventEnvelope[NotOne]
        c = EventEnvelope[ Third ]
        """
    )
    assert facts.payloads == ["First", "After", "Second", "Third"]  # `Skipped`: inside a match


def test_the_spliced_texts_equal_the_plain_encoding() -> None:
    """`to_text` and `interface_hash` encode the bindings apart (from cached
    export texts): the result is the plain encoding of `to_json` and
    `interface_json`, names that need escaping and no bindings at all included."""
    for code in (
        "",
        "x = 1\n",
        "import a.b as c\nfrom .m import (n as o, p)\nclass Ünïcode(Base):\n    f: int\n",
        "from x import *\ndef f():\n    import y\n\nasync def g(): ...\n",
    ):
        facts = _facts(code)
        assert facts.to_text() == _COMPACT.encode(facts.to_json())
        plain = _COMPACT.encode(facts.interface_json()).encode()
        assert facts.interface_hash() == hashlib.blake2b(plain, digest_size=12).hexdigest()
    assert '"\\u00dcn\\u00efcode"' in _facts("Ünïcode = 1\n").to_text()


def test_the_one_pass_texts_equal_the_plain_encodings_on_every_example() -> None:
    """`encoded` splices the cache's text and the interface's from items
    encoded once for both: each equals the plain encoding of `to_json` and
    `interface_json` on every example and fixture file (classes, tables,
    routes, brokers, correlation and stamps among them)."""
    root = Path(__file__).resolve().parents[1]
    paths = sorted([*root.glob("examples/**/*.py"), *root.glob("tests/fixtures/**/*.py")])
    assert len(paths) > 300
    kinds: set[int] = set()
    for path in paths:
        source = path.read_bytes()
        try:
            tree = ast.parse(source)
        except SyntaxError:
            continue
        facts = extract(tree, source)
        text, digest = facts.encoded()
        assert text == _COMPACT.encode(facts.to_json()), path
        plain = _COMPACT.encode(facts.interface_json()).encode()
        assert digest == hashlib.blake2b(plain, digest_size=12).hexdigest(), path
        assert (text, digest) == (facts.to_text(), facts.interface_hash())
        kinds.update(i for i, part in enumerate(facts.to_json()) if part not in (None, [], False))
    assert kinds == set(range(19))  # every part of the facts was seen filled


def test_the_interface_hash_ignores_positions_and_follows_the_interface() -> None:
    """The one-pass hash is over the parts other files depend on: moving the
    code down changes the facts' text (their positions) and not the hash; a
    changed field, call, binding or import changes the hash."""
    code = (
        "from pydantic import BaseModel\n"
        "from lib.log import make_logger\n\n"
        "class Order(BaseModel):\n    amount: int\n\n"
        "logger = make_logger('orders')\n"
    )
    facts = _facts(code)
    moved = _facts("# a comment\n\n" + code.replace("class Order", "\n\nclass Order"))
    assert moved.to_text() != facts.to_text()
    assert moved.interface_hash() == facts.interface_hash()
    for edit in (
        code.replace("amount: int", "amount: str"),
        code.replace("make_logger('orders')", "other_logger('orders')"),
        code + "LIMIT = 3\n",
        code.replace("from lib.log", "from lib.logs"),
    ):
        assert _facts(edit).interface_hash() != facts.interface_hash(), edit
