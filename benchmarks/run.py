"""Measure arch-lint on a generated monorepo, as SPEC §6 describes.

Prints, measured in the same run (medians of alternating runs):

* floor: read + ``ast.parse`` of every checked file in one process, no
  interpreter start-up;
* ``arch-lint check`` wall time with the cache deleted (cold), unchanged
  (warm) and with one file's content changed, for ``--jobs 1`` and ``--jobs 2``;
* the CPU time (user + sys) of ``flake8 -j2`` with the ARC plugin installed
  against the same flake8 without it (a separate virtual environment), and
  against that flake8 with a plugin that only replays ARC's findings (a third
  virtual environment): the reporting floor;
* start-up: ``arch-lint --version``;
* pre-commit size: ``arch-lint check`` of 10 files with a warm cache, and
  ``flake8 --select ARC`` on them, against bare flake8 on the same 10 files;
* peak memory (maximum resident set) of the cold check (``--jobs 1``) at half,
  the whole and twice the corpus size (1k, 2k and 4k files by default), to
  show that it grows no faster than the files do.

Every figure is printed against its SPEC §6 target (or the performance
issue's, where SPEC §6 names none).

Usage::

    python benchmarks/run.py [--corpus DIR] [--runs 3] [--python PATH] [--quick]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import generate_monorepo

BENCH_DIR = Path(__file__).resolve().parent

CACHE_DIR = ".arch_lint_cache"
SKIP_DIRS = frozenset(
    {".git", CACHE_DIR, "__pycache__", ".mypy_cache", ".ruff_cache", ".pytest_cache"}
)
FLAKE8_DISTS = ("flake8", "pycodestyle", "pyflakes", "mccabe")

# The replay plugin (benchmarks/replay_plugin/): flake8 plus exactly ARC's reports.
REPLAY_PLUGIN = BENCH_DIR / "replay_plugin"
REPLAY_DIST = "arch-lint-replay"
REPLAY_ENV_VAR = "ARCH_LINT_REPLAY_FINDINGS"  # read by the plugin
REPLAY_STAMP = "arch-lint-replay.stamp"  # in the venv: hash of the installed sources
# What a flake8 plugin yields, as flake8 prints it (no tab in a path, no newline in a message).
FINDING_FORMAT = "%(path)s\t%(row)d\t%(col)d\t%(code)s\t%(text)s"

# Runs in the measured interpreter: only the read + parse loop is timed.
FLOOR_CODE = """
import ast, sys, time
with open(sys.argv[1], encoding="utf-8") as fh:
    paths = fh.read().splitlines()
start = time.perf_counter()
for path in paths:
    with open(path, "rb") as src:
        ast.parse(src.read(), filename=path)
print(time.perf_counter() - start)
"""

# SPEC §6 targets.
TARGET_COLD_OVER_FLOOR = 2.0
TARGET_WARM_S = 0.3
TARGET_FLAKE8_RATIO = 1.05
TARGET_PEAK_MB = 150.0  # at about 2,000 files
TARGET_CHECK10_S = 0.15
# The performance issue's ("Lean core": start-up, the flake8 plugin near free).
TARGET_STARTUP_S = 0.08
TARGET_FLAKE8_10_RATIO = 1.5
# Diagnostic: arch-lint's own share of the flake8 cost.
TARGET_FLAKE8_OVER_REPLAY = 1.10

TEN = 10  # files in the pre-commit-size check
STARTUP_REPEAT = 5  # `--version` runs per round (each is short)

# Runs in the runner's interpreter: runs a command and prints the largest
# resident set of its process tree's processes (ru_maxrss: KiB on Linux, bytes
# on macOS), nothing else being a child of this wrapper.
PEAK_RSS_CODE = """
import resource, subprocess, sys
proc = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
if proc.returncode not in (0, 1):
    sys.stderr.buffer.write(proc.stderr[-2000:])
    sys.exit(proc.returncode)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
