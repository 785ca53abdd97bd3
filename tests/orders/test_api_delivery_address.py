"""A customer sends their own order to another address before it is picked: the
parts not left go there, the history and the timeline say who changed what, and the
customer is emailed; what cannot change is refused and left as it was."""

import pytest
from django.core import mail
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from customers.services.matching import match_customer
from omnistore.core.exceptions import ValidationFailed
from omnistore.core.models import OutboxMessage, WebhookDelivery, WebhookEndpoint
from orders.emails import TOPIC
from orders.models import Fulfilment, OrderStatus, OrderStatusChange
from orders.services.delivery_address import change_delivery_address
from orders.services.fulfilment import cancel_order, mark_picked, ship_order
from tests.factories import StaffFactory, UserFactory
from tests.orders.factories import (
    ADDRESS,
    deliver_outbox,
    delivery_order,
    pickup_order,
    shop,
    stocked,
    warehouse,
)

pytestmark = pytest.mark.django_db

NEW_ADDRESS = {
    "name": "Ada Lovelace",
    "line1": "Via Po 2",
    "city": "Torino",
    "postcode": "10121",
    "country": "IT",
}


def client_for(user) -> APIClient:
    client = APIClient()
    token, _ = Token.objects.get_or_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


@pytest.fixture
def ada():
    user = UserFactory(email="ada@example.com")
    customer = match_customer(user=user, email=user.email, channel="web")
    return user, customer


@pytest.fixture
def order(ada):
    """Ada's delivery, sent from a warehouse to ``ADDRESS``."""
    _, customer = ada
    return delivery_order(lines=[(stocked(warehouse(), 5), 1)], customer=customer)


def change(user, number, body):
    return client_for(user).post(
        f"/api/v1/orders/{number}/address/", body, format="json"
    )


def addresses(order) -> list[dict]:
    return list(
        Fulfilment.objects.filter(order=order)
        .order_by("pk")
        .values_list("address", flat=True)
    )


def history(order) -> list[str]:
    return list(
        OrderStatusChange.objects.filter(order=order)
        .order_by("pk")
        .values_list("note", flat=True)
    )


def as_it_is(order) -> tuple:
    """What a refusal leaves as it was: the parts' addresses and the history."""
    return addresses(order), history(order)


def address_emails() -> list:
    return list(
        OutboxMessage.objects.filter(topic=TOPIC, payload__kind="address_changed")
    )


def test_own_order_goes_to_the_new_address_with_history_timeline_and_email(ada, order):
    user, customer = ada
    WebhookEndpoint.objects.create(name="erp", url="https://erp.example.com/hook")
    response = change(user, order.number, {"address": NEW_ADDRESS, "reason": "Moved"})

    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["number"] == order.number and body["status"] == "placed"
    assert body["fulfilments"][0]["address"]["line1"] == "Via Po 2"
    [part] = addresses(order)
    assert (part["line1"], part["city"], part["postcode"]) == (
        "Via Po 2",
        "Torino",
        "10121",
    )
    change_row = OrderStatusChange.objects.filter(order=order).latest("pk")
    assert (change_row.from_status, change_row.to_status) == ("placed", "placed")
    assert change_row.actor == user
    assert "line 1 Via Torino 1 → Via Po 2" in change_row.note
    assert "city Milano → Torino" in change_row.note
    assert change_row.note.endswith("Why: Moved")
    assert body["history"][-1]["note"] == change_row.note
    event = customer.events.get(kind="order_address_changed")
    assert event.actor == user
    assert event.data["before"]["line1"] == "Via Torino 1"
    assert event.data["after"]["line1"] == "Via Po 2"
    assert event.data["reason"] == "Moved"
    assert len(address_emails()) == 1
    assert WebhookDelivery.objects.filter(event_type="order.address_changed").exists()

    mail.outbox = []
    deliver_outbox()
    [sent] = [m for m in mail.outbox if "delivery address" in m.subject]
    assert sent.to == ["ada@example.com"]
    assert order.number in sent.subject
    assert "Via Po 2" in sent.body and "10121 Torino" in sent.body
    assert "reply to this email" in sent.body


