"""Forms of the staff stock screens: they parse what staff type or scan; the views pass
the cleaned values to ``inventory.services``."""

from __future__ import annotations

import re

from django import forms
from django.core.exceptions import ValidationError

from inventory import selectors
from inventory.models import Location, MovementReason, Transfer, Variant
from inventory.services.stock import wrong_way
from omnistore.core.digits import is_digits
from omnistore.core.exceptions import ApplicationError, InsufficientStock
from omnistore.staff.auth import switchable_shops
from omnistore.staff.fields import UnitsField
from omnistore.staff.once import SentOnceForm

# Far above any real delivery, well inside a database integer.
MAX_UNITS = 100_000

CODE_WIDGET_ATTRS = {
    "autocomplete": "off",
    "autocapitalize": "off",
    "spellcheck": "false",
    "placeholder": "Scan or type a SKU / barcode",
    "autofocus": True,
    # scan.js: Enter takes the code (queued, or looked up) instead of a bare submit.
    "data-scan-field": "",
}


NUMERIC = {"inputmode": "numeric"}


class SignedUnitsField(UnitsField):
    """Units in digits (``UnitsField``), taken away with a minus in front ("-2"): the
    one sign units take ("+2", "٢" or "2.0" are refused as on every staff form).
    ``min_value`` says how low they go: an adjustment's change is signed, a receipt
    or a count answers "-3" with its lowest."""

    def to_python(self, value):
        text = "" if value in self.empty_values else str(value).strip()
        if text.startswith("-") and is_digits(text[1:]):
            return -super().to_python(text[1:])
        return super().to_python(value)


def _units_field(*, label: str, min_value: int, **kwargs) -> SignedUnitsField:
    return SignedUnitsField(
        label=label,
        min_value=min_value,
        max_value=MAX_UNITS,
        widget=forms.NumberInput(attrs=dict(NUMERIC)),
        error_messages={
            "invalid": "Enter a whole number in digits, e.g. 3.",
            "required": "Enter a quantity.",
            "min_value": "Must be at least %(limit_value)s.",
            "max_value": "Must be at most %(limit_value)s.",
        },
        **kwargs,
    )


class VariantCodeField(forms.CharField):
    """A SKU or barcode, cleaned to the Variant it names."""

    def __init__(self, **kwargs):
        kwargs.setdefault("label", "SKU or barcode")
        kwargs.setdefault("max_length", 64)
        kwargs.setdefault("widget", forms.TextInput(attrs=dict(CODE_WIDGET_ATTRS)))
        kwargs.setdefault(
            "error_messages", {"required": "Scan or type a SKU or barcode."}
        )
        super().__init__(**kwargs)

    def clean(self, value) -> Variant:
        code = super().clean(value)
        variant = selectors.variant_by_code(code=code)
        if variant is None:
            raise ValidationError(
                "No item with SKU or barcode “%(code)s”.",
                code="unknown_sku",
                params={"code": code},
            )
        return variant


def own_location(user, opened: str) -> Location | None:
    """The location a form or a link names by id (``opened``), when it is one the
    user may act for (``switchable_shops``); else None."""
    if not (is_digits(opened) and len(opened) <= 18):  # a bigint at most
        return None
    return switchable_shops(user).filter(pk=int(opened)).first()


