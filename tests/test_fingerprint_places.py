"""Fingerprints at every place of files with awkward text: line breaks other
than "\\n", a BOM, a coding cookie, non-ASCII text, tabs, form feeds, several
statements on a line, decorators, a last line without a line break, and places
past a line's end or past the last line. The digests below were taken from the
implementation that found a finding's statement by absolute character offsets
(before it compared lines and columns): a fingerprint must never change."""

from __future__ import annotations

import ast
import hashlib
from pathlib import Path

import pytest

from arch_lint.engine.fingerprint import finding_keys, fingerprints, place_keys
from arch_lint.findings import Finding

BODY = (
    "import os\n"
    "@decorate(1)\n"
    "@other\n"
    "class Café:\n"
    '    """Doc é."""\n'
    "    x = 'ü'; y = 2\n"
    "\n"
    "    def run(self, ärger=1):\n"
    "        if ärger:  # ß\n"
    "            return {'k': 'é',\n"
    "                    'v': (1,\n"
    "                          2)}\n"
    "        for i in range(3): print(i); print('ø', i)\n"
    "        try:\n"
    "            pass\n"
    "        except ValueError as exc:\n"
    "            raise RuntimeError('ä') from exc\n"
    "        match ärger:\n"
    "            case 1: return 'ß'\n"
    "            case _:\n"
    "                with open(os.sep) as f: f.read()\n"
    "a = '€'; b = a\n"
)

SOURCES: dict[str, bytes] = {
    "lf": BODY.encode(),
    "crlf": BODY.replace("\n", "\r\n").encode(),
    "cr": BODY.replace("\n", "\r").encode(),
    "mixed": BODY.replace("y = 2\n", "y = 2\r\n").replace("(1,\n", "(1,\r").encode(),
    "bom": b"\xef\xbb\xbf" + BODY.encode(),
    "bom_first_line": b"\xef\xbb\xbfx = '\xc3\xa9'; y = 1\nz = 2",
    "latin1": ("# -*- coding: latin-1 -*-\n" + BODY.replace("€", "e")).encode("latin-1"),
    "tabs": BODY.replace("    ", "\t").encode(),
    "form_feed": ("\f" + BODY.replace("\n\n", "\n\f\n").replace("a = ", "\fa = ")).encode(),
    "no_final_newline": BODY.rstrip("\n").encode(),
    "wide": (
        "x = '\U0001d518\U0001d52b\U0001d526'; y = '日本'  # 😀\nif y:\n\tz = ('😀', y); w = 1\n"
    ).encode(),
    "empty_lines_at_end": (BODY + "\n\n").encode(),
    "ascii": b"def f():\n    a = 1; b = 2\n    return a\n\n\nclass K:\n    z = f()\n",
}

PLACE_DIGESTS = {
    "lf": "cab4f6d5ea3e3ffd358ba937",
    "crlf": "d18417c35c3ee0f4c13e6e4b",
    "cr": "cab4f6d5ea3e3ffd358ba937",
    "mixed": "3a1586c17596a539846ed78a",
    "bom": "cab4f6d5ea3e3ffd358ba937",
    "bom_first_line": "6a47e4cf5559b6500ad22b14",
    "latin1": "89cd4720c04a6a8d358a6839",
    "tabs": "63e0b2e3d455d70831ddb330",
    "form_feed": "d58e895e320cff7fc74fd259",
    "no_final_newline": "cab4f6d5ea3e3ffd358ba937",
    "wide": "361af962c349693ccdad7e96",
    "empty_lines_at_end": "cab4f6d5ea3e3ffd358ba937",
    "ascii": "c39556097a543e7d656ea9d0",
}

DIGESTS = {
    "lf": "466ec7395a7e0d1a346d575d",
    "crlf": "425182ca2bfbaa17d3795c45",
    "cr": "812015732f4f5870fe49f03c",
    "mixed": "162f6d61033ecf80efa376d1",
    "bom": "485479be4a39b83c41cf9df0",
    "bom_first_line": "07997df32a8998777fc166ca",
    "latin1": "4ace97775d20f1e671206fb7",
    "tabs": "b5913bafc8c9a6ba2e9067c4",
    "form_feed": "c611d9c307b3aabd741de59d",
    "no_final_newline": "b21dd73e0b97c911d1954a7e",
    "wide": "7398582621cd681fc7d42406",
    "empty_lines_at_end": "25397f0ec46efb5a9498e566",
    "ascii": "79ca576ecfd2d55cccdb6628",
}


def _findings(name: str, source: bytes) -> list[Finding]:
    """A finding at every character of every line, one past each line's end,
    at column 0, and on the lines after the last."""
    lines = _lines(source)
    out = []
    for line in range(0, len(lines) + 3):
        width = len(lines[line - 1]) if 1 <= line <= len(lines) else 2
        for column in range(0, width + 4):
            out.append(
                Finding("ARC301", "n", f"m {line}", f"{name}.py", line, column, line, column + 1)
            )
    return out


def _lines(source: bytes) -> list[str]:
    from arch_lint.source import decode, source_lines

    return source_lines(decode(source))


def _digest(prints: list[str]) -> str:
    return hashlib.sha256("\n".join(prints).encode()).hexdigest()[:24]


@pytest.mark.parametrize("name", sorted(SOURCES))
def test_fingerprints_at_every_place_are_unchanged(name: str, tmp_path: Path) -> None:
    source = SOURCES[name]
    findings = _findings(name, source)
    prints = fingerprints(findings, tmp_path, sources={f"{name}.py": source})
    assert _digest(prints) == DIGESTS[name]


@pytest.mark.parametrize("name", sorted(SOURCES))
def test_early_keys_are_the_late_ones(name: str, tmp_path: Path) -> None:
    """`finding_keys` and `place_keys` (taken while the tree is at hand) give
    the keys, and so the fingerprints, that the file's own parse gives."""
    source = SOURCES[name]
    tree = ast.parse(source)
    findings = _findings(name, source)
    late = fingerprints(findings, tmp_path, sources={f"{name}.py": source})
    keys = finding_keys(findings, source, tree)
    assert fingerprints(findings, tmp_path, sources={}, early_keys=keys) == late
    by_place = {(line, column): key for (_, line, column, *_), key in keys.items()}
    lines = _lines(source)
    spots = [  # every UTF-8 byte column of every line, one past its end, and none
        (line, byte)
        for line in range(0, len(lines) + 2)
        for byte in range(len(lines[line - 1].encode()) + 3 if 1 <= line <= len(lines) else 2)
    ]
    places = place_keys(source, tree, spots)
    assert places
    for (line, column), key in places.items():
        assert by_place.get((line, column)) == key


def _keys_digest(name: str) -> str:
    source = SOURCES[name]
    lines = _lines(source)
    spots = [
        (line, byte)
        for line in range(0, len(lines) + 2)
        for byte in range(len(lines[line - 1].encode()) + 3 if 1 <= line <= len(lines) else 2)
    ]
    places = place_keys(source, ast.parse(source), spots)
    return _digest([f"{k}: {v.scope} {v.text}" for k, v in sorted(places.items())])


@pytest.mark.parametrize("name", sorted(SOURCES))
def test_place_keys_are_unchanged(name: str) -> None:
    assert _keys_digest(name) == PLACE_DIGESTS[name]
