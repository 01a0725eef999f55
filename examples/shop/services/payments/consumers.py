"""Kafka consumers of the payments service (topic ``orders.events``)."""

from __future__ import annotations

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from common.models.api import PaymentStatus
from common.models.events import EventEnvelope, OrderCancelledV1
from common.models.metadata_models import PaymentProcessingMetadata
from libs.shared.messaging import EventPublisher
from libs.shared.retry import retry_async

from .models_db import Refund
from .repositories.payment_repository import PaymentRepository
from .schemas import RefundIssuedEvent

logger = structlog.get_logger()


@retry_async(attempts=5)
async def on_order_cancelled(
    envelope: EventEnvelope[OrderCancelledV1], session: AsyncSession, publisher: EventPublisher
) -> None:
    """Refund a captured payment when its order is cancelled."""
    cancelled = envelope.data
    repo = PaymentRepository(session)
    payment = await repo.get_for_order(cancelled.order_id)
    if payment is None or payment.status is not PaymentStatus.CAPTURED:
        logger.info("nothing to refund", correlation_id=envelope.correlation_id, order_id=str(cancelled.order_id))
        return

    refund = await repo.add_refund(Refund(payment_id=payment.id, amount=payment.amount, reason=cancelled.reason))
    payment.status = PaymentStatus.REFUNDED
    await repo.record_metadata(payment, PaymentProcessingMetadata(refund_id=str(refund.id)))
    await session.commit()

    await publisher.publish(
        "payments.events",
        EventEnvelope[RefundIssuedEvent](
            source_service="payments",
            correlation_id=envelope.correlation_id,
            event_type="payment.refund_issued",
            data=RefundIssuedEvent(
                refund_id=refund.id, payment_id=payment.id, order_id=payment.order_id,
                amount=refund.amount, currency=payment.currency, reason=refund.reason,
            ),
        ),
    )
    logger.info("refund issued", correlation_id=envelope.correlation_id, refund_id=str(refund.id))
