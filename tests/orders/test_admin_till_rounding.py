"""The till ledger in the admin says what each cash booking was rounded by to the
drawer's smallest coin: a sale of 56.61 francs taken as 56.60 in cash shows its
-0.01 beside the cash, in the list and on the booking's page, read-only."""

from decimal import Decimal

import pytest

from inventory.models import PriceList, PriceListPrice
from omnistore.accounts.models import Role
from orders.models import PaymentMethod, TillMovement, TillMovementKind
from orders.services.till import TillBooking
from tests.factories import StaffFactory, UserFactory
from tests.orders.factories import shop, stocked
from tests.orders.returns_helpers import counter_sale
from tests.orders.till_helpers import open_counter_till

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def cash_sale():
    """56.61 francs paid in cash at Zürich, 100.00 handed over."""
    zurich = shop(code="ZH01", name="Zürich", country="CH", city="Zürich")
    clerk = StaffFactory(store=zurich)
    session = open_counter_till(clerk)
    shirt = stocked(zurich, 3, price="54.00", sku="WSH-00001-WHT-XS")
    PriceListPrice.objects.create(
        price_list=PriceList.objects.get(code="CHF"), variant=shirt, price=D("56.61")
    )
    counter_sale(
        store=zurich,
        lines=[(shirt, 1)],
        staff=clerk,
        tenders=[(PaymentMethod.CASH, None)],
        till=TillBooking(session, D("100")),
    )
    return TillMovement.objects.get(kind=TillMovementKind.SALE)


@pytest.fixture
def admin(client):
    client.force_login(
        UserFactory(username="hq", role=Role.HQ, is_staff=True, is_superuser=True)
    )
    return client


def test_the_ledger_shows_each_bookings_rounding_read_only(admin, cash_sale):
    assert (cash_sale.amount, cash_sale.rounding) == (D("56.60"), D("-0.01"))

    listing = admin.get("/admin/orders/tillmovement/").content.decode()
    page = admin.get(f"/admin/orders/tillmovement/{cash_sale.pk}/change/")

    assert "column-rounding" in listing
    assert '<td class="field-rounding">-0.01</td>' in listing
    assert '<td class="field-rounding">0.00</td>' in listing  # the float
    assert page.status_code == 200
    body = page.content.decode()
    rounding = body.split('class="form-row field-rounding"')[1].split("form-row")[0]
    assert "<label>Rounding:</label>" in rounding
    assert '<div class="readonly">-0.01</div>' in rounding
    assert 'name="rounding"' not in body  # shown, not editable
