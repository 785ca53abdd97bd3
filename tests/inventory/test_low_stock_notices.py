"""Low stock told to the shop: the sweep opens a notice when units taken leave a level at
or under its threshold, once, resolves it when the level is back above, and opens a new
one when it falls again; the shop sees the news first and marks it seen; subscribers
get ``stock.low``; managers read the notices in the admin, scoped to their shops."""

from datetime import timedelta
from io import StringIO

import pytest
from django.urls import reverse
from django.utils import timezone

from inventory.demo.notices import seed_low_stock_notices
from inventory.models import LowStockNotice, MovementReason, StockLevel
from inventory.services.ledger import StockRequest
from inventory.services.low_stock import sweep_low_stock
from inventory.services.reservations import reserve_stock
from inventory.services.stock import adjust_stock
from inventory.tasks import sweep_low_stock_task
from omnistore.accounts.models import Role
from omnistore.core.models import WebhookDelivery, WebhookEndpoint
from tests.factories import UserFactory, VariantFactory, stock
from tests.inventory.staff_helpers import level

pytestmark = pytest.mark.django_db


def sell(variant, location, units: int) -> None:
    adjust_stock(
        variant=variant,
        location=location,
        delta=-units,
        reason=MovementReason.DAMAGE,
        note="broken on the shelf",
    )


def hold(variant, location, units: int) -> None:
    reserve_stock(
        requests=[StockRequest(variant.pk, location.pk, units)],
        reference_type="order",
        reference_id="OS-TEST",
    )


def swept() -> list[tuple[str, str, int, int]]:
    return sorted(
        (n.level.variant.sku, n.level.location.code, n.available, n.threshold)
        for n in LowStockNotice.objects.filter(
            pk__in=[n.pk for n in sweep_low_stock().opened]
        ).select_related("level__variant", "level__location")
    )


def test_units_taken_down_to_the_threshold_open_one_notice(
    shop, other_shop, variant, second_variant
):
    stock(variant, shop, 6)
    stock(second_variant, shop, 6)
    stock(variant, other_shop, 2)  # low, but nothing was taken: no news
    hold(variant, shop, 3)  # 3 left: at the threshold
    sell(second_variant, shop, 2)  # 4 left: above it

    assert swept() == [("SHIRT-BLU-M", "MI01", 3, 3)]
    assert swept() == []  # the next sweep finds nothing new
    assert LowStockNotice.objects.filter(resolved_at=None).count() == 1


def test_a_level_back_above_is_resolved_and_noticed_again_when_it_falls(shop, variant):
    stock(variant, shop, 4)
    sell(variant, shop, 2)
    [first] = sweep_low_stock().opened

    stock(variant, shop, 10)
    result = sweep_low_stock()
    assert (result.opened, result.resolved) == ([], 1)
    first.refresh_from_db()
    assert first.resolved_at is not None

    sell(variant, shop, 11)
    assert swept() == [("SHIRT-BLU-M", "MI01", 1, 3)]
    assert LowStockNotice.objects.count() == 2


def test_a_threshold_raised_is_news_where_units_left_lately(shop, other_shop, variant):
    stock(variant, shop, 4)
    sell(variant, shop, 2)
    sweep_low_stock()
    stock(variant, shop, 3)  # 5: back above
    stock(variant, other_shop, 5)  # nothing taken there
    sweep_low_stock()
    StockLevel.objects.filter(variant=variant).update(low_stock_threshold=6)
    assert swept() == [("SHIRT-BLU-M", "MI01", 5, 6)]


def test_units_taken_long_ago_are_no_news(shop, variant):
    stock(variant, shop, 4)
    sell(variant, shop, 2)
    later = timezone.now() + timedelta(days=2)
    assert sweep_low_stock(now=later).opened == []


def test_the_beat_task_sweeps(shop, variant):
    stock(variant, shop, 4)
    sell(variant, shop, 2)
    assert sweep_low_stock_task.apply().get() == 1
    assert sweep_low_stock_task.apply().get() == 0


