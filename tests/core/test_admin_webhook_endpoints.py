"""Webhook endpoints in the admin: an empty *Event types* box is every event, and
only events the store sends (or their families) can be subscribed to."""

import pytest

from omnistore.accounts.models import Role
from omnistore.core import webhooks
from omnistore.core.models import EVENT_TYPES, WebhookDelivery, WebhookEndpoint
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
ADD = "/admin/core/webhookendpoint/add/"
URL = "https://93.184.216.34/hook"  # a public address: no name to resolve


@pytest.fixture
def admin_client(client):
    client.force_login(
        UserFactory(role=Role.HQ, is_staff=True, is_superuser=True, username="hq")
    )
    return client


@pytest.fixture(autouse=True)
def fresh_endpoints():
    webhooks.forget_endpoints()
    yield
    webhooks.forget_endpoints()


def form(event_types: str, **extra) -> dict:
    return {
        "name": "erp",
        "url": URL,
        "secret": "s3cret-key",
        "event_types": event_types,
        "active": "on",
        **extra,
    }


def change_url(endpoint: WebhookEndpoint) -> str:
    return f"/admin/core/webhookendpoint/{endpoint.pk}/change/"


def test_an_empty_box_on_add_saves_every_event(admin_client):
    response = admin_client.post(ADD, form(""))

    assert response.status_code == 302
    endpoint = WebhookEndpoint.objects.get()
    assert endpoint.event_types == []
    assert webhooks.emit("customer.erased", {"customer_id": 1}) == 1
    assert WebhookDelivery.objects.get().endpoint == endpoint


def test_emptying_the_box_on_change_saves_every_event(admin_client):
    endpoint = WebhookEndpoint.objects.create(
        name="erp", url=URL, secret="s3cret-key", event_types=["stock.*"]
    )

    response = admin_client.post(change_url(endpoint), form(""))

    assert response.status_code == 302
    endpoint.refresh_from_db()
    assert endpoint.event_types == []


def test_known_events_and_families_are_saved(admin_client):
    typed = '["order.placed", "return.*", "stock.low"]'

    response = admin_client.post(ADD, form(typed))

    assert response.status_code == 302
    endpoint = WebhookEndpoint.objects.get()
    assert endpoint.event_types == ["order.placed", "return.*", "stock.low"]


@pytest.mark.parametrize(
    "typed, unknown",
    [
        ('["order.shipped", "orders.placed", "refund.created"]', "'order.shipped'"),
        ('["order.placed", "orders.placed"]', "'orders.placed'"),
        ('["refund.*"]', "'refund.*'"),
        ('["order.placed.*"]', "'order.placed.*'"),
        ('["*"]', "'*'"),
    ],
)
def test_names_the_store_never_sends_are_refused_naming_the_events(
    admin_client, typed, unknown
):
    response = admin_client.post(ADD, form(typed))

    assert response.status_code == 200
    assert not WebhookEndpoint.objects.exists()
    errors = response.context["adminform"].form.errors["event_types"]
    assert len(errors) == 1
    assert unknown in errors[0]
    for event in EVENT_TYPES:
        assert event in errors[0]


def test_every_unknown_name_is_named_at_once(admin_client):
    response = admin_client.post(
        ADD, form('["order.shipped", "orders.placed", "refund.created"]')
    )

    error = response.context["adminform"].form.errors["event_types"][0]
    assert "'order.shipped', 'orders.placed', 'refund.created'" in error


def test_a_stored_unknown_name_is_refused_when_the_endpoint_is_saved_again(
    admin_client,
):
    endpoint = WebhookEndpoint.objects.create(
        name="erp", url=URL, secret="s3cret-key", event_types=["orders.placed"]
    )

    response = admin_client.post(change_url(endpoint), form('["orders.placed"]'))

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "'orders.placed'" in errors["event_types"][0]
    response = admin_client.post(change_url(endpoint), form('["order.placed"]'))
    assert response.status_code == 302
    endpoint.refresh_from_db()
    assert endpoint.event_types == ["order.placed"]
