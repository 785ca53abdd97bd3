"""Staff stock screens: lookup, receive / adjust / count, transfers, low stock."""

from decimal import Decimal

import pytest
from django.urls import reverse

from inventory.models import (
    MovementReason,
    StockLevel,
    StockMovement,
    Transfer,
    TransferStatus,
)
from inventory.services.ledger import StockRequest
from inventory.services.reservations import reserve_stock
from inventory.services.transfers import (
    cancel_transfer,
    request_transfer,
    ship_transfer,
)
from omnistore.accounts.models import Role
from omnistore.staff.auth import SESSION_STORE_KEY
from tests.factories import (
    LocationFactory,
    ProductFactory,
    StaffFactory,
    UserFactory,
    VariantFactory,
    WarehouseFactory,
    stock,
)

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def shop():
    return LocationFactory(
        code="MI01",
        name="Milano Centro",
        latitude=Decimal("45.464200"),
        longitude=Decimal("9.190000"),
    )


@pytest.fixture
def other_shop():
    return LocationFactory(
        code="RM01",
        name="Roma Termini",
        city="Roma",
        latitude=Decimal("41.902800"),
        longitude=Decimal("12.496400"),
    )


@pytest.fixture
def warehouse():
    return WarehouseFactory(
        code="WH01",
        name="Piacenza DC",
        latitude=Decimal("45.052600"),
        longitude=Decimal("9.692900"),
    )


@pytest.fixture
def associate(shop):
    return StaffFactory(store=shop, first_name="Giulia", last_name="Bianchi")


@pytest.fixture
def staff_client(client, associate):
    client.force_login(associate)
    return client


@pytest.fixture
def variant():
    return VariantFactory(
        sku="SHIRT-BLU-M",
        barcode="8000000000017",
        product=ProductFactory(name="Oxford shirt"),
    )


def level(variant, location) -> StockLevel:
    return StockLevel.objects.get(variant=variant, location=location)


def login_as(client, user):
    client.force_login(user)
    return client


# --- access ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["stock_lookup", "stock_receive", "transfer_list"])
def test_stock_pages_send_anonymous_visitors_to_the_login(client, name):
    response = client.get(reverse(f"staff:{name}"))
    assert response.status_code == 302
    assert reverse("staff:login") in response["Location"]


def test_customers_cannot_use_the_stock_screens(client):
    login_as(client, UserFactory(role=Role.CUSTOMER))
    response = client.get(reverse("staff:stock_lookup"))
    assert response.status_code == 302
    assert reverse("staff:login") in response["Location"]


# --- lookup ---------------------------------------------------------------------------


def test_lookup_page_has_a_live_search_box(staff_client):
    response = staff_client.get(reverse("staff:stock_lookup"))
    html = response.content.decode()
    assert response.status_code == 200
    assert 'name="q"' in html
    assert f'hx-get="{reverse("staff:stock_lookup")}"' in html
    assert 'hx-target="#lookup-results"' in html


def test_lookup_by_name_lists_units_here_and_elsewhere(
    staff_client, shop, other_shop, variant
):
    stock(variant, shop, 4)
    stock(variant, other_shop, 7)
    sibling = VariantFactory(product=variant.product, sku="SHIRT-BLU-L", size="L")
    response = staff_client.get(reverse("staff:stock_lookup"), {"q": "oxford"})
    assert response.status_code == 200
    rows = {
        v.sku: (here, elsewhere) for v, here, elsewhere in response.context["results"]
    }
    assert rows == {"SHIRT-BLU-M": (4, 7), sibling.sku: (0, 0)}
    assert "<html" in response.content.decode()


def test_live_search_answers_with_the_results_fragment_only(staff_client, variant):
    response = staff_client.get(reverse("staff:stock_lookup"), {"q": "Oxford"}, **HTMX)
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html
    assert "SHIRT-BLU-M" in html
    assert reverse("staff:stock_variant", args=[variant.pk]) in html


def test_a_scanned_barcode_opens_the_item_straight_away(staff_client, variant):
    response = staff_client.get(reverse("staff:stock_lookup"), {"q": "8000000000017"})
    assert response.status_code == 302
    assert response["Location"] == reverse("staff:stock_variant", args=[variant.pk])


def test_an_exact_sku_in_any_case_opens_the_item(staff_client, variant):
    response = staff_client.get(reverse("staff:stock_lookup"), {"q": " shirt-blu-m "})
    assert response["Location"] == reverse("staff:stock_variant", args=[variant.pk])


def test_live_search_on_an_exact_code_shows_it_without_jumping(staff_client, variant):
    response = staff_client.get(
        reverse("staff:stock_lookup"), {"q": "8000000000017"}, **HTMX
    )
    assert response.status_code == 200
    assert "Exact match" in response.content.decode()


