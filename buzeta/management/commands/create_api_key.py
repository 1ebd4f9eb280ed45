from django.core.management.base import BaseCommand, CommandError

from audit.services import Actor
from buzeta.api.keys import ApiKeyError, api_key_create


class Command(BaseCommand):
    help = "Create an API key for the JSON API and print it (shown this once; only its hash is stored)."

    def add_arguments(self, parser):
        parser.add_argument("name", help="who or what uses the key, e.g. 'chat-bot'")

    def handle(self, *args, **options):
        try:
            _key, secret = api_key_create(name=options["name"], actor=Actor.for_command("create_api_key"))
        except ApiKeyError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(secret)
        self.stderr.write("Store it now: it cannot be shown again. Send it as the X-API-Key header.")
