"""Each admin action on the order book asks for the right of what it changes: issuing
invoices the invoices' add right (HQ), voiding or adjusting gift cards the gift
cards' change right. Who lacks it is not offered the action, and a posted one
changes nothing."""

from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from omnistore.accounts.models import Role
from orders.models import GiftCardStatus, Invoice
from tests.factories import StaffFactory, UserFactory
from tests.orders.receipt_helpers import business, entity_shop, item, legal_entity
from tests.orders.returns_helpers import counter_sale
from tests.orders.stored_value_helpers import balance, gift_card

pytestmark = pytest.mark.django_db

ORDERS = reverse("admin:orders_order_changelist")
CARDS = reverse("admin:orders_giftcard_changelist")


@pytest.fixture
def shop():
    return entity_shop(legal_entity())


@pytest.fixture
def business_order(shop):
    return counter_sale(
        store=shop,
        lines=[(item(shop, "Oxford shirt", "SHIRT", "61.00"), 1)],
        staff=StaffFactory(store=shop),
        customer=business(),
    )


def offered(client, url) -> set[str]:
    """The actions the list offers (none: no action menu at all)."""
    page = client.get(url)
    assert page.status_code == 200
    form = page.context["action_form"]
    if form is None:
        return set()
    return {value for value, _ in form.fields["action"].choices if value}


def test_a_store_manager_is_not_offered_invoices_and_cannot_issue_one(
    client, shop, business_order
):
    client.force_login(UserFactory(role=Role.STORE_MANAGER, store=shop))

    actions = offered(client, ORDERS)
    response = client.post(
        ORDERS, {"action": "issue_invoices", "_selected_action": [business_order.pk]}
    )

    assert {"cancel_orders", "export_csv"} <= actions
    assert "issue_invoices" not in actions
    assert response.status_code == 302
    assert not Invoice.objects.exists()


def test_headquarters_issues_invoices_from_the_order_list(client, business_order):
    client.force_login(UserFactory(role=Role.HQ))

    assert "issue_invoices" in offered(client, ORDERS)
    response = client.post(
        ORDERS, {"action": "issue_invoices", "_selected_action": [business_order.pk]}
    )

    assert response.status_code == 302
    assert Invoice.objects.filter(order=business_order).count() == 1


@pytest.fixture
def card_reader(client, shop):
    """A manager who was also let read gift cards, without the right to change them."""
    manager = UserFactory(role=Role.STORE_MANAGER, store=shop)
    manager.user_permissions.add(Permission.objects.get(codename="view_giftcard"))
    client.force_login(manager)
    return client


def test_reading_gift_cards_offers_neither_void_nor_adjust(card_reader):
    card = gift_card("40.00")

    actions = offered(card_reader, CARDS)
    voided = card_reader.post(
        CARDS,
        {
            "action": "void_cards",
            "_selected_action": [card.pk],
            "reason": "x",
            "confirm": "yes",
        },
    )
    adjusted = card_reader.post(
        CARDS,
        {
            "action": "adjust_cards",
            "_selected_action": [card.pk],
            "reason": "Goodwill",
            "amount": "10.00",
        },
    )

    assert not {"void_cards", "adjust_cards"} & actions
    assert (voided.status_code, adjusted.status_code) == (200, 200)  # the list again
    card.refresh_from_db()
    assert card.status != GiftCardStatus.VOID
    assert balance(card) == Decimal("40.00")


def test_headquarters_voids_and_adjusts_gift_cards(client):
    client.force_login(UserFactory(role=Role.HQ))
    kept, lost = gift_card("40.00"), gift_card("25.00")

    assert {"void_cards", "adjust_cards"} <= offered(client, CARDS)
    client.post(
        CARDS,
        {
            "action": "adjust_cards",
            "_selected_action": [kept.pk],
            "reason": "Goodwill",
            "amount": "10.00",
        },
    )
    client.post(
        CARDS,
        {
            "action": "void_cards",
            "_selected_action": [lost.pk],
            "reason": "Stolen",
            "confirm": "yes",
        },
    )

    assert balance(kept) == Decimal("50.00")
    lost.refresh_from_db()
    assert lost.status == GiftCardStatus.VOID
