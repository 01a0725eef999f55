"""The fix engine: it carries out findings' fixes, knowing no rule by name.

A rule owns its fix: `FileRule.edit` is the libcst transformation of the node
its `fix_node` names (a call, or a small statement). The engine finds that node
by the span and text the finding recorded, runs the owning rule's `edit` on it,
and decides whether the file may be written. Only files with fixable findings
are parsed with libcst (its lossless round trip keeps every comment and space).
Each file is transformed once for all its fixes; the result must parse with
`ast` or the file is left alone; it is written atomically (a temporary file in
the same folder, then `os.replace`). Fixes are idempotent: a fixed call carries
the id, so a second run finds nothing to do.
"""

from __future__ import annotations

import ast
import difflib
import os
import stat
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar, cast

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider

from arch_lint.findings import Finding, Fix
from arch_lint.index.build import content_hash
from arch_lint.rules import BY_CODE, Rule
from arch_lint.source import decode, line_starts, read_regular

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: no advisory locks
    fcntl = None  # type: ignore[assignment]


@dataclass
class FixReport:
    fixed: int = 0
    files: list[str] = field(default_factory=list)
    diffs: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)
    """(path, why) of files whose fixes were not applied."""


class _Transformer(cst.CSTTransformer):
    """Carries out each fix at the node whose span (start and end) is the one
    the finding named and whose text is the text checked there; a fix whose
    node is not found, or whose transformation changes nothing, is missing
    from `applied` (and then nothing of the file is written)."""

    METADATA_DEPENDENCIES = (PositionProvider,)

    def __init__(self, module: cst.Module, fixes: dict[_Span, _Planned], text: _Text) -> None:
        super().__init__()
        self.module = module
        self.fixes = fixes
        self.text = text
        self.applied: set[_Span] = set()

    def _fix_at(self, node: cst.CSTNode) -> tuple[_Span, _Planned] | None:
        where = self.get_metadata(PositionProvider, node)
        span = (where.start.line, where.start.column, where.end.line, where.end.column)
        fix = self.fixes.get(span)
        if fix is None or span in self.applied:
            return None
        checked = self.text.between(span)
        if getattr(node, "lpar", None):  # positions leave out the parentheses, code does not
            node = node.with_changes(lpar=[], rpar=[])
        if isinstance(getattr(node, "semicolon", None), cst.Semicolon):  # and the `;` after
            node = node.with_changes(semicolon=cst.MaybeSentinel.DEFAULT)
        # The node's own code has no indentation of its surroundings, so the
        # two are compared without whitespace: the same text at the same span.
        if checked is None or _squeezed(self.module.code_for_node(node)) != _squeezed(checked):
            return None  # another node at that place: never guess
        return span, fix

    def _apply(
        self, original_node: cst.CSTNode, updated_node: NodeT, target: str
    ) -> NodeT | cst.CSTNode:
        found = self._fix_at(original_node)
        if found is None:
            return updated_node
        span, (rule, fix) = found
        if rule.fix_node != target:
            return updated_node
        changed: cst.CSTNode = rule.edit(updated_node, fix)
        if changed is not updated_node:
            self.applied.add(span)
        return changed

    def leave_Assign(
        self, original_node: cst.Assign, updated_node: cst.Assign
    ) -> cst.BaseSmallStatement:
        return cast(cst.BaseSmallStatement, self._apply(original_node, updated_node, "statement"))

    def leave_Expr(self, original_node: cst.Expr, updated_node: cst.Expr) -> cst.BaseSmallStatement:
        return cast(cst.BaseSmallStatement, self._apply(original_node, updated_node, "statement"))

    def leave_Call(self, original_node: cst.Call, updated_node: cst.Call) -> cst.BaseExpression:
        return cast(cst.BaseExpression, self._apply(original_node, updated_node, "call"))


def _squeezed(code: str) -> str:
    return "".join(code.split())


_Planned = tuple[type[Rule], Fix]
"""A fix and the rule that owns its transformation."""
NodeT = TypeVar("NodeT", bound=cst.CSTNode)

