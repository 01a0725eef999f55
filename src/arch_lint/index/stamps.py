"""What one file says about service names: the `source_service` it stamps on
envelopes, the service name its settings declare, and its module constants
(ARC211's facts).

Read from the standard `ast` while the file's facts are extracted:
- the module-level constants come from the statement pass (`note_constant`);
- the rest only where the bytes spell `source_service` (stamps: only the
  statements that span such a line are walked) or a class outside functions
  assigns `service_name` / `SERVICE_NAME` (declarations: the statement pass
  asks `declares_service_name` of each such class).

A module constant is kept only where some stamp may read it: its name says it
may name something (`SERVICE`, `SOURCE`, `APP_NAME`, `ORIGIN`, ...), or a stamp
of its own module reads it. Constants are part of the file's interface (a
stamp of another file reads them by name), so keeping every capitalised
string (`LOG_LEVEL = "INFO"`) would make an edit of any of them invalidate
every cached finding; a stamp that reads a constant the facts leave out is
not known, not judged, and no vote (as a value read from anything else).

A stamp is kept whatever its callee: whether the callee is the envelope (the
configured `envelope-class`, a subclass or an alias of it, or a factory that
passes its `source_service` parameter on to one) is the project index's
question (`source_service.py`), as is what a constant's name refers to.
Stamps, declarations, constants and factories are part of the file's
interface (other files' findings count them); their positions are not.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from arch_lint.index.models import Pos, dotted, position
from arch_lint.index.names import env_default
from arch_lint.index.walk import MarkedLines, push_children

FIELD = "source_service"
"""The envelope field a stamp sets."""

# how a stamp's value is spelled
LITERAL = "literal"
"""A string literal: `value` is the string."""
NAME = "name"
"""A name or dotted name (`SERVICE`, `constants.SERVICE`): `value` is the name,
followed to a module constant by the index."""
SETTINGS = "settings"
"""A read of a settings object's service-name field (`settings.SERVICE_NAME`,
`self.settings.service_name`, `get_settings().SERVICE_NAME`): `value` is the
expression as written."""

# how a module constant is bound
CONST_LITERAL = ""
CONST_ENV = "env"
"""`os.getenv("SERVICE_NAME", "orders")`, `os.environ.get(...)`: the default."""
CONST_SETTINGS = "settings"
"""`SERVICE_NAME = settings.SERVICE_NAME`: a settings read under another name."""

_SERVICE_NAME_SPELLINGS = (b"service_name", b"SERVICE_NAME")
"""How a service-name field is spelled in the bytes: a declaration is read only
where they spell one (a name Python reads so but spelled otherwise, fullwidth
or in `# coding: utf-7`, is not; searched only once a class declares one)."""
_CONSTANT_VALUE = re.compile(r"[A-Za-z0-9][\w.\-]{0,63}")
"""What a constant's value must look like to be kept (a name, not a sentence)."""
_SETTINGS_PART = re.compile(r"(?i)settings|config|conf|cfg")
_NAMING_CONSTANT = re.compile(
    r"(?i)service|source|name|app|origin|sender|producer|emitter|publisher|component|system"
)
"""A module constant whose name says it may name a service (`SERVICE`,
`SOURCE`, `APP_NAME`): kept for the stamps of other modules."""
_SETTINGS_CLASS = ("Settings", "Config", "Configuration", "Conf")
_VALIDATORS = frozenset({"model_validate", "parse_obj", "model_construct", "construct"})
_LEAVES: frozenset[type[ast.AST]] = frozenset({ast.Name, ast.Constant})
"""Expressions with no expression under them."""


def is_service_name_field(name: str) -> bool:
    """`SERVICE_NAME`, `service_name`: the settings field that names the service."""
    return name in ("service_name", "SERVICE_NAME")


def declares_service_name(cls: ast.ClassDef) -> bool:
    """Whether the class body assigns a service-name field (what
    `_Reader.declared` reads, whatever the value): the statement pass asks it
    of every class outside functions, which costs less than a search of the
    bytes for either spelling."""
    for stmt in cls.body:
        kind = type(stmt)
        if kind is ast.AnnAssign:
            target = stmt.target  # type: ignore[attr-defined]
        elif kind is ast.Assign and len(stmt.targets) == 1:  # type: ignore[attr-defined]
            target = stmt.targets[0]  # type: ignore[attr-defined]
        else:
            continue
        if type(target) is ast.Name and is_service_name_field(target.id):
            return True
    return False


class Stamp(NamedTuple):
    """One `source_service=` argument (or `"source_service":` key of a dict
    validated into a class)."""

    callee: str
    """The class called (or validated into), as written (`EventEnvelope`,
    `events.EventEnvelope`; a subscript's arguments dropped)."""
    kind: str
    """`literal`, `name` or `settings`."""
    value: str
    pos: Pos
    """The argument: from the keyword to the end of its value."""

    def interface(self) -> list[Any]:
        return [self.callee, self.kind, self.value]


