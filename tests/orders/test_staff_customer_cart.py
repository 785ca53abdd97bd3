"""The customer page shows the cart the customer filled on the website or the app, so
an associate can sell it in the shop: each line with its price in the cart's market
and the units this shop has, "Add to sale" and "Add all to sale" putting the items
into the associate's sale with the customer attached. The cart itself stays the
customer's, unchanged; a line is found only in the page's customer's open cart."""

import re

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from customers.services.erasure import erase_customer
from orders.models import Cart, CartLine
from orders.staff.views.cart_panel import (
    ALREADY_TAKEN,
    CART_GONE,
    ERASED,
    NOTHING_SOLD,
    customer_cart_panel,
)
from tests.customers.factories import make_customer
from tests.factories import StaffFactory, stock
from tests.orders.factories import in_francs, shop, stocked
from tests.orders.returns_helpers import shopper

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def milano():
    return shop(code="MI01", name="Milano Duomo", country="IT")


@pytest.fixture
def associate(milano):
    return StaffFactory(store=milano)


@pytest.fixture
def staff(client, associate):
    client.force_login(associate)
    return client


@pytest.fixture
def items(milano):
    """A shirt with 5 units here, a knit with 1."""
    shirt = stocked(milano, 5, price="59.90", sku="WSH-WHT-M", colour="White")
    knit = stocked(milano, 1, price="89.00", sku="WKN-ECR-L", size="L")
    return shirt, knit


def online(user) -> APIClient:
    """The website or the app, signed in as ``user``."""
    client = APIClient()
    token, _ = Token.objects.get_or_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


def fill_cart(user, *lines) -> list[int]:
    """The customer adds ``(variant, units)`` to their cart online; the lines' ids."""
    body = online(user).post(
        "/api/v1/cart/lines/",
        {"lines": [{"variant": v.pk, "quantity": q} for v, q in lines]},
        format="json",
    )
    assert body.status_code == 201, body.json()
    return [line["id"] for line in body.json()["lines"]]


@pytest.fixture
def ada():
    return shopper("ada@example.com")


@pytest.fixture
def bea():
    return shopper("bea@example.com")


def page(client, customer) -> str:
    response = client.get(reverse("staff:customer_detail", args=[customer.pk]))
    assert response.status_code == 200
    return response.content.decode()


def card(html: str) -> str:
    return html.split('data-testid="customer-cart"')[1].split("</section>")[0]


def rows(html: str) -> dict[str, str]:
    """Each line of the card by SKU."""
    found = {}
    for part in card(html).split('data-testid="cart-line" data-sku="')[1:]:
        sku, _, rest = part.partition('"')
        found[sku] = rest.split("</tr>")[0]
    return found


def take(client, customer, line):
    return client.post(
        reverse("staff:sale_take_cart", args=[customer.pk]), {"line": str(line)}
    )


def sale(client) -> tuple[list[tuple[str, int]], int | None]:
    """The sale's basket (SKU, units) and the attached customer's profile."""
    basket = client.get(reverse("staff:sale")).context["basket"]["rows"]
    attached = client.session.get("sale_customer") or {}
    lines = [(row.line.variant.sku, row.line.quantity) for row in basket]
    return lines, attached.get("customer_id")


def cart_of(customer) -> list[tuple[str, int]]:
    cart = Cart.objects.get(customer=customer, status="open")
    return [(line.variant.sku, line.quantity) for line in cart.lines.order_by("id")]


def test_the_page_shows_the_online_cart_with_prices_and_units_here(staff, ada, items):
    user, customer = ada
    shirt, knit = items
    fill_cart(user, (shirt, 2), (knit, 3))

    html = page(staff, customer)

    shown = rows(html)
    assert list(shown) == ["WSH-WHT-M", "WKN-ECR-L"]
    assert 'data-testid="cart-units">2<' in shown["WSH-WHT-M"]
    assert 'data-testid="cart-price">59.90 EUR<' in shown["WSH-WHT-M"]
    assert "White" in shown["WSH-WHT-M"] and "· L" in shown["WKN-ECR-L"]
    assert ">5</span>" in shown["WSH-WHT-M"] and "available here" in shown["WSH-WHT-M"]
    assert ">1</span>" in shown["WKN-ECR-L"] and "only 1 here" in shown["WKN-ECR-L"]
    assert 'data-testid="cart-take-WKN-ECR-L"' in shown["WKN-ECR-L"]
    assert 'data-testid="cart-take-all"' in card(html)
    assert "The customer's cart online is not changed." in card(html)


def test_units_here_are_those_the_stock_lookup_shows_for_the_shop(
    staff, ada, items, milano
):
    """What the stock lookup shows for this shop: on hand less what is held."""
    user, customer = ada
    shirt, _ = items
    fill_cart(user, (shirt, 1))
    other = shop(code="TO01", name="Torino")
    stock(shirt, other, 40)  # another shop's units are not here

    lookup = staff.get(reverse("staff:stock_lookup"), {"q": "WSH-WHT-M"}, **HTMX)
    (_, here, _elsewhere), *_ = lookup.context["results"]

    assert here == 5
    assert ">5</span>" in rows(page(staff, customer))["WSH-WHT-M"]


