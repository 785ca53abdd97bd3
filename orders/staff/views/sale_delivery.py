"""The delivery of a sale sent to the customer's home: it pays its market's delivery
fee as an order placed online does (``orders.services.delivery``), shown with its
amount before payment and counted in the amount to pay, which the payment form asks
for and checkout charges; unless the shop waived it (``sale_waiver``), when the
amount to pay and the charge leave it out alike."""

from __future__ import annotations

from django.utils import timezone

from orders.models import FulfilmentMethod
from orders.services.delivery import attached_buyer, delivery_fee_to
from orders.services.delivery_waiver import FeeWaiver
from orders.staff.forms.sale import DeliveryForm


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
