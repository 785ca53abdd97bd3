"""Discount codes through the services: pricing (percentage, fixed, spread over the
lines), validity, minimum, channels, global and per-customer limits, the use given
back on cancel, returns refunding what was paid, and the codes' own terms."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from customers.models import Channel
from customers.services.merge import merge_customers
from inventory.models import Reservation, StockLevel
from inventory.selectors import ledger_discrepancies
from omnistore.core.exceptions import NotFound, ValidationFailed
from orders.models import (
    DiscountCode,
    DiscountRedemption,
    Order,
    Payment,
    RefundMethod,
)
from orders.services.checkout import LineRequest, place_order
from orders.services.discounts import (
    deactivate_discount_code,
    preview_discount,
    update_discount_code,
)
from orders.services.fulfilment import cancel_order, mark_picked, mark_ready
from orders.services.giftcard_sales import prepare_card_sale
from orders.services.payments import PaymentRequest
from orders.services.pickups import collect_order
from orders.services.refunds import return_at_counter
from orders.services.returns import ReturnLineRequest
from orders.services.staff_sale import StaffSale
from tests.customers.factories import make_customer
from tests.factories import StaffFactory
from tests.orders.discount_helpers import campaign_id, discount_code
from tests.orders.factories import CARD, delivery_order, pickup_order, shop, stocked
from tests.orders.returns_helpers import counter_sale

pytestmark = pytest.mark.django_db


@pytest.fixture
def store():
    return shop(code="MI01", name="Milano Centro")


@pytest.fixture
def shirt(store):
    return stocked(store, 20, price="40.00", sku="SHIRT")


@pytest.fixture
def belt(store):
    return stocked(store, 20, price="15.50", sku="BELT")


def refused(excinfo) -> tuple[str, list[str]]:
    error = excinfo.value
    return error.code, error.extra.get("discount_code")


def reserved(variant, location) -> int:
    return StockLevel.objects.get(variant=variant, location=location).reserved


# --- pricing ---------------------------------------------------------------------------


def test_a_percentage_code_takes_its_share_of_the_subtotal_spread_over_the_lines(
    store, shirt, belt
):
    code = discount_code("SPRING10", "percentage", "10")

    order = pickup_order(
        store=store, lines=[(shirt, 1), (belt, 1)], discount_code=" spring10 "
    )

    assert (order.subtotal, order.discount_total, order.total) == (
        Decimal("55.50"),
        Decimal("5.55"),
        Decimal("49.95"),
    )
    assert order.discount_code == "SPRING10"
    lines = {line.sku: line for line in order.lines.all()}
    # 5.55 in proportion to 40.00 and 15.50, to the cent, adding up exactly.
    assert (lines["SHIRT"].discount, lines["SHIRT"].line_total) == (
        Decimal("4.00"),
        Decimal("36.00"),
    )
    assert (lines["BELT"].discount, lines["BELT"].line_total) == (
        Decimal("1.55"),
        Decimal("13.95"),
    )
    assert sum(line.line_total for line in lines.values()) == order.total
    assert Payment.objects.get(order=order).amount == Decimal("49.95")
    code.refresh_from_db()
    assert code.times_used == 1
    redemption = DiscountRedemption.objects.get(code=code)
    assert (redemption.order, redemption.amount, redemption.customer) == (
        order,
        Decimal("5.55"),
        order.customer,
    )
    assert redemption.released_at is None


def test_a_percentage_is_rounded_half_up_to_the_cent(store):
    item = stocked(store, 5, price="33.30")
    discount_code("HALF", "percentage", "15")  # 4.995 → 5.00

    order = pickup_order(store=store, lines=[(item, 1)], discount_code="HALF")

    assert (order.discount_total, order.total) == (Decimal("5.00"), Decimal("28.30"))


def test_the_odd_cents_go_to_the_lines_with_the_largest_remainders(store, shirt, belt):
    discount_code("TENOFF", "fixed", "10.00")

    order = pickup_order(
        store=store, lines=[(shirt, 1), (belt, 1)], discount_code="TENOFF"
    )

    lines = {line.sku: line.discount for line in order.lines.all()}
    # 10.00 × 40/55.50 = 7.207…, 10.00 × 15.50/55.50 = 2.792…: 7.21 and 2.79.
    assert lines == {"SHIRT": Decimal("7.21"), "BELT": Decimal("2.79")}
    assert order.total == Decimal("45.50")


def test_a_fixed_code_never_takes_more_than_the_subtotal_and_a_free_order_takes_no_payment(
    store, belt
):
    discount_code("GIFT100", "fixed", "100")

    order = pickup_order(store=store, lines=[(belt, 2)], discount_code="GIFT100")

    assert (order.subtotal, order.discount_total, order.total) == (
        Decimal("31.00"),
        Decimal("31.00"),
        Decimal("0.00"),
    )
    assert [line.line_total for line in order.lines.all()] == [Decimal("0.00")]
    assert not Payment.objects.filter(order=order).exists()
    assert reserved(belt, store) == 2


def test_a_campaign_s_code_is_kept_on_the_order_and_credits_no_campaign_yet(
    store, shirt
):
    """Whether the campaign brought the order depends on whom it reached: the
    campaigns judge that later from the code kept on the order."""
    news = campaign_id()
    code = discount_code("NEWS5", "fixed", "5", campaign_id=news)

    order = pickup_order(store=store, lines=[(shirt, 1)], discount_code="news5")

    placed = Order.objects.get(pk=order.pk)
    assert (placed.discount_code, placed.attributed_campaign_id) == ("NEWS5", None)
    assert DiscountRedemption.objects.get(order=order).code == code


# --- refusals --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("terms", "code", "message"),
    [
        ({}, "discount_unknown", "Unknown discount code NOPE."),
        ({"active": False}, "discount_inactive", "This code is no longer valid."),
        (
            {"valid_from": timezone.now() + timedelta(days=2)},
            "discount_not_yet_valid",
            "This code is valid from",
        ),
        (
            {
                "valid_from": timezone.now() - timedelta(days=9),
                "valid_until": timezone.now() - timedelta(days=1),
            },
            "discount_expired",
            "This code expired on",
        ),
        ({"min_subtotal": Decimal("50")}, "discount_minimum", "at least 50.00"),
        ({"channels": "store"}, "discount_wrong_channel", "valid in store only"),
    ],
)
def test_a_code_that_does_not_apply_refuses_the_order_with_the_reason_and_changes_nothing(
    store, shirt, terms, code, message
):
    if code != "discount_unknown":
        discount_code("NOPE", "percentage", "10", **terms)

    with pytest.raises(ValidationFailed) as excinfo:
        pickup_order(store=store, lines=[(shirt, 1)], discount_code="nope")

    error_code, errors = refused(excinfo)
    assert error_code == code
    assert len(errors) == 1 and message in errors[0]
    assert not Order.objects.exists()
    assert reserved(shirt, store) == 0
    assert not DiscountRedemption.objects.exists()
    assert all(c.times_used == 0 for c in DiscountCode.objects.all())


def test_the_minimum_is_reached_at_exactly_the_minimum(store, shirt):
    discount_code("MIN40", "fixed", "5", min_subtotal=Decimal("40.00"))

    order = pickup_order(store=store, lines=[(shirt, 1)], discount_code="MIN40")

    assert order.total == Decimal("35.00")


def test_a_code_is_valid_until_its_end_and_not_after(store, shirt):
    end = timezone.now() + timedelta(hours=1)
    discount_code("LAST", "fixed", "5", valid_until=end)

    with pytest.raises(ValidationFailed):
        pickup_order(store=store, lines=[(shirt, 1)], discount_code="LAST", now=end)
    order = pickup_order(
        store=store,
        lines=[(shirt, 1)],
        discount_code="LAST",
        now=end - timedelta(seconds=1),
    )
    assert order.discount_total == Decimal("5.00")


def test_a_store_only_code_works_at_the_counter_and_an_online_one_does_not(
    store, shirt
):
    associate = StaffFactory(store=store)
    discount_code("SHOPDAY", "percentage", "20", channels="store")
    discount_code("WEBONLY", "percentage", "20", channels="online")

    sale = counter_sale(
        store=store, lines=[(shirt, 1)], staff=associate, discount_code="SHOPDAY"
    )
    assert sale.total == Decimal("32.00")
    with pytest.raises(ValidationFailed) as excinfo:
        counter_sale(
            store=store, lines=[(shirt, 1)], staff=associate, discount_code="WEBONLY"
        )
    assert refused(excinfo) == (
        "discount_wrong_channel",
        ["This code is valid online only."],
    )


def test_a_phone_order_counts_as_online(store, shirt):
    discount_code("WEBONLY", "percentage", "20", channels="online")
    order = pickup_order(
        store=store,
        lines=[(shirt, 1)],
        channel=Channel.PHONE,
        placing_location=store,
        discount_code="WEBONLY",
    )
    assert order.discount_total == Decimal("8.00")


# --- limits ----------------------------------------------------------------------------


def test_a_code_with_one_use_refuses_the_second_order(store, shirt):
    code = discount_code("ONCE", "fixed", "5", max_uses=1)
    pickup_order(
        store=store, lines=[(shirt, 1)], email="a@example.com", discount_code="ONCE"
    )

    with pytest.raises(ValidationFailed) as excinfo:
        pickup_order(
            store=store, lines=[(shirt, 1)], email="b@example.com", discount_code="ONCE"
        )

    assert refused(excinfo) == ("discount_used_up", ["This code has been used up."])
    code.refresh_from_db()
    assert code.times_used == 1
    assert Order.objects.count() == 1
    assert reserved(shirt, store) == 1


def test_a_customer_uses_a_once_per_customer_code_once_and_others_still_can(
    store, shirt
):
    code = discount_code("WELCOME", "percentage", "10", max_uses_per_customer=1)
    ada = make_customer(email="ada@example.com")
    bea = make_customer(email="bea@example.com")
    pickup_order(store=store, lines=[(shirt, 1)], customer=ada, discount_code="WELCOME")

    with pytest.raises(ValidationFailed) as excinfo:
        pickup_order(
            store=store, lines=[(shirt, 1)], customer=ada, discount_code="WELCOME"
        )
    assert refused(excinfo) == (
        "discount_already_used",
        ["You have already used this code."],
    )
    # A guest checkout with Ada's email lands on her profile: refused inside the
    # order's transaction, which leaves nothing behind.
    with pytest.raises(ValidationFailed) as excinfo:
        pickup_order(
            store=store,
            lines=[(shirt, 1)],
            email="ADA@example.com",
            discount_code="WELCOME",
        )
    assert refused(excinfo)[0] == "discount_already_used"
    assert Order.objects.count() == 1
    assert reserved(shirt, store) == 1

    pickup_order(store=store, lines=[(shirt, 1)], customer=bea, discount_code="WELCOME")
    code.refresh_from_db()
    assert code.times_used == 2
    assert ledger_discrepancies() == []


def test_a_per_customer_code_needs_a_customer_at_the_counter(store, shirt):
    associate = StaffFactory(store=store)
    discount_code("WELCOME", "percentage", "10", max_uses_per_customer=1)

    with pytest.raises(ValidationFailed) as excinfo:
        counter_sale(
            store=store, lines=[(shirt, 1)], staff=associate, discount_code="WELCOME"
        )

    assert refused(excinfo)[0] == "discount_needs_customer"
    assert not Order.objects.exists()


def test_a_per_customer_limit_above_one_counts_the_uses(store, shirt):
    discount_code("TWICE", "fixed", "1", max_uses_per_customer=2)
    ada = make_customer(email="ada@example.com")
    for _ in range(2):
        pickup_order(
            store=store, lines=[(shirt, 1)], customer=ada, discount_code="TWICE"
        )

    with pytest.raises(ValidationFailed) as excinfo:
        pickup_order(
            store=store, lines=[(shirt, 1)], customer=ada, discount_code="TWICE"
        )

    assert "2 times" in refused(excinfo)[1][0]


# --- cancel gives the use back ------------------------------------------------------------


def test_cancelling_an_order_gives_its_use_back_once(store, shirt):
    code = discount_code("ONCE", "fixed", "5", max_uses=1, max_uses_per_customer=1)
    ada = make_customer(email="ada@example.com")
    order = pickup_order(
        store=store, lines=[(shirt, 1)], customer=ada, discount_code="ONCE"
    )

    cancel_order(order=order, reason="Changed her mind")

    code.refresh_from_db()
    assert code.times_used == 0
    redemption = DiscountRedemption.objects.get(order=order)
    assert redemption.released_at is not None
    # The use is free again, for her too.
    again = pickup_order(
        store=store, lines=[(shirt, 1)], customer=ada, discount_code="ONCE"
    )
    code.refresh_from_db()
    assert code.times_used == 1
    assert again.discount_total == Decimal("5.00")
    assert Reservation.objects.filter(status="active").count() == 1


def test_checkout_and_cancel_without_a_code_never_touch_the_code_tables(store, shirt):
    discount_code("UNUSED", "fixed", "5")
    with CaptureQueriesContext(connection) as placed:
        order = pickup_order(store=store, lines=[(shirt, 1)])
    with CaptureQueriesContext(connection) as cancelled:
        cancel_order(order=order, reason="Test")

    touched = [
        q["sql"]
        for q in [*placed.captured_queries, *cancelled.captured_queries]
        if "orders_discount" in q["sql"]
    ]
    assert touched == []
    assert order.discount_code == "" and order.discount_total == Decimal("0.00")


def test_a_code_costs_only_its_own_few_queries_at_checkout(store, shirt):
    discount_code("SPRING10", "percentage", "10")
    pickup_order(store=store, lines=[(shirt, 1)])  # warm-up: same customer, same path
    with CaptureQueriesContext(connection) as plain:
        pickup_order(store=store, lines=[(shirt, 1)])
    with CaptureQueriesContext(connection) as coded:
        pickup_order(store=store, lines=[(shirt, 1)], discount_code="SPRING10")

    # Looked up once before the transaction; claimed and recorded inside it.
    assert len(coded) - len(plain) == 3


# --- returns refund what was paid ---------------------------------------------------------


def test_returning_a_discounted_line_refunds_what_was_paid_for_it(store, shirt, belt):
    associate = StaffFactory(store=store)
    ada = make_customer(email="ada@example.com")
    discount_code("TENOFF", "fixed", "10.00")
    order = place_order(
        lines=[LineRequest(shirt, 1), LineRequest(belt, 2)],
        channel=Channel.WEB,
        fulfilment="pickup",
        pickup_store=store,
        customer=ada,
        payments=CARD,
        discount_code="TENOFF",
    )
    mark_picked(order=order, actor=associate, location=store)
    order = mark_ready(order=order, actor=associate, location=store)
    order = collect_order(
        order=order, actor=associate, code=order.pickup_code, location=store
    )
    belt_line = order.lines.get(sku="BELT")
    # 10.00 over 40.00 and 31.00: the belts carry 4.37, so they cost 26.63.
    assert (belt_line.discount, belt_line.line_total) == (
        Decimal("4.37"),
        Decimal("26.63"),
    )

    first = return_at_counter(
        order=order,
        lines=[ReturnLineRequest(belt_line.pk, 1)],
        location=store,
        actor=associate,
    )
    second = return_at_counter(
        order=order,
        lines=[ReturnLineRequest(belt_line.pk, 1)],
        location=store,
        actor=associate,
        refund_method=RefundMethod.STORE_CREDIT,
    )

    assert (first.refund_total, second.refund_total) == (
        Decimal("13.32"),
        Decimal("13.31"),
    )
    assert first.refund_total + second.refund_total == belt_line.line_total
    assert Payment.objects.get(order=order).refunded_amount == Decimal("13.32")


def test_a_code_takes_nothing_off_gift_cards_sold_alone_and_is_not_claimed(store):
    """Neither a use of the code nor its per-customer limit is spent on a sale of
    gift cards alone: there is nothing for it to take off."""
    clerk = StaffFactory(store=store)
    discount_code("LAST2", "percentage", "10", max_uses=2)
    discount_code("ONCE15", "percentage", "15", max_uses_per_customer=1)

    for code, number in (("LAST2", "6012000011112222"), ("ONCE15", "6012000011113333")):
        order = place_order(
            lines=[],
            channel=Channel.STORE,
            fulfilment="carry_out",
            placing_location=store,
            staff=clerk,
            payments=[PaymentRequest(method="cash")],
            staff_sale=StaffSale(
                gift_cards=[prepare_card_sale(number=number, pin="4321", amount="50")]
            ),
            discount_code=code,
        )
        assert (order.total, order.discount_code) == (Decimal("50.00"), "")

    assert DiscountCode.objects.get(code="LAST2").times_used == 0
    assert not DiscountRedemption.objects.exists()


# --- preview ------------------------------------------------------------------------------


def test_a_preview_says_what_a_code_takes_off_and_holds_nothing(store):
    code = discount_code("SPRING10", "percentage", "10", max_uses=1)

    assert preview_discount(
        code="spring10", subtotal=Decimal("55.50"), channel=Channel.WEB
    ) == Decimal("5.55")
    assert preview_discount(
        code="SPRING10", subtotal=Decimal("55.50"), channel=Channel.STORE
    ) == Decimal("5.55")
    code.refresh_from_db()
    assert code.times_used == 0
    assert not DiscountRedemption.objects.exists()


def test_a_preview_refuses_with_the_same_reasons_as_checkout(store, shirt):
    ada = make_customer(email="ada@example.com")
    discount_code("WELCOME", "percentage", "10", max_uses_per_customer=1)
    pickup_order(store=store, lines=[(shirt, 1)], customer=ada, discount_code="WELCOME")

    with pytest.raises(ValidationFailed) as excinfo:
        preview_discount(
            code="WELCOME", subtotal=Decimal("40"), customer=ada, channel=Channel.WEB
        )
    assert refused(excinfo)[0] == "discount_already_used"
    with pytest.raises(ValidationFailed) as excinfo:
        preview_discount(code="", subtotal=Decimal("40"), channel=Channel.WEB)
    assert refused(excinfo)[0] == "discount_required"


def test_a_preview_in_francs_refuses_a_euro_code_as_checkout_does(store):
    """A fixed amount (or a minimum) is in euros: not one for one in francs. A
    percentage without a minimum takes its share in any currency."""
    discount_code("FIX20", "fixed", "20.00")
    discount_code("PCT10", "percentage", "10")

    with pytest.raises(ValidationFailed) as excinfo:
        preview_discount(
            code="FIX20",
            subtotal=Decimal("198.45"),
            channel=Channel.WEB,
            currency="CHF",
        )
    assert refused(excinfo) == (
        "discount_wrong_currency",
        ["This code is for orders in EUR; this one is in CHF."],
    )
    assert preview_discount(
        code="PCT10", subtotal=Decimal("198.45"), channel=Channel.WEB, currency="CHF"
    ) == Decimal("19.85")
    assert preview_discount(
        code="FIX20", subtotal=Decimal("189.00"), channel=Channel.WEB, currency="EUR"
    ) == Decimal("20.00")


# --- the codes' own terms ------------------------------------------------------------------


def test_a_new_code_is_stored_upper_case_and_must_be_new():
    manager = StaffFactory()
    summer = campaign_id()
    code = discount_code(
        " summer-25 ", "percentage", "25", actor=manager, campaign_id=summer
    )

    assert (code.code, code.campaign_id, code.created_by) == (
        "SUMMER-25",
        summer,
        manager,
    )
    with pytest.raises(ValidationFailed) as excinfo:
        discount_code("Summer-25", "fixed", "5")
    assert excinfo.value.extra == {
        "code": ["SUMMER-25 exists already: choose another code."]
    }


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"code": "X"}, "code"),
        ({"code": "NO SPACES"}, "code"),
        ({"value": "0"}, "value"),
        ({"value": "120"}, "value"),
        ({"kind": "fixed", "value": "-1"}, "value"),
        ({"kind": "bogo"}, "kind"),
        ({"max_uses": 0}, "max_uses"),
        ({"max_uses_per_customer": -2}, "max_uses_per_customer"),
        ({"channels": "moon"}, "channels"),
        ({"campaign_id": 999_999}, "campaign_id"),  # no such campaign
        ({"campaign_id": 2**31}, "campaign_id"),
        ({"valid_from": timezone.now().replace(tzinfo=None)}, "valid_from"),
        (
            {
                "valid_from": timezone.now(),
                "valid_until": timezone.now() - timedelta(days=1),
            },
            "valid_until",
        ),
    ],
)
def test_a_code_with_impossible_terms_is_refused_field_by_field(kwargs, field):
    terms = {"code": "GOOD", "kind": "percentage", "value": "10", **kwargs}

    with pytest.raises(ValidationFailed) as excinfo:
        discount_code(terms.pop("code"), terms.pop("kind"), terms.pop("value"), **terms)

    assert field in excinfo.value.extra
    assert not DiscountCode.objects.exists()


def test_terms_change_but_what_a_code_takes_off_does_not(store, shirt):
    code = discount_code("LIMITED", "fixed", "5", max_uses=3)
    for email in ("a@example.com", "b@example.com"):
        pickup_order(
            store=store, lines=[(shirt, 1)], email=email, discount_code="LIMITED"
        )

    with pytest.raises(ValidationFailed) as excinfo:
        update_discount_code(code=code, max_uses=1)
    assert "max_uses" in excinfo.value.extra
    with pytest.raises(ValidationFailed) as excinfo:
        update_discount_code(code=code, value=Decimal("50"))
    assert "value" in excinfo.value.extra

    news = campaign_id()
    updated = update_discount_code(code="limited", max_uses=2, campaign_id=news)
    assert (updated.max_uses, updated.campaign_id, updated.times_used) == (2, news, 2)
    with pytest.raises(NotFound):
        update_discount_code(code="MISSING", max_uses=2)


def test_a_deactivated_code_stops_working_and_its_orders_keep_their_price(store, shirt):
    manager = StaffFactory()
    discount_code("STOPME", "fixed", "5")
    order = pickup_order(store=store, lines=[(shirt, 1)], discount_code="STOPME")

    code = deactivate_discount_code(code="STOPME", actor=manager)

    assert (code.active, code.deactivated_by) == (False, manager)
    assert code.deactivated_at is not None
    assert deactivate_discount_code(code=code).deactivated_by == manager
    with pytest.raises(ValidationFailed):
        delivery_order(lines=[(shirt, 1)], discount_code="STOPME")
    assert Order.objects.get(pk=order.pk).total == Decimal("35.00")


def test_merged_profiles_share_their_uses_of_a_once_per_customer_code(store, shirt):
    discount_code("WELCOME", "percentage", "10", max_uses_per_customer=1)
    ada = make_customer(email="ada@example.com")
    twin = make_customer(phone="333 123 4567")
    pickup_order(
        store=store, lines=[(shirt, 1)], customer=twin, discount_code="WELCOME"
    )

    merge_customers(survivor=ada, other=twin, actor=StaffFactory())

    assert DiscountRedemption.objects.get().customer == ada
    with pytest.raises(ValidationFailed) as excinfo:
        pickup_order(
            store=store, lines=[(shirt, 1)], customer=ada, discount_code="WELCOME"
        )
    assert refused(excinfo)[0] == "discount_already_used"
