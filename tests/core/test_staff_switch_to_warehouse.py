"""Staff act for every location they work at, a returns warehouse as well as a shop:
the header offers each of theirs (HQ: every active one) and the pages then act for
the one chosen. A warehouse has no counter: its header leaves out the sale, the till
and the pickup desk."""

import pytest
from django.urls import reverse

from inventory.models import StockLevel
from omnistore.accounts.models import Role
from omnistore.accounts.services import assign_role
from tests.factories import (
    LocationFactory,
    StaffFactory,
    UserFactory,
    VariantFactory,
    WarehouseFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def milano():
    return LocationFactory(code="MI01", name="Milano Centro")


@pytest.fixture
def piacenza():
    return WarehouseFactory(code="WH01", name="Piacenza Returns")


@pytest.fixture
def associate(milano, piacenza):
    """Sells in Milano, and works the returns desk at Piacenza some days."""
    return assign_role(
        user=StaffFactory(store=milano, username="giulia"),
        role=Role.ASSOCIATE,
        shops=[milano, piacenza],
        home=milano,
    )


def switch(client, location):
    return client.post(reverse("staff:switch_store"), {"store": location.pk})


def nav(page) -> str:
    html = page.content.decode()
    return html[html.index('<nav class="main">') : html.index("</nav>")]


def test_the_header_offers_the_warehouse_an_associate_works_at(
    client, associate, milano, piacenza
):
    client.force_login(associate)

    page = client.get(reverse("staff:dashboard"))

    assert page.context["staff_store"] == milano  # the home shop first
    html = page.content.decode()
    assert 'data-testid="shop-switch"' in html
    assert f'<option value="{milano.pk}" selected>Milano Centro</option>' in html
    assert f'<option value="{piacenza.pk}"' in html
    assert "Piacenza Returns (warehouse)</option>" in html


def test_an_associate_switches_to_their_warehouse_and_back(
    client, associate, milano, piacenza
):
    client.force_login(associate)

    assert switch(client, piacenza).status_code == 302
    at_warehouse = client.get(reverse("staff:returns_desk"))
    assert at_warehouse.context["staff_store"] == piacenza
    assert "<h1>Piacenza Returns</h1>" in (
        client.get(reverse("staff:dashboard")).content.decode()
    )

    switch(client, milano)
    assert client.get(reverse("staff:dashboard")).context["staff_store"] == milano


def test_a_warehouse_not_theirs_is_neither_offered_nor_taken(client, associate):
    elsewhere = WarehouseFactory(code="WH02", name="Bologna Returns")
    client.force_login(associate)

    switch(client, elsewhere)
    page = client.get(reverse("staff:dashboard"))

    assert page.context["staff_store"] == associate.store
    assert f'<option value="{elsewhere.pk}"' not in page.content.decode()


def test_at_the_warehouse_the_header_leaves_out_the_counter_pages(
    client, associate, piacenza
):
    client.force_login(associate)
    at_shop = nav(client.get(reverse("staff:dashboard")))
    switch(client, piacenza)

    at_warehouse = nav(client.get(reverse("staff:dashboard")))

    for page in ("staff:sale", "staff:till", "staff:pickup_desk"):
        assert f'href="{reverse(page)}"' in at_shop
        assert f'href="{reverse(page)}"' not in at_warehouse
    for page in ("staff:returns_desk", "staff:picking", "staff:stock_lookup"):
        assert f'href="{reverse(page)}"' in at_warehouse


def test_hq_switches_to_a_warehouse_and_starts_at_a_shop(client, milano):
    first_by_name = WarehouseFactory(code="WH03", name="Ancona Returns")
    client.force_login(UserFactory(role=Role.HQ, username="hq"))

    page = client.get(reverse("staff:dashboard"))
    assert (
        page.context["staff_store"] == milano
    )  # a shop, though a warehouse sorts first
    assert first_by_name in list(page.context["all_shops"])

    switch(client, first_by_name)
    assert client.get(reverse("staff:dashboard")).context["staff_store"] == (
        first_by_name
    )


def test_a_closed_home_is_nobodys_to_act_for(client, milano, piacenza, associate):
    milano.active = False
    milano.save(update_fields=["active"])
    client.force_login(associate)

    assert client.get(reverse("staff:dashboard")).context["staff_store"] == piacenza

    piacenza.active = False
    piacenza.save(update_fields=["active"])
    # nothing of theirs is open: no shop to act for, no stock booked anywhere
    shirt = VariantFactory(sku="SHIRT-01")
    received = client.post(
        reverse("staff:stock_receive"), {"code": shirt.sku, "quantity": 5}
    )
    assert received.status_code == 404
    assert not StockLevel.objects.filter(variant=shirt).exists()
