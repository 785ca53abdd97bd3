"""A customer withdraws a return they started online while its items have not reached
us: ``POST /api/v1/returns/{code}/cancel/`` cancels it, recorded as theirs, with the
customer emailed and nothing left to bring; another person's return or an unknown code
is a 404, one whose items are back a 409. A return withdrawn no longer holds up the
erasure of the customer's personal data, whose refusal says how to withdraw one."""

import pytest
from django.core import mail

from customers.models import CustomerEvent
from orders.models import Return, ReturnStatus
from orders.services.refunds import receive_return
from tests.factories import LocationFactory, StaffFactory
from tests.orders.factories import deliver_outbox, stocked
from tests.orders.returns_helpers import api_client_for, collected_order, shopper

pytestmark = pytest.mark.django_db


@pytest.fixture
def duomo():
    return LocationFactory(code="MI02", name="Milano Duomo")


@pytest.fixture
def started(duomo):
    """Ada's online return of the belt she collected at Duomo, its request email
    sent."""
    user, customer = shopper()
    belt = stocked(duomo, 5, price="14.90")
    order = collected_order(store=duomo, lines=[(belt, 1)], customer=customer)
    client = api_client_for(user)
    answer = client.post(
        "/api/v1/returns/",
        {
            "order": order.number,
            "lines": [
                {"order_line": order.lines.get().pk, "quantity": 1, "reason": "too_big"}
            ],
        },
        format="json",
    )
    assert answer.status_code == 201, answer.json()
    deliver_outbox()
    mail.outbox.clear()
    return {
        "client": client,
        "user": user,
        "customer": customer,
        "code": answer.json()["code"],
    }


def withdraw(client, code):
    return client.post(f"/api/v1/returns/{code}/cancel/")


def test_the_customer_withdraws_a_return_not_brought_back_yet(started):
    code = started["code"]

    response = withdraw(started["client"], code)

    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["code"], body["status"]) == (code, "cancelled")
    assert "is cancelled" in body["instructions"]
    assert body["post_to"] is None
    assert [(h["from_status"], h["to_status"]) for h in body["history"]][-1] == (
        "requested",
        "cancelled",
    )
    ret = Return.objects.get(code=code)
    assert ret.status == ReturnStatus.CANCELLED and ret.cancelled_at is not None
    change = ret.history.get(to_status=ReturnStatus.CANCELLED)
    assert change.actor == started["user"]
    assert change.note == "Withdrawn by the customer"
    event = CustomerEvent.objects.get(
        customer=started["customer"], kind="return_cancelled", reference_id=code
    )
    assert event.actor == started["user"]
    assert event.summary == f"Return {code} cancelled: Withdrawn by the customer"


def test_the_customer_is_emailed_as_the_one_who_withdrew_it(started):
    withdraw(started["client"], started["code"])
    deliver_outbox()

    (message,) = mail.outbox
    assert message.subject == f"Your return {started['code']} is cancelled"
    assert "Changed your mind?" in message.body
    assert "The shop cancelled this return." not in message.body


def test_the_same_items_can_be_returned_again_once_withdrawn(started):
    withdraw(started["client"], started["code"])
    ret = Return.objects.get(code=started["code"])
    line = ret.lines.get().order_line

    again = started["client"].post(
        "/api/v1/returns/",
        {
            "order": ret.order.number,
            "lines": [{"order_line": line.pk, "quantity": 1, "reason": "too_big"}],
        },
        format="json",
    )

    assert again.status_code == 201, again.json()


def test_another_persons_return_and_an_unknown_code_are_404(started):
    other, _ = shopper("bea@example.com")
    stranger = api_client_for(other)

    theirs = withdraw(stranger, started["code"])
    unknown = withdraw(started["client"], "R-ZZZZZZ")
    garbage = withdraw(started["client"], "nonsense")

    assert theirs.status_code == 404 and theirs.json()["code"] == "not_found"
    assert unknown.status_code == 404 and garbage.status_code == 404
    assert Return.objects.get(code=started["code"]).status == ReturnStatus.REQUESTED


def test_a_staff_login_is_404_staff_login(started, duomo):
    staff = api_client_for(StaffFactory(store=duomo))

    response = withdraw(staff, started["code"])

    assert response.status_code == 404
    assert response.json()["code"] == "staff_login"
    assert Return.objects.get(code=started["code"]).status == ReturnStatus.REQUESTED


def test_a_return_whose_items_are_back_is_a_409_and_stays(started, duomo):
    receive_return(
        return_request=started["code"], location=duomo, actor=StaffFactory(store=duomo)
    )

    response = withdraw(started["client"], started["code"])

    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "illegal_transition"
    assert body["message"] == (
        f"Return {started['code']} can no longer be withdrawn: its items have "
        "reached us and its refund follows."
    )
    assert body["extra"] == {"from": "received", "to": "cancelled"}
    assert Return.objects.get(code=started["code"]).status == ReturnStatus.RECEIVED


def test_withdrawing_twice_is_a_409_already_cancelled(started):
    assert withdraw(started["client"], started["code"]).status_code == 200

    again = withdraw(started["client"], started["code"])

    assert again.status_code == 409
    assert again.json()["message"] == f"Return {started['code']} is already cancelled."
    ret = Return.objects.get(code=started["code"])
    assert ret.history.filter(to_status=ReturnStatus.CANCELLED).count() == 1


def test_the_erasure_refused_for_an_open_return_goes_through_once_withdrawn(started):
    client, code = started["client"], started["code"]

    refused = client.post(
        "/api/v1/me/erase/", {"confirm": True, "forfeit_balance": True}, format="json"
    )

    assert refused.status_code == 409
    body = refused.json()
    assert body["code"] == "open_orders" and body["extra"]["returns"] == [code]
    assert "withdraw it with POST /api/v1/returns/{code}/cancel/" in body["message"]
    assert "once received, wait for it to be refunded" in body["message"]

    assert withdraw(client, code).status_code == 200
    erased = client.post(
        "/api/v1/me/erase/", {"confirm": True, "forfeit_balance": True}, format="json"
    )

    assert erased.status_code == 200, erased.json()
    started["customer"].refresh_from_db()
    assert started["customer"].is_anonymised


def test_the_schema_documents_the_withdrawal(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()

    operation = schema["paths"]["/api/v1/returns/{code}/cancel/"]["post"]

    assert operation["operationId"] == "return_cancel"
    assert {"200", "404", "409"} <= set(operation["responses"])
    assert "requested" in operation["description"]
    ok = operation["responses"]["200"]["content"]["application/json"]["schema"]
    assert ok["$ref"].endswith("/ReturnDetailOutput")
