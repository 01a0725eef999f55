"""Typed metadata models.

Metadata columns are JSON dicts that several writers share. A writer never
replaces the dict: it overlays its typed model on the stored one,

    row.processing_metadata = {**row.processing_metadata, **typed.model_dump(mode="json", exclude_none=True)}

so keys written by others survive, while the typed model rejects unknown keys.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class StorageReferenceMetadata(BaseModel):
    """A reference to a stored object (a receipt PDF, an export file, ...)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    storage_backend: Literal["s3", "gcs", "local"] = Field(description="Where the object is stored.")
    bucket: str = Field(description="Bucket (or root directory) holding the object.")
    key: str = Field(description="Object key inside the bucket.")
    content_type: str = Field(description="MIME type of the object, e.g. 'application/pdf'.")
    size_bytes: int | None = Field(default=None, ge=0, description="Object size in bytes, when known.")
    checksum_sha256: str | None = Field(default=None, description="Hex SHA-256 of the object content.")


class PaymentProcessingMetadata(BaseModel):
    """What the payments service records about a payment's processing."""

    model_config = ConfigDict(extra="forbid")

    correlation_id: str | None = Field(
        default=None, description="Correlation id of the request that created the payment."
    )
    gateway: str | None = Field(default=None, description="Payment gateway that processed the payment.")
    gateway_reference: str | None = Field(default=None, description="The gateway's id for the payment.")
    card_last4: str | None = Field(default=None, description="Last four digits of the card, for receipts.")
    refund_id: str | None = Field(default=None, description="Id of the refund, once one was issued.")
    receipt: StorageReferenceMetadata | None = Field(default=None, description="Stored PDF receipt.")


class DeliveryMetadata(BaseModel):
    """What the notifications service records about a message's delivery."""

    model_config = ConfigDict(extra="forbid")

    provider: str | None = Field(default=None, description="Email provider that accepted the message.")
    provider_message_id: str | None = Field(default=None, description="The provider's id for the message.")
    attempts: int | None = Field(default=None, ge=0, description="Number of delivery attempts so far.")
    last_error: str | None = Field(default=None, description="Error of the last failed attempt.")
