"""A transfer request holds the units at the source beyond its safety stock: only a
manager of the source (HQ: of every location) may take its safety stock too. A
refusal says how many units could be taken."""

import pytest
from django.urls import reverse

from inventory.models import StockLevel, Transfer
from inventory.services.transfers import request_transfer
from omnistore.accounts.models import Role
from omnistore.accounts.services import assign_role
from omnistore.core.exceptions import InsufficientStock
from omnistore.staff.once import new_token as once
from tests.factories import StaffFactory, UserFactory, stock
from tests.inventory.staff_helpers import level

pytestmark = pytest.mark.django_db


def on_shelf(variant, location, *, on_hand=2, safety=1):
    stock(variant, location, on_hand)
    StockLevel.objects.filter(variant=variant, location=location).update(
        safety_stock=safety
    )


def ask(client, *, source, destination, units, direction="in"):
    return client.post(
        reverse("staff:transfer_create"),
        {
            "once": once(),
            "direction": direction,
            "source": source.pk,
            "destination": destination.pk,
            "lines": f"SHIRT-BLU-M {units}",
        },
    )


def test_a_store_managers_ask_keeps_another_shops_safety_stock(
    client, shop, other_shop, variant
):
    on_shelf(variant, other_shop)
    client.force_login(StaffFactory(store=shop, role=Role.STORE_MANAGER))

    refused = ask(client, source=other_shop, destination=shop, units=2)

    assert refused.status_code == 422
    assert "SHIRT-BLU-M: 2 asked, 1 available" in refused.content.decode()
    assert not Transfer.objects.exists()
    assert level(variant, other_shop).reserved == 0
    assert ask(client, source=other_shop, destination=shop, units=1).status_code == 302
    assert level(variant, other_shop).reserved == 1


def test_an_associates_refusal_counts_the_units_beyond_the_safety_stock(
    staff_client, shop, other_shop, variant
):
    on_shelf(variant, other_shop)

    refused = ask(staff_client, source=other_shop, destination=shop, units=2)

    assert refused.status_code == 422
    assert "SHIRT-BLU-M: 2 asked, 1 available" in refused.content.decode()
    assert not Transfer.objects.exists()


def test_a_store_manager_may_send_their_own_shops_safety_stock(
    client, shop, other_shop, variant
):
    on_shelf(variant, shop)
    client.force_login(StaffFactory(store=shop, role=Role.STORE_MANAGER))

    sent = ask(client, source=shop, destination=other_shop, units=2, direction="out")

    assert sent.status_code == 302
    assert level(variant, shop).reserved == 2


def test_an_area_managers_shops_and_hq_everywhere(shop, other_shop, warehouse, variant):
    area = assign_role(
        user=UserFactory(), role=Role.AREA_MANAGER, shops=[shop, other_shop]
    )
    for location in (other_shop, warehouse):
        on_shelf(variant, location)

    request_transfer(
        source=other_shop, destination=shop, lines=[(variant, 2)], actor=area
    )
    assert level(variant, other_shop).reserved == 2
    with pytest.raises(InsufficientStock) as short:
        request_transfer(
            source=warehouse, destination=shop, lines=[(variant, 2)], actor=area
        )
    assert [(line["requested"], line["available"]) for line in short.value.lines] == [
        (2, 1)
    ]
    assert level(variant, warehouse).reserved == 0

    hq = UserFactory(role=Role.HQ)
    request_transfer(source=warehouse, destination=shop, lines=[(variant, 2)], actor=hq)
    assert level(variant, warehouse).reserved == 2
