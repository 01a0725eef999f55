"""Schema evolution: extraction, the snapshot, compatibility in the three modes,
the documented examples, and `schema-diff --base` against a real git repository."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from arch_lint.adapters.cli import main
from arch_lint.config import load_settings
from arch_lint.index.layout import Layout
from arch_lint.rules import RULES, SchemaRule
from arch_lint.rules._base import code_blocks, doc_sections
from arch_lint.schema import command
from arch_lint.schema.diff import diff, next_version
from arch_lint.schema.extract import Schema, SchemaError
from arch_lint.schema.types import accepts, parse, render

SCHEMA_RULES = [r for r in RULES if issubclass(r, SchemaRule)]
CONFIG = '[tool.arch_lint]\nservices = []\nshared-models = ["common/models"]\n'
HEADER = (
    "from enum import Enum, IntEnum, IntFlag, auto\n"
    "from datetime import datetime\n"
    "from typing import Annotated, Any, List, Literal, Optional, TypeAlias, Union\n\n"
    "from pydantic import (\n"
    "    AliasChoices, AliasGenerator, AliasPath, BaseModel, ConfigDict, Field, RootModel,\n"
    "    computed_field,\n"
    ")\n"
    "from pydantic.alias_generators import to_camel, to_pascal, to_snake\n\n\n"
)


def _project(root: Path, models: str) -> None:
    (root / "pyproject.toml").write_text(CONFIG)
    package = root / "common" / "models"
    package.mkdir(parents=True, exist_ok=True)
    (root / "common" / "__init__.py").write_text("")
    (package / "__init__.py").write_text("")
    (package / "events.py").write_text(HEADER + models)


def _schema(root: Path) -> Schema:
    settings = load_settings(None, root)
    return command.head_schema(settings, Layout.scan(settings)).schema


def _codes(tmp_path: Path, before: str, after: str, mode: str) -> list[str]:
    _project(tmp_path, before)
    base = _schema(tmp_path)
    _project(tmp_path, after)
    head = _schema(tmp_path)
    return [c.code for c in diff(base, head, mode)]


# --- types -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Optional[int]", "int | None"),
        ("Union[int, None]", "None | int"),
        ("typing.List[int]", "list[int]"),
        ("List['Line']", "list[Line]"),
        ('"Line"', "Line"),
        ("Dict[str, Any]", "dict[str, typing.Any]"),
        ("Annotated[int, Field(description='x')]", "int"),
        ("Literal['b', 'a']", "Literal['a', 'b']"),
        ("Union[int, str]", "str | int"),
    ],
)
def test_spellings_that_mean_the_same_are_equal(a: str, b: str) -> None:
    assert parse(a) == parse(b)
    assert parse(render(parse(a))) == parse(a)


@pytest.mark.parametrize(
    ("reader", "writer", "expected"),
    [
        ("int | None", "int", True),
        ("int", "int | None", False),
        ("float", "int", True),
        ("int", "float", False),
        ("Literal['a', 'b']", "Literal['a']", True),
        ("Literal['a']", "Literal['a', 'b']", False),
        ("str", "Literal['a']", True),
        ("Annotated[int, Field(gt=0)]", "int", False),
        ("int", "Annotated[int, Field(gt=0)]", True),
        ("list[int | None]", "list[int]", True),
        ("Any", "dict[str, int]", True),
        ("str", "int", False),
    ],
)
def test_acceptance_follows_json_validation(reader: str, writer: str, expected: bool) -> None:
    assert accepts(parse(reader), parse(writer)) is expected


def test_next_version() -> None:
    assert next_version("OrderPlacedV1") == "OrderPlacedV2"
    assert next_version("OrderPlacedV9") == "OrderPlacedV10"
    assert next_version("OrderPlaced") == "OrderPlacedV2"


# --- one case per change kind, in every mode ------------------------------------------------
BASE = """
class Status(str, Enum):
    PLACED = "placed"
    PAID = "paid"


class OrderPlacedV1(BaseModel):
    order_id: str
    amount: int
    note: str | None = None
