"""Each parcel of a delivery tells the customer it is on its way as it leaves: what is
in it, the carrier, the tracking number and where to follow it; the last one tells
the whole order. The same carrier and link show in the storefront API and on the
staff order page."""

from __future__ import annotations

import pytest
from django.core import mail
from django.urls import reverse

from inventory.models import MovementReason, StockMovement
from omnistore.core.exceptions import Conflict, ValidationFailed
from omnistore.core.models import OutboxMessage
from orders.carriers import Carrier, tracking_url
from orders.models import Fulfilment, FulfilmentStatus, Order, OrderStatus
from orders.services.fulfilment import mark_picked, ship_order
from tests.factories import StaffFactory
from tests.orders.factories import deliver_outbox, delivery_order
from tests.orders.returns_helpers import api_client_for, shopper
from tests.orders.test_split_delivery_services import (
    part,
    split_order,
    split_shops,
    statuses,
)

pytestmark = pytest.mark.django_db

DHL_PAGE = "https://www.dhl.com/global-en/home/tracking/tracking-parcel.html"


@pytest.fixture
def split():
    return split_shops()


@pytest.fixture
def staff(split):
    return {shop.pk: StaffFactory(store=shop) for shop in split.shops}


def send(order, split, staff, shop, **parcel) -> Order:
    """``shop`` picks its part of the order and hands it to the carrier."""
    mark_picked(order=order, actor=staff[shop.pk], location=shop)
    return ship_order(order=order, actor=staff[shop.pk], location=shop, **parcel)


def parcel_subject(order: Order) -> str:
    return f"A parcel of your order {order.number} is on its way"


def emails_on_the_way(order: Order) -> list:
    """The emails sent so far that say (part of) ``order`` is on its way."""
    deliver_outbox()
    return [
        m
        for m in mail.outbox
        if order.number in m.subject and "on its way" in m.subject
    ]


def block(body: str, head: str) -> str:
    """The lines of an email's text under ``head``, up to the next empty line."""
    return body.split(head, 1)[1].split("\n\n", 1)[0]


def test_a_parcel_leaving_before_the_rest_emails_what_is_in_it_and_how_to_follow_it(
    split, staff
):
    order = split_order(split, email="ada@example.com")

    send(
        order,
        split,
        staff,
        split.milano,
        carrier=Carrier.DHL,
        tracking_reference="jjd 0001 2345",
    )

    (message,) = emails_on_the_way(order)
    assert message.subject == parcel_subject(order)
    assert message.to == ["ada@example.com"]
    body = message.body
    assert "Carrier: DHL" in body
    assert "Tracking: JJD00012345" in body
    assert f"Follow it: {DHL_PAGE}?submit=1&tracking-id=JJD00012345" in body
    # Milano's shirt and coat are in it; Roma's jeans and coat and Napoli's coat
    # follow, in two more parcels
    here = block(body, "In this parcel:")
    assert "(SHIRT-BLU-M)" in here and "(COAT-BLK-L)" in here
    assert "JEANS" not in here
    assert "The rest of your order follows in 2 more parcels" in body
    to_come = block(body, "Still to come:")
    assert "2 × " in to_come and "(COAT-BLK-L)" in to_come
    assert "(JEANS-IND-32)" in to_come and "SHIRT" not in to_come
    html = message.alternatives[0][0]
    assert (
        f'<a href="{DHL_PAGE}?submit=1&amp;tracking-id=JJD00012345">JJD00012345</a>'
        in html
    )
    assert "Track your parcel" in html


def test_each_parcel_is_emailed_as_it_leaves_and_the_last_tells_the_whole_order(
    split, staff
):
    order = split_order(split, email="ada@example.com")
    send(order, split, staff, split.milano, carrier="dhl", tracking_reference="MI-1")
    send(order, split, staff, split.roma, carrier="ups", tracking_reference="1Z999")
    milano, roma = emails_on_the_way(order)
    assert milano.subject == roma.subject == parcel_subject(order)
    assert "Carrier: DHL" in milano.body
    assert "Carrier: UPS" in roma.body
    assert "Follow it: https://www.ups.com/track?tracknum=1Z999" in roma.body
    assert "The rest of your order follows in another parcel" in roma.body
    assert "(JEANS-IND-32)" in block(roma.body, "In this parcel:")

    send(order, split, staff, split.napoli, carrier="other", tracking_reference="NA-3")

    order.refresh_from_db()
    assert order.status == OrderStatus.SHIPPED
    mail.outbox.clear()
    (last,) = emails_on_the_way(order)
    assert last.subject == f"Order {order.number} is on its way"
    assert f"your order {order.number} is on its way, in 3 parcels." in last.body
    assert "Parcel 1 by DHL, tracking MI-1:" in last.body
    assert f"  Follow it: {DHL_PAGE}?submit=1&tracking-id=MI-1" in last.body
    assert "Parcel 2 by UPS, tracking 1Z999:" in last.body
    # a carrier without a tracking page: the number, no link
    assert "Parcel 3, tracking NA-3:" in last.body
    assert last.body.count("Follow it:") == 2
    # one email a parcel, and one for the order: three in all
    sent = OutboxMessage.objects.filter(
        topic="orders.email", payload__order_id=order.pk
    ).exclude(payload__kind="receipt")
    assert sorted(m.payload["kind"] for m in sent) == [
        "parcel_shipped",
        "parcel_shipped",
        "shipped",
    ]


