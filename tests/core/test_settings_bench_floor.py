"""The benchmark's floor endpoint: routed only by the benchmark's settings, never by
the site's URLs that production serves."""

import pytest
from django.urls import Resolver404, resolve

from inventory.models import Reservation, StockLevel
from tests.core.production import run_production
from tests.orders.factories import shop, stocked


def test_production_settings_do_not_route_the_floor():
    run = run_production(
        [
            "-c",
            "import django; django.setup()\n"
            "from django.conf import settings as s; from django.urls import resolve\n"
            "print(s.ROOT_URLCONF)\n"
            "try:\n    resolve('/bench/floor/'); print('routed')\n"
            "except Exception as e: print(type(e).__name__)",
        ]
    )
    assert run.stdout.split() == ["omnistore.urls", "Resolver404"]


def test_the_site_urls_have_no_floor():
    with pytest.raises(Resolver404):
        resolve("/bench/floor/", urlconf="omnistore.urls")
    assert resolve("/bench/floor/", urlconf="omnistore.urls_bench").url_name == (
        "bench-floor"
    )


@pytest.mark.django_db
def test_the_floor_holds_one_unit_with_one_update_and_one_insert(
    client, settings, django_assert_num_queries
):
    settings.ROOT_URLCONF = "omnistore.urls_bench"
    store = shop()
    item = stocked(store, 1)
    url = f"/bench/floor/?variant={item.pk}&location={store.pk}"

    with django_assert_num_queries(2 + 2):  # and the savepoint standing in for BEGIN
        first = client.post(url)
    second = client.post(url)

    assert (first.status_code, second.status_code) == (201, 409)
    assert StockLevel.objects.get(variant=item, location=store).reserved == 1
    assert Reservation.objects.filter(reference_type="bench").count() == 1
    assert client.post("/bench/floor/?variant=x").status_code == 400
