"""Staff order screens: the assisted sale at the counter (with the endless aisle),
picking, the pickup desk and the order page.

Any associate may look at any order found by its number (customer service across
channels). They act on an order — pick, make ready, ship, hand over, cancel — only when
it is fulfilled at their shop (cancel: also when it was placed there); anything else
answers 404, as if it did not exist. HQ acts everywhere.

The sale basket is a store-channel cart kept by its token in the session, so the cart
services validate every line and checkout converts it exactly once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseClientRedirect

from customers import selectors as customer_selectors
from customers.models import Channel, Customer, IdentityKind
from customers.services import normalize_email, normalize_phone
from customers.staff import views as customer_views
from inventory import selectors as inventory_selectors
from omnistore.core.exceptions import ApplicationError, InsufficientStock, NotFound
from omnistore.staff import views as staff_views
from omnistore.staff.auth import current_store, require_store, staff_required
from orders import services
from orders.models import (
    Cart,
    FulfilmentMethod,
    FulfilmentStatus,
    Order,
    OrderStatus,
)
from orders.selectors.carts import cart_lines, find_cart
from orders.selectors.orders import customer_orders
from orders.selectors.orders import order_detail as find_order
from orders.selectors.pickups import parse_pickup_qr, pickup_search
from orders.selectors.sale import basket_sources, pickup_shops
from orders.selectors.work import (
    awaiting_transfer,
    picked_here,
    picking_queue,
    work_counts,
)

from .forms import (
    CancelForm,
    CollectForm,
    CustomerForm,
    DeliveryForm,
    DiscountForm,
    LineQuantityForm,
    PaymentForm,
    PickupStoreForm,
    ScanForm,
    ShipForm,
    add_service_error,
    explain,
    field_errors,
    place_service_error,
)

INVALID = 422
CART_KEY = "sale_cart_token"
CUSTOMER_KEY = "sale_customer"
MODE_KEY = "sale_mode"
DISCOUNT_KEY = "sale_discount_code"
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
STATUS_LABELS = dict(OrderStatus.choices)
CANCELLABLE = frozenset({OrderStatus.PLACED, OrderStatus.PICKED, OrderStatus.READY})


def _partial(request) -> bool:
    """An HTMX request wants a fragment, except when it restores a page from history."""
    return bool(request.htmx) and not request.htmx.history_restore_request


def _redirect(request, url: str):
    return HttpResponseClientRedirect(url) if request.htmx else redirect(url)


def _region(store) -> str | None:
    return store.country if store is not None else None


# --- the sale basket ------------------------------------------------------------------


@dataclass
class BasketRow:
    line: object
    here: int
    elsewhere: int

    @property
    def line_total(self) -> Decimal:
        return self.line.variant.price * self.line.quantity

    @property
    def short(self) -> bool:
        return self.here < self.line.quantity


def _sale_cart(request, *, create: bool = False) -> Cart | None:
    token = request.session.get(CART_KEY, "")
    cart = find_cart(token=token) if token else None
    if cart is None and create:
        cart = services.create_cart(channel=Channel.STORE)
        request.session[CART_KEY] = cart.token
    return cart


def _end_sale(request) -> None:
    for key in (CART_KEY, CUSTOMER_KEY, MODE_KEY, DISCOUNT_KEY):
        request.session.pop(key, None)


def _basket(store, cart, *, request=None) -> dict:
    """Lines with units available here and elsewhere: two queries. With ``request``,
    the discount code applied to the sale is priced too (what it takes off now, or
    why it no longer applies); checkout claims it."""
    lines = cart_lines(cart) if cart is not None else []
    availability = inventory_selectors.availability_here_and_elsewhere(
        variant_ids=[line.variant_id for line in lines], location=store
    )
    rows = [BasketRow(line, *availability[line.variant_id]) for line in lines]
    total = sum((row.line_total for row in rows), Decimal("0.00"))
    basket = {
        "rows": rows,
        "total": total,
        "units": sum(line.quantity for line in lines),
        "short_here": [row for row in rows if row.short],
        "wanted": {line.variant_id: line.quantity for line in lines},
        "currency": settings.OMNISTORE_CURRENCY,
        "discount_code": "",
        "discount": Decimal("0.00"),
        "discount_error": "",
        "to_pay": total,
    }
    code = request.session.get(DISCOUNT_KEY, "") if request is not None else ""
    if code and rows:
        basket["discount_code"] = code
        try:
            discount = _preview_discount(request, code, total)
        except ApplicationError as error:
            basket["discount_error"] = error.message
        else:
            basket.update(discount=discount, to_pay=total - discount)
    return basket


def _preview_discount(request, code: str, subtotal: Decimal) -> Decimal:
    customer_id = (_sale_customer(request) or {}).get("customer_id")
    return services.preview_discount(
        code=code,
        subtotal=subtotal,
        customer=Customer(pk=customer_id) if customer_id else None,
        channel=Channel.STORE,
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


def _customer_preview(store, kind: str, value: str) -> dict:
    """Whom an identity names today, for the associate to confirm; checkout matches
    (or creates) the profile itself."""
    found = customer_selectors.search_customers(value, region=_region(store), limit=5)
    exact = [c for c in found if getattr(c, IDENTITY_FIELD[kind]) == value]
    match = exact[0] if len(exact) == 1 else (found[0] if len(found) == 1 else None)
    return {
        "kind": kind,
        "kind_label": dict(CustomerForm.KINDS)[kind],
        "value": value,
        "customer_id": match.pk if match else None,
        "name": (match.full_name or str(match)) if match else "",
        "loyalty_number": match.loyalty_number if match else "",
    }


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
        customer = _sale_customer(request) or {}
        delivery_form = DeliveryForm(
            initial={"country": store.country, "name": customer.get("name", "")}
        )
    if mode == FulfilmentMethod.PICKUP and pickup_form is None:
        pickup_form = _pickup_form(store, sources)
    return {
        "store": store,
        "basket": basket,
        "mode": mode,
        "modes": MODES.items(),
        "sources": sources,
        "payment_form": payment_form or PaymentForm(total=basket["to_pay"]),
        "delivery_form": delivery_form,
        "pickup_form": pickup_form,
        "checkout_errors": errors or [],
        "sale_customer": _sale_customer(request),
    }


@staff_required
def sale(request):
    store = require_store(request)
    basket = _basket(store, _sale_cart(request), request=request)
    mode = _mode(request, request.GET.get("mode"))
    context = {
        "scan_form": ScanForm(),
        "customer_form": CustomerForm(region=_region(store)),
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
):
    """The basket, and out of band the checkout total and where the items are."""
    if not _partial(request):
        problems = list(errors)
        for form in (scan_form, discount_form):
            if form is not None:
                problems += [e for field in form.errors.values() for e in field]
        for problem in problems:
            messages.error(request, problem)
        return redirect("staff:sale")
    cart = cart if cart is not None else _sale_cart(request)
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
        "oob": True,
    }
    return render(request, "orders/staff/_basket.html", context, status=status)


@staff_required
@require_POST
def sale_add(request):
    """A scan adds one unit (or the units typed); the same item again adds up."""
    store = require_store(request)
    form = ScanForm(request.POST)
    cart = None
    if form.is_valid():
        cart = _sale_cart(request, create=True)
        try:
            services.add_cart_lines(
                cart=cart,
                lines=[(form.cleaned_data["code"].pk, form.cleaned_data["quantity"])],
            )
        except ApplicationError as error:
            add_service_error(form, error, field_map={"variant": "code"})
        else:
            return _render_basket(request, store, cart=cart)
    return _render_basket(request, store, scan_form=form, status=INVALID, cart=cart)


@staff_required
@require_POST
def sale_line(request, line_id: int):
    """Change a line's units; zero removes it."""
    store = require_store(request)
    cart = _sale_cart(request)
    if cart is None:
        raise Http404("No basket.")
    form = LineQuantityForm(request.POST)
    errors: list[str] = []
    if form.is_valid():
        quantity = form.cleaned_data["quantity"]
        try:
            if quantity == 0:
                services.remove_cart_line(cart=cart, line_id=line_id)
            else:
                services.set_cart_line_quantity(
                    cart=cart, line_id=line_id, quantity=quantity
                )
        except NotFound:
            raise Http404("No such line.") from None
        except ApplicationError as error:
            errors = place_service_error([], error)
    else:
        errors = [f"Units: {e}" for e in form.errors.get("quantity", [])]
    return _render_basket(
        request, store, errors=errors, status=INVALID if errors else 200, cart=cart
    )


