"""ARC301 log-missing-correlation-id."""

from __future__ import annotations

import ast
import re
from typing import TYPE_CHECKING, Any

from arch_lint.config.resolve import Settings
from arch_lint.findings import Fix
from arch_lint.index.models import dotted
from arch_lint.rules import _logging
from arch_lint.rules._base import FileRule

if TYPE_CHECKING:
    import libcst as cst


class LogMissingCorrelationId(FileRule):
    """A log call without the correlation id although one is at hand.

    ## What it does
    Flags a call of a known logger (`debug` … `critical`, `exception`, `log`,
    `msg`) that does not carry the correlation id while one is in scope: a
    parameter or local named like a `correlation-fields` entry (or a
    `*_correlation_id` variant), a parameter typed with a `correlation-carriers`
    class (`EventEnvelope[...]`), an attribute path ending in the id used in the
    function (`event.correlation_id`), or a route handler (FastAPI, Starlette,
    Quart, Flask and aiohttp route decorators) whose service provides one per
    request (below).

    **Route handlers: evidence before presumption.** With
    `request-handlers-have-correlation = "auto"` (the default), a route handler
    has an id in scope only where the project shows where it comes from; the
    message names the middleware, dependency or hook, and
    `arch-lint check --show-settings` lists each service's evidence (file:line).
    What counts is something the service *installs*:
    - a middleware: `app.add_middleware(X)` (also `dispatch=f`),
      `@app.middleware("http")`, Starlette's `Middleware(X)` in a list (the one
      given to the app), aiohttp's `web.Application(middlewares=[...])`;
    - a dependency: `Depends(f)`/`Security(f)` on the route (a parameter's
      default, `Annotated[..., Depends(f)]`, the decorator's `dependencies=`), on
      its router (`APIRouter(dependencies=[...])`, `include_router(router,
      dependencies=[...])`) or on the app (`FastAPI(dependencies=[...])`); it
      covers those routes only;
    - a before-request hook: Flask/Quart `@app.before_request` (a blueprint's
      covers that blueprint's routes);

    whose code (the class's methods, the function, and the project functions
    they call, found through imports and re-exports in any module or shared
    library) reads one of `correlation-headers` (`request.headers.get(...)`,
    `request.headers[...]`, a `Header()` parameter, raw ASGI header bytes; the
    name may be a constant or a default), sets a correlation ContextVar
    (`var.set(...)` or a project setter that does; a ContextVar named after a
    `correlation-fields` key, or one a logging pipeline puts under one), or
    binds a `correlation-fields` key into structlog contextvars
    (`bind_contextvars(correlation_id=...)`). asgi-correlation-id's
    `CorrelationIdMiddleware` counts as it is. A class that is defined and never
    installed is no evidence, nor is an install in a test, in a shared library's
    helper (the service that calls it is not followed), or in another service;
    nor one a module-level function without decorators makes by a call on the
    app it is given (`def setup(app): app.add_middleware(X)`, also
    `app.before_request(f)` and `app.middlewares.append(m)`) where no import in
    the service or outside every service (tests aside) reaches that function
    or its module (resolved; or, where the layout does not resolve it, naming
    its module's path from the service's folder, the root, a `src` folder or a
    folder that is no package, outside the standard library: `from app.core.middleware import
    setup`), and its own file names it nowhere else: nothing calls it, so
    nothing is installed. An install by a decorator in such a function
    (`@app.middleware("http")`) still counts; a function reached only through
    a computed name (`import_module(f"….{name}")`, a dotted path in a
    configuration string) is not followed, and its install does not count.
    Without evidence (and outside every service) a route handler has no id in
    scope: its calls are ARC302's (off by default). `true` presumes an id in
    every route handler (the old behaviour), `false` in none.

    **Ids the logging pipeline adds.** With `middleware-binds-contextvars =
    "auto"` (the default), a call carries the id (and is not flagged) where the
    pipeline configured for its logger adds it: a structlog processor (a
    function or class in `structlog.configure(processors=[...])`, also a list
    built in the same function), a `logging.Filter` or `Formatter` of the
    project (or asgi-correlation-id's `CorrelationIdFilter`) added to the logger
    (`logger.addFilter(F())`: that logger's own calls) or to a handler of it
    (`handler.addFilter`/`setFormatter`, then `logger.addHandler(handler)` or
    `logging.basicConfig(handlers=[...])`: that logger and its children), that
    puts a ContextVar's value (`var.get()`, or a project getter that returns it)
    under a `correlation-fields` key. A pipeline configured in another service
    is no evidence for this one (one in a shared library counts), nor is one
    configured for another logger. It carries the id where that ContextVar is
    set: after `var.set(...)` or a call of a project setter earlier in the same
    function, and in the route handlers of a service whose installed
    middleware, dependency or hook sets it. An installed one that binds the id
    into structlog contextvars carries it for structlog loggers, and for stdlib
    loggers whose formatter merges structlog contextvars
    (`ProcessorFormatter(foreign_pre_chain=[merge_contextvars, ...])`).

    **Loggers made by project factories** are found, not configured: a project
    function, a lambda assigned to a name, or an alias whose result is a logger
    made by a `logger-factories` / `structlog-factories` entry, followed to any
    depth across modules (a factory returning another factory's result, through
    `.bind(...)`); the factory's kind (stdlib or structlog) decides the fix.
    Only factories whose chain is written with a name that speaks of logging
    (`get_logger`, `make_log`) are read, and one that may return something else
    (`return None` on a path) is not a factory.

    An id is not in scope where the path the call stands on proves it missing:
    in the branch of `if not hasattr(event, "correlation_id"):`, of
    `if event is None:` or `if not correlation_id:` (and the `else` of their
    opposites), and after `del correlation_id` in the function (unless it is
    bound again). A line that says "legacy event without a correlation id" there
    is not flagged.

    A call carries the id with `extra={"correlation_id": ...}` (also through
    `dict(...)`, `{**base, ...}` or a local dict that holds the key), with a
    `correlation_id=` keyword (structlog), through a logger bound with it
    (`logger.bind(correlation_id=...)`, `LoggerAdapter(logger, {...})`), or
    through structlog contextvars bound earlier in the function. A binding
    made inside a project helper the function calls
    (`log_event_processing(logger, msg, envelope)` that calls
    `bind_contextvars(...)`) is not followed, and the calls after it are
    flagged: say so with a `# noqa: ARC301` there, or bind in place.

    Not flagged, because nothing says an id is missing: start-up and module-level
    code with no id in scope, loggers that arrive as parameters (they may be
    bound already), an `extra` built elsewhere (`extra=log_extra` from a
    parameter), calls with `**kwargs`, and calls whose id sits only in the message
    (that is ARC303). Where the evidence is uncertain the call is not flagged:
    a ContextVar set on any path earlier in the function counts as set; a stdlib
    pipeline whose logger or handler cannot be told (a handler attached
    elsewhere) serves every stdlib logger; so does every pipeline for a logger
    whose name is unknown (made by a project factory, imported from another
    module); a pipeline configured in a function of a shared library counts as
    configured.

    ## Why is this bad?
    The correlation id is what ties one request's log lines together across
    services. A line without it is invisible when someone follows a failed order
    through the logs, exactly when it matters.

    ## Example
    ```python
    # services/orders/handlers.py
    import logging

    logger = logging.getLogger(__name__)


    def handle(order_id: str, correlation_id: str) -> None:
        logger.info("order received")
    ```

    ## Use instead
    ```python
    # services/orders/handlers.py
    import logging

    logger = logging.getLogger(__name__)


    def handle(order_id: str, correlation_id: str) -> None:
        logger.info("order received", extra={"correlation_id": correlation_id})
    ```

    ## How to fix
    Pass the id in the style the call already uses: a key in its `extra` dict
    (stdlib), a `correlation_id=` keyword (structlog), or bind it once
    (`log = logger.bind(correlation_id=correlation_id)`) and log through `log`.

    ## Fix safety
    The fix is safe: it adds a structured field and changes no message. It is
    offered where the logger's kind is known (stdlib or structlog) and a concrete
    id expression is in scope (not for the route-handler presumption), and only
    where that expression is sure to exist: a call under `if not event:`,
    `if event is None or ...`, inside `except AttributeError:` (or a bare or
    `except Exception:` whose `try` reads `event.correlation_id`), or after a
    `del` of the id in another branch or later in a loop, is flagged without a
    fix, because reading the id there could raise. An attribute of an object
    that is not a carrier (`event.correlation_id` for an untyped `event`) is
    read by the fix only where something proves it exists: a test around the
    call that reads it or asks `hasattr` for it, or a plain statement before
    the call, on every path to it, that reads it. The fix only inserts: where
    the call's last argument stands on a line of its own, the new one gets its
    own line with the same indentation, else it follows after `, `; it takes
    the call's trailing-comma style, and comments and the closing parenthesis
    stay where they were.

    ## Options
    `logging.correlation-fields`, `logging.correlation-headers`,
    `logging.logger-factories`, `logging.structlog-factories`,
    `logging.correlation-carriers`, `logging.request-handlers-have-correlation`,
    `logging.middleware-binds-contextvars`
    """

    code = "ARC301"
    name = "log-missing-correlation-id"
    message = "log call `{call}` has no `{key}` although {why}"
    fix_title = "Add the correlation id to the log call"
    fix_safety = "safe"
    fix_node = "call"
    needs_tree = True

    @classmethod
    def edit(cls, node: Any, fix: Fix) -> Any:
        return _add_correlation_id(node, fix)

    @classmethod
    def applies(cls, settings: Settings, source: bytes) -> bool:
        return _logging.applies(source)

    def check_tree(self, tree: ast.Module) -> None:
        found = _logging.analysis(self.ctx, tree)
        for item in found.calls:
            if item.carries is not False or item.in_message:
                continue
            call = item.call
            at_hand = found.id_for(item)
            expr, sure = at_hand if at_hand is not None else (None, False)
            if expr is None and item.presumed is None:
                continue
            why = f"`{expr}` is in scope" if expr else str(item.presumed)
            fix = None
            extra = next((k.value for k in call.keywords if k.arg == "extra"), None)
            fixable_extra = extra is None or isinstance(extra, ast.Dict)
            if (
                expr is not None
                and sure
                and item.logger.kind in {_logging.STDLIB, _logging.STRUCTLOG}
                and (item.logger.kind == _logging.STRUCTLOG or fixable_extra)
                and not self._in_fstring(call)
            ):
                line, col = call.lineno, self.ctx.char_col(call.lineno, call.col_offset)
                end_line = call.end_lineno or line
                end_col = self.ctx.char_col(end_line, call.end_col_offset or 0)
                style = "keyword" if item.logger.kind == _logging.STRUCTLOG else "extra"
                added = (
                    f"`{found.key}={expr}`"
                    if style == "keyword"
                    else f'`"{found.key}": {expr}` to its `extra`'
                )
                fix = Fix(
                    title=f"Add {added} to the call" if style == "keyword" else f"Add {added}",
                    safe=True,
                    kind="add-correlation-id",
                    line=line,
                    column=col + 1,
                    end_line=end_line,
                    end_column=end_col + 1,
                    data={"expr": expr, "key": found.key, "style": style},
                )
            self.report_fix(call, fix, call=call_text(call), key=found.key, why=why)

    def _in_fstring(self, call: ast.Call) -> bool:
        """A call inside an f-string gets no fix: before Python 3.12 the added
        `"correlation_id"` key may not reuse the f-string's quote. Judged from the
        call's line (an f-string opening before the call), which costs nothing
        per file; a call in a multi-line f-string that this misses gets a fix
        the engine refuses, as the result would not parse."""
        line = self.ctx.lines[call.lineno - 1] if call.lineno <= len(self.ctx.lines) else ""
        before = line[: self.ctx.char_col(call.lineno, call.col_offset)]
        return _FSTRING_OPENING.search(before) is not None


