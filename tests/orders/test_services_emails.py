"""Order emails leave through the outbox after commit, even when the broker was down."""

import io
import struct
import zlib
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from customers.models import CustomerEvent
from customers.services.matching import match_customer
from customers.services.verification import receipt_claim_code
from omnistore.core.models import OutboxMessage
from orders.emails import qr_png
from orders.models import (
    Order,
    OrderStatus,
    StoreCreditKind,
    StoreCreditTransaction,
)
from orders.selectors.pickups import pickup_qr_payload
from orders.services.checkout import LineRequest, place_order
from orders.services.fulfilment import cancel_order, mark_picked, mark_ready, ship_order
from orders.services.payments import PaymentRequest
from orders.services.refunds import return_at_counter
from orders.services.returns import ReturnLineRequest
from orders.services.till import TillBooking
from tests.customers.factories import CustomerUserFactory
from tests.factories import StaffFactory
from tests.orders.factories import (
    deliver_outbox,
    delivery_order,
    pickup_order,
    ready_order,
    shop,
    stocked,
    warehouse,
)
from tests.orders.stored_value_helpers import PIN, gift_card, give_credit, give_points
from tests.orders.till_helpers import open_counter_till


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


@pytest.mark.django_db
def test_receipt_is_sent_after_commit_and_recorded_on_the_timeline():
    store = shop(name="Torino Centro")
    order = pickup_order(store=store, lines=[(stocked(store, 2, price="19.90"), 2)])
    assert mail.outbox == []  # nothing leaves inside the transaction
    deliver_outbox()
    (message,) = mail.outbox
    assert message.to == ["ada@example.com"]
    assert message.subject == f"Your order {order.number}"
    assert "39.80 EUR" in message.body and "Torino Centro" in message.body
    html, mime = message.alternatives[0]
    assert mime == "text/html" and order.number in html
    event = CustomerEvent.objects.get(kind="message_sent", reference_id=order.number)
    assert event.summary == f"Email sent: Your order {order.number}"
    deliver_outbox()
    assert len(mail.outbox) == 1  # delivered once


@pytest.mark.django_db
def test_the_receipt_prints_the_code_that_claims_the_purchase_online():
    store = shop()
    order = pickup_order(store=store, lines=[(stocked(store, 2), 1)])
    deliver_outbox()
    (message,) = mail.outbox
    code = receipt_claim_code(order.number)
    assert f"order {order.number} and claim code {code}" in message.body
    assert code in message.alternatives[0][0]


@pytest.mark.django_db
def test_ready_email_carries_the_pickup_code_and_its_qr_image():
    store = shop()
    order = ready_order(store=store, lines=[(stocked(store, 2), 1)])
    deliver_outbox()
    order.refresh_from_db()
    message = next(m for m in mail.outbox if "ready for pickup" in m.subject)
    assert order.pickup_code in message.body
    html = message.alternatives[0][0]
    assert 'src="cid:pickup-qr"' in html
    images = [
        part for part in message.attachments if part.get_content_type() == "image/png"
    ]
    assert len(images) == 1
    image = images[0]
    assert image["Content-ID"] == "<pickup-qr>"
    width, height = png_size(image.get_payload(decode=True))
    assert width == height and width >= 21 * 8


def test_qr_png_is_a_valid_image_of_the_code():
    data = qr_png("OMNISTORE-PICKUP:OS-AAAAA-BBBBB:ACDEF3", scale=2, border=4)
    width, height = png_size(data)
    assert width == height
    body = data[data.index(b"IDAT") + 4 :]
    length = struct.unpack(">I", data[data.index(b"IDAT") - 4 : data.index(b"IDAT")])[0]
    raw = zlib.decompress(body[:length])
    row = 1 + (width + 7) // 8
    assert len(raw) == row * height
    assert raw[1] == 0xFF  # the quiet zone is white


@pytest.mark.django_db
def test_orders_without_an_email_get_no_email():
    store = shop()
    sale = place_order(
        lines=[(stocked(store, 1), 1)],
        channel="store",
        fulfilment="carry_out",
        placing_location=store,
        phone="+393331112222",
        payments=[PaymentRequest(method="cash")],
    )
    deliver_outbox()
    assert sale.customer is not None
    assert mail.outbox == []


@pytest.mark.django_db
def test_cancel_and_shipping_emails(settings):
    from tests.orders.factories import delivery_order, warehouse

    depot = warehouse()
    shipped = delivery_order(lines=[(stocked(depot, 3), 1)])
    mark_picked(order=shipped)
    ship_order(order=shipped, tracking_reference="TRK-9")
    cancelled = delivery_order(lines=[(stocked(depot, 3), 1)], email="bo@example.com")
    cancel_order(order=cancelled, reason="Out of patience")
    deliver_outbox()
    subjects = {m.subject: m for m in mail.outbox}
    assert "TRK-9" in subjects[f"Order {shipped.number} is on its way"].body
    refund_mail = subjects[f"Order {cancelled.number} is cancelled"]
    assert f"Refunded: {cancelled.total} EUR" in refund_mail.body


