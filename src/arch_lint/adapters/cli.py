"""The `arch-lint` command line: `main(argv) -> exit status`.

Exit status: 0 clean, 1 violations found, 2 usage or configuration error. No
traceback reaches a user: an unexpected error is reported in one line (set
`ARCH_LINT_DEBUG=1` to see the traceback).
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from arch_lint import __version__
from arch_lint.config import ConfigError, Settings, load_project, load_settings
from arch_lint.config.load import key_line
from arch_lint.config.model import check_code, register_code_check_loader
from arch_lint.engine.run import RunResult, run
from arch_lint.findings import Finding
from arch_lint.index.cache import scan_layout
from arch_lint.report import FORMATS, NEEDS_FINGERPRINTS, render
from arch_lint.report import baseline as baseline_file
from arch_lint.report.render import display_path

if TYPE_CHECKING:
    from arch_lint.engine.run import Engine
    from arch_lint.index.infer import Evidence
    from arch_lint.index.layout import Layout, Problem

# Start-up: a warm check of a few files reads its findings from the cache and
# needs neither the rules nor the index builder nor pydantic; whatever needs
# them imports them where it runs (the rules load themselves the first time a
# code is checked, e.g. by `--select` or a configuration being validated).
EXIT_OK, EXIT_VIOLATIONS, EXIT_ERROR = 0, 1, 2


def _load_rules() -> object:
    import arch_lint.rules

    return arch_lint.rules


register_code_check_loader(_load_rules)


class UsageError(Exception):
    pass


def _engine(settings: Settings, layout: Layout) -> Engine:
    """An engine for the selection and `per-path-ignores` (no facts needed)."""
    from arch_lint.engine.run import Engine
    from arch_lint.index.project import ProjectIndex

    return Engine(settings, ProjectIndex(layout, {}))


def _codes(value: str) -> list[str]:
    codes = [c.strip().upper() for c in value.split(",") if c.strip()]
    for code in codes:
        try:
            check_code(code)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None
    return codes


class _Parser(argparse.ArgumentParser):
    """`add_argument` builds a help formatter only to check each metavar, and a
    formatter asks for the terminal's width (importing `shutil`, with `bz2` and
    `lzma`): while the parser is being built, the check gets a fixed width."""

    building = False

    def _get_formatter(self) -> argparse.HelpFormatter:
        if _Parser.building:
            return argparse.HelpFormatter(self.prog, width=80)
        return super()._get_formatter()


def _parser() -> argparse.ArgumentParser:
    _Parser.building = True
    try:
        return _build_parser()
    finally:
        _Parser.building = False


def _build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="arch-lint",
        description="Enforce the data-and-metadata architecture of a Python microservice monorepo.",
    )
    parser.add_argument("--version", action="version", version=f"arch-lint {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    check = sub.add_parser("check", help="lint files (default: the current directory)")
    fix = sub.add_parser("fix", help="apply safe fixes (same as check --fix)")
    for command in (check, fix):
        _check_options(command)
    check.add_argument("--fix", action="store_true", help="apply the fixes (safe ones)")

    explain = sub.add_parser("explain", help="print a rule's documentation")
    explain.add_argument("rule", metavar="CODE", help="a code (ARC101) or name")

    rules = sub.add_parser("rules", help="list every rule")
    rules.add_argument("--format", choices=("text", "json"), default="text")

    _baseline_options(sub)

    snapshot = sub.add_parser(
        "schema-snapshot", help="write the schema of the shared models as a JSON snapshot"
    )
    snapshot.add_argument(
        "-o",
        "--output",
        type=Path,
        help="where to write it (default: the `schema.snapshot` file; `-` for stdout)",
    )
    snapshot.add_argument("--config", type=Path, help="a TOML file with a [tool.arch_lint] table")
    snapshot.add_argument(
        "--no-cache", action="store_true", help="neither read nor write the cache"
    )

    schema_diff = sub.add_parser(
        "schema-diff",
        help="breaking changes of the shared models against a git revision or a snapshot",
    )
    base = schema_diff.add_mutually_exclusive_group()
    base.add_argument("--base", metavar="GIT_REF", help="compare with this git revision")
    base.add_argument(
        "--against",
        metavar="SNAPSHOT",
        type=Path,
        help="compare with a snapshot (default: the `schema.snapshot` file)",
    )
    schema_diff.add_argument(
        "--compatibility",
        choices=("backward", "forward", "full"),
        help="what must keep working (default: `schema.compatibility`)",
    )
    schema_diff.add_argument("--format", choices=FORMATS, default="text")
    schema_diff.add_argument(
        "--config", type=Path, help="a TOML file with a [tool.arch_lint] table"
    )
    schema_diff.add_argument("--select", type=_codes, help="codes or prefixes to enable")
    schema_diff.add_argument("--ignore", type=_codes, help="codes or prefixes to disable")
    schema_diff.add_argument(
        "--no-cache", action="store_true", help="neither read nor write the cache"
    )
    schema_diff.add_argument("--exit-zero", action="store_true", help="exit 0 even with findings")

    from arch_lint.adapters import graph as graph_command

    graph_command.add_parser(sub)

    init = sub.add_parser(
        "init", help="infer a [tool.arch_lint] table from the repository, with its evidence"
    )
    init.add_argument(
        "--write",
        action="store_true",
        help="append it to pyproject.toml (never overwrites an existing table)",
    )
    sub.add_parser(
        "server",
        help="run the language server (LSP over stdio) for editors; needs the `server` extra",
    )
    return parser


def _check_options(check: argparse.ArgumentParser) -> None:
    check.add_argument("paths", nargs="*", type=Path, metavar="PATH")
    check.add_argument("--format", choices=FORMATS, default="text")
    check.add_argument("--select", type=_codes, help="codes or prefixes to enable (replaces)")
    check.add_argument("--extend-select", type=_codes, help="codes or prefixes to add")
    check.add_argument("--ignore", type=_codes, help="codes or prefixes to disable")
    check.add_argument("--config", type=Path, help="a TOML file with a [tool.arch_lint] table")
    check.add_argument("--no-cache", action="store_true", help="neither read nor write the cache")
    check.add_argument(
        "--jobs", "-j", type=int, default=0, help="processes for parsing (0: automatic)"
    )
    check.add_argument("--statistics", action="store_true", help="count violations per code")
    check.add_argument("--exit-zero", action="store_true", help="exit 0 even with violations")
    check.add_argument("--output-file", type=Path, help="write the report to this file")
    check.add_argument(
        "--show-settings", action="store_true", help="print the resolved architecture and exit"
    )
    check.add_argument("--diff", action="store_true", help="with fixes: print them, write nothing")
    check.add_argument(
        "--unsafe-fixes", action="store_true", help="also apply fixes that can change behaviour"
    )
    check.add_argument(
        "--fix-edits",
        action="store_true",
        help="list each fix's text edits in json, json-lines and sarif output (parses the "
        "fixable files with libcst: slower)",
    )
    _adoption_options(check)


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(_split_add_noqa(sys.argv[1:] if argv is None else argv))
    try:
        if args.command in {"check", "fix"}:
            if args.command == "fix":
                args.fix = True
            return _check(args)
        if args.command == "explain":
            return _explain(args.rule)
        if args.command == "rules":
            return _rules(args.format)
        if args.command in {"schema-snapshot", "schema-diff"}:
            return _schema(args)
        if args.command == "baseline":
            return _baseline(args)
        if args.command == "graph":
            from arch_lint.adapters import graph as graph_command

            return graph_command.graph_main(args)
        if args.command == "init":
            from arch_lint.adapters import init as init_command

            return init_command.init_main(Path("."), write=args.write)
        if args.command == "server":
            return _server()
        parser.print_help()
        return EXIT_ERROR
    except ConfigError as exc:
        for line in exc.lines():
            print(f"arch-lint: {line}" if exc.path is None else line, file=sys.stderr)
        return EXIT_ERROR
    except (UsageError, baseline_file.BaselineError) as exc:
        print(f"arch-lint: {exc}", file=sys.stderr)
        return EXIT_ERROR


def entry_point() -> None:
    # A short-lived process whose data (trees, facts) has no cycles: the
    # collector would only walk millions of objects for nothing.
    gc.disable()
    try:
        code = main()
    except KeyboardInterrupt:
        code = 130
    except BrokenPipeError:
        code = EXIT_OK
    except Exception as exc:
        if os.environ.get("ARCH_LINT_DEBUG"):
            raise
        print(
            f"arch-lint: internal error: {type(exc).__name__}: {exc}\n"
            "arch-lint: this is a bug; rerun with ARCH_LINT_DEBUG=1 for details and report it",
            file=sys.stderr,
        )
        code = EXIT_ERROR
    # Leave without tearing the interpreter down: freeing the run's millions of
    # objects one by one at exit costs more than a second on a large monorepo,
    # and nothing is left to clean up (every file written is closed already).
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except BrokenPipeError:
        code = code if code else EXIT_OK
    os._exit(code)


# --- server --------------------------------------------------------------------------


SERVER_EXTRA_MISSING = (
    "`arch-lint server` needs pygls, which is not installed: pip install 'flake8-arch-lint[server]'"
)


def _server() -> int:
    """`arch-lint server`: pygls and lsprotocol come with the `server` extra."""
    try:
        from arch_lint.adapters.server import serve
    except ImportError as exc:
        if (exc.name or "").split(".")[0] not in {"pygls", "lsprotocol", "cattrs", "attrs"}:
            raise
        print(f"arch-lint: {SERVER_EXTRA_MISSING}", file=sys.stderr)
        return EXIT_ERROR
    return serve()


# --- check ---------------------------------------------------------------------------


def _settings(args: argparse.Namespace) -> tuple[Settings, list[Evidence]]:
    """The run's settings, with the command line's selection."""
    targets: list[Path] = args.paths or [Path(".")]
    for target in targets:
        if not target.exists():
            raise UsageError(f"{target}: no such file or directory")
    settings, evidence = _project_settings(args.config, targets[0], not args.no_cache)
    return settings.with_selection(args.select, args.extend_select, args.ignore), evidence


def _project_settings(
    config: Path | None, start: Path, use_cache: bool
) -> tuple[Settings, list[Evidence]]:
    """The configuration found from `start`; without any `[tool.arch_lint]` table,
    the layout `arch-lint init` infers (said on stderr), with the evidence for
    each value. `check` and `baseline` judge the same project this way."""
    found = load_project(config, start, use_cache=use_cache)
    if isinstance(found, Settings):
        return found, []
    from arch_lint.adapters import init as init_command

    inferred = init_command.settings_without_config(found)
    if inferred is None:
        raise UsageError(init_command.NOTHING_INFERRED)
    print(f"arch-lint: {init_command.NO_CONFIG_NOTICE}", file=sys.stderr)
    return inferred


def _config_shown(settings: Settings) -> str:
    if settings.config_path is None:
        return "(no configuration file: defaults)"
    try:
        return settings.config_path.relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return str(settings.config_path)


def _check(args: argparse.Namespace) -> int:
    if args.statistics and args.format not in {"text", "json"}:
        raise UsageError(f"--statistics prints a table as text or json, not {args.format}")
    settings, evidence = _settings(args)
    layout = scan_layout(settings, use_cache=not args.no_cache)
    if args.show_settings:
        from arch_lint.adapters.settings_view import describe
        from arch_lint.index.build import build

        index = build(settings, use_cache=not args.no_cache, layout=layout).index
        fmt = "json" if args.format == "json" else "text"
        _emit(describe(settings, layout, index, fmt, evidence), args.output_file)
        return EXIT_ERROR if layout.problems else EXIT_OK
    if layout.problems:
        _print_problems(settings, layout.problems)
        return EXIT_ERROR
    targets = [Path(p) for p in (args.paths or ["."])]
    cache = not args.no_cache
    if args.output_file is not None:
        _check_write_target(args.output_file, settings.root, "the report")
    prints = (args.format in NEEDS_FINGERPRINTS and not args.statistics) or (
        _baseline_path(args, settings) is not None
    )
    result = run(
        settings, targets, jobs=args.jobs, use_cache=cache, layout=layout, fingerprints=prints
    )
    _print_notices(result.notices)
    if args.add_noqa and (args.fix or args.diff):
        raise UsageError("--add-noqa does not combine with --fix or --diff")
    if args.fix or args.diff:
        from arch_lint.engine.fix import apply_fixes, fixable  # libcst: only when fixing

        report = apply_fixes(
            settings.root,
            result.findings,
            unsafe=args.unsafe_fixes,
            diff=args.diff,
            checked=result.digests,
        )
        for path, why in report.failed:
            print(f"arch-lint: {path}: not fixed: {why}", file=sys.stderr)
        if args.diff:
            _emit(_diffs_from_here(report.files, report.diffs, settings.root), args.output_file)
            pending = len(fixable(result.findings, args.unsafe_fixes))
            print(f"Would fix {pending} violation{'s' if pending != 1 else ''}.", file=sys.stderr)
            return EXIT_VIOLATIONS if report.diffs and not args.exit_zero else EXIT_OK
        if report.files:
            result = run(
                settings, targets, jobs=args.jobs, use_cache=not args.no_cache, layout=layout
            )
        print(
            f"Fixed {report.fixed} violation{'s' if report.fixed != 1 else ''}"
            f" in {len(report.files)} file{'s' if len(report.files) != 1 else ''}.",
            file=sys.stderr,
        )
    findings, fingerprints = _without_baselined(args, settings, layout, targets, result)
    if args.add_noqa:
        return _add_noqa(settings, findings, args.add_noqa_reason)
    output = render(
        args.format,
        findings,
        settings.root,
        statistics=args.statistics,
        checked=result.checked,
        fingerprints=fingerprints,
        fix_edits=args.fix_edits,
    )
    _emit(output, args.output_file)
    if findings and not args.exit_zero:
        return EXIT_VIOLATIONS
    return EXIT_OK


def _print_problems(settings: Settings, problems: Sequence[Problem]) -> None:
    """ARC000: configuration keys that match nothing, at their line in the config."""
    from arch_lint.rules.configuration_matches_nothing import ConfigurationMatchesNothing

    for problem in problems:
        text = settings.config_text
        line = key_line(text, _key_path(problem.key)) if text else 1
        where = f"{_config_shown(settings)}:{line}:1:" if text else "arch-lint:"
        print(
            f"{where} {ConfigurationMatchesNothing.code} "
            + ConfigurationMatchesNothing.message.format(key=problem.key, problem=problem.message),
            file=sys.stderr,
        )
    if problems and settings.config_path is not None and settings.root != Path.cwd().resolve():
        # `--config ../ci/arch-lint.toml`: its globs are read from its folder, not from here
        print(
            f"arch-lint: note: the paths in {_config_shown(settings)} are relative to its "
            f"folder, `{settings.root}` (the project root)",
            file=sys.stderr,
        )


def _print_notices(notices: Sequence[str]) -> None:
    for notice in notices:
        print(f"arch-lint: {notice}", file=sys.stderr)


def _check_write_target(path: Path, root: Path, what: str) -> None:
    """Refuse to write `what` through a symbolic link that leaves the project
    (the file itself, or a folder on its way): the checked tree may hold such a
    link where a report is expected. A path outside the project as written is
    the user's own choice."""
    real_root = root.resolve()
    real = path.resolve()
    if real.is_relative_to(real_root):
        return
    if path.is_symlink() or Path(os.path.abspath(path)).is_relative_to(real_root):
        raise UsageError(
            f"{path}: leads through a symbolic link to {real}, outside the project; "
            f"not writing {what} there"
        )


