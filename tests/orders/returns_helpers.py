"""Orders handed over in every way, made through the real services, for return tests."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from customers.models import Channel
from customers.services.matching import match_customer
from orders.models import PaymentMethod
from orders.services.checkout import LineRequest, place_order
from orders.services.fulfilment import mark_picked, mark_ready
from orders.services.payments import PaymentRequest
from orders.services.pickups import collect_order
from orders.services.returns import ReturnLineRequest
from tests.factories import UserFactory
from tests.orders.factories import CARD, deliver_outbox


def api_client_for(user) -> APIClient:
    client = APIClient()
    token, _ = Token.objects.get_or_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def shopper(email: str = "ada@example.com", **kwargs):
    """A storefront login with its customer profile."""
    user = UserFactory(username=email, email=email, first_name="Ada", **kwargs)
    customer = match_customer(user=user, email=email, channel=Channel.WEB)
    return user, customer


def collected_order(*, store, lines, customer, staff=None, when=None, points=True):
    """An online order picked up at ``store``: placed, picked, ready, collected with
    its code (``when`` moves the collection into the past). With ``points`` the
    after-commit handler credits the loyalty points, as it does in production."""
    order = place_order(
        lines=[LineRequest(v, q) for v, q in lines],
        channel=Channel.WEB,
        fulfilment="pickup",
        pickup_store=store,
        customer=customer,
        payments=CARD,
    )
    if points:
        deliver_outbox()
    mark_picked(order=order, actor=staff, location=store)
    order = mark_ready(order=order, actor=staff, location=store)
    return collect_order(
        order=order,
        actor=staff,
        code=order.pickup_code,
        location=store,
        now=when or timezone.now(),
    )


def counter_sale(*, store, lines, staff, customer=None, tenders=None, **kwargs):
    """A carry-out sale at ``store``; ``tenders`` as (method, amount) pairs."""
    payments = [
        PaymentRequest(method=m, amount=Decimal(a) if a else None)
        for m, a in (tenders or [(PaymentMethod.CARD_IN_STORE, None)])
    ]
    return place_order(
        lines=[LineRequest(v, q) for v, q in lines],
        channel=Channel.STORE,
        fulfilment="carry_out",
        placing_location=store,
        staff=staff,
        customer=customer,
        payments=payments,
        **kwargs,
    )


def days_ago(days: int):
    return timezone.now() - timedelta(days=days)


def line_request(order, units=1, reason="too_small", **kwargs):
    """A return of ``units`` of the order's first line."""
    line = order.lines.order_by("id").first()
    return ReturnLineRequest(line.pk, units, reason, **kwargs)
