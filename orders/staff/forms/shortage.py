"""The form of *Not on our shelf*: which item, how many units cannot be found (at
most those held for it here) and why."""

from __future__ import annotations

from collections.abc import Sequence

from django import forms

from inventory.services.transfers import CLOSE_REASON_MAX
from omnistore.staff.once import SentOnceForm


class NotOnShelfForm(SentOnceForm):
    item = forms.TypedChoiceField(
        label="Item",
        coerce=int,
        error_messages={
            "required": "Choose the item that cannot be found.",
            "invalid_choice": "Choose one of the items held here.",
        },
    )
    units = forms.IntegerField(
        label="Units not found",
        min_value=1,
        initial=1,
        error_messages={
            "required": "Say how many units cannot be found.",
            "invalid": "Enter a whole number.",
            "min_value": "At least 1.",
        },
    )
    reason = forms.CharField(
        label="Why",
        max_length=CLOSE_REASON_MAX,
        help_text="Kept in the order's history, e.g. not in the stockroom either.",
        error_messages={"required": "Say why the units are not on the shelf."},
    )

    def __init__(self, *args, held: Sequence, **kwargs):
        """``held``: what may be said missing here (``shortage.HeldHere``)."""
        super().__init__(*args, **kwargs)
        self.held = {found.key: found.held for found in held}
        self.fields["item"].choices = [
            (found.key, f"{found.sku} · {found.name} — {found.held} held")
            for found in held
        ]
        if len(held) == 1:
            self.fields["item"].initial = held[0].key

    def clean(self):
        data = super().clean()
        item, units = data.get("item"), data.get("units")
        if item in self.held and units is not None and units > self.held[item]:
            self.add_error(
                "units", f"At most {self.held[item]}: the units held for it here."
            )
        return data
