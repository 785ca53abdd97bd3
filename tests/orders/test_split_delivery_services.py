"""An online delivery no one location can fill: three shops that ship online orders,
each holding part of it, so the order leaves in three parcels (one fulfilment per
shop, its units held where they lie)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.core import mail

from inventory.models import (
    Location,
    MovementReason,
    Reservation,
    ReservationStatus,
    StockLevel,
    StockMovement,
    Variant,
)
from inventory.selectors import ledger_discrepancies
from omnistore.core.exceptions import (
    ApplicationError,
    Conflict,
    IllegalTransition,
    ValidationFailed,
)
from orders.models import (
    Fulfilment,
    FulfilmentStatus,
    Invoice,
    InvoiceKind,
    Order,
    OrderStatus,
)
from orders.services.fulfilment import cancel_order, mark_picked, ship_order
from orders.services.invoices import issue_invoice
from orders.services.returns import ReturnLineRequest, request_return
from tests.factories import LocationFactory, StaffFactory, VariantFactory, stock
from tests.orders.factories import deliver_outbox, delivery_order
from tests.orders.receipt_helpers import business, legal_entity, tax_as_sold
from tests.orders.returns_helpers import shopper

pytestmark = pytest.mark.django_db


@dataclass
class Split:
    milano: Location
    roma: Location
    napoli: Location
    shirt: Variant  # only at Milano
    jeans: Variant  # only at Roma
    coat: Variant  # one at Milano, one at Roma, one at Napoli: a line split three ways

    @property
    def shops(self) -> list[Location]:
        return [self.milano, self.roma, self.napoli]


def split_shops() -> Split:
    def shop(code, name, lat, lng):
        return LocationFactory(
            code=code,
            name=name,
            latitude=Decimal(lat),
            longitude=Decimal(lng),
            ships_online_orders=True,
        )

    milano = shop("MI01", "Milano Duomo", "45.464200", "9.190000")
    roma = shop("RM01", "Roma Corso", "41.902800", "12.496400")
    napoli = shop("NA01", "Napoli Toledo", "40.851800", "14.268100")
    shirt = VariantFactory(sku="SHIRT-BLU-M", price=Decimal("40.00"))
    jeans = VariantFactory(sku="JEANS-IND-32", price=Decimal("80.00"))
    coat = VariantFactory(sku="COAT-BLK-L", price=Decimal("200.00"))
    stock(shirt, milano, 1)
    stock(jeans, roma, 2)
    for place in (milano, roma, napoli):
        stock(coat, place, 1)
    return Split(milano, roma, napoli, shirt, jeans, coat)


def split_order(split: Split, **kwargs) -> Order:
    """One shirt, two jeans and three coats: Milano sends the shirt and a coat, Roma
    the jeans and a coat, Napoli a coat."""
    order = delivery_order(
        lines=[(split.shirt, 1), (split.jeans, 2), (split.coat, 3)], **kwargs
    )
    assert sorted(f.location_id for f in order.fulfilments.all()) == sorted(
        shop.pk for shop in split.shops
    )
    return order


def part(order: Order, location: Location) -> Fulfilment:
    return Fulfilment.objects.get(order=order, location=location)


def statuses(order: Order, split: Split) -> list[str]:
    """Each shop's part, Milano, Roma, Napoli."""
    return [part(order, shop).status for shop in split.shops]


# --- the tests ------------------------------------------------------------------------

PENDING, PICKED, SHIPPED, CANCELLED = (
    FulfilmentStatus.PENDING,
    FulfilmentStatus.PICKED,
    FulfilmentStatus.SHIPPED,
    FulfilmentStatus.CANCELLED,
)


def held(variant, location) -> tuple[int, int]:
    level = StockLevel.objects.get(variant=variant, location=location)
    return level.on_hand, level.reserved


def shipments(order):
    return StockMovement.objects.filter(
        reference_id=order.number, reason=MovementReason.SHIPMENT
    )


def active_holds(order) -> dict[tuple[int, int], int]:
    return {
        (r.location_id, r.variant_id): r.quantity
        for r in Reservation.objects.filter(
            reference_id=order.number, status=ReservationStatus.ACTIVE
        )
    }


