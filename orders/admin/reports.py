"""Admin reports: sales by channel and shop, the returns rate, the VAT ledger."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django import forms
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone

from omnistore.accounts.scoping import shop_ids
from omnistore.core.charts import Chart, bar_chart
from omnistore.core.replica import reads_from_replica
from orders.selectors.giftcards import liability_csv, stored_value_liability
from orders.selectors.reports import (
    returns_rate_by_product,
    returns_rate_by_shop,
    sales_report,
)
from orders.selectors.vat import vat_ledger, vat_ledger_csv

REPORT_PERIODS = [
    (7, "7 days"),
    (30, "30 days"),
    (90, "90 days"),
    (365, "a year"),
    (0, "all time"),
]


def _report_days(request, periods, default: int) -> int:
    """The period asked for in ``?days=``, one of ``periods``; else ``default``."""
    try:
        days = int(request.GET.get("days", default))
    except ValueError:
        return default
    return days if days in dict(periods) else default


@reads_from_replica
def sales_report_page(model_admin, request):
    """Sales by channel and shop, click-and-collect share, cross-channel buyers."""
    if not model_admin.has_view_permission(request):
        raise PermissionDenied
    days = _report_days(request, REPORT_PERIODS, 30)
    since = timezone.now() - timedelta(days=days) if days else None
    report = sales_report(since=since, shop_ids=shop_ids(request.user))
    context = {
        **model_admin.admin_site.each_context(request),
        "title": "Sales report",
        "opts": model_admin.model._meta,
        "periods": REPORT_PERIODS,
        "days": days,
        "report": report,
        "channel_chart": bar_chart(
            "Revenue by channel",
            [
                (f"{row['label']} ({row['currency']})", [row["revenue"]])
                for row in report.by_channel
            ],
            series=["revenue"],
            unit="money",
        ),
        "shop_chart": bar_chart(
            "Revenue by shop: counter sales and click and collect",
            [
                (
                    f"{row['shop']} ({row['currency']})",
                    [row["counter_revenue"], row["pickup_revenue"]],
                )
                for row in report.by_shop[:15]
            ],
            series=["counter", "click and collect"],
            unit="money",
        ),
        "cross_chart": bar_chart(
            "Customers by the channels they buy in",
            [
                (
                    "online and in shops (counter or phone)",
                    [report.cross_channel["both"]],
                ),
                ("online only", [report.cross_channel["online_only"]]),
                (
                    "in shops only (counter or phone)",
                    [report.cross_channel["store_only"]],
                ),
            ],
            series=["customers"],
        ),
    }
    return TemplateResponse(request, "admin/orders/order/sales_report.html", context)


PERIODS = [(30, "Last 30 days"), (90, "Last 90 days"), (365, "Last year"), (0, "All")]


@reads_from_replica
def returns_rate_page(model_admin, request):
    """Returned units against units sold, by shop and by product, as bars."""
    if not model_admin.has_view_permission(request):
        raise PermissionDenied
    days = _report_days(request, PERIODS, 90)
    since = timezone.now() - timedelta(days=days) if days else None
    scope = shop_ids(request.user)
    by_shop = returns_rate_by_shop(since=since, shop_ids=scope)
    by_product = returns_rate_by_product(since=since, shop_ids=scope)
    context = {
        **model_admin.admin_site.each_context(request),
        "title": "Returns rate",
        "opts": model_admin.model._meta,
        "periods": PERIODS,
        "days": days,
        "by_shop": by_shop,
        "by_product": by_product,
        "shop_chart": rate_chart("Returns rate by shop", by_shop),
        "product_chart": rate_chart(
            "Returns rate by product (most returned)", by_product
        ),
        "changelist_url": reverse("admin:orders_return_changelist"),
    }
    return TemplateResponse(request, "orders/staff/returns/admin_report.html", context)


def rate_chart(title: str, rows) -> Chart:
    """One bar per row: its returned units as a share of the units sold."""
    return bar_chart(
        title,
        [(row.label, [row.rate * 100]) for row in rows],
        series=["Returns rate"],
        unit="%",
    )


# The days a report covers: its bounds are instants in the shops' time zone, up to
# the start of the day after ``end``, and stay within what a date and the database
# hold whatever the zone.
FIRST_DAY = date(1900, 1, 1)
LAST_DAY = date(9999, 12, 30)
OUT_OF_RANGE = (
    f"Give a day from {FIRST_DAY:%d %b %Y} to {LAST_DAY:%d %b %Y}: the report "
    "covers no days outside them."
)
TOO_WIDE = "The report cannot cover that period: choose a shorter one."


class ReportDateField(forms.DateField):
    def validate(self, value):
        super().validate(value)
        if value is not None and not FIRST_DAY <= value <= LAST_DAY:
            raise forms.ValidationError(OUT_OF_RANGE, code="out_of_range")


class LedgerPeriodForm(forms.Form):
    start = ReportDateField(label="From")
    end = ReportDateField(label="To")

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end and start > end:
            raise forms.ValidationError("The period ends before it starts.")
        return data


def _every_shop(model_admin, request) -> None:
    """A company-wide report: refused (403) to staff scoped to some shops."""
    if not model_admin.has_view_permission(request):
        raise PermissionDenied
    if shop_ids(request.user) is not None:
        raise PermissionDenied


def period_form(request) -> LedgerPeriodForm:
    """The period asked for; a bound missing is this month's first day or today (so
    ``?format=csv`` alone downloads this month so far)."""
    today = timezone.localdate()
    data = {"start": today.replace(day=1), "end": today}
    data.update({key: request.GET[key] for key in data if request.GET.get(key)})
    return LedgerPeriodForm(data)


def period_rows(form: LedgerPeriodForm, compute):
    """``compute(start, end)`` for the form's period, or ``None`` with the form told
    why: a period it refuses, or one whose bounds the date arithmetic or the database
    cannot compute (an ``OverflowError``), shown on the report's own page."""
    if not form.is_valid():
        return None
    start, end = form.cleaned_data["start"], form.cleaned_data["end"]
    try:
        return compute(start, end)
    except OverflowError:
        form.add_error(None, TOO_WIDE)
        return None


