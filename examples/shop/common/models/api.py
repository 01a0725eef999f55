"""HTTP API DTOs shared by the services and their clients."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import Enum
from uuid import UUID

from pydantic import BaseModel, Field


class OrderStatus(str, Enum):
    PENDING = "pending"
    PAID = "paid"
    CANCELLED = "cancelled"
    REFUNDED = "refunded"


class PaymentStatus(str, Enum):
    PENDING = "pending"
    AUTHORIZED = "authorized"
    CAPTURED = "captured"
    FAILED = "failed"
    REFUNDED = "refunded"


class OrderLineRequest(BaseModel):
    sku: str = Field(min_length=1, description="Stock keeping unit of the product.")
    quantity: int = Field(gt=0, le=100, description="Number of units to order.")
    unit_price: Decimal = Field(gt=0, description="Price of one unit, as shown in the cart.")


class CreateOrderRequest(BaseModel):
    customer_id: UUID = Field(description="Id of the ordering customer.")
    customer_email: str = Field(description="Address for order confirmations.")
    currency: str = Field(min_length=3, max_length=3, description="ISO 4217 currency code.")
    lines: list[OrderLineRequest] = Field(min_length=1, description="Products to order.")
    payment_method_token: str = Field(description="Tokenised card from the payment widget.")


class OrderResponse(BaseModel):
    order_id: UUID = Field(description="Id of the order.")
    status: OrderStatus = Field(description="Current order status.")
    total: Decimal = Field(description="Order total including shipping and card fees.")
    currency: str = Field(description="ISO 4217 currency code.")
    payment_status: PaymentStatus | None = Field(default=None, description="Status of the order's payment, if any.")
    timestamp: datetime = Field(description="When this response was produced, in UTC.")
    request_id: str = Field(description="Correlation id of the request that produced this response.")


class AuthorizePaymentRequest(BaseModel):
    order_id: UUID = Field(description="Id of the order to pay for.")
    amount: Decimal = Field(gt=0, description="Amount to authorise, in the order currency.")
    currency: str = Field(min_length=3, max_length=3, description="ISO 4217 currency code.")
    payment_method_token: str = Field(description="Tokenised card from the payment widget.")


class PaymentResponse(BaseModel):
    payment_id: UUID = Field(description="Id of the payment.")
    order_id: UUID = Field(description="Id of the order the payment is for.")
    status: PaymentStatus = Field(description="Current payment status.")
    amount: Decimal = Field(description="Payment amount including card fees.")
    currency: str = Field(description="ISO 4217 currency code.")
    timestamp: datetime = Field(description="When this response was produced, in UTC.")
    request_id: str = Field(description="Correlation id of the request that produced this response.")
