"""Pages and e-mails name who the customer buys from and how to reach them (BUZ_COMPANY_NAME, BUZ_CONTACT_*)."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.conftest import cache_rows, order_line


@pytest.fixture
def brand(settings):
    settings.BUZ_COMPANY_NAME = "Harbour Blinds & Co"
    settings.BUZ_CONTACT_EMAIL = "orders@harbourblinds.example"
    settings.BUZ_CONTACT_PHONE = "(02) 9555 0100"


def test_the_customer_page_names_the_company_and_how_to_reach_it(client, customer, brand):
    cache_rows(customer, [order_line()])
    page = client.get(f"/{customer.obfuscated_id}").content.decode()
    assert "Harbour Blinds &amp; Co" in page and "BuzETA" not in page
    assert 'href="mailto:orders@harbourblinds.example"' in page and 'href="tel:0295550100"' in page
    assert "account manager" not in page


@pytest.mark.parametrize("path", ["/no-such-link-here-1234", "/"])
def test_error_and_home_pages_name_the_company(client, db, brand, path):
    page = client.get(path).content.decode()
    assert "Harbour Blinds &amp; Co" in page and "orders@harbourblinds.example" in page


def test_the_500_and_503_pages_name_the_company_without_the_request(db, brand, monkeypatch):
    from django.db import OperationalError

    def broken(*_args, **_kwargs):
        raise OperationalError("database or disk is full")

    monkeypatch.setattr("reports.views.customer_or_404", broken)
    visitor = Client(raise_request_exception=False)
    unavailable = visitor.get("/anything-goes-here-123")
    assert unavailable.status_code == 503 and "Harbour Blinds" in unavailable.content.decode()
    monkeypatch.setattr("reports.views.customer_or_404", lambda _id: 1 / 0)
    failed = visitor.get("/anything-goes-here-123")
    assert failed.status_code == 500 and "Harbour Blinds" in failed.content.decode()


def test_without_contact_details_the_page_still_says_who(client, db, settings):
    settings.BUZ_COMPANY_NAME = "Harbour Blinds"
    settings.BUZ_CONTACT_EMAIL = settings.BUZ_CONTACT_PHONE = ""
    page = client.get("/no-such-link-here-1234").content.decode()
    assert "Contact your account manager at Harbour Blinds" in page


def test_every_email_names_the_company_and_how_to_reach_it(client, customer, smtp_inbox, brand):
    client.post(f"/{customer.obfuscated_id}/subscribe", {"email": "ann@builder.example", "alerts": "on"})
    [message] = smtp_inbox.messages
    text, html = smtp_inbox.text(message), smtp_inbox.html(message)
    for part in (text, html.replace("&amp;", "&")):
        assert "Harbour Blinds & Co" in part and "orders@harbourblinds.example" in part and "(02) 9555 0100" in part
