"""Fingerprints: a finding's identity that survives edits elsewhere in its file.

A fingerprint hashes the code, the path, the qualified name of the enclosing
scope (`OrderService.place`), the offending statement's text normalised and an
occurrence index among findings that share all of these; never a line number.
The statement's text is normalised as far as it goes: it is its syntax tree
written out, so comments, line breaks, indentation, parentheses, quotes and
trailing commas do not count. Lines inserted above, or a formatter (black, ruff
format) re-wrapping the statement, leave the fingerprint unchanged. A statement
with a body (`def`, `class`, `if`, `with`…) counts by its header only.

Only files with findings are read again, and each is parsed once. A finding
whose file cannot be read or parsed, or is not Python (ARC002 on
`pyproject.toml`), is keyed by its message instead of a statement.
"""

from __future__ import annotations

import ast
import hashlib
from bisect import bisect_right
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import cast

from arch_lint.findings import Finding
from arch_lint.index.cache import Cache
from arch_lint.source import char_column, decode, line_starts, read_regular, source_lines

_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
_BODIES = ("body", "orelse", "finalbody", "handlers", "cases")


def parse(source: bytes, filename: str) -> tuple[ast.Module | None, object]:
    """The index build's `parse`, imported when a fingerprint first needs a tree
    (a warm run has its fingerprints cached and never does)."""
    from arch_lint.index.build import parse as parse_source

    return parse_source(source, filename)


@dataclass(frozen=True)
class FindingKey:
    """What a finding's fingerprint is made of, besides its code and path: the
    scope and the text of the statement it stands in."""

    scope: str
    text: str


Where = tuple[str, int, int, int, int, str, str]


def where(finding: Finding) -> Where:
    """A finding's place and words (a `Finding` with a fix is not hashable)."""
    f = finding
    return (f.path, f.line, f.column, f.end_line, f.end_column, f.code, f.message)


def finding_keys(
    findings: Sequence[Finding], source: bytes, tree: ast.Module
) -> dict[Where, FindingKey]:
    """The fingerprint keys of one file's findings, from its tree (for
    `fingerprints(early_keys=...)` once the tree is gone)."""
    file = _File(decode(source), tree)
    out = {}
    for finding in findings:
        key = file.key(finding)
        if key is not None:
            out[where(finding)] = key
    return out


def place_keys(
    source: bytes, tree: ast.Module, places: Sequence[tuple[int, int]]
) -> dict[tuple[int, int], FindingKey]:
    """The keys a finding would have at each place (a 1-based line and a 0-based
    UTF-8 byte column: where a later step may report, once the tree is gone),
    by (line, 1-based character column): a finding's key depends on its line
    and column alone."""
    file = _File(decode(source), tree)
    out = {}
    for line, byte_col in places:
        if file.line(line) is None:
            continue
        column = file.char_column(line, byte_col) + 1
        key = file.key_at(line, column)
        if key is not None:
            out[(line, column)] = key
    return out


def fingerprints(
    findings: Sequence[Finding],
    root: Path,
    sources: Mapping[str, bytes] | None = None,
    trees: Mapping[str, ast.Module] | None = None,
    early_keys: Mapping[Where, FindingKey] | None = None,
    places: Mapping[tuple[int, int], FindingKey] | None = None,
) -> list[str]:
    """One fingerprint per finding, in the order given (32 hex digits).

    `sources`: path -> content to use instead of the file on disk (an editor's
    unsaved buffer, as the flake8 plugin gets it on stdin); `trees`: path ->
    the syntax tree of that content, where the caller has it (no second parse);
    `early_keys`: the keys `finding_keys` gave for findings while their file's
    tree was at hand (a file whose findings all have one is not parsed);
    `places`: the keys `place_keys` gave for places of one file (the same
    keys, for findings that stand there)."""
    by_path: dict[str, list[int]] = {}
    for i, finding in enumerate(findings):
        by_path.setdefault(finding.path, []).append(i)
    keys: list[tuple[str, str, str, str]] = [("", "", "", "")] * len(findings)
    early_keys = early_keys or {}
    places = places or {}

    def known(finding: Finding) -> FindingKey | None:
        key = early_keys.get(where(finding))
        return key if key is not None else places.get((finding.line, finding.column))

    for path, indices in by_path.items():  # one file (and its tree) alive at a time
        source: _File | None = None
        if not all(known(findings[i]) is not None for i in indices):
            given = None if sources is None else sources.get(path)
            tree = None if trees is None else trees.get(path)
            source = _File.load(root, path, given, tree)
        for i in indices:
            finding = findings[i]
            key = known(finding)
            if key is None:
                key = source.key(finding) if source is not None else None
            if key is None:
                key = FindingKey("", "message: " + _squeeze(finding.message))
            keys[i] = (finding.code, finding.path, key.scope, key.text)
    order = sorted(range(len(findings)), key=lambda i: findings[i].sort_key())
    seen: dict[tuple[str, str, str, str], int] = {}
    out = [""] * len(findings)
    for i in order:
        occurrence = seen.get(keys[i], 0)
        seen[keys[i]] = occurrence + 1
        blob = "\0".join([*keys[i], str(occurrence)])
        out[i] = hashlib.sha256(blob.encode("utf-8", "surrogatepass")).hexdigest()[:32]
    return out


