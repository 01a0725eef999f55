"""libcst helpers shared by the rules' fixes (each rule's own transformation
lives in its module, as `FileRule.edit`): appending to call arguments and dict
elements in the layout they already have, and the new dict that merges into a
stored one. Imported only when fixing: libcst costs start-up time.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import libcst as cst

from arch_lint.findings import Fix

SPACE = cst.SimpleWhitespace(" ")
NO_SPACE = cst.SimpleWhitespace("")


Whitespace = cst.BaseParenthesizableWhitespace


def append(
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
            out[-1] = out[-1].with_changes(whitespace_after_arg=NO_SPACE)
            return [*out, new.with_changes(whitespace_after_arg=after)], None
    out[-1] = last.with_changes(comma=cst.Comma(whitespace_after=SPACE))
    return [*out, new], None


def append_arg(call: cst.Call, arg: cst.Arg) -> cst.Call:
    """In a call the whitespace before `)` follows the last argument's comma."""
    args = list(call.args)
    last_comma = args[-1].comma if args else None
    closing = last_comma.whitespace_after if isinstance(last_comma, cst.Comma) else NO_SPACE
    items, bare = append(args, arg, call.whitespace_before_args, closing)
    if bare is not None:
        items[-1] = items[-1].with_changes(comma=cst.Comma(whitespace_after=bare))
    return call.with_changes(args=items)


def existing(fix: Fix) -> cst.StarredDictElement:
    """`**(obj.x or {})`: the stored value, spread first into the new dict."""
    value = cst.parse_expression(f"({fix.data['target']} or {{}})")
    return cst.StarredDictElement(value, comma=cst.Comma(whitespace_after=SPACE))


def new_dict(fix: Fix, elements: list[cst.BaseDictElement]) -> cst.Dict:
    items: list[cst.BaseDictElement] = [existing(fix)]
    for i, element in enumerate(elements):
        last = i == len(elements) - 1
        if not last and not isinstance(element.comma, cst.Comma):
            element = element.with_changes(comma=cst.Comma(whitespace_after=SPACE))
        items.append(element)
    return cst.Dict(items)
