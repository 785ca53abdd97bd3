"""Staff order work: picking, the pickup desk, the order page, shop scoping, the
dashboard and customer panels, and fixed query counts on the lists."""

from decimal import Decimal

import pytest
from django.core import mail
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from customers.models import Channel
from inventory.models import StockLevel
from omnistore.accounts.models import Role
from omnistore.core import outbox
from orders.models import CANCELLABLE_STATUSES, Order, OrderStatus, PaymentStatus
from orders.selectors.orders import order_by_id
from orders.selectors.pickups import pickup_qr_payload
from orders.services.checkout import place_order
from orders.services.fulfilment import mark_picked
from orders.services.payments import PaymentRequest
from orders.services.pickups import collect_order
from orders.services.refunds import receive_return, refund_return
from orders.services.returns import ReturnLineRequest, request_return
from orders.staff.views import picking as picking_views
from orders.staff.views.panels import customer_orders_panel
from tests.customers.factories import make_customer
from tests.factories import (
    LocationFactory,
    StaffFactory,
    UserFactory,
    VariantFactory,
    WarehouseFactory,
    stock,
)
from tests.orders.factories import delivery_order, pickup_order, ready_order

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def shop():
    return LocationFactory(
        code="MI01",
        name="Milano Centro",
        latitude=Decimal("45.464200"),
        longitude=Decimal("9.190000"),
        ships_online_orders=True,
    )


@pytest.fixture
def other_shop():
    return LocationFactory(
        code="RM01",
        name="Roma Termini",
        latitude=Decimal("41.902800"),
        longitude=Decimal("12.496400"),
    )


@pytest.fixture
def associate(shop):
    return StaffFactory(store=shop, first_name="Giulia", last_name="Bianchi")


@pytest.fixture
def staff(client, associate):
    client.force_login(associate)
    return client


@pytest.fixture
def stranger(client, other_shop):
    """An associate of another shop."""
    client.force_login(StaffFactory(store=other_shop, username="marco"))
    return client


@pytest.fixture
def shirt(shop, other_shop):
    item = VariantFactory(sku="SHIRT-BLU-M", barcode="8000000000017", price="40.00")
    stock(item, shop, 10)
    stock(item, other_shop, 10)
    return item


def level(variant, location) -> StockLevel:
    return StockLevel.objects.get(variant=variant, location=location)


def refresh(order):
    return order_by_id(order.pk)


# --- picking --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "back", ["Infinity", "-1", "staff:dashboard", "//evil.example"]
)
def test_a_step_sent_with_no_page_to_go_back_to_leads_to_the_order(
    staff, shop, shirt, back
):
    """A ``next`` that is no page of this site (a bare word would be taken for a
    view's name) leads to the order's page; the step is done once."""
    order = pickup_order(store=shop, lines=[(shirt, 1)])
    done = staff.post(reverse("staff:order_pick", args=[order.number]), {"next": back})
    assert done.status_code == 302
    assert done["Location"] == reverse("staff:order_detail", args=[order.number])
    ready = staff.post(
        reverse("staff:order_ready", args=[order.number]),
        {"next": back},
        HTTP_HX_REQUEST="true",
    )
    assert ready["HX-Redirect"] == reverse("staff:order_detail", args=[order.number])
    assert refresh(order).status == OrderStatus.READY


def test_picking_lists_pickups_here_and_deliveries_sourced_here(
    staff, shop, other_shop, shirt
):
    here = pickup_order(store=shop, lines=[(shirt, 2)])
    shipped_from_here = delivery_order(lines=[(shirt, 1)], email="bo@example.com")
    elsewhere = pickup_order(store=other_shop, lines=[(shirt, 1)])
    response = staff.get(reverse("staff:picking"))
    html = response.content.decode()
    assert response.status_code == 200
    assert f'data-testid="pick-{here.number}"' in html
    assert f'data-testid="pick-{shipped_from_here.number}"' in html
    assert elsewhere.number not in html
    assert "8000000000017" in html  # the barcode to scan at the shelf
    summary = response.context["summary"]
    assert [(row["sku"], row["units"]) for row in summary] == [("SHIRT-BLU-M", 3)]


