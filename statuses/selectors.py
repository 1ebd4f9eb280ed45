from statuses.models import StatusMapping


def status_names_active() -> dict[str, str]:
    """Raw BuzManager status -> the name customers see, for active mappings.

    Also keyed by each status's casefold, so `PACKED` from one account is renamed by the
    mapping for `Packed` (an exact spelling's own mapping wins; see orders.rules.shown_status).
    Should two spellings of one status both be mapped, a third spelling takes the older mapping.
    """
    active = StatusMapping.objects.active().order_by("pk")
    names = dict(active.values_list("odata_status", "custom_status"))
    for raw, shown in list(names.items()):
        names.setdefault(raw.casefold(), shown)
    return names


def ready_statuses() -> list[str]:
    """The raw statuses staff marked "ready": an order whose every line is in one is done (ETA history)."""
    return list(StatusMapping.objects.filter(ready=True).values_list("odata_status", flat=True))
