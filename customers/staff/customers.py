"""Staff customer screens: search, the 360° view, notes, saved addresses, counter
sign-up and merges.

Every associate sees every customer (a customer never explains twice); what they do is
recorded with their name and shop. A merged profile's address leads to the survivor.
"""

from __future__ import annotations

from functools import partial

from django.contrib import messages
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from customers.models import (
    Address,
    ConsentChannel,
    Customer,
    DuplicateCandidate,
    DuplicateStatus,
)
from customers.selectors.addresses import customer_address, customer_addresses
from customers.selectors.identities import resolve_customer
from customers.selectors.profiles import customer_360, search_customers
from customers.selectors.sizes import customer_preferences
from customers.selectors.timeline import timeline
from customers.services.addresses import (
    MAX_ADDRESSES,
    add_address,
    remove_address,
    update_address,
)
from customers.services.consents import COUNTER_GRANTS
from customers.services.in_person import record_consent_in_person
from customers.services.merge import dismiss_duplicate, merge_customers
from customers.services.registration import create_customer_at_counter
from customers.services.timeline import add_note
from omnistore.core.channels import Channel
from omnistore.core.dberrors import run_again_if_victim
from omnistore.core.exceptions import ApplicationError, NotFound
from omnistore.staff.auth import current_store, staff_required
from omnistore.staff.htmx import INVALID, add_service_error, is_partial, redirect_to
from omnistore.staff.once import claim, give_back
from omnistore.staff.panels import render_customer_panels

from .forms import AddressForm, ConsentForm, CounterCustomerForm, MergeForm, NoteForm

SEARCH_LIMIT = 25


def _region(request) -> str | None:
    store = current_store(request)
    return store.country if store is not None else None


def customer_or_404(pk) -> Customer:
    """The live profile for an address's id; a merged id gives the survivor."""
    try:
        return resolve_customer(pk)
    except NotFound:
        raise Http404("No such customer.") from None


@staff_required
def customer_search(request):
    """Live search by name, email, phone in any format or loyalty card."""
    query = request.GET.get("q", "").strip()[:100]
    results = search_customers(query, region=_region(request), limit=SEARCH_LIMIT)
    context = {"q": query, "results": results, "limit": SEARCH_LIMIT}
    template = "customers/staff/_search_results.html"
    if not is_partial(request):
        template = "customers/staff/search.html"
    return render(request, template, context)


@staff_required
def customer_detail(request, pk: int):
    try:
        view = customer_360(pk)
    except NotFound:
        raise Http404("No such customer.") from None
    if view.customer.pk != pk:
        return redirect("staff:customer_detail", pk=view.customer.pk)
    return _detail_page(request, view)


def _detail_page(request, view, *, consent_error: str = ""):
    """The 360° page; with a refused consent decision, said on its card (422)."""
    sizes, likes = customer_preferences(view.customer)
    context = {
        "view": view,
        "customer": view.customer,
        "page": view.timeline,
        "address_limit": MAX_ADDRESSES,
        "note_form": NoteForm(),
        "panels": render_customer_panels(request, view.customer),
        "sizes": sizes,
        "likes": likes,
        "consent_error": consent_error,
        "grantable": [
            channel
            for channel, contact in COUNTER_GRANTS.items()
            if getattr(view.customer, contact)
        ],
    }
    status = INVALID if consent_error else 200
    return render(request, "customers/staff/detail.html", context, status=status)


@staff_required
def customer_timeline(request, pk: int):
    """One more page of the timeline (the "load more" button)."""
    customer = customer_or_404(pk)
    try:
        page_number = max(int(request.GET.get("page", "1")), 1)
    except ValueError:
        page_number = 1
    page = timeline(customer, page=page_number)
    template = "customers/staff/_timeline_rows.html"
    if not is_partial(request):
        template = "customers/staff/timeline.html"
    return render(request, template, {"customer": customer, "page": page})


