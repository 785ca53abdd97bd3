"""The storefront's checkout request carries its terms, unchanged, to the checkout."""

import dataclasses
import inspect

import pytest

from orders.services.checkout import CheckoutRequest, place_order, prepare_checkout


def test_the_request_sets_keyword_arguments_the_checkout_takes():
    asked = CheckoutRequest(
        channel="web",
        fulfilment="pickup",
        pickup_store=7,
        email="ada@example.com",
        discount_code="WINTER",
        idempotency_key="k-1",
    )
    arguments = asked.arguments()
    assert arguments == {
        "channel": "web",
        "fulfilment": "pickup",
        "pickup_store": 7,
        "address": None,
        "email": "ada@example.com",
        "phone": "",
        "first_name": "",
        "last_name": "",
        "discount_code": "WINTER",
        "idempotency_key": "k-1",
    }
    for checkout in (place_order, prepare_checkout):
        assert set(arguments) <= set(inspect.signature(checkout).parameters)


def test_the_request_cannot_be_changed_once_made():
    asked = CheckoutRequest(channel="web", fulfilment="delivery")
    with pytest.raises(dataclasses.FrozenInstanceError):
        asked.email = "other@example.com"
