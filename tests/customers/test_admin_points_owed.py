"""The admin shows the points a customer owes next to their balance: in the list's
loyalty column and, read-only, on the profile."""

import pytest

from customers.services.loyalty import reverse_points
from omnistore.accounts.models import Role
from tests.customers.factories import make_customer
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_the_admin_shows_the_points_owed_beside_the_balance(client):
    client.force_login(
        UserFactory(username="boss", role=Role.HQ, is_staff=True, is_superuser=True)
    )
    customer = make_customer(email="o@example.com")
    reverse_points(
        customer=customer,
        points=60,
        reason="Return R-1",
        reference_type="return",
        reference_id="R-1",
    )

    listed = client.get("/admin/customers/customer/").content.decode()
    page = client.get(f"/admin/customers/customer/{customer.pk}/change/").content

    assert f"{customer.loyalty_number} · 0 pts, owes 60" in listed
    owed = page.decode().split("field-points_owed", 1)[1].split("</label>", 1)[1]
    assert owed.lstrip().startswith('<div class="readonly">60</div>')
