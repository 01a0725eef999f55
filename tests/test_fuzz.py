"""Fuzz `check` and `fix` through the command line on generated modules.

Each example is a mini monorepo (`services/orders/`) whose `fuzzed.py` is a
hypothesmith module with snippets that arch-lint fixes inserted at top-level
statement boundaries: log calls without the correlation id (ARC301, safe),
metadata overwrites and in-place JSON column changes on an ORM class (ARC406,
ARC407, unsafe), and lines that libcst does not reproduce byte for byte (a line
holding only a backslash, form feeds, tabs, `\\r` and `\\r\\n` line endings,
comment lines after a dedent at the end of the file). Then, through
`arch_lint.adapters.cli.main`:

* `check` and `fix --unsafe-fixes` never raise and never exit with 2;
* the fixed file parses, and a second `fix` changes nothing;
* every line outside the statements of the fixed findings keeps its bytes, and
  no comment line is lost.

A second property runs `check` alone on hypothesmith modules (some cut short, so
that they do not parse): the exit status is 0 or 1, and a file that does not
parse is an ARC001 finding.

Environment:

* `ARCH_LINT_FUZZ_EXAMPLES=N`: examples per property (default 200 and 100);
* `ARCH_LINT_FUZZ_RECORD=FILE`: do not fail, append one JSON line per fix
  example (`kinds`: the failures found, `source`, `detail`) to FILE, to count
  failures by kind over a long run (the `check` property writes FILE.check);
* `ARCH_LINT_FUZZ_KINDS=a,b`: fail only on these kinds, to let hypothesis
  shrink a minimal example of one kind: `crash` (an exception, or exit status
  2), `unparsable` (the fixed file does not parse), `wrong-place` (a fix's
  edit landed outside the statement its finding names), `outside-span` (other
  bytes outside the fixed statements changed), `comment-lost`,
  `not-idempotent` (a second fix changed the file).
"""

from __future__ import annotations

import ast
import contextlib
import difflib
import io
import json
import os
import re
import shutil
import tempfile
import traceback
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import hypothesmith
import pytest
from hypothesis import HealthCheck, Phase, given, note, settings
from hypothesis import strategies as st

from arch_lint.adapters.cli import main
from arch_lint.config import load_settings
from arch_lint.engine.run import run
from arch_lint.findings import Finding

_ENV_EXAMPLES = int(os.environ.get("ARCH_LINT_FUZZ_EXAMPLES", "0") or 0)
FIX_EXAMPLES = _ENV_EXAMPLES or 200
CHECK_EXAMPLES = _ENV_EXAMPLES or 100
RECORD = os.environ.get("ARCH_LINT_FUZZ_RECORD")
KINDS = frozenset(k for k in os.environ.get("ARCH_LINT_FUZZ_KINDS", "").split(",") if k)

FUZZED = "services/orders/fuzzed.py"
PYPROJECT = '[tool.arch_lint]\nservices = ["services/*"]\nshared-models = []\n'
MODELS_DB = """\
from typing import Any, Optional

from sqlalchemy import JSON
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class Order(Base):
    __tablename__ = "orders"
    id: Mapped[int] = mapped_column(primary_key=True)
    processing_metadata: Mapped[Optional[dict[str, Any]]] = mapped_column(JSON)
    audit_metadata = mapped_column(JSON, nullable=True)
    details: Mapped[dict[str, Any]] = mapped_column(JSON)
"""
FILES = {
    "pyproject.toml": PYPROJECT,
    "services/__init__.py": "",
    "services/orders/__init__.py": "",
    "services/orders/models_db.py": MODELS_DB,
}

PREAMBLE = (
    "import logging\n"
    "import structlog\n"
    "from services.orders.models_db import Order\n"
    "\n"
    "logger = logging.getLogger(__name__)\n"
    "slog = structlog.get_logger()\n"
    "metrics = object()\n"
)

