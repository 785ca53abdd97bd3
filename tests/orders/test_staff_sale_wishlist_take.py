"""Sell from a customer's wishlist starts that customer's sale, or adds to the one
already theirs; it never hands a basket being rung up for someone else to them."""

import pytest
from django.urls import reverse

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
