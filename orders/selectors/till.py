"""Reads of the till: a shop's registers, the open session of a register, what a
session holds (its ledger, its orders) and the Z report built from them."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db.models import (
    Count,
    DecimalField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    Subquery,
    Sum,
)

from inventory.markets import TaxTable, tax_table
from omnistore.core.channels import Channel
from omnistore.core.vat import format_vat_number
from orders.models import (
    CANCELLATION_REFUND,
    PARTS_CANCELLATION_REFUND,
    Order,
    OrderLine,
    OrderStatus,
    OrderTaxTotal,
    Payment,
    PaymentMethod,
    Register,
    TillMovement,
    TillMovementKind,
    TillSession,
    TillSessionStatus,
)
from orders.payments.registry import COUNTER_PROVIDERS
from orders.selectors.vat import seller_grouping, seller_of

ZERO = Decimal("0.00")
# The providers a counter takes money through itself: its drawer, its terminal.
COUNTER_PROVIDER_NAMES = frozenset(COUNTER_PROVIDERS.values())


def till_currency(location, table: TaxTable | None = None) -> str:
    """The money a shop's drawer holds: its market's currency, else the home one.
    ``table``: the markets already read, for many shops at once."""
    market = (table or tax_table()).market_of_location(location) if location else None
    return market.currency if market is not None else settings.OMNISTORE_CURRENCY


def _money_of(currency: str) -> dict[str, list[Decimal]]:
    table = settings.OMNISTORE_TILL_DENOMINATIONS
    return table.get(currency) or table[settings.OMNISTORE_CURRENCY]


def denominations(currency: str) -> list[Decimal]:
    """The notes and coins a drawer in ``currency`` is counted in, highest first."""
    money = _money_of(currency)
    return [*money["notes"], *money["coins"]]


def largest_note(currency: str) -> Decimal:
    """The highest note a drawer in ``currency`` is counted in. Change above it is
    never due: a customer hands over no note that the rest already covers."""
    return max(_money_of(currency)["notes"])


def cash_step(currency: str) -> Decimal:
    """The smallest coin a drawer in ``currency`` pays with (francs: 0.05)."""
    return max(min(_money_of(currency)["coins"], default=ZERO), Decimal("0.01"))


def cash_rounded(amount: Decimal, currency: str) -> Decimal:
    """``amount`` as the drawer's coins can pay it: to the nearest smallest coin,
    halves away from zero (Swiss rounding: 56.61 francs are 56.60 in cash, 56.63
    are 56.65). The order keeps its exact total; only the cash handed over is
    rounded, and the till books by how much (``TillMovement.rounding``)."""
    step = cash_step(currency)
    units = (Decimal(amount) / step).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return (units * step).quantize(ZERO)


def cash_paid_back(payment_id: int, owed: Decimal, currency: str) -> Decimal:
    """The coins paid out for a cash refund of ``owed`` (signed as the drawer moves:
    out is negative) on the payment: what its cash refunds come to with this one,
    rounded once (``cash_rounded``), less what its earlier ones paid. Units
    returned one at a time then give back what the sale took (10.03 three times:
    10.05, 10.00, 10.05), never a rounding in the customer's favour on each. One
    query."""
    before = TillMovement.objects.filter(
        kind=TillMovementKind.REFUND, refund__payment_id=payment_id
    ).aggregate(paid=Sum("amount"), rounded=Sum("rounding"))
    paid_before = before["paid"] or ZERO
    owed_before = paid_before - (before["rounded"] or ZERO)
    return (cash_rounded(owed_before + owed, currency) - paid_before).quantize(ZERO)


def in_coins(amount: Decimal, currency: str) -> bool:
    """Whether the drawer's notes and coins of ``currency`` make ``amount`` (francs:
    20.05 yes, 20.03 no, their smallest coin being 0.05)."""
    return not Decimal(amount) % cash_step(currency)


def coins_either_side(amount: Decimal, currency: str) -> tuple[Decimal, Decimal]:
    """The amounts next to ``amount`` that the drawer's coins make, below and above
    it (francs: 20.03 lies between 20.00 and 20.05)."""
    step = cash_step(currency)
    below = (Decimal(amount) // step) * step
    return below.quantize(ZERO), (below + step).quantize(ZERO)


def is_note(currency: str, value: Decimal) -> bool:
    return value in _money_of(currency)["notes"]


def counted_total(counts: Mapping[Decimal, int]) -> Decimal:
    """What a count by denomination is worth (units × face value, in Decimal)."""
    return sum(
        (Decimal(value) * int(units) for value, units in counts.items()), ZERO
    ).quantize(Decimal("0.01"))


def count_as_json(counts: Mapping[Decimal, int]) -> dict[str, int]:
    """A count kept on the session row: face value as text, units; empty ones left
    out."""
    return {str(value): int(units) for value, units in counts.items() if units}


def shop_registers(location):
    return Register.objects.filter(location=location, active=True).order_by("name")


def register_at(location, register_id) -> Register | None:
    """The shop's register with that id, or none (another shop's is none too)."""
    if not register_id:
        return None
    return shop_registers(location).filter(pk=register_id).first()


def open_session_of(register: Register | None) -> TillSession | None:
    if register is None:
        return None
    return (
        TillSession.objects.select_related("register", "opened_by")
        .filter(register=register, status=TillSessionStatus.OPEN)
        .first()
    )


def open_session_at(location, *, actor=None) -> TillSession | None:
    """The open session a refund at ``location`` is booked on when no device names
    its register (the admin, a task): the one the actor opened when there is one,
    else the latest opened at the shop. A counter device uses its own register's
    (``orders.services.till.at_counter``)."""
    sessions = TillSession.objects.filter(
        register__location=location, status=TillSessionStatus.OPEN
    ).order_by("-opened_at", "-id")
    if actor is not None and getattr(actor, "pk", None):
        mine = sessions.filter(opened_by=actor).first()
        if mine is not None:
            return mine
    return sessions.first()


def till_session(session_id) -> TillSession | None:
    """A session with its register's shop and who opened, closed and approved it,
    or none; who may read it is the caller's rule (the Z report's)."""
    return (
        TillSession.objects.select_related(
            "register__location__legal_entity",
            "opened_by",
            "closed_by",
            "approved_by",
        )
        .filter(pk=session_id)
        .first()
    )


def shop_sessions(location, *, limit: int = 10):
    return TillSession.objects.select_related(
        "register", "opened_by", "closed_by", "approved_by"
    ).filter(register__location=location)[:limit]


def session_movements(session: TillSession):
    return (
        TillMovement.objects.filter(session=session)
        .select_related("actor", "order")
        .order_by("created_at", "id")
    )


@dataclass(frozen=True)
class TillLine:
    """A booking as it reads: the cash it moved the drawer by (``None``: it took or
    gave back no cash) and the money it stood for in other tenders, by label (a card
    sale, a refund to the card), signed as the money moved. A counter sale or refund
    is booked whatever its tender so the session knows it (its Z report lists it by
    tender); only ``cash`` is ever in the drawer."""

    movement: TillMovement
    cash: Decimal | None
    tenders: list[tuple[str, Decimal]] = field(default_factory=list)

    @property
    def cancelled_order(self) -> str:
        """The number of the order a cancellation's refund paid back (the whole
        order's, or that of its parts not shipped), unless its reason (the
        cancellation's) names it already: a sale's reason names its order, a
        return's refund its return. No query (``till_lines`` loads both)."""
        m = self.movement
        if not (m.refund_id and m.order_id):
            return ""
        cancelled = (CANCELLATION_REFUND, PARTS_CANCELLATION_REFUND)
        if not m.refund.reference.startswith(cancelled):
            return ""
        return "" if m.order.number in m.reason else m.order.number


