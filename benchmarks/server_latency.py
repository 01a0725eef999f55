"""Time `arch-lint server`'s diagnostics for a changed file, with a warm index.

On the benchmark corpus (`generate_monorepo.py`, about 2,000 files) the server's
session is set up as the editor leaves it: the project index built (from the
cache, as a server that has been running a while has it) and one service module
of about 300 lines open. Then the buffer is edited `--edits` times, and each
time the server-side work of the debounced check is timed: everything the
server does between taking the changed text and handing the diagnostics to
the protocol (the buffer's facts, the index when a fact changed, the rules,
`# noqa`, the conversion to LSP diagnostics). Wall time and the thread's CPU
time are printed, median and 90th percentile.

The edits take turns among three kinds an editor sends:
- **body**: a statement inside a function changed (no fact of the file changes:
  the index is kept);
- **import**: an import added or removed at the top, and
- **line**: a line added or removed inside a function (what follows moves):
  the file's facts change, so a new project index is made over the facts, its
  whole-project parts computed again as the rules ask them.

With `--lsp`, the same edits also go through a real server process (`arch-lint
server`, debounce 0) as `textDocument/didChange` notifications, and the time
from sending each one to receiving its diagnostics is printed: the round trip
an editor sees, JSON-RPC and the client's own event loop included.

Usage::

    python benchmarks/server_latency.py [--corpus DIR] [--edits 60] [--lines 300] [--lsp]

Target (issue 15): diagnostics for a changed 300-line file in <= 50 ms of server time.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import generate_monorepo

TARGET_MS = 50.0
KINDS = ("body", "import", "line")
"""A statement of a function body changed (no fact changes: the index is kept);
an import added or removed at the top, or a line added or removed in a function
body (the facts change, the imports or the lines of what follows: a new index)."""


def pick_file(root: Path, lines: int) -> Path:
    """A checked service module whose length is closest to `lines`."""
    best: tuple[int, str] | None = None
    for path in sorted(root.glob("services/*/*/*.py")):
        if path.name == "__init__.py" or "tests" in path.parts:
            continue
        n = len(path.read_text(encoding="utf-8").splitlines())
        text = path.read_text(encoding="utf-8")
        if "def " not in text:
            continue
        key = (abs(n - lines), str(path))
        if best is None or key < best:
            best = key
    assert best is not None, "no service module in the corpus"
    return Path(best[1])


def edits(text: str, count: int) -> list[tuple[str, str]]:
    """(kind, text) of `count` successive buffers, each one edit away from the
    one before, the kinds of `KINDS` in turn."""
    lines = text.splitlines(keepends=True)
    body_at = next(
        i + 1
        for i, line in enumerate(lines)
        if line.lstrip().startswith(("def ", "async def ")) and line.rstrip().endswith(":")
    )
    while body_at < len(lines) and (
        lines[body_at].lstrip().startswith(('"' * 3, "'" * 3)) or not lines[body_at].strip()
    ):
        body_at += 1  # past the docstring's first line: a statement of the body
    indent = lines[body_at][: len(lines[body_at]) - len(lines[body_at].lstrip())] or "    "
    out = []
    imported = shifted = False
    for i in range(count):
        kind = KINDS[i % len(KINDS)]
        if kind == "import":
            imported = not imported
        elif kind == "line":
            shifted = not shifted
        head = ["import json as _json_edit\n"] if imported else []
        extra = [f"{indent}_more = 0\n"] if shifted else []
        body = [*lines[:body_at], f"{indent}_edit = {i}\n", *extra, *lines[body_at:]]
        out.append((kind, "".join(head + body)))
    return out


async def lsp_round_trips(path: Path, text: str, count: int) -> dict[str, list[float]]:
    """Milliseconds from each `didChange` to its diagnostics, through a real server."""
    from lsprotocol import types
    from pygls.lsp.client import LanguageClient

    client = LanguageClient("server-latency", "1")
    arrived: asyncio.Queue[types.PublishDiagnosticsParams] = asyncio.Queue()

    @client.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    def published(params: types.PublishDiagnosticsParams) -> None:
        arrived.put_nowait(params)

    uri = path.as_uri()

    async def diagnostics_of(version: int) -> None:
        while True:
            params = await asyncio.wait_for(arrived.get(), 600)
            if params.uri == uri and params.version == version:
                return

    await client.start_io(sys.executable, "-m", "arch_lint", "server")
    await client.initialize_async(
        types.InitializeParams(
            capabilities=types.ClientCapabilities(), initialization_options={"debounce": 0}
        )
    )
    client.initialized(types.InitializedParams())
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(
                uri=uri, language_id="python", version=1, text=text
            )
        )
    )
    await diagnostics_of(1)
    out: dict[str, list[float]] = {kind: [] for kind in KINDS}
    for version, (kind, new_text) in enumerate(edits(text, count), start=2):
        start = time.perf_counter()
        client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
                content_changes=[types.TextDocumentContentChangeWholeDocument(text=new_text)],
            )
        )
        await diagnostics_of(version)
        out[kind].append((time.perf_counter() - start) * 1000)
    await client.shutdown_async(None)
    client.exit(None)
    await client.stop()
    return out


def summary(label: str, walls: Sequence[float], cpus: Sequence[float]) -> str:
    def p90(values: Sequence[float]) -> float:
        return statistics.quantiles(values, n=10)[-1] if len(values) >= 2 else values[0]

    return (
        f"{label:<8} n={len(walls):<3} wall median {statistics.median(walls):6.1f} ms, "
        f"p90 {p90(walls):6.1f} ms | CPU median {statistics.median(cpus):6.1f} ms, "
        f"p90 {p90(cpus):6.1f} ms"
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--corpus", type=Path, help="an existing corpus (default: generate one)")
    parser.add_argument("--edits", type=int, default=60, help="edits to time (default 60)")
    parser.add_argument("--lines", type=int, default=300, help="size of the file (default 300)")
    parser.add_argument(
        "--lsp", action="store_true", help="also time the round trip through a server process"
    )
    parser.add_argument(
        "--file", help="the file to edit, relative to the corpus (default: one of --lines)"
    )
    args = parser.parse_args(argv)
    if args.edits < 20:
        parser.error("--edits must be at least 20")

    from arch_lint.adapters.server import ClientCaps, Session

    with tempfile.TemporaryDirectory(prefix="arch-lint-server-") as tmp:
        root = args.corpus
        if root is None:
            root = Path(tmp) / "corpus"
            generate_monorepo.main([str(root)])
        root = root.resolve()
        path = root / args.file if args.file else pick_file(root, args.lines)
        text = path.read_text(encoding="utf-8")
        uri = path.as_uri()
        print(f"corpus: {root} ({sum(1 for _ in root.rglob('*.py'))} .py files)")
        print(f"file:   {path.relative_to(root)} ({len(text.splitlines())} lines)")

        session = Session(ClientCaps(code_description=True))
        start = time.perf_counter()
        # as the server runs it: the project built (or loaded), the file checked
        opened = session.run(lambda s: s.open(uri, text, 1))
        print(f"open (index built or loaded, first check): {time.perf_counter() - start:.2f} s")
        assert opened.publish, "the file got no diagnostics"
        session.run(lambda s: s.change(uri, text + "\n", 2))  # the rules loaded, parts computed
        session.run(lambda s: s.change(uri, text, 3))

        times: dict[str, tuple[list[float], list[float]]] = {k: ([], []) for k in KINDS}
        counts: list[int] = []
        for version, (kind, new_text) in enumerate(edits(text, args.edits), start=4):
            wall0, cpu0 = time.perf_counter(), time.thread_time()
            out = session.run(lambda s, t=new_text, v=version: s.change(uri, t, v))
            cpu, wall = time.thread_time() - cpu0, time.perf_counter() - wall0
            ((_, _, diagnostics),) = [p for p in out.publish if p[0] == uri]
            counts.append(len(diagnostics))
            times[kind][0].append(wall * 1000)
            times[kind][1].append(cpu * 1000)
        session.store()

        if args.lsp:
            round_trips = asyncio.run(lsp_round_trips(path, text, args.edits))

    walls = [w for kind in times.values() for w in kind[0]]
    cpus = [c for kind in times.values() for c in kind[1]]
    print(f"diagnostics per check: {min(counts)}..{max(counts)}")
    for kind, (w, c) in times.items():
        print(summary(kind, w, c))
    print(summary("all", walls, cpus))
    if args.lsp:
        for kind in KINDS:
            trips = round_trips[kind]
            print(summary(f"lsp {kind}", trips, trips).split(" | ")[0] + " (round trip)")
    wall, cpu = statistics.median(walls), statistics.median(cpus)
    verdict = "met" if wall <= TARGET_MS else "NOT met"
    print(
        f"target: median <= {TARGET_MS:.0f} ms of server time per changed file: {verdict} "
        f"(wall {wall:.1f} ms, CPU {cpu:.1f} ms; on a busy machine wall time waits for "
        "the CPU, CPU time does not)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
