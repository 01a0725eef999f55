"""Bad input never crashes arch-lint: generated programs (hypothesmith), arbitrary
text through the noqa parser, and arch-lint's own source is clean."""

from __future__ import annotations

from pathlib import Path

import hypothesmith
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from arch_lint.config import load_settings
from arch_lint.engine.noqa import file_noqa, parse_noqa
from arch_lint.engine.run import Engine, run
from arch_lint.index.build import build, parse
from arch_lint.index.facts import FileFacts, extract

ROOT = Path(__file__).parent.parent


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    root = tmp_path_factory.mktemp("fuzz")
    (root / "pyproject.toml").write_text("[tool.arch_lint]\nshared-models = []\n")
    for service in ("orders", "payments"):
        (root / "services" / service).mkdir(parents=True)
        (root / "services" / service / "__init__.py").write_text("")
    (root / "services" / "payments" / "models_db.py").write_text("class P:\n    pass\n")
    settings = load_settings(None, root)
    return Engine(settings, build(settings, use_cache=False).index)


def _check(engine: Engine, source: bytes) -> None:
    path = "services/orders/fuzzed.py"
    tree, error = parse(source, path)
    facts = extract(tree, source) if tree is not None else FileFacts()
    result = engine.check_file(path, source, facts, tree, error)
    engine.apply_noqa(path, source, result.findings)
    # the facts survive the cache's JSON round trip unchanged
    assert FileFacts.from_json(facts.to_json()).to_json() == facts.to_json()


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(hypothesmith.from_grammar())
def test_generated_programs_never_crash(engine: Engine, source: str) -> None:
    _check(engine, source.encode("utf-8", "surrogatepass"))


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300))
def test_arbitrary_bytes_never_crash(engine: Engine, source: bytes) -> None:
    _check(engine, source)
    parse_noqa(source)
    file_noqa(source)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                "from services.payments.models_db import P",
                "from ..payments import models_db",
                "from ....x import y",
                "import services.payments.models_db as m",
                "from . import *",
                "from .models_db import *",
                "importlib.import_module('..x')",
                "__import__('services.payments.models_db')",
                "# noqa: ARC101",
                "x = '# noqa'",
                "if TYPE_CHECKING:\n    import services",
                "def f():\n    from services.payments import models_db",
            ]
        ),
        max_size=8,
    )
)
def test_import_soup_never_crashes(engine: Engine, lines: list[str]) -> None:
    source = "\n".join(lines).encode()
    if parse(source, "x.py")[0] is not None:
        _check(engine, source)


def test_deeply_nested_source_is_an_error_not_a_crash() -> None:
    tree, error = parse(b"x = " + b"(" * 5000 + b")" * 5000, "deep.py")
    assert tree is None
    assert error is not None


def test_arch_lint_checks_its_own_source_and_finds_nothing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(ROOT)
    settings = load_settings(None, ROOT)
    result = run(settings, [ROOT / "src"], use_cache=False)
    assert result.checked, "the source tree must be checked"
    assert result.findings == []


def test_a_file_name_that_is_not_utf8_is_skipped_not_fatal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.arch_lint]\nshared-models = []\n")
    orders = tmp_path / "services" / "orders"
    orders.mkdir(parents=True)
    (orders / "ok.py").write_text("x = 1\n")
    try:
        with open(bytes(orders) + b"/caf\xe9.py", "wb") as handle:
            handle.write(b"y = 2\n")
    except OSError:
        pytest.skip("the file system refuses names that are not UTF-8")
    monkeypatch.chdir(tmp_path)
    result = run(load_settings(None, tmp_path), [tmp_path], use_cache=True)
    assert result.checked == ["services/orders/ok.py"]
    assert result.findings == []
