"""Customers, purchases and campaigns for the campaigns tests, made through the real
services of every app (orders are placed by checkout, consents set by the customers
app)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from campaigns.models import (
    Campaign,
    CampaignKind,
    CampaignStatus,
    MessageTemplate,
    Segment,
)
from campaigns.services.campaigns import activate_automation, schedule_campaign
from campaigns.services.segments import create_segment
from customers.models import Channel, Customer, CustomerIdentity
from customers.services.consents import set_consent
from customers.services.matching import match_customer
from orders.services.checkout import LineRequest, place_order
from orders.services.egift import EGiftPurchase, purchase_e_gift_card
from orders.services.giftcard_sales import prepare_card_sale
from orders.services.payments import PaymentRequest
from orders.services.staff_sale import StaffSale
from tests.factories import LocationFactory, VariantFactory, WarehouseFactory, stock

ADDRESS = {
    "name": "Ada",
    "line1": "Via Torino 1",
    "city": "Milano",
    "postcode": "20123",
}
_serial = iter(range(1, 10**9))


def person(
    first_name="Giulia", *, email=True, phone=False, proven=True, **kwargs
) -> Customer:
    """A profile with an email (and a phone); ``proven``: they confirmed them with
    the codes sent there, as campaigns reach only proven addresses."""
    n = next(_serial)
    customer = match_customer(
        email=f"person{n}@example.com" if email else None,
        phone=f"+39333{n:07d}" if phone else None,
        first_name=first_name,
        last_name=kwargs.pop("last_name", f"Rossi{n}"),
        channel=kwargs.pop("channel", Channel.WEB),
        **kwargs,
    )
    if proven:
        CustomerIdentity.objects.filter(customer=customer).update(verified=True)
    return customer


def grant(customer: Customer, *channels: str, granted: bool = True) -> None:
    for channel in channels:
        set_consent(
            customer=customer,
            channel=channel,
            granted=granted,
            source_channel=Channel.WEB,
        )


class Shop:
    """A shop and a warehouse, both stocked with ``variant``."""

    def __init__(self, *, city="Milano", price="50.00", category=None, units=500):
        self.store = LocationFactory(city=city)
        self.warehouse = WarehouseFactory()
        extra = {"product__category": category} if category is not None else {}
        self.variant = VariantFactory(price=Decimal(price), **extra)
        stock(self.variant, self.store, units)
        stock(self.variant, self.warehouse, units)

    def sell_in_store(
        self, customer, *, days_ago=0, quantity=1, variant=None, now=None
    ):
        variant = variant or self.variant
        return place_order(
            lines=[LineRequest(variant, quantity)],
            channel=Channel.STORE,
            fulfilment="carry_out",
            placing_location=self.store,
            customer=customer,
            payments=[PaymentRequest(method="cash")],
            now=(now or timezone.now()) - timedelta(days=days_ago),
        )

    def sell_online(
        self,
        customer,
        *,
        days_ago=0,
        channel=Channel.WEB,
        variant=None,
        now=None,
        cart=None,
        quantity=1,
    ):
        variant = variant or self.variant
        return place_order(
            lines=[LineRequest(variant, quantity)],
            channel=channel,
            fulfilment="delivery",
            address=ADDRESS,
            customer=customer,
            payments=[PaymentRequest(method="card_online", token="tok_visa")],
            cart=cart,
            now=(now or timezone.now()) - timedelta(days=days_ago),
        )

    def sell_gift_card(
        self, customer, *, amount="30.00", days_ago=0, with_goods=False, now=None
    ):
        """A gift card sold at the counter, alone or beside the shop's item."""
        card = prepare_card_sale(
            number=f"6012{next(_serial):012d}", pin="4321", amount=amount
        )
        return place_order(
            lines=[LineRequest(self.variant, 1)] if with_goods else [],
            channel=Channel.STORE,
            fulfilment="carry_out",
            placing_location=self.store,
            customer=customer,
            payments=[PaymentRequest(method="cash")],
            staff_sale=StaffSale(gift_cards=[card]),
            now=(now or timezone.now()) - timedelta(days=days_ago),
        )

    def sell_by_phone(self, customer, *, days_ago=0, channel=Channel.PHONE):
        """An assisted order taken by phone (or in the shop, for home delivery)."""
        return place_order(
            lines=[LineRequest(self.variant, 1)],
            channel=channel,
            fulfilment="delivery",
            address=ADDRESS,
            placing_location=self.store,
            customer=customer,
            payments=[PaymentRequest(method="card_online", token="tok_visa")],
            now=timezone.now() - timedelta(days=days_ago),
        )


def buy_e_gift_card(customer, *, amount="50.00", days_ago=0):
    """An e-gift card bought online by ``customer`` for someone else: an order of
    its own with no lines."""
    placed = timezone.now() - timedelta(days=days_ago)
    return purchase_e_gift_card(
        purchase=EGiftPurchase(
            amount=Decimal(amount),
            country="IT",
            recipient_name="Lea",
            recipient_email="lea@example.com",
            message="",
            send_on=timezone.localdate(placed),
            email=customer.email,
            payment=PaymentRequest(method="card_online", token="tok_visa"),
        ),
        customer=customer,
        now=placed,
    )


def segment(rules, name=None) -> Segment:
    return create_segment(name=name or f"Segment {next(_serial)}", rules=rules)


def campaign(
    *,
    rules=None,
    channels=("email",),
    kind=CampaignKind.BROADCAST,
    templates=None,
    status=None,
    trigger_after=None,
    name=None,
    **kwargs,
) -> Campaign:
    audience = segment(rules) if rules is not None else None
    created = Campaign.objects.create(
        name=name or f"Campaign {next(_serial)}",
        kind=kind,
        segment=audience,
        channels=list(channels),
        trigger_after=trigger_after,
        **kwargs,
    )
    defaults = {
        "email": (
            "Hello {{ first_name }}",
            "Hi {{ first_name }}, see https://shop.example.org/new",
        ),
        "sms": ("", "Hi {{ first_name }}: https://shop.example.org/sms"),
        "push": ("News for you", "Hi {{ first_name }}"),
    }
    for channel in channels:
        subject, body = (templates or {}).get(channel, defaults[channel])
        MessageTemplate.objects.create(
            campaign=created, channel=channel, subject=subject, body=body
        )
    if status == CampaignStatus.SCHEDULED:
        schedule_campaign(campaign=created, send_at=timezone.now())
    elif status == CampaignStatus.ACTIVE:
        activate_automation(campaign=created)
    created.refresh_from_db()
    return created


EVERYONE = {"field": "created_channel", "op": "in", "value": list(Channel.values)}