class OpenedAtForm(forms.Form):
    """A form that acts at the location it was drawn for, which it carries
    (``store``, hidden). Sent once the user acts for another one (the header switched
    in another tab), it is refused and changes nothing: stock is never booked at a
    location the page did not show."""

    store = forms.CharField(widget=forms.HiddenInput, required=False, max_length=20)

    def __init__(self, *args, store: Location, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.location = store
        self.user = user
        self.fields["store"].initial = store.pk
        self.moved = False

    def clean(self):
        data = super().clean()
        opened = str(data.pop("store", "") or "")
        if opened != str(self.location.pk):
            self.moved = True
            self.add_error(None, self._moved(opened))
        return data

    def _moved(self, opened: str) -> str:
        """Where the form was opened (one of the user's locations, by name), and
        where the user works now."""
        place = own_location(self.user, opened)
        name = place.name if place is not None else "another location"
        return (
            f"This form was opened for {name}; you now work at {self.location.name}: "
            "open it again."
        )


class ReceiveStockForm(OpenedAtForm, SentOnceForm):
    code = VariantCodeField()
    quantity = _units_field(label="Units received", min_value=1, initial=1)
    note = forms.CharField(
        label="Note (delivery note, supplier)", required=False, max_length=250
    )


class AdjustStockForm(OpenedAtForm, SentOnceForm):
    REASONS = [
        (MovementReason.ADJUSTMENT, "Adjustment (found, lost, mis-scan)"),
        (MovementReason.DAMAGE, "Damage (write off)"),
    ]

    code = VariantCodeField()
    delta = SignedUnitsField(
        label="Change in units (negative removes)",
        min_value=-MAX_UNITS,
        max_value=MAX_UNITS,
        widget=forms.NumberInput(attrs=dict(NUMERIC)),
        error_messages={
            "invalid": "Enter a whole number in digits, e.g. -2 or 3.",
            "required": "Enter how many units to add or remove.",
        },
    )
    reason = forms.ChoiceField(choices=REASONS, initial=MovementReason.ADJUSTMENT)
    note = forms.CharField(
        label="Why",
        max_length=250,
        error_messages={"required": "Say why the stock is adjusted."},
    )

    def clean_delta(self) -> int:
        delta = self.cleaned_data["delta"]
        if delta == 0:
            raise ValidationError("Enter a number other than zero.", code="zero")
        return delta

    def clean_note(self) -> str:
        note = self.cleaned_data["note"].strip()
        if not note:
            raise ValidationError("Say why the stock is adjusted.", code="required")
        return note

    def clean(self):
        data = super().clean()
        delta, reason = data.get("delta"), data.get("reason")
        if delta and reason and (message := wrong_way(reason, delta)):
            self.add_error("delta", message)
        return data


class CountStockForm(OpenedAtForm, SentOnceForm):
    code = VariantCodeField()
    counted = _units_field(
        label="Units counted, including those held for customers",
        min_value=0,
        help_text="Everything here of the item: shelf, stockroom, and the units "
        "picked or set aside for customers' orders. The count replaces the units on "
        "hand.",
    )
    note = forms.CharField(label="Note", required=False, max_length=250)


LINE_SPLIT = re.compile(r"[\s,;]+")


def parse_transfer_lines(text: str) -> list[tuple[Variant, int]]:
    """Lines of ``CODE QTY`` (``CODE x QTY`` and ``CODE,QTY`` too); a bare code is one
    unit, so scanning items one per line works. Every bad line is reported at once."""
    parsed: list[tuple[int, str, int]] = []
    errors: list[tuple[int, str]] = []  # (line number, message): said in line order
    for number, raw in enumerate((text or "").splitlines(), start=1):
        tokens = [t for t in LINE_SPLIT.split(raw.strip()) if t]
        if not tokens:
            continue
        if len(tokens) == 3 and tokens[1].lower() in {"x", "×"}:
            tokens = [tokens[0], tokens[2]]
        if len(tokens) > 2:
            errors.append(
                (number, f"Line {number}: write the SKU or barcode, then the quantity.")
            )
            continue
        code, qty_text = tokens[0], tokens[1] if len(tokens) == 2 else "1"
        if not is_digits(qty_text) or not 0 < int(qty_text) <= MAX_UNITS:
            errors.append(
                (
                    number,
                    f"Line {number}: “{qty_text}” is not a quantity "
                    f"(a whole number from 1 to {MAX_UNITS}).",
                )
            )
            continue
        parsed.append((number, code, int(qty_text)))
    found = selectors.variants_by_codes(codes=[code for _, code, _ in parsed])
    for number, code, _qty in parsed:
        if code not in found:
            errors.append(
                (number, f"Line {number}: no item with SKU or barcode “{code}”.")
            )
    if errors:
        raise ValidationError([message for _, message in sorted(errors)])
    if not parsed:
        raise ValidationError("Add at least one line.", code="required")
    return [(found[code], qty) for _, code, qty in parsed]


class TransferRequestForm(SentOnceForm):
    source = forms.ModelChoiceField(
        queryset=None,
        label="From",
        empty_label="Choose a location",  # never a guess: the first is not the nearest
        error_messages={
            "required": "Choose where the stock comes from.",
            "invalid_choice": "Choose a location from the list.",
        },
    )
    destination = forms.ModelChoiceField(
        queryset=None,
        label="To",
        empty_label="Choose a location",
        error_messages={
            "invalid_choice": "Choose a location from the list, other than the source."
        },
    )
    lines = forms.CharField(
        label="Items",
        widget=forms.Textarea(
            attrs={
                "rows": 6,
                "autocomplete": "off",
                "spellcheck": "false",
                "placeholder": "SKU-000123 4\n8012345678901 2",
            }
        ),
        help_text="One item per line: SKU or barcode, then the quantity. "
        "A line with only a code counts as one unit.",
        error_messages={"required": "Add at least one line."},
    )
    note = forms.CharField(label="Note", required=False, max_length=250)

    def __init__(self, *args, sources, destinations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["source"].queryset = sources
        self.fields["destination"].queryset = destinations

    def clean_lines(self) -> list[tuple[Variant, int]]:
        return parse_transfer_lines(self.cleaned_data["lines"])

    def clean(self):
        data = super().clean()
        source, destination = data.get("source"), data.get("destination")
        if source and destination and source.pk == destination.pk:
            self.add_error("destination", "Choose a destination other than the source.")
        return data


class TransferReceiveForm(SentOnceForm):
    """One quantity per line still to receive, prefilled with what is outstanding."""

    note = forms.CharField(label="Note", required=False, max_length=250)

    def __init__(self, *args, transfer: Transfer, **kwargs):
        super().__init__(*args, **kwargs)
        self.transfer = transfer
        self.line_fields = []
        for line in transfer.lines.all():
            if not line.outstanding:
                continue
            name = f"qty_{line.variant_id}"
            self.fields[name] = SignedUnitsField(
                label=f"{line.variant.sku} · {line.variant.name}",
                min_value=0,
                max_value=line.outstanding,
                initial=line.outstanding,
                widget=forms.NumberInput(attrs=dict(NUMERIC)),
                error_messages={
                    "invalid": "Enter a whole number in digits.",
                    "required": "Enter a quantity (0 if nothing arrived).",
                    "min_value": "Must be zero or more.",
                    "max_value": "Only %(limit_value)s shipped and not yet received.",
                },
            )
            self.line_fields.append((line, name))
        # Errors from the service name a line by its SKU.
        self.service_field_map = {
            line.variant.sku: name for line, name in self.line_fields
        }
        self.order_fields([name for _, name in self.line_fields] + ["note"])

    @property
    def rows(self):
        return [(line, self[name]) for line, name in self.line_fields]

    def clean(self):
        data = super().clean()
        if not self.errors and not any(data.get(name) for _, name in self.line_fields):
            raise ValidationError("Enter at least one unit to receive.", code="empty")
        return data

    @property
    def quantities(self) -> dict[int, int]:
        return {
            line.variant_id: self.cleaned_data[name]
            for line, name in self.line_fields
            if self.cleaned_data.get(name)
        }


def explain_refusal(error: ApplicationError) -> str:
    """A refusal in the shop floor's words: a shortage names each short line with what
    was asked and what is there, so staff can correct the quantities."""
    if not isinstance(error, InsufficientStock):
        return error.message
    short = "; ".join(
        f"{line.get('sku')}: {line.get('requested')} asked, "
        f"{line.get('available')} available"
        for line in error.lines
    )
    return f"Not enough stock at the source. {short}."


class LowStockSeenForm(OpenedAtForm):
    """The notices an associate saw: those noticed up to when their page was drawn
    (one the sweep opened since stays new), at the location it showed."""

    until = forms.DateTimeField(widget=forms.HiddenInput)
