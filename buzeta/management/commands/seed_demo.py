import os
import secrets
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from audit.services import Actor
from buzeta.operations.demo import customers_seed_demo, history_seed_demo, statuses_seed_demo
from lib.clock import business_today


def _demo_password() -> str:
    """DEMO_ADMIN_PASSWORD, else one generated once and kept (0600) beside the database."""
    given = os.environ.get("DEMO_ADMIN_PASSWORD", "").strip()
    if given:
        return given
    path = Path(settings.DATA_DIR) / "demo-admin-password"
    if path.exists():
        return path.read_text().strip()
    password = secrets.token_urlsafe(12)
    path.touch(mode=0o600)
    path.write_text(password + "\n")
    return password


class Command(BaseCommand):
    help = (
        "Create demo customers and status names matching the BuzManager simulator, and an admin user. "
        "Safe to run twice. "
        "Development only (APP_ENV=development); an existing admin's password is never changed."
    )

    def add_arguments(self, parser):
        parser.add_argument("--base-url", default="http://127.0.0.1:8000", help="prefix for the printed links")

    def handle(self, *args, **options):
        if not settings.IS_DEVELOPMENT:
            raise CommandError(
                f"seed_demo only runs with APP_ENV=development (this is {settings.APP_ENV}): "
                "it creates demo customers and a superuser with a known password."
            )
        base_url = options["base_url"].rstrip("/")
        actor = Actor.for_command("seed_demo")
        if added := statuses_seed_demo(actor=actor):
            self.stdout.write(f"  added {added} demo status names (Admin → Status mappings)")
        history = history_seed_demo(actor=actor, today=business_today())
        self.stdout.write(f"  ETA history: {history.created} past finished orders added (forecasts, reliability)")
        for customer, created in customers_seed_demo(actor=actor):
            state = "created" if created else "exists "
            self.stdout.write(f"  {state} {customer.display_name:<26} {base_url}/{customer.obfuscated_id}")

        password = _demo_password()
        user_model = get_user_model()
        user, created = user_model.objects.get_or_create(
            username="admin", defaults={"email": "admin@example.com", "is_staff": True, "is_superuser": True}
        )
        if created:
            user.set_password(password)
            user.save(update_fields=["password"])
        elif not user.check_password(password):
            self.stdout.write("\nAn 'admin' user already exists with another password; it was left as it is.")
            return
        self.stdout.write(
            f"\nAdmin: {base_url}/admin/  user 'admin'  password '{password}' (under 'Administrator password sign-in')"
        )
