"""HTTP API of the orders service."""

from __future__ import annotations

import logging
from datetime import datetime, timezone
from uuid import UUID

from fastapi import APIRouter, Depends, Header, HTTPException, status
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from common.models.api import AuthorizePaymentRequest, CreateOrderRequest, OrderResponse, OrderStatus, PaymentStatus
from common.models.events import EventEnvelope, OrderCancelledV1, OrderLineV1, OrderPlacedV1
from libs.shared.messaging import EventPublisher, get_publisher
from services.orders.repositories.order_repository import OrderRepository  # noqa: ARC101
from services.payments import Payment
from services.payments.client import PaymentsClient, get_payments_client
from services.payments.schemas import PaymentSummary

from .db.session import get_session
from .domain.pricing import price_order
from .models_db import Order, OrderLine

logger = logging.getLogger(__name__)
router = APIRouter(prefix="/orders", tags=["orders"])


def _response(order: Order, correlation_id: str, payment_status: PaymentStatus | None = None) -> OrderResponse:
    return OrderResponse(
        order_id=order.id,
        status=order.status,
        total=order.total,
        currency=order.currency,
        payment_status=payment_status,
        timestamp=datetime.now(timezone.utc),
        request_id=correlation_id,
    )


@router.post("", response_model=OrderResponse, status_code=status.HTTP_201_CREATED)
async def create_order(
    body: CreateOrderRequest,
    correlation_id: str = Header(alias="X-Correlation-ID"),
    session: AsyncSession = Depends(get_session),
    payments: PaymentsClient = Depends(get_payments_client),
    publisher: EventPublisher = Depends(get_publisher),
) -> OrderResponse:
    priced = price_order(body.lines, body.currency)
    order = await OrderRepository(session).add(
        Order(
            customer_id=body.customer_id,
            customer_email=body.customer_email,
            currency=body.currency,
            total=priced.total,
            lines=[OrderLine(sku=line.sku, quantity=line.quantity, unit_price=line.unit_price) for line in body.lines],
            processing_metadata={"channel": "web", "card_surcharge": str(priced.card_surcharge)},
        )
    )
    payment = await payments.authorize(
        AuthorizePaymentRequest(
            order_id=order.id, amount=priced.total, currency=body.currency,
            payment_method_token=body.payment_method_token,
        ),
        correlation_id=correlation_id,
    )
    if payment.status is PaymentStatus.FAILED:
        await session.rollback()
        logger.warning("payment declined", extra={"correlation_id": correlation_id})
        raise HTTPException(status.HTTP_402_PAYMENT_REQUIRED, "payment declined")
    await session.commit()

    placed = OrderPlacedV1(
        order_id=order.id,
        customer_id=order.customer_id,
        customer_email=order.customer_email,
        lines=[OrderLineV1(sku=line.sku, quantity=line.quantity, unit_price=line.unit_price) for line in order.lines],
        total=order.total,
        currency=order.currency,
    )
    await publisher.publish(
        "orders.events",
        EventEnvelope[OrderPlacedV1](
            source_service="orders", correlation_id=correlation_id, event_type="order.placed.v1", data=placed
        ),
    )
    logger.info("order placed", extra={"correlation_id": correlation_id, "order_id": str(order.id)})
    return _response(order, correlation_id, payment.status)


@router.get("/{order_id}", response_model=OrderResponse)
async def get_order(
    order_id: UUID,
    correlation_id: str = Header(alias="X-Correlation-ID"),
    session: AsyncSession = Depends(get_session),
) -> OrderResponse:
    order = await OrderRepository(session).get(order_id)
    if order is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "order not found")
    return _response(order, correlation_id)


@router.get("/{order_id}/payment", response_model=PaymentSummary)
async def get_order_payment(
    order_id: UUID,
    correlation_id: str = Header(alias="X-Correlation-ID"),
    session: AsyncSession = Depends(get_session),
) -> PaymentSummary:
    """Back-office view of the order's payment."""
    payment = await session.scalar(select(Payment).where(Payment.order_id == order_id))
    if payment is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no payment for this order")
    logger.info("payment looked up", extra={"correlation_id": correlation_id, "order_id": str(order_id)})
    return PaymentSummary.model_validate(payment)


@router.post("/{order_id}/cancel", response_model=OrderResponse)
async def cancel_order(
    order_id: UUID,
    reason: str = "cancelled by customer",
    correlation_id: str = Header(alias="X-Correlation-ID"),
    session: AsyncSession = Depends(get_session),
    publisher: EventPublisher = Depends(get_publisher),
) -> OrderResponse:
    order = await OrderRepository(session).get(order_id)
    if order is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "order not found")
    if order.status in (OrderStatus.CANCELLED, OrderStatus.REFUNDED):
        raise HTTPException(status.HTTP_409_CONFLICT, "order already cancelled")
    order.status = OrderStatus.CANCELLED
    await session.commit()

    cancelled = OrderCancelledV1(order_id=order.id, reason=reason, cancelled_at=datetime.now(timezone.utc))
    await publisher.publish(
        "orders.events",
        EventEnvelope[OrderCancelledV1](
            source_service="orders", correlation_id=correlation_id, event_type="order.cancelled.v1", data=cancelled
        ),
    )
    logger.info("order cancelled", extra={"correlation_id": correlation_id, "order_id": str(order.id)})
    return _response(order, correlation_id)
