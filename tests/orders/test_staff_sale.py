"""Assisted sale at the counter: scanning into a basket, attaching the buyer, tenders,
carry-out, and the endless aisle (delivery home or pickup at another shop)."""

from decimal import Decimal

import pytest
from django.urls import reverse

from customers.models import Channel, Customer
from customers.services.verification import receipt_claim_code
from inventory.models import Reservation, ReservationStatus, StockLevel
from omnistore.accounts.models import Role
from orders.models import (
    Cart,
    CartStatus,
    FulfilmentMethod,
    Order,
    OrderStatus,
    PaymentMethod,
)
from tests.customers.factories import make_customer
from tests.factories import (
    LocationFactory,
    StaffFactory,
    UserFactory,
    VariantFactory,
    WarehouseFactory,
    stock,
)
from tests.orders.factories import on_hand
from tests.orders.till_helpers import open_counter_till

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
        code="MI02",
        name="Milano Isola",
        latitude=Decimal("45.486000"),
        longitude=Decimal("9.190000"),
    )


@pytest.fixture
def warehouse():
    return WarehouseFactory(code="WH01", name="Piacenza DC")


@pytest.fixture
def associate(shop):
    return StaffFactory(store=shop, first_name="Giulia", last_name="Bianchi")


@pytest.fixture
def staff(client, associate):
    client.force_login(associate)
    open_counter_till(associate)  # cash sales book into the open till
    return client


@pytest.fixture
def shirt(shop):
    item = VariantFactory(sku="SHIRT-BLU-M", barcode="8000000000017", price="40.00")
    stock(item, shop, 5)
    return item


@pytest.fixture
def belt(shop):
    item = VariantFactory(sku="BELT-BRN", barcode="8000000000024", price="15.50")
    stock(item, shop, 2)
    return item


def scan(client, code, quantity=None):
    data = {"code": code}
    if quantity is not None:
        data["quantity"] = quantity
    return client.post(reverse("staff:sale_add"), data, **HTMX)


def basket(client) -> dict[str, int]:
    token = client.session.get("sale_cart_token")
    if not token:
        return {}
    cart = Cart.objects.get(token=token)
    return {line.variant.sku: line.quantity for line in cart.lines.all()}


def checkout(client, **data):
    payload = {"mode": "carry_out", "method_1": PaymentMethod.CASH}
    payload.update(data)
    return client.post(reverse("staff:sale_checkout"), payload, **HTMX)


# --- access ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["sale", "picking", "pickup_desk", "order_search"])
def test_order_screens_send_anonymous_visitors_to_the_login(client, name):
    response = client.get(reverse(f"staff:{name}"))
    assert response.status_code == 302
    assert reverse("staff:login") in response["Location"]


def test_customers_cannot_sell_at_the_counter(client, shirt):
    client.force_login(UserFactory(role=Role.CUSTOMER))
    response = client.post(reverse("staff:sale_add"), {"code": shirt.sku})
    assert response.status_code == 302
    assert Cart.objects.count() == 0


def test_the_navigation_links_to_sale_picking_and_pickup_desk(staff):
    html = staff.get(reverse("staff:dashboard")).content.decode()
    for name in ("sale", "picking", "pickup_desk"):
        assert f'href="{reverse(f"staff:{name}")}"' in html


# --- the basket -----------------------------------------------------------------------


def test_scanning_adds_lines_and_the_same_item_again_adds_up(staff, shirt, belt):
    assert scan(staff, shirt.barcode).status_code == 200
    assert scan(staff, "belt-brn").status_code == 200  # SKU typed in any case
    response = scan(staff, shirt.sku, quantity=2)
    assert response.status_code == 200
    assert basket(staff) == {"SHIRT-BLU-M": 3, "BELT-BRN": 1}
    html = response.content.decode()
    assert 'data-testid="basket-total"' in html
    assert "135.50" in html  # 3 × 40.00 + 15.50
    # The checkout total follows the basket without reloading the page.
    assert 'id="checkout-total" hx-swap-oob="true"' in html
    cart = Cart.objects.get(token=staff.session["sale_cart_token"])
    assert cart.channel == Channel.STORE and cart.customer_id is None


def test_the_basket_shows_units_available_here_and_warns_when_short(staff, shirt):
    scan(staff, shirt.sku, quantity=6)
    html = staff.get(reverse("staff:sale")).content.decode()
    assert 'data-testid="short-here"' in html
    assert "(5 of 6)" in html
    assert "?mode=delivery" in html and "?mode=pickup" in html


