from collections.abc import Callable

from django.utils.functional import SimpleLazyObject

from .auth import current_store, switch_choices

# What signing out would drop without a word, added by the apps higher up (the
# counter sale's basket and parked sales live in the session, which sign out ends):
# callables ``(request) -> str``, a sentence saying what goes ("" when nothing),
# registered with ``panels.register``. They read the session only: the header shows
# on every page, so they cost no query.
sign_out_warnings: list[Callable] = []


def staff(request):
    """The location the pages act for, and the ones the header's switcher offers:
    read only by a page that shows the header (a fragment never does), once; and
    what the header's Sign out asks before it drops work kept in the session."""
    if not request.path.startswith("/staff/") or not request.user.is_authenticated:
        return {}
    return {
        "staff_store": current_store(request),
        "all_shops": SimpleLazyObject(lambda: switch_choices(request)),
        "sign_out_warning": sign_out_warning(request),
    }


def sign_out_warning(request) -> str:
    """The question Sign out asks first ("" when nothing would be lost)."""
    dropped = [text for warn in sign_out_warnings if (text := warn(request))]
    return " ".join([*dropped, "Sign out?"]) if dropped else ""
