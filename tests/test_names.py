"""The small readings the index shares (`index/names.py`)."""

from __future__ import annotations

import ast

import pytest

from arch_lint.index.names import env_default, normal_service_name


@pytest.mark.parametrize(
    ("spelled", "normal"),
    [
        ("Orders_Service", "orders"),
        ("orders-service", "orders"),
        (" orders ", "orders"),
        ("service", "service"),
        ("order-processing", "order-processing"),
    ],
)
def test_a_service_name_is_spelled_one_way(spelled: str, normal: str) -> None:
    assert normal_service_name(spelled) == normal


@pytest.mark.parametrize(
    ("code", "origin", "expected"),
    [
        ('os.getenv("SERVICE_NAME", "orders")', {}, ("SERVICE_NAME", "orders")),
        ('os.environ.get(KEY, "orders")', {}, ("", "orders")),
        ('env("X", "orders")', {"env": "os.getenv"}, ("X", "orders")),
        ('environ.get("X", "orders")', {"environ": "os.environ"}, ("X", "orders")),
        ('os.getenv("X")', {}, None),
        ('os.getenv("X", DEFAULT)', {}, None),
        ('config.get("X", "orders")', {}, None),
    ],
)
def test_the_default_of_an_environment_read(
    code: str, origin: dict[str, str], expected: tuple[str, str] | None
) -> None:
    node = ast.parse(code, mode="eval").body
    assert env_default(node, origin) == expected
