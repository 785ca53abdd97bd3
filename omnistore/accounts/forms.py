"""Password forms: Django's, checked by the password validators, saving through the
services, so that every new password signs the login out everywhere else."""

from django.contrib.auth.forms import AdminPasswordChangeForm, PasswordChangeForm

from .services import change_own_password, set_password


class OwnPasswordChangeForm(PasswordChangeForm):
    """One's own new password, proven by the current one (the staff pages' and the
    admin's *Change password*): ``change_own_password``. The view keeps its own
    session with ``update_session_auth_hash``."""

    required_css_class = "required"

    def save(self, commit=True):
        password = self.cleaned_data["new_password1"]
        change_own_password(user=self.user, password=password)
        return self.user


class LoginPasswordForm(AdminPasswordChangeForm):
    """A login's password set in the admin, or made unusable: ``set_password``,
    which ends the login's API tokens and sessions."""

    def save(self, commit=True):
        usable = self.cleaned_data["set_usable_password"]
        password = self.cleaned_data["password1"] if usable else None
        set_password(user=self.user, password=password)
        return self.user