@staff_required
@require_POST
def sale_discount(request):
    """Apply the customer's discount code to the basket — the amount it takes off and
    the total after it are shown; checkout claims the use — or remove it."""
    store = require_store(request)
    if request.POST.get("action") == "remove":
        request.session.pop(DISCOUNT_KEY, None)
        return _render_basket(request, store)
    form = DiscountForm(request.POST)
    if form.is_valid():
        code = form.cleaned_data["code"]
        subtotal = _basket(store, _sale_cart(request))["total"]
        try:
            _preview_discount(request, code, subtotal)
        except ApplicationError as error:
            for message in field_errors(error.extra).get("discount_code") or [
                explain(error)
            ]:
                form.add_error("code", message)
        else:
            request.session[DISCOUNT_KEY] = code
            return _render_basket(request, store)
    return _render_basket(request, store, discount_form=form, status=INVALID)


@staff_required
@require_POST
def sale_clear(request):
    """Start over: the basket and the customer are dropped."""
    _end_sale(request)
    messages.success(request, "Basket cleared.")
    return _redirect(request, reverse("staff:sale"))


@staff_required
@require_POST
def sale_customer(request):
    """Attach the buyer by phone, email or loyalty card, or detach them."""
    store = require_store(request)
    status = 200
    form = CustomerForm(region=_region(store))
    if request.POST.get("action") == "detach":
        request.session.pop(CUSTOMER_KEY, None)
    else:
        form = CustomerForm(request.POST, region=_region(store))
        if form.is_valid():
            data = form.cleaned_data
            preview = _customer_preview(store, data["kind"], data["value"])
            if data["kind"] == IdentityKind.LOYALTY and preview["customer_id"] is None:
                form.add_error("value", "No customer has this loyalty card.")
            else:
                preview.update(
                    first_name=data["first_name"], last_name=data["last_name"]
                )
                if not preview["name"]:
                    preview["name"] = " ".join(
                        x for x in (data["first_name"], data["last_name"]) if x
                    )
                request.session[CUSTOMER_KEY] = preview
                form = CustomerForm(region=_region(store))
        if form.errors:
            status = INVALID
    if not _partial(request):
        if status == INVALID:
            messages.error(request, "Check the customer's details.")
        return redirect("staff:sale")
    context = {"customer_form": form, "sale_customer": _sale_customer(request)}
    return render(request, "orders/staff/_sale_customer.html", context, status=status)


