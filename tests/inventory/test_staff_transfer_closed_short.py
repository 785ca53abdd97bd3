"""A transfer closed short does not pass for one received in full: the list and its
page say "Closed short" with the units missing, and its lines name them as missing,
not outstanding; before shipping, its lines say nothing is on the way yet."""

import pytest
from django.urls import reverse

from inventory.services.transfers import receive_transfer, ship_transfer
from omnistore.staff.once import new_token as once
from tests.factories import stock
from tests.inventory.staff_helpers import open_transfer

pytestmark = pytest.mark.django_db


def list_row(html: str, transfer) -> str:
    """The transfer's row on the list page."""
    start = html.index(reverse("staff:transfer_detail", args=[transfer.pk]))
    return html[start : html.index("</tr>", start)]


def lines_table(html: str) -> str:
    start = html.index('data-testid="transfer-lines"')
    return html[start : html.index("</table>", start)]


@pytest.fixture
def closed_short(staff_client, shop, other_shop, variant):
    """3 shipped to the shop, 1 received there, then closed short."""
    stock(variant, other_shop, 10)
    transfer = ship_transfer(transfer=open_transfer(other_shop, shop, [(variant, 3)]))
    url = reverse("staff:transfer_receive", args=[transfer.pk])
    staff_client.post(url, {f"qty_{variant.pk}": "1", "once": once()})
    closed = staff_client.post(
        reverse("staff:transfer_close", args=[transfer.pk]), {"reason": "box lost"}
    )
    assert closed.status_code == 302
    return transfer


@pytest.fixture
def received_in_full(shop, other_shop, variant):
    stock(variant, other_shop, 10)
    transfer = ship_transfer(transfer=open_transfer(other_shop, shop, [(variant, 3)]))
    return receive_transfer(transfer=transfer)


def test_the_list_tells_a_transfer_closed_short_from_one_received_in_full(
    staff_client, closed_short, received_in_full, django_assert_max_num_queries
):
    with django_assert_max_num_queries(5):
        page = staff_client.get(reverse("staff:transfer_list"), {"show": "all"})
    html = page.content.decode()
    short = list_row(html, closed_short)
    assert "Closed short (2 missing)" in short
    assert ">Received<" not in short
    full = list_row(html, received_in_full)
    assert ">Received<" in full and "Closed short" not in full


def test_the_page_of_a_transfer_closed_short_names_the_units_missing(
    staff_client, closed_short, received_in_full
):
    page = staff_client.get(reverse("staff:transfer_detail", args=[closed_short.pk]))
    html = page.content.decode()
    assert "Closed short (2 missing)" in html
    lines = lines_table(html)
    assert ">Missing<" in lines and "Outstanding" not in lines
    assert lines.count('<td class="num">') == 4  # requested, shipped, received, missing
    assert '<td class="num">2</td>\n    </tr>' in lines
    assert page.context["receive_form"] is None
    # One received in full misses nothing.
    full = staff_client.get(
        reverse("staff:transfer_detail", args=[received_in_full.pk])
    ).content.decode()
    assert "Closed short" not in full
    assert ">Received<" in full
    assert '<td class="num">0</td>\n    </tr>' in lines_table(full)


def test_a_transfer_not_shipped_yet_says_so_on_its_lines(
    staff_client, shop, other_shop, variant
):
    stock(variant, other_shop, 10)
    requested = open_transfer(other_shop, shop, [(variant, 3)])
    page = staff_client.get(reverse("staff:transfer_detail", args=[requested.pk]))
    lines = lines_table(page.content.decode())
    assert "not shipped yet" in lines
    assert '<td class="num">0</td>\n    </tr>' not in lines