"""

ODD_KEYS = BASE.replace(
    "    order_id: str\n", "    order_id: str = Field(serialization_alias='orderId')\n"
).replace(
    "    amount: int\n",
    "    amount: int = Field(validation_alias=AliasPath('totals', 'amount'))\n"
    "    code: str = Field('x', alias='c', validation_alias='cc')\n",
)

CASES: dict[str, tuple[str, str, dict[str, list[str]]]] = {
    "field removed (required)": (
        BASE,
        BASE.replace("    amount: int\n", ""),
        {"backward": [], "forward": ["ARC501"], "full": ["ARC501"]},
    ),
    "optional field removed": (
        BASE,
        BASE.replace("    note: str | None = None\n", ""),
        {"backward": [], "forward": [], "full": []},
    ),
    "field renamed (one finding)": (
        BASE,
        BASE.replace("amount: int", "total: int"),
        {"backward": ["ARC501"], "forward": ["ARC501"], "full": ["ARC501"]},
    ),
    "alias changed": (
        BASE,
        BASE.replace("amount: int", "amount: int = Field(alias='amountCents')"),
        {"backward": ["ARC501"], "forward": ["ARC501"], "full": ["ARC501"]},
    ),
    "type narrowed": (
        BASE,
        BASE.replace("note: str | None = None", "note: str = ''"),
        {"backward": ["ARC502"], "forward": [], "full": ["ARC502"]},
    ),
    "type widened": (
        BASE,
        BASE.replace("amount: int", "amount: float"),
        {"backward": [], "forward": ["ARC502"], "full": ["ARC502"]},
    ),
    "type changed": (
        BASE,
        BASE.replace("amount: int", "amount: str"),
        {"backward": ["ARC502"], "forward": ["ARC502"], "full": ["ARC502"]},
    ),
    "constraint added": (
        BASE,
        BASE.replace("amount: int", "amount: int = Field(gt=0)"),
        {"backward": ["ARC502"], "forward": [], "full": ["ARC502"]},
    ),
    "optional made required": (
        BASE,
        BASE.replace("note: str | None = None", "note: str | None"),
        {"backward": ["ARC503"], "forward": [], "full": ["ARC503"]},
    ),
    "required field added": (
        BASE,
        BASE + "    channel: str\n",
        {"backward": ["ARC503"], "forward": [], "full": ["ARC503"]},
    ),
    "optional field added": (
        BASE,
        BASE + "    channel: str = 'web'\n",
        {"backward": [], "forward": [], "full": []},
    ),
    "field added, reader forbids extra": (
        BASE.replace(
            "    order_id: str\n",
            "    model_config = ConfigDict(extra='forbid')\n    order_id: str\n",
        ),
        BASE.replace(
            "    order_id: str\n",
            "    model_config = ConfigDict(extra='forbid')\n    order_id: str\n",
        )
        + "    channel: str = 'web'\n",
        {"backward": [], "forward": ["ARC507"], "full": ["ARC507"]},
    ),
    "model removed": (
        BASE,
        BASE.split("class OrderPlacedV1")[0],
        {"backward": ["ARC504"], "forward": ["ARC504"], "full": ["ARC504"]},
    ),
    "versioned model added beside the old one": (
        BASE,
        BASE + "\n\nclass OrderPlacedV2(BaseModel):\n    order_id: str\n",
        {"backward": [], "forward": [], "full": []},
    ),
    "enum member removed": (
        BASE,
        BASE.replace('    PAID = "paid"\n', ""),
        {"backward": ["ARC505"], "forward": [], "full": ["ARC505"]},
    ),
    "enum value changed": (
        BASE,
        BASE.replace('PAID = "paid"', 'PAID = "settled"'),
        {"backward": ["ARC505"], "forward": ["ARC505"], "full": ["ARC505"]},
    ),
    "enum member renamed, value kept": (
        BASE,
        BASE.replace('PAID = "paid"', 'SETTLED = "paid"'),
        {"backward": [], "forward": [], "full": []},
    ),
    "two enum members removed, one added": (
        BASE.replace('    PAID = "paid"\n', '    PAID = "paid"\n    SHIPPED = "shipped"\n'),
        BASE.replace('    PLACED = "placed"\n    PAID = "paid"\n', '    NEW = "new"\n'),
        {
            "backward": ["ARC505", "ARC505", "ARC505"],
            "forward": ["ARC506"],
            "full": ["ARC505", "ARC505", "ARC505", "ARC506"],
        },
    ),
    "enum member added": (
        BASE,
        BASE.replace('    PAID = "paid"\n', '    PAID = "paid"\n    REFUNDED = "refunded"\n'),
        {"backward": [], "forward": ["ARC506"], "full": ["ARC506"]},
    ),
    "python name changed, JSON key kept": (
        BASE.replace("    order_id: str\n", "    orderId: str\n"),
        BASE.replace("    order_id: str\n", "    order_id: str = Field(alias='orderId')\n"),
        {"backward": [], "forward": [], "full": []},
    ),
    "old key kept as a validation alias choice": (
        BASE,
        BASE.replace(
            "amount: int",
            "amount_cents: int = Field(validation_alias=AliasChoices('amount_cents', 'amount'), "
            "serialization_alias='amount')",
        ),
        {"backward": [], "forward": [], "full": []},
    ),
    "alias added, populate_by_name": (
        BASE.replace(
            "    order_id: str\n",
            "    model_config = ConfigDict(populate_by_name=True)\n    order_id: str\n",
        ),
        BASE.replace(
            "    order_id: str\n",
            "    model_config = ConfigDict(populate_by_name=True)\n"
            "    order_id: str = Field(alias='orderId', serialization_alias='order_id')\n",
        ),
        {"backward": [], "forward": [], "full": []},
    ),
    "validation alias differs from alias": (
        BASE,
        BASE.replace("amount: int", "amount: int = Field(alias='amount', validation_alias='amt')"),
        {"backward": ["ARC501"], "forward": [], "full": ["ARC501"]},
    ),
    "ellipsis default stays required": (
        BASE,
        BASE + "    channel: str = ...\n",
        {"backward": ["ARC503"], "forward": [], "full": ["ARC503"]},
    ),
    "constraint loosened": (
        BASE.replace("amount: int", "amount: int = Field(gt=0, le=100)"),
        BASE.replace("amount: int", "amount: int = Field(ge=0, le=1000)"),
        {"backward": [], "forward": ["ARC502"], "full": ["ARC502"]},
    ),
    "datetime read back as str": (
        BASE.replace("note: str | None = None", "note: datetime | None = None"),
        BASE,
        {"backward": [], "forward": ["ARC502"], "full": ["ARC502"]},
    ),
    "unchanged fields with keys that differ from the name": (
        ODD_KEYS,
        ODD_KEYS,
        {"backward": [], "forward": [], "full": []},
    ),
    "renamed, the old key kept as a validation choice": (
        BASE.replace("    order_id: str\n", "    orderId: str\n"),
        BASE.replace(
            "    order_id: str\n",
            "    order_id: str = Field(validation_alias=AliasChoices('order_id', 'orderId'))\n",
        ),
        {"backward": [], "forward": ["ARC501"], "full": ["ARC501"]},
    ),
    "enum field read back as str": (
        BASE.replace("note: str | None = None", "status: Status = Status.PLACED"),
        BASE.replace("note: str | None = None", "status: str = 'placed'"),
        {"backward": [], "forward": ["ARC502"], "full": ["ARC502"]},
    ),
    "root model's type changed": (
        BASE + "\n\nclass TagsV1(RootModel[list[int]]):\n    pass\n",
        BASE + "\n\nclass TagsV1(RootModel[list[str]]):\n    pass\n",
        {"backward": ["ARC502"], "forward": ["ARC502"], "full": ["ARC502"]},
    ),
    "same meaning, other spelling": (
        BASE.replace("note: str | None = None", "note: Optional[str] = None"),
        BASE.replace("note: str | None = None", "note: 'Union[str, None]' = None"),
        {"backward": [], "forward": [], "full": []},
    ),
}


@pytest.mark.parametrize("mode", ["backward", "forward", "full"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_change_kinds_per_mode(case: str, mode: str, tmp_path: Path) -> None:
    before, after, expected = CASES[case]
    assert sorted(_codes(tmp_path, before, after, mode)) == sorted(expected[mode])


def test_a_model_moved_between_modules_is_no_change(tmp_path: Path) -> None:
    _project(tmp_path, BASE)
    base = _schema(tmp_path)
    (tmp_path / "common" / "models" / "events.py").write_text(HEADER)
    (tmp_path / "common" / "models" / "orders.py").write_text(HEADER + BASE)
    head = _schema(tmp_path)
    assert head.models["OrderPlacedV1"].module == "common.models.orders"
    assert diff(base, head, "full") == []


def test_type_aliases_are_written_out(tmp_path: Path) -> None:
    aliased = "OrderId = Annotated[str, Field(min_length=1)]\n" + BASE.replace(
        "order_id: str", "order_id: OrderId"
    )
    assert _codes(tmp_path, aliased, aliased.replace("min_length=1", "min_length=5"), "full") == [
        "ARC502"
    ]
    spelled_out = BASE.replace("order_id: str", "order_id: Annotated[str, Field(min_length=1)]")
    assert _codes(tmp_path, aliased, spelled_out, "full") == []


def test_found_on_real_code(tmp_path: Path) -> None:
    """prefect's field mixins, airflow's enum mirrors, a later base's config."""
    models = """
class OperatorMixin:
    operator: str = "and_"


class Other(str, Enum):
    A = "a"


class Mirror(str, Enum):
    A = Other.A


class Forbid(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Allow(BaseModel):
    model_config = ConfigDict(extra="allow")


class FilterV1(BaseModel, OperatorMixin):
    x: int | None = None
    span: tuple[int, ...] = ()


class BothV1(Forbid, Allow):
    y: int = 0
"""
    _project(tmp_path, models)
    schema = _schema(tmp_path)
    assert set(schema.models["FilterV1"].fields) == {"operator", "x", "span"}
    assert schema.models["FilterV1"].fields["span"].type == "tuple[int, ...]"
    assert schema.enums["Mirror"].members == {"A": "Other.A"}
    assert schema.models["BothV1"].extra == "allow"  # the later base wins, as in Pydantic
    assert "OperatorMixin" not in schema.models
    changed = models.replace("operator: str", "operator: int")
    assert _codes(tmp_path, models, changed, "full") == ["ARC502"]


