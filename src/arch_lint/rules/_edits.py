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
) -> tuple[list[Any], Whitespace]:
    """Append `new` to call arguments or dict elements in the layout they have.

    `lead` is the whitespace after the opening bracket and `closing` the one
    before the closing bracket (after the last item and its comma, if any);
    the last item's own `whitespace_after_arg` is the caller's to clear when it
    was `closing`. Returns the items and the closing whitespace, which the
    caller puts after the new item.

    The new item follows the last one as the last follows what precedes it: on
    a line of its own, indented as the last item, where that one stands on its
    own line; else inline after `, `. It gets a trailing comma where the last
    item had one. The text around is kept: the edit only inserts (a comma after
    the last item where it had none, then the new item), so a comment after the
    last item stays on its line, the closing bracket stays where it was (on its
    own line or glued to the last item), and no line gains trailing whitespace.
    """
    out = list(items)
    if not out:
        return [new], closing
    last = out[-1]
    trailing = isinstance(last.comma, cst.Comma)
    before = lead if len(out) == 1 else out[-2].comma.whitespace_after
    if isinstance(before, cst.ParenthesizedWhitespace):  # the last item has its own line
        separator: Whitespace = cst.ParenthesizedWhitespace(
            indent=before.indent, last_line=before.last_line
        )
        if isinstance(closing, cst.ParenthesizedWhitespace):
            # the new line goes right after the last item's line (its comment
            # stays there); blank lines and the bracket's indentation follow it
            separator = separator.with_changes(first_line=closing.first_line)
            closing = closing.with_changes(first_line=cst.TrailingWhitespace())
    elif len(out) > 1 and isinstance(before, cst.SimpleWhitespace) and "\\" not in before.value:
        separator = before  # inline, spaced as the items before
    else:
        separator = SPACE
    comma = last.comma if trailing else cst.Comma()
    out[-1] = last.with_changes(comma=comma.with_changes(whitespace_after=separator))
    if trailing:
        new = new.with_changes(comma=cst.Comma())
    return [*out, new], closing


def append_arg(call: cst.Call, arg: cst.Arg) -> cst.Call:
    """`append` for a call, whose whitespace before `)` sits on its last argument:
    after its comma, or (without one) after its value."""
    args = list(call.args)
    if not args:
        return call.with_changes(args=[arg])
    last = args[-1]
    if isinstance(last.comma, cst.Comma):
        closing = last.comma.whitespace_after
    else:
        closing = last.whitespace_after_arg
        args[-1] = last.with_changes(whitespace_after_arg=NO_SPACE)
    items, closing = append(args, arg, call.whitespace_before_args, closing)
    new = items[-1]
    if isinstance(new.comma, cst.Comma):
        items[-1] = new.with_changes(comma=new.comma.with_changes(whitespace_after=closing))
    else:
        items[-1] = new.with_changes(whitespace_after_arg=closing)
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
