"""Does `arch-lint fix --unsafe-fixes` leave the benchmark corpus intact?

Generates the benchmark corpus (``generate_monorepo.py``, about 2,000 files),
copies it, runs ``arch-lint fix --unsafe-fixes --no-cache .`` in the copy and
compares the two trees:

* files changed, and fixes applied (from the command's summary line);
* changed files that no longer parse (must be 0);
* ``flake8 --select E1,W2`` (indentation, whitespace) over the changed files,
  before and after: the counts must not grow;
* comment lines lost: for each changed file, the multiset of its stripped
  comment lines before must be contained in the one after (must be 0);
* the exit status of ``fix`` (2, or a traceback, is a failure).

Prints a table and exits 1 when a must-be-zero figure is not zero.

Usage::

    python benchmarks/fix_safety.py [--arch-lint EXE] [--flake8 EXE] [--corpus DIR]
        [--services 40] [--modules 8] [--seed 1234] [--keep] [--json FILE]
"""

from __future__ import annotations

import argparse
import ast
import difflib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import generate_monorepo

SKIP_DIRS = frozenset({".git", ".arch_lint_cache", "__pycache__"})
_LINE = re.compile(rb"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z")
_FIXED = re.compile(r"Fixed (\d+) violations? in (\d+) files?")
FLAKE8_SELECT = "E1,W2"


@dataclass
class Result:
    files: int = 0
    fix_status: int = 0
    fix_seconds: float = 0.0
    fixed_violations: int = 0
    fixed_files_reported: int = 0
    not_fixed_notices: int = 0
    files_changed: int = 0
    lines_changed: int = 0
    unparsable: int = 0
    comment_lines_lost: int = 0
    flake8_before: dict[str, int] = field(default_factory=dict)
    flake8_after: dict[str, int] = field(default_factory=dict)
    examples: dict[str, list[str]] = field(default_factory=dict)

    def family(self, counts: dict[str, int], prefix: str) -> int:
        return sum(n for code, n in counts.items() if code.startswith(prefix))

    def growth(self, prefix: str) -> int:
        return self.family(self.flake8_after, prefix) - self.family(self.flake8_before, prefix)

    def failures(self) -> list[str]:
        out = []
        if self.fix_status not in (0, 1):
            out.append(f"`arch-lint fix` exited with {self.fix_status}")
        if self.unparsable:
            out.append(f"{self.unparsable} changed files no longer parse")
        if self.comment_lines_lost:
            out.append(f"{self.comment_lines_lost} comment lines lost")
        for prefix in FLAKE8_SELECT.split(","):
            if self.growth(prefix) > 0:
                out.append(f"flake8 {prefix} findings grew by {self.growth(prefix)}")
        return out


def split_lines(source: bytes) -> list[bytes]:
    """Physical lines with their endings, as Python's tokenizer counts them."""
    return _LINE.findall(source)


def comment_lines(source: bytes) -> Counter[bytes]:
    stripped = (line.strip() for line in split_lines(source))
    return Counter(s for s in stripped if s.startswith(b"#"))


def py_files(root: Path) -> Iterator[str]:
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS)
        for name in sorted(filenames):
            if name.endswith(".py"):
                yield (Path(dirpath) / name).relative_to(root).as_posix()


def parses(source: bytes) -> bool:
    try:
        ast.parse(source)
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return False
    return True


def beside_interpreter(script: str) -> list[str]:
    candidate = Path(sys.executable).parent / script
    if candidate.is_file() and os.access(candidate, os.X_OK):
        return [str(candidate)]
    module = {"arch-lint": "arch_lint", "flake8": "flake8"}[script]
    return [sys.executable, "-m", module]


def flake8_findings(flake8: list[str], root: Path, files: Sequence[str]) -> Counter[str]:
    """`path code` -> count of `flake8 --select E1,W2` findings over `files`
    (relative to root), with flake8's default settings."""
    found: Counter[str] = Counter()
    chunk = 400  # keep command lines short
    for start in range(0, len(files), chunk):
        cmd = [
            *flake8,
            "--isolated",
            f"--select={FLAKE8_SELECT}",
            "--jobs=2",
            "--format=%(path)s\t%(code)s",
            *files[start : start + chunk],
        ]
        proc = subprocess.run(cmd, cwd=root, capture_output=True, text=True, check=False)
        if proc.returncode not in (0, 1):
            raise SystemExit(f"`{' '.join(cmd[:5])} ...` failed:\n{proc.stderr[-2000:]}")
        for line in proc.stdout.splitlines():
            path, _, code = line.rpartition("\t")
            found[f"{path.removeprefix('./')} {code}"] += 1
    return found


def by_code(found: Counter[str]) -> dict[str, int]:
    totals: Counter[str] = Counter()
    for key, n in found.items():
        totals[key.rpartition(" ")[2]] += n
    return dict(sorted(totals.items()))


