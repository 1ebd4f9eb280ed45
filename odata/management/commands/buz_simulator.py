from datetime import time

from django.core.management.base import BaseCommand, CommandError

from odata.simulator.server import SimulatorConfig, make_server


class Command(BaseCommand):
    help = "Run the built-in BuzManager OData simulator (DD at /reports/DESDR, CBR at /reports/WATSO)."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8765)
        parser.add_argument("--username", default=None, help="basic-auth user (default: BUZ_SIMULATOR_USERNAME)")
        parser.add_argument("--password", default=None, help="basic-auth password (default: BUZ_SIMULATOR_PASSWORD)")
        parser.add_argument("--latency", type=float, default=0.3, help="seconds added to every request")
        parser.add_argument("--page-size", type=int, default=100, help="rows per page before @odata.nextLink")
        parser.add_argument(
            "--blackout",
            default="off",
            help="daily 503 window like 10:00-16:00 in --timezone; 'off' (the demo default) disables it",
        )
        parser.add_argument("--timezone", default="Australia/Sydney")
        parser.add_argument("--error-rate", type=float, default=0.0, help="share of requests answered 500")
        parser.add_argument("--seed", type=int, default=20261122)
        parser.add_argument(
            "--slip-every",
            type=float,
            default=120.0,
            help="seconds between rounds in which a few orders' dates move (the factory reschedules); 0: never",
        )
        parser.add_argument("--slip-orders", type=int, default=3, help="orders rescheduled each round")

    def handle(self, *args, **options):
        from django.conf import settings

        blackout = None
        if options["blackout"].lower() not in ("off", "none", ""):
            start, sep, end = options["blackout"].partition("-")
            if not sep:
                raise CommandError("--blackout must look like 10:00-16:00 or be 'off'")
            try:
                blackout = (time.fromisoformat(start.strip()), time.fromisoformat(end.strip()))
            except ValueError as exc:
                raise CommandError(f"--blackout must look like 10:00-16:00 or be 'off' ({exc})") from exc
        if options["page_size"] < 1 or options["latency"] < 0 or not 0 <= options["error_rate"] <= 1:
            raise CommandError("--page-size must be ≥ 1, --latency ≥ 0 and --error-rate between 0 and 1")
        if options["slip_every"] < 0 or options["slip_orders"] < 0:
            raise CommandError("--slip-every and --slip-orders must be ≥ 0")
        config = SimulatorConfig(
            username=options["username"] or settings.BUZ_SIMULATOR_USERNAME,
            password=options["password"] if options["password"] is not None else settings.BUZ_SIMULATOR_PASSWORD,
            latency=options["latency"],
            page_size=options["page_size"],
            blackout=blackout,
            timezone=options["timezone"],
            error_rate=options["error_rate"],
            seed=options["seed"],
            slip_every=options["slip_every"],
            slip_orders=options["slip_orders"],
        )
        server = make_server(config, host=options["host"], port=options["port"])
        window = options["blackout"] if blackout else "off"
        self.stdout.write(
            f"BuzManager simulator on {server.root_url}/DESDR and /WATSO "
            f"(latency {config.latency}s, page size {config.page_size}, blackout {window}, "
            f"{config.slip_orders} orders rescheduled every {config.slip_every:g}s)"
        )
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            server.server_close()
