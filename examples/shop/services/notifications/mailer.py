"""Sending email through the provider's HTTP API."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass

import httpx

from libs.shared.retry import retry_async

logger = logging.getLogger(__name__)

PROVIDER_URL = os.environ.get("EMAIL_PROVIDER_URL", "https://api.mailer.example/v3/send")
PROVIDER_TOKEN = os.environ.get("EMAIL_PROVIDER_TOKEN", "")
SENDER = "Shop <no-reply@shop.example>"


@dataclass(frozen=True)
class EmailMessage:
    to: str
    subject: str
    text: str


class EmailSender:
    provider = "mailer"

    def __init__(self, http: httpx.AsyncClient) -> None:
        self._http = http

    @retry_async(attempts=4, base_delay=1.0)
    async def send(self, message: EmailMessage, correlation_id: str) -> str:
        """Hand the message to the provider; returns the provider's message id."""
        response = await self._http.post(
            PROVIDER_URL,
            headers={"Authorization": f"Bearer {PROVIDER_TOKEN}", "X-Request-ID": correlation_id},
            json={"from": SENDER, "to": [message.to], "subject": message.subject, "text": message.text},
        )
        response.raise_for_status()
        message_id: str = response.json()["id"]
        logger.info(
            "email accepted by provider",
            extra={"provider_message_id": message_id, "subject": message.subject},
        )
        return message_id


def get_sender() -> EmailSender:
    return EmailSender(httpx.AsyncClient(timeout=10.0))
