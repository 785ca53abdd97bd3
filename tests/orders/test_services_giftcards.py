"""Gift cards through their services: issue, void and adjust with a reason and a
manager's approval, expiry as breakage, the PIN stored hashed, and the admin that
reads them and calls the services."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.admin.models import LogEntry
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from omnistore.accounts.models import Role
from omnistore.approvals.services.approvals import ApprovalRequired
from omnistore.core.exceptions import Conflict, ValidationFailed
from orders.models import GiftCard, GiftCardStatus, GiftCardTransaction
from orders.services.egift import send_due_e_gift_cards
from orders.services.giftcard_pins import authenticate_card
from orders.services.giftcards import (
    adjust_gift_card,
    expire_gift_cards,
    issue_gift_card,
    void_gift_card,
)
from tests.approvals.helpers import approved, make_approver
from tests.factories import StaffFactory, UserFactory
from tests.orders.factories import shop
from tests.orders.stored_value_helpers import balance, gift_card, ledger_total

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_cache")]


def test_issuing_stores_the_pin_hashed_and_books_the_load():
    issued = issue_gift_card(amount=Decimal("25.00"), currency="EUR")
    card = issued.card
    assert len(card.number) == 16 and len(issued.pin) == 6
    assert issued.pin not in card.pin_hash
    assert authenticate_card(number=card.number, pin=issued.pin) == card
    assert list(card.transactions.values_list("kind", "amount")) == [
        ("issue", Decimal("25.00"))
    ]
    assert card.expires_at > timezone.now() + timedelta(days=365)


def test_a_physical_card_scanned_twice_is_refused():
    gift_card(number="6000 1111 2222 3333")
    with pytest.raises(ValidationFailed, match="already active"):
        gift_card(number="6000111122223333")


@pytest.mark.parametrize("amount", ["0", "-5", "5000", "abc"])
def test_an_amount_out_of_bounds_is_refused(amount):
    with pytest.raises(ValidationFailed):
        issue_gift_card(amount=amount, currency="EUR")
    assert not GiftCard.objects.exists()


def test_the_database_refuses_a_negative_balance():
    card = gift_card("10.00")
    with pytest.raises(IntegrityError), transaction.atomic():
        GiftCard.objects.filter(pk=card.pk).update(balance=Decimal("-1.00"))


def test_an_associate_voiding_a_card_waits_for_a_manager_then_it_is_empty():
    store = shop()
    associate = StaffFactory(store=store)
    manager = make_approver(
        StaffFactory(store=store, role=Role.STORE_MANAGER, username="mgr")
    )
    card = gift_card("40.00")
    with pytest.raises(ApprovalRequired) as asked:
        void_gift_card(
            card=card, reason="Reported stolen", actor=associate, location=store
        )
    assert balance(card) == Decimal("40.00")
    yes = approved(asked.value, associate, manager)
    void_gift_card(
        card=card,
        reason="Reported stolen",
        actor=associate,
        location=store,
        approvals=[yes.pk],
    )
    card.refresh_from_db()
    assert card.status == GiftCardStatus.VOID and card.balance == 0
    void = card.transactions.get(kind="void")
    assert (void.amount, void.reason, void.approval) == (
        Decimal("-40.00"),
        "Reported stolen",
        yes,
    )
    assert ledger_total(card) == 0
    with pytest.raises(Conflict):
        void_gift_card(card=card, reason="Again", actor=manager, location=store)


def test_voiding_an_empty_card_keeps_who_asked_why_and_whose_approval():
    store = shop()
    associate = StaffFactory(store=store, username="ada")
    manager = make_approver(
        StaffFactory(store=store, role=Role.STORE_MANAGER, username="mgr")
    )
    card = gift_card("15.00")
    adjust_gift_card(
        card=card, amount="-15", reason="Spent", actor=manager, location=store
    )
    with pytest.raises(ApprovalRequired) as asked:
        void_gift_card(card=card, reason="Found torn", actor=associate, location=store)
    yes = approved(asked.value, associate, manager)

    void_gift_card(
        card=card,
        reason="Found torn",
        actor=associate,
        location=store,
        approvals=[yes.pk],
    )

    card.refresh_from_db()
    assert card.status == GiftCardStatus.VOID
    entry = LogEntry.objects.get(object_id=str(card.pk))
    assert (entry.user, entry.action_time) == (associate, card.voided_at)
    assert entry.change_message == (
        f"Voided: Found torn (approval {yes.pk}, given by {manager})"
    )
    assert ledger_total(card) == 0


def test_a_void_or_an_adjustment_needs_a_reason():
    card = gift_card()
    with pytest.raises(ValidationFailed, match="Say why"):
        void_gift_card(card=card, reason=" ", actor=None)
    with pytest.raises(ValidationFailed, match="Say why"):
        adjust_gift_card(card=card, amount="5", reason="", actor=None)


def test_an_adjustment_moves_the_balance_with_its_reason_never_below_zero():
    store = shop()
    manager = make_approver(
        StaffFactory(store=store, role=Role.STORE_MANAGER, username="mgr")
    )
    card = gift_card("20.00")
    adjust_gift_card(
        card=card,
        amount="-5.00",
        reason="Double load at the till",
        actor=manager,
        location=store,
    )
    assert balance(card) == Decimal("15.00")
    with pytest.raises(ValidationFailed):
        adjust_gift_card(
            card=card, amount="-16.00", reason="Too much", actor=manager, location=store
        )
    assert balance(card) == ledger_total(card) == Decimal("15.00")
    row = card.transactions.get(kind="adjust")
    assert row.actor == manager and row.approval is not None


def test_expired_cards_lose_what_is_left_once():
    card = gift_card("30.00")
    later = card.expires_at + timedelta(seconds=1)
    assert expire_gift_cards(now=later) == 1
    assert expire_gift_cards(now=later) == 0
    assert balance(card) == 0
    assert card.transactions.get(kind="expire").amount == Decimal("-30.00")


def test_the_admin_shows_the_ledger_and_voids_with_a_reason(client):
    boss = UserFactory(username="boss", role=Role.HQ, is_staff=True, is_superuser=True)
    client.force_login(boss)
    card = gift_card("12.00")
    page = client.get(reverse("admin:orders_giftcard_change", args=[card.pk]))
    html = page.content.decode()
    assert page.status_code == 200
    assert "12.00" in html and "Issued" in html
    assert "pin_hash" not in html and card.pin_hash not in html
    listing = client.get(reverse("admin:orders_giftcard_changelist"))
    assert listing.status_code == 200
    client.post(
        reverse("admin:orders_giftcard_changelist"),
        {
            "action": "void_cards",
            "_selected_action": [card.pk],
            "reason": "Lost",
            "confirm": "yes",
        },
    )
    card.refresh_from_db()
    assert card.status == GiftCardStatus.VOID
    assert GiftCardTransaction.objects.get(kind="void").reason == "Lost"


def test_the_admin_refuses_a_void_without_a_reason(client):
    boss = UserFactory(username="boss", role=Role.HQ, is_staff=True, is_superuser=True)
    client.force_login(boss)
    card = gift_card("12.00")
    response = client.post(
        reverse("admin:orders_giftcard_changelist"),
        {
            "action": "void_cards",
            "_selected_action": [card.pk],
            "reason": "",
            "confirm": "yes",
        },
        follow=True,
    )
    assert "Say why" in response.content.decode()
    assert balance(card) == Decimal("12.00")


def test_the_liability_report_per_currency_with_breakage_as_page_and_csv(
    client, django_assert_num_queries
):
    boss = UserFactory(username="boss", role=Role.HQ, is_staff=True, is_superuser=True)
    client.force_login(boss)
    kept = gift_card("50.00")
    lapsed = gift_card("10.00")
    francs = gift_card("30.00", currency="CHF")
    GiftCard.objects.filter(pk__in=[kept.pk, francs.pk]).update(
        expires_at=lapsed.expires_at + timedelta(days=30)
    )
    adjust_gift_card(card=kept, amount="-20.00", reason="Correction", actor=None)
    expire_gift_cards(now=lapsed.expires_at + timedelta(seconds=1))
    # The expiry lands years ahead: a report to today sees it still owed.
    url = reverse("admin:orders_giftcard_liability")
    page = client.get(url)
    assert page.status_code == 200
    rows = {(r.tender, r.currency): r for r in page.context["rows"]}
    eur = rows[("Gift cards", "EUR")]
    assert (eur.outstanding, eur.issued, eur.adjusted, eur.expired) == (
        Decimal("40.00"),
        Decimal("60.00"),
        Decimal("-20.00"),
        Decimal("0.00"),
    )
    assert rows[("Gift cards", "CHF")].outstanding == Decimal("30.00")
    later = (lapsed.expires_at + timedelta(days=1)).date()
    start = timezone.localdate()
    with django_assert_num_queries(4):  # session, user, two ledgers
        csv_response = client.get(url, {"start": start, "end": later, "format": "csv"})
    text = csv_response.content.decode()
    assert text.splitlines()[0].startswith("tender,market,currency,outstanding")
    assert "Gift cards,All markets,EUR,30.00,60.00,0.00,0.00,-10.00,0.00,-20.00" in text
    bad = client.get(url, {"start": "2026-02-01", "end": "2026-01-01"})
    assert bad.status_code == 400
    this_month = client.get(url, {"format": "csv"})  # no period: this month so far
    assert this_month.status_code == 200
    month_start = timezone.localdate().replace(day=1)
    assert (
        f"-{month_start}-{timezone.localdate()}.csv"
        in (this_month["Content-Disposition"])
    )
    assert "Gift cards,All markets,EUR,40.00,60.00" in this_month.content.decode()


def test_an_e_gift_card_is_emailed_on_its_date_once_with_a_pin_that_works():
    from django.core import mail

    from tests.orders.factories import deliver_outbox

    today = timezone.localdate()
    card = issue_gift_card(
        amount=Decimal("75.00"),
        currency="EUR",
        kind="digital",
        recipient_email="lea@example.com",
        recipient_name="Lea",
        message="Happy birthday",
        send_on=today + timedelta(days=2),
    ).card
    assert send_due_e_gift_cards() == []
    later = timezone.now() + timedelta(days=2)
    assert send_due_e_gift_cards(now=later) == [card.pk]
    assert send_due_e_gift_cards(now=later) == []
    deliver_outbox()
    (email,) = mail.outbox
    assert email.to == ["lea@example.com"]
    assert card.number in email.body and "Happy birthday" in email.body
    pin = email.body.split("PIN: ")[1].split()[0]
    assert authenticate_card(number=card.number, pin=pin).pk == card.pk


def test_the_last_cents_of_a_card_spend_to_exactly_zero():
    """59.90 less 49.10 leaves 10.80, and 10.80 can be taken: in binary floating
    point (SQLite's arithmetic) 59.90 - 49.10 is a hair under 10.80."""
    store = shop()
    manager = make_approver(
        StaffFactory(store=store, role=Role.STORE_MANAGER, username="mgr")
    )
    card = gift_card("59.90")
    for amount in ("-49.10", "-10.80"):
        adjust_gift_card(
            card=card, amount=amount, reason="Fix", actor=manager, location=store
        )
    assert balance(card) == ledger_total(card) == Decimal("0.00")
