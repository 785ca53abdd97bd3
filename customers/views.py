"""Public pages of the customers app: what anyone holding a link may read, without a
login (the storefront's own pages are the apps'; these are the ones a link in an
email opens)."""

from django.conf import settings
from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_safe

from customers.selectors.wishlists import wishlist_by_share_token
from omnistore.core.exceptions import NotFound


@require_safe
def shared_wishlist(request, token: str):
    """A shared wishlist as a page: its name, whose it is (first name) and its
    items with their pictures and prices; no notes, no staff, no stock, as the
    API's shared view. A link renewed or a list deleted is a 404."""
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
            "items": wishlist.active_items,
            "currency": settings.OMNISTORE_CURRENCY,
        },
    )
    response["Cache-Control"] = "private, no-store"
    response["X-Robots-Tag"] = "noindex"
    return response
