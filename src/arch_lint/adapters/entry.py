"""The `arch-lint` console script, light at start-up.

`arch-lint --version` is answered here, with nothing imported beyond what the
interpreter has loaded already: the full command line (`adapters.cli`) imports
argparse, the configuration, the layout and the cache (about 40 ms; the rules,
the index builder and pydantic only when a run needs them), which a version
query (editors and pre-commit ask for it) need not pay. Everything else is
handed to `arch_lint.adapters.cli.entry_point`, whose guarantees hold from the
first line: no traceback reaches a user (set `ARCH_LINT_DEBUG=1` to see it)
and the process leaves with `os._exit`.

Keep this module free of imports beyond `os` and `sys` (loaded by the
interpreter before any user code), the built-in `gc` and `arch_lint` itself
(only its `__version__`); `typing` is imported for the type checker only.
"""

from __future__ import annotations

import gc
import os
import sys

from arch_lint import __version__

TYPE_CHECKING = False  # `typing` itself is not loaded at start-up
if TYPE_CHECKING:
    from typing import NoReturn

EXIT_OK, EXIT_ERROR = 0, 2


def version_text() -> str:
    """What `arch-lint --version` prints (argparse's `version` action, verbatim)."""
    return f"arch-lint {__version__}\n"


def entry_point() -> None:
    # Before the heavy imports, whose allocations would otherwise start
    # collections that find nothing (`cli.entry_point` disables it as well).
    gc.disable()
    if sys.argv[1:] == ["--version"]:
        _leave(EXIT_OK, version_text())
    try:
        from arch_lint.adapters.cli import entry_point as full_entry_point
    except KeyboardInterrupt:
        _leave(130)
    except Exception as exc:  # a broken installation: still one line, no traceback
        if os.environ.get("ARCH_LINT_DEBUG"):
            raise
        _leave(_internal_error(exc))
    full_entry_point()  # leaves the process itself


def _internal_error(exc: BaseException) -> int:
    print(
        f"arch-lint: internal error: {type(exc).__name__}: {exc}\n"
        "arch-lint: this is a bug; rerun with ARCH_LINT_DEBUG=1 for details and report it",
        file=sys.stderr,
    )
    return EXIT_ERROR


def _leave(code: int, output: str = "") -> NoReturn:
    """Write `output`, flush and leave at once, as `cli.entry_point` does."""
    try:
        sys.stdout.write(output)
        sys.stdout.flush()
        sys.stderr.flush()
    except BrokenPipeError:
        pass
    os._exit(code)