def test_pick_then_ready_issues_a_code_and_emails_the_customer(
    staff, associate, shop, shirt
):
    order = pickup_order(store=shop, lines=[(shirt, 2)], email="ada@example.com")
    picked = staff.post(
        reverse("staff:order_pick", args=[order.number]),
        {"from": "picking", "next": reverse("staff:picking")},
    )
    assert picked.status_code == 302
    assert picked["Location"] == reverse("staff:picking")
    order = refresh(order)
    assert order.status == OrderStatus.PICKED
    change = order.history.last()
    assert (change.from_status, change.to_status, change.actor, change.location) == (
        OrderStatus.PLACED,
        OrderStatus.PICKED,
        associate,
        shop,
    )
    page = staff.get(reverse("staff:picking")).content.decode()
    assert f'data-testid="ready-{order.number}"' in page

    staff.post(reverse("staff:order_ready", args=[order.number]))
    order = refresh(order)
    assert order.status == OrderStatus.READY
    assert len(order.pickup_code) == 8
    assert order.pickup_expires_at is not None
    outbox.drain()
    ready = [m for m in mail.outbox if "ready for pickup" in m.subject]
    assert len(ready) == 1
    assert ready[0].to == ["ada@example.com"]
    assert order.pickup_code in ready[0].body


def test_a_delivery_sourced_here_is_shipped_with_its_tracking_number(
    staff, shop, shirt
):
    order = delivery_order(lines=[(shirt, 2)])
    assert order.fulfilments.get().location == shop
    staff.post(reverse("staff:order_pick", args=[order.number]))
    page = staff.get(reverse("staff:picking")).content.decode()
    assert f'data-testid="ship-{order.number}"' in page
    assert f'id="carrier-{order.number}" name="carrier"' in page
    response = staff.post(
        reverse("staff:order_ship", args=[order.number]),
        {"carrier": "gls", "tracking_reference": "BRT-123", "from": "picking"},
    )
    assert response.status_code == 302
    order = refresh(order)
    assert order.status == OrderStatus.SHIPPED
    part = order.fulfilments.get()
    assert (part.carrier, part.tracking_reference) == ("gls", "BRT-123")
    assert part.tracking_url.endswith("BRT-123")
    stock_here = level(shirt, shop)
    assert (stock_here.on_hand, stock_here.reserved) == (8, 0)


def test_a_refused_step_is_shown_on_the_picking_list_and_changes_nothing(
    staff, shop, shirt
):
    order = pickup_order(store=shop, lines=[(shirt, 1)])
    response = staff.post(
        reverse("staff:order_ready", args=[order.number]), {"from": "picking"}
    )
    assert response.status_code == 422
    assert 'data-testid="action-error"' in response.content.decode()
    assert (
        "the order is placed and cannot become ready for pickup"
        in response.content.decode()
    )
    assert refresh(order).status == OrderStatus.PLACED


def test_a_pickup_waiting_for_a_transfer_is_shown_as_on_the_way(staff, shop):
    warehouse = WarehouseFactory(code="WH01", name="Piacenza DC")
    coat = VariantFactory(sku="COAT-BLK-L")
    stock(coat, warehouse, 5)
    order = pickup_order(store=shop, lines=[(coat, 1)])
    response = staff.get(reverse("staff:picking"))
    html = response.content.decode()
    assert 'data-testid="awaiting"' in html
    assert order.number in html
    assert [o.number for o in response.context["to_pick"]] == []


@pytest.fixture
def five_to_pick(shop, shirt, monkeypatch):
    """Five orders to pick, oldest first, on pages of three."""
    monkeypatch.setattr(picking_views, "PICKING_PAGE_SIZE", 3)
    return [pickup_order(store=shop, lines=[(shirt, 1)]).number for _ in range(5)]


def _to_pick(response) -> list[str]:
    return [order.number for order in response.context["to_pick"]]


