"""A parcel whose card hold lapsed cannot leave (``ship_order`` refuses it), so no
staff page offers to ship it: the order page leads to cancelling, and the picking
list marks it "Card hold lapsed: cancel" where the Ship form was, in the shop's
"Ship from here" section and in the warehouses' section alike. A parcel whose hold
holds is still offered Ship."""

import pytest
from django.urls import reverse

from omnistore.accounts.models import Role
from omnistore.staff.auth import SESSION_STORE_KEY
from orders.services.fulfilment import mark_picked
from orders.services.payments import PaymentRequest
from tests.factories import StaffFactory, UserFactory, stock
from tests.orders.factories import delivery_order, shop, variant, warehouse

pytestmark = pytest.mark.django_db

LAPSED = "Card hold lapsed: cancel"
SENT = {"carrier": "gls", "tracking_reference": "BRT-9"}


@pytest.fixture
def store():
    return shop(code="MI01", name="Milano Centro", ships_online_orders=True)


@pytest.fixture
def associate(client, store):
    """An associate of the shop sending the parcels, signed in."""
    user = StaffFactory(store=store, role=Role.ASSOCIATE)
    client.force_login(user)
    return user


def picked_delivery(fake_stripe, *places, actor=None):
    """A delivery of one item from each of ``places`` (a shop among them, so the
    card is only held until a parcel leaves), picked everywhere."""
    item = variant(price="65.00")
    for place in places:
        stock(item, place, 1)
    intent = fake_stripe.intent(6500 * len(places))
    order = delivery_order(
        lines=[(item, len(places))],
        payments=[PaymentRequest(method="card_online", token=intent["id"])],
    )
    assert {f.location for f in order.fulfilments.all()} == set(places)
    assert order.payments.get().status == "authorised"
    for place in places:
        mark_picked(order=order, actor=actor, location=place)
    return order, intent


def found_lapsed(client, fake_stripe, order, intent, location=None):
    """Stripe dropped the hold; a ship tapped finds it and books it lapsed."""
    fake_stripe.expire(intent["id"])
    sent = SENT if location is None else {**SENT, "location": location.pk}
    refused = client.post(reverse("staff:order_ship", args=[order.number]), sent)
    assert refused.status_code == 422
    assert order.payments.get().status == "lapsed"
    return refused


def ship_url(order) -> str:
    return reverse("staff:order_ship", args=[order.number])


def section(html: str, testid: str) -> str:
    """The picking list's card ``testid``, up to its end."""
    start = html.index(f'data-testid="{testid}"')
    return html[start : html.index("</article>", start)]


def test_the_order_page_offers_cancelling_not_shipping(
    client, associate, store, fake_stripe
):
    order, intent = picked_delivery(fake_stripe, store, actor=associate)
    assert (
        ship_url(order)
        in client.get(
            reverse("staff:order_detail", args=[order.number])
        ).content.decode()
    )

    refused = found_lapsed(client, fake_stripe, order, intent)
    page = client.get(reverse("staff:order_detail", args=[order.number]))

    for answer in (refused, page):
        html = answer.content.decode()
        assert 'data-testid="hold-lapsed"' in html
        assert "Do not send the goods" in html
        assert ship_url(order) not in html
        assert 'name="tracking_reference"' not in html
        assert answer.context["can_ship"] is False
        assert 'id="cancel"' in html
        assert reverse("staff:order_cancel", args=[order.number]) in html


def test_the_picking_list_marks_it_instead_of_offering_ship(
    client, associate, store, fake_stripe
):
    lapsed, intent = picked_delivery(fake_stripe, store, actor=associate)
    intact, _ = picked_delivery(fake_stripe, store, actor=associate)
    found_lapsed(client, fake_stripe, lapsed, intent)

    html = client.get(reverse("staff:picking")).content.decode()

    row = section(html, f"ship-{lapsed.number}")
    assert LAPSED in row and 'data-testid="hold-lapsed"' in row
    assert reverse("staff:order_detail", args=[lapsed.number]) + "#cancel" in row
    assert ship_url(lapsed) not in row and 'name="carrier"' not in row
    assert ship_url(lapsed) not in html
    other = section(html, f"ship-{intact.number}")
    assert ship_url(intact) in other and LAPSED not in other


def test_the_warehouses_section_marks_it_instead_of_offering_ship(
    client, store, fake_stripe
):
    """HQ at the shop: an order split over a warehouse and the shop, the shop's
    parcel found its hold lapsed; the warehouse's parcel is not offered either."""
    depot = warehouse(code="WH01", name="Piacenza DC")
    hq = UserFactory(username="hq", role=Role.HQ)
    client.force_login(hq)
    session = client.session
    session[SESSION_STORE_KEY] = store.pk
    session.save()
    lapsed, intent = picked_delivery(fake_stripe, depot, store, actor=hq)
    intact, _ = picked_delivery(fake_stripe, depot, store, actor=hq)
    found_lapsed(client, fake_stripe, lapsed, intent, location=store)

    html = client.get(reverse("staff:picking")).content.decode()

    row = section(html, f"warehouse-{lapsed.number}")
    assert LAPSED in row and ship_url(lapsed) not in row
    assert LAPSED in section(html, f"ship-{lapsed.number}")
    assert ship_url(lapsed) not in html
    other = section(html, f"warehouse-{intact.number}")
    assert ship_url(intact) in other and LAPSED not in other
