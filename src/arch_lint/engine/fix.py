"""The fix engine: findings' fixes carried out as libcst tree transformations.

Only files with fixable findings are parsed with libcst (its lossless round trip
keeps every comment and space). Each file is transformed once for all its
fixes; the result must parse with `ast` or the file is left alone; it is written
atomically (a temporary file in the same folder, then `os.replace`). Fixes are
idempotent: a fixed call carries the id, so a second run finds nothing to do.
"""

from __future__ import annotations

import ast
import difflib
import os
import stat
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider

from arch_lint.findings import Finding, Fix
from arch_lint.index.build import content_hash
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


_SPACE = cst.SimpleWhitespace(" ")
_NO_SPACE = cst.SimpleWhitespace("")


Whitespace = cst.BaseParenthesizableWhitespace


def _append(
    items: Sequence[Any], new: Any, lead: Whitespace, closing: Whitespace
) -> tuple[list[Any], Whitespace | None]:
    """Append to call arguments or dict elements in the layout they already have.

    `lead` is the whitespace after the opening bracket, `closing` the one before
    the closing bracket. Items one per line with a trailing comma stay so: the
    new item goes on its own line, indented as the first one, and a comment
    after the last item stays on that item's line; the new closing whitespace
    is returned (None: unchanged). Otherwise the new item follows inline."""
    out = list(items)
    if not out:
        return [new], None
    last = out[-1]
    if isinstance(lead, cst.ParenthesizedWhitespace):  # one item per line
        if isinstance(last.comma, cst.Comma) and isinstance(
            closing, cst.ParenthesizedWhitespace
        ):  # ... and a trailing comma: the new item gets one too
            kept = closing.with_changes(indent=lead.indent, last_line=lead.last_line)
            out[-1] = last.with_changes(comma=last.comma.with_changes(whitespace_after=kept))
            bare = cst.ParenthesizedWhitespace(indent=closing.indent, last_line=closing.last_line)
            return [*out, new.with_changes(comma=cst.Comma())], bare
        if not isinstance(last.comma, cst.Comma):
            # No trailing comma: the new item goes on a line of its own, and
            # whatever stood before the closing bracket now follows it.
            line = cst.ParenthesizedWhitespace(indent=lead.indent, last_line=lead.last_line)
            # in a call, the whitespace before `)` sits on the last argument
            is_arg = isinstance(last, cst.Arg)
            after = last.whitespace_after_arg if is_arg else closing
            if isinstance(after, cst.ParenthesizedWhitespace):
                # a comment after the last item stays on that item's line
                line = line.with_changes(first_line=after.first_line)
                after = after.with_changes(first_line=cst.TrailingWhitespace())
            out[-1] = last.with_changes(comma=cst.Comma(whitespace_after=line))
            if not is_arg:
                return [*out, new], after
            out[-1] = out[-1].with_changes(whitespace_after_arg=_NO_SPACE)
            return [*out, new.with_changes(whitespace_after_arg=after)], None
    out[-1] = last.with_changes(comma=cst.Comma(whitespace_after=_SPACE))
    return [*out, new], None


def _append_arg(call: cst.Call, arg: cst.Arg) -> cst.Call:
    """In a call the whitespace before `)` follows the last argument's comma."""
    args = list(call.args)
    last_comma = args[-1].comma if args else None
    closing = last_comma.whitespace_after if isinstance(last_comma, cst.Comma) else _NO_SPACE
    items, bare = _append(args, arg, call.whitespace_before_args, closing)
    if bare is not None:
        items[-1] = items[-1].with_changes(comma=cst.Comma(whitespace_after=bare))
    return call.with_changes(args=items)


def _add_correlation_id(call: cst.Call, fix: Fix) -> cst.Call:
    key, expr = fix.data["key"], fix.data["expr"]
    value = cst.parse_expression(expr)
    equal = cst.AssignEqual(whitespace_before=_NO_SPACE, whitespace_after=_NO_SPACE)
    if fix.data.get("style") == "keyword":
        if any(a.keyword is not None and a.keyword.value == key for a in call.args):
            return call
        return _append_arg(call, cst.Arg(value=value, keyword=cst.Name(key), equal=equal))
    element = cst.DictElement(cst.SimpleString(f'"{key}"'), value)
    args = list(call.args)
    for i, arg in enumerate(args):
        if arg.keyword is not None and arg.keyword.value == "extra":
            if not isinstance(arg.value, cst.Dict):
                return call  # built elsewhere: the rule does not offer a fix then
            extra = arg.value
            rbrace = extra.rbrace
            lead = extra.lbrace.whitespace_after
            elements, bare = _append(extra.elements, element, lead, rbrace.whitespace_before)
            if bare is not None:  # in a dict the whitespace before `}` sits on the brace
                rbrace = rbrace.with_changes(whitespace_before=bare)
            new_extra = extra.with_changes(elements=elements, rbrace=rbrace)
            args[i] = arg.with_changes(value=new_extra)
            return call.with_changes(args=args)
    extra_arg = cst.Arg(value=cst.Dict([element]), keyword=cst.Name("extra"), equal=equal)
    return _append_arg(call, extra_arg)


