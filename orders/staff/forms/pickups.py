"""The pickup desk's hand-over form."""

from __future__ import annotations

from django import forms


class CollectForm(forms.Form):
    """Hand over with the pickup code, or after checking an identity document when the
    customer lost the code (then the note says what was seen, for the history)."""

    code = forms.CharField(
        label="Pickup code",
        max_length=64,
        required=False,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "off",
                "autocapitalize": "characters",
                "spellcheck": "false",
                "placeholder": "Code from the email or QR",
                "autofocus": True,
            }
        ),
    )
    identity_checked = forms.BooleanField(
        label="The customer lost the code: I checked their identity", required=False
    )
    note = forms.CharField(
        label="Document seen / note",
        max_length=200,
        required=False,
        help_text="Required without the code, e.g. “ID card AX123, name matches”.",
    )

    def clean(self):
        data = super().clean()
        if data.get("identity_checked"):
            if not (data.get("note") or "").strip():
                self.add_error("note", "Say how the customer's identity was checked.")
        elif not (data.get("code") or "").strip():
            self.add_error("code", "Enter the pickup code.")
        return data


class UnlockForm(forms.Form):
    """A manager lets the desk try the code again, saying why (kept in the history)."""

    note = forms.CharField(
        label="Why unlock",
        max_length=200,
        required=True,
        help_text="E.g. “customer present with ID, typo in the code”.",
    )
