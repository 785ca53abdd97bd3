"""Merging customers in the admin: choosing the action draws a page with both
profiles side by side (name, email, phone, orders, points, login) saying which is
kept and which is merged into it, and merges nothing; only the page's confirming
post merges, recorded with who did it. The duplicates queue's merge asks the same
way. A pair the merge would refuse (a profile merged already or erased, a login on
each) is never offered: the page lists it as left with why, and with nothing left to
merge no page asks. A profile outside the user's shops is neither shown nor merged."""

import pytest
from django.contrib.auth.models import Permission
from django.contrib.messages import get_messages

from customers.models import (
    Customer,
    CustomerMerge,
    DuplicateCandidate,
    DuplicateStatus,
)
from customers.services.erasure import erase_customer
from customers.services.matching import flag_duplicate, match_customer
from customers.services.merge import merge_customers
from omnistore.accounts.models import Role
from omnistore.core.channels import Channel
from tests.customers.factories import CustomerUserFactory, make_customer
from tests.factories import UserFactory
from tests.orders.factories import pickup_order, shop, stocked

pytestmark = pytest.mark.django_db

CUSTOMERS = "/admin/customers/customer/"
PAIRS = "/admin/customers/duplicatecandidate/"


@pytest.fixture
def hq(client):
    user = UserFactory(username="hq-merge", role=Role.HQ, is_staff=True)
    client.force_login(user)
    client.user = user
    return client


