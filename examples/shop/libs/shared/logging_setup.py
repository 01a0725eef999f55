"""One logging set-up for every service: JSON lines on stdout, stdlib and structlog alike."""

from __future__ import annotations

import logging
import sys

import structlog


class CorrelationIdFilter(logging.Filter):
    """Make ``%(correlation_id)s`` safe to use in formats when a record has none."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "correlation_id"):
            record.correlation_id = "-"
        return True


def configure_logging(service_name: str, level: str = "INFO") -> None:
    shared_processors: list[structlog.types.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    structlog.configure(
        processors=[*shared_processors, structlog.processors.JSONRenderer()],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level)),
        cache_logger_on_first_use=True,
    )

    handler = logging.StreamHandler(sys.stdout)
    handler.addFilter(CorrelationIdFilter())
    handler.setFormatter(
        logging.Formatter(
            '{"ts": "%(asctime)s", "level": "%(levelname)s", "service": "'
            + service_name
            + '", "logger": "%(name)s", "correlation_id": "%(correlation_id)s", "msg": "%(message)s"}'
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    logging.getLogger("sqlalchemy.engine").setLevel(logging.WARNING)
    logging.getLogger(__name__).debug("logging configured for %s", service_name)
