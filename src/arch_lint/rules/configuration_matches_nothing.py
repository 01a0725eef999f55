"""ARC000 configuration-matches-nothing."""

from __future__ import annotations

from arch_lint.rules._base import MetaRule


class ConfigurationMatchesNothing(MetaRule):
    """A configuration key that matches no file or directory.

    ## What it does
    Checks that the keys that describe the architecture match something: every
    `services` glob matches at least one directory, every `shared-models` entry
    holds a Python file, every `source-roots` entry holds a package or module.
    The defaults are checked too. `arch-lint check` stops with exit status 2 and
    names the key; under flake8 the run stops with the same message (only in a
    project with a `[tool.arch_lint]` table: without one the plugin stays silent).

    ## Why is this bad?
    A configuration that checks nothing is not a pass. A typo in a glob
    (`service/*` for `services/*`) silently turns every architecture rule off,
    and CI stays green while services import each other's tables.

    ## Example
    ```toml
    [tool.arch_lint]
    services = ["service/*"]   # the folder is called services/
    ```

    ## Use instead
    ```toml
    [tool.arch_lint]
    services = ["services/*"]
    shared-models = []         # say so explicitly when there are none
    ```

    ## How to fix
    Correct the glob or path, or set the key to an empty list (`services = []`,
    `shared-models = []`) to say that the repository has none. Run
    `arch-lint check --show-settings` to see what arch-lint resolved.

    ## Options
    `services`, `shared-models`, `source-roots`
    """

    code = "ARC000"
    name = "configuration-matches-nothing"
    message = "`tool.arch_lint.{key}`: {problem}"