def test_the_cart_is_priced_in_the_customers_market_online(staff, ada, milano):
    """A customer of the Zürich shop sees francs online: so does the card."""
    user, customer = ada
    zurich = shop(code="ZH01", name="Zürich Bahnhofstrasse", country="CH")
    shirt = in_francs(stocked(milano, 5, price="59.90", sku="WSH-WHT-M"), "62.90")
    patched = online(user).patch(
        "/api/v1/me/", {"preferred_store": zurich.pk}, format="json"
    )
    assert patched.status_code == 200, patched.json()
    fill_cart(user, (shirt, 1))

    html = page(staff, customer)

    assert 'data-testid="cart-price">62.90 CHF<' in rows(html)["WSH-WHT-M"]
    assert "rings them up at this shop's prices, in EUR" in card(html)


def test_no_card_without_a_cart_or_with_an_emptied_one(staff, ada, items):
    user, customer = ada
    assert 'data-testid="customer-cart"' not in page(staff, customer)

    (line,) = fill_cart(user, (items[0], 1))
    assert 'data-testid="customer-cart"' in page(staff, customer)

    assert online(user).delete(f"/api/v1/cart/lines/{line}/").status_code == 200
    assert 'data-testid="customer-cart"' not in page(staff, customer)


def test_add_to_sale_puts_the_line_in_the_sale_for_the_customer(staff, ada, items):
    user, customer = ada
    shirt, knit = items
    _, knit_line = fill_cart(user, (shirt, 2), (knit, 3))

    response = take(staff, customer, knit_line)

    assert response.status_code == 302
    assert response["Location"] == reverse("staff:sale")
    assert sale(staff) == ([("WKN-ECR-L", 3)], customer.pk)
    assert cart_of(customer) == [("WSH-WHT-M", 2), ("WKN-ECR-L", 3)]  # unchanged


def test_add_all_to_sale_puts_every_line_in_the_sale_for_the_customer(
    staff, ada, items
):
    user, customer = ada
    shirt, knit = items
    fill_cart(user, (shirt, 2), (knit, 1))

    take(staff, customer, "all")

    assert sale(staff) == ([("WSH-WHT-M", 2), ("WKN-ECR-L", 1)], customer.pk)
    assert cart_of(customer) == [("WSH-WHT-M", 2), ("WKN-ECR-L", 1)]  # unchanged


def test_a_sale_being_rung_up_for_someone_else_is_left_alone(staff, ada, items):
    """As a wishlist's Sell: the associate finishes, parks or clears it first."""
    user, customer = ada
    shirt, knit = items
    fill_cart(user, (knit, 1))
    chiara = make_customer(email="chiara@example.com", first_name="Chiara")
    staff.post(
        reverse("staff:sale_customer"),
        {"kind": "email", "value": "chiara@example.com"},
        **HTMX,
    )
    staff.post(reverse("staff:sale_add"), {"code": "WSH-WHT-M"}, **HTMX)

    response = take(staff, customer, "all")

    assert response["Location"] == reverse("staff:sale")
    assert sale(staff) == ([("WSH-WHT-M", 1)], chiara.pk)


def test_another_customers_line_or_one_not_in_the_cart_is_not_found(
    staff, ada, bea, items
):
    user, customer = ada
    shirt, knit = items
    fill_cart(user, (shirt, 1))
    (beas_line,) = fill_cart(bea[0], (knit, 1))
    staff.post(reverse("staff:sale_add"), {"code": "WKN-ECR-L"}, **HTMX)
    basket_line = CartLine.objects.get(cart__customer__isnull=True).pk

    for line in (beas_line, basket_line, 99999999999999999999, "x", ""):
        assert take(staff, customer, line).status_code == 404, line
    assert take(staff, bea[1], beas_line).status_code == 302  # hers, on her page
    unknown = reverse("staff:sale_take_cart", args=[99999999])
    assert staff.post(unknown, {"line": "all"}).status_code == 404


def test_an_item_no_longer_sold_stays_on_the_card_without_add(staff, ada, items):
    user, customer = ada
    shirt, knit = items
    fill_cart(user, (shirt, 1), (knit, 1))
    knit.active = False
    knit.save(update_fields=["active"])

    html = page(staff, customer)

    assert "No longer sold" in rows(html)["WKN-ECR-L"]
    assert 'data-testid="cart-take-WKN-ECR-L"' not in html
    take(staff, customer, "all")
    assert sale(staff) == ([("WSH-WHT-M", 1)], customer.pk)


@pytest.mark.parametrize("count", [2, 12])
def test_the_card_costs_a_fixed_number_of_queries(
    rf, ada, bea, associate, milano, django_assert_num_queries, tax_table_kept, count
):
    user, customer = ada
    fill_cart(user, *[(stocked(milano, 3), 1) for _ in range(count)])
    request = rf.get("/")
    request.user = associate
    request.user.store  # noqa: B018 - the signed-in user arrives with their shop
    customer.preferred_store  # noqa: B018 - the page reads the profile with its shop

    # lines with their items, pictures, units here (the market sells at the
    # catalogue's prices: no price list read)
    with django_assert_num_queries(3):
        panel = customer_cart_panel(request, customer)
    assert len(panel["cart"].lines) == count

    with django_assert_num_queries(1):  # no cart: the lines' query alone
        assert customer_cart_panel(request, bea[1]) is None


