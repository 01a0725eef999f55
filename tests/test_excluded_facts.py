"""Files excluded from checking (tests, migrations' versions) give the project
what they declare, not what they do (SPEC §3: they are still read for project
facts, tables from migrations and models); one that declares nothing is not
parsed. See `FileFacts.declarations` and `build.declares_nothing`."""

from __future__ import annotations

from pathlib import Path

from helpers import make_repo

from arch_lint.config import load_settings
from arch_lint.engine.run import run
from arch_lint.index.build import analyse, build
from arch_lint.index.facts import FileFacts

CONFIG = '[tool.arch_lint]\nservices = ["services/*"]\nshared-models = ["common/models"]\n'

PUBLISHES = (
    "from aiokafka import AIOKafkaProducer\n\n"
    "from services.stock.records import StockLevel\n\n\n"
    "async def test_published(producer: AIOKafkaProducer) -> None:\n"
    '    await producer.send("stock", StockLevel(sku="a").model_dump_json().encode())\n'
)
DECLARES = (
    "from pydantic import BaseModel\n\n"
    "from services.stock.records import StockLevel\n\n\n"
    "class FakeLevel(StockLevel):\n"
    "    note: str\n\n\n"
    "async def test_fake(producer: object) -> None:\n"
    '    await producer.send("stock", FakeLevel(sku="a", note="").model_dump_json().encode())\n'
)
MIGRATION = (
    "from alembic import op\nimport sqlalchemy as sa\n\n\n"
    "def upgrade() -> None:\n"
    '    op.create_table("levels", sa.Column("sku", sa.String()))\n'
)
RECORDS = "from pydantic import BaseModel\n\n\nclass StockLevel(BaseModel):\n    sku: str\n"


def files(config: str = CONFIG) -> dict[str, str]:
    return {
        "pyproject.toml": config,
        "common/__init__.py": "",
        "common/models/__init__.py": "",
        "services/__init__.py": "",
        "services/stock/__init__.py": "",
        "services/stock/records.py": RECORDS,
        "services/stock/tests/__init__.py": "",
        "services/stock/tests/test_published.py": PUBLISHES,
        "services/stock/tests/test_fake.py": DECLARES,
        "services/stock/alembic/versions/0001_levels.py": MIGRATION,
    }


def test_an_excluded_file_that_declares_nothing_is_not_parsed(
    tmp_path: Path, parsed: list[str]
) -> None:
    root = make_repo(tmp_path, files())
    built = build(load_settings(None, root), use_cache=False)
    facts = built.index.facts
    assert "services/stock/tests/test_published.py" not in parsed
    assert facts["services/stock/tests/test_published.py"] == FileFacts()
    # a checked file, an excluded one with a class, a migration: parsed
    for path in (
        "services/stock/records.py",
        "services/stock/tests/test_fake.py",
        "services/stock/alembic/versions/0001_levels.py",
    ):
        assert path in parsed


def test_an_excluded_file_gives_its_declarations_only(tmp_path: Path) -> None:
    root = make_repo(tmp_path, files())
    facts = build(load_settings(None, root), use_cache=False).index.facts
    fake = facts["services/stock/tests/test_fake.py"]
    assert [c.name for c in fake.classes] == ["FakeLevel"]
    assert fake.imports
    assert "FakeLevel" in fake.bindings
    # what it does is left out: it publishes, and is async
    assert not fake.model_uses
    assert not fake.topics
    assert not fake.has_async
    assert fake == fake.declarations()
    migration = facts["services/stock/alembic/versions/0001_levels.py"]
    assert [t.name for t in migration.tables] == ["levels"]
    # a checked file keeps all its facts
    records = facts["services/stock/records.py"]
    assert [c.name for c in records.classes] == ["StockLevel"]


def test_a_test_file_is_read_in_full_once_it_is_not_excluded(tmp_path: Path) -> None:
    """The facts of an excluded file hold for that exclusion: the cache is not
    reused across a change of `exclude`."""
    root = make_repo(tmp_path, files())
    path = "services/stock/tests/test_published.py"
    built = build(load_settings(None, root))
    built.cache.store()
    assert built.index.facts[path] == FileFacts()
    (root / "pyproject.toml").write_text(CONFIG + 'exclude = ["**/alembic/versions/**"]\n')
    second = build(load_settings(None, root)).index.facts[path]
    assert second.model_uses
    assert second.topics
    assert second.has_async


def test_the_editor_reads_an_excluded_file_as_the_build_does(tmp_path: Path) -> None:
    """`analyse` (the editor server's) gives an excluded file the facts and
    interface hash the build gives it: a buffer opened unchanged changes no
    digest."""
    root = make_repo(tmp_path, files())
    built = build(load_settings(None, root), use_cache=False)
    for path in ("services/stock/tests/test_published.py", "services/stock/tests/test_fake.py"):
        analysis = analyse(path, (root / path).read_bytes(), "EventEnvelope", declarative=True)
        assert analysis.facts == built.index.facts[path]
        assert analysis.interface_hash == built.index.interface_hash(path)
        assert analysis.error is None