def test_picking_pages_the_orders_to_pick_oldest_first_with_the_total(
    staff, five_to_pick
):
    first = staff.get(reverse("staff:picking"))
    second = staff.get(reverse("staff:picking"), {"page": 2})

    assert _to_pick(first) == five_to_pick[:3]
    assert _to_pick(second) == five_to_pick[3:]
    for response in (first, second):
        html = response.content.decode()
        assert 'data-testid="to-pick-count">5</span>' in html
        assert "Page " in html and " of 2" in html
    assert [r["units"] for r in first.context["summary"]] == [3]  # this page's units
    assert 'href="/staff/orders/picking/?page=2"' in first.content.decode()
    assert 'name="next" value="/staff/orders/picking/?page=2"' in (
        second.content.decode()
    )


@pytest.mark.parametrize(
    "page, shown",
    [("0", "last"), ("-1", "last"), ("x", "first"), (str(10**20), "last")],
)
def test_a_bad_picking_page_shows_the_first_or_last_page(
    staff, five_to_pick, page, shown
):
    response = staff.get(reverse("staff:picking"), {"page": page})

    assert response.status_code == 200
    expected = five_to_pick[:3] if shown == "first" else five_to_pick[3:]
    assert _to_pick(response) == expected


def test_picked_and_on_the_way_show_their_oldest_with_the_total(
    staff, shop, shirt, monkeypatch
):
    """A shop with more picked orders than a page holds lists the oldest, says how
    many there are, and the next come up as the first are handed over."""
    monkeypatch.setattr(picking_views, "PICKING_PAGE_SIZE", 3)
    stock(shirt, shop, 10)
    picked = [pickup_order(store=shop, lines=[(shirt, 1)]) for _ in range(5)]
    for order in picked:
        mark_picked(order=order)

    response = staff.get(reverse("staff:picking"))
    html = response.content.decode()
    assert [o.number for o in response.context["to_ready"]] == [
        o.number for o in picked[:3]
    ]
    assert 'data-testid="picked-count">5</span>' in html
    assert "The oldest 3 of 5" in html

    staff.post(
        reverse("staff:order_ready", args=[picked[0].number]), {"from": "picking"}
    )
    response = staff.get(reverse("staff:picking"))
    assert [o.number for o in response.context["to_ready"]] == [
        o.number for o in picked[1:4]
    ]
    assert 'data-testid="picked-count">4</span>' in response.content.decode()


def test_a_step_refused_on_a_later_page_shows_that_page_again(staff, five_to_pick):
    response = staff.post(
        reverse("staff:order_ready", args=[five_to_pick[4]]),
        {"from": "picking", "page": "2"},
    )

    assert response.status_code == 422
    assert _to_pick(response) == five_to_pick[3:]
    # the pager leads back to the list, not to the address the form was sent to
    assert 'href="/staff/orders/picking/?page=1"' in response.content.decode()


# --- scoping --------------------------------------------------------------------------


def test_another_shop_may_look_at_an_order_but_not_act_on_it(stranger, shop, shirt):
    order = pickup_order(store=shop, lines=[(shirt, 1)])
    page = stranger.get(reverse("staff:order_detail", args=[order.number]))
    html = page.content.decode()
    assert page.status_code == 200
    assert order.number in html
    assert 'data-testid="order-actions"' not in html
    assert 'data-testid="view-only"' in html
    for name in ("order_pick", "order_ready", "order_ship", "order_cancel"):
        response = stranger.post(
            reverse(f"staff:{name}", args=[order.number]), {"reason": "no"}
        )
        assert response.status_code == 404, name
    assert (
        stranger.get(reverse("staff:pickup_collect", args=[order.number])).status_code
        == 404
    )
    assert refresh(order).status == OrderStatus.PLACED


