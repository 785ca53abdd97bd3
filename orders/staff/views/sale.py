"""The assisted sale at the counter, with the endless aisle: the basket, the customer,
a discount code and checkout (carried out now, delivered home or picked up at a shop);
with the customer on the phone, a phone order (``sale_channel``).

The sale basket is a store-channel cart kept by its token in the session, so the cart
services validate every line and checkout converts it exactly once.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.contrib import messages
from django.db.models import prefetch_related_objects
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from customers.models import Customer, IdentityKind
from customers.selectors.identities import resolve_customer
from customers.selectors.sizes import customer_sizes
from inventory import selectors as inventory_selectors
from omnistore.core.exceptions import (
    ApplicationError,
    InsufficientStock,
    NotFound,
)
from omnistore.staff.auth import require_store, staff_required
from omnistore.staff.htmx import (
    INVALID,
    add_service_error,
    is_partial,
    place_service_error,
    redirect_to,
)
from orders.models import FulfilmentMethod
from orders.selectors.attribution import helper_names
from orders.selectors.carts import cart_lines
from orders.selectors.sale import basket_sources, pickup_shops
from orders.selectors.taxes import shop_prices
from orders.services.carts import (
    add_cart_lines,
    remove_cart_line,
    set_cart_line_quantity,
)
from orders.services.checkout import LineRequest, place_order
from orders.services.discounts import preview_discount
from orders.services.giftcard_sales import cards_total
from orders.services.staff_sale import StaffSale
from orders.services.till import TillBooking, counter_sale_session
from orders.staff.forms.sale import (
    CustomerForm,
    DeliveryForm,
    DeliveryWaiverForm,
    DiscountForm,
    LineQuantityForm,
    PaymentForm,
    PickupStoreForm,
    ScanForm,
)
from orders.staff.statuses import explain
from orders.staff.views import sale_delivery
from orders.staff.views.access import region
from orders.staff.views.basket import BasketRow, counter_prices, helpers, not_priced
from orders.staff.views.card_present import start_card_payment
from orders.staff.views.sale_approvals import outgrown_approvals
from orders.staff.views.sale_channel import (
    channel_blockers,
    needs_customer,
    offered_modes,
    on_the_phone,
    sale_channel,
)
from orders.staff.views.sale_state import (
    AT_THE_COUNTER,
    CUSTOMER_KEY,
    DISCOUNT_KEY,
    MODE_KEY,
    TERMINAL_KEY,
    WAIVER_KEY,
    card_not_waiting,
    card_shown,
    drop_waiver,
    end_sale,
    sale_cart,
    sale_gift_cards,
)
from orders.staff.views.till import device_register, register_choice

MODES = {
    FulfilmentMethod.CARRY_OUT: "Take now",
    FulfilmentMethod.DELIVERY: "Deliver home",
    FulfilmentMethod.PICKUP: "Pick up at a shop",
}


# The customer attribute an identity fills, which is also place_order's argument.
IDENTITY_FIELD = {
    IdentityKind.PHONE: "phone",
    IdentityKind.EMAIL: "email",
    IdentityKind.LOYALTY: "loyalty_number",
}


def _basket(store, cart, *, request=None, country: str = "") -> dict:
    """Lines with units available here and elsewhere, and their pictures: three
    queries. With ``request``, the discount code applied to the sale is priced too
    (what it takes off now, or why it no longer applies), in the sale's currency;
    checkout claims it. Gift cards alone leave it out: a code takes nothing off
    them, so it is neither shown nor sent to checkout. Delivered home (to
    ``country``, else the shop's), the delivery fee is added to pay, unless the
    sale waived it (``with_delivery``)."""
    lines = cart_lines(cart) if cart is not None else []
    prefetch_related_objects(
        [line.variant.product for line in lines], inventory_selectors.images_prefetch()
    )
    availability = inventory_selectors.availability_here_and_elsewhere(
        variant_ids=[line.variant_id for line in lines], location=store
    )
    currency, prices = shop_prices(
        store, [line.variant for line in lines], timezone.localdate()
    )
    rows = [
        BasketRow(
            line,
            *availability[line.variant_id],
            prices.get(line.variant_id),  # None: not sold at this shop
        )
        for line in lines
    ]
    names = helper_names(line.helped_by_id for line in lines)
    for row in rows:
        row.helper = names.get(row.line.helped_by_id, "")
    total = sum((r.line_total for r in rows if r.price is not None), Decimal("0.00"))
    basket = {
        "rows": rows,
        "total": total,
        "units": sum(line.quantity for line in lines),  # and one per gift card sold
        "short_here": [row for row in rows if row.short],
        "not_priced": not_priced(rows, currency),
        "wanted": {line.variant_id: line.quantity for line in lines},
        "currency": currency,
        "discount_code": "",
        "discount": Decimal("0.00"),
        "discount_error": "",
        "to_pay": total,
        "prices": counter_prices(rows),
        "gift_cards": sale_gift_cards(request) if request is not None else [],
    }
    basket["to_pay"] += cards_total(basket["gift_cards"])
    basket["units"] += len(basket["gift_cards"])
    code = request.session.get(DISCOUNT_KEY, "") if request is not None else ""
    if code and rows:
        basket["discount_code"] = code
        try:
            discount = _preview_discount(request, code, total, currency)
        except ApplicationError as error:
            basket["discount_error"] = error.message
        else:
            basket.update(discount=discount, to_pay=basket["to_pay"] - discount)
    basket["items_to_pay"] = basket["to_pay"]  # the basket's own, before delivery
    if request is None:
        return basket
    mode = _mode(request)
    return sale_delivery.with_delivery(
        basket,
        mode=mode,
        country=country or sale_delivery.prefilled_country(request, store, mode),
        staff=request.user,
        buyer=_checkout_customer(request),
        waiver=request.session.get(WAIVER_KEY),
        customer_id=(_sale_customer(request) or {}).get("customer_id"),
    )


def _preview_discount(request, code: str, subtotal: Decimal, currency: str) -> Decimal:
    customer_id = (_sale_customer(request) or {}).get("customer_id")
    return preview_discount(
        code=code,
        subtotal=subtotal,
        customer=Customer(pk=customer_id) if customer_id else None,
        channel=sale_channel(request),
        currency=currency,
    )


def _mode(request, value=None) -> str:
    """How the basket leaves the shop; kept with the basket until the sale ends."""
    if value in MODES:
        request.session[MODE_KEY] = value
        return value
    kept = request.session.get(MODE_KEY)
    return kept if kept in MODES else FulfilmentMethod.CARRY_OUT


def _sources(store, basket: dict, mode: str) -> list:
    """Where the basket's items are, when they may leave from elsewhere (one query)."""
    if not basket["rows"] or (
        mode == FulfilmentMethod.CARRY_OUT and not basket["short_here"]
    ):
        return []
    sources = basket_sources(wanted=basket["wanted"], origin=store)
    for source in sources:
        source.per_line = [
            (row.line.variant.sku, source.units.get(row.line.variant_id, 0))
            for row in basket["rows"]
        ]
    return sources


def _sale_customer(request) -> dict | None:
    return request.session.get(CUSTOMER_KEY)


def sale_sizes(request) -> list:
    """The sizes the attached customer takes ("usually M in Knitwear"), for the
    associate bringing items: three queries, none without a known customer."""
    customer_id = (_sale_customer(request) or {}).get("customer_id")
    if not customer_id:
        return []
    try:
        return customer_sizes(resolve_customer(customer_id))
    except NotFound:
        return []


def _pickup_form(store, sources, data=None) -> PickupStoreForm:
    return PickupStoreForm(
        data,
        shops=pickup_shops(origin=store),
        complete={s.location.pk for s in sources if s.has_all},
    )


def _checkout_context(
    request,
    store,
    basket: dict,
    mode: str,
    *,
    sources=None,
    payment_form=None,
    delivery_form=None,
    pickup_form=None,
    errors=None,
) -> dict:
    sources = _sources(store, basket, mode) if sources is None else sources
    if mode == FulfilmentMethod.DELIVERY and delivery_form is None:
        delivery_form = sale_delivery.prefilled_delivery_form(request, store)
    if mode == FulfilmentMethod.PICKUP and pickup_form is None:
        pickup_form = _pickup_form(store, sources)
    return {
        "store": store,
        "basket": basket,
        "mode": mode,
        "modes": offered_modes(request, MODES),
        "on_the_phone": on_the_phone(request),
        "sources": sources,
        "payment_form": payment_form or _payment_form(request, basket),
        "register_form": register_choice(request, store),
        "delivery_form": delivery_form,
        "saved_addresses": sale_delivery.address_choices(request, mode),
        "pickup_form": pickup_form,
        "checkout_errors": errors or [],
        "sale_customer": _sale_customer(request),
        "sale_sizes": sale_sizes(request),
        "waiver_form": DeliveryWaiverForm(),
    }


@staff_required
@AT_THE_COUNTER
def sale(request):
    store = require_store(request)
    waiting = request.session.get(TERMINAL_KEY)
    if waiting:  # the card is out: the counter waits for it
        return redirect("staff:sale_terminal", reference=waiting)
    mode = _mode(request, request.GET.get("mode"))
    basket = _basket(store, sale_cart(request), request=request)
    context = {
        "scan_form": ScanForm(),
        "customer_form": CustomerForm(region=region(store)),
        "discount_form": DiscountForm(),
        **_checkout_context(request, store, basket, mode),
    }
    return render(request, "orders/staff/sale.html", context)


def _render_basket(
    request,
    store,
    *,
    scan_form=None,
    discount_form=None,
    errors=(),
    status=200,
    cart=None,
    gift_card_open=False,
    price_edit=None,
):
    """The basket, and out of band the checkout total and where the items are.
    ``gift_card_open`` keeps the gift card form open for its own errors;
    ``price_edit`` re-opens one line's price editor with what was typed and why it
    was refused."""
    if not is_partial(request):
        problems = list(errors) + list((price_edit or {}).get("errors", []))
        for form in (scan_form, discount_form):
            if form is not None:
                problems += [e for field in form.errors.values() for e in field]
        for problem in problems:
            messages.error(request, problem)
        return redirect("staff:sale")
    cart = cart if cart is not None else sale_cart(request)
    basket = _basket(store, cart, request=request)
    mode = _mode(request)
    context = {
        "store": store,
        "basket": basket,
        "mode": mode,
        "sources": _sources(store, basket, mode),
        "scan_form": scan_form or ScanForm(),
        "discount_form": discount_form or DiscountForm(),
        "basket_errors": list(errors),
        "gift_card_open": gift_card_open,
        "price_edit": price_edit,
        "oob": True,
        "waiver_form": DeliveryWaiverForm(),
    }
    return render(request, "orders/staff/_basket.html", context, status=status)


# The basket again (HTMX) or the sale page, for the other basket views.
render_basket = _render_basket


@staff_required
@require_POST
@AT_THE_COUNTER
def sale_add(request):
    """A scan adds one unit (or the units typed); the same item again adds up."""
    store = require_store(request)
    form = ScanForm(request.POST)
    cart = None
    if form.is_valid():
        cart = sale_cart(request, create=True)
        try:
            add_cart_lines(
                cart=cart,
                lines=[(form.cleaned_data["code"].pk, form.cleaned_data["quantity"])],
            )
        except ApplicationError as error:
            add_service_error(form, error, {"variant": "code"}, explain=explain)
        else:
            drop_waiver(request)  # other goods than a fee waived was for
            return _render_basket(request, store, cart=cart)
    return _render_basket(request, store, scan_form=form, status=INVALID, cart=cart)


@staff_required
@require_POST
@AT_THE_COUNTER
def sale_line(request, line_id: int):
    """Change a line's units; zero removes it."""
    store = require_store(request)
    cart = sale_cart(request)
    if cart is None:
        raise Http404("No basket.")
    form = LineQuantityForm(request.POST)
    errors: list[str] = []
    if form.is_valid():
        quantity = form.cleaned_data["quantity"]
        try:
            if quantity == 0:
                remove_cart_line(cart=cart, line_id=line_id)
            else:
                set_cart_line_quantity(cart=cart, line_id=line_id, quantity=quantity)
        except NotFound:
            raise Http404("No such line.") from None
        except ApplicationError as error:
            errors = place_service_error([], error, explain=explain)
        else:
            drop_waiver(request)
    else:
        errors = [f"Units: {e}" for e in form.errors.get("quantity", [])]
    return _render_basket(
        request, store, errors=errors, status=INVALID if errors else 200, cart=cart
    )


@staff_required
@require_POST
@card_not_waiting
def sale_clear(request):
    """Start over: the basket and the customer are dropped. Also where no sale can
    be made (a warehouse the device was left at when its shop closed): the basket
    goes, and with it what kept the device there (a fee waived: its yes withdrawn)."""
    drop_waiver(request)
    end_sale(request)
    messages.success(request, "Basket cleared.")
    if not require_store(request).is_shop:
        return redirect_to(request, reverse("staff:dashboard"))
    return redirect_to(request, reverse("staff:sale"))


def _checkout_customer(request) -> dict:
    customer = _sale_customer(request)
    if not customer:
        return {}
    return {
        IDENTITY_FIELD[customer["kind"]]: customer["value"],
        "first_name": customer.get("first_name", ""),
        "last_name": customer.get("last_name", ""),
    }


@dataclass
class CheckoutForms:
    """The forms a checkout posts: payment always, an address for delivery, a shop for
    pickup (with the sources it was chosen from)."""

    payment: PaymentForm
    delivery: DeliveryForm | None = None
    pickup: PickupStoreForm | None = None
    sources: list | None = None

    @property
    def all(self) -> list:
        return [f for f in (self.payment, self.delivery, self.pickup) if f is not None]


def _payment_form(request, basket: dict, data=None) -> PaymentForm:
    """Cash is counted out in the basket's currency's coins (``PaymentForm``); a
    customer on the phone pays with what needs nobody at the counter; store credit
    and points open once the customer's card was shown (``card_shown``); a gift
    card's wrong PIN counts against the associate (``caller``), as at checkout."""
    return PaymentForm(
        data,
        total=basket["to_pay"],
        currency=basket["currency"],
        remote=on_the_phone(request),
        card_shown=card_shown(request),
        caller=f"user:{request.user.pk}",
    )


def _checkout_forms(
    request, store, basket: dict, mode: str, delivery: DeliveryForm | None
) -> CheckoutForms:
    forms_ = CheckoutForms(_payment_form(request, basket, request.POST), delivery)
    if mode == FulfilmentMethod.PICKUP:
        forms_.sources = _sources(store, basket, mode)
        forms_.pickup = _pickup_form(store, forms_.sources, request.POST)
    return forms_


def _checkout_blockers(request, store, basket: dict, mode: str) -> list[str]:
    """What stops a checkout before any service is asked: an empty basket or a line
    not priced here (``not_priced``), a phone order taken now, a delivery, pickup
    or phone order with no customer to tell when it ships or is ready, or a basket
    grown past what a manager approved (``outgrown_approvals``)."""
    errors = outgrown_approvals(request, store, basket)
    errors += [basket["not_priced"]] if basket["not_priced"] else []
    if not basket["rows"] and not basket["gift_cards"]:
        errors.append("The basket is empty: scan an item first.")
    errors += channel_blockers(request, mode)
    if needs_customer(request, mode) and not _sale_customer(request):
        errors.append(
            "Attach the customer first: they are told when the order ships or is ready."
        )
    return errors


def _place_sale(
    request, store, cart, basket: dict, mode: str, forms_: CheckoutForms, till
):
    """The sale as one order through ``place_order``: keyed by the cart's token, so a
    double submit places it once; booked on the device's open ``till`` (with the
    cash tendered and the change) in the same transaction."""
    return place_order(
        lines=[
            LineRequest(row.line.variant, row.line.quantity) for row in basket["rows"]
        ],
        channel=sale_channel(request),
        fulfilment=mode,
        pickup_store=forms_.pickup.cleaned_data["store"] if forms_.pickup else None,
        address=forms_.delivery.address if forms_.delivery else None,
        payments=forms_.payment.cleaned_data["tenders"],
        placing_location=store,
        staff=request.user,
        idempotency_key=f"sale:{cart.token}",
        discount_code=basket["discount_code"],
        cart=cart,
        till=TillBooking(till, forms_.payment.cleaned_data.get("tendered")),
        helped_by=helpers(basket["rows"]),
        caller=f"user:{request.user.pk}",
        staff_sale=StaffSale(
            basket["prices"], basket["gift_cards"], basket["delivery_waiver"]
        ),
        **_checkout_customer(request),
    )


def _refusal_messages(error: ApplicationError, forms_: CheckoutForms, mode: str):
    """A refused sale's messages; short stock on a take-now sale says it can still be
    delivered or picked up elsewhere."""
    errors = place_service_error(forms_.all, error, explain=explain)
    if isinstance(error, InsufficientStock) and mode == FulfilmentMethod.CARRY_OUT:
        errors.append(
            "The customer can still have it: deliver home or pick up at a shop."
        )
    return errors


def _render_refused_checkout(request, store, basket, mode, forms_, errors):
    """The checkout again with its errors (422): the panel alone for HTMX, else the
    whole sale page."""
    context = _checkout_context(
        request,
        store,
        basket,
        mode,
        sources=forms_.sources,
        payment_form=forms_.payment,
        delivery_form=forms_.delivery,
        pickup_form=forms_.pickup,
        errors=errors,
    )
    if is_partial(request):
        context["partial"] = True
        return render(request, "orders/staff/_checkout.html", context, status=INVALID)
    context.update(
        scan_form=ScanForm(),
        customer_form=CustomerForm(region=region(store)),
        discount_form=DiscountForm(),
    )
    return render(request, "orders/staff/sale.html", context, status=INVALID)


@staff_required
@AT_THE_COUNTER
def sale_checkout(request):
    """Take the payment and place the order: carried out now, delivered home or
    picked up at a shop (the endless aisle). Refused as a whole, nothing changed."""
    store = require_store(request)
    data = request.POST if request.method == "POST" else request.GET
    mode = _mode(request, data.get("mode"))
    if request.method != "POST":
        if not is_partial(request):
            return redirect(f"{reverse('staff:sale')}?mode={mode}")
        basket = _basket(store, sale_cart(request), request=request)
        context = {**_checkout_context(request, store, basket, mode), "partial": True}
        return render(request, "orders/staff/_checkout.html", context)

    cart = sale_cart(request)
    delivery = DeliveryForm(request.POST) if mode == FulfilmentMethod.DELIVERY else None
    country = sale_delivery.delivery_country(store, delivery)
    basket = _basket(store, cart, request=request, country=country)
    forms_ = _checkout_forms(request, store, basket, mode, delivery)
    errors = _checkout_blockers(request, store, basket, mode)
    checked = [f.is_valid() for f in forms_.all]  # every form, so all errors show
    if all(checked) and not errors:
        try:
            till = counter_sale_session(  # the device's register: chosen, open
                location=store, register=device_register(request, store)
            )
            intent = start_card_payment(
                request,
                store,
                cart=cart,
                lines=[(r.line.variant_id, r.line.quantity) for r in basket["rows"]],
                mode=mode,
                forms_=forms_.all,
                till=till,
                discount_code=basket["discount_code"],
                customer=_checkout_customer(request),
                channel=sale_channel(request),
                prices=basket["prices"],
                gift_cards=basket["gift_cards"],
                helped_by=helpers(basket["rows"]),
                delivery_waiver=basket["delivery_waiver"],
            )
            if intent is not None:
                request.session[TERMINAL_KEY] = intent.reference
                return redirect_to(
                    request, reverse("staff:sale_terminal", args=[intent.reference])
                )
            order = _place_sale(request, store, cart, basket, mode, forms_, till)
        except ApplicationError as error:
            errors += _refusal_messages(error, forms_, mode)
        else:
            end_sale(request)
            return redirect_to(
                request, reverse("staff:sale_receipt", args=[order.number])
            )
    return _render_refused_checkout(request, store, basket, mode, forms_, errors)
