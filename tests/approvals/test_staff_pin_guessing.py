"""Guessing a manager's PIN on the asking device: a request the associate withdrew
answers the same to any PIN and costs no try; a manager reads on their PIN page that
their PIN is locked, for a while or until HQ lifts it."""

from datetime import timedelta

import pytest
from django.contrib.admin.models import LogEntry
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from omnistore.approvals.models import ApprovalPin, ApprovalStatus
from tests.approvals.helpers import waiting_request

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def desk(client, associate):
    client.force_login(associate)
    return client


@pytest.fixture
def manager_device(manager):
    device = Client()
    device.force_login(manager)
    return device


def test_a_withdrawn_request_answers_any_pin_alike_and_counts_nothing(
    desk, store, associate, manager
):
    request = waiting_request(store, associate)
    desk.post(reverse("staff:approval_cancel", args=[request.pk]), **HTMX)
    pin = reverse("staff:approval_pin", args=[request.pk])

    answers = [
        desk.post(pin, {"manager": manager.pk, "pin": typed}, **HTMX)
        for typed in ["1111"] * 6 + ["2468"]
    ]

    assert {answer.status_code for answer in answers} == {422}
    texts = {answer.content.decode() for answer in answers}
    assert len(texts) == 1
    assert "This request is already withdrawn." in texts.pop()
    assert ApprovalPin.objects.get(user=manager).failures == 0
    assert not LogEntry.objects.exists()
    request.refresh_from_db()
    assert (request.status, request.decided_by) == (ApprovalStatus.WITHDRAWN, None)


def test_a_wrong_pin_on_the_tablet_is_kept_with_the_associate_who_typed_it(
    desk, store, associate, manager
):
    request = waiting_request(store, associate)
    pin = reverse("staff:approval_pin", args=[request.pk])

    wrong = desk.post(pin, {"manager": manager.pk, "pin": "1111"}, **HTMX)

    assert "Wrong PIN: 4 tries left" in wrong.content.decode()
    kept = LogEntry.objects.get()
    assert (kept.user, kept.object_id) == (
        associate,
        str(ApprovalPin.objects.get(user=manager).pk),
    )
    assert f"for request {request.pk} " in kept.change_message


def test_the_managers_pin_page_says_when_their_pin_is_locked_or_held(
    store, associate, manager, manager_device, settings
):
    settings.OMNISTORE_APPROVAL_EXPIRY_MINUTES = 48 * 60
    page = reverse("staff:approval_my_pin")
    assert 'data-testid="pin-locked"' not in manager_device.get(page).content.decode()

    request = waiting_request(store, associate)
    pin = reverse("staff:approval_pin", args=[request.pk])
    tablet = Client()
    tablet.force_login(associate)
    for _ in range(5):
        tablet.post(pin, {"manager": manager.pk, "pin": "1111"}, **HTMX)
    locked = manager_device.get(page).content.decode()
    assert 'data-testid="pin-locked"' in locked and "Your PIN is locked until" in locked

    row = ApprovalPin.objects.get(user=manager)
    earlier = timezone.now() - timedelta(hours=1)
    ApprovalPin.objects.filter(pk=row.pk).update(
        locks=3, locks_since=earlier, held_since=earlier, locked_until=earlier
    )
    held = manager_device.get(page).content.decode()
    assert 'data-testid="pin-held"' in held
    assert "It stays locked until HQ lifts it in the admin" in held
    refused = tablet.post(pin, {"manager": manager.pk, "pin": "2468"}, **HTMX)
    assert refused.status_code == 422
    assert "until HQ lifts it" in refused.content.decode()
