"""Payments service: authorises and captures card payments, issues refunds."""

from .models_db import Payment

__all__ = ["Payment"]