def test_config_comes_from_deep_bases_and_class_keywords_win(tmp_path: Path) -> None:
    chain = "class M0(BaseModel):\n    model_config = ConfigDict(extra='forbid')\n"
    chain += "".join(f"\n\nclass M{i}(M{i - 1}):\n    x{i}: int = 0\n" for i in range(1, 21))
    chain += "\n\nclass K(M0, extra='allow'):\n    model_config = ConfigDict(extra='forbid')\n"
    _project(tmp_path, chain)
    schema = _schema(tmp_path)
    assert schema.models["M20"].extra == "forbid"
    assert schema.models["K"].extra == "allow"


def test_a_required_field_added_to_a_strict_model_breaks_both_ways(tmp_path: Path) -> None:
    strict = BASE.replace(
        "    order_id: str\n", "    model_config = ConfigDict(extra='forbid')\n    order_id: str\n"
    )
    codes = _codes(tmp_path, strict, strict + "    channel: str\n", "full")
    assert sorted(codes) == ["ARC503", "ARC507"]


def test_a_namesake_added_elsewhere_changes_nothing(tmp_path: Path) -> None:
    _project(tmp_path, BASE)
    base = _schema(tmp_path)
    (tmp_path / "common" / "models" / "other.py").write_text(
        HEADER + "class OrderPlacedV1(BaseModel):\n    x: int = 0\n"
    )
    assert diff(base, _schema(tmp_path), "full") == []


def test_a_base_field_change_is_one_finding(tmp_path: Path) -> None:
    models = """
class Envelope(BaseModel):
    event_id: str


class AV1(Envelope):
    a: int = 0


class BV1(Envelope):
    b: int = 0
"""
    codes = _codes(tmp_path, models, models.replace("event_id: str", "event_id: int"), "full")
    assert codes == ["ARC502"]


def test_a_shared_file_that_does_not_parse_is_an_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _project(tmp_path, BASE)
    monkeypatch.chdir(tmp_path)
    assert main(["schema-snapshot"]) == 0
    (tmp_path / "common" / "models" / "events.py").write_text(HEADER + "class (:\n")
    assert main(["schema-diff"]) == 2
    assert "does not parse" in capsys.readouterr().err
    (tmp_path / "common" / "models" / "events.py").write_text(HEADER + BASE)
    (tmp_path / "bad.json").write_bytes(b"\xff\xfe{")
    assert main(["schema-diff", "--against", "bad.json"]) == 2
    assert "not UTF-8" in capsys.readouterr().err


def test_messages_name_the_model_the_field_and_the_way_out(tmp_path: Path) -> None:
    _project(tmp_path, BASE)
    base = _schema(tmp_path)
    _project(tmp_path, BASE.replace("    amount: int\n", ""))
    (change,) = diff(base, _schema(tmp_path), "full")
    assert "`OrderPlacedV1.amount` was removed" in change.message
    assert "add `OrderPlacedV2` and keep `OrderPlacedV1`" in change.message
    assert change.path == "common/models/events.py"


def test_inherited_fields_and_extra_policy_are_part_of_a_model(tmp_path: Path) -> None:
    models = """
class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")
    event_id: str


class PaymentV1(Strict):
    amount: int = 0
"""
    _project(tmp_path, models)
    schema = _schema(tmp_path)
    payment = schema.models["PaymentV1"]
    assert payment.extra == "forbid"
    assert set(payment.fields) == {"event_id", "amount"}
    assert payment.fields["event_id"].required
    assert not payment.fields["amount"].required


# --- the snapshot ---------------------------------------------------------------------------
def test_snapshot_is_deterministic_and_round_trips(tmp_path: Path) -> None:
    _project(tmp_path, BASE + "\n\nclass Flag(Enum):\n    ON = auto()\n")
    first = _schema(tmp_path).dumps()
    second = _schema(tmp_path).dumps()
    assert first == second
    data = json.loads(first)
    assert data["format"] == "arch-lint-schema"
    assert data["version"] == 2
    assert list(data["models"]) == sorted(data["models"])
    again = Schema.loads(first, "snapshot")
    assert again.dumps() == first
    assert again.enums["Flag"].members == {"ON": "auto()"}


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("{", "not JSON"),
        ('{"format": "x"}', "not an arch-lint schema snapshot"),
        ('{"format": "arch-lint-schema", "version": 99}', "snapshot format version 99"),
        ('{"format": "arch-lint-schema", "version": "1"}', 'snapshot format version "1"'),
        (
            '{"format": "arch-lint-schema", "version": 1, "models": {"A": {}}, "enums": {}}',
            "malformed snapshot: model A: `module` is missing",
        ),
        (
            '{"format": "arch-lint-schema", "version": 1, "enums": {}, "models": {"A": '
            '{"module": "m", "path": "p", "line": 1, "extra": "ignore", "fields": {"x": '
            '{"type": "int", "required": "false", "read_keys": [], "write_key": null, '
            '"path": "p", "line": 2}}}}}',
            "model A, field x: `required` must be bool",
        ),
        (
            '{"format": "arch-lint-schema", "version": 2, "enums": {}, "aliases": {}, "models": '
            '{"A": {"module": "m", "path": "p", "line": 1, "extra": "ignore", "fields": {"x": '
            '{"type": "int", "required": false, "read_keys": [], "write_key": null, '
            '"path": "p", "line": 2}}}}}',
            "model A, field x: `computed` is missing",
        ),
        (
            '{"format": "arch-lint-schema", "version": 2, "enums": {}, "models": {}, '
            '"aliases": {"Old": {"target": "New", "module": "m", "path": "p", "line": 3}}}',
            "alias Old: `target` 'New' is no model or enum",
        ),
        (
            '{"format": "arch-lint-schema", "version": 2, "enums": {}, "models": {}}',
            "the snapshot: `aliases` is missing",
        ),
    ],
)
def test_a_bad_snapshot_is_a_clear_error(text: str, problem: str) -> None:
    with pytest.raises(SchemaError, match=problem):
        Schema.loads(text, "s.json")


