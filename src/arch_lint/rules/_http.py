"""ARC206's HTTP half: raw dicts sent to another service, and another service's
response read as a raw dict, on the calls the HTTP map resolved (`ctx.index.http`).

The calls come from the file's facts (`index/http.py`), resolved by the map to
the service they reach and, where one matches, its route; only those are
looked at here, by their position, so a file with no call to a service URL
costs nothing more. What a value holds is the semantic model's answer
(`dict_value`, bindings, `with … as`)."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from http import HTTPStatus
from typing import TYPE_CHECKING

from arch_lint.index.http_map import ResolvedCall
from arch_lint.index.semantic import ASSIGN, Scope, Site, is_dict, is_empty_dict
from arch_lint.index.walk import MarkedLines

if TYPE_CHECKING:
    from arch_lint.rules._base import FileContext

BODY_KEYWORDS = ("json", "data", "content")
_VALIDATORS = frozenset({"model_validate", "model_validate_json", "parse_obj", "validate_python"})


class HttpFindings:
    """What ARC206 reports on the calls of one file to other services."""

    def __init__(self, ctx: FileContext) -> None:
        self.ctx = ctx

    @staticmethod
    def has_calls(ctx: FileContext) -> bool:
        """Whether the file's facts hold a call whose URL a key may name (the
        whole map is asked only then)."""
        http = ctx.facts.http
        if http is None or ctx.service is None:
            return False
        return any(not c.base.startswith("?") for c in http.calls)

    def calls(self) -> dict[tuple[int, int], ResolvedCall]:
        """The file's calls that reach another service, by position."""
        ctx = self.ctx
        if not self.has_calls(ctx) or ctx.service is None:
            return {}
        mine = ctx.service.name
        return {
            (c.line, c.col): c
            for c in ctx.index.http.calls_in(ctx.path)
            if c.service is not None and c.service != mine
        }

    def findings(self) -> Iterator[tuple[ast.expr, str, str, str | None]]:
        """(node, how, remedy, the service called) of each finding."""
        calls = self.calls()
        if not calls:
            return
        model = self.ctx.semantic
        marks = MarkedLines.of_lines(line for line, _ in calls)  # the calls the map resolved
        for site in model.marked(marks):
            for node in site.nodes(marks):
                if not isinstance(node, ast.Call):
                    continue
                call = calls.get((node.lineno, node.col_offset))
                if call is None:
                    continue
                yield from self._body(node, call, site)
                yield from self._response(node, call, site)

    # the body ------------------------------------------------------------------------
    def _body(
        self, node: ast.Call, call: ResolvedCall, site: Site
    ) -> Iterator[tuple[ast.expr, str, str, str | None]]:
        for kw in node.keywords:
            if kw.arg in BODY_KEYWORDS and self._dict(kw.value, site, node.lineno):
                route = call.route
                how = f"sent to service `{call.service}` as the request body"
                remedy = "send a shared model"
                if route is not None:
                    how = f"sent to service `{call.service}` as the body of "
                    how += f"`{route.method} {route.shown}`"
                    model = self.ctx.index.http.request_model(route)
                    if model is not None:
                        remedy = f"send `{self._label(model)}`" + self._moved(model.path)
                yield kw.value, how, remedy, call.service
                return

    def _dict(self, node: ast.expr, site: Site, line: int) -> bool:
        if isinstance(node, ast.Name):
            held = self.ctx.semantic.dict_value(node.id, site.scope, line, site.path, sure=False)
            return held is not None
        return is_dict(node) and not is_empty_dict(node)  # `json={}`: no data to model

    # the response ----------------------------------------------------------------------
    def _response(
        self, node: ast.Call, call: ResolvedCall, site: Site
    ) -> Iterator[tuple[ast.expr, str, str, str | None]]:
        route = call.route
        if route is None or not route.response:
            return
        read = self._raw_read(node, site)
        if read is None:
            return
        model = self.ctx.index.http.response_model(route)
        if model is None:
            return
        how = (
            f"read from the response of `{route.method} {route.shown}` of service `{call.service}`"
        )
        remedy = f"validate it into `{self._label(model)}`" + self._moved(model.path)
        yield read, how, remedy, call.service

    def _raw_read(self, call: ast.Call, site: Site) -> ast.expr | None:
        """The `.json()` read of the call's response whose result is used as a
        dict (subscripted, `.get(...)`), directly or through a local, and never
        validated into a model; None when there is none."""
        scope = site.scope
        stmt = site.stmt
        for json_call in _json_calls_on(site, call):  # `(await c.get(u)).json()["k"]`
            if _used_as_dict(site, json_call):
                return json_call
        holder = _holder(stmt, call)
        if holder is None:
            return None
        later = [
            s
            for s in self.ctx.semantic.sites_of(scope)
            if s.stmt.lineno >= stmt.lineno and not _on_error_path(s, site)
        ]  # `if r.status_code != 200: raise Error(r.json()["detail"])` reads an error body
        for other in later:
            for json_call in _json_reads(other, holder):
                if _used_as_dict(other, json_call):
                    return json_call
                local = _assigned_to(other.stmt, json_call)
                if local is not None and self._local_read(local, other, scope, later):
                    return json_call
        return None

    def _local_read(self, name: str, at: Site, scope: Scope, later: list[Site]) -> bool:
        """Whether `name` (bound to a response's `.json()` at `at`) is read as a
        dict after it and never validated (`later`: the sites that are on no
        error path)."""
        bound = at.stmt.lineno
        found = False
        read = {id(site.stmt) for site in later}
        for site in self.ctx.semantic.sites_of(scope):
            stmt = site.stmt
            if stmt.lineno < bound or (stmt.lineno == bound and stmt is not at.stmt):
                continue
            for node in site.nodes():
                if _validates(node, name):
                    return False
                if not found and id(stmt) in read and _reads_key(node, name):
                    binding = scope.latest(name, stmt.lineno + 1)
                    value = getattr(at.stmt, "value", None)  # an `except` that leaves
                    found = (  # moves the binding after the `try`: same value, later line
                        binding is not None and binding.kind == ASSIGN and binding.value is value
                    )
        return found

    def _label(self, ref: tuple[str, str]) -> str:
        path, qualname = ref
        module = self.ctx.index.modules.module_of(path)
        return f"{module}.{qualname}" if module else qualname

    def _moved(self, path: str) -> str:
        return "" if self.ctx.is_shared_model(path) else ", moved to the shared models"