def _check_inside(path: Path, root: Path, key: str) -> None:
    """A path the configuration names for writing stays in the project (the
    configuration belongs to the checked tree, which may not be trusted)."""
    if not path.resolve().is_relative_to(root.resolve()):
        raise UsageError(f"`{key}` = `{path}` leaves the project; arch-lint writes only inside it")


def _emit(text: str, output_file: Path | None) -> None:
    # a lone surrogate (from a string literal of the checked code, in a
    # message) has no UTF-8 form: it is written as its escape, `\ud800`,
    # which a JSON reader reads back as the same character
    text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    if output_file is None:
        sys.stdout.write(text)
        return
    try:
        output_file.parent.mkdir(parents=True, exist_ok=True)
        output_file.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"{output_file}: cannot write the report: {exc.strerror}") from None


def _key_path(key: str) -> tuple[str | int, ...]:
    name, _, rest = key.partition("[")
    return (name, int(rest.rstrip("]"))) if rest else (name,)


# --- explain / rules -------------------------------------------------------------------


def _explain(name: str) -> int:
    from arch_lint.rules import BY_CODE, BY_NAME

    rule = BY_CODE.get(name.upper()) or BY_NAME.get(name)
    if rule is None:
        raise UsageError(f"unknown rule `{name}`; `arch-lint rules` lists them")
    state = "on" if rule.default_on else "off"
    print(f"{rule.code} {rule.name} (default: {state})\n")
    print(rule.documentation())
    return EXIT_OK