def counter_takes(*, method: str, provider: str, channel: str) -> bool:
    """Whether a payment (by ``method`` through ``provider``, on an order of
    ``channel``) is money a shop counter handles, so that its refund there is the
    till's: cash (the drawer), a card or wallet on a shop's terminal, and every
    tender of a sale rung up at a counter (a store order, as its till books its
    sales). An online order's card, wallet, gift card or credit goes back through
    its provider wherever it is refunded: no drawer gave it back."""
    return (
        method == PaymentMethod.CASH
        or provider in COUNTER_PROVIDER_NAMES
        or channel == Channel.STORE
    )


def till_line(m: TillMovement) -> TillLine:
    """One booking as it reads (its refund's payment, its store credit and its
    order's payments loaded with it: ``till_lines`` does); a refund named by where
    its money went (``Refund.given_as``; store credit given for goods brought back,
    which moved no cash)."""
    if m.kind == TillMovementKind.REFUND and m.store_credit_id:
        credit = [(PaymentMethod.STORE_CREDIT.label, -m.store_credit.amount)]
        return TillLine(m, None, credit)
    if m.kind == TillMovementKind.REFUND and m.refund_id:
        refund = m.refund
        if refund.payment.method == PaymentMethod.CASH:
            return TillLine(m, m.amount)
        other = [(refund.get_given_as_display(), -refund.amount)]
        return TillLine(m, m.amount or None, other)
    if m.kind == TillMovementKind.SALE and m.order_id:
        payments = m.order.payments.all()
        took_cash = any(p.method == PaymentMethod.CASH for p in payments)
        other = _by_tender(
            (p.method, p.amount) for p in payments if p.method != PaymentMethod.CASH
        )
        in_cash = took_cash or m.amount or not other  # a sale of nothing: 0.00
        return TillLine(m, m.amount if in_cash else None, other)
    return TillLine(m, m.amount)


