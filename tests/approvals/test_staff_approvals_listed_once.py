"""A request waiting for a manager reads once on the sale screen. Its waiting panel,
where the associate types the PIN or cancels, takes the basket's place; the list of
the associate's requests on the same screen, asked again at once when the panel
appears, leaves out what a panel shows (htmx sends the panels' ids with the list's
requests). Reloaded, the screen has no panel and the list shows the request again;
the associate's requests page lists it whatever else is shown."""

import html
import re
from decimal import Decimal

import pytest
from django.urls import reverse

from omnistore.approvals.models import Approval, ApprovalStatus
from orders.models import CartLine
from tests.factories import VariantFactory, stock
from tests.orders.till_helpers import open_counter_till

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}
FADED = {"price": "20.00", "reason": "faded"}
MINE = reverse("staff:approval_mine")


@pytest.fixture
def desk(client, associate):
    client.force_login(associate)
    open_counter_till(associate)
    return client


@pytest.fixture
def price_url(desk, store):
    """A coat in the sale basket; where its price is changed."""
    coat = VariantFactory(sku="COAT-NAVY-M", price=Decimal("200.00"))
    stock(coat, store, 10)
    desk.post(reverse("staff:sale_add"), {"code": coat.sku, "quantity": 1}, **HTMX)
    return reverse("staff:sale_line_price", args=[CartLine.objects.get().pk])


def attribute(page: str, name: str, element: str) -> str | None:
    found = re.search(rf'<{element}[^>]*\b{name}="([^"]*)"', page)
    return html.unescape(found.group(1)) if found else None


def sale_screen_list(desk) -> str:
    """The sale screen, reloaded: the list of requests it loads."""
    page = desk.get(reverse("staff:sale")).content.decode()
    loader = re.search(
        r'<div hx-get="([^"]+)"[^>]*data-testid="my-approvals-loader"', page
    )
    assert loader is not None
    response = desk.get(html.unescape(loader.group(1)), **HTMX)
    assert response.status_code == 200
    return response.content.decode()


def panel_ids(panels: list[str]) -> list[str]:
    """What htmx sends with the list's requests: the value of every field the
    list's ``hx-include`` selects ([data-approval-shown]) on the screen."""
    return [
        value
        for panel in panels
        for value in re.findall(
            r'<input[^>]*name="shown" value="(\d+)"[^>]*data-approval-shown', panel
        )
    ]


def times(text: str, *parts: str) -> int:
    return sum(html.unescape(part).count(text) for part in parts)


def test_a_waiting_request_reads_once_on_the_sale_screen(desk, price_url):
    first = desk.post(price_url, FADED, **HTMX)
    assert first.status_code == 202
    request = Approval.objects.get()
    assert request.status == ApprovalStatus.PENDING
    # left and come back: no panel any more, the screen's list shows the request
    listed = sale_screen_list(desk)
    assert times(request.summary, listed) == 1
    assert 'data-testid="approval-withdraw"' in listed
    poll = attribute(listed, "hx-get", "section")

    # the same price again: the request's waiting panel takes the basket's place,
    # and the list, asked again at once, leaves out what the panel shows
    again = desk.post(price_url, FADED, **HTMX)
    assert again.status_code == 202
    panel = again.content.decode()
    refreshed = desk.get(poll, {"shown": panel_ids([panel])}, **HTMX)

    assert times(request.summary, panel, refreshed.content.decode()) == 1
    assert times(request.summary, panel) == 1
    assert 'data-testid="approval-ask"' in panel
    assert 'data-testid="my-approval"' not in refreshed.content.decode()
    assert Approval.objects.get().pk == request.pk
    # what makes the browser do so: the list polls with the panels' ids, and is
    # asked again as soon as a panel is on the screen
    assert attribute(listed, "hx-include", "section") == "[data-approval-shown]"
    assert "approval-asked from:body" in attribute(listed, "hx-trigger", "section")
    assert again["HX-Trigger-After-Settle"] == "approval-asked"


def test_withdrawing_another_request_keeps_the_panels_one_out_of_the_list(
    desk, price_url
):
    """Two requests: one left behind on the list, one in its panel. Withdrawing
    the first from the list leaves the list without both."""
    desk.post(price_url, FADED, **HTMX)
    behind = Approval.objects.get()
    panel = desk.post(price_url, {**FADED, "price": "30.00"}, **HTMX)
    waiting = Approval.objects.exclude(pk=behind.pk).get()
    shown = panel_ids([panel.content.decode()])

    withdraw = reverse("staff:approval_withdraw", args=[behind.pk])
    after = desk.post(withdraw + "?kind=price_override", {"shown": shown}, **HTMX)

    page = after.content.decode()
    assert after.status_code == 200
    assert 'data-testid="approval-withdrawn"' in page
    assert 'data-testid="my-approval"' not in page
    assert times(waiting.summary, page) == 0
    assert shown == [str(waiting.pk)]


def test_the_associates_requests_page_still_lists_a_waiting_request(desk, price_url):
    desk.post(price_url, FADED, **HTMX)
    request = Approval.objects.get()

    page = desk.get(MINE).content.decode()

    assert f'data-approval="{request.pk}" data-status="pending"' in page
    assert times(request.summary, page) == 1
    assert "A manager has not answered yet" in page


def test_a_panels_id_that_is_not_a_number_is_ignored(desk, price_url):
    desk.post(price_url, FADED, **HTMX)
    request = Approval.objects.get()

    listed = desk.get(MINE, {"kind": "price_override", "shown": "x1"}, **HTMX)

    assert listed.status_code == 200
    assert f'data-approval="{request.pk}"' in listed.content.decode()