# `{n}`: a number, `{i}`: one level of indentation. Each one is a top-level block.
SNIPPETS = (
    # ARC301, safe: `extra={...}` added, or a `correlation_id=` keyword (structlog)
    'def handle_{n}(event, correlation_id):\n{i}logger.info("x")\n',
    'def handle_{n}(event, correlation_id):\n{i}metrics.inc("abc")\n{i}logger.info("x")\n'
    '{i}metrics.inc("abc")\n',
    "def handle_{n}(event, correlation_id):\n{i}# TODO(ops-142): keep this comment\n"
    '{i}logger.warning(\n{i}{i}"slow %s",\n{i}{i}event,\n{i})\n',
    'def handle_{n}(event, correlation_id):\n{i}logger.info("e", extra={{"k": 1}})\n'
    '{i}logger.error(\n{i}{i}"e",\n{i}{i}extra={{\n{i}{i}{i}"k": 1,  # kept\n{i}{i}}},\n{i})\n',
    'async def handle_{n}(event, correlation_id):\n{i}slog.info("x", a=1)\n'
    '{i}slog.info(\n{i}{i}"y",\n{i}{i}a=1,\n{i})\n',
    "def handle_{n}(event, correlation_id):\n{i}if event:\n"
    '{i}{i}logger.info("x"); metrics.inc("abc")\n',
    'class Handler{n}:\n{i}def on(self, correlation_id):\n{i}{i}logger.debug("x")  # why\n',
    "def handle_{n}(event, correlation_id):\n{i}x = 1\n\\\n"
    '{i}logger.info("after a backslash line")\n'
    '{i}metrics.inc("abc")\n',
    'def handle_{n}(event, correlation_id):\n\x0c{i}logger.info("after a form feed")\n',
    # ARC406 / ARC407, unsafe: `obj.x = {**(obj.x or {}), ...}`
    "def touch_{n}(order: Order, batch):\n"
    '{i}order.processing_metadata = {{"export_batch": batch}}\n',
    'def touch_{n}(order: Order, batch):\n{i}order.details["k"] = batch\n'
    '{i}order.details.update({{"a": 1}}, b=2)\n',
    "async def touch_{n}(order: Order, batch, correlation_id):\n"
    '{i}order.processing_metadata = {{\n{i}{i}"export_batch": batch,\n{i}}}\n'
    '{i}order.details.update({{"a": 1}})\n{i}logger.info("e", extra={{}})\n',
    "def touch_{n}(order: Order, batch):\n{i}order.audit_metadata = dict(by=batch)\n"
    "{i}# a comment between statements\n{i}order.details['n'] = 1\n",
)
# Lines before a snippet that libcst may not reproduce.
PREFIXES = ("", "", "", "\\\n", "\x0c\n", "\x0c", "# TODO(ops-142): keep\n", "\n\n")
# Blocks for the very end of the file: comment lines after a dedent.
ENDINGS = (
    "",
    "",
    'def tail(correlation_id):\n{i}if correlation_id:\n{i}{i}logger.info("t")\n'
    "{i}# an indented comment after the block\n# TODO(ops-142): keep\n",
    'def tail(correlation_id):\n{i}logger.info("t")\n{i}{i}# deeper\n# last',
    'class Tail:\n{i}def f(self, correlation_id):\n{i}{i}logger.info("t")\n{i}# c\n\n# d\n',
    'def tail(correlation_id):\n{i}logger.info("t")\n\x0c\n# after a form feed\n',
)
NEWLINES = ("\n", "\n", "\r\n", "\r")
INDENTS = ("    ", "    ", "\t", "  ")

KIND_NAMES = (
    "crash",
    "unparsable",
    "wrong-place",
    "outside-span",
    "comment-lost",
    "not-idempotent",
)
# Text only a fix adds: seen outside the fixed spans, a fix landed on another statement.
FIX_MARKS = (b"correlation_id", b"or {})")
_LINE = re.compile(rb"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z")


def split_lines(source: bytes) -> list[bytes]:
    """Physical lines with their endings, as Python's tokenizer counts them."""
    return _LINE.findall(source)


def compiles(source: bytes) -> bool:
    try:
        compile(source, "<fuzz>", "exec", dont_inherit=True)
    except (SyntaxError, ValueError, MemoryError, RecursionError, OverflowError):
        return False
    return True


def _newlines(text: str, newline: str) -> str:
    return text.replace("\n", newline) if newline != "\n" else text


def boundaries(source: bytes) -> list[int]:
    """0-based indexes of lines before which a top-level block may be inserted."""
    lines = split_lines(source)
    found = []
    end = 0
    for stmt in ast.parse(source).body:
        decorators = getattr(stmt, "decorator_list", [])
        start = min([stmt.lineno, *(d.lineno for d in decorators)])
        if stmt.col_offset == 0 and start > end:
            found.append(start - 1)
        end = stmt.end_lineno or stmt.lineno
    found.append(len(lines))
    return found


# Built once: `from_grammar()` compiles a grammar each time it is called.
PROGRAMS = st.one_of(hypothesmith.from_grammar(), hypothesmith.from_node())


@dataclass
class Case:
    source: bytes
    how: str


