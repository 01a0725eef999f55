"""ARC211's facts across files: what each service stamps as `source_service`
and which name is its own (`index/source_service.py`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from helpers import make_repo, run_cli

ENVELOPE = """\
from typing import Any

from pydantic import BaseModel, Field


class EventEnvelope(BaseModel):
    source_service: str = Field(description="who")
    data: dict[str, Any] = Field(description="the event")
"""


def _config(select: str, shared: str = '["common/models"]') -> str:
    return (
        "[tool.arch_lint]\n"
        'services = ["services/*"]\n'
        f"shared-models = {shared}\n"
        f"select = [{select}]\n"
    )


def _base(select: str, shared: str = '["common/models"]') -> dict[str, str]:
    return {
        "pyproject.toml": _config(select, shared),
        "services/__init__.py": "",
        "services/orders/__init__.py": "",
        "services/payments/__init__.py": "",
        "services/payments/app.py": "x = 1\n",
    }


def _shared(files: dict[str, str]) -> dict[str, str]:
    return {
        **files,
        "common/__init__.py": "",
        "common/models/__init__.py": "",
        "common/models/envelope.py": ENVELOPE,
    }


def _check(capsys: pytest.CaptureFixture[str], *args: str) -> list[dict[str, Any]]:
    result = run_cli(capsys, "check", "--format", "json", *args)
    assert result.code in (0, 1), result.err
    return result.json()


def _found(findings: list[dict[str, Any]]) -> list[tuple[str, int, str]]:
    return [(f["path"], f["line"], f["code"]) for f in findings]


PUBLISH_ORDERS = """\
from common.models.envelope import EventEnvelope


def placed() -> EventEnvelope:
    return EventEnvelope(source_service="orders", data={})
"""


@pytest.mark.parametrize(
    ("where", "text"),
    [
        pytest.param(
            "services/orders/clients.py",
            "from pydantic_settings import BaseSettings\n\n\n"
            "class PaymentsClientSettings(BaseSettings):\n"
            '    service_name: str = "payments"\n'
            '    base_url: str = "http://payments"\n',
            id="client-settings-of-another-service",
        ),
        pytest.param(
            "services/orders/payments_client.py",
            'SERVICE_NAME = "payments"\n\n\ndef charge() -> None: ...\n',
            id="module-constant-naming-the-callee",
        ),
        pytest.param(
            "services/orders/telemetry.py",
            "from dataclasses import dataclass\n\n\n@dataclass\nclass TracingConfig:\n"
            '    service_name: str = "orders-api"\n',
            id="otel-tracing-config",
        ),
    ],
)
def test_arc211_a_stamp_of_the_services_own_name_is_not_flagged(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    where: str,
    text: str,
) -> None:
    """Service `orders` stamps `"orders"` (its own directory's name) everywhere;
    a class or constant of the service that names a downstream service (or the
    tracing name) is not its own settings: it never becomes "the name its
    settings declare", and no stamp is flagged."""
    files = _shared(_base('"ARC211"'))
    files["services/orders/publish.py"] = PUBLISH_ORDERS
    files[where] = text
    make_repo(tmp_path, files)
    monkeypatch.chdir(tmp_path)
    assert _found(_check(capsys, "--no-cache")) == []
