"""Sales by associate: what each associate helped sell in a period, for the store
managers of their shops (area managers, HQ: theirs).

A line credits the associate who helped (``OrderLine.helped_by``), else the cashier
who took the order (``Order.staff_member``); an online line through nobody's
wishlist link credits no one. What was sold and kept counts: not a cancelled order,
nor the lines of a split delivery's parts cancelled before they left. Returns are
those received back (received, refunded, closed) of the period's sales, credited
like the lines they return. Three queries whatever the volume: sales, returns,
names.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db.models import Count, F, Sum
from django.db.models.functions import Coalesce

from omnistore.accounts.scoping import scope_to_shops
from orders.models import OrderLine, OrderStatus, ReturnLine, ReturnStatus
from orders.selectors.vat import cancelled_part_lines

# A line belongs to a shop through the shop that took its order, through its own
# part of the order (the shop that ships it or hands it over: a split delivery's
# other parts are other shops' lines) or through the associate it credits (an
# online order through their wishlist link).
LINE_SHOP_PATHS = (
    "order__placing_location",
    "fulfilment__location",
    "fulfilment__pickup_location",
    "helped_by__store",
)
RETURNED = (ReturnStatus.RECEIVED, ReturnStatus.REFUNDED, ReturnStatus.CLOSED)
ZERO = Decimal("0.00")
CENT = Decimal("0.01")


def _money(value) -> Decimal:
    return Decimal(value or 0).quantize(CENT)


@dataclass
class AssociateSales:
    associate_id: int | None
    name: str
    store: str
    currency: str
    orders: int = 0
    units: int = 0
    sales: Decimal = ZERO
    returned_units: int = 0
    returned: Decimal = ZERO

    @property
    def net(self) -> Decimal:
        return self.sales - self.returned


@dataclass
class AssociateReport:
    rows: list[AssociateSales]
    totals: list[AssociateSales]  # one per currency


def _sold_lines(shop_ids, start: datetime, end: datetime):
    """The period's lines sold and kept: not those of a cancelled order, nor those
    of the parts cancelled before they left (refunded whole, never sold)."""
    lines = (
        OrderLine.objects.exclude(order__status=OrderStatus.CANCELLED)
        .exclude(pk__in=cancelled_part_lines().values("pk"))
        .filter(order__created_at__gte=start, order__created_at__lt=end)
    )
    return scope_to_shops(lines, LINE_SHOP_PATHS, shop_ids)


def _names(ids) -> dict[int, tuple[str, str]]:
    User = get_user_model()
    users = User.objects.filter(pk__in=[pk for pk in ids if pk]).select_related("store")
    return {u.pk: (u.display_name, u.store.name if u.store_id else "") for u in users}


def sales_by_associate(*, shop_ids, start: datetime, end: datetime) -> AssociateReport:
    """Per associate and currency: orders, units, sales (gross, after discounts),
    returns and net sales, biggest net first. ``shop_ids`` None: every shop."""
    lines = _sold_lines(shop_ids, start, end)
    credited = Coalesce(F("helped_by"), F("order__staff_member"))
    sold = (
        lines.annotate(credited=credited)
        .values("credited", "order__currency")
        .annotate(
            orders=Count("order", distinct=True),
            units=Sum("quantity"),
            sales=Sum("line_total"),
        )
        .order_by()
    )
    back = (
        ReturnLine.objects.filter(
            return_request__status__in=RETURNED,
            order_line__in=lines.values("pk"),
        )
        .annotate(
            credited=Coalesce(
                F("order_line__helped_by"), F("order_line__order__staff_member")
            )
        )
        .values("credited", "order_line__order__currency")
        .annotate(units=Sum("quantity"), amount=Sum("amount"))
        .order_by()
    )
    found: dict[tuple, AssociateSales] = {}
    sold, back = list(sold), list(back)
    names = _names({r["credited"] for r in sold} | {r["credited"] for r in back})

    def row(pk, currency) -> AssociateSales:
        if (pk, currency) not in found:
            name, store = names.get(pk, ("Online, no associate", ""))
            found[(pk, currency)] = AssociateSales(pk, name, store, currency)
        return found[(pk, currency)]

    for entry in sold:
        r = row(entry["credited"], entry["order__currency"])
        r.orders, r.units = entry["orders"], entry["units"] or 0
        r.sales = _money(entry["sales"])
    for entry in back:
        r = row(entry["credited"], entry["order_line__order__currency"])
        r.returned_units, r.returned = entry["units"] or 0, _money(entry["amount"])
    rows = sorted(found.values(), key=lambda r: (r.currency, -r.net, r.name))
    return AssociateReport(rows=rows, totals=_totals(rows))


def _totals(rows: list[AssociateSales]) -> list[AssociateSales]:
    totals: dict[str, AssociateSales] = {}
    for r in rows:
        total = totals.setdefault(
            r.currency, AssociateSales(None, "Total", "", r.currency)
        )
        total.orders += r.orders  # an order crediting two associates counts twice
        total.units += r.units
        total.sales += r.sales
        total.returned_units += r.returned_units
        total.returned += r.returned
    return list(totals.values())