def test_the_shop_sending_a_transfer_does_not_pick_or_hand_over_the_order(
    stranger, shop, other_shop
):
    other_shop.ships_online_orders = True
    other_shop.save(update_fields=["ships_online_orders"])
    coat = VariantFactory(sku="COAT-BLK-L")
    stock(coat, other_shop, 3)
    order = pickup_order(store=shop, lines=[(coat, 1)])
    fulfilment = order.fulfilments.get()
    assert (fulfilment.location, fulfilment.pickup_location) == (other_shop, shop)
    assert fulfilment.transfer_id is not None
    for name in ("order_pick", "order_ready"):
        response = stranger.post(reverse(f"staff:{name}", args=[order.number]))
        assert response.status_code == 404, name
    collect = reverse("staff:pickup_collect", args=[order.number])
    assert stranger.get(collect).status_code == 404
    # nor cancels it, nor sends its receipt: the order is the pickup shop's
    cancel = reverse("staff:order_cancel", args=[order.number])
    assert stranger.post(cancel, {"reason": "not ours"}).status_code == 404
    email = reverse("staff:receipt_email", args=[order.number])
    assert stranger.post(email).status_code == 404
    page = stranger.get(reverse("staff:order_detail", args=[order.number]))
    assert page.status_code == 200 and cancel not in page.content.decode()
    assert refresh(order).status == OrderStatus.PLACED


def test_hq_acts_on_any_shops_order(client, other_shop, shirt):
    order = pickup_order(store=other_shop, lines=[(shirt, 1)])
    client.force_login(UserFactory(role=Role.HQ, username="hq"))
    client.post(reverse("staff:order_pick", args=[order.number]))
    order = refresh(order)
    assert order.status == OrderStatus.PICKED
    assert order.history.last().location == other_shop


def test_unknown_order_numbers_are_not_found(staff):
    assert staff.get(reverse("staff:order_detail", args=["OS-NOPE"])).status_code == 404
    assert staff.post(reverse("staff:order_pick", args=["OS-NOPE"])).status_code == 404


def test_order_search_finds_an_order_by_part_of_its_number(stranger, shop, shirt):
    first = pickup_order(store=shop, lines=[(shirt, 1)])
    second = pickup_order(store=shop, lines=[(shirt, 1)])
    search = reverse("staff:order_search")
    tail = first.number.rsplit("-", 1)[1]  # the last group, read off a receipt
    response = stranger.get(search, {"q": tail.lower()})
    assert response.status_code == 302
    assert response["Location"] == reverse("staff:order_detail", args=[first.number])
    # a part both numbers hold lists them, newest first
    Order.objects.filter(pk=second.pk).update(number="OS-AAAAA-" + tail[:4] + "Z")
    Order.objects.filter(pk=first.pk).update(number="OS-BBBBB-" + tail[:4] + "Y")
    page = stranger.get(search, {"q": tail[:4] + " "}).content.decode()
    assert 'data-testid="order-not-found"' in page  # four characters are too few
    assert "type at least 5 characters" in page
    assert "No order number is or holds" not in page
    page = stranger.get(search, {"q": "-" + tail[:4]}).content.decode()
    assert 'data-testid="order-matches"' in page
    assert page.index("OS-AAAAA-") < page.index("OS-BBBBB-")


def test_order_search_opens_any_order_by_number(stranger, shop, shirt):
    order = pickup_order(store=shop, lines=[(shirt, 1)])
    response = stranger.get(reverse("staff:order_search"), {"q": order.number.lower()})
    assert response.status_code == 302
    assert response["Location"] == reverse("staff:order_detail", args=[order.number])
    missing = stranger.get(reverse("staff:order_search"), {"q": "OS-XXXXX-XXXXX"})
    assert 'data-testid="order-not-found"' in missing.content.decode()


# --- pickup desk ----------------------------------------------------------------------


def test_the_pickup_desk_lists_orders_ready_here_with_their_expiry(
    staff, shop, other_shop, shirt
):
    customer = make_customer(phone="333 123 4567", first_name="Pia", last_name="Moro")
    mine = ready_order(store=shop, lines=[(shirt, 2)], customer=customer)
    not_ready = pickup_order(store=shop, lines=[(shirt, 1)])
    elsewhere = ready_order(store=other_shop, lines=[(shirt, 1)])
    response = staff.get(reverse("staff:pickup_desk"))
    html = response.content.decode()
    assert [o.number for o in response.context["orders"]] == [mine.number]
    assert not_ready.number not in html and elsewhere.number not in html
    expires = timezone.localtime(refresh(mine).pickup_expires_at)
    assert expires.strftime("%-d %b") in html