class NameDecl(NamedTuple):
    """A class attribute that names the service: `SERVICE_NAME: str = "orders"`,
    `service_name: str = Field(default="orders")`, in any class."""

    owner: str
    """The class's qualified name."""
    name: str
    """The attribute as spelled."""
    value: str
    dataclass: bool
    """The class is decorated `@dataclass`."""
    pos: Pos

    def interface(self) -> list[Any]:
        return [self.owner, self.name, self.value, self.dataclass]


@dataclass(slots=True)
class StampFacts:
    """A file's stamps, service-name declarations and module constants."""

    stamps: list[Stamp] = field(default_factory=list)
    declarations: list[NameDecl] = field(default_factory=list)
    constants: dict[str, tuple[str, str]] = field(default_factory=dict)
    """Module-level constant -> (value, how it is bound: "" a literal, `env` an
    environment read's default, `settings` a settings read)."""

    forwarders: list[tuple[str, str]] = field(default_factory=list)
    """Functions that pass their `source_service` parameter on to a class as
    its `source_service` (a factory: `def create_event(source_service, ...):
    return EventEnvelope(source_service=source_service, ...)`): (the function's
    qualified name, the class called as written)."""

    def __bool__(self) -> bool:
        return bool(self.stamps or self.declarations or self.constants or self.forwarders)

    def interface(self) -> list[Any]:
        return [
            [s.interface() for s in self.stamps],
            [d.interface() for d in self.declarations],
            sorted([k, *v] for k, v in self.constants.items()),
            [list(f) for f in self.forwarders],
        ]

    def to_json(self) -> list[Any]:
        return [
            [[*s.interface(), list(s.pos)] for s in self.stamps],
            [[*d.interface(), list(d.pos)] for d in self.declarations],
            sorted([k, *v] for k, v in self.constants.items()),
            [list(f) for f in self.forwarders],
        ]

    @classmethod
    def from_json(cls, data: list[Any]) -> StampFacts:
        stamps, declarations, constants, forwarders = data
        return cls(
            [Stamp(c, k, v, (p[0], p[1], p[2], p[3])) for c, k, v, p in stamps],
            [
                NameDecl(o, n, v, bool(d), (p[0], p[1], p[2], p[3]))
                for o, n, v, d, p in declarations
            ],
            {k: (v, how) for k, v, how in constants},
            [(f, c) for f, c in forwarders],
        )


def note_constant(
    facts: StampFacts, targets: list[ast.expr], value: ast.expr, origin: dict[str, str]
) -> None:
    """A module-level `NAME = "orders"`, `NAME = os.getenv("X", "orders")` or
    `NAME = settings.SERVICE_NAME` (`origin`: the module's imported names ->
    their dotted origin). Kept for constants spelled in capitals or naming a
    service, whose value looks like a name."""
    if len(targets) != 1 or not isinstance(targets[0], ast.Name):
        return
    name = targets[0].id
    if not (name.isupper() or "service" in name.lower()):
        return
    if isinstance(value, ast.Constant) and isinstance(value.value, str):
        if _CONSTANT_VALUE.fullmatch(value.value):
            facts.constants[name] = (value.value, CONST_LITERAL)
        return
    default = _env_default(value, origin)
    if default is not None:
        facts.constants[name] = (default, CONST_ENV)
    elif _settings_read(value):
        facts.constants[name] = ("", CONST_SETTINGS)


def _env_default(value: ast.expr, origin: dict[str, str]) -> str | None:
    """The literal default of `os.getenv("X", "d")` / `os.environ.get("X", "d")`,
    where it looks like a name."""
    found = env_default(value, origin)
    if found is not None and _CONSTANT_VALUE.fullmatch(found[1]):
        return found[1]
    return None


def _settings_read(node: ast.expr) -> bool:
    """`settings.SERVICE_NAME`, `self.settings.service_name`,
    `get_settings().SERVICE_NAME`: a service-name field read from an object
    whose spelling says it is the settings."""
    if not isinstance(node, ast.Attribute) or not node.attr.lower().endswith("service_name"):
        return False
    inner: ast.expr = node.value
    while True:
        if isinstance(inner, ast.Call):
            inner = inner.func
        if isinstance(inner, ast.Attribute):
            if _SETTINGS_PART.search(inner.attr):
                return True
            inner = inner.value
        elif isinstance(inner, ast.Name):
            return _SETTINGS_PART.search(inner.id) is not None
        else:
            return False


