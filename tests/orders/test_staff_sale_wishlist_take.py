"""Sell from a customer's wishlist starts that customer's sale, or adds to the one
already theirs; it never hands a basket being rung up for someone else to them."""

import re

import pytest
from django.urls import reverse

from customers.services.wishlists import add_wishlist_item
from omnistore.core.channels import Channel
from orders.staff.views.sale_items import ALREADY_TAKEN
from tests.customers.factories import make_customer
from tests.factories import LocationFactory, StaffFactory, VariantFactory, stock

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def shop():
    return LocationFactory(name="Milano Duomo")


@pytest.fixture
def staff(client, shop):
    client.force_login(StaffFactory(store=shop))
    return client


@pytest.fixture
def items(shop):
    found = [VariantFactory(sku=sku) for sku in ("WSH-WHT-M", "WKN-ECR-L")]
    for item in found:
        stock(item, shop, 5)
    return found


@pytest.fixture
def aurora():
    return make_customer(
        email="aurora@example.com", first_name="Aurora", last_name="Schneider"
    )


@pytest.fixture
def chiara():
    return make_customer(
        email="chiara@example.com", first_name="Chiara", last_name="Verdi"
    )


def attach(client, customer):
    client.post(
        reverse("staff:sale_customer"),
        {"kind": "email", "value": customer.email},
        **HTMX,
    )


def sell_from_wishlist(client, customer, sku="WKN-ECR-L"):
    """The wishlist page's Sell button."""
    return client.post(
        reverse("staff:sale_take"),
        {"code": sku, "quantity": "1", "customer": str(customer.pk)},
        follow=True,
    )


def sale(client) -> tuple[list[str], int | None]:
    """The basket's SKUs and the attached customer's profile."""
    page = client.get(reverse("staff:sale"))
    skus = [row.line.variant.sku for row in page.context["basket"]["rows"]]
    customer = client.session.get("sale_customer") or {}
    return skus, customer.get("customer_id")


