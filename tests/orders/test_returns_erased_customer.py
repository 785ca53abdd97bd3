"""A return on the order of a customer whose personal data was erased puts nothing on
the erased profile: nobody can sign in to it, find it or attach it to a sale, so
store credit there could never be spent. The desk does not offer store credit nor
an exchange and says why; asked anyway, it is refused and nothing is written; the
refund goes back to the original payment and takes no points back (the erasure
wrote them off: points owed there could never be paid). A gift card that can no
longer take its part back is refused the same way, and the ledger itself books no
credit on an erased profile."""

from __future__ import annotations

import re
from decimal import Decimal
from html import unescape

import pytest
from django.urls import reverse

from customers.models import Customer, CustomerEvent, LoyaltyTransaction
from customers.services.erasure import erase_customer
from omnistore.accounts.models import Role
from omnistore.core.exceptions import Conflict, ReturnNotAllowed, ValidationFailed
from omnistore.staff.once import new_token
from orders.models import (
    PaymentMethod,
    RefundMethod,
    Return,
    ReturnStatus,
    StoreCreditKind,
    StoreCreditTransaction,
)
from orders.services.checkout import LineRequest, place_order
from orders.services.credit import book_store_credit
from orders.services.exchanges import exchange_items
from orders.services.giftcards import void_gift_card
from orders.services.payments import PaymentRequest
from orders.services.refunds import return_at_counter
from orders.services.till import TillBooking
from tests.customers.factories import make_customer
from tests.factories import StaffFactory
from tests.orders.factories import deliver_outbox, shop, stocked
from tests.orders.returns_helpers import counter_sale, line_request
from tests.orders.stored_value_helpers import PIN, gift_card
from tests.orders.till_helpers import open_counter_till

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_cache")]

ERASED = (
    "the customer's profile was erased, so nobody could ever spend store credit on it"
)


@pytest.fixture
def store():
    return shop(code="TO01", name="Torino Centro")


@pytest.fixture
def clerk(store):
    """A manager, so no refund waits for another's approval."""
    return StaffFactory(store=store, role=Role.STORE_MANAGER)


@pytest.fixture
def erased_sale(store, clerk):
    """Eva's sale at the counter, its points credited; then her data is erased on
    request (her points given up with it)."""
    till = open_counter_till(clerk)
    eva = make_customer(email="eva@example.com", first_name="Eva")
    sale = counter_sale(
        store=store,
        lines=[(stocked(store, 3, price="40.00"), 2)],
        staff=clerk,
        customer=eva,
        till=TillBooking(till, None),
    )
    deliver_outbox()
    sale.refresh_from_db()
    assert sale.loyalty_points > 0
    erase_customer(customer=eva, forfeit_balance=True)
    eva.refresh_from_db()
    assert eva.is_anonymised and eva.points_balance == 0
    return sale


def written_on(customer) -> tuple[int, int, int]:
    """What is booked on the profile: ledger rows of points and store credit, and
    timeline events."""
    return (
        LoyaltyTransaction.objects.filter(customer=customer).count(),
        StoreCreditTransaction.objects.filter(customer=customer).count(),
        CustomerEvent.objects.filter(customer=customer).count(),
    )


def refund_choices(html: str) -> dict[str, str]:
    """The refund method radios on the page: value → the input tag."""
    tags = re.findall(r'<input[^>]*name="refund_method"[^>]*>', html)
    return {re.search(r'value="([^"]+)"', tag).group(1): tag for tag in tags}


def test_the_desk_offers_no_store_credit_nor_exchange_and_refuses_it_if_asked(
    client, clerk, erased_sale
):
    client.force_login(clerk)
    eva = erased_sale.customer
    before = written_on(eva)
    page = reverse("staff:return_start", args=[erased_sale.number])

    html = unescape(client.get(page).content.decode())

    choices = refund_choices(html)
    assert " disabled" in choices["store_credit"]
    assert " disabled" not in choices["original"]
    assert f"Store credit: not here. No store credit: {ERASED}." in html
    assert 'data-testid="exchange-instead"' not in html
    assert 'data-testid="no-exchange"' in html
    line = erased_sale.lines.get()
    form = {
        "once": new_token(),
        f"qty_{line.pk}": "1",
        f"reason_{line.pk}": "too_small",
        f"condition_{line.pk}": "sellable",
        "refund_method": "store_credit",
        "action": "refund",
    }

    refused = client.post(page, form)

    assert refused.status_code == 422
    assert ERASED in unescape(refused.content.decode())
    assert not Return.objects.exists()
    assert written_on(eva) == before
    assert Customer.objects.get(pk=eva.pk).store_credit_balance == Decimal("0.00")

    refunded = client.post(
        page, {**form, "once": new_token(), "refund_method": "original"}
    )

    assert refunded.status_code == 302
    ret = Return.objects.get()
    assert (ret.status, ret.refund_method) == (
        ReturnStatus.REFUNDED,
        RefundMethod.ORIGINAL,
    )