@staff_required
@require_POST
def customer_add_note(request, pk: int):
    customer = customer_or_404(pk)
    form = NoteForm(request.POST)
    status = 200
    if form.is_valid() and claim(request, form):
        try:
            add_note(
                customer=customer,
                text=form.cleaned_data["text"],
                actor=request.user,
                location=current_store(request),
            )
        except ApplicationError as error:
            give_back(request, form)  # the corrected note may be sent
            add_service_error(form, error)
        else:
            if not request.htmx:
                messages.success(request, "Note added.")
                return redirect("staff:customer_detail", pk=customer.pk)
            form = NoteForm()
    if form.errors:
        status = INVALID
        if not request.htmx:
            for message in form.non_field_errors() or ["Write a note first."]:
                messages.error(request, message)
            return redirect("staff:customer_detail", pk=customer.pk)
    context = {
        "customer": customer,
        "page": timeline(customer),
        "note_form": form,
        "note_added": status == 200,
    }
    return render(
        request, "customers/staff/_timeline_section.html", context, status=status
    )


# --- saved addresses: corrected when the customer tells the shop -------------------


def _address_of(customer: Customer, address_id) -> Address:
    """One of this customer's addresses; an unknown id or another person's is 404."""
    try:
        return customer_address(customer, address_id)
    except NotFound:
        raise Http404("No such address.") from None


def _address_book(
    request, customer, *, form=None, editing=None, refusal="", status=200
):
    """The address card (HTMX), or a page of its own without JavaScript, with the
    form open on the address being edited (``editing``: its id, or "new")."""
    if editing == "new":
        action = reverse("staff:customer_address_add", args=[customer.pk])
    elif editing is not None:
        action = reverse("staff:customer_address_edit", args=[customer.pk, editing])
    context = {
        "customer": customer,
        "addresses": customer_addresses(customer),
        "address_limit": MAX_ADDRESSES,
        "address_form": form,
        "editing": editing,
        "address_action": action if editing is not None else "",
        "address_refusal": refusal,
    }
    template = "customers/staff/_address_section.html"
    if not is_partial(request):
        template = "customers/staff/addresses.html"
    return render(request, template, context, status=status)


def _address_saved(request, customer, message: str):
    messages.success(request, message)
    url = reverse("staff:customer_detail", args=[customer.pk])
    return redirect_to(request, url)


def _save_address(request, customer, form, editing, save):
    """Save through the address book's service, on record as this associate at this
    shop; a refusal (bad input, a full book, an erased profile) is shown on the
    form and nothing changes."""
    if form.is_valid():
        try:
            save(
                **form.changes(),
                actor=request.user,
                channel=Channel.STORE,
                location=current_store(request),
            )
        except NotFound:
            raise Http404("No such address.") from None
        except ApplicationError as error:
            add_service_error(form, error, field_only=True)
        else:
            return _address_saved(request, customer, "Address saved.")
    return _address_book(request, customer, form=form, editing=editing, status=INVALID)


@staff_required
def customer_address_book(request, pk: int):
    customer = customer_or_404(pk)
    if customer.pk != pk:
        return redirect("staff:customer_addresses", pk=customer.pk)
    return _address_book(request, customer)


@staff_required
def customer_address_add(request, pk: int):
    customer = customer_or_404(pk)
    if request.method != "POST":
        if customer.pk != pk:
            return redirect("staff:customer_address_add", pk=customer.pk)
        if customer_addresses(customer).count() >= MAX_ADDRESSES:
            return _address_book(request, customer)  # says the book is full
        return _address_book(request, customer, form=AddressForm(), editing="new")
    save = partial(add_address, customer=customer)
    return _save_address(request, customer, AddressForm(request.POST), "new", save)


@staff_required
def customer_address_edit(request, pk: int, address_id: int):
    customer = customer_or_404(pk)
    address = _address_of(customer, address_id)
    if request.method != "POST":
        if customer.pk != pk:
            return redirect(
                "staff:customer_address_edit", pk=customer.pk, address_id=address.pk
            )
        form = AddressForm(address=address)
        return _address_book(request, customer, form=form, editing=address.pk)
    form = AddressForm(request.POST, address=address)
    save = partial(update_address, customer=customer, address_id=address.pk)
    return _save_address(request, customer, form, address.pk, save)


