"""Sign out ends the session, and with it the sale in progress and every parked
sale: while there is one, the header's Sign out asks first and says what goes;
with none, it signs out at once."""

import html
import re

import pytest
from django.urls import reverse

from tests.factories import LocationFactory, StaffFactory, VariantFactory, stock

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_cache")]

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def shop():
    return LocationFactory(code="MI01", name="Milano Centro")


@pytest.fixture
def staff(client, shop):
    client.force_login(StaffFactory(store=shop))
    return client


@pytest.fixture
def coat(shop):
    item = VariantFactory(sku="COAT-BLK-L", price="120.00")
    stock(item, shop, 20)
    return item


def sign_out_question(page: str) -> str | None:
    """What the header's Sign out asks before it is sent (None: nothing)."""
    form = re.search(r'<form id="sign-out"[^>]*>', page).group(0)
    question = re.search(r'data-confirm="([^"]*)"', form)
    return html.unescape(question.group(1)) if question else None


def page(client, name="staff:dashboard") -> str:
    return client.get(reverse(name)).content.decode()


def scan(client, coat):
    response = client.post(reverse("staff:sale_add"), {"code": coat.sku}, **HTMX)
    assert response.status_code == 200
    return response.content.decode()


def test_with_no_sale_kept_sign_out_asks_nothing(staff):
    assert sign_out_question(page(staff)) is None
    assert sign_out_question(page(staff, "staff:sale")) is None


def test_a_parked_sale_and_the_one_in_progress_are_named_before_sign_out(staff, coat):
    scan(staff, coat)
    staff.post(reverse("staff:sale_park"))
    assert sign_out_question(page(staff)) == (
        "1 parked sale is dropped when you sign out. Sign out?"
    )
    scan(staff, coat)
    staff.post(reverse("staff:sale_park"))
    scan(staff, coat)
    assert sign_out_question(page(staff, "staff:sale")) == (
        "A sale in progress and 2 parked sales are dropped when you sign out. Sign out?"
    )


def test_the_first_scan_makes_sign_out_ask_on_the_sale_page_itself(staff, coat):
    """The basket changes in place (HTMX): the header's Sign out comes with it."""
    basket = scan(staff, coat)
    assert 'id="sign-out"' in basket and 'hx-swap-oob="true"' in basket
    assert sign_out_question(basket) == (
        "The sale in progress is dropped when you sign out. Sign out?"
    )
    staff.post(reverse("staff:sale_clear"))
    assert sign_out_question(page(staff)) is None
