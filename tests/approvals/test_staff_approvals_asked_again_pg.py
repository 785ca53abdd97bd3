"""On PostgreSQL, where a request asked again is looked up under a row lock: a
discount code applied to the basket (no other transaction around it) asks, and
asked again once approved, applies with that yes."""

from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from omnistore.approvals.models import Approval, ApprovalKind, ApprovalStatus
from tests.factories import VariantFactory, stock
from tests.orders.discount_helpers import discount_code
from tests.orders.till_helpers import open_counter_till

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
HTMX = {"HTTP_HX_REQUEST": "true"}


def test_a_discount_asked_again_once_approved_applies_at_once(
    client, store, associate, manager
):
    client.force_login(associate)
    open_counter_till(associate)
    coat = VariantFactory(sku="COAT-NAVY-M", price=Decimal("200.00"))
    stock(coat, store, 5)
    discount_code("STAFF30", "percentage", "30", channels="store")
    client.post(reverse("staff:sale_add"), {"code": coat.sku, "quantity": 1}, **HTMX)
    url = reverse("staff:sale_discount")
    assert client.post(url, {"code": "STAFF30"}, **HTMX).status_code == 202
    assert client.post(url, {"code": "STAFF30"}, **HTMX).status_code == 202
    request = Approval.objects.get(kind=ApprovalKind.DISCOUNT)
    device = Client()
    device.force_login(manager)
    device.post(
        reverse("staff:approval_decide", args=[request.pk]), {"decision": "approve"}
    )

    applied = client.post(url, {"code": "STAFF30"}, **HTMX)

    assert applied.status_code == 200
    assert 'data-testid="discount-applied"' in applied.content.decode()
    request.refresh_from_db()
    assert request.status == ApprovalStatus.USED
    assert Approval.objects.count() == 1
