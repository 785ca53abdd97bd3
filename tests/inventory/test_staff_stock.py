"""Staff stock screens: receive, adjust and count at the shop, low stock and the dashboard."""

import pytest
from django.urls import reverse

from inventory.models import (
    MovementReason,
    StockLevel,
    StockMovement,
)
from inventory.services.ledger import StockRequest
from inventory.services.reservations import reserve_stock
from inventory.services.transfers import (
    ship_transfer,
)
from omnistore.accounts.models import Role
from omnistore.staff.auth import SESSION_STORE_KEY
from omnistore.staff.once import new_token as once
from tests.factories import (
    UserFactory,
    VariantFactory,
    stock,
)
from tests.inventory.staff_helpers import HTMX, level, login_as, open_transfer

pytestmark = pytest.mark.django_db


# --- receive, adjust, count -----------------------------------------------------------


def test_receiving_adds_units_at_the_staff_shop_and_says_so(
    staff_client, shop, associate, variant
):
    response = staff_client.post(
        reverse("staff:stock_receive"),
        {
            "code": "SHIRT-BLU-M",
            "quantity": "6",
            "note": "DDT 123",
            "once": once(),
            "store": shop.pk,
        },
        follow=True,
    )
    assert response.status_code == 200
    assert level(variant, shop).on_hand == 6
    move = StockMovement.objects.get(variant=variant, location=shop)
    assert (move.delta_on_hand, move.reason, move.actor, move.note) == (
        6,
        MovementReason.RECEIPT,
        associate,
        "DDT 123",
    )
    assert "Received 6 × SHIRT-BLU-M" in response.content.decode()
    assert "6 on hand, 0 reserved, 6 available" in response.content.decode()


def test_receiving_with_htmx_shows_the_new_level_in_the_fragment(
    staff_client, shop, variant
):
    stock(variant, shop, 2)
    response = staff_client.post(
        reverse("staff:stock_receive"),
        {"code": "8000000000017", "quantity": "3", "once": once(), "store": shop.pk},
        **HTMX,
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html
    assert response.context["level"].on_hand == 5
    assert 'data-testid="stock-success"' in html
    assert 'data-testid="stock-level"' in html


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"code": "NOPE-1", "quantity": "2"}, "code", "No item with SKU or barcode"),
        ({"code": "", "quantity": "2"}, "code", "Scan or type a SKU"),
        ({"code": "SHIRT-BLU-M", "quantity": "0"}, "quantity", "at least 1"),
        ({"code": "SHIRT-BLU-M", "quantity": "-3"}, "quantity", "at least 1"),
        ({"code": "SHIRT-BLU-M", "quantity": "two"}, "quantity", "whole number"),
        ({"code": "SHIRT-BLU-M", "quantity": "1.5"}, "quantity", "whole number"),
        ({"code": "SHIRT-BLU-M", "quantity": "999999999999"}, "quantity", "at most"),
    ],
)
def test_bad_receipts_are_refused_with_a_form_error_and_change_nothing(
    staff_client, shop, variant, data, field, message
):
    stock(variant, shop, 2)
    before = StockMovement.objects.count()
    response = staff_client.post(
        reverse("staff:stock_receive"),
        {**data, "once": once(), "store": shop.pk},
        **HTMX,
    )
    assert response.status_code == 422
    errors = response.context["form"].errors[field]
    assert any(message in e for e in errors), errors
    assert message in response.content.decode()
    assert StockMovement.objects.count() == before
    assert level(variant, shop).on_hand == 2


def test_damage_write_off_removes_units_with_reason_and_note(
    staff_client, shop, variant
):
    stock(variant, shop, 5)
    response = staff_client.post(
        reverse("staff:stock_adjust"),
        {
            "code": "SHIRT-BLU-M",
            "delta": "-2",
            "reason": "damage",
            "note": "torn seam",
            "once": once(),
            "store": shop.pk,
        },
    )
    assert response.status_code == 302
    assert level(variant, shop).on_hand == 3
    move = StockMovement.objects.filter(variant=variant).first()
    assert (move.delta_on_hand, move.reason, move.note) == (-2, "damage", "torn seam")


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"delta": "3", "reason": "adjustment", "note": "  "}, "note", "Say why"),
        (
            {"delta": "0", "reason": "adjustment", "note": "x"},
            "delta",
            "other than zero",
        ),
        ({"delta": "x", "reason": "adjustment", "note": "x"}, "delta", "whole number"),
        ({"delta": "1", "reason": "sale", "note": "x"}, "reason", "valid choice"),
    ],
)
def test_bad_adjustments_are_refused_and_change_nothing(
    staff_client, shop, variant, data, field, message
):
    stock(variant, shop, 5)
    response = staff_client.post(
        reverse("staff:stock_adjust"),
        {"code": "SHIRT-BLU-M", "once": once(), "store": shop.pk, **data},
        **HTMX,
    )
    assert response.status_code == 422
    assert any(message in e for e in response.context["form"].errors[field])
    assert level(variant, shop).on_hand == 5


def test_removing_more_than_the_unreserved_units_is_a_form_error(
    staff_client, shop, variant
):
    stock(variant, shop, 5)
    reserve_stock(
        requests=[StockRequest(variant.pk, shop.pk, 3)],
        reference_type="order",
        reference_id="7",
    )
    before = StockMovement.objects.count()
    response = staff_client.post(
        reverse("staff:stock_adjust"),
        {
            "code": "SHIRT-BLU-M",
            "delta": "-3",
            "reason": "damage",
            "note": "broken",
            "once": once(),
            "store": shop.pk,
        },
        **HTMX,
    )
    assert response.status_code == 422
    form = response.context["form"]
    assert "At most 2 units can be removed." in form.errors["delta"]
    assert "Only 2 unreserved units" in " ".join(form.non_field_errors())
    assert "Only 2 unreserved units" in response.content.decode()
    assert (level(variant, shop).on_hand, StockMovement.objects.count()) == (5, before)


