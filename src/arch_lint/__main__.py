"""`python -m arch_lint`."""

from arch_lint.adapters.cli import entry_point

entry_point()
