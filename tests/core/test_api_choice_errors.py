"""A value that is not one of a field's choices is refused with the choices."""

import pytest

from tests.factories import LocationFactory

pytestmark = pytest.mark.django_db


def test_a_wrong_fulfilment_names_the_ones_there_are(api_client):
    response = api_client.post(
        "/api/v1/checkout/buy-now/",
        {"fulfilment": "click_and_collect", "lines": [{"variant": 1, "quantity": 1}]},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["extra"]["fulfilment"] == [
        '"click_and_collect" is not a valid choice; one of: delivery, pickup.'
    ]


def test_a_query_parameter_names_its_choices_too(api_client):
    shop = LocationFactory()
    response = api_client.get(
        f"/api/v1/shops/{shop.pk}/appointment-slots/",
        {"kind": "massage", "date": "2030-01-01"},
    )
    assert response.status_code == 400
    (message,) = response.json()["extra"]["kind"]
    assert message.startswith('"massage" is not a valid choice; one of: ')
