"""Several associates deciding the same duplicate pair at the same moment: one
decides it, the others get what a later attempt gets (the pair is gone: 404), never
a server error. The moment is reproduced without threads: another session decides
the pair right after this request looked at it and before it acts."""

from __future__ import annotations

import pytest
from django.urls import reverse

from customers.models import CustomerMerge, DuplicateCandidate, DuplicateStatus
from customers.services.matching import flag_duplicate
from customers.services.merge import dismiss_duplicate, merge_customers
from customers.staff import customers as views
from omnistore.accounts.models import Role
from tests.customers.factories import make_customer
from tests.factories import LocationFactory, StaffFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop():
    return LocationFactory(country="IT")


@pytest.fixture
def associate(shop):
    return StaffFactory(store=shop, first_name="Sara")


@pytest.fixture
def colleague(shop):
    return StaffFactory(store=shop, first_name="Luca")


@pytest.fixture
def pair():
    one = make_customer(email="dora@example.com", first_name="Dora")
    other = make_customer(phone="3390001234", first_name="Dora", channel="store")
    return flag_duplicate(customer=one, other=other, reason="same name")


def dismiss_url(candidate) -> str:
    return reverse("staff:customer_duplicate_dismiss", args=[candidate.pk])


def merge_url(candidate) -> str:
    return reverse("staff:customer_merge", args=[candidate.customer_a_id])


def test_a_second_dismissal_later_is_a_404(client, associate, pair):
    client.force_login(associate)
    sent = {"customer": pair.customer_a_id}
    assert client.post(dismiss_url(pair), sent).status_code == 302
    assert client.post(dismiss_url(pair), sent).status_code == 404


def test_a_dismissal_decided_meanwhile_answers_like_a_later_one(
    client, associate, colleague, pair, monkeypatch
):
    """The view saw the pair pending; a colleague dismissed it before this request
    took the pair's lock."""
    real = views.dismiss_duplicate

    def colleague_first(*, candidate, actor):
        dismiss_duplicate(candidate=candidate, actor=colleague)
        return real(candidate=candidate, actor=actor)

    monkeypatch.setattr(views, "dismiss_duplicate", colleague_first)
    client.force_login(associate)

    response = client.post(dismiss_url(pair), {"customer": pair.customer_a_id})

    assert response.status_code == 404
    pair.refresh_from_db()
    assert pair.status == DuplicateStatus.DISMISSED
    assert pair.resolved_by == colleague


def test_a_merge_of_a_pair_dismissed_meanwhile_is_not_made(
    client, associate, colleague, pair, monkeypatch
):
    """The view found the pair pending (so an associate may merge it); a colleague
    said "not the same" before the merge: nothing is merged, and the answer is what
    the same merge sent later gets."""
    real = views._may_merge

    def then_dismissed(user, one, other):
        allowed = real(user, one, other)
        candidate = DuplicateCandidate.objects.get(pk=pair.pk)
        if candidate.status == DuplicateStatus.PENDING:
            dismiss_duplicate(candidate=candidate, actor=colleague)
        return allowed

    monkeypatch.setattr(views, "_may_merge", then_dismissed)
    client.force_login(associate)
    sent = {"other": pair.customer_b_id, "confirm": "on"}

    response = client.post(merge_url(pair), sent)

    assert response.status_code == 404
    assert not CustomerMerge.objects.exists()
    pair.refresh_from_db()
    assert pair.status == DuplicateStatus.DISMISSED
    monkeypatch.undo()
    assert client.post(merge_url(pair), sent).status_code == 404


def test_a_merge_made_meanwhile_by_a_colleague_answers_like_a_later_one(
    client, associate, colleague, pair, monkeypatch
):
    real = views._may_merge
    one, other = pair.customer_a, pair.customer_b

    def colleague_merged(user, first, second):
        allowed = real(user, first, second)
        if not CustomerMerge.objects.exists():
            merge_customers(survivor=one, other=other, actor=colleague)
        return allowed

    monkeypatch.setattr(views, "_may_merge", colleague_merged)
    client.force_login(associate)
    sent = {"other": other.pk, "confirm": "on"}

    response = client.post(merge_url(pair), sent)

    assert response.status_code == 404
    assert CustomerMerge.objects.get().actor == colleague
    monkeypatch.undo()
    assert client.post(merge_url(pair), sent).status_code == 404


def test_hq_merging_from_a_page_drawn_before_a_dismissal_merges_nothing(
    client, colleague, pair
):
    """HQ may merge any pair, but not one a colleague said "not the same" about after
    HQ's page was drawn: the page carries the decisions it showed."""
    hq = StaffFactory(role=Role.HQ)
    client.force_login(hq)
    page = client.get(merge_url(pair), {"other": pair.customer_b_id})
    seen = page.context["form"].initial["seen"]
    assert f'value="{seen}"' in page.content.decode()

    dismiss_duplicate(candidate=pair, actor=colleague)
    stale = {"other": pair.customer_b_id, "confirm": "on", "seen": seen}

    assert client.post(merge_url(pair), stale).status_code == 404
    assert not CustomerMerge.objects.exists()

    # Drawn again, the page shows the dismissal, and HQ may still decide to merge.
    again = client.get(merge_url(pair), {"other": pair.customer_b_id})
    fresh = {**stale, "seen": again.context["form"].initial["seen"]}
    assert client.post(merge_url(pair), fresh).status_code == 302
    assert CustomerMerge.objects.count() == 1
