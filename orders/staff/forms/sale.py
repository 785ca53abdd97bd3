"""Forms of the assisted sale: what staff scan and type at the counter; the views pass
the cleaned values to ``orders.services``, which decides."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError

from customers.models import IdentityKind
from customers.normalize import (
    normalize_email,
    normalize_loyalty_number,
    normalize_phone,
)
from inventory.staff.forms import VariantCodeField
from omnistore.core.exceptions import ApplicationError, ValidationFailed
from omnistore.staff.fields import MoneyField
from orders.models import PaymentMethod
from orders.selectors.till import cash_rounded, cash_step
from orders.services.common import MAX_LINE_QUANTITY
from orders.services.payments import PaymentRequest
from orders.services.tenders import check_cash_part, gift_card_shares, points_value
from orders.services.till import change_due

NUMERIC = {"inputmode": "numeric"}


TENDER_ROWS = 3


# What a shop counter takes for the rest once any stored value (gift card, store
# credit, points: fields of their own) is taken.
COUNTER_TENDERS = [
    (PaymentMethod.CARD_IN_STORE, "Card"),
    (PaymentMethod.CASH, "Cash"),
    (PaymentMethod.MOBILE_WALLET, "Mobile wallet"),
]
# What a customer on the phone pays the rest with: their card, keyed on the shop's
# terminal from what they read out (recorded as a card in store, on the terminal).
PHONE_TENDERS = [(PaymentMethod.CARD_IN_STORE, "Card, keyed on the terminal")]
# What needs the customer at the counter: refused when they are on the phone.
AT_THE_COUNTER = {
    PaymentMethod.CASH: "Cash is handed over at the till",
    PaymentMethod.MOBILE_WALLET: "A mobile wallet is held to the card reader",
}
# The customer's own stored value: spent only for a customer attached by their card.
CUSTOMER_VALUE = ("store_credit_amount", "points")
CARD_NEEDED = (
    "Scan the customer's loyalty card (or the card in their app) to use their "
    "points or store credit."
)
CARD_NEEDED_ON_THE_PHONE = (
    "Attach the customer by the loyalty card number they read out (from the card "
    "or their app) to use their points or store credit."
)


def _quantity_field(*, min_value: int, **kwargs) -> forms.IntegerField:
    return forms.IntegerField(
        min_value=min_value,
        max_value=MAX_LINE_QUANTITY,
        widget=forms.NumberInput(attrs=dict(NUMERIC)),
        error_messages={
            "invalid": "Enter a whole number.",
            "min_value": "Must be at least %(limit_value)s.",
            "max_value": "At most %(limit_value)s per line.",
        },
        **kwargs,
    )


class ScanForm(forms.Form):
    code = VariantCodeField(label="Scan or type a SKU / barcode")
    quantity = _quantity_field(min_value=1, initial=1, required=False, label="Units")

    def clean_quantity(self) -> int:
        return self.cleaned_data.get("quantity") or 1


class LineQuantityForm(forms.Form):
    quantity = _quantity_field(min_value=0, label="Units")


class CustomerForm(forms.Form):
    """Who is buying: one identity; ``place_order`` finds the profile or creates it."""

    KINDS = [
        (IdentityKind.PHONE, "Phone"),
        (IdentityKind.EMAIL, "Email"),
        (IdentityKind.LOYALTY, "Loyalty card"),
    ]

    kind = forms.ChoiceField(choices=KINDS, initial=IdentityKind.PHONE, label="Find by")
    value = forms.CharField(
        label="Phone, email or card number",
        max_length=254,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
        error_messages={"required": "Type the phone, email or card number."},
    )
    first_name = forms.CharField(max_length=100, required=False)
    last_name = forms.CharField(max_length=100, required=False)

    def __init__(self, *args, region: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.region = region

    def clean(self):
        data = super().clean()
        kind, value = data.get("kind"), data.get("value")
        if not kind or not value:
            return data
        if kind == IdentityKind.PHONE and "@" in value:
            # An email typed with "Find by" left on its first choice: no phone has
            # an "@", so the associate meant the email.
            kind = data["kind"] = IdentityKind.EMAIL
        if kind == IdentityKind.PHONE:
            clean = normalize_phone(value, region=self.region)
            message = "That is not a valid phone number."
        elif kind == IdentityKind.EMAIL:
            clean = normalize_email(value)
            message = "That is not a valid email address."
        else:
            clean = normalize_loyalty_number(value)
            message = "That is not a card number."
        if not clean:
            self.add_error("value", message)
        else:
            data["value"] = clean
        return data


class DiscountForm(forms.Form):
    """A code the customer brings (printed, in an email, on the phone screen)."""

    code = forms.CharField(
        label="Discount code",
        max_length=40,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "off",
                "autocapitalize": "characters",
                "spellcheck": "false",
            }
        ),
        error_messages={"required": "Type the discount code."},
    )

    def __init__(self, *args, **kwargs):
        # The scan box on the same page is also "code": keep the ids apart.
        kwargs.setdefault("auto_id", "id_discount_%s")
        super().__init__(*args, **kwargs)

    def clean_code(self) -> str:
        return self.cleaned_data["code"].strip().upper()


class PaymentForm(forms.Form):
    """One tender, or a split over up to three; together they pay the total exactly.

    A single tender with no amount pays the whole total. Cash is handed over in the
    ``currency``'s coins: cash paying alone is due rounded to the smallest
    (``cash_rounded``: 56.61 francs are 56.60 in cash), and the change is worked
    out from that; cash beside another tender is an amount the coins make (20.03
    francs is refused: 20.00 or 20.05, the other tender paying the rest). A gift
    card given no amount pays what it holds, cash alone paying the rest in coins.

    ``remote``: the customer is on the phone. The card keyed on the terminal is the
    one tender offered besides stored value; cash or a wallet sent anyway is a form
    error saying why, not an unknown choice.

    ``card_shown``: the sale's customer was attached by their loyalty card
    (``orders.staff.views.sale_state.card_shown``). Without it their store credit
    and points are shown disabled, and asked for anyway they are a form error on
    their field, nothing paid.
    """

    def __init__(
        self,
        *args,
        total: Decimal,
        currency: str = "",
        remote: bool = False,
        card_shown: bool = False,
        caller: str = "",
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.total, self.caller = total, caller
        self.currency = currency
        self.remote = remote
        self.card_shown = card_shown
        for row in range(1, TENDER_ROWS + 1):
            first = row == 1
            self.fields[f"method_{row}"] = forms.ChoiceField(
                label="Paid by" if first else f"Also paid by (tender {row})",
                choices=COUNTER_TENDERS if first else [("", "—"), *COUNTER_TENDERS],
                required=first,
                initial=PaymentMethod.CARD_IN_STORE if first else "",
                widget=forms.RadioSelect if first else forms.Select,
                error_messages={"required": "Choose how the customer pays."},
            )
            if remote:  # shown: what is offered; accepted: what can be explained
                offered = PHONE_TENDERS if first else [("", "—"), *PHONE_TENDERS]
                self.fields[f"method_{row}"].widget.choices = offered
            self.fields[f"amount_{row}"] = MoneyField(label="Amount", required=False)

        self._stored_value_fields()

        self.fields["tendered"] = MoneyField(
            label="Cash tendered",
            required=False,
            error_messages={"invalid": "Enter an amount in digits, such as 100.00."},
        )

    def _stored_value_fields(self) -> None:
        self.fields["gift_card_number"] = forms.CharField(
            label="Gift card number (scan or type)",
            required=False,
            max_length=40,
            widget=forms.TextInput(attrs={"autocomplete": "off", **NUMERIC}),
        )
        self.fields["gift_card_pin"] = forms.CharField(
            label="PIN",
            required=False,
            max_length=8,
            widget=forms.PasswordInput(attrs={"autocomplete": "off", **NUMERIC}),
        )
        self.fields["gift_card_amount"] = MoneyField(
            label="From the gift card", required=False
        )
        self.fields["store_credit_amount"] = MoneyField(
            label="From store credit", required=False
        )
        self.fields["points"] = forms.IntegerField(
            label="Points to spend",
            required=False,
            min_value=1,
            max_value=10**9,
            widget=forms.NumberInput(
                attrs={
                    **NUMERIC,
                    "data-per-unit": settings.OMNISTORE_LOYALTY_POINTS_PER_REDEEMED_UNIT,
                }
            ),
            error_messages={"min_value": "Enter a positive number of points."},
        )
        if not self.card_shown:  # the page says why (``card_needed``)
            for name in CUSTOMER_VALUE:
                self.fields[name].widget.attrs["disabled"] = True

    def _stored_value(self, data) -> list[PaymentRequest]:
        """The gift card, store credit and points asked for, checked for what can be
        checked here (the balances are checked when the sale is placed)."""
        tenders: list[PaymentRequest] = []
        number, pin = data.get("gift_card_number"), data.get("gift_card_pin")
        card_amount = data.get("gift_card_amount")
        if number or pin or card_amount is not None:
            for name, value in (("gift_card_number", number), ("gift_card_pin", pin)):
                if not value:
                    self.add_error(name, "Needed to pay by gift card.")
            tenders.append(
                PaymentRequest(
                    method=PaymentMethod.GIFT_CARD,
                    amount=card_amount,
                    card_number=number or "",
                    pin=pin or "",
                )
            )
        if data.get("store_credit_amount") is not None:
            tenders.append(
                PaymentRequest(
                    method=PaymentMethod.STORE_CREDIT,
                    amount=data["store_credit_amount"],
                )
            )
        if data.get("points"):
            worth = points_value(data["points"])
            if worth <= 0:
                self.add_error("points", "Too few points to pay anything.")
            tenders.append(
                PaymentRequest(
                    method=PaymentMethod.LOYALTY_POINTS,
                    amount=worth,
                    points=data["points"],
                )
            )
        return tenders

    @property
    def card_needed(self) -> str:
        """Why the customer's store credit and points are closed; "" once open."""
        if self.card_shown:
            return ""
        return CARD_NEEDED_ON_THE_PHONE if self.remote else CARD_NEEDED

    def _refuse_without_card(self, data) -> None:
        """Store credit or points asked for a customer not attached by their card
        (``card_needed``): refused on its own field."""
        for name in CUSTOMER_VALUE:
            if self.card_needed and data.get(name) is not None:
                self.add_error(name, self.card_needed)

    @property
    def stored_value_open(self) -> bool:
        names = ("gift_card_number", "store_credit_amount", "points")
        return any(self[name].value() for name in names)

    @property
    def cash_step(self) -> Decimal:
        """The smallest coin the cash is counted out in: the page's change preview
        rounds the cash due to it, as the form does."""
        return cash_step(self.currency) if self.currency else Decimal("0.01")

    @property
    def rounds_cash(self) -> bool:
        """Whether cash is rounded: the smallest coin is above a cent (francs)."""
        return self.cash_step > Decimal("0.01")

    @property
    def rows(self):
        return [
            (self[f"method_{row}"], self[f"amount_{row}"])
            for row in range(1, TENDER_ROWS + 1)
        ]

    def clean(self):
        data = super().clean()
        if self.remote:
            self._refuse_at_the_counter(data)
        self._refuse_without_card(data)
        if self.errors:
            return data
        stored = self._stored_value(data)
        if self.errors:
            return data
        try:  # a gift card given no amount: its share (``gift_card_shares``)
            stored = gift_card_shares(
                stored,
                total=self.total,
                currency=self.currency,
                rest_by=[data.get(f"method_{r}") for r in range(1, TENDER_ROWS + 1)],
                caller=self.caller,
            )
        except ApplicationError as refusal:
            raise ValidationError(refusal.message, code=refusal.code) from None
        taken = sum((t.amount for t in stored), Decimal("0.00"))
        if taken > self.total:
            raise ValidationError(
                "The gift card, store credit and points add up to %(taken)s, more "
                "than the total %(total)s. Nothing was charged.",
                code="stored_value_over_total",
                params={"taken": taken, "total": self.total},
            )
        if taken == self.total:  # nothing left for card or cash
            data["tendered"], data["change"], data["cash_due"] = None, None, 0
            data["tenders"] = stored
            return data
        total, self.total = self.total, self.total - taken
        try:
            self._money_tenders(data)
        finally:
            self.total = total
        if "tenders" in data:
            data["tenders"] = [*stored, *data["tenders"]]
            self._refuse_cash_not_in_coins(data)
        return data

    def _refuse_cash_not_in_coins(self, data) -> None:
        """Cash beside another tender that the drawer's coins cannot make (20.03
        francs) is refused on its amount, as the sale would refuse it
        (``check_cash_part``): only cash paying alone is rounded."""
        if not self.currency:
            return
        try:
            check_cash_part(data["tenders"], self.currency)
        except ValidationFailed as refusal:
            rows = range(1, TENDER_ROWS + 1)
            cash = (r for r in rows if data.get(f"method_{r}") == PaymentMethod.CASH)
            row = next(cash, 1)
            self.add_error(f"amount_{row}", refusal.message)

    def _refuse_at_the_counter(self, data) -> None:
        """A customer on the phone hands nothing over: each tender that needs them
        at the counter is refused on its own field."""
        for row in range(1, TENDER_ROWS + 1):
            why = AT_THE_COUNTER.get(data.get(f"method_{row}"))
            if why:
                self.add_error(
                    f"method_{row}",
                    f"{why} and the customer is on the phone: take their card on "
                    "the shop's terminal, a gift card, store credit or points.",
                )

    def _money_tenders(self, data) -> None:
        """Card, cash and wallet for what the stored value leaves (``self.total``
        while this runs)."""
        tenders: list[tuple[str, Decimal | None]] = []
        for row in range(1, TENDER_ROWS + 1):
            method, amount = data.get(f"method_{row}"), data.get(f"amount_{row}")
            if not method and amount is not None:
                self.add_error(f"method_{row}", "Choose how this amount is paid.")
            elif method:
                tenders.append((method, amount))
        if self.errors:
            return
        if len(tenders) == 1 and tenders[0][1] is None:
            tenders = [(tenders[0][0], self.total)]
        tenders = self._cash_handed_over(data, tenders)
        if any(amount is None for _, amount in tenders):
            raise ValidationError(
                "With more than one tender, enter the amount of each.",
                code="split_amounts",
            )
        paid = sum((amount for _, amount in tenders), Decimal("0.00"))
        if paid != self.total:
            gap = self.total - paid
            detail = f"{gap} still to pay" if gap > 0 else f"{-gap} too much"
            raise ValidationError(
                "The payments add up to %(paid)s but the total is %(total)s "
                "(%(detail)s). Nothing was charged.",
                code="tenders_do_not_add_up",
                params={"paid": paid, "total": self.total, "detail": detail},
            )
        self._change(data, tenders)
        data["tenders"] = [
            PaymentRequest(method=method, amount=amount) for method, amount in tenders
        ]

    def _cash_due(self, cash: Decimal) -> Decimal:
        return cash_rounded(cash, self.currency) if self.currency else cash

    @property
    def cash_total(self) -> Decimal | None:
        """The total as paid all in cash, when the drawer's coins round it."""
        due = self._cash_due(self.total)
        return due if due != self.total else None

    def _cash_handed_over(self, data, tenders):
        """One cash tender other than the total, and at least the cash due for it, is
        the cash handed over: the sale takes the total and gives the rest back as
        change (none for the rounded total itself)."""
        if (
            len(tenders) == 1
            and tenders[0][0] == PaymentMethod.CASH
            and tenders[0][1] is not None
            and tenders[0][1] != self.total
            and tenders[0][1] >= self._cash_due(self.total)
        ):
            data["tendered"] = data.get("tendered") or tenders[0][1]
            return [(PaymentMethod.CASH, self.total)]
        return tenders

    def _change(self, data, tenders) -> None:
        """Cash tendered against the cash part of the payment (rounded to the
        smallest coin): the change due, or a field error when the till's rule
        (``change_due``) refuses it: less than is due, or more change than the
        largest note."""
        cash = sum((a for m, a in tenders if m == PaymentMethod.CASH), Decimal("0.00"))
        data["cash_due"] = cash
        if not cash:
            data["tendered"], data["change"] = None, None
            return
        if data.get("tendered") is None:
            data["tendered"] = self._cash_due(cash)
        try:
            data["change"] = change_due(
                tendered=data["tendered"], due=cash, currency=self.currency
            )
        except ValidationFailed as refusal:
            self.add_error("tendered", refusal.message)