def _checkout_customer(request) -> dict:
    customer = _sale_customer(request)
    if not customer:
        return {}
    return {
        IDENTITY_FIELD[customer["kind"]]: customer["value"],
        "first_name": customer.get("first_name", ""),
        "last_name": customer.get("last_name", ""),
    }


@staff_required
def sale_checkout(request):
    """Take the payment and place the order: carried out now, delivered home or
    picked up at a shop (the endless aisle). Refused as a whole, nothing changed."""
    store = require_store(request)
    data = request.POST if request.method == "POST" else request.GET
    mode = _mode(request, data.get("mode"))
    if request.method != "POST":
        if not _partial(request):
            return redirect(f"{reverse('staff:sale')}?mode={mode}")
        basket = _basket(store, _sale_cart(request), request=request)
        context = {**_checkout_context(request, store, basket, mode), "partial": True}
        return render(request, "orders/staff/_checkout.html", context)

    cart = _sale_cart(request)
    basket = _basket(store, cart, request=request)
    sources = None
    payment_form = PaymentForm(request.POST, total=basket["to_pay"])
    delivery_form = pickup_form = None
    if mode == FulfilmentMethod.DELIVERY:
        delivery_form = DeliveryForm(request.POST)
    elif mode == FulfilmentMethod.PICKUP:
        sources = _sources(store, basket, mode)
        pickup_form = _pickup_form(store, sources, request.POST)
    forms_ = [f for f in (payment_form, delivery_form, pickup_form) if f is not None]
    errors: list[str] = []
    if not basket["rows"]:
        errors.append("The basket is empty: scan an item first.")
    if mode != FulfilmentMethod.CARRY_OUT and not _sale_customer(request):
        errors.append(
            "Attach the customer first: they are told when the order ships or is ready."
        )
    checked = [f.is_valid() for f in forms_]  # every form, so all errors show
    if all(checked) and not errors:
        try:
            order = services.place_order(
                lines=[
                    services.LineRequest(row.line.variant, row.line.quantity)
                    for row in basket["rows"]
                ],
                channel=Channel.STORE,
                fulfilment=mode,
                pickup_store=pickup_form.cleaned_data["store"] if pickup_form else None,
                address=delivery_form.address if delivery_form else None,
                payments=payment_form.cleaned_data["tenders"],
                placing_location=store,
                staff=request.user,
                idempotency_key=f"sale:{cart.token}",
                discount_code=request.session.get(DISCOUNT_KEY, ""),
                cart=cart,
                **_checkout_customer(request),
            )
        except ApplicationError as error:
            errors += place_service_error(forms_, error)
            if (
                isinstance(error, InsufficientStock)
                and mode == FulfilmentMethod.CARRY_OUT
            ):
                errors.append(
                    "The customer can still have it: deliver home or pick up at a shop."
                )
        else:
            _end_sale(request)
            return _redirect(
                request, reverse("staff:sale_receipt", args=[order.number])
            )
    context = _checkout_context(
        request,
        store,
        basket,
        mode,
        sources=sources,
        payment_form=payment_form,
        delivery_form=delivery_form,
        pickup_form=pickup_form,
        errors=errors,
    )
    if _partial(request):
        context["partial"] = True
        return render(request, "orders/staff/_checkout.html", context, status=INVALID)
    context.update(
        scan_form=ScanForm(),
        customer_form=CustomerForm(region=_region(store)),
        discount_form=DiscountForm(),
    )
    return render(request, "orders/staff/sale.html", context, status=INVALID)


