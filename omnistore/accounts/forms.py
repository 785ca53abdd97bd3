"""Password forms: Django's, checked by the password validators, saving through the
services, so that every new password signs the login out everywhere else."""

from django.contrib.auth.forms import AdminPasswordChangeForm, PasswordChangeForm
from django.core.exceptions import ValidationError

from omnistore.core.dberrors import RETRY_AFTER_SECONDS
from omnistore.core.exceptions import ServiceUnavailable
from omnistore.core.throttling import PasswordChangeThrottle, retry_in

from .services import change_own_password, set_password
from .sign_in import (
    LOCKED_OUT,
    TOO_MANY_TRIES,
    count_failed_sign_in,
    lockout_message,
    lockout_seconds,
    sign_in_locked_out,
)

TOO_MANY_GUESSES = "Too many tries at the current password."


class OwnPasswordChangeForm(PasswordChangeForm):
    """One's own new password, proven by the current one (the staff pages' and the
    admin's *Change password*): ``change_own_password``. The view keeps its own
    session with ``update_session_auth_hash``.

    Current passwords tried are counted per login in the count the API's password
    change keeps (``PasswordChangeThrottle``, ``THROTTLE_PASSWORD_CHANGE``), every try
    as there: a device left signed in does not buy unlimited guesses. Past the limit
    a try is refused on the field before the password is checked, and so is every
    try while the shared cache cannot count it: a password change can wait, unlike a
    sign-in. ``refused`` then holds (status, seconds to wait), 429 or 503, for
    ``limited_password_tries`` to answer with. A wrong current password is also a
    failed sign-in of the login from this address (``count_failed_sign_in``): past
    ``AXES_FAILURE_LIMIT`` the login is locked out of the sign-in pages, as a
    password guessed there would be, and out of this page: while the lockout holds
    the current password is not checked, right or wrong, and the try is refused
    with 429 (``sign_in_locked_out``), counting no further failure: a device left
    signed in neither tests nor changes the password of a locked login. A
    form used without a request (a shell) counts nothing."""

    required_css_class = "required"
    refused: tuple[int, int] | None = None

    def __init__(self, user, *args, request=None, **kwargs):
        super().__init__(user, *args, **kwargs)
        self.request = request

    def clean_old_password(self):
        self._count_this_try()
        self._refuse_a_locked_login()
        try:
            return super().clean_old_password()
        except ValidationError:
            count_failed_sign_in(self.request, self.user.get_username())
            raise

    def _count_this_try(self) -> None:
        if self.request is None:
            return
        throttle = PasswordChangeThrottle()
        try:
            allowed = throttle.allow_request(self.request, None)
        except ServiceUnavailable as error:
            self.refused = (error.status, RETRY_AFTER_SECONDS)
            raise ValidationError(error.message, code=error.code) from error
        if not allowed:
            seconds, message = retry_in(throttle, TOO_MANY_GUESSES)
            self.refused = (429, seconds)
            raise ValidationError(message, code=TOO_MANY_TRIES)

    def _refuse_a_locked_login(self) -> None:
        if sign_in_locked_out(self.request, self.user.get_username()):
            self.refused = (429, lockout_seconds(self.request))
            message = lockout_message(self.request)
            raise ValidationError(message, code=LOCKED_OUT)

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
