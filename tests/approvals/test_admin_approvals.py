"""The approvals in the admin: the record is read-only, and HQ lifts a PIN's lock."""

from datetime import timedelta

import pytest
from django.contrib.admin.models import LogEntry
from django.urls import reverse
from django.utils import timezone

from omnistore.approvals.models import ApprovalPin
from omnistore.approvals.services.approvals import ApprovalRequired
from orders.services.refunds import return_at_counter
from tests.approvals.helpers import approved, make_approver
from tests.factories import StaffFactory, UserFactory
from tests.orders.factories import stocked
from tests.orders.returns_helpers import counter_sale, line_request

pytestmark = pytest.mark.django_db


@pytest.fixture
def hq(client):
    user = UserFactory(role="hq", is_staff=True, is_superuser=True)
    client.force_login(user)
    return client


def approved_refund(store, associate, manager):
    """A 300.00 counter refund the associate asked for and the manager approved."""
    order = counter_sale(
        store=store, lines=[(stocked(store, 2, price="300.00"), 1)], staff=associate
    )
    with pytest.raises(ApprovalRequired) as asked:
        return_at_counter(
            order=order.number,
            lines=[line_request(order)],
            location=store,
            actor=associate,
        )
    return order, approved(asked.value, associate, manager)


def test_the_record_lists_who_asked_and_who_decided_and_cannot_change(
    hq, store, associate, manager
):
    order, record = approved_refund(store, associate, manager)
    listing = hq.get(reverse("admin:approvals_approval_changelist")).content.decode()
    assert f"Refund 300.00 EUR on order {order.number}" in listing
    assert "Giulia Bianchi" in listing and "Marco Rossi" in listing
    page = hq.get(reverse("admin:approvals_approval_change", args=[record.pk]))
    assert page.status_code == 200 and 'name="_save"' not in page.content.decode()
    assert hq.get(reverse("admin:approvals_approval_add")).status_code == 403


def test_a_closed_shops_approvals_stay_on_the_record(hq, store, associate, manager):
    order, record = approved_refund(store, associate, manager)
    type(store).objects.filter(pk=store.pk).update(active=False)  # the shop closes

    listing = hq.get(reverse("admin:approvals_approval_changelist")).content.decode()
    page = hq.get(reverse("admin:approvals_approval_change", args=[record.pk]))

    assert f"Refund 300.00 EUR on order {order.number}" in listing
    assert page.status_code == 200


def test_hq_lifts_a_pin_lock(hq, manager):
    pin = ApprovalPin.objects.get(user=manager)
    ApprovalPin.objects.filter(pk=pin.pk).update(
        failures=0, locked_until=timezone.now() + timedelta(minutes=15)
    )
    listing = hq.get(reverse("admin:approvals_approvalpin_changelist"))
    assert "pin_hash" not in listing.content.decode()
    response = hq.post(
        reverse("admin:approvals_approvalpin_changelist"),
        {"action": "unlock", "_selected_action": [pin.pk]},
    )
    assert response.status_code == 302
    assert ApprovalPin.objects.get(pk=pin.pk).locked_until is None


def test_lifting_locks_counts_and_records_only_the_pins_that_were_locked(
    hq, store, manager
):
    other = make_approver(
        StaffFactory(store=store, role="store_manager", username="sara"), pin="1357"
    )
    locked = ApprovalPin.objects.get(user=manager)
    until = timezone.now() + timedelta(minutes=15)
    ApprovalPin.objects.filter(pk=locked.pk).update(failures=0, locked_until=until)
    unlocked = ApprovalPin.objects.get(user=other)
    ApprovalPin.objects.filter(pk=unlocked.pk).update(failures=2)
    pins = reverse("admin:approvals_approvalpin_changelist")

    response = hq.post(
        pins,
        {"action": "unlock", "_selected_action": [locked.pk, unlocked.pk]},
        follow=True,
    )

    text = response.content.decode()
    assert "1 PIN(s) unlocked." in text
    assert "1 PIN(s) were not locked: left as they are." in text
    assert ApprovalPin.objects.get(pk=locked.pk).locked_until is None
    assert ApprovalPin.objects.get(pk=unlocked.pk).failures == 2
    entry = LogEntry.objects.get()
    assert (entry.object_id, entry.user) == (str(locked.pk), response.wsgi_request.user)
    assert entry.change_message == (
        f"Lock lifted (locked until {timezone.localtime(until):%H:%M})"
    )
    history = hq.get(reverse("admin:approvals_approvalpin_history", args=[locked.pk]))
    assert "Lock lifted" in history.content.decode()
