"""Rule base classes and the per-file context rules ask their questions of.

A rule is a small class: its metadata (code, kebab-case name, message
template, documentation) is validated when the class is defined. Per-file rules
either implement `check()` (they work from the file's facts) or `visit_<Node>`
methods, which the engine runs in one batched traversal of the file's `ast`.
"""

from __future__ import annotations

import ast
import re
import string
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, ClassVar, Literal

from arch_lint.config.resolve import Settings
from arch_lint.findings import Finding, Fix
from arch_lint.index.facts import FileFacts
from arch_lint.index.layout import Service
from arch_lint.index.project import ProjectIndex
from arch_lint.index.semantic import SemanticModel
from arch_lint.source import char_column

CODE_RE = re.compile(r"^ARC\d{3}$")
NAME_RE = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")
REQUIRED_SECTIONS = ("What it does", "Why is this bad?", "Example", "Use instead", "How to fix")
FIX_SAFETY_SECTION = "Fix safety"
"""The section that explains a rule's fix; a rule has it exactly when it declares
`fix_safety`."""
FixSafety = Literal["safe", "unsafe"]


def doc_sections(doc: str) -> dict[str, str]:
    """`## Heading` -> body, from a rule's documentation."""
    sections: dict[str, str] = {}
    current: str | None = None
    lines: list[str] = []
    for line in _dedent(doc).splitlines():
        if line.startswith("## "):
            if current is not None:
                sections[current] = "\n".join(lines).strip()
            current, lines = line[3:].strip(), []
        elif current is not None:
            lines.append(line)
    if current is not None:
        sections[current] = "\n".join(lines).strip()
    return sections


def _dedent(doc: str) -> str:
    first, _, rest = doc.partition("\n")
    return first.strip() + "\n" + dedent(rest)


def dedent(text: str) -> str:
    """`textwrap.dedent`, line by line instead of with regular expressions: every
    rule's documentation is read when its class is defined, in every run, and
    this takes a fifth of the time. Lines of spaces and tabs only become empty;
    the longest leading run of spaces and tabs that every other line starts
    with is removed."""
    lines = text.split("\n")
    margin: str | None = None
    for line in lines:
        content = line.lstrip(" \t")
        if not content:
            continue
        indent = line[: len(line) - len(content)]
        if margin is None or margin.startswith(indent):
            margin = indent
        elif not indent.startswith(margin):
            common = 0
            for a, b in zip(margin, indent, strict=False):
                if a != b:
                    break
                common += 1
            margin = margin[:common]
    cut = len(margin or "")
    return "\n".join(line[cut:] if line.lstrip(" \t") else "" for line in lines)


def code_blocks(text: str) -> list[str]:
    """The ```python blocks of a documentation section."""
    return [m.group(1) for m in re.finditer(r"```python\n(.*?)```", text, re.S)]


def template_problems(message: str) -> list[str]:
    """What is wrong with a message template: every `{field}` must be a keyword
    (an identifier: `report` fills it by name), never positional (`{}`, `{0}`)
    nor an attribute or index (`{a.b}`, `{a[0]}`); braces must pair up."""
    try:
        parsed = list(string.Formatter().parse(message))
    except ValueError as exc:
        return [f"`message` is not a valid template: {exc}"]
    problems = []
    for _, name, spec, _ in parsed:
        if name is None:
            continue
        if not name.isidentifier():
            what = "a positional field" if name == "" or name.isdigit() else "not an identifier"
            problems.append(f"`message` field `{{{name}}}` is {what}: name it (`{{target}}`)")
        elif name in ("peers", "dependents"):
            problems.append(f"`message` field `{{{name}}}` is reserved: `report` takes the {name}")
        elif spec and "{" in spec:
            problems.append(f"`message` field `{{{name}}}` has a nested field in its format")
    return problems


