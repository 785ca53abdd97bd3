"""Gift cards and store credit last to the end of the local day they are said to be
valid until: a card or a credit counted from a moment late or early in the day is
still good all of its last day at the till, the expiry runs leave it alone until
that day has ended, and every refusal names the shops' date."""

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.utils import timezone

from customers.models import Customer
from omnistore.core.exceptions import ValidationFailed
from orders.models import GiftCard, StoreCreditKind
from orders.selectors.credit import next_store_credit_expiry
from orders.services.credit import expire_store_credit
from orders.services.egift import send_due_e_gift_cards
from orders.services.giftcards import (
    check_gift_card_tender,
    expire_gift_cards,
    issue_gift_card,
)
from tests.customers.factories import make_customer
from tests.orders.factories import deliver_outbox
from tests.orders.stored_value_helpers import (
    PIN,
    balance,
    credit_of,
    gift_card,
    give_credit,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_cache")]

ROME = ZoneInfo("Europe/Rome")


def rome(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=ROME)


def pays(card: GiftCard, pin: str, when: datetime) -> GiftCard:
    return check_gift_card_tender(
        number=card.number, pin=pin, amount=Decimal("10.00"), currency="EUR", now=when
    )


@pytest.fixture
def valid_three_years(settings):
    settings.OMNISTORE_GIFT_CARD_VALID_DAYS = 1095


def test_an_e_gift_card_pays_all_day_on_the_date_its_email_gives(valid_three_years):
    issued = rome("2023-12-06T00:30")
    card = issue_gift_card(
        amount=Decimal("50.00"),
        currency="EUR",
        kind="digital",
        recipient_email="lea@example.com",
        recipient_name="Lea",
        send_on=date(2023, 12, 6),
        now=issued,
    ).card
    assert send_due_e_gift_cards(now=issued) == [card.pk]
    deliver_outbox()
    (email,) = mail.outbox
    assert "Valid until 5 December 2026" in email.body
    pin = email.body.split("PIN: ")[1].split()[0]

    assert pays(card, pin, rome("2026-12-05T10:00")) == card
    assert pays(card, pin, rome("2026-12-05T23:59:59")) == card
    assert expire_gift_cards(now=rome("2026-12-05T23:59:59")) == 0
    with pytest.raises(ValidationFailed) as refused:
        pays(card, pin, rome("2026-12-06T00:00"))
    assert refused.value.message == "This gift card expired on 2026-12-05."
    assert refused.value.code == "gift_card_unusable"

    assert expire_gift_cards(now=rome("2026-12-06T00:00")) == 1
    assert balance(card) == 0


def test_a_card_sold_late_in_the_evening_lasts_to_the_end_of_its_last_day(
    valid_three_years,
):
    card = gift_card("30.00", now=rome("2024-03-01T23:45"))
    card.refresh_from_db()
    assert card.expires_at == rome("2027-03-01T23:59:59.999999")
    assert pays(card, PIN, rome("2027-03-01T23:50")) == card
    assert expire_gift_cards(now=rome("2027-03-01T23:50")) == 0
    assert expire_gift_cards(now=rome("2027-03-02T00:00")) == 1


def test_a_card_kept_with_an_earlier_clock_time_is_refused_naming_its_local_date():
    """A card issued before the day's end counted keeps its moment; the refusal
    still names the date the shops saw printed on it."""
    card = gift_card("20.00")
    GiftCard.objects.filter(pk=card.pk).update(expires_at=rome("2026-12-05T00:30"))
    card.refresh_from_db()
    with pytest.raises(ValidationFailed) as refused:
        pays(card, PIN, rome("2026-12-05T10:00"))
    assert refused.value.message == "This gift card expired on 2026-12-05."


def test_store_credit_booked_in_the_afternoon_is_usable_all_its_last_day(settings):
    settings.OMNISTORE_STORE_CREDIT_EXPIRY_DAYS = 365
    ada = make_customer(email="ada@example.com")
    credit = give_credit(ada, "40.00", "r1", now=rome("2025-12-06T15:00"))
    assert credit.expires_at == rome("2026-12-06T23:59:59.999999")
    due = next_store_credit_expiry(
        Customer.objects.get(pk=ada.pk), now=rome("2026-12-06T16:00")
    )
    assert timezone.localdate(due.expires_at) == date(2026, 12, 6)

    assert expire_store_credit(now=rome("2026-12-06T16:00")) == 0
    assert expire_store_credit(now=rome("2026-12-06T23:59:59")) == 0
    assert credit_of(ada) == Decimal("40.00")

    assert expire_store_credit(now=rome("2026-12-07T00:00")) == 1
    assert credit_of(ada) == 0
    expired = ada.store_credit_transactions.get(kind=StoreCreditKind.EXPIRY)
    assert expired.reason == "Expired unused (credit due by 2026-12-06)"
