"""Demo orders, placed through the real services so stock, ledger, payments, points and
timelines are all consistent: in-store sales, online deliveries, click-and-collect orders
at every step for the demo shop's desks, and returns (one started online, one refunded).

Deterministic (``random.Random(11)``); runs once per database.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db.models import F
from django.test import override_settings
from django.utils import timezone

from customers.models import Customer, CustomerIdentity, IdentityKind
from inventory.models import Location, LocationKind, StockLevel
from omnistore.accounts.models import Role, User
from omnistore.core.channels import Channel
from omnistore.core.exceptions import ApplicationError

from .carriers import Carrier
from .models import (
    FulfilmentMethod,
    Order,
    PaymentMethod,
    Register,
    TerminalDevice,
    TillSession,
)
from .services.checkout import place_order
from .services.fulfilment import mark_picked, mark_ready, ship_order
from .services.payments import PaymentRequest
from .services.pickups import collect_order
from .services.refunds import receive_return, refund_return
from .services.returns import ReturnLineRequest, request_return
from .services.till import open_till

DEMO_SHOP_STAFF = "associate"
# The carriers the demo's parcels leave with, in turn.
DEMO_CARRIERS = (Carrier.POSTE_ITALIANE, Carrier.DHL, Carrier.GLS)
ADDRESS = {
    "name": "Demo Customer",
    "line1": "Via Torino 21",
    "city": "Milano",
    "postcode": "20123",
    "country": "IT",
}


def _printer(stdout):
    return (lambda text: stdout.write(text + "\n")) if stdout else (lambda text: None)


def _customers(limit: int) -> list[tuple[Customer, str]]:
    rows = (
        CustomerIdentity.objects.filter(
            kind=IdentityKind.EMAIL, customer__merged_into__isnull=True
        )
        .select_related("customer")
        .order_by("customer_id")[:limit]
    )
    return [(row.customer, row.value) for row in rows]


def _stocked_variants(location: Location, limit: int) -> list[int]:
    """Variants with plenty available at ``location``, so demo orders never run short."""
    return list(
        StockLevel.objects.filter(location=location, variant__active=True)
        .annotate(free=F("on_hand") - F("reserved"))
        .filter(free__gte=4)
        .order_by("variant_id")
        .values_list("variant_id", flat=True)[:limit]
    )


@dataclass
class _Demo:
    """What every part of the demo book shares: one random stream (drawn in the same
    order on every run, so the book is the same), the demo shop and its associate, the
    clock, and the counts reported at the end."""

    say: Callable[[str], None]
    rng: random.Random
    associate: User
    shop: Location
    now: datetime
    counts: dict[str, int] = field(
        default_factory=lambda: {"store": 0, "delivery": 0, "pickup": 0, "returns": 0}
    )

    def lines(self, pool, n=2):
        return [(v, self.rng.randint(1, 2)) for v in self.rng.sample(pool, n)]

    def attempt(self, func, **kwargs):
        try:
            return func(**kwargs)
        except ApplicationError as exc:  # a shop short of an item: the demo moves on
            self.say(f"  skipped one demo order: {exc.message}")
            return None


def _seed_store_sales(demo: _Demo, customers, shops, shop_staff) -> None:
    """In-store sales over the last two months, in several shops."""
    rng = demo.rng
    for i, (customer, _email) in enumerate(customers[:24]):
        where = demo.shop if i % 3 == 0 else rng.choice(shops)
        pool = _stocked_variants(where, 60)
        if len(pool) < 2:
            continue
        order = demo.attempt(
            place_order,
            lines=demo.lines(pool),
            channel=Channel.STORE,
            fulfilment=FulfilmentMethod.CARRY_OUT,
            placing_location=where,
            staff=shop_staff.get(where.pk),
            customer=customer,
            payments=[
                PaymentRequest(
                    rng.choice([PaymentMethod.CASH, PaymentMethod.CARD_IN_STORE])
                )
            ],
            now=demo.now - timedelta(days=rng.randint(3, 60), hours=rng.randint(0, 8)),
        )
        demo.counts["store"] += order is not None


def _seed_deliveries(demo: _Demo, customers, here) -> None:
    """Online deliveries, some shipped and delivered."""
    for i, (_customer, email) in enumerate(customers[16:28]):
        placed_at = demo.now - timedelta(days=demo.rng.randint(2, 40))
        order = demo.attempt(
            place_order,
            lines=demo.lines(here),
            channel=demo.rng.choice([Channel.WEB, Channel.APP]),
            fulfilment=FulfilmentMethod.DELIVERY,
            address=ADDRESS,
            email=email,
            payments=[PaymentRequest(PaymentMethod.CARD_ONLINE, "tok_visa")],
            now=placed_at,
        )
        if order is None:
            continue
        demo.counts["delivery"] += 1
        if i % 3:
            mark_picked(order=order, now=placed_at + timedelta(hours=3))
            ship_order(
                order=order,
                carrier=DEMO_CARRIERS[i % len(DEMO_CARRIERS)],
                tracking_reference=f"TRK{order.pk:08d}",
                now=placed_at + timedelta(hours=20),
            )


def _advance_pickup(demo: _Demo, order: Order, step: str, placed_at) -> bool:
    """Move a click-and-collect order on to ``step`` at the demo shop; True once it
    is collected."""
    if step == "placed":
        return False
    staff = {"actor": demo.associate, "location": demo.shop}
    mark_picked(order=order, **staff, now=placed_at + timedelta(hours=2))
    if step == "picked":
        return False
    order = mark_ready(order=order, **staff, now=placed_at + timedelta(hours=3))
    if step != "collected":
        return False
    collect_order(
        order=order,
        actor=demo.associate,
        code=order.pickup_code,
        location=demo.shop,
        now=placed_at + timedelta(days=1),
    )
    return True


def _seed_pickups(demo: _Demo, customers, here) -> list[Order]:
    """Click and collect at the demo shop: some to pick, picked, ready, collected.
    Returns the collected ones."""
    steps = ["placed"] * 3 + ["picked"] * 2 + ["ready"] * 3 + ["collected"] * 4
    collected = []
    for step, (_customer, email) in zip(steps, customers[:12], strict=False):
        placed_at = demo.now - timedelta(
            days=8 if step == "collected" else 1, hours=demo.rng.randint(1, 6)
        )
        order = demo.attempt(
            place_order,
            lines=demo.lines(here),
            channel=Channel.WEB,
            fulfilment=FulfilmentMethod.PICKUP,
            pickup_store=demo.shop,
            email=email,
            payments=[PaymentRequest(PaymentMethod.CARD_ONLINE, "tok_visa")],
            now=placed_at,
        )
        if order is None:
            continue
        demo.counts["pickup"] += 1
        if _advance_pickup(demo, order, step, placed_at):
            collected.append(order)
    return collected


def _seed_returns(demo: _Demo, collected: list[Order]) -> None:
    """Returns: one started online (waiting for a shop), one received and refunded."""
    for index, order in enumerate(collected[:2]):
        line = order.lines.order_by("id").first()
        ret = demo.attempt(
            request_return,
            order=order,
            lines=[
                ReturnLineRequest(order_line=line.pk, quantity=1, reason="too_small")
            ],
            channel=Channel.WEB,
            customer=order.customer,
            now=demo.now - timedelta(days=2),
        )
        if ret is None:
            continue
        demo.counts["returns"] += 1
        if index == 1:
            staff = {"actor": demo.associate, "location": demo.shop}
            receive_return(
                return_request=ret, **staff, now=demo.now - timedelta(days=1)
            )
            refund_return(return_request=ret, **staff, now=demo.now - timedelta(days=1))


def _pair_simulated_terminals(shops: list[Location]) -> None:
    """One simulated card reader per shop, so a card at the demo's counter waits for
    the terminal (approve or decline it on the sale screen)."""
    if settings.OMNISTORE_TERMINAL_PROVIDER != "simulated":
        return
    for shop in shops:
        TerminalDevice.objects.get_or_create(
            provider="simulated",
            device_id=f"sim-{shop.code}",
            defaults={"location": shop, "label": f"{shop.name} till"},
        )


def _set_up_tills(associate: User | None) -> None:
    """A register at every shop, and the demo associate's one open since this
    morning with a counted float, so cash can be taken at once."""
    shops = Location.objects.filter(kind=LocationKind.SHOP, active=True)
    for shop in shops.order_by("code"):
        Register.objects.get_or_create(location=shop, name="Till 1")
    if associate is None or associate.store_id is None:
        return
    register = Register.objects.get(location=associate.store, name="Till 1")
    if TillSession.objects.filter(register=register).exists():
        return
    now = timezone.localtime()
    opened = min(now, now.replace(hour=9, minute=0, second=0, microsecond=0))
    float_ = {Decimal("20"): 3, Decimal("10"): 5, Decimal("5"): 4, Decimal("1"): 10}
    open_till(register=register, counts=float_, actor=associate, now=opened)


def seed_orders(*, scale: int = 1, stdout=None) -> dict[str, int]:
    """Place the demo order book (independent of ``scale``: benchmarks seed their own)."""
    say = _printer(stdout)
    associate = User.objects.filter(
        username=DEMO_SHOP_STAFF, role=Role.ASSOCIATE
    ).first()
    if Order.objects.exists():
        _set_up_tills(associate)
        say("Orders: demo data already present, skipped.")
        return {}
    customers = _customers(30)
    if associate is None or len(customers) < 10:
        say("Orders: seed the inventory and customers first, skipped.")
        return {}
    started = time.monotonic()
    demo = _Demo(
        say=say,
        rng=random.Random(11),
        associate=associate,
        shop=associate.store,
        now=timezone.now(),
    )
    shops = list(
        Location.objects.filter(kind=LocationKind.SHOP, active=True).order_by("code")
    )
    _pair_simulated_terminals(shops)
    shop_staff = {
        u.store_id: u
        for u in User.objects.filter(role=Role.ASSOCIATE).order_by("username")
    }
    here = _stocked_variants(demo.shop, 200)

    # Emails of the past are delivered to memory, not printed over the seed's output.
    with override_settings(
        EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"
    ):
        _seed_store_sales(demo, customers, shops, shop_staff)
        _seed_deliveries(demo, customers, here)
        collected = _seed_pickups(demo, customers, here)
        _seed_returns(demo, collected)
    # Opened after the past's sales and refunds, so today's drawer holds only today.
    _set_up_tills(associate)

    counts = demo.counts
    say(
        f"Orders: {counts['store']} in-store sales, {counts['delivery']} deliveries, "
        f"{counts['pickup']} click-and-collect orders, {counts['returns']} returns "
        f"in {time.monotonic() - started:.1f} s."
    )
    return counts
