"""What the logging rules (ARC301-ARC304) share: one analysis of a file's logger
calls, function by function.

The file's semantic model (`ctx.semantic`) gives the statements in source
order with their scope, block path and flow, and what every name is bound to
where it is read. Only statements on a line that can hold a logger call
(`.info(`, `.error(`, …, however spaced: `logger.info (`) or a fresh id
(`uuid4(`) have their expressions walked; each call is judged where it stands,
so the id it could carry is looked up on its own path (and the `if` tests and
`except` clauses around it).

A call is judged only when its receiver is known to be a logger: a name bound
from a `logger-factories` / `structlog-factories` call (in this function, in an
enclosing one, at module level, or imported from the module that made it), a
`.bind()`/`.new()` result of a logger, a `LoggerAdapter(...)`, `self.<attr>`
set from a factory in the class, or the `logging` module itself. A logger that
arrives as a parameter is unknown (it may be bound already) and never judged.
"""

from __future__ import annotations

import ast
import re
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cached_property, lru_cache
from typing import Any, cast

from arch_lint.index.evidence import LOGGER, STDLIB, STRUCTLOG, Proof, logging_evidence
from arch_lint.index.facts import FROM, FileFacts
from arch_lint.index.models import dotted, unquote, unwrap_optional
from arch_lint.index.semantic import (
    ASSIGN,
    IMPORT,
    PARAM,
    UNKNOWN,
    Binding,
    Scope,
    SemanticModel,
    Site,
    enclosing_class,
)
from arch_lint.index.walk import (
    MarkedLines,
    every_statement,
    nodes_of,
    place_lines,
    push_children,
)
from arch_lint.rules._base import FileContext
from arch_lint.source import spelled_as_is

_SYNC_METHODS = ("debug", "info", "warning", "warn", "error", "exception", "critical", "fatal")
LOG_METHODS = frozenset(
    {*_SYNC_METHODS, "log", "msg", *(f"a{m}" for m in (*_SYNC_METHODS, "log", "msg"))}
)
FRESH_SOURCES: dict[str, tuple[str, ...]] = {
    "uuid": ("uuid1", "uuid4", "uuid7"),
    "secrets": ("token_hex", "token_urlsafe"),
    "shortuuid": ("uuid",),
    "ulid": ("new", "ULID"),  # ulid-py's `ulid.new()`, python-ulid's `ULID()`
}
"""Every source of fresh ids: module -> the calls of it that make a new one. The one
table behind `_is_fresh` and the markers (`_CALLS`, `fresh_applies`, the per-file
markers of imported names)."""
_FRESH_ORIGINS = frozenset(f"{m}.{name}" for m, names in FRESH_SOURCES.items() for name in names)
_FRESH_CALLS = frozenset(name for m in ("uuid", "secrets") for name in FRESH_SOURCES[m])
"""The names that make a fresh id by themselves, however imported (`uuid7` of the
`uuid6` backport too); the others (`new`, `uuid`, `ULID`) count only when they
resolve to their module."""
_FRESH_ATTRIBUTES = frozenset({"hex", "urn", "str"})
"""Attributes of a fresh id that are the id as text (`uuid4().hex`, `ulid.new().str`)."""
_FRESH_SPELLINGS = {m.encode() for m in FRESH_SOURCES} | {n.encode() for n in _FRESH_CALLS}
_FRESH_BYTES = tuple(
    sorted(m for m in _FRESH_SPELLINGS if not any(o != m and o in m for o in _FRESH_SPELLINGS))
)
"""What a source must spell to hold a fresh id: a name above, or the module a
resolved source is imported from (each once: `uuid` stands in `uuid4` and
`shortuuid`, which need no scan of their own)."""
_TOKENS = tuple(m for m in _FRESH_BYTES if m.startswith(b"token_"))
_FRESH_SCANS = (
    tuple(m for m in _FRESH_BYTES if m not in _TOKENS),
    re.compile(b"token_(?:" + b"|".join(re.escape(m[6:]) for m in _TOKENS) + b")"),
)
"""`_FRESH_BYTES` as scanned: the `secrets` calls in one pattern (one scan, in a
file that spells `token_`)."""
_GAP = rb"[\s\\]*"
"""What may stand between the tokens of a call: whitespace, newlines inside brackets,
line continuations."""
_COMMENT = re.compile(rb"(?m)^([^'\"#\r\n]*)#[^\r\n]*")
"""A comment with no quote before it on its line (a `#` after a quote may be in a string)."""
_ROUTE_METHODS = frozenset(
    {"get", "post", "put", "patch", "delete", "head", "options", "route", "api_route",
     "websocket", "add_route"}
)  # fmt: skip
_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)
_COMPOUND = frozenset(
    {ast.If, ast.For, ast.AsyncFor, ast.While, ast.With, ast.AsyncWith, ast.Try,
     getattr(ast, "TryStar", ast.Try), ast.Match}
)  # fmt: skip
_HEADED_ABOVE = (
    ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.If, ast.For, ast.AsyncFor,
    ast.While, ast.With, ast.AsyncWith,
)  # fmt: skip
"""Statements whose header (`Site.header`) stands above their body: from their first
decorator or keyword to the line of their first statement."""
_SURE, _MAYBE, _ABSENT = 0, 1, 2
"""How sure an id expression is to exist where a call stands (see `_flow_verdict`)."""
_VALUES = frozenset({PARAM, ASSIGN})
"""Bindings that can hold an id: a parameter or an assigned value."""
_CONTEXT_BYTES = b"contextvars("
"""What `bind_contextvars(` and `bound_contextvars(` share (a file without it binds none)."""


Calls = tuple[re.Pattern[bytes], ...]
"""Byte patterns of the calls a rule looks for, one per leading token (each starts with
a literal, which the regex engine scans for fast)."""


@lru_cache(maxsize=128)
def call_pattern(*callees: str) -> Calls:
    """Patterns for a call of any of the callees (a name's tail: `.info`,
    `producer.send`, `dict`) however it is spaced: `logger.info (`,
    `logger.info\\<newline>(`. A match that ends in `#` instead of `(` is a callee
    followed by a comment, which the call may go on after (see `_markers`)."""
    trie: dict[str, dict[str, Any]] = {}
    for callee in callees:
        node = trie
        for token in (token for token in re.split(r"(\.)", callee) if token):
            node = node.setdefault(token, {})
        node[""] = {}  # a whole callee ends here

    def pattern(token: str, node: dict[str, dict[str, Any]]) -> bytes:
        out = [pattern(t, child) for t, child in sorted(node.items()) if t]
        if "" in node:
            out.insert(0, rb"[(#]")
        return re.escape(token).encode() + _GAP + b"(?:" + b"|".join(out) + b")"

    out = []
    for token, node in sorted(trie.items()):
        compiled = re.compile(pattern(token, node))
        if len(token) > 1:  # (a file spells a `.` at once)
            _LEADS[compiled] = token.encode()
        out.append(compiled)
    return tuple(out)


_LEADS: dict[re.Pattern[bytes], bytes] = {}
"""The literal each pattern of `call_pattern` starts with (its leading token)."""


def _spelled(source: bytes, calls: Calls) -> Iterator[re.Pattern[bytes]]:
    """The patterns whose leading literal the source spells: `bytes.find` scans for
    a literal faster than the regex engine does, and a file without it holds no
    match of the pattern."""
    for pattern in calls:
        lead = _LEADS.get(pattern)
        if lead is None or lead in source:
            yield pattern


def _markers(source: bytes, calls: Calls) -> tuple[bytes, tuple[bytes, ...]]:
    """The source to find calls in, and the calls found in it. Where a comment follows
    a callee (`logger.info  # why` + newline + `("x")` inside brackets) the calls are
    found in a copy without comments (line numbers kept)."""
    found = {match.group() for p in _spelled(source, calls) for match in p.finditer(source)}
    if any(marker.endswith(b"#") for marker in found):
        source = _COMMENT.sub(rb"\1", source)
        found |= {match.group() for p in _spelled(source, calls) for match in p.finditer(source)}
    return source, tuple(marker for marker in found if marker.endswith(b"("))


