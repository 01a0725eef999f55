"""`python -m arch_lint`.

`-m` puts the working directory first on `sys.path`, and the working
directory is usually the checked project: a module of it named like one of
arch-lint's dependencies (`pydantic.py`, `libcst/`) would be imported, and
run, instead. It is taken off the path before anything else is imported.
"""

import os
import sys

_cwd = os.getcwd()
sys.path[:] = [p for p in sys.path if p not in ("", ".", _cwd)]

from arch_lint.adapters.entry import entry_point  # noqa: E402

entry_point()