def measure(args: argparse.Namespace, work: Path) -> Result:
    result = Result()
    original = work / "original"
    fixed = work / "fixed"
    if args.corpus is not None:
        shutil.copytree(args.corpus, original, ignore=shutil.ignore_patterns(*SKIP_DIRS))
    else:
        started = time.perf_counter()
        stats = generate_monorepo.generate(
            original, args.services, args.modules, args.seed, 1.0, 0.05
        )
        print(
            f"generated {stats.files} files in {time.perf_counter() - started:.1f} s",
            file=sys.stderr,
        )
    shutil.copytree(original, fixed)
    files = list(py_files(original))
    result.files = len(files)

    cmd = [*args.arch_lint, "fix", "--unsafe-fixes", "--no-cache", "."]
    started = time.perf_counter()
    proc = subprocess.run(cmd, cwd=fixed, capture_output=True, text=True, check=False)
    result.fix_seconds = time.perf_counter() - started
    result.fix_status = proc.returncode
    notices = [line for line in proc.stderr.splitlines() if "not fixed" in line]
    result.not_fixed_notices = len(notices)
    result.examples["not fixed"] = notices[:5]
    summary = _FIXED.search(proc.stderr)
    if summary:
        result.fixed_violations = int(summary.group(1))
        result.fixed_files_reported = int(summary.group(2))
    if proc.returncode not in (0, 1) or "Traceback" in proc.stderr:
        result.examples["fix stderr"] = proc.stderr.strip().splitlines()[-5:]

    changed = []
    for rel in files:
        before = (original / rel).read_bytes()
        target = fixed / rel
        after = target.read_bytes() if target.exists() else b""
        if before == after:
            continue
        changed.append(rel)
        old, new = split_lines(before), split_lines(after)
        matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
        result.lines_changed += sum(
            max(i2 - i1, j2 - j1) for tag, i1, i2, j1, j2 in matcher.get_opcodes() if tag != "equal"
        )
        if not parses(after):
            result.unparsable += 1
            result.examples.setdefault("unparsable", []).append(rel)
        lost = comment_lines(before) - comment_lines(after)
        if lost:
            result.comment_lines_lost += sum(lost.values())
            shown = [f"{rel}: {c.decode('utf-8', 'replace')}" for c in lost]
            result.examples.setdefault("comment lines lost", []).extend(shown)
    result.files_changed = len(changed)

    old_found = flake8_findings(args.flake8, original, changed)
    new_found = flake8_findings(args.flake8, fixed, changed)
    result.flake8_before, result.flake8_after = by_code(old_found), by_code(new_found)
    more = sorted(k for k in new_found if new_found[k] > old_found[k])
    result.examples["flake8 findings added (file code)"] = more
    for key in list(result.examples):
        result.examples[key] = result.examples[key][:10]
    return result


def table(result: Result) -> str:
    rows: list[tuple[str, str, str]] = [
        ("python files in the corpus", str(result.files), ""),
        ("`fix --unsafe-fixes` exit status", str(result.fix_status), "0 or 1"),
        ("`fix` wall time (s)", f"{result.fix_seconds:.1f}", ""),
        ("violations fixed (reported)", str(result.fixed_violations), ""),
        ("'not fixed' notices", str(result.not_fixed_notices), ""),
        ("files changed", str(result.files_changed), ""),
        ("lines changed", str(result.lines_changed), ""),
        ("changed files that no longer parse", str(result.unparsable), "0"),
        ("comment lines lost", str(result.comment_lines_lost), "0"),
    ]
    for prefix in FLAKE8_SELECT.split(","):
        before = result.family(result.flake8_before, prefix)
        after = result.family(result.flake8_after, prefix)
        rows.append((f"flake8 {prefix} before -> after", f"{before} -> {after}", "no growth"))
    codes = sorted(set(result.flake8_before) | set(result.flake8_after))
    for code in codes:
        before, after = result.flake8_before.get(code, 0), result.flake8_after.get(code, 0)
        rows.append((f"  {code}", f"{before} -> {after}", ""))
    width = max(len(r[0]) for r in rows)
    value = max(len(r[1]) for r in rows)
    lines = [f"{'figure':<{width}}  {'value':>{value}}  must be", "-" * (width + value + 12)]
    lines += [f"{a:<{width}}  {b:>{value}}  {c}" for a, b, c in rows]
    for what, examples in result.examples.items():
        if examples:
            lines.append(f"\n{what}:")
            lines += [f"  {e}" for e in examples]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument(
        "--arch-lint",
        help="the arch-lint executable (default: beside this interpreter, else -m arch_lint)",
    )
    parser.add_argument(
        "--flake8", help="the flake8 executable (default: beside this interpreter, else -m flake8)"
    )
    parser.add_argument("--corpus", type=Path, help="a corpus to copy instead of generating one")
    parser.add_argument("--services", type=int, default=40, help="generated corpus (default 40)")
    parser.add_argument("--modules", type=int, default=8, help="generated corpus (default 8)")
    parser.add_argument("--seed", type=int, default=1234, help="generated corpus (default 1234)")
    parser.add_argument("--keep", action="store_true", help="keep the work directory")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args(argv)
    args.arch_lint = [args.arch_lint] if args.arch_lint else beside_interpreter("arch-lint")
    args.flake8 = [args.flake8] if args.flake8 else beside_interpreter("flake8")
    work = Path(tempfile.mkdtemp(prefix="arch-lint-fix-safety-"))
    started = time.perf_counter()
    try:
        result = measure(args, work)
    finally:
        if args.keep:
            print(f"work directory kept: {work}", file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)
    print(table(result))
    print(f"\n(total {time.perf_counter() - started:.0f} s, arch-lint: {' '.join(args.arch_lint)})")
    if args.json is not None:
        args.json.write_text(json.dumps(asdict(result), indent=2) + "\n", encoding="utf-8")
    failures = result.failures()
    for failure in failures:
        print(f"FAIL: {failure}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