def has_call(source: bytes, calls: Calls) -> bool:
    """Whether the source holds one of the calls (a prefilter)."""
    comment = False
    for pattern in _spelled(source, calls):
        for match in pattern.finditer(source):
            if match.group().endswith(b"("):
                return True
            comment = True
    return comment and bool(_markers(source, calls)[1])


def marked_lines(source: bytes, calls: Calls) -> MarkedLines:
    """The lines on which one of the calls starts."""
    return MarkedLines(*_markers(source, calls))


def _scan(source: bytes, calls: Calls) -> tuple[list[int], bool]:
    """Where the calls start in the source, and whether a callee is followed by a
    comment (see `_markers`)."""
    starts: list[int] = []
    comment = False
    for pattern in _spelled(source, calls):
        for match in pattern.finditer(source):
            start, end = match.span()
            if source[end - 1] == 0x28:  # `(`
                starts.append(start)
            else:
                comment = True
    return starts, comment


def _log_scan(source: bytes) -> tuple[list[int], bool]:
    """`_scan` of `_CALLS`, once per file: `applies` asks it first, then the
    analysis (by the identity of the bytes, as `_APPLIES_MEMO`)."""
    global _SCAN_MEMO
    memo = _SCAN_MEMO
    if memo[0] is source:
        return memo[1], memo[2]
    starts, comment = _scan(source, _CALLS[:1])
    for head, pattern in _FRESH_CALL_SCANS:
        if _spells(source, head):  # (`bytes.find` finds a literal faster than the regex engine)
            more, more_comment = _scan(source, (pattern,))
            starts += more
            comment = comment or more_comment
    _SCAN_MEMO = (source, starts, comment)
    return starts, comment


def _marks(source: bytes, extra: Calls) -> MarkedLines:
    """`marked_lines(source, _CALLS + extra)`, from the places the scans found
    (each call's text stands where its match starts, and nowhere else: a match
    holds one `(`, at its end, and one leading token)."""
    starts, comment = _log_scan(source)
    starts = list(starts)
    if extra:
        more, more_comment = _scan(source, extra)
        starts += more
        comment = comment or more_comment
    if comment:
        source = _COMMENT.sub(rb"\1", source)
        starts = _scan(source, _CALLS + extra)[0]
    return MarkedLines.of_lines(place_lines(source, starts))


def _fresh_call_patterns() -> tuple[tuple[bytes, re.Pattern[bytes]], ...]:
    """`call_pattern(*_FRESH_CALLS)`, with the names that share a leading literal
    (`uuid1`, `uuid4`, `uuid7`; `token_hex`, `token_urlsafe`) in one pattern:
    one scan of a file for each group instead of one for each name. Each with
    that literal (`uuid`, `token_`, which `fresh_applies` asks about too): a file
    that does not spell it needs no scan with the pattern."""
    groups: dict[str, list[str]] = {}
    for name in sorted(_FRESH_CALLS):
        groups.setdefault(name[:4], []).append(name)
    out = []
    for names in groups.values():
        head = names[0]  # the literal the group's names share
        while not all(name.startswith(head) for name in names):
            head = head[:-1]
        rest = b"|".join(re.escape(name[len(head) :]).encode() for name in names)
        pattern = re.escape(head).encode() + b"(?:" + rest + b")" + _GAP + rb"[(#]"
        out.append((head.encode(), re.compile(pattern)))
    return tuple(out)


def _trie(words: list[str]) -> str:
    """A pattern for any of the words, as a trie of their letters (`warn(?:ing)?`):
    at each `.` of a file the engine tries the next letter once, not each word."""
    tails: dict[str, list[str]] = {}
    for word in words:
        tails.setdefault(word[:1], []).append(word[1:])
    out = [re.escape(head) + _trie(rest) for head, rest in sorted(tails.items()) if head]
    if "" in tails:  # a word ends here
        return f"(?:{'|'.join(out)})?" if out else ""
    return out[0] if len(out) == 1 else f"(?:{'|'.join(out)})"


_FRESH_CALL_SCANS = _fresh_call_patterns()
_CALLS = (
    # `call_pattern(*(f".{m}" for m in LOG_METHODS))`, the same matches
    re.compile(rb"\." + _GAP + _trie(sorted(LOG_METHODS)).encode() + _GAP + rb"[(#]"),
    *(pattern for _, pattern in _FRESH_CALL_SCANS),
)


@dataclass
class Logger:
    kind: str
    """`stdlib`, `structlog`, or `logger` (a logger of unknown flavour)."""
    carries: bool = False
    """Bound with a correlation id (`.bind(correlation_id=...)`, an adapter's extra)."""
    name: str | None = None
    """A stdlib logger's name where it is known (`getLogger(__name__)`: the
    module's; "" for the root logger): which configured pipelines serve it."""


@dataclass
class LogCall:
    """One judged logger call."""

    call: ast.Call
    logger: Logger
    carries: bool | None
    """True: the call carries an id; False: it does not; None: unknown (do not judge)."""
    in_message: bool
    """The id appears in the message text (f-string, `%`, `.format`, lazy args)."""
    site: Site
    """The statement the call stands in (its scope, block path and flow)."""
    route: bool = False
    """The call stands in a route handler (`@router.get(...)`)."""
    presumed: str | None = None
    """Why a route handler has an id in scope although none is at hand (the
    middleware, dependency or hook that provides it), or None."""

    @property
    def scope(self) -> Scope:
        return self.site.scope


@dataclass
class FreshId:
    """A new id (`uuid4()`) given as the correlation id while one came in."""

    node: ast.expr
    where: str
    incoming: str


def _is_fresh(node: ast.expr, origin: Callable[[str], str]) -> bool:
    """`uuid4()`, `uuid.uuid4()`, `str(uuid4())`, `uuid4().hex`, `str(uuid.uuid4())`,
    `secrets.token_hex(8)`, `shortuuid.uuid()`, `ulid.new().str`, `str(ULID())`:
    a call of `FRESH_SOURCES` (by its import origin, `origin` resolving a dotted name)."""
    if isinstance(node, ast.Attribute) and node.attr in _FRESH_ATTRIBUTES:
        return _is_fresh(node.value, origin)
    if isinstance(node, ast.Call):
        name = dotted(node.func) or ""
        if name.rsplit(".", 1)[-1] in _FRESH_CALLS or origin(name) in _FRESH_ORIGINS:
            return True
        if name == "str" and len(node.args) == 1:
            return _is_fresh(node.args[0], origin)
    return False


def fresh_applies(source: bytes) -> bool:
    """Whether the source can hold a fresh id (ARC304's prefilter)."""
    global _FRESH_MEMO
    memo = _FRESH_MEMO
    if memo[0] is source:
        return memo[1]
    markers, tokens = _FRESH_SCANS
    found = any(_spells(source, marker) for marker in markers) or (
        _spells(source, b"token_") and tokens.search(source) is not None
    )
    _FRESH_MEMO = (source, found)
    return found


def _spells(source: bytes, marker: bytes) -> bool:
    """`marker in source`, scanned for once per file: `applies` and `fresh_applies`
    ask about some of the same markers (`uuid`, `token_`), by the identity of the
    bytes as `_APPLIES_MEMO`."""
    global _SPELLED
    memo = _SPELLED
    if memo[0] is not source:
        memo = _SPELLED = (source, {})
    found = memo[1].get(marker)
    if found is None:
        found = memo[1][marker] = marker in source
    return found


_FRESH_MEMO: tuple[bytes | None, bool] = (None, False)
_APPLIES_MEMO: tuple[bytes | None, bool] = (None, False)
_SCAN_MEMO: tuple[bytes | None, list[int], bool] = (None, [], False)
_SPELLED: tuple[bytes | None, dict[bytes, bool]] = (None, {})
"""The last file's answer, by the identity of its bytes: the rules of a file ask
alike, each one a scan of the whole file (the bytes are held, so no other
file's can take their identity)."""


