"""Managers look at terminals and card-present intents in the admin, with every
status change (who, when, from where); nothing there can be changed by hand."""

import pytest
from django.urls import reverse

from orders.models import TerminalIntentStatus
from orders.services.terminals import (
    SOURCE_WEBHOOK,
    settle_terminal_intent,
    start_terminal_payment,
)
from tests.factories import StaffFactory, UserFactory
from tests.orders.factories import shop, stocked
from tests.orders.terminal_helpers import basket, card_sale, reader

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager(client):
    user = UserFactory(username="boss", is_staff=True, is_superuser=True, role="hq")
    client.force_login(user)
    return client


@pytest.fixture
def declined():
    store = shop(code="MI01")
    item = stocked(store, 5, price="40.00")
    associate = StaffFactory(
        store=store, username="giulia", first_name="Giulia", last_name="Bianchi"
    )
    intent = start_terminal_payment(
        device=reader(store, label="Till 1"),
        cart=basket([(item, 1)]),
        sale=card_sale([(item, 1)]),
        staff=associate,
    )
    return settle_terminal_intent(
        intent=intent,
        status=TerminalIntentStatus.DECLINED,
        message="Do not honour",
        source=SOURCE_WEBHOOK,
    )


def test_intents_are_listed_and_their_history_is_shown(manager, declined):
    listing = manager.get(reverse("admin:orders_terminalintent_changelist"))
    assert listing.status_code == 200
    assert declined.reference in listing.content.decode()

    url = reverse("admin:orders_terminalintent_change", args=[declined.pk])
    page = manager.get(url).content.decode()
    assert "status history" in page.lower()
    assert "Do not honour" in page
    assert "webhook" in page
    assert "Giulia Bianchi" in page


def test_intents_and_terminals_cannot_be_changed_by_hand(manager, declined):
    url = reverse("admin:orders_terminalintent_change", args=[declined.pk])
    response = manager.post(url, {"status": "completed"})
    assert response.status_code == 403
    declined.refresh_from_db()
    assert declined.status == TerminalIntentStatus.DECLINED
    for name in ("terminalintent", "terminaldevice"):
        assert manager.get(reverse(f"admin:orders_{name}_add")).status_code == 403
    devices = manager.get(reverse("admin:orders_terminaldevice_changelist"))
    assert "Till 1" in devices.content.decode()
