"""Forms of the returns desk: they parse what staff choose per line; the views pass the
cleaned values to ``orders.services``, which checks the policy and the quantities again
under lock (another desk may have taken the same units meanwhile)."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError

from inventory.staff.forms import VariantCodeField
from omnistore.staff.once import SentOnceForm
from orders.models import (
    PaymentMethod,
    RefundMethod,
    ReturnCondition,
    ReturnDisposition,
    ReturnReason,
)
from orders.selectors.returns import paid_each
from orders.services.common import MAX_LINE_QUANTITY
from orders.services.payments import PaymentRequest
from orders.services.return_endings import NO_REFUND_REASON
from orders.services.returns import ReceiveLine, ReturnLineRequest

NUMERIC = {"inputmode": "numeric"}
REASON_CHOICES = [("", "Why?"), *ReturnReason.choices]
DISPOSITION_CHOICES = [("", "As its condition"), *ReturnDisposition.choices]
DIFFERENCE_TENDERS = [
    (PaymentMethod.CARD_IN_STORE, "Card"),
    (PaymentMethod.CASH, "Cash"),
    (PaymentMethod.MOBILE_WALLET, "Mobile wallet"),
]
REPLACEMENT_ROWS = 3


class OptionalVariantCodeField(VariantCodeField):
    """A replacement row left empty is no item, not an unknown one."""

    def clean(self, value):
        if value in self.empty_values and not self.required:
            return None
        return super().clean(value)


class RefundMethodSelect(forms.RadioSelect):
    """The refund methods, those ``refused`` at this shop (method: why) shown
    disabled with the reason beside them: the associate sees what works here
    before trying."""

    def __init__(self, *args, refused: Mapping[str, str] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.refused = dict(refused or {})

    def create_option(self, name, value, label, selected, index, *args, **kwargs):
        option = super().create_option(
            name, value, label, selected, index, *args, **kwargs
        )
        why = self.refused.get(str(value))
        if why:
            option["attrs"]["disabled"] = True
            option["selected"] = False
            option["attrs"].pop("checked", None)
            option["label"] = f"{label}: not here. {why}"
        return option


def _refund_method_field(refused: Mapping[str, str] | None = None) -> forms.ChoiceField:
    """Every method stays a valid answer (the refund's own refusal says why a
    refused one cannot be given); the first one that works here is chosen."""
    refused = refused or {}
    works = [value for value, _ in RefundMethod.choices if value not in refused]
    return forms.ChoiceField(
        label="Refund to",
        choices=RefundMethod.choices,
        initial=works[0] if works else None,
        widget=RefundMethodSelect(refused=refused),
        error_messages={"required": "Choose how to refund."},
    )


def _override_field() -> forms.CharField:
    return forms.CharField(
        label="Accept outside the return window because",
        max_length=250,
        required=False,
        help_text="Kept on the return and in its history, e.g. “faulty seam, "
        "manager approved”.",
    )


class LineRow:
    """The fields of one order line, for the template."""

    def __init__(self, form: forms.Form, line):
        self.line = line
        self.quantity = form[f"qty_{line.pk}"]
        self.reason = form[f"reason_{line.pk}"]
        self.condition = form[f"condition_{line.pk}"]
        self.disposition = form[f"disposition_{line.pk}"]

    @property
    def paid_each(self) -> Decimal:
        """What a unit was paid, after the order's discounts: what it refunds."""
        return paid_each(self.line)

    @property
    def errors(self) -> list[str]:
        return [
            *self.quantity.errors,
            *self.reason.errors,
            *self.condition.errors,
            *self.disposition.errors,
        ]


