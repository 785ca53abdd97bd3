"""Cash tendered has a ceiling: the cash due plus the largest note of the drawer's
currency (``OMNISTORE_TILL_DENOMINATIONS``). Nobody hands over a note they need not,
so more is a slip of the keyboard: the sale screen says so at the field and the
till books nothing, whether the amount comes through the form or straight to the
service."""

from decimal import Decimal

import pytest
from django.urls import reverse

from omnistore.core.exceptions import ValidationFailed
from orders.models import Order, PaymentMethod, Register, TillMovement
from orders.services.till import TillBooking, change_due, open_till
from tests.factories import LocationFactory, StaffFactory, VariantFactory, stock
from tests.orders.returns_helpers import counter_sale

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
D = Decimal


@pytest.fixture
def shop():
    return LocationFactory(code="MI07", name="Milano Porta Nuova")


@pytest.fixture
def associate(shop):
    return StaffFactory(store=shop)


@pytest.fixture
def session(shop, associate):
    register = Register.objects.create(location=shop, name="Till 1")
    return open_till(register=register, counts={D("50"): 2}, actor=associate)


@pytest.fixture
def staff(client, associate, session):
    client.force_login(associate)
    return client


def sell_in_cash(client, shop, **payment):
    variant = VariantFactory(sku="COAT", price=D("189.00"))
    stock(variant, shop, 5)
    client.post(reverse("staff:sale_add"), {"code": "COAT"}, **HTMX)
    data = {"mode": "carry_out", "method_1": PaymentMethod.CASH, **payment}
    return client.post(reverse("staff:sale_checkout"), data, **HTMX)


@pytest.mark.parametrize(
    "payment",
    [{"tendered": "99999999.99"}, {"amount_1": "99999999.99"}],
    ids=["tendered", "cash amount"],
)
def test_the_sale_screen_refuses_more_cash_than_anyone_hands_over(staff, shop, payment):
    response = sell_in_cash(staff, shop, **payment)

    assert response.status_code == 422
    page = response.content.decode()
    assert "no change is more than a 500 EUR note" in page
    assert not Order.objects.exists()
    assert not TillMovement.objects.filter(kind="sale").exists()


def test_up_to_the_largest_note_over_the_due_is_change(staff, shop):
    response = sell_in_cash(staff, shop, tendered="689.00")  # 189.00 + a 500 note

    assert response.status_code == 200
    booked = TillMovement.objects.get(kind="sale")
    assert (booked.tendered, booked.change) == (D("689.00"), D("500.00"))


def test_the_till_refuses_it_when_the_form_is_not_asked(shop, associate, session):
    """A sale placed straight through the services, as a hand-made request would
    reach them: the booking refuses the cash and nothing is sold."""
    variant = VariantFactory(price=D("189.00"))
    stock(variant, shop, 5)

    with pytest.raises(ValidationFailed) as refused:
        counter_sale(
            store=shop,
            lines=[(variant, 1)],
            staff=associate,
            tenders=[(PaymentMethod.CASH, None)],
            till=TillBooking(session, D("99999999.99")),
        )

    assert refused.value.code == "tendered_too_high"
    assert refused.value.extra == {"tendered": ["At most 689.00 EUR."]}
    assert not Order.objects.exists()


def test_the_ceiling_follows_the_drawers_currency():
    """Francs have a 1000 note; a currency the table lacks counts in the home one's."""
    assert change_due(tendered=D("1010.00"), due=D("10.00"), currency="CHF") == D(
        "1000.00"
    )
    with pytest.raises(ValidationFailed):
        change_due(tendered=D("1010.00"), due=D("10.00"), currency="EUR")
    with pytest.raises(ValidationFailed):
        change_due(tendered=D("1010.00"), due=D("10.00"))
