"""Approval PINs in the admin: never deleted (that would wipe the count of wrong tries
and the lock), and a lock is lifted only by who may change PINs."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone

from omnistore.accounts.models import Role
from omnistore.approvals.models import ApprovalPin
from tests.factories import UserFactory

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
