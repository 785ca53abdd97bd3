from django.utils.functional import SimpleLazyObject

from .auth import current_store, switch_choices


def staff(request):
    """The location the pages act for, and the ones the header's switcher offers:
    read only by a page that shows the header (a fragment never does), once."""
    if not request.path.startswith("/staff/") or not request.user.is_authenticated:
        return {}
    return {
        "staff_store": current_store(request),
        "all_shops": SimpleLazyObject(lambda: switch_choices(request)),
    }
