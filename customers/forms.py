"""Forms of the customers app's public pages (``customers/views.py``)."""

from django import forms

NEW_PASSWORD = {"autocomplete": "new-password"}


class PasswordResetForm(forms.Form):
    """A new password, typed twice, for the login a reset link was mailed to. The
    link's uid and token travel with it; how strong the password must be is the
    reset service's rule (the same as at sign-up), not the form's. The spaces around
    it are dropped, as the API drops them at sign-up and sign-in."""

    uid = forms.CharField(max_length=64, widget=forms.HiddenInput)
    token = forms.CharField(max_length=128, widget=forms.HiddenInput)
    new_password = forms.CharField(
        label="New password",
        max_length=128,
        widget=forms.PasswordInput(attrs={**NEW_PASSWORD, "autofocus": True}),
    )
    new_password_again = forms.CharField(
        label="New password, again",
        max_length=128,
        widget=forms.PasswordInput(attrs=NEW_PASSWORD),
    )

    def clean(self):
        data = super().clean()
        first, again = data.get("new_password"), data.get("new_password_again")
        if first and again and first != again:
            self.add_error("new_password_again", "The two passwords differ.")
        return data