@pytest.mark.parametrize(
    "query", ["Pia", "moro pia", "+39 333 123 4567", "3331234567", "pia@example.com"]
)
def test_the_pickup_desk_finds_an_order_by_customer_name_phone_or_email(
    staff, shop, shirt, query
):
    customer = make_customer(
        phone="333 123 4567",
        email="pia@example.com",
        first_name="Pia",
        last_name="Moro",
    )
    wanted = ready_order(store=shop, lines=[(shirt, 1)], customer=customer)
    ready_order(store=shop, lines=[(shirt, 1)], email="someone@example.com")
    response = staff.get(reverse("staff:pickup_desk"), {"q": query}, **HTMX)
    assert response.status_code == 200
    assert [o.number for o in response.context["orders"]] == [wanted.number]


@pytest.mark.parametrize("query", ["lucia", "FERNANDEZ lucía", "Lucía Fernández"])
def test_the_pickup_desk_finds_a_name_whatever_its_accents(staff, shop, shirt, query):
    customer = make_customer(
        email="lucia@example.com", first_name="Lucía", last_name="Fernández"
    )
    wanted = ready_order(store=shop, lines=[(shirt, 1)], customer=customer)
    other = make_customer(
        email="luca@example.com", first_name="Luca", last_name="Ferri"
    )
    ready_order(store=shop, lines=[(shirt, 1)], customer=other)
    response = staff.get(reverse("staff:pickup_desk"), {"q": query}, **HTMX)
    assert [o.number for o in response.context["orders"]] == [wanted.number]


def test_a_scanned_qr_or_typed_number_opens_the_order(staff, shop, shirt):
    order = refresh(ready_order(store=shop, lines=[(shirt, 1)]))
    for query in (order.number, pickup_qr_payload(order)):
        response = staff.get(reverse("staff:pickup_desk"), {"q": query})
        assert response.status_code == 302
        assert response["Location"] == reverse(
            "staff:pickup_collect", args=[order.number]
        )


def test_a_wrong_code_changes_nothing_and_the_right_code_hands_over(
    staff, associate, shop, shirt
):
    order = refresh(ready_order(store=shop, lines=[(shirt, 2)]))
    url = reverse("staff:pickup_collect", args=[order.number])
    page = staff.get(url)
    assert page.status_code == 200
    assert 'data-testid="pickup-expiry"' in page.content.decode()

    wrong = staff.post(url, {"code": "WRONG1"}, **HTMX)
    assert wrong.status_code == 422
    assert "Wrong pickup code" in wrong.content.decode()
    assert refresh(order).status == OrderStatus.READY
    assert (level(shirt, shop).on_hand, level(shirt, shop).reserved) == (10, 2)

    right = staff.post(url, {"code": order.pickup_code.lower()}, **HTMX)
    assert right.status_code == 200
    assert 'data-testid="collected"' in right.content.decode()
    order = refresh(order)
    assert order.status == OrderStatus.COLLECTED
    change = order.history.last()
    assert (change.actor, change.location, change.note) == (
        associate,
        shop,
        "Pickup code verified",
    )
    assert (level(shirt, shop).on_hand, level(shirt, shop).reserved) == (8, 0)


def test_a_lost_code_needs_a_note_of_the_identity_checked(staff, shop, shirt):
    """With the note, a manager approves the hand-over: tests/approvals."""
    order = ready_order(store=shop, lines=[(shirt, 1)])
    url = reverse("staff:pickup_collect", args=[order.number])
    refused = staff.post(url, {"identity_checked": "on"}, **HTMX)
    assert refused.status_code == 422
    assert "Say how the customer" in refused.content.decode()
    assert refresh(order).status == OrderStatus.READY
    empty = staff.post(url, {"code": ""}, **HTMX)
    assert empty.status_code == 422
    assert "Enter the pickup code" in empty.content.decode()


def test_an_order_already_collected_cannot_be_handed_over_twice(staff, shop, shirt):
    order = refresh(ready_order(store=shop, lines=[(shirt, 1)]))
    url = reverse("staff:pickup_collect", args=[order.number])
    staff.post(url, {"code": order.pickup_code})
    again = staff.post(url, {"code": order.pickup_code}, **HTMX)
    assert again.status_code == 422
    page = staff.get(url).content.decode()
    assert 'data-testid="not-ready"' in page
    assert level(shirt, shop).on_hand == 9