"""


class BenchError(RuntimeError):
    """A command the benchmark needs failed."""


@dataclass
class Samples:
    """Timings of one measurement, in seconds."""

    values: list[float] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(self.values) if self.values else float("nan")

    def spread(self) -> str:
        return " ".join(f"{v:.3f}" for v in self.values)


@dataclass
class Tools:
    python: str
    arch_lint: list[str]
    flake8: list[str]
    env: dict[str, str]


def executable(python: str, script: str, module: str) -> list[str]:
    """The console script beside the interpreter, else ``python -m module``."""
    candidate = Path(python).parent / script
    if candidate.is_file() and os.access(candidate, os.X_OK):
        return [str(candidate)]
    return [python, "-m", module]


def child_env(pycache: Path | None) -> dict[str, str]:
    """The environment of every measured command.

    With ``pycache``, bytecode is cached under that directory (as an installed
    package would have its ``.pyc`` files) instead of being recompiled on every
    start because ``PYTHONDONTWRITEBYTECODE`` is set, and nothing is written
    into the checked-out sources.
    """
    env = dict(os.environ)
    if pycache is not None:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(pycache)
    return env


def run_quiet(cmd: Sequence[str], cwd: Path, env: dict[str, str], ok: Sequence[int] = (0,)) -> str:
    """Run a command, return its stdout; fail loudly on an unexpected status."""
    proc = subprocess.run(list(cmd), cwd=cwd, env=env, capture_output=True, text=True, check=False)
    if proc.returncode not in ok:
        raise BenchError(
            f"`{' '.join(cmd)}` exited with {proc.returncode}\n{proc.stderr.strip()[-2000:]}"
        )
    return proc.stdout


def wall(cmd: Sequence[str], cwd: Path, env: dict[str, str], ok: Sequence[int] = (0,)) -> float:
    """Wall time of a command whose output is discarded."""
    start = time.perf_counter()
    proc = subprocess.run(
        list(cmd),
        cwd=cwd,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        check=False,
    )
    elapsed = time.perf_counter() - start
    if proc.returncode not in ok:
        err = proc.stderr.decode(errors="replace").strip()[-2000:]
        raise BenchError(f"`{' '.join(cmd)}` exited with {proc.returncode}\n{err}")
    return elapsed


def cpu(cmd: Sequence[str], cwd: Path, env: dict[str, str], ok: Sequence[int] = (0, 1)) -> float:
    """User + sys CPU time of a command and of every process it waited for."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    proc = subprocess.run(
        list(cmd),
        cwd=cwd,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        check=False,
    )
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode not in ok:
        err = proc.stderr.decode(errors="replace").strip()[-2000:]
        raise BenchError(f"`{' '.join(cmd)}` exited with {proc.returncode}\n{err}")
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def peak_rss_mb(cmd: Sequence[str], cwd: Path, env: dict[str, str]) -> float:
    """The maximum resident set of a command, in MiB (a wrapper process of its own,
    since ``RUSAGE_CHILDREN`` keeps the largest child ever waited for)."""
    out = run_quiet([sys.executable, "-c", PEAK_RSS_CODE, *cmd], cwd, env)
    value = int(out.strip().splitlines()[-1])
    return value / (1 << 20) if sys.platform == "darwin" else value / 1024


def checked_files(corpus: Path) -> list[str]:
    """Relative paths of the files `arch-lint check .` reports on (default exclude)."""
    found: list[str] = []
    for dirpath, dirnames, filenames in os.walk(corpus):
        dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS)
        rel_dir = Path(dirpath).relative_to(corpus).as_posix()
        for name in sorted(filenames):
            if not name.endswith(".py"):
                continue
            rel = name if rel_dir == "." else f"{rel_dir}/{name}"
            if not generate_monorepo.is_excluded(rel):
                found.append(rel)
    return found


def all_py_files(corpus: Path) -> Iterator[Path]:
    for dirpath, dirnames, filenames in os.walk(corpus):
        dirnames[:] = [d for d in dirnames if d not in SKIP_DIRS]
        for name in filenames:
            if name.endswith(".py"):
                yield Path(dirpath) / name


def count_lines(paths: Sequence[Path]) -> int:
    total = 0
    for path in paths:
        with path.open("rb") as fh:
            total += sum(1 for _ in fh)
    return total


def pick_changed_file(files: Sequence[str]) -> str:
    """A typical module to edit: a service's domain module, else any service file."""
    for prefix in ("/domain/", "/application/", "/"):
        for rel in files:
            if rel.startswith("services/") and prefix in rel and not rel.endswith("__init__.py"):
                return rel
    if not files:
        raise BenchError("the corpus has no checked .py files")
    return files[0]


def pick_ten(files: Sequence[str]) -> list[str]:
    """A pre-commit-size change: ten modules of one service (its api, application
    and domain modules first), else any ten checked files."""
    by_service: dict[str, list[str]] = {}
    for rel in files:
        parts = rel.split("/")
        if parts[0] == "services" and len(parts) > 2 and parts[-1] != "__init__.py":
            by_service.setdefault(parts[1], []).append(rel)
    for service in sorted(by_service):
        if len(by_service[service]) >= TEN:
            return sorted(by_service[service])[:TEN]
    return list(files[:TEN])


