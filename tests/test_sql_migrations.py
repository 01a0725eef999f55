"""Plain-SQL migrations (SPEC §4, ARC103): which `.sql` files are read, the
tables a script creates, and how they enter the index (listed as `.py` files
are, cached, never checked). The rule's findings are the fixture case
`ARC103_sql_migrations`."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from helpers import make_repo, run_cli

from arch_lint.index.layout import is_sql_migration, scan_files, scan_python_files
from arch_lint.index.sql import created_tables

needs_git = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


def names(sql: str | bytes) -> list[str]:
    return [t.name for t in created_tables(sql.encode() if isinstance(sql, str) else sql)]


# --- the reader ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        ("CREATE TABLE refunds (id bigint);", ["refunds"]),
        ("create table if not exists refunds(id int)", ["refunds"]),
        ("Create Table If Not Exists billing.refunds (id int);", ["refunds"]),
        ('CREATE TABLE "billing"."Refund ""Events""" (id int);', ['Refund "Events"']),
        ("CREATE TABLE `shop`.`refunds` (id int) ENGINE=InnoDB;", ["refunds"]),
        ("CREATE TABLE [dbo].[refunds] (id int)", ["refunds"]),
        ("CREATE\n  /* why */ TABLE\n  -- the name\n  refunds (id int);", ["refunds"]),
        ("CREATE UNLOGGED TABLE cache (k text);", ["cache"]),
        ("CREATE OR REPLACE TABLE snapshot (k text);", ["snapshot"]),
        ("CREATE TABLE child PARTITION OF parent FOR VALUES IN ('a');", ["child"]),
        ("CREATE TABLE a (id int GENERATED ALWAYS AS IDENTITY, b numeric(10, 2));", ["a"]),
        ("CREATE TABLE a (x int);CREATE TABLE b (y int);", ["a", "b"]),
        ("CREATE TABLE a (x int)\nGO\nCREATE TABLE b (y int)\n", ["a", "b"]),  # no `;`
        ("CREATE TABLE a (x int)\nINSERT INTO a SELECT 1;\nCREATE TABLE b (y int)", ["a", "b"]),
        ("CREATE TABLE après (x int);", ["après"]),
        # what does not count
        ("CREATE TEMP TABLE scratch (id int);", []),
        ("CREATE TEMPORARY TABLE scratch (id int);", []),
        ("create global temporary table scratch (id int);", []),
        ("CREATE TABLE copy AS SELECT * FROM refunds;", []),
        ("CREATE TABLE copy (a, b) AS SELECT 1, 2;", []),
        ("CREATE TABLE copy AS TABLE refunds WITH NO DATA;", []),
        ("CREATE TABLE copy SELECT * FROM refunds;", []),  # MySQL
        ("-- CREATE TABLE ghost (id int);", []),
        ("/* CREATE TABLE ghost (id int); */", []),
        ("/* /* nested */ CREATE TABLE ghost (id int); */", []),
        ("INSERT INTO notes VALUES ('CREATE TABLE ghost (id int)');", []),
        ("INSERT INTO notes VALUES ('it''s; CREATE TABLE ghost (id int)');", []),
        ("SELECT E'it\\'s; CREATE TABLE ghost (id int)';", []),
        ('SELECT 1 AS "CREATE TABLE ghost (x int)";', []),
        ("CREATE FUNCTION f() RETURNS void AS $$ CREATE TABLE ghost (x int); $$ LANGUAGE sql;", []),
        ("CREATE FUNCTION f() RETURNS void AS $fn$ CREATE TABLE ghost (x int); $fn$;", []),
        ("CREATE TABLESPACE fast LOCATION '/ssd';", []),
        ("CREATE TABLE #scratch (id int);", []),  # SQL Server's temporary tables
        ("CREATE VIEW v AS SELECT 1;", []),
        ("ALTER TABLE refunds RENAME TO refunds_old;", []),  # not followed
        ("SELECT 1;", []),
        ("", []),
        # an anonymous block runs where it stands
        ("DO $$ BEGIN CREATE TABLE IF NOT EXISTS t (x int); END $$;", ["t"]),
        ("DO LANGUAGE plpgsql $b$ BEGIN CREATE TEMP TABLE s (x int); END $b$;", []),
        # unclosed things end the scan, never the run
        ("'unclosed CREATE TABLE ghost (id int)", []),
        ("/* unclosed CREATE TABLE ghost (id int)", []),
        ("CREATE TABLE (", []),
        ("CREATE TABLE t (x int", ["t"]),
    ],
)
def test_created_tables(sql: str, expected: list[str]) -> None:
    assert names(sql) == expected