@pytest.mark.django_db(transaction=True)
def test_with_the_broker_down_at_commit_the_periodic_drain_still_sends_the_email(
    settings,
):
    from omnistore.celery import app

    store = shop()
    item = stocked(store, 2)
    settings.CELERY_TASK_ALWAYS_EAGER = False
    app.conf.task_always_eager = False
    app.conf.broker_url = "redis://127.0.0.1:1/0"
    try:
        order = pickup_order(store=store, lines=[(item, 1)])
    finally:
        app.conf.task_always_eager = True
        app.conf.broker_url = "memory://"
        settings.CELERY_TASK_ALWAYS_EAGER = True
    assert Order.objects.filter(pk=order.pk).exists()
    assert mail.outbox == []
    assert OutboxMessage.objects.filter(processed_at__isnull=True).count() == 1

    deliver_outbox()  # the beat task's drain

    assert [m.subject for m in mail.outbox] == [f"Your order {order.number}"]
    assert not OutboxMessage.objects.filter(processed_at__isnull=True).exists()
    order.refresh_from_db()
    assert order.loyalty_points > 0


@pytest.mark.django_db
def test_management_commands_expire_and_remind_with_the_same_services(settings):
    settings.OMNISTORE_PICKUP_EXPIRY_DAYS = 7
    store = shop()
    staff = StaffFactory(store=store)
    item = stocked(store, 5)
    stale = pickup_order(store=store, lines=[(item, 1)])
    mark_picked(order=stale, actor=staff)
    mark_ready(order=stale, actor=staff, now=timezone.now() - timedelta(days=8))
    soon = pickup_order(store=store, lines=[(item, 1)])
    mark_picked(order=soon, actor=staff)
    mark_ready(order=soon, actor=staff, now=timezone.now() - timedelta(days=6))

    out = io.StringIO()
    call_command("send_pickup_reminders", stdout=out)
    call_command("expire_pickups", stdout=out)
    assert f"reminded {soon.number}" in out.getvalue()
    assert f"cancelled {stale.number}" in out.getvalue()

    stale.refresh_from_db()
    soon.refresh_from_db()
    assert stale.status == OrderStatus.CANCELLED
    assert soon.status == OrderStatus.READY and soon.reminder_sent_at is not None
    deliver_outbox()
    subjects = [m.subject for m in mail.outbox]
    assert f"Reminder: order {soon.number} is waiting for you" in subjects
    assert f"Order {stale.number} is cancelled" in subjects
    assert pickup_qr_payload(soon).endswith(soon.pickup_code)


@pytest.mark.django_db
def test_a_guest_email_beside_a_known_phone_does_not_learn_whose_profile_it_is():
    """Chiara's phone, given at a shop, is on her profile; a guest types it beside
    their own email: the order is hers on record, but the email they get does not
    name her."""
    store = shop()
    chiara = match_customer(
        phone="345 678 9012",
        email="chiara@example.com",
        first_name="Chiara",
        last_name="Verdi",
        channel="store",
        location=store,
    )
    order = pickup_order(
        store=store,
        lines=[(stocked(store, 2), 1)],
        email="someone.else@example.net",
        phone="345 678 9012",
    )
    assert order.customer_id == chiara.pk
    deliver_outbox()
    (message,) = mail.outbox
    assert message.to == ["someone.else@example.net"]
    for part in (message.body, message.alternatives[0][0]):
        assert "Chiara" not in part and "Verdi" not in part
    mail.outbox.clear()
    own = pickup_order(store=store, lines=[(stocked(store, 2), 1)], email=chiara.email)
    deliver_outbox()
    (message,) = mail.outbox
    assert own.customer_id == chiara.pk and "Hello Chiara" in message.body


@pytest.mark.django_db
def test_a_logins_own_order_carries_no_claim_code():
    store = shop()
    user = CustomerUserFactory(email="nina@example.com")
    order = pickup_order(
        store=store,
        lines=[(stocked(store, 2), 1)],
        email="nina@example.com",
        customer=user.customer_profile,
    )
    deliver_outbox()
    (message,) = mail.outbox
    assert receipt_claim_code(order.number) not in message.body
    assert "claim code" not in message.body


@pytest.mark.django_db
def test_a_cash_order_cancelled_at_the_shop_is_refunded_in_cash():
    store = shop()
    associate = StaffFactory(store=store)
    till = open_counter_till(associate)
    order = place_order(  # endless aisle: paid in cash at the counter
        lines=[LineRequest(stocked(store, 3, price="59.90"), 2)],
        channel="store",
        fulfilment="pickup",
        pickup_store=store,
        placing_location=store,
        staff=associate,
        email="ada@example.com",
        payments=[PaymentRequest(method="cash")],
        till=TillBooking(till),
    )
    cancel_order(order=order, actor=associate, location=store, reason="Changed mind")
    deliver_outbox()

    message = next(m for m in mail.outbox if "is cancelled" in m.subject)
    assert "Refunded: 119.80 EUR in cash." in message.body
    assert (
        "Refunded: <strong>119.80 EUR</strong> in cash." in (message.alternatives[0][0])
    )
    assert "your cash" not in message.body


