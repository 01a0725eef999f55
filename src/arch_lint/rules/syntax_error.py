"""ARC001 syntax-error."""

from __future__ import annotations

from arch_lint.rules._base import MetaRule


class SyntaxErrorRule(MetaRule):
    """A file that cannot be parsed.

    ## What it does
    Reports a file that the running interpreter cannot parse, on the line the
    parser names. The file is not checked by any other rule; the run goes on with
    the other files. Under flake8 the same file gets flake8's own `E999` instead.

    ## Why is this bad?
    A file that does not parse cannot be checked, so a violation in it would go
    unnoticed. It is also often a sign that arch-lint runs on an older Python
    than the code uses (`match`, `except*`, PEP 695 generics).

    ## Example
    ```text
    def broken(:
        pass
    ```

    ## Use instead
    ```python
    def fixed() -> None:
        pass
    ```

    ## How to fix
    Fix the syntax error, or run arch-lint on the newest Python version the code
    is written for.
    """

    code = "ARC001"
    name = "syntax-error"
    message = "the file does not parse: {error}"
