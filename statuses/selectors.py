from statuses.models import StatusMapping


def status_names_active() -> dict[str, str]:
    """Raw BuzManager status -> the name customers see, for active mappings."""
    return dict(StatusMapping.objects.active().values_list("odata_status", "custom_status"))