def test_an_unknown_code_is_refused_and_the_basket_is_unchanged(staff, shirt):
    scan(staff, shirt.sku)
    response = scan(staff, "NOPE-123")
    assert response.status_code == 422
    assert "No item with SKU or barcode “NOPE-123”" in response.content.decode()
    # the alert, read out when it appears, names what went wrong, not just "below"
    alert = response.content.decode().split('data-testid="form-errors"')[1]
    alert = alert.split("</div>\n</div>")[0]
    assert "No item with SKU or barcode “NOPE-123”" in alert
    assert basket(staff) == {"SHIRT-BLU-M": 1}


def test_a_retired_item_cannot_be_sold(staff, shirt):
    shirt.active = False
    shirt.save(update_fields=["active"])
    response = scan(staff, shirt.sku)
    assert response.status_code == 422
    assert "not for sale" in response.content.decode()
    assert basket(staff) == {}


def test_plus_minus_and_remove_change_a_line(staff, shirt, belt):
    scan(staff, shirt.sku)
    scan(staff, belt.sku)
    cart = Cart.objects.get(token=staff.session["sale_cart_token"])
    line = cart.lines.get(variant=shirt)
    url = reverse("staff:sale_line", args=[line.pk])
    assert staff.post(url, {"quantity": 4}, **HTMX).status_code == 200
    assert basket(staff)["SHIRT-BLU-M"] == 4
    assert staff.post(url, {"quantity": 0}, **HTMX).status_code == 200
    assert basket(staff) == {"BELT-BRN": 1}
    bad = staff.post(
        reverse("staff:sale_line", args=[cart.lines.get().pk]),
        {"quantity": 500},
        **HTMX,
    )
    assert bad.status_code == 422
    assert basket(staff) == {"BELT-BRN": 1}


def test_a_line_of_another_basket_is_not_found(staff, client, shirt, shop):
    other = Cart.objects.create(token="someone-elses", channel=Channel.STORE)
    other_line = other.lines.create(variant=shirt, quantity=1)
    scan(staff, shirt.sku)
    response = staff.post(
        reverse("staff:sale_line", args=[other_line.pk]), {"quantity": 0}, **HTMX
    )
    assert response.status_code == 404
    assert other.lines.count() == 1


# --- the customer ---------------------------------------------------------------------