def cached_fingerprints(
    findings: Sequence[Finding], root: Path, cache: Cache, digests: Mapping[str, str]
) -> list[str]:
    """`fingerprints`, taken from the cache for files whose content (`digests`:
    path -> content hash of the checked source) and findings are unchanged, and
    recorded there for the others: a warm run parses no file for them. A file's
    fingerprints depend on that file alone (each key holds its path)."""
    by_path: dict[str, list[int]] = {}
    for i, finding in enumerate(findings):
        by_path.setdefault(finding.path, []).append(i)
    out = [""] * len(findings)
    todo: list[int] = []
    for path, indices in by_path.items():
        entry = cache.fingerprints.get(path)
        digest = digests.get(path)
        if (
            entry is not None
            and digest is not None
            and entry[0] == digest
            and len(entry[1]) == len(indices)
        ):
            for i, fingerprint in zip(indices, entry[1], strict=True):
                out[i] = fingerprint
            continue
        todo += indices
    if todo:
        computed = fingerprints([findings[i] for i in todo], root)
        fresh: dict[str, list[str]] = {}
        for i, fingerprint in zip(todo, computed, strict=True):
            out[i] = fingerprint
            fresh.setdefault(findings[i].path, []).append(fingerprint)
        for path, prints in fresh.items():
            digest = digests.get(path)
            if digest is not None:
                cache.fingerprints[path] = [digest, prints]
                cache.dirty = True
        cache.store()
    return out


def _squeeze(text: str) -> str:
    return " ".join(text.split())


