from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from notifications.sending import notifications_send


class Command(BaseCommand):
    help = (
        "Send the e-mail updates due now: date-change alerts, retries, and the weekly digest once "
        f"BUZ_DIGEST_AT has come (the schedule runs this every BUZ_NOTIFY_MINUTES={settings.BUZ_NOTIFY_MINUTES})."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="print what would be sent; send and change nothing")
        parser.add_argument("--digest", action="store_true", help="the weekly digest now, whatever the day")

    def handle(self, *args, **options):
        if not settings.NOTIFICATIONS_ENABLED:
            raise CommandError("E-mail is not configured: set EMAIL_URL (or EMAIL_HOST…) and BUZ_PUBLIC_URL")
        summary = notifications_send(dry_run=options["dry_run"], digest_now=options["digest"])
        if options["dry_run"]:
            for planned in summary.planned:
                self.stdout.write(planned.rstrip() + "\n")
            self.stdout.write(f"would send {len(summary.planned)} e-mails")
            return
        for line in summary.failed:
            self.stderr.write(f"failed: {line}")
        if settings.EMAIL_BACKEND.endswith("filebased.EmailBackend") and summary.sent:
            self.stdout.write(f"e-mails written to {settings.EMAIL_FILE_PATH}/")
        self.stdout.write(summary.describe())
