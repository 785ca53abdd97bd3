"""Staff transfer screens: request, list, ship, receive and cancel between locations."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from inventory.models import (
    StockLevel,
    Transfer,
    TransferStatus,
)
from inventory.services.transfers import (
    cancel_transfer,
    ship_transfer,
)
from omnistore.accounts.models import Role
from omnistore.staff.once import new_token as once
from tests.factories import (
    LocationFactory,
    StaffFactory,
    UserFactory,
    VariantFactory,
    stock,
)
from tests.inventory.staff_helpers import HTMX, level, login_as, open_transfer

pytestmark = pytest.mark.django_db


# --- transfers ------------------------------------------------------------------------


def test_staff_request_a_transfer_of_several_lines_from_their_shop(
    staff_client, shop, other_shop, associate, variant, second_variant
):
    stock(variant, shop, 10)
    stock(second_variant, shop, 10)
    response = staff_client.post(
        reverse("staff:transfer_create"),
        {
            "once": once(),
            "source": shop.pk,
            "destination": other_shop.pk,
            "lines": "SHIRT-BLU-M 2\n\n8000000000024 x 3\nshirt-blu-m\n",
            "note": "for the weekend",
        },
    )
    transfer = Transfer.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("staff:transfer_detail", args=[transfer.pk])
    assert (transfer.source, transfer.destination, transfer.requested_by) == (
        shop,
        other_shop,
        associate,
    )
    quantities = {line.variant.sku: line.quantity for line in transfer.lines.all()}
    assert quantities == {"SHIRT-BLU-M": 3, "SOCK-RED": 3}
    assert level(variant, shop).reserved == 3


def test_htmx_transfer_request_redirects_the_browser_to_the_transfer(
    staff_client, shop, other_shop, variant
):
    stock(variant, shop, 2)
    response = staff_client.post(
        reverse("staff:transfer_create"),
        {
            "once": once(),
            "source": shop.pk,
            "destination": other_shop.pk,
            "lines": "SHIRT-BLU-M 1",
        },
        **HTMX,
    )
    transfer = Transfer.objects.get()
    assert response["HX-Redirect"] == reverse(
        "staff:transfer_detail", args=[transfer.pk]
    )


@pytest.mark.parametrize(
    ("lines", "destination", "field", "message"),
    [
        ("SHIRT-BLU-M 1", "same", "destination", "other than the source"),
        ("NOPE 1", "other", "lines", "Line 1: no item with SKU or barcode “NOPE”"),
        ("SHIRT-BLU-M 0", "other", "lines", "Line 1: “0” is not a quantity"),
        ("SHIRT-BLU-M 1\nSHIRT-BLU-M -2", "other", "lines", "Line 2: “-2”"),
        ("SHIRT-BLU-M lots", "other", "lines", "“lots” is not a quantity"),
        ("SHIRT-BLU-M 1 2", "other", "lines", "Line 1: write the SKU"),
        ("  \n ", "other", "lines", "Add at least one line."),
        ("SHIRT-BLU-M 1", "", "destination", "This field is required"),
    ],
)
def test_bad_transfer_requests_are_form_errors_and_create_nothing(
    staff_client, shop, other_shop, variant, lines, destination, field, message
):
    stock(variant, shop, 5)
    target = {"same": shop.pk, "other": other_shop.pk, "": ""}[destination]
    response = staff_client.post(
        reverse("staff:transfer_create"),
        {"once": once(), "source": shop.pk, "destination": target, "lines": lines},
        **HTMX,
    )
    assert response.status_code == 422
    errors = " ".join(response.context["form"].errors[field])
    assert message in errors
    assert Transfer.objects.count() == 0
    assert level(variant, shop).reserved == 0


def test_every_bad_line_is_named_in_line_order(staff_client, shop, other_shop, variant):
    stock(variant, shop, 5)
    response = staff_client.post(
        reverse("staff:transfer_create"),
        {
            "once": once(),
            "source": shop.pk,
            "destination": other_shop.pk,
            "lines": "NOPE 1\nSHIRT-BLU-M 0\nSHIRT-BLU-M 1\nGONE 2",
        },
        **HTMX,
    )
    assert response.status_code == 422
    errors = response.context["form"].errors["lines"]
    assert [error.split(":")[0] for error in errors] == ["Line 1", "Line 2", "Line 4"]


def test_a_transfer_beyond_the_stock_at_the_source_is_a_form_error(
    staff_client, shop, other_shop, variant
):
    stock(variant, shop, 1)
    response = staff_client.post(
        reverse("staff:transfer_create"),
        {
            "once": once(),
            "source": shop.pk,
            "destination": other_shop.pk,
            "lines": "SHIRT-BLU-M 4",
        },
        **HTMX,
    )
    assert response.status_code == 422
    assert "SHIRT-BLU-M: 4 asked, 1 available" in response.content.decode()
    assert Transfer.objects.count() == 0
    assert level(variant, shop).reserved == 0


def test_shop_staff_cannot_send_from_another_location(
    staff_client, shop, other_shop, warehouse, variant
):
    stock(variant, warehouse, 5)
    response = staff_client.post(
        reverse("staff:transfer_create"),
        {
            "once": once(),
            "source": warehouse.pk,
            "destination": shop.pk,
            "lines": "SHIRT-BLU-M 1",
        },
    )
    assert response.status_code == 422
    assert "source" in response.context["form"].errors
    assert Transfer.objects.count() == 0


def test_hq_may_request_from_any_location(client, shop, warehouse, variant):
    stock(variant, warehouse, 5)
    login_as(client, UserFactory(role=Role.HQ))
    response = client.post(
        reverse("staff:transfer_create"),
        {
            "once": once(),
            "source": warehouse.pk,
            "destination": shop.pk,
            "lines": "SHIRT-BLU-M 4",
        },
    )
    assert response.status_code == 302
    assert Transfer.objects.get().source == warehouse


def test_transfer_list_shows_transfers_in_and_out_of_this_shop_only(
    staff_client, shop, other_shop, warehouse, variant
):
    stock(variant, shop, 5)
    stock(variant, warehouse, 5)
    outgoing = open_transfer(shop, other_shop, [(variant, 1)])
    incoming = open_transfer(warehouse, shop, [(variant, 1)])
    unrelated = open_transfer(warehouse, other_shop, [(variant, 1)])
    response = staff_client.get(reverse("staff:transfer_list"))
    listed = {t.pk for t in response.context["page"]}
    assert listed == {outgoing.pk, incoming.pk}
    assert unrelated.pk not in listed
    html = response.content.decode()
    assert ">Out<" in html and ">In<" in html


def test_transfer_list_hides_closed_transfers_unless_asked(
    staff_client, shop, other_shop, variant
):
    stock(variant, shop, 5)
    cancelled = cancel_transfer(
        transfer=open_transfer(shop, other_shop, [(variant, 1)])
    )
    response = staff_client.get(reverse("staff:transfer_list"))
    assert list(response.context["page"]) == []
    response = staff_client.get(reverse("staff:transfer_list"), {"show": "all"})
    assert [t.pk for t in response.context["page"]] == [cancelled.pk]


@pytest.mark.parametrize("count", [2, 12])
def test_transfer_list_runs_a_fixed_number_of_queries(
    staff_client,
    shop,
    other_shop,
    variant,
    second_variant,
    django_assert_max_num_queries,
    count,
):
    stock(variant, shop, 100)
    stock(second_variant, shop, 100)
    for _ in range(count):
        open_transfer(shop, other_shop, [(variant, 1), (second_variant, 2)])
    with django_assert_max_num_queries(5):
        response = staff_client.get(reverse("staff:transfer_list"))
    rows = list(response.context["page"])
    assert len(rows) == count
    assert (rows[0].line_count, rows[0].units) == (2, 3)


def test_source_staff_ship_and_the_history_records_who(
    staff_client, shop, other_shop, associate, variant
):
    stock(variant, shop, 5)
    transfer = open_transfer(shop, other_shop, [(variant, 2)], actor=associate)
    response = staff_client.post(
        reverse("staff:transfer_ship", args=[transfer.pk]),
        {"note": "van 3"},
        follow=True,
    )
    transfer.refresh_from_db()
    assert transfer.status == TransferStatus.IN_TRANSIT
    assert level(variant, shop).on_hand == 3
    events = response.context["events"]
    assert [(e.to_status, e.actor, e.note) for e in events][-1] == (
        "in_transit",
        associate,
        "van 3",
    )
    html = response.content.decode()
    assert "Requested → <strong>In transit</strong>" in html
    assert "Giulia Bianchi" in html


def test_shipping_twice_says_it_was_already_shipped_and_changes_nothing(
    staff_client, shop, other_shop, variant
):
    """A double tap on Ship, or a colleague's tap first, is no error: the page says
    the transfer has left, and the units left once."""
    stock(variant, shop, 5)
    transfer = open_transfer(shop, other_shop, [(variant, 2)])
    url = reverse("staff:transfer_ship", args=[transfer.pk])
    assert staff_client.post(url).status_code == 302
    again = staff_client.post(url, follow=True)
    assert again.status_code == 200
    assert f"Transfer {transfer} was already shipped." in again.content.decode()
    assert 'data-testid="action-error"' not in again.content.decode()
    assert level(variant, shop).on_hand == 3
    assert transfer.events.filter(to_status=TransferStatus.IN_TRANSIT).count() == 1
    htmx = staff_client.post(url, **HTMX)
    assert htmx.status_code == 200 and htmx["HX-Redirect"] == reverse(
        "staff:transfer_detail", args=[transfer.pk]
    )


def test_shipping_a_cancelled_transfer_is_refused(
    staff_client, shop, other_shop, variant
):
    stock(variant, shop, 5)
    transfer = cancel_transfer(transfer=open_transfer(shop, other_shop, [(variant, 2)]))
    response = staff_client.post(reverse("staff:transfer_ship", args=[transfer.pk]))
    assert response.status_code == 422
    assert "cancelled" in response.context["action_error"]
    assert level(variant, shop).on_hand == 5


def test_cancelling_twice_says_it_was_already_cancelled(
    staff_client, shop, other_shop, variant
):
    stock(variant, shop, 5)
    transfer = open_transfer(shop, other_shop, [(variant, 4)])
    url = reverse("staff:transfer_cancel", args=[transfer.pk])
    staff_client.post(url)
    again = staff_client.post(url, follow=True)
    assert again.status_code == 200
    assert f"Transfer {transfer} was already cancelled." in again.content.decode()
    assert level(variant, shop).available == 5


def test_receiving_a_transfer_already_received_in_full_says_so(
    staff_client, shop, other_shop, variant
):
    """A second receipt (another tab, a colleague) after the whole transfer was
    booked books nothing and says the transfer was received."""
    stock(variant, other_shop, 5)
    transfer = ship_transfer(transfer=open_transfer(other_shop, shop, [(variant, 3)]))
    url = reverse("staff:transfer_receive", args=[transfer.pk])
    for _ in range(2):
        response = staff_client.post(
            url, {"once": once(), f"qty_{variant.pk}": "3"}, follow=True
        )
        assert response.status_code == 200
    assert f"Transfer {transfer} was already received." in response.content.decode()
    assert level(variant, shop).on_hand == 3


def test_destination_staff_cannot_ship(client, shop, other_shop, variant):
    stock(variant, shop, 5)
    transfer = open_transfer(shop, other_shop, [(variant, 2)])
    login_as(client, StaffFactory(store=other_shop))
    response = client.post(reverse("staff:transfer_ship", args=[transfer.pk]))
    assert response.status_code == 404
    transfer.refresh_from_db()
    assert transfer.status == TransferStatus.REQUESTED


def test_staff_of_an_unrelated_shop_cannot_see_or_touch_a_transfer(
    client, shop, other_shop, variant
):
    stock(variant, shop, 5)
    transfer = open_transfer(shop, other_shop, [(variant, 2)])
    login_as(client, StaffFactory(store=LocationFactory()))
    for name in ("transfer_detail",):
        assert (
            client.get(reverse(f"staff:{name}", args=[transfer.pk])).status_code == 404
        )
    for name in ("transfer_ship", "transfer_cancel", "transfer_receive"):
        assert (
            client.post(reverse(f"staff:{name}", args=[transfer.pk])).status_code == 404
        )
    transfer.refresh_from_db()
    assert transfer.status == TransferStatus.REQUESTED


def test_destination_receives_partially_then_fully(
    staff_client, shop, other_shop, associate, variant, second_variant
):
    stock(variant, other_shop, 5)
    stock(second_variant, other_shop, 5)
    transfer = ship_transfer(
        transfer=open_transfer(other_shop, shop, [(variant, 3), (second_variant, 1)])
    )
    url = reverse("staff:transfer_receive", args=[transfer.pk])
    detail = staff_client.get(reverse("staff:transfer_detail", args=[transfer.pk]))
    form = detail.context["receive_form"]
    assert form[f"qty_{variant.pk}"].value() == 3

    response = staff_client.post(
        url, {"once": once(), f"qty_{variant.pk}": "2", f"qty_{second_variant.pk}": "0"}
    )
    assert response.status_code == 302
    transfer.refresh_from_db()
    assert transfer.status == TransferStatus.PARTIALLY_RECEIVED
    assert level(variant, shop).on_hand == 2

    staff_client.post(
        url, {"once": once(), f"qty_{variant.pk}": "1", f"qty_{second_variant.pk}": "1"}
    )
    transfer.refresh_from_db()
    assert transfer.status == TransferStatus.RECEIVED
    assert (level(variant, shop).on_hand, level(second_variant, shop).on_hand) == (3, 1)
    assert transfer.events.last().actor == associate


def test_receiving_more_than_shipped_is_a_form_error(
    staff_client, shop, other_shop, variant
):
    stock(variant, other_shop, 5)
    transfer = ship_transfer(transfer=open_transfer(other_shop, shop, [(variant, 2)]))
    response = staff_client.post(
        reverse("staff:transfer_receive", args=[transfer.pk]),
        {"once": once(), f"qty_{variant.pk}": "5"},
        **HTMX,
    )
    assert response.status_code == 422
    assert "Only 2 shipped and not yet received." in response.content.decode()
    assert "<html" not in response.content.decode()
    transfer.refresh_from_db()
    assert transfer.status == TransferStatus.IN_TRANSIT
    assert not StockLevel.objects.filter(variant=variant, location=shop).exists()


def test_receiving_nothing_is_a_form_error(staff_client, shop, other_shop, variant):
    stock(variant, other_shop, 5)
    transfer = ship_transfer(transfer=open_transfer(other_shop, shop, [(variant, 2)]))
    response = staff_client.post(
        reverse("staff:transfer_receive", args=[transfer.pk]),
        {"once": once(), f"qty_{variant.pk}": "0"},
    )
    assert response.status_code == 422
    assert "Enter at least one unit" in response.content.decode()


def test_source_staff_cannot_receive(client, shop, other_shop, variant):
    stock(variant, shop, 5)
    transfer = ship_transfer(transfer=open_transfer(shop, other_shop, [(variant, 2)]))
    login_as(client, StaffFactory(store=shop))
    response = client.post(
        reverse("staff:transfer_receive", args=[transfer.pk]),
        {"once": once(), f"qty_{variant.pk}": "2"},
    )
    assert response.status_code == 404
    assert not StockLevel.objects.filter(variant=variant, location=other_shop).exists()


def test_cancelling_a_requested_transfer_gives_the_units_back(
    staff_client, shop, other_shop, variant
):
    stock(variant, shop, 5)
    transfer = open_transfer(shop, other_shop, [(variant, 4)])
    assert level(variant, shop).available == 1
    response = staff_client.post(reverse("staff:transfer_cancel", args=[transfer.pk]))
    assert response.status_code == 302
    transfer.refresh_from_db()
    assert transfer.status == TransferStatus.CANCELLED
    assert level(variant, shop).available == 5


def test_transfer_detail_shows_lines_actions_and_history(
    staff_client, shop, other_shop, associate, variant
):
    stock(variant, shop, 5)
    transfer = open_transfer(shop, other_shop, [(variant, 2)], actor=associate)
    response = staff_client.get(reverse("staff:transfer_detail", args=[transfer.pk]))
    html = response.content.decode()
    assert response.status_code == 200
    assert "SHIRT-BLU-M" in html
    assert response.context["can_ship"] and response.context["can_cancel"]
    assert response.context["receive_form"] is None
    assert "Giulia Bianchi" in html


@pytest.mark.parametrize("lines", [1, 10])
def test_transfer_detail_runs_a_fixed_number_of_queries(
    staff_client, shop, other_shop, django_assert_max_num_queries, lines
):
    items = []
    for _ in range(lines):
        v = VariantFactory()
        stock(v, other_shop, 3)
        items.append((v, 2))
    transfer = ship_transfer(transfer=open_transfer(other_shop, shop, items))
    # 7: one of them reads the shops the associate belongs to
    with django_assert_max_num_queries(7):
        response = staff_client.get(
            reverse("staff:transfer_detail", args=[transfer.pk])
        )
    assert len(response.context["receive_form"].rows) == lines


def test_a_shop_is_not_offered_as_the_destination_of_its_own_transfer(
    staff_client, shop, other_shop
):
    form = staff_client.get(reverse("staff:transfer_create")).context["form"]
    assert shop not in form.fields["destination"].queryset
    assert other_shop in form.fields["destination"].queryset


def test_a_shop_asks_another_location_for_stock(staff_client, shop, warehouse, variant):
    stock(variant, warehouse, 5)
    page = staff_client.get(reverse("staff:transfer_create"), {"direction": "in"})
    form = page.context["form"]
    assert list(form.fields["destination"].queryset) == [shop]
    assert shop not in form.fields["source"].queryset
    assert 'data-testid="transfer-destination"' in page.content.decode()

    response = staff_client.post(
        reverse("staff:transfer_create"),
        {
            "once": once(),
            "direction": "in",
            "source": warehouse.pk,
            "destination": shop.pk,
            "lines": "SHIRT-BLU-M 3",
        },
    )
    assert response.status_code == 302
    transfer = Transfer.objects.get()
    assert (transfer.source, transfer.destination) == (warehouse, shop)


def test_asking_for_stock_leaves_the_source_to_the_associate(
    staff_client, shop, warehouse, other_shop, variant
):
    """No location is picked for them (the first in the list is no better than
    any): the list opens on "Choose a location", and a request sent without one
    says so and reserves nothing."""
    stock(variant, warehouse, 5)
    page = staff_client.get(reverse("staff:transfer_create"), {"direction": "in"})
    html = page.content.decode()
    assert '<option value="" selected>Choose a location</option>' in html
    assert f'<option value="{warehouse.pk}" selected' not in html

    response = staff_client.post(
        reverse("staff:transfer_create"),
        {
            "once": once(),
            "direction": "in",
            "destination": shop.pk,
            "lines": "SHIRT-BLU-M 3",
        },
    )
    assert response.status_code == 422
    assert "Choose where the stock comes from." in response.content.decode()
    assert not Transfer.objects.exists()
    assert level(variant, warehouse).reserved == 0


def test_an_associate_asks_a_bounded_share_of_another_shops_shelf(
    staff_client, client, shop, other_shop, variant, settings
):
    """Asking cannot empty another shop: its safety stock stays, and an associate
    asks at most OMNISTORE_TRANSFER_ASK_MAX units of an item from it a day (a
    manager of another shop asks for more, its safety stock still kept)."""
    settings.OMNISTORE_TRANSFER_ASK_MAX = 5
    stock(variant, other_shop, 30)
    StockLevel.objects.filter(location=other_shop).update(safety_stock=2)

    def ask(units):
        return staff_client.post(
            reverse("staff:transfer_create"),
            {
                "once": once(),
                "direction": "in",
                "source": other_shop.pk,
                "destination": shop.pk,
                "lines": f"SHIRT-BLU-M {units}",
            },
        )

    assert ask(4).status_code == 302
    refused = ask(2)
    assert refused.status_code == 422
    assert "SHIRT-BLU-M: at most 1 more units" in refused.content.decode()
    assert ask(1).status_code == 302
    assert level(variant, other_shop).reserved == 5

    manager = StaffFactory(store=shop, role=Role.STORE_MANAGER)
    client.force_login(manager)
    wanted = {
        "once": once(),
        "direction": "in",
        "source": other_shop.pk,
        "destination": shop.pk,
        "lines": "SHIRT-BLU-M 23",
    }
    assert client.post(reverse("staff:transfer_create"), wanted).status_code == 302
    assert level(variant, other_shop).reserved == 28  # all but its safety stock


def test_unshipped_asks_count_against_the_limit_however_old(
    staff_client, shop, other_shop, variant, settings
):
    """Asks not shipped stay held at the source: a new day gives no room for more
    of the same item until they leave or are cancelled."""
    settings.OMNISTORE_TRANSFER_ASK_MAX = 5
    stock(variant, other_shop, 30)

    def ask(units):
        return staff_client.post(
            reverse("staff:transfer_create"),
            {
                "once": once(),
                "direction": "in",
                "source": other_shop.pk,
                "destination": shop.pk,
                "lines": f"SHIRT-BLU-M {units}",
            },
        )

    assert ask(5).status_code == 302
    first = Transfer.objects.get()
    Transfer.objects.filter(pk=first.pk).update(
        created_at=timezone.now() - timedelta(days=3)
    )
    refused = ask(1)
    assert refused.status_code == 422
    assert "SHIRT-BLU-M: at most 0 more units" in refused.content.decode()
    assert "5 asked in 24 hours or not shipped yet" in refused.content.decode()
    assert level(variant, other_shop).reserved == 5
    ship_transfer(transfer=first)  # on its way: the source's shelf is its own again
    assert ask(5).status_code == 302
    assert level(variant, other_shop).reserved == 5


def test_sending_their_own_shops_stock_out_is_no_ask(
    staff_client, shop, other_shop, variant, settings
):
    settings.OMNISTORE_TRANSFER_ASK_MAX = 5
    stock(variant, shop, 30)
    response = staff_client.post(
        reverse("staff:transfer_create"),
        {
            "once": once(),
            "direction": "out",
            "source": shop.pk,
            "destination": other_shop.pk,
            "lines": "SHIRT-BLU-M 21",
        },
    )
    assert response.status_code == 302
    assert Transfer.objects.get().lines.get().quantity == 21
    assert level(variant, shop).reserved == 21


def test_an_associates_ask_leaves_the_safety_stock(
    staff_client, shop, warehouse, variant
):
    stock(variant, warehouse, 5)
    StockLevel.objects.filter(location=warehouse).update(safety_stock=3)
    response = staff_client.post(
        reverse("staff:transfer_create"),
        {
            "once": once(),
            "direction": "in",
            "source": warehouse.pk,
            "destination": shop.pk,
            "lines": "SHIRT-BLU-M 3",
        },
    )
    assert response.status_code == 422
    assert not Transfer.objects.exists()
    assert level(variant, warehouse).reserved == 0


def test_asking_for_stock_cannot_send_it_elsewhere(
    staff_client, shop, other_shop, warehouse, variant
):
    stock(variant, warehouse, 5)
    response = staff_client.post(
        reverse("staff:transfer_create"),
        {
            "once": once(),
            "direction": "in",
            "source": warehouse.pk,
            "destination": other_shop.pk,
            "lines": "SHIRT-BLU-M 3",
        },
    )
    assert response.status_code == 422
    assert not Transfer.objects.exists()


def test_a_transfer_is_closed_short_with_a_reason(
    staff_client, shop, other_shop, variant, second_variant
):
    stock(variant, other_shop, 5)
    stock(second_variant, other_shop, 5)
    transfer = ship_transfer(
        transfer=open_transfer(other_shop, shop, [(variant, 3), (second_variant, 1)])
    )
    url = reverse("staff:transfer_close", args=[transfer.pk])
    refused = staff_client.post(url, {"reason": "  "})
    assert refused.status_code == 422
    assert "Say why" in refused.context["action_error"]

    staff_client.post(
        reverse("staff:transfer_receive", args=[transfer.pk]),
        {"once": once(), f"qty_{variant.pk}": "2", f"qty_{second_variant.pk}": "0"},
    )
    done = staff_client.post(url, {"reason": "Box crushed by the carrier"})

    assert done.status_code == 302
    transfer.refresh_from_db()
    assert transfer.status == TransferStatus.RECEIVED
    event = transfer.events.order_by("pk").last()
    assert "Box crushed by the carrier" in event.note
    assert (
        f"{variant.sku} ×1" in event.note and f"{second_variant.sku} ×1" in event.note
    )
    assert level(variant, shop).on_hand == 2  # what arrived, nothing more
    assert level(variant, other_shop).on_hand == 2  # shipped units left the source


def test_only_the_receiving_side_closes_a_transfer_short(
    client, shop, other_shop, variant
):
    stock(variant, shop, 5)
    transfer = ship_transfer(transfer=open_transfer(shop, other_shop, [(variant, 2)]))
    login_as(client, StaffFactory(store=shop))
    response = client.post(
        reverse("staff:transfer_close", args=[transfer.pk]), {"reason": "gone"}
    )
    assert response.status_code == 404
    transfer.refresh_from_db()
    assert transfer.status == TransferStatus.IN_TRANSIT
