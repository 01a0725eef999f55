"""Memos for the index's recursive questions (a name's defining module through
re-exports, a class's kind or configuration through its bases), whose chains
may come back to themselves: a re-export cycle made of `try: from b import x`
fallbacks, bases that resolve in a circle.

Every member of such a cycle answers the same `on_cycle`, whichever member was
asked first, and a question that depends on a cycle from outside gets what its
own rule makes of that answer. Without this, the answers of a cycle's members
would depend on the order the questions come in, and a check of the whole
project would differ from a check of one of its files (or from one that reads
the files in another order).

It is Tarjan's algorithm run along the recursion: a question that reaches one
still being answered lower on the stack joins its cycle; a cycle's answers are
kept once its first member is answered."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class CycleMemo(Generic[K, V]):
    """Answers by key, computed once; see the module's docstring."""

    def __init__(self, on_cycle: V) -> None:
        self.on_cycle = on_cycle
        self.done: dict[K, V] = {}
        self._order: dict[K, int] = {}
        """Keys being answered (or answered inside a cycle not closed yet): their
        place in the order they were entered."""
        self._low: dict[K, int] = {}
        self._stack: list[K] = []
        self._frames: list[K] = []
        self._looped: set[K] = set()

    def get(self, key: K, compute: Callable[[], V]) -> V:
        known = self.done.get(key, self)
        if known is not self:
            return known  # type: ignore[return-value]
        place = self._order.get(key)
        if place is not None:  # the chain came back: a cycle
            if self._frames:
                top = self._frames[-1]
                self._low[top] = min(self._low[top], place)
                if top == key:
                    self._looped.add(key)
            return self.on_cycle
        place = len(self._order)
        self._order[key] = self._low[key] = place
        self._stack.append(key)
        self._frames.append(key)
        try:
            value = compute()
        except BaseException:  # `partial.Incomplete`, or a defect: no answer is kept
            self._forget(key)
            raise
        finally:
            self._frames.pop()
        if self._frames:
            parent = self._frames[-1]
            self._low[parent] = min(self._low[parent], self._low[key])
        if self._low[key] != place:
            return value  # a member of a cycle still open: answered when it closes
        members = []
        while True:
            member = self._stack.pop()
            members.append(member)
            del self._order[member], self._low[member]
            if member == key:
                break
        if len(members) > 1 or key in self._looped:
            for member in members:
                self.done[member] = self.on_cycle
                self._looped.discard(member)
            return self.on_cycle
        self.done[key] = value
        return value

    def _forget(self, key: K) -> None:
        """Drop what was entered from `key` on (the stack above it included)."""
        while self._stack:
            member = self._stack.pop()
            self._order.pop(member, None)
            self._low.pop(member, None)
            self._looped.discard(member)
            if member == key:
                break
