"""Service-internal Pydantic models of the orders service."""

from __future__ import annotations

from decimal import Decimal

from pydantic import BaseModel, Field

from common.models.api import OrderStatus


class PricedOrder(BaseModel):
    """The price breakdown of a cart, as computed at checkout."""

    subtotal: Decimal
    shipping: Decimal
    total: Decimal
    card_surcharge: Decimal
    currency: str

    @property
    def total_with_surcharge(self) -> Decimal:
        return self.total + self.card_surcharge


class OrderListQuery(BaseModel):
    status: OrderStatus | None = None
    limit: int = Field(default=20, ge=1, le=100)
    offset: int = Field(default=0, ge=0)
