"""Forms of the order page: cancelling (with a reason) and shipping (with tracking)."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError


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
    tracking_reference = forms.CharField(
        label="Tracking number",
        max_length=100,
        required=False,
        widget=forms.TextInput(
            attrs={"placeholder": "Tracking number", "autocomplete": "off"}
        ),
    )
