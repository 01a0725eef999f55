"""Notifications service: order confirmations and payment receipts by email."""
