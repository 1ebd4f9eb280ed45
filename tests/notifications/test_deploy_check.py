"""`check --deploy` warns when SMTP is set up but e-mail updates cannot be offered."""

from __future__ import annotations

from tests.buzeta.test_hardening import deploy_check


def test_smtp_without_a_public_address_is_a_deploy_warning(tmp_path):
    result = deploy_check(tmp_path, EMAIL_URL="submission://u:p@smtp.example.com")
    assert result.returncode != 0 and "notifications.W001" in result.stderr + result.stdout


def test_smtp_with_a_public_address_is_clean(tmp_path):
    result = deploy_check(
        tmp_path, EMAIL_URL="submission://u:p@smtp.example.com", BUZ_PUBLIC_URL="https://eta.example.com"
    )
    assert result.returncode == 0, result.stdout + result.stderr
