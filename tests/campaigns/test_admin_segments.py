"""Managers' admin: a segment always opens, whatever its rules; rules too large to
run are refused at their field, and a preview the database refuses is said so."""

import json
import sqlite3

import pytest
from django.db import connection

from campaigns.admin import PREVIEW_FAILED
from campaigns.models import Segment
from campaigns.segments.compiler import MAX_LISTED_VALUES
from omnistore.accounts.models import Role
from tests.campaigns.factories import Shop, person
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

SEGMENTS = "/admin/campaigns/segment/"
EVERY_KIND_OF_BUYER = ["both", "none", "online_only", "store_only"] * 125


@pytest.fixture
def admin_client(client):
    manager = UserFactory(role=Role.HQ, is_staff=True, is_superuser=True)
    client.force_login(manager)
    return client


def names_rules(lists: int, per_list: int = 500) -> dict:
    return {
        "any": [
            {
                "field": "last_name",
                "op": "in",
                "value": [f"n{i}-{n}" for n in range(per_list)],
            }
            for i in range(lists)
        ]
    }


def test_a_stored_segment_repeating_its_values_opens_with_its_count(admin_client):
    shop = Shop()
    shop.sell_online(person("Ada"))
    person("Bea")
    rules = {
        "any": [
            {"field": "channels_used", "op": "in", "value": EVERY_KIND_OF_BUYER}
            for _ in range(5)
        ]
    }
    stored = Segment.objects.create(name="Everyone", rules=rules)

    page = admin_client.get(f"{SEGMENTS}{stored.pk}/change/")

    assert page.status_code == 200
    assert (
        '<strong class="segment-count">2</strong> customer(s)' in page.content.decode()
    )


def test_a_stored_segment_too_large_to_run_opens_and_says_why(admin_client):
    stored = Segment.objects.create(
        name="Huge", rules=names_rules(MAX_LISTED_VALUES // 500 + 1)
    )

    page = admin_client.get(f"{SEGMENTS}{stored.pk}/change/")

    assert page.status_code == 200
    html = page.content.decode()
    assert "too large to run as one query" in html
    assert "segment-count" not in html


def test_rules_too_large_to_run_are_refused_at_their_field(admin_client):
    response = admin_client.post(
        f"{SEGMENTS}add/",
        {
            "name": "Huge",
            "description": "",
            "rules": json.dumps(names_rules(MAX_LISTED_VALUES // 500 + 1)),
        },
    )

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors["rules"]
    assert "too large to run as one query" in errors[0]
    assert not Segment.objects.exists()


@pytest.mark.skipif(
    connection.vendor != "sqlite", reason="lowers a limit of the SQLite connection"
)
def test_a_preview_the_database_refuses_is_said_on_the_page(admin_client):
    """A database that takes fewer parameters than this segment's query has: the
    page opens and says the customers could not be counted."""
    stored = Segment.objects.create(name="Names", rules=names_rules(1, per_list=300))
    connection.ensure_connection()
    limit = sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER
    before = connection.connection.setlimit(limit, 200)
    try:
        page = admin_client.get(f"{SEGMENTS}{stored.pk}/change/")
    finally:
        connection.connection.setlimit(limit, before)

    assert page.status_code == 200
    html = page.content.decode()
    assert PREVIEW_FAILED.replace("'", "&#x27;") in html
    assert "Names" in html


@pytest.mark.parametrize(
    "rules",
    [
        '{"field": "last_name", "op": "sounds_like", "value": "Rossi"}',
        '{"all": [{"field": "no_such_field", "op": "eq", "value": 1}]}',
        "[1, 2]",
    ],
)
def test_a_new_segment_with_a_bad_rule_is_told_that_one_error_only(admin_client, rules):
    """The rules refused at their field never reach the segment: the page says
    what is wrong with them, not also that an empty segment has no group."""
    response = admin_client.post(
        f"{SEGMENTS}add/", {"name": "Bad", "description": "", "rules": rules}
    )

    assert response.status_code == 200
    form = response.context["adminform"].form
    said = " ".join(form.errors["rules"])
    assert "expected a group" not in said
    assert said and not form.non_field_errors()
    assert "expected a group" not in response.content.decode()
    assert not Segment.objects.exists()


@pytest.mark.parametrize(
    "rule, said",
    [
        (
            {"field": "preferred_store", "op": "eq", "value": 10**20},
            f"preferred_store: no store with id [{10**20}].",
        ),
        (
            {"field": "has_wishlist_item", "op": "is_true", "variant": 10**20},
            f"variant: no variant with id [{10**20}].",
        ),
        (
            {
                "field": "engaged_with_campaign",
                "op": "is_true",
                "value": 30,
                "campaign": 10**20,
            },
            f"engaged_with_campaign: no campaign [{10**20}].",
        ),
    ],
)
def test_an_id_past_any_key_is_refused_at_the_field_keeping_the_rules_typed(
    admin_client, rule, said
):
    typed = json.dumps(rule)
    response = admin_client.post(
        f"{SEGMENTS}add/", {"name": "Far", "description": "", "rules": typed}
    )

    assert response.status_code == 200
    form = response.context["adminform"].form
    assert form.errors["rules"] == [said]
    assert json.loads(form["rules"].value()) == rule
    assert not Segment.objects.exists()