# --- order page -----------------------------------------------------------------------


def test_the_order_page_shows_lines_payments_fulfilments_and_history(
    staff, associate, shop, shirt
):
    order = ready_order(store=shop, lines=[(shirt, 2)], staff=associate)
    response = staff.get(reverse("staff:order_detail", args=[order.number]))
    html = response.content.decode()
    assert response.status_code == 200
    for testid in ("order-lines", "payments", "fulfilments", "order-history"):
        assert f'data-testid="{testid}"' in html
    history = [(c.from_status, c.to_status) for c in response.context["history"]]
    assert history == [("", "placed"), ("placed", "picked"), ("picked", "ready")]
    assert "Giulia Bianchi" in html
    assert "Card online" in html and "80.00" in html


def test_cancel_with_a_reason_refunds_and_records_it(staff, associate, shop, shirt):
    order = pickup_order(store=shop, lines=[(shirt, 2)])
    url = reverse("staff:order_cancel", args=[order.number])
    refused = staff.post(url, {"reason": "  "}, **HTMX)
    assert refused.status_code == 422
    assert "Say why the order is cancelled" in refused.content.decode()
    assert refresh(order).status == OrderStatus.PLACED

    done = staff.post(url, {"reason": "Customer changed their mind"}, **HTMX)
    assert done.status_code == 200
    assert done["HX-Redirect"] == reverse("staff:order_detail", args=[order.number])
    order = refresh(order)
    assert order.status == OrderStatus.CANCELLED
    change = order.history.last()
    assert (change.actor, change.note) == (associate, "Customer changed their mind")
    assert order.payments.get().status == PaymentStatus.REFUNDED
    assert level(shirt, shop).reserved == 0
    page = staff.get(reverse("staff:order_detail", args=[order.number]))
    assert 'data-testid="refunds"' in page.content.decode()


def test_cancelling_a_collected_order_is_refused_on_the_page(staff, shop, shirt):
    order = refresh(ready_order(store=shop, lines=[(shirt, 1)]))
    collect_order(order=order, actor=None, code=order.pickup_code)
    response = staff.post(
        reverse("staff:order_cancel", args=[order.number]), {"reason": "late"}
    )
    assert response.status_code == 422
    assert (
        "the order is collected and cannot become cancelled"
        in response.content.decode()
    )
    # Where the associate goes instead: the goods come back as a return.
    assert "take them back at the returns desk" in response.content.decode()
    assert refresh(order).status == OrderStatus.COLLECTED


def test_the_cancel_button_shows_exactly_where_cancelling_is_accepted(
    staff, associate, shop, shirt
):
    """The page offers to cancel from the statuses ``cancel_order`` accepts, no more."""
    placed = pickup_order(store=shop, lines=[(shirt, 1)])
    picked = pickup_order(store=shop, lines=[(shirt, 1)])
    mark_picked(order=picked, actor=associate, location=shop)
    ready = refresh(ready_order(store=shop, lines=[(shirt, 1)]))
    collected = refresh(ready_order(store=shop, lines=[(shirt, 1)]))
    collect_order(order=collected, actor=None, code=collected.pickup_code)
    cancelled = pickup_order(store=shop, lines=[(shirt, 1)])
    staff.post(reverse("staff:order_cancel", args=[cancelled.number]), {"reason": "x"})
    shown = {}
    for order in (placed, picked, ready, collected, cancelled):
        page = staff.get(reverse("staff:order_detail", args=[order.number]))
        shown[refresh(order).status] = page.context["can_cancel"]
    assert shown == {
        OrderStatus.PLACED: True,
        OrderStatus.PICKED: True,
        OrderStatus.READY: True,
        OrderStatus.COLLECTED: False,
        OrderStatus.CANCELLED: False,
    }
    assert {status for status, can in shown.items() if can} == CANCELLABLE_STATUSES


