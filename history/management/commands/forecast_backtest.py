from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from history.forecast import SlipStats, backtest


def _share(part: int, whole: int) -> str:
    return f"{part / whole:.0%}" if whole else "—"


class Command(BaseCommand):
    help = (
        "How the 'likely by' rule would have done: per account and production line, the orders finished in the "
        "last N days, how many were on time by their first promise, the median and 80th-percentile slip, and "
        "how many were done by the likely-by date the rule would have given at their first promise, using "
        "only orders done before it (the target is 75-85 %)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--days", type=int, default=settings.BUZ_FORECAST_DAYS, help="orders finished in this many days"
        )

    def handle(self, *args, **options):
        if options["days"] < 1:
            raise CommandError("--days must be at least 1")
        lines = backtest(days=options["days"])
        header = f"{'Account':<8}{'Production line':<22}{'Finished':>9}{'On time':>9}{'Median':>8}{'P80':>6}"
        self.stdout.write(header + f"{'Forecast':>10}{'Done by likely':>16}")
        total, forecast, covered = SlipStats(), 0, 0
        for line in lines:
            self.stdout.write(
                f"{line.instance:<8}{(line.line or 'Other')[:21]:<22}{line.finished:>9}"
                f"{_share(line.on_time, line.finished):>9}{line.median:>8}{line.p80:>6}"
                f"{line.forecast:>10}{_share(line.covered, line.finished):>16}"
            )
            for slip in line.slips:
                total.add(slip)
            forecast += line.forecast
            covered += line.covered
        if not lines:
            self.stdout.write(f"No orders finished in the last {options['days']} days.")
            return
        self.stdout.write(
            f"{'All':<30}{total.finished:>9}{_share(total.on_time, total.finished):>9}{total.median:>8}"
            f"{total.p80:>6}{forecast:>10}{_share(covered, total.finished):>16}"
        )
        self.stdout.write(
            f"\nDone by the date they would have been told to plan on: {_share(covered, total.finished)} "
            f"of {total.finished} (target 75-85 %); {forecast} had a likely-by date, the others their first promise."
        )