_Span = tuple[int, int, int, int]
"""(start line, start column, end line, end column): lines 1-based, columns
0-based characters, the end exclusive (libcst's positions)."""


class _Text:
    """The checked text with its line starts as Python's tokenizer counts lines."""

    def __init__(self, source: bytes) -> None:
        self.text = decode(source)
        self.starts = line_starts(self.text)

    def between(self, span: _Span) -> str | None:
        first, col, last, end_col = span
        if not (1 <= first <= last <= len(self.starts)):
            return None
        return self.text[self.starts[first - 1] + col : self.starts[last - 1] + end_col]


def _span(fix: Fix) -> _Span:
    """Where the fix's node starts and ends, as libcst counts positions."""
    return (fix.line, fix.column - 1, fix.end_line, fix.end_column - 1)


def fixable(findings: list[Finding], unsafe: bool) -> list[Finding]:
    return [f for f in findings if f.fix is not None and (f.fix.safe or unsafe)]


def apply_fixes(
    root: Path,
    findings: list[Finding],
    *,
    unsafe: bool,
    diff: bool,
    checked: Mapping[str, str] | None = None,
) -> FixReport:
    """Apply the fixes of `findings` (safe ones, or all with `unsafe`).

    `checked` maps a path to the content hash of the source its findings came
    from: a file that changed since is left alone. A file is written only when
    libcst reproduces it byte for byte, every fix found its node, and the result
    parses; it is written atomically, after its content is checked once more
    under a lock (two runs at once never apply a fix twice).
    """
    report = FixReport()
    by_path: dict[str, dict[_Span, _Planned]] = {}
    for finding in fixable(findings, unsafe):
        assert finding.fix is not None
        planned = (BY_CODE[finding.code], finding.fix)
        by_path.setdefault(finding.path, {})[_span(finding.fix)] = planned
    for path, fixes in sorted(by_path.items()):
        try:
            outcome = _fix_file(root, path, fixes, None if checked is None else checked.get(path))
        except (RecursionError, MemoryError):
            outcome = "too deeply nested for libcst; fix it by hand"
        except Exception as exc:  # a defect of arch-lint's costs this file, not the run
            outcome = f"internal error ({type(exc).__name__}: {exc}); nothing written"
        if isinstance(outcome, str):
            report.failed.append((path, outcome))
            continue
        target, source, new_source, applied = outcome
        if diff:
            report.diffs.append(_diff(path, source, new_source))
        else:
            problem = _write_if_unchanged(target, source, new_source)
            if problem is not None:
                report.failed.append((path, problem))
                continue
        report.fixed += applied
        report.files.append(path)
    return report


def preview(root: Path, finding: Finding) -> tuple[bytes, bytes] | None:
    """(the file's source, the source with this finding's fix applied), nothing
    written; None where the engine would refuse the fix (see `apply_fixes`)."""
    if finding.fix is None:
        return None
    fixes = {_span(finding.fix): (BY_CODE[finding.code], finding.fix)}
    try:
        outcome = _fix_file(root, finding.path, fixes, None)
    except Exception:  # as in apply_fixes: a refusal, never a crash
        return None
    if isinstance(outcome, str):
        return None
    _, source, new_source, _ = outcome
    return source, new_source


def _fix_file(
    root: Path, path: str, fixes: dict[_Span, _Planned], digest: str | None
) -> str | tuple[Path, bytes, bytes, int]:
    """(the real file, its source, the fixed source, fixes applied), or why not."""
    read = read_project_file(root, path)
    if isinstance(read, str):
        return read
    target, source = read
    if digest is not None and content_hash(source) != digest:
        return "the file changed since it was checked; run arch-lint again"
    fixed = _fix_source(source, fixes)
    if isinstance(fixed, str):
        return fixed
    return target, source, fixed, len(fixes)