class LoggingAnalysis:
    """The logger calls of one file, with what each carries and what is in scope."""

    def __init__(self, ctx: FileContext, tree: ast.Module) -> None:
        self.ctx = ctx
        cfg = ctx.settings.model.logging
        self.fields = tuple(cfg.correlation_fields)
        self._id_suffixes = tuple(f"_{field}" for field in self.fields)
        self.key = self.fields[0] if self.fields else "correlation_id"
        self.carriers = tuple(cfg.correlation_carriers)
        self.factories = tuple(cfg.logger_factories)
        self.structlog_factories = tuple(cfg.structlog_factories)
        self.calls: list[LogCall] = []
        self.fresh: list[FreshId] = []
        self._carrier, self._dotted_carriers = _carrier_pattern(self.carriers)
        self._class_loggers: dict[int, dict[str, Logger]] = {}
        self._carriers: dict[tuple[int, int], bool] = {}
        self._carrier_annotations: dict[int, bool] = {}
        self._loggers_made: dict[tuple[int, int, int, tuple[int, ...]], Logger | None] = {}
        self._factory_loggers: dict[tuple[int, int], tuple[str, str, Logger | None]] = {}
        self._factory_by_binder: dict[tuple[int, int], tuple[str, str, Logger | None]] = {}
        self._attribute_paths: dict[int, list[str]] = {}
        self._field_lines: MarkedLines | None = None
        self._routes: dict[int, bool] = {}
        self._coverage: dict[int, list[Proof]] = {}
        self._set_events: dict[int, list[tuple[int, frozenset[str]]]] = {}
        self.evidence = logging_evidence(ctx.index)
        self.request_mode = cfg.request_handlers_have_correlation
        self.pipeline_mode = cfg.middleware_binds_contextvars
        self.service = ctx.service.name if ctx.service is not None else None
        self._contextvars = _CONTEXT_BYTES in ctx.source
        self._bound_context: dict[int, int] = {}
        fresh = fresh_applies(ctx.source)
        # a fresh-id source is imported by a name spelled in the file (unless
        # the parser normalised it from other characters)
        self._fresh_ids = fresh or not ctx.ascii
        """Whether a fresh id can stand in the file: a call's name or import origin
        spells a fresh-id source (but for identifiers the parser normalised)."""
        if not self._may_report(tree):
            return  # no call of the file can be reported: none is judged (nor modelled)
        extra = self._fresh_calls() if self._fresh_ids else ()
        if fresh:  # a fresh id may reach an envelope through a local
            envelope = ctx.settings.model.models.envelope_class
            extra += call_pattern(envelope, ".bind") if envelope else call_pattern(".bind")
        marks = _marks(ctx.source, extra)
        if not marks:
            return  # nothing to judge: the file's semantic model is not built for it
        if self._contextvars:
            self._bound_context = self._contexts()
        for site in self.model.marked(marks):
            stmt = site.stmt
            if isinstance(stmt, _HEADED_ABOVE) and not marks.spans(
                min([stmt.lineno, *(d.lineno for d in getattr(stmt, "decorator_list", ()))]),
                stmt.body[0].lineno,
            ):
                continue  # a marked line in its body only: no part of its header spans one
            for root in site.header():
                if marks.marks(root):  # the parts `site.nodes(marks)` walks
                    for call in _calls(root):
                        self._judge(call, site)

    def _may_report(self, tree: ast.Module) -> bool:
        """Whether a call of the file can end up in a finding: a sound pre-check
        from the bytes (and the statements) that leaves out the files where
        every call would be judged for nothing.

        ARC302 (off by default) flags a call that carries no id where none is in
        scope: with it selected, every file is judged. The others need an id in
        scope or in the message (ARC301, ARC303), or an incoming one (ARC304): a
        name or attribute that `is_id_name` (it spells a correlation field), or
        the attribute of a carrier (its class is named in the file: an
        annotation, a constructor, `Carrier.model_validate`, the return
        annotation of a function of the file; a forward reference may spell it
        only through escapes or split strings, so the strings of the
        annotations are read where the bytes do not name one); or a route
        handler whose id is presumed (`_presumed`). In a source spelled as
        Python reads it only (`spelled_as_is`: elsewhere a name may be
        normalised or encoded)."""
        ctx = self.ctx
        source = ctx.source
        if not spelled_as_is(source) or ctx.settings.selection.enabled(*_strict_rule()):
            return True
        if any(field.encode() in source for field in self.fields):
            return True
        # a carrier's last name is what its dotted name (`mod.EventEnvelope`,
        # however spaced) surely spells
        lasts = [c.rpartition(".")[2] for c in self.carriers]
        if any(last.encode() in source for last in lasts):
            return True
        routes = self.request_mode is not False and b"@" in source
        for stmt in every_statement(tree.body):
            kind = type(stmt)
            if kind is ast.FunctionDef or kind is ast.AsyncFunctionDef:
                function = cast("ast.FunctionDef | ast.AsyncFunctionDef", stmt)
                if routes and _route_decorated(function):
                    return True
                if _names_in_strings(_annotations(function), lasts):
                    return True
            elif kind is ast.AnnAssign:
                annotation = cast("ast.AnnAssign", stmt).annotation
                if _names_in_strings([annotation], lasts):
                    return True
        return False

    @cached_property
    def model(self) -> SemanticModel:
        """The file's semantic model, asked for only once a marked line needs judging
        (a file that spells `uuid` but logs nothing is not modelled for this)."""
        return self.ctx.semantic

    # names that count as the correlation id -------------------------------------------
    def is_id_name(self, name: str) -> bool:
        return name in self.fields or name.endswith(self._id_suffixes)

    def id_for(self, item: LogCall) -> tuple[str, bool] | None:
        """The correlation id expression visible at a judged call, and whether a fix
        may read it there (False: it may be missing on that path)."""
        found = self._find_id(item.site, item.call.lineno)
        return None if found is None else (found[0], found[1] == _SURE)

    def is_route(self, scope: Scope | None) -> bool:
        """Whether a function is a route handler (`@router.get(...)`, `@app.route`)."""
        if scope is None or not isinstance(scope.node, _FUNCTIONS):
            return False
        known = self._routes.get(id(scope))
        if known is None:
            known = _route_decorated(scope.node)
            self._routes[id(scope)] = known
        return known

    def _find_id(
        self, site: Site, line: int, exclude: str = "", received: bool = False
    ) -> tuple[str, int] | None:
        """The nearest concrete id expression, with how sure it is to exist there;
        one the path proves missing (`_flow_verdict`) is not in scope (nor
        `exclude` and its attributes: a fresh id's own local; `received`: only an
        id that came in, see `_carrier_local`)."""
        for expr in self._candidates(site.scope, line, site.path, received):
            if exclude and (expr == exclude or expr.startswith(f"{exclude}.")):
                continue
            verdict = self._flow_verdict(expr, site, line)
            if verdict == _SURE and "." in expr and not self._proven(site, expr, line):
                verdict = _MAYBE
            if verdict != _ABSENT:
                return expr, verdict
        return None

    def _proven(self, site: Site, expr: str, line: int) -> bool:
        """Whether `obj.correlation_id` surely exists at `line`: `obj` is a carrier
        (a typed parameter, or `self`); a test around the call reads it or asks
        `hasattr` for it (the branch runs only if it exists); or a plain statement
        of the function's own body before the call reads it (it runs on every path
        to the call, and would have raised there). A read in a `try`, under
        another test, or after the call proves nothing: such an id is in scope,
        but a fix may not read it."""
        base = expr.split(".", 1)[0]
        if base in {"self", "cls"}:
            return True
        if any(
            isinstance(stmt, (ast.If, ast.While)) and part == "body" and _proves(stmt.test, expr)
            for stmt, part in site.flow
        ):
            return True
        if self._carrier_local(site.scope, base, line, site.path):
            return True
        for current in site.scope.visible():
            node = current.node
            if not isinstance(node, _FUNCTIONS):
                continue
            if self._is_carrier(current.params().get(base)):
                return True
            for stmt in node.body:
                if stmt.lineno >= line:
                    break
                if type(stmt) in _COMPOUND or isinstance(stmt, (*_FUNCTIONS, ast.ClassDef)):
                    continue
                if any(
                    isinstance(child, ast.Attribute) and dotted(child) == expr
                    for child in ast.walk(stmt)
                ):
                    return True
        return False

    def _is_carrier(self, annotation: ast.expr | None) -> bool:
        if annotation is None:
            return False
        known = self._carrier_annotations.get(id(annotation))
        if known is None:  # asked per call for every parameter in scope: read once
            known = self._names_carrier(annotation)
            self._carrier_annotations[id(annotation)] = known
        return known

    def _names_carrier(self, annotation: ast.expr) -> bool:
        """Whether the annotation's text (`dotted_annotation`) names a carrier. Unparsed
        only where a dotted name does not tell: `mod.Carrier` is its dotted name, and
        `Carrier[...]` matches only if its dotted base does (the pattern takes any
        subscript after a carrier, and nothing else after one that is a dotted name)."""
        text = dotted(annotation)
        if text is None and type(annotation) is ast.Subscript and self._dotted_carriers:
            base = dotted(annotation.value)
            if base is not None and self._carrier.match(base) is None:
                return False
        if text is None:
            text = dotted_annotation(annotation)
        return bool(text) and self._carrier.match(text or "") is not None

    def _carrier_local(
        self,
        scope: Scope,
        name: str,
        line: int,
        path: tuple[int, ...],
        received: bool = False,
    ) -> bool:
        """Whether a local surely holds a carrier where it is read
        (`envelope = EventEnvelope[X].model_validate_json(raw)`, a carrier's
        constructor, a function whose return is annotated with a carrier);
        `received`: one that came in, not one constructed here (whose id is
        whatever this function gave it)."""
        found = scope.lookup(name, line, path, functions_only=True)
        if found is None or found.kind != ASSIGN or found.value is None:
            return False
        if (
            found.annotation is None
            and type(found.value) in _BUILTIN_VALUES
            and scope.kind == "function"  # (the model then asks of the same binding)
        ):
            return False  # `payload = {...}`, `message = f"..."`: never a carrier
        key = (id(found), line)
        known = self._carriers.get(key)
        if known is None:
            cls = self.model.instance_of(ast.Name(name), scope, line, path)
            known = cls is not None and self._carrier.match(cls) is not None
            self._carriers[key] = known
        return known and not (received and _constructed(found.value))

    def _candidates(
        self, scope: Scope, line: int, path: tuple[int, ...], received: bool = False
    ) -> Iterator[str]:
        """Id expressions visible at `line`, nearest first: a parameter or local named
        so, then a variant, then a carrier's attribute."""
        names = scope.names(functions_only=True)
        for exact in (True, False):
            for name in names:
                named = (name in self.fields) if exact else self.is_id_name(name)
                if named:
                    found = scope.lookup(name, line, path, functions_only=True)
                    if found is not None and found.kind in _VALUES and not _is_flag(found):
                        yield name
        for current in scope.visible():
            if current.kind != "function":
                continue
            for param, annotation in current.params().items():
                if self._is_carrier(annotation):
                    yield f"{param}.{self.key}"
            for name, bindings in current.bindings.items():
                if any(b.kind == ASSIGN for b in bindings) and self._carrier_local(
                    scope, name, line, path, received
                ):
                    yield f"{name}.{self.key}"
        for current in scope.visible():
            if current.kind == "function":
                yield from self._attribute_ids(current, scope, line, path)

    def _flow_verdict(self, expr: str, site: Site, line: int) -> int:
        """`_ABSENT` where the path proves `expr` missing: the branch of
        `if not hasattr(event, "correlation_id")`, of `if event is None` (or
        `if not correlation_id`), after `del correlation_id` (unless bound again).
        `_MAYBE` where it may be: `if not event`, `if event is None or ...`, an
        `except AttributeError:` (or bare/`Exception` one around a read of it), a
        `del` in another branch or later in a loop. `_SURE` otherwise."""
        function = site.scope.function()
        if function is None:
            return _SURE
        path = site.path
        base = expr.split(".", 1)[0]
        verdict = _SURE
        for stmt, part in site.flow:
            if function.rebound(base, stmt.lineno, line, path):
                continue  # bound again inside: the test no longer speaks of it
            if isinstance(stmt, (ast.If, ast.While)) and part in ("body", "orelse"):
                verdict = max(verdict, _condition(stmt.test, expr, part == "body"))
            elif isinstance(part, ast.ExceptHandler) and _catches(part, stmt, expr):
                verdict = max(verdict, _MAYBE)
        loops = self.model.loops
        for text, at, block in function.deleted:
            if not _covers(text, expr):
                continue
            if at < line and path[: len(block)] == block:
                if not function.rebound(text.split(".", 1)[0], at, line, path):
                    return _ABSENT
            elif at < line or loops.intersection(set(block) & set(path)):
                verdict = max(verdict, _MAYBE)  # another branch, or a later turn of a loop
        return verdict

    def _self_flag(self, scope: Scope, attr: str) -> bool:
        """`self.<attr>` is a flag: its class sets it to `True`/`False` or a number in
        `__init__`, or annotates it `bool`/`int` in its body."""
        cls = enclosing_class(scope)
        if cls is None:
            return False
        found = self.model.self_attributes(cls).get(attr)
        if found is not None and _is_flag_value(found[0]):
            return True
        return any(_is_flag(b) for b in cls.bindings.get(attr, ()))

    def _attribute_ids(
        self, function: Scope, scope: Scope, line: int, path: tuple[int, ...]
    ) -> Iterator[str]:
        """Attribute paths ending in the id (`event.correlation_id`) used in the
        function, whose base is bound at `line` (a parameter, or assigned before)."""
        paths = self._attribute_paths.get(id(function))
        if paths is None:
            paths = (
                [
                    text
                    for child in nodes_of([function.node], _ATTRIBUTE, _LEAVES)
                    if self.is_id_name(cast("ast.Attribute", child).attr)
                    for text in [dotted(cast("ast.Attribute", child))]
                    if text
                ]
                if self._spells_field(function.node)
                else []
            )
            self._attribute_paths[id(function)] = paths
        for text in paths:
            base, _, rest = text.partition(".")
            if base in {"self", "cls"}:
                if "." not in rest and self._self_flag(scope, rest):
                    continue  # `self.use_correlation_id = True`: a flag
                yield text
            elif scope.lookup(base, line, path, functions_only=True):
                yield text

    def _spells_field(self, node: ast.AST) -> bool:
        """Whether the lines of a function (its decorators too) spell a
        correlation field, as an attribute named for one must (`is_id_name`):
        a function that does not is not walked. In an ASCII file only (the
        parser normalises identifiers of other characters)."""
        ctx = self.ctx
        if not (ctx.ascii and self.fields and all(self.fields)):
            return True
        if self._field_lines is None:  # the lines that spell one, found once per file
            markers = tuple(field.encode() for field in self.fields)
            self._field_lines = MarkedLines(ctx.source, markers)
        first = min(
            [getattr(node, "lineno", 1), *(d.lineno for d in getattr(node, "decorator_list", ()))]
        )
        return self._field_lines.spans(first, getattr(node, "end_lineno", None) or sys.maxsize)

    # loggers -----------------------------------------------------------------------------
    def _factory_kind(self, written: str, origin: str) -> str | None:
        return self.evidence.configured_kind(written, origin)

    def _fresh_calls(self) -> Calls:
        """Patterns for the fresh-id sources this file imports under names `_CALLS`
        does not know (`ulid.new`, `ULID`, `from shortuuid import uuid as short_id`)."""
        if not any(origin in _FRESH_IMPORTS for origin in _import_origins(self.ctx.facts)):
            return ()  # no import of a fresh-id source (the model's are among the facts')
        names: set[str] = set()
        for local, bindings in self.model.module.bindings.items():
            for binding in bindings:
                if binding.kind != IMPORT or binding.origin is None:
                    continue
                if binding.origin in FRESH_SOURCES:
                    names.update(f"{local}.{name}" for name in FRESH_SOURCES[binding.origin])
                elif binding.origin in _FRESH_ORIGINS:
                    names.add(local)
        return call_pattern(*sorted(names)) if names else ()

    def logger_of(
        self, node: ast.expr, scope: Scope, line: int, path: tuple[int, ...]
    ) -> Logger | None:
        """The logger an expression evaluates to, if it is known to be one."""
        if isinstance(node, ast.Call):
            return self._made(node, scope, line, path)
        if isinstance(node, ast.Name):
            found = scope.lookup(node.id, line + 1, path)
            if found is not None and found.kind in _VALUES:
                if found.kind == PARAM or found.value is None:
                    return None  # arrives from outside: it may be bound already
                # the value as it was read there: `log = log.bind(...)` means the earlier `log`
                return self.logger_of(found.value, scope, found.line - 1, path)
            if found is not None and found.kind == UNKNOWN:
                return None
            if node.id == "logging" and scope.origin("logging") == "logging":
                return Logger(STDLIB, name="")
            return self._module_logger(node.id)
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id in {"self", "cls"}
        ):
            cls = enclosing_class(scope)
            if cls is None:
                return None
            known = self._class_loggers.get(id(cls))
            if known is None:
                known = self._class_attributes(cls)
                self._class_loggers[id(cls)] = known
            return known.get(node.attr)
        return None

    def _made(
        self, call: ast.Call, scope: Scope, line: int, path: tuple[int, ...]
    ) -> Logger | None:
        """The logger a call makes, if it is known to make one (`_make`), once per
        call, scope, line and path: every log call through a logger bound from a
        call asks it again (no one changes a `Logger` once made). A factory's
        logger depends on the call and the scope alone (`_by_factory`), once per
        both: the commonest, a module's `logging.getLogger(__name__)` read in each
        block of each function."""
        written, origin, made = self._by_factory(call, scope)
        if made is not None:
            return made
        key = (id(call), id(scope), line, path)
        if key in self._loggers_made:
            return self._loggers_made[key]
        made = self._make(call, scope, line, path, written, origin)
        self._loggers_made[key] = made
        return made

    def _by_factory(self, call: ast.Call, scope: Scope) -> tuple[str, str, Logger | None]:
        """The call as written, its import origin, and the logger it makes if it
        calls a configured or project factory. All three depend on the call and on
        the nearest scope that binds the head of its name alone (`Scope.origin`
        and `_project_name` ask that one): once per both, not per reading scope."""
        key = (id(call), id(scope))
        known = self._factory_loggers.get(key)
        if known is None:
            written = dotted(call.func) or ""
            head = written.partition(".")[0]
            binder = next((s for s in scope.visible() if s.bindings.get(head)), None)
            shared = (id(call), id(binder))
            known = self._factory_by_binder.get(shared)
            if known is None:
                origin = (scope.origin(written) or "") if written else ""
                known = written, origin, self._factory_logger(call, scope, written, origin)
                self._factory_by_binder[shared] = known
            self._factory_loggers[key] = known
        return known

    def _factory_logger(
        self, call: ast.Call, scope: Scope, written: str, origin: str
    ) -> Logger | None:
        kind = self._factory_kind(written, origin) if written else None
        if kind is not None:
            return Logger(kind, name=self._logger_name(call, origin or written, scope))
        named = self._project_name(written, scope) if written else None
        if named is not None:  # a project factory (`get_logger = lambda n: structlog...`)
            found = self.evidence.factory_kind(self.ctx.path, *named)
            if found is not None:
                return Logger(found[0], found[1])
        return None

    def _make(
        self,
        call: ast.Call,
        scope: Scope,
        line: int,
        path: tuple[int, ...],
        written: str,
        origin: str,
    ) -> Logger | None:
        """The logger an adapter or a `.bind()` makes (a factory's is `_by_factory`'s)."""
        if written.rsplit(".", 1)[-1] == "LoggerAdapter" and call.args:
            base = self.logger_of(call.args[0], scope, line, path)
            extra = call.args[1] if len(call.args) > 1 else None
            has = extra is not None and self._dict_has_key(extra, scope, line + 1, path) is True
            if base is not None or origin.startswith("logging"):
                # an adapter's own `extra` replaces the call's: a fix on the call
                # would log nothing, so its flavour counts as unknown (no fix)
                name = base.name if base is not None else None
                return Logger(LOGGER, has or (base.carries if base else False), name)
        if isinstance(call.func, ast.Attribute) and call.func.attr in {"bind", "new"}:
            base = self.logger_of(call.func.value, scope, line, path)
            if base is not None:
                carries = any(kw.arg in self.fields for kw in call.keywords)
                keep = base.carries and call.func.attr == "bind"
                kind = STRUCTLOG if base.kind != STDLIB else base.kind
                return Logger(kind, carries or keep, base.name)
        return None

    def _logger_name(self, call: ast.Call, callee: str, scope: Scope) -> str | None:
        """The name of the stdlib logger `logging.getLogger(...)` makes: its literal
        argument, the module's for `__name__`, "" (root) with none."""
        if callee != "logging.getLogger":
            return None
        if not call.args:
            return ""
        first = call.args[0]
        if isinstance(first, ast.Constant) and isinstance(first.value, str):
            return "" if first.value == "root" else first.value
        if isinstance(first, ast.Name) and first.id == "__name__":
            return self.ctx.module
        return None

    def _module_logger(self, name: str, seen: frozenset[str] = frozenset()) -> Logger | None:
        if name in seen:
            return None  # `log = log.bind(...)` at module level: only the last call is known
        facts = self.ctx.facts
        entry = facts.calls.get(name)
        where = self.ctx.path
        if entry is None:
            binding = facts.bindings.get(name)
            if binding is None or binding.kind != FROM:
                return None
            found = self.ctx.index.modules.resolve_name(self.ctx.path, name)
            if found is None or found[1] is None:
                return None
            where = found[0]
            entry = self.ctx.index.facts[where].calls.get(found[1])
            if entry is None:
                return None
        written, origin = entry
        kind = self._factory_kind(written, origin)
        if kind is not None:
            return Logger(kind)
        made = self.evidence.factory_kind(where, written, origin)
        if made is not None:
            return Logger(*made)
        head, _, method = written.rpartition(".")
        if method in {"bind", "new"} and head and self._module_logger(head, seen | {name}):
            return Logger(STRUCTLOG)
        return None

    # dicts ----------------------------------------------------------------------------------
    def _dict_has_key(
        self, node: ast.expr, scope: Scope, line: int, path: tuple[int, ...], depth: int = 0
    ) -> bool | None:
        """Whether a dict expression holds the correlation key (None: cannot tell)."""
        if depth > 4:
            return None
        if isinstance(node, ast.Dict):
            unknown = False
            for key, value in zip(node.keys, node.values, strict=True):
                if key is None:  # **spread
                    inner = self._dict_has_key(value, scope, line, path, depth + 1)
                    if inner:
                        return True
                    unknown = unknown or inner is None
                elif isinstance(key, ast.Constant) and key.value in self.fields:
                    return True
                elif not isinstance(key, ast.Constant):
                    unknown = True  # `{CID: ...}`: cannot tell
            return None if unknown else False
        if isinstance(node, ast.Call) and dotted(node.func) == "dict":
            if any(kw.arg in self.fields for kw in node.keywords):
                return True
            if node.args or any(kw.arg is None for kw in node.keywords):
                return None
            return False
        if isinstance(node, ast.Name):
            built = self.model.dict_value(node.id, scope, line, path)
            if built is None:
                return None
            if any(key in self.fields for key in built.keys):
                return True  # in the literal, or set since (`extra["correlation_id"] = ...`)
            has = self._dict_has_key(built.literal, scope, built.binding.line, path, depth + 1)
            if has is False and not built.grown_complete:
                return None  # grown by keys that cannot be told
            return has
        return None

    # judging a call ------------------------------------------------------------------------------
    def _judge(self, call: ast.Call, site: Site) -> None:
        func = call.func
        scope, path = site.scope, site.path
        if not isinstance(func, ast.Attribute) or func.attr not in LOG_METHODS:
            if self._fresh_ids:
                self._fresh_in_envelope(call, site)
            return
        logger = self.logger_of(func.value, scope, call.lineno, path)
        if logger is None:
            return
        carries: bool | None = logger.carries or any(kw.arg in self.fields for kw in call.keywords)
        bound = self._bound_context.get(id(scope.function() or scope), 0)
        if not carries and bound and bound <= call.lineno:
            carries = True
        if not carries and self._contextvars and self._in_bound_block(site):
            carries = True
        function = scope.function()
        route = self.is_route(function)
        proofs = self.coverage(function) if route else []
        if not carries and self._pipeline_carries(logger, site, call.lineno, route, proofs):
            carries = True
        if not carries:
            if any(kw.arg is None for kw in call.keywords):
                carries = None  # **kwargs: cannot tell
            for kw in call.keywords:
                if kw.arg == "extra":
                    has = self._dict_has_key(kw.value, scope, call.lineno, path)
                    carries = None if has is None else has
        if self._fresh_ids:
            self._fresh_in_log(call, site)
        message_args = call.args[1:] if func.attr == "log" else call.args
        in_message = any(self._mentions_id(arg, site, call.lineno) for arg in message_args)
        presumed = self._presumed(route, proofs)
        self.calls.append(LogCall(call, logger, carries, in_message, site, route, presumed))

    # evidence --------------------------------------------------------------------------------
    def _presumed(self, route: bool, proofs: list[Proof]) -> str | None:
        """Why a route handler has an id in scope, under `request-handlers-have-correlation`."""
        if not route or self.request_mode is False:
            return None
        if self.request_mode is True:
            return "a route handler has one in scope"
        if not proofs:
            return None  # no evidence: no presumption
        first = proofs[0]
        return f"a route handler has one in scope (`{first.shown}`, installed in `{first.path}`)"

    def coverage(self, function: Scope | None) -> list[Proof]:
        """The installed middlewares, dependencies and hooks that put an id in
        scope of a route handler (the app's, its router's, its own)."""
        if function is None:
            return []
        known = self._coverage.get(id(function))
        if known is None:
            routers: list[tuple[str, str]] = []
            assert isinstance(function.node, _FUNCTIONS)
            for decorator in function.node.decorator_list:
                func = decorator.func if isinstance(decorator, ast.Call) else decorator
                if not (isinstance(func, ast.Attribute) and func.attr in _ROUTE_METHODS):
                    continue
                written = dotted(func.value)
                named = self._project_name(written, function.parent) if written else None
                target = self.evidence.resolve(self.ctx.path, *named) if named else None
                if isinstance(target, tuple):
                    routers.append(target)
            known = self.evidence.coverage(self.ctx.path, _qualname(function), tuple(routers))
            self._coverage[id(function)] = known
        return known

    def _project_name(self, written: str, scope: Scope | None) -> tuple[str, str] | None:
        """`(written, import origin)` for a dotted name whose head is a module-level
        name of this file or an import (what the project index can follow), None
        for a local or a parameter."""
        if scope is None:
            return None
        head = written.partition(".")[0]
        for current in scope.visible():
            found = current.bindings.get(head)
            if not found:
                continue
            if current.kind == "module" or all(b.kind == IMPORT for b in found):
                return written, current.origin(written) or ""
            return None
        return written, ""  # a star import or a builtin: the index knows which

    def _pipeline_carries(
        self, logger: Logger, site: Site, line: int, route: bool, proofs: list[Proof]
    ) -> bool:
        """Whether the logging pipeline adds the id to this call: in a route handler
        whose middleware binds it into structlog contextvars (structlog loggers) or
        sets a ContextVar a pipeline configured for this logger reads; or after
        that ContextVar is set earlier in the same function."""
        if self.pipeline_mode is False:
            return False
        if route and logger.kind != STDLIB and self.pipeline_mode is True:
            return True
        if (
            route
            and any(p.binds for p in proofs)
            and (
                logger.kind != STDLIB or self.evidence.merges_contextvars(self.service, logger.name)
            )
        ):
            return True  # bound into structlog contextvars, which reach this logger
        wanted = self.evidence.pipeline_vars(self.service, logger.kind, logger.name)
        if not wanted:
            return False
        if route and any(p.sets & wanted for p in proofs):
            return True
        function = site.scope.function()
        if function is None:
            return False
        return any(at < line and sets & wanted for at, sets in self._sets_in(function))

    def _sets_in(self, function: Scope) -> list[tuple[int, frozenset[str]]]:
        """Where a function sets ContextVars: `var.set(...)`, or a call of a
        project setter (`set_correlation_id(...)`), with the line of each."""
        known = self._set_events.get(id(function))
        if known is not None:
            return known
        known = []
        for site in self.model.sites_of(function):
            for node in site.nodes():
                if not isinstance(node, ast.Call):
                    continue
                func = node.func
                if isinstance(func, ast.Attribute) and func.attr == "set":
                    written = dotted(func.value)
                    named = self._project_name(written, site.scope) if written else None
                    var = self.evidence.var_of(self.ctx.path, *named) if named else None
                    if var is not None:
                        known.append((node.lineno, frozenset({var})))
                    continue
                written = dotted(func)
                named = self._project_name(written, site.scope) if written else None
                if named is not None:
                    sets = self.evidence.sets_of_call(self.ctx.path, *named)
                    if sets:
                        known.append((node.lineno, sets))
        self._set_events[id(function)] = known
        return known

    def _mentions_id(self, node: ast.expr, site: Site, line: int) -> bool:
        """Whether a message argument reads an id (a flag named like one does not)."""
        if type(node) is ast.Constant:
            return False  # the commonest message: a literal, which reads nothing
        for child in nodes_of([node], _NAMES, frozenset()):
            if isinstance(child, ast.Name) and self.is_id_name(child.id):
                found = site.scope.lookup(child.id, line, site.path)
                if found is None or not _is_flag(found):
                    return True
            if isinstance(child, ast.Attribute) and self.is_id_name(child.attr):
                is_self = isinstance(child.value, ast.Name) and child.value.id == "self"
                if not (is_self and self._self_flag(site.scope, child.attr)):
                    return True
        return False

    def _fresh_in_log(self, call: ast.Call, site: Site) -> None:
        values = [kw.value for kw in call.keywords if kw.arg in self.fields]
        for kw in call.keywords:
            if kw.arg == "extra" and isinstance(kw.value, ast.Dict):
                values += [
                    v
                    for k, v in zip(kw.value.keys, kw.value.values, strict=True)
                    if isinstance(k, ast.Constant) and k.value in self.fields
                ]
        self._fresh(values, site, call.lineno, "a log call")

    def _fresh_in_envelope(self, call: ast.Call, site: Site) -> None:
        name = (dotted(call.func.value if isinstance(call.func, ast.Subscript) else call.func)
                or "")  # fmt: skip
        short = name.rsplit(".", 1)[-1]
        envelope = self.ctx.settings.model.models.envelope_class
        if short == envelope or (isinstance(call.func, ast.Attribute) and call.func.attr == "bind"):
            values = [kw.value for kw in call.keywords if kw.arg in self.fields]
            where = f"the `{envelope}`" if short == envelope else "a bound logger"
            self._fresh(values, site, call.lineno, where)

    def _fresh(self, values: list[ast.expr], site: Site, line: int, where: str) -> None:
        if not values:
            return

        def origin(name: str) -> str:
            return site.scope.origin(name) or ""

        for value in values:
            made, own, bound = value, "", None
            if isinstance(value, ast.Name):  # `cid = str(uuid4())`, then `correlation_id=cid`
                binding = site.scope.lookup(value.id, line, site.path)
                if binding is not None and binding.kind == ASSIGN and binding.value is not None:
                    made, own, bound = binding.value, value.id, binding
            if _is_fresh(made, origin):
                # asked only of a fresh value (the search walks the function's statements)
                if bound is not None and self._made_when_missing(bound, site.scope):
                    continue  # `if not cid: cid = str(uuid4())`: a fallback
                found = self._find_id(site, line, own, received=True)
                if found is not None:
                    self.fresh.append(FreshId(value, where, found[0]))

    def _made_when_missing(self, binding: Binding, scope: Scope) -> bool:
        """Whether a binding stands under a test that holds only where an id is
        missing (`if not correlation_id:`, `if event.correlation_id is None:`)."""
        owner = next(
            (
                current
                for current in scope.visible()
                if any(b is binding for found in current.bindings.values() for b in found)
            ),
            None,
        )
        if owner is None:
            return False
        for site in self.model.sites_of(owner):
            if site.stmt.lineno != binding.line or not isinstance(
                site.stmt, (ast.Assign, ast.AnnAssign)
            ):
                continue
            return any(
                isinstance(stmt, ast.If)
                and part == "body"
                and any(
                    _condition(stmt.test, text, True) == _ABSENT
                    for node in ast.walk(stmt.test)
                    if isinstance(node, (ast.Name, ast.Attribute))
                    and self.is_id_name(node.id if isinstance(node, ast.Name) else node.attr)
                    for text in [dotted(node)]
                    if text
                )
                for stmt, part in site.flow
            )
        return False

    # the file's statements ------------------------------------------------------------
    def _contexts(self) -> dict[int, int]:
        """Function (or module) scope -> the line of its first
        `bind_contextvars(correlation_id=...)` statement (the id is bound from there
        on; `with bound_contextvars(...)` binds it only inside its block, see
        `_in_bound_block`)."""
        out: dict[int, int] = {}
        for site in self.model.sites:
            stmt = site.stmt
            if not isinstance(stmt, ast.Expr):
                continue
            node = stmt.value.value if isinstance(stmt.value, ast.Await) else stmt.value
            if self._binds_id(node, "bind_contextvars"):
                key = id(site.scope.function() or site.scope)
                out[key] = min(out.get(key, stmt.lineno), stmt.lineno)
        return out

    def _binds_id(self, node: ast.expr, function: str) -> bool:
        """`bind_contextvars(correlation_id=...)` (however imported)."""
        return (
            isinstance(node, ast.Call)
            and (dotted(node.func) or "").rsplit(".", 1)[-1] == function
            and any(kw.arg in self.fields for kw in node.keywords)
        )

    def _in_bound_block(self, site: Site) -> bool:
        """Whether the statement stands inside `with bound_contextvars(correlation_id=...)`
        (within its function: a function defined there runs later)."""
        return any(
            isinstance(stmt, (ast.With, ast.AsyncWith))
            and part == "body"
            and any(self._binds_id(i.context_expr, "bound_contextvars") for i in stmt.items)
            for stmt, part in site.flow
        )

    def _class_attributes(self, cls: Scope) -> dict[str, Logger]:
        """Loggers a class keeps: `logger = factory(...)` in its body, `self.x = ...`
        in its methods (statements only: no expression is walked)."""
        out: dict[str, Logger] = {}
        for site in self.model.sites_in(cls.node):
            stmt = site.stmt
            if not isinstance(stmt, ast.Assign) or not isinstance(stmt.value, ast.Call):
                continue
            for target in stmt.targets:
                name = None
                if isinstance(target, ast.Name):
                    name = target.id
                elif isinstance(target, ast.Attribute) and dotted(target.value) == "self":
                    name = target.attr
                if name is None:
                    continue
                made = self._made(stmt.value, site.scope, stmt.lineno, site.path)
                if made is not None:
                    out[name] = made
        return out


