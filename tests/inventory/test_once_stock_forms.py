"""The stock forms that move units are taken once: a transfer receipt, a transfer
request and a count sent twice (a double tap, a resent request) change the stock
once; a refused one can be corrected and sent again with its form."""

import pytest
from django.urls import reverse

from inventory.models import StockMovement, Transfer
from inventory.services.ledger import StockRequest
from inventory.services.reservations import reserve_stock
from inventory.services.transfers import ship_transfer
from omnistore.staff.once import new_token as once
from tests.factories import stock
from tests.inventory.staff_helpers import HTMX, level, open_transfer

pytestmark = pytest.mark.django_db

ALREADY = "sent twice"


def top_errors(response) -> str:
    return " ".join(response.context["form"].non_field_errors())


# --- a transfer received in part ------------------------------------------------------


@pytest.fixture
def shipped(shop, other_shop, variant):
    stock(variant, other_shop, 5)
    return ship_transfer(transfer=open_transfer(other_shop, shop, [(variant, 3)]))


def test_a_partial_receipt_sent_twice_books_the_units_once(
    staff_client, shop, shipped, variant
):
    url = reverse("staff:transfer_receive", args=[shipped.pk])
    sent = {f"qty_{variant.pk}": "1", "once": once()}
    first = staff_client.post(url, sent)
    again = staff_client.post(url, sent, **HTMX)
    assert first.status_code == 302
    # said kindly: the receipt is booked, the transfer's page shows it
    assert again.status_code == 200
    assert again["HX-Redirect"] == reverse("staff:transfer_detail", args=[shipped.pk])
    page = staff_client.get(again["HX-Redirect"]).content.decode()
    assert f"Transfer {shipped}: this receipt was already booked." in page
    assert level(variant, shop).on_hand == 1
    assert shipped.lines.get().quantity_received == 1


def test_a_receipt_without_its_token_is_refused(staff_client, shop, shipped, variant):
    url = reverse("staff:transfer_receive", args=[shipped.pk])
    response = staff_client.post(url, {f"qty_{variant.pk}": "1"}, **HTMX)
    assert response.status_code == 422
    assert not StockMovement.objects.filter(location=shop).exists()


def test_a_refused_receipt_is_corrected_and_sent_with_its_form(
    staff_client, shop, shipped, variant
):
    url = reverse("staff:transfer_receive", args=[shipped.pk])
    token = once()
    refused = staff_client.post(url, {f"qty_{variant.pk}": "4", "once": token}, **HTMX)
    assert refused.status_code == 422
    corrected = staff_client.post(url, {f"qty_{variant.pk}": "2", "once": token})
    assert corrected.status_code == 302
    assert level(variant, shop).on_hand == 2


def test_the_receive_form_carries_its_token(staff_client, shipped):
    page = staff_client.get(reverse("staff:transfer_detail", args=[shipped.pk]))
    token = page.context["receive_form"]["once"].value()
    assert token and f'name="once" value="{token}"' in page.content.decode()


# --- a transfer request ---------------------------------------------------------------


def test_a_transfer_request_sent_twice_creates_one_transfer(
    staff_client, shop, other_shop, variant
):
    stock(variant, shop, 10)
    sent = {
        "source": shop.pk,
        "destination": other_shop.pk,
        "lines": "SHIRT-BLU-M 2",
        "once": once(),
    }
    first = staff_client.post(reverse("staff:transfer_create"), sent)
    again = staff_client.post(reverse("staff:transfer_create"), sent, **HTMX)
    assert first.status_code == 302
    assert again.status_code == 422
    assert ALREADY in top_errors(again)
    assert ALREADY in again.content.decode()
    assert Transfer.objects.count() == 1
    assert level(variant, shop).reserved == 2


def test_a_refused_transfer_request_is_corrected_and_sent_with_its_form(
    staff_client, shop, other_shop, variant
):
    stock(variant, shop, 2)
    sent = {"source": shop.pk, "destination": other_shop.pk, "once": once()}
    short = staff_client.post(
        reverse("staff:transfer_create"), {**sent, "lines": "SHIRT-BLU-M 4"}, **HTMX
    )
    assert short.status_code == 422  # refused by the stock at the source
    assert "4 asked, 2 available" in short.content.decode()
    corrected = staff_client.post(
        reverse("staff:transfer_create"), {**sent, "lines": "SHIRT-BLU-M 2"}
    )
    assert corrected.status_code == 302
    assert Transfer.objects.count() == 1
    assert level(variant, shop).reserved == 2


def test_the_transfer_form_carries_its_token(staff_client):
    page = staff_client.get(reverse("staff:transfer_create"))
    token = page.context["form"]["once"].value()
    assert token and f'name="once" value="{token}"' in page.content.decode()


# --- a count --------------------------------------------------------------------------


def test_a_count_sent_again_after_an_adjustment_does_not_undo_it(
    staff_client, shop, variant
):
    stock(variant, shop, 8)
    count = {"code": "SHIRT-BLU-M", "counted": "5", "once": once(), "store": shop.pk}
    assert staff_client.post(reverse("staff:stock_count"), count).status_code == 302
    adjusted = staff_client.post(
        reverse("staff:stock_adjust"),
        {
            "code": "SHIRT-BLU-M",
            "delta": "-1",
            "reason": "damage",
            "note": "torn",
            "once": once(),
            "store": shop.pk,
        },
    )
    assert adjusted.status_code == 302
    again = staff_client.post(reverse("staff:stock_count"), count, **HTMX)
    assert again.status_code == 422
    assert ALREADY in top_errors(again)
    assert level(variant, shop).on_hand == 4
    assert StockMovement.objects.filter(location=shop, reason="count").count() == 1


def test_a_refused_count_is_corrected_and_sent_with_its_form(
    staff_client, shop, variant
):
    stock(variant, shop, 5)
    reserve_stock(
        requests=[StockRequest(variant.pk, shop.pk, 3)],
        reference_type="order",
        reference_id="9",
    )
    sent = {"code": "SHIRT-BLU-M", "counted": "2", "once": once(), "store": shop.pk}
    refused = staff_client.post(reverse("staff:stock_count"), sent, **HTMX)
    assert refused.status_code == 422  # below the reserved units: the service says no
    assert "At least 3" in " ".join(refused.context["form"].errors["counted"])
    corrected = staff_client.post(
        reverse("staff:stock_count"), {**sent, "counted": "4"}, **HTMX
    )
    assert corrected.status_code == 200
    assert level(variant, shop).on_hand == 4


def test_the_count_form_carries_its_token(staff_client):
    page = staff_client.get(reverse("staff:stock_count"))
    token = page.context["form"]["once"].value()
    assert token and f'name="once" value="{token}"' in page.content.decode()