def test_a_count_sets_on_hand_and_ledgers_the_difference(staff_client, shop, variant):
    stock(variant, shop, 5)
    response = staff_client.post(
        reverse("staff:stock_count"),
        {"once": once(), "store": shop.pk, "code": "SHIRT-BLU-M", "counted": "3"},
        **HTMX,
    )
    assert response.status_code == 200
    assert level(variant, shop).on_hand == 3
    move = StockMovement.objects.filter(variant=variant).first()
    assert (move.reason, move.delta_on_hand) == (MovementReason.COUNT, -2)
    # The units are the ledger's: the level's settings history gains no version.
    assert not level(variant, shop).audit.exists()


def test_a_count_below_the_reserved_units_is_a_form_error(staff_client, shop, variant):
    stock(variant, shop, 5)
    reserve_stock(
        requests=[StockRequest(variant.pk, shop.pk, 4)],
        reference_type="order",
        reference_id="8",
    )
    response = staff_client.post(
        reverse("staff:stock_count"),
        {"once": once(), "store": shop.pk, "code": "SHIRT-BLU-M", "counted": "1"},
        **HTMX,
    )
    assert response.status_code == 422
    assert (
        "At least 4: the units reserved here."
        in response.context["form"].errors["counted"]
    )
    assert level(variant, shop).on_hand == 5


def test_a_form_can_be_prefilled_with_a_code(staff_client):
    response = staff_client.get(reverse("staff:stock_count"), {"code": "SHIRT-BLU-M"})
    assert response.context["form"]["code"].value() == "SHIRT-BLU-M"


def test_hq_receives_at_the_shop_chosen_in_the_header(
    client, shop, other_shop, variant
):
    login_as(client, UserFactory(role=Role.HQ))
    session = client.session
    session[SESSION_STORE_KEY] = other_shop.pk
    session.save()
    client.post(
        reverse("staff:stock_receive"),
        {
            "code": "SHIRT-BLU-M",
            "quantity": "2",
            "once": once(),
            "store": other_shop.pk,
        },
    )
    assert level(variant, other_shop).on_hand == 2
    assert not StockLevel.objects.filter(location=shop).exists()


# --- low stock and dashboard ----------------------------------------------------------


def test_low_stock_lists_this_shops_items_at_or_under_threshold(
    staff_client, shop, other_shop, variant, second_variant
):
    stock(variant, shop, 2)
    stock(second_variant, shop, 20)
    stock(second_variant, other_shop, 1)
    response = staff_client.get(reverse("staff:low_stock"))
    rows = list(response.context["page"])
    assert [
        (r.variant.sku, r.available_units, r.low_stock_threshold) for r in rows
    ] == [("SHIRT-BLU-M", 2, 3)]
    assert "SOCK-RED" not in response.content.decode()


@pytest.mark.parametrize("count", [2, 12])
def test_low_stock_runs_a_fixed_number_of_queries(
    staff_client, shop, django_assert_max_num_queries, count
):
    for _ in range(count):
        stock(VariantFactory(), shop, 1)
    with django_assert_max_num_queries(6):  # the rows, their count, the news count
        response = staff_client.get(reverse("staff:low_stock"))
    assert len(response.context["page"]) == count


def test_dashboard_counts_transfers_to_ship_and_to_receive(
    staff_client, shop, other_shop, warehouse, variant
):
    stock(variant, shop, 5)
    stock(variant, warehouse, 5)
    open_transfer(shop, other_shop, [(variant, 1)])
    open_transfer(shop, warehouse, [(variant, 1)])
    ship_transfer(transfer=open_transfer(warehouse, shop, [(variant, 1)]))
    response = staff_client.get(reverse("staff:dashboard"))
    assert response.context["transfers_awaiting"] == {"to_ship": 2, "to_receive": 1}
    assert 'data-testid="transfers-awaiting"' in response.content.decode()


def test_an_adjustment_sent_twice_moves_the_stock_once(staff_client, shop, variant):
    stock(variant, shop, 5)
    sent = {
        "code": "SHIRT-BLU-M",
        "delta": "-1",
        "reason": "damage",
        "note": "broken",
        "once": once(),
        "store": shop.pk,
    }
    first = staff_client.post(reverse("staff:stock_adjust"), sent, **HTMX)
    again = staff_client.post(reverse("staff:stock_adjust"), sent, **HTMX)
    assert first.status_code == 200 and "stock-success" in first.content.decode()
    assert again.status_code == 422
    assert "sent twice" in " ".join(again.context["form"].non_field_errors())
    assert level(variant, shop).on_hand == 4
    missing = staff_client.post(
        reverse("staff:stock_adjust"), {**sent, "once": ""}, **HTMX
    )
    assert missing.status_code == 422 and level(variant, shop).on_hand == 4


def test_a_refused_adjustment_can_be_corrected_and_sent_with_its_form(
    staff_client, shop, variant
):
    stock(variant, shop, 2)
    token = once()
    sent = {
        "code": "SHIRT-BLU-M",
        "reason": "damage",
        "note": "x",
        "once": token,
        "store": shop.pk,
    }
    refused = staff_client.post(
        reverse("staff:stock_adjust"), {**sent, "delta": "-3"}, **HTMX
    )
    assert refused.status_code == 422
    corrected = staff_client.post(
        reverse("staff:stock_adjust"), {**sent, "delta": "-2"}, **HTMX
    )
    assert corrected.status_code == 200
    assert level(variant, shop).on_hand == 0
