"""Meta-tests: every rule documents itself, its documented examples behave as
documented, every rule is exercised by a fixture or a test, and the generated
docs are current."""

from __future__ import annotations

import json
import random
import re
import textwrap
from pathlib import Path

import pytest

from arch_lint.config import load_settings
from arch_lint.docs import rules_markdown
from arch_lint.engine.run import run
from arch_lint.findings import Finding
from arch_lint.report import render
from arch_lint.report.rules import fix_applicability
from arch_lint.rules import BY_CODE, RULES, FileRule, Rule
from arch_lint.rules._base import (
    FIX_SAFETY_SECTION,
    REQUIRED_SECTIONS,
    code_blocks,
    dedent,
    doc_sections,
)

ROOT = Path(__file__).parent.parent
FILE_RULES = [r for r in RULES if issubclass(r, FileRule)]


def test_dedent_is_textwraps() -> None:
    """The rules' documentation is dedented as `textwrap.dedent` does it: the
    rules' docstrings and strings of spaces, tabs, line breaks and text."""
    texts = [rule.__doc__ or "" for rule in RULES]
    pick = random.Random(7)
    alphabet = [" ", " ", "\t", "\n", "\n", "a", "#", "\r", "\x0c"]
    texts += ["".join(pick.choices(alphabet, k=pick.randint(0, 24))) for _ in range(20_000)]
    for text in texts:
        assert dedent(text) == textwrap.dedent(text), repr(text)


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


_SECTIONS = "".join(f"\n    ## {s}\n    x\n" for s in REQUIRED_SECTIONS)


def _define(message: str = "`{name}` is wrong", doc: str = "", **attrs: object) -> type[Rule]:
    """Define a rule class in the test (never registered): the base class
    validates it on the spot."""
    body = {
        "__doc__": "A test rule.\n" + _SECTIONS + doc,
        "code": "ARC997",
        "name": "test-rule",
        "message": message,
        **attrs,
    }
    return type("TestRule", (FileRule,), body)


@pytest.mark.parametrize(
    ("message", "why"),
    [
        ("`{}` is wrong", "positional"),
        ("`{0}` is wrong", "positional"),
        ("`{target.name}` is wrong", "not an identifier"),
        ("`{target[0]}` is wrong", "not an identifier"),
        ("`{target-name}` is wrong", "not an identifier"),
        ("`{target` is wrong", "not a valid template"),
        ("`target}` is wrong", "not a valid template"),
        ("`{target:{width}}` is wrong", "nested field"),
    ],
)
def test_a_bad_message_placeholder_raises_when_the_class_is_defined(message: str, why: str) -> None:
    with pytest.raises(TypeError, match=re.escape(why)):
        _define(message)


def test_good_message_placeholders_are_accepted() -> None:
    rule = _define("`{target!r}` of `{owner:>8}` is wrong; `{{literal}}` braces stay")
    assert rule.message.format(target="x", owner="y").endswith("`{literal}` braces stay")


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.code)
def test_fix_safety_is_declared_on_the_class(rule: type[Rule]) -> None:
    """What `arch-lint rules`, the docs and SARIF say is the class attribute;
    the docstring section exists exactly when the attribute is set."""
    assert fix_applicability(rule) == (rule.fix_safety or "none")
    has_section = FIX_SAFETY_SECTION in doc_sections(rule.__doc__ or "")
    assert has_section == (rule.fix_safety is not None)


_FIX_DOC = "\n    ## Fix safety\n    The fix is {}.\n"


@pytest.mark.parametrize(
    ("attrs", "doc", "why"),
    [
        ({"fix_safety": "safe", "fix_title": None}, _FIX_DOC.format("safe"), "needs a `fix_title`"),
        ({"fix_safety": "unsafe", "fix_title": "Merge"}, "", "documents it in '## Fix safety'"),
        ({"fix_title": "Merge"}, _FIX_DOC.format("unsafe"), "`fix_safety` is not set"),
        ({"fix_safety": "safe", "fix_title": "Merge"}, _FIX_DOC.format("unsafe"), "is safe"),
        ({"fix_safety": "unsafe", "fix_title": "Merge"}, _FIX_DOC.format("safe"), "is unsafe"),
        (
            {"fix_safety": "maybe", "fix_title": "Merge"},
            _FIX_DOC.format("maybe"),
            "'safe', 'unsafe'",
        ),
        (
            {"fix_safety": "unsafe", "fix_title": "Merge", "edit": None},
            _FIX_DOC.format("unsafe"),
            "names its `fix_node` and defines `edit`",
        ),
    ],
    ids=[
        "no-title",
        "no-section",
        "section-only",
        "says-unsafe",
        "says-safe",
        "bad-value",
        "no-edit",
    ],
)
def test_fix_metadata_is_validated_when_the_class_is_defined(
    attrs: dict[str, object], doc: str, why: str
) -> None:
    with pytest.raises(TypeError, match=re.escape(why)):
        _define(doc=doc, **attrs)


def test_a_consistent_fix_declaration_is_accepted() -> None:
    rule = _define(
        doc=_FIX_DOC.format("unsafe"),
        fix_safety="unsafe",
        fix_title="Merge",
        fix_node="statement",
        edit=classmethod(lambda cls, node, fix: node),
    )
    assert fix_applicability(rule) == "unsafe"


FIXTURE_CASES = sorted(p for p in (ROOT / "tests" / "fixtures" / "rules").iterdir() if p.is_dir())


def test_every_fix_a_rule_builds_has_the_declared_safety(monkeypatch: pytest.MonkeyPatch) -> None:
    """Run every fixture case: each finding's `Fix.safe`, and the JSON output's
    `applicability`, match its rule's `fix_safety`; a rule that declares a fix
    builds one somewhere in the fixtures (or the check above proves nothing)."""
    fixed: dict[str, int] = {}
    for case in FIXTURE_CASES:
        monkeypatch.chdir(case)
        settings = load_settings(None, case)
        findings: list[Finding] = [
            f for f in run(settings, [case], use_cache=False).findings if f.fix is not None
        ]
        for finding in findings:
            assert finding.fix is not None
            declared = BY_CODE[finding.code].fix_safety
            where = f"{case.name}/{finding.path}:{finding.line} {finding.code}"
            assert declared is not None, f"{where}: a fix from a rule that declares none"
            assert finding.fix.safe == (declared == "safe"), f"{where}: not {declared}"
            assert finding.fixable, where
            fixed[finding.code] = fixed.get(finding.code, 0) + 1
        if findings:
            reported = json.loads(render("json", findings, settings.root))
            assert [r["fix"]["applicability"] for r in reported] == [
                BY_CODE[r["code"]].fix_safety for r in reported
            ]
    declaring = {r.code for r in RULES if r.fix_safety is not None}
    assert declaring <= set(fixed), f"no fixture builds a fix for {declaring - set(fixed)}"


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


def test_no_rule_reaches_through_the_index_into_the_layout() -> None:
    """Rules ask their context where a file lies (`ctx.in_shared_models`,
    `ctx.is_public(...)`) and the index's parts the rest
    (`ctx.index.models.is_model(...)`), never `ctx.index.layout`: the context
    is what can change behind them. `_base.py` defines the context: it alone
    asks the layout."""
    offenders = [
        f"{path.name}:{n}"
        for path in sorted((ROOT / "src" / "arch_lint" / "rules").glob("*.py"))
        if path.name != "_base.py"
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if ".index.layout" in line and not line.lstrip().startswith(("from ", "import "))
    ]
    assert offenders == []
