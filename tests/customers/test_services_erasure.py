"""Erasure forgets the person everywhere: every app's rows, the timeline, outbox and
webhook payloads, messages, the admin's history; the books stay."""

import json
from decimal import Decimal

import pytest
from django.apps import apps
from django.db import connection, models

from campaigns.models import Message, MessageStatus
from customers.models import (
    Customer,
    CustomerEvent,
    CustomerIdentity,
    LoyaltyTransaction,
    Wishlist,
)
from customers.selectors.wishlists import WISHLIST_SHARE_TOPIC
from customers.services.erasure import erase_customer
from omnistore.core.models import OutboxMessage
from orders.emails import TOPIC as ORDER_EMAIL_TOPIC
from orders.models import Order, Return, StoreCreditTransaction
from tests.customers.personal_data import FIRST, FRIEND, LAST, seed_person

pytestmark = pytest.mark.django_db

TEXT_FIELDS = (
    models.CharField,
    models.TextField,
    models.JSONField,
)


def rows_holding(markers: list[str]) -> list[str]:
    """Every (model, field, value) whose text holds one of ``markers``, any case."""
    needles = [m.casefold() for m in markers]
    found = []
    tables = set(connection.introspection.table_names())
    for model in apps.get_models():
        if model._meta.db_table not in tables:
            continue
        names = [
            f.attname for f in model._meta.concrete_fields if isinstance(f, TEXT_FIELDS)
        ]
        if not names:
            continue
        for row in model.objects.values_list(*names):
            for name, value in zip(names, row, strict=True):
                text = value if isinstance(value, str) else json.dumps(value)
                if any(n in (text or "").casefold() for n in needles):
                    found.append(f"{model._meta.label}.{name}: {text[:80]}")
    return found


def erase(person):
    """The person's own erasure, giving up the store credit and points they hold."""
    erase_customer(
        customer=person.customer,
        actor=person.user,
        channel="web",
        forfeit_balance=True,
    )


def test_seeded_values_are_there_before_the_erasure():
    person = seed_person()
    found = rows_holding(person.markers)
    tables = {entry.split(".")[0] + "." + entry.split(".")[1] for entry in found}
    # The seed really reaches every app, so the check after erasure means something.
    for label in (
        "customers.Customer",
        "customers.CustomerEvent",
        "customers.Address",
        "customers.Wishlist",
        "customers.StaffNote",
        "orders.Order",
        "orders.Fulfilment",
        "orders.Return",
        "orders.ReturnLine",
        "campaigns.Message",
        "core.OutboxMessage",
        "accounts.User",
        "admin.LogEntry",
    ):
        assert label in tables, label


def test_erasure_leaves_none_of_the_persons_values_in_any_text_column():
    person = seed_person()
    erase(person)
    assert rows_holding(person.markers) == []


def test_the_erasure_writes_no_personal_data_of_its_own():
    """Withdrawing consents as the customer's own login used to write their name into
    the new timeline rows."""
    person = seed_person()
    before = CustomerEvent.objects.count()
    erase(person)
    written = CustomerEvent.objects.order_by("id")[before:]
    assert {e.kind for e in written} == {
        "consent_withdrawn",
        "store_credit",
        "points_reversed",
        "customer_erased",
    }
    for event in written:
        text = event.summary + json.dumps(event.data)
        assert FIRST not in text and LAST not in text


def test_the_books_stay_amounts_dates_statuses_and_ids():
    person = seed_person()
    customer = person.customer
    orders = {o.number: (o.status, o.total, o.created_at) for o in Order.objects.all()}
    returns = {r.code: (r.status, r.refund_total) for r in Return.objects.all()}
    credit = dict(StoreCreditTransaction.objects.values_list("pk", "amount"))
    points = dict(
        LoyaltyTransaction.objects.filter(customer=customer).values_list("pk", "points")
    )
    held = (customer.store_credit_balance, customer.points_balance)
    assert held[0] > Decimal("0") and held[1] > 0

    erase(person)

    assert {
        o.number: (o.status, o.total, o.created_at) for o in Order.objects.all()
    } == orders
    assert {r.code: (r.status, r.refund_total) for r in Return.objects.all()} == returns
    # Every booking stays as it was; what was given up is booked off on top of them.
    credit_after = dict(StoreCreditTransaction.objects.values_list("pk", "amount"))
    points_after = dict(
        LoyaltyTransaction.objects.filter(customer=customer).values_list("pk", "points")
    )
    assert credit.items() < credit_after.items()
    assert points.items() < points_after.items()
    assert [v for k, v in credit_after.items() if k not in credit] == [-held[0]]
    assert [v for k, v in points_after.items() if k not in points] == [-held[1]]
    customer.refresh_from_db()
    assert (customer.store_credit_balance, customer.points_balance) == (0, 0)
    assert sum(credit_after.values()) == 0 and sum(points_after.values()) == 0
    assert Order.objects.filter(customer=customer).count() == len(orders)


def test_the_loyalty_number_is_replaced_and_finds_no_one():
    person = seed_person()
    number = person.customer.loyalty_number
    erase(person)
    person.customer.refresh_from_db()
    assert person.customer.loyalty_number == f"erased-{person.customer.pk}"
    assert not Customer.objects.filter(loyalty_number=number).exists()
    assert not CustomerIdentity.objects.filter(value=number).exists()


def test_a_pending_wishlist_share_is_cancelled_and_loses_recipient_and_message():
    person = seed_person()
    share = OutboxMessage.objects.get(topic=WISHLIST_SHARE_TOPIC)
    assert share.processed_at is None and share.payload["to"] == FRIEND
    erase(person)
    share.refresh_from_db()
    assert share.processed_at is not None and "erased" in share.last_error
    assert share.payload["to"] == "[erased]" and share.payload["message"] == "[erased]"
    assert share.payload["wishlist_id"] == Wishlist.objects.get().pk


def test_order_emails_not_sent_yet_are_cancelled():
    person = seed_person()
    pending = OutboxMessage.objects.filter(
        topic=ORDER_EMAIL_TOPIC, processed_at__isnull=True
    )
    assert pending.exists()
    erase(person)
    assert not pending.exists()


def test_queued_messages_are_skipped_and_provider_errors_blanked():
    person = seed_person()
    erase(person)
    statuses = dict(
        Message.objects.filter(customer=person.customer).values_list(
            "channel", "status"
        )
    )
    assert statuses == {"email": MessageStatus.FAILED, "sms": MessageStatus.SKIPPED}
    assert not Message.objects.filter(error__contains="@").exists()
