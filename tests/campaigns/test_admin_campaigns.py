"""Managers' admin: segments with preview, campaign actions, the report with charts."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from campaigns.models import Campaign, CampaignStatus, Message, Segment
from campaigns.services.restocks import detect_restocks
from campaigns.services.sending import send_campaign
from customers.services.profiles import update_profile
from customers.services.wishlists import add_wishlist_item
from inventory.services.stock import receive_stock
from omnistore.accounts.models import Role
from orders.services.discounts import create_discount_code
from tests.campaigns.factories import EVERYONE, Shop, campaign, grant, person
from tests.factories import LocationFactory, UserFactory, VariantFactory

pytestmark = pytest.mark.django_db

SEGMENTS = "/admin/campaigns/segment/"
CAMPAIGNS = "/admin/campaigns/campaign/"
REPORT = "/admin/campaigns/campaign/report/"


@pytest.fixture
def admin_client(client):
    manager = UserFactory(
        username="boss", role=Role.HQ, is_staff=True, is_superuser=True
    )
    client.force_login(manager)
    client.manager = manager
    return client


def test_a_bad_rule_is_refused_by_the_admin_form_and_nothing_is_saved(admin_client):
    response = admin_client.post(
        f"{SEGMENTS}add/",
        {
            "name": "Broken",
            "description": "",
            "rules": '{"all": [{"field": "shoe_size", "op": "eq", "value": 42}]}',
        },
    )
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors["rules"]
    assert "all[0]: unknown field 'shoe_size'" in errors[0]
    assert not Segment.objects.exists()


@pytest.mark.parametrize(
    ("rules", "message"),
    [
        ('{"field": "first_name", "op": "eq", "value": "\\ud800"}', "Invalid text."),
        ('{"field": "first_name", "op": "eq", "value": "a\\u0000b"}', "Null"),
        ("[" * 50_000 + "]" * 50_000, "Nested more than 32 deep."),
        ('{"not": ' * 40 + "{}" + "}" * 40, "Nested more than 32 deep."),
    ],
)
def test_rules_no_column_or_parser_can_hold_are_refused_at_their_field(
    admin_client, rules, message
):
    response = admin_client.post(
        f"{SEGMENTS}add/", {"name": "Odd", "description": "", "rules": rules}
    )
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors["rules"]
    assert message in errors[0]
    assert not Segment.objects.exists()


def test_a_segment_saved_in_the_admin_shows_its_count_and_first_customers(admin_client):
    shop = Shop()
    buyers = [person(f"Buyer{i}") for i in range(3)]
    for buyer in buyers:
        shop.sell_in_store(buyer)
    person("Nobody")
    response = admin_client.post(
        f"{SEGMENTS}add/",
        {
            "name": "Shop buyers",
            "description": "Bought in a shop",
            "rules": '{"field": "channels_used", "op": "eq", "value": "store_only"}',
            "_continue": "1",
        },
    )
    assert response.status_code == 302
    segment = Segment.objects.get()
    assert segment.created_by == admin_client.manager

    page = admin_client.get(f"{SEGMENTS}{segment.pk}/change/")
    html = page.content.decode()
    assert '<strong class="segment-count">3</strong> customer(s)' in html
    for buyer in buyers:
        assert f"/admin/customers/customer/{buyer.pk}/change/" in html
    assert "has_wishlist_item" in html  # the field reference


def test_schedule_action_and_the_readonly_message_history(admin_client):
    grant(person(), "email")
    draft = campaign(rules=EVERYONE)
    response = admin_client.post(
        CAMPAIGNS,
        {"action": "schedule_now", "_selected_action": [draft.pk]},
        follow=True,
    )
    assert response.status_code == 200
    draft.refresh_from_db()
    assert draft.status == CampaignStatus.SCHEDULED
    assert draft.history.get().actor == admin_client.manager

    send_campaign(campaign=draft)
    message = Message.objects.get()
    page = admin_client.get(f"/admin/campaigns/message/{message.pk}/change/")
    assert page.status_code == 200
    assert b'name="status"' not in page.content  # shown, not editable
    sent = admin_client.get(f"{CAMPAIGNS}{draft.pk}/change/")
    assert b'name="name"' not in sent.content  # a sent campaign is locked


def test_an_unready_campaign_is_not_scheduled_and_the_admin_says_why(admin_client):
    draft = Campaign.objects.create(name="Empty", channels=["sms"], segment=None)
    response = admin_client.post(
        CAMPAIGNS,
        {"action": "schedule_now", "_selected_action": [draft.pk]},
        follow=True,
    )
    text = response.content.decode()
    assert "A broadcast needs a segment." in text
    draft.refresh_from_db()
    assert draft.status == CampaignStatus.DRAFT


def test_a_campaign_with_an_expired_code_is_not_sent_and_the_admin_says_why(
    admin_client,
):
    grant(person(), "email")
    create_discount_code(
        code="OLD5",
        kind="percentage",
        value=5,
        valid_from=timezone.now() - timedelta(days=34),
        valid_until=timezone.now() - timedelta(days=4),
    )
    draft = campaign(rules=EVERYONE, discount_code="OLD5")
    response = admin_client.post(
        CAMPAIGNS,
        {"action": "schedule_now", "_selected_action": [draft.pk]},
        follow=True,
    )
    text = response.content.decode()
    assert "Customers could not use the discount code OLD5" in text
    assert "This code expired on" in text
    assert "campaign(s) scheduled" not in text
    draft.refresh_from_db()
    assert draft.status == CampaignStatus.DRAFT
    assert not Message.objects.exists()


def _sent_campaigns(n: int):
    for _ in range(n):
        customer = person(phone=True)
        grant(customer, "email", "sms")
        news = campaign(
            rules=EVERYONE, channels=("email", "sms"), status=CampaignStatus.SCHEDULED
        )
        send_campaign(campaign=news)


@pytest.mark.parametrize("count", [1, 4])
def test_the_report_page_draws_svg_charts_in_a_fixed_number_of_queries(
    admin_client, django_assert_max_num_queries, count
):
    _sent_campaigns(count)
    assert len(mail.outbox) == sum(range(1, count + 1))
    listing = admin_client.get(CAMPAIGNS)
    assert REPORT.encode() in listing.content

    with django_assert_max_num_queries(8):
        response = admin_client.get(REPORT)
    assert response.status_code == 200
    html = response.content.decode().split('<div class="campaign-report">')[1]
    assert html.count('<svg xmlns="http://www.w3.org/2000/svg" role="img"') == 3
    assert 'class="bar"' in html
    assert "Single-channel" in html and "Multi-channel" in html
    assert "<script" not in html
    assert response.context["report"].multi.campaigns == count


@pytest.mark.parametrize("count", [1, 4])
def test_campaign_and_message_lists_cost_a_fixed_number_of_queries(
    admin_client, django_assert_max_num_queries, count
):
    _sent_campaigns(count)
    with django_assert_max_num_queries(10):
        assert admin_client.get(CAMPAIGNS).status_code == 200
    with django_assert_max_num_queries(10):
        assert admin_client.get("/admin/campaigns/message/").status_code == 200
    with django_assert_max_num_queries(10):
        assert admin_client.get(SEGMENTS).status_code == 200


def _restocks(n: int, capture) -> None:
    shop = LocationFactory(name="Brera")
    wisher = person()
    update_profile(customer=wisher, preferred_store=shop.pk)
    for _ in range(n):
        variant = VariantFactory()
        add_wishlist_item(customer=wisher, variant=variant, channel="web")
        with capture(execute=True):
            receive_stock(variant=variant, location=shop, quantity=2)
    detect_restocks()


@pytest.mark.parametrize("count", [1, 4])
def test_restocks_are_listed_read_only_in_a_fixed_number_of_queries(
    admin_client,
    django_assert_max_num_queries,
    django_capture_on_commit_callbacks,
    count,
):
    _restocks(count, django_capture_on_commit_callbacks)
    with django_assert_max_num_queries(10):
        response = admin_client.get("/admin/campaigns/restock/")
    html = response.content.decode()
    assert html.count('<td class="field-where">Brera</td>') == count
    assert "/admin/campaigns/restock/add/" not in html
    with django_assert_max_num_queries(10):
        assert admin_client.get("/admin/campaigns/stocksnapshot/").status_code == 200
    assert admin_client.get("/admin/campaigns/stockwatch/").status_code == 200