TRANSFORMS: dict[str, Callable[[cst.Call, Fix], cst.Call]] = {
    "add-correlation-id": _add_correlation_id,
}


def _existing(fix: Fix) -> cst.StarredDictElement:
    """`**(obj.x or {})`: the stored value, spread first into the new dict."""
    value = cst.parse_expression(f"({fix.data['target']} or {{}})")
    return cst.StarredDictElement(value, comma=cst.Comma(whitespace_after=_SPACE))


def _new_dict(fix: Fix, elements: list[cst.BaseDictElement]) -> cst.Dict:
    items: list[cst.BaseDictElement] = [_existing(fix)]
    for i, element in enumerate(elements):
        last = i == len(elements) - 1
        if not last and not isinstance(element.comma, cst.Comma):
            element = element.with_changes(comma=cst.Comma(whitespace_after=_SPACE))
        items.append(element)
    return cst.Dict(items)


def _merge_into_existing(stmt: cst.BaseSmallStatement, fix: Fix) -> cst.BaseSmallStatement:
    """ARC406: `obj.x = {...}` -> `obj.x = {**(obj.x or {}), ...}`; any other new
    value `v` -> `{**(obj.x or {}), **v}`."""
    if not isinstance(stmt, cst.Assign):
        return stmt
    value = stmt.value
    if isinstance(value, cst.Dict):
        lead = value.lbrace.whitespace_after
        existing = _existing(fix)
        if isinstance(lead, cst.ParenthesizedWhitespace):  # one element per line
            bare = cst.ParenthesizedWhitespace(indent=lead.indent, last_line=lead.last_line)
            existing = existing.with_changes(comma=cst.Comma(whitespace_after=bare))
        return stmt.with_changes(value=value.with_changes(elements=[existing, *value.elements]))
    if (
        isinstance(value, cst.Call)
        and isinstance(value.func, cst.Name)
        and value.func.value == "dict"
        and all(a.keyword is not None for a in value.args)
    ):  # dict(k=v) -> "k": v
        elements: list[cst.BaseDictElement] = [
            cst.DictElement(cst.SimpleString(f'"{a.keyword.value}"'), a.value)
            for a in value.args
            if a.keyword is not None
        ]
        return stmt.with_changes(value=_new_dict(fix, elements))
    return stmt.with_changes(value=_new_dict(fix, [cst.StarredDictElement(value)]))


def _json_set_key(stmt: cst.BaseSmallStatement, fix: Fix) -> cst.BaseSmallStatement:
    """ARC407: `obj.x[k] = v` -> `obj.x = {**(obj.x or {}), k: v}`."""
    if not (isinstance(stmt, cst.Assign) and len(stmt.targets) == 1):
        return stmt
    target = stmt.targets[0].target
    if not (isinstance(target, cst.Subscript) and len(target.slice) == 1):
        return stmt
    index = target.slice[0].slice
    if not isinstance(index, cst.Index):
        return stmt
    element = cst.DictElement(index.value, stmt.value)
    new_target = stmt.targets[0].with_changes(target=target.value)
    return stmt.with_changes(targets=[new_target], value=_new_dict(fix, [element]))