_ERROR_FLAGS = frozenset({"is_error", "is_client_error", "is_server_error"})
_SUCCESS_FLAGS = frozenset({"ok", "is_success"})
_STATUS = frozenset({"status_code", "status"})


def _on_error_path(site: Site, call: Site) -> bool:
    """Whether a statement runs only when the reply was an error, within the
    blocks the call's own statement is not in: an `except` handler, or the
    branch of an `if` whose test says the reply failed (`r.status_code != 200`,
    `>= 400`, `r.is_error`, `not r.ok`, `r.ok is False`), or the `else` of one
    whose test says it succeeded (`r.status_code == 200`, `r.ok`)."""
    shared = 0
    for mine, theirs in zip(site.flow, call.flow, strict=False):
        if mine[0] is not theirs[0] or mine[1] is not theirs[1]:
            break
        shared += 1
    for stmt, part in site.flow[shared:]:
        if isinstance(part, ast.ExceptHandler):
            return True
        if isinstance(stmt, ast.If) and part in {"body", "orelse"}:
            failed = _failed(stmt.test)
            if failed is not None and failed == (part == "body"):
                return True
    return False


def _failed(test: ast.expr) -> bool | None:
    """True where a test holds only for an error reply, False where it holds
    only for a success, None where it says neither (or is no status test)."""
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        inner = _failed(test.operand)
        return None if inner is None else not inner
    if isinstance(test, ast.BoolOp):
        found = [_failed(value) for value in test.values]
        if isinstance(test.op, ast.Or) and True in found:
            return True  # `r.status_code >= 400 or not data`: an error may be why
        if isinstance(test.op, ast.And) and False in found and True not in found:
            return False
        if isinstance(test.op, ast.And) and True in found:
            return True
        return None
    if isinstance(test, ast.Attribute):
        if test.attr in _ERROR_FLAGS:
            return True
        if test.attr in _SUCCESS_FLAGS:
            return False
        return None
    if not isinstance(test, ast.Compare) or len(test.ops) != 1:
        return None
    left, op, right = test.left, test.ops[0], test.comparators[0]
    if isinstance(left, ast.Attribute) and left.attr in _SUCCESS_FLAGS | _ERROR_FLAGS:
        if isinstance(right, ast.Constant) and isinstance(right.value, bool):
            held = right.value if isinstance(op, (ast.Is, ast.Eq)) else not right.value
            return held == (left.attr in _ERROR_FLAGS)
        return None
    if not (isinstance(left, ast.Attribute) and left.attr in _STATUS):
        return None
    codes = _codes(right)
    if codes is None:
        return None
    errors = all(code >= 400 for code in codes)
    successes = all(code < 300 for code in codes)
    if isinstance(op, (ast.Eq, ast.In)):
        return True if errors else False if successes else None
    if isinstance(op, (ast.NotEq, ast.NotIn)):
        return True if successes else None
    if len(codes) != 1:
        return None
    code = codes[0] + (1 if isinstance(op, (ast.Gt, ast.LtE)) else 0)
    if isinstance(op, (ast.GtE, ast.Gt)):  # `status >= code`
        return True if code >= 300 else None
    if isinstance(op, (ast.Lt, ast.LtE)):  # `status < code`
        return False if code <= 400 else None
    return None


