"""One tablet sending several counter-sale requests at once (quick scans while the
customer form is sent): each change is kept, and the basket is one cart."""

import pytest
from django.test import Client
from django.urls import reverse

from orders.models import Cart, CartStatus
from tests.concurrency import run_parallel
from tests.factories import LocationFactory, StaffFactory, VariantFactory, stock
from tests.orders.till_helpers import open_counter_till

HTMX = {"HTTP_HX_REQUEST": "true"}

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def same_device(signed_in: Client) -> Client:
    """Another request of the same browser: the same session cookie."""
    other = Client()
    other.cookies = signed_in.cookies
    return other


def test_scans_and_the_customer_sent_at_once_are_all_kept_in_one_basket():
    shop = LocationFactory(code="MI01")
    associate = StaffFactory(store=shop)
    items = [VariantFactory(sku=f"SHIRT-{size}") for size in ("S", "M", "L")]
    for item in items:
        stock(item, shop, 5)
    open_counter_till(associate)
    tablet = Client()
    tablet.force_login(associate)

    def scan(item):
        return lambda: same_device(tablet).post(
            reverse("staff:sale_add"), {"code": item.sku}, **HTMX
        )

    def attach():
        return same_device(tablet).post(
            reverse("staff:sale_customer"),
            {"kind": "email", "value": "ada@example.com", "first_name": "Ada"},
            **HTMX,
        )

    answers = run_parallel([scan(item) for item in items] + [attach])

    assert [a.status_code for a in answers] == [200, 200, 200, 200], answers
    session = tablet.session
    carts = Cart.objects.filter(channel="store", status=CartStatus.OPEN)
    assert carts.count() == 1
    cart = carts.get()
    assert session["sale_cart_token"] == cart.token
    assert sorted(cart.lines.values_list("variant__sku", flat=True)) == [
        "SHIRT-L",
        "SHIRT-M",
        "SHIRT-S",
    ]
    assert session["sale_customer"]["value"] == "ada@example.com"
    page = tablet.get(reverse("staff:sale")).content.decode()
    assert "ada@example.com" in page and "SHIRT-L" in page
