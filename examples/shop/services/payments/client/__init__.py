"""Public client of the payments API: the only part of payments other services may import."""

from .payments_client import PaymentsClient, get_payments_client

__all__ = ["PaymentsClient", "get_payments_client"]