@staff_required
def sale_receipt(request, number: str):
    order = _order_or_404(number)
    return render(
        request,
        "orders/staff/receipt.html",
        {"order": order, **_order_parts(order)},
    )


# --- orders: finding, viewing, acting ---------------------------------------------------


def _order_or_404(number: str) -> Order:
    try:
        return find_order(number=number)
    except NotFound:
        raise Http404("No such order.") from None


def _acts_at(fulfilment, location_id, action: str | None) -> bool:
    """Whether a shop does ``action`` for this fulfilment: it picks what leaves its
    shelves (or what a transfer brought to it), makes ready and hands over at its
    pickup desk, ships deliveries it sources. A shop that only sends a transfer does
    that from the stock screens, not here."""
    transferred = fulfilment.transfer_id is not None
    if action == "pick":
        return (fulfilment.location_id == location_id and not transferred) or (
            fulfilment.pickup_location_id == location_id and transferred
        )
    if action in ("ready", "collect"):
        return fulfilment.pickup_location_id == location_id
    if action == "ship":
        return (
            fulfilment.method == FulfilmentMethod.DELIVERY
            and fulfilment.location_id == location_id
        )
    return location_id in (fulfilment.location_id, fulfilment.pickup_location_id)


def may_act(user, order: Order, action: str | None = None) -> bool:
    """HQ acts anywhere; shop staff where the order's fulfilment is at their shop."""
    if user.sees_all_stores:
        return True
    return any(
        _acts_at(f, user.store_id, action)
        for f in order.fulfilments.all()
        if f.status != FulfilmentStatus.CANCELLED
    )


def may_cancel(user, order: Order) -> bool:
    return may_act(user, order) or (
        order.placing_location_id is not None
        and order.placing_location_id == user.store_id
    )


def _acting_order(request, number: str, action: str) -> Order:
    order = _order_or_404(number)
    allowed = (
        may_cancel(request.user, order)
        if action == "cancel"
        else may_act(request.user, order, action)
    )
    if not allowed:
        raise Http404("No such order.")
    return order


