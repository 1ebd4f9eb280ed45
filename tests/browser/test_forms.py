"""Every form a person submits, in Debian's Chromium: no CSRF 403 anywhere.

Django's test client sends no Origin header; Chromium does (and sent
"Origin: null" under a no-referrer policy), which is what broke every POST.
"""

from __future__ import annotations

import pytest

from customers.models import Customer
from tests.fault_server import FaultServer

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_administrator_signs_in_with_a_password_and_reaches_the_admin(page, live_server, django_user_model):
    django_user_model.objects.create_superuser("root", "root@example.com", "correct horse battery staple")
    page.goto(f"{live_server.url}/admin/")
    assert "/accounts/login/" in page.url
    page.get_by_text("Administrator password sign-in").click()
    page.get_by_label("Username").fill("root")
    page.get_by_label("Password").fill("correct horse battery staple")
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in", exact=True).click()
    assert "CSRF" not in page.content() and "Forbidden" not in page.content()
    page.get_by_role("heading", name="Customers, statuses and reports").wait_for()
    assert page.url.endswith("/admin/")


def test_the_google_button_reaches_the_provider_without_a_403(page, live_server, settings):
    settings.SOCIALACCOUNT_PROVIDERS = {
        "google": {
            **settings.SOCIALACCOUNT_PROVIDERS["google"],
            "APPS": [{"client_id": "test-client.apps.googleusercontent.com", "secret": "s", "key": ""}],
        }
    }
    reached = []

    def google(route):
        reached.append(route.request.url)
        route.fulfill(status=200, content_type="text/html", body="<h1>Google sign-in stand-in</h1>")

    # The closed network has no Google: the browser's request to it is answered here instead.
    page.route("https://accounts.google.com/**", google)
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_role("button", name="Sign in with Google").click()
    page.get_by_role("heading", name="Google sign-in stand-in").wait_for()
    assert reached and "client_id=test-client.apps.googleusercontent.com" in reached[0]


@pytest.fixture
def upstream_down(settings):
    server = FaultServer()
    server.fault = "503"
    settings.BUZ_ACCOUNTS = {
        "DD": {"url": server.url, "username": "u", "password": "p"},
        "CBR": {"url": server.url.replace("DESDR", "WATSO"), "username": "u", "password": "p"},
    }
    settings.BUZ_COOLDOWN_MINUTES = 0  # each "try again" really tries
    settings.BUZ_FAILURE_BACKOFF_SECONDS = 0
    yield server
    server.stop()


def test_try_again_with_upstream_down_posts_and_tries_again(page, live_server, upstream_down):
    customer = Customer.objects.create(display_name="Sunset", dd_name="Sunset Shade Solutions")
    page.goto(f"{live_server.url}/{customer.obfuscated_id}")
    button = page.get_by_role("button", name="Try again")
    button.wait_for()  # the loading page's job failed: the failure box and its button show
    hits_before = upstream_down.hits
    with page.expect_navigation():
        button.click()
    text = page.content()
    assert "CSRF" not in text and "Forbidden" not in text
    page.get_by_role("heading", name="We can't show Sunset's orders just now").wait_for()
    assert upstream_down.hits > hits_before  # the button started a new attempt
    assert page.url.rstrip("/").endswith(customer.obfuscated_id)


def test_a_forged_post_gets_the_branded_page_not_a_bare_403(page, live_server):
    customer = Customer.objects.create(display_name="Sunset", dd_name="Sunset Shade Solutions")
    # A form on another site posting here: no CSRF cookie or token.
    response = page.request.post(f"{live_server.url}/{customer.obfuscated_id}/refresh", form={"x": "1"})
    assert response.status == 403
    assert "Please try that again" in response.text()


def test_a_refresh_that_reaches_nobody_never_says_newer_data_is_ready(page, live_server, upstream_down):
    from datetime import timedelta

    from django.utils import timezone

    from odata.models import UpstreamCache
    from odata.targets import cache_key

    customer = Customer.objects.create(display_name="Sunset", dd_name="Sunset Shade Solutions")
    target = customer.fetch_targets[0]
    UpstreamCache.objects.create(
        key=cache_key(target),
        instance="DD",
        target_name=target.name,
        rows=[{"RefNo": "1", "FixedLine": 1, "ProductionStatus": "Cutting", "DateScheduled": "2026-12-08"}],
        fetched_at=timezone.now() - timedelta(hours=2),
    )
    page.goto(f"{live_server.url}/{customer.obfuscated_id}")
    notice = page.locator("[data-refresh-text]")
    notice.filter(has_text="could not reach our production system").wait_for()
    assert "Newer data is ready" not in page.content()
    assert page.get_by_role("link", name="Show the latest").is_hidden()