@st.composite
def fixable_modules(draw: st.DrawFn) -> Case:
    base_text = draw(PROGRAMS)
    try:
        base = base_text.encode("utf-8")
    except UnicodeEncodeError:
        base = b""
    if not compiles(base):
        base = b""
    if base and not base.endswith((b"\n", b"\r")):
        base += b"\n"
    indent = draw(st.sampled_from(INDENTS))
    blocks = [_newlines(PREAMBLE, draw(st.sampled_from(NEWLINES)))]
    for n in range(draw(st.integers(1, 5))):
        text = draw(st.sampled_from(PREFIXES)) + draw(st.sampled_from(SNIPPETS))
        blocks.append(_newlines(text.format(n=n, i=indent), draw(st.sampled_from(NEWLINES))))
    ending = draw(st.sampled_from(ENDINGS)).format(i=indent)
    ending = _newlines(ending, draw(st.sampled_from(NEWLINES)))
    # where each block goes: sorted, so that the preamble comes first
    spots = boundaries(base) if base else [0]
    count = len(blocks)
    places = sorted(draw(st.lists(st.sampled_from(spots), min_size=count, max_size=count)))
    lines = split_lines(base)
    inserted: dict[int, list[bytes]] = {}
    for place, block in zip(places, blocks, strict=True):
        inserted.setdefault(place, []).append(block.encode())
    out = []
    for index in range(len(lines) + 1):
        out.extend(inserted.get(index, []))
        if index < len(lines):
            out.append(lines[index])
    candidates = [
        (b"".join(out), "inserted"),
        (base + b"".join(b.encode() for b in blocks), "appended"),
        (b"".join(b.encode() for b in blocks), "snippets only"),
    ]
    for source, how in candidates:
        whole = draw(st.sampled_from((None, None, None, "\r\n", "\r")))
        if whole is not None:
            converted = re.sub(rb"\r\n|\r|\n", whole.encode(), source)
            if compiles(converted + ending.encode()):
                source, how = converted, f"{how}, all {whole!r}"
        source += ending.encode()
        if compiles(source):
            return Case(source, how)
    raise AssertionError("the snippets alone must compile")  # pragma: no cover


# --- running arch-lint --------------------------------------------------------------------


@contextlib.contextmanager
def _inside(root: Path) -> Iterator[tuple[io.StringIO, io.StringIO]]:
    before = Path.cwd()
    out, err = io.StringIO(), io.StringIO()
    os.chdir(root)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            yield out, err
    finally:
        os.chdir(before)


def cli(root: Path, *args: str) -> tuple[int, str, str]:
    """`main(args)` in `root`: (exit status, stdout, stderr)."""
    with _inside(root) as (out, err):
        code = main(list(args))
    return code, out.getvalue(), err.getvalue()


@contextlib.contextmanager
def monorepo(source: bytes) -> Iterator[Path]:
    root = Path(tempfile.mkdtemp(prefix="arch-lint-fuzz-")).resolve()
    try:
        for rel, text in FILES.items():
            (root / rel).parent.mkdir(parents=True, exist_ok=True)
            (root / rel).write_text(text, encoding="utf-8")
        (root / FUZZED).write_bytes(source)
        yield root
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _snapshot(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*.py"))
        if ".arch_lint_cache" not in p.parts
    }


# --- judging a fix --------------------------------------------------------------------------


def _char_col(line: bytes, offset: int) -> int:
    return len(line[:offset].decode("utf-8", "replace"))


def fixed_spans(source: bytes, findings: list[Finding]) -> list[tuple[int, int]]:
    """1-based inclusive line spans of the statements (or calls) the fixes name.

    A fix names the node at (line, column); the span runs to the end of the
    widest statement or call that starts there, joined with the finding's own
    lines."""
    lines = split_lines(source)
    starts: dict[tuple[int, int], int] = {}
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, (ast.stmt, ast.expr)) and node.lineno <= len(lines):
            key = (node.lineno, _char_col(lines[node.lineno - 1], node.col_offset) + 1)
            end = node.end_lineno or node.lineno
            starts[key] = max(starts.get(key, 0), end)
    spans = []
    for finding in findings:
        assert finding.fix is not None
        fix = finding.fix
        end = starts.get((fix.line, fix.column), fix.line)
        spans.append((min(fix.line, finding.line), max(end, finding.end_line)))
    return spans


def _comments(lines: list[bytes]) -> Counter[bytes]:
    return Counter(s for s in (line.strip() for line in lines) if s.startswith(b"#"))


@dataclass
class Verdict:
    kinds: dict[str, str] = field(default_factory=dict)
    """kind -> detail of what went wrong."""
    fixes: int = 0
    notices: list[str] = field(default_factory=list)

    def add(self, kind: str, detail: str) -> None:
        self.kinds.setdefault(kind, detail)


