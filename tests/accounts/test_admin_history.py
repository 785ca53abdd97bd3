"""Changes made in the admin are kept with who made them, on each object's history
page (django-simple-history); another shop's history is a 404 like the object."""

from __future__ import annotations

import pytest
from django.urls import reverse

from inventory.models import Category, StockLevel
from omnistore.accounts.models import Role
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
