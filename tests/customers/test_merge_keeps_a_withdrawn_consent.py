"""A merge never turns a customer's no back into a yes someone else recorded: a no on
either profile stands against a later yes unless the customer gave that yes
themselves, signed in to their account (as at the counter, where an associate's yes
after a no is refused). Both profiles' decisions stay in the history, and the merge
keeping a no is recorded in it."""

import pytest
from django.urls import reverse

from customers.models import (
    Consent,
    ConsentChange,
    Customer,
    CustomerEvent,
    CustomerIdentity,
    CustomerMerge,
    DuplicateCandidate,
    IdentityKind,
)
from customers.services.consents import set_consent
from customers.services.merge import merge_customers
from customers.services.registration import create_customer_at_counter
from omnistore.core.channels import Channel
from tests.customers.factories import CustomerUserFactory, make_customer
from tests.factories import LocationFactory, StaffFactory

pytestmark = pytest.mark.django_db

PHONE = "+393471239876"


@pytest.fixture
def shop():
    return LocationFactory(country="IT")


@pytest.fixture
def associate(shop):
    return StaffFactory(store=shop, first_name="Sara", last_name="Colombo")


@pytest.fixture
def alice():
    """A login whose email is proven, with a phone typed online and never proven;
    she said yes to campaign emails from her account, then unsubscribed."""
    user = CustomerUserFactory(first_name="Alice", last_name="Moretti")
    profile = user.customer_profile
    profile.identities.update(verified=True)
    profile.phone = PHONE
    profile.save(update_fields=["phone"])
    CustomerIdentity.objects.create(
        customer=profile, kind=IdentityKind.PHONE, value=PHONE, channel=Channel.WEB
    )
    set_consent(
        customer=profile,
        channel="email",
        granted=True,
        source_channel=Channel.WEB,
        actor=user,
    )
    # The unsubscribe link in a campaign email: nobody signed in.
    set_consent(
        customer=profile, channel="email", granted=False, source_channel=Channel.WEB
    )
    return user


def test_a_staff_merge_keeps_the_no_the_customer_gave_before_a_counter_yes(
    client, shop, associate, alice
):
    a = alice.customer_profile
    client.force_login(associate)
    client.post(
        reverse("staff:customer_create"),
        {
            "first_name": "Alice",
            "last_name": "Moretti",
            "email": "alice.other@example.com",
            "phone": PHONE,
            "email_consent": "on",
            "sms_consent": "on",
        },
    )
    b = Customer.objects.exclude(pk=a.pk).get()
    assert dict(b.consents.values_list("channel", "granted")) == {
        "email": True,
        "sms": True,
    }
    assert DuplicateCandidate.objects.filter(
        customer_a_id=a.pk, customer_b_id=b.pk, status="pending"
    ).exists()

    merge_url = reverse("staff:customer_merge", args=[a.pk])
    done = client.post(merge_url, {"other": b.pk, "confirm": "on"})

    assert done.status_code == 302
    email = Consent.objects.get(customer=a, channel="email")
    assert email.granted is False and email.source_channel == Channel.WEB
    # A channel only the new profile answered keeps its yes.
    assert Consent.objects.get(customer=a, channel="sms").granted is True
    assert not Consent.objects.filter(customer=b).exists()
    # Every decision of both profiles is kept, and the merge keeping the no is the
    # latest entry, by the associate who merged.
    history = list(
        ConsentChange.objects.filter(customer=a, channel="email").order_by("at", "id")
    )
    assert [(c.granted, c.source_channel) for c in history] == [
        (True, Channel.WEB),
        (False, Channel.WEB),
        (True, Channel.STORE),
        (False, Channel.WEB),
    ]
    assert history[-1].actor == associate
    merge = CustomerMerge.objects.get(survivor=a)
    assert merge.summary["consents_withdrawn_kept"] == ["email"]
    event = CustomerEvent.objects.get(customer=a, kind="customer_merged")
    assert event.summary.endswith("; consent still withdrawn: Email")


def test_a_counter_yes_on_the_survivor_does_not_undo_a_no_on_the_other(shop, associate):
    said_no = make_customer(email="said.no@example.com", first_name="Bea")
    set_consent(
        customer=said_no, channel="email", granted=False, source_channel=Channel.WEB
    )
    counter = create_customer_at_counter(
        first_name="Bea",
        email="bea.shop@example.com",
        store=shop,
        actor=associate,
        email_consent=True,
    ).customer

    merge_customers(survivor=counter, other=said_no, actor=associate)

    assert Consent.objects.get(customer=counter, channel="email").granted is False
    assert ConsentChange.objects.filter(customer=counter, channel="email").count() == 3


def test_a_yes_the_customer_gave_from_their_account_after_the_no_wins(shop, associate):
    user = CustomerUserFactory()
    own = user.customer_profile
    at_counter = make_customer(
        email="kept.no@example.com", channel=Channel.STORE, location=shop
    )
    set_consent(
        customer=at_counter,
        channel="email",
        granted=False,
        source_channel=Channel.STORE,
        location=shop,
        actor=associate,
    )
    set_consent(
        customer=own,
        channel="email",
        granted=True,
        source_channel=Channel.APP,
        actor=user,
    )

    merge = merge_customers(survivor=at_counter, other=own, actor=associate)

    consent = Consent.objects.get(customer=at_counter, channel="email")
    assert consent.granted is True and consent.actor == user
    assert ConsentChange.objects.filter(customer=at_counter).count() == 2
    assert "consents_withdrawn_kept" not in merge.summary


def test_a_no_given_after_the_yes_wins_whoever_gave_the_yes(shop, associate):
    user = CustomerUserFactory()
    own = user.customer_profile
    set_consent(
        customer=own,
        channel="sms",
        granted=True,
        source_channel=Channel.WEB,
        actor=user,
    )
    other = make_customer(phone="3479998877", channel=Channel.STORE, location=shop)
    set_consent(
        customer=other,
        channel="sms",
        granted=False,
        source_channel=Channel.STORE,
        location=shop,
        actor=associate,
    )

    merge_customers(survivor=own, other=other, actor=associate)

    assert Consent.objects.get(customer=own, channel="sms").granted is False
    assert ConsentChange.objects.filter(customer=own).count() == 2