def test_a_return_refunded_to_the_payment_takes_no_points_from_the_erased_profile(
    store, clerk, erased_sale
):
    eva = erased_sale.customer
    ledger = LoyaltyTransaction.objects.filter(customer=eva).count()

    ret = return_at_counter(
        order=erased_sale.number,
        lines=[line_request(erased_sale, 2)],
        location=store,
        actor=clerk,
    )

    assert ret.status == ReturnStatus.REFUNDED
    assert ret.refund_total == Decimal("80.00")
    assert ret.points_reversed == 0
    eva.refresh_from_db()
    assert (eva.points_balance, eva.points_owed) == (0, 0)
    assert LoyaltyTransaction.objects.filter(customer=eva).count() == ledger


def test_store_credit_asked_at_the_counter_is_refused_at_refund_method(
    store, clerk, erased_sale
):
    eva = erased_sale.customer
    before = written_on(eva)

    with pytest.raises(ValidationFailed) as refused:
        return_at_counter(
            order=erased_sale.number,
            lines=[line_request(erased_sale)],
            location=store,
            actor=clerk,
            refund_method=RefundMethod.STORE_CREDIT,
        )

    assert refused.value.code == "profile_erased"
    assert refused.value.extra["refund_method"] == [
        f"No store credit: {ERASED}. Refund to the original payment."
    ]
    assert not Return.objects.exists()
    assert written_on(eva) == before


def test_no_exchange_moves_value_through_an_erased_profile(store, clerk, erased_sale):
    eva = erased_sale.customer
    before = written_on(eva)

    with pytest.raises(ValidationFailed) as refused:
        exchange_items(
            order=erased_sale.number,
            lines=[line_request(erased_sale)],
            replacement=[(stocked(store, 2, price="40.00"), 1)],
            location=store,
            actor=clerk,
        )

    assert refused.value.code == "profile_erased"
    assert ERASED in refused.value.message
    assert not Return.objects.exists()
    assert written_on(eva) == before


def test_a_voided_gift_card_of_an_erased_customer_is_refunded_nowhere(store, clerk):
    """Its part cannot go back to the card, nor on the erased profile: the desk is
    told why, and nothing moves."""
    card = gift_card("30.00")
    eva = make_customer(email="eva@example.com")
    sale = place_order(
        lines=[LineRequest(stocked(store, 2, price="50.00"), 1)],
        channel="store",
        fulfilment="carry_out",
        placing_location=store,
        staff=clerk,
        customer=eva,
        payments=[
            PaymentRequest(
                method=PaymentMethod.GIFT_CARD,
                card_number=card.number,
                pin=PIN,
                amount=Decimal("30.00"),
            ),
            PaymentRequest(method=PaymentMethod.CARD_IN_STORE),
        ],
    )
    erase_customer(customer=eva, forfeit_balance=True)
    void_gift_card(card=card, reason="Reported stolen", actor=None)

    with pytest.raises(Conflict) as refused:
        return_at_counter(
            order=sale.number,
            lines=[line_request(sale)],
            location=store,
            actor=clerk,
        )

    assert refused.value.code == "gift_card_refund_blocked"
    assert isinstance(refused.value, ReturnNotAllowed)  # refused as it is started
    assert f"and {ERASED}, so this return cannot be taken" in refused.value.message
    assert not Return.objects.exists()
    assert not StoreCreditTransaction.objects.filter(amount__gt=0).exists()


def test_the_ledger_books_no_credit_on_an_erased_profile():
    """The backstop: whatever path a credit comes by, none lands on an erased
    profile."""
    eva = make_customer(email="eva@example.com")
    erase_customer(customer=eva)

    with pytest.raises(Conflict) as refused:
        book_store_credit(
            customer_id=eva.pk,
            amount=Decimal("25.00"),
            currency="EUR",
            kind=StoreCreditKind.PAYMENT_REFUND,
            reason="Store credit paid back",
            reference="refund:1",
        )

    assert refused.value.code == "profile_erased"
    assert not StoreCreditTransaction.objects.exists()
    assert Customer.objects.get(pk=eva.pk).store_credit_balance == Decimal("0.00")