@pytest.mark.django_db
def test_a_cancelled_order_says_where_each_tender_went_back():
    depot = warehouse()
    user = CustomerUserFactory(email="pia@example.com")
    customer = user.customer_profile
    give_points(customer, 1000)
    give_credit(customer, "20.00")
    card = gift_card("25.00")
    order = delivery_order(
        lines=[(stocked(depot, 2, price="100.00"), 1)],
        email="pia@example.com",
        customer=customer,
        user=user,
        payments=[
            PaymentRequest(
                method="gift_card",
                card_number=card.number,
                pin=PIN,
                amount=Decimal("25.00"),
            ),
            PaymentRequest(method="store_credit", amount=Decimal("20.00")),
            PaymentRequest(method="loyalty_points", points=1000),
            PaymentRequest(method="card_online", token="tok_visa"),
        ],
    )
    rest = order.total - Decimal("55.00")
    cancel_order(order=order, reason="Out of patience")
    deliver_outbox()

    credit = StoreCreditTransaction.objects.get(kind=StoreCreditKind.PAYMENT_REFUND)
    until = timezone.localdate(credit.expires_at)
    message = next(m for m in mail.outbox if "is cancelled" in m.subject)
    said = [line for line in message.body.splitlines() if "Refunded" in line]
    assert sorted(said) == sorted(
        [
            f"Refunded: {rest} EUR to your card.",
            "Refunded: 25.00 EUR to your gift card.",
            "Refunded: 20.00 EUR to your store credit, usable online and in every "
            f"shop until {until.day} {until:%B %Y}.",
            "Refunded: 10.00 EUR as loyalty points.",
        ]
    )


@pytest.mark.django_db
def test_a_cash_sale_returned_at_the_counter_is_refunded_in_cash():
    store = shop()
    associate = StaffFactory(store=store)
    till = open_counter_till(associate)
    order = place_order(
        lines=[LineRequest(stocked(store, 3, price="40.00"), 1)],
        channel="store",
        fulfilment="carry_out",
        placing_location=store,
        staff=associate,
        email="ugo@example.com",
        payments=[PaymentRequest(method="cash")],
        till=TillBooking(till),
    )
    return_at_counter(
        order=order.number,
        lines=[ReturnLineRequest(order.lines.get().pk, 1)],
        location=store,
        actor=associate,
    )
    deliver_outbox()

    message = next(m for m in mail.outbox if "Your refund" in m.subject)
    assert "40.00 EUR back in cash" in message.body
    assert "40.00 EUR back in cash" in message.alternatives[0][0]
    assert "your cash" not in message.body


def cancelled_email(order):
    deliver_outbox()
    (message,) = [m for m in mail.outbox if m.subject.endswith("is cancelled")]
    return message.body, message.alternatives[0][0]


@pytest.mark.django_db
def test_a_pickup_not_collected_in_time_tells_the_customer_why_it_was_cancelled(
    settings,
):
    settings.OMNISTORE_PICKUP_EXPIRY_DAYS = 7
    store = shop()
    staff = StaffFactory(store=store)
    order = pickup_order(store=store, lines=[(stocked(store, 2), 1)])
    mark_picked(order=order, actor=staff)
    mark_ready(order=order, actor=staff, now=timezone.now() - timedelta(days=8))

    call_command("expire_pickups", stdout=io.StringIO())

    for part in cancelled_email(order):
        assert "not collected within 7 days of being ready for pickup" in part
        assert "cancelled by the shop" not in part


@pytest.mark.django_db
def test_a_shop_cancelling_says_the_shop_did_without_its_typed_reason():
    store = shop()
    staff = StaffFactory(store=store)
    order = pickup_order(store=store, lines=[(stocked(store, 2), 1)])
    cancel_order(order=order, actor=staff, reason="Customer rude on the phone")

    for part in cancelled_email(order):
        assert "It was cancelled by the shop." in part
        assert "rude" not in part


@pytest.mark.django_db
def test_a_customer_cancelling_online_reads_it_was_at_their_request():
    from tests.orders.returns_helpers import api_client_for, shopper

    store = shop()
    user, customer = shopper()
    order = pickup_order(store=store, lines=[(stocked(store, 2), 1)], customer=customer)
    answer = api_client_for(user).post(
        f"/api/v1/orders/{order.number}/cancel/",
        {"reason": "Found it elsewhere"},
        format="json",
    )
    assert answer.status_code == 200, answer.json()

    for part in cancelled_email(order):
        assert "It was cancelled at your request." in part
        assert "cancelled by the shop" not in part


@pytest.mark.django_db
def test_the_receipts_text_names_the_customer_as_its_html_does():
    store = shop()
    user = CustomerUserFactory(email="nina@example.com")
    customer = user.customer_profile
    pickup_order(
        store=store,
        lines=[(stocked(store, 2), 1)],
        email="nina@example.com",
        customer=customer,
    )
    deliver_outbox()
    (message,) = mail.outbox
    said = f"Customer: {customer.full_name}"
    assert customer.full_name and said in message.alternatives[0][0]
    assert said in message.body
