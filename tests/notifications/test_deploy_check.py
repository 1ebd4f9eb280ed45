"""`check --deploy` warns when SMTP is set up but e-mail updates cannot be offered."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys

from tests.conftest import ROOT


def deploy_check(tmp_path, **extra) -> subprocess.CompletedProcess:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("BUZ_", "DJANGO_", "DATABASE_URL", "EMAIL_"))},
        "APP_ENV": "production",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "eta.example.com",
        "BUZETA_DATA_DIR": str(tmp_path),
        **extra,
    }
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_smtp_without_a_public_address_is_a_deploy_warning(tmp_path):
    result = deploy_check(tmp_path, EMAIL_URL="submission://u:p@smtp.example.com")
    assert result.returncode != 0 and "notifications.W001" in result.stderr + result.stdout


def test_smtp_with_a_public_address_is_clean(tmp_path):
    result = deploy_check(
        tmp_path, EMAIL_URL="submission://u:p@smtp.example.com", BUZ_PUBLIC_URL="https://eta.example.com"
    )
    assert result.returncode == 0, result.stdout + result.stderr
