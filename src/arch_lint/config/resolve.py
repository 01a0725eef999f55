"""Turn the raw table into `Settings`: validated, with compiled globs.

Globs use gitignore semantics (pathspec): `**/` matches zero or more
directories, a pattern without a slash matches at any depth, and relative paths
are relative to the directory that holds the config file.
"""

from __future__ import annotations

import hashlib
import json
import re
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from arch_lint import __version__
from arch_lint.config.load import ConfigError, RawConfig, key_line
from arch_lint.config.model import ArchLintConfig

if TYPE_CHECKING:
    import pathspec
    from pydantic import ValidationError

    Spec = pathspec.PathSpec[Any]


PATTERN_REGEXES: dict[str, str | None] = {}
"""Gitignore pattern -> the regular expression pathspec translates it to, or None
for one that is not a plain inclusion (a negation, a comment). A configuration
read from the cache brings the translations of its globs along (see
`config.cached`), so a warm run matches paths without importing pathspec."""


def _spec(patterns: tuple[str, ...]) -> Spec:
    """pathspec's compiled patterns; every plain pattern's translation is noted."""
    import pathspec

    registered = pathspec.util._registered_patterns
    factory = "gitignore" if "gitignore" in registered else "gitwildmatch"
    with warnings.catch_warnings():  # `[[:alpha:]]`: re's "possible nested set"
        warnings.simplefilter("ignore")
        spec: Spec = pathspec.PathSpec.from_lines(factory, patterns)
    if len(spec.patterns) == len(patterns):
        for pattern, compiled in zip(patterns, spec.patterns, strict=True):
            regex = getattr(compiled, "regex", None)
            plain = getattr(compiled, "include", None) is True and isinstance(regex, re.Pattern)
            PATTERN_REGEXES[pattern] = regex.pattern if plain and regex is not None else None
    return spec


def _joined(patterns: tuple[str, ...]) -> re.Pattern[str] | None:
    """One expression for plain patterns whose translations are known, else None."""
    known = [PATTERN_REGEXES.get(p) for p in patterns]
    if not known or any(regex is None for regex in known):
        return None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return re.compile("|".join(f"(?:{regex})" for regex in known))
    except re.error:
        return None


class Matcher:
    """Gitignore-style globs over relative posix paths.

    As in git, a pattern that matches a directory matches everything below it
    (`services/orders/generated` excludes the files in that folder). Patterns
    without negations are joined into one regular expression, and folder
    verdicts are memoised: the matcher runs for every file of every run.
    pathspec compiles a pattern whose translation is not known yet (and any
    list with a negation, which the joined expression cannot express).
    """

    __slots__ = ("_dirs", "_regex", "_spec", "patterns")

    def __init__(self, patterns: list[str] | tuple[str, ...]) -> None:
        self.patterns = tuple(p for p in patterns if p.strip())
        self._spec: Spec | None = None
        self._regex: re.Pattern[str] | None = None
        self._dirs: dict[str, bool] = {}
        if not self.patterns:
            return
        if not all(p in PATTERN_REGEXES for p in self.patterns):
            self._spec = _spec(self.patterns)
        self._regex = _joined(self.patterns)
        if self._regex is None and self._spec is None:
            # a translation that does not compile (a damaged cache): pathspec's again
            self._spec = _spec(self.patterns)
            self._regex = _joined(self.patterns)

    def __bool__(self) -> bool:
        return bool(self.patterns)

    def _match(self, path: str) -> bool:
        if self._regex is not None:
            return self._regex.match(path) is not None
        if self._spec is None:
            self._spec = _spec(self.patterns)
        return self._spec.match_file(path)

    def match_file(self, path: str) -> bool:
        if not self.patterns:
            return False
        if self._match(path):
            return True
        cut = path.rfind("/")
        return cut > 0 and self._folder(path[:cut])

    def _folder(self, folder: str) -> bool:
        known = self._dirs.get(folder)
        if known is None:
            cut = folder.rfind("/")
            known = (
                self._match(folder + "/")
                or self._match(folder)
                or (cut > 0 and self._folder(folder[:cut]))
            )
            self._dirs[folder] = known
        return known

    def match_dir(self, folder: str) -> bool:
        return bool(self.patterns) and (self._match(folder) or self._match(folder + "/"))


def matcher(patterns: list[str] | tuple[str, ...]) -> Matcher:
    """A gitignore-style matcher for relative posix paths."""
    return Matcher(patterns)


_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


def format_loc(loc: tuple[str | int, ...]) -> str:
    """`tool.arch_lint.allow[1].from`; a key that is not a bare TOML key (a glob
    of `per-path-ignores`) is quoted, as TOML writes it."""
    out = "tool.arch_lint"
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if _BARE_KEY.fullmatch(part) else f".{json.dumps(part)}"
    return out


def _problems(raw: RawConfig, exc: ValidationError) -> list[str]:
    problems = []
    for err in exc.errors():
        loc = tuple(err["loc"])
        message = err["msg"]
        if err["type"] == "extra_forbidden":
            message = "unknown key"
        elif err["type"] == "missing":
            message = "required key is missing"
        elif message.startswith("Value error, "):
            message = message.removeprefix("Value error, ")
        problems.append(_problem(raw, loc, message))
    return problems