@pytest.fixture
def split():
    return split_shops()


@pytest.fixture
def staff(split):
    return {shop.pk: StaffFactory(store=shop) for shop in split.shops}


def test_a_shop_picks_and_ships_only_its_own_part(split, staff):
    order = split_order(split)
    milano = staff[split.milano.pk]

    mark_picked(order=order, actor=milano, location=split.milano)

    order.refresh_from_db()
    assert order.status == OrderStatus.PICKED
    assert statuses(order, split) == [PICKED, PENDING, PENDING]

    ship_order(
        order=order, actor=milano, tracking_reference="MI-1", location=split.milano
    )

    order.refresh_from_db()
    assert order.status == OrderStatus.PICKED  # two parcels still to leave
    assert order.shipped_at is None
    assert statuses(order, split) == [SHIPPED, PENDING, PENDING]
    assert [part(order, shop).tracking_reference for shop in split.shops] == [
        "MI-1",
        "",
        "",
    ]
    assert {(m.location_id, m.actor) for m in shipments(order)} == {
        (split.milano.pk, milano)
    }
    assert held(split.shirt, split.milano) == (0, 0)
    assert held(split.coat, split.milano) == (0, 0)
    # Roma's and Napoli's units are still held for the order, on their shelves
    assert active_holds(order) == {
        (split.roma.pk, split.jeans.pk): 2,
        (split.roma.pk, split.coat.pk): 1,
        (split.napoli.pk, split.coat.pk): 1,
    }
    assert held(split.jeans, split.roma) == (2, 2)
    assert held(split.coat, split.napoli) == (1, 1)
    assert ledger_discrepancies() == []


def test_the_order_is_shipped_when_its_last_part_has_left(split, staff):
    order = split_order(split, email="ada@example.com")
    for shop, tracking in zip(split.shops, ["MI-1", "RM-2", "NA-3"], strict=True):
        mark_picked(order=order, actor=staff[shop.pk], location=shop)
        ship_order(
            order=order,
            actor=staff[shop.pk],
            tracking_reference=tracking,
            location=shop,
        )
        order.refresh_from_db()
        if shop != split.napoli:
            assert order.status == OrderStatus.PICKED

    assert order.status == OrderStatus.SHIPPED
    assert order.shipped_at is not None
    assert statuses(order, split) == [SHIPPED, SHIPPED, SHIPPED]
    assert [part(order, shop).tracking_reference for shop in split.shops] == [
        "MI-1",
        "RM-2",
        "NA-3",
    ]
    assert sorted((m.location_id, m.actor.pk) for m in shipments(order)) == sorted(
        (shop.pk, staff[shop.pk].pk)
        for shop in split.shops
        for _ in range(2 if shop != split.napoli else 1)
    )
    assert active_holds(order) == {}
    assert ledger_discrepancies() == []
    deliver_outbox()
    shipped = [m for m in mail.outbox if m.subject == order_shipped(order)]
    assert len(shipped) == 1  # one message for the order, when everything has left
    for tracking in ("MI-1", "RM-2", "NA-3"):
        assert tracking in shipped[0].body


def test_every_part_picked_and_shipped_is_in_the_history(split, staff):
    order = split_order(split)
    for shop, tracking in zip(split.shops, ["MI-1", "RM-2", "NA-3"], strict=True):
        mark_picked(order=order, actor=staff[shop.pk], location=shop)
        ship_order(
            order=order,
            actor=staff[shop.pk],
            tracking_reference=tracking,
            location=shop,
        )

    steps = [
        (c.from_status, c.to_status, c.actor, c.location, c.note)
        for c in order.history.order_by("at", "id")
    ][1:]  # after "placed"
    assert [step[:4] for step in steps] == [
        ("placed", "picked", staff[split.milano.pk], split.milano),
        ("picked", "picked", staff[split.milano.pk], split.milano),
        ("picked", "picked", staff[split.roma.pk], split.roma),
        ("picked", "picked", staff[split.roma.pk], split.roma),
        ("picked", "picked", staff[split.napoli.pk], split.napoli),
        ("picked", "shipped", staff[split.napoli.pk], split.napoli),
    ]
    notes = [step[4] for step in steps]
    assert "Milano Duomo" in notes[0] and "picked" in notes[0]
    assert "Milano Duomo" in notes[1] and "MI-1" in notes[1]
    assert "Roma Corso" in notes[2] and "picked" in notes[2]
    assert "RM-2" in notes[3]
    assert "NA-3" in notes[5]


