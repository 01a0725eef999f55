"""The baseline: today's violations, recorded so that only new ones fail.

The file (`arch-lint-baseline.json` by default) is deterministic JSON, one
entry per recorded finding, sorted; the format is in `docs/baseline.md`:

    {"version": 1, "tool": "arch-lint", "entries": [
      {"fingerprint": "…", "code": "ARC101", "path": "services/orders/api.py",
       "message": "…"}]}

Entries are matched by fingerprint (see `fingerprint.py`) and counted as a
multiset: two recorded findings with one fingerprint hide two. The CLI and the
flake8 plugin share `load`, `filter` and `dump`.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from arch_lint.findings import Finding
from arch_lint.source import decode, read_regular

VERSION = 1
DEFAULT_FILE = "arch-lint-baseline.json"


class BaselineError(ValueError):
    """A baseline file that cannot be read or is not a baseline (a usage error)."""


@dataclass
class Baseline:
    counts: Counter[str] = field(default_factory=Counter)
    """Fingerprint -> how many findings it hides."""
    where: dict[str, tuple[str, str]] = field(default_factory=dict)
    """Fingerprint -> (path, code) of its entry: which run can judge it stale."""


def load(path: Path) -> Baseline:
    """Read a baseline file; anything that is not one raises `BaselineError`."""
    try:
        text = decode(read_regular(path))
    except OSError as exc:
        raise BaselineError(f"{path}: cannot read the baseline: {exc.strerror or exc}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise BaselineError(
            f"{path}:{exc.lineno}:{exc.colno}: not a baseline (invalid JSON: {exc.msg}); "
            "`arch-lint baseline` writes one"
        ) from None
    if not isinstance(data, dict) or "entries" not in data:
        raise BaselineError(
            f'{path}: not a baseline (no "entries"); `arch-lint baseline` writes one'
        )
    if data.get("version") != VERSION:
        raise BaselineError(
            f"{path}: baseline version {data.get('version')!r} is not {VERSION}, the one "
            "this arch-lint reads; `arch-lint baseline` writes it again"
        )
    entries = data["entries"]
    if not isinstance(entries, list):
        raise BaselineError(f'{path}: "entries" is not a list')
    baseline = Baseline()
    for i, entry in enumerate(entries):
        if not (
            isinstance(entry, dict)
            and isinstance(entry.get("fingerprint"), str)
            and isinstance(entry.get("path", ""), str)
            and isinstance(entry.get("code", ""), str)
        ):
            raise BaselineError(
                f'{path}: entry {i} is not {{"fingerprint": str, "code": str, "path": str}}'
            )
        fingerprint = entry["fingerprint"]
        baseline.counts[fingerprint] += 1
        baseline.where[fingerprint] = (entry.get("path", ""), entry.get("code", ""))
    return baseline


def filter(
    findings: Sequence[Finding],
    fingerprints: Sequence[str],
    baseline: Baseline,
    judged: Callable[[str, str], bool] | None = None,
) -> tuple[list[Finding], int]:
    """(the findings the baseline does not hide, how many entries are stale).

    `judged(path, code)` says whether this run could have found an entry's
    finding (its file was checked, its code selected); entries it could not
    are never stale. None: every entry is judged."""
    left = Counter(baseline.counts)
    kept = []
    for finding, fingerprint in zip(findings, fingerprints, strict=True):
        if left[fingerprint] > 0:
            left[fingerprint] -= 1
        else:
            kept.append(finding)
    stale = sum(
        n
        for fingerprint, n in left.items()
        if n > 0 and (judged is None or judged(*baseline.where.get(fingerprint, ("", ""))))
    )
    return kept, stale


def dump(findings: Sequence[Finding], fingerprints: Sequence[str]) -> str:
    """The baseline file's text for these findings (deterministic)."""
    entries = sorted(
        (
            {"code": f.code, "fingerprint": fp, "message": f.message, "path": f.path}
            for f, fp in zip(findings, fingerprints, strict=True)
        ),
        key=lambda e: (e["path"], e["code"], e["fingerprint"]),
    )
    data = {"version": VERSION, "tool": "arch-lint", "entries": entries}
    return json.dumps(data, indent=2, ensure_ascii=False, sort_keys=True) + "\n"


def stale_message(stale: int) -> str:
    if stale == 1:
        return "1 baseline entry is fixed; `arch-lint baseline` drops it"
    return f"{stale} baseline entries are fixed; `arch-lint baseline` drops them"
