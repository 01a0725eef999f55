"""Generate the rules reference (`docs/rules.md`) from the rules' own docstrings.

`python -m arch_lint.docs > docs/rules.md`; a test keeps the file current.
"""

from __future__ import annotations

from arch_lint.rules import RULES


def rules_markdown() -> str:
    out = [
        "# arch-lint rules",
        "",
        "Generated from the rules' documentation by `python -m arch_lint.docs`;",
        "`arch-lint explain CODE` prints the same text. Do not edit by hand.",
        "",
        "| code | name | default | summary |",
        "|---|---|---|---|",
    ]
    for rule in RULES:
        state = "on" if rule.default_on else "off"
        anchor = f"{rule.code.lower()}-{rule.name}"
        out.append(f"| [{rule.code}](#{anchor}) | {rule.name} | {state} | {rule.summary()} |")
    for rule in RULES:
        state = "on" if rule.default_on else "off"
        body = rule.documentation().split("\n", 1)
        out += [
            "",
            f"## {rule.code} {rule.name}",
            "",
            f"*{body[0]}* Default: {state}.",
            "",
            ("\n" + body[1].strip()).replace("\n## ", "\n### ").strip() if len(body) > 1 else "",
        ]
    return "\n".join(out).rstrip() + "\n"


if __name__ == "__main__":
    print(rules_markdown(), end="")
