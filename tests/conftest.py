from __future__ import annotations

from typing import Any

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-snapshots",
        action="store_true",
        default=False,
        help="rewrite the expected.txt snapshots of the fixture cases",
    )


@pytest.fixture
def update_snapshots(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-snapshots"))


@pytest.fixture
def parsed(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The paths the index build parses, in order (the checks and the
    fingerprints parse the files they need again, through their own `parse`)."""
    import arch_lint.engine.fingerprint as engine_fingerprint
    import arch_lint.engine.run as engine_run
    import arch_lint.index.build as index_build

    seen: list[str] = []
    real = index_build.parse

    def parse(source: bytes, filename: str) -> Any:
        seen.append(filename)
        return real(source, filename)

    monkeypatch.setattr(index_build, "parse", parse)
    # they import the build's `parse` when they first need it: keep theirs uncounted
    monkeypatch.setattr(engine_run, "parse", real)
    monkeypatch.setattr(engine_fingerprint, "parse", real)
    return seen
