"""The facts of a project while its index is being built, for checking a file
while its tree is at hand (SPEC §6: a tree lives only while its file is being
checked, so a file checked here is not parsed a second time).

A question whose answer needs the facts of a file not yet read raises
`Incomplete`: the caller then checks that file again once the index is whole.
An answer given here is the one the whole index gives, because the facts of a
file never change once read, and the set of files is known from the start."""

from __future__ import annotations

from collections.abc import ItemsView, Iterator, Mapping, ValuesView

from arch_lint.index.facts import FileFacts


class Incomplete(BaseException):
    """A question needed the facts of a file that is not read yet.

    A `BaseException`, so that no `except Exception` of a rule swallows it."""


class PartialFacts(Mapping[str, FileFacts]):
    """A read-only view of the facts read so far, over the set of files that
    will have facts (`expected`): the keys are known, a value only once read."""

    def __init__(
        self,
        facts: Mapping[str, FileFacts],
        expected: frozenset[str],
        lacking: Mapping[str, frozenset[str]] | None = None,
    ) -> None:
        self._facts = facts
        self._expected = expected
        self._lacking = lacking or {}
        """Path -> parts of its facts its bytes cannot hold (the build read them
        ahead: `correlation.cannot_hold`, `facts.cannot_hold`)."""
        self._holders: dict[str, list[str]] = {}
        """Part -> the paths whose bytes may hold it, sorted (`holding`)."""

    def lacks(self, path: str, part: str) -> bool:
        """Whether a file not read yet surely has no such part of its facts (a
        file read is judged by its facts, not this)."""
        return path not in self._facts and part in self._lacking.get(path, ())

    def holding(self, part: str) -> Iterator[tuple[str, FileFacts]]:
        """See `holding`. A file whose bytes cannot hold the part is left out
        whether it is read or not: its facts have none of it (the byte tests
        are the extraction's own), and the whole-project questions asked this
        way look at that part alone."""
        paths = self._holders.get(part)
        if paths is None:
            lacking = self._lacking
            paths = [p for p in sorted(self._expected) if part not in lacking.get(p, ())]
            self._holders[part] = paths
        read = self._facts
        for path in paths:
            if path not in read:
                raise Incomplete(path)
            yield path, read[path]

    def __getitem__(self, path: str) -> FileFacts:
        if path not in self._facts:
            if path in self._expected:
                raise Incomplete(path)
            raise KeyError(path)
        return self._facts[path]

    def __iter__(self) -> Iterator[str]:
        return iter(self._expected)

    def __len__(self) -> int:
        return len(self._expected)

    def __contains__(self, path: object) -> bool:
        return path in self._expected

    def values(self) -> ValuesView[FileFacts]:
        """Every file's facts: only once every file is read (at once, rather than
        after a scan up to the first file that is not)."""
        self._whole()
        return super().values()

    def items(self) -> ItemsView[str, FileFacts]:
        self._whole()
        return super().items()

    def _whole(self) -> None:
        if len(self._facts) < len(self._expected):
            raise Incomplete("the facts of every file")


def holding(facts: Mapping[str, FileFacts], part: str) -> Iterator[tuple[str, FileFacts]]:
    """(path, facts) of every file that may hold `part` of the facts, by path:
    in partial facts, a file whose bytes cannot hold it is skipped (the build
    read them ahead), so a whole-project question about that part is answered
    once the files that can hold it are read. A caller looks at that part of
    the facts alone (a file without it adds nothing)."""
    if isinstance(facts, PartialFacts):
        yield from facts.holding(part)
        return
    for path in sorted(facts):
        yield path, facts[path]


def may_hold(facts: Mapping[str, FileFacts], part: str) -> list[str]:
    """The paths of the files that may hold `part` of the facts, by path: in
    partial facts, all but those whose bytes the build read ahead cannot hold
    it (a list that does not change as files are read; `holding` gives their
    facts)."""
    if isinstance(facts, PartialFacts):
        lacking = facts._lacking
        return [path for path in sorted(facts) if part not in lacking.get(path, ())]
    return sorted(facts)
