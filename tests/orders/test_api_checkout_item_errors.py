"""The errors of a request's lists (``lines``, ``tenders``) come back in one shape,
whichever check found them: a list as long as the one sent, ``{}`` for each item
without errors, as the schema says of ``tenders``."""

import pytest
from rest_framework.test import APIClient

from orders.models import Order
from tests.orders.factories import shop, stocked
from tests.orders.stored_value_helpers import PIN, gift_card

from .test_api_stored_value import checkout, fill_cart

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_cache")]

CARD = {"method": "card_online", "token": "tok_visa"}


def buy_now(store, lines, tenders=()):
    body = {
        "fulfilment": "pickup",
        "store": store.pk,
        "payment": CARD,
        "email": "guest@example.com",
        "lines": lines,
        "tenders": list(tenders),
    }
    return APIClient().post("/api/v1/checkout/buy-now/", body, format="json")


def card_tender(card, amount="10.00", pin=PIN) -> dict:
    return {"type": "gift_card", "number": card.number, "pin": pin, "amount": amount}


def test_a_tender_refused_by_its_fields_is_named_at_its_place_in_a_list():
    store = shop()
    item = stocked(store, 5, price="60.00")
    good = gift_card("30.00")
    no_pin = {"type": "gift_card", "number": good.number, "amount": "5.00"}

    response = buy_now(store, [{"variant": item.pk}], [card_tender(good), no_pin])

    assert response.status_code == 400, response.json()
    body = response.json()
    assert body["extra"]["tenders"] == [{}, {"pin": ["Required for a gift card."]}]
    assert body["tenders"] == body["extra"]["tenders"]
    assert not Order.objects.exists()


def test_a_line_refused_by_its_fields_is_named_at_its_place_in_a_list():
    store = shop()
    item = stocked(store, 5)

    response = buy_now(
        store,
        [{"variant": item.pk}, {"variant": "one"}, {"variant": item.pk, "quantity": 0}],
    )

    assert response.status_code == 400, response.json()
    first, second, third = response.json()["extra"]["lines"]
    assert first == {}
    assert list(second) == ["variant"]
    assert list(third) == ["quantity"]


def test_a_cart_checkout_names_a_tender_refused_by_its_fields_as_one_refused_later():
    store = shop()
    item = stocked(store, 5, price="60.00")
    good, other = gift_card("30.00"), gift_card("30.00")
    client = APIClient()
    fill_cart(client, item)

    by_fields = checkout(
        client, store, [card_tender(good), {"type": "gift_card", "amount": "5.00"}]
    )
    by_service = checkout(
        client, store, [card_tender(good), card_tender(other, pin="000000")]
    )

    assert by_fields.status_code == by_service.status_code == 400
    fields_named = by_fields.json()["extra"]["tenders"]
    service_named = by_service.json()["extra"]["tenders"]
    assert isinstance(fields_named, list) and isinstance(service_named, list)
    assert len(fields_named) == len(service_named) == 2
    assert fields_named[0] == service_named[0] == {}
    assert set(fields_named[1]) == {"number", "pin"}
    assert list(service_named[1]) == ["non_field_errors"]