def test_a_parcel_is_emailed_once_however_often_it_is_sent_for(split, staff):
    """Shipping the same part again is refused, and a drain run again finds nothing
    new: the customer has one email for the parcel."""
    order = split_order(split, email="ada@example.com")
    send(order, split, staff, split.milano, carrier="gls", tracking_reference="GLS-77")
    with pytest.raises(Conflict):
        ship_order(
            order=order,
            actor=staff[split.milano.pk],
            location=split.milano,
            carrier="gls",
            tracking_reference="GLS-77",
        )
    deliver_outbox()
    deliver_outbox()

    parcels = [m for m in mail.outbox if m.subject == parcel_subject(order)]
    assert len(parcels) == 1
    assert "https://gls-group.com/GROUP/en/parcel-tracking?match=GLS-77" in (
        parcels[0].body
    )


def test_an_order_leaving_in_one_parcel_gets_one_email_with_its_link(split, staff):
    order = delivery_order(lines=[(split.shirt, 1)], email="ada@example.com")
    mark_picked(order=order, actor=staff[split.milano.pk])

    ship_order(order=order, carrier="swiss_post", tracking_reference="99 00 12 34")

    (message,) = emails_on_the_way(order)
    assert message.subject == f"Order {order.number} is on its way"
    assert "Carrier: Swiss Post\nTracking: 99001234\n" in message.body
    assert (
        "Follow it: https://service.post.ch/ekp-web/ui/entry/search/99001234"
        in message.body
    )


@pytest.mark.parametrize(
    "typed",
    [
        "AB1",  # too short to be a number
        "1" * 41,  # too long
        "<b>1234</b>",
        "JJD/0001",
        "JJD--0001",
        "-JJD0001",
        "1234;DROP",
        "ÉCOLE123",
    ],
)
def test_a_tracking_number_that_cannot_be_one_is_refused_before_anything_moves(
    split, staff, typed
):
    order = split_order(split, email="ada@example.com")
    mark_picked(order=order, actor=staff[split.milano.pk], location=split.milano)

    with pytest.raises(ValidationFailed) as refused:
        ship_order(
            order=order,
            actor=staff[split.milano.pk],
            location=split.milano,
            carrier="dhl",
            tracking_reference=typed,
        )

    assert list(refused.value.extra) == ["tracking_reference"]
    assert statuses(order, split)[0] == FulfilmentStatus.PICKED
    assert not StockMovement.objects.filter(
        reference_id=order.number, reason=MovementReason.SHIPMENT
    ).exists()
    assert emails_on_the_way(order) == []


def test_an_unknown_carrier_is_refused(split, staff):
    order = split_order(split, email="ada@example.com")
    mark_picked(order=order, actor=staff[split.milano.pk], location=split.milano)
    with pytest.raises(ValidationFailed) as refused:
        ship_order(
            order=order,
            location=split.milano,
            carrier="pigeon",
            tracking_reference="MI-1",
        )
    assert list(refused.value.extra) == ["carrier"]
    assert part(order, split.milano).status == FulfilmentStatus.PICKED


@pytest.mark.parametrize(
    ("carrier", "page"),
    [
        ("dhl", f"{DHL_PAGE}?submit=1&tracking-id=A%2FB%20C"),
        ("ups", "https://www.ups.com/track?tracknum=A%2FB%20C"),
        ("la_poste", "https://www.laposte.fr/outils/suivre-vos-envois?code=A%2FB%20C"),
        ("swiss_post", "https://service.post.ch/ekp-web/ui/entry/search/A%2FB%20C"),
        (
            "poste_italiane",
            "https://www.poste.it/cerca/index.html#/risultati-spedizioni/A%2FB%20C",
        ),
        ("gls", "https://gls-group.com/GROUP/en/parcel-tracking?match=A%2FB%20C"),
        ("dpd", "https://tracking.dpd.de/status/en_US/parcel/A%2FB%20C"),
    ],
)
def test_every_known_carrier_links_to_its_tracking_page_with_the_number_quoted(
    carrier, page
):
    assert tracking_url(carrier, "A/B C") == page


@pytest.mark.parametrize(("carrier", "number"), [("other", "X1234"), ("dhl", "")])
def test_no_link_without_a_known_carrier_or_a_number(carrier, number):
    assert tracking_url(carrier, number) == ""
    assert Fulfilment(carrier=carrier, tracking_reference=number).tracking_url == ""


