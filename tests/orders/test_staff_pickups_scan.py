"""The pickup desk with a scanner: the QR (or the code read out) opens the hand-over
with the code filled in and says whether it matches."""

import pytest
from django.urls import reverse

from orders.models import OrderStatus
from orders.selectors.orders import order_by_id
from orders.selectors.pickups import pickup_qr_payload
from tests.factories import LocationFactory, StaffFactory, VariantFactory, stock
from tests.orders.factories import ready_order

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop():
    return LocationFactory()


@pytest.fixture
def order(shop):
    item = VariantFactory()
    stock(item, shop, 5)
    return ready_order(store=shop, lines=[(item, 1)])


@pytest.fixture
def desk(client, shop):
    client.force_login(StaffFactory(store=shop))
    return client


def test_a_scanned_qr_opens_the_hand_over_with_the_code_verified(desk, order):
    response = desk.get(reverse("staff:pickup_desk"), {"q": pickup_qr_payload(order)})
    assert response["Location"] == reverse("staff:pickup_collect", args=[order.number])

    page = desk.get(response["Location"])
    html = page.content.decode()
    assert "The pickup code matches this order" in html
    assert f'value="{order.pickup_code}"' in html
    # The code is filled in once: reloading the page asks again.
    again = desk.get(response["Location"]).content.decode()
    assert "The pickup code matches" not in again

    done = desk.post(response["Location"], {"code": order.pickup_code})
    assert done.status_code == 302
    assert order_by_id(order.pk).status == OrderStatus.COLLECTED


def test_an_old_qr_says_its_code_does_not_match(desk, order):
    stale = f"{pickup_qr_payload(order).rsplit(':', 1)[0]}:ZZZZZZ"
    response = desk.get(reverse("staff:pickup_desk"), {"q": stale}, follow=True)
    assert "does not match this order" in response.content.decode()


def test_the_desk_finds_an_order_by_its_pickup_code(desk, order):
    response = desk.get(reverse("staff:pickup_desk"), {"q": order.pickup_code.lower()})
    assert response["Location"] == reverse("staff:pickup_collect", args=[order.number])
    live = desk.get(
        reverse("staff:pickup_desk"),
        {"q": order.pickup_code},
        HTTP_HX_REQUEST="true",
    )
    assert order.number in live.content.decode()
