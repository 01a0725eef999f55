"""SARIF 2.1.0 for GitHub code scanning and other SARIF viewers.

One `rule` per arch-lint code (its summary, its documentation as help text, a
`helpUri` to the rules reference), one `result` per finding with the finding's
fingerprint in `partialFingerprints` and, where the rule has one, its fix.
Locations are relative to the project root (`uriBaseId` `%SRCROOT%`); columns
count characters (`columnKind` `unicodeCodePoints`), as the findings do.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from arch_lint import __version__
from arch_lint.findings import Finding
from arch_lint.report.render import fix_object
from arch_lint.report.rules import DOCS_URL, fix_applicability, rule_url
from arch_lint.rules import RULES

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
FINGERPRINT_KEY = "archLintFingerprint/v1"
ROOT_ID = "%SRCROOT%"


def _rule(rule: Any) -> dict[str, Any]:
    doc = rule.documentation()
    return {
        "id": rule.code,
        "name": rule.name,
        "shortDescription": {"text": rule.summary()},
        "fullDescription": {"text": f"{rule.code} {rule.name}: {rule.summary()}"},
        "help": {"text": doc, "markdown": doc},
        "helpUri": rule_url(rule.code),
        "defaultConfiguration": {"level": "error", "enabled": bool(rule.default_on)},
        "properties": {"tags": ["architecture"], "fix": fix_applicability(rule)},
    }


def _region(line: int, column: int, end_line: int, end_column: int) -> dict[str, int]:
    return {
        "startLine": line,
        "startColumn": column,
        "endLine": max(end_line, line),
        "endColumn": max(end_column, 1),
    }


def _location(path: str) -> dict[str, str]:
    return {"uri": path, "uriBaseId": ROOT_ID}


def _fixes(finding: Finding, root: Path) -> list[dict[str, Any]]:
    fix = fix_object(finding, root, edits=True)
    if fix is None or not fix["edits"]:
        return []
    replacements = [
        {
            "deletedRegion": _region(
                edit["location"]["line"],
                edit["location"]["column"],
                edit["end_location"]["line"],
                edit["end_location"]["column"],
            ),
            "insertedContent": {"text": edit["content"]},
        }
        for edit in fix["edits"]
    ]
    return [
        {
            "description": {"text": f"{fix['message']} ({fix['applicability']} fix)"},
            "artifactChanges": [
                {"artifactLocation": _location(finding.path), "replacements": replacements}
            ],
        }
    ]


def render_sarif(
    findings: Sequence[Finding], root: Path, fingerprints: Sequence[str], fix_edits: bool = False
) -> str:
    index = {rule.code: i for i, rule in enumerate(RULES)}
    results = []
    for finding, fingerprint in zip(findings, fingerprints, strict=True):
        result: dict[str, Any] = {
            "ruleId": finding.code,
            "level": "error",
            "message": {"text": finding.message},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": _location(finding.path),
                        "region": _region(
                            finding.line, finding.column, finding.end_line, finding.end_column
                        ),
                    }
                }
            ],
            "partialFingerprints": {FINGERPRINT_KEY: fingerprint},
        }
        if finding.code in index:
            result["ruleIndex"] = index[finding.code]
        fixes = _fixes(finding, root) if fix_edits else []
        if fixes:
            result["fixes"] = fixes
        results.append(result)
    log = {
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "arch-lint",
                        "version": __version__,
                        "informationUri": DOCS_URL,
                        "rules": [_rule(rule) for rule in RULES],
                    }
                },
                "originalUriBaseIds": {ROOT_ID: {"uri": root.resolve().as_uri() + "/"}},
                "columnKind": "unicodeCodePoints",
                "results": results,
            }
        ],
    }
    return json.dumps(log, indent=2, ensure_ascii=False) + "\n"
