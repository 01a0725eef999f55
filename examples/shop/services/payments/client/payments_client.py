"""Typed async HTTP client of the payments API."""

from __future__ import annotations

import logging
import os
from uuid import UUID

import httpx

from common.models.api import AuthorizePaymentRequest, PaymentResponse
from libs.shared.retry import retry_async

logger = logging.getLogger(__name__)

PAYMENTS_BASE_URL = os.environ.get("PAYMENTS_BASE_URL", "http://payments:8000")


class PaymentsClient:
    def __init__(self, http: httpx.AsyncClient, base_url: str = PAYMENTS_BASE_URL) -> None:
        self._http = http
        self._base_url = base_url.rstrip("/")

    @retry_async(attempts=3)
    async def authorize(self, request: AuthorizePaymentRequest, *, correlation_id: str) -> PaymentResponse:
        response = await self._http.post(
            f"{self._base_url}/payments/authorize",
            json=request.model_dump(mode="json"),
            headers={"X-Correlation-ID": correlation_id},
        )
        response.raise_for_status()
        payment = PaymentResponse.model_validate_json(response.content)
        logger.info(
            "payment authorization requested",
            extra={"correlation_id": correlation_id, "payment_id": str(payment.payment_id)},
        )
        return payment

    @retry_async(attempts=3)
    async def get_payment(self, payment_id: UUID, *, correlation_id: str) -> PaymentResponse:
        response = await self._http.get(
            f"{self._base_url}/payments/{payment_id}", headers={"X-Correlation-ID": correlation_id}
        )
        response.raise_for_status()
        return PaymentResponse.model_validate_json(response.content)


async def get_payments_client() -> PaymentsClient:
    return PaymentsClient(httpx.AsyncClient(timeout=5.0))
