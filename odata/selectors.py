"""Reads of what BuzManager has told us, for staff tools."""

from __future__ import annotations

from dataclasses import dataclass

from odata.models import UpstreamCache


@dataclass
class KnownNames:
    """Names BuzManager has sent us for one account: customers on orders, and groups that had orders."""

    customers: list[str]
    groups: list[str]


def known_names(instance: str) -> KnownNames:
    """From every cache entry of the account (its name lists, never its rows): works while upstream is down."""
    customers: set[str] = set()
    groups: set[str] = set()
    entries = UpstreamCache.objects.filter(instance=instance, fetched_at__isnull=False)
    for target_name, is_group, order_count, names in entries.values_list(
        "target_name", "is_group", "order_count", "customer_names"
    ):
        customers.update(names or [])
        if is_group and order_count:
            groups.add(target_name)
    return KnownNames(sorted(customers, key=str.casefold), sorted(groups, key=str.casefold))
