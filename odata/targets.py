"""What to ask BuzManager for: its accounts, and one customer (or group) in one account."""

from __future__ import annotations

from dataclasses import dataclass

# BuzManager's two accounts, in the order reports list them.
INSTANCES = ("DD", "CBR")


@dataclass(frozen=True)
class FetchTarget:
    """What to ask one BuzManager account for on behalf of a customer."""

    instance: str  # one of INSTANCES
    name: str
    is_group: bool
