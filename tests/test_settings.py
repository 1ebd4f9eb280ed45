"""Settings are read once at import, so each case starts a fresh interpreter."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
VARIABLES = [
    "APP_ENV",
    "DJANGO_SECRET_KEY",
    "DJANGO_DEBUG",
    "ALLOWED_HOSTS",
    "DATABASE_URL",
    "BUZ_DEMO",
    "BUZ_DD_URL",
    "BUZ_CBR_URL",
    "BUZ_DD_USERNAME",
    "BUZ_DD_PASSWORD",
    "BUZ_CBR_USERNAME",
    "BUZ_CBR_PASSWORD",
    "BUZ_BLACKOUT",
    "BUZ_FRESH_MINUTES",
    "BUZ_TIMEZONE",
    "BUZ_FINISHED_STATUSES",
    "SENTRY_DSN",
    "EMAIL_URL",
    "EMAIL_HOST",
    "EMAIL_PORT",
    "EMAIL_HOST_USER",
    "EMAIL_HOST_PASSWORD",
    "EMAIL_USE_TLS",
    "DEFAULT_FROM_EMAIL",
    "BUZ_PUBLIC_URL",
    "BUZ_NOTIFY_MINUTES",
    "BUZ_DIGEST_AT",
    "BUZETA_PORT",
]


EMAIL_SETTINGS = (
    "import json; from django.conf import settings as s; "
    "print(json.dumps({k: getattr(s, k, None) for k in ('EMAIL_BACKEND', 'EMAIL_HOST', 'EMAIL_PORT', "
    "'EMAIL_HOST_USER', 'EMAIL_HOST_PASSWORD', 'EMAIL_USE_TLS', 'EMAIL_USE_SSL', 'EMAIL_FILE_PATH', "
    "'BUZ_PUBLIC_URL', 'NOTIFICATIONS_ENABLED', 'BUZ_NOTIFY_MINUTES', 'BUZ_DIGEST_AT')}, default=str))"
)


def load(tmp_path, code: str = "", **env) -> dict:
    clean = {k: v for k, v in os.environ.items() if k not in VARIABLES}
    clean.update(BUZETA_DATA_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="buzeta.settings", **env)
    code = code or (
        "import json; from django.conf import settings as s; "
        "print(json.dumps({'debug': s.DEBUG, 'accounts': s.BUZ_ACCOUNTS, 'demo': s.BUZ_DEMO, "
        "'db': s.DATABASES['default']['ENGINE'], 'db_name': str(s.DATABASES['default']['NAME']), "
        "'blackout': str(s.BUZ_BLACKOUT), 'fresh': s.BUZ_FRESH_MINUTES, 'finished': s.BUZ_FINISHED_STATUSES}))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=clean, capture_output=True, text=True, timeout=60
    )
    if result.returncode:
        return {"error": result.stderr.strip().splitlines()[-1]}
    return json.loads(result.stdout)


def test_defaults_are_a_working_demo_on_sqlite(tmp_path):
    config = load(tmp_path)
    assert config["demo"] is True
    assert config["debug"] is False
    assert config["accounts"]["DD"]["url"] == "http://127.0.0.1:8765/reports/DESDR"
    assert config["accounts"]["CBR"]["url"] == "http://127.0.0.1:8765/reports/WATSO"
    assert config["db"] == "django.db.backends.sqlite3"
    assert config["db_name"] == str(tmp_path / "db.sqlite3")
    assert config["blackout"] == "(datetime.time(10, 0), datetime.time(16, 0))"
    assert config["fresh"] == 5
    assert "invoiced" in config["finished"]


def test_credentials_switch_demo_off_and_point_at_buzmanager(tmp_path):
    config = load(tmp_path, BUZ_DD_USERNAME="u", BUZ_DD_PASSWORD="p")
    assert config["demo"] is False
    assert config["accounts"]["DD"] == {
        "url": "https://api.buzmanager.com/reports/DESDR",
        "username": "u",
        "password": "p",
    }


def test_an_explicit_url_wins_over_demo_mode(tmp_path):
    config = load(tmp_path, BUZ_DEMO="1", BUZ_CBR_URL="http://elsewhere.test/WATSO/")
    assert config["accounts"]["CBR"]["url"] == "http://elsewhere.test/WATSO"
    assert config["accounts"]["DD"]["url"].startswith("http://127.0.0.1:8765")


def test_database_url_is_honoured(tmp_path):
    config = load(tmp_path, DATABASE_URL="postgres://u:p@db.test:5432/buzeta")
    assert config["db"] == "django.db.backends.postgresql"


def test_finished_statuses_and_blackout_can_be_changed(tmp_path):
    config = load(tmp_path, BUZ_FINISHED_STATUSES="Invoiced, Shipped", BUZ_BLACKOUT="off")
    assert config["finished"] == ["Invoiced", "Shipped"]
    assert config["blackout"] == "None"


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"APP_ENV": "production", "ALLOWED_HOSTS": "eta.example"}, "DJANGO_SECRET_KEY is required"),
        ({"APP_ENV": "production", "DJANGO_SECRET_KEY": "x" * 50}, "ALLOWED_HOSTS is required"),
        ({"APP_ENV": "prod"}, "APP_ENV must be"),
        ({"BUZ_FRESH_MINUTES": "five"}, "BUZ_FRESH_MINUTES must be an integer"),
        ({"BUZ_BLACKOUT": "10-16"}, "BUZ_BLACKOUT must"),
        ({"BUZ_TIMEZONE": "Mars/Olympus"}, "not a known time zone"),
        ({"BUZ_DEMO": "maybe"}, "BUZ_DEMO must be"),
        ({"APP_ENV": "production", "DJANGO_DEBUG": "1"}, "DJANGO_DEBUG may only"),
        ({"BUZ_DIGEST_AT": "monday"}, "BUZ_DIGEST_AT must"),
        ({"BUZ_DIGEST_AT": "someday 07:30"}, "BUZ_DIGEST_AT must"),
        ({"BUZ_DIGEST_AT": "mon 25:00"}, "BUZ_DIGEST_AT"),
        ({"EMAIL_URL": "mail.example.com"}, "EMAIL_URL must look like"),
        ({"EMAIL_URL": "http://mail.example.com"}, "EMAIL_URL must look like"),
    ],
)
def test_bad_configuration_stops_start_up_with_a_clear_message(tmp_path, env, message):
    assert message in load(tmp_path, **env).get("error", "")


def test_production_refuses_demo_defaults_but_starts_when_configured(tmp_path):
    config = load(tmp_path, APP_ENV="production", DJANGO_SECRET_KEY="s" * 50, ALLOWED_HOSTS="eta.example")
    assert config["demo"] is False
    assert config["accounts"]["DD"]["url"] == "https://api.buzmanager.com/reports/DESDR"


def test_the_database_its_wal_and_backups_are_owner_only(tmp_path):
    import os
    import sqlite3
    import stat

    data = tmp_path / "data"
    env = {**os.environ, "BUZETA_DATA_DIR": str(data)}
    env.pop("DATABASE_URL", None)
    for command in (["migrate", "-v0"], ["db_backup"]):
        subprocess.run([sys.executable, "manage.py", *command], env=env, cwd=ROOT, check=True, capture_output=True)
    database = data / "db.sqlite3"
    with sqlite3.connect(database) as connection:  # as the app does: WAL, with its -wal and -shm files
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("CREATE TABLE probe (x)")
        sidecars = [p for p in data.iterdir() if p.name.startswith("db.sqlite3-")]
        modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in [database, *sidecars]}
    backups = list((data / "backups").iterdir())
    assert sidecars and backups
    assert set(modes.values()) == {0o600}, modes
    assert {stat.S_IMODE(p.stat().st_mode) for p in backups} == {0o600}
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    assert stat.S_IMODE((data / "backups").stat().st_mode) == 0o700


def test_development_writes_emails_to_files_under_the_data_directory(tmp_path):
    config = load(tmp_path, EMAIL_SETTINGS)
    assert config["EMAIL_BACKEND"] == "django.core.mail.backends.filebased.EmailBackend"
    assert config["EMAIL_FILE_PATH"] == str(tmp_path / "mail")
    assert config["NOTIFICATIONS_ENABLED"] is True
    assert config["BUZ_PUBLIC_URL"] == "http://127.0.0.1:8000"
    assert config["BUZ_NOTIFY_MINUTES"] == 15
    assert config["BUZ_DIGEST_AT"] == [0, "07:30:00"]


def test_email_url_configures_smtp(tmp_path):
    config = load(
        tmp_path, EMAIL_SETTINGS, EMAIL_URL="submission://mailer:s3cret%21@smtp.example.com", BUZ_DIGEST_AT="Fri 16:45"
    )
    assert config["EMAIL_BACKEND"] == "django.core.mail.backends.smtp.EmailBackend"
    assert (config["EMAIL_HOST"], config["EMAIL_PORT"]) == ("smtp.example.com", 587)
    assert (config["EMAIL_HOST_USER"], config["EMAIL_HOST_PASSWORD"]) == ("mailer", "s3cret!")
    assert config["EMAIL_USE_TLS"] is True
    assert config["BUZ_DIGEST_AT"] == [4, "16:45:00"]


def test_smtps_in_email_url_is_tls_from_the_first_byte(tmp_path):
    config = load(tmp_path, EMAIL_SETTINGS, EMAIL_URL="smtps://u:p@smtp.example.com")
    assert (config["EMAIL_PORT"], config["EMAIL_USE_SSL"], config["EMAIL_USE_TLS"]) == (465, True, False)


def test_django_email_variables_configure_smtp(tmp_path):
    config = load(tmp_path, EMAIL_SETTINGS, EMAIL_HOST="mail.example.com", EMAIL_PORT="2525", EMAIL_USE_TLS="1")
    assert config["EMAIL_BACKEND"] == "django.core.mail.backends.smtp.EmailBackend"
    assert (config["EMAIL_HOST"], config["EMAIL_PORT"], config["EMAIL_USE_TLS"]) == ("mail.example.com", 2525, True)


def test_production_without_smtp_or_a_public_address_offers_no_email_updates(tmp_path):
    base = {"APP_ENV": "production", "DJANGO_SECRET_KEY": "s" * 50, "ALLOWED_HOSTS": "eta.example"}
    config = load(tmp_path, EMAIL_SETTINGS, **base)
    assert config["NOTIFICATIONS_ENABLED"] is False
    assert config["EMAIL_BACKEND"] == "django.core.mail.backends.dummy.EmailBackend"
    config = load(tmp_path, EMAIL_SETTINGS, EMAIL_URL="smtp://relay.example", **base)
    assert config["NOTIFICATIONS_ENABLED"] is False  # no BUZ_PUBLIC_URL: links in e-mails would be wrong
    config = load(
        tmp_path, EMAIL_SETTINGS, EMAIL_URL="smtp://relay.example", BUZ_PUBLIC_URL="https://eta.example/", **base
    )
    assert config["NOTIFICATIONS_ENABLED"] is True and config["BUZ_PUBLIC_URL"] == "https://eta.example"
