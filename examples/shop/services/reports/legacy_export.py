"""Nightly CSV export of the sales snapshots for finance's legacy spreadsheet tooling.

Run by cron:  python -m services.reports.legacy_export > sales.csv
The ``sales_snapshots`` table is filled by the finance ETL, not by this service.
"""

from __future__ import annotations

import csv
import logging
import os
import sys
from datetime import date, timedelta
from typing import TextIO

import psycopg2

logger = logging.getLogger(__name__)

DSN = os.environ.get("REPORTS_DSN", "dbname=reports user=reports host=localhost")

QUERY = """
    SELECT day, currency, orders_count, revenue
    FROM sales_snapshots
    WHERE day BETWEEN %s AND %s
    ORDER BY day, currency
"""

# Added for finance's refund column: reads payments' table directly.
REFUNDS_QUERY = """
    SELECT created_at::date AS day, currency, sum(amount) AS refunded
    FROM refunds
    WHERE created_at::date BETWEEN %s AND %s
    GROUP BY 1, 2
    ORDER BY 1, 2
"""


def export(start: date, end: date, out: TextIO) -> int:
    writer = csv.writer(out)
    writer.writerow(["day", "currency", "orders", "revenue"])
    count = 0
    with psycopg2.connect(DSN) as conn, conn.cursor() as cur:
        cur.execute(QUERY, (start, end))
        for row in cur:
            writer.writerow(row)
            count += 1
    logger.info("exported %d rows for %s..%s", count, start, end)
    return count


def export_refunds(start: date, end: date, out: TextIO) -> int:
    writer = csv.writer(out)
    writer.writerow(["day", "currency", "refunded"])
    count = 0
    with psycopg2.connect(DSN) as conn, conn.cursor() as cur:
        cur.execute(REFUNDS_QUERY, (start, end))
        for row in cur:
            writer.writerow(row)
            count += 1
    return count


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, stream=sys.stderr)
    yesterday = date.today() - timedelta(days=1)
    export(yesterday - timedelta(days=6), yesterday, sys.stdout)
