"""`arch-lint graph [PATH] [--format mermaid|dot|json] [--violations-only]`.

The whole project's graph (`report/graph.py`): PATH only says where the
configuration is searched from, as for `check`. Exit status 0 whatever the
violations (the picture shows them; `check` fails on them), 2 for a usage or
configuration error.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any


def add_parser(sub: Any) -> None:
    from arch_lint.adapters.cli import _codes

    graph = sub.add_parser(
        "graph",
        help="services, shared packages, the imports, HTTP calls and events between them, "
        "and the violations on each (Mermaid, Graphviz dot or JSON)",
    )
    graph.add_argument(
        "path",
        nargs="?",
        type=Path,
        default=None,
        metavar="PATH",
        help="where the configuration is searched from (default: the current directory); "
        "the graph is always the whole project's",
    )
    graph.add_argument("--format", choices=("mermaid", "dot", "json"), default="mermaid")
    graph.add_argument(
        "--violations-only",
        action="store_true",
        help="only the edges that carry violations, and the nodes they join",
    )
    graph.add_argument("--select", type=_codes, help="codes or prefixes to enable (replaces)")
    graph.add_argument("--extend-select", type=_codes, help="codes or prefixes to add")
    graph.add_argument("--ignore", type=_codes, help="codes or prefixes to disable")
    graph.add_argument("--config", type=Path, help="a TOML file with a [tool.arch_lint] table")
    graph.add_argument("--no-cache", action="store_true", help="neither read nor write the cache")
    graph.add_argument(
        "--jobs", "-j", type=int, default=0, help="processes for parsing (0: automatic)"
    )
    graph.add_argument("--output-file", type=Path, help="write the graph to this file")


def graph_main(args: argparse.Namespace) -> int:
    from arch_lint.adapters import cli
    from arch_lint.engine.run import run
    from arch_lint.index.cache import scan_layout
    from arch_lint.report.graph import build_graph
    from arch_lint.report.graph_formats import render_graph

    start: Path = args.path if args.path is not None else Path(".")
    if not start.exists():
        raise cli.UsageError(f"{start}: no such file or directory")
    use_cache = not args.no_cache
    settings, _ = cli._project_settings(args.config, start, use_cache)
    settings = settings.with_selection(args.select, args.extend_select, args.ignore)
    layout = scan_layout(settings, use_cache=use_cache)
    if layout.problems:
        cli._print_problems(settings, layout.problems)
        return cli.EXIT_ERROR
    if args.output_file is not None:
        cli._check_write_target(args.output_file, settings.root, "the graph")
    result = run(settings, [settings.root], jobs=args.jobs, use_cache=use_cache, layout=layout)
    cli._print_notices(result.notices)
    graph = build_graph(result.built.index, result.findings)
    if args.violations_only:
        graph = graph.violations_only()
    cli._emit(render_graph(graph, args.format), args.output_file)
    return cli.EXIT_OK