def test_positions_are_the_names_lines_and_byte_columns() -> None:
    sql = "-- é\nCREATE TABLE IF NOT EXISTS\n  billing.refunds (id int);\n"
    (table,) = created_tables(sql.encode())
    assert table.pos == (3, 2, 3, 17)  # `billing.refunds`, 0-based byte columns
    assert table.kind == "create_table"
    assert table.owner is None


def test_encodings() -> None:
    assert names(b"\xef\xbb\xbfCREATE TABLE t (x int);") == ["t"]
    assert names("CREATE TABLE t (x int);".encode("utf-16")) == ["t"]
    assert names(b"CREATE TABLE t (note text DEFAULT '\xff');\xfe") == ["t"]


def test_a_large_migration_is_read_quickly() -> None:
    import time

    statement = (
        "-- table {i}\nCREATE TABLE IF NOT EXISTS t{i} (\n  id bigint PRIMARY KEY,\n"
        "  name varchar(255) NOT NULL DEFAULT 'x',\n  amount numeric(10, 2),\n"
        "  CONSTRAINT fk{i} FOREIGN KEY (id) REFERENCES t0 (id) ON DELETE CASCADE\n);\n"
        "CREATE INDEX ix{i} ON t{i} (name);\nINSERT INTO t{i} VALUES (1, 'it''s', 2);\n"
    )
    sql = "".join(statement.format(i=i) for i in range(4000)).encode()
    assert len(sql) > 1_000_000
    started = time.perf_counter()
    assert len(created_tables(sql)) == 4000
    assert time.perf_counter() - started < 2  # about 0.1 s; generous for a busy machine


# --- which files ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("migrations/001_init.sql", True),
        ("services/orders/migrations/001_init.sql", True),
        ("services/orders/db/migrations/postgres/001_init.sql", True),
        ("services/payments/src/main/resources/db/migration/V1__init.sql", True),
        ("V2_1__add_audit.sql", True),
        ("db/V3.2__add_index.sql", True),
        ("services/orders/sql/report.sql", False),
        ("services/orders/migration/001_init.sql", False),  # only Flyway names there
        ("services/orders/migrations_old.sql", False),
        ("db/v1__init.sql", False),
        ("db/V1_init.sql", False),
        ("db/R__views.sql", False),  # Flyway's repeatable migrations: views, not tables
        ("migrations/001_init.py", False),
        ("migrations/001_init.sql.bak", False),
    ],
)
def test_which_sql_files_are_migrations(path: str, expected: bool) -> None:
    assert is_sql_migration(path) is expected


TREE = {
    "pyproject.toml": '[tool.arch_lint]\nservices = ["services/*"]\nshared-models = []\n',
    "services/orders/api.py": "",
    "services/orders/migrations/001_init.sql": "CREATE TABLE orders (id int);\n",
    "services/orders/db/V2__more.sql": "CREATE TABLE order_lines (id int);\n",
    "services/orders/sql/report.sql": "CREATE TABLE report (id int);\n",
    "services/orders/build/migrations/001.sql": "CREATE TABLE built (id int);\n",
    "services/orders/ignored/migrations/001.sql": "CREATE TABLE ignored (id int);\n",
    ".gitignore": "ignored/\n",
}
LISTED_SQL = ["services/orders/db/V2__more.sql", "services/orders/migrations/001_init.sql"]


def _git(root: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=root, check=True, capture_output=True)


@pytest.mark.parametrize("respect_gitignore", [False, True])
def test_outside_git_the_walk_lists_the_migrations(tmp_path: Path, respect_gitignore: bool) -> None:
    root = make_repo(tmp_path, TREE)
    python, migrations, notices = scan_files(root, respect_gitignore)
    assert python == ["services/orders/api.py"]
    assert migrations == sorted([*LISTED_SQL, "services/orders/ignored/migrations/001.sql"])
    assert notices == []
    assert scan_python_files(root, respect_gitignore) == (python, [])


@needs_git
@pytest.mark.parametrize("tracked", [False, True])
def test_in_git_the_listing_applies_gitignore(tmp_path: Path, tracked: bool) -> None:
    root = make_repo(tmp_path, TREE)
    _git(root, "init", "-q")
    if tracked:
        _git(root, "add", "-A")
    python, migrations, _ = scan_files(root, True)
    assert python == ["services/orders/api.py"]
    assert migrations == LISTED_SQL
    assert scan_files(root, False)[1] == sorted(
        [*LISTED_SQL, "services/orders/ignored/migrations/001.sql"]
    )


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="FIFOs are POSIX")
def test_a_migration_that_is_no_regular_file_is_said(tmp_path: Path) -> None:
    root = make_repo(tmp_path, {"services/orders/api.py": ""})
    (root / "services/orders/migrations").mkdir()
    os.mkfifo(root / "services/orders/migrations/001.sql")
    _, migrations, notices = scan_files(root, False)
    assert migrations == []
    assert notices == ["services/orders/migrations/001.sql: skipped: not a regular file (a FIFO)"]