_FSTRING_OPENING = re.compile(r"(?<![\w])(?:[fF][rR]?|[rR][fF])['\"]")


def call_text(call: ast.Call) -> str:
    func = dotted(call.func) or ast.unparse(call.func)
    return f"{func if len(func) <= 60 else '…' + func[-59:]}(...)"


def _add_correlation_id(call: cst.Call, fix: Fix) -> cst.Call:
    import libcst as cst

    from arch_lint.rules._edits import NO_SPACE, append, append_arg

    key, expr = fix.data["key"], fix.data["expr"]
    value = cst.parse_expression(expr)
    equal = cst.AssignEqual(whitespace_before=NO_SPACE, whitespace_after=NO_SPACE)
    if fix.data.get("style") == "keyword":
        if any(a.keyword is not None and a.keyword.value == key for a in call.args):
            return call
        return append_arg(call, cst.Arg(value=value, keyword=cst.Name(key), equal=equal))
    element = cst.DictElement(cst.SimpleString(f'"{key}"'), value)
    args = list(call.args)
    for i, arg in enumerate(args):
        if arg.keyword is not None and arg.keyword.value == "extra":
            if not isinstance(arg.value, cst.Dict):
                return call  # built elsewhere: the rule does not offer a fix then
            extra = arg.value
            rbrace = extra.rbrace
            lead = extra.lbrace.whitespace_after
            elements, closing = append(extra.elements, element, lead, rbrace.whitespace_before)
            # in a dict the whitespace before `}` sits on the brace
            rbrace = rbrace.with_changes(whitespace_before=closing)
            new_extra = extra.with_changes(elements=elements, rbrace=rbrace)
            args[i] = arg.with_changes(value=new_extra)
            return call.with_changes(args=args)
    extra_arg = cst.Arg(value=cst.Dict([element]), keyword=cst.Name("extra"), equal=equal)
    return append_arg(call, extra_arg)
