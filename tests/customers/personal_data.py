"""One person with data in every model that holds some, written through the real
services, with distinctive values to look for after an erasure."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from rest_framework.authtoken.models import Token

from campaigns.models import Campaign, CampaignKind, Message, MessageStatus
from customers.models import Address, Customer, DuplicateCandidate
from customers.services.consents import set_consent
from customers.services.loyalty import earn_points
from customers.services.matching import match_customer
from customers.services.merge import merge_customers
from customers.services.timeline import add_note
from customers.services.wishlists import (
    add_wishlist_item,
    create_wishlist,
    share_wishlist_by_email,
)
from omnistore.core.channels import Channel
from omnistore.core.models import WebhookEndpoint
from orders.models import RefundMethod, StoreCreditKind
from orders.services.checkout import LineRequest, place_order
from orders.services.credit import book_store_credit
from orders.services.fulfilment import (
    cancel_order,
    mark_delivered,
    mark_picked,
    ship_order,
)
from orders.services.payments import PaymentRequest
from orders.services.refunds import receive_return, refund_return
from orders.services.returns import ReturnLineRequest, request_return
from tests.factories import (
    LocationFactory,
    StaffFactory,
    UserFactory,
    VariantFactory,
    WarehouseFactory,
    stock,
)

EMAIL = "zelda.quill@example.org"
OLD_EMAIL = "zq.oldbox@example.org"
FRIEND = "friend.of.zq@example.net"
PHONE = "+393337654321"
FIRST, LAST = "Zelda", "Quillfeather"
STREET = "Vicolo Sdrucciolo 77"
ADDRESS = {
    "name": f"{FIRST} {LAST}",
    "line1": STREET,
    "line2": "Scala Zeta",
    "city": "Milano",
    "postcode": "20123",
    "country": "IT",
    "phone": PHONE,
}
CARD = [PaymentRequest(method="card_online", token="tok_visa")]


@dataclass
class Person:
    customer: Customer
    user: object
    shop: object
    loyalty_numbers: list[str]

    @property
    def markers(self) -> list[str]:
        """Strings that name or reach the person; none may survive an erasure."""
        return [
            FIRST,
            LAST,
            EMAIL,
            OLD_EMAIL,
            FRIEND,
            PHONE,
            PHONE[3:],
            "Sdrucciolo",
            "Scala Zeta",
            *self.loyalty_numbers,
        ]


def _profile_and_login():
    user = UserFactory(username=EMAIL, email=EMAIL, first_name=FIRST, last_name=LAST)
    Token.objects.create(user=user)
    customer = match_customer(
        user=user,
        email=EMAIL,
        phone=PHONE,
        first_name=FIRST,
        last_name=LAST,
        channel=Channel.WEB,
    )
    Address.objects.create(customer=customer, label="Home", **ADDRESS)
    return user, customer


def _merged_profile(customer, staff) -> str:
    """An older profile of the same person (a shop's, by their old email), merged
    into this one; returns its loyalty number (the merge record and timeline quote
    it)."""
    old = match_customer(
        email=OLD_EMAIL,
        first_name=FIRST,
        last_name=LAST,
        channel=Channel.STORE,
    )
    merge_customers(survivor=customer, other=old, actor=staff)
    other = match_customer(phone="+393330000001", channel=Channel.STORE)
    a, b = sorted([customer, other], key=lambda c: c.pk)
    DuplicateCandidate.objects.create(
        customer_a=a, customer_b=b, reason=f"Same name {FIRST} {LAST}"
    )
    return old.loyalty_number


def _customers_app(customer, user, staff, shop, variant) -> None:
    set_consent(
        customer=customer,
        channel="email",
        granted=True,
        source_channel="web",
        actor=user,
    )
    set_consent(
        customer=customer, channel="sms", granted=True, source_channel="web", actor=user
    )
    add_note(
        customer=customer,
        text=f"{FIRST} likes {LAST} wrapping",
        actor=staff,
        location=shop,
    )
    earn_points(
        customer=customer, points=7, reason=f"Welcome {FIRST}", reference_id="zq-1"
    )
    wishlist = create_wishlist(
        customer=customer, name=f"{FIRST}'s gifts", channel=Channel.WEB
    )
    add_wishlist_item(
        wishlist=wishlist,
        variant=variant,
        note=f"For {LAST} cousin",
        channel=Channel.WEB,
    )
    share_wishlist_by_email(
        wishlist=wishlist, email=FRIEND, message=f"Love, {FIRST}", channel=Channel.WEB
    )
    LogEntry.objects.create(
        user=staff,
        content_type=ContentType.objects.get_for_model(Customer),
        object_id=str(customer.pk),
        object_repr=str(customer),
        action_flag=CHANGE,
        change_message='[{"changed": {"fields": ["Phone"]}}]',
    )


def _orders_app(customer, staff, shop, variant) -> None:
    """A delivered order returned with notes and refunded as store credit, an order
    the customer cancelled with a reason of their own, and a staff credit."""
    order = place_order(
        lines=[LineRequest(variant, 2)],
        channel=Channel.WEB,
        fulfilment="delivery",
        address=ADDRESS,
        customer=customer,
        email=EMAIL,
        phone=PHONE,
        payments=CARD,
    )
    mark_picked(order=order, actor=staff, note=f"Packed for {FIRST}")
    ship_order(order=order, actor=staff, tracking_reference="TRK-1")
    mark_delivered(order=order, actor=staff)
    line = order.lines.get()
    ret = request_return(
        order=order,
        lines=[ReturnLineRequest(line.pk, 1, "too_small", note=f"{FIRST}: sleeve")],
        channel=Channel.STORE,
        actor=staff,
        location=shop,
        refund_method=RefundMethod.STORE_CREDIT,
        note=f"{LAST} brought it back",
    )
    receive_return(return_request=ret, location=shop, actor=staff, note=f"{FIRST} ok")
    refund_return(return_request=ret, actor=staff, location=shop)
    cancelled = place_order(
        lines=[LineRequest(variant, 1)],
        channel=Channel.WEB,
        fulfilment="delivery",
        address=ADDRESS,
        customer=customer,
        email=EMAIL,
        payments=CARD,
    )
    cancel_order(order=cancelled, reason=f"{FIRST} found it cheaper", by_customer=True)
    book_store_credit(
        customer_id=customer.pk,
        amount=Decimal("5.00"),
        currency="EUR",
        kind=StoreCreditKind.RETURN,
        reason=f"Goodwill for {FIRST} {LAST}",
        reference="zq-goodwill",
        actor=staff,
    )


def _campaigns_app(customer) -> None:
    campaign = Campaign.objects.create(
        name="Spring news", kind=CampaignKind.BROADCAST, channels=["email"]
    )
    Message.objects.create(
        campaign=campaign,
        customer=customer,
        channel="email",
        status=MessageStatus.FAILED,
        error=f"SMTPRecipientsRefused({{'{EMAIL}': (550, b'no such user')}})",
    )
    Message.objects.create(
        campaign=campaign, customer=customer, channel="sms", trigger_key="again"
    )


def seed_person() -> Person:
    """The person, in every app; webhook subscribers hear of everything."""
    WebhookEndpoint.objects.create(
        name="Everything", url="https://hooks.example.com/in", secret="s3cret"
    )
    shop = LocationFactory(ships_online_orders=True)
    depot = WarehouseFactory()
    staff = StaffFactory(store=shop)
    variant = VariantFactory(price=Decimal("40.00"))
    stock(variant, depot, 10)
    stock(variant, shop, 10)
    user, customer = _profile_and_login()
    old_number = _merged_profile(customer, staff)
    _customers_app(customer, user, staff, shop, variant)
    _orders_app(customer, staff, shop, variant)
    _campaigns_app(customer)
    customer.refresh_from_db()
    return Person(
        customer=customer,
        user=user,
        shop=shop,
        loyalty_numbers=[customer.loyalty_number, old_number],
    )
