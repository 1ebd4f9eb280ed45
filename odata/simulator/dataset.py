"""A deterministic, factory-like data set for the simulator.

Same seed and same `today` give the same rows. ETAs are spread over the
weeks after `today`, so the demo always looks current.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

ACCOUNTS = ("DESDR", "WATSO")  # DD and CBR

# Customer groups as they appear in SalesReport.CustomerGroup.
GROUPS = {
    "Coastal Living Group": [
        "Coastal Living Manly",
        "Coastal Living Cronulla",
        "Coastal Living Newcastle",
        "Coastal Living Wollongong",
    ],
    "Harbour Trade Alliance": [
        "Harbour Blinds & Shutters",
        "O'Brien's Curtains",
        "Bayside Interiors",
    ],
}

# Which account(s) each customer buys from.
CUSTOMERS: dict[str, tuple[str, ...]] = {
    "Northside Window Co": ("DESDR",),
    "Sunset Shade Solutions": ("DESDR", "WATSO"),
    "Blue Gum Builders": ("DESDR",),
    "Parramatta Home Centre": ("DESDR", "WATSO"),
    "Eastern Suburbs Drapery": ("WATSO",),
    "Hills District Blinds": ("DESDR",),
    "Inner West Interiors": ("DESDR",),
    "Canberra Curtain Studio": ("WATSO",),
    "Queanbeyan Shutters": ("WATSO",),
    "Southern Highlands Design": ("DESDR", "WATSO"),
    "Penrith Window Furnishings": ("DESDR",),
    "Central Coast Awnings": ("DESDR",),
    "Illawarra Home Style": ("WATSO",),
    "Blue Mountains Blinds": ("DESDR",),
    "Sutherland Shire Shades": ("DESDR",),
    "Belconnen Blind Co": ("WATSO",),
    "Tuggeranong Interiors": ("WATSO",),
    "Goulburn Trade Supplies": ("DESDR", "WATSO"),
    "Mosman Curtain House": ("DESDR",),
    "Lane Cove Living": ("DESDR",),
    "Orange Country Blinds": ("WATSO",),
    "Coastal Living Manly": ("DESDR", "WATSO"),
    "Coastal Living Cronulla": ("DESDR",),
    "Coastal Living Newcastle": ("DESDR", "WATSO"),
    "Coastal Living Wollongong": ("WATSO",),
    "Harbour Blinds & Shutters": ("DESDR", "WATSO"),
    "O'Brien's Curtains": ("DESDR",),
    "Bayside Interiors": ("DESDR", "WATSO"),
    "Rosebery Renovations": ("DESDR",),
    "Kingston Home Improvements": ("WATSO",),
}

PRODUCTS = {
    "Roller Blinds": ["Roller Blind Blockout", "Roller Blind Sunscreen", "Roller Blind Light Filter", "Double Roller"],
    "Venetians": ["Aluminium Venetian 25mm", "Basswood Venetian 50mm", "PVC Venetian 63mm"],
    "Curtains": ["S-Fold Curtain Sheer", "Pinch Pleat Curtain Blockout", "Wave Curtain Linen"],
    "Roman Blinds": ["Roman Blind Classic", "Roman Blind Hobbled"],
    "Shutters": ["PVC Plantation Shutter", "Basswood Plantation Shutter", "Aluminium Shutter"],
    "Awnings": ["Folding Arm Awning", "Straight Drop Awning", "Auto Awning"],
    "Verticals": ["Vertical Blind 89mm", "Vertical Blind 127mm"],
}

# Where an order is on the factory floor; the later the stage, the nearer the ETA.
OPEN_STAGES = [
    "Order Received",
    "Awaiting Fabric",
    "Fabric Cut",
    "In Production",
    "Sewing",
    "Assembly",
    "Quality Check",
    "Packed",
    "Ready for Dispatch",
]
FINISHED_STATUSES = ["Invoiced", "Cancelled", "Invoice ex GST Fees - Actioned in Xero"]
ROOMS = ["Lounge", "Kitchen", "Bed 1", "Bed 2", "Bed 3", "Study", "Dining", "Ensuite", "Patio", "Family"]
SURNAMES = [
    "Smith",
    "Nguyen",
    "Williams",
    "Brown",
    "Patel",
    "Chen",
    "O'Neill",
    "Taylor",
    "Kelly",
    "Martin",
    "Rossi",
    "Singh",
    "Walker",
    "Hughes",
    "Park",
    "Jones",
    "Murphy",
    "Lee",
    "García",
    "White",
]
SITES = ["upstairs", "whole house", "front rooms", "reno", "unit 4", "new build", "rear deck", "stage 2"]


@dataclass
class Dataset:
    jobs: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # JobsScheduleDetailed
    sales: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # SalesReport
    wip: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # WorkInProgress

    def entity(self, account: str, entity_set: str) -> list[dict[str, Any]] | None:
        table = {"JobsScheduleDetailed": self.jobs, "SalesReport": self.sales, "WorkInProgress": self.wip}.get(
            entity_set
        )
        return None if table is None else table.get(account)


def _iso(rng: random.Random, day: date) -> str:
    """Spell a UTC timestamp the ways BuzManager does, mostly midnight UTC."""
    moment = datetime.combine(day, time(0, 0), tzinfo=UTC)
    if rng.random() < 0.15:
        # Afternoon UTC is already the next calendar day in Sydney.
        moment = moment.replace(hour=14, minute=30)
    text = moment.strftime("%Y-%m-%dT%H:%M:%S")
    return text + (".000Z" if rng.random() < 0.3 else "Z")


def _group_of(customer: str) -> str | None:
    return next((g for g, members in GROUPS.items() if customer in members), None)


BULK_CUSTOMER = "Bulk Trade Customer"  # in DD, with `bulk_lines` lines: the big-customer case


def build_dataset(*, today: date, seed: int = 20261122, bulk_lines: int = 0) -> Dataset:
    rng = random.Random(seed)
    data = Dataset(jobs={a: [] for a in ACCOUNTS}, sales={a: [] for a in ACCOUNTS}, wip={a: [] for a in ACCOUNTS})
    # Both accounts number orders from overlapping ranges, so the same RefNo
    # can be two different orders, one in each account.
    next_ref = {"DESDR": 512800, "WATSO": 512860}

    for customer, accounts in CUSTOMERS.items():
        for account in accounts:
            for _ in range(rng.randint(6, 14)):
                ref_no = str(next_ref[account])
                next_ref[account] += rng.randint(1, 3)
                _add_order(rng, data, account, customer, ref_no, today)
    _add_bulk_customer(data, today, bulk_lines)
    return data


def _add_bulk_customer(data: Dataset, today: date, lines: int) -> None:
    """`lines` open lines for one DD customer, eight to an order, dates over the next ten weeks."""
    rows = data.jobs["DESDR"]
    for index in range(lines):
        order, line = divmod(index, 8)
        eta = today + timedelta(days=7 + order % 70)
        rows.append(
            {
                "PkId": f"bulk-{index}",
                "RefNo": str(900000 + order),
                "Descn": f"Site {order}",
                "FixedLine": line + 1,
                "DateScheduled": f"{eta.isoformat()}T00:00:00Z",
                "ProductionLine": list(PRODUCTS)[order % len(PRODUCTS)],
                "InventoryItem": "Roller Blind Blockout",
                "ProductionStatus": OPEN_STAGES[order % len(OPEN_STAGES)],
                "OrderStatus": "Work in Progress",
                "Customer": BULK_CUSTOMER,
                "Qty": 1,
                "Location": ROOMS[line % len(ROOMS)],
                "CostPrice": 100.0,
            }
        )


def _add_order(rng: random.Random, data: Dataset, account: str, customer: str, ref_no: str, today: date) -> None:
    roll = rng.random()
    order_status = "Work in Progress"
    if roll < 0.06:
        order_status = rng.choice(["Quote", "Completed"])
    finished_order = 0.06 <= roll < 0.14  # still "Work in Progress" but every line invoiced/cancelled

    stage = rng.randrange(len(OPEN_STAGES))
    weeks_out = max(0, (len(OPEN_STAGES) - stage) // 2 + rng.randint(-1, 2))
    eta = today + timedelta(days=weeks_out * 7 + rng.randint(0, 6))
    undated = rng.random() < 0.08
    family = rng.choice(list(PRODUCTS))
    descn = f"{rng.choice(SURNAMES)} - {rng.choice(SITES)}"
    group = _group_of(customer)

    line_count = rng.randint(1, 8)
    for line_no in range(1, line_count + 1):
        if rng.random() < 0.2:
            family = rng.choice(list(PRODUCTS))
        item = rng.choice(PRODUCTS[family])
        if finished_order:
            status: str | None = rng.choice(FINISHED_STATUSES)
        elif rng.random() < 0.06:
            status = "Cancelled"
        elif rng.random() < 0.03:
            status = None  # not scheduled into production yet
        else:
            status = OPEN_STAGES[min(len(OPEN_STAGES) - 1, max(0, stage + rng.randint(-1, 1)))]
        line_eta = None if undated else eta - timedelta(days=rng.choice([0, 0, 0, 1, 2]))
        cost = round(rng.uniform(40, 900), 2)
        data.jobs[account].append(
            {
                "PkId": str(uuid.UUID(int=rng.getrandbits(128))),
                "RefNo": ref_no,
                "Descn": descn,
                # Mostly a number, sometimes a numeric string, as upstream does.
                "FixedLine": str(line_no) if rng.random() < 0.2 else line_no,
                "DateScheduled": None if line_eta is None else _iso(rng, line_eta),
                "ProductionLine": family,
                "InventoryItem": item,
                "ProductionStatus": status,
                "OrderStatus": order_status,
                "Customer": customer,
                "Qty": rng.choice([1, 1, 1, 2, 3]),
                "Location": rng.choice(ROOMS),
                "CostPrice": cost,
                "SupplierPriceEach": round(cost * 0.8, 2),
                "Wholesale": round(cost * 1.3, 2),
                "Margin": round(rng.uniform(20, 65), 1),
                "Notes": rng.choice(["", "Check measure", "Rush - builder handover", "Re-make after damage"]),
                "BarcodeNo": f"BZ{rng.randrange(10**9):09d}",
            }
        )
        if status and status not in FINISHED_STATUSES:
            data.wip[account].append(
                {
                    "RefNo": ref_no,
                    "FixedLine": line_no,
                    "Customer": customer,
                    "Workstation": family,
                    "Status": status,
                    "LastScanned": _iso(rng, today - timedelta(days=rng.randint(0, 3))),
                }
            )
    data.sales[account].append(
        {
            "OrderNo": ref_no,
            "Customer": customer,
            "CustomerGroup": group,
            "Order_Status": order_status,
            "TotalExGst": round(rng.uniform(300, 9000), 2),
        }
    )


def slip_dates(
    data: Dataset, *, seed: int, round_no: int, orders: int = 3, among: set[str] | frozenset[str] = frozenset()
) -> list[tuple[str, str, int]]:
    """Move a few open orders' dates, as a factory reschedules: most later, some earlier.

    `among`: only orders of these customers, when any of them has some (the demo moves the
    orders someone is looking at). Round `round_no` moves the same orders by the same days
    for the same seed and customers, so a demo or a test sees the same changes every time.
    Returns (account, RefNo, days).
    """
    rng = random.Random(f"{seed}-slip-{round_no}")
    by_order: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for account, rows in data.jobs.items():
        for row in rows:
            if among and row["Customer"] not in among:
                continue
            if row["DateScheduled"] and row["OrderStatus"] == "Work in Progress":
                by_order.setdefault((account, row["RefNo"]), []).append(row)
    if among and not by_order:
        return slip_dates(data, seed=seed, round_no=round_no, orders=orders)
    moved = []
    for index, key in enumerate(rng.sample(sorted(by_order), min(orders, len(by_order)))):
        days = -rng.randint(1, 4) if index % 3 == 2 else rng.randint(2, 9)
        for row in by_order[key]:
            row["DateScheduled"] = _shift(row["DateScheduled"], days)
        moved.append((*key, days))
    return moved


def _shift(stamp: str, days: int) -> str:
    """The same timestamp `days` later, spelt as it was (`…Z` or `….000Z`)."""
    moment = datetime.fromisoformat(stamp.replace("Z", "+00:00")) + timedelta(days=days)
    text = moment.strftime("%Y-%m-%dT%H:%M:%S")
    return text + (".000Z" if stamp.endswith(".000Z") else "Z")