def _where(order: Order, store, *, pickup: bool):
    """The shop an action happens at, for the status history: the pickup shop for
    ready and hand-over; for pick and ship, the acting shop when it is a source."""
    fulfilments = [
        f for f in order.fulfilments.all() if f.status != FulfilmentStatus.CANCELLED
    ]
    if pickup:
        shop = next((f.pickup_location for f in fulfilments if f.pickup_location), None)
        return shop or store
    if store is not None and any(f.location_id == store.pk for f in fulfilments):
        return store
    return fulfilments[0].location if fulfilments else store


def _order_parts(order: Order) -> dict:
    history = list(order.history.all())
    for change in history:
        change.from_label = STATUS_LABELS.get(change.from_status, change.from_status)
        change.to_label = STATUS_LABELS.get(change.to_status, change.to_status)
    payments = list(order.payments.all())
    return {
        "lines": list(order.lines.all()),
        "fulfilments": list(order.fulfilments.all()),
        "payments": payments,
        "refunds": [r for p in payments for r in p.refunds.all()],
        "history": history,
        "paid": sum((p.amount for p in payments), Decimal("0.00")),
        "refunded": sum((p.refunded_amount for p in payments), Decimal("0.00")),
    }


def _detail_context(request, order: Order, **extra) -> dict:
    user = request.user
    method = order.fulfilment_method
    picked = order.status == OrderStatus.PICKED
    context = {
        "order": order,
        **_order_parts(order),
        "may_act": may_act(user, order),
        "can_pick": order.status == OrderStatus.PLACED and may_act(user, order, "pick"),
        "can_ready": picked
        and method == FulfilmentMethod.PICKUP
        and may_act(user, order, "ready"),
        "can_ship": picked
        and method == FulfilmentMethod.DELIVERY
        and may_act(user, order, "ship"),
        "can_collect": order.status == OrderStatus.READY
        and may_act(user, order, "collect"),
        "can_cancel": order.status in CANCELLABLE and may_cancel(user, order),
        "cancel_form": CancelForm(),
        "ship_form": ShipForm(),
        "action_error": None,
    }
    context.update(extra)
    return context


@staff_required
def order_search(request):
    """Find any order by its number (or a scanned pickup QR), from any channel."""
    query = request.GET.get("q", "").strip()[:100]
    if query:
        scanned = parse_pickup_qr(query)
        number = scanned[0] if scanned else query
        try:
            order = find_order(number=number)
        except NotFound:
            pass
        else:
            return redirect("staff:order_detail", number=order.number)
    return render(
        request,
        "orders/staff/order_search.html",
        {"q": query, "not_found": bool(query)},
    )


@staff_required
def order_detail(request, number: str):
    order = _order_or_404(number)
    if order.number != number:
        return redirect("staff:order_detail", number=order.number)
    return render(
        request, "orders/staff/order_detail.html", _detail_context(request, order)
    )


def _back(request, order: Order) -> str:
    url = request.POST.get("next", "")
    if url and url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return url
    return reverse("staff:order_detail", args=[order.number])


def _refused(request, order: Order, error_message: str, **forms_):
    """Show a refusal where the button was: the picking list or the order page."""
    if request.POST.get("from") == "picking":
        store = require_store(request)
        context = _picking_context(store)
        context["action_error"] = f"{order.number}: {error_message}"
        return render(request, "orders/staff/picking.html", context, status=INVALID)
    order = _order_or_404(order.number)
    context = _detail_context(request, order, action_error=error_message, **forms_)
    return render(request, "orders/staff/order_detail.html", context, status=INVALID)


def _step(request, number: str, *, action: str, perform, done: str):
    order = _acting_order(request, number, action)
    try:
        order = perform(order)
    except ApplicationError as error:
        return _refused(request, order, explain(error))
    messages.success(request, f"Order {order.number} {done}.")
    return _redirect(request, _back(request, order))


