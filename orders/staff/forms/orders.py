"""Forms of the order page: cancelling (with a reason), shipping (with carrier and
tracking), marking delivered (with a note the customer reads) and changing where a
delivery goes (with a reason)."""

from __future__ import annotations

from datetime import datetime, time

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from orders.carriers import Carrier, clean_tracking_number, tracking_number_problem
from orders.selectors.parcels import delivered_to
from orders.staff.forms.sale import DeliveryForm


class CancelForm(forms.Form):
    reason = forms.CharField(
        label="Reason",
        max_length=200,
        error_messages={"required": "Say why the order is cancelled."},
    )

    def clean_reason(self) -> str:
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise ValidationError("Say why the order is cancelled.", code="required")
        return reason


class ShipForm(forms.Form):
    """The carrier a part leaves with and its tracking number (both optional: a
    parcel handed over without a number has no link for the customer)."""

    carrier = forms.ChoiceField(
        label="Carrier", choices=[("", "Carrier…"), *Carrier.choices], required=False
    )
    tracking_reference = forms.CharField(
        label="Tracking number",
        max_length=100,
        required=False,
        widget=forms.TextInput(
            attrs={"placeholder": "Tracking number", "autocomplete": "off"}
        ),
    )

    def clean_tracking_reference(self) -> str:
        number = clean_tracking_number(self.cleaned_data["tracking_reference"])
        if problem := tracking_number_problem(number):
            raise ValidationError(problem, code="invalid")
        return number


class DeliveredForm(forms.Form):
    delivered_on = forms.DateField(
        label="Delivered on",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text="Today if left empty.",
    )
    # Status notes have no internal kind: the customer reads this one in their
    # order history and their data export, as they read a cancellation's reason.
    note = forms.CharField(
        label="Note for the customer",
        max_length=200,
        required=False,
        help_text=(
            "Shown in their order history. Keep anything only staff should read "
            "out of it."
        ),
    )

    def __init__(self, *args, order=None, **kwargs):
        """The date picker offers the days the server takes: from the day the
        order shipped to today."""
        super().__init__(*args, **kwargs)
        attrs = self.fields["delivered_on"].widget.attrs
        attrs["max"] = timezone.localdate().isoformat()
        shipped = getattr(order, "shipped_at", None)
        if shipped is not None:
            attrs["min"] = timezone.localdate(shipped).isoformat()

    def delivered_at(self):
        """The moment the day given stands for: now for today (or no day), else the
        day's end (its return window counts from then)."""
        day = self.cleaned_data["delivered_on"]
        if day is None or day == timezone.localdate():
            return None
        return timezone.make_aware(datetime.combine(day, time.max))


class AddressChangeForm(DeliveryForm):
    """Where a delivery goes from now on, with the fields of a sale's delivery
    (checked again by ``change_delivery_address``), and why."""

    reason = forms.CharField(
        label="Why",
        max_length=200,
        error_messages={"required": "Say why the address changes."},
        help_text="In the order's history, e.g. “the customer called: new flat”.",
    )

    def __init__(self, *args, order=None, **kwargs):
        """Filled in with the address the order's parts still to leave go to."""
        if order is not None and not args and "initial" not in kwargs:
            kwargs["initial"] = delivered_to(order)
        kwargs.setdefault("auto_id", "address_%s")  # beside the cancel form's ids
        super().__init__(*args, **kwargs)
        self.fields[
            "country"
        ].help_text = "Stays the order's: another country is a new order."

    def clean_reason(self) -> str:
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise ValidationError("Say why the address changes.", code="required")
        return reason

    @property
    def address(self) -> dict:
        return {key: value for key, value in super().address.items() if key != "reason"}