def test_a_part_is_shipped_only_once_picked_and_only_once(split, staff):
    order = split_order(split)
    roma = staff[split.roma.pk]
    mark_picked(order=order, actor=staff[split.milano.pk], location=split.milano)

    with pytest.raises(ApplicationError):
        ship_order(
            order=order, actor=roma, tracking_reference="RM-1", location=split.roma
        )
    assert statuses(order, split) == [PICKED, PENDING, PENDING]
    assert not shipments(order).exists()

    mark_picked(order=order, actor=roma, location=split.roma)
    with pytest.raises(IllegalTransition):
        mark_picked(order=order, actor=roma, location=split.roma)
    ship_order(order=order, actor=roma, tracking_reference="RM-1", location=split.roma)
    with pytest.raises(ApplicationError):
        ship_order(
            order=order, actor=roma, tracking_reference="RM-9", location=split.roma
        )
    assert part(order, split.roma).tracking_reference == "RM-1"
    assert statuses(order, split) == [PICKED, SHIPPED, PENDING]


def test_a_shop_with_no_part_in_the_order_picks_nothing(split, staff):
    elsewhere = LocationFactory(code="TO01", name="Torino Via Roma")
    order = split_order(split)

    with pytest.raises(Conflict) as refused:
        mark_picked(order=order, location=elsewhere)
    assert refused.value.code == "nothing_to_pick_here"

    order.refresh_from_db()
    assert order.status == OrderStatus.PLACED
    assert statuses(order, split) == [PENDING, PENDING, PENDING]


def test_the_customer_cannot_cancel_once_a_shop_has_picked(split, staff):
    order = split_order(split)
    mark_picked(order=order, actor=staff[split.milano.pk], location=split.milano)

    with pytest.raises(IllegalTransition):
        cancel_order(order=order, by_customer=True)


def test_cancelling_after_a_parcel_left_cancels_the_rest_and_refunds_its_lines(
    split, staff
):
    """Milano's parcel has left; Roma and Napoli cannot send theirs. Cancelling
    releases what they hold, refunds those lines and their points, and the order is
    shipped (what left is all of it), so it can come back as a return."""
    order = split_order(split, user=shopper()[0])
    deliver_outbox()  # the points of the order are credited
    milano = staff[split.milano.pk]
    mark_picked(order=order, actor=milano, location=split.milano)
    ship_order(
        order=order, actor=milano, tracking_reference="MI-1", location=split.milano
    )
    roma_hold = StockLevel.objects.get(variant=split.jeans, location=split.roma)
    assert roma_hold.reserved == 2
    earned = Order.objects.get(pk=order.pk).loyalty_points
    assert earned > 0

    cancel_order(order=order, actor=milano, reason="Out of stock at Roma and Napoli")

    order.refresh_from_db()
    assert order.status == OrderStatus.SHIPPED and order.shipped_at is not None
    assert statuses(order, split) == [SHIPPED, CANCELLED, CANCELLED]
    # Milano sent the shirt (40.00) and a coat (200.00); the rest is refunded
    (payment,) = order.payments.all()
    assert payment.refunded_amount == order.total - Decimal("240.00") - (
        order.delivery_fee
    )
    assert (
        StockLevel.objects.get(variant=split.jeans, location=split.roma).reserved == 0
    )
    assert (
        StockLevel.objects.get(variant=split.coat, location=split.napoli).reserved == 0
    )
    assert "Parts from Napoli Toledo, Roma Corso cancelled" in order.history.last().note
    given_back = payment.refunded_amount
    assert order.loyalty_points == earned - int(earned * given_back / order.total)
    assert ledger_discrepancies() == []
    # Cancelled once: asked again, nothing more moves
    with pytest.raises(ApplicationError):
        cancel_order(order=order, actor=milano, reason="again")
    assert order.payments.get().refunded_amount == payment.refunded_amount


