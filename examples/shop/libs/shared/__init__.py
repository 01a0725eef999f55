"""Cross-cutting helpers: logging set-up, retries, event publishing."""

from .logging_setup import configure_logging
from .messaging import EventPublisher, get_publisher
from .retry import retry_async

__all__ = ["EventPublisher", "configure_logging", "get_publisher", "retry_async"]
