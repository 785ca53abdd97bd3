"""Appointments in the shop: the associate's calendar (day or week), the shop's
calendar for managers, and the steps of an appointment at the counter — arrived,
completed, no-show, cancelled — each stamped with who and when.

An associate sees their own appointments at the shop they act for; store and area
managers (and HQ) may open the whole shop's calendar or one associate's. An
appointment of a shop the login does not see is 404, like an unknown id.
"""

from __future__ import annotations

from datetime import date, timedelta

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from customers.models import AppointmentHours, Customer
from customers.selectors.appointments import (
    appointment_at_shops,
    appointment_slots,
    calendar_appointments,
    calendar_range,
    check_bookable_day,
    customer_appointment_summary,
    group_by_day,
    shop_appointment_staff,
    shop_timezone,
)
from customers.services.appointments import (
    ARRIVAL_WINDOW,
    book_appointment,
    cancel_appointment,
    mark_arrived,
    mark_completed,
    mark_no_show,
)
from omnistore.accounts.scoping import shop_ids
from omnistore.core.channels import Channel
from omnistore.core.exceptions import ApplicationError
from omnistore.staff.auth import current_store, staff_required
from omnistore.staff.htmx import INVALID, add_service_error, is_partial, redirect_to
from omnistore.staff.panels import customer_panels, register

from .customers import customer_or_404
from .forms import AppointmentBookingForm, AppointmentCancelForm

VIEWS = ("day", "week")
# How far from today the calendar goes back or ahead; a day beyond shows today.
CALENDAR_REACH = timedelta(days=10 * 366)
STEPS = {
    "arrived": (mark_arrived, "{name} has arrived."),
    "completed": (mark_completed, "Appointment with {name} completed."),
    "no-show": (mark_no_show, "{name} recorded as a no-show."),
    "cancel": (None, "Appointment with {name} cancelled."),
}


def _day(raw: str | None, today: date) -> date | None:
    """The day asked for; ``None`` for one that is no date, or further from today
    than ``CALENDAR_REACH`` (near year 1 or 9999 the weeks before and after it, which
    the page links, are past the last date there is)."""
    try:
        day = date.fromisoformat(raw)
    except (TypeError, ValueError):
        return None
    return day if abs(day - today) <= CALENDAR_REACH else None


def _card_times() -> dict:
    """What a card needs to offer only the steps possible now."""
    now = timezone.now()
    return {"now": now, "arrivals_until": now + ARRIVAL_WINDOW}


def _whose(request, store, staff: list) -> tuple[str, object | None]:
    """Whose calendar: "me" (anyone), "shop" or one associate's (managers only)."""
    who = request.GET.get("who", "")
    if not request.user.is_manager:
        return "me", request.user
    if who == "me":
        return "me", request.user
    chosen = next((s.user for s in staff if str(s.user_id) == who), None)
    if chosen is not None:
        return str(chosen.pk), chosen
    return "shop", None


def _calendar_context(request) -> dict:
    store = current_store(request)
    if store is None:
        raise Http404("No shop to act for.")
    zone = shop_timezone(store)
    today = timezone.localtime(timezone.now(), zone).date()
    view = request.GET.get("view") if request.GET.get("view") in VIEWS else "day"
    raw = request.GET.get("date")
    asked = _day(raw, today) if raw else today
    day = asked or today
    first, days = calendar_range(day, view)
    staff = list(shop_appointment_staff(store)) if request.user.is_manager else []
    who, associate = _whose(request, store, staff)
    rows = calendar_appointments(days=days, location=store, associate=associate)
    hours = {h.weekday: h for h in AppointmentHours.objects.filter(location=store)}
    columns = group_by_day(rows, days)
    for column in columns:
        column["hours"] = hours.get(column["day"].weekday())
        column["is_today"] = column["day"] == today
    step = timedelta(days=7 if view == "week" else 1)
    return {
        "store": store,
        "view": view,
        "day": day,
        "first": first,
        "days": days,
        "columns": columns,
        "count": sum(len(c["appointments"]) for c in columns),
        "who": who,
        "associate": associate,
        "staff": staff,
        "today": today,
        "previous": first - step,
        "next": first + step,
        "unknown_day": asked is None,
        **_card_times(),
    }


@staff_required
def appointment_calendar(request):
    context = _calendar_context(request)
    template = "customers/staff/appointments/_calendar.html"
    if not is_partial(request):
        template = "customers/staff/appointments/calendar.html"
    return render(request, template, context)