def tokens(html: str) -> dict[str, str]:
    """Each of the card's forms' sent-once token, by the ``line`` it posts."""
    found = {}
    for form in card(html).split("<form")[1:]:
        line = re.search(r'name="line" value="([^"]+)"', form).group(1)
        found[line] = re.search(r'name="once" value="([^"]+)"', form).group(1)
    return found


def send(client, customer, line, once):
    """A form of the card as the page drew it: its line and its token."""
    return client.post(
        reverse("staff:sale_take_cart", args=[customer.pk]),
        {"line": str(line), "once": once},
        follow=True,
    )


def said(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_each_form_of_the_card_carries_its_own_token(staff, ada, items):
    user, customer = ada
    shirt, knit = items
    shirt_line, knit_line = fill_cart(user, (shirt, 1), (knit, 1))

    found = tokens(page(staff, customer))

    assert set(found) == {str(shirt_line), str(knit_line), "all"}
    assert len(set(found.values())) == 3


@pytest.mark.parametrize("which", ["all", "line"])
def test_the_same_form_sent_twice_adds_its_items_once(staff, ada, items, which):
    """A double tap on "Add all to sale" or "Add to sale" puts the units in once."""
    user, customer = ada
    shirt, knit = items
    shirt_line, _ = fill_cart(user, (shirt, 2), (knit, 1))
    line = "all" if which == "all" else shirt_line
    once = tokens(page(staff, customer))[str(line)]

    first = send(staff, customer, line, once)
    again = send(staff, customer, line, once)

    assert first.redirect_chain[-1][0] == reverse("staff:sale")
    assert again.redirect_chain[-1][0] == reverse("staff:sale")
    assert ALREADY_TAKEN in said(again)
    taken = (
        [("WSH-WHT-M", 2), ("WKN-ECR-L", 1)] if which == "all" else [("WSH-WHT-M", 2)]
    )
    assert sale(staff) == (taken, customer.pk)


def test_another_form_of_the_same_page_still_adds(staff, ada, items):
    user, customer = ada
    shirt, knit = items
    shirt_line, knit_line = fill_cart(user, (shirt, 2), (knit, 1))
    found = tokens(page(staff, customer))

    send(staff, customer, shirt_line, found[str(shirt_line)])
    send(staff, customer, knit_line, found[str(knit_line)])

    assert sale(staff) == ([("WSH-WHT-M", 2), ("WKN-ECR-L", 1)], customer.pk)


def test_a_form_the_sale_refused_may_be_sent_again(staff, ada, items):
    """Refused for a sale in progress for someone else, the same form adds its
    items once that sale is cleared."""
    user, customer = ada
    shirt, knit = items
    fill_cart(user, (knit, 1))
    once = tokens(page(staff, customer))["all"]
    staff.post(reverse("staff:sale_add"), {"code": "WSH-WHT-M"}, **HTMX)

    refused = send(staff, customer, "all", once)
    assert any("Finish, park or clear the sale" in m for m in said(refused))
    staff.post(reverse("staff:sale_clear"))
    send(staff, customer, "all", once)

    assert sale(staff) == ([("WKN-ECR-L", 1)], customer.pk)


def test_an_erased_profile_shows_no_card_and_sells_nothing_from_it(staff, ada, items):
    user, customer = ada
    shirt, _ = items
    (line,) = fill_cart(user, (shirt, 1))
    erase_customer(customer=customer, reason="Asked to be forgotten")

    assert 'data-testid="customer-cart"' not in page(staff, customer)
    for chosen in ("all", line):
        response = take(staff, customer, chosen)
        assert response["Location"] == reverse(
            "staff:customer_detail", args=[customer.pk]
        )
        assert ERASED in said(response)
    assert sale(staff) == ([], None)  # no walk-in sale made of it


def test_add_all_after_the_customer_checked_out_says_the_cart_is_gone(
    staff, ada, items, milano
):
    user, customer = ada
    shirt, _ = items
    fill_cart(user, (shirt, 1))
    once = tokens(page(staff, customer))["all"]
    checkout = online(user).post(
        "/api/v1/checkout/",
        {
            "fulfilment": "pickup",
            "store": milano.pk,
            "payment": {"method": "card_online", "token": "tok_visa"},
        },
        format="json",
    )
    assert checkout.status_code == 201, checkout.json()

    response = send(staff, customer, "all", once)

    assert response.redirect_chain[-1][0] == reverse(
        "staff:customer_detail", args=[customer.pk]
    )
    assert said(response) == [CART_GONE]
    assert sale(staff) == ([], None)


def test_add_all_with_nothing_still_sold_says_so(staff, ada, items):
    user, customer = ada
    _, knit = items
    fill_cart(user, (knit, 1))
    knit.active = False
    knit.save(update_fields=["active"])

    response = take(staff, customer, "all")

    assert said(response) == [NOTHING_SOLD]