def till_lines(movements) -> list[TillLine]:
    """``movements`` (a queryset of bookings) as they read, in its order: two
    queries, whatever their number."""
    rows = movements.select_related("refund__payment", "store_credit").prefetch_related(
        "order__payments"
    )
    return [till_line(m) for m in rows]


def _cash_rows(session: TillSession):
    """The session's bookings summed by kind: the cash, what it was rounded by and
    how many bookings were rounded."""
    return (
        TillMovement.objects.filter(session=session)
        .values("kind")
        .annotate(rounded=Count("pk", filter=~Q(rounding=0)))
        .annotate(total=Sum("amount"), rounding=Sum("rounding"))
    )


def _totals(rows) -> dict[str, Decimal]:
    totals = dict.fromkeys(TillMovementKind.values, ZERO)
    for row in rows:
        totals[row["kind"]] = Decimal(row["total"] or 0).quantize(ZERO)
    return totals


def cash_totals(session: TillSession) -> dict[str, Decimal]:
    """The session's cash by movement kind, each signed as it moved the drawer."""
    return _totals(_cash_rows(session))


def _drawer_sum(totals: Mapping[str, Decimal]) -> Decimal:
    """Float + cash sales − cash refunds + cash in − cash out (each signed as it
    moved the drawer): every kind but the close's adjustment."""
    return sum(
        (v for k, v in totals.items() if k != TillMovementKind.CLOSE_ADJUSTMENT), ZERO
    )


def expected_cash(session: TillSession) -> Decimal:
    """The cash the drawer should hold: the ledger's sum before the close."""
    return _drawer_sum(cash_totals(session))


def sale_booking(order: Order) -> TillMovement | None:
    """The till booking of a counter sale (cash tendered and change), if any."""
    return (
        TillMovement.objects.filter(order=order, kind=TillMovementKind.SALE)
        .select_related("session__register")
        .first()
    )


@dataclass(frozen=True)
class VatAtRate:
    """The session's sales at one VAT rate (percent) of one seller in one country:
    net, VAT and gross. ``seller`` and ``seller_vat_number`` as on its documents
    ("" for orders sold without a seller on record), ``country`` where the VAT is
    due."""

    seller: str
    seller_vat_number: str
    country: str
    rate: Decimal
    net: Decimal
    tax: Decimal
    gross: Decimal


@dataclass
class ZReport:
    """The end-of-session report: what was sold (voids included) and given back at
    its counter, by tender (a refund by where its money went; store credit given
    for goods brought back as store credit), VAT by seller, country and rate (from
    the orders' per-rate totals, as sold), the shop's own sales voided through the
    till, and the drawer's count. ``counter_prices``: what prices set at the counter
    took off its sales' shelf prices (shelf price − price sold, × units, of the lines
    sold below it), beside ``discounts`` (the codes'). ``sales_rounding`` and
    ``refunds_rounding``: what its cash sales and its cash refunds were rounded by
    to the drawer's smallest coin, apart (in its cash sales and refunds already,
    beside the exact money of the tenders), ``rounded`` when any cash was (the two
    may cancel out). ``online_refunds``: online payments refunded here that the
    session booked before such refunds were kept off the till, apart: no drawer
    gave them back."""

    session: TillSession
    currency: str
    orders: int = 0
    sales_by_tender: list[tuple[str, Decimal]] = field(default_factory=list)
    sales_total: Decimal = ZERO
    refunds_by_tender: list[tuple[str, Decimal]] = field(default_factory=list)
    refunds_total: Decimal = ZERO
    online_refunds: list[tuple[str, Decimal]] = field(default_factory=list)
    online_refunds_total: Decimal = ZERO
    discounts: Decimal = ZERO
    counter_prices: Decimal = ZERO
    voids: list[Order] = field(default_factory=list)
    voids_total: Decimal = ZERO
    first_receipt: str = ""
    last_receipt: str = ""
    cash: dict[str, Decimal] = field(default_factory=dict)
    sales_rounding: Decimal = ZERO
    refunds_rounding: Decimal = ZERO
    rounded: bool = False
    expected: Decimal = ZERO
    vat: list[VatAtRate] = field(default_factory=list)


