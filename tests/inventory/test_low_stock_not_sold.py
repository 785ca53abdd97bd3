"""Low stock is about what the shop still sells: a product taken off sale (its
variants left active) leaves the Low stock page and the dashboard's count, its
notice is resolved, none is opened for it, and no stock is asked for it."""

import pytest
from django.urls import reverse

from inventory.models import LowStockNotice, MovementReason, Transfer
from inventory.services.low_stock import sweep_low_stock
from inventory.services.stock import adjust_stock
from inventory.services.transfers import request_transfer
from omnistore.core.exceptions import ValidationFailed
from omnistore.staff.once import new_token as once
from tests.factories import stock
from tests.inventory.staff_helpers import level

pytestmark = pytest.mark.django_db


def run_low(variant, location) -> None:
    """5 units, 3 broken: 2 left, under the threshold of 3."""
    stock(variant, location, 5)
    adjust_stock(
        variant=variant,
        location=location,
        delta=-3,
        reason=MovementReason.DAMAGE,
        note="broken",
    )


def take_off_sale(variant) -> None:
    product = variant.product
    product.active = False
    product.save(update_fields=["active"])


def test_a_product_taken_off_sale_leaves_the_low_stock_page(
    staff_client, shop, variant, second_variant
):
    run_low(variant, shop)
    run_low(second_variant, shop)
    sweep_low_stock()
    take_off_sale(variant)

    page = staff_client.get(reverse("staff:low_stock"))
    assert [row.variant.sku for row in page.context["page"]] == ["SOCK-RED"]
    assert page.context["new_count"] == 1
    html = page.content.decode()
    assert 'data-testid="ask-SHIRT-BLU-M"' not in html
    assert "?code=SHIRT-BLU-M" not in html  # no Receive for it either
    dashboard = staff_client.get(reverse("staff:dashboard")).content.decode()
    assert 'data-testid="low-stock-new">1 new<' in dashboard


def test_the_sweep_resolves_the_notice_of_a_product_taken_off_sale(
    shop, variant, second_variant
):
    run_low(variant, shop)
    sweep_low_stock()
    take_off_sale(variant)
    assert sweep_low_stock().resolved == 1
    assert LowStockNotice.objects.get().resolved_at is not None

    take_off_sale(second_variant)
    run_low(second_variant, shop)
    assert sweep_low_stock().opened == []  # nothing opened for it


def test_stock_is_not_asked_for_a_product_taken_off_sale(
    staff_client, shop, other_shop, variant
):
    run_low(variant, shop)
    stock(variant, other_shop, 10)
    take_off_sale(variant)
    link = reverse("staff:transfer_create")
    form = staff_client.get(link, {"direction": "in", "lines": "SHIRT-BLU-M 2"})
    response = staff_client.post(
        link,
        {
            "once": once(),
            "direction": "in",
            "source": other_shop.pk,
            "destination": shop.pk,
            "lines": form.context["form"]["lines"].value(),
        },
    )
    assert response.status_code == 422
    assert response.context["form"].errors["lines"] == ["SHIRT-BLU-M: no longer sold."]
    assert not Transfer.objects.exists()
    assert level(variant, other_shop).reserved == 0


def test_a_product_taken_off_sale_may_still_go_back_to_a_warehouse(
    shop, warehouse, other_shop, variant
):
    stock(variant, shop, 4)
    take_off_sale(variant)
    with pytest.raises(ValidationFailed) as refused:
        request_transfer(source=shop, destination=other_shop, lines=[(variant, 1)])
    assert refused.value.code == "not_for_sale"
    back = request_transfer(source=shop, destination=warehouse, lines=[(variant, 4)])
    assert back.lines.get().quantity == 4