def _rules(fmt: str) -> int:
    from arch_lint.report.rules import fix_applicability, rule_url
    from arch_lint.rules import RULES

    if fmt == "json":
        import json

        rows = [
            {
                "code": r.code,
                "name": r.name,
                "default": r.default_on,
                "fixable": fix_applicability(r) != "none",
                "fix": fix_applicability(r),
                "url": rule_url(r.code),
                "summary": r.summary(),
            }
            for r in RULES
        ]
        print(json.dumps(rows, indent=2))
        return EXIT_OK
    print(f"{'code':<6}  {'default':<7}  {'fix':<6}  {'name':<34} summary")
    for r in RULES:
        state = "on" if r.default_on else "off"
        print(f"{r.code}  {state:<7}  {fix_applicability(r):<6}  {r.name:<34} {r.summary()}")
    return EXIT_OK


# --- schema ------------------------------------------------------------------------------


def _schema(args: argparse.Namespace) -> int:
    from arch_lint.schema.command import SchemaCommandError

    try:
        return _schema_command(args)
    except SchemaCommandError as exc:
        raise UsageError(str(exc)) from None


def _schema_command(args: argparse.Namespace) -> int:
    from arch_lint.schema import command as schema_command

    settings = load_settings(args.config, Path("."), use_cache=not args.no_cache)
    if args.command == "schema-diff":
        settings = settings.with_selection(args.select, None, args.ignore)
    layout = scan_layout(settings, use_cache=not args.no_cache)
    problems = [p for p in layout.problems if p.key.startswith("shared-models")]
    if problems:
        _print_problems(settings, problems)
        return EXIT_ERROR
    if not settings.model.shared_models:
        raise UsageError("`shared-models` is empty: there is no schema to snapshot or compare")
    head = schema_command.head_schema(settings, layout)
    configured = settings.root / settings.model.schema_.snapshot
    if args.command == "schema-snapshot":
        text = head.schema.dumps()
        if args.output is not None and str(args.output) == "-":
            sys.stdout.write(text)
            return EXIT_OK
        if args.output is None:
            _check_inside(configured, settings.root, "tool.arch_lint.schema.snapshot")
        target = args.output or configured
        _check_write_target(target, settings.root, "the snapshot")
        try:
            target.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise UsageError(f"{target}: cannot write the snapshot ({exc.strerror})") from None
        count, enums = len(head.schema.models), len(head.schema.enums)
        shown = os.path.relpath(target.resolve(), Path.cwd()) if target.is_absolute() else target
        print(
            f"Wrote {count} model{'s' if count != 1 else ''} and {enums} "
            f"enum{'s' if enums != 1 else ''} to {shown}.",
            file=sys.stderr,
        )
        return EXIT_OK
    if args.base is not None:
        base = schema_command.base_schema_from_git(settings, args.base)
    else:
        snapshot = args.against or configured
        base = schema_command.base_schema_from_file(snapshot)
        if base.version < head.schema.version:
            shown = os.path.relpath(snapshot.resolve(), Path.cwd())
            print(
                f"arch-lint: {shown} has snapshot format version {base.version}: alias "
                "generators, computed and excluded fields and computed enum values are not "
                "compared (write a new one with `arch-lint schema-snapshot`)",
                file=sys.stderr,
            )
    mode = args.compatibility or settings.model.schema_.compatibility
    engine = _engine(settings, layout)  # selection and per-path-ignores
    found = schema_command.findings(settings, base, head.seen_by(base), mode, engine.enabled_codes)
    _emit(render(args.format, found, settings.root, checked=head.shared), None)
    return EXIT_VIOLATIONS if found and not args.exit_zero else EXIT_OK