@staff_required
@require_POST
def customer_address_remove(request, pk: int, address_id: int):
    """Take the address out of the book; orders placed with it keep their copy."""
    customer = customer_or_404(pk)
    address = _address_of(customer, address_id)
    try:
        remove_address(
            customer=customer,
            address_id=address.pk,
            actor=request.user,
            channel=Channel.STORE,
            location=current_store(request),
        )
    except NotFound:
        raise Http404("No such address.") from None
    except ApplicationError as error:
        return _address_book(request, customer, refusal=error.message, status=INVALID)
    return _address_saved(
        request, customer, "Address removed; orders placed with it keep their copy."
    )


@staff_required
def customer_create(request):
    """Register a customer at the counter; a known email or phone opens that profile."""
    store = current_store(request)
    region = store.country if store is not None else None
    status = 200
    if request.method == "POST":
        form = CounterCustomerForm(request.POST, region=region)
        if form.is_valid():
            data = form.cleaned_data
            try:
                result = create_customer_at_counter(
                    first_name=data["first_name"],
                    last_name=data["last_name"],
                    email=data["email"] or None,
                    phone=data["phone"] or None,
                    store=store,
                    actor=request.user,
                    email_consent=True if data["email_consent"] else None,
                    sms_consent=True if data["sms_consent"] else None,
                )
            except ApplicationError as error:
                add_service_error(form, error)
            else:
                customer = result.customer
                if result.created:
                    messages.success(request, f"Profile created for {customer}.")
                else:
                    messages.success(
                        request,
                        f"{customer} already has a profile: it is open below, "
                        "with what was new added to it.",
                    )
                for channel in result.withdrawn_kept:
                    messages.warning(
                        request,
                        f"{customer} had said no to {ConsentChannel(channel).label} "
                        "messages: that stays so until they opt in again from their "
                        "account.",
                    )
                url = reverse("staff:customer_detail", args=[customer.pk])
                return redirect_to(request, url)
        status = INVALID
    else:
        initial = {}
        query = request.GET.get("q", "").strip()
        if "@" in query:
            initial["email"] = query
        elif any(ch.isdigit() for ch in query):
            initial["phone"] = query
        elif query:
            first, _, last = query.partition(" ")
            initial.update(first_name=first, last_name=last)
        form = CounterCustomerForm(initial=initial, region=region)
    template = "customers/staff/_create_form.html"
    if not is_partial(request):
        template = "customers/staff/create.html"
    return render(request, template, {"form": form, "store": store}, status=status)


@staff_required
@require_POST
def customer_consent(request, pk: int):
    """Record a yes or a no the customer tells the associate (see
    ``record_counter_consent`` for which are taken); a yes confirms the address or
    number it is for (``record_consent_in_person``)."""
    customer = customer_or_404(pk)
    form = ConsentForm(request.POST)
    refusal = "Choose a channel and yes or no."
    if form.is_valid():
        channel = form.cleaned_data["channel"]
        granted = form.cleaned_data["decision"] == "yes"
        try:
            record_consent_in_person(
                customer=customer,
                channel=channel,
                granted=granted,
                location=current_store(request),
                actor=request.user,
            )
        except ApplicationError as error:
            refusal = error.message
        else:
            label = ConsentChannel(channel).label
            answer = "yes" if granted else "no"
            messages.success(request, f"{label}: {answer}, recorded for {customer}.")
            url = reverse("staff:customer_detail", args=[customer.pk])
            return redirect_to(request, url)
    return _detail_page(request, customer_360(customer.pk), consent_error=refusal)


def _may_merge(user, one: Customer, other: Customer) -> bool:
    """Shop staff merge a pair the duplicates check flagged and nobody dismissed;
    any other pair is for those who decide duplicates (HQ)."""
    if user.has_perm("customers.change_duplicatecandidate"):
        return True
    low, high = sorted((one.pk, other.pk))
    return DuplicateCandidate.objects.filter(
        customer_a_id=low, customer_b_id=high, status=DuplicateStatus.PENDING
    ).exists()


