"""The associate's inbox: messages customers sent from the storefront, and replies.

An associate reads their own threads; a store manager (area manager, HQ) also every
thread of the shops they see. Anyone else's thread is 404, like an unknown id. The
associate opening a thread marks the customer's messages read; a manager looking in
does not. Replies go by email or SMS, each only where ``reply_routes`` says one
can go (consent, an address, proven); beside each channel the page says why not. A
reply sent twice (a double tap, a resent request) goes once.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_POST

from customers.selectors.inbox import (
    reply_routes,
    staff_conversation,
    staff_inbox,
    unread_count,
)
from customers.services.inbox import mark_conversation_read, reply_to_customer
from omnistore.core.exceptions import ApplicationError, NotFound
from omnistore.staff.auth import staff_required
from omnistore.staff.htmx import INVALID, add_service_error, redirect_to
from omnistore.staff.once import claim, give_back

from .forms import ReplyForm

INBOX_SHOWN = 100


def _thread_or_404(request, pk: int):
    try:
        return staff_conversation(request.user, pk)
    except NotFound:
        raise Http404("No such conversation.") from None


@staff_required
def inbox(request):
    threads = list(staff_inbox(request.user)[:INBOX_SHOWN])
    return render(
        request,
        "customers/staff/inbox.html",
        {"threads": threads, "shown": INBOX_SHOWN},
    )


@staff_required
def inbox_unread(request):
    """The nav's badge, loaded after the page so no page pays for it."""
    return render(
        request,
        "customers/staff/_inbox_badge.html",
        {"unread": unread_count(request.user)},
    )


def _thread_page(request, thread, *, form=None, status: int = 200):
    form = form or ReplyForm(routes=reply_routes(thread.customer))
    return render(
        request,
        "customers/staff/inbox_thread.html",
        {
            "thread": thread,
            "customer": thread.customer,
            "form": form,
            "may_reply": thread.customer.is_anonymised is False,
        },
        status=status,
    )


@staff_required
def inbox_thread(request, pk: int):
    thread = _thread_or_404(request, pk)
    if mark_conversation_read(conversation=thread, reader=request.user):
        thread = _thread_or_404(request, pk)
    return _thread_page(request, thread)


@staff_required
@require_POST
def inbox_reply(request, pk: int):
    thread = _thread_or_404(request, pk)
    form = ReplyForm(request.POST, routes=reply_routes(thread.customer))
    if form.is_valid() and claim(request, form):
        try:
            reply_to_customer(
                conversation=thread,
                body=form.cleaned_data["body"],
                channel=form.cleaned_data["channel"],
                actor=request.user,
            )
        except ApplicationError as error:
            give_back(request, form)  # the corrected reply may be sent
            add_service_error(form, error)
        else:
            label = dict(form.fields["channel"].choices)[form.cleaned_data["channel"]]
            messages.success(request, f"Reply sent by {label}.")
            return redirect_to(request, reverse("staff:inbox_thread", args=[pk]))
    return _thread_page(request, thread, form=form, status=INVALID)
