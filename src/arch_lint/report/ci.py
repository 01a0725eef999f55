"""Reports for CI systems: GitHub workflow commands, GitLab Code Quality, JUnit XML."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from pathlib import Path

from arch_lint.findings import Finding
from arch_lint.report.render import display_path
from arch_lint.report.rules import rule_url


def _escape_data(value: str) -> str:
    """A workflow command's message, escaped as GitHub's toolkit does."""
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(value: str) -> str:
    """A workflow command's property value (`file=…`, `title=…`)."""
    return _escape_data(value).replace(":", "%3A").replace(",", "%2C")


def render_github(findings: Sequence[Finding], root: Path) -> str:
    """`::error file=…,line=…,col=…,endLine=…,endColumn=…,title=CODE name::message`,
    one line a finding; GitHub Actions shows them as annotations on the diff."""
    lines = []
    for f in findings:
        props = ",".join(
            [
                f"file={_escape_property(display_path(f.path, root))}",
                f"line={f.line}",
                f"col={f.column}",
                f"endLine={f.end_line}",
                f"endColumn={f.end_column}",
                f"title={_escape_property(f'{f.code} {f.name}')}",
            ]
        )
        lines.append(f"::error {props}::{_escape_data(f.message)}\n")
    return "".join(lines)


def render_gitlab(findings: Sequence[Finding], fingerprints: Sequence[str]) -> str:
    """GitLab Code Quality: a JSON array of issues (`artifacts:reports:codequality`)."""
    issues = [
        {
            "description": f"{f.code} {f.message}",
            "check_name": f.code,
            "fingerprint": fp,
            "severity": "major",
            "location": {"path": f.path, "lines": {"begin": f.line, "end": f.end_line}},
            "url": rule_url(f.code, f.name),
        }
        for f, fp in zip(findings, fingerprints, strict=True)
    ]
    return json.dumps(issues, indent=2, ensure_ascii=False) + "\n"


def render_junit(findings: Sequence[Finding], checked: Sequence[str]) -> str:
    """JUnit XML: one test case per checked file (and per other file with
    findings, such as `pyproject.toml`), failed with the list of its findings."""
    by_path: dict[str, list[Finding]] = {}
    for f in findings:
        by_path.setdefault(f.path, []).append(f)
    paths = sorted(set(checked) | set(by_path))
    failures = sum(1 for p in paths if p in by_path)
    suites = ET.Element("testsuites", name="arch-lint", tests=str(len(paths)))
    suites.set("failures", str(failures))
    suite = ET.SubElement(suites, "testsuite", name="arch-lint", tests=str(len(paths)))
    suite.set("failures", str(failures))
    suite.set("errors", "0")
    suite.set("skipped", "0")
    for path in paths:
        case = ET.SubElement(suite, "testcase", name=path, classname="arch-lint", file=path)
        found = by_path.get(path)
        if not found:
            continue
        n = len(found)
        failure = ET.SubElement(
            case, "failure", message=f"{n} violation{'s' if n != 1 else ''}", type="arch-lint"
        )
        failure.text = "".join(
            f"{f.path}:{f.line}:{f.column}: {f.code} {f.message}\n" for f in found
        )
    ET.indent(suites)
    body = ET.tostring(suites, encoding="unicode")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + body + "\n"