def test_what_left_comes_back_as_a_return_and_what_never_left_does_not(split, staff):
    order = split_order(split, email="ada@example.com")
    milano = staff[split.milano.pk]
    mark_picked(order=order, actor=milano, location=split.milano)
    ship_order(
        order=order, actor=milano, tracking_reference="MI-1", location=split.milano
    )
    cancel_order(order=order, actor=milano, reason="Out of stock elsewhere")
    lines = {
        line.fulfilment.location_id: line
        for line in order.lines.select_related("fulfilment").filter(variant=split.coat)
    }

    with pytest.raises(ApplicationError):  # Roma's coat never left
        request_return(
            order=order.number,
            lines=[ReturnLineRequest(lines[split.roma.pk].pk, 1, "changed_mind")],
            channel="store",
            location=split.milano,
            actor=milano,
        )
    ret = request_return(
        order=order.number,
        lines=[ReturnLineRequest(lines[split.milano.pk].pk, 1, "changed_mind")],
        channel="store",
        location=split.milano,
        actor=milano,
    )
    assert ret.lines.get().quantity == 1


def test_an_invoiced_split_order_cancelled_after_a_parcel_left_credits_the_rest(
    split, staff
):
    order = split_order(split, customer=business())
    rates = {"SHIRT-BLU-M": "22", "JEANS-IND-32": "22", "COAT-BLK-L": "22"}
    order = tax_as_sold(order, rates, entity=legal_entity())
    invoice, _ = issue_invoice(order=order)
    milano = staff[split.milano.pk]
    mark_picked(order=order, actor=milano, location=split.milano)
    ship_order(
        order=order, actor=milano, tracking_reference="MI-1", location=split.milano
    )

    cancel_order(order=order, actor=milano, reason="Out of stock elsewhere")

    note = Invoice.objects.get(order=order, kind=InvoiceKind.CREDIT_NOTE)
    assert note.credited_invoice == invoice
    # Roma's jeans (2 × 80.00) and coat, Napoli's coat (200.00 each)
    assert note.gross == Decimal("560.00") == note.net + note.tax
    assert sorted((row["sku"], row["quantity"]) for row in note.lines) == [
        ("COAT-BLK-L", 1),
        ("COAT-BLK-L", 1),
        ("JEANS-IND-32", 2),
    ]


def order_shipped(order: Order) -> str:
    """The subject of the email that tells the whole order has left (each parcel
    before the last has its own)."""
    return f"Order {order.number} is on its way"


def parcels_in(body: str) -> dict[str, list[str]]:
    """The SKUs an email lists under each parcel's tracking number, and under
    "Cancelled"."""
    found: dict[str, list[str]] = {}
    current = None
    for line in body.splitlines():
        head = re.match(r"(?:Parcel \d+|On its way), tracking (\S+):$", line)
        if head or line == "Cancelled:":
            current = found.setdefault(head[1] if head else "cancelled", [])
        elif line.startswith("  ") and current is not None:
            sku = re.search(r"\(([A-Z0-9-]+)\)  ", line)
            if sku:
                current.append(sku[1])
        else:
            current = None
    return {key: sorted(skus) for key, skus in found.items()}


def test_the_shipped_email_of_a_split_delivery_lists_each_parcel_with_its_lines(
    split, staff
):
    order = split_order(split, email="ada@example.com")
    for shop, tracking in zip(split.shops, ["MI-1", "RM-2", "NA-3"], strict=True):
        mark_picked(order=order, actor=staff[shop.pk], location=shop)
        ship_order(
            order=order,
            actor=staff[shop.pk],
            tracking_reference=tracking,
            location=shop,
        )
    mail.outbox.clear()
    deliver_outbox()

    (message,) = [m for m in mail.outbox if m.subject == order_shipped(order)]
    assert f"your order {order.number} is on its way, in 3 parcels." in message.body
    assert parcels_in(message.body) == {
        "MI-1": ["COAT-BLK-L", "SHIRT-BLU-M"],
        "RM-2": ["COAT-BLK-L", "JEANS-IND-32"],
        "NA-3": ["COAT-BLK-L"],
    }
    assert f"  Total: {order.total} EUR" in message.body
    html = message.alternatives[0][0]
    assert "Parcel 3 · tracking" in html and "Total after the refund" not in html


