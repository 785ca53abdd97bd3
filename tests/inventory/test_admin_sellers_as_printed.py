"""Receipts and invoices print their seller from its legal entity: once an entity has
issued any, its name, address, country and VAT number are shown read-only in the
admin (a new name or address is a new entity the market points to), so a receipt
already issued keeps the seller it was issued by. Every change to a legal entity, a
market, a price list and a price is kept on its history page."""

import pytest
from django.urls import reverse

from inventory.admin_markets import SELLER_AS_PRINTED
from inventory.models import LegalEntity, Market
from omnistore.accounts.models import Role
from tests.factories import StaffFactory, UserFactory
from tests.orders.receipt_helpers import (
    cash_sale_with_change,
    entity_shop,
    item,
    legal_entity,
)
from tests.orders.returns_helpers import api_client_for, shopper

pytestmark = pytest.mark.django_db

ISSUED_BY = {
    "name": "Omnistore Italia S.r.l.",
    "address": "Via Dante 7, 20121 Milano",
    "vat_number": "IT12345670017",
}
RENAMED = {
    "name": "Omnistore Nuova S.r.l.",
    "address": "Via Nuova 1, 20100 Milano",
    "country": "IT",
    "vat_number": "IT00743110157",
}


@pytest.fixture
def hq(client):
    client.force_login(UserFactory(username="hq", role=Role.HQ))
    return client


@pytest.fixture
def sold():
    """A shop's entity and a receipt it issued to Ada."""
    entity = legal_entity()
    shop = entity_shop(entity)
    user, customer = shopper("ada@example.com")
    order = cash_sale_with_change(
        shop=shop,
        associate=StaffFactory(store=shop),
        lines=[(item(shop, "Oxford shirt", "SHIRT", "61.00"), 1)],
        tendered="61",
        customer=customer,
    )
    return entity, order, api_client_for(user)


def seller_on_receipt(api, order) -> dict:
    response = api.get(f"/api/v1/orders/{order.number}/receipt/")
    assert response.status_code == 200, response.json()
    return response.json()["seller"]


def test_an_entity_that_issued_receipts_keeps_what_they_print(hq, sold):
    entity, order, api = sold
    assert seller_on_receipt(api, order) == ISSUED_BY
    url = reverse("admin:inventory_legalentity_change", args=[entity.pk])

    page = hq.get(url)
    versions = entity.audit.count()
    response = hq.post(url, RENAMED)

    assert page.status_code == 200
    assert SELLER_AS_PRINTED in page.content.decode()
    assert not page.context["adminform"].form.fields  # nothing left to type in
    assert 'name="_save"' not in page.content.decode()  # nor a Save to press
    assert response.status_code == 403
    assert entity.audit.count() == versions  # no edit recorded either
    entity.refresh_from_db()
    assert (entity.name, entity.address, entity.vat_number) == (
        ISSUED_BY["name"],
        ISSUED_BY["address"],
        ISSUED_BY["vat_number"],
    )
    assert seller_on_receipt(api, order) == ISSUED_BY


def test_a_new_entity_is_created_and_the_market_pointed_to_it(hq, sold):
    entity, order, api = sold
    market = Market.objects.get(code="CH")

    added = hq.post(reverse("admin:inventory_legalentity_add"), RENAMED)
    assert added.status_code == 302
    new = LegalEntity.objects.get(vat_number="IT00743110157")
    moved = hq.post(
        reverse("admin:inventory_market_change", args=[market.pk]),
        {
            "code": market.code,
            "name": market.name,
            "currency": market.currency,
            "price_list": market.price_list_id or "",
            "legal_entity": new.pk,
            "delivery_fee": "0",
            "free_delivery_from": "",
            "countries-TOTAL_FORMS": "0",
            "countries-INITIAL_FORMS": "0",
        },
    )

    assert moved.status_code == 302
    market.refresh_from_db()
    assert market.legal_entity == new
    assert seller_on_receipt(api, order) == ISSUED_BY
    before, after = market.audit.order_by("history_id")
    assert (before.legal_entity_id, after.legal_entity_id) == (None, new.pk)
    assert after.history_user.username == "hq"


def test_an_entity_that_issued_nothing_is_corrected_and_the_change_kept(hq):
    entity = legal_entity(address="Via Dante 7, 20121 Milan")
    url = reverse("admin:inventory_legalentity_change", args=[entity.pk])

    response = hq.post(
        url, {**RENAMED, "name": entity.name, "vat_number": "IT12345670017"}
    )

    assert response.status_code == 302
    entity.refresh_from_db()
    assert entity.address == "Via Nuova 1, 20100 Milano"
    before, after = entity.audit.order_by("history_id")
    assert before.address == "Via Dante 7, 20121 Milan"
    assert after.address == "Via Nuova 1, 20100 Milano"
    history = hq.get(reverse("admin:inventory_legalentity_history", args=[entity.pk]))
    assert "Via Dante 7, 20121 Milan" in history.content.decode()


def test_an_old_version_of_an_entity_is_read_never_restored(hq):
    entity = legal_entity()
    url = reverse("admin:inventory_legalentity_change", args=[entity.pk])
    hq.post(url, {**RENAMED, "vat_number": "IT12345670017"})
    version = entity.audit.order_by("history_id").first().history_id
    version_url = reverse(
        "admin:inventory_legalentity_simple_history", args=[entity.pk, version]
    )

    assert hq.get(version_url).status_code == 200
    assert hq.post(version_url, {**RENAMED, "_save": "Save"}).status_code == 403
    assert LegalEntity.objects.get(pk=entity.pk).name == RENAMED["name"]


def test_a_price_list_change_is_kept(hq):
    market = Market.objects.get(code="CH")
    price_list = market.price_list
    url = reverse("admin:inventory_pricelist_change", args=[price_list.pk])

    response = hq.post(
        url, {"code": price_list.code, "name": "Swiss francs", "currency": "CHF"}
    )

    assert response.status_code == 302
    names = [v.name for v in price_list.audit.order_by("history_id")]
    assert names == [price_list.name, "Swiss francs"]
