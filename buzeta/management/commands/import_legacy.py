from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from audit.services import Actor
from buzeta.operations.legacy import LegacyImportError, legacy_import


class Command(BaseCommand):
    help = (
        "Import the Flask app's SQLite database (customers with their link ids, users with roles, "
        "status mappings). Read-only on the file, all or nothing, safe to run twice."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path, help="the legacy SQLite file")
        parser.add_argument("--dry-run", action="store_true", help="print what would change, change nothing")

    def handle(self, *args, **options):
        try:
            result = legacy_import(
                options["path"], actor=Actor.for_command("import_legacy"), dry_run=options["dry_run"]
            )
        except LegacyImportError as exc:
            raise CommandError(f"nothing imported: {exc}") from exc
        for line in result.changes:
            self.stdout.write(line)
        prefix = "dry run, nothing changed: would make " if options["dry_run"] else ""
        self.stdout.write(f"{prefix}{result.summary()}")
