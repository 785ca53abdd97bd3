"""Loyalty tiers: reached by the spend kept over the last 12 months in every channel
(orders handed over or shipped, less refunds; orders that may still be cancelled and
cancelled orders left out), each with its points multiplier; returns lower the spend
and take back the points they earned."""

from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from customers.models import Customer, LoyaltyTransaction
from customers.selectors.loyalty import (
    loyalty_standing,
    points_value,
    spend_in_home_currency,
    tier_for_spend,
    tier_window_start,
)
from omnistore.accounts.models import Role
from orders.selectors.loyalty import customer_standing, customer_tiers, kept_spend
from orders.services.fulfilment import cancel_order, mark_picked, mark_ready
from orders.services.pickups import collect_order
from orders.services.refunds import return_at_counter
from tests.approvals.helpers import make_approver
from tests.factories import StaffFactory
from tests.orders.factories import (
    deliver_outbox,
    pickup_order,
    ready_order,
    shop,
    stocked,
)
from tests.orders.returns_helpers import (
    collected_order,
    counter_sale,
    line_request,
    shopper,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def store():
    return shop(name="Torino Centro", ships_online_orders=True)


@pytest.fixture
def associate(store):
    return StaffFactory(store=store)


@pytest.fixture
def manager(store):
    """Refunds above the associates' limit need a manager: this one approves their
    own."""
    return make_approver(StaffFactory(store=store, role=Role.STORE_MANAGER))


@pytest.fixture
def item(store):
    return stocked(store, 100, price="300.00")


# --- the rules ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spend", "tier"),
    [
        ("0", "Member"),
        ("499.99", "Member"),
        ("500.00", "Silver"),
        ("1499.99", "Silver"),
        ("1500.00", "Gold"),
        ("99999", "Gold"),
    ],
)
def test_a_tier_starts_at_its_minimum_spend(spend, tier):
    assert tier_for_spend(Decimal(spend)).name == tier


def test_the_default_tiers_and_their_benefits():
    member, silver, gold = (tier_for_spend(Decimal(s)) for s in ("0", "500", "1500"))
    assert (member.multiplier, member.free_delivery) == (Decimal("1"), False)
    assert (silver.multiplier, silver.free_delivery) == (Decimal("1.25"), False)
    assert (gold.multiplier, gold.free_delivery) == (Decimal("1.5"), True)


def test_tiers_come_from_settings_and_the_lowest_must_start_at_zero(settings):
    settings.OMNISTORE_LOYALTY_TIERS = [
        {"name": "Platinum", "min_spend": "100", "multiplier": "2"},
        {"name": "Basic", "min_spend": "0"},
    ]
    assert tier_for_spend(Decimal("99")).name == "Basic"
    assert tier_for_spend(Decimal("100")).multiplier == Decimal("2")

    settings.OMNISTORE_LOYALTY_TIERS = [{"name": "Only", "min_spend": "10"}]
    with pytest.raises(ImproperlyConfigured):
        tier_for_spend(Decimal("50"))


@pytest.mark.parametrize(
    ("now", "start"),
    [
        (datetime(2026, 12, 2, 11, 0), datetime(2025, 12, 2, 11, 0)),
        (datetime(2028, 2, 29, 9, 30), datetime(2027, 2, 28, 9, 30)),
        (datetime(2026, 1, 31, 0, 0), datetime(2025, 1, 31, 0, 0)),
    ],
)
def test_the_window_is_twelve_calendar_months(now, start):
    assert tier_window_start(now) == start


def test_the_window_length_comes_from_settings(settings):
    settings.OMNISTORE_LOYALTY_TIER_MONTHS = 3
    assert tier_window_start(datetime(2026, 5, 31)) == datetime(2026, 2, 28)


def test_spend_in_other_currencies_counts_at_its_fixed_rate_or_not_at_all(settings):
    settings.OMNISTORE_CURRENCY = "EUR"
    settings.OMNISTORE_LOYALTY_SPEND_RATES = {"CHF": "0.95"}
    spend = {"EUR": Decimal("100.00"), "CHF": Decimal("200.00"), "USD": Decimal("50")}
    assert spend_in_home_currency(spend) == Decimal("290.00")
    assert spend_in_home_currency({"EUR": Decimal("-5")}) == Decimal("0.00")


