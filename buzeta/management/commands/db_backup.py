from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from buzeta.operations.backup import BackupError, db_backup


class Command(BaseCommand):
    help = "Consistent online backup of the database (SQLite backup API or pg_dump); prints the file's path."

    def add_arguments(self, parser):
        parser.add_argument("--dir", type=Path, help="where to write (default: BUZETA_DATA_DIR/backups)")
        parser.add_argument("--keep", type=int, default=14, help="keep the newest N backups there (default 14)")

    def handle(self, *args, **options):
        if options["keep"] < 1:
            raise CommandError("--keep must be at least 1")
        try:
            path = db_backup(directory=options["dir"], keep=options["keep"])
        except (BackupError, OSError) as exc:
            raise CommandError(f"backup failed: {exc}") from exc
        self.stdout.write(str(path))