def _json_update(stmt: cst.BaseSmallStatement, fix: Fix) -> cst.BaseSmallStatement:
    """ARC407: `obj.x.update(m, k=v)` -> `obj.x = {**(obj.x or {}), **m, "k": v}`
    (a dict literal argument is spread as its own elements)."""
    if not (isinstance(stmt, cst.Expr) and isinstance(stmt.value, cst.Call)):
        return stmt
    call = stmt.value
    if not isinstance(call.func, cst.Attribute):
        return stmt
    elements: list[cst.BaseDictElement] = []
    for arg in call.args:
        if arg.keyword is not None:
            key = cst.SimpleString(f'"{arg.keyword.value}"')
            elements.append(cst.DictElement(key, arg.value))
        elif arg.star:
            return stmt
        elif isinstance(arg.value, cst.Dict):
            inner = list(arg.value.elements)
            if inner:
                inner[-1] = inner[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
            elements.extend(inner)
        else:
            elements.append(cst.StarredDictElement(arg.value))
    if elements:
        last = elements[-1]
        elements[-1] = last.with_changes(comma=cst.MaybeSentinel.DEFAULT)
    target = call.func.value
    if not isinstance(target, cst.BaseAssignTargetExpression):
        return stmt
    return cst.Assign(
        targets=[cst.AssignTarget(target)],
        value=_new_dict(fix, elements),
        semicolon=stmt.semicolon,
    )


STATEMENT_TRANSFORMS: dict[str, Callable[[cst.BaseSmallStatement, Fix], cst.BaseSmallStatement]] = {
    "merge-into-existing": _merge_into_existing,
    "json-set-key": _json_set_key,
    "json-update": _json_update,
}


class _Transformer(cst.CSTTransformer):
    """Carries out each fix at the node whose span (start and end) is the one
    the finding named and whose text is the text checked there; a fix whose
    node is not found, or whose transformation changes nothing, is missing
    from `applied` (and then nothing of the file is written)."""

    METADATA_DEPENDENCIES = (PositionProvider,)

    def __init__(self, module: cst.Module, fixes: dict[_Span, Fix], text: _Text) -> None:
        super().__init__()
        self.module = module
        self.fixes = fixes
        self.text = text
        self.applied: set[_Span] = set()

    def _fix_at(self, node: cst.CSTNode) -> tuple[_Span, Fix] | None:
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

    def _statement(
        self, original_node: cst.BaseSmallStatement, updated_node: cst.BaseSmallStatement
    ) -> cst.BaseSmallStatement:
        found = self._fix_at(original_node)
        transform = STATEMENT_TRANSFORMS.get(found[1].kind) if found is not None else None
        if found is None or transform is None:
            return updated_node
        changed = transform(updated_node, found[1])
        if changed is not updated_node:
            self.applied.add(found[0])
        return changed

    def leave_Assign(
        self, original_node: cst.Assign, updated_node: cst.Assign
    ) -> cst.BaseSmallStatement:
        return self._statement(original_node, updated_node)

    def leave_Expr(self, original_node: cst.Expr, updated_node: cst.Expr) -> cst.BaseSmallStatement:
        return self._statement(original_node, updated_node)

    def leave_Call(self, original_node: cst.Call, updated_node: cst.Call) -> cst.BaseExpression:
        found = self._fix_at(original_node)
        transform = TRANSFORMS.get(found[1].kind) if found is not None else None
        if found is None or transform is None:
            return updated_node
        changed = transform(updated_node, found[1])
        if changed is not updated_node:
            self.applied.add(found[0])
        return changed


def _squeezed(code: str) -> str:
    return "".join(code.split())


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
    by_path: dict[str, dict[_Span, Fix]] = {}
    for finding in fixable(findings, unsafe):
        assert finding.fix is not None
        by_path.setdefault(finding.path, {})[_span(finding.fix)] = finding.fix
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
    fixes = {_span(finding.fix): finding.fix}
    try:
        outcome = _fix_file(root, finding.path, fixes, None)
    except Exception:  # as in apply_fixes: a refusal, never a crash
        return None
    if isinstance(outcome, str):
        return None
    _, source, new_source, _ = outcome
    return source, new_source


def _fix_file(
    root: Path, path: str, fixes: dict[_Span, Fix], digest: str | None
) -> str | tuple[Path, bytes, bytes, int]:
    """(the real file, its source, the fixed source, fixes applied), or why not."""
    target = _inside(root, root / path)
    if target is None:
        return "a symbolic link that leaves the project; not fixed"
    try:
        source = read_regular(target)
    except OSError as exc:
        return f"cannot read the file: {exc.strerror or exc}"
    if digest is not None and content_hash(source) != digest:
        return "the file changed since it was checked; run arch-lint again"
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
    return target, source, new_source, len(fixes)


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


def _inside(root: Path, path: Path) -> Path | None:
    """The real file behind `path` (symbolic links followed) when it lies inside
    the project, else None: a fix writes through a link, never out of the tree."""
    real = path.resolve()
    try:
        real.relative_to(root.resolve())
    except ValueError:
        return None
    return real


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
