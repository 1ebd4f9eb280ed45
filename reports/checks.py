from django.conf import settings
from django.core.checks import Error, register


@register()
def export_columns_check(app_configs, **kwargs):
    """A denied column in BUZ_EXPORT_EXTRA_COLUMNS is a mistake to stop at start-up, not to skip quietly."""
    from reports.exports import is_denied

    return [
        Error(
            f"BUZ_EXPORT_EXTRA_COLUMNS allows {name!r}, which looks like a cost, price, key, note or barcode.",
            hint="Remove it: such columns never leave BuzETA.",
            id="reports.E001",
        )
        for name in settings.BUZ_EXPORT_EXTRA_COLUMNS
        if is_denied(name)
    ]
