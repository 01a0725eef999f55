"""Kafka handlers of the orders service (topic ``payments.events``)."""

from __future__ import annotations

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from common.models.api import OrderStatus
from common.models.events import EventEnvelope, PaymentCapturedV1, PaymentFailedV1
from libs.shared.retry import retry_async
from services.orders.models_db import Order

from .repositories.order_repository import OrderRepository

logger = structlog.get_logger()


@retry_async(attempts=5)
async def on_payment_captured(envelope: EventEnvelope[PaymentCapturedV1], session: AsyncSession) -> None:
    captured = envelope.data
    order = await session.get(Order, captured.order_id)
    if order is None:
        logger.warning(
            "capture for unknown order", correlation_id=envelope.correlation_id, order_id=str(captured.order_id)
        )
        return
    order.status = OrderStatus.PAID
    order.processing_metadata["payment_id"] = str(captured.payment_id)
    await session.commit()
    logger.info("order paid", correlation_id=envelope.correlation_id, order_id=str(order.id))


@retry_async(attempts=5)
async def on_payment_failed(envelope: EventEnvelope[PaymentFailedV1], session: AsyncSession) -> None:
    failed = envelope.data
    order = await OrderRepository(session).get(failed.order_id)
    if order is None or order.status is not OrderStatus.PENDING:
        logger.info("ignoring payment failure", correlation_id=envelope.correlation_id, order_id=str(failed.order_id))
        return
    order.status = OrderStatus.CANCELLED
    order.processing_metadata.update(payment_failure=failed.failure_code)
    await session.commit()
    logger.warning(
        "order cancelled after payment failure",
        correlation_id=envelope.correlation_id,
        order_id=str(order.id),
        failure_code=failed.failure_code,
    )
