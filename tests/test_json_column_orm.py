"""ARC407's claim checked against the real ORM: code it flags loses the update in
a real (in-memory SQLite) database, and the code its fix writes persists it.

The test lints a small service, runs that same code with SQLAlchemy, applies
arch-lint's fix, and runs the fixed code again. SQLAlchemy comes with the `test`
extra; without it the module is skipped.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

pytest.importorskip("sqlalchemy")

from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from arch_lint.config import load_settings
from arch_lint.engine.fix import apply_fixes
from arch_lint.engine.run import run

MODELS = """\
from typing import Any

from sqlalchemy import JSON
from sqlalchemy.ext.mutable import MutableDict
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class Payment(Base):
    __tablename__ = "payments"
    id: Mapped[int] = mapped_column(primary_key=True)
    details: Mapped[dict[str, Any]] = mapped_column(JSON)
    tracked: Mapped[dict[str, Any]] = mapped_column(MutableDict.as_mutable(JSON))
"""

CAPTURE = """\
from services.payments.models_db import Payment


def set_key(payment: Payment, ref: str) -> None:
    payment.details["provider_ref"] = ref


def update(payment: Payment, a: int) -> None:
    payment.details.update({"a": a})


def same_object(payment: Payment, new: dict) -> None:
    merged = payment.details or {}
    merged.update(new)
    payment.details = merged


def tracked(payment: Payment, ref: str) -> None:
    payment.tracked["provider_ref"] = ref
"""

PACKAGE = "services"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.arch_lint]\nservices = ["services/*"]\nshared-models = []\n'
    )
    service = tmp_path / PACKAGE / "payments"
    service.mkdir(parents=True)
    (tmp_path / PACKAGE / "__init__.py").write_text("")
    (service / "__init__.py").write_text("")
    (service / "models_db.py").write_text(MODELS)
    (service / "capture.py").write_text(CAPTURE)
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    yield tmp_path
    _forget_modules()


def _forget_modules() -> None:
    for name in [m for m in sys.modules if m == PACKAGE or m.startswith(f"{PACKAGE}.")]:
        del sys.modules[name]


def _load() -> ModuleType:
    _forget_modules()
    importlib.invalidate_caches()
    return importlib.import_module(f"{PACKAGE}.payments.capture")


def _stored_after(change: Callable[[Any], None]) -> dict[str, Any]:
    """Store a row, load it in a new session, apply `change`, commit, and read
    what the database holds afterwards in a third session."""
    models = sys.modules[f"{PACKAGE}.payments.models_db"]
    engine = create_engine("sqlite://")
    models.Base.metadata.create_all(engine)
    with Session(engine) as session:
        session.add(models.Payment(id=1, details={"kept": 1}, tracked={"kept": 1}))
        session.commit()
    with Session(engine) as session:
        change(session.get(models.Payment, 1))
        session.commit()
    with Session(engine) as session:
        row = session.get(models.Payment, 1)
        assert row is not None
        result = {"details": dict(row.details), "tracked": dict(row.tracked)}
    engine.dispose()
    return result


def _arc407_lines(root: Path) -> list[int]:
    result = run(load_settings(None, root), [root], use_cache=False)
    return sorted(f.line for f in result.findings if f.code == "ARC407")


def test_flagged_changes_are_lost_and_the_fixed_code_persists_them(project: Path) -> None:
    # What the rule says: the three changes of `details` are lost; `tracked` is fine.
    assert _arc407_lines(project) == [5, 9, 15]

    capture = _load()
    assert _stored_after(lambda p: capture.set_key(p, "ref-1"))["details"] == {"kept": 1}
    assert _stored_after(lambda p: capture.update(p, 2))["details"] == {"kept": 1}
    assert _stored_after(lambda p: capture.same_object(p, {"a": 2}))["details"] == {"kept": 1}
    # The look-alike the rule does not flag really is written.
    tracked = _stored_after(lambda p: capture.tracked(p, "ref-1"))["tracked"]
    assert tracked == {"kept": 1, "provider_ref": "ref-1"}

    # The unsafe fix assigns new dicts where the change is a key set or `update`.
    findings = run(load_settings(None, project), [project], use_cache=False).findings
    assert apply_fixes(project, findings, unsafe=True, diff=False).fixed == 2
    assert _arc407_lines(project) == [15]  # the reassigned alias has no certain fix

    capture = _load()
    stored = _stored_after(lambda p: capture.set_key(p, "ref-1"))["details"]
    assert stored == {"kept": 1, "provider_ref": "ref-1"}
    assert _stored_after(lambda p: capture.update(p, 2))["details"] == {"kept": 1, "a": 2}


# --- initialisation guards (SPEC §4, ARC407) ----------------------------------------------

ORDERS = """\
from typing import Any

from sqlalchemy import JSON
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class Order(Base):
    __tablename__ = "orders"
    id: Mapped[int] = mapped_column(primary_key=True)
    processing_metadata: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
"""

REVIEW = """\
from services.orders.models_db import Order