class _PairDecided(Exception):
    """The pair was merged or dismissed by someone else since the page looked."""


def _pair_seen(low: int, high: int) -> str:
    """The pair's decisions as they stand (their ids, statuses and times)."""
    rows = DuplicateCandidate.objects.filter(
        customer_a_id=low, customer_b_id=high
    ).order_by("pk")
    return ";".join(
        f"{row.pk}:{row.status}:{row.resolved_at.isoformat() if row.resolved_at else ''}"
        for row in rows
    )


def _merge_if_still_open(
    user, survivor: Customer, other: Customer, seen: str | None = None
) -> None:
    """The merge, when it is still this user's to make once both profiles (in pk
    order, as every merge locks them) and then their pair are locked: someone else
    may have merged either profile, or dismissed the pair, since the view looked.
    Then nothing is merged and the request is answered as a later one would be."""

    low, high = sorted((survivor.pk, other.pk))

    def merge():
        with transaction.atomic():
            live = list(
                Customer.objects.select_for_update(no_key=True)
                .filter(pk__in=(low, high), merged_into__isnull=True)
                .order_by("pk")
            )
            # A dismissal of the pair in flight finishes first, and is seen.
            list(
                DuplicateCandidate.objects.select_for_update().filter(
                    customer_a_id=low, customer_b_id=high
                )
            )
            if len(live) != 2 or not _may_merge(user, survivor, other):
                raise _PairDecided
            if seen is not None and seen != _pair_seen(low, high):
                raise _PairDecided  # decided since the page was drawn
            merge_customers(survivor=survivor, other=other, actor=user)

    run_again_if_victim(merge)


@staff_required
def customer_merge(request, pk: int):
    """Confirm and merge ``other`` into this profile (this one survives)."""
    survivor = customer_or_404(pk)
    if survivor.pk != pk:
        return redirect("staff:customer_detail", pk=survivor.pk)
    data = request.POST if request.method == "POST" else request.GET
    form = MergeForm(data if request.method == "POST" else None, initial=data.dict())
    try:
        other_id = int(data.get("other", ""))
    except ValueError:
        raise Http404("No profile to merge.") from None
    other = Customer.objects.filter(pk=other_id).first()
    if other is None or other.merged_into_id is not None or other.pk == survivor.pk:
        raise Http404("No profile to merge.")
    if not _may_merge(request.user, survivor, other):
        raise Http404("No profile to merge.")
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                _merge_if_still_open(
                    request.user,
                    survivor,
                    other,
                    seen=form.cleaned_data["seen"] or None,
                )
            except _PairDecided:
                raise Http404("No profile to merge.") from None
            except ApplicationError as error:
                add_service_error(form, error)
            else:
                messages.success(
                    request,
                    f"{other} (#{other.pk}) was merged into this profile.",
                )
                return redirect("staff:customer_detail", pk=survivor.pk)
        status = INVALID
    if request.method != "POST":
        form.initial["seen"] = _pair_seen(*sorted((survivor.pk, other.pk)))
    context = {
        "survivor": customer_360(survivor.pk),
        "other": customer_360(other.pk),
        "form": form,
    }
    return render(request, "customers/staff/merge.html", context, status=status)


@staff_required
@require_POST
def duplicate_dismiss(request, pk: int):
    candidate = DuplicateCandidate.objects.filter(
        pk=pk, status=DuplicateStatus.PENDING
    ).first()
    if candidate is None:
        raise Http404("No such pair.")
    # Back to whichever of the two profiles the form came from; anything else sent
    # goes to the first.
    pair = (candidate.customer_a_id, candidate.customer_b_id)
    sent = request.POST.get("customer")
    back = next((one for one in pair if str(one) == sent), pair[0])
    try:
        dismiss_duplicate(candidate=candidate, actor=request.user)
    except ApplicationError:
        # Decided by someone else since the pair was read: answered as a later
        # attempt is, the pair being gone.
        raise Http404("No such pair.") from None
    messages.success(request, "Marked as different people.")
    return redirect("staff:customer_detail", pk=back)