def _fix_problems(cls: type[Rule], sections: Mapping[str, str]) -> list[str]:
    """`fix_safety`, `fix_title` and the "Fix safety" section agree."""
    safety = cls.fix_safety
    section = sections.get(FIX_SAFETY_SECTION)
    if safety is None:
        if section is not None:
            return [f"'## {FIX_SAFETY_SECTION}' is documented but `fix_safety` is not set"]
        return []
    if safety not in ("safe", "unsafe"):
        return ["`fix_safety` must be 'safe', 'unsafe' or None"]
    problems = []
    if cls.fix_node is None or cls.__dict__.get("edit") is None:
        problems.append("a rule with `fix_safety` names its `fix_node` and defines `edit`")
    if not cls.fix_title:
        problems.append("a rule with `fix_safety` needs a `fix_title`")
    if section is None:
        problems.append(f"a rule with `fix_safety` documents it in '## {FIX_SAFETY_SECTION}'")
    elif not re.search(rf"\b{safety}\b", section, re.IGNORECASE):
        problems.append(f"'## {FIX_SAFETY_SECTION}' does not say the fix is {safety}")
    return problems


class Rule:
    """Metadata shared by every rule."""

    code: ClassVar[str]
    name: ClassVar[str]
    message: ClassVar[str]
    fix_title: ClassVar[str | None] = None
    """The remedy in one line (also for rules without an autofix)."""
    fix_safety: ClassVar[FixSafety | None] = None
    """Whether the rule offers an autofix, and its safety as ruff defines it: a
    `safe` fix keeps behaviour, an `unsafe` one may change it (`--unsafe-fixes`).
    None: the rule fixes nothing. A rule that sets it has a `fix_title` and a
    "Fix safety" docstring section that says the same word; every `Fix` it builds
    has `safe` accordingly (a meta-test runs the fixtures to check)."""
    fix_node: ClassVar[Literal["call", "statement"] | None] = None
    """Which libcst node `edit` transforms: the call, or the small statement
    (an assignment or expression statement) that the fix's span names."""
    default_on: ClassVar[bool] = True
    example_config: ClassVar[str] = ""
    """TOML lines the documented examples need (the tests lint them with it)."""
    meta: ClassVar[bool] = False
    """Meta rules (ARC000-ARC002) are produced by the engine or the CLI, not by a visit."""

    @classmethod
    def edit(cls, node: Any, fix: Fix) -> Any:
        """The rule's fix as a libcst transformation of `node` (of the kind
        `fix_node` names, found by the engine at the fix's span): the new node,
        or `node` itself where the fix does not apply (then nothing of the file
        is written). A rule imports libcst here, not at module level."""
        return node

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.__name__.startswith("_") or cls.__dict__.get("abstract", False):
            return
        problems = []
        if not CODE_RE.match(getattr(cls, "code", "")):
            problems.append("`code` must be ARC followed by three digits")
        if not NAME_RE.match(getattr(cls, "name", "")):
            problems.append("`name` must be kebab-case")
        message = getattr(cls, "message", "")
        if not message or message.endswith("."):
            problems.append("`message` must be one clause without a final period")
        problems += template_problems(message)
        doc = cls.__doc__ or ""
        sections = doc_sections(doc)
        missing = [s for s in REQUIRED_SECTIONS if s not in sections]
        if missing:
            problems.append(f"docstring lacks sections {missing}")
        problems += _fix_problems(cls, sections)
        if problems:
            raise TypeError(f"rule {cls.__name__}: " + "; ".join(problems))

    @classmethod
    def summary(cls) -> str:
        return (cls.__doc__ or "").strip().splitlines()[0]

    @classmethod
    def documentation(cls) -> str:
        return _dedent(cls.__doc__ or "").strip()