@staff_required
@require_POST
def order_pick(request, number: str):
    store = current_store(request)
    return _step(
        request,
        number,
        action="pick",
        perform=lambda order: services.mark_picked(
            order=order, actor=request.user, location=_where(order, store, pickup=False)
        ),
        done="picked",
    )


@staff_required
@require_POST
def order_ready(request, number: str):
    """Ready for pickup: the service issues the code and emails the customer."""
    store = current_store(request)
    return _step(
        request,
        number,
        action="ready",
        perform=lambda order: services.mark_ready(
            order=order, actor=request.user, location=_where(order, store, pickup=True)
        ),
        done="is ready for pickup; the customer has been sent the pickup code",
    )


@staff_required
@require_POST
def order_ship(request, number: str):
    store = current_store(request)
    order = _acting_order(request, number, "ship")
    form = ShipForm(request.POST)
    if not form.is_valid():
        return _refused(request, order, "Check the tracking number.", ship_form=form)
    try:
        order = services.ship_order(
            order=order,
            actor=request.user,
            tracking_reference=form.cleaned_data["tracking_reference"],
            location=_where(order, store, pickup=False),
        )
    except ApplicationError as error:
        return _refused(request, order, explain(error), ship_form=form)
    messages.success(request, f"Order {order.number} shipped.")
    return _redirect(request, _back(request, order))


@staff_required
@require_POST
def order_cancel(request, number: str):
    """Cancel with a reason: stock released, payments refunded, customer told."""
    order = _acting_order(request, number, "cancel")
    form = CancelForm(request.POST)
    if form.is_valid():
        try:
            order = services.cancel_order(
                order=order,
                actor=request.user,
                reason=form.cleaned_data["reason"],
                location=current_store(request),
            )
        except ApplicationError as error:
            add_service_error(form, error)
        else:
            messages.success(
                request,
                f"Order {order.number} cancelled; stock released and payments "
                "refunded.",
            )
            return _redirect(request, _back(request, order))
    order = _order_or_404(number)
    refusal = " ".join(form.non_field_errors()) or None
    context = _detail_context(request, order, cancel_form=form, action_error=refusal)
    if _partial(request):
        return render(
            request, "orders/staff/_cancel_form.html", context, status=INVALID
        )
    return render(request, "orders/staff/order_detail.html", context, status=INVALID)


# --- picking ----------------------------------------------------------------------------


def _shelf_lines(order: Order, store) -> list:
    """The lines this shop takes off its own shelves for the order."""
    return [
        line
        for line in order.lines.all()
        if line.fulfilment is not None
        and line.fulfilment.status != FulfilmentStatus.CANCELLED
        and _acts_at(line.fulfilment, store.pk, "pick")
    ]


def _picking_context(store) -> dict:
    to_pick = list(picking_queue(location=store))
    summary: dict[str, dict] = {}
    for order in to_pick:
        order.shelf_lines = _shelf_lines(order, store)
        order.pickup_here = order.fulfilment_method == FulfilmentMethod.PICKUP
        for line in order.shelf_lines:
            row = summary.setdefault(
                line.sku,
                {
                    "sku": line.sku,
                    "name": line.name,
                    "variant": line.variant,
                    "units": 0,
                },
            )
            row["units"] += line.quantity
    picked = list(picked_here(location=store))
    for order in picked:
        order.shelf_lines = list(order.lines.all())
    awaiting = list(awaiting_transfer(location=store))
    for order in awaiting:
        order.transfers = [
            f.transfer for f in order.fulfilments.all() if f.transfer_id is not None
        ]
    to_ready = [o for o in picked if o.fulfilment_method == FulfilmentMethod.PICKUP]
    to_ship = [o for o in picked if o.fulfilment_method == FulfilmentMethod.DELIVERY]
    return {
        "store": store,
        "to_pick": to_pick,
        "summary": sorted(summary.values(), key=lambda row: row["sku"]),
        "to_ready": to_ready,
        "to_ship": to_ship,
        "picked_count": len(to_ready) + len(to_ship),
        "awaiting": awaiting,
        "ship_form": ShipForm(),
        "action_error": None,
    }


@staff_required
def picking(request):
    store = require_store(request)
    return render(request, "orders/staff/picking.html", _picking_context(store))


