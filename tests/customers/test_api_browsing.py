"""Product views: POST /events/ within consent and limits, without a write per event;
/me/recently-viewed/ lists what the customer viewed last."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.authtoken.models import Token

from customers.models import BrowseEvent, Customer
from customers.services.consents import set_consent
from omnistore.core.channels import Channel
from tests.customers.factories import CustomerUserFactory
from tests.factories import ProductFactory, StaffFactory, VariantFactory

pytestmark = pytest.mark.django_db

DEVICE = "device-0123456789abcdef"


def signed_in(api_client, user):
    token, _ = Token.objects.get_or_create(user=user)
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return api_client


def consenting_user(granted=True):
    user = CustomerUserFactory()
    customer = Customer.objects.get(user=user)
    set_consent(
        customer=customer, channel="tracking", granted=granted, source_channel="web"
    )
    return user, customer


def view(product, *, minutes_ago=0, variant=None, **extra):
    event = {
        "product": product.pk,
        "occurred_at": (timezone.now() - timedelta(minutes=minutes_ago)).isoformat(),
        "channel": "web",
        **extra,
    }
    if variant is not None:
        event["variant"] = variant.pk
    return event


def post(api_client, events, **body):
    return api_client.post("/api/v1/events/", {"events": events, **body}, format="json")


def test_a_consenting_customers_views_are_stored_and_a_repeated_event_once():
    from rest_framework.test import APIClient

    user, customer = consenting_user()
    variant = VariantFactory()
    client = signed_in(APIClient(), user)
    events = [view(variant.product, variant=variant, id="e-1", session_id="s-1")]

    first = post(client, events)
    again = post(client, events)

    assert first.status_code == 202 and first.json() == {"accepted": 1}
    assert again.status_code == 202
    [stored] = BrowseEvent.objects.all()
    assert stored.customer == customer and stored.product == variant.product
    assert stored.variant == variant and stored.channel == Channel.WEB
    assert stored.session_id == "s-1"


def test_without_personalisation_consent_views_are_dropped(api_client):
    withdrawn, _ = consenting_user(granted=False)
    never = CustomerUserFactory()
    product = ProductFactory()
    for user in (withdrawn, never):
        response = post(signed_in(api_client, user), [view(product)])
        assert response.status_code == 202 and response.json() == {"accepted": 0}
    assert not BrowseEvent.objects.exists()


def test_anonymous_views_need_a_device_id_and_the_visitors_consent(api_client):
    product = ProductFactory()

    missing = post(api_client, [view(product)], consent=True)
    no_consent = post(api_client, [view(product)], device_id=DEVICE)
    kept = post(api_client, [view(product)], device_id=DEVICE, consent=True)

    assert missing.status_code == 400
    assert missing.json()["extra"]["device_id"]
    assert no_consent.json() == {"accepted": 0}
    assert kept.status_code == 202 and kept.json() == {"accepted": 1}
    [stored] = BrowseEvent.objects.all()
    assert stored.customer is None and stored.device_id == DEVICE


def test_a_devices_anonymous_views_join_the_customer_who_signs_in_on_it(api_client):
    earlier, later = ProductFactory(), ProductFactory()
    post(api_client, [view(earlier, minutes_ago=30)], device_id=DEVICE, consent=True)
    user, customer = consenting_user()

    post(signed_in(api_client, user), [view(later)], device_id=DEVICE)

    assert set(BrowseEvent.objects.values_list("customer_id", "product_id")) == {
        (customer.pk, earlier.pk),
        (customer.pk, later.pk),
    }


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"events": []},
        {"events": "nope"},
        {"events": [{}]},
        {"events": [{"product": "x", "occurred_at": "now", "channel": "web"}]},
        {
            "events": [
                {"product": 0, "occurred_at": "2026-01-01T00:00Z", "channel": "web"}
            ]
        },
        {
            "events": [
                {"product": 2**70, "occurred_at": "2026-01-01T00:00Z", "channel": "web"}
            ]
        },
        {
            "events": [
                {"product": 1, "occurred_at": "2026-01-01T00:00Z", "channel": "store"}
            ]
        },
        {"events": [{"product": 1, "occurred_at": "2026-01-01T00:00Z", "channel": {}}]},
        {
            "events": [
                {
                    "product": 1,
                    "occurred_at": "2026-01-01T00:00Z",
                    "channel": "web",
                    "kind": ["product_viewed"],
                }
            ]
        },
        {
            "events": [
                {
                    "product": 1,
                    "occurred_at": "2026-01-01T00:00Z",
                    "channel": "web",
                    "kind": "added_to_cart",
                }
            ]
        },
        {
            "events": [
                {
                    "product": 1,
                    "occurred_at": "2026-01-01T00:00Z",
                    "channel": "web",
                    "id": "x" * 65,
                }
            ]
        },
        {
            "events": [
                {
                    "product": 1,
                    "occurred_at": "2026-01-01T00:00Z",
                    "channel": "web",
                    "session_id": "a b\u0000",
                }
            ]
        },
        {
            "device_id": "short",
            "consent": True,
            "events": [
                {"product": 1, "occurred_at": "2026-01-01T00:00Z", "channel": "web"}
            ],
        },
        {
            "device_id": DEVICE,
            "consent": "yes",
            "events": [
                {"product": 1, "occurred_at": "2026-01-01T00:00Z", "channel": "web"}
            ],
        },
        [],
        {"events": [1]},
        {
            "events": [
                {"product": True, "occurred_at": "2026-01-01T00:00Z", "channel": "web"}
            ]
        },
        {
            "events": [
                {
                    "product": 1,
                    "variant": "3",
                    "occurred_at": "2026-01-01T00:00Z",
                    "channel": "web",
                }
            ]
        },
        {
            "events": [
                {"product": 1, "occurred_at": "2026-01-01T00:00:00", "channel": "web"}
            ]
        },
        {
            "events": [
                {
                    "product": 1,
                    "occurred_at": "0001-01-01T00:00:00+14:00",
                    "channel": "web",
                }
            ]
        },
        {"events": [{"product": 1, "occurred_at": 1767225600, "channel": "web"}]},
        {
            "events": [
                {
                    "product": 1,
                    "occurred_at": "2026-01-01T00:00Z" + "0" * 100,
                    "channel": "web",
                }
            ]
        },
    ],
)
def test_hostile_input_is_a_400_and_nothing_is_kept(api_client, body):
    user, _ = consenting_user()
    response = signed_in(api_client, user).post("/api/v1/events/", body, format="json")
    assert response.status_code == 400, response.content
    assert "message" in response.json()
    assert not BrowseEvent.objects.exists()


def test_each_bad_event_is_named_in_the_error(api_client):
    user, _ = consenting_user()
    product = ProductFactory()
    good = view(product)
    bad = {**view(product), "channel": "store", "product": -1}

    response = post(signed_in(api_client, user), [good, bad])

    assert response.status_code == 400
    errors = response.json()["extra"]["events"]
    assert errors[0] == {} and set(errors[1]) == {"channel", "product"}


def test_lowercase_rfc3339_times_are_read(api_client):
    user, _ = consenting_user()
    yesterday = (timezone.now() - timedelta(days=1)).date()
    event = {**view(ProductFactory()), "occurred_at": f"{yesterday}t10:00:00z"}
    response = post(signed_in(api_client, user), [event])
    assert response.status_code == 202
    stored = BrowseEvent.objects.get().occurred_at
    assert (stored.date(), stored.hour) == (yesterday, 10)


def test_a_batch_is_at_most_50_events(api_client):
    user, _ = consenting_user()
    product = ProductFactory()
    client = signed_in(api_client, user)

    too_many = post(client, [view(product, id=f"e{i}") for i in range(51)])
    fifty = post(client, [view(product, id=f"e{i}") for i in range(50)])

    assert too_many.status_code == 400 and too_many.json()["extra"]["events"]
    assert fifty.json() == {"accepted": 50}
    assert BrowseEvent.objects.count() == 50


def test_unknown_and_withdrawn_products_are_skipped_and_a_foreign_variant_dropped(
    api_client,
):
    user, _ = consenting_user()
    product = ProductFactory()
    gone = ProductFactory(active=False)
    other = VariantFactory()
    client = signed_in(api_client, user)

    response = post(
        client,
        [
            view(product, variant=other),
            view(gone),
            {**view(product), "product": 999999},
        ],
    )

    assert response.json() == {"accepted": 3}  # checked when stored, not here
    [stored] = BrowseEvent.objects.all()
    assert stored.product == product and stored.variant is None


def test_a_staff_login_is_told_it_has_no_profile(api_client):
    response = post(signed_in(api_client, StaffFactory()), [view(ProductFactory())])
    assert response.status_code == 404


@pytest.fixture
def two_batches_a_minute(settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "browse": "2/minute",
        },
    }


def test_batches_are_rate_limited_per_caller(api_client, two_batches_a_minute):
    user, _ = consenting_user()
    client = signed_in(api_client, user)
    product = ProductFactory()
    statuses = [post(client, [view(product)]).status_code for _ in range(3)]
    other, _ = consenting_user()
    assert statuses == [202, 202, 429]
    assert post(signed_in(api_client, other), [view(product)]).status_code == 202


def test_anonymous_batches_are_limited_per_address_whatever_the_device(
    api_client, two_batches_a_minute
):
    product = ProductFactory()
    statuses = [
        post(api_client, [view(product)], device_id=f"{DEVICE}-{n}", consent=True)
        for n in range(3)
    ]
    assert [r.status_code for r in statuses] == [202, 202, 429]


def _statements(client, events):
    with CaptureQueriesContext(connection) as queries:
        assert post(client, events).status_code == 202
    return [q["sql"] for q in queries.captured_queries]


def test_without_redis_a_batch_is_one_insert_whatever_its_size(api_client):
    user, _ = consenting_user()
    client = signed_in(api_client, user)
    variants = VariantFactory.create_batch(5)
    one = _statements(client, [view(variants[0].product, id="a", variant=variants[0])])
    fifty = _statements(
        client,
        [
            view(variants[i % 5].product, id=f"b{i}", variant=variants[i % 5])
            for i in range(50)
        ],
    )

    inserts = [q for q in fifty if q.startswith("INSERT")]
    assert len(one) == len(fifty)
    assert len(inserts) == 1
    assert BrowseEvent.objects.count() == 51


# --- recently viewed ---------------------------------------------------------------


def test_recently_viewed_lists_distinct_products_most_recent_first(api_client):
    user, customer = consenting_user()
    first, second, third = VariantFactory.create_batch(3)
    withdrawn = VariantFactory(product__active=False)
    client = signed_in(api_client, user)
    post(
        client,
        [
            view(first.product, minutes_ago=50),
            view(second.product, minutes_ago=40),
            view(third.product, minutes_ago=30),
            view(first.product, minutes_ago=10),
            view(withdrawn.product, minutes_ago=5),
        ],
    )
    someone_else, _ = consenting_user()
    post(signed_in(api_client, someone_else), [view(second.product)])
    client = signed_in(api_client, user)

    data = client.get("/api/v1/me/recently-viewed/").json()

    assert [row["product"]["id"] for row in data] == [
        first.product.pk,
        third.product.pk,
        second.product.pk,
    ]
    variant = data[0]["product"]["variants"][0]
    assert variant["id"] == first.pk and variant["price"] == "49.90"
    assert variant["online_available"] == 0
    assert data[0]["viewed_at"]


def test_recently_viewed_is_empty_once_consent_is_withdrawn(api_client):
    user, customer = consenting_user()
    client = signed_in(api_client, user)
    post(client, [view(ProductFactory())])
    set_consent(
        customer=customer, channel="tracking", granted=False, source_channel="web"
    )

    assert client.get("/api/v1/me/recently-viewed/").json() == []
    assert BrowseEvent.objects.count() == 1  # kept, not used


def test_recently_viewed_costs_the_same_queries_for_1_or_20_products(
    api_client, django_assert_num_queries
):
    user, _ = consenting_user()
    client = signed_in(api_client, user)
    variants = VariantFactory.create_batch(20)
    post(client, [view(variants[0].product)])
    # token, profile, consent, views, products, variants, online units, pictures
    with django_assert_num_queries(8):
        assert len(client.get("/api/v1/me/recently-viewed/").json()) == 1
    post(client, [view(v.product, minutes_ago=1) for v in variants[1:]])
    with django_assert_num_queries(8):
        assert len(client.get("/api/v1/me/recently-viewed/").json()) == 20


def test_consent_to_personalisation_is_given_through_me_consents(api_client):
    user = CustomerUserFactory()
    client = signed_in(api_client, user)
    response = client.put("/api/v1/me/consents/", {"tracking": True}, format="json")
    assert response.status_code == 200
    state = {row["channel"]: row["granted"] for row in response.json()}
    assert state["tracking"] is True and state["email"] is False
    assert post(client, [view(ProductFactory())]).json() == {"accepted": 1}


def test_product_views_are_exported_and_erased_with_the_person(api_client):
    user, customer = consenting_user()
    client = signed_in(api_client, user)
    product = ProductFactory()
    post(client, [view(product)])

    exported = client.get("/api/v1/me/export/").json()["product_views"]
    erased = client.post("/api/v1/me/erase/", {"confirm": True}, format="json")

    assert [row["product_id"] for row in exported] == [product.pk]
    assert erased.status_code == 200
    assert not BrowseEvent.objects.exists()
