"""A fast walk of `ast` trees (child fields per node type computed once,
expression contexts skipped); shared by the engine's batched traversal and
rules that walk a scope themselves."""

from __future__ import annotations

import ast
from collections.abc import Iterator

_CHILDREN: dict[type[ast.AST], tuple[str, ...]] = {}
_NODE = ast.AST


def child_fields(kind: type[ast.AST]) -> tuple[str, ...]:
    names = _CHILDREN.get(kind)
    if names is None:
        names = tuple(f for f in kind._fields if f != "ctx")
        _CHILDREN[kind] = names
    return names


def children(node: ast.AST) -> Iterator[ast.AST]:
    for name in child_fields(type(node)):
        value = getattr(node, name, None)
        if type(value) is list:
            for item in value:
                if isinstance(item, _NODE):
                    yield item
        elif isinstance(value, _NODE):
            yield value


def push_children(node: ast.AST, stack: list[ast.AST]) -> None:
    """Push the children of `node` onto `stack` (the walk's inner loop)."""
    for name in child_fields(type(node)):
        value = getattr(node, name, None)
        if type(value) is list:
            stack.extend([v for v in value if isinstance(v, _NODE)])
        elif isinstance(value, _NODE):
            stack.append(value)
