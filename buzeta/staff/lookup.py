"""An order's raw BuzManager rows as staff read them: the key columns first, times in the business time zone."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from orders.wording import time_text

# What staff look for first, in this order; every other field follows, alphabetically.
KEY_COLUMNS = ["RefNo", "FixedLine", "DateScheduled", "ProductionStatus", "ProductionLine", "InventoryItem",
               "Descn", "Customer", "OrderStatus", "Qty", "Location"]  # fmt: skip
_TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$")


def lookup_columns(rows: list[dict[str, Any]]) -> list[str]:
    present = {key for row in rows for key in row}
    return [c for c in KEY_COLUMNS if c in present] + sorted(present - set(KEY_COLUMNS))


def lookup_value(value: Any) -> str:
    """A cell: blank for null, a UTC timestamp as the business day and time it is (`11 Dec 2026, 1:30 am`)."""
    if value is None:
        return ""
    if isinstance(value, str) and _TIMESTAMP.match(value):
        try:
            return time_text(datetime.fromisoformat(value.replace("Z", "+00:00")))
        except ValueError:
            return value
    return str(value)


def lookup_table(rows: list[dict[str, Any]]) -> tuple[list[str], list[list[str]]]:
    columns = lookup_columns(rows)
    return columns, [[lookup_value(row.get(column)) for column in columns] for row in rows]
