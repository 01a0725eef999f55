"""Small readings several parts of the index share: how a service's name is
spelled, and the default of an environment read.

(`index/infer.py` keeps its own copies, `_normal` and `_ENV_READERS` /
`_url_default`, for now: the HTTP map moves them; they are to use these.)
"""

from __future__ import annotations

import ast
from collections.abc import Mapping

from arch_lint.index.models import dotted

ENV_READERS = frozenset({"os.environ.get", "os.getenv", "getenv", "environ.get"})
"""Calls that read an environment variable with a default (as written, or as
their import origin)."""


def normal_service_name(name: str) -> str:
    """A service's name as people spell it in many ways: `Orders_Service`,
    `orders-service` and `orders` are alike (case, `-`/`_` alike, an optional
    `-service` suffix)."""
    text = name.strip().lower().replace("_", "-")
    return text.removesuffix("-service") or text


def env_default(value: ast.expr, origin: Mapping[str, str] | None = None) -> tuple[str, str] | None:
    """(variable, default) of `os.getenv("X", "d")` / `os.environ.get("X", "d")`
    whose default is a string literal (the variable "" where it is not one);
    `origin`: the module's imported names -> their dotted origin (`from os
    import getenv as env`)."""
    if not isinstance(value, ast.Call) or len(value.args) != 2:
        return None
    written = dotted(value.func) or ""
    full = written
    if origin:
        head, _, rest = written.partition(".")
        if head in origin:
            full = f"{origin[head]}.{rest}" if rest else origin[head]
    if full not in ENV_READERS and written not in ENV_READERS:
        return None
    variable, default = value.args
    if not (isinstance(default, ast.Constant) and isinstance(default.value, str)):
        return None
    name = variable.value if isinstance(variable, ast.Constant) else ""
    return (name if isinstance(name, str) else ""), default.value