def test_lookup_says_when_nothing_matches(staff_client, variant):
    response = staff_client.get(reverse("staff:stock_lookup"), {"q": "no-such-thing"})
    assert response.status_code == 200
    assert "Nothing matches" in response.content.decode()


@pytest.mark.parametrize("count", [2, 12])
def test_lookup_runs_a_fixed_number_of_queries(
    staff_client, shop, other_shop, django_assert_max_num_queries, count
):
    for _ in range(count):
        v = VariantFactory(product=ProductFactory(name="Linen trousers"))
        stock(v, shop, 2)
        stock(v, other_shop, 3)
    with django_assert_max_num_queries(6):
        response = staff_client.get(reverse("staff:stock_lookup"), {"q": "linen"})
    assert len(response.context["results"]) == count


# --- variant detail -------------------------------------------------------------------


def test_variant_page_shows_this_shop_first_then_others_with_distance(
    staff_client, shop, other_shop, warehouse, variant
):
    stock(variant, shop, 5)
    reserve_stock(
        requests=[StockRequest(variant.pk, shop.pk, 2)],
        reference_type="order",
        reference_id="42",
    )
    stock(variant, other_shop, 3)
    stock(variant, warehouse, 40)
    response = staff_client.get(reverse("staff:stock_variant", args=[variant.pk]))
    assert response.status_code == 200
    here = response.context["here"]
    assert (here.location, here.on_hand, here.reserved, here.available) == (
        shop,
        5,
        2,
        3,
    )
    others = {
        lvl.location.code: (lvl.available, km) for lvl, km in response.context["others"]
    }
    assert others["RM01"][0] == 3
    assert 470 < others["RM01"][1] < 490  # Milano → Roma
    assert others["WH01"][0] == 40
    assert 40 < others["WH01"][1] < 75  # Milano → Piacenza
    html = response.content.decode()
    assert html.index("Here · Milano Centro") < html.index("Roma Termini")
    assert "here-card" in html
    assert [m.reason for m in response.context["movements"]] == [
        MovementReason.RESERVATION,
        MovementReason.RECEIPT,
    ]


def test_variant_page_lists_locations_with_stock_nearest_first(
    staff_client, shop, other_shop, warehouse, variant
):
    stock(variant, other_shop, 1)
    stock(variant, warehouse, 1)
    empty_near = LocationFactory(code="MI02", name="Milano Nord")
    StockLevel.objects.create(variant=variant, location=empty_near)
    response = staff_client.get(reverse("staff:stock_variant", args=[variant.pk]))
    order = [lvl.location.code for lvl, _ in response.context["others"]]
    assert order == ["WH01", "RM01", "MI02"]


def test_variant_page_shows_zero_here_when_the_shop_never_had_it(
    staff_client, shop, other_shop, variant
):
    stock(variant, other_shop, 3)
    response = staff_client.get(reverse("staff:stock_variant", args=[variant.pk]))
    here = response.context["here"]
    assert here.location == shop
    assert (here.on_hand, here.available) == (0, 0)
    assert "out of stock" in response.content.decode()


def test_unknown_variant_is_404(staff_client):
    assert (
        staff_client.get(reverse("staff:stock_variant", args=[999999])).status_code
        == 404
    )


def test_hq_sees_the_shop_chosen_in_the_header_as_here(
    client, shop, other_shop, variant
):
    stock(variant, shop, 1)
    stock(variant, other_shop, 6)
    login_as(client, UserFactory(role=Role.HQ))
    session = client.session
    session[SESSION_STORE_KEY] = other_shop.pk
    session.save()
    response = client.get(reverse("staff:stock_variant", args=[variant.pk]))
    assert response.context["here"].location == other_shop
    assert response.context["here"].on_hand == 6


@pytest.mark.parametrize("locations", [2, 12])
def test_variant_page_runs_a_fixed_number_of_queries(
    staff_client, shop, variant, django_assert_max_num_queries, locations
):
    stock(variant, shop, 3)
    for _ in range(locations):
        stock(variant, LocationFactory(), 2)
    with django_assert_max_num_queries(6):
        response = staff_client.get(reverse("staff:stock_variant", args=[variant.pk]))
    assert len(response.context["others"]) == locations


# --- receive, adjust, count -----------------------------------------------------------


def test_receiving_adds_units_at_the_staff_shop_and_says_so(
    staff_client, shop, associate, variant
):
    response = staff_client.post(
        reverse("staff:stock_receive"),
        {"code": "SHIRT-BLU-M", "quantity": "6", "note": "DDT 123"},
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
        {"code": "8000000000017", "quantity": "3"},
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
    response = staff_client.post(reverse("staff:stock_receive"), data, **HTMX)
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
        {"code": "SHIRT-BLU-M", "delta": "-2", "reason": "damage", "note": "torn seam"},
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
        reverse("staff:stock_adjust"), {"code": "SHIRT-BLU-M", **data}, **HTMX
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
        {"code": "SHIRT-BLU-M", "delta": "-3", "reason": "damage", "note": "broken"},
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
        reverse("staff:stock_count"), {"code": "SHIRT-BLU-M", "counted": "3"}, **HTMX
    )
    assert response.status_code == 200
    assert level(variant, shop).on_hand == 3
    move = StockMovement.objects.filter(variant=variant).first()
    assert (move.reason, move.delta_on_hand) == (MovementReason.COUNT, -2)


