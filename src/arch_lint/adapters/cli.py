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

from arch_lint import __version__
from arch_lint.config import ConfigError, Settings, load_settings
from arch_lint.config.load import key_line
from arch_lint.config.model import check_code
from arch_lint.engine.run import Engine, run
from arch_lint.index.layout import Layout, Problem
from arch_lint.index.project import ProjectIndex
from arch_lint.report import FORMATS, render
from arch_lint.rules import BY_CODE, BY_NAME, RULES
from arch_lint.rules.configuration_matches_nothing import ConfigurationMatchesNothing
from arch_lint.schema import command as schema_command
from arch_lint.schema.command import SchemaCommandError

EXIT_OK, EXIT_VIOLATIONS, EXIT_ERROR = 0, 1, 2


class UsageError(Exception):
    pass


def _codes(value: str) -> list[str]:
    codes = [c.strip().upper() for c in value.split(",") if c.strip()]
    for code in codes:
        try:
            check_code(code)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None
    return codes


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
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
    rules.add_argument("--format", choices=FORMATS, default="text")

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
    schema_diff.add_argument("--format", choices=("text", "json"), default="text")
    schema_diff.add_argument(
        "--config", type=Path, help="a TOML file with a [tool.arch_lint] table"
    )
    schema_diff.add_argument("--select", type=_codes, help="codes or prefixes to enable")
    schema_diff.add_argument("--ignore", type=_codes, help="codes or prefixes to disable")
    schema_diff.add_argument(
        "--no-cache", action="store_true", help="neither read nor write the cache"
    )
    schema_diff.add_argument("--exit-zero", action="store_true", help="exit 0 even with findings")
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


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
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
        parser.print_help()
        return EXIT_ERROR
    except ConfigError as exc:
        for line in exc.lines():
            print(f"arch-lint: {line}" if exc.path is None else line, file=sys.stderr)
        return EXIT_ERROR
    except (UsageError, SchemaCommandError) as exc:
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


# --- check ---------------------------------------------------------------------------


def _settings(args: argparse.Namespace) -> Settings:
    targets: list[Path] = args.paths or [Path(".")]
    for target in targets:
        if not target.exists():
            raise UsageError(f"{target}: no such file or directory")
    settings = load_settings(args.config, targets[0])
    return settings.with_selection(args.select, args.extend_select, args.ignore)


def _config_shown(settings: Settings) -> str:
    if settings.config_path is None:
        return "(no configuration file: defaults)"
    try:
        return settings.config_path.relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return str(settings.config_path)


def _check(args: argparse.Namespace) -> int:
    settings = _settings(args)
    layout = Layout.scan(settings)
    if args.show_settings:
        print(_describe(settings, layout))
        return EXIT_ERROR if layout.problems else EXIT_OK
    if layout.problems:
        _print_problems(settings, layout.problems)
        return EXIT_ERROR
    targets = [Path(p) for p in (args.paths or ["."])]
    cache = not args.no_cache
    if args.output_file is not None:
        _check_write_target(args.output_file, settings.root, "the report")
    result = run(settings, targets, jobs=args.jobs, use_cache=cache, layout=layout)
    _print_notices(result.notices)
    if args.fix or args.diff:
        from arch_lint.engine.fix import apply_fixes, fixable  # libcst: only when fixing

        checked = {path: src.digest for path, src in result.built.sources.items()}
        report = apply_fixes(
            settings.root,
            result.findings,
            unsafe=args.unsafe_fixes,
            diff=args.diff,
            checked=checked,
        )
        for path, why in report.failed:
            print(f"arch-lint: {path}: not fixed: {why}", file=sys.stderr)
        if args.diff:
            _emit("".join(report.diffs), args.output_file)
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
    output = render(
        args.format,
        result.findings,
        settings.root,
        statistics=args.statistics,
        checked=len(result.checked),
    )
    _emit(output, args.output_file)
    if result.findings and not args.exit_zero:
        return EXIT_VIOLATIONS
    return EXIT_OK


def _print_problems(settings: Settings, problems: Sequence[Problem]) -> None:
    """ARC000: configuration keys that match nothing, at their line in the config."""
    for problem in problems:
        text = settings.config_text
        line = key_line(text, _key_path(problem.key)) if text else 1
        where = f"{_config_shown(settings)}:{line}:1:" if text else "arch-lint:"
        print(
            f"{where} {ConfigurationMatchesNothing.code} "
            + ConfigurationMatchesNothing.message.format(key=problem.key, problem=problem.message),
            file=sys.stderr,
        )


def _print_notices(notices: Sequence[str]) -> None:
    for notice in notices:
        print(f"arch-lint: {notice}", file=sys.stderr)


