from __future__ import annotations

from django import forms

NUMERIC = {"inputmode": "numeric", "pattern": "[0-9]*", "maxlength": 8}


class PinApproveForm(forms.Form):
    """On the asking device: the manager picks their name and types their PIN."""

    manager = forms.ChoiceField(
        label="Manager",
        error_messages={"required": "Choose the manager who approves."},
    )
    pin = forms.CharField(
        label="PIN",
        max_length=8,
        widget=forms.PasswordInput(attrs={**NUMERIC, "autocomplete": "off"}),
        error_messages={"required": "Type the manager's PIN."},
    )

    def __init__(self, *args, managers, **kwargs):
        super().__init__(*args, **kwargs)
        self.managers = {str(m.pk): m for m in managers}
        self.fields["manager"].choices = [("", "Choose the manager")] + [
            (pk, m.name_and_login) for pk, m in self.managers.items()
        ]

    def clean_manager(self):
        return self.managers[self.cleaned_data["manager"]]


class DecideForm(forms.Form):
    """A decision is one of the queue's two buttons; anything else decides nothing."""

    decision = forms.ChoiceField(
        choices=[("approve", "Approve"), ("refuse", "Refuse")],
        error_messages={
            "required": "Choose Approve or Refuse.",
            "invalid_choice": "Choose Approve or Refuse.",
        },
    )
    note = forms.CharField(label="Note", max_length=250, required=False)


class SetPinForm(forms.Form):
    pin = forms.CharField(
        label="New PIN (4 to 8 digits)",
        max_length=8,
        widget=forms.PasswordInput(attrs={**NUMERIC, "autocomplete": "new-password"}),
    )
    again = forms.CharField(
        label="The same PIN again",
        max_length=8,
        widget=forms.PasswordInput(attrs={**NUMERIC, "autocomplete": "new-password"}),
    )

    def clean(self):
        data = super().clean()
        if data.get("pin") and data.get("again") and data["pin"] != data["again"]:
            self.add_error("again", "The two PINs differ.")
        return data
