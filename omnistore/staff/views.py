from collections.abc import Callable

from django import forms
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from inventory import selectors as inventory_selectors
from inventory.models import Location, LocationKind
from omnistore.accounts.forms import OwnPasswordChangeForm
from omnistore.accounts.sign_in import LimitedSignInForm, limited_password_tries

from .auth import SESSION_STORE_KEY, current_store, staff_required, switchable_shops
from .htmx import INVALID, same_site
from .panels import dashboard_context

PASSWORD_PAGE = "staff/password_change.html"
PASSWORD_CHANGED = (
    "Your password is changed. You stay signed in here; everywhere else you are "
    "signed out."
)


class StaffAuthenticationForm(LimitedSignInForm, AuthenticationForm):
    """The staff login: a customer's login (a storefront account) is refused here
    as a wrong password is, and gets no session; tries are limited per client
    address (``omnistore.accounts.sign_in``)."""

    def may_sign_in_here(self, user) -> bool:
        return user.is_store_staff


@method_decorator(limited_password_tries, name="dispatch")
class StaffLoginView(auth_views.LoginView):
    template_name = "staff/login.html"
    form_class = StaffAuthenticationForm

    @property
    def redirect_authenticated_user(self) -> bool:
        """Staff already signed in go on to their page; anyone else signed in (a
        customer's session) sees the form, not a loop back to it."""
        return getattr(self.request.user, "is_store_staff", False)


@sensitive_post_parameters()
@require_http_methods(["GET", "HEAD", "POST"])
@staff_required
@limited_password_tries
def change_password(request):
    """One's own password: the current one and a new one (Django's validators),
    typed twice. This session stays signed in; every other session of the login,
    and its API tokens, end (``change_own_password``). The current passwords tried
    are limited per login (``OwnPasswordChangeForm``): past the limit the page
    answers 429 and when to try again."""
    if request.method != "POST":
        form = OwnPasswordChangeForm(request.user)
        return TemplateResponse(request, PASSWORD_PAGE, {"form": form})
    form = OwnPasswordChangeForm(request.user, request.POST, request=request)
    if not form.is_valid():
        return TemplateResponse(request, PASSWORD_PAGE, {"form": form}, status=INVALID)
    form.save()
    update_session_auth_hash(request, form.user)
    messages.success(request, PASSWORD_CHANGED)
    return HttpResponseRedirect(reverse("staff:dashboard"))


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
