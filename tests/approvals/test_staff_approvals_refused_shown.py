"""A manager's no reaches the associate who asked wherever they are: after a reload
the sale screen, like their own requests page, shows the request refused, by whom
and the manager's note, until they mark it seen (when is kept) or the expiry window
has passed since the refusal. Nobody else may dismiss it."""

import html
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from omnistore.approvals.models import Approval, ApprovalStatus
from orders.models import CartLine
from tests.factories import StaffFactory, VariantFactory, stock
from tests.orders.till_helpers import open_counter_till

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}
MINE = reverse("staff:approval_mine")
NOTE = "not a display piece, full price"
REFUSED = f"Refused by Marco Rossi at {{}}: {NOTE}. Nothing was changed."


@pytest.fixture
def desk(client, associate):
    client.force_login(associate)
    open_counter_till(associate)
    return client


@pytest.fixture
def manager_device(manager):
    device = Client()
    device.force_login(manager)
    return device


@pytest.fixture
def refused(desk, store, manager_device):
    """The associate set a price on a sale line, a manager refused it with a note
    from their own device; the associate had left the waiting panel."""
    coat = VariantFactory(sku="COAT-NAVY-M", price=Decimal("200.00"))
    stock(coat, store, 10)
    desk.post(reverse("staff:sale_add"), {"code": coat.sku, "quantity": 1}, **HTMX)
    line = CartLine.objects.get()
    url = reverse("staff:sale_line_price", args=[line.pk])
    asked = desk.post(url, {"price": "20.00", "reason": "faded"}, **HTMX)
    assert asked.status_code == 202
    request = Approval.objects.get()
    decide = reverse("staff:approval_decide", args=[request.pk])
    said = manager_device.post(decide, {"decision": "refuse", "note": NOTE}, **HTMX)
    assert said.status_code == 200
    request.refresh_from_db()
    assert request.status == ApprovalStatus.REFUSED
    return request


def sale_screen_requests(desk) -> str:
    """The sale screen, reloaded, and the list of requests it loads."""
    page = desk.get(reverse("staff:sale")).content.decode()
    loader = re.search(
        r'<div hx-get="([^"]+)"[^>]*data-testid="my-approvals-loader"', page
    )
    assert loader is not None
    response = desk.get(html.unescape(loader.group(1)), **HTMX)
    assert response.status_code == 200
    return response.content.decode()


def refused_line(request: Approval) -> str:
    return REFUSED.format(timezone.localtime(request.decided_at).strftime("%H:%M"))


def test_the_sale_screen_shows_the_refusal_and_its_note_after_a_reload(desk, refused):
    shown = sale_screen_requests(desk)

    assert f'data-approval="{refused.pk}" data-status="refused"' in shown
    assert refused_line(refused) in shown
    assert "Your requests to a manager" in shown
    assert 'data-testid="approval-seen"' in shown
    assert 'data-testid="approval-withdraw"' not in shown


def test_the_associates_requests_page_shows_the_refusal_and_its_note(desk, refused):
    page = desk.get(MINE).content.decode()

    assert f'data-approval="{refused.pk}" data-status="refused"' in page
    assert refused_line(refused) in page
    assert "Nothing of yours waits for a manager" not in page


def test_marked_seen_the_refusal_is_gone_and_when_is_kept(desk, refused):
    seen = reverse("staff:approval_seen", args=[refused.pk])

    after = desk.post(seen + "?kind=price_override", **HTMX)

    assert after.status_code == 200
    assert 'data-testid="my-approval"' not in after.content.decode()
    refused.refresh_from_db()
    assert refused.seen_at is not None
    assert refused.status == ApprovalStatus.REFUSED
    assert refused.decision_note == NOTE
    assert 'data-testid="my-approval"' not in sale_screen_requests(desk)
    page = desk.get(MINE).content.decode()
    assert 'data-testid="my-approvals-empty"' in page


def test_marked_seen_without_htmx_leads_back_to_the_list(desk, refused):
    done = desk.post(reverse("staff:approval_seen", args=[refused.pk]))

    assert done.status_code == 302 and done["Location"] == MINE
    assert NOTE not in desk.get(MINE).content.decode()


def test_another_associate_cannot_dismiss_the_refusal(desk, store, refused):
    other = Client()
    other.force_login(StaffFactory(store=store, username="luca"))

    url = reverse("staff:approval_seen", args=[refused.pk])
    assert other.post(url, **HTMX).status_code == 404
    assert NOTE not in other.get(MINE).content.decode()

    refused.refresh_from_db()
    assert refused.seen_at is None
    assert refused_line(refused) in sale_screen_requests(desk)


def test_a_refusal_older_than_the_expiry_window_is_no_longer_shown(
    desk, refused, settings
):
    window = timedelta(minutes=settings.OMNISTORE_APPROVAL_EXPIRY_MINUTES)
    Approval.objects.filter(pk=refused.pk).update(
        decided_at=timezone.now() - window + timedelta(minutes=1)
    )
    assert NOTE in sale_screen_requests(desk)

    Approval.objects.filter(pk=refused.pk).update(
        decided_at=timezone.now() - window - timedelta(seconds=1)
    )
    assert NOTE not in sale_screen_requests(desk)
    assert NOTE not in desk.get(MINE).content.decode()


def test_only_a_refusal_is_marked_seen(desk, store):
    coat = VariantFactory(sku="COAT-NAVY-M", price=Decimal("200.00"))
    stock(coat, store, 10)
    desk.post(reverse("staff:sale_add"), {"code": coat.sku, "quantity": 1}, **HTMX)
    url = reverse("staff:sale_line_price", args=[CartLine.objects.get().pk])
    desk.post(url, {"price": "20.00", "reason": "faded"}, **HTMX)
    waiting = Approval.objects.get()

    answer = desk.post(reverse("staff:approval_seen", args=[waiting.pk]), **HTMX)

    assert answer.status_code == 422
    assert "This request is waiting, not refused." in answer.content.decode()
    waiting.refresh_from_db()
    assert (waiting.status, waiting.seen_at) == (ApprovalStatus.PENDING, None)
    assert f'data-approval="{waiting.pk}" data-status="pending"' in (
        answer.content.decode()
    )


def test_a_note_ending_in_its_own_stop_is_said_with_one(desk, refused):
    refused.decision_note = "No: at most 20% off."
    refused.save(update_fields=["decision_note"])

    page = desk.get(MINE).content.decode()

    assert ": No: at most 20% off. Nothing was changed." in page
    assert "off.." not in page
