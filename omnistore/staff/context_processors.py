from inventory.models import Location, LocationKind

from .auth import current_store


def staff(request):
    if not request.path.startswith("/staff/") or not request.user.is_authenticated:
        return {}
    context = {"staff_store": current_store(request)}
    if request.user.sees_all_stores:
        context["all_shops"] = Location.objects.filter(
            active=True, kind=LocationKind.SHOP
        )
    return context