class Editor:
    """Appends unique comment lines to one file; restores it at the end."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.original = path.read_bytes()
        self.edits = 0

    def change(self) -> None:
        self.edits += 1
        data = self.path.read_bytes()
        if data and not data.endswith(b"\n"):
            data += b"\n"
        stamp = f"# arch-lint benchmark edit {time.time_ns()}-{self.edits}\n"
        self.path.write_bytes(data + stamp.encode("ascii"))

    def restore(self) -> None:
        self.path.write_bytes(self.original)


def flake8_versions(python: str, env: dict[str, str]) -> dict[str, str]:
    code = (
        "import importlib.metadata as m, json\n"
        f"print(json.dumps({{d: m.version(d) for d in {list(FLAKE8_DISTS)!r}}}))"
    )
    out = run_quiet([python, "-c", code], Path.cwd(), env)
    versions: dict[str, str] = json.loads(out)
    return versions


def venv_python(venv: Path) -> Path:
    return (
        venv
        / ("Scripts" if os.name == "nt" else "bin")
        / ("python.exe" if os.name == "nt" else "python")
    )


def ensure_bare_venv(
    venv: Path,
    python: str,
    versions: dict[str, str],
    env: dict[str, str],
    what: str = "bare flake8",
) -> list[str]:
    """A virtual environment with the same flake8 (and checkers) but no plugin."""
    py = venv_python(venv)
    pins = [f"{d}=={v}" for d, v in versions.items()]
    if py.exists():
        try:
            have = flake8_versions(str(py), env)
        except BenchError:
            have = {}
        if have == versions:
            return executable(str(py), "flake8", "flake8")
        print(f"  {what} venv {venv} has {have}, reinstalling {' '.join(pins)}")
    else:
        print(f"  creating {what} venv {venv} ({' '.join(pins)})")
        run_quiet([python, "-m", "venv", str(venv)], Path.cwd(), env)
    run_quiet([str(py), "-m", "pip", "install", "--quiet", *pins], Path.cwd(), env)
    return executable(str(py), "flake8", "flake8")


def replay_sources_digest() -> str:
    digest = hashlib.sha256()
    for path in sorted([REPLAY_PLUGIN / "pyproject.toml", *REPLAY_PLUGIN.glob("*.py")]):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def ensure_replay_venv(
    venv: Path, python: str, versions: dict[str, str], env: dict[str, str]
) -> list[str]:
    """A bare flake8 venv of its own plus the replay plugin (never arch-lint's)."""
    flake8 = ensure_bare_venv(venv, python, versions, env, what="replay flake8")
    stamp = venv / REPLAY_STAMP
    digest = replay_sources_digest()
    if not stamp.is_file() or stamp.read_text(encoding="utf-8").strip() != digest:
        print(f"  installing {REPLAY_PLUGIN.relative_to(BENCH_DIR.parent)} into {venv}")
        # Built from a copy: pip's build leaves build/ and *.egg-info/ beside the sources.
        with tempfile.TemporaryDirectory(prefix="replay-plugin-") as tmp:
            source = Path(tmp) / "replay_plugin"
            shutil.copytree(
                REPLAY_PLUGIN,
                source,
                ignore=shutil.ignore_patterns("__pycache__", "build", "*.egg-info"),
            )
            cmd = [str(venv_python(venv)), "-m", "pip", "install", "--quiet", "--no-deps"]
            run_quiet([*cmd, "--force-reinstall", str(source)], Path.cwd(), env)
        stamp.write_text(digest + "\n", encoding="utf-8")
    return flake8


def record_findings(flake8: list[str], corpus: Path, env: dict[str, str]) -> list[str]:
    """What a flake8's ARC plugin yields on the corpus, one FINDING_FORMAT line each.

    ``--disable-noqa`` keeps the findings flake8 would drop for a ``# noqa``
    comment (the plugin yields them all the same); ``--select ARC`` leaves out
    the other checkers' findings.
    """
    args = ["-j2", "--select", "ARC", "--disable-noqa", f"--format={FINDING_FORMAT}", "."]
    return sorted(run_quiet([*flake8, *args], corpus, env, ok=(0, 1)).splitlines())


def write_replay_findings(lines: Sequence[str], path: Path) -> int:
    """Write the replay plugin's findings file; return how many files have findings."""
    findings: dict[str, list[tuple[int, int, str]]] = {}
    for line in lines:
        parts = line.split("\t", 4)
        if len(parts) != 5:
            raise BenchError(f"unexpected flake8 output line: {line!r}")
        filename, row, col, code, text = parts
        # flake8 prints the plugin's 0-based column + 1
        findings.setdefault(filename, []).append((int(row), int(col) - 1, f"{code} {text}"))
    path.write_text(json.dumps(findings), encoding="utf-8")
    return len(findings)


def compare_findings(arc: Sequence[str], replay: Sequence[str]) -> None:
    """Fail loudly unless the replay plugin reports exactly ARC's findings."""
    if arc == replay:
        return
    missing = sorted((Counter(arc) - Counter(replay)).elements())
    extra = sorted((Counter(replay) - Counter(arc)).elements())
    shown = [f"  only ARC:    {line}" for line in missing[:5]]
    shown += [f"  only replay: {line}" for line in extra[:5]]
    raise BenchError(
        f"the replay plugin reports {len(replay)} findings, ARC {len(arc)} "
        f"({len(missing)} missing, {len(extra)} extra):\n" + "\n".join(shown)
    )


def fmt_s(value: float) -> str:
    return "-" if value != value else f"{value:8.3f} s"  # NaN check


def verdict(ok: bool) -> str:
    return "ok" if ok else "MISSED"


def ratio_line(label: str, value: float, target: str, ok: bool | None) -> str:
    mark = "" if ok is None else f"  [{verdict(ok)}]"
    return f"  {label:<40} {value:8.3f}   target {target}{mark}"


@dataclass
class Results:
    floor: Samples = field(default_factory=Samples)
    check: dict[str, Samples] = field(default_factory=dict)
    flake8_bare: Samples = field(default_factory=Samples)
    flake8_replay: Samples = field(default_factory=Samples)
    flake8_arc: Samples = field(default_factory=Samples)
    startup: Samples = field(default_factory=Samples)
    python_startup: Samples = field(default_factory=Samples)
    check10: Samples = field(default_factory=Samples)
    flake8_10_bare: Samples = field(default_factory=Samples)
    flake8_10_arc: Samples = field(default_factory=Samples)
    memory: list[tuple[int, int, float]] = field(default_factory=list)
    """(.py files, checked files, peak RSS in MiB) of cold checks, smallest first."""

    def slot(self, kind: str, jobs: int) -> Samples:
        return self.check.setdefault(f"{kind}-j{jobs}", Samples())


def measure_checks(
    tools: Tools, corpus: Path, editor: Editor, results: Results, runs: int, floor_list: Path
) -> None:
    cache = corpus / CACHE_DIR
    for i in range(runs):
        results.floor.values.append(
            float(run_quiet([tools.python, "-c", FLOOR_CODE, str(floor_list)], corpus, tools.env))
        )
        for jobs in (1, 2) if i % 2 == 0 else (2, 1):
            cmd = [
                *tools.arch_lint,
                "check",
                "--jobs",
                str(jobs),
                "--exit-zero",
                "--format",
                "json",
                ".",
            ]
            shutil.rmtree(cache, ignore_errors=True)
            results.slot("cold", jobs).values.append(wall(cmd, corpus, tools.env))
            results.slot("warm", jobs).values.append(wall(cmd, corpus, tools.env))
            editor.change()
            results.slot("changed", jobs).values.append(wall(cmd, corpus, tools.env))
        print(
            f"  round {i + 1}/{runs}: floor {results.floor.values[-1]:.3f} s, "
            f"cold {results.slot('cold', 1).values[-1]:.3f} s, "
            f"warm {results.slot('warm', 1).values[-1]:.3f} s, "
            f"changed {results.slot('changed', 1).values[-1]:.3f} s (--jobs 1)",
            flush=True,
        )


def measure_flake8(
    tools: Tools,
    bare: list[str],
    replay: list[str],
    replay_env: dict[str, str],
    corpus: Path,
    results: Results,
    runs: int,
) -> None:
    args = ["-j2", "--extend-select", "ARC", "."]
    for i in range(runs):
        order = ("bare", "replay", "arc") if i % 2 == 0 else ("arc", "replay", "bare")
        for which in order:
            if which == "bare":
                results.flake8_bare.values.append(cpu([*bare, *args], corpus, tools.env))
            elif which == "replay":
                results.flake8_replay.values.append(cpu([*replay, *args], corpus, replay_env))
            else:
                results.flake8_arc.values.append(cpu([*tools.flake8, *args], corpus, tools.env))
        print(
            f"  round {i + 1}/{runs}: bare {results.flake8_bare.values[-1]:.2f} s CPU, "
            f"replay {results.flake8_replay.values[-1]:.2f} s CPU, "
            f"with ARC {results.flake8_arc.values[-1]:.2f} s CPU",
            flush=True,
        )


def measure_small(
    tools: Tools, bare: list[str], ten: list[str], corpus: Path, results: Results, runs: int
) -> None:
    """Start-up and the pre-commit-size runs, alternating; the cache is warm."""
    version = [*tools.arch_lint, "--version"]
    python = [tools.python, "-c", "pass"]
    check = [*tools.arch_lint, "check", "--exit-zero", *ten]
    arc = [*tools.flake8, "--select", "ARC", *ten]
    plain = [*bare, *ten]
    run_quiet(check, corpus, tools.env)  # warm the cache for exactly this run
    for i in range(runs):
        for _ in range(STARTUP_REPEAT):
            order = (python, version) if i % 2 == 0 else (version, python)
            for cmd in order:
                slot = results.startup if cmd is version else results.python_startup
                slot.values.append(wall(cmd, corpus, tools.env))
        jobs: list[tuple[list[str], Samples, tuple[int, ...]]] = [(check, results.check10, (0,))]
        if bare:
            jobs += [
                (plain, results.flake8_10_bare, (0, 1)),
                (arc, results.flake8_10_arc, (0, 1)),
            ]
        for cmd, slot, ok in jobs if i % 2 == 0 else jobs[::-1]:
            slot.values.append(wall(cmd, corpus, tools.env, ok=ok))
        line = (
            f"  round {i + 1}/{runs}: --version {results.startup.values[-1]:.3f} s, "
            f"check of {len(ten)} files {results.check10.values[-1]:.3f} s"
        )
        if bare:
            line += (
                f", bare flake8 {results.flake8_10_bare.values[-1]:.3f} s, "
                f"flake8 --select ARC {results.flake8_10_arc.values[-1]:.3f} s"
            )
        print(line, flush=True)


def measure_memory(
    tools: Tools,
    corpus: Path,
    services: Sequence[int],
    base_services: int,
    args: argparse.Namespace,
    work: Path,
    results: Results,
) -> None:
    """Peak RSS of one cold `check --jobs 1` per corpus size (memory varies far
    less than time between runs); sizes other than the measured corpus's are
    generated, measured and deleted."""
    for n in services:
        generated: Path | None = None
        if n == base_services:
            where = corpus
        else:
            generated = Path(tempfile.mkdtemp(prefix=f"memory-{n}-", dir=work))
            where = generated / "monorepo"
            with open(os.devnull, "w") as quiet:
                saved, sys.stdout = sys.stdout, quiet
                try:
                    generate_monorepo.main(corpus_args(where, args, services=n))
                finally:
                    sys.stdout = saved
        try:
            every = sum(1 for _ in all_py_files(where))
            checked = len(checked_files(where))
            shutil.rmtree(where / CACHE_DIR, ignore_errors=True)
            cmd = [*tools.arch_lint, "check", "--jobs", "1", "--exit-zero", "--format", "json", "."]
            mb = peak_rss_mb(cmd, where, tools.env)
        finally:
            if generated is not None:
                shutil.rmtree(generated, ignore_errors=True)
        results.memory.append((every, checked, mb))
        print(f"  {every} .py files ({checked} checked): peak RSS {mb:.0f} MiB", flush=True)


def corpus_args(out: Path, args: argparse.Namespace, services: int | None = None) -> list[str]:
    return [
        str(out),
        "--services",
        str(services if services is not None else args.services),
        "--modules",
        str(args.modules),
        "--seed",
        str(args.seed),
        "--long-lines",
        str(args.long_lines),
    ]


def sanity(tools: Tools, corpus: Path) -> tuple[int, Counter[str], bool]:
    """One untimed cold and warm run: the findings, and whether they agree."""
    cmd = [*tools.arch_lint, "check", "--jobs", "1", "--exit-zero", "--format", "json", "."]
    shutil.rmtree(corpus / CACHE_DIR, ignore_errors=True)
    cold = run_quiet(cmd, corpus, tools.env)
    warm = run_quiet(cmd, corpus, tools.env)
    findings = json.loads(cold)
    codes = Counter(str(f.get("code")) for f in findings)
    return len(findings), codes, json.loads(warm) == findings


def report(results: Results, do_check: bool, do_flake8: bool) -> list[str]:
    lines = ["", "results (median of runs; samples in brackets)", ""]
    floor = results.floor.median
    lines.append(f"  {'floor: read + ast.parse':<34} {fmt_s(floor)}   [{results.floor.spread()}]")
    if do_check:
        lines.append(f"  {'':<34} {'--jobs 1':>10}   {'--jobs 2':>10}")
        for kind, label in (
            ("cold", "check cold"),
            ("warm", "check warm"),
            ("changed", "check, one file changed"),
        ):
            j1, j2 = results.slot(kind, 1), results.slot(kind, 2)
            samples = f"[{j1.spread()} | {j2.spread()}]"
            lines.append(f"  {label:<34} {fmt_s(j1.median)}   {fmt_s(j2.median)}   {samples}")
    if do_flake8:
        bare, replay, arc = results.flake8_bare, results.flake8_replay, results.flake8_arc
        lines.append(f"  {'flake8 -j2 bare, CPU':<34} {fmt_s(bare.median)}   [{bare.spread()}]")
        lines.append(
            f"  {'flake8 -j2 + replay (floor), CPU':<34} {fmt_s(replay.median)}   "
            f"[{replay.spread()}]"
        )
        lines.append(f"  {'flake8 -j2 with ARC, CPU':<34} {fmt_s(arc.median)}   [{arc.spread()}]")
    if results.startup.values:
        lines.append(
            f"  {'arch-lint --version':<34} {fmt_s(results.startup.median)}   "
            f"[{results.startup.spread()}]"
        )
        lines.append(
            f"  {'python -c pass (for reference)':<34} {fmt_s(results.python_startup.median)}"
        )
        lines.append(
            f"  {f'check of {TEN} files, warm':<34} {fmt_s(results.check10.median)}   "
            f"[{results.check10.spread()}]"
        )
    if results.flake8_10_bare.values:
        for label, samples in (
            (f"bare flake8 on the {TEN} files", results.flake8_10_bare),
            (f"flake8 --select ARC on the {TEN}", results.flake8_10_arc),
        ):
            lines.append(f"  {label:<34} {fmt_s(samples.median)}   [{samples.spread()}]")
    for every, checked, mb in results.memory:
        label = f"peak RSS, cold, {every} files"
        lines.append(f"  {label:<34} {mb:8.0f} MiB   ({checked} checked)")

    lines.extend(["", "against the targets (SPEC §6; [issue]: the performance issue's)", ""])
    if do_check:
        cold = results.slot("cold", 1).median
        warm = results.slot("warm", 1).median
        changed = results.slot("changed", 1).median
        cold_floor = cold / floor
        lines.append(
            ratio_line(
                "check cold / floor (--jobs 1)",
                cold_floor,
                f"<= {TARGET_COLD_OVER_FLOOR}",
                cold_floor <= TARGET_COLD_OVER_FLOOR,
            )
        )
        lines.append(
            ratio_line(
                "check warm (--jobs 1), s", warm, f"<= {TARGET_WARM_S}", warm <= TARGET_WARM_S
            )
        )
        lines.append(
            ratio_line("check one changed (--jobs 1), s", changed, f"<= {TARGET_WARM_S}", None)
        )
        lines.append(ratio_line("check warm / cold", warm / cold, "(none)", None))
        cold2 = results.slot("cold", 2).median
        lines.append(ratio_line("check cold --jobs 2 / floor", cold2 / floor, "(none)", None))
    if results.startup.values:
        startup = results.startup.median
        lines.append(
            ratio_line(
                "arch-lint --version, s [issue]",
                startup,
                f"<= {TARGET_STARTUP_S}",
                startup <= TARGET_STARTUP_S,
            )
        )
        ten = results.check10.median
        lines.append(
            ratio_line(
                f"check of {TEN} files, warm, s",
                ten,
                f"<= {TARGET_CHECK10_S}",
                ten <= TARGET_CHECK10_S,
            )
        )
    if results.flake8_10_bare.values:
        bare10 = results.flake8_10_bare.median
        lines.append(
            ratio_line(
                f"check of {TEN} / bare flake8 on them",
                results.check10.median / bare10,
                "(none)",
                None,
            )
        )
        arc10 = results.flake8_10_arc.median / bare10
        lines.append(
            ratio_line(
                f"flake8 --select ARC / bare ({TEN}) [issue]",
                arc10,
                f"<= {TARGET_FLAKE8_10_RATIO}",
                arc10 <= TARGET_FLAKE8_10_RATIO,
            )
        )
    if results.memory:
        # the target is set at about 2,000 files (--quick measures smaller corpora)
        at = min(results.memory, key=lambda m: abs(m[0] - 2000))
        near = 1500 <= at[0] <= 2500
        lines.append(
            ratio_line(
                f"peak RSS at {at[0]} files, MiB",
                at[2],
                f"<= {TARGET_PEAK_MB:.0f}" + ("" if near else " at ~2,000 files"),
                at[2] <= TARGET_PEAK_MB if near else None,
            )
        )
        small = results.memory[0]
        for every, _, mb in results.memory[1:]:
            grow, files = mb / small[2], every / small[0]
            lines.append(
                ratio_line(
                    f"RSS growth {small[0]} -> {every} files",
                    grow,
                    f"<= files x{files:.2f}",
                    grow <= files,
                )
            )
    if do_flake8:
        arc_bare = results.flake8_arc.median / results.flake8_bare.median
        replay_bare = results.flake8_replay.median / results.flake8_bare.median
        arc_replay = results.flake8_arc.median / results.flake8_replay.median
        lines.append(
            ratio_line(
                "flake8 -j2 with ARC / bare (CPU)",
                arc_bare,
                f"<= {TARGET_FLAKE8_RATIO}",
                arc_bare <= TARGET_FLAKE8_RATIO,
            )
        )
        lines.append(ratio_line("flake8 replay / bare (CPU)", replay_bare, "(none)", None))
        lines.append(
            ratio_line(
                "flake8 with ARC / replay (CPU)",
                arc_replay,
                f"<= {TARGET_FLAKE8_OVER_REPLAY} (diagnostic)",
                arc_replay <= TARGET_FLAKE8_OVER_REPLAY,
            )
        )
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Benchmark arch-lint (SPEC §6).")
    parser.add_argument(
        "--corpus", type=Path, help="monorepo to measure (default: generate one in a temp dir)"
    )
    parser.add_argument(
        "--runs", type=int, help="alternating runs per measurement (default 3; --quick: 1)"
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="a smoke run in a few minutes: a quarter-size corpus (10 services), one round, "
        "peak memory at 5, 10 and 20 services (not SPEC §6's sizes)",
    )
    parser.add_argument(
        "--python", default=sys.executable, help="interpreter whose arch-lint and flake8 to run"
    )
    parser.add_argument(
        "--bare-venv", type=Path, help="venv for flake8 without the plugin (created if missing)"
    )
    parser.add_argument(
        "--replay-venv",
        type=Path,
        help="venv for flake8 with the replay plugin only (created if missing)",
    )
    parser.add_argument(
        "--services",
        type=int,
        help="generated corpus: services (default 40, about 2,000 files; --quick: 10)",
    )
    parser.add_argument(
        "--modules", type=int, default=8, help="generated corpus: modules per package (default 8)"
    )
    parser.add_argument(
        "--seed", type=int, default=1234, help="generated corpus: seed (default 1234)"
    )
    parser.add_argument("--keep-corpus", action="store_true", help="keep the generated corpus")
    parser.add_argument(
        "--changed-file", help="file (relative to the corpus) to edit for the one-changed run"
    )
    parser.add_argument(
        "--skip-check", action="store_true", help="skip the arch-lint check measurements"
    )
    parser.add_argument("--skip-flake8", action="store_true", help="skip the flake8 measurements")
    parser.add_argument(
        "--skip-memory",
        action="store_true",
        help="skip peak memory (it generates and checks corpora of half and twice the size)",
    )
    parser.add_argument(
        "--long-lines",
        type=float,
        default=0.8,
        help="generated corpus: share of files with lines over 79 characters (default 0.8)",
    )
    parser.add_argument(
        "--no-pycache",
        action="store_true",
        help="run commands with the inherited environment, even if it disables .pyc files",
    )
    parser.add_argument("--json", type=Path, help="also write the samples and medians to this file")
    args = parser.parse_args(argv)
    if args.runs is None:
        args.runs = 1 if args.quick else 3
    if args.services is None:
        args.services = 10 if args.quick else 40
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    if args.runs < 3:
        print(f"note: SPEC §6 asks for medians of at least 3 runs; measuring {args.runs}")

    work = Path(tempfile.gettempdir()) / "arch-lint-bench"
    work.mkdir(exist_ok=True)
    env = child_env(None if args.no_pycache else work / "pycache")
    tools = Tools(
        python=args.python,
        arch_lint=executable(args.python, "arch-lint", "arch_lint"),
        flake8=executable(args.python, "flake8", "flake8"),
        env=env,
    )

    generated: Path | None = None
    if args.corpus is None:
        generated = Path(tempfile.mkdtemp(prefix="corpus-", dir=work))
        corpus = generated / "monorepo"
        print(f"generating corpus in {corpus} ...", flush=True)
        start = time.perf_counter()
        generate_monorepo.main(corpus_args(corpus, args))
        print(f"  ({time.perf_counter() - start:.1f} s)")
    else:
        corpus = args.corpus.resolve()
        if not corpus.is_dir():
            parser.error(f"--corpus {corpus} is not a directory")

    editor: Editor | None = None
    findings_file = work / f"replay-findings-{os.getpid()}.json"
    try:
        files = checked_files(corpus)
        every = list(all_py_files(corpus))
        checked_lines = count_lines([corpus / f for f in files])
        all_lines = count_lines(every)
        print()
        print(f"corpus   {corpus}")
        mean_all = all_lines / max(len(every), 1)
        mean_checked = checked_lines / max(len(files), 1)
        print(f"         {len(every)} .py files, {all_lines} lines, {mean_all:.0f} mean")
        print(
            f"         {len(files)} checked (default exclude), {checked_lines} lines, "
            f"{mean_checked:.0f} mean"
        )
        load = os.getloadavg()
        print(
            f"machine  {platform.python_implementation()} {platform.python_version()} (runner), "
            f"{os.cpu_count()} CPUs, load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}"
        )
        print(f"tools    arch-lint: {' '.join(tools.arch_lint)}")
        print(f"         flake8:    {' '.join(tools.flake8)}")
        if "PYTHONPYCACHEPREFIX" in env:
            prefix = env["PYTHONPYCACHEPREFIX"]
            print(f"         .pyc cache: {prefix} (--no-pycache to inherit the environment)")

        floor_list = work / f"floor-files-{os.getpid()}.txt"
        floor_list.write_text("\n".join(files) + "\n", encoding="utf-8")
        results = Results()
        do_check = not args.skip_check
        do_flake8 = not args.skip_flake8

        if do_check:
            try:
                version = run_quiet([*tools.arch_lint, "--version"], corpus, env).strip()
            except (BenchError, OSError) as exc:
                print(f"\narch-lint is not runnable ({exc}); skipping the check measurements")
                do_check = False
            else:
                total, codes, same = sanity(tools, corpus)
                by_code = ", ".join(f"{c} {n}" for c, n in sorted(codes.items()))
                agree = "yes" if same else "NO"
                print(
                    f"         {version}: {total} findings ({by_code or 'none'}); "
                    f"warm == cold: {agree}"
                )

        bare: list[str] = []
        replay: list[str] = []
        replayed = 0  # ARC's findings, replayed
        replay_env = {**env, REPLAY_ENV_VAR: str(findings_file)}
        if do_flake8:
            f8_version = run_quiet([*tools.flake8, "--version"], corpus, env)
            if "arch-lint" not in f8_version:
                print(
                    "\nflake8 does not list the arch-lint plugin; skipping the flake8 measurements"
                )
                do_flake8 = False
            else:
                versions = flake8_versions(args.python, env)
                tag = "-".join(f"{d}{v}" for d, v in versions.items())
                venv = args.bare_venv or work / f"bare-{tag}-{Path(args.python).name}"
                bare = ensure_bare_venv(venv, args.python, versions, env)
                run_quiet([*bare, "--version"], corpus, env)  # compiles its .pyc files
                print(f"         bare flake8: {' '.join(bare)}")
                venv = args.replay_venv or work / f"replay-{tag}-{Path(args.python).name}"
                replay = ensure_replay_venv(venv, args.python, versions, env)
                replay_version = run_quiet([*replay, "--version"], corpus, replay_env)
                plugins = "".join(replay_version.split())  # it wraps lines, at hyphens too
                if f"{REPLAY_DIST}:" not in plugins or "flake8-arch-lint:" in plugins:
                    raise BenchError(
                        f"{venv} should have the {REPLAY_DIST} plugin and not arch-lint's; "
                        f"its flake8 --version says: {replay_version.strip()}"
                    )
                print(f"         replay flake8: {' '.join(replay)}")

        changed_rel = args.changed_file or pick_changed_file(files)
        editor = Editor(corpus / changed_rel)

        if do_check:
            print(
                f"\narch-lint check ({args.runs} rounds; one-changed edits {changed_rel})",
                flush=True,
            )
            measure_checks(tools, corpus, editor, results, args.runs, floor_list)
            editor.restore()
        else:
            for _ in range(args.runs):
                results.floor.values.append(
                    float(run_quiet([tools.python, "-c", FLOOR_CODE, str(floor_list)], corpus, env))
                )
        if do_check:
            ten = pick_ten(files)
            print(
                f"\nstart-up and {len(ten)} files ({args.runs} rounds, warm cache; "
                f"{STARTUP_REPEAT} --version runs a round): {' '.join(ten)}",
                flush=True,
            )
            measure_small(tools, bare, ten, corpus, results, args.runs)
        if do_flake8:
            print(
                f"\nflake8 -j2 --extend-select ARC . "
                f"({args.runs} rounds; bare, replay, ARC, the order reversed each round)",
                flush=True,
            )
            if do_check:  # warm the index cache the plugin shares with the CLI
                run_quiet(
                    [*tools.arch_lint, "check", "--exit-zero", "--format", "json", "."], corpus, env
                )
            # Untimed: record ARC's findings for the replay plugin, check it replays them all.
            arc_findings = record_findings(tools.flake8, corpus, env)
            files_with = write_replay_findings(arc_findings, findings_file)
            compare_findings(arc_findings, record_findings(replay, corpus, replay_env))
            replayed = len(arc_findings)
            print(
                f"  ARC reports {len(arc_findings)} findings in {files_with} files; "
                "the replay plugin reports the same",
                flush=True,
            )
            measure_flake8(tools, bare, replay, replay_env, corpus, results, args.runs)
        floor_list.unlink(missing_ok=True)
        if do_check and not args.skip_memory:
            if generated is not None:
                sizes = [max(1, args.services // 2), args.services, args.services * 2]
                what = f"{', '.join(map(str, sizes))} services"
            else:
                sizes = [0]  # only the given corpus
                what = "the given corpus"
            print(f"\npeak memory of a cold check --jobs 1 ({what}; one run each)", flush=True)
            base = sizes[1] if generated is not None else 0
            measure_memory(tools, corpus, sizes, base, args, work, results)

        for line in report(results, do_check, do_flake8):
            print(line)
        load = os.getloadavg()
        print(f"\nload average at the end: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
        print("Timings on a small (2-core) machine vary between rounds; compare medians.")
        if args.json:
            payload = {
                "corpus": str(corpus),
                "files": len(every),
                "lines": all_lines,
                "checked_files": len(files),
                "checked_lines": checked_lines,
                "floor": results.floor.values,
                "check": {k: v.values for k, v in results.check.items()},
                "flake8_bare_cpu": results.flake8_bare.values,
                "flake8_replay_cpu": results.flake8_replay.values,
                "flake8_arc_cpu": results.flake8_arc.values,
                "flake8_replayed_findings": replayed,
                "startup": results.startup.values,
                "python_startup": results.python_startup.values,
                "check10": results.check10.values,
                "flake8_10_bare": results.flake8_10_bare.values,
                "flake8_10_arc": results.flake8_10_arc.values,
                "peak_rss_mib": [
                    {"files": f, "checked": c, "mib": mb} for f, c, mb in results.memory
                ],
            }
            args.json.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
    except BenchError as exc:
        print(f"\nbenchmark failed: {exc}", file=sys.stderr)
        return 1
    finally:
        findings_file.unlink(missing_ok=True)
        if editor is not None:
            editor.restore()
        if generated is not None and not args.keep_corpus:
            shutil.rmtree(generated, ignore_errors=True)
        elif generated is not None:
            print(f"corpus kept in {corpus}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
