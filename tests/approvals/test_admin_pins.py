"""Approval PINs in the admin: never deleted (that would wipe the count of wrong tries
and the lock), a lock or a hold is lifted only by who may change PINs, and the tries
refused are read in the PIN's history."""

from datetime import timedelta

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone

from omnistore.accounts.models import Role
from omnistore.approvals.models import ApprovalPin
from omnistore.approvals.services.approvals import approve_with_pin
from omnistore.approvals.services.pins import WrongPin
from tests.approvals.helpers import make_approver, waiting_request
from tests.factories import StaffFactory, UserFactory

pytestmark = pytest.mark.django_db

PINS = reverse("admin:approvals_approvalpin_changelist")


@pytest.fixture
def locked_pin(manager):
    pin = ApprovalPin.objects.get(user=manager)
    until = timezone.now() + timedelta(minutes=15)
    ApprovalPin.objects.filter(pk=pin.pk).update(failures=5, locked_until=until)
    return ApprovalPin.objects.get(pk=pin.pk)


def offered(listing) -> set[str]:
    """The actions the list offers (none: no action menu at all)."""
    form = listing.context["action_form"]
    if form is None:
        return set()
    return {value for value, _ in form.fields["action"].choices if value}


def still_there(pin) -> tuple:
    kept = ApprovalPin.objects.get(pk=pin.pk)
    return kept.failures, kept.locked_until


@pytest.mark.parametrize("login", ["hq", "superuser"])
def test_a_managers_pin_is_never_deleted_in_the_admin(client, locked_pin, login):
    user = (
        UserFactory(role=Role.HQ)
        if login == "hq"
        else UserFactory(is_staff=True, is_superuser=True)
    )
    client.force_login(user)
    delete = reverse("admin:approvals_approvalpin_delete", args=[locked_pin.pk])
    change = reverse("admin:approvals_approvalpin_change", args=[locked_pin.pk])

    page = client.get(change)
    asked = client.get(delete)
    posted = client.post(delete, {"post": "yes"})
    listing = client.get(PINS)
    selected = client.post(
        PINS,
        {
            "action": "delete_selected",
            "_selected_action": [locked_pin.pk],
            "post": "yes",
        },
    )

    assert page.status_code == 200 and delete not in page.content.decode()
    assert (asked.status_code, posted.status_code) == (403, 403)
    assert offered(listing) == {"unlock"}
    assert selected.status_code == 302
    assert still_there(locked_pin) == (5, locked_pin.locked_until)


def test_reading_pins_does_not_lift_a_lock(client, store, locked_pin):
    reader = UserFactory(role=Role.STORE_MANAGER, store=store)
    reader.user_permissions.add(Permission.objects.get(codename="view_approvalpin"))
    client.force_login(reader)

    listing = client.get(PINS)
    response = client.post(
        PINS, {"action": "unlock", "_selected_action": [locked_pin.pk]}
    )

    assert listing.status_code == 200
    assert "unlock" not in offered(listing)
    assert response.status_code == 200  # the list again, the action not run
    assert still_there(locked_pin) == (5, locked_pin.locked_until)


def test_hq_reads_the_tries_refused_and_lifts_a_hold(client, store, associate, manager):
    request = waiting_request(store, associate)
    with pytest.raises(WrongPin):
        approve_with_pin(approval=request, manager=manager, pin="0000", actor=associate)
    pin = ApprovalPin.objects.get(user=manager)
    since = timezone.now() - timedelta(hours=2)
    ApprovalPin.objects.filter(pk=pin.pk).update(
        locks=3, locks_since=since, held_since=since, locked_until=since
    )
    make_approver(StaffFactory(store=store, role=Role.STORE_MANAGER), pin="1357")
    client.force_login(UserFactory(role=Role.HQ))

    listing = client.get(PINS, {"held_since__isempty": "0"})  # "Not empty": held
    history = client.get(
        reverse("admin:approvals_approvalpin_history", args=[pin.pk])
    ).content.decode()
    lifted = client.post(PINS, {"action": "unlock", "_selected_action": [pin.pk]})

    assert [row.pk for row in listing.context["cl"].result_list] == [pin.pk]
    assert 'alt="True"' in listing.content.decode()  # shown locked
    assert f"Wrong PIN: 4 tries left, for request {request.pk}" in history
    assert associate.username in history
    assert lifted.status_code == 302
    kept = ApprovalPin.objects.get(pk=pin.pk)
    assert (kept.held_since, kept.locks, kept.locked_until) == (None, 0, None)
    note = LogEntry.objects.filter(object_id=str(pin.pk)).latest("id")
    assert note.change_message == (
        f"Lock lifted (locked since {timezone.localtime(since):%d %b %H:%M} "
        "after 3 locks within 24 hours)"
    )
