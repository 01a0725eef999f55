"""Engine and sessions of the notifications database (PostgreSQL through asyncpg)."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

DATABASE_URL = os.environ.get(
    "NOTIFICATIONS_DATABASE_URL", "postgresql+asyncpg://notifications:notifications@localhost:5432/notifications"
)

engine = create_async_engine(DATABASE_URL, pool_size=5, pool_pre_ping=True)
SessionFactory = async_sessionmaker(engine, expire_on_commit=False)


async def session_scope() -> AsyncIterator[AsyncSession]:
    """One session per consumed message."""
    async with SessionFactory() as session:
        yield session
