"""Tracking endpoints reached from messages: open pixel, click redirect, unsubscribe.

They are public (a message is read anywhere) and trust only the signed token: a token
that does not verify answers 404, exactly like an unknown one. A click redirects only
while its token is young and only to an allowed host; an old link gets a plain page
pointing at the shop.
"""

from __future__ import annotations

import base64

from django.conf import settings
from django.db.models import F
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from campaigns.channels import MessageChannel
from campaigns.services import engagement

from . import tracking
from .models import Message

# What a customer without an account signs up with to reach the profile the message
# came to: a sign-up proves it with a code sent there and takes that profile.
SIGN_UP_CONTACT = {
    MessageChannel.EMAIL: "email address",
    MessageChannel.SMS: "phone number",
}

PIXEL = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")


@never_cache
@require_GET
def open_pixel(request, token: str):
    message_id = tracking.read_open_token(token)
    if message_id is None or not engagement.message_exists(message_id):
        raise Http404("Unknown message.")
    engagement.record_open(message_id=message_id)
    return HttpResponse(PIXEL, content_type="image/gif")


@never_cache
@require_GET
def click(request, token: str):
    try:
        found = tracking.read_click_token(token)
    except tracking.ExpiredLink:
        return render(
            request,
            "campaigns/link_expired.html",
            {"shop_url": settings.OMNISTORE_STOREFRONT_URL},
            status=410,
        )
    if found is None or not engagement.message_exists(found[0]):
        raise Http404("Unknown link.")
    message_id, url = found
    engagement.record_click(message_id=message_id, url=url)
    return HttpResponseRedirect(url)


@never_cache
@require_http_methods(["GET", "POST"])
def unsubscribe(request, token: str):
    message_id = tracking.read_unsubscribe_token(token)
    message = (
        Message.objects.filter(pk=message_id)
        .annotate(erased=F("customer__is_anonymised"))
        .first()
        if message_id is not None
        else None
    )
    if message is None:
        raise Http404("Unknown message.")
    channel = MessageChannel(message.channel).label
    if request.method == "POST":
        engagement.unsubscribe(message_id=message.pk)
    if message.erased:
        # The person was erased: they get nothing more and have no account to opt
        # in again from.
        return render(request, "campaigns/unsubscribe_erased.html")
    if request.method == "POST":
        return render(request, "campaigns/unsubscribe_done.html", {"channel": channel})
    # The form posts to this page's plain address even when it was opened from the
    # one-click address, which takes only the mail programs' RFC 8058 body.
    action = reverse("campaigns-tracking:unsubscribe", args=[token])
    return render(
        request,
        "campaigns/unsubscribe.html",
        {
            "channel": channel,
            "action": action,
            "contact": SIGN_UP_CONTACT.get(message.channel, ""),
        },
    )


@csrf_exempt
@never_cache
@require_http_methods(["GET", "POST"])
def unsubscribe_one_click(request, token: str):
    """The one-click unsubscribe mail programs post (RFC 8058), without cookies: the
    signed token is the proof. Opened in a browser, it is the unsubscribe page."""
    if request.method == "GET":
        return unsubscribe(request, token)
    message_id = tracking.read_unsubscribe_token(token)
    if message_id is None or not Message.objects.filter(pk=message_id).exists():
        raise Http404("Unknown message.")
    if request.POST.get("List-Unsubscribe") != "One-Click":
        return HttpResponse("Send List-Unsubscribe=One-Click.", status=400)
    engagement.unsubscribe(message_id=message_id)
    return HttpResponse("Unsubscribed.", content_type="text/plain")