def test_snapshot_command_and_diff_against_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _project(tmp_path, BASE)
    monkeypatch.chdir(tmp_path)
    assert main(["schema-snapshot"]) == 0
    assert "Wrote 1 model and 1 enum to" in capsys.readouterr().err
    assert (tmp_path / "arch-lint-schema.json").exists()
    assert main(["schema-diff"]) == 0  # against the configured snapshot
    (tmp_path / "common" / "models" / "events.py").write_text(
        HEADER + BASE.replace("    amount: int\n", "")
    )
    capsys.readouterr()
    assert main(["schema-diff", "--format", "json"]) == 1
    (finding,) = json.loads(capsys.readouterr().out)
    assert finding["code"] == "ARC501"
    assert finding["path"] == "common/models/events.py"
    assert main(["schema-diff", "--compatibility", "backward"]) == 0
    assert main(["schema-diff", "--ignore", "ARC501"]) == 0
    (tmp_path / "pyproject.toml").write_text(
        CONFIG + 'per-path-ignores = { "common/models/events.py" = ["ARC5"] }\n'
    )
    assert main(["schema-diff"]) == 0
    assert main(["schema-diff", "--against", "missing.json"]) == 2
    assert "no such snapshot (write one with `arch-lint schema-snapshot`" in capsys.readouterr().err


# --- git ------------------------------------------------------------------------------------
def _git(root: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        cwd=root,
        check=True,
        capture_output=True,
    )


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_schema_diff_against_a_git_revision_end_to_end(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _project(tmp_path, BASE)
    _git(tmp_path, "init", "-q")
    _git(tmp_path, "add", "-A")
    _git(tmp_path, "commit", "-qm", "v1")
    (tmp_path / "common" / "models" / "events.py").write_text(
        HEADER + BASE.replace("amount: int", "amount: str")
    )
    _git(tmp_path, "commit", "-qam", "v2: amount becomes a string")
    # and a dirty working tree on top: a required field removed, not committed
    (tmp_path / "common" / "models" / "events.py").write_text(
        HEADER + BASE.replace("amount: int", "amount: str").replace("    order_id: str\n", "")
    )
    before = (tmp_path / "common" / "models" / "events.py").read_bytes()
    monkeypatch.chdir(tmp_path)

    assert main(["schema-diff", "--base", "HEAD~1"]) == 1
    out = capsys.readouterr().out
    assert "ARC502 `OrderPlacedV1.amount` changed its type from `int` to `str`" in out
    assert "ARC501 `OrderPlacedV1.order_id` was removed" in out
    assert main(["schema-diff", "--base", "HEAD"]) == 1
    out = capsys.readouterr().out
    assert "ARC502" not in out
    assert "ARC501" in out
    # the working tree was not touched, and nothing was staged or checked out
    assert (tmp_path / "common" / "models" / "events.py").read_bytes() == before

    assert main(["schema-diff", "--base", "no-such-ref"]) == 2
    assert "unknown git revision 'no-such-ref'" in capsys.readouterr().err


def test_schema_diff_outside_git_is_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _project(tmp_path, BASE)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path.parent))
    assert main(["schema-diff", "--base", "HEAD"]) == 2
    assert "is not inside a git repository" in capsys.readouterr().err


def test_schema_commands_need_shared_models(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.arch_lint]\nservices = []\nshared-models = ["nowhere"]\n'
    )
    monkeypatch.chdir(tmp_path)
    assert main(["schema-snapshot", "-o", "-"]) == 2
    assert "ARC000" in capsys.readouterr().err


# --- the documented examples ------------------------------------------------------------------
def _versions(snippet: str) -> tuple[str, str]:
    parts = re.split(r"^# (before|after): \S+\n", snippet, flags=re.M)
    named = dict(zip(parts[1::2], parts[2::2], strict=True))
    return named["before"], named["after"]


@pytest.mark.parametrize("rule", SCHEMA_RULES, ids=lambda r: r.code)
@pytest.mark.parametrize("section", ["Example", "Use instead"])
def test_documented_examples_behave_as_documented(
    rule: type[SchemaRule], section: str, tmp_path: Path
) -> None:
    (snippet,) = code_blocks(doc_sections(rule.__doc__ or "")[section])
    before, after = _versions(snippet)
    for mode in rule.modes:
        root = tmp_path / f"{section.replace(' ', '_')}_{mode}"
        root.mkdir()
        (root / "pyproject.toml").write_text(CONFIG)
        package = root / "common" / "models"
        package.mkdir(parents=True)
        (package / "__init__.py").write_text("")
        (package / "orders.py").write_text(before)
        base = _schema(root)
        (package / "orders.py").write_text(after)
        codes = {c.code for c in diff(base, _schema(root), mode)}
        if section == "Example":
            assert rule.code in codes, f"{rule.code}'s Example is not flagged in {mode}"
        else:
            assert not codes, f"{rule.code}'s 'Use instead' is flagged in {mode}: {codes}"


# --- issue 13 item 5: aliases, computed fields, exclude=True, alias generators, enum values --
SHIPMENT = """
class ShipmentEvent(BaseModel):
    shipment_id: str
    carrier: str | None = None
"""
SHIPMENT_V1 = SHIPMENT.replace("ShipmentEvent(", "ShipmentEventV1(")
STRICT = "    model_config = ConfigDict(extra='forbid')\n"
TOTAL = """
    @computed_field
    @property
    def total_cents(self) -> int:
        return 100
"""
ORDER = """
class OrderV1(BaseModel):
    order_id: str
    line_count: int
    note: str | None = None
"""
CAMEL = "    model_config = ConfigDict(alias_generator=to_camel)\n"
STATUS = """
PREFIX = "ord"


class Status(str, Enum):
    PLACED = "ord.placed"
    PAID = "ord.paid"


class Access(IntFlag):
    READ = 1
    WRITE = 2
    ALL = 3
"""
NOT_CONSTANT = (
    "\n\ndef make(x: str) -> str:\n    return x\n\n\nclass Made(str, Enum):\n    A = make('a')\n"
)


