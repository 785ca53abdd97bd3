"""Segments: the rule language compiles to one query over live customers."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from campaigns.models import Segment
from campaigns.segments.compiler import compile_rules
from campaigns.selectors.audiences import segment_preview
from campaigns.services.segments import (
    create_segment,
    update_segment,
    validate_segment_rules,
)
from customers.models import Channel
from customers.services.erasure import erase_customer
from customers.services.merge import merge_customers
from customers.services.profiles import update_profile
from omnistore.core.exceptions import ValidationFailed
from orders.services.fulfilment import cancel_order
from tests.campaigns.factories import Shop, grant, person
from tests.factories import CategoryFactory, LocationFactory, StaffFactory

pytestmark = pytest.mark.django_db

STORE_ONLY_RECENT_WITH_EMAIL = {
    "all": [
        {"field": "bought_in_store_within_days", "op": "is_true", "value": 90},
        {"field": "channels_used", "op": "eq", "value": "store_only"},
        {"field": "consent.email", "op": "is_true"},
    ]
}


def ids(rules) -> set[int]:
    return set(compile_rules(rules).values_list("pk", flat=True))


def test_store_buyers_of_the_last_90_days_never_online_with_email_consent(
    django_assert_num_queries,
):
    shop = Shop()
    wanted = person("Anna")
    shop.sell_in_store(wanted, days_ago=10)
    shop.sell_in_store(wanted, days_ago=200)
    grant(wanted, "email")

    also_online = person("Bruno")
    shop.sell_in_store(also_online, days_ago=5)
    shop.sell_online(also_online, days_ago=300)
    grant(also_online, "email")

    app_buyer = person("Carla")
    shop.sell_in_store(app_buyer, days_ago=5)
    shop.sell_online(app_buyer, days_ago=30, channel=Channel.APP)
    grant(app_buyer, "email")

    too_long_ago = person("Dario")
    shop.sell_in_store(too_long_ago, days_ago=120)
    grant(too_long_ago, "email")

    no_consent = person("Elena")
    shop.sell_in_store(no_consent, days_ago=3)
    grant(no_consent, "sms")

    withdrawn = person("Fabio")
    shop.sell_in_store(withdrawn, days_ago=3)
    grant(withdrawn, "email")
    grant(withdrawn, "email", granted=False)

    cancelled = person("Gina")
    order = shop.sell_by_phone(cancelled, days_ago=3, channel=Channel.STORE)
    grant(cancelled, "email")
    cancel_order(order=order, reason="Wrong item")

    # A phone order is the shop's assisted sale: its buyer bought in store.
    by_phone = person("Ivo")
    shop.sell_by_phone(by_phone, days_ago=3)
    grant(by_phone, "email")

    # Merged away: the loser's store purchase and consent now belong to the survivor.
    survivor = person("Luca")
    loser = person("Luca")
    shop.sell_in_store(loser, days_ago=20)
    grant(loser, "email")
    merge_customers(survivor=survivor, other=loser, actor=StaffFactory())

    erased = person("Marta")
    shop.sell_in_store(erased, days_ago=2)
    grant(erased, "email")
    erase_customer(customer=erased)

    segment = compile_rules(STORE_ONLY_RECENT_WITH_EMAIL)
    expected = {wanted.pk, by_phone.pk, survivor.pk}
    with django_assert_num_queries(1):
        assert segment.count() == 3
    with django_assert_num_queries(1):
        assert set(segment.values_list("pk", flat=True)) == expected
    with django_assert_num_queries(1):
        assert {c.pk for c in segment} == expected


def test_channels_used_tells_online_store_both_and_none():
    shop = Shop()
    online, store, both, none = person(), person(), person(), person()
    shop.sell_online(online)
    shop.sell_in_store(store)
    shop.sell_online(both, channel=Channel.APP)
    shop.sell_in_store(both)

    def used(value, op="eq"):
        return ids({"field": "channels_used", "op": op, "value": value})

    assert used("online_only") == {online.pk}
    assert used("store_only") == {store.pk}
    assert used("both") == {both.pk}
    assert used("none") == {none.pk}
    assert used("none", "ne") == {online.pk, store.pk, both.pk}
    assert used(["online_only", "both"], "in") == {online.pk, both.pk}


def test_recency_frequency_and_monetary_value():
    shop = Shop(price="60.00")
    loyal = person()
    for days in (5, 40, 100, 400):
        shop.sell_in_store(loyal, days_ago=days)
    lapsed = person()
    shop.sell_online(lapsed, days_ago=200)
    never = person()

    assert ids({"field": "last_order_days", "op": "lte", "value": 30}) == {loyal.pk}
    assert ids({"field": "last_order_days", "op": "gt", "value": 30}) == {lapsed.pk}
    assert ids({"field": "orders_count", "op": "gte", "value": 4}) == {loyal.pk}
    assert ids({"field": "orders_count", "op": "eq", "value": 3, "days": 365}) == {
        loyal.pk
    }
    assert ids({"field": "orders_count", "op": "eq", "value": 0}) == {never.pk}
    assert ids({"field": "orders_count", "op": "gte", "value": 1, "days": 90}) == {
        loyal.pk
    }
    assert ids({"field": "total_spent", "op": "gte", "value": "240.00"}) == {loyal.pk}
    assert ids({"field": "total_spent", "op": "lt", "value": 100}) == {
        lapsed.pk,
        never.pk,
    }
    assert (
        ids({"field": "total_spent", "op": "gt", "value": "100", "days": 30}) == set()
    )


def test_aggregates_mixed_with_cheap_rules_are_tested_on_the_candidates(
    django_assert_num_queries,
):
    shop = Shop(price="100.00")
    big_store = person("Ada")
    shop.sell_in_store(big_store, quantity=3)
    small_store = person("Bea")
    shop.sell_in_store(small_store)
    big_online = person("Cai")
    shop.sell_online(big_online, quantity=3)
    for customer in (big_store, small_store, big_online):
        grant(customer, "email")
    rules = {
        "all": [
            {"field": "consent.email", "op": "is_true"},
            {"field": "channels_used", "op": "eq", "value": "store_only"},
            {
                "any": [
                    {"field": "total_spent", "op": "gte", "value": "250"},
                    {"field": "orders_count", "op": "gte", "value": 5},
                ]
            },
        ]
    }
    segment = compile_rules(rules)
    with django_assert_num_queries(1):
        assert list(segment.values_list("pk", flat=True)) == [big_store.pk]
    with django_assert_num_queries(1):
        assert segment.count() == 1
    rules["all"][2] = {"not": rules["all"][2]}
    assert ids(rules) == {small_store.pk}


def test_profile_fields_location_category_and_groups():
    milano = LocationFactory(city="Milano")
    roma = LocationFactory(city="Roma")
    shirts = CategoryFactory(slug="shirts")
    linen = CategoryFactory(slug="linen-shirts", parent=shirts)
    shop = Shop(category=linen)
    anna = person("Anna", channel=Channel.STORE)
    update_profile(customer=anna, preferred_store=milano.pk)
    bea = person("Bea")
    update_profile(customer=bea, preferred_store=roma.pk)
    shop.sell_in_store(bea, days_ago=10)
    grant(bea, "push")

    assert ids({"field": "first_name", "op": "eq", "value": "anna"}) == {anna.pk}
    assert ids({"field": "first_name", "op": "contains", "value": "E"}) == {bea.pk}
    assert ids({"field": "created_channel", "op": "eq", "value": "store"}) == {anna.pk}
    assert ids({"field": "preferred_store", "op": "eq", "value": milano.pk}) == {
        anna.pk
    }
    assert ids({"field": "preferred_store_city", "op": "in", "value": ["ROMA"]}) == {
        bea.pk
    }
    assert ids({"field": "bought_category", "op": "eq", "value": "shirts"}) == {bea.pk}
    assert ids({"field": "bought_category", "op": "ne", "value": "shirts"}) == {anna.pk}
    assert (
        ids(
            {"field": "bought_category", "op": "eq", "value": "linen-shirts", "days": 5}
        )
        == set()
    )
    assert ids({"field": "consent.push", "op": "is_true"}) == {bea.pk}
    assert ids({"field": "consent.push", "op": "is_false"}) == {anna.pk}
    assert ids(
        {
            "any": [
                {"field": "first_name", "op": "eq", "value": "Anna"},
                {"field": "bought_in_store_within_days", "op": "is_true", "value": 30},
            ]
        }
    ) == {anna.pk, bea.pk}
    assert ids({"not": {"field": "first_name", "op": "eq", "value": "Anna"}}) == {
        bea.pk
    }


def test_birthday_month_and_points(django_assert_num_queries):
    may = person()
    update_profile(customer=may, birthday=date(1990, 5, 17))
    person()  # no birthday
    assert ids({"field": "birthday_month", "op": "eq", "value": 5}) == {may.pk}
    assert ids({"field": "birthday_month", "op": "in", "value": [1, 2]}) == set()
    assert ids({"field": "birthday_month", "op": "ne", "value": 6}) == {may.pk}
    assert ids({"field": "points_balance", "op": "gte", "value": 0}) >= {may.pk}


def test_long_name_lists_match_any_case_and_run_on_every_database():
    anna = person("Anna")
    bea = person("Bea")
    carla = person("Carla")
    names = [f"name{n}" for n in range(499)]
    rules = {
        "any": [
            {"field": "first_name", "op": "in", "value": [*names, "ANNA"]},
            {
                "field": "last_name",
                "op": "in",
                "value": [*names, bea.last_name.upper()],
            },
        ]
    }
    assert ids(rules) == {anna.pk, bea.pk}
    others = ids({"not": rules})
    assert carla.pk in others and not others & {anna.pk, bea.pk}


ALL_FIELDS = {
    "all": [
        {"field": "first_name", "op": "in", "value": ["a", "b"]},
        {"field": "last_name", "op": "ne", "value": "x"},
        {"field": "created_channel", "op": "in", "value": ["web", "store"]},
        {"field": "birthday_month", "op": "ne", "value": 2},
        {"field": "preferred_store_city", "op": "contains", "value": "mil"},
        {"field": "consent.sms", "op": "is_false"},
        {"field": "channels_used", "op": "ne", "value": "none"},
        {"field": "last_order_days", "op": "gte", "value": 1},
        {"field": "orders_count", "op": "lt", "value": 9, "days": 30},
        {"field": "total_spent", "op": "lte", "value": 1000.5},
        {"field": "bought_online_within_days", "op": "is_false", "value": 10},
        {"field": "bought_category", "op": "in", "value": ["shirts"], "days": 60},
        {"field": "engaged_with_campaign", "op": "is_true", "value": 30},
        {"field": "points_balance", "op": "gt", "value": 3},
    ]
}


def test_every_field_together_is_still_one_query(django_assert_num_queries):
    CategoryFactory(slug="shirts")
    person()
    segment = compile_rules(ALL_FIELDS)
    with django_assert_num_queries(1):
        assert segment.count() == 0
    with django_assert_num_queries(1):
        assert list(segment.values_list("pk", flat=True)) == []


@pytest.mark.parametrize(
    ("rules", "message"),
    [
        ({"field": "shoe_size", "op": "eq", "value": 42}, "unknown field 'shoe_size'"),
        (
            {"field": "first_name", "op": "gt", "value": "a"},
            "operator 'gt' is not valid for 'first_name'",
        ),
        (
            {"field": "orders_count", "op": "gte", "value": "three"},
            "expected a whole number",
        ),
        ({"field": "total_spent", "op": "gte", "value": "lots"}, "expected an amount"),
        (
            {"field": "channels_used", "op": "eq", "value": "fax"},
            "'fax' is not one of online_only",
        ),
        ({"field": "consent.email", "op": "is_true", "value": 3}, "takes no value"),
        ({"field": "birthday_month", "op": "eq", "value": 13}, "at most 12"),
        ({"field": "first_name", "op": "in", "value": []}, "non-empty list"),
        ({"all": []}, "'all' needs a non-empty list"),
        ({"all": [{"field": "first_name"}]}, "all[0]: operator None"),
        ({"any": [{"all": [{"op": "eq"}]}]}, "any[0].all[0]: expected a group"),
        ("everyone", "expected an object"),
        ({"all": [], "any": []}, "exactly one key"),
        (
            {"field": "orders_count", "op": "gte", "value": 1, "weeks": 2},
            "unknown key(s) weeks",
        ),
        (
            {"field": "has_wishlist_item", "op": "is_true", "category": 5},
            "category: expected a category slug",
        ),
        (
            {"field": "has_wishlist_item", "op": "is_true", "category": "nope"},
            "category: no category ['nope']",
        ),
        (
            {"field": "has_wishlist_item", "op": "is_true", "variant": 999999},
            "variant: no variant with id [999999]",
        ),
        (
            {"field": "has_wishlist_item", "op": "is_true", "value": 3},
            "takes no value",
        ),
        (
            {"field": "wishlist_item_added_within_days", "op": "is_true", "value": 0},
            "must be at least 1",
        ),
        (
            {"field": "first_name", "op": "eq", "value": "Ada", "variant": 1},
            "unknown key(s) variant",
        ),
        ({"field": "preferred_store", "op": "eq", "value": 999999}, "no store with id"),
        ({"field": "bought_category", "op": "eq", "value": "nope"}, "no category"),
    ],
)
def test_bad_rules_are_refused_with_a_clear_error_and_nothing_saved(rules, message):
    with pytest.raises(ValidationFailed) as refused:
        create_segment(name="Bad", rules=rules)
    assert any(message in error for error in refused.value.extra["rules"]), (
        refused.value.extra
    )
    assert not Segment.objects.exists()

    segment = Segment(name="Bad", rules=rules)
    with pytest.raises(ValidationError) as invalid:
        segment.full_clean()
    assert any(message in error for error in invalid.value.message_dict["rules"])


def test_every_error_is_reported_at_once():
    rules = {
        "all": [
            {"field": "nope", "op": "eq", "value": 1},
            {"field": "first_name", "op": "lt", "value": "a"},
        ]
    }
    errors = selectors_errors(rules)
    assert len(errors) == 2
    assert errors[0].startswith("all[0]:") and errors[1].startswith("all[1]:")


def selectors_errors(rules):
    with pytest.raises(ValidationFailed) as refused:
        validate_segment_rules(rules=rules)
    return refused.value.extra["rules"]


def test_preview_counts_and_samples_the_first_twenty():
    shop = Shop()
    people = [person(f"P{i}") for i in range(23)]
    for customer in people:
        shop.sell_in_store(customer)
    rules = {"field": "channels_used", "op": "eq", "value": "store_only"}
    preview = segment_preview(rules)
    assert preview.count == 23
    assert [c.pk for c in preview.sample] == sorted(c.pk for c in people)[:20]


def test_update_segment_validates_the_new_rules():
    segment = create_segment(
        name="Big spenders", rules={"field": "total_spent", "op": "gte", "value": "500"}
    )
    with pytest.raises(ValidationFailed):
        update_segment(segment=segment, rules={"field": "x"})
    segment.refresh_from_db()
    assert segment.rules["value"] == "500"
    update_segment(
        segment=segment, rules={"field": "total_spent", "op": "gte", "value": "900"}
    )
    segment.refresh_from_db()
    assert Decimal(segment.rules["value"]) == Decimal("900")


@pytest.mark.parametrize(
    "rule",
    [
        {"field": "first_name", "op": "eq", "value": "Ann\u0000"},
        {"field": "first_name", "op": "in", "value": ["Ann", "\u0000"]},
        {"field": "has_wishlist_item", "op": "is_true", "category": "shirts\u0000"},
    ],
)
def test_a_nul_in_a_rule_is_an_error_of_that_rule(rule):
    errors = selectors_errors({"all": [rule]})
    assert len(errors) == 1 and errors[0].startswith("all[0]"), errors
