"""Who may sign in: the adapter's decisions, Google's first sign-in, break-glass passwords, no sign-up."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from allauth.core.exceptions import ImmediateHttpResponse
from django.contrib.auth.models import User
from django.test import RequestFactory

from buzeta.staff.auth import StaffSocialAccountAdapter, staff_sign_in_decision


@pytest.mark.parametrize(
    ("email", "verified", "allowed", "reason"),
    [
        ("bob@example.com", True, True, "ok"),
        ("BOB@Example.com", True, True, "ok"),
        ("bob@example.com", False, False, "unverified"),
        ("stranger@example.com", True, False, "unknown"),
        ("dave@example.com", True, False, "inactive"),
        ("", True, False, "unverified"),
    ],
)
def test_sign_in_decisions(personas, email, verified, allowed, reason):
    decision = staff_sign_in_decision(email=email, email_verified=verified)
    assert (decision.allowed, decision.reason) == (allowed, reason)


def test_two_users_with_one_email_are_refused(personas):
    User.objects.create_user("bob2", email="bob@example.com")
    assert staff_sign_in_decision(email="bob@example.com", email_verified=True).reason == "ambiguous"


def _google_login(email: str, verified: bool = True, existing_user=None):
    connected = []
    login = SimpleNamespace(
        is_existing=existing_user is not None,
        user=existing_user,
        email_addresses=[SimpleNamespace(email=email, verified=verified, primary=True)],
        account=SimpleNamespace(extra_data={}),
        connect=lambda request, user: connected.append(user),
    )
    return login, connected


def _request():
    request = RequestFactory().get("/accounts/google/login/callback/")
    request.session = {}
    return request


def test_a_known_google_account_is_linked_to_its_user(personas):
    login, connected = _google_login("alice@example.com")
    StaffSocialAccountAdapter().pre_social_login(_request(), login)
    assert connected == [personas["alice"]]


@pytest.mark.parametrize(
    ("email", "verified"), [("stranger@example.com", True), ("dave@example.com", True), ("bob@example.com", False)]
)
def test_other_google_accounts_see_not_authorised(personas, email, verified):
    login, connected = _google_login(email, verified)
    with pytest.raises(ImmediateHttpResponse) as caught:
        StaffSocialAccountAdapter().pre_social_login(_request(), login)
    assert caught.value.response.status_code == 403
    assert "not authorised" in caught.value.response.content.decode()
    assert connected == []


def test_a_linked_google_account_of_a_deactivated_user_is_refused(personas):
    login, _ = _google_login("dave@example.com", existing_user=personas["dave"])
    with pytest.raises(ImmediateHttpResponse):
        StaffSocialAccountAdapter().pre_social_login(_request(), login)


def test_social_sign_up_is_closed(db):
    assert StaffSocialAccountAdapter().is_open_for_signup(_request(), None) is False


def test_superusers_can_sign_in_with_a_password(client, personas):
    response = client.post("/accounts/login/", {"login": "root", "password": "correct horse battery staple"})
    assert response.status_code == 302
    assert client.get("/admin/").status_code == 200


@pytest.mark.parametrize("who", ["alice", "bob"])
def test_other_staff_cannot_sign_in_with_a_password(client, personas, who):
    response = client.post("/accounts/login/", {"login": who, "password": "correct horse battery staple"})
    assert response.status_code == 200  # the form again, with an error
    assert client.get("/admin/").status_code == 302


def test_nobody_can_sign_up(client, db):
    response = client.post(
        "/accounts/signup/", {"username": "eve", "password1": "x-Very-long-pass-1", "password2": "x-Very-long-pass-1"}
    )
    assert not User.objects.filter(username="eve").exists()
    assert response.status_code in (200, 403)


def test_the_sign_in_page_offers_google_when_configured(client, db, settings):
    settings.SOCIALACCOUNT_PROVIDERS = {
        "google": {"APPS": [{"client_id": "id.apps.googleusercontent.com", "secret": "s", "key": ""}]}
    }
    page = client.get("/accounts/login/").content.decode()
    assert "Sign in with Google" in page
    assert 'action="/accounts/google/login/' in page and 'method="post"' in page


@pytest.mark.parametrize("method", ["get", "post"])
def test_google_sign_in_when_google_is_not_set_up_is_a_friendly_page_not_a_500(db, method):
    from django.test import Client

    response = getattr(Client(raise_request_exception=False), method)("/accounts/google/login/")
    assert response.status_code == 503
    assert "Google sign-in is not set up here" in response.content.decode()


@pytest.mark.parametrize("method", ["get", "post"])
def test_no_password_reset_by_email_unless_email_is_set_up(personas, settings, method):
    from django.core import mail
    from django.test import Client

    settings.EMAIL_CONFIGURED = False
    response = getattr(Client(raise_request_exception=False), method)(
        "/accounts/password/reset/", {"email": "root@example.com"}
    )
    assert response.status_code == 404
    assert "Passwords are not reset here" in response.content.decode()
    assert mail.outbox == []


def test_password_reset_is_allauths_when_email_is_set_up(db, settings):
    from django.test import Client

    settings.EMAIL_CONFIGURED = True
    response = Client().get("/accounts/password/reset/")
    assert response.status_code == 200 and 'name="email"' in response.content.decode()
