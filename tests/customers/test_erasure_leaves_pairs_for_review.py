"""An erasure decides no "same person?" pair: a pair still undecided whose other
profile is live stays for staff (that profile may hold the erased person's data),
with a note in place of its reason; nobody is recorded as having found them
different people. A pair of two erased profiles is closed, with nobody named."""

import pytest
from django.urls import reverse

from customers.models import Customer, DuplicateCandidate, DuplicateStatus
from customers.services.erasure import (
    ERASED_PAIR_CLOSED,
    ERASED_PAIR_NOTE,
    erase_customer,
)
from customers.services.matching import match_customer
from omnistore.core.channels import Channel
from tests.customers.factories import CustomerUserFactory
from tests.factories import LocationFactory, StaffFactory

pytestmark = pytest.mark.django_db

PHONE = "+393405556677"


@pytest.fixture
def associate():
    return StaffFactory(store=LocationFactory(country="IT"))


@pytest.fixture
def alice():
    """A login, and a guest checkout made with her name, email and phone: her
    email was never proven, so the guest gets a profile of its own, flagged."""
    user = CustomerUserFactory(first_name="Alice", last_name="Moretti")
    guest = match_customer(
        email=user.email,
        phone=PHONE,
        first_name="Alice",
        last_name="Moretti",
        channel=Channel.WEB,
    )
    assert guest != user.customer_profile and guest.phone == PHONE
    return user, guest


def pair_of(one: Customer, other: Customer) -> DuplicateCandidate:
    low, high = sorted((one.pk, other.pk))
    return DuplicateCandidate.objects.get(customer_a_id=low, customer_b_id=high)


def test_an_erasure_leaves_the_pair_with_a_live_profile_for_staff(
    client, alice, associate
):
    user, guest = alice
    profile = user.customer_profile
    assert pair_of(profile, guest).status == DuplicateStatus.PENDING

    erase_customer(customer=profile, actor=associate, channel=Channel.STORE)

    pair = pair_of(profile, guest)
    assert pair.status == DuplicateStatus.PENDING
    assert pair.resolved_by is None and pair.resolved_at is None
    assert pair.reason == ERASED_PAIR_NOTE and "Alice" not in pair.reason
    # The guest's page still asks staff whether it is the same person.
    client.force_login(associate)
    page = client.get(reverse("staff:customer_detail", args=[guest.pk]))
    assert page.status_code == 200
    assert ERASED_PAIR_NOTE in page.content.decode()
    assert [c.pk for c, _ in page.context["view"].duplicates] == [pair.pk]


def test_staff_decide_the_pair_left_by_an_erasure_themselves(client, alice, associate):
    user, guest = alice
    profile = user.customer_profile
    erase_customer(customer=profile, actor=associate, channel=Channel.STORE)
    pair = pair_of(profile, guest)
    client.force_login(associate)

    page = client.get(reverse("staff:customer_detail", args=[guest.pk]))
    html = page.content.decode()
    assert 'data-testid="duplicates"' in html  # left for staff to decide
    assert f'data-testid="merge-{profile.pk}"' not in html  # nothing to merge into
    merge_url = reverse("staff:customer_merge", args=[guest.pk])
    refused = client.post(merge_url, {"other": profile.pk, "confirm": "on"})
    assert refused.status_code == 422
    assert "was erased" in refused.content.decode()

    client.post(
        reverse("staff:customer_duplicate_dismiss", args=[pair.pk]),
        {"customer": guest.pk},
    )
    pair.refresh_from_db()
    assert pair.status == DuplicateStatus.DISMISSED and pair.resolved_by == associate


def test_a_pair_of_two_erased_profiles_is_closed_with_nobody_named(alice, associate):
    user, guest = alice
    profile = user.customer_profile
    erase_customer(customer=profile, actor=associate, channel=Channel.STORE)

    erase_customer(customer=guest, actor=associate, channel=Channel.STORE)

    pair = pair_of(profile, guest)
    assert pair.status == DuplicateStatus.DISMISSED
    assert pair.resolved_by is None and pair.resolved_at is not None
    assert pair.reason == ERASED_PAIR_CLOSED
