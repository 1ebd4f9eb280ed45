from django.core.management.base import BaseCommand, CommandError

from audit.services import Actor
from statuses.services import statuses_refresh


class Command(BaseCommand):
    help = "Add every production status seen upstream as a mapping row (inactive, name unchanged)."

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="list the new statuses, add nothing")

    def handle(self, *args, **options):
        result = statuses_refresh(actor=Actor.for_command("refresh_statuses"), dry_run=options["dry_run"])
        verb = "would add" if options["dry_run"] else "added"
        self.stdout.write(f"{result.seen} statuses seen upstream; {verb} {len(result.added)}")
        for name in result.added:
            self.stdout.write(f"  + {name}")
        if result.failed:
            failed = ", ".join(f"{instance} ({kind})" for instance, kind in result.failed.items())
            raise CommandError(f"could not read {failed}", returncode=1)
