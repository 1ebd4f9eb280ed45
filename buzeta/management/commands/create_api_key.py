from django.core.management.base import BaseCommand, CommandError

from audit.services import Actor
from buzeta.api.keys import ApiKeyError, api_key_create
from buzeta.models import ApiKey


class Command(BaseCommand):
    help = "Create an API key for the JSON API and print it (shown this once; only its hash is stored)."

    def add_arguments(self, parser):
        parser.add_argument("name", help="who or what uses the key, e.g. 'chat-bot'")
        parser.add_argument(
            "--scope",
            choices=ApiKey.Scope.values,
            default=ApiKey.Scope.READ,
            help="read (reports, jobs, statuses, ETA changes; the default) or manage (also customers and links)",
        )

    def handle(self, *args, **options):
        try:
            _key, secret = api_key_create(
                name=options["name"], scope=options["scope"], actor=Actor.for_command("create_api_key")
            )
        except ApiKeyError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(secret)
        self.stderr.write(
            f"Scope {options['scope']}. Store it now: it cannot be shown again. Send it as the X-API-Key header."
        )