def read_stamps(tree: ast.Module, source: bytes, facts: StampFacts, names: bool) -> None:
    """The file's stamps and service-name declarations, into `facts`; then
    only the module constants some stamp may read are kept (see the module's
    documentation). `names`: whether `declares_service_name` said so of some
    class outside functions (no declaration stands anywhere else)."""
    stamps = FIELD.encode() in source
    names = names and any(spelling in source for spelling in _SERVICE_NAME_SPELLINGS)
    if stamps or names:
        marks = MarkedLines(source, (FIELD.encode(),)) if stamps else None
        reader = _Reader(facts, marks, names)
        reader.body(tree.body, [], [])
    if facts.constants:
        read = {s.value.split(".", 1)[0] for s in facts.stamps if s.kind == NAME}
        facts.constants = {
            name: bound
            for name, bound in facts.constants.items()
            if name in read or _NAMING_CONSTANT.search(name)
        }


class _Reader:
    def __init__(self, facts: StampFacts, marks: MarkedLines | None, names: bool) -> None:
        self.facts = facts
        self.marks = marks
        """The lines that spell `source_service` (None: none): the expressions
        of a statement are walked only where it spans one."""
        self.names = names
        self._locals: dict[int, frozenset[str]] = {}
        self._qualnames: dict[int, str] = {}
        """Functions defined at module level or in a class -> qualified name."""

    def spans(self, node: ast.stmt) -> bool:
        """Whether the statement spans a line that spells `source_service`."""
        return self.marks is not None and self.marks.spans(
            node.lineno, node.end_lineno or node.lineno
        )

    def body(self, body: list[ast.stmt], functions: list[ast.AST], classes: list[str]) -> None:
        for stmt in body:
            if not self.spans(stmt) and (functions or not self.names):
                continue  # no stamp in it, and no declaration (they stand outside functions)
            if isinstance(stmt, ast.ClassDef):
                if self.names and not functions:
                    self.declared(stmt, ".".join([*classes, stmt.name]))
                for node in [*stmt.decorator_list, *stmt.bases, *stmt.keywords]:
                    self.expression(node, functions)
                self.body(stmt.body, functions, [*classes, stmt.name])
            elif isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
                args = stmt.args
                defaults = [d for d in args.kw_defaults if d is not None]
                for node in [*stmt.decorator_list, *args.defaults, *defaults]:
                    self.expression(node, functions)
                if not functions:
                    self._qualnames[id(stmt)] = ".".join([*classes, stmt.name])
                self.body(stmt.body, [*functions, stmt], classes)
            else:
                self.statement(stmt, functions, classes)

    def statement(self, stmt: ast.stmt, functions: list[ast.AST], classes: list[str]) -> None:
        """A statement's expressions, and the bodies of a compound one."""
        for name in stmt._fields:
            value = getattr(stmt, name, None)
            items: list[Any] = value if isinstance(value, list) else [value]
            if items and isinstance(items[0], ast.stmt):
                self.body(items, functions, classes)
            elif name == "handlers" or name == "cases":
                for part in items:
                    self.body(part.body, functions, classes)
                    guard = getattr(part, "guard", None)
                    if isinstance(guard, ast.expr):
                        self.expression(guard, functions)
            else:
                for item in items:
                    if isinstance(item, ast.expr):
                        self.expression(item, functions)
                    elif isinstance(item, ast.withitem):
                        self.expression(item.context_expr, functions)

    def expression(self, node: ast.AST, functions: list[ast.AST]) -> None:
        if self.marks is None or not self.marks.marks(node):
            return
        self._calls([node], functions)

    def _calls(self, stack: list[ast.AST], scope: list[ast.AST]) -> None:
        """The calls under the nodes on `stack` (the last one first, each node
        before its children); a lambda's nodes are walked at once, in its scope."""
        while stack:
            item = stack.pop()
            kind = type(item)
            if kind in _LEAVES:
                continue
            if kind is ast.Lambda:
                inner: list[ast.AST] = []
                push_children(item, inner)
                self._calls(inner, [*scope, item])
                continue
            if kind is ast.Call:
                self.call(item, scope)  # type: ignore[arg-type]
            push_children(item, stack)

    def call(self, call: ast.Call, functions: list[ast.AST]) -> None:
        func = call.func
        for kw in call.keywords:
            if kw.arg == FIELD:
                callee = _callee(func)
                if callee is not None and self.forwards(kw.value, functions):
                    qualname = self._qualnames[id(functions[-1])]
                    if (qualname, callee) not in self.facts.forwarders:
                        self.facts.forwarders.append((qualname, callee))
                    continue
                value = self.value(kw.value, functions)
                if callee is not None and value is not None:
                    end = position(kw.value)
                    pos = (kw.lineno, kw.col_offset, end[2], end[3])
                    self.facts.stamps.append(Stamp(callee, *value, pos))
        if isinstance(func, ast.Attribute) and func.attr in _VALIDATORS and call.args:
            data = call.args[0]
            receiver = _callee(func.value)
            if receiver is None or not isinstance(data, ast.Dict):
                return
            for key, item in zip(data.keys, data.values, strict=True):
                if isinstance(key, ast.Constant) and key.value == FIELD:
                    value = self.value(item, functions)
                    if value is not None:
                        end = position(item)
                        pos = (key.lineno, key.col_offset, end[2], end[3])
                        self.facts.stamps.append(Stamp(receiver, *value, pos))

    def forwards(self, node: ast.expr, functions: list[ast.AST]) -> bool:
        """`source_service=source_service` in a module-level function or a
        method whose parameter it is (never reassigned in its body)."""
        if not functions or id(functions[-1]) not in self._qualnames:
            return False
        if not isinstance(node, ast.Name) or node.id != FIELD:
            return False
        function = functions[-1]
        if not isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
            return False
        args = function.args
        params = {a.arg for a in [*args.posonlyargs, *args.args, *args.kwonlyargs]}
        if FIELD not in params:
            return False
        return not any(
            isinstance(n, ast.Name) and n.id == FIELD and isinstance(n.ctx, ast.Store)
            for stmt in function.body
            for n in ast.walk(stmt)
        )

    def value(self, node: ast.expr, functions: list[ast.AST]) -> tuple[str, str] | None:
        """How a stamp's value is spelled, or None where it is not known
        statically (a parameter, a local, an instance attribute, a call)."""
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return LITERAL, node.value
        if _settings_read(node):
            return SETTINGS, ast.unparse(node)
        written = dotted(node)
        if written is None:
            return None
        head = written.split(".", 1)[0]
        if head in ("self", "cls") or any(head in self.local_names(f) for f in functions):
            return None
        return NAME, written

    def local_names(self, function: ast.AST) -> frozenset[str]:
        """The names a function (or lambda) binds: its parameters and every
        name assigned in its body (nested functions included: more names
        local means fewer guesses). `global` names are the module's."""
        key = id(function)
        known = self._locals.get(key)
        if known is not None:
            return known
        names: set[str] = set()
        declared_global: set[str] = set()
        args = getattr(function, "args", None)
        if isinstance(args, ast.arguments):
            every = [*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg]
            names.update(a.arg for a in every if a is not None)
        body = getattr(function, "body", [])
        for stmt in body if isinstance(body, list) else [body]:
            for node in ast.walk(stmt):
                if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                    names.add(node.id)
                elif isinstance(node, (ast.Global, ast.Nonlocal)):
                    declared_global.update(node.names)
                elif isinstance(node, (ast.Import, ast.ImportFrom)):
                    names.update((a.asname or a.name).split(".")[0] for a in node.names)
                elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                    names.add(node.name)
        found = frozenset(names - declared_global)
        self._locals[key] = found
        return found

    def declared(self, cls: ast.ClassDef, qualname: str) -> None:
        """`SERVICE_NAME: str = "orders"`, `service_name = Field(default="orders")`
        in the class body."""
        decorated = any(
            (dotted(d.func if isinstance(d, ast.Call) else d) or "").rsplit(".", 1)[-1]
            == "dataclass"
            for d in cls.decorator_list
        )
        for stmt in cls.body:
            target: ast.expr
            if isinstance(stmt, ast.AnnAssign) and stmt.value is not None:
                target, value = stmt.target, stmt.value
            elif isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
                target, value = stmt.targets[0], stmt.value
            else:
                continue
            if not isinstance(target, ast.Name) or not is_service_name_field(target.id):
                continue
            literal = _default(value)
            if literal is not None:
                decl = NameDecl(qualname, target.id, literal, decorated, position(stmt))
                self.facts.declarations.append(decl)


def _default(value: ast.expr) -> str | None:
    """The literal a field defaults to: `"orders"`, `Field("orders")`,
    `Field(default="orders")`, `field(default="orders")`."""
    if isinstance(value, ast.Constant) and isinstance(value.value, str):
        return value.value
    if isinstance(value, ast.Call):
        last = (dotted(value.func) or "").rsplit(".", 1)[-1]
        if last not in ("Field", "field"):
            return None
        candidates = [kw.value for kw in value.keywords if kw.arg == "default"]
        if value.args:
            candidates.append(value.args[0])
        for node in candidates:
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                return node.value
    return None


def _callee(func: ast.expr) -> str | None:
    """`EventEnvelope`, `events.EventEnvelope`; `EventEnvelope[OrderPlaced]` ->
    `EventEnvelope`."""
    if isinstance(func, ast.Subscript):
        func = func.value
    return dotted(func)


def settings_like_class(qualname: str) -> bool:
    """A class named as settings are (`Settings`, `AppConfig`, `Settings.Service`)."""
    return any(part.endswith(_SETTINGS_CLASS) for part in qualname.split("."))