# --- adoption: the baseline, --add-noqa, diffs that apply where they were made -------------


def _adoption_options(check: argparse.ArgumentParser) -> None:
    check.add_argument(
        "--baseline",
        type=Path,
        metavar="FILE",
        help="hide the violations this baseline lists (default: the `baseline` file, if any)",
    )
    check.add_argument(
        "--add-noqa",
        action="store_true",
        help="write `# noqa: CODE` on every violation's line (`--add-noqa=REASON` adds "
        "` -- REASON`)",
    )
    check.add_argument("--add-noqa-reason", help=argparse.SUPPRESS)


def _baseline_options(sub: Any) -> None:
    baseline = sub.add_parser(
        "baseline", help="record today's violations so that only new ones fail"
    )
    baseline.add_argument(
        "-o",
        "--output",
        type=Path,
        metavar="FILE",
        help="where to write it (default: the `baseline` file, arch-lint-baseline.json; "
        "`-` for stdout)",
    )
    baseline.add_argument("--config", type=Path, help="a TOML file with a [tool.arch_lint] table")
    baseline.add_argument(
        "--no-cache", action="store_true", help="neither read nor write the cache"
    )
    baseline.add_argument(
        "--jobs", "-j", type=int, default=0, help="processes for parsing (0: automatic)"
    )