def _required(message: str) -> dict:
    return {"required": message}


class DeliveryForm(forms.Form):
    name = forms.CharField(label="Deliver to (name)", max_length=200, required=False)
    line1 = forms.CharField(
        label="Address",
        max_length=250,
        error_messages=_required("Enter the street and number."),
    )
    line2 = forms.CharField(label="Address line 2", max_length=250, required=False)
    postcode = forms.CharField(
        label="Postcode", max_length=20, error_messages=_required("Enter the postcode.")
    )
    city = forms.CharField(
        label="City", max_length=100, error_messages=_required("Enter the city.")
    )
    country = forms.CharField(
        label="Country",
        max_length=2,
        min_length=2,
        initial="IT",
        error_messages={
            "required": "Enter the country.",
            "min_length": "Use the two-letter code, e.g. IT.",
        },
    )
    phone = forms.CharField(
        label="Phone for the courier", max_length=30, required=False
    )

    def clean_country(self) -> str:
        return self.cleaned_data["country"].upper()

    @property
    def address(self) -> dict:
        return {key: self.cleaned_data.get(key, "") for key in self.fields}


class DeliveryWaiverForm(forms.Form):
    """Why the shop waives a sale's delivery fee: one of the usual reasons, with
    what happened (required for "Another reason"); the service keeps them as one
    text (``reason``)."""

    REASONS = [
        ("", "Choose why"),
        ("late", "Late parcel"),
        ("complaint", "Complaint"),
        ("goodwill", "Goodwill gesture"),
        ("other", "Another reason"),
    ]

    prefix = "waiver"
    why = forms.ChoiceField(
        label="Why waive it",
        choices=REASONS,
        error_messages=_required("Choose why the fee is waived."),
    )
    detail = forms.CharField(
        label="What happened", max_length=150, required=False, strip=True
    )

    def clean(self):
        data = super().clean()
        why, detail = data.get("why"), data.get("detail", "")
        if why == "other" and not detail:
            self.add_error("detail", "Say what happened.")
        elif why:
            label = dict(self.REASONS)[why]
            data["reason"] = f"{label}: {detail}" if detail else label
        return data


