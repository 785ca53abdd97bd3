"""What click and collect tells the customer and the shop, and what it does not
pretend: an order without an email is sent no pickup code, so the ready step says so
and its pickup shop's desk gives the code (each showing in the order's history), and
no reminder is said to have gone; a pickup paid in cash, which the clock never
cancels, is promised no refund and waits on the pickup desk for the shop; the last
day is named as a day, not as "until the shop closes" (shops' hours are free text)."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from customers.models import CustomerEvent
from omnistore.accounts.models import Role
from omnistore.staff.auth import SESSION_STORE_KEY
from orders.models import Order, OrderStatus, OrderStatusChange, PaymentMethod
from orders.services.checkout import LineRequest, place_order
from orders.services.fulfilment import mark_picked, mark_ready
from orders.services.payments import PaymentRequest
from orders.services.pickups import (
    PICKUP_CODE_SHOWN,
    expire_uncollected_pickups,
    send_pickup_reminders,
)
from orders.services.till import TillBooking
from tests.customers.factories import make_customer
from tests.factories import StaffFactory, UserFactory
from tests.orders.factories import (
    deliver_outbox,
    pickup_order,
    ready_order,
    shop,
    stocked,
)
from tests.orders.test_split_delivery_services import split_order, split_shops
from tests.orders.till_helpers import open_counter_till

pytestmark = pytest.mark.django_db


@pytest.fixture
def store():
    return shop(code="MI01", name="Milano Duomo", phone="+39 02 1234567")


@pytest.fixture
def associate(store):
    return StaffFactory(store=store, first_name="Giulia", last_name="Bianchi")


@pytest.fixture
def staff(client, associate):
    client.force_login(associate)
    return client


def phone_only_pickup(store):
    """Placed for a customer known only by their phone: no email on the order."""
    return pickup_order(
        store=store,
        lines=[(stocked(store, 2), 1)],
        email="",
        customer=make_customer(phone="+393331112233"),
    )


def cash_pickup(store, associate, *, email="ada@example.com"):
    """Endless aisle at the counter: paid in cash now, collected later."""
    return place_order(
        lines=[LineRequest(stocked(store, 2), 1)],
        channel="store",
        fulfilment="pickup",
        pickup_store=store,
        placing_location=store,
        staff=associate,
        email=email,
        payments=[PaymentRequest(method=PaymentMethod.CASH)],
        till=TillBooking(open_counter_till(associate)),
    )


def emails(subject_part: str) -> list:
    return [m for m in mail.outbox if subject_part in m.subject]


def html_of(message) -> str:
    (html, _), *_ = message.alternatives
    return html


# --- an order without an email ---------------------------------------------------


def test_made_ready_without_an_email_the_page_says_to_give_the_code(staff, store):
    order = phone_only_pickup(store)
    emailed = pickup_order(store=store, lines=[(stocked(store, 2), 1)])
    for each in (order, emailed):
        staff.post(reverse("staff:order_pick", args=[each.number]))

    page = staff.post(reverse("staff:order_ready", args=[order.number]), follow=True)

    html = page.content.decode()
    assert Order.objects.get(pk=order.pk).status == OrderStatus.READY
    assert "No email on this order: give the customer the pickup code" in html
    assert "has been sent the pickup code" not in html
    assert 'data-testid="code-not-emailed"' in html
    assert 'data-testid="pickup-slip"' in html
    deliver_outbox()
    assert emails("ready for pickup") == []
    again = staff.post(reverse("staff:order_ready", args=[order.number]), follow=True)
    assert "No email on this order" in again.content.decode()
    assert "its pickup code was sent then" not in again.content.decode()
    # an order with an email is still said to have been sent it, with no slip
    sent = staff.post(reverse("staff:order_ready", args=[emailed.number]), follow=True)
    html = sent.content.decode()
    assert "the customer has been sent the pickup code" in html
    assert 'data-testid="code-not-emailed"' not in html
    assert 'data-testid="pickup-slip"' not in html


def test_the_pickup_slip_shows_the_code_and_qr_and_the_history_says_who_saw_it(
    staff, store, associate
):
    order = phone_only_pickup(store)
    mark_picked(order=order)
    order = mark_ready(order=order, actor=associate, location=store)

    slip = staff.post(reverse("staff:pickup_slip", args=[order.number]))

    assert slip.status_code == 200
    html = slip.content.decode()
    assert f'data-testid="slip-code">{order.pickup_code}<' in html
    assert 'src="data:image/png;base64,' in html
    assert "no-store" in slip["Cache-Control"] or "no-cache" in slip["Cache-Control"]
    shown = order.history.get(note=PICKUP_CODE_SHOWN)
    assert (shown.actor, shown.location, shown.to_status) == (
        associate,
        store,
        OrderStatus.READY,
    )
    page = staff.get(reverse("staff:order_detail", args=[order.number]))
    assert PICKUP_CODE_SHOWN in page.content.decode()  # in its History
    # never in a list: the desk finds the order, the code stays off the page
    desk = staff.get(reverse("staff:pickup_desk"))
    assert order.number in desk.content.decode()
    assert order.pickup_code not in desk.content.decode()
    assert order.pickup_code not in page.content.decode()


def test_the_code_is_shown_only_at_the_pickup_shop_and_only_when_not_emailed(
    client, store
):
    other = shop(code="RM01", name="Roma Corso")
    order = phone_only_pickup(store)
    mark_picked(order=order)
    order = mark_ready(order=order)
    emailed = ready_order(store=store, lines=[(stocked(store, 2), 1)])

    client.force_login(StaffFactory(store=other))
    elsewhere = client.post(reverse("staff:pickup_slip", args=[order.number]))
    assert elsewhere.status_code == 404

    hq = UserFactory(username="hq", role=Role.HQ)
    client.force_login(hq)
    session = client.session
    session[SESSION_STORE_KEY] = other.pk  # working at another shop
    session.save()
    away = client.post(reverse("staff:pickup_slip", args=[order.number]))
    assert away.status_code == 422
    assert "shown only at the pickup shop" in away.content.decode()
    assert order.pickup_code not in away.content.decode()

    client.force_login(StaffFactory(store=store))
    refused = client.post(reverse("staff:pickup_slip", args=[emailed.number]))
    assert refused.status_code == 422
    assert "was emailed its pickup code" in refused.content.decode()
    assert emailed.pickup_code not in refused.content.decode()
    slip = reverse("staff:pickup_slip", args=[order.number])
    assert client.get(slip).status_code == 405
    assert not OrderStatusChange.objects.filter(note=PICKUP_CODE_SHOWN).exists()


def test_no_reminder_is_said_to_have_gone_to_an_order_without_an_email(store):
    order = phone_only_pickup(store)
    mark_picked(order=order)
    order = mark_ready(order=order)
    emailed = ready_order(store=store, lines=[(stocked(store, 2), 1)])
    soon = order.pickup_expires_at - timedelta(days=1)

    assert send_pickup_reminders(now=soon) == [emailed.number]

    deliver_outbox()
    reminded = CustomerEvent.objects.filter(kind="pickup_reminder")
    assert [e.reference_id for e in reminded] == [emailed.number]
    assert [m.to for m in emails("waiting")] == [["ada@example.com"]]
    assert send_pickup_reminders(now=soon + timedelta(hours=1)) == []


# --- a pickup paid in cash -------------------------------------------------------


def test_a_cash_pickups_emails_promise_no_refund_and_a_card_ones_still_do(
    store, associate
):
    cash = cash_pickup(store, associate)
    mark_picked(order=cash)
    cash = mark_ready(order=cash)
    ready_order(store=store, lines=[(stocked(store, 2), 1)], email="bo@x.it")
    send_pickup_reminders(now=cash.pickup_expires_at - timedelta(days=1))
    deliver_outbox()

    for kind in ("ready for pickup", "waiting"):
        (to_cash,) = [m for m in emails(kind) if m.to == ["ada@example.com"]]
        (to_card,) = [m for m in emails(kind) if m.to == ["bo@x.it"]]
        for said in (to_cash.body, html_of(to_cash)):
            assert "refund" not in said
            assert "contact the shop (+39 02 1234567)" in said
            assert "until the shop closes" not in said
        for said in (to_card.body, html_of(to_card)):
            assert "contact the shop" not in said
            assert "until the shop closes" not in said
    (card_reminder,) = [m for m in emails("waiting") if m.to == ["bo@x.it"]]
    for said in (card_reminder.body, html_of(card_reminder)):
        assert "if it is not collected by then we will cancel it and refund you" in said


def test_an_overdue_cash_pickup_waits_on_the_desk_saying_what_to_do(
    staff, store, associate
):
    cash = cash_pickup(store, associate)
    mark_picked(order=cash)
    long_ago = timezone.now() - timedelta(days=30)
    cash = mark_ready(order=cash, now=long_ago)
    fresh = ready_order(store=store, lines=[(stocked(store, 2), 1)])

    assert expire_uncollected_pickups() == []  # the shop cancels it, not the clock

    desk = staff.get(reverse("staff:pickup_desk"))
    html = desk.content.decode()
    assert 'data-testid="overdue-for-the-shop"' in html
    assert "1 pickup past the date waits for the shop" in html
    rows = {o.number: o for o in desk.context["orders"]}
    assert (rows[cash.number].expired, rows[cash.number].waits_for_shop) == (
        True,
        True,
    )
    assert rows[fresh.number].expired is False
    assert html.count('data-testid="waits-for-shop"') == 1
    handover = staff.get(reverse("staff:pickup_collect", args=[cash.number]))
    assert 'data-testid="waits-for-shop"' in handover.content.decode()


# --- cancelling what has not left ------------------------------------------------


def test_cancelling_a_split_deliverys_rest_says_what_was_cancelled_and_refunded(
    client, settings
):
    settings.OMNISTORE_APPROVAL_REFUND_ABOVE = Decimal("10000.00")
    split = split_shops()
    order = split_order(split)
    manager = StaffFactory(store=split.milano, role=Role.STORE_MANAGER)
    client.force_login(manager)
    client.post(reverse("staff:order_pick", args=[order.number]))
    client.post(
        reverse("staff:order_ship", args=[order.number]), {"tracking_reference": "MI-1"}
    )

    page = client.post(
        reverse("staff:order_cancel", args=[order.number]),
        {"reason": "Out of stock"},
        follow=True,
    )

    html = page.content.decode()
    assert Order.objects.get(pk=order.pk).status == OrderStatus.SHIPPED
    assert (
        f"Order {order.number}: parts not shipped cancelled; 560.00 EUR refunded."
        in (html)
    )
    assert "payments refunded" not in html


def test_cancelling_a_whole_order_says_what_it_refunded(staff, store):
    order = pickup_order(store=store, lines=[(stocked(store, 2, price="30.00"), 1)])

    page = staff.post(
        reverse("staff:order_cancel", args=[order.number]),
        {"reason": "Asked by phone"},
        follow=True,
    )

    assert Order.objects.get(pk=order.pk).status == OrderStatus.CANCELLED
    said = f"Order {order.number} cancelled; stock released, 30.00 EUR refunded."
    assert said in page.content.decode()
