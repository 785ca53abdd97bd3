"""The sale at a busy counter: parked sales, a new phone number asked about before a
profile is made, and the next scan clearing what the page said before."""

import pytest
from django.urls import reverse

from customers.services.matching import match_customer
from omnistore.core.channels import Channel
from tests.customers.factories import CustomerUserFactory, make_customer
from tests.factories import LocationFactory, StaffFactory, VariantFactory, stock

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def shop():
    return LocationFactory()


@pytest.fixture
def staff(client, shop):
    client.force_login(StaffFactory(store=shop))
    return client


@pytest.fixture
def items(shop):
    found = [VariantFactory(sku=f"PK-{n}") for n in (1, 2)]
    for item in found:
        stock(item, shop, 5)
    return found


def basket_skus(client) -> list[str]:
    rows = client.get(reverse("staff:sale")).context["basket"]["rows"]
    return [row.line.variant.sku for row in rows]


def test_a_parked_sale_waits_while_the_next_customer_is_served(staff, items):
    pia = make_customer(phone="+393331234567", first_name="Pia")
    staff.post(reverse("staff:sale_add"), {"code": "PK-1"}, **HTMX)
    staff.post(
        reverse("staff:sale_customer"), {"kind": "phone", "value": pia.phone}, **HTMX
    )
    staff.post(reverse("staff:sale_park"))
    page = staff.get(reverse("staff:sale")).content.decode()
    assert basket_skus(staff) == []
    assert 'data-testid="parked-sales"' in page and "Pia" in page

    staff.post(reverse("staff:sale_add"), {"code": "PK-2"}, **HTMX)
    staff.post(reverse("staff:sale_resume", args=[0]))

    assert basket_skus(staff) == ["PK-1"]
    assert staff.session["sale_customer"]["customer_id"] == pia.pk
    # The sale that was in progress is parked in its place.
    parked = staff.session["sale_parked"]
    assert len(parked) == 1
    staff.post(reverse("staff:sale_resume", args=[0]))
    assert basket_skus(staff) == ["PK-2"]


def test_resuming_a_sale_that_is_not_there_says_so(staff, items):
    response = staff.post(reverse("staff:sale_resume", args=[3]), follow=True)
    assert "cannot be resumed" in response.content.decode()


def test_an_unknown_phone_is_asked_about_before_a_profile_is_made(staff, items):
    url = reverse("staff:sale_customer")
    asked = staff.post(url, {"kind": "phone", "value": "340 555 1212"}, **HTMX)
    assert asked.status_code == 200
    assert 'data-testid="ask-new-customer"' in asked.content.decode()
    assert "sale_customer" not in staff.session

    staff.post(url, {"kind": "phone", "value": "340 555 1212", "create": "1"}, **HTMX)
    assert staff.session["sale_customer"]["customer_id"] is None
    assert staff.session["sale_customer"]["value"] == "+393405551212"


def test_a_known_phone_attaches_at_once(staff, items):
    pia = make_customer(phone="+393331234567", first_name="Pia")
    response = staff.post(
        reverse("staff:sale_customer"), {"kind": "phone", "value": pia.phone}, **HTMX
    )
    assert "ask-new-customer" not in response.content.decode()
    assert staff.session["sale_customer"]["customer_id"] == pia.pk


def test_an_accounts_unconfirmed_address_is_not_shown_as_reaching_it(staff, items):
    """Checkout would not reach an account by an address its owner never confirmed
    (it makes a profile of its own): the counter says so instead of showing the
    account as the buyer."""
    login = CustomerUserFactory(email="bea@example.com")
    bea = match_customer(
        email="bea@example.com", user=login, first_name="Bea", channel=Channel.APP
    )
    assert bea.identities.get(kind="email").verified is False
    url = reverse("staff:sale_customer")

    asked = staff.post(url, {"kind": "email", "value": "bea@example.com"}, **HTMX)

    html = asked.content.decode()
    assert 'data-testid="ask-new-customer"' in html
    assert "its owner never confirmed it" in html
    assert "sale_customer" not in staff.session
    staff.post(url, {"kind": "email", "value": "bea@example.com", "create": "1"})
    assert staff.session["sale_customer"]["customer_id"] is None


def test_each_scan_also_refreshes_the_new_sale_buttons(staff, items):
    response = staff.post(reverse("staff:sale_add"), {"code": "PK-1"}, **HTMX)
    html = response.content.decode()
    assert 'id="new-sale" class="new-sale" hx-swap-oob="true"' in html
    assert "New sale" in html and "Park sale" in html


def test_taking_an_unknown_item_into_the_sale_says_so(staff, items):
    response = staff.post(reverse("staff:sale_take"), {"code": "NOPE"}, follow=True)
    assert "No item with SKU or barcode" in response.content.decode()
    assert basket_skus(staff) == []


def test_a_sale_waiting_on_the_card_terminal_cannot_be_parked(staff, items):
    staff.post(reverse("staff:sale_add"), {"code": "PK-1"}, **HTMX)
    session = staff.session
    session["sale_terminal_intent"] = "T-1"
    session.save()
    staff.post(reverse("staff:sale_park"))
    assert "sale_parked" not in staff.session
    assert staff.session["sale_cart_token"]