@pytest.mark.parametrize(
    ("points", "value"),
    [(0, "0.00"), (1, "0.01"), (99, "0.99"), (100, "1.00"), (1234, "12.34")],
)
def test_points_are_worth_one_unit_per_hundred(points, value):
    assert points_value(points) == Decimal(value)


def test_points_value_follows_the_redemption_setting(settings):
    settings.OMNISTORE_LOYALTY_POINTS_PER_REDEEMED_UNIT = 40
    assert points_value(130) == Decimal("3.25")
    assert points_value(-50) == Decimal("0.00")


def test_progress_to_the_next_tier_and_the_top_tier():
    customer = Customer(points_balance=250)
    since = timezone.now()
    halfway = loyalty_standing(customer, spend=Decimal("1000.00"), since=since)
    assert halfway.tier.name == "Silver"
    assert halfway.next_tier.name == "Gold"
    assert halfway.to_next_tier == Decimal("500.00")
    assert halfway.progress_percent == 50
    assert halfway.points_value == Decimal("2.50")

    top = loyalty_standing(customer, spend=Decimal("1500.00"), since=since)
    assert (top.tier.name, top.next_tier, top.to_next_tier) == ("Gold", None, None)
    assert top.progress_percent == 100


# --- the spend, from the orders ---------------------------------------------------


def test_spend_adds_every_channel_and_leaves_the_window_after_twelve_months(
    store, item, associate
):
    _, customer = shopper()
    collected_order(store=store, lines=[(item, 1)], customer=customer)
    counter_sale(store=store, lines=[(item, 1)], staff=associate, customer=customer)

    assert kept_spend([customer.pk]) == {customer.pk: Decimal("600.00")}
    assert customer_standing(customer).tier.name == "Silver"

    later = timezone.now() + timedelta(days=330)
    assert kept_spend([customer.pk], now=later)[customer.pk] == Decimal("600.00")
    a_year_on = timezone.now() + timedelta(days=367)
    assert kept_spend([customer.pk], now=a_year_on)[customer.pk] == Decimal("0.00")
    assert customer_standing(customer, now=a_year_on).tier.name == "Member"


def test_an_order_counts_once_it_can_no_longer_be_cancelled(store, item, associate):
    _, customer = shopper()
    order = pickup_order(store=store, lines=[(item, 2)], customer=customer)
    assert kept_spend([customer.pk])[customer.pk] == Decimal("0.00")
    mark_picked(order=order, actor=associate, location=store)
    assert kept_spend([customer.pk])[customer.pk] == Decimal("0.00")
    order = mark_ready(order=order, actor=associate, location=store)
    assert kept_spend([customer.pk])[customer.pk] == Decimal("0.00")
    assert customer_tiers([customer.pk])[customer.pk].name == "Member"

    collect_order(order=order, actor=associate, code=order.pickup_code, location=store)

    assert kept_spend([customer.pk])[customer.pk] == Decimal("600.00")
    assert customer_tiers([customer.pk])[customer.pk].name == "Silver"


def test_a_cancelled_order_counts_for_nothing(store, item, associate):
    _, customer = shopper()
    collected_order(store=store, lines=[(item, 1)], customer=customer)
    order = ready_order(store=store, lines=[(item, 2)], customer=customer)
    assert kept_spend([customer.pk])[customer.pk] == Decimal("300.00")

    cancel_order(order=order, actor=associate, reason="changed her mind")

    assert kept_spend([customer.pk])[customer.pk] == Decimal("300.00")
    assert customer_tiers([customer.pk])[customer.pk].name == "Member"


def test_the_spend_of_each_customer_is_their_own(store, item):
    _, ada = shopper("ada@example.com")
    _, bo = shopper("bo@example.com")
    collected_order(store=store, lines=[(item, 5)], customer=ada)
    collected_order(store=store, lines=[(item, 1)], customer=bo)

    spend = kept_spend([ada.pk, bo.pk, 0])
    assert spend == {
        ada.pk: Decimal("1500.00"),
        bo.pk: Decimal("300.00"),
        0: Decimal("0.00"),
    }


# --- points: the multiplier and returns ---------------------------------------------