def fewest_markers(markers: Iterable[bytes]) -> tuple[bytes, ...]:
    """The markers a prefilter must look for so that `any(m in source for m in
    ...)` says the same as for all of `markers`: one that holds another is
    found whenever that other one is (`execute` stands for `executemany`).
    Each one missing costs a scan of the whole file."""
    given = set(markers)
    return tuple(sorted(m for m in given if not any(o != m and o in m for o in given)))


@dataclass
class FileContext:
    """What a per-file rule may ask: this file, where a file lies (its service,
    public or shared-model packages), and the project index's module graph,
    model index and data-layer index (`index.modules`, `index.models`,
    `index.data`)."""

    path: str
    settings: Settings
    index: ProjectIndex
    facts: FileFacts
    source: bytes
    tree: ast.Module | None = None
    text: str | None = None
    """The decoded source when the caller has it (flake8 hands over lines)."""
    findings: list[Finding] = field(default_factory=list)
    used_allow: set[int] = field(default_factory=set)
    memo: dict[str, Any] = field(default_factory=dict)
    """Per-file results shared between rules (e.g. the import verdicts)."""

    @cached_property
    def service(self) -> Service | None:
        return self.index.layout.service_of(self.path)

    @cached_property
    def in_shared_models(self) -> bool:
        """Whether this file lies in the shared-models packages."""
        return self.index.layout.is_shared_model(self.path)

    def service_of(self, path: str) -> Service | None:
        """The service another file of the project lies in (None: in none)."""
        return self.index.layout.service_of(path)

    def is_public(self, path: str) -> bool:
        """Whether a file lies under its service's `public` globs (a client package)."""
        return self.index.layout.is_public(path)

    def is_shared_model(self, path: str) -> bool:
        """Whether a file lies in the shared-models packages."""
        return self.index.layout.is_shared_model(path)

    @cached_property
    def semantic(self) -> SemanticModel:
        """The semantic model of the file's tree (built on first use, shared by
        every rule; only asked where the tree is parsed)."""
        if self.tree is None:
            raise ValueError(f"{self.path}: no syntax tree to model")
        return SemanticModel.of(self.tree, self.source)

    def use_model(self, model: SemanticModel) -> None:
        """Take the semantic model of this file's tree built before (by an
        earlier look at the same tree) rather than building it again."""
        self.__dict__["semantic"] = model

    def release(self, keep_model: bool = False) -> None:
        """Drop what the rules built for this file (analyses refer back to the
        context: without this, the cycle outlives the check while the engine
        runs with the garbage collector off). `keep_model`: `SemanticModel.of`
        still finds the tree's model (the tree is looked at again)."""
        self.memo.clear()
        self.__dict__.pop("semantic", None)
        if not keep_model:
            SemanticModel.forget(self.tree)

    @cached_property
    def module(self) -> str:
        return self.index.modules.module_of(self.path) or self.path

    @cached_property
    def lines(self) -> list[str]:
        from arch_lint.source import decode, source_lines

        return source_lines(self.text if self.text is not None else decode(self.source))

    @cached_property
    def ascii(self) -> bool:
        return self.source.isascii()

    def char_col(self, line: int, byte_col: int) -> int:
        """0-based character column of a 0-based UTF-8 byte offset on a 1-based line."""
        if self.ascii:
            return byte_col
        if not 1 <= line <= len(self.lines):
            return byte_col
        return char_column(self.lines[line - 1], byte_col)