def vat_ledger_page(model_admin, request):
    """The VAT ledger of a period (this month so far by default) by seller, month,
    country, rate and currency; ``?format=csv`` downloads it for the accountant. It
    covers the whole company, so only those who see every shop open it."""
    _every_shop(model_admin, request)
    form = period_form(request)
    context = {
        **model_admin.admin_site.each_context(request),
        "title": "VAT ledger",
        "opts": model_admin.model._meta,
        "form": form,
        "rows": [],
    }
    template = "admin/orders/order/vat_ledger.html"
    rows = period_rows(form, lambda start, end: vat_ledger(start=start, end=end))
    if rows is None:
        return TemplateResponse(request, template, context, status=400)
    start, end = form.cleaned_data["start"], form.cleaned_data["end"]
    if request.GET.get("format") == "csv":
        response = HttpResponse(vat_ledger_csv(rows), content_type="text/csv")
        response["Content-Disposition"] = (
            f'attachment; filename="vat-ledger-{start}-{end}.csv"'
        )
        return response
    context.update(rows=rows, csv_query=f"start={start}&end={end}&format=csv")
    return TemplateResponse(request, template, context)


def _day_start(day):
    return timezone.make_aware(datetime.combine(day, time.min))


def liability_page(model_admin, request):
    """Gift card and store credit liability for a period (this month so far by
    default), per market and currency; ``?format=csv`` downloads it. Company-wide,
    like the VAT ledger."""
    _every_shop(model_admin, request)
    form = period_form(request)
    context = {
        **model_admin.admin_site.each_context(request),
        "title": "Stored value liability",
        "opts": model_admin.model._meta,
        "form": form,
        "rows": [],
    }
    template = "admin/orders/giftcard/liability.html"
    rows = period_rows(
        form,
        lambda start, end: stored_value_liability(
            start=_day_start(start), end=_day_start(end + timedelta(days=1))
        ),
    )
    if rows is None:
        return TemplateResponse(request, template, context, status=400)
    start, end = form.cleaned_data["start"], form.cleaned_data["end"]
    if request.GET.get("format") == "csv":
        response = HttpResponse(liability_csv(rows), content_type="text/csv")
        response["Content-Disposition"] = (
            f'attachment; filename="stored-value-liability-{start}-{end}.csv"'
        )
        return response
    context.update(rows=rows, csv_query=f"start={start}&end={end}&format=csv")
    return TemplateResponse(request, template, context)
