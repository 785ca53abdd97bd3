"""Public pages of the customers app: what anyone holding a link may read, without a
login (the storefront's own pages are the apps'; these are the ones a link in an
email opens)."""

from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_http_methods, require_safe

from customers.forms import PasswordResetForm
from customers.selectors.wishlists import attach_shop_prices, wishlist_by_share_token
from customers.services.password_reset import (
    INVALID_LINK,
    reset_link_works,
    reset_password,
)
from omnistore.core.channels import Channel
from omnistore.core.exceptions import NotFound, ServiceUnavailable, ValidationFailed
from omnistore.core.throttling import SignInClientThrottle, retry_in

RESET_TEMPLATE = "customers/password_reset.html"
INVALID_LINK_CODE = "invalid_reset_link"


@require_safe
def shared_wishlist(request, token: str):
    """A shared wishlist as a page: its name, whose it is (first name) and its
    items with their pictures and prices; no notes, no staff, no stock, as the
    API's shared view. The link of a list a merge folded into another opens that
    list. A link renewed or a list deleted is a 404."""
    try:
        wishlist = wishlist_by_share_token(token)
    except NotFound:
        raise Http404("Wishlist not found.") from None
    response = render(
        request,
        "customers/shared_wishlist.html",
        {
            "wishlist": wishlist,
            "owner": wishlist.customer.first_name or "Someone",
            # at the prices of the owner's market, in its currency
            "items": attach_shop_prices(
                wishlist.active_items, store=wishlist.customer.preferred_store
            ),
        },
    )
    response["Cache-Control"] = "private, no-store"
    response["X-Robots-Tag"] = "noindex"
    return response


@require_http_methods(["GET", "HEAD", "POST"])
def password_reset(request):
    """The page a password reset link opens: a new password, typed twice, set
    through the reset service as the API's confirm sets it (checked as at sign-up,
    every token revoked, the email proven, on the timeline). No session follows:
    customers sign in in the app. A link that is wrong, used or expired says so
    instead of showing the form; the link is only checked here, used by the POST."""
    if request.method == "POST":
        return _reset_with_form(request)
    uid, token = _link_in(request.GET)
    if not reset_link_works(uid=uid, token=token):
        return _invalid_link_page(request)
    form = PasswordResetForm(initial={"uid": uid, "token": token})
    return _reset_page(request, {"state": "form", "form": form})


def _reset_with_form(request):
    """The POST: counted per client with the API's sign-ins and resets, then the
    new password set; a weak or mistyped one is a form error and the link stays
    usable."""
    refused = _refused_by_limit(request)
    if refused is not None:
        return refused
    uid, token = _link_in(request.POST)
    if not reset_link_works(uid=uid, token=token):
        return _invalid_link_page(request)
    form = PasswordResetForm(request.POST)
    if form.is_valid():
        try:
            reset_password(
                uid=uid,
                token=token,
                new_password=form.cleaned_data["new_password"],
                channel=Channel.WEB,
            )
        except ValidationFailed as error:
            if error.code == INVALID_LINK_CODE:  # used meanwhile, by another tab
                return _invalid_link_page(request)
            _add_errors(form, error)
        else:
            return _reset_page(request, {"state": "done"})
    return _reset_page(request, {"state": "form", "form": form}, status=422)


def _link_in(data) -> tuple[str, str]:
    """A reset link's uid and token as sent (the query or the form); longer than
    any link mailed is no link."""
    uid, token = str(data.get("uid", "")), str(data.get("token", ""))
    if len(uid) > 64 or len(token) > 128:
        return "", ""
    return uid, token


def _refused_by_limit(request):
    """The page that refuses a POST past the API's limit on sign-ins and resets
    from one client (429), or when the limit cannot be counted (503); None to go
    on."""
    throttle = SignInClientThrottle()
    try:
        if throttle.allow_request(request, None):
            return None
    except ServiceUnavailable as error:
        return _reset_page(
            request, {"state": "refused", "message": error.message}, status=503
        )
    seconds, message = retry_in(throttle)
    response = _reset_page(
        request, {"state": "refused", "message": message}, status=429
    )
    response["Retry-After"] = str(seconds)
    return response


def _invalid_link_page(request):
    context = {"state": "invalid", "invalid_message": INVALID_LINK}
    return _reset_page(request, context, status=404)


def _add_errors(form, error: ValidationFailed) -> None:
    """A service's refusal shown on the form: its field errors at their fields,
    anything else above the form."""
    if not error.extra:
        form.add_error(None, error.message)
    for field, messages in error.extra.items():
        form.add_error(field if field in form.fields else None, messages)


def _reset_page(request, context: dict, *, status: int = 200):
    """The reset page, never kept by a cache or an index. Its URL holds the link's
    token, so requests from it name the site only, never the path or query, as
    their referrer ("strict-origin"); not "no-referrer", with which a browser sends
    the form's POST with ``Origin: null`` and the CSRF check refuses it."""
    response = render(request, RESET_TEMPLATE, context, status=status)
    response["Cache-Control"] = "no-store"
    response["X-Robots-Tag"] = "noindex"
    response["Referrer-Policy"] = "strict-origin"
    return response
