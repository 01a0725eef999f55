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
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider

from arch_lint.engine.text import decode
from arch_lint.findings import Finding, Fix


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
    if (
        isinstance(last.comma, cst.Comma)
        and isinstance(lead, cst.ParenthesizedWhitespace)
        and isinstance(closing, cst.ParenthesizedWhitespace)
    ):
        kept = closing.with_changes(indent=lead.indent, last_line=lead.last_line)
        out[-1] = last.with_changes(comma=last.comma.with_changes(whitespace_after=kept))
        bare = cst.ParenthesizedWhitespace(indent=closing.indent, last_line=closing.last_line)
        return [*out, new.with_changes(comma=cst.Comma())], bare
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
    METADATA_DEPENDENCIES = (PositionProvider,)

    def __init__(self, fixes: dict[tuple[int, int], Fix]) -> None:
        super().__init__()
        self.fixes = fixes
        self.applied = 0

    def _statement(
        self, original_node: cst.BaseSmallStatement, updated_node: cst.BaseSmallStatement
    ) -> cst.BaseSmallStatement:
        where = self.get_metadata(PositionProvider, original_node)
        fix = self.fixes.get((where.start.line, where.start.column + 1))
        transform = STATEMENT_TRANSFORMS.get(fix.kind) if fix is not None else None
        if fix is None or transform is None:
            return updated_node
        changed = transform(updated_node, fix)
        if changed is not updated_node:
            self.applied += 1
        return changed

    def leave_Assign(
        self, original_node: cst.Assign, updated_node: cst.Assign
    ) -> cst.BaseSmallStatement:
        return self._statement(original_node, updated_node)

    def leave_Expr(self, original_node: cst.Expr, updated_node: cst.Expr) -> cst.BaseSmallStatement:
        return self._statement(original_node, updated_node)

    def leave_Call(self, original_node: cst.Call, updated_node: cst.Call) -> cst.BaseExpression:
        where = self.get_metadata(PositionProvider, original_node)
        fix = self.fixes.get((where.start.line, where.start.column + 1))
        if fix is None:
            return updated_node
        end = fix.data.get("end")
        if end is not None and end != f"{where.end.line}:{where.end.column}":
            return updated_node  # `a(...).info(...)`: the inner call starts there too
        transform = TRANSFORMS.get(fix.kind)
        if transform is None:
            return updated_node
        changed = transform(updated_node, fix)
        if changed is not updated_node:
            self.applied += 1
        return changed


def fixable(findings: list[Finding], unsafe: bool) -> list[Finding]:
    return [f for f in findings if f.fix is not None and (f.fix.safe or unsafe)]


def apply_fixes(root: Path, findings: list[Finding], *, unsafe: bool, diff: bool) -> FixReport:
    """Apply the fixes of `findings` (safe ones, or all with `unsafe`)."""
    report = FixReport()
    by_path: dict[str, dict[tuple[int, int], Fix]] = {}
    for finding in fixable(findings, unsafe):
        assert finding.fix is not None
        by_path.setdefault(finding.path, {})[(finding.fix.line, finding.fix.column)] = finding.fix
    for path, fixes in sorted(by_path.items()):
        target = root / path
        try:
            source = target.read_bytes()
            module = cst.parse_module(source)
        except (OSError, cst.ParserSyntaxError) as exc:
            report.failed.append((path, str(exc).splitlines()[0]))
            continue
        transformer = _Transformer(fixes)
        new = MetadataWrapper(module).visit(transformer)
        new_source = new.bytes
        if new_source == source:
            continue
        problem = parse_problem(new_source)
        if problem is not None:  # never leave a file that does not parse
            report.failed.append((path, f"the fixed file would not parse: {problem}"))
            continue
        report.fixed += transformer.applied
        report.files.append(path)
        if diff:
            report.diffs.append(_diff(path, source, new_source))
        else:
            _write_atomically(target, new_source)
    return report


def parse_problem(source: bytes) -> str | None:
    """Why `source` does not parse, or None."""
    try:
        ast.parse(source)
    except (SyntaxError, ValueError) as exc:
        return getattr(exc, "msg", str(exc))
    return None


def _diff(path: str, old: bytes, new: bytes) -> str:
    lines = difflib.unified_diff(
        decode(old).splitlines(keepends=True),
        decode(new).splitlines(keepends=True),
        fromfile=f"a/{path}",
        tofile=f"b/{path}",
    )
    return "".join(lines)


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
