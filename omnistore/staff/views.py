from collections.abc import Callable

from django import forms
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_POST

from inventory import selectors as inventory_selectors
from inventory.models import Location, LocationKind

from .auth import SESSION_STORE_KEY, current_store, staff_required, switchable_shops
from .htmx import same_site
from .panels import dashboard_context


class StaffAuthenticationForm(AuthenticationForm):
    """The staff login: a customer's login (a storefront account) is refused here,
    with the form's own error, and gets no session."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "not_staff": "This login is for shop staff; customers sign in in the app.",
    }

    def confirm_login_allowed(self, user):
        super().confirm_login_allowed(user)
        if not user.is_store_staff:
            raise forms.ValidationError(
                self.error_messages["not_staff"], code="not_staff"
            )


class StaffLoginView(auth_views.LoginView):
    template_name = "staff/login.html"
    form_class = StaffAuthenticationForm

    @property
    def redirect_authenticated_user(self) -> bool:
        """Staff already signed in go on to their page; anyone else signed in (a
        customer's session) sees the form, not a loop back to it."""
        return getattr(self.request.user, "is_store_staff", False)


@staff_required
def dashboard(request):
    store = current_store(request)
    low = list(inventory_selectors.low_stock(location=store)[:10]) if store else []
    context = {
        "low_stock": low,
        "low_stock_count": len(low),
        "low_stock_new": (
            inventory_selectors.new_low_stock_count(location=store) if store else 0
        ),
    }
    context.update(dashboard_context(request, store))
    return render(request, "staff/dashboard.html", context)


class StoreSwitchForm(forms.Form):
    store = forms.ModelChoiceField(
        queryset=Location.objects.filter(active=True, kind=LocationKind.SHOP)
    )


# What keeps a session at its shop, added by the apps higher up (the counter sale):
# callables ``(request, shop) -> str``, the reason the shop cannot change now ("" when
# it may), registered with ``panels.register``.
store_switch_guards: list[Callable] = []


@staff_required
@require_POST
def switch_store(request):
    """Act for another shop. Refused, with the reason, while something of this
    shop's is in progress (a sale's basket is priced in its shop's market)."""
    form = StoreSwitchForm(request.POST)
    form.fields["store"].queryset = switchable_shops(request.user)
    if form.is_valid():
        shop = form.cleaned_data["store"]
        refusal = _switch_refusal(request, shop)
        if refusal:
            messages.error(request, refusal)
        else:
            request.session[SESSION_STORE_KEY] = shop.pk
    return HttpResponseRedirect(safe_next(request) or reverse("staff:dashboard"))


def _switch_refusal(request, shop: Location) -> str:
    here = current_store(request)
    if shop == here:
        return ""
    for guard in store_switch_guards:
        refusal = guard(request, here)
        if refusal:
            return refusal
    return ""


def safe_next(request) -> str | None:
    """The page to go back to (``next``), only when it is one of this site's."""
    return same_site(request, request.POST.get("next"))