def test_a_count_below_the_reserved_units_is_a_form_error(staff_client, shop, variant):
    stock(variant, shop, 5)
    reserve_stock(
        requests=[StockRequest(variant.pk, shop.pk, 4)],
        reference_type="order",
        reference_id="8",
    )
    response = staff_client.post(
        reverse("staff:stock_count"), {"code": "SHIRT-BLU-M", "counted": "1"}, **HTMX
    )
    assert response.status_code == 422
    assert "At least 4 (reserved units)." in response.context["form"].errors["counted"]
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
        reverse("staff:stock_receive"), {"code": "SHIRT-BLU-M", "quantity": "2"}
    )
    assert level(variant, other_shop).on_hand == 2
    assert not StockLevel.objects.filter(location=shop).exists()


# --- transfers ------------------------------------------------------------------------


@pytest.fixture
def second_variant():
    return VariantFactory(sku="SOCK-RED", barcode="8000000000024")


def open_transfer(source, destination, lines, actor=None):
    return request_transfer(
        source=source, destination=destination, lines=lines, actor=actor
    )


def test_staff_request_a_transfer_of_several_lines_from_their_shop(
    staff_client, shop, other_shop, associate, variant, second_variant
):
    stock(variant, shop, 10)
    stock(second_variant, shop, 10)
    response = staff_client.post(
        reverse("staff:transfer_create"),
        {
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
        {"source": shop.pk, "destination": other_shop.pk, "lines": "SHIRT-BLU-M 1"},
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
        {"source": shop.pk, "destination": target, "lines": lines},
        **HTMX,
    )
    assert response.status_code == 422
    errors = " ".join(response.context["form"].errors[field])
    assert message in errors
    assert Transfer.objects.count() == 0
    assert level(variant, shop).reserved == 0


def test_a_transfer_beyond_the_stock_at_the_source_is_a_form_error(
    staff_client, shop, other_shop, variant
):
    stock(variant, shop, 1)
    response = staff_client.post(
        reverse("staff:transfer_create"),
        {"source": shop.pk, "destination": other_shop.pk, "lines": "SHIRT-BLU-M 4"},
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
        {"source": warehouse.pk, "destination": shop.pk, "lines": "SHIRT-BLU-M 1"},
    )
    assert response.status_code == 422
    assert "source" in response.context["form"].errors
    assert Transfer.objects.count() == 0


def test_hq_may_request_from_any_location(client, shop, warehouse, variant):
    stock(variant, warehouse, 5)
    login_as(client, UserFactory(role=Role.HQ))
    response = client.post(
        reverse("staff:transfer_create"),
        {"source": warehouse.pk, "destination": shop.pk, "lines": "SHIRT-BLU-M 4"},
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


def test_shipping_twice_shows_the_refusal_and_changes_nothing(
    staff_client, shop, other_shop, variant
):
    stock(variant, shop, 5)
    transfer = ship_transfer(transfer=open_transfer(shop, other_shop, [(variant, 2)]))
    response = staff_client.post(reverse("staff:transfer_ship", args=[transfer.pk]))
    assert response.status_code == 422
    assert "cannot go from" in response.context["action_error"]
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
        url, {f"qty_{variant.pk}": "2", f"qty_{second_variant.pk}": "0"}
    )
    assert response.status_code == 302
    transfer.refresh_from_db()
    assert transfer.status == TransferStatus.PARTIALLY_RECEIVED
    assert level(variant, shop).on_hand == 2

    staff_client.post(url, {f"qty_{variant.pk}": "1", f"qty_{second_variant.pk}": "1"})
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
        {f"qty_{variant.pk}": "5"},
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
        {f"qty_{variant.pk}": "0"},
    )
    assert response.status_code == 422
    assert "Enter at least one unit" in response.content.decode()


def test_source_staff_cannot_receive(client, shop, other_shop, variant):
    stock(variant, shop, 5)
    transfer = ship_transfer(transfer=open_transfer(shop, other_shop, [(variant, 2)]))
    login_as(client, StaffFactory(store=shop))
    response = client.post(
        reverse("staff:transfer_receive", args=[transfer.pk]),
        {f"qty_{variant.pk}": "2"},
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
    with django_assert_max_num_queries(6):
        response = staff_client.get(
            reverse("staff:transfer_detail", args=[transfer.pk])
        )
    assert len(response.context["receive_form"].rows) == lines


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
    with django_assert_max_num_queries(5):
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
