"""Every admin form takes dates from 1900 to 2200 only: year 1 (which the shops'
time zone cannot move to UTC) is refused beside its field, the form shown again and
nothing saved. A list filtered by such a date answers a 400 page with a way back,
never a server error or a bare line of text."""

import pytest
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import RequestFactory

from campaigns.models import Campaign
from inventory.models import TaxRate
from omnistore.accounts.models import Role
from omnistore.core.admin_dates import OUT_OF_RANGE
from orders.models import DiscountCode
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

DISCOUNT_ADD = "/admin/orders/discountcode/add/"


@pytest.fixture
def hq(client):
    user = UserFactory(role=Role.HQ, is_staff=True, is_superuser=True)
    client.force_login(user)
    client.user = user
    return client


def discount_form(day: str) -> dict:
    return {
        "code": "YEARONE",
        "kind": "percentage",
        "value": "10",
        "active": "on",
        "min_subtotal": "0",
        "channels": "both",
        "valid_from_0": "",
        "valid_from_1": "",
        "valid_until_0": day,
        "valid_until_1": "00:00",
        "max_uses": "",
        "max_uses_per_customer": "",
        "campaign_id": "",
        "redemptions-TOTAL_FORMS": "0",
        "redemptions-INITIAL_FORMS": "0",
    }


def field_errors(response) -> dict:
    return response.context["adminform"].form.errors


def test_a_discount_code_valid_until_year_one_is_refused_at_its_field(hq):
    response = hq.post(DISCOUNT_ADD, discount_form("0001-01-01"))

    assert response.status_code == 200
    assert field_errors(response)["valid_until"] == [OUT_OF_RANGE]
    assert not DiscountCode.objects.exists()

    kept = hq.post(DISCOUNT_ADD, discount_form("2030-01-01"))
    assert kept.status_code == 302
    assert DiscountCode.objects.filter(code="YEARONE").exists()


def test_a_date_field_is_bounded_too(hq):
    response = hq.post(
        "/admin/inventory/taxrate/add/",
        {
            "country": "IT",
            "tax_class": "standard",
            "rate": "22.00",
            "valid_from": "0001-01-01",
            "note": "",
        },
    )

    assert response.status_code == 200
    assert field_errors(response)["valid_from"] == [OUT_OF_RANGE]
    assert not TaxRate.objects.filter(valid_from__year=1).exists()


def test_a_campaigns_send_at_takes_the_same_bounds(hq):
    """The campaigns' admin names no date field of its own: it gets the bound from
    the admin's defaults, as every admin does."""
    request = RequestFactory().get("/admin/campaigns/campaign/add/")
    request.user = hq.user
    form_class = admin.site._registry[Campaign].get_form(request)
    send_at = form_class.base_fields["send_at"]

    with pytest.raises(ValidationError) as refused:
        send_at.clean(["0001-01-01", "09:00"])
    assert refused.value.messages == [OUT_OF_RANGE]
    assert send_at.clean(["2030-01-01", "09:00"]).year == 2030


@pytest.mark.filterwarnings("ignore:DateTimeField Order.created_at received a naive")
def test_a_list_filtered_by_year_one_answers_a_page_with_a_way_back(hq):
    response = hq.get("/admin/orders/order/", {"created_at__gte": "0001-01-01"})

    if connection.vendor == "sqlite":  # the adapter cannot move it to UTC
        assert response.status_code == 400
        assert response["Content-Type"].startswith("text/html")
        page = response.content.decode()
        assert "out of range" in page
        assert 'href="/admin/orders/order/" data-testid="way-back"' in page
    else:  # PostgreSQL compares it as a moment: nothing is older
        assert response.status_code == 200