def fixed_source(source: bytes, findings: list[Finding], *, unsafe: bool) -> bytes | str:
    """`source` (one file's content, an editor's buffer, say) with the fixes of
    `findings` applied (the safe ones, or all with `unsafe`), nothing written;
    or why the engine refuses them, as `apply_fixes` would."""
    fixes = {_span(f.fix): (BY_CODE[f.code], f.fix) for f in fixable(findings, unsafe) if f.fix}
    if not fixes:
        return "nothing to fix"
    try:
        return _fix_source(source, fixes)
    except (RecursionError, MemoryError):
        return "too deeply nested for libcst; fix it by hand"
    except Exception as exc:  # as in apply_fixes: a refusal, never a crash
        return f"internal error ({type(exc).__name__}: {exc})"


def _fix_source(source: bytes, fixes: dict[_Span, _Planned]) -> bytes | str:
    """The fixed source, or why not (see `apply_fixes`)."""
    try:
        module = cst.parse_module(source)
    except cst.ParserSyntaxError as exc:
        first = str(exc).splitlines()[0]
        return f"libcst cannot parse this file ({first}); fix it by hand"
    except (RecursionError, MemoryError):
        return "libcst cannot parse this file (too deeply nested); fix it by hand"
    if module.bytes != source:
        return (
            "libcst does not reproduce this file byte for byte (a line holding only a "
            "backslash, say), so a fix could land elsewhere; fix it by hand"
        )
    transformer = _Transformer(module, fixes, _Text(source))
    new_source = MetadataWrapper(module, unsafe_skip_copy=True).visit(transformer).bytes
    missing = len(fixes) - len(transformer.applied)
    if missing:
        return (
            f"{missing} of {len(fixes)} fixes did not find the code they were made for; "
            "nothing written"
        )
    problem = parse_problem(new_source)
    if problem is not None:  # never leave a file that does not parse
        return f"the fixed file would not parse: {problem}"
    return new_source


def parse_problem(source: bytes) -> str | None:
    """Why `source` does not parse, or None."""
    try:
        ast.parse(source)
    except (SyntaxError, ValueError) as exc:
        return getattr(exc, "msg", str(exc))
    return None


def _diff(path: str, old: bytes, new: bytes) -> str:
    """A unified diff `git apply` takes: a last line without a line break is
    marked as git marks it."""
    lines = difflib.unified_diff(
        decode(old).splitlines(keepends=True),
        decode(new).splitlines(keepends=True),
        fromfile=f"a/{path}",
        tofile=f"b/{path}",
    )
    return "".join(
        line if line.endswith(("\n", "\r")) else line + "\n\\ No newline at end of file\n"
        for line in lines
    )


def read_project_file(root: Path, path: str) -> tuple[Path, bytes] | str:
    """(the real file behind `path`, its bytes) for a change to it, or why it
    may not be changed: a link that leaves the project, a file that cannot be
    read or is not a regular file."""
    target = _inside(root, root / path)
    if target is None:
        return "a symbolic link that leaves the project; not changed"
    try:
        return target, read_regular(target)
    except OSError as exc:
        return f"cannot read the file: {exc.strerror or exc}"


def _inside(root: Path, path: Path) -> Path | None:
    """The real file behind `path` (symbolic links followed) when it lies inside
    the project, else None: a fix writes through a link, never out of the tree."""
    real = path.resolve()
    return real if real.is_relative_to(root.resolve()) else None


def _write_if_unchanged(target: Path, source: bytes, data: bytes) -> str | None:
    """Replace `target`'s content `source` by `data`, unless it changed meanwhile.

    Under an exclusive lock on the file: a second run waiting for the lock then
    reads the new content, sees that it is not what it checked, and writes
    nothing."""
    try:
        fd = os.open(target, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        return f"cannot open the file: {exc.strerror or exc}"
    try:
        if fcntl is not None:
            fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            current = read_regular(target)
        except OSError as exc:
            return f"cannot read the file: {exc.strerror or exc}"
        if current != source:
            return "the file changed while it was being fixed; run arch-lint again"
        try:
            _write_atomically(target, data)
        except OSError as exc:
            return f"cannot write the file: {exc.strerror or exc}"
        return None
    finally:
        os.close(fd)  # closing releases the lock


def _write_atomically(target: Path, data: bytes) -> None:
    mode = stat.S_IMODE(target.stat().st_mode)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
