from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from audit.services import Actor
from reports.housekeeping import old_records_purge
from reports.kept_exports import EXPORT_KEEP_HOURS, exports_purge
from reports.schedules import PURGE_JOBS_DAYS


class Command(BaseCommand):
    help = (
        f"Delete finished report jobs older than N days (also scheduled daily with {PURGE_JOBS_DAYS}), "
        "and ETA changes and closed orders older than BUZ_ETA_HISTORY_DAYS."
    )

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, required=True, help="age in days of the finished jobs to delete")
        parser.add_argument("--dry-run", action="store_true", help="count them, delete nothing")

    def handle(self, *args, **options):
        if options["days"] < 0:
            raise CommandError("--days must not be negative")
        actor = Actor.for_command("purge_jobs")
        purged = old_records_purge(actor=actor, older_than_days=options["days"], dry_run=options["dry_run"])
        verb = "would delete" if options["dry_run"] else "deleted"
        self.stdout.write(f"{verb} {purged.jobs} finished report jobs older than {options['days']} days")
        self.stdout.write(
            f"{verb} {purged.eta_changes} ETA changes and {purged.closed_orders} closed orders "
            f"older than {settings.BUZ_ETA_HISTORY_DAYS} days"
        )
        if not options["dry_run"]:
            self.stdout.write(f"deleted {exports_purge()} kept exports older than {EXPORT_KEEP_HOURS} hours")
