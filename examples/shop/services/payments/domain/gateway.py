"""Client of the external card gateway (PSP)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from decimal import Decimal

import httpx
import structlog

from libs.shared.retry import retry_async

logger = structlog.get_logger()

GATEWAY_URL = os.environ.get("CARD_GATEWAY_URL", "https://api.gateway.example/v2")
GATEWAY_API_KEY = os.environ.get("CARD_GATEWAY_API_KEY", "")


@dataclass(frozen=True)
class GatewayResult:
    reference: str
    approved: bool
    card_last4: str | None = None
    failure_code: str | None = None


class CardGateway:
    def __init__(self, http: httpx.AsyncClient) -> None:
        self._http = http

    @retry_async(attempts=3)
    async def authorize(self, token: str, amount: Decimal, currency: str, *, correlation_id: str) -> GatewayResult:
        response = await self._http.post(
            f"{GATEWAY_URL}/authorizations",
            json={"source": token, "amount": str(amount), "currency": currency},
            headers={"Authorization": f"Bearer {GATEWAY_API_KEY}", "Idempotency-Key": correlation_id},
        )
        response.raise_for_status()
        body = response.json()
        logger.info("gateway authorization", correlation_id=correlation_id, approved=body["approved"])
        return GatewayResult(body["id"], body["approved"], body.get("card", {}).get("last4"), body.get("code"))

    @retry_async(attempts=3)
    async def capture(self, reference: str, amount: Decimal, *, correlation_id: str) -> GatewayResult:
        response = await self._http.post(
            f"{GATEWAY_URL}/authorizations/{reference}/capture",
            json={"amount": str(amount)},
            headers={"Authorization": f"Bearer {GATEWAY_API_KEY}", "Idempotency-Key": f"{correlation_id}:capture"},
        )
        response.raise_for_status()
        body = response.json()
        logger.info("gateway capture", correlation_id=correlation_id, reference=reference)
        return GatewayResult(body["capture_id"], True)


async def get_gateway() -> CardGateway:
    return CardGateway(httpx.AsyncClient(timeout=10.0))
