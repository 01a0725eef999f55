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
    "from enum import Enum, auto\n"
    "from datetime import datetime\n"
    "from typing import Annotated, Any, List, Literal, Optional, Union\n\n"
    "from pydantic import AliasChoices, AliasPath, BaseModel, ConfigDict, Field, RootModel\n\n\n"
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
