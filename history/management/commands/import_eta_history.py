from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from audit.services import Actor
from history.importing import ImportFileError, eta_history_import, read_rows


class Command(BaseCommand):
    help = (
        "Record past finished orders from a CSV file (header Instance,RefNo,ProductionLine,FirstPromised,Done"
        "[,Customer]; ISO dates), so forecasts and promise reliability work from day one. Bad rows are listed "
        "by line and nothing is imported unless --skip-bad. The same file twice changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="the CSV file (UTF-8)")
        parser.add_argument("--skip-bad", action="store_true", help="import the good rows, list the bad ones")

    def handle(self, *args, **options):
        path = Path(options["path"])
        try:
            with path.open(newline="", encoding="utf-8-sig") as lines:
                result = eta_history_import(
                    read_rows(lines),
                    actor=Actor.for_command("import_eta_history"),
                    source=path.name,
                    skip_bad=options["skip_bad"],
                )
        except FileNotFoundError:
            raise CommandError(f"no such file: {path}") from None
        except (ImportFileError, UnicodeDecodeError) as error:
            raise CommandError(f"{path} cannot be read: {error}") from None
        for error in result.errors:
            self.stderr.write(error)
        if not result.imported:
            raise CommandError(
                f"{len(result.errors)} of {result.rows} rows are bad; nothing was imported "
                "(fix them, or use --skip-bad to import the others)"
            )
        self.stdout.write(result.describe(path.name))
