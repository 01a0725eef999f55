"""Data access for orders."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from common.models.api import OrderStatus
from services.payments.models_db import Payment

from ..models_db import Order


class OrderRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, order: Order) -> Order:
        self._session.add(order)
        await self._session.flush()
        return order

    async def get(self, order_id: UUID) -> Order | None:
        return await self._session.get(Order, order_id)

    async def list_for_customer(self, customer_id: UUID, *, limit: int = 20, offset: int = 0) -> list[Order]:
        stmt = (
            select(Order)
            .where(Order.customer_id == customer_id)
            .order_by(Order.created_at.desc())
            .limit(limit)
            .offset(offset)
        )
        return list((await self._session.scalars(stmt)).all())

    async def list_unpaid_since(self, cutoff: datetime) -> list[Order]:
        """Pending orders older than ``cutoff`` that have no payment row yet."""
        stmt = (
            select(Order)
            .outerjoin(Payment, Payment.order_id == Order.id)
            .where(Order.status == OrderStatus.PENDING, Order.created_at < cutoff, Payment.id.is_(None))
        )
        return list((await self._session.scalars(stmt)).all())
