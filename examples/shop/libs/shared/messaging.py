"""Publishing events to Kafka: every event goes out wrapped in an EventEnvelope."""

from __future__ import annotations

import logging
import os
from typing import Any

from aiokafka import AIOKafkaProducer

from common.models.events import EventEnvelope

logger = logging.getLogger(__name__)

KAFKA_BOOTSTRAP_SERVERS = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "localhost:9092")


class EventPublisher:
    def __init__(self, producer: AIOKafkaProducer) -> None:
        self._producer = producer

    async def publish(self, topic: str, envelope: EventEnvelope[Any]) -> None:
        """Send one event; the order id (or event id) is the partition key."""
        key = str(getattr(envelope.data, "order_id", envelope.event_id)).encode()
        await self._producer.send_and_wait(topic, envelope.model_dump_json().encode(), key=key)
        logger.debug(
            "event published",
            extra={
                "correlation_id": envelope.correlation_id,
                "event_id": str(envelope.event_id),
                "event_type": envelope.event_type,
                "topic": topic,
            },
        )


_publisher: EventPublisher | None = None


async def get_publisher() -> EventPublisher:
    """FastAPI dependency: the process-wide publisher, started on first use."""
    global _publisher
    if _publisher is None:
        producer = AIOKafkaProducer(bootstrap_servers=KAFKA_BOOTSTRAP_SERVERS, enable_idempotence=True)
        await producer.start()
        _publisher = EventPublisher(producer)
    return _publisher
