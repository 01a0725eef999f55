"""The index's recursive questions answer the same in whatever order they are
asked, cycles included (`index/memo.CycleMemo`)."""

from __future__ import annotations

from itertools import permutations

import pytest

from arch_lint.index.memo import CycleMemo

# a graph of "X's answer is built from its successors' answers"
GRAPH = {
    "r": ["a", "b"],  # r, a and b form one cycle: b reaches it through a
    "a": ["r"],
    "b": ["a"],
    "self": ["self"],  # a key that refers to itself
    "out": ["b", "leaf"],  # depends on the cycle from outside
    "leaf": [],
}


def _answers(order: tuple[str, ...]) -> dict[str, str]:
    memo: CycleMemo[str, str] = CycleMemo("cycle")

    def answer(key: str) -> str:
        return memo.get(key, lambda: key + "(" + ",".join(answer(n) for n in GRAPH[key]) + ")")

    for key in order:
        answer(key)
    return {key: answer(key) for key in GRAPH}


def test_every_order_gives_the_same_answers() -> None:
    first = _answers(tuple(GRAPH))
    assert first["r"] == first["a"] == first["b"] == first["self"] == "cycle"
    assert first["out"] == "out(cycle,leaf())"
    for order in permutations(GRAPH):
        assert _answers(order) == first


def test_an_exception_leaves_no_half_answer() -> None:
    memo: CycleMemo[str, str] = CycleMemo("cycle")
    calls = []

    def answer(key: str, fail: bool) -> str:
        def compute() -> str:
            calls.append(key)
            if key == "b" and fail:
                raise KeyboardInterrupt  # a BaseException, as `partial.Incomplete` is
            return key + "(" + ",".join(answer(n, fail) for n in GRAPH[key]) + ")"

        return memo.get(key, compute)

    with pytest.raises(KeyboardInterrupt):
        answer("r", fail=True)
    assert not memo.done
    assert answer("r", fail=False) == "cycle"
    assert memo.done == {"r": "cycle", "a": "cycle", "b": "cycle"}
