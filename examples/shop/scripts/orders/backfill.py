"""One-off: tag orders created before checkout recorded a channel as web orders.

    python -m scripts.orders.backfill --before 2024-03-01 --dry-run
"""

from __future__ import annotations

import argparse
import logging
import os
from datetime import datetime, timezone

from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from services.orders.models_db import Order

logger = logging.getLogger("backfill")

DATABASE_URL = os.environ.get(
    "ORDERS_SYNC_DATABASE_URL", "postgresql+psycopg2://orders:orders@localhost:5432/orders"
)


def backfill(session: Session, before: datetime, batch_size: int = 500) -> int:
    updated = 0
    stmt = select(Order).where(Order.created_at < before).execution_options(yield_per=batch_size)
    for order in session.scalars(stmt):
        if "channel" not in order.processing_metadata:
            order.processing_metadata["channel"] = "web"
            updated += 1
            if updated % batch_size == 0:
                session.flush()
    return updated


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--before", type=datetime.fromisoformat, required=True)
    parser.add_argument("--dry-run", action="store_true")
    args = parser.parse_args(argv)
    before = args.before.replace(tzinfo=args.before.tzinfo or timezone.utc)

    engine = create_engine(DATABASE_URL)
    with Session(engine) as session:
        updated = backfill(session, before)
        if args.dry_run:
            session.rollback()
        else:
            session.commit()
    logger.info("%d orders backfilled%s", updated, " (dry run)" if args.dry_run else "")
    return 0


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    raise SystemExit(main())
