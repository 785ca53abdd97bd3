"""How a cart reads in the storefront API: its lines priced on the sale's terms,
their VAT, availability for the chosen fulfilment, and a previewed code's share of
each line taken off as checkout takes it off the order's."""

from __future__ import annotations

from decimal import Decimal

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from orders.models import FulfilmentMethod
from orders.selectors.carts import (
    CART_FULL,
    LINE_FULL,
    MAX_LINES,
    left_out_rows,
    on_sale,
)
from orders.selectors.taxes import SaleTerms, preview_taxes
from orders.services.common import MAX_LINE_QUANTITY

_MONEY = {"max_digits": 12, "decimal_places": 2}
AVAILABILITY = ["in_stock", "ships_to_store", "short", "unavailable"]


NOT_SELLABLE_HERE = (
    "False for an item checkout refuses: no longer sold (`availability` "
    "`unavailable`, a 409 `not_for_sale`), or, in this market (400 "
    "`not_sellable_here`), not on the market's price list (`unit_price` null: it "
    "has no price in the cart's currency) or without a VAT rate there; either names "
    "it in `extra.lines`. Such a line shows no `line_total`, `gross`, `net` or `tax` "
    "and is left out of the cart's `subtotal`, code preview, free-delivery "
    "threshold and totals: remove it to check out."
)


class CartLineOutput(serializers.Serializer):
    """A cart line priced on the cart's terms (``country``): shelf prices include
    VAT; an item that cannot be sold there is marked (``sellable_here``) and left
    out of the cart's totals."""

    id = serializers.IntegerField()
    variant = serializers.IntegerField(source="variant_id")
    sku = serializers.CharField(source="variant.sku")
    name = serializers.CharField(source="variant.name")
    unit_price = serializers.SerializerMethodField()
    quantity = serializers.IntegerField()
    discount = serializers.SerializerMethodField()
    line_total = serializers.SerializerMethodField()
    tax_rate = serializers.SerializerMethodField()
    net = serializers.SerializerMethodField()
    tax = serializers.SerializerMethodField()
    gross = serializers.SerializerMethodField()
    sellable_here = serializers.SerializerMethodField()
    available = serializers.SerializerMethodField()
    availability = serializers.SerializerMethodField()

    def _stock(self, line) -> dict:
        return self.context["availability"].get(line.variant_id, {})

    def _money(self, line) -> dict:
        return _line_money(line, self.context.get("terms"))

    @extend_schema_field(
        serializers.DecimalField(
            max_digits=10,
            decimal_places=2,
            allow_null=True,
            help_text="The shelf price in the cart's currency (VAT included); null "
            "for an item not on this market's price list (`sellable_here` false).",
        )
    )
    def get_unit_price(self, line) -> str | None:
        return self._money(line)["unit_price"]

    @extend_schema_field(
        serializers.DecimalField(
            **_MONEY,
            help_text="The line's share of a previewed code (VAT included); 0 "
            "without one.",
        )
    )
    def get_discount(self, line) -> str:
        return self._money(line)["discount"]

    @extend_schema_field(
        serializers.DecimalField(
            **_MONEY,
            allow_null=True,
            help_text="What the line costs: unit price × quantity − discount "
            "(gross), as an order's line; null when `sellable_here` is false.",
        )
    )
    def get_line_total(self, line) -> str | None:
        return self._money(line)["line_total"]

    @extend_schema_field(
        serializers.DecimalField(max_digits=5, decimal_places=2, allow_null=True)
    )
    def get_tax_rate(self, line) -> str | None:
        return self._money(line)["tax_rate"]

    @extend_schema_field(serializers.DecimalField(**_MONEY, allow_null=True))
    def get_net(self, line) -> str | None:
        return self._money(line)["net"]

    @extend_schema_field(serializers.DecimalField(**_MONEY, allow_null=True))
    def get_tax(self, line) -> str | None:
        return self._money(line)["tax"]

    @extend_schema_field(serializers.DecimalField(**_MONEY, allow_null=True))
    def get_gross(self, line) -> str | None:
        return self._money(line)["gross"]

    @extend_schema_field(serializers.BooleanField(help_text=NOT_SELLABLE_HERE))
    def get_sellable_here(self, line) -> bool:
        return self._money(line)["sellable_here"]

    def get_available(self, line) -> int:
        return _available(line, self._stock(line), self.context.get("fulfilment"))

    @extend_schema_field(
        serializers.ChoiceField(
            choices=AVAILABILITY,
            help_text="`in_stock`; `ships_to_store` (pickup, comes from elsewhere, "
            "later); `short` (not enough anywhere for this fulfilment); "
            "`unavailable` (no longer sold, `available` 0, `sellable_here` false "
            "and left out of the totals: remove it, checkout refuses it with a 409 "
            "`not_for_sale` naming it in `extra.lines`).",
        )
    )
    def get_availability(self, line) -> str:
        return _availability(
            line, self._stock(line), self.context.get("fulfilment"), line.quantity
        )