def test_another_customers_or_an_unknown_order_is_not_found(ada, order):
    user, _ = ada
    theirs = delivery_order(
        lines=[(stocked(warehouse(), 5), 1)], email="someone@example.com"
    )
    before = as_it_is(theirs)
    for number in (theirs.number, "OS-NOPE0-NOPE0"):
        response = change(user, number, {"address": NEW_ADDRESS})
        assert response.status_code == 404, number
        assert response.json()["code"] == "not_found"
    assert as_it_is(theirs) == before
    assert not address_emails()
    # while one's own order is changed
    assert change(user, order.number, {"address": NEW_ADDRESS}).status_code == 200


def _shipped(order):
    mark_picked(order=order)
    ship_order(order=order, carrier="gls", tracking_reference="GLS-1234")


def _cancelled(order):
    cancel_order(order=order, reason="Changed my mind")


@pytest.mark.parametrize(
    ("make", "code"),
    [(_shipped, "no_delivery_to_change"), (_cancelled, "order_cancelled")],
)
def test_a_shipped_or_cancelled_order_keeps_its_address(ada, order, make, code):
    user, _ = ada
    make(order)
    before = as_it_is(order)
    response = change(user, order.number, {"address": NEW_ADDRESS})
    assert response.status_code == 409
    assert response.json()["code"] == code
    assert as_it_is(order) == before
    assert not address_emails()


def test_a_pickup_has_no_address_to_change(ada):
    user, customer = ada
    store = shop()
    order = pickup_order(store=store, lines=[(stocked(store, 2), 1)], customer=customer)
    response = change(user, order.number, {"address": NEW_ADDRESS})
    assert response.status_code == 409
    assert response.json()["code"] == "no_delivery_to_change"


def test_another_country_is_a_new_order(ada, order):
    user, _ = ada
    before = as_it_is(order)
    response = change(user, order.number, {"address": {**NEW_ADDRESS, "country": "DE"}})
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "delivery_country_changed"
    assert "cancel the order and order again" in body["message"]
    assert (body["extra"]["country"], body["extra"]["asked"]) == ("IT", "DE")
    assert as_it_is(order) == before


@pytest.mark.parametrize(
    ("address", "field"),
    [
        ({k: v for k, v in NEW_ADDRESS.items() if k != "line1"}, "line1"),
        ({**NEW_ADDRESS, "city": "T" * 300}, "city"),
        ("Via Po 2, Torino", "non_field_errors"),
    ],
    ids=["missing-line1", "long-city", "not-an-object"],
)
def test_bad_input_is_a_field_error_and_changes_nothing(ada, order, address, field):
    user, _ = ada
    before = as_it_is(order)
    response = change(user, order.number, {"address": address})
    assert response.status_code == 400
    body = response.json()
    assert set(body) >= {"message", "code", "extra"}
    assert field in body["extra"]["address"]
    assert as_it_is(order) == before
    assert not address_emails()


def test_line_breaks_and_tabs_become_one_space_in_the_parts_and_the_history(ada, order):
    user, customer = ada
    typed = {
        **NEW_ADDRESS,
        "line2": "scala B\ninterno 4\t piano 2",
        "phone": "+39 02\r\n1234",
    }
    response = change(user, order.number, {"address": typed})

    assert response.status_code == 200, response.json()
    [part] = addresses(order)
    assert (part["line2"], part["phone"]) == (
        "scala B interno 4 piano 2",
        "+39 02 1234",
    )
    note = history(order)[-1]
    assert "line 2 (none) → scala B interno 4 piano 2" in note
    assert "phone (none) → +39 02 1234" in note
    event = customer.events.get(kind="order_address_changed")
    assert event.data["after"]["line2"] == "scala B interno 4 piano 2"


@pytest.mark.parametrize(
    ("field", "text"),
    [
        ("line2", "scala B\ninterno 4\t\u202etxt\x07"),
        ("line2", "interno 4\x1b[2J"),
        ("name", "Ada\u200bLovelace"),
        ("city", "Torino\ufeff"),
    ],
    ids=["bell", "escape", "zero-width-space", "byte-order-mark"],
)
def test_control_or_invisible_characters_are_refused_on_their_field(
    ada, order, field, text
):
    user, _ = ada
    before = as_it_is(order)
    response = change(user, order.number, {"address": {**NEW_ADDRESS, field: text}})
    assert response.status_code == 400
    assert response.json()["extra"]["address"] == {
        field: ["Remove the invisible or control characters."]
    }
    assert as_it_is(order) == before
    assert not address_emails()


