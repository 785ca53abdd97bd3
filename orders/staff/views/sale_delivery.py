"""The delivery of a sale sent to the customer's home: it pays its market's delivery
fee as an order placed online does (``orders.services.delivery``), shown with its
amount before payment and counted in the amount to pay, which the payment form asks
for and checkout charges; unless the shop waived it (``sale_waiver``), when the
amount to pay and the charge leave it out alike."""

from __future__ import annotations

from django.utils import timezone

from customers.models import Address, Customer
from customers.selectors.addresses import DELIVERY_FIELDS, customer_addresses
from omnistore.core.digits import is_digits
from orders.models import FulfilmentMethod
from orders.services.delivery import attached_buyer, delivery_fee_to
from orders.services.delivery_waiver import FeeWaiver
from orders.staff.forms.sale import DeliveryForm
from orders.staff.views.sale_state import CUSTOMER_KEY


def saved_addresses(request) -> list[Address]:
    """The attached customer's saved addresses, the default first: one query a
    request (kept on it: the fee, the form and the choice all read them), none
    without a customer."""
    if not hasattr(request, "_sale_saved_addresses"):
        customer_id = (request.session.get(CUSTOMER_KEY) or {}).get("customer_id")
        request._sale_saved_addresses = (
            list(customer_addresses(Customer(pk=customer_id))) if customer_id else []
        )
    return request._sale_saved_addresses


def chosen_address(request) -> Address | None:
    """The saved address the form starts with: the one picked from the list
    (``address`` in the address bar), else the customer's default."""
    saved = saved_addresses(request)
    picked = request.GET.get("address", "")
    if is_digits(picked):
        found = next((a for a in saved if a.pk == int(picked)), None)
        if found is not None:
            return found
    return next((a for a in saved if a.is_default), None)


def prefilled_delivery_form(request, store) -> DeliveryForm:
    """The address form as the checkout first shows it: the attached customer's
    chosen saved address (``chosen_address``), else their name and the shop's
    country; the associate checks it with the customer and may change any field."""
    customer = request.session.get(CUSTOMER_KEY) or {}
    initial = {"country": store.country, "name": customer.get("name", "")}
    address = chosen_address(request)
    if address is not None:
        saved = {field: getattr(address, field) for field in DELIVERY_FIELDS}
        initial.update({key: value for key, value in saved.items() if value})
    return DeliveryForm(initial=initial)


def address_choices(request, mode: str) -> list[Address]:
    """The saved addresses offered to fill the form with, when there is a choice:
    more than one, for a sale delivered home."""
    if mode != FulfilmentMethod.DELIVERY:
        return []
    saved = saved_addresses(request)
    return saved if len(saved) > 1 else []


def prefilled_country(request, store, mode: str) -> str:
    """Where a sale delivered home goes before its address is sent: the country of
    the saved address the form starts with, else the shop's (so the fee shown is
    the one checkout charges for the address shown)."""
    if mode != FulfilmentMethod.DELIVERY:
        return store.country
    address = chosen_address(request)
    return address.country if address is not None and address.country else store.country


def delivery_country(store, delivery: DeliveryForm | None) -> str:
    """Where the sale goes: the country typed on the address, else the shop's (the
    address form starts with it)."""
    if delivery is not None:
        delivery.is_valid()  # the country is cleaned whatever the other fields say
        country = delivery.cleaned_data.get("country")
        if country:
            return country
    return store.country


def with_delivery(
    basket: dict,
    *,
    mode: str,
    country: str,
    staff,
    buyer: dict,
    waiver=None,
    customer_id: int | None = None,
):
    """The basket with what its delivery to ``country`` costs, when it is delivered
    home: ``delivery_fee`` (None when nothing is delivered, or no market there sells
    in the basket's currency: checkout refuses that and says why) and the amount to
    pay with it. The fee is checkout's own (``sale_delivery_fee``) on the goods
    after the discount code, for the tier of the customer ``buyer`` names (their
    identity: phone, email or loyalty number, as checkout matches it; their profile
    ``customer_id``). The sale's ``waiver`` (kept as ``FeeWaiver.as_json``) takes it
    off (``_waived``)."""
    basket.update(
        delivery_fee=None,
        delivery_country=country,
        delivery_waiver=None,
        delivery_fee_waived=None,
        waiver_outgrown="",
    )
    if mode != FulfilmentMethod.DELIVERY or not basket["rows"]:
        return basket
    fee = delivery_fee_to(
        country,
        goods=basket["total"] - basket["discount"],
        currency=basket["currency"],
        on=timezone.localdate(),
        buyer=lambda: attached_buyer(
            staff=staff,
            loyalty_number=buyer.get("loyalty_number", ""),
            email=buyer.get("email", ""),
            phone=buyer.get("phone", ""),
        ),
    )
    if fee is not None:
        basket["delivery_fee"] = fee
        waiver = FeeWaiver.from_json(waiver) if waiver else None
        _waived(basket, fee, waiver, customer_id)
    return basket


def _waived(basket: dict, fee, waiver: FeeWaiver | None, customer_id) -> None:
    """The fee in the amount to pay, unless the sale's ``waiver`` covers it: then
    ``delivery_fee_waived`` says how much is not charged and ``delivery_waiver``
    goes to checkout with the sale. A waiver the fee outgrew (the address moved
    to a dearer market), or waived for another customer (``customer_id``: the
    sale's now) or other goods, as checkout judges it, is not applied, and
    ``waiver_outgrown`` says why: checkout waits until it is waived again or
    undone."""
    outgrown = ""
    if waiver is not None and fee:
        goods = basket["total"]
        outgrown = waiver.outgrown_by(fee, basket["currency"]) or (
            waiver.for_another_sale(customer_id=customer_id, goods=goods)
        )
    if waiver is not None and fee and not outgrown:
        basket.update(delivery_waiver=waiver, delivery_fee_waived=fee)
        return
    basket.update(to_pay=basket["to_pay"] + fee, waiver_outgrown=outgrown)