# --- pickup desk ------------------------------------------------------------------------


def _expiry_context(order: Order, now) -> None:
    expires = order.pickup_expires_at
    order.expires_soon = bool(
        expires
        and expires - now <= timedelta(days=settings.OMNISTORE_PICKUP_REMINDER_DAYS)
    )
    order.expired = bool(expires and expires <= now)


def _contact(query: str, region: str | None) -> dict:
    """The desk query read as an email and, when it has digits, as a phone number, in
    the customers app's normal form (None when it is neither)."""
    phone = None
    if any(ch.isdigit() for ch in query):
        phone = normalize_phone(query, region=region)
    return {"email": normalize_email(query), "phone": phone}


@staff_required
def pickup_desk(request):
    """Orders ready here; search by order number, a scanned QR, the customer's name,
    phone or email. A scan or number matching one order opens it straight away."""
    store = require_store(request)
    query = request.GET.get("q", "").strip()[:100]
    orders = list(
        pickup_search(location=store, query=query, **_contact(query, _region(store)))
    )
    if (
        query
        and len(orders) == 1
        and not _partial(request)
        and (orders[0].number == query.upper() or parse_pickup_qr(query) is not None)
    ):
        return redirect("staff:pickup_collect", number=orders[0].number)
    now = timezone.now()
    for order in orders:
        order.units = sum(line.quantity for line in order.lines.all())
        _expiry_context(order, now)
    context = {"store": store, "q": query, "orders": orders}
    template = "orders/staff/_pickup_results.html"
    if not _partial(request):
        template = "orders/staff/pickup_desk.html"
    return render(request, template, context)


@staff_required
def pickup_collect(request, number: str):
    """Verify the pickup code (or the customer's identity, with a note) and hand the
    order over. A wrong code changes nothing and says so."""
    store = require_store(request)
    order = _acting_order(request, number, "collect")
    status = 200
    collected = False
    form = CollectForm()
    if request.method == "POST":
        form = CollectForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                order = services.collect_order(
                    order=order,
                    actor=request.user,
                    code=data["code"],
                    identity_checked=data["identity_checked"],
                    note=data["note"].strip(),
                    location=_where(order, store, pickup=True),
                )
            except ApplicationError as error:
                add_service_error(form, error)
            else:
                collected = True
                if not _partial(request):
                    messages.success(request, f"Order {order.number} collected.")
                    return redirect("staff:pickup_desk")
        if form.errors:
            status = INVALID
    order = _order_or_404(order.number)
    _expiry_context(order, timezone.now())
    context = {
        "store": store,
        "order": order,
        "lines": list(order.lines.all()),
        "paid": sum((p.amount for p in order.payments.all()), Decimal("0.00")),
        "form": form,
        "collected": collected,
        "is_ready": order.status == OrderStatus.READY,
    }
    template = "orders/staff/_collect.html"
    if not _partial(request):
        template = "orders/staff/pickup_collect.html"
    return render(request, template, context, status=status)


# --- panels on other pages --------------------------------------------------------------


def work_panel(request, store) -> dict:
    """Dashboard cards: orders to pick here and pickups waiting at the desk."""
    if store is None:
        return {}
    return {"order_work": work_counts(location=store)}


CUSTOMER_ORDERS_SHOWN = 10


def customer_orders_panel(request, customer) -> dict | None:
    """The customer's latest orders from every channel on the 360° page (two queries)."""
    orders = list(customer_orders(customer)[: CUSTOMER_ORDERS_SHOWN + 1])
    return {
        "template": "orders/staff/_customer_orders.html",
        "orders": orders[:CUSTOMER_ORDERS_SHOWN],
        "more": len(orders) > CUSTOMER_ORDERS_SHOWN,
        "customer": customer,
    }


def _register(panels: list, panel) -> None:
    """Once per process, however often this module is imported."""
    if not any(
        getattr(p, "__qualname__", "") == panel.__qualname__
        and getattr(p, "__module__", "") == panel.__module__
        for p in panels
    ):
        panels.append(panel)


_register(staff_views.dashboard_panels, work_panel)
_register(customer_views.customer_panels, customer_orders_panel)
