"""Meta-tests: every rule documents itself, its documented examples behave as
documented, every rule is exercised by a fixture or a test, and the generated
docs are current."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from arch_lint.config import load_settings
from arch_lint.docs import rules_markdown
from arch_lint.engine.run import run
from arch_lint.rules import RULES, FileRule, Rule
from arch_lint.rules._base import REQUIRED_SECTIONS, code_blocks, doc_sections

ROOT = Path(__file__).parent.parent
FILE_RULES = [r for r in RULES if issubclass(r, FileRule)]


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.code)
def test_rule_documents_itself(rule: type[Rule]) -> None:
    sections = doc_sections(rule.__doc__ or "")
    for section in REQUIRED_SECTIONS:
        assert sections.get(section), f"{rule.code}: empty or missing '## {section}'"
    assert rule.summary().endswith("."), "the first docstring line is a sentence"
    assert not rule.message.endswith("."), "messages have no final period"


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.code)
def test_rule_is_exercised_by_a_test(rule: type[Rule]) -> None:
    pattern = re.compile(rf"\b{rule.code}\b")
    fixture_hits = [
        p
        for p in (ROOT / "tests" / "fixtures").rglob("*")
        if p.is_file()
        and p.suffix in {".py", ".toml"}
        and pattern.search(p.read_text("utf-8", "replace"))
    ]
    test_hits = [
        p
        for p in (ROOT / "tests").glob("test_*.py")
        if p.name != Path(__file__).name and pattern.search(p.read_text())
    ]
    assert fixture_hits or test_hits, f"no fixture or test names {rule.code}"


def test_rule_metadata_is_validated_when_the_class_is_defined() -> None:
    with pytest.raises(TypeError, match="kebab-case"):

        class BadRule(FileRule):
            """Broken.

            ## What it does
            x
            ## Why is this bad?
            x
            ## Example
            x
            ## Use instead
            x
            ## How to fix
            x
            """

            code = "ARC999"
            name = "Bad_Name"
            message = "bad"

    with pytest.raises(TypeError, match="lacks sections"):

        class Undocumented(FileRule):
            """No sections at all."""

            code = "ARC998"
            name = "undocumented"
            message = "x"


def _write_snippet(root: Path, snippet: str) -> list[str]:
    """Write a documented example into a mini monorepo; return the files it wrote.

    A block may hold several files, each starting with a `# path/to/file.py` line;
    modules it imports from the repository's own packages that it does not write
    are stubbed with plain classes.
    """
    files: dict[str, list[str]] = {}
    current = None
    for line in snippet.splitlines():
        header = re.fullmatch(r"#\s*(\S+\.py)\s*", line)
        if header:
            current = header.group(1)
            files[current] = []
        assert current is not None, "a documented example starts with `# path/of/the/file.py`"
        files[current].append(line)
    for path, lines in files.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text("\n".join(lines) + "\n")
    for module, names in re.findall(r"^from ([\w.]+) import ([\w, ]+)", snippet, re.M):
        if not module.startswith(("services.", "common.", "libs.")):
            continue
        stub = root / (module.replace(".", "/") + ".py")
        if any(stub == root / p for p in files):
            continue
        stub.parent.mkdir(parents=True, exist_ok=True)
        body = "".join(f"class {n.strip()}:\n    pass\n" for n in names.split(","))
        if stub.exists():
            body = stub.read_text() + body
        stub.write_text(body)
    return list(files)


@pytest.mark.parametrize("rule", FILE_RULES, ids=lambda r: r.code)
@pytest.mark.parametrize("section", ["Example", "Use instead"])
def test_documented_examples_behave_as_documented(
    rule: type[FileRule], section: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocks = code_blocks(doc_sections(rule.__doc__ or "")[section])
    assert blocks, f"{rule.code}: '## {section}' has no ```python block"
    for i, snippet in enumerate(blocks):
        root = tmp_path / f"{section.replace(' ', '_')}{i}"
        root.mkdir()
        (root / "pyproject.toml").write_text(
            "[tool.arch_lint]\n"
            'shared-models = ["common/models"]\n'
            'public = ["client/**", "client.py"]\n'
            f'extend-select = ["{rule.code}"]\n' + rule.example_config
        )
        (root / "common" / "models").mkdir(parents=True)
        (root / "common" / "models" / "__init__.py").write_text("")
        (root / "services" / "other").mkdir(parents=True)
        (root / "services" / "other" / "__init__.py").write_text("")
        paths = _write_snippet(root, snippet)
        monkeypatch.chdir(root)
        result = run(load_settings(None, root), [root], use_cache=False)
        codes = {f.code for f in result.findings if f.path in paths}
        if section == "Example":
            assert rule.code in codes, f"{rule.code}'s Example is not flagged"
        else:
            assert not codes, f"{rule.code}'s 'Use instead' is flagged: {codes}"


def test_generated_docs_are_current() -> None:
    current = (ROOT / "docs" / "rules.md").read_text()
    assert current == rules_markdown(), "run: python -m arch_lint.docs > docs/rules.md"


def test_the_readme_rule_table_is_generated_from_the_registry() -> None:
    from arch_lint.docs import with_readme_table

    readme = (ROOT / "README.md").read_text()
    assert readme == with_readme_table(readme), "run: python -m arch_lint.docs --readme"