def _marks(line: bytes) -> int:
    return sum(line.count(m) for m in FIX_MARKS)


def _landed(
    old: list[bytes],
    new: list[bytes],
    i1: int,
    i2: int,
    j1: int,
    j2: int,
    spans: list[tuple[int, int]],
) -> bool:
    """Whether a fix's text appears on a line that came from outside the spans:
    each new line with fix text is matched to the most similar old line near the
    block (difflib may pair a fixed line with a neighbour whose bytes changed)."""
    for line in new[j1:j2]:
        if not _marks(line):
            continue
        best, source = -1.0, None
        for n in range(max(i1 - 5, 0), min(i2 + 5, len(old))):
            blocks = difflib.SequenceMatcher(None, old[n], line, autojunk=False)
            matched = sum(b.size for b in blocks.get_matching_blocks())
            ratio = 2.0 * matched - len(old[n])  # the old line's bytes kept, less those lost
            if ratio > best:
                best, source = ratio, n
        if source is None:
            return True
        outside = not any(s <= source + 1 <= e for s, e in spans)
        if outside and _marks(line) > _marks(old[source]):
            return True
    return False


def judge_change(
    rel: str, before: bytes, after: bytes, spans: list[tuple[int, int]], verdict: Verdict
) -> None:
    if after == before:
        return
    try:
        ast.parse(after)
    except (SyntaxError, ValueError) as exc:
        verdict.add("unparsable", f"{rel}: {exc}")
    old, new = split_lines(before), split_lines(after)
    lost = _comments(old) - _comments(new)
    if lost:
        verdict.add("comment-lost", f"{rel}: {sorted(lost)!r}")
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        if tag == "insert":  # between old lines i1 and i1 + 1 (1-based)
            inside = any(start - 1 <= i1 <= end for start, end in spans)
        else:
            inside = all(any(s <= n <= e for s, e in spans) for n in range(i1 + 1, i2 + 1))
        if not inside:
            landed = _landed(old, new, i1, i2, j1, j2, spans)
            verdict.add(
                "wrong-place" if landed else "outside-span",
                f"{rel}: {tag} old lines {i1 + 1}-{i2} {old[i1:i2]!r} -> {new[j1:j2]!r}"
                f" (fixed spans {spans})",
            )


def examine(source: bytes) -> Verdict:
    """Run check, fix and fix again on a mini monorepo holding `source`."""
    verdict = Verdict()
    with monorepo(source) as root:
        original = _snapshot(root)
        try:
            with _inside(root):
                found = run(load_settings(None, root), [root], use_cache=False).findings
        except Exception as exc:
            verdict.add("crash", f"run(): {type(exc).__name__}: {exc}\n{traceback.format_exc()}")
            return verdict
        fixable = [f for f in found if f.fix is not None]
        verdict.fixes = len(fixable)
        args = ("fix", "--unsafe-fixes", "--no-cache", ".")
        try:
            code, _, err = cli(root, *args)
        except Exception as exc:
            verdict.add("crash", f"fix: {type(exc).__name__}: {exc}\n{traceback.format_exc()}")
            return verdict
        verdict.notices = [line for line in err.splitlines() if "not fixed" in line]
        if code not in (0, 1):
            verdict.add("crash", f"fix exited with {code}: {err.strip()[-500:]}")
            return verdict
        fixed = _snapshot(root)
        for rel, before in original.items():
            after = fixed.get(rel, b"")
            mine = [f for f in fixable if f.path == rel]
            try:
                spans = fixed_spans(before, mine) if mine else []
            except SyntaxError:
                spans = []
            judge_change(rel, before, after, spans, verdict)
        try:
            code, _, err = cli(root, *args)
        except Exception as exc:
            verdict.add("crash", f"second fix: {type(exc).__name__}: {exc}")
            return verdict
        if code not in (0, 1):
            verdict.add("crash", f"second fix exited with {code}: {err.strip()[-500:]}")
        again = _snapshot(root)
        changed = sorted(rel for rel in fixed if again.get(rel) != fixed[rel])
        if changed:
            rel = changed[0]
            diff = "".join(
                difflib.unified_diff(
                    fixed[rel].decode("utf-8", "replace").splitlines(True),
                    again.get(rel, b"").decode("utf-8", "replace").splitlines(True),
                )
            )
            verdict.add("not-idempotent", f"{rel}:\n{diff[-1500:]}")
    return verdict