def _said(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def _merged() -> set[int]:
    return set(
        Customer.objects.filter(merged_into__isnull=False).values_list("pk", flat=True)
    )


def test_two_customers_are_shown_side_by_side_before_anything_is_merged(hq):
    store = shop()
    older = make_customer(email="ada@example.com", first_name="Ada", last_name="Byron")
    newer = make_customer(phone="3331112222", first_name="Augusta", last_name="King")
    order = pickup_order(
        store=store, lines=[(stocked(store, 3), 1)], email="ada@example.com"
    )
    assert order.customer_id == older.pk
    Customer.objects.filter(pk=newer.pk).update(points_balance=120)
    chosen = {"action": "merge_selected", "_selected_action": [newer.pk, older.pk]}

    page = hq.post(CUSTOMERS, chosen)

    assert page.status_code == 200
    ((kept, merged),) = page.context["rows"]
    assert (kept.pk, merged.pk) == (older.pk, newer.pk)
    assert (kept.orders_count, merged.orders_count) == (1, 0)
    assert (kept.points_balance, merged.points_balance) == (0, 120)
    text = page.content.decode()
    assert (
        f"<strong>Augusta King (#{newer.pk})</strong> is merged into "
        f"<strong>Ada Byron (#{older.pk})</strong>, the older profile, which is kept"
    ) in text
    for shown in ("ada@example.com", newer.phone, "<td>120</td>"):
        assert shown in text
    assert "This cannot be undone." in text
    assert not _merged() and not CustomerMerge.objects.exists()

    done = hq.post(CUSTOMERS, {**chosen, "confirm": "yes"}, follow=True)

    assert _merged() == {newer.pk}
    merge = CustomerMerge.objects.get()
    assert (merge.survivor, merge.merged, merge.actor) == (older, newer, hq.user)
    assert any(f"merged into Ada Byron (#{older.pk})" in said for said in _said(done))


def test_flagged_pairs_are_shown_before_the_queue_merges_them(hq):
    a = make_customer(email="pair@example.com", first_name="Pia")
    b = make_customer(phone="3331110000", first_name="Pia", channel=Channel.STORE)
    match_customer(email="pair@example.com", phone="3331110000", channel="app")
    candidate = DuplicateCandidate.objects.get()
    chosen = {"action": "merge_pairs", "_selected_action": [candidate.pk]}

    page = hq.post(PAIRS, chosen)

    assert page.status_code == 200
    assert [(k.pk, m.pk) for k, m in page.context["rows"]] == [(a.pk, b.pk)]
    assert "pair@example.com" in page.content.decode()
    candidate.refresh_from_db()
    assert candidate.status == DuplicateStatus.PENDING and not _merged()

    hq.post(PAIRS, {**chosen, "confirm": "yes"})

    candidate.refresh_from_db()
    assert candidate.status == DuplicateStatus.MERGED and _merged() == {b.pk}
    assert CustomerMerge.objects.get().actor == hq.user


def test_a_pair_decided_already_draws_no_page(hq):
    make_customer(email="pair@example.com")
    make_customer(phone="3331110000", channel=Channel.STORE)
    match_customer(email="pair@example.com", phone="3331110000", channel="app")
    candidate = DuplicateCandidate.objects.get()
    DuplicateCandidate.objects.filter(pk=candidate.pk).update(
        status=DuplicateStatus.DISMISSED
    )

    response = hq.post(
        PAIRS, {"action": "merge_pairs", "_selected_action": [candidate.pk]}
    )

    assert response.status_code == 302
    assert _said(response) == [
        "None of the selected pairs is still to merge: each was decided."
    ]
    assert not _merged()


def test_a_customer_outside_the_users_shops_is_neither_shown_nor_merged(client):
    """A manager allowed to merge sees only their shops' customers: of three chosen,
    the one of another shop is left out of the page and of the merge."""
    mine, theirs = shop(code="MI01"), shop(code="RM01")
    manager = UserFactory(
        username="marco", role=Role.STORE_MANAGER, store=mine, is_staff=True
    )
    manager.user_permissions.add(
        Permission.objects.get(codename="change_duplicatecandidate")
    )
    client.force_login(manager)
    first = make_customer(email="one@example.com", first_name="Uno")
    second = make_customer(email="two@example.com", first_name="Due")
    other = make_customer(email="three@example.com", first_name="Tre")
    Customer.objects.filter(pk__in=[first.pk, second.pk]).update(preferred_store=mine)
    Customer.objects.filter(pk=other.pk).update(preferred_store=theirs)
    chosen = {
        "action": "merge_selected",
        "_selected_action": [first.pk, second.pk, other.pk],
    }

    page = client.post(CUSTOMERS, chosen)

    assert page.status_code == 200
    assert [(k.pk, m.pk) for k, m in page.context["rows"]] == [(first.pk, second.pk)]
    assert sorted(page.context["selected"]) == [first.pk, second.pk]
    assert "three@example.com" not in page.content.decode()

    client.post(CUSTOMERS, {**chosen, "confirm": "yes"})

    assert _merged() == {second.pk}
    other.refresh_from_db()
    assert other.merged_into_id is None


def _pending(candidate) -> bool:
    candidate.refresh_from_db()
    return candidate.status == DuplicateStatus.PENDING


LOGINS = (
    "Both profiles have a login of their own: they are kept apart. If they are one "
    "person, that person signs in and proves the other profile's email or phone "
    "with a code"
)


@pytest.mark.parametrize("why", ["logins", "erased", "merged"])
def test_two_profiles_the_merge_refuses_draw_no_page(hq, why):
    """Two profiles that each have a login, one erased, or one merged already into
    a third: no page offers their merge; the list says why, and nothing merges."""
    logins = {"user": UserFactory()} if why == "logins" else {}
    older = make_customer(email="old@example.com", first_name="Olga", **logins)
    if logins:
        logins = {"user": UserFactory()}
    newer = make_customer(email="new@example.com", first_name="Nina", **logins)
    if why == "logins":
        refusal = LOGINS
    elif why == "erased":
        erase_customer(customer=newer)
        refusal = f"Customer #{newer.pk} was erased: an erased profile is merged with"
    else:
        third = make_customer(email="third@example.com", first_name="Tea")
        merge_customers(survivor=third, other=newer, actor=hq.user)
        refusal = f"Customer {newer.pk} was already merged into {third.pk}."
    before = _merged()
    chosen = {"action": "merge_selected", "_selected_action": [older.pk, newer.pk]}

    for posted in (chosen, {**chosen, "confirm": "yes"}):
        response = hq.post(CUSTOMERS, posted, follow=True)

        assert response.redirect_chain == [(CUSTOMERS, 302)]
        ((level, said),) = [(m.level_tag, str(m)) for m in response.context["messages"]]
        assert level == "warning"
        assert f"(#{newer.pk}) and Olga Bianchi (#{older.pk}) are not merged: " in said
        assert refusal in said
    assert _merged() == before
    assert CustomerMerge.objects.count() == (1 if why == "merged" else 0)


def test_the_queue_lists_pairs_it_leaves_with_why_and_merges_only_the_others(hq):
    """Of three flagged pairs, one whose profiles each have a login and one with an
    erased profile are left, named on the page with why; confirming merges the
    third only and says the two were left, as the page said, not that they
    failed; they stay pending for staff to dismiss."""
    first = make_customer(email="one@example.com", first_name="Uno")
    second = make_customer(email="two@example.com", first_name="Due")
    lone, logged = (CustomerUserFactory().customer_profile for _ in range(2))
    erased = make_customer(email="gone@example.com", first_name="Via")
    live = make_customer(email="here@example.com", first_name="Qui")
    mergeable = flag_duplicate(customer=first, other=second, reason="same name")
    logins = flag_duplicate(customer=lone, other=logged, reason="same phone")
    gone = flag_duplicate(customer=erased, other=live, reason="same card")
    erase_customer(customer=erased)
    chosen = {
        "action": "merge_pairs",
        "_selected_action": [mergeable.pk, logins.pk, gone.pk],
    }

    page = hq.post(PAIRS, chosen)

    assert page.status_code == 200
    assert [(k.pk, m.pk) for k, m in page.context["rows"]] == [(first.pk, second.pk)]
    left = dict(page.context["left"])
    assert page.context["left_count"] == 2
    assert list(left) == [
        f"Pair {logins.pk}: {lone} (#{lone.pk}) and {logged} (#{logged.pk})",
        f"Pair {gone.pk}: {Customer.objects.get(pk=erased.pk)} (#{erased.pk}) and "
        f"Qui Bianchi (#{live.pk})",
    ]
    assert list(left.values()) == [
        LOGINS,
        f"Customer #{erased.pk} was erased: an erased profile is merged with no other",
    ]
    text = page.content.decode()
    assert "Left as they are (2):" in text and f"Pair {gone.pk}" in text

    done = hq.post(PAIRS, {**chosen, "confirm": "yes"}, follow=True)

    said = [(m.level_tag, str(m)) for m in done.context["messages"]]
    assert [level for level, _ in said] == ["success", "info"]
    assert said[1][1].startswith(f"Left as they are (2): Pair {logins.pk}: ")
    assert _merged() == {second.pk}
    assert not _pending(mergeable)
    assert _pending(logins) and _pending(gone)


def test_the_queue_draws_no_page_when_every_pair_is_refused(hq):
    lone, logged = (CustomerUserFactory().customer_profile for _ in range(2))
    logins = flag_duplicate(customer=lone, other=logged, reason="same phone")

    response = hq.post(
        PAIRS, {"action": "merge_pairs", "_selected_action": [logins.pk]}
    )

    assert response.status_code == 302
    assert _said(response) == [
        "None of the selected pairs is still to merge: each was decided, or is left "
        f"as it is (Pair {logins.pk}: {lone} (#{lone.pk}) and "
        f"{logged} (#{logged.pk}) — {LOGINS})."
    ]
    assert _pending(logins) and not _merged()
