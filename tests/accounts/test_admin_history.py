"""Changes made in the admin are kept with who made them, on each object's history
page (django-simple-history); another shop's history is a 404 like the object."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from inventory.models import Category, PriceList, PriceListPrice, StockLevel
from omnistore.accounts.models import Role
from omnistore.core.audit import BASELINE_REASON
from tests.factories import LocationFactory, UserFactory, VariantFactory, stock

pytestmark = pytest.mark.django_db


def test_a_managers_change_of_safety_stock_is_on_the_levels_history(client):
    shop = LocationFactory()
    stock(VariantFactory(), shop, 10)
    level = StockLevel.objects.get(location=shop)
    manager = UserFactory(
        username="marco",
        first_name="Marco",
        last_name="Bruni",
        role=Role.STORE_MANAGER,
        store=shop,
    )
    client.force_login(manager)
    url = reverse("admin:inventory_stocklevel_change", args=[level.pk])
    response = client.post(url, {"safety_stock": 3, "low_stock_threshold": 4})
    assert response.status_code == 302
    record = level.audit.latest()
    assert record.history_user == manager and record.safety_stock == 3
    page = client.get(reverse("admin:inventory_stocklevel_history", args=[level.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Marco Bruni" in html and "Changed" in html


def test_hq_edits_of_the_catalog_are_kept(client):
    hq = UserFactory(username="elena", role=Role.HQ)
    client.force_login(hq)
    added = client.post(
        reverse("admin:inventory_category_add"), {"name": "Shirts", "slug": "shirts"}
    )
    assert added.status_code == 302
    category = Category.objects.get(slug="shirts")
    url = reverse("admin:inventory_category_change", args=[category.pk])
    response = client.post(url, {"name": "Linen shirts", "slug": "shirts"})
    assert response.status_code == 302
    names = [r.name for r in category.audit.order_by("history_id")]
    assert names == ["Shirts", "Linen shirts"]
    assert category.audit.latest().history_user == hq
    page = client.get(reverse("admin:inventory_category_history", args=[category.pk]))
    assert "Linen shirts" in page.content.decode()


def test_saves_outside_a_request_are_not_versioned():
    """Tasks and services keep their own records (ledger, status histories)."""
    category = Category.objects.create(name="Shirts", slug="shirts")
    category.name = "Linen shirts"
    category.save()
    assert not category.audit.exists()


def test_another_shops_history_is_a_404(client):
    mine, far = LocationFactory(), LocationFactory()
    stock(VariantFactory(), far, 1)
    level = StockLevel.objects.get(location=far)
    client.force_login(UserFactory(role=Role.STORE_MANAGER, store=mine))
    url = reverse("admin:inventory_stocklevel_history", args=[level.pk])
    assert client.get(url).status_code == 404


def test_an_old_version_is_read_never_saved_back(client):
    hq = UserFactory(username="elena", role=Role.HQ)
    client.force_login(hq)
    client.post(
        reverse("admin:inventory_category_add"), {"name": "Shirts", "slug": "shirts"}
    )
    category = Category.objects.get(slug="shirts")
    version = category.audit.latest().history_id
    url = reverse(
        "admin:inventory_category_simple_history", args=[category.pk, version]
    )
    client.force_login(UserFactory(role=Role.STORE_MANAGER, store=LocationFactory()))

    assert client.get(url).status_code == 200  # the version, to read
    posted = client.post(url, {"name": "Renamed", "slug": "shirts", "_save": "Save"})

    assert posted.status_code == 403
    category.refresh_from_db()
    assert category.name == "Shirts" and category.audit.count() == 1
    client.force_login(hq)  # HQ may change the category, but not by restoring
    assert client.post(url, {"name": "Renamed", "slug": "shirts"}).status_code == 403
    assert Category.objects.get(pk=category.pk).name == "Shirts"


@pytest.mark.parametrize("version", ["abc", "None", "1" * 30])
def test_a_version_that_is_no_number_is_a_404(client, version):
    hq = UserFactory(username="elena", role=Role.HQ)
    client.force_login(hq)
    client.post(
        reverse("admin:inventory_category_add"), {"name": "Shirts", "slug": "shirts"}
    )
    category = Category.objects.get(slug="shirts")
    url = reverse("admin:inventory_category_history", args=[category.pk])
    assert client.get(f"{url}{version}/").status_code == 404


# --- the first change of a row that has no version yet ---------------------------


def variant_data(variant, **overrides) -> dict:
    return {
        "product": variant.product_id,
        "sku": variant.sku,
        "barcode": variant.barcode,
        "price": str(variant.price),
        "weight_grams": "0",
        "attributes": "{}",
        "active": "on",
        **overrides,
    }


def changes_shown(client, url_name: str, pk: int) -> list[list[tuple[str, str, str]]]:
    """The *Changes* column of the object's history page, latest first: for each
    version, (field, before, after) of each field it changed."""
    page = client.get(reverse(url_name, args=[pk]))
    assert page.status_code == 200
    return [
        [
            (str(change["field"]), str(change["old"]), str(change["new"]))
            for change in getattr(record, "history_delta_changes", [])
        ]
        for record in page.context["page_obj"]
    ]


def test_the_first_admin_change_of_a_seeded_price_shows_the_price_before(client):
    """A variant seeded or imported has no version: its first change in the admin
    still reads from the old price to the new one."""
    variant = VariantFactory(price=Decimal("59.90"))
    hq = UserFactory(username="elena", role=Role.HQ)
    client.force_login(hq)
    url = reverse("admin:inventory_variant_change", args=[variant.pk])

    response = client.post(url, variant_data(variant, price="1.00"))

    assert response.status_code == 302
    latest = changes_shown(client, "admin:inventory_variant_history", variant.pk)[0]
    assert ("Price", "59.90", "1.00") in latest
    versions = list(variant.audit.order_by("history_id"))
    assert [v.price for v in versions] == [Decimal("59.90"), Decimal("1.00")]
    assert versions[0].history_user is None and versions[1].history_user == hq
    assert versions[0].history_change_reason == BASELINE_REASON


def test_the_row_as_it_was_is_kept_once(client):
    variant = VariantFactory(price=Decimal("59.90"))
    client.force_login(UserFactory(username="elena", role=Role.HQ))
    url = reverse("admin:inventory_variant_change", args=[variant.pk])

    client.post(url, variant_data(variant, price="1.00"))
    client.post(url, variant_data(variant, price="59.90"))

    prices = [v.price for v in variant.audit.order_by("history_id")]
    assert prices == [Decimal("59.90"), Decimal("1.00"), Decimal("59.90")]
    shown = changes_shown(client, "admin:inventory_variant_history", variant.pk)
    assert ("Price", "1.00", "59.90") in shown[0]
    assert ("Price", "59.90", "1.00") in shown[1]


def test_a_price_list_price_changed_on_the_list_page_keeps_the_price_before(client):
    """HQ corrects prices in the list's editable column: each one's history says
    from what to what."""
    variant = VariantFactory()
    price = PriceListPrice.objects.create(
        price_list=PriceList.objects.get(code="CHF"),
        variant=variant,
        price=Decimal("62.90"),
    )
    client.force_login(UserFactory(username="elena", role=Role.HQ))

    response = client.post(
        reverse("admin:inventory_pricelistprice_changelist"),
        {
            "form-TOTAL_FORMS": "1",
            "form-INITIAL_FORMS": "1",
            "form-0-id": price.pk,
            "form-0-price": "1.00",
            "_save": "Save",
        },
    )

    assert response.status_code == 302
    latest = changes_shown(client, "admin:inventory_pricelistprice_history", price.pk)
    assert ("Price", "62.90", "1.00") in latest[0]