def test_the_joiners_and_direction_marks_scripts_need_are_kept(ada, order):
    """A Persian street name holds a zero-width non-joiner, a Hebrew one a direction
    mark: neither is refused nor taken out."""
    user, _ = ada
    typed = {
        **NEW_ADDRESS,
        "line2": "خیابان\u200cها",
        "name": "\u200fדוד לוי",
    }
    response = change(user, order.number, {"address": typed})

    assert response.status_code == 200, response.json()
    [part] = addresses(order)
    assert (part["line2"], part["name"]) == (typed["line2"], typed["name"])


def test_a_direction_override_is_refused_by_the_service_whichever_door(order):
    """The API and the staff pages drop the direction controls as a request comes
    in; sent by any other caller, the address is refused."""
    before = as_it_is(order)
    with pytest.raises(ValidationFailed) as refused:
        change_delivery_address(
            order=order,
            address={**NEW_ADDRESS, "line1": "Via Po \u202e2"},
            actor=StaffFactory(),
            reason="Called",
        )
    assert refused.value.extra["address"] == {
        "line1": ["Remove the invisible or control characters."]
    }
    assert as_it_is(order) == before


@pytest.mark.parametrize(
    "placed_with",
    [{}, {"latitude": 45.0703, "longitude": 7.6869}],
    ids=["no-coordinates", "other-coordinates"],
)
def test_new_coordinates_for_the_same_address_change_nothing(ada, placed_with):
    """The same street with other coordinates is no new address: no history line,
    no timeline event, no email, no webhook; the parts keep what they had."""
    user, customer = ada
    order = delivery_order(
        lines=[(stocked(warehouse(), 5), 1)],
        customer=customer,
        address={**ADDRESS, **placed_with},
    )
    WebhookEndpoint.objects.create(name="erp", url="https://erp.example.com/hook")
    before = as_it_is(order)
    pinned = {**ADDRESS, "latitude": 45.4642, "longitude": 9.19}

    response = change(user, order.number, {"address": pinned})

    assert response.status_code == 200, response.json()
    assert as_it_is(order) == before
    assert not customer.events.filter(kind="order_address_changed").exists()
    assert not address_emails()
    assert not WebhookDelivery.objects.filter(
        event_type="order.address_changed"
    ).exists()


def test_the_same_address_again_changes_nothing(ada, order):
    user, _ = ada
    before = as_it_is(order)
    response = change(user, order.number, {"address": ADDRESS, "reason": "Again"})
    assert response.status_code == 200, response.json()
    assert response.json()["fulfilments"][0]["address"]["line1"] == "Via Torino 1"
    assert as_it_is(order) == before
    assert not address_emails()


def test_once_picked_the_customer_asks_the_shop_which_may_change_it(ada, order):
    user, customer = ada
    mark_picked(order=order)
    before = as_it_is(order)
    response = change(user, order.number, {"address": NEW_ADDRESS})
    assert response.status_code == 409
    assert response.json()["code"] == "address_change_too_late"
    assert as_it_is(order) == before

    associate = StaffFactory(store=shop())
    change_delivery_address(
        order=order,
        address=NEW_ADDRESS,
        actor=associate,
        reason="The customer called",
    )
    assert addresses(order)[0]["line1"] == "Via Po 2"
    latest = OrderStatusChange.objects.filter(order=order).latest("pk")
    assert latest.actor == associate
    assert (latest.from_status, latest.to_status) == (
        OrderStatus.PICKED,
        OrderStatus.PICKED,
    )
    assert customer.events.get(kind="order_address_changed").actor == associate


def test_a_parcel_that_left_keeps_the_address_it_went_to(ada):
    """A delivery split over two warehouses, one parcel gone: the shop sends the
    other one elsewhere, the gone one stays as it went."""
    _, customer = ada
    north, south = warehouse(), warehouse()
    order = delivery_order(
        lines=[(stocked(north, 1), 1), (stocked(south, 1), 1)], customer=customer
    )
    mark_picked(order=order)
    ship_order(order=order, location=north, carrier="gls", tracking_reference="GLS-1")
    change_delivery_address(
        order=order, address=NEW_ADDRESS, actor=StaffFactory(), reason="Called"
    )
    went = dict(
        Fulfilment.objects.filter(order=order).values_list("location", "address")
    )
    assert went[north.pk]["line1"] == "Via Torino 1"
    assert went[south.pk]["line1"] == "Via Po 2"
