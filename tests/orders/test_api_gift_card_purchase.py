"""Buying an e-gift card online: paid by card, issued at once without VAT, emailed
to its recipient on the send date, confirmed to the buyer; hostile input is a 400
on its field, a replayed key charges once."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone
from rest_framework.test import APIClient

from customers.clienteling import PURCHASE_EVENT
from customers.selectors.clientbook import client_book
from customers.services.clientbook import assign_associate
from orders.models import GiftCard, Order, Payment
from orders.selectors.loyalty import kept_spend
from orders.services.egift import send_due_e_gift_cards
from orders.services.giftcard_pins import authenticate_card
from orders.tasks import send_e_gift_cards
from tests.factories import StaffFactory
from tests.orders.factories import deliver_outbox
from tests.orders.returns_helpers import api_client_for, shopper

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_cache")]
URL = "/api/v1/gift-cards/purchase/"


def body(**changes):
    data = {
        "amount": "75.00",
        "country": "IT",
        "recipient_name": "Lea",
        "recipient_email": "lea@example.com",
        "message": "Happy birthday",
        "send_on": (timezone.localdate() + timedelta(days=3)).isoformat(),
        "email": "ada@example.com",
        "payment": {"method": "card_online", "token": "tok_visa"},
    }
    data.update(changes)
    return data


def buy(client=None, key="", **changes):
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
    return (client or APIClient()).post(URL, body(**changes), format="json", **headers)


def test_a_bought_card_is_issued_paid_and_emailed_on_its_date():
    response = buy()
    assert response.status_code == 201, response.json()
    data = response.json()
    card = GiftCard.objects.get()
    order = Order.objects.get(number=data["order"])
    assert data["amount"] == "75.00" and data["currency"] == order.currency
    assert data["card"] == card.masked_number and card.number not in str(data)
    assert (card.kind, card.balance, card.order) == ("digital", Decimal("75.00"), order)
    assert card.recipient_email == "lea@example.com" and card.market is not None
    assert card.transactions.get().kind == "issue"
    assert order.total == Decimal("75.00") and order.tax_total == 0
    assert order.email == "ada@example.com" and order.channel == "web"
    assert order.get_fulfilment_method_display() == "Sent by email"
    payment = Payment.objects.get()
    assert (payment.method, payment.amount) == ("card_online", Decimal("75.00"))
    deliver_outbox()
    assert [m.to for m in mail.outbox] == [["ada@example.com"]]  # the confirmation
    mail.outbox.clear()
    assert send_due_e_gift_cards() == []  # not before its date
    later = timezone.now() + timedelta(days=3)
    assert send_due_e_gift_cards(now=later) == [card.pk]
    deliver_outbox()
    (email,) = mail.outbox
    assert email.to == ["lea@example.com"] and "Happy birthday" in email.body
    pin = email.body.split("PIN: ")[1].split()[0]
    assert authenticate_card(number=card.number, pin=pin).pk == card.pk


def test_a_replayed_key_returns_the_first_purchase_and_charges_once():
    first = buy(key="egift-1")
    again = buy(key="egift-1")
    assert first.status_code == 201 and again.status_code == 200
    assert again["Idempotent-Replayed"] == "true"
    assert again.json()["order"] == first.json()["order"]
    assert GiftCard.objects.count() == 1 and Payment.objects.count() == 1


def test_another_buyer_sending_the_same_key_is_refused_not_shown_the_first_card():
    first = buy(key="shared-1")
    other = buy(
        key="shared-1",
        amount="50.00",
        email="bea@example.com",
        recipient_email="me@example.com",
    )
    assert first.status_code == 201
    assert other.status_code == 409, other.json()
    assert other.json()["code"] == "idempotency_key_reused"
    text = other.content.decode()
    assert first.json()["order"] not in text and "lea@example.com" not in text
    assert GiftCard.objects.count() == 1 and Payment.objects.count() == 1


def test_a_declined_card_issues_nothing():
    response = buy(payment={"method": "card_online", "token": "tok_declined"})
    assert response.status_code == 402
    assert not GiftCard.objects.exists() and not Order.objects.exists()


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"amount": "0"}, "amount"),
        ({"amount": "0.01"}, "amount"),  # below OMNISTORE_GIFT_CARD_MIN_AMOUNT
        ({"amount": "4.99"}, "amount"),
        ({"amount": "-1"}, "amount"),
        ({"amount": "5000.00"}, "amount"),
        ({"amount": "1.234"}, "amount"),
        ({"amount": "NaN"}, "amount"),
        ({"amount": "1e999"}, "amount"),
        ({"amount": None}, "amount"),
        ({"country": "ZZ"}, "country"),
        ({"country": "ITA"}, "country"),
        ({"recipient_email": "nobody"}, "recipient_email"),
        ({"recipient_name": ""}, "recipient_name"),
        ({"recipient_name": "\u200b \n\u2060"}, "recipient_name"),
        ({"recipient_name": "\u200e\u2063\u3164\ufe0f"}, "recipient_name"),
        ({"message": "x" * 501}, "message"),
        ({"send_on": "2001-01-01"}, "send_on"),
        ({"send_on": "9999-12-31"}, "send_on"),
        ({"send_on": "soon"}, "send_on"),
        ({"email": ""}, "email"),
        ({"payment": {"method": "cash"}}, "payment"),
        ({"payment": "tok_visa"}, "payment"),
    ],
)
def test_hostile_input_is_a_400_on_its_field(changes, field):
    response = buy(**changes)
    assert response.status_code == 400, response.content
    assert field in response.json()["extra"], response.json()
    assert not GiftCard.objects.exists() and not Order.objects.exists()


def test_a_send_date_a_year_ahead_is_taken_and_a_day_more_is_not():
    today = timezone.localdate()
    ok = buy(send_on=(today + timedelta(days=365)).isoformat())
    late = buy(send_on=(today + timedelta(days=366)).isoformat())
    assert ok.status_code == 201 and late.status_code == 400


def test_a_key_used_for_a_checkout_is_not_a_purchase():
    buy(key="k-1")
    Order.objects.update(idempotency_key="k-2")
    GiftCard.objects.update(order=None)
    response = buy(key="k-2")
    assert response.status_code == 409


def test_gift_cards_bought_do_not_raise_the_buyers_tier():
    """A card is not spend: the goods it pays for count when it is spent."""
    user, customer = shopper("gina@example.com")
    buyer = api_client_for(user)
    assert buy(buyer, amount="1000.00").status_code == 201
    assert buy(buyer, amount="500.00", key="second").status_code == 201
    assert Order.objects.filter(customer=customer).count() == 2
    assert kept_spend([customer.pk]) == {customer.pk: Decimal("0.00")}


def test_a_card_bought_for_today_is_emailed_once_right_after_the_purchase():
    response = buy(send_on=timezone.localdate().isoformat())
    assert response.status_code == 201, response.json()
    card = GiftCard.objects.get()
    deliver_outbox()
    (email,) = [m for m in mail.outbox if m.to == ["lea@example.com"]]
    assert card.number in email.body
    pin = email.body.split("PIN: ")[1].split()[0]
    assert authenticate_card(number=card.number, pin=pin).pk == card.pk
    card.refresh_from_db()
    assert card.sent_at is not None
    sent = len(mail.outbox)
    assert send_e_gift_cards() == 0  # the sweep after it sends nothing again
    deliver_outbox()
    assert len(mail.outbox) == sent


def test_a_card_for_a_later_date_waits_for_the_sweep_on_its_date():
    buy()  # three days ahead
    deliver_outbox()
    assert [m.to for m in mail.outbox] == [["ada@example.com"]]  # the confirmation
    card = GiftCard.objects.get()
    assert card.sent_at is None
    later = timezone.now() + timedelta(days=3)
    assert send_due_e_gift_cards(now=later) == [card.pk]
    deliver_outbox()
    assert [m.to for m in mail.outbox][1:] == [["lea@example.com"]]


def test_the_recipient_is_told_who_sent_the_card_and_the_buyer_to_whom_and_when():
    user, _ = shopper()
    send_on = timezone.localdate() + timedelta(days=3)
    response = buy(
        api_client_for(user),
        send_on=send_on.isoformat(),
        recipient_name="Marco",
        recipient_email="marco.friend@example.net",
        message="Buon compleanno!",
    )
    assert response.status_code == 201, response.json()
    deliver_outbox()
    (confirmation,) = mail.outbox
    when = f"{send_on.day} {send_on:%B %Y}"
    for part in (confirmation.body, confirmation.alternatives[0][0]):
        assert "for Marco (marco.friend@example.net)" in part
        assert f"emailed on {when}" in part
    mail.outbox.clear()

    send_due_e_gift_cards(now=timezone.now() + timedelta(days=3))
    deliver_outbox()
    (gift,) = mail.outbox
    html, mime = gift.alternatives[0]
    assert mime == "text/html"
    assert gift.subject.startswith("Ada sent you a gift card")
    for part in (gift.body, html):
        assert "Ada has sent you an Omnistore gift card" in part
        assert "Buon compleanno!" in part
        assert GiftCard.objects.get().number in part


def test_a_guest_names_themself_to_the_recipient():
    response = buy(send_on=timezone.localdate().isoformat(), sender_name=" Zia Rosa ")
    assert response.status_code == 201, response.json()
    deliver_outbox()

    (gift,) = [m for m in mail.outbox if m.to == ["lea@example.com"]]
    assert gift.subject.startswith("Zia Rosa sent you a gift card")
    assert "Zia Rosa has sent you an Omnistore gift card" in gift.body
    assert "Zia Rosa wrote" in gift.body
    card = GiftCard.objects.get()
    assert card.sender_name == "Zia Rosa"


def test_names_with_line_breaks_reach_the_recipient_on_one_line():
    response = buy(
        send_on=timezone.localdate().isoformat(),
        sender_name="With love,\nMum and Dad",
        recipient_name="Lea\r\nBcc: x@example.net",
    )
    assert response.status_code == 201, response.json()
    deliver_outbox()

    (gift,) = [m for m in mail.outbox if m.to == ["lea@example.com"]]
    assert gift.subject == "With love, Mum and Dad sent you a gift card of 75.00 EUR"
    assert "Hello Lea Bcc: x@example.net," in gift.body
    assert gift.message()["Bcc"] is None
    card = GiftCard.objects.get()
    assert (card.sender_name, card.recipient_name) == (
        "With love, Mum and Dad",
        "Lea Bcc: x@example.net",
    )


def test_a_buyer_named_across_two_lines_is_named_on_one():
    user, _ = shopper()
    api_client_for(user).patch(
        "/api/v1/me/", {"first_name": "Ann\nBcc: x@example.net"}, format="json"
    )
    response = buy(api_client_for(user), send_on=timezone.localdate().isoformat())
    assert response.status_code == 201, response.json()
    deliver_outbox()

    (gift,) = [m for m in mail.outbox if m.to == ["lea@example.com"]]
    assert gift.subject.startswith("Ann Bcc: x@example.net sent you a gift card")
    assert GiftCard.objects.get().sent_at is not None


def test_an_amount_out_of_range_is_refused_with_the_whole_range():
    response = buy(amount="1000.01")

    assert response.status_code == 400
    assert response.json()["extra"]["amount"] == ["From 5.00 to 1000.00."]
    assert not GiftCard.objects.exists()


def test_a_sender_name_too_long_is_a_400_and_buys_nothing():
    response = buy(sender_name="x" * 101)

    assert response.status_code == 400
    assert "sender_name" in response.json()["extra"]
    assert not GiftCard.objects.exists()


def test_a_card_bought_signed_in_is_a_purchase_on_the_buyers_timeline():
    """The customer's timeline and the associate's client book see the purchase as
    they see any order placed online."""
    user, customer = shopper("gina@example.com")
    associate = StaffFactory(first_name="Anna")
    assign_associate(customer=customer, associate=associate, actor=associate)
    buyer = api_client_for(user)

    number = buy(buyer).json()["order"]

    timeline = buyer.get("/api/v1/me/timeline/").json()["results"]
    placed = [e for e in timeline if e["kind"] == PURCHASE_EVENT]
    assert [e["summary"] for e in placed] == [
        f"Order {number} placed (Website): 75.00 EUR; Card online 75.00 captured"
    ]
    [row] = client_book(associate)
    assert [e.reference_id for e in row.purchases] == [number]
    assert row.last_purchase_at is not None and not row.in_shop_today
