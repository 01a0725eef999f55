"""Data access for payments and refunds."""

from __future__ import annotations

from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from common.models.metadata_models import PaymentProcessingMetadata

from ..models_db import Payment, Refund


class PaymentRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def get(self, payment_id: UUID) -> Payment | None:
        return await self._session.get(Payment, payment_id)

    async def get_for_order(self, order_id: UUID) -> Payment | None:
        result = await self._session.execute(select(Payment).where(Payment.order_id == order_id))
        return result.scalar_one_or_none()

    async def add(self, payment: Payment) -> Payment:
        self._session.add(payment)
        await self._session.flush()
        return payment

    async def add_refund(self, refund: Refund) -> Refund:
        self._session.add(refund)
        await self._session.flush()
        return refund

    async def record_metadata(self, payment: Payment, overlay: PaymentProcessingMetadata) -> None:
        """Overlay typed metadata on the stored dict: keys written by others survive."""
        payment.processing_metadata = {
            **payment.processing_metadata,
            **overlay.model_dump(mode="json", exclude_none=True),
        }
