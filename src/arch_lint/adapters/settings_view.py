"""`arch-lint check --show-settings`: every resolved setting, as text or JSON.

What arch-lint thinks the architecture is (SPEC §3): the services with their
data layers and why each file is in one, the shared-model packages, the source
roots, the logging and models settings (with what "auto" decided and the
evidence where the index knows it), the allow entries, the per-path ignores,
the enabled rules and the ARC000 problems. The JSON keys are stable and
documented in docs/settings.md.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

from arch_lint.config.resolve import Settings
from arch_lint.index.evidence import logging_evidence
from arch_lint.index.infer import Evidence
from arch_lint.index.layout import Layout
from arch_lint.index.project import ProjectIndex
from arch_lint.rules import RULES

SCHEMA_VERSION = 1
"""Bumped when a key of the JSON document changes meaning or goes away."""

__all__ = ["SCHEMA_VERSION", "describe", "settings_document"]


def _shown(path: Path | None) -> str | None:
    if path is None:
        return None
    try:
        return path.relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return str(path)


def _auto_decisions(index: ProjectIndex, key: str) -> list[dict[str, Any]]:
    """What an `"auto"` setting decided, per service, with the evidence
    (`file:line: ...`): the project's logging evidence (`index/evidence.py`)
    answers for the logging settings; other keys are decided as the rules run."""
    if key not in _DECIDED_BY_EVIDENCE:
        return []
    evidence = logging_evidence(index)
    out = []
    for service in index.layout.services.values():
        decided, why = evidence.decision(key, service.name)
        out.append({"service": service.name, "decided": bool(decided), "evidence": list(why)})
    return out


_DECIDED_BY_EVIDENCE = frozenset(
    {"logging.request-handlers-have-correlation", "logging.middleware-binds-contextvars"}
)


def _logger_factories(index: ProjectIndex) -> list[dict[str, Any]]:
    """The project functions found to make loggers, with the kind they make."""
    return [
        {"name": f.name, "path": f.path, "line": f.line, "kind": f.kind, "bound": f.carries}
        for f in logging_evidence(index).found_factories()
    ]


def _service_urls(index: ProjectIndex) -> list[dict[str, Any]]:
    """Every service URL the HTTP map inferred (hosts, then names), with its evidence."""
    return [{"key": e.key, "service": e.service, "why": e.why} for e in index.http.urls.evidence()]


def _response_headers(index: ProjectIndex) -> list[dict[str, Any]]:
    """The response headers each service's app-wide middlewares set (ARC210
    counts them as metadata every answer carries), with the evidence."""
    evidence = logging_evidence(index)
    return [
        {"service": service, "header": header, "why": why}
        for service in sorted(s.name for s in index.layout.services.values())
        for header, why in sorted(evidence.response_headers(service).items())
    ]


_UNMATCHED_SHOWN = 10
"""Calls to a service that match no route, listed in the text view (JSON: all)."""


def _http_map(index: ProjectIndex) -> dict[str, Any]:
    """How much of the HTTP map was found: routes, and calls by what they
    resolved to; the calls that reach no service, by why (most frequent
    first, each with its first call), and those that reach a service but
    match none of its routes (what to look at where a finding is expected)."""
    calls = list(index.http.all_calls())
    resolved = [c for _, c in calls if c.service is not None]
    why: dict[str, list[str]] = {}
    unmatched: list[dict[str, str]] = []
    for path, call in calls:
        at = f"{path}:{call.line}"
        if call.service is None:
            why.setdefault(call.why, []).append(at)
        elif call.route is None:
            shown = f"{call.method} {call.template}".strip()
            unmatched.append({"service": call.service, "call": shown, "at": at})
    return {
        "routes": len(index.http.routes),
        "calls": len(calls),
        "calls_resolved": len(resolved),
        "calls_matched": sum(1 for c in resolved if c.route is not None),
        "calls_unresolved": [
            {"why": reason, "count": len(places), "first": places[0]}
            for reason, places in sorted(why.items(), key=lambda item: (-len(item[1]), item[0]))
        ],
        "calls_unmatched": unmatched,
    }


def settings_document(
    settings: Settings,
    layout: Layout,
    index: ProjectIndex,
    evidence: Sequence[Evidence] = (),
) -> dict[str, Any]:
    """The resolved settings as one JSON-ready document (see docs/settings.md)."""
    cfg = settings.model
    services = []
    for service in layout.services.values():
        files = [f for f in layout.files if layout.service_of(f) == service]
        data_layer = []
        for path in files:
            why = index.data.data_layer_reason(path)
            if why is not None:
                data_layer.append({"path": path, "why": why})
        services.append(
            {
                "name": service.name,
                "path": service.path,
                "files": len(files),
                "data_layer": data_layer,
                "public": [f for f in files if layout.is_public(f)] if cfg.public else [],
            }
        )
    shared = [
        {
            "path": folder,
            "configured": configured,
            "files": sum(1 for f in layout.files if layout.in_shared_dir(f, folder)),
        }
        for configured, folder in zip(cfg.shared_models, layout.shared_dirs, strict=False)
    ]
    dumped = cfg.to_json()
    auto = []
    for section in ("logging", "models"):
        for key, value in dumped[section].items():
            if value == "auto":
                full = f"{section}.{key}"
                auto.append({"key": full, "decisions": _auto_decisions(index, full)})
    return {
        "version": SCHEMA_VERSION,
        "root": str(settings.root),
        "configuration": _shown(settings.config_path),
        "inferred": bool(evidence),
        "source_roots": [r or "." for r in layout.source_roots],
        "python_files": len(layout.files),
        "services": services,
        "shared_models": shared,
        "data_layer": {
            "globs": list(cfg.data_layer),
            "by_content": cfg.data_layer_by_content,
        },
        "public": list(cfg.public),
        "exclude": layout.exclude_globs,
        "respect_gitignore": cfg.respect_gitignore,
        "logging": dumped["logging"],
        "models": dumped["models"],
        "schema": dumped["schema"],
        "auto": auto,
        "logger_factories": _logger_factories(index),
        "service_urls": _service_urls(index),
        "response_headers": _response_headers(index),
        "http_map": _http_map(index),
        "allow": dumped["allow"],
        "per_path_ignores": dumped["per-path-ignores"],
        "selection": {
            "select": list(settings.selection.select),
            "extend_select": list(settings.selection.extend_select),
            "ignore": list(settings.selection.ignore),
        },
        "enabled_rules": [
            r.code for r in RULES if settings.selection.enabled(r.code, r.default_on)
        ],
        "problems": [
            {"code": "ARC000", "key": p.key, "message": p.message} for p in layout.problems
        ],
        "evidence": [{"key": e.key, "value": e.value, "why": e.why} for e in evidence],
    }


def describe(
    settings: Settings,
    layout: Layout,
    index: ProjectIndex,
    fmt: Literal["text", "json"] | str = "text",
    evidence: Sequence[Evidence] = (),
) -> str:
    """Every resolved setting as text (for people) or JSON (stable keys).

    `evidence`: what `arch-lint init` found, when the settings were inferred
    because no `[tool.arch_lint]` table exists. The caller exits 2 when
    `layout.problems` is not empty (ARC000).
    """
    doc = settings_document(settings, layout, index, evidence)
    if fmt == "json":
        return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
    return _text(doc) + "\n"


def _value(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _text(doc: dict[str, Any]) -> str:
    config = doc["configuration"]
    if config is None:
        config = "(none: inferred as `arch-lint init` does)" if doc["inferred"] else "(defaults)"
    out = [
        f"project root:  {doc['root']}",
        f"configuration: {config}",
        f"source roots:  {', '.join(doc['source_roots'])}",
        f"python files:  {doc['python_files']}",
        "",
        f"services ({len(doc['services'])}):",
    ]
    for service in doc["services"]:
        out.append(f"  {service['name']}  ({service['path']}/, {service['files']} files)")
        out.append(f"    data layer ({len(service['data_layer'])}):")
        out += [f"      {d['path']}  [{d['why']}]" for d in service["data_layer"]]
        if doc["public"]:
            out.append(f"    public ({len(service['public'])}):")
            out += [f"      {p}" for p in service["public"]]
    data = doc["data_layer"]
    out.append(f"  data-layer globs: {', '.join(data['globs']) or '(none)'}")
    out.append(f"  data-layer-by-content: {_value(data['by_content'])}")
    if doc["public"]:
        out.append(f"  public globs: {', '.join(doc['public'])}")
    out += ["", f"shared models ({len(doc['shared_models'])}):"]
    for entry in doc["shared_models"]:
        shown = entry["path"]
        if entry["configured"].strip("/") != shown:
            shown += f"  (`{entry['configured']}`)"
        out.append(f"  {shown}  ({entry['files']} files)")
    for section in ("logging", "models", "schema"):
        out += ["", f"{section}:"]
        for key, value in doc[section].items():
            out.append(f"  {key} = {_value(value)}")
    if doc["auto"]:
        out += ["", '"auto" settings:']
        for item in doc["auto"]:
            if not item["decisions"]:
                out.append(f"  {item['key']}: decided per service as the rules run")
            for d in item["decisions"]:
                verdict = "yes" if d["decided"] else ("no" if d["evidence"] else "no (no evidence)")
                out.append(f"  {item['key']} [{d['service']}]: {verdict}")
                out += [f"    {why}" for why in d["evidence"]]
    if doc["logger_factories"]:
        out += ["", f"logger factories found ({len(doc['logger_factories'])}):"]
        for f in doc["logger_factories"]:
            bound = ", bound with the correlation id" if f["bound"] else ""
            out.append(f"  {f['path']}:{f['line']}: `{f['name']}` ({f['kind']}{bound})")
    if doc["service_urls"]:
        out += ["", f"service URLs inferred ({len(doc['service_urls'])}):"]
        for u in doc["service_urls"]:
            out.append(f"  {u['key']} -> {u['service']}  ({u['why']})")
    if doc["response_headers"]:
        out += ["", f"response headers set by middlewares ({len(doc['response_headers'])}):"]
        for h in doc["response_headers"]:
            out.append(f"  [{h['service']}] {h['header']}  ({h['why']})")
    http = doc["http_map"]
    if http["routes"] or http["calls"]:
        out += [
            "",
            f"HTTP map: {http['routes']} routes; {http['calls']} calls, "
            f"{http['calls_resolved']} to a service, {http['calls_matched']} matched to a route",
        ]
        for entry in http["calls_unresolved"]:
            count, why, first = entry["count"], entry["why"], entry["first"]
            out.append(f"  to no service ({count}): {why}  (first {first})")
        shown = http["calls_unmatched"][:_UNMATCHED_SHOWN]
        for entry in shown:
            out.append(
                f"  no route of `{entry['service']}` matches {entry['call']}  ({entry['at']})"
            )
        more = len(http["calls_unmatched"]) - len(shown)
        if more > 0:
            out.append(f"  … and {more} more calls that match no route (JSON lists them)")
    out += ["", f"allow ({len(doc['allow'])}):"]
    for entry in doc["allow"]:
        codes = f" codes={','.join(entry['codes'])}" if entry.get("codes") else ""
        out.append(f"  from {entry['from']} import {entry['import']}{codes}  # {entry['reason']}")
    out += ["", f"per-path ignores ({len(doc['per_path_ignores'])}):"]
    for glob, codes in doc["per_path_ignores"].items():
        out.append(f"  {glob}: {', '.join(codes)}")
    out += ["", f"exclude: {', '.join(doc['exclude'])}"]
    out.append(f"respect-gitignore: {_value(doc['respect_gitignore'])}")
    if doc["evidence"]:
        out += ["", "inferred (no [tool.arch_lint] table):"]
        for e in doc["evidence"]:
            what = f"{e['key']} {_value(e['value'])}" if e["value"] else e["key"]
            out.append(f"  {what}: {e['why']}")
    if doc["problems"]:
        out += ["", "problems (ARC000):"]
        out += [f"  tool.arch_lint.{p['key']}: {p['message']}" for p in doc["problems"]]
    out += ["", f"enabled rules: {', '.join(doc['enabled_rules'])}"]
    return "\n".join(out)
