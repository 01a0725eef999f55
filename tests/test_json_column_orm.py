"""ARC407's claim checked against the real ORM: code it flags loses the update in
a real (in-memory SQLite) database, and the code its fix writes persists it.

The test lints a small service, runs that same code with SQLAlchemy, applies
arch-lint's fix, and runs the fixed code again.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
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
