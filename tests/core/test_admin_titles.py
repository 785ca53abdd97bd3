"""Platform records are titled by names and labels: a webhook delivery by its event,
the subscriber it goes to and its status; a login by the person's name."""

import pytest

from omnistore.core.models import WebhookDelivery, WebhookEndpoint
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_a_webhook_delivery_names_its_subscriber_and_status():
    erp = WebhookEndpoint(name="ERP", url="https://erp.example.org/hook", secret="s")
    delivery = WebhookDelivery(
        endpoint=erp,
        event_type="order.placed",
        payload={},
        status=WebhookDelivery.Status.PENDING,
    )
    assert str(delivery) == (
        f"order.placed to ERP ({WebhookDelivery.Status.PENDING.label.lower()})"
    )


def test_a_login_is_named_by_the_person_and_by_username_without_a_name():
    assert str(
        UserFactory(username="marco", first_name="Marco", last_name="Bruni")
    ) == ("Marco Bruni")
    assert str(UserFactory(username="till-7", first_name="", last_name="")) == "till-7"
