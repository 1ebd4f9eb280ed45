from __future__ import annotations

import atexit
import threading
import time
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from audit.models import AuditEvent
from audit.services import Actor, audit_record, audited_delete, audited_save
from customers.models import ACCOUNT_NAME_FIELDS, Customer, display_name_from, new_obfuscated_id
from odata.selectors import known_names


@transaction.atomic
def customer_regenerate_link(*, customer: Customer, actor: Actor) -> str:
    """Give the customer a new secret link; the old one stops working at once."""
    old = customer.obfuscated_id
    customer.obfuscated_id = new_obfuscated_id()
    customer.save(update_fields=["obfuscated_id", "updated_at"])
    audit_record(
        actor=actor,
        action=AuditEvent.Action.REGENERATED_LINK,
        obj=customer,
        changes={"link": [_masked(old), _masked(customer.obfuscated_id)]},
    )
    return customer.obfuscated_id


def _masked(link_id: str) -> str:
    # The audit trail says which link it was without holding a working secret.
    return f"…{link_id[-4:]}"


_pending_views: dict[int, int] = {}
_pending_lock = threading.Lock()
_last_flush = time.monotonic()


def customer_record_view(*, customer_id: int) -> None:
    """Count a view; written in batches (VIEW_COUNT_FLUSH_SECONDS), not one UPDATE per page view.

    A popular link must not turn every view into a database write. Counts of a
    process that dies before its next flush are lost; clean exits flush.
    """
    global _last_flush
    with _pending_lock:
        _pending_views[customer_id] = _pending_views.get(customer_id, 0) + 1
        due = time.monotonic() - _last_flush >= settings.VIEW_COUNT_FLUSH_SECONDS
    if due:
        customer_views_flush()


def customer_views_flush() -> None:
    global _last_flush
    with _pending_lock:
        pending = dict(_pending_views)
        _pending_views.clear()
        _last_flush = time.monotonic()
    now = timezone.now()
    for customer_id, count in pending.items():
        # F() increments: other processes' flushes add up instead of overwriting.
        Customer.objects.filter(pk=customer_id).update(view_count=F("view_count") + count, last_viewed_at=now)


atexit.register(lambda: _pending_views and customer_views_flush())


CUSTOMER_FIELDS = ("display_name", "dd_name", "cbr_name", "field_type", "obfuscated_id")


def _recorded_fields(customer: Customer) -> dict[str, Any]:
    values = {field: getattr(customer, field) for field in CUSTOMER_FIELDS if field != "obfuscated_id"}
    values["link"] = _masked(customer.obfuscated_id) if customer.obfuscated_id else ""
    return values


def customer_save(*, customer: Customer, actor: Actor) -> Customer:
    """Validate and store a new or changed customer, and record who did it and what changed.

    The one door for customer edits: the admin form, the API and the legacy import all come here.
    """
    return audited_save(customer, actor=actor, recorded=_recorded_fields)


def customer_create(*, actor: Actor, **fields) -> Customer:
    """A new customer from plain data; raises ValidationError with per-field messages.

    Without a display name it takes its DD or CBR name (made unique), as the old app did."""
    fields = {k: v for k, v in fields.items() if k in CUSTOMER_FIELDS and v is not None}
    if not (fields.get("display_name") or "").strip():
        named = display_name_from(fields.get("dd_name", ""), fields.get("cbr_name", ""))
        fields["display_name"] = customer_free_display_name(named) if named else ""
    return customer_save(customer=Customer(**fields), actor=actor)


def customer_update(*, customer: Customer, actor: Actor, **changes) -> Customer:
    """Change a customer's names or type (never its link: see customer_regenerate_link)."""
    for key, value in changes.items():
        if key in CUSTOMER_FIELDS and key != "obfuscated_id":
            setattr(customer, key, value)
    return customer_save(customer=customer, actor=actor)


def customer_replace(*, customer: Customer, actor: Actor, **fields) -> Customer:
    """Set every field at once (the API's PUT): what is not given takes its default (no name, one
    customer, a display name from the DD or CBR name). The link is kept."""
    names = {"dd_name": fields.get("dd_name") or "", "cbr_name": fields.get("cbr_name") or ""}
    display_name = (fields.get("display_name") or "").strip()
    if not display_name:
        named = display_name_from(names["dd_name"], names["cbr_name"])
        display_name = customer_free_display_name(named, exclude_pk=customer.pk) if named else ""
    field_type = fields.get("field_type") or Customer.CUSTOMER_NAME
    return customer_update(customer=customer, actor=actor, display_name=display_name, field_type=field_type, **names)


def customer_delete(*, customer: Customer, actor: Actor) -> None:
    """Remove a customer: its link stops working and its report jobs go with it."""
    audited_delete(customer, actor=actor, recorded=_recorded_fields)


def customer_free_display_name(name: str, *, exclude_pk: int | None = None) -> str:
    """`name`, or `name (2)`, `name (3)`… — the first no other customer has, compared case-insensitively."""
    taken = {
        other.lower()
        for other in Customer.objects.exclude(pk=exclude_pk).values_list("display_name", flat=True)
        if other.lower().startswith(name.lower())
    }
    candidate, number = name, 1
    while candidate.lower() in taken:
        number += 1
        suffix = f" ({number})"
        candidate = name[: 200 - len(suffix)] + suffix
    return candidate


def customer_use_known_name(*, customer: Customer, instance: str, name: str, actor: Actor) -> Customer:
    """Put a name BuzManager has sent us in place of one that matched nothing (staff's one click).

    Only a name of the account's known names (the cache's lists) is taken: the click cannot write
    anything else. ValidationError otherwise."""
    known = known_names(instance)
    pool = known.groups if customer.is_group else known.customers
    if instance not in ACCOUNT_NAME_FIELDS or name not in pool:
        raise ValidationError(f"“{name}” is not a name BuzManager has sent us for {instance}.")
    return customer_update(customer=customer, actor=actor, **{ACCOUNT_NAME_FIELDS[instance]: name})