def _split_add_noqa(argv: Sequence[str]) -> list[str]:
    """`--add-noqa=REASON` -> `--add-noqa --add-noqa-reason REASON`: the reason is
    given only with `=`, so `--add-noqa services/` never takes a path for one."""
    out: list[str] = []
    for i, arg in enumerate(argv):
        if arg == "--":
            return [*out, *argv[i:]]
        if arg.startswith("--add-noqa="):
            reason = arg.partition("=")[2].strip()
            out.append("--add-noqa")
            if reason:
                out += ["--add-noqa-reason", reason]
        else:
            out.append(arg)
    return out


def _diffs_from_here(paths: Sequence[str], diffs: Sequence[str], root: Path) -> str:
    """The fix diffs with paths relative to the current directory, so that
    `git apply` (or `patch -p1`) applies them where the command ran."""
    out = []
    for path, diff in zip(paths, diffs, strict=True):
        shown = display_path(path, root)
        head, sep, rest = diff.partition("\n")
        if head == f"--- a/{path}":
            head = f"--- a/{shown}"
            second, sep2, rest = rest.partition("\n")
            if second == f"+++ b/{path}":
                second = f"+++ b/{shown}"
            rest = second + sep2 + rest
        out.append(head + sep + rest)
    return "".join(out)


def _baseline_path(args: argparse.Namespace, settings: Settings) -> Path | None:
    """The baseline `check` honours: `--baseline FILE` (it must exist), or the
    configured file when it exists."""
    if args.baseline is not None:
        return Path(args.baseline)
    configured = settings.root / settings.model.baseline
    return configured if configured.is_file() else None


