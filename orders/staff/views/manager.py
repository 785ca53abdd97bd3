"""The manager pages of the staff UI: the day at a glance for the shops a manager
runs (HQ: every shop, or one), with charts where a glance beats a table and a CSV of
the same figures. Reads only; a fixed number of queries whatever the volume."""

from __future__ import annotations

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from inventory.models import LocationKind
from omnistore.approvals.models import MANAGER_PAGES_PERMISSION
from omnistore.core.charts import bar_chart
from omnistore.core.spreadsheet import SafeWriter
from omnistore.staff.auth import staff_required, visible_locations
from orders.selectors.manager import (
    Comparison,
    Days,
    late_pickups,
    returns_handled_today,
    returns_today,
    sales_by_associate,
    sales_by_channel,
    stock_alerts,
    tills_today,
)

LIST_LIMIT = 50
SERIES = ["Today", "Same day last week"]


def manager_scope(request) -> tuple[list, list[int], object]:
    """The manager's shops, the ids the page reports on (one chosen or all) and the
    chosen one. Anyone without the manager pages' permission is told nothing is
    here (404)."""
    if not request.user.has_perm(MANAGER_PAGES_PERMISSION):
        raise Http404("No manager pages for you.")
    shops = list(
        visible_locations(request.user)
        .filter(kind=LocationKind.SHOP)
        .only("pk", "name")
        .order_by("name")
    )
    chosen = next((s for s in shops if str(s.pk) == request.GET.get("shop")), None)
    ids = [chosen.pk] if chosen else [s.pk for s in shops]
    return shops, ids, chosen


def _chart(title: str, comparison: Comparison):
    rows = [
        (row.label, [row.today_revenue, row.last_revenue])
        for row in comparison.rows[:12]
    ]
    return bar_chart(title, rows, series=SERIES, unit="money")


@staff_required
def manager_day(request):
    shops, ids, chosen = manager_scope(request)
    now = timezone.now()
    days = Days.around(now)
    by_channel = sales_by_channel(ids, days)
    by_associate = sales_by_associate(ids, days)
    tills = list(tills_today(ids, days))
    context = {
        "shops": shops,
        "chosen": chosen,
        "days": days,
        "by_channel": by_channel,
        "by_associate": by_associate,
        "channel_chart": _chart("Revenue by channel", by_channel),
        "associate_chart": _chart("Revenue by associate", by_associate),
        "returns": returns_handled_today(ids, days, LIST_LIMIT),
        "late": list(late_pickups(ids, now)[:LIST_LIMIT]),
        "alerts": list(stock_alerts(ids)[:LIST_LIMIT]),
        "tills": tills,
        "now": now,
    }
    return render(request, "orders/staff/manager/day.html", context)


def _comparison_rows(section: str, comparison: Comparison):
    for row in [*comparison.rows, *comparison.totals]:
        yield [
            section,
            row.label,
            row.today_orders,
            row.today_revenue,
            row.last_orders,
            row.last_revenue,
            row.currency,
        ]


def _local(moment) -> str:
    """A time as the page shows it: the shops' clock."""
    return timezone.localtime(moment).isoformat()


@staff_required
def manager_day_csv(request):
    """The page's figures as CSV: sales by channel and by associate, today's
    returns, late pickups, stock alerts and tills, one section per block."""
    _shops, ids, _chosen = manager_scope(request)
    now = timezone.now()
    days = Days.around(now)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    stamp = timezone.localtime(now).strftime("%Y-%m-%d")
    response["Content-Disposition"] = f'attachment; filename="manager-{stamp}.csv"'
    out = SafeWriter(response)
    out.writerow(
        [
            "section",
            "label",
            "today_orders",
            "today_revenue",
            "last_week_orders",
            "last_week_revenue",
            "currency",
        ]
    )
    out.writerows(_comparison_rows("channel", sales_by_channel(ids, days)))
    out.writerows(_comparison_rows("associate", sales_by_associate(ids, days)))
    out.writerow([])
    out.writerow(
        ["section", "reference", "shop", "status", "amount", "currency", "when"]
    )
    for ret in returns_today(ids, days):
        out.writerow(
            [
                "return",
                ret.code,
                ret.receiving_location.name,
                ret.status,
                ret.refund_total,
                ret.order.currency,
                _local(ret.created_at),
            ]
        )
    for order in late_pickups(ids, now):
        out.writerow(
            [
                "late_pickup",
                order.number,
                order.pickup_shop,
                order.status,
                order.total,
                order.currency,
                _local(order.created_at),
            ]
        )
    for level in stock_alerts(ids):
        out.writerow(
            [
                "stock_alert",
                level.variant.sku,
                level.location.name,
                f"{level.available_units} available / safety {level.safety_stock}",
                "",
                "",
                "",
            ]
        )
    for session in tills_today(ids, days):
        out.writerow(
            [
                "till",
                session.register.name,
                session.register.location.name,
                session.status,
                session.over_short,
                session.currency,
                _local(session.opened_at),
            ]
        )
    return response