def test_cancelling_after_a_parcel_left_emails_what_left_was_cancelled_and_refunded(
    split, staff
):
    """Milano's parcel has left with the shirt and a coat; Roma's and Napoli's parts
    are cancelled. The customer reads what is on its way, with its tracking number,
    what was cancelled and what went back to their card: not the whole order."""
    order = split_order(split, email="ada@example.com")
    milano = staff[split.milano.pk]
    mark_picked(order=order, actor=milano, location=split.milano)
    ship_order(
        order=order, actor=milano, tracking_reference="MI-1", location=split.milano
    )
    cancel_order(order=order, actor=milano, reason="Out of stock at Roma and Napoli")
    mail.outbox.clear()
    deliver_outbox()

    (message,) = [
        m
        for m in mail.outbox
        if m.subject == f"Part of order {order.number} is on its way"
    ]
    body = message.body
    assert "the rest could not be sent and is cancelled" in body
    assert parcels_in(body) == {
        "MI-1": ["COAT-BLK-L", "SHIRT-BLU-M"],
        "cancelled": ["COAT-BLK-L", "JEANS-IND-32"],
    }
    # Roma's coat and Napoli's read once, as the customer bought them
    assert "  2 × " in body.split("Cancelled:")[1]
    # Roma's jeans (2 × 80.00) and coat, Napoli's coat (200.00 each)
    assert "Refunded: 560.00 EUR to your card." in body
    assert f"Total after the refund: {order.total - Decimal('560.00')} EUR" in body
    assert f"Total: {order.total} EUR" not in body
    html = message.alternatives[0][0]
    assert "Refunded: <strong>560.00 EUR</strong> to your card." in html
    assert "Part of your order is on its way" in html


def test_units_cancelled_before_they_left_are_refused_as_cancelled_on_a_return(
    split, staff
):
    order = split_order(split, email="ada@example.com")
    milano = staff[split.milano.pk]
    mark_picked(order=order, actor=milano, location=split.milano)
    ship_order(
        order=order, actor=milano, tracking_reference="MI-1", location=split.milano
    )
    cancel_order(order=order, actor=milano, reason="Out of stock elsewhere")
    jeans = order.lines.get(variant=split.jeans)

    with pytest.raises(ValidationFailed) as refused:
        request_return(
            order=order.number,
            lines=[ReturnLineRequest(jeans.pk, 2, "changed_mind")],
            channel="store",
            location=split.milano,
            actor=milano,
        )

    (said,) = refused.value.extra["lines"]
    assert said == (
        "JEANS-IND-32: 2 asked, at most 0 can be returned "
        "(2 bought, 2 cancelled before they were shipped)."
    )


def test_the_receipt_lists_an_item_sent_from_several_shops_once(split, staff):
    """Three coats come from three shops: the customer bought three coats, and the
    receipt (text, HTML) and the cancellation say so on one line each, while the
    order keeps a line per shop."""
    order = split_order(split, email="ada@example.com")
    assert order.lines.filter(sku="COAT-BLK-L").count() == 3
    deliver_outbox()
    (receipt,) = mail.outbox
    coats = [x for x in receipt.body.splitlines() if "COAT-BLK-L" in x]
    assert len(coats) == 1 and coats[0].strip().startswith("3 × ")
    assert "600.00 EUR" in coats[0]
    assert receipt.alternatives[0][0].count("COAT-BLK-L") == 1

    mail.outbox.clear()
    cancel_order(order=order, actor=staff[split.milano.pk], reason="Out of stock")
    deliver_outbox()
    (cancelled,) = mail.outbox
    coats = [x for x in cancelled.body.splitlines() if "COAT-BLK-L" in x]
    assert len(coats) == 1 and coats[0].strip().startswith("3 × ")
    assert order.lines.filter(sku="COAT-BLK-L").count() == 3
