"""docker-compose files: the services they run, what each builds, and the
environment each is given (the HTTP map's evidence for service URLs).

Which files are read is the listing's business (`layout.is_compose_file`:
`docker-compose*.yml`/`.yaml`, `compose*.yml`/`.yaml`, at any depth); they are
hashed and cached with the `.py` files, never checked.

A small line reader, not a YAML parser: it reads the shapes compose files are
written in (`services:` at the top, each service a key below it, `build: dir`
or `build:` with `context:`/`dockerfile:` below, `container_name:`,
`hostname:`, `image:`, `environment:` as a list of `K=V` or a mapping of `K: V`, quoted
or not, comments). What it does not read (anchors and merge keys, flow
mappings `{…}`, `${VAR:-default}` interpolation) is left out: a URL it misses
is a call the map leaves unresolved, never a wrong one. arch-lint takes no
YAML library for this (PyYAML would read every shape, but it is one more
dependency for every flake8 user to install for a corner of one rule).
"""

from __future__ import annotations

import posixpath
import re

from arch_lint.index.http import ComposeService, HttpFacts

_KEY = re.compile(r"^(\s*)(?:-\s+)?([\w.-]+|\"[^\"]+\"|'[^']+')\s*:\s*(.*?)\s*$")


def _unquote(text: str) -> str:
    text = text.split(" #", 1)[0].strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":
        return text[1:-1]
    return text


class _Service:
    def __init__(self, name: str, line: int) -> None:
        self.name = name
        self.line = line
        self.aliases: list[str] = []
        self.build = ""
        self.context = ""
        self.dockerfile = ""
        self.image = ""
        self.keys: set[str] = set()
        self.environment: list[tuple[str, str, int]] = []


def compose_facts(source: bytes, path: str) -> HttpFacts:
    """The facts of the compose file at `path` (relative to the project root)."""
    text = source.decode("utf-8", "replace")
    folder = posixpath.dirname(path)
    found: list[_Service] = []
    in_services = False
    service_indent: int | None = None
    current: _Service | None = None
    section: str | None = None
    section_indent = 0
    for number, raw in enumerate(text.splitlines(), 1):
        stripped = raw.strip()
        if not stripped or stripped.startswith("#"):
            continue
        indent = len(raw) - len(raw.lstrip(" "))
        if indent == 0:
            in_services = stripped.startswith("services:")
            service_indent, current, section = None, None, None
            continue
        if not in_services:
            continue
        if service_indent is None or indent <= service_indent:
            match = _KEY.match(raw)
            if match is not None and indent == (service_indent or indent):
                service_indent = indent
                current, section = _Service(_unquote(match.group(2)), number), None
                found.append(current)
            continue
        if current is None:
            continue
        if section is not None and indent > section_indent:
            if section == "environment":
                item = stripped[1:].strip() if stripped.startswith("-") else stripped
                item = _unquote(item)
                if "=" in item.split(":", 1)[0]:
                    key, sep, value = item.partition("=")
                else:
                    key, sep, value = item.partition(":")
                if sep:
                    current.environment.append((key.strip(), _unquote(value.strip()), number))
            elif section == "build":
                match = _KEY.match(raw)
                if match is not None and match.group(2) == "context":
                    current.context = _unquote(match.group(3))
                elif match is not None and match.group(2) == "dockerfile":
                    current.dockerfile = _unquote(match.group(3))
            continue
        match = _KEY.match(raw)
        if match is None:
            continue
        key, value = match.group(2), _unquote(match.group(3))
        section, section_indent = key, indent
        current.keys.add(key)
        if key == "build" and value:
            current.context = value
        elif key in {"container_name", "hostname"} and value:
            current.aliases.append(value)
        elif key == "image" and value:
            current.image = value
    for service in found:
        context = service.context or "."
        inner = posixpath.dirname(service.dockerfile)  # `dockerfile: services/x/Dockerfile`
        if service.context or service.dockerfile:
            service.build = _folder(folder, posixpath.join(context, inner) if inner else context)
    return HttpFacts(
        compose=[
            ComposeService(
                s.name,
                tuple(s.aliases),
                s.build,
                s.line,
                tuple(s.environment),
                "" if s.context or s.dockerfile or "build" in s.keys else s.image,
            )
            for s in found
        ]
    )


def _folder(base: str, value: str) -> str:
    """A build context relative to the project root ("" when it leaves it or is
    not a local folder: a git URL, an interpolation)."""
    if "://" in value or "$" in value or value.startswith("/"):
        return ""
    joined = posixpath.normpath(posixpath.join(base, value))
    return "" if joined.startswith("..") else ("" if joined == "." else joined)