def _strict(models: str, cls: str) -> str:
    return models.replace(f"class {cls}(BaseModel):\n", f"class {cls}(BaseModel):\n{STRICT}")


def _camel(models: str, cls: str = "OrderV1", config: str = CAMEL) -> str:
    return models.replace(f"class {cls}(BaseModel):\n", f"class {cls}(BaseModel):\n{config}")


NONE: dict[str, list[str]] = {"backward": [], "forward": [], "full": []}


def _every(*codes: str) -> dict[str, list[str]]:
    return {"backward": list(codes), "forward": list(codes), "full": list(codes)}


def _fwd(*codes: str) -> dict[str, list[str]]:
    return {"backward": [], "forward": list(codes), "full": list(codes)}


def _back(*codes: str) -> dict[str, list[str]]:
    return {"backward": list(codes), "forward": [], "full": list(codes)}


EVOLUTION: dict[str, tuple[str, str, dict[str, list[str]]]] = {
    # 1. a module-level alias of the shared packages keeps a name alive
    "renamed, the old name kept by an alias": (
        SHIPMENT,
        SHIPMENT_V1 + "\n\nShipmentEvent = ShipmentEventV1\n",
        NONE,
    ),
    "renamed, the old name kept by a TypeAlias": (
        SHIPMENT,
        SHIPMENT_V1 + "\n\nShipmentEvent: TypeAlias = ShipmentEventV1\n",
        NONE,
    ),
    "renamed, no alias": (SHIPMENT, SHIPMENT_V1, _every("ARC504")),
    "the alias's target has another shape": (
        SHIPMENT,
        SHIPMENT_V1.replace("shipment_id: str", "shipment_id: int")
        + "\n\nShipmentEvent = ShipmentEventV1\n",
        _every("ARC502"),
    ),
    "an alias of a model that is removed too": (
        SHIPMENT + SHIPMENT_V1,
        "\nShipmentEvent = ShipmentEventV1\n",
        _every("ARC504", "ARC504"),
    ),
    "an alias of something that is no model": (
        SHIPMENT,
        "\nShipmentEvent = dict\n",
        _every("ARC504"),
    ),
    "an alias removed": (
        SHIPMENT_V1 + "\n\nShipmentEvent = ShipmentEventV1\n",
        SHIPMENT_V1,
        _every("ARC504"),
    ),
    "an alias kept, the old target kept beside its successor": (
        SHIPMENT_V1 + "\n\nShipmentEvent = ShipmentEventV1\n",
        SHIPMENT_V1
        + SHIPMENT_V1.replace("V1(", "V2(").replace("carrier: str | None", "carrier: int | None")
        + "\n\nShipmentEvent = ShipmentEventV1\n",
        NONE,
    ),
    "an alias moved to the successor": (
        SHIPMENT_V1 + "\n\nShipmentEvent = ShipmentEventV1\n",
        SHIPMENT_V1
        + SHIPMENT_V1.replace("V1(", "V2(").replace("shipment_id: str", "shipment_id: int")
        + "\n\nShipmentEvent = ShipmentEventV2\n",
        _every("ARC502"),
    ),
    "a field typed with the old name, kept by an alias": (
        SHIPMENT + "\n\nclass ManifestV1(BaseModel):\n    event: ShipmentEvent\n",
        SHIPMENT_V1
        + "\n\nShipmentEvent = ShipmentEventV1\n\n\n"
        + "class ManifestV1(BaseModel):\n    event: ShipmentEvent\n",
        NONE,
    ),
    "a nested model renamed with its shape, no alias": (
        SHIPMENT + "\n\nclass ManifestV1(BaseModel):\n    event: ShipmentEvent | None = None\n",
        SHIPMENT_V1
        + "\n\nclass ManifestV1(BaseModel):\n    event: ShipmentEventV1 | None = None\n",
        _every("ARC504"),  # the rename; the field that carries it reads the same JSON
    ),
    "a nested model renamed with another shape": (
        SHIPMENT + "\n\nclass ManifestV1(BaseModel):\n    event: ShipmentEvent | None = None\n",
        SHIPMENT_V1.replace("carrier: str | None = None", "carrier: str")
        + "\n\nclass ManifestV1(BaseModel):\n    event: ShipmentEventV1 | None = None\n",
        _every("ARC504", "ARC502"),
    ),
    "an enum renamed, the old name kept by an alias": (
        "\nclass Color(str, Enum):\n    RED = 'red'\n",
        "\nclass ColorV1(str, Enum):\n    RED = 'red'\n\n\nColor = ColorV1\n",
        NONE,
    ),
    # 2. a computed field is written output
    "computed field added, the old reader forbids extra keys": (
        _strict(ORDER, "OrderV1"),
        _strict(ORDER, "OrderV1") + TOTAL,
        _fwd("ARC507"),
    ),
    "computed field added, the old reader ignores extra keys": (ORDER, ORDER + TOTAL, NONE),
    "computed field removed": (ORDER + TOTAL, ORDER, _fwd("ARC501")),
    "computed field's type widened": (
        ORDER + TOTAL,
        ORDER + TOTAL.replace("-> int", "-> float"),
        _fwd("ARC502"),
    ),
    "computed field's type narrowed": (
        ORDER + TOTAL.replace("-> int", "-> float"),
        ORDER + TOTAL,
        NONE,
    ),
    "computed field renamed, its key kept by an alias": (
        ORDER + TOTAL,
        ORDER
        + TOTAL.replace("@computed_field\n", "@computed_field(alias='total_cents')\n").replace(
            "def total_cents", "def total"
        ),
        NONE,
    ),
    "computed field's key changed": (
        ORDER + TOTAL,
        ORDER + TOTAL.replace("@computed_field\n", "@computed_field(alias='totalCents')\n"),
        _fwd("ARC501"),
    ),
    "a required field becomes a computed field with its key": (
        ORDER + "    total_cents: int\n",
        ORDER + TOTAL,
        NONE,
    ),
    "a field becomes computed, the new reader forbids extra keys": (
        _strict(ORDER, "OrderV1") + "    total_cents: int\n",
        _strict(ORDER, "OrderV1") + TOTAL,
        _back("ARC501"),
    ),
    "a computed field becomes an optional field": (
        ORDER + TOTAL,
        ORDER + "    total_cents: int = 0\n",
        NONE,
    ),
    # 3a. exclude=True: read, never written
    "excluded field removed": (
        ORDER + "    secret: str = Field(exclude=True)\n",
        ORDER,
        NONE,
    ),
    "excluded field removed from a strict model": (
        _strict(ORDER, "OrderV1") + "    secret: str = Field(exclude=True)\n",
        _strict(ORDER, "OrderV1"),
        NONE,
    ),
    "excluded optional field added to a strict model": (
        _strict(ORDER, "OrderV1"),
        _strict(ORDER, "OrderV1") + "    secret: str = Field('', exclude=True)\n",
        NONE,
    ),
    "excluded required field added": (
        ORDER,
        ORDER + "    secret: Annotated[str, Field(exclude=True)]\n",
        _back("ARC503"),
    ),
    "required field excluded from the output": (
        ORDER,
        ORDER.replace("line_count: int", "line_count: int = Field(exclude=True)"),
        _fwd("ARC501"),
    ),
    "excluded field's type changed": (
        ORDER + "    secret: str = Field(exclude=True)\n",
        ORDER + "    secret: int = Field(exclude=True)\n",
        NONE,
    ),
    "excluded optional field now written and required": (
        ORDER + "    secret: str = Field('', exclude=True)\n",
        ORDER + "    secret: str\n",
        _back("ARC503"),
    ),
    # 3b. alias generators: the JSON key is what is compared
    "alias generator unchanged": (_camel(ORDER), _camel(ORDER), NONE),
    "alias generator added": (
        ORDER,
        _camel(ORDER),
        _every("ARC501", "ARC501"),  # order_id, line_count; `note` is optional
    ),
    "alias generator changed": (
        _camel(ORDER),
        _camel(ORDER, config="    model_config = ConfigDict(alias_generator=to_pascal)\n"),
        _every("ARC501", "ARC501"),
    ),
    "alias generator dropped, names still read": (
        _camel(
            ORDER,
            config="    model_config = ConfigDict("
            "alias_generator=to_camel, populate_by_name=True)\n",
        ),
        _camel(ORDER, config="    model_config = ConfigDict(populate_by_name=True)\n"),
        _back("ARC501", "ARC501"),
    ),
    "alias generator replaced by the same aliases": (
        _camel(ORDER),
        ORDER.replace("order_id: str", "order_id: str = Field(alias='orderId')").replace(
            "line_count: int", "line_count: int = Field(alias='lineCount')"
        ),
        NONE,
    ),
    "alias generator inherited from a base, then declared by the model": (
        "\nclass CamelModel(BaseModel):\n" + CAMEL + ORDER.replace("(BaseModel)", "(CamelModel)"),
        "\nclass CamelModel(BaseModel):\n" + CAMEL + _camel(ORDER),
        NONE,
    ),
    "inherited alias generator changed": (
        "\nclass CamelModel(BaseModel):\n" + CAMEL + ORDER.replace("(BaseModel)", "(CamelModel)"),
        "\nclass CamelModel(BaseModel):\n    model_config = ConfigDict(alias_generator=to_snake)\n"
        + ORDER.replace("(BaseModel)", "(CamelModel)"),
        _every("ARC501", "ARC501"),
    ),
    "an unknown alias generator changed": (
        "\ndef camel(name: str) -> str:\n    return name\n\n"
        + _camel(ORDER, config="    model_config = ConfigDict(alias_generator=camel)\n"),
        "\ndef camel(name: str) -> str:\n    return name\n\n"
        + _camel(ORDER, config="    model_config = ConfigDict(alias_generator=str.upper)\n"),
        NONE,  # the keys cannot be known: not judged
    ),
    "serialization-only alias generator added": (
        ORDER,
        _camel(
            ORDER,
            config="    model_config = ConfigDict(\n"
            "        alias_generator=AliasGenerator(serialization_alias=to_camel)\n    )\n",
        ),
        _fwd("ARC501", "ARC501"),
    ),
    "computed field's key from the alias generator": (
        ORDER + TOTAL,
        _camel(ORDER) + TOTAL,
        # order_id and line_count (required) both ways, total_cents (output) forward
        {"backward": ["ARC501"] * 2, "forward": ["ARC501"] * 3, "full": ["ARC501"] * 3},
    ),
    # 4. enum members compared by value where the value is a constant expression
    "enum values computed, the same values": (
        STATUS,
        STATUS.replace('"ord.placed"', 'PREFIX + ".placed"')
        .replace('"ord.paid"', 'f"{PREFIX}.paid"')
        .replace("ALL = 3", "ALL = READ | WRITE")
        .replace("WRITE = 2", "WRITE = 1 << 1"),
        NONE,
    ),
    "a module constant behind enum values changed": (
        STATUS.replace('"ord.placed"', 'PREFIX + ".placed"').replace(
            '"ord.paid"', 'f"{PREFIX}.paid"'
        ),
        STATUS.replace('"ord.placed"', 'PREFIX + ".placed"')
        .replace('"ord.paid"', 'f"{PREFIX}.paid"')
        .replace('PREFIX = "ord"', 'PREFIX = "order"'),
        _every("ARC505", "ARC505"),
    ),
    "an earlier member's value changed": (
        STATUS.replace("ALL = 3", "ALL = READ | WRITE"),
        STATUS.replace("ALL = 3", "ALL = READ | WRITE").replace("WRITE = 2", "WRITE = 4"),
        _every("ARC505", "ARC505"),  # WRITE and ALL
    ),
    "a computed enum value added": (
        STATUS,
        STATUS.replace("    ALL = 3\n", "    ALL = 3\n    ADMIN = 1 << 3\n"),
        _fwd("ARC506"),
    ),
    "a computed enum value removed": (
        STATUS.replace("    ALL = 3\n", "    ALL = 3\n    ADMIN = 1 << 3\n"),
        STATUS,
        _back("ARC505"),
    ),
    "an enum value that is no constant expression": (
        NOT_CONSTANT,
        NOT_CONSTANT.replace("make('a')", "make('b')"),
        NONE,  # not known: not compared (as before)
    ),
}


