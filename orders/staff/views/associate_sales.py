"""Sales by associate for store managers (area managers, HQ: their shops): who
helped sell what in a period, with returns and net sales, and the same figures as
CSV. Reads only; a fixed number of queries."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django import forms
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone

from omnistore.core.spreadsheet import SafeWriter
from omnistore.staff.auth import staff_required
from omnistore.staff.htmx import INVALID
from orders.selectors.associate_sales import sales_by_associate
from orders.staff.views.manager import manager_scope

LONGEST_PERIOD = timedelta(days=366)


class PeriodForm(forms.Form):
    start = forms.DateField(
        label="From", widget=forms.DateInput(attrs={"type": "date"})
    )
    end = forms.DateField(label="To", widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end:
            if end < start:
                self.add_error("end", "The period ends before it starts.")
            elif end - start > LONGEST_PERIOD:
                self.add_error("end", "At most a year at a time.")
        return data


def _default_period() -> dict:
    today = timezone.localdate()
    return {"start": today.replace(day=1), "end": today}


def _period(request) -> tuple[PeriodForm, dict, bool]:
    """The period asked for (from, to: local dates, both included), else this
    month; and whether what was asked for was refused."""
    asked = {k: request.GET[k] for k in ("start", "end") if k in request.GET}
    form = PeriodForm(asked or None, initial=_default_period())
    if not asked:
        return form, _default_period(), False
    if form.is_valid():
        return form, form.cleaned_data, False
    return form, _default_period(), True


def _report(request):
    shops, ids, chosen = manager_scope(request)
    form, period, refused = _period(request)
    zone = timezone.get_current_timezone()
    start = datetime.combine(period["start"], time.min, tzinfo=zone)
    end = datetime.combine(period["end"] + timedelta(days=1), time.min, tzinfo=zone)
    every_shop = request.user.sees_all_stores and chosen is None
    report = sales_by_associate(
        shop_ids=None if every_shop else ids, start=start, end=end
    )
    return shops, chosen, form, period, refused, report


def _page(request, shops, chosen, form, period, refused, report):
    """The report's page; a period refused is said on it (422) with this month's
    figures instead."""
    context = {
        "shops": shops,
        "chosen": chosen,
        "form": form,
        "period": period,
        "report": report,
    }
    return render(
        request,
        "orders/staff/manager/associates.html",
        context,
        status=INVALID if refused else 200,
    )


@staff_required
def associate_sales(request):
    return _page(request, *_report(request))


@staff_required
def associate_sales_csv(request):
    """The page's figures as CSV. A period the page refuses downloads nothing: the
    page says why, as it does (a file of another period would pass for the one
    asked for)."""
    shops, chosen, form, period, refused, report = _report(request)
    if refused:
        return _page(request, shops, chosen, form, period, refused, report)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    name = f"associates-{period['start']:%Y-%m-%d}-{period['end']:%Y-%m-%d}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    out = SafeWriter(response)
    out.writerow(
        [
            "associate",
            "shop",
            "currency",
            "orders",
            "units",
            "sales",
            "returned_units",
            "returns",
            "net_sales",
        ]
    )
    for row in [*report.rows, *report.totals]:
        out.writerow(
            [
                row.name,
                row.store,
                row.currency,
                row.orders,
                row.units,
                row.sales,
                row.returned_units,
                row.returned,
                row.net,
            ]
        )
    return response