@staff_required
def appointment_book(request, customer_pk: int):
    """Book for a customer at the shop the staff member acts for: kind and day show
    the free slots (HTMX swaps them in); a slot's button books it. Anything refused
    comes back with the reason and status 422."""
    customer = customer_or_404(customer_pk)
    store = current_store(request)
    if store is None:
        raise Http404("No shop to act for.")
    zone = shop_timezone(store)
    today = timezone.localtime(timezone.now(), zone).date()
    data = request.POST if request.method == "POST" else request.GET
    form = AppointmentBookingForm(
        data if "kind" in data else {"kind": "styling", "date": today.isoformat()},
        zone=zone,
    )
    status, slots = INVALID, []
    if form.is_valid():
        status = 200
        kind, day = form.cleaned_data["kind"], form.cleaned_data["date"]
        if request.method == "POST" and form.cleaned_data["starts_at"]:
            try:
                appointment = book_appointment(
                    customer=customer,
                    location=store,
                    kind=kind,
                    starts_at=form.cleaned_data["starts_at"],
                    note=form.cleaned_data["note"],
                    channel=Channel.STORE,
                    actor=request.user,
                )
            except ApplicationError as error:
                add_service_error(form, error, {"shop": "date"})
                status = INVALID
            else:
                messages.success(
                    request,
                    f"{appointment.get_kind_display()} booked with "
                    f"{appointment.associate.display_name}.",
                )
                url = reverse("staff:appointments")
                return redirect_to(request, f"{url}?date={day.isoformat()}&who=shop")
        try:
            check_bookable_day(day, location=store, now=timezone.now())
            slots = appointment_slots(location=store, kind=kind, day=day)
        except ApplicationError as error:
            if status != INVALID:  # a refused booking already said why
                add_service_error(form, error)
            status = INVALID
    context = {"customer": customer, "store": store, "form": form, "slots": slots}
    template = "customers/staff/appointments/_book_slots.html"
    if not is_partial(request):
        template = "customers/staff/appointments/book.html"
    return render(request, template, context, status=status)


def _back_to_calendar(next_url: str) -> str:
    """The calendar page the step was taken from; anything else is the calendar."""
    calendar = reverse("staff:appointments")
    if next_url.startswith(calendar) and "//" not in next_url:
        return next_url
    return calendar


@staff_required
@require_POST
def appointment_step(request, pk: int, step: str):
    """One step at the counter; the card comes back (422 with the reason when the
    step is no longer possible, e.g. a colleague marked it meanwhile)."""
    appointment = appointment_at_shops(pk, shop_ids(request.user))
    if appointment is None or step not in STEPS:
        raise Http404("No such appointment.")
    # An associate acts on the appointments of their calendar (their own); a
    # manager, who sees the whole shop's, on any.
    if not request.user.is_manager and appointment.associate_id != request.user.pk:
        raise Http404("No such appointment.")
    action, done = STEPS[step]
    status, error = 200, None
    form = AppointmentCancelForm(request.POST)
    try:
        if action is not None:
            appointment = action(appointment=appointment, actor=request.user)
        elif not form.is_valid():
            status, error = INVALID, _refused_reason(form)
        else:
            appointment = cancel_appointment(
                appointment=appointment,
                actor=request.user,
                reason=form.cleaned_data["reason"],
                channel="store",
            )
    except ApplicationError as refused:
        status, error = INVALID, refused.message
    name = appointment.customer.full_name or "The customer"
    if not request.htmx:
        if error:
            messages.error(request, error)
        else:
            messages.success(request, done.format(name=name))
        return redirect(_back_to_calendar(request.POST.get("next", "")))
    appointment = appointment_at_shops(appointment.pk, None)
    return render(
        request,
        "customers/staff/appointments/_card.html",
        {"appointment": appointment, "error": error, **_card_times()},
        status=status,
    )


def _refused_reason(form: AppointmentCancelForm) -> str:
    """A cancel reason the form refused, in one line for the card."""
    problems = " ".join(form.errors.get("reason", [])) or "Not a reason."
    return f"The reason was not taken: {problems} The appointment is still booked."


def customer_appointment_panel(request, customer: Customer) -> dict:
    """The 360° card: next appointments, and how many were held or missed."""
    summary = customer_appointment_summary(customer, now=timezone.now())
    return {
        "template": "customers/staff/appointments/panel.html",
        "customer": customer,
        **summary,
    }


register(customer_panels, customer_appointment_panel)