def _record(case: Case, verdict: Verdict) -> None:
    assert RECORD is not None
    row = {
        "kinds": sorted(verdict.kinds),
        "detail": verdict.kinds,
        "fixes": verdict.fixes,
        "notices": verdict.notices,
        "how": case.how,
        "source": case.source.decode("utf-8", "surrogateescape"),
    }
    with open(RECORD, "a", encoding="utf-8") as handle:
        handle.write(json.dumps(row) + "\n")


_FIX_SETTINGS = settings(
    max_examples=FIX_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck)
)
if RECORD:  # count, do not shrink or replay
    _FIX_SETTINGS = settings(_FIX_SETTINGS, database=None, phases=[Phase.generate])


@_FIX_SETTINGS
@given(fixable_modules())
def test_fix_keeps_every_byte_it_does_not_fix(case: Case) -> None:
    assert not KINDS - set(KIND_NAMES), f"unknown ARCH_LINT_FUZZ_KINDS: {sorted(KINDS)}"
    verdict = examine(case.source)
    if RECORD:
        _record(case, verdict)
        return
    failures = {k: v for k, v in verdict.kinds.items() if not KINDS or k in KINDS}
    note(f"module ({case.how}, {verdict.fixes} fixable findings):\n{case.source!r}")
    assert not failures, "\n".join(f"{k}: {v}" for k, v in failures.items())


@st.composite
def checked_modules(draw: st.DrawFn) -> bytes:
    text = draw(PROGRAMS)
    source = text.encode("utf-8", "surrogatepass")
    if source and draw(st.booleans()):  # cut short: often a syntax error
        source = source[: draw(st.integers(0, len(source) - 1))]
    return source


_CHECK_SETTINGS = settings(
    max_examples=CHECK_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck)
)
if RECORD:
    _CHECK_SETTINGS = settings(_CHECK_SETTINGS, database=None, phases=[Phase.generate])


def check_problem(source: bytes) -> str | None:
    """What is wrong with `check` on a service module holding `source`, or None."""
    with monorepo(source) as root:
        try:
            code, out, err = cli(root, "check", "--format", "json", "--no-cache", ".")
        except Exception as exc:
            return f"check raised {type(exc).__name__}: {exc}"
    if code not in (0, 1):
        return f"check exited with {code}: {err.strip()[-500:]}"
    codes = {row["code"] for row in json.loads(out)}
    try:
        ast.parse(source)
    except (SyntaxError, ValueError):
        if "ARC001" not in codes:
            return "a file that does not parse has no ARC001 finding"
    except (MemoryError, RecursionError):
        pass
    return None


@_CHECK_SETTINGS
@given(checked_modules())
def test_check_exits_with_0_or_1(source: bytes) -> None:
    problem = check_problem(source)
    if RECORD:
        row = {"problem": problem, "source": source.decode("utf-8", "surrogateescape")}
        with open(RECORD + ".check", "a", encoding="utf-8") as handle:
            handle.write(json.dumps(row) + "\n")
        return
    assert problem is None, f"{problem}\nmodule: {source!r}"


# --- the harness itself ------------------------------------------------------------------------


@pytest.mark.parametrize("snippet", SNIPPETS)
@pytest.mark.parametrize("indent", INDENTS)
def test_every_snippet_compiles_and_has_fixes(snippet: str, indent: str) -> None:
    source = (PREAMBLE + snippet.format(n=0, i=indent)).encode()
    assert compiles(source)
    if "\\\n" in snippet or "\x0c" in snippet:
        return  # made to be hard on libcst: a fix may rightly be withheld
    with monorepo(source) as root, _inside(root):
        found = run(load_settings(None, root), [root], use_cache=False).findings
    assert any(f.fix is not None and f.path == FUZZED for f in found)


@pytest.mark.parametrize("ending", ENDINGS)
def test_every_ending_compiles(ending: str) -> None:
    for newline in NEWLINES:
        source = _newlines(PREAMBLE + ending.format(i="    "), newline).encode()
        assert compiles(source), source


def test_a_change_outside_the_fixed_statement_is_caught() -> None:
    before = b"a = 1\n# keep\nb = 2\n"
    verdict = Verdict()
    judge_change("x.py", before, b"a = 1\nb = 2\n", [(3, 3)], verdict)
    assert set(verdict.kinds) == {"outside-span", "comment-lost"}
    verdict = Verdict()
    after = b"a = f(correlation_id=correlation_id)\n# keep\nb = 2\n"
    judge_change("x.py", b"a = f()\n# keep\nb = 2\n", after, [(3, 3)], verdict)
    assert set(verdict.kinds) == {"wrong-place"}
    verdict = Verdict()
    judge_change("x.py", before, b"a = 1\n# keep\nb = (2,)\n", [(3, 3)], verdict)
    assert not verdict.kinds
