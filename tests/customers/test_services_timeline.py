"""The timeline's bulk door: many events in one INSERT, under ``record_event``'s
rules (a kind required, texts cut to their columns, merged profiles followed)."""

import pytest

from customers.models import CustomerEvent
from customers.services.merge import merge_customers
from customers.services.timeline import record_events
from omnistore.core.channels import Channel
from omnistore.core.exceptions import ValidationFailed
from tests.customers.factories import make_customer
from tests.factories import LocationFactory, StaffFactory

pytestmark = pytest.mark.django_db


def test_record_events_writes_every_event_in_one_insert_for_live_profiles(
    django_assert_num_queries,
):
    shop = LocationFactory()
    associate = StaffFactory(store=shop)
    ada = make_customer(email="ada@example.com")
    bea = make_customer(email="bea@example.com")

    with django_assert_num_queries(2):  # merged profiles among them? then the insert
        written = record_events(
            [
                {
                    "customer": ada,
                    "kind": "message_sent",
                    "summary": "x" * 300,
                    "channel": "email",
                    "data": {"message_id": 7},
                    "reference_type": "campaign_message",
                    "reference_id": 7,
                },
                {
                    "customer": bea.pk,
                    "kind": "k" * 50,
                    "summary": "At the counter",
                    "actor": associate,
                    "location": shop,
                },
            ]
        )

    assert written == 2
    first = CustomerEvent.objects.get(customer=ada, kind="message_sent")
    assert first.summary == "x" * 255
    assert (first.reference_id, first.data, first.channel) == (
        "7",
        {"message_id": 7},
        "email",
    )
    assert first.occurred_at is not None
    second = CustomerEvent.objects.get(customer=bea, summary="At the counter")
    assert second.kind == "k" * 40
    assert (second.actor, second.location) == (associate, shop)


def test_record_events_follows_a_merge_to_the_survivor():
    survivor = make_customer(email="giulia@example.com")
    other = make_customer(phone="333 765 4321", channel=Channel.STORE)
    merge_customers(survivor=survivor, other=other, actor=None)

    record_events([{"customer": other, "kind": "message_opened"}])

    assert CustomerEvent.objects.get(kind="message_opened").customer_id == survivor.pk


def test_record_events_without_a_kind_writes_nothing():
    ada = make_customer(email="ada@example.com")
    before = CustomerEvent.objects.count()
    with pytest.raises(ValidationFailed) as refused:
        record_events([{"customer": ada, "kind": "ok"}, {"customer": ada, "kind": ""}])
    assert refused.value.extra == {"kind": ["Required (event 2 of 2)."]}
    assert CustomerEvent.objects.count() == before
    assert record_events([]) == 0
