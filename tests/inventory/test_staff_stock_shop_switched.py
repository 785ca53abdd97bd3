"""A stock form books at the shop it was opened for. Someone working at several shops
who switches shop in another tab, then sends a form opened before, is told so and
nothing is booked anywhere: receive, adjust, count and the low-stock "Mark all seen"."""

import pytest
from django.urls import reverse

from inventory.models import LowStockNotice, MovementReason, StockMovement
from inventory.services.low_stock import sweep_low_stock
from inventory.services.stock import adjust_stock
from omnistore.accounts.models import Role
from omnistore.accounts.services import assign_role
from tests.factories import LocationFactory, UserFactory, stock
from tests.inventory.staff_helpers import HTMX, level

pytestmark = pytest.mark.django_db

MOVED = (
    "This form was opened for Milano Porta Nuova; you now work at Torino Via Roma: "
    "open it again."
)


@pytest.fixture
def milano():
    return LocationFactory(code="MI-PN", name="Milano Porta Nuova")


@pytest.fixture
def torino():
    return LocationFactory(code="TO-VR", name="Torino Via Roma", city="Torino")


@pytest.fixture
def area_manager(client, milano, torino):
    user = assign_role(
        user=UserFactory(username="area"),
        role=Role.AREA_MANAGER,
        shops=[milano, torino],
    )
    client.force_login(user)
    return user


def work_at(client, location):
    """The header's shop switch, as another tab sends it."""
    return client.post(reverse("staff:switch_store"), {"store": location.pk})


FORMS = [
    ("staff:stock_count", {"counted": "12"}),
    ("staff:stock_receive", {"quantity": "12"}),
    (
        "staff:stock_adjust",
        {"delta": "2", "reason": "adjustment", "note": "found in the back"},
    ),
]


@pytest.mark.parametrize(("url_name", "typed"), FORMS)
def test_a_form_opened_for_one_shop_books_nothing_once_the_user_works_at_another(
    client, area_manager, milano, torino, variant, url_name, typed
):
    stock(variant, milano, 5)
    stock(variant, torino, 5)
    work_at(client, milano)
    page = client.get(reverse(url_name))
    assert "Milano Porta Nuova" in page.content.decode()
    drawn = page.context["form"]
    sent = {
        "code": variant.sku,
        **typed,
        "once": drawn["once"].value(),
        "store": drawn["store"].value(),
    }
    before = StockMovement.objects.count()

    work_at(client, torino)
    refused = client.post(reverse(url_name), sent, **HTMX)

    assert refused.status_code == 422
    assert MOVED in refused.context["form"].non_field_errors()
    assert MOVED in refused.content.decode()
    assert StockMovement.objects.count() == before
    assert (level(variant, milano).on_hand, level(variant, torino).on_hand) == (5, 5)

    # Opened again, the form is Torino's and books there.
    again = client.get(reverse(url_name)).context["form"]
    opened = {"once": again["once"].value(), "store": again["store"].value()}
    booked = client.post(reverse(url_name), {**sent, **opened}, **HTMX)
    assert booked.status_code == 200
    assert "Now at Torino Via Roma" in booked.content.decode()
    assert level(variant, milano).on_hand == 5
    assert level(variant, torino).on_hand != 5


def test_a_form_that_names_no_shop_books_nothing(client, area_manager, milano, variant):
    stock(variant, milano, 5)
    work_at(client, milano)
    drawn = client.get(reverse("staff:stock_count")).context["form"]
    refused = client.post(
        reverse("staff:stock_count"),
        {"code": variant.sku, "counted": "1", "once": drawn["once"].value()},
        **HTMX,
    )
    assert refused.status_code == 422
    assert (
        "This form was opened for another location; you now work at Milano Porta "
        "Nuova: open it again." in refused.context["form"].non_field_errors()
    )
    assert level(variant, milano).on_hand == 5


def test_mark_all_seen_from_another_shops_page_marks_nothing(
    client, area_manager, milano, torino, variant
):
    for location in (milano, torino):
        stock(variant, location, 5)
        adjust_stock(
            variant=variant,
            location=location,
            delta=-3,
            reason=MovementReason.DAMAGE,
            note="broken",
        )
    sweep_low_stock()
    work_at(client, milano)
    page = client.get(reverse("staff:low_stock"))
    drawn = page.context["seen_form"]
    sent = {"until": drawn["until"].value(), "store": drawn["store"].value()}

    work_at(client, torino)
    refused = client.post(reverse("staff:low_stock_seen"), sent)

    assert refused.status_code == 422
    assert MOVED in refused.content.decode()
    assert refused.context["store"] == torino  # the page now shows where they work
    assert not LowStockNotice.objects.filter(seen_at__isnull=False).exists()
    # This page's own form marks Torino's notice, not Milano's.
    marked = client.post(
        reverse("staff:low_stock_seen"),
        {
            "until": refused.context["seen_form"]["until"].value(),
            "store": refused.context["seen_form"]["store"].value(),
        },
    )
    assert marked.status_code == 302
    seen = {
        notice.level.location.code: notice.seen_at is not None
        for notice in LowStockNotice.objects.select_related("level__location")
    }
    assert seen == {"MI-PN": False, "TO-VR": True}
