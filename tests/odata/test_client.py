from __future__ import annotations

import base64
from urllib.parse import parse_qs, urlsplit

import pytest
import responses

from odata.client import MAX_URL_LENGTH, BuzClient, odata_quote
from odata.errors import (
    QueryTooLong,
    UpstreamBadResponse,
    UpstreamHTTPError,
)
from tests.conftest import DD_ROOT

JOBS = f"{DD_ROOT}/JobsScheduleDetailed"
SALES = f"{DD_ROOT}/SalesReport"


def make_client(**kwargs) -> BuzClient:
    return BuzClient("DD", DD_ROOT, username="dd-user", password="dd-pass", **kwargs)


def filter_of(url: str) -> str:
    return parse_qs(urlsplit(url).query)["$filter"][0]


def line(ref: str = "1", **extra) -> dict:
    return {"RefNo": ref, "FixedLine": 1, "ProductionStatus": "Cutting", "Customer": "A", **extra}


def test_odata_quote_doubles_single_quotes():
    assert odata_quote("O'Brien's") == "'O''Brien''s'"
    assert odata_quote("plain") == "'plain'"


@responses.activate
def test_customer_filter_quotes_the_name_and_asks_only_for_open_orders():
    responses.get(JOBS, json={"value": []})
    make_client().open_order_lines("O'Brien's Curtains & Co")
    url = responses.calls[0].request.url
    assert filter_of(url) == (
        "OrderStatus eq 'Work in Progress' and ProductionStatus ne null and Customer eq 'O''Brien''s Curtains & Co'"
    )
    # Spaces as %20 and '&' escaped, so the filter cannot be cut short.
    assert "+" not in urlsplit(url).query
    assert "%26" in url


@responses.activate
def test_basic_auth_is_sent():
    responses.get(JOBS, json={"value": []})
    make_client().open_order_lines("A")
    header = responses.calls[0].request.headers["Authorization"]
    assert header == "Basic " + base64.b64encode(b"dd-user:dd-pass").decode()


@responses.activate
def test_rows_keep_only_the_fields_the_product_uses():
    responses.get(JOBS, json={"value": [line(CostPrice=88.2, Margin=61.5, PkId="x", Notes="n", BarcodeNo="b")]})
    [row] = make_client().open_order_lines("A")
    assert row == {"RefNo": "1", "FixedLine": 1, "ProductionStatus": "Cutting", "Customer": "A"}


@responses.activate
def test_group_members_come_from_sales_report_and_are_fetched_with_in():
    responses.get(
        SALES,
        json={"value": [{"Customer": "B"}, {"Customer": "A"}, {"Customer": "A"}, {"Customer": None}]},
    )
    responses.get(JOBS, json={"value": [line("7")]})
    rows = make_client().open_order_lines("Group's", is_group=True)
    assert [r["RefNo"] for r in rows] == ["7"]
    # SalesReport spells Order_Status with an underscore.
    assert filter_of(responses.calls[0].request.url) == (
        "CustomerGroup eq 'Group''s' and Order_Status eq 'Work in Progress'"
    )
    assert filter_of(responses.calls[1].request.url).endswith("and Customer in ('A','B')")


@responses.activate
def test_a_group_without_members_makes_no_jobs_call():
    responses.get(SALES, json={"value": []})
    assert make_client().open_order_lines("Empty", is_group=True) == []
    assert len(responses.calls) == 1


@responses.activate
def test_large_groups_are_batched_with_every_url_under_2000_characters():
    members = [f"Member Customer Number {i:03d} Pty Ltd" for i in range(150)]
    responses.get(SALES, json={"value": [{"Customer": m} for m in members]})
    responses.get(JOBS, json={"value": []})
    make_client().open_order_lines("Big", is_group=True)

    job_urls = [c.request.url for c in responses.calls[1:]]
    assert len(job_urls) > 1
    assert all(len(url) <= MAX_URL_LENGTH for url in job_urls)
    asked: list[str] = []
    for url in job_urls:
        in_list = filter_of(url).split(" in (", 1)[1].rstrip(")")
        asked += [name.strip("'") for name in in_list.split("','")]
    assert sorted(asked) == sorted(members)  # every member once, none twice


def test_a_single_name_too_long_for_any_url_is_an_error():
    with pytest.raises(QueryTooLong):
        list(make_client().batched_in_filters("JobsScheduleDetailed", "x", "Customer", ["a" * 3000]))


@responses.activate
def test_paging_follows_next_link_to_the_end():
    responses.get(JOBS, json={"value": [line("1")], "@odata.nextLink": f"{JOBS}?$skip=1"})
    responses.get(f"{JOBS}?$skip=1", json={"value": [line("2")], "@odata.nextLink": f"{JOBS}?$skip=2"})
    responses.get(f"{JOBS}?$skip=2", json={"value": [line("3")]})
    rows = make_client().get_all("JobsScheduleDetailed")
    assert [r["RefNo"] for r in rows] == ["1", "2", "3"]
    assert len(responses.calls) == 3


@responses.activate
def test_a_next_link_that_points_back_is_not_followed_forever():
    responses.get(JOBS, json={"value": [line("1")], "@odata.nextLink": JOBS})
    with pytest.raises(UpstreamBadResponse, match="paging did not end"):
        make_client().get_all("JobsScheduleDetailed")


@responses.activate
@pytest.mark.parametrize(
    "body",
    [
        "<html><body>Please sign in</body></html>",  # login page served with 200
        '{"value": [{"RefNo": "1"',  # truncated JSON
        '{"items": []}',  # no value
        '{"value": {"RefNo": "1"}}',  # value is not a list
        '{"value": ["a string"]}',  # rows are not objects
        "[]",
    ],
)
def test_bodies_that_are_not_odata_json_raise_bad_response(body):
    responses.get(JOBS, body=body, status=200, content_type="text/html")
    with pytest.raises(UpstreamBadResponse):
        make_client().open_order_lines("A")


def test_timeouts_come_from_the_constructor():
    client = make_client(connect_timeout=1.5, read_timeout=7)
    assert client.timeout == (1.5, 7)


@responses.activate
def test_error_messages_never_carry_credentials_or_filters():
    responses.get(JOBS, status=500)
    with pytest.raises(UpstreamHTTPError) as caught:
        make_client().open_order_lines("Secret Customer")
    message = str(caught.value)
    assert "dd-pass" not in message and "Secret Customer" not in message and "$filter" not in message