def _by_tender(rows) -> list[tuple[str, Decimal]]:
    labels = dict(PaymentMethod.choices)
    totals: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for method, amount in rows:
        totals[method] += amount
    return [(labels.get(m, m), totals[m]) for m in sorted(totals)]


def vat_by_rate(orders: list[Order], *, shop) -> list[VatAtRate]:
    """The orders' VAT summed per seller, country and rate (one query): two
    companies' or two countries' VAT is never added up, as each company files its
    own return (``seller_grouping``, as the VAT ledger keeps them). First the
    company selling at ``shop`` (the till's) in the shop's country, then its VAT
    due elsewhere, then the other sellers' (those without one on record last);
    highest rate first within each. Orders sold before VAT was recorded have no
    per-rate totals and add nothing."""
    rows = (
        OrderTaxTotal.objects.filter(order__in=orders)
        .values(*seller_grouping(), "rate")
        .annotate(net=Sum("net"), tax=Sum("tax"), gross=Sum("gross"))
        .order_by()
    )
    vat = []
    for row in rows:
        seller, vat_number, country = seller_of(row)
        amounts = (
            Decimal(row[k]).quantize(ZERO) for k in ("rate", "net", "tax", "gross")
        )
        vat.append(VatAtRate(seller, vat_number, country, *amounts))
    entity = shop.legal_entity
    own_seller = format_vat_number(entity.vat_number if entity else "")
    return sorted(
        vat,
        key=lambda v: (
            v.seller_vat_number != own_seller,
            v.country != shop.country,
            not v.seller,
            v.seller,
            v.seller_vat_number,
            v.country,
            -v.rate,
        ),
    )


def _void_bookings():
    """The till's bookings of a cancelled order's refunds: the money of a void."""
    return TillMovement.objects.filter(
        kind=TillMovementKind.REFUND, refund__reference__startswith=CANCELLATION_REFUND
    )


def _add_sales(report: ZReport, sold: list[Order]) -> None:
    """Every sale booked on the session as it was sold: a sale voided since stays a
    sale of its session (its void is a refund, where the money went back)."""
    report.orders = len(sold)
    report.discounts = sum((o.discount_total for o in sold), ZERO)
    off = (Decimal(o.counter_markdown or 0).quantize(ZERO) for o in sold)
    report.counter_prices = sum(off, ZERO)
    if sold:
        report.first_receipt, report.last_receipt = sold[0].number, sold[-1].number
    payments = Payment.objects.filter(order__in=sold).values_list("method", "amount")
    report.sales_by_tender = _by_tender(payments)
    report.sales_total = sum((a for _, a in report.sales_by_tender), ZERO)
    shop = report.session.register.location
    report.vat = vat_by_rate(sold, shop=shop) if sold else []


def _counter_markdown():
    """What prices set at the counter took off an order's shelf prices, for the
    order's row (none: a null): shelf price − price sold, × units, of its lines sold
    below their shelf price."""
    off = ExpressionWrapper(
        (F("shelf_price") - F("unit_price")) * F("quantity"),
        output_field=DecimalField(max_digits=12, decimal_places=2),
    )
    lines = (
        OrderLine.objects.filter(order=OuterRef("pk"), shelf_price__gt=F("unit_price"))
        .values("order")
        .annotate(off=Sum(off))
        .values("off")
    )
    return Subquery(lines, output_field=DecimalField(max_digits=12, decimal_places=2))


def _add_rounding(report: ZReport, rows) -> None:
    """What the session's cash sales and its cash refunds were rounded by, each
    apart (``rows``: its bookings by kind): a sale's and a refund's rounding may
    cancel out, and both still moved the drawer."""
    for row in rows:
        rounding = Decimal(row["rounding"] or 0).quantize(ZERO)
        if row["kind"] == TillMovementKind.SALE:
            report.sales_rounding = rounding
        elif row["kind"] == TillMovementKind.REFUND:
            report.refunds_rounding = rounding
    report.rounded = any(row["rounded"] for row in rows)


