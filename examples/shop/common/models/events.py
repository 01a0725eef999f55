"""Event payloads published on Kafka, and the envelope that carries them."""

from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal
from typing import Any, Generic, TypeVar
from uuid import UUID, uuid4

from pydantic import BaseModel, Field

from .metadata_models import StorageReferenceMetadata

T = TypeVar("T", bound=BaseModel)


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


class EventEnvelope(BaseModel, Generic[T]):
    """Standard wrapper of every event: routing and tracing metadata plus the payload."""

    event_id: UUID = Field(default_factory=uuid4, description="Unique id of this event; consumers deduplicate on it.")
    event_timestamp: datetime = Field(default_factory=_utcnow, description="When the event was produced, in UTC.")
    source_service: str = Field(description="Name of the service that produced the event.")
    correlation_id: str = Field(description="Id of the request chain this event belongs to.")
    event_type: str = Field(description="Versioned event type, e.g. 'order.placed.v1'.")
    data: T = Field(description="The event payload.")


class OrderLineV1(BaseModel):
    sku: str = Field(description="Stock keeping unit of the product.")
    quantity: int = Field(gt=0, description="Number of units ordered.")
    unit_price: Decimal = Field(description="Price of one unit, in the order currency.")


class OrderPlacedV1(BaseModel):
    order_id: UUID = Field(description="Id of the order that was placed.")
    customer_id: UUID = Field(description="Id of the customer who placed the order.")
    customer_email: str = Field(description="Address for order confirmations.")
    lines: list[OrderLineV1] = Field(description="The ordered products.")
    total: Decimal = Field(description="Order total including shipping, before payment fees.")
    currency: str = Field(min_length=3, max_length=3, description="ISO 4217 currency code.")


class OrderCancelledV1(BaseModel):
    order_id: UUID = Field(description="Id of the cancelled order.")
    reason: str = Field(description="Why the order was cancelled, as shown to the customer.")
    cancelled_at: datetime = Field(description="When the order was cancelled, in UTC.")


class PaymentCapturedV1(BaseModel):
    payment_id: UUID = Field(description="Id of the captured payment.")
    order_id: UUID = Field(description="Id of the order the payment is for.")
    amount: Decimal = Field(description="Captured amount including card fees.")
    currency: str = Field(min_length=3, max_length=3, description="ISO 4217 currency code.")
    captured_at: datetime
    receipt: StorageReferenceMetadata | None = Field(default=None, description="Stored PDF receipt, once rendered.")


class PaymentFailedV1(BaseModel):
    payment_id: UUID = Field(description="Id of the failed payment.")
    order_id: UUID = Field(description="Id of the order the payment is for.")
    failure_code: str = Field(description="Gateway failure code, e.g. 'card_declined'.")
    gateway_response: Any = Field(default=None, description="Raw gateway response, kept for support tickets.")
