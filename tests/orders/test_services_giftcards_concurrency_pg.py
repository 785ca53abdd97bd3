"""One gift card spent at several tills and the web at once, and refunded while it is
being spent: real threads, real connections, real row locks on PostgreSQL."""

import time
from decimal import Decimal

import pytest
from django.contrib.auth.hashers import MD5PasswordHasher

from omnistore.core.exceptions import ValidationFailed
from orders.models import GiftCard, Order, Payment
from orders.services.checkout import LineRequest, place_order
from orders.services.giftcard_pins import authenticate_card
from orders.services.payments import PaymentRequest, refund_payment
from tests.concurrency import run_parallel
from tests.factories import StaffFactory
from tests.orders.factories import pickup_order, shop, stocked
from tests.orders.stored_value_helpers import PIN, balance, gift_card, ledger_total

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("fresh_cache"),
]


def gift(card, amount: str) -> PaymentRequest:
    return PaymentRequest(
        method="gift_card", amount=Decimal(amount), card_number=card.number, pin=PIN
    )


def counter_sale(store, clerk, item, card, amount):
    return place_order(
        lines=[LineRequest(item, 1)],
        channel="store",
        fulfilment="carry_out",
        placing_location=store,
        staff=clerk,
        payments=[gift(card, amount), PaymentRequest(method="card_in_store")],
    )


def web_order(store, item, card, amount, n):
    return pickup_order(
        store=store,
        lines=[(item, 1)],
        email=f"web{n}@example.com",
        payments=[gift(card, amount), PaymentRequest("card_online", "tok_visa")],
    )


def test_three_tills_and_the_web_spend_one_card_only_as_far_as_it_goes():
    """50.00 on the card, six spends of 20.00 at once (three tills, three web
    checkouts): exactly two go through, the others are refused whole."""
    tills = [shop() for _ in range(3)]
    web_shop = shop()
    items = {store.pk: stocked(store, 5, price="60.00") for store in [*tills, web_shop]}
    clerks = [StaffFactory(store=store) for store in tills]
    card = gift_card("50.00")

    jobs = [
        (lambda s=s, c=c: counter_sale(s, c, items[s.pk], card, "20.00"))
        for s, c in zip(tills, clerks, strict=True)
    ] + [
        (lambda n=n: web_order(web_shop, items[web_shop.pk], card, "20.00", n))
        for n in range(3)
    ]
    results = run_parallel(jobs)

    placed = [r for r in results if isinstance(r, Order)]
    refused = [r for r in results if isinstance(r, ValidationFailed)]
    assert len(placed) == 2, results
    assert len(refused) == 4, results
    assert {r.code for r in refused} == {"insufficient_gift_card_balance"}
    assert balance(card) == Decimal("10.00")
    assert ledger_total(card) == Decimal("10.00")
    assert Order.objects.count() == 2
    assert Payment.objects.filter(method="gift_card").count() == 2
    # Nothing refused was charged to a card either.
    assert Payment.objects.exclude(method="gift_card").count() == 2


def test_a_refund_and_a_spend_at_once_leave_the_ledger_equal_to_the_balance():
    store = shop()
    item = stocked(store, 10, price="60.00")
    clerk = StaffFactory(store=store)
    card = gift_card("50.00")
    first = counter_sale(store, clerk, item, card, "30.00")
    paid_by_card = first.payments.get(method="gift_card")
    assert balance(card) == Decimal("20.00")

    results = run_parallel(
        [
            lambda: refund_payment(
                payment=paid_by_card,
                amount=Decimal("30.00"),
                reason="Changed their mind",
                reference="refund-at-once",
                actor=clerk,
            ),
            lambda: counter_sale(store, clerk, item, card, "20.00"),
            lambda: counter_sale(store, clerk, item, card, "20.00"),
        ]
    )

    errors = [r for r in results if isinstance(r, Exception)]
    assert all(isinstance(e, ValidationFailed) for e in errors), results
    card.refresh_from_db()
    assert card.balance >= 0
    assert ledger_total(card) == card.balance
    spent = Payment.objects.filter(method="gift_card").exclude(pk=paid_by_card.pk)
    # 50 loaded - 30 - (spends) + 30 refunded
    assert card.balance == Decimal("50.00") - sum(p.amount for p in spent)
    assert GiftCard.objects.filter(balance__lt=0).count() == 0


class CountingHasher(MD5PasswordHasher):
    """MD5 (the tests' hasher) that counts the PINs it judged, and takes a moment to
    judge each, as a real hash does: tries arriving together overlap."""

    algorithm = "counted_md5"
    judged: list = []

    def verify(self, password, encoded):
        self.judged.append(password)  # appending is atomic across threads
        time.sleep(0.02)
        return super().verify(password, encoded)


@pytest.mark.parametrize("caller", ["", "api:203.0.113.9"])
def test_a_burst_of_wrong_pins_judges_no_more_than_the_limit(settings, caller):
    """Every try is counted before its PIN is judged: of thirty wrong PINs sent at
    once, only as many as the limit allows are checked against the card."""
    settings.PASSWORD_HASHERS = [f"{__name__}.CountingHasher"]
    settings.OMNISTORE_GIFT_CARD_PIN_MAX_FAILURES = 5
    card = gift_card("50.00")
    CountingHasher.judged.clear()

    def wrong():
        return authenticate_card(number=card.number, pin="0000", caller=caller)

    results = run_parallel([wrong] * 30)

    codes = [getattr(r, "code", r) for r in results]
    assert set(codes) <= {"gift_card_invalid", "gift_card_locked"}, codes
    assert codes.count("gift_card_invalid") == 4  # tries 1 to 4; the 5th locks
    assert len(CountingHasher.judged) == 5
    with pytest.raises(ValidationFailed) as refused:  # the right PIN now waits too
        authenticate_card(number=card.number, pin=PIN)
    assert refused.value.code == "gift_card_locked"
