"""HTTP API of the reports service."""

from __future__ import annotations

import io
import logging
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal

from fastapi import APIRouter, Depends, Header, Query
from pydantic import BaseModel
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from common.models.api import OrderStatus
from services.orders.models_db import Order

from .legacy_export import export
from .replica import get_replica_session

logger = logging.getLogger(__name__)
router = APIRouter(prefix="/reports", tags=["reports"])


class DailySales(BaseModel):
    day: date
    currency: str
    orders: int
    revenue: Decimal


@router.get("/daily-sales", response_model=list[DailySales])
async def daily_sales(
    day: date = Query(description="Day to report on (UTC)."),
    correlation_id: str = Header(alias="X-Correlation-ID"),
    session: AsyncSession = Depends(get_replica_session),
) -> list[DailySales]:
    start = datetime.combine(day, time.min, tzinfo=timezone.utc)
    stmt = (
        select(Order.currency, func.count(Order.id), func.sum(Order.total))
        .where(
            Order.status == OrderStatus.PAID,
            Order.created_at >= start,
            Order.created_at < start + timedelta(days=1),
        )
        .group_by(Order.currency)
        .order_by(Order.currency)
    )
    rows = (await session.execute(stmt)).all()
    logger.info(
        "daily sales computed",
        extra={"correlation_id": correlation_id, "day": day.isoformat(), "currencies": len(rows)},
    )
    return [
        DailySales(day=day, currency=currency, orders=count, revenue=revenue or Decimal("0"))
        for currency, count, revenue in rows
    ]


@router.get("/sales.csv")
async def sales_csv(
    start: date = Query(description="First day of the export (UTC)."),
    end: date = Query(description="Last day of the export (UTC)."),
) -> str:
    # Reuses the nightly cron export, whose psycopg2 query now runs on the event loop.
    out = io.StringIO()
    export(start, end, out)
    return out.getvalue()