def test_inactive_items_are_not_noticed(shop, variant):
    stock(variant, shop, 4)
    sell(variant, shop, 2)
    type(variant).objects.filter(pk=variant.pk).update(active=False)
    assert sweep_low_stock().opened == []


def test_an_item_taken_off_sale_has_its_notice_resolved(shop, variant):
    stock(variant, shop, 4)
    sell(variant, shop, 2)
    sweep_low_stock()
    type(variant).objects.filter(pk=variant.pk).update(active=False)
    assert sweep_low_stock().resolved == 1
    assert LowStockNotice.objects.get().resolved_at is not None


def test_subscribers_get_one_stock_low_event_per_sweep(shop, variant, second_variant):
    WebhookEndpoint.objects.create(
        name="replenishment",
        url="https://erp.example.com/hook",
        secret="s" * 32,
        event_types=["stock.low"],
    )
    for item in (variant, second_variant):
        stock(item, shop, 3)
        sell(item, shop, 1)
    sweep_low_stock()
    sweep_low_stock()

    [delivery] = WebhookDelivery.objects.filter(event_type="stock.low")
    assert sorted(
        (row["sku"], row["location"], row["available"], row["threshold"])
        for row in delivery.payload["levels"]
    ) == [("SHIRT-BLU-M", "MI01", 2, 3), ("SOCK-RED", "MI01", 2, 3)]


# --- the shop's staff ------------------------------------------------------------------


def drawn_at(page) -> dict:
    """What the page's "Mark all seen" form sends: when the page was drawn, and for
    which shop."""
    form = page.context["seen_form"]
    return {"until": form["until"].value(), "store": form["store"].value()}


def test_the_low_stock_page_shows_the_news_first_and_marks_it_seen(
    staff_client, associate, shop, other_shop, variant, second_variant
):
    stock(second_variant, shop, 1)  # low but not news: listed after
    stock(variant, shop, 5)
    sell(variant, shop, 3)
    stock(variant, other_shop, 5)
    sell(variant, other_shop, 4)  # the other shop's news
    sweep_low_stock()

    page = staff_client.get(reverse("staff:low_stock"))
    rows = list(page.context["page"])
    assert [(r.variant.sku, r.is_new) for r in rows] == [
        ("SHIRT-BLU-M", True),
        ("SOCK-RED", False),
    ]
    assert page.context["new_count"] == 1
    assert 'data-testid="low-new-SHIRT-BLU-M"' in page.content.decode()
    dashboard = staff_client.get(reverse("staff:dashboard")).content.decode()
    assert 'data-testid="low-stock-new">1 new<' in dashboard

    response = staff_client.post(
        reverse("staff:low_stock_seen"), drawn_at(page), follow=True
    )
    assert "1 low-stock notice marked seen." in response.content.decode()
    assert response.context["new_count"] == 0
    mine = LowStockNotice.objects.get(level__location=shop)
    assert (mine.seen_by, mine.seen_at is not None) == (associate, True)
    theirs = LowStockNotice.objects.get(level__location=other_shop)
    assert theirs.seen_at is None  # another shop's notice is theirs to see


def test_a_notice_opened_after_the_page_was_drawn_stays_new(
    staff_client, shop, variant, second_variant
):
    stock(variant, shop, 5)
    sell(variant, shop, 3)
    sweep_low_stock()
    page = staff_client.get(reverse("staff:low_stock"))
    stock(second_variant, shop, 5)
    sell(second_variant, shop, 3)
    sweep_low_stock(now=timezone.now() + timedelta(seconds=1))

    staff_client.post(reverse("staff:low_stock_seen"), drawn_at(page))
    seen = {
        n.level.variant.sku: n.seen_at is not None
        for n in LowStockNotice.objects.select_related("level__variant")
    }
    assert seen == {"SHIRT-BLU-M": True, "SOCK-RED": False}


