"""Exchanges at the returns desk: the returned value pays the replacement.

Nothing completes on the first submit (a scanner's Enter, or a hurried tap): the desk
first shows both sides and the balance, and the exchange goes through only when the
associate confirms that same review."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib import messages
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone

from omnistore.approvals.services.approvals import ApprovalRequired
from omnistore.approvals.views import ask_manager, given_approvals
from omnistore.core.exceptions import ApplicationError
from omnistore.staff.auth import require_store, staff_required
from omnistore.staff.htmx import INVALID, add_service_error, redirect_to
from omnistore.staff.once import claim, give_back
from orders.models import PaymentMethod
from orders.selectors.returns import return_amount
from orders.selectors.sale import pickup_shops
from orders.services.exchanges import (
    ExchangeBalance,
    check_difference_tender,
    check_exchange_currency,
    check_replacement_stock,
    difference_tenders,
    difference_tenders_refused,
    exchange_balance,
    exchange_items,
    replacement_prices,
)
from orders.services.till import cash_refusal, sale_session
from orders.staff.forms.returns import ExchangeForm
from orders.staff.statuses import explain
from orders.staff.views.access import order_or_404
from orders.staff.views.returns import start_context
from orders.staff.views.till import device_counter, device_register

# What the review is a fingerprint of: everything posted but the tokens, the confirm
# and the manager's approvals (the reviewed form is sent again with them).
NOT_REVIEWED = {"csrfmiddlewaretoken", "confirm", "approval"}
# A refusal's field, as the exchange form names it.
FIELDS = {"replacement": "code_1", "gift_card": "gift_card_number"}


@dataclass
class ExchangeReview:
    """Both sides of an exchange and the balance as the exchange will book it
    (``exchange_balance``), before anything changes."""

    back: list = field(default_factory=list)  # (name, units, value)
    out: list = field(default_factory=list)  # (name, units, value)
    currency: str = ""
    key: str = ""
    split: ExchangeBalance | None = None
    tenders: list = field(default_factory=list)  # what pays the difference

    @property
    def gift_card(self) -> Decimal | None:
        """What the gift card pays of the difference, when one does."""
        paid = [t.amount for t in self.tenders if t.method == PaymentMethod.GIFT_CARD]
        return paid[0] if paid else None

    @property
    def rest(self) -> tuple[str, Decimal] | None:
        """The tender (its label) paying what the gift card is short by, and how
        much."""
        if self.gift_card is None or len(self.tenders) < 2:
            return None
        rest = self.tenders[-1]
        return PaymentMethod(rest.method).label, self.split.to_pay - self.gift_card

    @property
    def back_total(self) -> Decimal:
        return sum((value for _, _, value in self.back), Decimal("0.00"))

    @property
    def out_total(self) -> Decimal:
        return sum((value for _, _, value in self.out), Decimal("0.00"))

    @property
    def balance(self) -> Decimal:
        """Positive: the customer pays it; negative: it stays as store credit."""
        return self.split.to_pay - self.split.credit_left


def review_key(post) -> str:
    """A fingerprint of what was reviewed: a form changed after the review is shown
    again instead of being completed."""
    items = sorted(
        (k, v) for k in post if k not in NOT_REVIEWED for v in post.getlist(k)
    )
    return hashlib.sha256(repr(items).encode()).hexdigest()[:32]


def _review(order, lines, data, key: str, store, caller: str) -> ExchangeReview:
    """Both sides as the exchange will book them: the replacement at this shop's
    shelf prices (its price list), in its currency, and the difference's tenders
    as the exchange takes and checks them (a gift card's number, PIN and balance
    too, a wrong PIN counted against the card and ``caller``)."""
    by_id = {line.pk: line for line in lines}
    review = ExchangeReview(currency=order.currency, key=key)
    for request in data["lines"]:
        line = by_id[request.order_line]
        value = return_amount(line, before=line.returned, units=request.quantity)
        review.back.append((line.name, request.quantity, value))
    prices, currency = replacement_prices(data["replacement"], store, None)
    check_exchange_currency(order, currency)
    check_replacement_stock(data["replacement"], data["fulfilment"], store)
    for variant, units in data["replacement"]:
        review.out.append((variant.name, units, prices[variant.pk] * units))
    review.split = exchange_balance(
        order, returned=review.back_total, total=review.out_total
    )
    review.tenders = difference_tenders(
        review.split.to_pay,
        data["payments"],
        currency=currency,
        now=timezone.now(),
        caller=caller,
    )
    check_difference_tender(review.split, review.tenders, store)
    return review


def _check_cash_difference(request, store, review: ExchangeReview) -> None:
    """A difference the customer pays in cash (all of it, or what a gift card is
    short by) goes into this device's till: one that is not open (or in another
    currency) is said at the review, as completing the exchange would refuse it.
    Nothing to pay takes no cash (``difference_tenders``)."""
    if not any(t.method == PaymentMethod.CASH for t in review.tenders):
        return
    with device_counter(request, store):
        refusal = cash_refusal(
            location=store, actor=request.user, currency=review.currency
        )
    if refusal is not None:
        raise refusal


def _complete(request, order, store, form):
    """The exchange, every till booking of it (the replacement's sale, the points
    given back by its return) on this device's register, as the returns desk
    books its refunds (``device_counter``)."""
    data = form.cleaned_data
    with device_counter(request, store):
        result = exchange_items(
            order=order,
            lines=data["lines"],
            replacement=data["replacement"],
            location=store,
            actor=request.user,
            fulfilment=data["fulfilment"],
            pickup_store=data.get("store"),
            payments=data["payments"],
            override_reason=data.get("override_reason", ""),
            note=data.get("note", ""),
            till=sale_session(
                location=store,
                register=device_register(request, store),
                takes_cash=False,
            ),
            approvals=given_approvals(request),
            caller=_caller(request),
        )
    currency = order.currency
    text = (
        f"Exchange done: return {result.return_request.code}, new order "
        f"{result.order.number}. Store credit used {result.credit_used} {currency}"
    )
    if result.paid:
        text += f", paid {result.paid} {currency}"
    if result.as_points:
        text += f"; {result.as_points} {currency} back as loyalty points"
    if result.credit_left:
        text += f"; {result.credit_left} {currency} left as store credit"
    messages.success(request, text + ".")
    return redirect_to(
        request, reverse("staff:sale_receipt", args=[result.order.number])
    )


def _caller(request) -> str:
    """Who asks, for the gift card PIN lockout, as the counter sale names them."""
    return f"user:{request.user.pk}"


@staff_required
def return_exchange(request, number: str):
    """Swap items: the returned value pays the replacement (taken now or picked up at
    a shop); the customer pays any difference, and what is left stays as their store
    credit. Reviewed first, then all or nothing. Where the order cannot be exchanged
    here (``refund_here``: a warehouse, a shop selling in another currency) the page
    says why and a form sent anyway is refused before anything is read from it."""
    store = require_store(request)
    order = order_or_404(number)
    context = start_context(request, store, order)
    lines = context["form"].lines
    form = ExchangeForm(
        request.POST or None,
        lines=lines,
        needs_override=context["outside"],
        shops=pickup_shops(origin=store),
        refused_tenders=difference_tenders_refused(store),
    )
    context["form"] = form
    if request.method != "POST":
        return render(request, "orders/staff/returns/exchange.html", context)
    if context["refund_here"].exchange:
        messages.error(request, "Nothing was exchanged.")
        return render(
            request, "orders/staff/returns/exchange.html", context, status=INVALID
        )
    if form.is_valid():
        key = review_key(request.POST)
        if request.POST.get("confirm") != key:
            try:
                data = form.cleaned_data
                review = _review(order, lines, data, key, store, _caller(request))
                _check_cash_difference(request, store, review)
                context["review"] = review
            except ApplicationError as error:  # said at its field
                add_service_error(form, error, FIELDS)
            else:
                return render(request, "orders/staff/returns/exchange.html", context)
        elif claim(request, form):  # the confirmed review, taken once
            try:
                return _complete(request, order, store, form)
            except ApprovalRequired as error:
                give_back(request, form)  # sent again with the approval
                return ask_manager(request, error, wrapper_id="exchange-form")
            except ApplicationError as error:
                give_back(request, form)
                add_service_error(form, error, FIELDS, explain=explain)
    return render(
        request, "orders/staff/returns/exchange.html", context, status=INVALID
    )
