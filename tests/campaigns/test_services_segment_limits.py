"""Segments: repeated values cost nothing, and rules too large for one query are
refused with a clear error before any query."""

from datetime import datetime
from itertools import combinations

import pytest
from django.utils import timezone

from campaigns.models import Segment
from campaigns.segments.compiler import MAX_LISTED_VALUES, compile_rules
from campaigns.services.segments import create_segment, validate_segment_rules
from customers.models import Channel
from omnistore.core.exceptions import ValidationFailed
from tests.campaigns.factories import Shop, person

pytestmark = pytest.mark.django_db

NOW = timezone.make_aware(datetime(2025, 3, 1, 12, 0))
CHANNELS_USED = ("online_only", "store_only", "both", "none")


def compiled(rules):
    return compile_rules(rules, now=NOW).query.sql_with_params()


def names(count: int, prefix: str = "name") -> list[str]:
    return [f"{prefix}{n}" for n in range(count)]


@pytest.mark.parametrize(
    ("field", "values"),
    [
        ("created_channel", ["web", "store"]),
        ("birthday_month", [5, 1]),
        ("preferred_store", [7, 3]),
        ("preferred_store_city", ["Milano", "Roma"]),
        ("bought_category", ["shirts", "shoes"]),
        ("channels_used", ["both", "none"]),
        ("channels_used", ["store_only", "online_only", "none"]),
    ],
)
def test_a_value_listed_many_times_compiles_like_the_value_once(field, values):
    once = {"field": field, "op": "in", "value": values}
    repeated = {"field": field, "op": "in", "value": values * (500 // len(values))}
    assert compiled(repeated) == compiled(once)


def test_channels_used_in_selects_the_buyers_of_every_value_listed():
    shop = Shop()
    online, store, both, none = person(), person(), person(), person()
    shop.sell_online(online)
    shop.sell_in_store(store)
    shop.sell_online(both, channel=Channel.APP)
    shop.sell_in_store(both)
    who = {"online_only": online, "store_only": store, "both": both, "none": none}

    def ids(rules) -> set[int]:
        return set(compile_rules(rules).values_list("pk", flat=True))

    for size in range(1, 5):
        for chosen in combinations(CHANNELS_USED, size):
            rule = {"field": "channels_used", "op": "in", "value": [*chosen] * 3}
            wanted = {who[value].pk for value in chosen}
            assert ids(rule) == wanted, chosen
            assert ids({"not": rule}) == {c.pk for c in who.values()} - wanted
            assert ids(
                {"any": [rule, {"field": "first_name", "op": "eq", "value": "x"}]}
            )


def _too_many_values() -> dict:
    lists = MAX_LISTED_VALUES // 500 + 1
    return {
        "any": [
            {"field": "first_name", "op": "in", "value": names(500, f"n{i}-")}
            for i in range(lists)
        ]
    }


def test_rules_listing_too_many_values_are_refused_before_any_query(
    django_assert_num_queries,
):
    rules = _too_many_values()
    with django_assert_num_queries(0), pytest.raises(ValidationFailed) as refused:
        compile_rules(rules)
    [error] = refused.value.extra["rules"]
    assert "too large to run as one query" in error
    assert f"{MAX_LISTED_VALUES + 500:,} different values" in error
    assert refused.value.code == "invalid_segment"

    with pytest.raises(ValidationFailed) as invalid:
        validate_segment_rules(rules=rules)
    assert "too large to run as one query" in invalid.value.message
    with pytest.raises(ValidationFailed):
        create_segment(name="Too many", rules=rules)
    assert not Segment.objects.exists()


def test_a_list_repeating_its_values_counts_each_value_once():
    rules = {
        "all": [
            {"field": "first_name", "op": "in", "value": names(250) * 2}
            for _ in range(MAX_LISTED_VALUES // 250)
        ]
    }
    assert validate_segment_rules(rules=rules) is rules


def test_the_largest_rules_allowed_run_on_the_database():
    """The costliest fields at the limit: every category slug is two parameters of
    the query, and a pair of buyer kinds four ``EXISTS``."""
    buyer = person("Ada")
    Shop().sell_online(buyer)
    lists = MAX_LISTED_VALUES // 500
    pairs = 60 - lists
    slugs = (MAX_LISTED_VALUES - 2 * pairs) // lists
    rules = {
        "any": [
            *(
                {"field": "bought_category", "op": "in", "value": names(slugs, f"{i}-")}
                for i in range(lists)
            ),
            *(
                {
                    "field": "channels_used",
                    "op": "in",
                    "value": ["online_only", "store_only"] * 250,
                }
                for _ in range(pairs)
            ),
        ]
    }
    assert compile_rules(rules).count() == 1