def _check_write_target(path: Path, root: Path, what: str) -> None:
    """Refuse to write `what` through a symbolic link that leaves the project:
    the checked tree may hold such a link where a report is expected."""
    if not path.is_symlink():
        return
    try:
        path.resolve().relative_to(root.resolve())
    except ValueError:
        raise UsageError(
            f"{path}: a symbolic link to {path.resolve()}, outside the project; "
            f"not writing {what} through it"
        ) from None


def _check_inside(path: Path, root: Path, key: str) -> None:
    """A path the configuration names for writing stays in the project (the
    configuration belongs to the checked tree, which may not be trusted)."""
    try:
        path.resolve().relative_to(root.resolve())
    except ValueError:
        raise UsageError(
            f"`{key}` = `{path}` leaves the project; arch-lint writes only inside it"
        ) from None


def _emit(text: str, output_file: Path | None) -> None:
    if output_file is None:
        sys.stdout.write(text)
        return
    try:
        output_file.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"{output_file}: cannot write the report: {exc.strerror}") from None


def _key_path(key: str) -> tuple[str | int, ...]:
    name, _, rest = key.partition("[")
    return (name, int(rest.rstrip("]"))) if rest else (name,)


def _describe(settings: Settings, layout: Layout) -> str:
    """What arch-lint thinks the architecture is."""
    from arch_lint.index.build import build

    index: ProjectIndex = build(settings, use_cache=True, layout=layout).index
    cfg = settings.model
    out = [
        f"project root:  {settings.root}",
        f"configuration: {_config_shown(settings)}",
        f"source roots:  {', '.join(r or '.' for r in layout.source_roots)}",
        f"python files:  {len(layout.files)}",
        "",
        f"services ({len(layout.services)}):",
    ]
    for service in layout.services.values():
        files = [f for f in layout.files if layout.service_of(f) == service]
        out.append(f"  {service.name}  ({service.path}/, {len(files)} files)")
        data = [(f, index.data_layer_reason(f)) for f in files]
        data_files = [(f, r) for f, r in data if r is not None]
        out.append(f"    data layer ({len(data_files)}):")
        out += [f"      {f}  [{r}]" for f, r in data_files]
        public = [f for f in files if layout.is_public(f)]
        if cfg.public:
            out.append(f"    public ({len(public)}):")
            out += [f"      {f}" for f in public]
    out.append("")
    out.append(f"shared models ({len(layout.shared_dirs)}):")
    for folder in layout.shared_dirs:
        count = sum(1 for f in layout.files if layout.in_shared_dir(f, folder))
        out.append(f"  {folder}  ({count} files)")
    if layout.problems:
        out.append("")
        out.append("problems (ARC000):")
        out += [f"  tool.arch_lint.{p.key}: {p.message}" for p in layout.problems]
    enabled = [r.code for r in RULES if settings.selection.enabled(r.code, r.default_on)]
    out += ["", f"enabled rules: {', '.join(enabled)}"]
    return "\n".join(out)


# --- explain / rules -------------------------------------------------------------------


def _explain(name: str) -> int:
    rule = BY_CODE.get(name.upper()) or BY_NAME.get(name)
    if rule is None:
        raise UsageError(f"unknown rule `{name}`; `arch-lint rules` lists them")
    state = "on" if rule.default_on else "off"
    print(f"{rule.code} {rule.name} (default: {state})\n")
    print(rule.documentation())
    return EXIT_OK


def _rules(fmt: str) -> int:
    if fmt == "json":
        import json

        rows = [
            {
                "code": r.code,
                "name": r.name,
                "default": r.default_on,
                "fixable": "Fix safety" in r.documentation(),
                "summary": r.summary(),
            }
            for r in RULES
        ]
        print(json.dumps(rows, indent=2))
        return EXIT_OK
    for r in RULES:
        state = "on " if r.default_on else "off"
        fix = "fix" if r.fix_title and "Fix safety" in r.documentation() else "   "
        print(f"{r.code}  {state}  {fix}  {r.name:<34} {r.summary()}")
    return EXIT_OK


# --- schema ------------------------------------------------------------------------------


def _schema(args: argparse.Namespace) -> int:
    settings = load_settings(args.config, Path("."))
    if args.command == "schema-diff":
        settings = settings.with_selection(args.select, None, args.ignore)
    layout = Layout.scan(settings)
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
    mode = args.compatibility or settings.model.schema_.compatibility
    engine = Engine(settings, ProjectIndex(layout, {}))  # selection and per-path-ignores
    found = schema_command.findings(settings, base, head.schema, mode, engine.enabled_codes)
    _emit(render(args.format, found, settings.root, checked=len(head.shared)), None)
    return EXIT_VIOLATIONS if found and not args.exit_zero else EXIT_OK