def _problem(raw: RawConfig, loc: tuple[str | int, ...], message: str) -> str:
    line = key_line(raw.text, loc) if raw.text else 0
    where = f"{line}: " if line else ""
    return f"{where}{format_loc(loc)}: {message}"


def globs(model: ArchLintConfig) -> Iterator[tuple[tuple[str | int, ...], str]]:
    """Every glob of the configuration, with its key path, as the run uses it."""
    for key, patterns in (
        ("services", [p.rstrip("/") for p in model.services]),
        ("public", model.public),
        ("data-layer", model.data_layer),
        ("exclude", model.exclude),
        ("extend-exclude", model.extend_exclude),
    ):
        for i, pattern in enumerate(patterns):
            yield (key, i), pattern
    for i, entry in enumerate(model.source_roots):
        if any(ch in entry for ch in "*?["):
            yield ("source-roots", i), entry.strip("/")
    for pattern in model.per_path_ignores:
        yield ("per-path-ignores", pattern), pattern
    for i, allowed in enumerate(model.allow):
        yield ("allow", i, "from"), allowed.from_


def _glob_problems(raw: RawConfig, model: ArchLintConfig) -> list[str]:
    """Compile every glob now, so that a bad one is an error naming its key
    (exit 2) instead of a regex error halfway through a run."""
    problems = []
    for loc, pattern in globs(model):
        why = _glob_error(pattern)
        if (
            why is None
            and loc[0] == "source-roots"  # also globbed by pathlib, which forbids `a**`
            and any("**" in part and part != "**" for part in pattern.split("/"))
        ):
            why = "`**` can only be a whole path component"
        if why is not None:
            problems.append(_problem(raw, loc, f"invalid glob `{pattern}`: {why}"))
    return problems


def _glob_error(pattern: str) -> str | None:
    try:
        # pathspec compiles when the pattern is made; a match forces it in a
        # version that would wait.
        matcher([pattern]).match_file("x/y.py")
    except re.error as exc:
        return exc.msg
    except ValueError:  # pathspec's own: a lone `!`, a trailing backslash
        return "not a gitignore pattern"
    return None


@dataclass(frozen=True)
class RuleSelection:
    select: tuple[str, ...]
    extend_select: tuple[str, ...]
    ignore: tuple[str, ...]

    def enabled(self, code: str, default_on: bool) -> bool:
        def hit(prefixes: tuple[str, ...]) -> int:
            return max((len(p) for p in prefixes if code.startswith(p)), default=-1)

        ignored = hit(self.ignore)
        if ignored >= 0:
            # `ignore` wins over select unless select names the code more precisely.
            chosen = max(hit(self.select), hit(self.extend_select))
            if chosen <= ignored:
                return False
        if self.select:
            return hit(self.select) >= 0 or hit(self.extend_select) >= 0
        return default_on or hit(self.extend_select) >= 0


@dataclass(frozen=True)
class Settings:
    """Everything a run needs to know about the configuration."""

    root: Path
    config_path: Path | None
    config_text: str
    model: ArchLintConfig
    explicit_keys: frozenset[str]
    selection: RuleSelection

    @classmethod
    def of(
        cls,
        root: Path,
        config_path: Path | None,
        config_text: str,
        model: ArchLintConfig,
        explicit_keys: frozenset[str],
    ) -> Settings:
        """The settings of a validated table, with its own rule selection."""
        return cls(
            root=root,
            config_path=config_path,
            config_text=config_text,
            model=model,
            explicit_keys=explicit_keys,
            selection=RuleSelection(
                select=tuple(model.select),
                extend_select=tuple(model.extend_select),
                ignore=tuple(model.ignore),
            ),
        )

    @property
    def fingerprint(self) -> str:
        """Changes whenever the configuration or arch-lint's version does."""
        payload = json.dumps(
            [__version__, str(self.root), self.model.to_json()],
            sort_keys=True,
        )
        return hashlib.blake2b(payload.encode(), digest_size=16).hexdigest()

    def with_selection(
        self,
        select: list[str] | None = None,
        extend_select: list[str] | None = None,
        ignore: list[str] | None = None,
    ) -> Settings:
        """Apply command-line selection on top of the configuration."""
        sel = self.selection
        return Settings(
            root=self.root,
            config_path=self.config_path,
            config_text=self.config_text,
            model=self.model,
            explicit_keys=self.explicit_keys,
            selection=RuleSelection(
                select=tuple(select) if select is not None else sel.select,
                extend_select=sel.extend_select + tuple(extend_select or ()),
                ignore=sel.ignore + tuple(ignore or ()),
            ),
        )

    def display_path(self) -> str:
        if self.config_path is None:
            return "(defaults)"
        try:
            return self.config_path.relative_to(Path.cwd()).as_posix()
        except ValueError:
            return str(self.config_path)


def resolve(raw: RawConfig) -> Settings:
    """Validate the raw table; raise ConfigError naming every bad key."""
    table: dict[str, Any] = raw.table
    if table:
        from pydantic import ValidationError

        from arch_lint.config.validate import validate

        try:
            model = validate(table)
        except ValidationError as exc:
            raise ConfigError(raw.path, _problems(raw, exc)) from None
    else:
        model = ArchLintConfig()  # the defaults: valid by definition
    problems = _glob_problems(raw, model)
    if problems:
        raise ConfigError(raw.path, problems)
    return Settings.of(raw.root, raw.path, raw.text, model, frozenset(table))
