"""Forms of the till: the register a device uses, a cash count by denomination (the
float at open, the drawer at close), cash in and out, a manager's approval. The views
pass the cleaned values to ``orders.services.till``, which decides."""

from __future__ import annotations

from decimal import Decimal

from django import forms

from omnistore.staff.fields import MoneyField, UnitsField
from omnistore.staff.once import SentOnceForm
from orders.models import TillMovementKind
from orders.selectors.till import counted_total, denominations, is_note

NUMERIC = {"inputmode": "numeric", "min": "0"}


def _field_name(value: Decimal) -> str:
    return "d_" + str(value).replace(".", "_")


class RegisterForm(forms.Form):
    def __init__(self, *args, registers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["register"] = forms.ModelChoiceField(
            queryset=registers,
            label="This device is",
            empty_label="Choose a register",
            error_messages={
                "required": "Choose the register of this device.",
                "invalid_choice": "That register is not in this shop.",
            },
        )


class CountForm(forms.Form):
    """Units of each note and coin of the drawer's currency; empty counts as none."""

    def __init__(self, *args, currency: str, **kwargs):
        kwargs.setdefault("prefix", "count")
        super().__init__(*args, **kwargs)
        self.currency = currency
        for value in denominations(currency):
            self.fields[_field_name(value)] = UnitsField(
                label=f"{value:g}" if value >= 1 else f"{value:.2f}",
                required=False,
                min_value=0,
                max_value=100_000,
                widget=forms.NumberInput(attrs=dict(NUMERIC)),
                error_messages={
                    "invalid": "Whole units.",
                    "min_value": "Not below 0.",
                    "max_value": "Too many.",
                },
            )

    @property
    def denomination_fields(self):
        return [
            (value, self[_field_name(value)], is_note(self.currency, value))
            for value in denominations(self.currency)
        ]

    def clean(self):
        data = super().clean()
        if not self.errors:
            data["counts"] = {
                value: data.get(_field_name(value)) or 0
                for value in denominations(self.currency)
            }
            data["total"] = counted_total(data["counts"])
        return data


class CloseForm(CountForm):
    note = forms.CharField(
        label="Note (what you know about a difference)",
        max_length=250,
        required=False,
    )


class CashMoveForm(SentOnceForm):
    kind = forms.ChoiceField(
        label="Movement",
        choices=[
            (TillMovementKind.CASH_IN, "Cash in"),
            (TillMovementKind.CASH_OUT, "Cash out"),
        ],
        initial=TillMovementKind.CASH_OUT,
        widget=forms.RadioSelect,
    )
    amount = MoneyField(
        label="Amount",
        error_messages={
            "required": "Enter the amount.",
            "invalid": "Enter an amount in digits, such as 20.00.",
        },
    )
    reason = forms.CharField(
        label="Why",
        max_length=250,
        error_messages={"required": "Say why the cash moves."},
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("prefix", "move")
        super().__init__(*args, **kwargs)
