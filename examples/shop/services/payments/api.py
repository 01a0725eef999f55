"""HTTP API of the payments service."""

from __future__ import annotations

from datetime import datetime, timezone
from uuid import UUID

import structlog
from fastapi import APIRouter, Depends, Header, HTTPException, status
from sqlalchemy.ext.asyncio import AsyncSession

from common.models.api import AuthorizePaymentRequest, PaymentResponse, PaymentStatus
from common.models.events import EventEnvelope, PaymentCapturedV1
from common.models.metadata_models import PaymentProcessingMetadata
from libs.shared.messaging import EventPublisher, get_publisher

from .db.session import get_session
from .domain.fees import with_card_fee
from .domain.gateway import CardGateway, get_gateway
from .models_db import Payment
from .repositories.payment_repository import PaymentRepository

logger = structlog.get_logger()
router = APIRouter(prefix="/payments", tags=["payments"])


def _response(payment: Payment, correlation_id: str) -> PaymentResponse:
    return PaymentResponse(
        payment_id=payment.id,
        order_id=payment.order_id,
        status=payment.status,
        amount=payment.amount,
        currency=payment.currency,
        timestamp=datetime.now(timezone.utc),
        request_id=correlation_id,
    )


@router.post("/authorize", response_model=PaymentResponse, status_code=status.HTTP_201_CREATED)
async def authorize_payment(
    body: AuthorizePaymentRequest,
    correlation_id: str = Header(alias="X-Correlation-ID"),
    session: AsyncSession = Depends(get_session),
    gateway: CardGateway = Depends(get_gateway),
) -> PaymentResponse:
    repo = PaymentRepository(session)
    amount = with_card_fee(body.amount, body.currency)
    payment = await repo.add(Payment(order_id=body.order_id, amount=amount, currency=body.currency))
    result = await gateway.authorize(body.payment_method_token, amount, body.currency, correlation_id=correlation_id)
    payment.status = PaymentStatus.AUTHORIZED if result.approved else PaymentStatus.FAILED
    payment.gateway_reference = result.reference
    await repo.record_metadata(
        payment,
        PaymentProcessingMetadata(
            correlation_id=correlation_id, gateway="card-gateway", gateway_reference=result.reference,
            card_last4=result.card_last4,
        ),
    )
    await session.commit()
    logger.info(
        "payment authorized", correlation_id=correlation_id, payment_id=str(payment.id), approved=result.approved
    )
    return _response(payment, correlation_id)


@router.post("/{payment_id}/capture", response_model=PaymentResponse)
async def capture_payment(
    payment_id: UUID,
    correlation_id: str = Header(alias="X-Correlation-ID"),
    session: AsyncSession = Depends(get_session),
    gateway: CardGateway = Depends(get_gateway),
    publisher: EventPublisher = Depends(get_publisher),
) -> PaymentResponse:
    payment = await session.get(Payment, payment_id)
    if payment is None or payment.gateway_reference is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "payment not found")
    result = await gateway.capture(payment.gateway_reference, payment.amount, correlation_id=correlation_id)
    payment.status = PaymentStatus.CAPTURED
    payment.processing_metadata["capture_reference"] = result.reference
    await session.commit()
    logger.info("payment captured", correlation_id=correlation_id, payment_id=str(payment.id))

    event = PaymentCapturedV1(
        payment_id=payment.id, order_id=payment.order_id, amount=payment.amount,
        currency=payment.currency, captured_at=datetime.now(timezone.utc),
    )
    await publisher.publish(
        "payments.events",
        EventEnvelope[PaymentCapturedV1](
            source_service="payments", correlation_id=correlation_id, event_type="payment.captured.v1", data=event
        ),
    )
    return _response(payment, correlation_id)


@router.get("/{payment_id}", response_model=PaymentResponse)
async def get_payment(
    payment_id: UUID,
    correlation_id: str = Header(alias="X-Correlation-ID"),
    session: AsyncSession = Depends(get_session),
) -> PaymentResponse:
    payment = await PaymentRepository(session).get(payment_id)
    if payment is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "payment not found")
    return _response(payment, correlation_id)
