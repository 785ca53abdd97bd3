from omnistore.accounts.models import Role

from .auth import current_store, switchable_shops


def staff(request):
    if not request.path.startswith("/staff/") or not request.user.is_authenticated:
        return {}
    context = {"staff_store": current_store(request)}
    if request.user.sees_all_stores or request.user.role == Role.AREA_MANAGER:
        context["all_shops"] = switchable_shops(request.user)
    return context
