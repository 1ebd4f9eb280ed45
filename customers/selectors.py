"""Lookups of customers that more than one entry point makes."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from django.http import Http404

from customers.models import Customer
from odata.models import UpstreamCache
from odata.selectors import KnownNames, known_names
from odata.targets import cache_key


def customer_by_link(obfuscated_id: str) -> Customer | None:
    """The customer whose secret link id this is, or None."""
    return Customer.objects.filter(obfuscated_id=obfuscated_id).first()


def customer_or_404(obfuscated_id: str, *, message: str = "No such customer.") -> Customer:
    """The customer whose link this is; Http404 for any other id (a page, an API answer, the same rule)."""
    customer = customer_by_link(obfuscated_id)
    if customer is None:
        raise Http404(message)
    return customer


@dataclass
class UnmatchedName:
    """A BuzManager name whose last fetch found no orders at all: most often a misspelling."""

    instance: str
    name: str
    nearest: str  # the closest name BuzManager has sent us for that account ("" when none is close)


@dataclass
class FetchState:
    """What the cache says of one customer, for staff: orders, how old, how the last fetch went."""

    open_orders: int | None  # None: never fetched; counted as the customer's page counts them
    fetched_at: datetime | None  # the oldest of its accounts' copies
    problem: str  # blank when the last attempt of every account worked and found orders
    failing_since: datetime | None = None  # the earliest start of a run of failures among its accounts
    unmatched: list[UnmatchedName] = field(default_factory=list)


def customers_fetch_state(customers: Iterable[Customer]) -> dict[int, FetchState]:
    """Each customer's FetchState, from one query on the cache (never its rows), and one of the names
    BuzManager has sent per account when a name matched nothing."""
    customers = list(customers)
    keys = {c.pk: [(t, cache_key(t)) for t in c.fetch_targets] for c in customers}
    fields = ["key", "order_count", "row_count", "fetched_at", "failing_since", "last_error_kind"]
    wanted = [key for targets in keys.values() for _, key in targets]
    entries = {e["key"]: e for e in UpstreamCache.objects.filter(key__in=wanted).values(*fields)}
    pools: dict[str, KnownNames] = {}
    states = {}
    for customer in customers:
        found = [entries[k] for _, k in keys[customer.pk] if k in entries]
        fetched = [e for e in found if e["fetched_at"]]
        problems = sorted({e["last_error_kind"] or "failed" for e in found if e["failing_since"]})
        if len(found) < len(keys[customer.pk]):
            problems.append("not fetched yet")
        unmatched = []
        for target, key in keys[customer.pk]:
            entry = entries.get(key)
            if entry and entry["fetched_at"] and not entry["row_count"] and not entry["failing_since"]:
                if target.instance not in pools:
                    pools[target.instance] = known_names(target.instance)
                known = pools[target.instance]
                pool = known.groups if target.is_group else known.customers
                unmatched.append(UnmatchedName(target.instance, target.name, nearest_name(target.name, pool)))
                problems.append(f"{target.instance} name matched no orders")
        states[customer.pk] = FetchState(
            open_orders=sum(e["order_count"] for e in fetched) if fetched else None,
            fetched_at=min((e["fetched_at"] for e in fetched), default=None),
            problem=", ".join(problems),
            failing_since=min((e["failing_since"] for e in found if e["failing_since"]), default=None),
            unmatched=unmatched,
        )
    return states


def nearest_names(name: str, pool: Iterable[str], *, n: int = 3) -> list[str]:
    """The names in `pool` closest to `name`, ignoring case (itself excluded), closest first."""
    by_folded = {p.casefold(): p for p in pool if p.casefold() != name.casefold()}
    return [by_folded[p] for p in difflib.get_close_matches(name.casefold(), by_folded, n=n, cutoff=0.6)]


def nearest_name(name: str, pool: Iterable[str]) -> str:
    return next(iter(nearest_names(name, pool, n=1)), "")


def customer_name_warnings(customer: Customer) -> list[str]:
    """Names BuzManager does not seem to know, each with the nearest names it does (from the cache).

    Silent for an account we know nothing about yet: no guess is better than a wrong one.
    """
    warnings = []
    for instance, name in customer.account_names.items():
        if not name:
            continue
        known = known_names(instance)
        pool = known.groups if customer.is_group else known.customers
        if not pool or name.casefold() in {p.casefold() for p in pool}:
            continue
        nearest = nearest_names(name, pool)
        kind = "group" if customer.is_group else "name"
        hint = f" Nearest known: {', '.join(nearest)}." if nearest else " No similar name is known."
        warnings.append(
            f"{instance} {kind} “{name}” has no open orders in what BuzManager has sent us, "
            f"so this customer's page may be empty.{hint}"
        )
    return warnings


class CustomerIndex:
    """Whose an order is, from what ETA history keeps of it: the customer whose fetch last returned it
    (a group's orders come through the group), else the customer of its BuzManager name. All
    customers are read once (one query), however many orders are asked about."""

    def __init__(self, customers: Iterable[Customer] | None = None) -> None:
        self.by_key: dict[str, Customer] = {}
        self.by_name: dict[tuple[str, str], Customer] = {}
        for customer in Customer.objects.all() if customers is None else customers:
            for target in customer.fetch_targets:
                self.by_key[cache_key(target)] = customer
                self.by_name.setdefault((target.instance, target.name.casefold()), customer)

    def of(self, instance: str, customer_name: str, seen_by: str = "") -> Customer | None:
        return self.by_key.get(seen_by) or self.by_name.get((instance, customer_name.casefold()))
