"""Shared data models: event payloads, API DTOs and standard metadata.

Everything that crosses a service boundary is one of these models. Models are
versioned by a ``V<n>`` suffix; a breaking change is a new model beside the old.
"""

from .api import (
    AuthorizePaymentRequest,
    CreateOrderRequest,
    OrderLineRequest,
    OrderResponse,
    OrderStatus,
    PaymentResponse,
    PaymentStatus,
)
from .events import (
    EventEnvelope,
    OrderCancelledV1,
    OrderLineV1,
    OrderPlacedV1,
    PaymentCapturedV1,
    PaymentFailedV1,
)
from .metadata_models import (
    DeliveryMetadata,
    PaymentProcessingMetadata,
    StorageReferenceMetadata,
)

__all__ = [
    "AuthorizePaymentRequest",
    "CreateOrderRequest",
    "DeliveryMetadata",
    "EventEnvelope",
    "OrderCancelledV1",
    "OrderLineRequest",
    "OrderLineV1",
    "OrderPlacedV1",
    "OrderResponse",
    "OrderStatus",
    "PaymentCapturedV1",
    "PaymentFailedV1",
    "PaymentProcessingMetadata",
    "PaymentResponse",
    "PaymentStatus",
    "StorageReferenceMetadata",
]
