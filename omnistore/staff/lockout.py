"""Sign-in lockout on the staff and admin logins, by django-axes.

Every failed sign-in through Django's ``authenticate`` (the staff login, the admin
login) is recorded by username and client address (``omnistore.core.clientip``); after
``AXES_FAILURE_LIMIT`` failures that pair is refused for ``AXES_COOLOFF_TIME``, even
with the right password. The records are rows in the database (every process and
server sees the same ones); HQ unlocks early by deleting the row in the admin
(*Axes › Access attempts*) or with ``manage.py axes_reset_username <username>``.
"""

from axes.backends import AxesStandaloneBackend
from django.http import HttpResponse

from omnistore.accounts.sign_in import lockout_message


class LoginLockoutBackend(AxesStandaloneBackend):
    """Axes' check before the password is tried. A sign-in with no request (a shell,
    a test client's ``login``) has no address to count and is not checked; every
    sign-in page passes its request."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username, password, **kwargs)


def locked_out(request, original_response=None, credentials=None):
    """The login page that refused the attempt, its form showing the lockout instead
    of "wrong password", with status 429. Staff and admin keep their own page. At
    *Change password* (a wrong current password is a failed sign-in too) the message
    is on the current password, where the admin's page shows errors; a try there
    once the login is locked is refused by the form itself, before its password is
    checked (``OwnPasswordChangeForm``)."""
    message = lockout_message(request)
    context = getattr(original_response, "context_data", None) or {}
    form = context.get("form")
    if form is None:
        return HttpResponse(message, status=429, content_type="text/plain")
    form.errors.clear()
    form.add_error("old_password" if "old_password" in form.fields else None, message)
    original_response.content = original_response.rendered_content
    original_response.status_code = 429
    return original_response