def shown(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def test_sell_for_one_customer_leaves_another_customers_sale_as_it_is(
    staff, items, aurora, chiara
):
    attach(staff, aurora)
    staff.post(reverse("staff:sale_add"), {"code": "WSH-WHT-M"}, **HTMX)

    response = sell_from_wishlist(staff, chiara)

    assert shown(response) == [
        "Finish, park or clear the sale for Aurora Schneider first: nothing was "
        "added for Chiara Verdi."
    ]
    assert sale(staff) == (["WSH-WHT-M"], aurora.pk)


def test_sell_does_not_put_a_walk_in_basket_on_the_wishlists_customer(
    staff, items, chiara
):
    staff.post(reverse("staff:sale_add"), {"code": "WSH-WHT-M"}, **HTMX)

    response = sell_from_wishlist(staff, chiara)

    assert shown(response) == [
        "Finish, park or clear the sale in progress first (it has items and no "
        "customer), or attach Chiara Verdi to it: nothing was added."
    ]
    assert sale(staff) == (["WSH-WHT-M"], None)

    # The associate was serving Chiara all along: attached, Sell adds to her sale.
    attach(staff, chiara)
    assert shown(sell_from_wishlist(staff, chiara)) == []
    assert sale(staff) == (["WSH-WHT-M", "WKN-ECR-L"], chiara.pk)


def test_sell_on_an_empty_sale_starts_it_for_the_wishlists_customer(
    staff, items, aurora, chiara
):
    attach(staff, aurora)  # attached, nothing rung up yet

    response = sell_from_wishlist(staff, chiara)

    assert shown(response) == []
    assert sale(staff) == (["WKN-ECR-L"], chiara.pk)


def test_once_the_other_sale_is_parked_sell_starts_the_customers_own(
    staff, items, aurora, chiara
):
    attach(staff, aurora)
    staff.post(reverse("staff:sale_add"), {"code": "WSH-WHT-M"}, **HTMX)
    sell_from_wishlist(staff, chiara)
    staff.post(reverse("staff:sale_park"))

    sell_from_wishlist(staff, chiara)

    assert sale(staff) == (["WKN-ECR-L"], chiara.pk)
    staff.post(reverse("staff:sale_resume", args=[0]))
    assert sale(staff) == (["WSH-WHT-M"], aurora.pk)


def test_an_attached_customer_is_replaced_only_after_removing_them(
    staff, items, aurora
):
    """The customer panel offers no attach form while someone is attached: putting
    another customer on the sale takes an explicit Remove first."""
    attach(staff, aurora)
    staff.post(reverse("staff:sale_add"), {"code": "WSH-WHT-M"}, **HTMX)

    panel = staff.get(reverse("staff:sale")).content.decode()
    section = panel.split('data-testid="sale-customer">')[1].split("</section>")[0]

    assert "Aurora Schneider" in section
    assert 'name="action" value="detach"' in section
    assert 'name="value"' not in section


def _form_fields(html: str, testid: str) -> dict[str, str]:
    """The fields of the page's form whose button has ``data-testid=testid``."""
    forms = re.findall(r"<form [^>]*>(.*?)</form>", html, re.S)
    body = next(f for f in forms if f'data-testid="{testid}"' in f)
    return dict(re.findall(r'name="(\w+)" value="([^"]*)"', body))


def units(client) -> dict[str, int]:
    page = client.get(reverse("staff:sale"))
    return {r.line.variant.sku: r.line.quantity for r in page.context["basket"]["rows"]}


def test_the_wishlist_sell_tapped_twice_adds_the_item_once(staff, items, aurora):
    add_wishlist_item(customer=aurora, variant=items[1], channel=Channel.WEB)
    page = staff.get(reverse("staff:customer_wishlists", args=[aurora.pk]))
    fields = _form_fields(page.content.decode(), "sell-WKN-ECR-L")
    assert fields["once"]

    first = staff.post(reverse("staff:sale_take"), fields, follow=True)
    again = staff.post(reverse("staff:sale_take"), fields, follow=True)

    assert shown(first) == []
    assert shown(again) == [ALREADY_TAKEN]
    assert units(staff) == {"WKN-ECR-L": 1}
    # The page drawn again has a new token: selling it once more adds a unit.
    page = staff.get(reverse("staff:customer_wishlists", args=[aurora.pk]))
    staff.post(
        reverse("staff:sale_take"),
        _form_fields(page.content.decode(), "sell-WKN-ECR-L"),
    )
    assert units(staff) == {"WKN-ECR-L": 2}


def test_a_refused_sell_gives_its_token_back(staff, items, aurora, chiara):
    add_wishlist_item(customer=chiara, variant=items[1], channel=Channel.WEB)
    page = staff.get(reverse("staff:customer_wishlists", args=[chiara.pk]))
    fields = _form_fields(page.content.decode(), "sell-WKN-ECR-L")
    attach(staff, aurora)
    staff.post(reverse("staff:sale_add"), {"code": "WSH-WHT-M"}, **HTMX)
    refused = staff.post(reverse("staff:sale_take"), fields, follow=True)
    assert "nothing was added for Chiara Verdi" in shown(refused)[0]

    staff.post(reverse("staff:sale_clear"), follow=True)
    again = staff.post(reverse("staff:sale_take"), fields, follow=True)

    assert ALREADY_TAKEN not in shown(again)
    assert sale(staff) == (["WKN-ECR-L"], chiara.pk)


def test_order_for_the_customer_tapped_twice_still_opens_deliver_home(staff, items):
    page = staff.get(reverse("staff:stock_variant", args=[items[0].pk]))
    fields = _form_fields(page.content.decode(), "order-for-customer")

    staff.post(reverse("staff:sale_take"), fields)
    again = staff.post(reverse("staff:sale_take"), fields)

    assert again["Location"] == reverse("staff:sale") + "?mode=delivery"
    assert units(staff) == {"WSH-WHT-M": 1}


@pytest.mark.parametrize("testid", ["add-to-sale", "order-for-customer"])
def test_the_item_page_buttons_tapped_twice_add_the_item_once(staff, items, testid):
    page = staff.get(reverse("staff:stock_variant", args=[items[0].pk]))
    fields = _form_fields(page.content.decode(), testid)

    staff.post(reverse("staff:sale_take"), fields)
    again = staff.post(reverse("staff:sale_take"), fields, follow=True)

    assert shown(again) == [ALREADY_TAKEN]
    assert units(staff) == {"WSH-WHT-M": 1}