class FileRule(Rule):
    """A rule that looks at one file at a time (it may ask the project index)."""

    abstract: ClassVar[bool] = True

    def __init__(self, ctx: FileContext) -> None:
        self.ctx = ctx

    needs_tree: ClassVar[bool] = False
    """The rule reads the syntax tree (`check_tree`, asking `ctx.semantic`).

    A tree rule runs while the index is being built, with the tree at hand
    (`Engine.check_early`): asked then about a file not read yet, the index
    raises `partial.Incomplete` (a `BaseException`: never catch it) and the
    rule runs again once the index is whole. What it keeps across files must
    not depend on such answers."""
    gathers: ClassVar[bool] = False
    """The rule's tree work splits in two: `gather` reads the tree and asks the
    index nothing that needs the whole project; `judge` answers the rest from
    what was gathered, with no tree (no syntax node may be in it). The engine
    gathers while the index is being built and judges once it is whole, so the
    file is not parsed a second time (`check_tree` does both, for the other
    callers)."""

    @classmethod
    def applies(cls, settings: Settings, source: bytes) -> bool:
        """A cheap test on the source bytes that lets the engine skip the tree of a
        file in which the rule cannot find anything (no parse, no traversal)."""
        return True

    def relevant(self) -> bool:
        """A test with the project index (after `applies`, before the tree is used)."""
        return True

    def check(self) -> None:
        """Work from the file's facts; `check_tree` is the other way in."""

    def check_tree(self, tree: ast.Module) -> None:
        """Work from the whole tree with a walk of the rule's own."""
        if type(self).gathers:
            self.judge(self.gather(tree))

    def gather(self, tree: ast.Module) -> Any:
        """What `judge` needs, free of syntax nodes (positions, names, text)."""
        return None

    def judge(self, gathered: Any) -> None:
        """Report from what `gather` found, with the whole index."""

    def report(
        self,
        line: int,
        col: int,
        end_line: int,
        end_col: int,
        fields: Mapping[str, str],
        *,
        byte_cols: bool = True,
        fixable: bool = False,
        fix: Fix | None = None,
        peers: Sequence[str] = (),
        dependents: Sequence[str] = (),
    ) -> None:
        """Report a finding; `col`/`end_col` are 0-based (bytes unless `byte_cols=False`).
        `peers`: the other services the finding couples this one to (the far
        ends of its edges in `arch-lint graph`); `dependents`: the other
        services that depend on this one through what it flags (the near ends
        of its edges, which run to this service); both known from the index,
        never read back from the message."""
        ctx = self.ctx
        if byte_cols:
            col, end_col = ctx.char_col(line, col), ctx.char_col(end_line, end_col)
        ctx.findings.append(
            Finding(
                code=self.code,
                name=self.name,
                message=self.message.format(**fields),
                path=ctx.path,
                line=line,
                column=col + 1,
                end_line=end_line,
                end_column=end_col + 1,
                service=ctx.service.name if ctx.service else None,
                fixable=fixable or fix is not None,
                fix=fix,
                peers=tuple(sorted(set(peers))),
                dependents=tuple(sorted(set(dependents))),
            )
        )

    def report_fix(self, node: ast.stmt | ast.expr, fix: Fix | None, **fields: str) -> None:
        """Report at a node, with a fix (or None)."""
        end_line = node.end_lineno or node.lineno
        end_col = node.end_col_offset or node.col_offset
        self.report(node.lineno, node.col_offset, end_line, end_col, fields, fix=fix)

    def report_node(
        self, node: ast.stmt | ast.expr, *, peers: Sequence[str] = (), **fields: str
    ) -> None:
        end_line = node.end_lineno or node.lineno
        end_col = node.end_col_offset or node.col_offset
        self.report(node.lineno, node.col_offset, end_line, end_col, fields, peers=peers)


class MetaRule(Rule):
    """A rule whose findings the engine or the CLI produces (ARC000-ARC002)."""

    abstract: ClassVar[bool] = True
    meta: ClassVar[bool] = True


class SchemaRule(Rule):
    """A rule of `arch-lint schema-diff`: a change between two versions of the
    shared models (the logic is in `arch_lint.schema.diff`; `check` and flake8
    never report these). Documented examples hold two versions of one file,
    headed `# before: path` and `# after: path`."""

    abstract: ClassVar[bool] = True
    modes: ClassVar[tuple[str, ...]] = ("backward", "forward", "full")
    """The compatibility modes in which the documented Example breaks (the tests
    check it is flagged in each)."""
