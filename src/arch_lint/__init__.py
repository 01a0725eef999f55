"""arch-lint: enforce the data-and-metadata architecture of Python microservice monorepos."""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
