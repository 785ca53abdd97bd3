"""Campaign records are titled in the admin by labels and names: a template by its
channel, a history step by its statuses, a message by channel and customer, a
back-in-stock row by the item and the shop; never by ids or codes. The lists that
show them cost the same queries for any length."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from campaigns.models import (
    CampaignStatus,
    Message,
    Restock,
    StockSnapshot,
    StockWatch,
)
from campaigns.services.campaigns import schedule_campaign
from omnistore.accounts.models import Role
from tests.campaigns.factories import campaign, person
from tests.factories import LocationFactory, ProductFactory, UserFactory, VariantFactory

pytestmark = pytest.mark.django_db

EVERYONE = {"all": [{"field": "consent.email", "op": "is_true"}]}


@pytest.fixture
def hq(client):
    client.force_login(UserFactory(username="elena", role=Role.HQ))
    return client


@pytest.fixture
def shirt():
    return VariantFactory(
        sku="SKU-5", colour="", size="", product=ProductFactory(name="Linen shirt")
    )


def test_a_campaigns_templates_and_history_read_as_labels(hq):
    spring = campaign(name="Spring", channels=("email", "sms"), rules=EVERYONE)
    assert sorted(str(t) for t in spring.templates.all()) == [
        "Email message",
        "SMS message",
    ]
    schedule_campaign(campaign=spring, send_at=None)
    spring.refresh_from_db()
    steps = [str(step) for step in spring.history.all()]
    assert steps[-1] == f"Draft → {CampaignStatus(spring.status).label}"
    html = hq.get(
        reverse("admin:campaigns_campaign_change", args=[spring.pk])
    ).content.decode()
    assert "Draft" in html and ">draft<" not in html


def test_messages_and_restock_rows_name_the_customer_item_and_shop(shirt):
    spring = campaign(name="Spring")
    giulia = person("Giulia", last_name="Rossi")
    message = Message.objects.create(campaign=spring, customer=giulia, channel="email")
    assert str(message) == "Email to Giulia Rossi (queued)"
    shop = LocationFactory(code="MI01", name="Milano Duomo")
    watch = StockWatch.objects.create(variant=shirt, location=shop)
    assert str(watch) == "SKU-5 · Linen shirt at Milano Duomo"
    seen = StockSnapshot.objects.create(variant=shirt, location=None, units=3)
    assert str(seen) == "SKU-5 · Linen shirt online: 3 units"
    back = Restock.objects.create(variant=shirt, location=shop, number=2, units=4)
    assert str(back) == "SKU-5 · Linen shirt back at Milano Duomo (restock 2)"


def queries_to_list(client, url) -> int:
    """Queries to list ``url`` and title every row listed."""
    client.get(url)  # the process's first admin page fills its caches
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
        titles = [str(row) for row in response.context["cl"].result_list]
    assert response.status_code == 200
    assert titles and all("Milano Duomo" in title for title in titles)
    return len(queries)


@pytest.mark.parametrize(
    "url",
    [
        "/admin/campaigns/stockwatch/",
        "/admin/campaigns/stocksnapshot/",
        "/admin/campaigns/restock/",
    ],
)
def test_back_in_stock_lists_cost_the_same_queries_for_any_length(hq, url):
    shop = LocationFactory(code="MI01", name="Milano Duomo")

    def rows(count: int) -> None:
        for _ in range(count):
            item = VariantFactory()
            StockWatch.objects.create(variant=item, location=shop)
            StockSnapshot.objects.create(variant=item, location=shop, units=1)
            Restock.objects.create(variant=item, location=shop, number=1, units=1)

    rows(1)
    one = queries_to_list(hq, url)
    rows(5)
    assert queries_to_list(hq, url) == one