@pytest.mark.parametrize("mode", ["backward", "forward", "full"])
@pytest.mark.parametrize("case", sorted(EVOLUTION))
def test_evolution_per_mode(case: str, mode: str, tmp_path: Path) -> None:
    before, after, expected = EVOLUTION[case]
    assert sorted(_codes(tmp_path, before, after, mode)) == sorted(expected[mode])


def _diff_codes(capsys: pytest.CaptureFixture[str], *args: str) -> list[str]:
    capsys.readouterr()
    status = main(["schema-diff", "--format", "json", *args])
    found = json.loads(capsys.readouterr().out)
    assert status == (1 if found else 0)
    return sorted(f["code"] for f in found)


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
@pytest.mark.parametrize("case", sorted(EVOLUTION))
def test_evolution_end_to_end_against_git_and_a_snapshot(
    case: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`schema-diff --base REF` and `--against SNAPSHOT` (written by
    `schema-snapshot` and read back) find the same changes in every mode."""
    before, after, expected = EVOLUTION[case]
    _project(tmp_path, before)
    _git(tmp_path, "init", "-q")
    _git(tmp_path, "add", "-A")
    _git(tmp_path, "commit", "-qm", "before")
    monkeypatch.chdir(tmp_path)
    assert main(["schema-snapshot", "-o", "before.json"]) == 0
    _project(tmp_path, after)
    for mode, codes in expected.items():
        mode_arg = ["--compatibility", mode]
        assert _diff_codes(capsys, "--base", "HEAD", *mode_arg) == sorted(codes), mode
        assert _diff_codes(capsys, "--against", "before.json", *mode_arg) == sorted(codes), mode


COMPAT_MODELS = """
PREFIX = "ord"


class Status(str, Enum):
    PLACED = PREFIX + ".placed"
    PAID = f"{PREFIX}.paid"
    HELD = PREFIX


class Access(IntFlag):
    READ = 1
    WRITE = 1 << 1
    ALL = READ | WRITE


class CamelModel(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, extra="forbid")


class OrderV1(CamelModel):
    order_id: str
    line_count: int
    secret: str = Field("", exclude=True)
    status: Status = Status.PLACED

    @computed_field
    @property
    def total_cents(self) -> int:
        return 100


ShipmentEvent = OrderV1
"""
V1_SNAPSHOT = Path(__file__).parent / "schemas" / "arch-lint-schema-v1.json"
"""Written by arch-lint before snapshot format 2, for `COMPAT_MODELS`."""


def test_the_new_schema_of_models_that_use_every_new_feature(tmp_path: Path) -> None:
    _project(tmp_path, COMPAT_MODELS)
    schema = _schema(tmp_path)
    order = schema.models["OrderV1"]
    assert order.fields["order_id"].read_keys == ("orderId",)
    assert order.fields["order_id"].write_key == "orderId"
    assert order.fields["line_count"].write_key == "lineCount"
    assert order.fields["secret"].exclude
    assert order.fields["secret"].read
    assert not order.fields["secret"].written
    total = order.fields["total_cents"]
    assert total.computed
    assert not total.read
    assert not total.required
    assert (total.type, total.write_key) == ("int", "totalCents")
    assert schema.enums["Status"].members == {
        "PLACED": "'ord.placed'",
        "PAID": "'ord.paid'",
        "HELD": "'ord'",
    }
    assert schema.enums["Access"].members == {"READ": "1", "WRITE": "2", "ALL": "3"}
    alias = schema.aliases["ShipmentEvent"]
    line = (HEADER + COMPAT_MODELS).splitlines().index("ShipmentEvent = OrderV1") + 1
    assert (alias.target, alias.path, alias.line) == ("OrderV1", "common/models/events.py", line)
    assert Schema.loads(schema.dumps(), "snapshot").dumps() == schema.dumps()


def test_a_version_1_snapshot_is_read_as_version_1_saw_the_models(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A snapshot written before alias generators, computed and excluded fields
    and computed enum values were known: comparing the unchanged models with it
    finds nothing (read with today's eyes, every key would look changed), and a
    real change is still found."""
    _project(tmp_path, COMPAT_MODELS)
    shutil.copy(V1_SNAPSHOT, tmp_path / "v1.json")
    old = Schema.loads(V1_SNAPSHOT.read_text(), "v1.json")
    assert old.version == 1
    assert diff(old, _schema(tmp_path), "full") != []  # what the notice is about
    monkeypatch.chdir(tmp_path)
    capsys.readouterr()
    assert main(["schema-diff", "--against", "v1.json"]) == 0
    assert "v1.json has snapshot format version 1" in capsys.readouterr().err
    _project(tmp_path, COMPAT_MODELS.replace("    line_count: int\n", ""))
    assert _diff_codes(capsys, "--against", "v1.json") == ["ARC501"]
    _project(tmp_path, COMPAT_MODELS.replace("    HELD = PREFIX\n", ""))
    assert _diff_codes(capsys, "--against", "v1.json", "--compatibility", "backward") == ["ARC505"]


def test_an_alias_outside_the_shared_packages_keeps_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _project(tmp_path, SHIPMENT)
    (tmp_path / "pyproject.toml").write_text(
        '[tool.arch_lint]\nservices = ["services/*"]\nshared-models = ["common/models"]\n'
    )
    monkeypatch.chdir(tmp_path)
    assert main(["schema-snapshot"]) == 0
    _project(tmp_path, SHIPMENT_V1)
    service = tmp_path / "services" / "shipping"
    service.mkdir(parents=True)
    (service / "__init__.py").write_text("")
    (service / "events.py").write_text(
        "from common.models.events import ShipmentEventV1\n\nShipmentEvent = ShipmentEventV1\n"
    )
    assert _diff_codes(capsys) == ["ARC504"]


def test_an_import_under_another_name_keeps_a_name(tmp_path: Path) -> None:
    _project(tmp_path, SHIPMENT)
    base = _schema(tmp_path)
    _project(tmp_path, "from common.models.v1 import ShipmentEventV1 as ShipmentEvent\n")
    (tmp_path / "common" / "models" / "v1.py").write_text(HEADER + SHIPMENT_V1)
    head = _schema(tmp_path)
    assert head.aliases["ShipmentEvent"].target == "ShipmentEventV1"
    assert head.aliases["ShipmentEvent"].line == 12
    assert diff(base, head, "full") == []
    # a plain re-export under the same name is no alias
    (tmp_path / "common" / "models" / "__init__.py").write_text(
        "from common.models.v1 import ShipmentEventV1\n"
    )
    assert list(_schema(tmp_path).aliases) == ["ShipmentEvent"]


def test_a_removed_alias_is_reported_where_it_was(tmp_path: Path) -> None:
    kept = SHIPMENT_V1 + "\n\nShipmentEvent = ShipmentEventV1\n"
    _project(tmp_path, kept)
    base = _schema(tmp_path)
    _project(tmp_path, SHIPMENT_V1)
    (change,) = diff(base, _schema(tmp_path), "backward")
    assert change.code == "ARC504"
    assert change.line == HEADER.count("\n") + kept.count("\n")
    assert "`ShipmentEvent` (an alias of `ShipmentEventV1`) was removed" in change.message


@pytest.mark.parametrize(
    ("config", "field", "read_keys", "write_key"),
    [
        ("ConfigDict(alias_generator=to_camel)", "a_b: int", ("aB",), "aB"),
        ("ConfigDict(alias_generator=to_pascal)", "a_b: int", ("AB",), "AB"),
        (
            "ConfigDict(alias_generator=to_camel, populate_by_name=True)",
            "a_b: int",
            ("aB", "a_b"),
            "aB",
        ),
        (
            "ConfigDict(alias_generator=to_camel, validate_by_name=True, validate_by_alias=False)",
            "a_b: int",
            (),
            "aB",
        ),
        ("ConfigDict(alias_generator=to_camel)", "a_b: int = Field(alias='x')", ("x",), "x"),
        (
            "ConfigDict(alias_generator=to_camel)",
            "a_b: int = Field(validation_alias='v')",
            ("v",),
            "aB",
        ),
        (
            "ConfigDict(alias_generator=to_camel)",
            "a_b: int = Field(serialization_alias='s')",
            ("aB",),
            "s",
        ),
        (
            "ConfigDict(alias_generator=AliasGenerator(validation_alias=to_camel))",
            "a_b: int",
            ("aB",),
            None,
        ),
        (
            "ConfigDict(alias_generator=AliasGenerator(to_pascal, serialization_alias=to_camel))",
            "a_b: int",
            ("AB",),
            "aB",
        ),
        ("dict(alias_generator=lambda n: n.upper())", "a_b: int", ("?",), "?"),
        ("ConfigDict(alias_generator=to_camel)", "a_b: int = Field(alias=KEY)", ("?",), "?"),
        ("ConfigDict(alias_generator=None)", "a_b: int", (), None),
    ],
)
def test_keys_as_pydantic_makes_them(
    config: str, field: str, read_keys: tuple[str, ...], write_key: str | None, tmp_path: Path
) -> None:
    """Checked against Pydantic 2.14: an explicit `alias` wins over the generator,
    an explicit `validation_alias` or `serialization_alias` only on its side."""
    _project(tmp_path, f"KEY = 'k'\n\n\nclass M(BaseModel):\n    model_config = {config}\n"
                       f"    {field}\n")  # fmt: skip
    (got,) = _schema(tmp_path).models["M"].fields.values()
    assert (got.read_keys, got.write_key) == (read_keys, write_key)


def test_a_pydantic_v1_config_class_gives_the_generator_too(tmp_path: Path) -> None:
    _project(tmp_path, "class M(BaseModel):\n    a_b: int\n\n    class Config:\n"
                       "        alias_generator = to_camel\n")  # fmt: skip
    assert _schema(tmp_path).models["M"].fields["a_b"].write_key == "aB"


def test_computed_fields_are_inherited_and_overridden(tmp_path: Path) -> None:
    models = (
        "class Base(BaseModel):\n    x: int = 0\n" + TOTAL + "\n\nclass Child(Base):\n"
        "    @computed_field(alias='sum', return_type=float)\n"
        "    def total_cents(self) -> int:\n        return 1\n"
    )
    _project(tmp_path, models)
    child = _schema(tmp_path).models["Child"]
    assert set(child.fields) == {"x", "total_cents"}
    total = child.fields["total_cents"]
    assert (total.computed, total.type, total.write_key) == (True, "float", "sum")


@pytest.mark.parametrize(
    ("member", "value"),
    [
        ("'c' + 'd'", "'cd'"),
        ("1 << 2", "4"),
        ("f'{PREFIX}-{2:03d}'", "'p-002'"),
        ("PREFIX", "'p'"),
        ("PREFIX * 3", "'ppp'"),
        ("-(2 ** 3)", "-8"),
        ("Other.A", "Other.A"),  # another enum's member: compared as written
        ("LATER", "LATER"),  # bound after the class: not known
        ("MAYBE", "MAYBE"),  # bound in an `if`: not surely a constant
        ("'x' * 10**6", "'x' * 10 ** 6"),  # too long a value: compared as written
        ("1 << 10**6", "1 << 10 ** 6"),
        ("1 / 0", "1 / 0"),
        ("'%s' % PREFIX", "'%s' % PREFIX"),
    ],
)
def test_enum_member_values_from_constant_expressions(
    member: str, value: str, tmp_path: Path
) -> None:
    _project(
        tmp_path,
        "PREFIX = 'p'\nif PREFIX:\n    MAYBE = 'm'\n\n\nclass Other(str, Enum):\n    A = 'a'\n\n\n"
        f"class E(str, Enum):\n    X = {member}\n\n\nLATER = 'l'\n",
    )
    assert _schema(tmp_path).enums["E"].members == {"X": value}


def test_new_facts_survive_the_cache(tmp_path: Path) -> None:
    import ast as ast_module

    from arch_lint.index.facts import FileFacts, extract

    source = (HEADER + COMPAT_MODELS).encode()
    facts = extract(ast_module.parse(source), source)
    again = FileFacts.from_json(json.loads(facts.to_text()))
    assert again == facts
    order = next(c for c in again.classes if c.name == "OrderV1")
    assert [f.name for f in order.computed] == ["total_cents"]
    camel = next(c for c in again.classes if c.name == "CamelModel")
    assert camel.config["alias_generator"] == "pydantic.alias_generators.to_camel"


def test_a_generic_models_type_parameter_validates_as_any(tmp_path: Path) -> None:
    """Found on real code (an envelope's `data: T` became `data: Any`): a
    `TypeVar`, here or imported, is `Any` where the model is not parametrised."""
    generic = (
        "from typing import Generic, TypeVar\n\nT = TypeVar('T')\n\n\n"
        "class Envelope(BaseModel, Generic[T]):\n    data: T\n    items: list[T] = []\n"
    )
    assert _codes(tmp_path, generic, generic.replace("data: T", "data: Any"), "full") == []
    _project(tmp_path, "from common.models.types import T\n\n\n" + generic.split("\n\n\n", 1)[1])
    (tmp_path / "common" / "models" / "types.py").write_text(
        "from typing import TypeVar\nT = TypeVar('T')\n"
    )
    fields = _schema(tmp_path).models["Envelope"].fields
    assert (fields["data"].type, fields["items"].type) == ("Any", "list[Any]")
    assert _codes(tmp_path, generic, generic.replace("data: T", "data: int"), "full") == ["ARC502"]


def test_a_rename_names_the_alias_that_keeps_the_old_name(tmp_path: Path) -> None:
    _project(tmp_path, SHIPMENT)
    base = _schema(tmp_path)
    _project(tmp_path, SHIPMENT_V1)
    (change,) = diff(base, _schema(tmp_path), "full")
    assert "(renamed to `ShipmentEventV1`?)" in change.message
    assert "(`ShipmentEvent = ShipmentEventV1`)" in change.message
