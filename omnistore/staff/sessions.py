"""Staff sessions end after a working day and after idle time.

A tablet left signed in on the shop floor, or a browser left open at home, should not
stay a way into the back office: on the staff and admin pages, a staff member's
session ends ``OMNISTORE_STAFF_SESSION_HOURS`` after they signed in, whatever they do,
and after ``OMNISTORE_STAFF_IDLE_MINUTES`` without a request. They then sign in again.
Customers' sessions are not affected.
"""

import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver

SIGNED_IN_AT = "staff_signed_in_at"
SEEN_AT = "staff_seen_at"
GUARDED_PATHS = ("/staff/", "/admin/")
# The last request's time is written at most this often (seconds), not on every
# request: the idle limit is kept to within a minute.
TOUCH_EVERY = 60
ENDED = "Your session has ended. Please sign in again."


def is_staff_member(user) -> bool:
    return user.is_authenticated and (user.is_store_staff or user.is_staff)


@receiver(user_logged_in)
def start_the_working_day(sender, request, user, **kwargs):
    """A sign-in with the password starts a new day, on any login page."""
    if request is not None and is_staff_member(user):
        now = time.time()
        request.session[SIGNED_IN_AT] = now
        request.session[SEEN_AT] = now


def has_expired(session, now: float) -> bool:
    signed_in = session.get(SIGNED_IN_AT)
    seen = session.get(SEEN_AT)
    day = settings.OMNISTORE_STAFF_SESSION_HOURS * 3600
    idle = settings.OMNISTORE_STAFF_IDLE_MINUTES * 60
    return (signed_in is not None and now - signed_in > day) or (
        seen is not None and now - seen > idle
    )


class StaffSessionMiddleware:
    """Signs out a staff member whose day or idle time is over, before the view: the
    page then sends them to its login as for anyone signed out."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path.startswith(GUARDED_PATHS) and is_staff_member(request.user):
            self.check(request)
        return self.get_response(request)

    def check(self, request) -> None:
        now = time.time()
        session = request.session
        if has_expired(session, now):
            logout(request)
            messages.info(request, ENDED)
            return
        session.setdefault(SIGNED_IN_AT, now)  # signed in before these limits existed
        if now - session.get(SEEN_AT, 0) >= TOUCH_EVERY:
            session[SEEN_AT] = now