class ReturnLinesForm(forms.Form):
    """Units of each order line to take back (0 keeps it), why, and what staff see.

    ``lines`` carry ``returnable`` (bought minus already returned); outside the window
    (``needs_override``) a reason to accept the return anyway is required.
    """

    note = forms.CharField(label="Note", max_length=500, required=False)
    without_receipt = forms.BooleanField(
        label="No receipt: the order was found by the customer's details",
        required=False,
    )

    def __init__(
        self,
        *args,
        lines,
        needs_override: bool = False,
        with_refund_method: bool = True,
        refused: Mapping[str, str] | None = None,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.lines = list(lines)
        self.needs_override = needs_override
        if with_refund_method:
            self.fields["refund_method"] = _refund_method_field(refused)
        if needs_override:
            self.fields["override_reason"] = _override_field()
        for line in self.lines:
            top = min(line.returnable, MAX_LINE_QUANTITY)
            self.fields[f"qty_{line.pk}"] = forms.IntegerField(
                label=f"Units of {line.sku} to return",
                min_value=0,
                max_value=top,
                initial=0,
                required=False,
                disabled=top == 0,
                widget=forms.NumberInput(attrs={**NUMERIC, "class": "qty-input"}),
                error_messages={
                    "invalid": "Enter a whole number.",
                    "min_value": "Cannot be negative.",
                    "max_value": "At most %(limit_value)s can be returned.",
                },
            )
            self.fields[f"reason_{line.pk}"] = forms.ChoiceField(
                label=f"Reason for {line.sku}", choices=REASON_CHOICES, required=False
            )
            self.fields[f"condition_{line.pk}"] = forms.ChoiceField(
                label=f"Condition of {line.sku}",
                choices=ReturnCondition.choices,
                initial=ReturnCondition.SELLABLE,
                required=False,
            )
            self.fields[f"disposition_{line.pk}"] = forms.ChoiceField(
                label=f"Where {line.sku} goes",
                choices=DISPOSITION_CHOICES,
                required=False,
            )

    @property
    def rows(self) -> list[LineRow]:
        return [LineRow(self, line) for line in self.lines]

    def units_typed(self) -> dict[int, int] | None:
        """Units per order line as typed so far, for the refund they come to before
        the rest of the form is filled in; None while one of them is no number the
        line takes (over what it can return, negative, not whole): a sum leaving it
        out would be no refund anyone asked for."""
        if not self.is_bound:
            return {}
        self.is_valid()
        if any(f"qty_{line.pk}" in self.errors for line in self.lines):
            return None
        return {
            line.pk: self.cleaned_data.get(f"qty_{line.pk}") or 0 for line in self.lines
        }

    def clean(self):
        data = super().clean()
        chosen = []
        for line in self.lines:
            units = data.get(f"qty_{line.pk}") or 0
            if not units:
                continue
            reason = data.get(f"reason_{line.pk}")
            if not reason:
                self.add_error(f"reason_{line.pk}", "Say why it comes back.")
                continue
            condition = data.get(f"condition_{line.pk}") or ReturnCondition.SELLABLE
            disposition = data.get(f"disposition_{line.pk}") or ""
            if (
                condition == ReturnCondition.DAMAGED
                and disposition == ReturnDisposition.RESTOCK
            ):
                self.add_error(
                    f"disposition_{line.pk}",
                    "A damaged item cannot go back to sellable stock.",
                )
                continue
            chosen.append(
                ReturnLineRequest(
                    order_line=line.pk,
                    quantity=units,
                    reason=reason,
                    condition=condition,
                    disposition=disposition,
                )
            )
        if self.needs_override and not (data.get("override_reason") or "").strip():
            self.add_error(
                "override_reason",
                "Outside the return window: say why it is accepted anyway.",
            )
        line_errors = any(
            name.startswith(("qty_", "reason_", "disposition_")) for name in self.errors
        )
        if not chosen and not line_errors:
            raise ValidationError(
                "Choose at least one item to return (units above zero).",
                code="nothing_chosen",
            )
        data["lines"] = chosen
        return data


class ReturnStartForm(ReturnLinesForm, SentOnceForm):
    """The counter's return: it moves stock and money, so the same POST sent twice
    (a double tap, a resent request) opens one return, not two."""


class ReceiveReturnForm(forms.Form):
    """What staff see on each line of a return started online, and where it goes."""

    def __init__(
        self,
        *args,
        lines,
        late: bool = False,
        with_refund_method: bool = True,
        refused: Mapping[str, str] | None = None,
        **kw,
    ):
        super().__init__(*args, **kw)
        self.lines = list(lines)
        self.late = late  # brought in after its day: accepted with a reason
        if with_refund_method:
            self.fields["refund_method"] = _refund_method_field(refused)
        if late:
            self.fields["override_reason"] = _override_field()
        for line in self.lines:
            sku = line.order_line.sku
            self.fields[f"condition_{line.pk}"] = forms.ChoiceField(
                label=f"Condition of {sku}",
                choices=ReturnCondition.choices,
                initial=line.condition,
            )
            self.fields[f"disposition_{line.pk}"] = forms.ChoiceField(
                label=f"Where {sku} goes", choices=DISPOSITION_CHOICES, required=False
            )

    @property
    def rows(self):
        return [
            (
                line,
                self[f"condition_{line.pk}"],
                self[f"disposition_{line.pk}"],
            )
            for line in self.lines
        ]

    def clean(self):
        data = super().clean()
        received = []
        for line in self.lines:
            condition = data.get(f"condition_{line.pk}") or line.condition
            disposition = data.get(f"disposition_{line.pk}") or ""
            if (
                condition == ReturnCondition.DAMAGED
                and disposition == ReturnDisposition.RESTOCK
            ):
                self.add_error(
                    f"disposition_{line.pk}",
                    "A damaged item cannot go back to sellable stock.",
                )
            received.append(ReceiveLine(line.pk, condition, disposition))
        data["lines"] = received
        if self.late and not (data.get("override_reason") or "").strip():
            self.add_error(
                "override_reason", "Say why it is accepted after its day to bring it."
            )
        return data


class RefundForm(forms.Form):
    def __init__(self, *args, refused: Mapping[str, str] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["refund_method"] = _refund_method_field(refused)


class CancelReturnForm(forms.Form):
    reason = forms.CharField(
        label="Reason",
        max_length=200,
        error_messages={"required": "Say why the return is cancelled."},
    )

    def clean_reason(self) -> str:
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise ValidationError("Say why the return is cancelled.", code="required")
        return reason


class CloseWithoutRefundForm(forms.Form):
    """A manager closing a received return its refund can never reach: why."""

    reason = forms.CharField(
        label="Why no refund",
        max_length=200,
        help_text="Kept on the return's history and the customer's timeline.",
        error_messages={"required": NO_REFUND_REASON},
    )

    def clean_reason(self) -> str:
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise ValidationError(NO_REFUND_REASON, code="required")
        return reason


def _difference_tender_field(refused: Mapping[str, str]) -> forms.ChoiceField:
    """Offers the tenders that work at this shop, the first chosen; those ``refused``
    here (method: why) are not offered, and the reason is said beside the field.
    Every tender stays a valid answer: the exchange's own refusal says why one sent
    anyway is not taken here."""
    offered = [
        (value, label) for value, label in DIFFERENCE_TENDERS if value not in refused
    ]
    field = forms.ChoiceField(
        label="Difference paid by",
        choices=DIFFERENCE_TENDERS,
        initial=offered[0][0],
        help_text=next(iter(refused.values()), ""),
    )
    field.widget.choices = offered
    return field


class ExchangeForm(ReturnLinesForm, SentOnceForm):
    """The lines coming back plus what the customer takes instead: taken now, or from
    the endless aisle for pickup at a shop. Any difference is paid with one tender
    this shop takes for it (``refused_tenders``: those it does not, and why), or
    with a gift card (its number and PIN), that tender paying what the card is
    short by (``difference_tenders``). Nothing to pay takes no tender."""

    FULFILMENTS = [("carry_out", "Takes it now"), ("pickup", "Pick up at a shop")]

    def __init__(
        self,
        *args,
        shops,
        refused_tenders: Mapping[str, str] | None = None,
        **kwargs,
    ):
        kwargs["with_refund_method"] = False
        super().__init__(*args, **kwargs)
        for row in range(1, REPLACEMENT_ROWS + 1):
            self.fields[f"code_{row}"] = OptionalVariantCodeField(
                label="Replacement: scan or type a SKU / barcode"
                if row == 1
                else f"Replacement {row}",
                required=row == 1,
            )
            self.fields[f"units_{row}"] = forms.IntegerField(
                label="Units",
                min_value=1,
                max_value=MAX_LINE_QUANTITY,
                initial=1,
                required=False,
                widget=forms.NumberInput(attrs=dict(NUMERIC)),
            )
        self.fields["fulfilment"] = forms.ChoiceField(
            label="Replacement",
            choices=self.FULFILMENTS,
            initial="carry_out",
            widget=forms.RadioSelect,
        )
        self.fields["store"] = forms.ModelChoiceField(
            queryset=shops,
            label="Collect at",
            required=False,
            empty_label="Choose a shop",
        )
        self.fields["tender"] = _difference_tender_field(refused_tenders or {})
        self.fields["gift_card_number"] = forms.CharField(
            label="Or a gift card: number",
            help_text="It pays what it holds; the tender above pays the rest.",
            required=False,
            max_length=40,
            widget=forms.TextInput(attrs={"autocomplete": "off", **NUMERIC}),
        )
        self.fields["gift_card_pin"] = forms.CharField(
            label="Gift card PIN",
            required=False,
            max_length=8,
            # Kept on the review page: completing the exchange posts it again.
            widget=forms.PasswordInput(
                attrs={"autocomplete": "off", **NUMERIC}, render_value=True
            ),
        )

    @property
    def replacement_rows(self):
        return [
            (self[f"code_{row}"], self[f"units_{row}"])
            for row in range(1, REPLACEMENT_ROWS + 1)
        ]

    def clean(self):
        data = super().clean()
        wanted = []
        for row in range(1, REPLACEMENT_ROWS + 1):
            variant = data.get(f"code_{row}")
            if variant:
                wanted.append((variant, data.get(f"units_{row}") or 1))
        data["replacement"] = wanted
        if data.get("fulfilment") == "pickup" and not data.get("store"):
            self.add_error("store", "Choose the shop the customer collects from.")
        data["payments"] = [PaymentRequest(method=data.get("tender") or "cash")]
        number, pin = data.get("gift_card_number"), data.get("gift_card_pin")
        if number or pin:  # the gift card first, the tender for what it is short by
            if not (number and pin):
                self.add_error(
                    "gift_card_pin" if number else "gift_card_number",
                    "Give the gift card's number and PIN.",
                )
            card = PaymentRequest(
                method=PaymentMethod.GIFT_CARD, card_number=number or "", pin=pin or ""
            )
            data["payments"].insert(0, card)
        return data
