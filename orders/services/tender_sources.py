"""Stored-value tenders drawing on one source: the same gift card, the store credit
or the points given in more than one tender of a checkout.

Checkout spends its tenders one after the other inside the order's transaction, so
the second spend from one card would be refused on what the first left: a balance
the refused order never took away. Tenders sharing a source are therefore checked
in total before any is spent (``check_stored_value_tenders``, as the payment intent
checks them), and the refusal says what the card, the store credit or the points
hold and all that was asked, at the tender where they run short. Tenders each
drawing on a source of their own are checked by their spends alone: no query and
no PIN check more on the way to the order.
"""

from __future__ import annotations

from collections.abc import Sequence

from customers.models import Customer
from orders.models import PaymentMethod

from .giftcard_pins import normalize_card_number
from .payments import PaymentRequest
from .tenders import STORED_VALUE, check_stored_value_tenders


def _source(tender: PaymentRequest) -> tuple[str, str]:
    """What ``tender`` draws on: its gift card (by number), else the customer's
    store credit or points."""
    if tender.method == PaymentMethod.GIFT_CARD:
        return tender.method, normalize_card_number(tender.card_number)
    return tender.method, ""


def shares_a_source(payments: Sequence[PaymentRequest]) -> bool:
    """Whether two stored-value tenders of ``payments`` draw on the same source."""
    sources = [_source(p) for p in payments if p.method in STORED_VALUE]
    return len(sources) != len(set(sources))


def check_shared_sources(
    checkout, customer: Customer | None, *, currency: str, caller: str = ""
) -> None:
    """Refuse, before any tender of ``checkout.payments`` is spent, the tenders
    sharing a source that together ask more than it holds (or that checkout would
    refuse anyway), as ``check_stored_value_tenders`` refuses them; nothing when
    no source is shared."""
    if shares_a_source(checkout.payments):
        check_stored_value_tenders(checkout, customer, currency=currency, caller=caller)