class _File:
    """A checked Python file: its text and its statements with their scopes.

    A place is a line and a UTF-8 byte column on it, as the syntax tree gives
    them: the statement that holds a finding is found by comparing places, so
    that no line's start is needed but the finding's (a finding's character
    column becomes a byte column on its own line). Places are ordered as the
    character offsets they stand for are: on one line a byte column is as far
    along as its character column (the tree's columns fall between
    characters), and a place on an earlier line comes first."""

    def __init__(self, text: str, tree: ast.Module) -> None:
        self.text = text
        self.tree = tree
        self._lines: list[str] = []
        """The text's first lines (without their line breaks), as the tokenizer counts them."""
        self._rest: str | None = text
        """The text after them (None: they are all its lines)."""
        if "\r" in text:  # the tokenizer's other line breaks: all at once
            self._lines, self._rest = source_lines(text), None
        self._starts: list[int] | None = None

    @classmethod
    def load(
        cls, root: Path, path: str, source: bytes | None = None, tree: ast.Module | None = None
    ) -> _File | None:
        if not path.endswith(".py"):
            return None
        if source is None:
            try:
                source = read_regular(root / path)
            except OSError:
                return None
        if tree is None:
            tree, _ = parse(source, path)
        return None if tree is None else cls(decode(source), tree)

    def line(self, number: int) -> str | None:
        """The text of a 1-based line, without its line break (None: no such
        line). The lines are split off as far as they are asked for: a key
        needs the line it stands on, and the imports a place key is asked for
        stand at the top."""
        lines = self._lines
        while number > len(lines) and self._rest is not None:
            more = max(number - len(lines), len(lines))
            parts = self._rest.split("\n", more)
            self._rest = parts.pop() if len(parts) > more else None
            lines += parts
        return lines[number - 1] if 1 <= number <= len(lines) else None

    @property
    def starts(self) -> list[int]:
        """The offset in the text where each line starts (for the rare place
        that is not on its own line, and a statement's text)."""
        if self._starts is None:
            self._starts = line_starts(self.text)
        return self._starts

    def char_column(self, line: int, byte_col: int) -> int:
        """The 0-based character column of a UTF-8 byte column on an existing
        1-based line; past the line's text it counts the line break's
        characters, and stops at the next line's start."""
        text = self._text_of(line)
        width = len(text) if text.isascii() else len(text.encode("utf-8", "surrogatepass"))
        if byte_col > width:
            return len(text) + min(byte_col - width, self._break_width(line))
        return char_column(text, byte_col)

    def byte_column(self, line: int, column: int) -> int:
        """The UTF-8 byte column of a 0-based character column on an existing
        1-based line (`char_column` the other way)."""
        text = self._text_of(line)
        if column > len(text):  # on the line break (a byte is a character there)
            return self.byte_column(line, len(text)) + column - len(text)
        if text.isascii():
            return column
        return len(text[:column].encode("utf-8", "surrogatepass"))

    def _text_of(self, line: int) -> str:
        """`line` of a line known to exist."""
        text = self.line(line)
        assert text is not None
        return text

    def _break_width(self, line: int) -> int:
        """The characters of the line break that ends an existing 1-based line
        (none after the last)."""
        if self.line(line + 1) is None:
            return 0
        if "\r" not in self.text:
            return 1
        return self.starts[line] - self.starts[line - 1] - len(self._text_of(line))

    def offset(self, line: int, byte_col: int) -> int:
        """The offset in the text of an existing 1-based line and a UTF-8 byte column."""
        return self.starts[line - 1] + self.char_column(line, byte_col)

    def key(self, finding: Finding) -> FindingKey | None:
        return self.key_at(finding.line, finding.column)

    def key_at(self, line: int, column: int) -> FindingKey | None:
        """The key of a finding at a 1-based line and character column."""
        own = self.line(line)
        if own is not None and 1 <= column <= len(own) + 1:
            # on its line (the line break included): the place is the finding's
            found = self._statement(self.tree.body, line, self.byte_column(line, column - 1), ())
        else:
            found = self._statement_past(line, column)
        if found is None:
            return None
        stmt, scope = found
        try:
            text = _canonical(stmt, _BODIES)
        except RecursionError:  # nested too deeply to walk: its text, squeezed
            start = self.offset(stmt.lineno, stmt.col_offset)
            end = self.offset(stmt.end_lineno or stmt.lineno, stmt.end_col_offset or 0)
            text = _squeeze(self.text[start:end])
        return FindingKey(".".join(scope), text)

    def _statement_past(self, line: int, column: int) -> tuple[ast.stmt, tuple[str, ...]] | None:
        """`_statement` for a finding whose column is not on its line (or whose
        line does not exist): its character offset counts on into the lines
        after (a line past the last stands at the text's end), or back into
        the ones before, and the place is where that offset lies. A statement
        that ends before the finding's line does not hold it, even where the
        offset lies back in it."""
        starts, size = self.starts, len(self.text)
        exists = 1 <= line <= len(starts)
        at = min(starts[line - 1] + column - 1, size) if exists else size
        if at < 0:
            return None
        at_line = bisect_right(starts, at)
        place = self.byte_column(at_line, at - starts[at_line - 1])
        return self._statement(self.tree.body, at_line, place, (), line if exists else 0)

    def _statement(
        self,
        body: Sequence[ast.stmt],
        line: int,
        col: int,
        scope: tuple[str, ...],
        floor: int | None = None,
    ) -> tuple[ast.stmt, tuple[str, ...]] | None:
        """The innermost statement whose span holds the place (`line`, UTF-8
        byte column `col`), and its scope. `floor`: a statement that ends on a
        line before it does not hold the place (the finding's line; by default
        the place's).

        A statement that starts on a later line starts past the place, as do
        the ones after it (a body is in source order); one that ends on a
        later line ends past it. A statement holds the place from its first
        character (its first decorator's) up to its end, and at its first
        character in any case."""
        floor = line if floor is None else floor
        place = (line, col)
        for stmt in body:
            end_line = stmt.end_lineno or stmt.lineno
            if end_line < floor:
                continue
            decorators = getattr(stmt, "decorator_list", None)
            if decorators:
                first = min((node.lineno, node.col_offset) for node in (stmt, *decorators))
            else:
                first = (stmt.lineno, stmt.col_offset)
            if first[0] > line:
                break
            if first > place:
                continue
            if place >= (end_line, stmt.end_col_offset or 0) and place != first:
                continue
            inner_scope = (*scope, stmt.name) if isinstance(stmt, _SCOPES) else scope
            for child in _children(stmt):
                found = self._statement(child, line, col, inner_scope, floor)
                if found is not None:
                    return found
            return stmt, scope
        return None