class ShopChoiceField(forms.ModelChoiceField):
    """A shop named with its city, and whether it already holds the whole basket."""

    def __init__(self, *args, complete=frozenset(), **kwargs):
        super().__init__(*args, **kwargs)
        self.complete = set(complete)

    def label_from_instance(self, obj) -> str:
        label = f"{obj.name} · {obj.city}" if obj.city else obj.name
        if obj.pk in self.complete:
            label += " — has everything"
        return label


class PickupStoreForm(forms.Form):
    def __init__(self, *args, shops, complete=frozenset(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["store"] = ShopChoiceField(
            queryset=shops,
            complete=complete,
            label="Collect at",
            empty_label="Choose a shop",
            error_messages={
                "required": "Choose the shop the customer collects from.",
                "invalid_choice": "This shop does not hand over orders.",
            },
        )


class GiftCardSaleForm(forms.Form):
    """A physical gift card sold with the sale: its number scanned, the PIN under its
    scratch strip and the amount (checked by ``prepare_card_sale``)."""

    number = forms.CharField(
        label="Gift card number",
        max_length=40,
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "numeric"}),
    )
    pin = forms.CharField(
        label="PIN from the card",
        max_length=8,
        widget=forms.PasswordInput(
            attrs={"autocomplete": "off", "inputmode": "numeric"}
        ),
    )
    amount = forms.CharField(
        label="Amount",
        max_length=12,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "size": 7}),
    )
