"""Inputs on which shortcuts of the performance work (s24) gave other results
than the code before them (main at 4256a95), found by its review: each test
passes on that code, failed on the shortcut, and passes since its fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from arch_lint.config import load_settings
from arch_lint.engine.run import run

PYPROJECT = '[tool.arch_lint]\nservices = ["services/*"]\nshared-models = []\n'


def _project(tmp_path: Path, files: dict[str, bytes]) -> Path:
    root = tmp_path / "case"
    (root / "services" / "orders").mkdir(parents=True)
    (root / "pyproject.toml").write_text(PYPROJECT)
    (root / "services" / "__init__.py").write_bytes(b"")
    (root / "services" / "orders" / "__init__.py").write_bytes(b"")
    for name, data in files.items():
        (root / "services" / "orders" / name).write_bytes(data)
    return root


def _findings(root: Path, code: str) -> list[tuple[str, int]]:
    result = run(load_settings(None, root), [root], use_cache=False)
    return [(Path(f.path).name, f.line) for f in result.findings if f.code == code]


# _logging._may_report looks for a carrier by its name in the bytes: an annotation
# that spells it only as split or escaped string parts is a carrier to the analysis
# (old: ARC301), but the file is no longer judged
def test_arc301_carrier_annotation_spelled_by_string_parts(tmp_path: Path) -> None:
    source = (
        b"import logging\n\nlogger = logging.getLogger(__name__)\n\n\n"
        b'def handle(event: "Event" "Envelope") -> None:\n'
        b'    logger.info("handling order")\n\n\n'
        b'def handle2(event: "Event\\x45nvelope") -> None:\n'
        b'    logger.info("handling again")\n'
    )
    root = _project(tmp_path, {"handlers.py": source})
    assert _findings(root, "ARC301") == [("handlers.py", 7), ("handlers.py", 11)]


# _logging._may_report trusts a byte search for the correlation field in any ASCII
# file (ctx.ascii), but a `# coding: utf-7` file spells `correlation_id` as
# `correlation+AF8-id` (source.spelled_as_is is the test the other shortcuts use)
def test_arc301_utf7_spelled_correlation_field(tmp_path: Path) -> None:
    source = (
        b"# coding: utf-7\nimport logging\n\nlogger = logging.getLogger(__name__)\n\n\n"
        b"def handle(correlation+AF8-id: str) -> None:\n"
        b'    logger.info("handling order")\n'
    )
    root = _project(tmp_path, {"handlers.py": source})
    assert _findings(root, "ARC301") == [("handlers.py", 8)]


FIXTURES = Path(__file__).parent / "fixtures" / "rules"


# rules/_simple_sql reads `$n` as sqlglot's parameter, but sqlglot (30.31) fails to
# tokenize `$1,$2`, `$1/$2`, or a `$n` followed later by `''` (it reads a `$...$`
# string); the old ARC103 found no table in such a text, the new one flags `orders` (a
# random fuzz near the grammar: ~1% of 4,000 answered texts differ)
def test_arc103_glued_dollar_parameters_as_sqlglot_reads_them(tmp_path: Path) -> None:
    import shutil

    root = tmp_path / "case"
    shutil.copytree(FIXTURES / "ARC103_foreign_tables", root)
    (root / "services" / "payments" / "glued.py").write_text(
        "async def store(conn, order_id, total):\n"
        '    await conn.execute("INSERT INTO orders VALUES ($1,$2)", order_id, total)\n'
        '    await conn.execute("UPDATE orders SET a=$1,b=$2 WHERE c=$3", 1, 2, 3)\n'
        "    await conn.execute(\"SELECT * FROM orders WHERE id = $1 AND note = ''\", 1)\n"
        '    await conn.execute("UPDATE orders SET total = $1/$2", 1, 2)\n'
    )
    assert [f for f in _findings(root, "ARC103") if f[0] == "glued.py"] == []


_SETTINGS_HEAD = b"from pydantic_settings import BaseSettings\n\n\nclass Settings(BaseSettings):\n"


# index/stamps: a service-name declaration is now found from the class body
# (facts.declares_service_name) where the old code searched the bytes for
# `service_name`/`SERVICE_NAME`: a name spelled otherwise in the bytes (NFKC:
# `\uff33ERVICE_NAME`; `# coding: utf-7`: `SERVICE+AF8-NAME`) now gives a declaration
# in the facts, the old facts had none (more right, but facts and cache differ)
@pytest.mark.parametrize(
    "source",
    [
        b"# coding: utf-7\n" + _SETTINGS_HEAD + b'    SERVICE+AF8-NAME: str = "orders"\n',
        _SETTINGS_HEAD + '    \uff33ERVICE_NAME: str = "orders"\n'.encode(),
    ],
    ids=["utf7", "fullwidth"],
)
def test_service_name_declaration_spelled_otherwise_as_before(source: bytes) -> None:
    import ast

    from arch_lint.index.facts import extract

    facts = extract(ast.parse(source), source)
    assert facts.stamping is None or not facts.stamping.declarations


# the same change (stamps.declares_service_name) in findings: with the settings'
# SERVICE_NAME spelled in fullwidth (NFKC) the old facts held no declaration, so
# ARC211 did not judge stamps against it; the new code flags them
def test_arc211_fullwidth_service_name_declaration_as_before(tmp_path: Path) -> None:
    import shutil

    root = tmp_path / "case"
    shutil.copytree(FIXTURES / "ARC211_source_service", root)
    config = root / "services" / "orders" / "config.py"
    text = config.read_text()
    assert "    SERVICE_NAME: str" in text
    config.write_text(text.replace("    SERVICE_NAME: str", "    \uff33ERVICE_NAME: str"))
    result = run(load_settings(None, root), [root], use_cache=False)
    declared = [
        f.line
        for f in result.findings
        if f.code == "ARC211" and "orders" in f.path and "its settings declare" in f.message
    ]
    assert declared == []
