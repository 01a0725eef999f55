"""Kafka handlers of the notifications service (topics ``orders.events``, ``payments.events``)."""

from __future__ import annotations

import logging
from datetime import datetime, timezone
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from common.models.events import EventEnvelope, OrderPlacedV1, PaymentCapturedV1
from common.models.metadata_models import DeliveryMetadata
from libs.shared.retry import retry_async

from ..payments.repositories.payment_repository import PaymentRepository
from .mailer import EmailMessage, EmailSender
from .models_db import Notification
from .templates import order_confirmation, payment_receipt

logger = logging.getLogger(__name__)


async def _deliver(notification: Notification, message: EmailMessage, sender: EmailSender, correlation_id: str) -> str:
    message_id = await sender.send(message, correlation_id)
    notification.status = "sent"
    notification.sent_at = datetime.now(timezone.utc)
    logger.info("notification sent", extra={"correlation_id": correlation_id, "notification_id": str(notification.id)})
    return message_id


@retry_async(attempts=3)
async def on_order_placed(envelope: EventEnvelope[OrderPlacedV1], session: AsyncSession, sender: EmailSender) -> None:
    order = envelope.data
    notification = Notification(
        order_id=order.order_id,
        recipient=order.customer_email,
        template="order_confirmation",
        correlation_id=envelope.correlation_id,
    )
    session.add(notification)
    await session.flush()
    message_id = await _deliver(notification, order_confirmation(order), sender, envelope.correlation_id)
    notification.delivery_metadata = {"provider": sender.provider, "provider_message_id": message_id, "attempts": 1}
    await session.commit()


@retry_async(attempts=3)
async def on_payment_captured(
    envelope: EventEnvelope[PaymentCapturedV1], session: AsyncSession, sender: EmailSender
) -> None:
    captured = envelope.data
    recipient = await session.scalar(
        select(Notification.recipient).where(
            Notification.order_id == captured.order_id, Notification.template == "order_confirmation"
        )
    )
    if recipient is None:
        logger.warning("no recipient known for order", extra={"correlation_id": envelope.correlation_id})
        return
    payment = await PaymentRepository(session).get(captured.payment_id)
    card_last4 = payment.processing_metadata.get("card_last4") if payment is not None else None
    notification = Notification(
        order_id=captured.order_id, recipient=recipient, template="payment_receipt",
        correlation_id=envelope.correlation_id,
    )
    session.add(notification)
    await session.flush()
    await _deliver(notification, payment_receipt(recipient, captured, card_last4), sender, envelope.correlation_id)
    await session.commit()


async def redeliver(notification_id: UUID, message: EmailMessage, session: AsyncSession, sender: EmailSender) -> None:
    """Retry a notification whose delivery failed (run by the redelivery job)."""
    notification = await session.get(Notification, notification_id)
    if notification is None or notification.status == "sent":
        return
    correlation_id = notification.correlation_id
    try:
        message_id = await _deliver(notification, message, sender, correlation_id)
    except Exception as exc:
        attempts = int(notification.delivery_metadata.get("attempts", 0)) + 1
        failure = DeliveryMetadata(attempts=attempts, last_error=repr(exc))
        notification.delivery_metadata = {
            **notification.delivery_metadata,
            **failure.model_dump(mode="json", exclude_none=True),
        }
        notification.status = "failed"
        logger.warning("redelivery failed", extra={"correlation_id": correlation_id, "attempts": attempts})
    else:
        notification.delivery_metadata = {"provider": sender.provider, "provider_message_id": message_id}
    await session.commit()