def _line_money(line, terms: SaleTerms | None) -> dict:
    """A cart line's price, total and VAT on ``terms`` (none: the catalogue's
    price, no VAT shown). An item no longer sold (``on_sale``), or without a price
    or a VAT rate on them, is not sellable here: never the catalogue's euro amount
    under another currency, no total (the cart leaves it out, as checkout refuses
    it)."""
    variant = line.variant
    price = variant.price if terms is None else terms.prices.get(variant.pk)
    sellable = on_sale(variant) and (
        terms is None or (price is not None and variant.pk in terms.rates)
    )
    row = {
        "unit_price": None if price is None else _UNIT_PRICE.to_representation(price),
        "discount": "0.00",
        "line_total": None,
        "tax_rate": None,
        "net": None,
        "tax": None,
        "gross": None,
        "sellable_here": sellable,
    }
    if not sellable:
        return row
    total = price * line.quantity
    taxed = preview_taxes(terms, [(variant, line.quantity)])[0] if terms else None
    row.update(line_total=str(total), gross=str(taxed.gross if taxed else total))
    if taxed:
        row.update(tax_rate=str(taxed.rate), net=str(taxed.net), tax=str(taxed.tax))
    return row


CENT = Decimal("0.01")


def take_off(row: dict, share: Decimal, terms: SaleTerms) -> None:
    """A cart line's share of a previewed code taken off its total and its VAT, as
    checkout prices the order's line."""
    share = share.quantize(CENT)
    total = Decimal(row["line_total"]) - share
    row["discount"] = str(share)
    row["line_total"] = row["gross"] = str(total)
    if row["tax_rate"] is not None:
        taxed = terms.taxed(row["variant"], total)
        row["net"], row["tax"] = str(taxed.net), str(taxed.tax)


def _available(line, stock: dict, fulfilment) -> int:
    if not on_sale(line.variant):
        return 0
    if fulfilment == FulfilmentMethod.PICKUP:
        return stock.get("at_store", 0)
    return stock.get("online", 0)


def _availability(line, stock: dict, fulfilment, quantity: int) -> str:
    if not on_sale(line.variant):
        return "unavailable"
    if fulfilment == FulfilmentMethod.PICKUP:
        if stock.get("at_store", 0) >= quantity:
            return "in_stock"
        if stock.get("online", 0) >= quantity:
            return "ships_to_store"
        return "short"
    return "in_stock" if stock.get("online", 0) >= quantity else "short"


class NotMergedOutput(serializers.Serializer):
    """Units of an item in the cart filled before signing in that the fold left
    out."""

    variant = serializers.IntegerField()
    sku = serializers.CharField()
    name = serializers.CharField()
    quantity = serializers.IntegerField(help_text="The units left out.")
    reason = serializers.ChoiceField(
        choices=[CART_FULL, LINE_FULL],
        help_text=f"`{CART_FULL}`: the cart already held {MAX_LINES} different "
        f"items; `{LINE_FULL}`: its line already held {MAX_LINE_QUANTITY} units.",
    )