# --- in a run -------------------------------------------------------------------------------
PROJECT = {
    "pyproject.toml": '[tool.arch_lint]\nservices = ["services/*"]\nshared-models = []\n',
    "services/payments/api.py": "",
    "services/payments/migrations/001_init.sql": "CREATE TABLE refunds (id int);\n",
    "services/reports/queries.py": (
        'from sqlalchemy import text\n\nQ = text("SELECT * FROM refunds")\n'
    ),
    # a migration with Python's syntax errors: never parsed or checked as Python
    "services/reports/migrations/002_x.sql": "CREATE TABLE report_rows (x int) -- def (:\n",
}


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = make_repo(tmp_path, PROJECT)
    when = 1_600_000_000_000_000_000  # long before the cache: stamps are trusted
    for path in root.rglob("*"):
        os.utime(path, ns=(when, when))
    monkeypatch.chdir(root)
    return root


def _check(capsys: pytest.CaptureFixture[str], *args: str) -> list[tuple[str, int, str]]:
    result = run_cli(capsys, "check", "--format", "json", *args)
    assert result.code in (0, 1), result.err
    assert result.err == ""
    return [(f["path"], f["line"], f["code"]) for f in result.json()]


FINDING = [("services/reports/queries.py", 3, "ARC103")]


def test_a_migration_is_read_for_facts_and_never_checked(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _check(capsys, "--no-cache") == FINDING
    result = run_cli(capsys, "check", "--no-cache", "--statistics")
    assert "ARC001" not in result.out
    from arch_lint.config import load_settings
    from arch_lint.engine.run import run

    checked = run(load_settings(None, project), [project], use_cache=False).checked
    assert checked == ["services/payments/api.py", "services/reports/queries.py"]


def test_a_warm_run_reads_no_unchanged_migration(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import arch_lint.engine.run as engine_run
    import arch_lint.index.build as index_build
    import arch_lint.index.sql as sql

    assert _check(capsys) == FINDING
    scanned: list[Any] = []
    read: list[str] = []
    real_facts, real_read = sql.sql_facts, index_build.read_regular

    def counting(source: bytes) -> Any:
        scanned.append(source)
        return real_facts(source)

    def reading(path: Any, *args: Any) -> bytes:
        read.append(Path(path).name)
        return real_read(path, *args)

    monkeypatch.setattr(sql, "sql_facts", counting)
    monkeypatch.setattr(index_build, "read_regular", reading)
    monkeypatch.setattr(engine_run, "read_regular", reading)
    assert _check(capsys) == FINDING
    (project / "services/reports/api.py").write_text("X = 1\n", encoding="utf-8")
    assert _check(capsys) == FINDING  # the index is built again, from cached facts
    assert scanned == []
    assert [name for name in read if name.endswith(".sql")] == []
    assert "api.py" in read  # the new file was read


def test_a_changed_migration_changes_the_findings_of_a_warm_run(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _check(capsys) == FINDING
    migration = project / "services/payments/migrations/001_init.sql"
    migration.write_text("CREATE TEMP TABLE refunds (id int);\n", encoding="utf-8")
    assert _check(capsys) == []
    migration.write_text("CREATE TABLE refunds (id int);\n", encoding="utf-8")
    assert _check(capsys) == FINDING
    migration.unlink()
    assert _check(capsys) == []
    (project / "services/payments/db").mkdir()
    (project / "services/payments/db/V1__init.sql").write_text(
        "CREATE TABLE refunds (id int);\n", encoding="utf-8"
    )
    assert _check(capsys) == FINDING


def test_the_early_check_waits_for_the_migrations(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The set of files with facts is known before any is read, migrations too:
    a question about the tables asked while the index is built gets the whole
    answer or none (`Incomplete`)."""
    from arch_lint.config import load_settings
    from arch_lint.index import build as index_build
    from arch_lint.index.partial import Incomplete

    seen: dict[str, Any] = {}

    def visit(path: str, source: bytes, tree: Any, facts: Any, known: Any) -> None:
        seen[path] = sorted(known)
        try:
            seen[path + ":tables"] = sorted(
                t.name for p in known if p.endswith(".sql") for t in known[p].tables
            )
        except Incomplete:
            seen[path + ":tables"] = None

    built = index_build.build(load_settings(None, project), use_cache=False, visit=visit)
    assert sorted(built.index.facts) == sorted(seen["services/payments/api.py"])
    assert "services/payments/migrations/001_init.sql" in seen["services/payments/api.py"]
    # the migrations are read first: every Python file sees their tables
    assert seen["services/payments/api.py:tables"] == ["refunds", "report_rows"]
