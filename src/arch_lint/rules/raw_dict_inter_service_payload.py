"""ARC206 raw-dict-inter-service-payload."""

from __future__ import annotations

import ast
from fnmatch import fnmatchcase

from arch_lint.index.models import dotted
from arch_lint.rules._base import FileContext, FileRule

_HTTP_BODY_METHODS = frozenset({"post", "put", "patch", "request"})
_PAYLOAD_KEYWORDS = frozenset({"value", "payload", "data", "message", "event", "body", "json"})
_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)


def _is_dict(node: ast.expr) -> bool:
    return isinstance(node, ast.Dict) or (
        isinstance(node, ast.Call) and dotted(node.func) == "dict"
    )


def _scope_nodes(body: list[ast.stmt]) -> list[ast.AST]:
    """The nodes of one scope, in source order, not entering nested scopes."""
    out: list[ast.AST] = []
    stack: list[ast.AST] = list(reversed(body))
    while stack:
        node = stack.pop()
        out.append(node)
        if isinstance(node, _SCOPES):
            continue
        stack.extend(reversed(list(ast.iter_child_nodes(node))))
    return out


class RawDictInterServicePayload(FileRule):
    """A raw dict sent to another service or published as an event.

    ## What it does
    Flags a dict literal (or `dict(...)`, or a local name bound to one in the
    same function) passed as `json=` / `data=` of an HTTP call (httpx, aiohttp,
    requests: `.post`, `.put`, `.patch`, `.request`) whose URL comes from a
    settings attribute or environment variable that `service-urls` maps to a
    service (`settings.PAYMENTS_URL`, `os.environ["PAYMENTS_URL"]`, also inside an
    f-string or a name bound to one), and a dict passed as the payload of an event
    publishing call (`publish-calls`: `*.publish`, `*producer.send`, …).
    Not flagged: `json=model.model_dump(mode="json")`, external URLs, a dict built
    in another function (unknown).

    ## Why is this bad?
    A dict has no schema: the receiving service validates nothing the sender
    promised, a renamed key passes every test of the sender, and the contract
    exists only in two teams' heads. The shared models are that contract.

    ## Example
    ```python
    # services/orders/payments_gateway.py
    import httpx

    from services.orders.settings import settings


    async def charge(order_id: str, cents: int) -> None:
        async with httpx.AsyncClient() as client:
            await client.post(f"{settings.PAYMENTS_URL}/charges", json={"order_id": order_id})
    ```

    ## Use instead
    ```python
    # services/orders/payments_gateway.py
    import httpx

    from common.models.payments import ChargeRequestV1
    from services.orders.settings import settings


    async def charge(order_id: str, cents: int) -> None:
        body = ChargeRequestV1(order_id=order_id, amount_cents=cents)
        async with httpx.AsyncClient() as client:
            await client.post(f"{settings.PAYMENTS_URL}/charges", json=body.model_dump(mode="json"))
    ```

    ## How to fix
    Build the shared model for the request or event and send
    `model.model_dump(mode="json")` (or the model itself where the client
    serialises it).

    ## Options
    `models.service-urls` (e.g. `{"PAYMENTS_*URL" = "payments"}`), `models.publish-calls`
    """

    code = "ARC206"
    name = "raw-dict-inter-service-payload"
    message = "a raw dict is {how}; send a shared model"
    fix_title = 'Send a shared model (`model.model_dump(mode="json")`)'
    example_config = '[tool.arch_lint.models]\nservice-urls = {"PAYMENTS_*URL" = "payments"}\n'

    @classmethod
    def applies(cls, ctx: FileContext) -> bool:
        source = ctx.source
        cfg = ctx.settings.model.models
        http = bool(cfg.service_urls) and any(
            m in source for m in (b".post(", b".put(", b".patch(", b".request(")
        )
        return http or (bool(cfg.publish_calls) and (b"publish" in source or b"send" in source))

    def visit_Module(self, node: ast.Module) -> None:
        self._scope(node.body)

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        self._scope(node.body)

    def visit_AsyncFunctionDef(self, node: ast.AsyncFunctionDef) -> None:
        self._scope(node.body)

    # ---------------------------------------------------------------------------------
    def _scope(self, body: list[ast.stmt]) -> None:
        nodes = _scope_nodes(body)
        assigned: dict[str, list[tuple[int, ast.expr]]] = {}
        for node in nodes:
            if isinstance(node, ast.Assign):
                for target in node.targets:
                    if isinstance(target, ast.Name):
                        assigned.setdefault(target.id, []).append((node.lineno, node.value))
            elif (
                isinstance(node, ast.AnnAssign)
                and isinstance(node.target, ast.Name)
                and node.value is not None
            ):
                assigned.setdefault(node.target.id, []).append((node.lineno, node.value))
        for node in nodes:
            if isinstance(node, ast.Call):
                self._call(node, assigned)

    def _bound(
        self, node: ast.expr, line: int, assigned: dict[str, list[tuple[int, ast.expr]]]
    ) -> ast.expr:
        """A local name's latest value before `line` (the node itself otherwise)."""
        if isinstance(node, ast.Name):
            earlier = [v for n, v in assigned.get(node.id, ()) if n < line]
            if earlier:
                return earlier[-1]
        return node

    def _call(self, call: ast.Call, assigned: dict[str, list[tuple[int, ast.expr]]]) -> None:
        cfg = self.ctx.settings.model.models
        func = call.func
        name = dotted(func)
        if isinstance(func, ast.Attribute) and func.attr in _HTTP_BODY_METHODS and cfg.service_urls:
            url = call.args[1 if func.attr == "request" else 0] if call.args else None
            url = next((k.value for k in call.keywords if k.arg == "url"), url)
            service = self._service(url, call.lineno, assigned) if url is not None else None
            if service is not None:
                for kw in call.keywords:
                    if kw.arg in {"json", "data"} and _is_dict(
                        self._bound(kw.value, call.lineno, assigned)
                    ):
                        how = f"sent to service `{service}` as the request body"
                        self.report_node(kw.value, how=how)
                        return
        if name is not None and any(fnmatchcase(name, p) for p in cfg.publish_calls):
            candidates = [
                *call.args,
                *(k.value for k in call.keywords if k.arg in _PAYLOAD_KEYWORDS),
            ]
            for arg in candidates:
                if _is_dict(self._bound(arg, call.lineno, assigned)):
                    self.report_node(arg, how=f"published as the payload of `{name}`")
                    return

    def _service(
        self, url: ast.expr, line: int, assigned: dict[str, list[tuple[int, ast.expr]]]
    ) -> str | None:
        urls = self.ctx.settings.model.models.service_urls
        url = self._bound(url, line, assigned)
        for node in ast.walk(url):
            key = None
            if isinstance(node, ast.Attribute):
                key = node.attr
            elif isinstance(node, ast.Subscript) and dotted(node.value) == "os.environ":
                key = _literal_str(node.slice)
            elif isinstance(node, ast.Call) and dotted(node.func) in {
                "os.getenv",
                "os.environ.get",
                "getenv",
            }:
                key = _literal_str(node.args[0]) if node.args else None
            elif isinstance(node, ast.Name) and node is not url:
                bound = self._bound(node, line, assigned)
                if bound is not node:
                    found = self._service(bound, line, {})
                    if found is not None:
                        return found
            if key is not None:
                for pattern, service in urls.items():
                    if fnmatchcase(key, pattern):
                        return service
        return None


def _literal_str(node: ast.expr) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None
