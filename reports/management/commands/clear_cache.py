from django.core.management.base import BaseCommand, CommandError

from audit.services import Actor
from odata.maintenance import cache_clear
from reports.jobs import jobs_purge


class Command(BaseCommand):
    help = "Delete cached upstream data (and finished report jobs with --jobs). Needs --confirm."

    def add_arguments(self, parser):
        parser.add_argument("--confirm", action="store_true", help="really delete")
        parser.add_argument("--jobs", action="store_true", help="also delete finished report jobs")
        parser.add_argument("--dry-run", action="store_true", help="say what would be deleted, delete nothing")

    def handle(self, *args, **options):
        dry_run = options["dry_run"]
        if not options["confirm"] and not dry_run:
            raise CommandError("refusing to clear the cache without --confirm (or try --dry-run)", returncode=2)
        verb = "would delete" if dry_run else "deleted"
        actor = Actor.for_command("clear_cache")
        self.stdout.write(f"{verb} {cache_clear(actor=actor, dry_run=dry_run)} cached upstream entries")
        if options["jobs"]:
            self.stdout.write(f"{verb} {jobs_purge(actor=actor, dry_run=dry_run)} finished report jobs")
