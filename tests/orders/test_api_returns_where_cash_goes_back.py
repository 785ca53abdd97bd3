"""A return started online whose refund gives cash back is brought to a shop whose
drawer holds that currency, as the returns desk decides it (a euro drawer pays no
francs out): the API's instructions and the return email name those shops instead
of sending the customer to any of them. A refund reaching no cash, or cash every
shop's drawer holds, is still brought to any shop."""

import pytest
from django.core import mail
from django.urls import reverse

from orders.models import PaymentMethod
from orders.services.till import TillBooking
from tests.factories import StaffFactory
from tests.orders.factories import deliver_outbox, shop, stocked
from tests.orders.returns_helpers import api_client_for, counter_sale, shopper
from tests.orders.till_helpers import open_counter_till

pytestmark = pytest.mark.django_db

FRANC_SHOPS = "one of our shops that take CHF (Zürich Bahnhofstrasse)"


def sold_at(store, customer, item, tenders=None):
    """``item`` sold at ``store``'s counter to ``customer``, on a till opened now."""
    clerk = StaffFactory(store=store)
    return counter_sale(
        store=store,
        lines=[(item, 1)],
        staff=clerk,
        customer=customer,
        tenders=tenders,
        till=TillBooking(open_counter_till(clerk), None),
    )


def start(client, order, **fields) -> dict:
    response = client.post(
        "/api/v1/returns/",
        {
            **fields,
            "order": order.number,
            "lines": [
                {"order_line": order.lines.get().pk, "quantity": 1, "reason": "too_big"}
            ],
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    return response.json()


def return_email():
    deliver_outbox()
    return next(m for m in mail.outbox if m.subject.startswith("Your return"))


def test_a_franc_cash_sale_is_brought_to_a_shop_that_takes_francs(
    zurich, milano, franc_shirt
):
    user, customer = shopper()
    sale = sold_at(zurich, customer, franc_shirt, [(PaymentMethod.CASH, "62.90")])

    body = start(api_client_for(user), sale)

    assert body["post_to"] is None
    said = body["instructions"]
    assert f"(or show the QR) to {FRANC_SHOPS}: staff scan it" in said
    assert "any of our shops" not in said
    again = api_client_for(user).get(f"/api/v1/returns/{body['code']}/").json()
    assert again["instructions"] == said
    sent = return_email()
    assert f"Bring the items to {FRANC_SHOPS} and show this code" in sent.body
    assert "any of our shops" not in sent.body
    html = sent.alternatives[0][0]
    assert f"Bring the items to {FRANC_SHOPS} and show this code" in html


def test_the_shop_it_is_sent_to_receives_it_and_the_others_do_not(
    client, zurich, milano, franc_shirt
):
    """The same rule as the desk's: Milano's euro drawer cannot pay the francs out,
    Zürich's can."""
    user, customer = shopper()
    sale = sold_at(zurich, customer, franc_shirt, [(PaymentMethod.CASH, "62.90")])
    body = start(api_client_for(user), sale)
    assert FRANC_SHOPS in body["instructions"]
    page = reverse("staff:return_detail", args=[body["code"]])

    client.force_login(StaffFactory(store=milano))
    at_milano = client.get(page).content.decode()
    client.force_login(StaffFactory(store=zurich))
    at_zurich = client.get(page).content.decode()

    assert "refund it at a shop that takes CHF" in at_milano
    assert "Receive at Milano Duomo" not in at_milano
    assert "Receive at Zürich Bahnhofstrasse" in at_zurich


def test_a_franc_card_sale_is_brought_to_any_shop(zurich, milano, franc_shirt):
    """No cash goes back: any desk refunds the card."""
    user, customer = shopper()
    sale = sold_at(zurich, customer, franc_shirt)

    body = start(api_client_for(user), sale)

    assert "(or show the QR) to any of our shops: " in body["instructions"]
    assert "Bring the items to any of our shops" in return_email().body


def test_euro_cash_is_brought_to_the_shops_whose_drawer_holds_euros(zurich, milano):
    """Zürich's drawer holds francs: euro cash goes back at the euro shops."""
    user, customer = shopper()
    item = stocked(milano, 3, price="59.90")
    sale = sold_at(milano, customer, item, [(PaymentMethod.CASH, "59.90")])

    body = start(api_client_for(user), sale)

    assert "to one of our shops that take EUR (Milano Duomo): " in body["instructions"]


def test_many_franc_shops_are_not_listed_one_by_one(zurich, milano, franc_shirt):
    for number in range(5):
        shop(code=f"CH{number}", name=f"Basel {number}", country="CH")
    user, customer = shopper()
    sale = sold_at(zurich, customer, franc_shirt, [(PaymentMethod.CASH, "62.90")])

    body = start(api_client_for(user), sale)

    assert "to one of our shops that take CHF: staff scan it" in body["instructions"]


def test_refunded_as_store_credit_it_is_brought_to_any_shop(zurich, milano):
    """Euro cash asked back as store credit: no drawer pays anything out."""
    user, customer = shopper()
    item = stocked(milano, 3, price="59.90")
    sale = sold_at(milano, customer, item, [(PaymentMethod.CASH, "59.90")])

    body = start(api_client_for(user), sale, refund_method="store_credit")

    assert "to any of our shops: " in body["instructions"]
