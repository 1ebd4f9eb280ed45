from django.core.management.base import BaseCommand, CommandError

from audit.services import Actor
from customers.prewarm import cache_prewarm, prewarm_plan
from odata.targets import INSTANCES


class Command(BaseCommand):
    help = "Fetch every customer's open orders into the cache (run before the daily blackout). Exit 1 if any failed."

    def add_arguments(self, parser):
        parser.add_argument(
            "--instance",
            action="append",
            choices=INSTANCES,
            help="only this account; repeat for both (default: both)",
        )
        parser.add_argument("--dry-run", action="store_true", help="list what would be fetched, fetch nothing")

    def handle(self, *args, **options):
        if options["dry_run"]:
            plan = prewarm_plan(instances=options["instance"])
            for customer, targets in plan:
                what = ", ".join(f"{t.instance} {'group' if t.is_group else 'customer'} {t.name!r}" for t in targets)
                self.stdout.write(f"{customer}: {what or 'nothing new (shared with an earlier customer)'}")
            self.stdout.write(f"dry run: would fetch {sum(len(t) for _, t in plan)} keys for {len(plan)} customers")
            return

        def progress(index, total, line):
            mark = "ok  " if line.ok else "FAIL"
            self.stdout.write(f"[{index:>3}/{total}] {mark} {line.customer}: {line.describe()}")

        actor = Actor.for_command("prewarm_cache")
        summary = cache_prewarm(actor=actor, instances=options["instance"], on_progress=progress)
        self.stdout.write(summary.describe())
        if summary.failed:
            raise CommandError(f"{len(summary.failed)} customer(s) could not be prewarmed", returncode=1)