def test_the_order_that_reaches_a_tier_earns_at_its_multiplier(store, item):
    _, customer = shopper()
    first = collected_order(store=store, lines=[(item, 1)], customer=customer)
    second = collected_order(store=store, lines=[(item, 1)], customer=customer)
    third = pickup_order(store=store, lines=[(item, 3)], customer=customer)
    deliver_outbox()

    for order in (first, second, third):
        order.refresh_from_db()
    assert first.loyalty_points == 300  # Member: 300 spent
    assert second.loyalty_points == 375  # Silver at 600: × 1.25
    assert third.loyalty_points == 1350  # Gold at 1500: 900 × 1.5
    customer.refresh_from_db()
    assert customer.points_balance == 300 + 375 + 1350
    txn = LoyaltyTransaction.objects.get(reference_id=third.number)
    assert txn.reason == f"Order {third.number} (Gold ×1.5)"
    assert LoyaltyTransaction.objects.get(reference_id=first.number).reason == (
        f"Order {first.number}"
    )


def test_an_order_not_handed_over_lifts_only_its_own_multiplier(store, item, associate):
    _, customer = shopper()
    big = pickup_order(store=store, lines=[(item, 5)], customer=customer)
    deliver_outbox()
    small = pickup_order(store=store, lines=[(item, 1)], customer=customer)
    deliver_outbox()
    big.refresh_from_db()
    small.refresh_from_db()
    assert big.loyalty_points == 2250  # Gold at 1500, its own: 1500 × 1.5
    assert small.loyalty_points == 300  # the big one may still be cancelled

    big = mark_ready(order=mark_picked(order=big, actor=associate), actor=associate)
    collect_order(order=big, actor=associate, code=big.pickup_code, location=store)
    after = pickup_order(store=store, lines=[(item, 1)], customer=customer)
    deliver_outbox()

    after.refresh_from_db()
    assert after.loyalty_points == 450  # Gold: 300 × 1.5
    assert LoyaltyTransaction.objects.get(reference_id=after.number).reason == (
        f"Order {after.number} (Gold ×1.5)"
    )


def test_orders_in_one_batch_do_not_lift_each_other(store, item):
    _, customer = shopper()
    big = pickup_order(store=store, lines=[(item, 2)], customer=customer)
    small = pickup_order(store=store, lines=[(item, 1)], customer=customer)

    deliver_outbox()  # one drain, both orders in one batch

    big.refresh_from_db()
    small.refresh_from_db()
    assert (big.loyalty_points, small.loyalty_points) == (750, 300)


def test_one_batch_gives_each_customer_their_own_multiplier(store, item):
    _, ada = shopper("ada@example.com")
    _, bo = shopper("bo@example.com")
    big = pickup_order(store=store, lines=[(item, 2)], customer=ada)  # Silver
    small = pickup_order(store=store, lines=[(item, 1)], customer=bo)  # Member

    deliver_outbox()  # one drain, both orders in one batch

    big.refresh_from_db()
    small.refresh_from_db()
    assert (big.loyalty_points, small.loyalty_points) == (750, 300)


def test_a_return_lowers_the_spend_and_takes_back_the_points_it_earned(
    store, item, manager
):
    _, customer = shopper()
    order = collected_order(store=store, lines=[(item, 2)], customer=customer)
    order.refresh_from_db()
    assert order.loyalty_points == 750  # 600 at Silver
    assert customer_standing(customer).tier.name == "Silver"

    ret = return_at_counter(
        order=order.number,
        lines=[line_request(order, units=1)],
        location=store,
        actor=manager,
    )

    assert ret.refund_total == Decimal("300.00")
    assert ret.points_reversed == 375  # half the order back, half its points
    customer.refresh_from_db()
    assert customer.points_balance == 375
    standing = customer_standing(customer)
    assert standing.spend == Decimal("300.00")
    assert standing.tier.name == "Member"
    assert standing.to_next_tier == Decimal("200.00")

    ret = return_at_counter(
        order=order.number,
        lines=[line_request(order, units=1)],
        location=store,
        actor=manager,
    )
    customer.refresh_from_db()
    assert (ret.points_reversed, customer.points_balance) == (375, 0)
    assert customer_standing(customer).spend == Decimal("0.00")
