"""The tree rules run while the index is being built (`Engine.check_early`), so
that a cold check parses each file once: what they find there must be exactly
what they find against the whole index, whatever the order the files are read
in, fingerprints included."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from arch_lint.config import load_settings
from arch_lint.engine import run as engine_run
from arch_lint.engine.run import Early, Engine, run
from arch_lint.index.facts import FileFacts
from arch_lint.index.layout import Layout
from arch_lint.index.partial import Incomplete, PartialFacts

CASES_DIR = Path(__file__).parent / "fixtures" / "rules"
CASES = sorted(p for p in CASES_DIR.iterdir() if p.is_dir())


def _findings(case: Path, reverse: bool = False) -> list[tuple[Any, ...]]:
    settings = load_settings(None, case)
    layout = Layout.scan(settings)
    if reverse:  # the files read in the other order
        layout.files.reverse()
    result = run(settings, [case], use_cache=False, fingerprints=True, layout=layout)
    return sorted(
        (f.path, f.line, f.column, f.code, f.message, f.fix, fp)
        for f, fp in zip(result.findings, _prints(result, settings.root), strict=True)
    )


def _prints(result: engine_run.RunResult, root: Path) -> list[str]:
    from arch_lint.engine.fingerprint import cached_fingerprints

    return cached_fingerprints(result.findings, root, result.cache, result.digests)


def test_partial_facts_answer_only_what_is_read() -> None:
    read = {"a.py": FileFacts()}
    facts = PartialFacts(read, frozenset({"a.py", "b.py"}))
    assert facts["a.py"] is read["a.py"]
    assert sorted(facts) == ["a.py", "b.py"]  # the keys are known from the start
    assert "b.py" in facts
    assert len(facts) == 2
    with pytest.raises(Incomplete):
        facts["b.py"]
    with pytest.raises(Incomplete):
        facts.get("b.py")  # not swallowed as a missing key
    with pytest.raises(Incomplete):
        list(facts.values())
    assert facts.get("c.py") is None  # not a file of the project
    assert not issubclass(Incomplete, Exception)  # no `except Exception` of a rule hides it


def _nothing_early(self: Engine, *args: Any, **kwargs: Any) -> Early:
    return Early(frozenset(), {}, [], set(), {})


def _alone(original: Any) -> Any:
    """`check_early` as if the file were the first one read: every question
    about another file is `Incomplete`."""

    def check_early(
        self: Engine,
        path: str,
        source: bytes,
        facts: FileFacts,
        tree: Any,
        known: Any,
        keys: bool,
        **kwargs: Any,
    ) -> Early:
        self._partial = None
        alone = PartialFacts({path: facts}, known._expected)
        return original(self, path, source, facts, tree, alone, keys, **kwargs)

    return check_early


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.name)
def test_early_findings_are_the_whole_index_findings(
    case: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(case)
    early = _findings(case)
    with monkeypatch.context() as m:
        m.setattr(Engine, "check_early", _nothing_early)
        assert _findings(case) == early
    with monkeypatch.context() as m:
        m.setattr(Engine, "check_early", _alone(Engine.check_early))
        assert _findings(case) == early
    assert _findings(case, reverse=True) == early


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.name)
def test_a_file_visited_again_finds_what_the_check_would(
    case: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file whose rules waited for a file read later is visited again once it
    is read (a leading file: once all leading files are; any other: once every
    file is), its tree kept: the findings are those of the check parsing it
    again (no tree kept)."""
    from arch_lint.index import build as index_build

    monkeypatch.chdir(case)
    visits: list[str] = []
    original = Engine.check_early

    def spy(self: Engine, path: str, *args: Any, **kwargs: Any) -> Early:
        visits.append(path)
        return original(self, path, *args, **kwargs)

    monkeypatch.setattr(Engine, "check_early", spy)
    kept = _findings(case)
    again = {path for path in visits if visits.count(path) > 1}
    visits.clear()
    monkeypatch.setattr(index_build, "WAITING_BYTES", 0)
    assert _findings(case) == kept
    assert len(visits) == len(set(visits))  # no tree kept: every file visited once
    if case.name in {"ARC301_evidence_middleware", "ARC406_metadata_overwrite"}:
        assert again  # files whose rules waited for a later one: visited again