def test_worker_processes_read_excluded_files_alike(tmp_path: Path) -> None:
    """The parallel build (more than 50 files to read) gives the same facts."""
    many = files()
    for n in range(60):
        many[f"services/stock/tests/test_more_{n}.py"] = PUBLISHES if n % 2 else DECLARES
    root = make_repo(tmp_path, many)
    settings = load_settings(None, root)
    one = build(settings, use_cache=False, jobs=1).index.facts
    two = build(settings, use_cache=False, jobs=2).index.facts
    assert sorted(one) == sorted(two)
    for path in one:
        assert one[path] == two[path], path
    assert two["services/stock/tests/test_more_1.py"] == FileFacts()
    assert [c.name for c in two["services/stock/tests/test_more_0.py"].classes] == ["FakeLevel"]


def test_a_model_published_only_by_tests_is_no_event_payload(tmp_path: Path) -> None:
    """ARC202 takes what services do as evidence, not what their tests do
    (with or without a class in the test file). The service's own publish
    still counts."""
    config = CONFIG + 'select = ["ARC202"]\n'
    repo = files(config)
    repo["services/stock/records.py"] = (
        RECORDS + "\n\nclass StockReserved(BaseModel):\n    sku: str\n"
    )
    repo["services/stock/publisher.py"] = (
        "from aiokafka import AIOKafkaProducer\n\n"
        "from services.stock.records import StockReserved\n\n\n"
        "async def reserved(producer: AIOKafkaProducer) -> None:\n"
        '    await producer.send("s", StockReserved(sku="a").model_dump_json().encode())\n'
    )
    root = make_repo(tmp_path, repo)
    settings = load_settings(None, root)
    found = run(settings, [root], use_cache=False).findings
    assert [(f.path, f.code, "StockReserved" in f.message) for f in found] == [
        ("services/stock/records.py", "ARC202", True)
    ]


def test_a_non_ascii_excluded_file_is_parsed(tmp_path: Path, parsed: list[str]) -> None:
    """Names may be spelled otherwise than in the bytes (NFKC, a coding
    declaration): such a file is parsed, and its classes read."""
    repo = files()
    repo["services/stock/tests/test_unicode.py"] = (
        "# coding: utf-7\nfrom pydantic import BaseModel\n\n\n"
        "+AGM-lass Fake(BaseModel):\n    x: int\n"
    )
    repo["services/stock/tests/test_accent.py"] = (
        '"""Tests: café."""\n\n\ndef test_x() -> None:\n    pass\n'
    )
    root = make_repo(tmp_path, repo)
    facts = build(load_settings(None, root), use_cache=False).index.facts
    assert "services/stock/tests/test_unicode.py" in parsed
    assert "services/stock/tests/test_accent.py" in parsed
    assert [c.name for c in facts["services/stock/tests/test_unicode.py"].classes] == ["Fake"]


def test_excluded_code_that_is_no_test_is_read_in_full(tmp_path: Path, parsed: list[str]) -> None:
    """`extend-exclude` may name code the services run (a library, generated or
    legacy modules): only tests and migrations' versions give their
    declarations alone. Here an excluded library makes loggers, an excluded
    legacy module of `orders` is its data layer by content, and an excluded
    package `__init__` with no class re-exports that module's names."""
    config = (
        '[tool.arch_lint]\nservices = ["services/*"]\nshared-models = []\n'
        'extend-exclude = ["libs/**", "services/orders/legacy/**"]\n'
    )
    root = make_repo(
        tmp_path,
        {
            "pyproject.toml": config,
            "libs/__init__.py": "",
            "libs/obs.py": (
                "import logging\n\n\ndef make_logger(name: str) -> logging.Logger:\n"
                "    return logging.getLogger(name)\n"
            ),
            "services/__init__.py": "",
            "services/orders/__init__.py": "",
            "services/orders/legacy/__init__.py": "from .store import Session\n",
            "services/orders/legacy/store.py": (
                "from sqlalchemy.orm import sessionmaker\n\nSession = sessionmaker()\n"
            ),
            "services/billing/__init__.py": "",
            "services/billing/jobs.py": (
                "from libs.obs import make_logger\n"
                "from services.orders.legacy import Session\n\n"
                "log = make_logger(__name__)\n\n\n"
                "def run(correlation_id: str) -> None:\n"
                '    log.info("running")\n'
                "    Session()\n"
            ),
        },
    )
    found = run(load_settings(None, root), [root], use_cache=False).findings
    assert "services/orders/legacy/__init__.py" in parsed  # no class, yet parsed
    codes = sorted((f.path, f.line, f.code) for f in found)
    assert codes == [
        ("services/billing/jobs.py", 2, "ARC101"),  # the legacy store is orders' data layer
        ("services/billing/jobs.py", 8, "ARC301"),  # `make_logger` makes a logger
    ]