_BUILTIN_VALUES = frozenset(
    {ast.Constant, ast.JoinedStr, ast.Dict, ast.List, ast.Set, ast.Tuple, ast.ListComp,
     ast.SetComp, ast.DictComp, ast.GeneratorExp, ast.Compare, ast.BinOp, ast.UnaryOp}
)  # fmt: skip
"""Values whose type is a builtin's (a literal, a comprehension, an operation):
what an unannotated local holds then is never an instance of a carrier class."""


_DOTTED = re.compile(r"[\w.]+")


def _carrier_pattern(carriers: tuple[str, ...]) -> tuple[re.Pattern[str], bool]:
    """The pattern an annotation's text matches when it names one of the carriers
    (`mod.EventEnvelope[X]`, quoted too), and whether every carrier is a dotted
    name (which `_names_carrier` may then judge from a subscript's base)."""
    names = "|".join(re.escape(c) for c in carriers) or "(?!)"
    pattern = re.compile(rf"^[\"']?(?:[\w.]+\.)?(?:{names})(?:\[.*\])?[\"']?$")
    return pattern, all(_DOTTED.fullmatch(c) for c in carriers)


_FRESH_IMPORTS = frozenset(FRESH_SOURCES) | _FRESH_ORIGINS
"""The import origins `_fresh_calls` makes patterns for."""


