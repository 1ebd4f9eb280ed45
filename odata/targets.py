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


def cache_key(target: FetchTarget) -> str:
    """The name of a target's cached rows (and of its fetch lease): `DD:customer:Northside Window Co`."""
    kind = "group" if target.is_group else "customer"
    return f"{target.instance}:{kind}:{target.name}"


def key_words(key: str) -> str:
    """A cache key as staff read it: `DD group “Coastal Living Group”`; an imported record's, `a file`."""
    instance, kind, name = [*key.split(":", 2), "", ""][:3]
    if kind not in ("customer", "group") or not name:
        return "imported from a file" if key == "import" else key
    return f"{instance} {kind} “{name}”"