def test_the_storefront_shows_each_parcel_with_its_carrier_and_link(
    split, staff, django_assert_max_num_queries
):
    user, customer = shopper()
    order = split_order(split, user=user)
    send(order, split, staff, split.milano, carrier="dhl", tracking_reference="MI-1")
    send(order, split, staff, split.roma, carrier="other", tracking_reference="RM-2")
    client = api_client_for(user)

    with django_assert_max_num_queries(9):
        response = client.get(f"/api/v1/orders/{order.number}/")

    assert response.status_code == 200
    parcels = {
        f["location"]["code"]: {
            key: f[key]
            for key in (
                "status",
                "carrier",
                "carrier_name",
                "tracking_reference",
                "tracking_url",
            )
        }
        for f in response.json()["fulfilments"]
    }
    assert parcels == {
        "MI01": {
            "status": "shipped",
            "carrier": "dhl",
            "carrier_name": "DHL",
            "tracking_reference": "MI-1",
            "tracking_url": f"{DHL_PAGE}?submit=1&tracking-id=MI-1",
        },
        "RM01": {
            "status": "shipped",
            "carrier": "other",
            "carrier_name": "",
            "tracking_reference": "RM-2",
            "tracking_url": "",
        },
        "NA01": {
            "status": "pending",
            "carrier": "",
            "carrier_name": "",
            "tracking_reference": "",
            "tracking_url": "",
        },
    }


# --- the staff order page ---------------------------------------------------------


def order_page(client, order) -> str:
    response = client.get(reverse("staff:order_detail", args=[order.number]))
    assert response.status_code == 200
    return response.content.decode()


def ship_from_page(client, order, shop, **fields):
    return client.post(
        reverse("staff:order_ship", args=[order.number]),
        {"location": shop.pk, **fields},
    )


def test_staff_ship_a_parcel_with_its_carrier_and_the_page_links_to_its_tracking(
    client, split, staff
):
    order = split_order(split, email="ada@example.com")
    client.force_login(staff[split.milano.pk])
    mark_picked(order=order, actor=staff[split.milano.pk], location=split.milano)
    page = order_page(client, order)
    assert (
        'name="carrier"' in page
        and '<option value="la_poste">La Poste</option>' in (page)
    )

    response = ship_from_page(
        client,
        order,
        split.milano,
        carrier="la_poste",
        tracking_reference="6a 1234 5678 9",
    )

    assert response.status_code == 302
    milano = part(order, split.milano)
    assert (milano.status, milano.carrier, milano.tracking_reference) == (
        FulfilmentStatus.SHIPPED,
        "la_poste",
        "6A123456789",
    )
    page = order_page(client, order)
    parcels = page.split('data-testid="fulfilments"')[1].split("</table>")[0]
    row = parcels.split(f'data-testid="parcel-{milano.pk}"')[1].split("</tr>")[0]
    assert "Milano Duomo" in row and "La Poste" in row
    assert (
        '<a href="https://www.laposte.fr/outils/suivre-vos-envois?code=6A123456789"'
        in row
    )
    # the customer was told at once
    (message,) = emails_on_the_way(order)
    assert message.subject == parcel_subject(order)
    assert "Carrier: La Poste" in message.body


def test_staff_typing_a_wrong_tracking_number_see_why_and_nothing_leaves(
    client, split, staff
):
    order = split_order(split, email="ada@example.com")
    client.force_login(staff[split.milano.pk])
    mark_picked(order=order, actor=staff[split.milano.pk], location=split.milano)

    response = ship_from_page(
        client, order, split.milano, carrier="dpd", tracking_reference="call me!"
    )

    assert response.status_code == 422
    html = response.content.decode()
    errors = html.split('data-testid="ship-errors"')[1].split("</ul>")[0]
    assert "Tracking number: A tracking number has only letters and digits" in errors
    assert 'value="call me!"' in html and '<option value="dpd" selected>' in html
    assert part(order, split.milano).status == FulfilmentStatus.PICKED
    assert emails_on_the_way(order) == []

    unknown = ship_from_page(
        client, order, split.milano, carrier="pigeon", tracking_reference="MI-1"
    )
    assert unknown.status_code == 422
    assert "Carrier: Select a valid choice." in unknown.content.decode()
    assert part(order, split.milano).status == FulfilmentStatus.PICKED


def test_a_double_tap_on_ship_sends_the_customer_one_email(client, split, staff):
    order = split_order(split, email="ada@example.com")
    client.force_login(staff[split.milano.pk])
    mark_picked(order=order, actor=staff[split.milano.pk], location=split.milano)

    for _ in range(2):
        ship_from_page(
            client, order, split.milano, carrier="dhl", tracking_reference="MI-1"
        )

    assert [m.subject for m in emails_on_the_way(order)] == [parcel_subject(order)]