def _refund_bookings(session: TillSession):
    """The session's refund bookings as the Z report reads them (one query): a
    payment's refund with its payment and order, or the store credit its counter
    gave for goods brought back; in the drawer's currency, never two added."""
    currency = session.currency
    return (
        TillMovement.objects.filter(session=session, kind=TillMovementKind.REFUND)
        .filter(
            Q(refund__payment__currency=currency) | Q(store_credit__currency=currency)
        )
        .values(
            "refund__given_as",
            "refund__amount",
            "refund__reference",
            "refund__payment__order_id",
            "refund__payment__method",
            "refund__payment__provider",
            "refund__payment__order__channel",
            "refund__payment__order__placing_location_id",
            "store_credit__amount",
            shop=F("session__register__location_id"),
        )
        .order_by("created_at", "id")
    )


def _add_refunds(report: ZReport, refunds: list[dict]) -> set[int]:
    """The refunds the session's counter gave back (``counter_takes``, and the
    store credit it gave for goods brought back), by where their money went, apart
    from online payments refunded here (booked before they were kept off the till);
    the orders whose cancellation it paid back that are the shop's own counter
    sales: its voids."""
    here, online, voided = [], [], set()
    for row in refunds:
        if row["store_credit__amount"] is not None:
            here.append((PaymentMethod.STORE_CREDIT, row["store_credit__amount"]))
            continue
        payment = {
            "method": row["refund__payment__method"],
            "provider": row["refund__payment__provider"],
            "channel": row["refund__payment__order__channel"],
        }
        given = (row["refund__given_as"], row["refund__amount"])
        if not counter_takes(**payment):
            online.append(given)
            continue
        here.append(given)
        own_sale = payment["channel"] == Channel.STORE and (
            row["refund__payment__order__placing_location_id"] == row["shop"]
        )
        if own_sale and row["refund__reference"].startswith(CANCELLATION_REFUND):
            voided.add(row["refund__payment__order_id"])
    report.refunds_by_tender = _by_tender(here)
    report.refunds_total = sum((a for _, a in report.refunds_by_tender), ZERO)
    report.online_refunds = _by_tender(online)
    report.online_refunds_total = sum((a for _, a in report.online_refunds), ZERO)
    return voided


def _voided_unpaid(session: TillSession, sold: list[Order]) -> list[Order]:
    """The session's own sales cancelled before its close with nothing given back at
    any till (a card authorisation released, a refund booked on no till)."""
    closed_at = session.closed_at
    return [
        o
        for o in sold
        if o.status == OrderStatus.CANCELLED
        and not o.void_booked
        and (closed_at is None or o.cancelled_at is None or o.cancelled_at <= closed_at)
    ]


def _add_voids(report: ZReport, sold: list[Order], voided_here: set[int]) -> None:
    """The orders cancelled through this till: the shop's counter sales whose
    refunds it booked (sold in this session or an earlier one) and its own sales
    voided with nothing to pay back; each at the total it was sold for."""
    voids = {o.pk: o for o in _voided_unpaid(report.session, sold)}
    sold_here = {o.pk: o for o in sold}
    voids.update({pk: sold_here[pk] for pk in voided_here if pk in sold_here})
    earlier = voided_here - set(sold_here)
    if earlier:
        voids.update({o.pk: o for o in Order.objects.filter(pk__in=earlier)})
    report.voids = sorted(voids.values(), key=lambda o: (o.created_at, o.pk))
    report.voids_total = sum((o.total for o in report.voids), ZERO)


def z_report(session: TillSession) -> ZReport:
    """The Z report, read only from what the session booked (its sales, its refunds,
    its cash) and from rows that never change once written (payments as taken, VAT
    per rate as sold, refunds): a closed session's report stays what it was at the
    close, whatever happens to its orders later. A sale counts in the session that
    took it, a refund or a void in the session whose till gave it back, so float +
    cash sales − cash refunds + cash in − cash out is the expected cash (store
    credit given moves no cash). At most six queries: the sales, their payments,
    their VAT, the refunds (store credit given included), the orders voided here
    that an earlier session sold, the cash by kind (and the till's shop and its
    seller, for a session read without them: ``till_session`` reads them)."""
    report = ZReport(session=session, currency=session.currency)
    sold = list(
        Order.objects.filter(
            till_movements__session=session,
            till_movements__kind=TillMovementKind.SALE,
        )
        .annotate(
            void_booked=Exists(_void_bookings().filter(order=OuterRef("pk"))),
            counter_markdown=_counter_markdown(),
        )
        .order_by("created_at", "id")
    )
    _add_sales(report, sold)
    refunds = list(_refund_bookings(session))
    _add_voids(report, sold, _add_refunds(report, refunds))
    rows = list(_cash_rows(session))
    report.cash = _totals(rows)
    _add_rounding(report, rows)
    report.expected = _drawer_sum(report.cash)
    return report