def _without_baselined(
    args: argparse.Namespace,
    settings: Settings,
    layout: Layout,
    targets: list[Path],
    result: RunResult,
) -> tuple[list[Finding], list[str] | None]:
    """The findings the baseline does not hide, and their fingerprints (computed
    only when the baseline or the format needs them)."""
    findings = list(result.findings)
    path = _baseline_path(args, settings)
    needed = path is not None or (args.format in NEEDS_FINGERPRINTS and not args.statistics)
    if not needed or (not findings and path is None):
        return findings, None
    from arch_lint.engine.fingerprint import cached_fingerprints

    prints = cached_fingerprints(findings, settings.root, result.cache, result.digests)
    if path is None:
        return findings, prints
    recorded = baseline_file.load(path)
    engine = _engine(settings, layout)
    checked = set(result.checked)
    whole = any(t.resolve() == settings.root for t in targets)

    def judged(entry_path: str, code: str) -> bool:
        seen = entry_path in checked or (whole and not entry_path.endswith(".py"))
        return seen and code in engine.enabled_codes(entry_path)

    kept, stale = baseline_file.filter(findings, prints, recorded, judged)
    if stale:
        print(f"arch-lint: {baseline_file.stale_message(stale)}", file=sys.stderr)
    fingerprint_of = {id(f): fp for f, fp in zip(findings, prints, strict=True)}
    return kept, [fingerprint_of[id(f)] for f in kept]