def test_attaching_by_phone_in_any_format_shows_the_known_customer(staff):
    customer = make_customer(phone="333 123 4567", first_name="Pia", last_name="Moro")
    response = staff.post(
        reverse("staff:sale_customer"),
        {"kind": "phone", "value": "+39 333 1234567"},
        **HTMX,
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "Pia Moro" in html
    assert reverse("staff:customer_detail", args=[customer.pk]) in html
    assert staff.session["sale_customer"]["value"] == "+393331234567"


def test_an_email_typed_with_find_by_left_on_phone_finds_the_customer(staff):
    customer = make_customer(email="pia@example.com", first_name="Pia")
    response = staff.post(
        reverse("staff:sale_customer"),
        {"kind": "phone", "value": " Pia@Example.com "},
        **HTMX,
    )
    assert response.status_code == 200, response.content.decode()
    assert reverse("staff:customer_detail", args=[customer.pk]) in (
        response.content.decode()
    )
    attached = staff.session["sale_customer"]
    assert (attached["kind"], attached["value"]) == ("email", "pia@example.com")


def test_an_invalid_phone_or_unknown_loyalty_card_is_refused(staff):
    bad_phone = staff.post(
        reverse("staff:sale_customer"), {"kind": "phone", "value": "12"}, **HTMX
    )
    assert bad_phone.status_code == 422
    assert "not a valid phone number" in bad_phone.content.decode()
    bad_card = staff.post(
        reverse("staff:sale_customer"),
        {"kind": "loyalty", "value": "700000000000"},
        **HTMX,
    )
    assert bad_card.status_code == 422
    assert "No customer has this loyalty card" in bad_card.content.decode()
    assert "sale_customer" not in staff.session


def test_a_loyalty_card_attaches_its_owner_to_the_sale(staff, shirt):
    customer = make_customer(
        email="pia@example.com", first_name="Pia", last_name="Moro"
    )
    card = customer.loyalty_number
    response = staff.post(
        reverse("staff:sale_customer"),
        {"kind": "loyalty", "value": f"{card[:4]} {card[4:8]} {card[8:]}"},
        **HTMX,
    )
    assert response.status_code == 200
    assert "Pia Moro" in response.content.decode()
    scan(staff, shirt.sku)
    assert checkout(staff).status_code == 200
    assert Order.objects.get().customer == customer


def test_a_customer_can_be_detached(staff):
    staff.post(
        reverse("staff:sale_customer"),
        {"kind": "email", "value": "pia@example.com", "create": "1"},
        **HTMX,
    )
    assert staff.session["sale_customer"]["value"] == "pia@example.com"
    staff.post(reverse("staff:sale_customer"), {"action": "detach"}, **HTMX)
    assert "sale_customer" not in staff.session


# --- carry out ------------------------------------------------------------------------


def test_a_cash_sale_to_a_known_customer_completes_at_once(
    staff, associate, shop, shirt, belt
):
    customer = make_customer(phone="333 123 4567", first_name="Pia")
    scan(staff, shirt.sku, quantity=2)
    scan(staff, belt.barcode)
    staff.post(
        reverse("staff:sale_customer"),
        {"kind": "phone", "value": "3331234567"},
        **HTMX,
    )
    response = checkout(staff, method_1=PaymentMethod.CASH)
    assert response.status_code == 200, response.content.decode()
    order = Order.objects.get()
    assert response["HX-Redirect"] == reverse("staff:sale_receipt", args=[order.number])
    assert order.channel == Channel.STORE
    assert order.fulfilment_method == FulfilmentMethod.CARRY_OUT
    assert order.status == OrderStatus.COMPLETED
    assert order.placing_location == shop
    assert order.staff_member == associate
    assert order.customer == customer
    assert order.total == Decimal("95.50")
    assert [(p.method, p.amount) for p in order.payments.all()] == [
        (PaymentMethod.CASH, Decimal("95.50"))
    ]
    assert on_hand(shirt, shop) == 3
    assert on_hand(belt, shop) == 1
    cart = Cart.objects.get(order=order)
    assert cart.status == CartStatus.CONVERTED
    assert "sale_cart_token" not in staff.session
    assert "sale_customer" not in staff.session

    receipt = staff.get(response["HX-Redirect"])
    html = receipt.content.decode()
    assert receipt.status_code == 200
    assert order.number in html
    assert "95.50" in html and "Cash" in html
    # the profile was there before this sale: its receipt claims nothing online
    assert receipt_claim_code(order.number) not in html


def test_another_shops_associate_sees_the_receipt_without_its_claim_code(
    staff, client, other_shop, shirt
):
    scan(staff, shirt.sku)
    order_url = checkout(staff, method_1=PaymentMethod.CASH)["HX-Redirect"]
    number = Order.objects.get().number
    client.force_login(StaffFactory(store=other_shop))

    for url in (order_url, reverse("staff:receipt_print", args=[number])):
        html = client.get(url).content.decode()
        assert number in html
        assert receipt_claim_code(number) not in html
        assert 'data-testid="receipt-claim"' not in html


def test_a_walk_in_sale_needs_no_customer(staff, shirt):
    scan(staff, shirt.sku)
    response = checkout(staff, method_1=PaymentMethod.CARD_IN_STORE)
    assert response.status_code == 200
    order = Order.objects.get()
    assert order.customer is None
    assert order.payments.get().method == PaymentMethod.CARD_IN_STORE


def test_a_new_phone_creates_the_customer_with_the_name_given(staff, shirt, shop):
    scan(staff, shirt.sku)
    staff.post(
        reverse("staff:sale_customer"),
        {
            "kind": "phone",
            "value": "340 555 1212",
            "first_name": "Ugo",
            "last_name": "Neri",
        },
        **HTMX,
    )
    assert checkout(staff).status_code == 200
    customer = Customer.objects.get()
    assert (customer.first_name, customer.last_name, customer.phone) == (
        "Ugo",
        "Neri",
        "+393405551212",
    )
    assert customer.created_channel == Channel.STORE
    assert Order.objects.get().customer == customer


def test_split_tenders_must_add_up_to_the_total(staff, shop, shirt):
    scan(staff, shirt.sku)  # 40.00
    response = checkout(
        staff,
        method_1=PaymentMethod.CARD_IN_STORE,
        amount_1="25.00",
        method_2=PaymentMethod.CASH,
        amount_2="10.00",
    )
    html = response.content.decode()
    assert response.status_code == 422
    assert "The payments add up to 35.00 but the total is 40.00" in html
    assert "5.00 still to pay" in html
    assert Order.objects.count() == 0
    assert on_hand(shirt, shop) == 5

    response = checkout(
        staff,
        method_1=PaymentMethod.CARD_IN_STORE,
        amount_1="25.00",
        method_2=PaymentMethod.MOBILE_WALLET,
        amount_2="15.00",
    )
    assert response.status_code == 200
    payments = Order.objects.get().payments.order_by("id")
    assert [(p.method, p.amount) for p in payments] == [
        (PaymentMethod.CARD_IN_STORE, Decimal("25.00")),
        (PaymentMethod.MOBILE_WALLET, Decimal("15.00")),
    ]


def test_without_javascript_a_refused_checkout_shows_the_whole_sale_page(staff, shirt):
    scan(staff, shirt.sku)
    response = staff.post(
        reverse("staff:sale_checkout"),
        {"mode": "carry_out", "method_1": "cash", "amount_1": "1.00"},
    )
    html = response.content.decode()
    assert response.status_code == 422
    assert 'id="basket"' in html and 'id="sale-customer"' in html
    assert "The payments add up to 1.00 but the total is 40.00" in html
    assert Order.objects.count() == 0


def test_split_tenders_need_every_amount(staff, shirt):
    scan(staff, shirt.sku)
    response = checkout(
        staff, method_1=PaymentMethod.CASH, method_2=PaymentMethod.CARD_IN_STORE
    )
    assert response.status_code == 422
    assert "enter the amount of each" in response.content.decode()
    assert Order.objects.count() == 0


def test_checkout_of_an_empty_basket_is_refused(staff):
    response = checkout(staff)
    assert response.status_code == 422
    assert "The basket is empty" in response.content.decode()
    assert Order.objects.count() == 0


def test_short_stock_names_every_line_and_changes_nothing(staff, shop, shirt, belt):
    scan(staff, shirt.sku, quantity=7)
    scan(staff, belt.sku, quantity=3)
    response = checkout(staff)
    html = response.content.decode()
    assert response.status_code == 422
    assert "SHIRT-BLU-M: 7 asked, 5 available" in html
    assert "BELT-BRN: 3 asked, 2 available" in html
    assert Order.objects.count() == 0
    assert (on_hand(shirt, shop), on_hand(belt, shop)) == (5, 2)
    assert basket(staff) == {"SHIRT-BLU-M": 7, "BELT-BRN": 3}


def test_a_second_submit_after_the_sale_charges_nothing_more(staff, shop, shirt):
    scan(staff, shirt.sku)
    assert checkout(staff).status_code == 200
    again = checkout(staff)
    assert again.status_code == 422
    assert Order.objects.count() == 1
    assert on_hand(shirt, shop) == 4


def test_hq_sells_at_the_shop_chosen_in_the_header(client, shop, other_shop, shirt):
    stock(shirt, other_shop, 3)
    hq = UserFactory(role=Role.HQ, username="hq")
    client.force_login(hq)
    open_counter_till(hq, location=other_shop)
    client.post(reverse("staff:switch_store"), {"store": other_shop.pk})
    scan(client, shirt.sku)
    assert checkout(client).status_code == 200
    order = Order.objects.get()
    assert order.placing_location == other_shop
    assert (on_hand(shirt, shop), on_hand(shirt, other_shop)) == (5, 2)


# --- endless aisle --------------------------------------------------------------------


def attach(client, value="ada@example.com", kind="email"):
    client.post(
        reverse("staff:sale_customer"),
        {"kind": kind, "value": value, "create": "1"},
        **HTMX,
    )


ADDRESS = {
    "name": "Ada Lovelace",
    "line1": "Via Torino 1",
    "postcode": "20123",
    "city": "Milano",
    "country": "it",
}


def test_an_item_missing_here_is_delivered_home_from_the_warehouse(
    staff, associate, shop, warehouse
):
    coat = VariantFactory(sku="COAT-BLK-L", price="120.00")
    stock(coat, warehouse, 4)
    scan(staff, coat.sku)
    attach(staff)
    response = checkout(
        staff, mode="delivery", method_1=PaymentMethod.CARD_IN_STORE, **ADDRESS
    )
    assert response.status_code == 200, response.content.decode()
    order = Order.objects.get()
    assert order.channel == Channel.STORE
    assert order.fulfilment_method == FulfilmentMethod.DELIVERY
    assert order.status == OrderStatus.PLACED
    assert order.placing_location == shop and order.staff_member == associate
    assert order.email == "ada@example.com"
    fulfilment = order.fulfilments.get()
    assert fulfilment.location == warehouse
    assert fulfilment.address["line1"] == "Via Torino 1"
    assert fulfilment.address["country"] == "IT"
    held = Reservation.objects.get(reference_id=order.number)
    assert (held.location, held.quantity, held.status) == (
        warehouse,
        1,
        ReservationStatus.ACTIVE,
    )


def test_an_item_missing_here_is_sent_to_another_shop_for_pickup(
    staff, shop, other_shop, warehouse
):
    coat = VariantFactory(sku="COAT-BLK-L", price="120.00")
    stock(coat, other_shop, 2)
    scan(staff, coat.sku)
    attach(staff, "3331234567", kind="phone")
    page = staff.get(reverse("staff:sale") + "?mode=pickup").content.decode()
    assert 'data-testid="sources"' in page
    assert "Milano Isola" in page and "has everything" in page

    response = checkout(
        staff, mode="pickup", store=other_shop.pk, method_1=PaymentMethod.CASH
    )
    assert response.status_code == 200, response.content.decode()
    order = Order.objects.get()
    assert order.fulfilment_method == FulfilmentMethod.PICKUP
    fulfilment = order.fulfilments.get()
    assert (fulfilment.location, fulfilment.pickup_location) == (other_shop, other_shop)
    assert StockLevel.objects.get(variant=coat, location=other_shop).reserved == 1
    assert order.customer.phone == "+393331234567"


def test_the_chosen_mode_stays_with_the_basket_and_sources_follow_each_scan(
    staff, shop, other_shop, shirt
):
    coat = VariantFactory(sku="COAT-BLK-L")
    stock(coat, other_shop, 2)
    staff.get(reverse("staff:sale") + "?mode=pickup")
    response = scan(staff, coat.sku)
    html = response.content.decode()
    assert 'id="sale-sources" hx-swap-oob="true"' in html
    assert "Milano Isola" in html and "has everything" in html
    page = staff.get(reverse("staff:sale")).content.decode()
    assert 'name="mode" value="pickup"' in page
    assert "Milano Isola · Milano — has everything" in page  # the shop choice


def test_short_stock_at_the_counter_points_to_the_endless_aisle(staff, shop):
    coat = VariantFactory(sku="COAT-BLK-L")
    scan(staff, coat.sku)
    response = checkout(staff)
    html = response.content.decode()
    assert response.status_code == 422
    assert "COAT-BLK-L: 1 asked, 0 available" in html
    assert "deliver home or pick up at a shop" in html
    assert 'id="sale-sources" hx-swap-oob="true"' in html


def test_the_endless_aisle_needs_a_customer_and_an_address(staff, warehouse):
    coat = VariantFactory(sku="COAT-BLK-L")
    stock(coat, warehouse, 4)
    scan(staff, coat.sku)
    response = checkout(staff, mode="delivery", line1="", city="Milano")
    html = response.content.decode()
    assert response.status_code == 422
    assert "Attach the customer first" in html
    assert 'data-testid="error-line1"' in html
    assert 'data-testid="error-postcode"' in html
    assert Order.objects.count() == 0


def test_nowhere_has_enough_says_how_many_exist(staff, shop, warehouse):
    coat = VariantFactory(sku="COAT-BLK-L")
    stock(coat, warehouse, 2)
    scan(staff, coat.sku, quantity=3)
    attach(staff)
    response = checkout(staff, mode="delivery", **ADDRESS)
    assert response.status_code == 422
    assert "COAT-BLK-L: 3 asked, 2 available" in response.content.decode()
    assert Order.objects.count() == 0
    assert StockLevel.objects.get(variant=coat, location=warehouse).reserved == 0


def test_pickup_needs_a_shop_that_offers_click_and_collect(staff, shop, warehouse):
    closed = LocationFactory(code="MI03", name="No C&C", click_and_collect=False)
    coat = VariantFactory(sku="COAT-BLK-L")
    stock(coat, warehouse, 2)
    scan(staff, coat.sku)
    attach(staff)
    response = checkout(staff, mode="pickup", store=closed.pk)
    assert response.status_code == 422
    assert 'data-testid="error-store"' in response.content.decode()
    assert Order.objects.count() == 0


def test_switching_mode_renders_the_checkout_for_that_mode(staff, shirt):
    scan(staff, shirt.sku)
    response = staff.get(reverse("staff:sale_checkout") + "?mode=delivery", **HTMX)
    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="sale-checkout"' in html and 'name="line1"' in html
    full = staff.get(reverse("staff:sale_checkout") + "?mode=pickup")
    assert full.status_code == 302
    assert full["Location"].endswith("?mode=pickup")
