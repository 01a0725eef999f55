"""Service-internal Pydantic models of the payments service."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from common.models.api import PaymentStatus


class PaymentSummary(BaseModel):
    """A payment as the back office shows it."""

    model_config = ConfigDict(from_attributes=True)

    id: UUID
    order_id: UUID
    status: PaymentStatus
    amount: Decimal
    currency: str
    created_at: datetime


class RefundIssuedEvent(BaseModel):
    refund_id: UUID = Field(description="Id of the refund.")
    payment_id: UUID = Field(description="Id of the refunded payment.")
    order_id: UUID = Field(description="Id of the order the payment was for.")
    amount: Decimal = Field(description="Refunded amount.")
    currency: str = Field(description="ISO 4217 currency code.")
    reason: str = Field(description="Why the payment was refunded.")
