"""Demo customers: every channel, valid identities, duplicates to merge, safe to rerun."""

import datetime as dt
from io import StringIO

import pytest
from django.db.models import Count
from django.utils import timezone

from customers import demo
from customers.models import (
    Appointment,
    ConsentChange,
    Customer,
    CustomerEvent,
    CustomerIdentity,
    DuplicateCandidate,
    DuplicateStatus,
    IdentityKind,
)
from customers.normalize import normalize_email, normalize_phone
from customers.services.merge import merge_customers
from inventory.demo import seed_inventory
from inventory.demo.staff import DEMO_PASSWORD
from omnistore.accounts.models import Role, User
from omnistore.core.channels import Channel

pytestmark = pytest.mark.django_db


@pytest.fixture
def inventory():
    seed_inventory(scale=1)


def test_seed_makes_about_two_hundred_profiles_from_every_channel(inventory):
    out = StringIO()
    counts = demo.seed_customers(scale=1, stdout=out)
    assert counts["customers"] == Customer.objects.count() == 201
    assert "Customers:" in out.getvalue()
    channels = dict(
        Customer.objects.values_list("created_channel").annotate(n=Count("id"))
    )
    assert set(channels) == set(Channel.values)
    assert all(n >= 10 for n in channels.values())
    # Every profile has its loyalty card as an identity, and valid contact data.
    assert CustomerIdentity.objects.filter(kind=IdentityKind.LOYALTY).count() == 201
    for value in CustomerIdentity.objects.filter(kind=IdentityKind.PHONE).values_list(
        "value", flat=True
    ):
        assert normalize_phone(value) == value
    for value in CustomerIdentity.objects.filter(kind=IdentityKind.EMAIL).values_list(
        "value", flat=True
    ):
        assert normalize_email(value) == value
    assert Customer.objects.exclude(preferences={}).count() > 50
    assert Customer.objects.filter(preferred_store__isnull=False).count() > 50
    assert ConsentChange.objects.filter(granted=True).count() > 50
    assert ConsentChange.objects.filter(granted=False).exists()
    customers = User.objects.filter(role=Role.CUSTOMER, is_superuser=False)
    assert customers.count() == counts["logins"] > 5
    assert CustomerEvent.objects.filter(kind="customer_created").count() == 201


def test_demo_login_has_one_profile_from_the_shop_and_the_app(inventory, api_client):
    demo.seed_customers(scale=1)
    response = api_client.post(
        "/api/v1/auth/token/",
        {"email": demo.DEMO_CUSTOMER_EMAIL, "password": DEMO_PASSWORD},
        format="json",
    )
    assert response.status_code == 200
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")
    me = api_client.get("/api/v1/me/").json()
    assert me["created_channel"] == Channel.STORE
    assert me["preferred_store_name"] == "Milano Duomo"
    timeline = api_client.get("/api/v1/me/timeline/").json()
    kinds = {e["kind"] for e in timeline["results"]}
    assert {"customer_created", "identity_added", "consent_granted"} <= kinds
    assert "note_added" not in kinds  # staff notes stay in the shops
    (home,) = api_client.get("/api/v1/me/addresses/").json()["results"]
    assert (home["label"], home["city"], home["is_default"]) == ("Home", "Milano", True)
    # A customer for over a year: her profile is older than the orders seeded after.
    since = dt.datetime.fromisoformat(me["created_at"].replace("Z", "+00:00"))
    assert timezone.now() - since > dt.timedelta(days=365)


def test_pending_duplicates_are_real_pairs_staff_can_merge(inventory):
    counts = demo.seed_customers(scale=1)
    pending = DuplicateCandidate.objects.filter(status=DuplicateStatus.PENDING)
    assert pending.count() == counts["pending duplicates"] >= 3
    for candidate in pending.select_related("customer_a", "customer_b"):
        a, b = candidate.customer_a, candidate.customer_b
        assert (a.first_name, a.last_name) == (b.first_name, b.last_name)
    first = pending.first()
    merge_customers(survivor=first.customer_a, other=first.customer_b, actor=None)
    first.refresh_from_db()
    assert first.status == DuplicateStatus.MERGED


def test_seeding_twice_changes_nothing(inventory):
    demo.seed_customers(scale=1)
    before = Customer.objects.count()
    out = StringIO()
    assert demo.seed_customers(scale=1, stdout=out) == {}
    assert "already present" in out.getvalue()
    assert Customer.objects.count() == before


def test_seeding_without_shops_is_skipped():
    out = StringIO()
    assert demo.seed_customers(scale=1, stdout=out) == {}
    assert "no shops" in out.getvalue()


def test_a_larger_scale_is_written_in_batches_and_is_capped(inventory, monkeypatch):
    monkeypatch.setattr(demo, "BATCH_SIZE", 150)
    out = StringIO()
    counts = demo.seed_customers(scale=3, stdout=out)
    assert counts["customers"] == Customer.objects.count() == 601
    assert "customers: 450 / 600" in out.getvalue()
    assert counts["pending duplicates"] == 15
    assert min(demo.CUSTOMERS_PER_SCALE * 1000, demo.MAX_CUSTOMERS) == 200_000
    with pytest.raises(ValueError):
        demo.seed_customers(scale=0)


def test_seeding_is_deterministic(inventory):
    demo.seed_customers(scale=1)
    first = list(
        Customer.objects.order_by("id").values_list(
            "first_name", "last_name", "email", "phone", "loyalty_number"
        )
    )
    DuplicateCandidate.objects.all().delete()
    CustomerEvent.objects.all().delete()
    ConsentChange.objects.all().delete()
    Appointment.objects.all().delete()  # kept with their customer (PROTECT)
    Customer.objects.all().delete()
    User.objects.filter(role=Role.CUSTOMER).delete()
    demo.seed_customers(scale=1)
    second = list(
        Customer.objects.order_by("id").values_list(
            "first_name", "last_name", "email", "phone", "loyalty_number"
        )
    )
    # The hand-made profile gets a fresh random card; every generated one is the same.
    assert first[1:] == second[1:]


def test_seed_sets_up_appointments_at_every_shop_and_books_the_demo_shop(inventory):
    from customers.models import AppointmentHours, AppointmentStaff
    from inventory.models import Location, LocationKind

    counts = demo.seed_customers(scale=1)
    shops = Location.objects.filter(kind=LocationKind.SHOP, active=True)
    assert AppointmentHours.objects.values("location").distinct().count() == (
        shops.count()
    )
    assert AppointmentStaff.objects.filter(location__code="MI-DUOMO").count() >= 2
    assert counts["appointments"] == Appointment.objects.count() >= 10
    login = User.objects.get(username=demo.DEMO_CUSTOMER_EMAIL)
    assert Appointment.objects.filter(customer__user=login, status="booked").exists()
    assert Appointment.objects.filter(status="completed").exists()