def _import_origins(facts: FileFacts) -> Iterator[str | None]:
    """The origin of each name the file's import statements bind, as
    `semantic.bound_by_import` gives it: the facts record every import statement
    (a module-level one in any block too), so these are a superset of the import
    bindings of the module scope, known without the semantic model."""
    for record in facts.imports:
        if record.kind == "import":
            for name, asname in record.names:
                yield name if asname else name.split(".", 1)[0]
        elif record.kind == "from" and record.level == 0 and record.module:
            for name, _ in record.names:
                yield f"{record.module}.{name}"


def _constructed(value: ast.expr) -> bool:
    """A direct constructor call (`EventEnvelope(...)`, `EventEnvelope[X](...)`),
    as opposed to a validated or returned value."""
    if isinstance(value, ast.Await) or not isinstance(value, ast.Call):
        return False
    func = value.func.value if isinstance(value.func, ast.Subscript) else value.func
    last = (dotted(func) or "").rsplit(".", 1)[-1]
    return last[:1].isupper()


_FLAG_TYPES = frozenset({"bool", "int"})


def _is_flag_value(value: ast.expr | None) -> bool:
    """`True`, `False`, a number, a comparison or a negation: what a switch or a
    counter holds, never an id."""
    if isinstance(value, ast.Constant):
        return isinstance(value.value, (bool, int))
    return isinstance(value, ast.Compare) or (
        isinstance(value, ast.UnaryOp) and isinstance(value.op, ast.Not)
    )