def test_the_placing_shop_may_cancel_an_endless_aisle_order(staff, associate, shop):
    warehouse = WarehouseFactory(code="WH01", name="Piacenza DC")
    coat = VariantFactory(sku="COAT-BLK-L")
    stock(coat, warehouse, 3)
    order = delivery_order(
        lines=[(coat, 1)],
        channel=Channel.STORE,
        placing_location=shop,
        staff=associate,
        payments=[PaymentRequest(method="card_in_store")],
    )
    assert order.fulfilments.get().location == warehouse
    response = staff.post(
        reverse("staff:order_cancel", args=[order.number]), {"reason": "Wrong size"}
    )
    assert response.status_code == 302
    assert refresh(order).status == OrderStatus.CANCELLED


# --- panels ---------------------------------------------------------------------------


def test_the_dashboard_counts_orders_to_pick_and_pickups_waiting(staff, shop, shirt):
    pickup_order(store=shop, lines=[(shirt, 1)])
    pickup_order(store=shop, lines=[(shirt, 1)])
    ready_order(store=shop, lines=[(shirt, 1)])
    response = staff.get(reverse("staff:dashboard"))
    assert response.context["order_work"] == {
        "orders_to_pick": 2,
        "picked_waiting": 0,
        "pickups_waiting": 1,
        "returns_waiting": 0,
    }
    html = response.content.decode()
    assert 'data-testid="orders-to-pick"' in html
    assert 'data-testid="pickups-waiting"' in html
    # and an order is found from the dashboard too
    assert f'action="{reverse("staff:order_search")}"' in html


def test_the_dashboard_counts_returns_received_here_and_not_yet_refunded(
    staff, associate, shop, shirt
):
    from tests.orders.returns_helpers import collected_order, shopper

    _user, customer = shopper()
    order = collected_order(store=shop, lines=[(shirt, 1)], customer=customer)
    line = order.lines.get()
    ret = request_return(
        order=order,
        lines=[ReturnLineRequest(order_line=line.pk, quantity=1)],
        channel=Channel.STORE,
        actor=associate,
        location=shop,
    )
    receive_return(return_request=ret, location=shop, actor=associate)
    response = staff.get(reverse("staff:dashboard"))
    assert response.context["order_work"]["returns_waiting"] == 1
    assert 'data-testid="returns-waiting"' in response.content.decode()
    refund_return(return_request=ret, actor=associate, location=shop)
    response = staff.get(reverse("staff:dashboard"))
    assert response.context["order_work"]["returns_waiting"] == 0


def test_the_customer_page_lists_orders_from_every_channel(staff, shop, shirt):
    customer = make_customer(email="pia@example.com", first_name="Pia")
    online = pickup_order(store=shop, lines=[(shirt, 1)], customer=customer)
    in_store = place_order(
        lines=[(shirt, 1)],
        channel=Channel.STORE,
        fulfilment="carry_out",
        placing_location=shop,
        customer=customer,
        payments=[PaymentRequest(method="cash")],
    )
    response = staff.get(reverse("staff:customer_detail", args=[customer.pk]))
    html = response.content.decode()
    assert 'data-testid="customer-orders"' in html
    assert online.number in html and in_store.number in html
    assert reverse("staff:order_detail", args=[in_store.number]) in html


# --- query counts ---------------------------------------------------------------------


@pytest.mark.parametrize("count", [1, 6])
def test_the_picking_list_costs_the_same_queries_for_any_length(
    staff, shop, shirt, django_assert_max_num_queries, count, monkeypatch
):
    """Every section filled: to pick (more than a page of it when many), picked
    (ready and ship) and on the way."""
    monkeypatch.setattr(picking_views, "PICKING_PAGE_SIZE", 4)
    warehouse = WarehouseFactory(code="WH01", name="Piacenza DC")
    coat = VariantFactory(sku="COAT-BLK-L")
    stock(coat, warehouse, 20)
    stock(shirt, shop, 30)
    for _ in range(count):
        pickup_order(store=shop, lines=[(shirt, 1)])
        mark_picked(order=pickup_order(store=shop, lines=[(shirt, 1)]))
        mark_picked(order=delivery_order(lines=[(shirt, 1)]))
        pickup_order(store=shop, lines=[(coat, 1)])
    staff.get(reverse("staff:picking"))  # a session's first request notes its time
    # 14: 13, and the locations the associate belongs to (a warehouse among them
    # would have a section); and a count of two full sections
    with django_assert_max_num_queries(16):
        response = staff.get(reverse("staff:picking"))
    context = response.context
    assert len(context["to_pick"]) == min(count, 4)
    assert context["page"].paginator.count == count
    shown = len(context["to_ready"]) + len(context["to_ship"])
    assert (shown, context["picked_count"]) == (min(2 * count, 4), 2 * count)
    assert len(context["awaiting"]) == min(count, 4)
    assert context["awaiting_count"] == count