def _add_noqa(settings: Settings, findings: list[Finding], reason: str | None) -> int:
    """`check --add-noqa[=REASON]`: a `# noqa` for every finding left."""
    from arch_lint.report.add_noqa import add_noqa

    if reason is not None and ("\n" in reason or "\r" in reason):
        raise UsageError("--add-noqa=REASON: the reason must be one line")
    report = add_noqa(settings.root, findings, reason)
    for path, why in report.skipped:
        print(f"arch-lint: {display_path(path, settings.root)}: {why}", file=sys.stderr)
    n, files = report.added, len(report.files)
    print(
        f"Added {n} noqa code{'s' if n != 1 else ''} in {files} file{'s' if files != 1 else ''}.",
        file=sys.stderr,
    )
    return EXIT_OK


def _baseline(args: argparse.Namespace) -> int:
    """`arch-lint baseline [-o FILE]`: record the whole project's violations."""
    settings, _ = _project_settings(args.config, Path("."), not args.no_cache)
    layout = scan_layout(settings, use_cache=not args.no_cache)
    if layout.problems:
        _print_problems(settings, layout.problems)
        return EXIT_ERROR
    result = run(
        settings,
        [settings.root],
        jobs=args.jobs,
        use_cache=not args.no_cache,
        layout=layout,
        fingerprints=True,
    )
    _print_notices(result.notices)
    from arch_lint.engine.fingerprint import cached_fingerprints

    prints = cached_fingerprints(result.findings, settings.root, result.cache, result.digests)
    text = baseline_file.dump(result.findings, prints)
    n = len(result.findings)
    if args.output is not None and str(args.output) == "-":
        sys.stdout.write(text)
        return EXIT_OK
    if args.output is None:
        target = settings.root / settings.model.baseline
        _check_inside(target, settings.root, "tool.arch_lint.baseline")
    else:
        target = args.output
    _check_write_target(target, settings.root, "the baseline")
    try:
        _write_text_atomically(target, text)
    except OSError as exc:
        raise UsageError(f"{target}: cannot write the baseline ({exc.strerror})") from None
    print(
        f"Recorded {n} violation{'s' if n != 1 else ''} in "
        f"{display_path(str(target.resolve()), settings.root)}.",
        file=sys.stderr,
    )
    return EXIT_OK


def _write_text_atomically(target: Path, text: str) -> None:
    import tempfile

    folder = target.resolve().parent
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
        os.chmod(tmp, 0o644)
        os.replace(tmp, target.resolve() if target.is_symlink() else target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
