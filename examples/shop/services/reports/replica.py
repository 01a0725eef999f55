"""Read-only sessions on the orders read replica (see the allow entry in pyproject.toml)."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

REPLICA_URL = os.environ.get(
    "REPORTS_REPLICA_URL", "postgresql+asyncpg://reports_ro:reports_ro@orders-replica:5432/orders"
)

engine = create_async_engine(REPLICA_URL, pool_size=3, pool_pre_ping=True)
ReplicaSession = async_sessionmaker(engine, expire_on_commit=False)


async def get_replica_session() -> AsyncIterator[AsyncSession]:
    """FastAPI dependency: a session on the replica, never committed."""
    async with ReplicaSession() as session:
        yield session