class CartOutput(serializers.Serializer):
    token = serializers.CharField()
    status = serializers.CharField()
    channel = serializers.CharField()
    country = serializers.CharField(
        help_text="The country the cart is priced and taxed for: ``?country=``, or "
        "for pickup the shop's (a pickup is taxed where the shop is, as checkout "
        "taxes it)."
    )
    currency = serializers.CharField(help_text="The currency of that market.")
    fulfilment = serializers.CharField()
    store = serializers.IntegerField(allow_null=True)
    lines = CartLineOutput(many=True)
    item_count = serializers.IntegerField()
    not_merged = NotMergedOutput(
        many=True,
        help_text="Signed in with the token of a cart filled before signing in: what "
        "folding that cart in leaves out (past the cart's or a line's limit), on the "
        "read that shows the fold and on the write that makes it; those units are not "
        "in `lines` and the old cart is closed. Empty otherwise.",
    )
    subtotal = serializers.DecimalField(
        max_digits=12,
        decimal_places=2,
        help_text="Unit prices × quantities of the lines sellable here, before a "
        "previewed code (gross: shelf prices include VAT).",
    )
    net_total = serializers.DecimalField(
        max_digits=12,
        decimal_places=2,
        help_text="Net of what checkout will charge: the lines' after a previewed "
        "code, plus the delivery fee's (`net_total + tax_total = total`).",
    )
    tax_total = serializers.DecimalField(
        max_digits=12,
        decimal_places=2,
        help_text="The VAT checkout will charge: in the lines after a previewed "
        "code, and in the delivery fee.",
    )
    discount_code = serializers.CharField(
        required=False, help_text="The code previewed (with ?discount_code=)."
    )
    discount_total = serializers.DecimalField(
        max_digits=12,
        decimal_places=2,
        required=False,
        help_text="What the previewed code takes off the subtotal.",
    )
    delivery_fee = serializers.DecimalField(
        max_digits=12,
        decimal_places=2,
        help_text="What delivery costs in this market (fulfilment delivery): the "
        "market's fee, 0 from its free-delivery threshold on or for a loyalty tier "
        "with free delivery; always 0 for pickup. Checkout charges it.",
    )
    total = serializers.DecimalField(
        max_digits=12,
        decimal_places=2,
        help_text="What checkout will charge: the subtotal after the previewed "
        "code, plus delivery (none while no line is sellable here).",
    )
    updated_at = serializers.DateTimeField()


# The cart after an add and the order just placed are the storefront's busiest
# responses. They are rendered with the shapes above (which stay the documented
# schema), without building a serializer per request: DRF deep-copies every declared
# field of every nested serializer for each instance, a large share of a checkout's
# time. Tests compare both renderings of the same objects.

_UNIT_PRICE = serializers.DecimalField(max_digits=10, decimal_places=2)


def not_merged_data(cart) -> list[dict]:
    """``NotMergedOutput(many=True)`` for what folding a cart into ``cart`` left out
    (``not_merged``, set by the read or the write that folds)."""
    return left_out_rows(getattr(cart, "not_merged", ()))


def cart_lines_data(lines, *, availability: dict, fulfilment, terms=None) -> list[dict]:
    """``CartLineOutput(lines, many=True)`` for a cart's lines."""
    rows = []
    for line in lines:
        variant = line.variant
        stock = availability.get(line.variant_id, {})
        rows.append(
            {
                "id": line.id,
                "variant": line.variant_id,
                "sku": str(variant.sku),
                "name": str(variant.name),
                **_line_money(line, terms),
                "quantity": line.quantity,
                "available": _available(line, stock, fulfilment),
                "availability": _availability(line, stock, fulfilment, line.quantity),
            }
        )
    return rows
