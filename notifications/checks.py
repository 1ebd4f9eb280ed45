from django.conf import settings
from django.core.checks import Warning, register


@register(deploy=True)
def email_updates_check(app_configs, **kwargs):
    """SMTP set up without the public address: e-mail updates stay off, which is easy to miss."""
    if settings.EMAIL_CONFIGURED and not settings.BUZ_PUBLIC_URL:
        return [
            Warning(
                "E-mail is configured but BUZ_PUBLIC_URL is not, so customers cannot sign up for e-mail updates.",
                hint="Set BUZ_PUBLIC_URL to the address customers use, e.g. https://eta.example.com",
                id="notifications.W001",
            )
        ]
    return []