def _codes(node: ast.expr) -> list[int] | None:
    """The status codes a comparison names (a number, `HTTPStatus.OK`,
    `httpx.codes.OK`, `status.HTTP_200_OK`, or a tuple, list or set of them), or
    None."""
    items = node.elts if isinstance(node, (ast.Tuple, ast.List, ast.Set)) else [node]
    out = []
    for item in items:
        if isinstance(item, ast.Constant) and type(item.value) is int:
            out.append(item.value)
        elif isinstance(item, ast.Attribute) and item.attr in HTTPStatus.__members__:
            out.append(HTTPStatus[item.attr].value)
        elif isinstance(item, ast.Attribute) and item.attr.startswith("HTTP_"):
            number = item.attr.split("_")[1]
            if not number.isdigit():
                return None
            out.append(int(number))
        else:
            return None
    return out or None


def _unawait(node: ast.expr) -> ast.expr:
    return node.value if isinstance(node, ast.Await) else node


def _json_receiver(node: ast.AST) -> ast.expr | None:
    """What `.json()` is called on, when `node` is such a call."""
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "json"
        and not node.args
    ):
        return node.func.value
    return None


def _json_calls_on(site: Site, call: ast.Call) -> Iterator[ast.Call]:
    """`.json()` called on the call's result right there."""
    for node in site.nodes():
        receiver = _json_receiver(node)
        if receiver is not None and _unawait(receiver) is call:
            assert isinstance(node, ast.Call)
            yield node


def _json_reads(site: Site, holder: str) -> Iterator[ast.Call]:
    """`holder.json()` in a statement."""
    for node in site.nodes():
        receiver = _json_receiver(node)
        if isinstance(receiver, ast.Name) and receiver.id == holder:
            assert isinstance(node, ast.Call)
            yield node


def _holder(stmt: ast.stmt, call: ast.Call) -> str | None:
    """The local the call's response is bound to (`resp = await c.post(...)`,
    `async with session.post(...) as resp:`)."""
    if isinstance(stmt, (ast.Assign, ast.AnnAssign)):
        targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
        if stmt.value is not None and _unawait(stmt.value) is call and len(targets) == 1:
            target = targets[0]
            return target.id if isinstance(target, ast.Name) else None
    if isinstance(stmt, (ast.With, ast.AsyncWith)):
        for item in stmt.items:
            if _unawait(item.context_expr) is call and isinstance(item.optional_vars, ast.Name):
                return item.optional_vars.id
    return None


def _assigned_to(stmt: ast.stmt, value: ast.Call) -> str | None:
    if isinstance(stmt, (ast.Assign, ast.AnnAssign)):
        targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
        if stmt.value is not None and _unawait(stmt.value) is value and len(targets) == 1:
            target = targets[0]
            return target.id if isinstance(target, ast.Name) else None
    return None


def _used_as_dict(site: Site, value: ast.Call) -> bool:
    """`value["k"]` or `value.get("k")` in the statement (`value` maybe awaited)."""
    for node in site.nodes():
        if isinstance(node, ast.Subscript) and _unawait(node.value) is value:
            return isinstance(node.slice, ast.Constant) and isinstance(node.slice.value, str)
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "get"
            and _unawait(node.func.value) is value
        ):
            return True
    return False


def _reads_key(node: ast.AST, name: str) -> bool:
    """`name["k"]` (a string key: a list's `[0]` is no dict read) or `name.get(...)`."""
    if isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Load):
        value = node.value
        return (
            isinstance(value, ast.Name)
            and value.id == name
            and isinstance(node.slice, ast.Constant)
            and isinstance(node.slice.value, str)
        )
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        receiver = node.func.value
        return node.func.attr == "get" and isinstance(receiver, ast.Name) and receiver.id == name
    return False


def _validates(node: ast.AST, name: str) -> bool:
    """`X.model_validate(name)`, `X(**name)`, `adapter.validate_python(name)`."""
    if not isinstance(node, ast.Call):
        return False
    mentions = any(isinstance(a, ast.Name) and a.id == name for a in node.args) or any(
        isinstance(k.value, ast.Name) and k.value.id == name for k in node.keywords
    )
    if not mentions:
        return False
    func = node.func
    if isinstance(func, ast.Attribute) and func.attr in _VALIDATORS:
        return True
    return any(k.arg is None and isinstance(k.value, ast.Name) for k in node.keywords)
