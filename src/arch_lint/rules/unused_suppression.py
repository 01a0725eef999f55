"""ARC002 unused-suppression."""

from __future__ import annotations

from arch_lint.rules._base import MetaRule


class UnusedSuppression(MetaRule):
    """A suppression that suppresses nothing.

    ## What it does
    Reports a `# noqa: ARC…` comment whose ARC code suppresses no finding on its
    line, and an `[[tool.arch_lint.allow]]` entry that no import matched (on the
    configuration file, at the entry's line). Only codes selected in the run are
    judged; a bare `# noqa` and codes of other tools belong to other tools and are
    never reported. Unused `allow` entries are judged only when the whole project
    is checked, since a partial run cannot know. Reported by the CLI only.

    ## Why is this bad?
    A stale suppression hides the next real violation on that line, and an allow
    entry that outlived its reason keeps an exception open that nobody needs.

    ## Example
    ```python
    from services.orders.models_db import Order  # noqa: ARC101
    ```

    ## Use instead
    ```python
    from services.orders.models_db import Order
    ```

    ## How to fix
    Delete the suppression (or the unused code from its list), or the `allow`
    entry.
    """

    code = "ARC002"
    name = "unused-suppression"
    message = "{what} suppresses nothing"