@pytest.mark.parametrize("count", [1, 12])
def test_the_customer_orders_panel_costs_two_queries_for_any_history(
    rf, associate, shop, shirt, django_assert_max_num_queries, count
):
    customer = make_customer(email="pia@example.com")
    stock(shirt, shop, 20)
    for _ in range(count):
        pickup_order(store=shop, lines=[(shirt, 1)], customer=customer)
    request = rf.get("/staff/customers/")
    request.user = associate
    with django_assert_max_num_queries(2):
        panel = customer_orders_panel(request, customer)
        html = render_to_string(panel["template"], {"panel": panel})
    assert html.count('href="/staff/orders/OS-') == min(count, 10)
    assert panel["more"] is (count > 10)


@pytest.mark.parametrize("count", [1, 6])
def test_the_pickup_desk_costs_the_same_queries_for_any_length(
    staff, shop, shirt, django_assert_max_num_queries, count
):
    for _ in range(count):
        ready_order(store=shop, lines=[(shirt, 1)])
    with django_assert_max_num_queries(6):
        response = staff.get(reverse("staff:pickup_desk"))
    assert len(response.context["orders"]) == count


@pytest.mark.parametrize("lines", [1, 6])
def test_the_order_page_costs_the_same_queries_for_any_size(
    staff, shop, django_assert_max_num_queries, lines
):
    variants = [VariantFactory(price="10.00") for _ in range(lines)]
    for variant in variants:
        stock(variant, shop, 3)
    order = ready_order(store=shop, lines=[(v, 1) for v in variants])
    # 11: the page lists its invoices, and reads the shops the associate belongs to;
    # 3 more: the order's returns, and what it gave back (payments, store credit)
    with django_assert_max_num_queries(14):
        response = staff.get(reverse("staff:order_detail", args=[order.number]))
    assert len(response.context["lines"]) == lines


def test_a_step_tapped_twice_says_it_was_already_taken(staff, shop, shirt):
    """A double tap on Pick or Ready (or a colleague's tap first) is not an error:
    the order stays as the first tap left it and the page says so."""
    order = pickup_order(store=shop, lines=[(shirt, 1)], email="ada@example.com")
    for url, status, said in (
        ("staff:order_pick", OrderStatus.PICKED, "was already picked"),
        ("staff:order_ready", OrderStatus.READY, "was already ready"),
    ):
        staff.post(reverse(url, args=[order.number]))
        code = refresh(order).pickup_code
        again = staff.post(reverse(url, args=[order.number]), follow=True)
        assert again.status_code == 200
        assert f"Order {order.number} {said}" in again.content.decode()
        assert refresh(order).status == status
        assert refresh(order).pickup_code == code


def test_ship_tapped_twice_says_it_was_already_shipped(staff, shop, shirt):
    """A double tap on Ship (or a colleague's tap first) is not an error: the order
    is shipped once, its stock leaves once, and the second tap says so."""
    order = delivery_order(lines=[(shirt, 2)])
    staff.post(reverse("staff:order_pick", args=[order.number]))
    url = reverse("staff:order_ship", args=[order.number])
    sent = {"tracking_reference": "BRT-1", "from": "picking"}
    assert staff.post(url, sent).status_code == 302
    again = staff.post(url, sent, follow=True)
    assert again.status_code == 200
    html = again.content.decode()
    assert f"Order {order.number} was already shipped." in html
    assert 'data-testid="action-error"' not in html
    assert refresh(order).status == OrderStatus.SHIPPED
    assert (level(shirt, shop).on_hand, level(shirt, shop).reserved) == (8, 0)
    assert refresh(order).history.filter(to_status=OrderStatus.SHIPPED).count() == 1