def _is_flag(binding: Binding) -> bool:
    """A name bound as a flag, not an id: annotated `bool`/`int` (also
    `Optional[bool]`, `"bool | None"`), or assigned `True`/`False`, a number or a
    comparison."""
    annotation = binding.annotation
    if annotation is not None and dotted(unwrap_optional(unquote(annotation))) in _FLAG_TYPES:
        return True
    return binding.kind == ASSIGN and _is_flag_value(binding.value)


_NO_CALLS = frozenset({*_FUNCTIONS, ast.Lambda, ast.ClassDef, ast.Name, ast.Constant})
_CALL = frozenset({ast.Call})
"""Nodes whose walk finds no judged call: what `Site.nodes` does not enter (code
that runs later, if at all), and the commonest leaves."""
_NAMES = frozenset({ast.Name, ast.Attribute})
"""What a message argument reads an id through (`_mentions_id`)."""
_ATTRIBUTE = frozenset({ast.Attribute})
_LEAVES = frozenset({ast.Name, ast.Constant})
"""The commonest leaves, which hold no attribute (`_attribute_ids` does not enter them)."""


def _calls(root: ast.AST) -> list[ast.Call]:
    """The calls among the nodes `Site.nodes` yields for one header part, in its
    order (a walk that builds no generator and pushes no leaf's children)."""
    return cast("list[ast.Call]", nodes_of([root], _CALL, _NO_CALLS))


