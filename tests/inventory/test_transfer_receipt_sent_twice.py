"""A transfer receipt sent twice says it was already booked, even when the units it
books leave less outstanding than it asked for; a receipt that asks for more than
is outstanding is still a form error, and can be corrected with its own form."""

import pytest
from django.urls import reverse

from inventory.services.transfers import ship_transfer
from omnistore.staff.once import new_token as once
from tests.factories import stock
from tests.inventory.staff_helpers import HTMX, level, open_transfer

pytestmark = pytest.mark.django_db


@pytest.fixture
def five_shipped(shop, other_shop, variant):
    stock(variant, other_shop, 5)
    return ship_transfer(transfer=open_transfer(other_shop, shop, [(variant, 5)]))


def test_a_receipt_of_most_units_sent_twice_says_it_was_already_booked(
    staff_client, shop, five_shipped, variant
):
    url = reverse("staff:transfer_receive", args=[five_shipped.pk])
    sent = {f"qty_{variant.pk}": "3", "once": once()}

    first = staff_client.post(url, sent)
    again = staff_client.post(url, sent, **HTMX)

    assert first.status_code == 302
    assert again.status_code == 200
    detail = reverse("staff:transfer_detail", args=[five_shipped.pk])
    assert again["HX-Redirect"] == detail
    page = staff_client.get(detail).content.decode()
    assert f"Transfer {five_shipped}: this receipt was already booked." in page
    assert "not yet received" not in page
    assert level(variant, shop).on_hand == 3
    assert five_shipped.lines.get().quantity_received == 3


def test_a_receipt_of_more_than_is_outstanding_is_a_form_error_and_can_be_corrected(
    staff_client, shop, five_shipped, variant
):
    url = reverse("staff:transfer_receive", args=[five_shipped.pk])
    assert (
        staff_client.post(url, {f"qty_{variant.pk}": "3", "once": once()}).status_code
        == 302
    )
    token = once()

    refused = staff_client.post(url, {f"qty_{variant.pk}": "3", "once": token}, **HTMX)
    corrected = staff_client.post(url, {f"qty_{variant.pk}": "2", "once": token})

    assert refused.status_code == 422
    assert "Only 2 shipped and not yet received." in refused.content.decode()
    assert corrected.status_code == 302
    assert level(variant, shop).on_hand == 5
    assert five_shipped.lines.get().quantity_received == 5
