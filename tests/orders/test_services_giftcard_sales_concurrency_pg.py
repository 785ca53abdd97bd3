"""One pre-printed card sold at two tills at once: real threads, real connections on
PostgreSQL. The card number is unique, so one sale activates it and the other is
refused whole."""

from decimal import Decimal

import pytest

from omnistore.core.exceptions import ValidationFailed
from orders.models import GiftCard, GiftCardTransaction, Order
from orders.services.checkout import place_order
from orders.services.giftcard_sales import prepare_card_sale
from orders.services.payments import PaymentRequest
from orders.services.staff_sale import StaffSale
from tests.concurrency import run_parallel
from tests.factories import StaffFactory
from tests.orders.factories import shop

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("fresh_cache"),
]
NUMBER = "6012000011112222"


def test_two_tills_activating_the_same_card_at_once_activate_it_once():
    tills = [shop() for _ in range(2)]
    clerks = [StaffFactory(store=store) for store in tills]
    # Both tills checked the number before either sold it.
    sales = [
        prepare_card_sale(number=NUMBER, pin="4321", amount=amount)
        for amount in ("50.00", "70.00")
    ]

    def sell(store, clerk, sale):
        return place_order(
            lines=[],
            channel="store",
            fulfilment="carry_out",
            placing_location=store,
            staff=clerk,
            payments=[PaymentRequest(method="card_in_store")],
            staff_sale=StaffSale(gift_cards=[sale]),
        )

    results = run_parallel(
        [
            (lambda s=s, c=c, g=g: sell(s, c, g))
            for s, c, g in zip(tills, clerks, sales, strict=True)
        ]
    )
    placed = [r for r in results if isinstance(r, Order)]
    refused = [r for r in results if isinstance(r, ValidationFailed)]
    assert len(placed) == 1 and len(refused) == 1, results
    assert refused[0].code == "gift_card_active"
    card = GiftCard.objects.get()
    assert card.order == placed[0] and card.balance == placed[0].total
    assert card.balance in (Decimal("50.00"), Decimal("70.00"))
    assert Order.objects.count() == 1
    assert GiftCardTransaction.objects.count() == 1
