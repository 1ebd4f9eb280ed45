from django.core.management.base import BaseCommand, CommandError

from odata.prewarm import cache_prewarm


class Command(BaseCommand):
    help = "Fetch every customer's open orders into the cache (run before the daily blackout). Exit 1 if any failed."

    def add_arguments(self, parser):
        parser.add_argument(
            "--instance",
            action="append",
            choices=["DD", "CBR"],
            help="only this account; repeat for both (default: both)",
        )

    def handle(self, *args, **options):
        def progress(index, total, line):
            mark = "ok  " if line.ok else "FAIL"
            self.stdout.write(f"[{index:>3}/{total}] {mark} {line.customer}: {line.describe()}")

        summary = cache_prewarm(instances=options["instance"], on_progress=progress)
        self.stdout.write(summary.describe())
        if summary.failed:
            raise CommandError(f"{len(summary.failed)} customer(s) could not be prewarmed", returncode=1)