def test_a_cycle_of_reexports_answers_alike_in_any_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`x1` and `y2` each take `log` from the other, with a fallback: the cycle
    defines nothing, whichever file is read (or asked about) first."""
    (tmp_path / "pyproject.toml").write_text(
        '[tool.arch_lint]\nservices = ["services/*"]\nshared-models = []\n', encoding="utf-8"
    )
    svc = tmp_path / "services" / "orders"
    svc.mkdir(parents=True)
    for name, other, fallback in [
        ("x1", "y2", "logging.getLogger(__name__)"),
        ("y2", "x1", "make_recorder()"),
    ]:
        (svc / f"{name}.py").write_text(
            "import logging\n\n"
            f"try:\n    from services.orders.{other} import log\n"
            f"except ImportError:\n    log = {fallback}\n",
            encoding="utf-8",
        )
    (svc / "z3.py").write_text(
        "from services.orders.x1 import log\n\n\n"
        "def handle(correlation_id: str) -> None:\n"
        '    log.info("handling")\n',
        encoding="utf-8",
    )
    monkeypatch.chdir(tmp_path)
    early = _findings(tmp_path)
    assert _findings(tmp_path, reverse=True) == early
    with monkeypatch.context() as m:
        m.setattr(Engine, "check_early", _nothing_early)
        assert _findings(tmp_path) == early
        assert _findings(tmp_path, reverse=True) == early


@pytest.mark.parametrize("kept", [True, False], ids=["tree kept", "no tree kept"])
def test_a_rule_that_needs_a_later_file_waits_for_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kept: bool
) -> None:
    """`a_handlers.py` is read before the module its logger comes from: ARC301
    cannot judge it at first; it judges it once every file is read, the tree
    kept (or in the check, where no tree may be kept)."""
    (tmp_path / "pyproject.toml").write_text(
        '[tool.arch_lint]\nservices = ["services/*"]\nshared-models = []\n', encoding="utf-8"
    )
    svc = tmp_path / "services" / "orders"
    svc.mkdir(parents=True)
    (svc / "a_handlers.py").write_text(
        "from services.orders.z_log import log\n\n\n"
        "def handle(correlation_id: str) -> None:\n"
        '    log.info("handling")\n',
        encoding="utf-8",
    )
    (svc / "z_log.py").write_text(
        "import logging\n\nlog = logging.getLogger(__name__)\n", encoding="utf-8"
    )
    monkeypatch.chdir(tmp_path)
    if not kept:
        from arch_lint.index import build as index_build

        monkeypatch.setattr(index_build, "WAITING_BYTES", 0)
    done: dict[str, list[frozenset[str]]] = {}
    original = Engine.check_early

    def spy(self: Engine, path: str, *args: Any, **kwargs: Any) -> Early:
        early = original(self, path, *args, **kwargs)
        done.setdefault(path, []).append(early.done)
        return early

    monkeypatch.setattr(Engine, "check_early", spy)
    settings = load_settings(None, tmp_path)
    result = run(settings, [tmp_path], use_cache=False)
    handlers = done["services/orders/a_handlers.py"]
    assert "ARC301" not in handlers[0]
    if kept:  # visited again once `z_log.py` is read
        assert len(handlers) == 2
        assert "ARC301" in handlers[1]
    else:
        assert len(handlers) == 1
    assert "ARC301" in done["services/orders/z_log.py"][0]
    assert [(f.path, f.line, f.code) for f in result.findings] == [
        ("services/orders/a_handlers.py", 5, "ARC301")
    ]


def _nodes(value: Any) -> bool:
    """Whether a gathered record holds a syntax node (it would keep its tree alive)."""
    import ast

    if isinstance(value, ast.AST):
        return True
    if isinstance(value, dict):
        return any(_nodes(k) or _nodes(v) for k, v in value.items())
    if isinstance(value, (list, tuple, set, frozenset)):
        return any(_nodes(v) for v in value)
    return False


def test_gathering_rules_keep_no_syntax_nodes(monkeypatch: pytest.MonkeyPatch) -> None:
    from arch_lint.engine.run import file_rules
    from arch_lint.rules._base import FileRule

    gathering = [r for r in file_rules() if r.gathers]
    assert gathering, "no rule gathers: the split is not exercised"
    for rule in gathering:  # `check_tree` gathers and judges for the other callers
        assert rule.check_tree is FileRule.check_tree, rule.code
    gathered: list[Any] = []
    original = Engine.check_early

    def spy(self: Engine, *args: Any, **kwargs: Any) -> Early:
        early = original(self, *args, **kwargs)
        gathered.extend(early.gathered.values())
        return early

    monkeypatch.setattr(Engine, "check_early", spy)
    for case in CASES:
        monkeypatch.chdir(case)
        _findings(case)
    assert any(gathered), "no fixture gathered anything"
    assert not any(_nodes(g) for g in gathered)