def _children(stmt: ast.stmt) -> Iterator[list[ast.stmt]]:
    for name in _BODIES:
        value = getattr(stmt, name, None)
        if not value:
            continue
        if name in {"handlers", "cases"}:
            for part in value:
                yield part.body
        else:
            yield value


_NOISE = frozenset({"ctx", "type_comment", "kind"})


def _canonical(node: object, skip: tuple[str, ...] = ()) -> str:
    """The statement's syntax tree as text: what the code says, not how it is
    laid out (parentheses, quotes, trailing commas, line breaks, comments are
    gone). Empty fields are left out, so a field a newer Python adds with an
    empty default (`type_params`) does not change it; `skip` drops the bodies
    of a compound statement (its header is the statement).

    Written recursively down to `_DEEP` levels and with a stack below that
    (`_canonical_deep`): the text of a deeply nested statement must not depend
    on how deep the caller's stack already is (a fingerprint is the same
    whenever and wherever it is computed), and both write the same text."""
    out: list[str] = []
    _write(node, skip, out, 0)
    return "".join(out)


_DEEP = 100
"""Levels `_write` goes down by recursion before `_canonical_deep` takes over."""
_FIELD_NAMES: dict[type, tuple[tuple[str, str, str], ...]] = {}
"""Per node class: (field, its text first, its text after another) of the
fields `_canonical` writes."""


def _write(value: object, skip: tuple[str, ...], out: list[str], depth: int) -> None:
    if type(value) is list:
        out.append("[")
        for i, element in enumerate(cast("list[object]", value)):
            if i:
                out.append(",")
            _write(element, (), out, depth + 1)
        out.append("]")
        return
    if not isinstance(value, ast.AST):
        out.append(repr(value))
        return
    if depth > _DEEP:
        out.append(_canonical_deep(value, skip))
        return
    kind = type(value)
    fields = _FIELD_NAMES.get(kind)
    if fields is None:
        names = [name for name in kind._fields if name not in _NOISE]
        fields = _FIELD_NAMES[kind] = tuple((name, f"{name}=", f",{name}=") for name in names)
    out.append(f"{kind.__name__}(")
    first = True
    for name, lead, after in fields:
        if skip and name in skip:
            continue
        field = getattr(value, name, None)
        if field is None or field == []:
            continue
        out.append(lead if first else after)
        first = False
        _write(field, (), out, depth + 1)
    out.append(")")


def _canonical_deep(node: object, skip: tuple[str, ...] = ()) -> str:
    """`_canonical` with a stack rather than recursion, for what lies deeper
    than `_DEEP` levels."""
    out: list[str] = []
    todo: list[str | tuple[object, tuple[str, ...]]] = [(node, skip)]
    while todo:
        item = todo.pop()
        if isinstance(item, str):  # text to emit as it is
            out.append(item)
            continue
        value, skipping = item
        parts: list[str | tuple[object, tuple[str, ...]]]
        if isinstance(value, ast.AST):
            parts = [f"{type(value).__name__}("]
            fields = [
                (name, field)
                for name, field in ast.iter_fields(value)
                if name not in skipping and name not in _NOISE and field is not None and field != []
            ]
            for i, (name, field) in enumerate(fields):
                parts += [f",{name}=" if i else f"{name}=", (field, ())]
            parts.append(")")
        elif isinstance(value, list):
            parts = ["["]
            for i, element in enumerate(value):
                parts += [",", (element, ())] if i else [(element, ())]
            parts.append("]")
        else:
            out.append(repr(value))
            continue
        todo.extend(reversed(parts))
    return "".join(out)