@pytest.mark.parametrize(
    "data", [{}, {"until": "yesterday"}, {"until": "2026-13-45T99:00"}]
)
def test_a_bad_mark_seen_is_refused_and_marks_nothing(
    staff_client, shop, variant, data
):
    stock(variant, shop, 5)
    sell(variant, shop, 3)
    sweep_low_stock()
    response = staff_client.post(
        reverse("staff:low_stock_seen"), {**data, "store": shop.pk}
    )
    assert response.status_code == 400
    assert 'data-testid="seen-error"' in response.content.decode()
    assert LowStockNotice.objects.get().seen_at is None


def test_marking_seen_needs_a_post(staff_client):
    assert staff_client.get(reverse("staff:low_stock_seen")).status_code == 405


@pytest.mark.parametrize("count", [2, 12])
def test_the_low_stock_page_with_notices_runs_a_fixed_number_of_queries(
    staff_client, shop, django_assert_max_num_queries, count
):
    for _ in range(count):
        item = VariantFactory()
        stock(item, shop, 4)
        sell(item, shop, 3)
    sweep_low_stock()
    with django_assert_max_num_queries(6):
        response = staff_client.get(reverse("staff:low_stock"))
    assert [r.is_new for r in response.context["page"]] == [True] * count


# --- managers in the admin -------------------------------------------------------------


def test_a_store_manager_reads_their_shops_notices_only(
    client, shop, other_shop, variant
):
    for location in (shop, other_shop):
        stock(variant, location, 4)
        sell(variant, location, 2)
    sweep_low_stock()
    manager = UserFactory(username="marco", role=Role.STORE_MANAGER, store=shop)
    client.force_login(manager)

    response = client.get("/admin/inventory/lowstocknotice/")
    assert response.status_code == 200
    assert [n.level.location for n in response.context["cl"].result_list] == [shop]
    theirs = LowStockNotice.objects.get(level__location=other_shop)
    opened = client.get(f"/admin/inventory/lowstocknotice/{theirs.pk}/change/")
    assert opened.status_code == 404
    assert client.get("/admin/inventory/lowstocknotice/add/").status_code == 403


def test_ask_for_stock_opens_a_transfer_request_with_the_units_short(
    staff_client, shop, other_shop, warehouse, variant
):
    stock(variant, shop, 4)
    sell(variant, shop, 3)  # 1 left, threshold 3: 3 more bring it above
    stock(variant, warehouse, 6)
    stock(variant, other_shop, 10)  # the most to spare: offered first
    page = staff_client.get(reverse("staff:low_stock")).content.decode()
    link = reverse("staff:transfer_create") + "?direction=in&amp;lines=SHIRT-BLU-M%203"
    assert f'href="{link}"' in page

    form = staff_client.get(link.replace("&amp;", "&")).context["form"]
    assert form["lines"].value() == "SHIRT-BLU-M 3"
    assert form["destination"].value() == shop.pk
    assert form["source"].value() == other_shop.pk
    response = staff_client.post(
        reverse("staff:transfer_create"),
        {
            "once": form["once"].value(),
            "direction": "in",
            "source": other_shop.pk,
            "destination": shop.pk,
            "lines": form["lines"].value(),
        },
    )
    assert response.status_code == 302
    assert level(variant, other_shop).reserved == 3


def test_lines_handed_over_by_a_link_are_only_shown(staff_client, shop):
    hostile = "<script>alert(1)</script> 99999999999999999999"
    response = staff_client.get(
        reverse("staff:transfer_create"), {"direction": "in", "lines": hostile}
    )
    assert response.status_code == 200
    assert "<script>alert(1)</script>" not in response.content.decode()
    assert StockLevel.objects.count() == 0


def test_the_demo_seed_counts_the_notices_already_open(shop, variant):
    stock(variant, shop, 4)
    sell(variant, shop, 2)
    first, again = StringIO(), StringIO()

    assert seed_low_stock_notices(stdout=first) == 1
    assert seed_low_stock_notices(stdout=again) == 0

    assert first.getvalue() == "Low stock: 1 notice open in the shops (1 new)."
    assert again.getvalue() == "Low stock: 1 notice open in the shops (0 new)."