def record_review(order: Order, reviewer: str) -> None:
    if order.processing_metadata is None:
        order.processing_metadata = {}
    order.processing_metadata["review"] = {"status": "approved", "by": reviewer}


def mark_seen(order: Order) -> None:
    order.processing_metadata = order.processing_metadata or {}
    order.processing_metadata.update({"seen": True})


def add_review(order: Order, review_id: str, review: dict) -> None:
    order.processing_metadata.setdefault("reviews", {})[review_id] = review


def record_with_else(order: Order, reviewer: str) -> None:
    if order.processing_metadata is None:
        order.processing_metadata = {}
    else:
        order.processing_metadata = {**order.processing_metadata}
    order.processing_metadata["reviewed_by"] = reviewer
"""

GUARDED = {"record_review": 7, "mark_seen": 12, "add_review": 16}
"""The functions ARC407 flags, and the line of each finding."""


@pytest.fixture
def orders(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.arch_lint]\nservices = ["services/*"]\nshared-models = []\n'
    )
    service = tmp_path / PACKAGE / "orders"
    service.mkdir(parents=True)
    (tmp_path / PACKAGE / "__init__.py").write_text("")
    (service / "__init__.py").write_text("")
    (service / "models_db.py").write_text(ORDERS)
    (service / "review.py").write_text(REVIEW)
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    _forget_modules()
    yield tmp_path
    _forget_modules()


def _functions(path: Path) -> dict[str, Any]:
    """The module's text, executed as it stands on disk."""
    namespace: dict[str, Any] = {"__name__": f"{PACKAGE}.orders.review"}
    exec(compile(path.read_text(), str(path), "exec"), namespace)
    return namespace


def _stored(stored: dict[str, Any] | None, change: Callable[[Any], None]) -> Any:
    """Store a row holding `stored`, load it in a new session, apply `change`,
    commit, and read what the database holds in a third session."""
    models = importlib.import_module(f"{PACKAGE}.orders.models_db")
    engine = create_engine("sqlite://")
    models.Base.metadata.create_all(engine)
    with Session(engine) as session:
        session.add(models.Order(id=1, processing_metadata=stored))
        session.commit()
    with Session(engine) as session:
        change(session.get(models.Order, 1))
        session.commit()
    with Session(engine) as session:
        row = session.get(models.Order, 1)
        assert row is not None
        result = row.processing_metadata
    engine.dispose()
    return result


def _arc407(root: Path) -> list[tuple[int, bool]]:
    findings = run(load_settings(None, root), [root], use_cache=False).findings
    return sorted((f.line, f.fix is not None) for f in findings if f.code == "ARC407")


def test_a_guard_keeps_only_the_none_path_and_the_fix_keeps_every_path(orders: Path) -> None:
    review = orders / PACKAGE / "orders" / "review.py"
    # What the rule says: each guarded change is lost where a dict was stored,
    # each has a fix; the guard whose `else` assigns a new dict loses nothing.
    assert _arc407(orders) == sorted((line, True) for line in GUARDED.values())

    before = _functions(review)
    # the guard's path: nothing stored, a new dict assigned, the change written
    stored = _stored(None, lambda o: before["record_review"](o, "ana"))
    assert stored == {"review": {"status": "approved", "by": "ana"}}
    assert _stored(None, before["mark_seen"]) == {"seen": True}
    # the other path: a dict stored, changed in place, the change lost
    assert _stored({"k": 1}, lambda o: before["record_review"](o, "ana")) == {"k": 1}
    assert _stored({"k": 1}, before["mark_seen"]) == {"k": 1}
    stored = _stored({"reviews": {"r1": 1}}, lambda o: before["add_review"](o, "r2", {"ok": 1}))
    assert stored == {"reviews": {"r1": 1}}
    # the look-alike really writes on both paths
    for start in (None, {"k": 1}):
        stored = _stored(start, lambda o: before["record_with_else"](o, "ana"))
        assert stored == {**(start or {}), "reviewed_by": "ana"}

    # The unsafe fix, through the fix engine, on the file's text.
    findings = run(load_settings(None, orders), [orders], use_cache=False).findings
    assert apply_fixes(orders, findings, unsafe=True, diff=False).fixed == len(GUARDED)
    fixed_text = review.read_text()
    assert "if order.processing_metadata is None:" in fixed_text  # the guard stays
    assert _arc407(orders) == []

    after = _functions(review)
    for start in (None, {"k": 1}):
        stored = _stored(start, lambda o: after["record_review"](o, "ana"))
        assert stored == {**(start or {}), "review": {"status": "approved", "by": "ana"}}
        assert _stored(start, after["mark_seen"]) == {**(start or {}), "seen": True}
    stored = _stored({"reviews": {"r1": 1}}, lambda o: after["add_review"](o, "r2", {"ok": 1}))
    assert stored == {"reviews": {"r1": 1, "r2": {"ok": 1}}}
    stored = _stored({"k": 1}, lambda o: after["add_review"](o, "r2", {"ok": 1}))
    assert stored == {"k": 1, "reviews": {"r2": {"ok": 1}}}
