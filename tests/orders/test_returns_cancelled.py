"""A return started online and cancelled by a shop: the API stops telling the
customer to bring the items, the customer is emailed once (after commit, through
the outbox) and the timeline says it, and the return's page shows it cancelled, with
no refund due."""

import pytest
from django.core import mail
from django.urls import reverse

from customers.models import CustomerEvent
from orders.models import Return, ReturnStatus
from orders.services.returns import send_return_email
from tests.factories import LocationFactory, StaffFactory
from tests.orders.factories import deliver_outbox, stocked
from tests.orders.returns_helpers import api_client_for, collected_order, shopper

pytestmark = pytest.mark.django_db


@pytest.fixture
def duomo():
    return LocationFactory(code="MI02", name="Milano Duomo")


@pytest.fixture
def started(duomo):
    """Ada's online return of 2 of the belts she collected at Duomo, its request
    email sent."""
    user, customer = shopper()
    belt = stocked(duomo, 5, price="14.90")
    order = collected_order(store=duomo, lines=[(belt, 2)], customer=customer)
    client = api_client_for(user)
    answer = client.post(
        "/api/v1/returns/",
        {
            "order": order.number,
            "lines": [
                {
                    "order_line": order.lines.get().pk,
                    "quantity": 2,
                    "reason": "too_big",
                }
            ],
        },
        format="json",
    )
    assert answer.status_code == 201, answer.json()
    assert "Bring the items" in answer.json()["instructions"]
    deliver_outbox()
    mail.outbox.clear()
    return {"client": client, "code": answer.json()["code"], "customer": customer}


def cancel(client, duomo, code):
    client.force_login(StaffFactory(store=duomo))
    return client.post(
        reverse("staff:return_cancel", args=[code]), {"reason": "customer keeps"}
    )


def test_the_api_says_a_cancelled_return_is_cancelled(client, duomo, started):
    assert cancel(client, duomo, started["code"]).status_code == 302

    body = started["client"].get(f"/api/v1/returns/{started['code']}/").json()

    assert body["status"] == "cancelled"
    assert "is cancelled" in body["instructions"]
    assert "Bring" not in body["instructions"]
    assert "refund you" not in body["instructions"]


def test_the_customer_is_emailed_once_and_the_timeline_says_it(client, duomo, started):
    code = started["code"]

    cancel(client, duomo, code)
    assert mail.outbox == []  # it leaves through the outbox, after commit
    deliver_outbox()
    assert [m.subject for m in mail.outbox] == [f"Your return {code} is cancelled"]
    send_return_email(Return.objects.get(code=code), "return_cancelled")  # again
    deliver_outbox()

    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["ada@example.com"]
    assert "nothing to bring to a shop" in mail.outbox[0].body
    events = CustomerEvent.objects.filter(
        customer=started["customer"], reference_id=code
    )
    assert events.filter(kind="return_cancelled").count() == 1
    sent = events.filter(kind="message_sent", data__template="orders.return_cancelled")
    assert sent.count() == 1
    timeline = started["client"].get("/api/v1/me/timeline/").json()["results"]
    assert f"Return {code} cancelled: customer keeps" in [
        event["summary"] for event in timeline
    ]


def test_the_return_page_shows_it_cancelled_with_nothing_due(client, duomo, started):
    code = started["code"]
    cancel(client, duomo, code)

    page = client.get(reverse("staff:return_detail", args=[code])).content.decode()

    assert Return.objects.get(code=code).status == ReturnStatus.CANCELLED
    assert "Return cancelled: nothing is due" in page
    assert "Due once received" not in page
    assert "any shop takes it" not in page


def test_a_return_the_shop_cancelled_says_so_and_whom_to_ask(client, duomo, started):
    """The shop cancelled it: the email does not invite the customer to change their
    mind again, names the shop to ask, and keeps the typed reason in the shop."""
    cancel(client, duomo, started["code"])
    deliver_outbox()

    (message,) = mail.outbox
    html = message.alternatives[0][0]
    for part in (message.body, html):
        assert "Changed your mind?" not in part
        assert "The shop cancelled this return." in part
        assert "Contact Milano Duomo" in part and duomo.address in part
        assert "customer keeps" not in part


def test_the_return_email_gives_the_customers_reason_in_their_words(duomo):
    """Ada started the return because she changed her mind: the email reads it as
    she said it, and tells her where to bring the items (no parcel to an address
    the email does not give)."""
    user, customer = shopper()
    belt = stocked(duomo, 5, price="14.90")
    order = collected_order(store=duomo, lines=[(belt, 1)], customer=customer)
    answer = api_client_for(user).post(
        "/api/v1/returns/",
        {
            "order": order.number,
            "lines": [
                {
                    "order_line": order.lines.get().pk,
                    "quantity": 1,
                    "reason": "changed_mind",
                }
            ],
        },
        format="json",
    )
    assert answer.status_code == 201, answer.json()
    mail.outbox.clear()
    deliver_outbox()

    (message,) = [m for m in mail.outbox if m.subject.startswith("Your return")]
    html = message.alternatives[0][0]
    for part in (message.body, html):
        assert "Changed my mind" in part and "Changed their mind" not in part
        assert "By post" not in part
        assert "Bring the items to any of our shops" in part