@lru_cache(maxsize=1)
def _strict_rule() -> tuple[str, bool]:
    """The code and default of log-missing-correlation-id-strict, which flags a call
    that carries no id where none is in scope (`LoggingAnalysis._may_report`);
    imported late, as the rule's module imports this one."""
    from arch_lint.rules.log_missing_correlation_id_strict import LogMissingCorrelationIdStrict

    return LogMissingCorrelationIdStrict.code, LogMissingCorrelationIdStrict.default_on


def _route_decorated(function: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """`@router.get(...)`, `@app.route`: a route handler's decorator."""
    return any(
        isinstance(target, ast.Attribute) and target.attr in _ROUTE_METHODS
        for decorator in function.decorator_list
        for target in [decorator.func if isinstance(decorator, ast.Call) else decorator]
    )


def _annotations(function: ast.FunctionDef | ast.AsyncFunctionDef) -> list[ast.expr]:
    """A function's parameter and return annotations."""
    args = function.args
    every = [*args.posonlyargs, *args.args, args.vararg, *args.kwonlyargs, args.kwarg]
    found = [a.annotation for a in every if a is not None and a.annotation is not None]
    if function.returns is not None:
        found.append(function.returns)
    return found


def _names_in_strings(annotations: list[ast.expr], names: list[str]) -> bool:
    """Whether a string in the annotations (a forward reference, as Python reads
    it: escapes and split parts joined) holds one of the names."""
    for node in nodes_of(annotations, _STRINGS, _NOTHING):
        value = cast("ast.Constant", node).value
        if isinstance(value, str) and any(name in value for name in names):
            return True
    return False


_STRINGS = frozenset({ast.Constant})
_NOTHING: frozenset[type[ast.AST]] = frozenset()


def _walk(node: ast.AST) -> list[ast.AST]:
    out: list[ast.AST] = []
    stack = [node]
    while stack:
        current = stack.pop()
        out.append(current)
        push_children(current, stack)
    return out


def _proves(test: ast.expr, expr: str) -> bool:
    """Whether reaching the body of `if test:` proves that `expr` exists: the
    test reads it unconditionally (as an operand of a comparison too), or asks
    `hasattr` for it (or is a truthy `getattr(obj, "<key>", default)`)."""
    if isinstance(test, ast.BoolOp) and isinstance(test.op, ast.And):
        return any(_proves(value, expr) for value in test.values)
    if isinstance(test, ast.Compare):  # `getattr(...) is None` proves nothing
        sides = (test.left, test.comparators[0])
        return any(isinstance(side, ast.Attribute) and dotted(side) == expr for side in sides)
    return _text(test) == expr


def _qualname(scope: Scope) -> str:
    """`Cls.method`, `outer.inner`: a function's name with its enclosing classes and functions."""
    names = []
    current: Scope | None = scope
    while current is not None and current.kind != "module":
        names.append(getattr(current.node, "name", ""))
        current = current.parent
    return ".".join(reversed(names))


def dotted_annotation(node: ast.expr | None) -> str | None:
    if node is None:
        return None
    return ast.unparse(node) if not isinstance(node, ast.Name) else node.id


def analysis(ctx: FileContext, tree: ast.Module) -> LoggingAnalysis:
    """The file's logging analysis, computed once for all four rules."""
    found = ctx.memo.get("logging")
    if found is None:
        found = LoggingAnalysis(ctx, tree)
        ctx.memo["logging"] = found
    assert isinstance(found, LoggingAnalysis)
    return found


def applies(source: bytes) -> bool:
    """Whether the source can hold a logger call or a fresh id, however spaced."""
    global _APPLIES_MEMO
    memo = _APPLIES_MEMO
    if memo[0] is source:
        return memo[1]
    starts, comment = _log_scan(source)  # `has_call(source, _CALLS)`
    found = bool(starts) or (comment and bool(_scan(_COMMENT.sub(rb"\1", source), _CALLS)[0]))
    _APPLIES_MEMO = (source, found)
    return found


def _text(node: ast.expr) -> str | None:
    """The path an operand of a test reads: `event.correlation_id`, the target of
    `(cid := ...)`, `event.correlation_id` for `getattr(event, "correlation_id", None)`
    and `hasattr(event, "correlation_id")`."""
    if isinstance(node, ast.NamedExpr):
        return node.target.id
    if isinstance(node, ast.Call) and dotted(node.func) in {"getattr", "hasattr"}:
        if len(node.args) < 2 or not isinstance(node.args[1], ast.Constant):
            return None
        base, attr = dotted(node.args[0]), node.args[1].value
        return f"{base}.{attr}" if base and isinstance(attr, str) else None
    return dotted(node)


def _covers(text: str | None, expr: str) -> bool:
    """Whether `text` is `expr` or a base of it (`event` of `event.correlation_id`)."""
    return text is not None and (expr == text or expr.startswith(f"{text}."))


def _condition(test: ast.expr, expr: str, holds: bool) -> int:
    """What a test being true (`holds`) or false says of `expr` existing."""
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        return _condition(test.operand, expr, not holds)
    if isinstance(test, ast.BoolOp):
        verdicts = [_condition(value, expr, holds) for value in test.values]
        if isinstance(test.op, ast.And) == holds:  # every operand holds (or every one fails)
            return max(verdicts)
        # one operand holds (or one fails), which one is unknown
        return _ABSENT if min(verdicts) == _ABSENT else min(max(verdicts), _MAYBE)
    if isinstance(test, ast.Compare):
        if len(test.ops) != 1:
            return _SURE
        left, right = test.left, test.comparators[0]
        if isinstance(left, ast.Constant) and left.value is None:
            left, right = right, left
        if not (isinstance(right, ast.Constant) and right.value is None):
            return _SURE
        none = isinstance(test.ops[0], (ast.Is, ast.Eq)) == holds
        positive = isinstance(test.ops[0], (ast.Is, ast.Eq, ast.IsNot, ast.NotEq))
        return _ABSENT if positive and none and _covers(_text(left), expr) else _SURE
    if holds:
        return _SURE
    text = _text(test)  # a falsy value: `not correlation_id`, `not hasattr(...)`, `not event`
    if text == expr or (isinstance(test, ast.Call) and _covers(text, expr)):
        return _ABSENT
    return _MAYBE if _covers(text, expr) else _SURE


def _catches(handler: ast.ExceptHandler, attempt: ast.stmt, expr: str) -> bool:
    """Whether reading the attribute path `expr` may be what failed when `handler`
    runs: it catches `AttributeError`, or it is bare or catches `Exception` and its
    `try` body reads `expr`."""
    if "." not in expr:
        return False  # a bound name cannot fail to read
    types = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
    caught = {(dotted(t) or "?").rsplit(".", 1)[-1] if t else "BaseException" for t in types}
    if "AttributeError" in caught:
        return True
    return bool(caught & {"Exception", "BaseException"}) and any(
        isinstance(node, ast.Attribute) and dotted(node) == expr
        for stmt in getattr(attempt, "body", ())
        for node in _walk(stmt)
    )


__all__ = [
    "FRESH_SOURCES",
    "LOGGER",
    "LOG_METHODS",
    "STDLIB",
    "STRUCTLOG",
    "FreshId",
    "LogCall",
    "Logger",
    "analysis",
    "applies",
    "call_pattern",
    "fresh_applies",
    "has_call",
    "marked_lines",
]
