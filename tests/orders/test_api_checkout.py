"""Checkout through the API: validation, stock conflicts, idempotency, payment."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from customers.models import Customer
from customers.services.matching import match_customer
from inventory.models import Reservation, StockLevel, StockMovement
from inventory.selectors import ledger_discrepancies
from omnistore.core import webhooks
from omnistore.core.models import WebhookDelivery, WebhookEndpoint
from orders.models import Cart, CartStatus, Order
from tests.customers.factories import CustomerUserFactory
from tests.orders.factories import shop, stocked, warehouse

pytestmark = pytest.mark.django_db

CARD = {"method": "card_online", "token": "tok_visa"}
ADDRESS = {"line1": "Via Torino 1", "city": "Milano", "postcode": "20123"}


def cart_with(client, *lines) -> str:
    token = client.post("/api/v1/cart/").json()["token"]
    client.credentials(HTTP_X_CART_TOKEN=token)
    response = client.post(
        "/api/v1/cart/lines/",
        {"lines": [{"variant": v.pk, "quantity": q} for v, q in lines]},
        format="json",
    )
    assert response.status_code == 201, response.json()
    return token


def checkout(client, key=None, **body):
    body = {"payment": CARD, "email": "guest@example.com", **body}
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
    return client.post("/api/v1/checkout/", body, format="json", **headers)


def test_out_of_stock_is_a_409_naming_each_short_line_and_nothing_is_held():
    store = shop()
    plenty = stocked(store, 10)
    scarce = stocked(store, 1)
    client = APIClient()
    cart_with(client, (plenty, 2), (scarce, 3))
    before = list(StockLevel.objects.values_list("on_hand", "reserved").order_by("id"))

    response = checkout(client, fulfilment="pickup", store=store.pk)

    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "insufficient_stock"
    assert [
        (line["sku"], line["requested"], line["available"])
        for line in body["extra"]["lines"]
    ] == [(scarce.sku, 3, 1)]
    assert not Order.objects.exists()
    assert not Reservation.objects.exists()
    assert (
        list(StockLevel.objects.values_list("on_hand", "reserved").order_by("id"))
        == before
    )
    assert Cart.objects.get().status == CartStatus.OPEN  # the customer can fix the cart


def test_the_same_idempotency_key_returns_the_same_order_once():
    store = shop()
    item = stocked(store, 5)
    client = APIClient()
    cart_with(client, (item, 2))

    first = checkout(client, key="abc-123", fulfilment="pickup", store=store.pk)
    again = checkout(client, key="abc-123", fulfilment="pickup", store=store.pk)

    assert first.status_code == 201
    assert again.status_code == 200
    assert again["Idempotent-Replayed"] == "true"
    assert again.json()["number"] == first.json()["number"]
    assert Order.objects.count() == 1
    assert StockLevel.objects.get(variant=item, location=store).reserved == 2


def test_a_key_sent_again_with_another_request_after_the_cart_was_checked_out_is_409():
    store = shop()
    item = stocked(store, 5)
    client = APIClient()
    cart_with(client, (item, 2))
    first = checkout(client, key="abc-123", fulfilment="pickup", store=store.pk)
    assert first.status_code == 201

    for other in (
        {"fulfilment": "delivery", "address": ADDRESS},
        {"fulfilment": "pickup", "store": store.pk, "email": "someone@example.com"},
        {"fulfilment": "pickup", "store": store.pk, "payment": {**CARD, "token": "x"}},
    ):
        again = checkout(client, key="abc-123", **other)
        assert again.status_code == 409, again.json()
        assert again.json()["code"] == "idempotency_key_reused"
    same = checkout(client, key="abc-123", fulfilment="pickup", store=store.pk)
    assert same.status_code == 200
    assert same.json()["number"] == first.json()["number"]
    assert Order.objects.count() == 1


def test_a_signed_in_customer_s_repeated_checkout_returns_its_order_or_is_409():
    store = shop()
    item = stocked(store, 5)
    client = APIClient()
    client.force_authenticate(CustomerUserFactory())
    added = client.post(
        "/api/v1/cart/lines/",
        {"lines": [{"variant": item.pk, "quantity": 1}]},
        format="json",
    )
    assert added.status_code == 201, added.json()
    first = checkout(client, key="k-1", fulfilment="pickup", store=store.pk)
    assert first.status_code == 201, first.json()

    same = checkout(client, key="k-1", fulfilment="pickup", store=store.pk)
    other = checkout(client, key="k-1", fulfilment="delivery", address=ADDRESS)

    assert same.status_code == 200, same.json()
    assert same.json()["number"] == first.json()["number"]
    assert other.status_code == 409
    assert other.json()["code"] == "idempotency_key_reused"
    assert Order.objects.count() == 1


def test_a_cart_checked_out_once_cannot_make_a_second_order_without_a_key():
    store = shop()
    item = stocked(store, 5)
    client = APIClient()
    cart_with(client, (item, 1))
    assert checkout(client, fulfilment="pickup", store=store.pk).status_code == 201
    second = checkout(client, fulfilment="pickup", store=store.pk)
    assert second.status_code == 409
    assert second.json()["code"] == "cart_closed"
    assert Order.objects.count() == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"fulfilment": "pickup"}, "store"),
        ({"fulfilment": "delivery"}, "address"),
        ({"fulfilment": "teleport", "address": ADDRESS}, "fulfilment"),
        ({"fulfilment": "delivery", "address": ADDRESS, "email": ""}, "email"),
        (
            {"fulfilment": "delivery", "address": ADDRESS, "email": "not-an-email"},
            "email",
        ),
        ({"fulfilment": "delivery", "address": {"line1": "Via Po"}}, "address"),
        (
            {
                "fulfilment": "delivery",
                "address": ADDRESS,
                "payment": {"method": "cash"},
            },
            "payment",
        ),
    ],
)
def test_bad_checkout_input_is_a_400_with_field_errors_and_changes_nothing(body, field):
    store = shop()
    item = stocked(store, 5)
    warehouse()
    client = APIClient()
    cart_with(client, (item, 1))
    response = client.post(
        "/api/v1/checkout/",
        {"payment": CARD, "email": "g@example.com", **body},
        format="json",
    )
    assert response.status_code == 400, response.json()
    assert field in response.json()["extra"]
    assert not Order.objects.exists()
    assert not Reservation.objects.exists()


def test_a_delivery_address_is_kept_on_one_line():
    """Line breaks and tabs typed into an address become one space: the parcel's
    label, the history and the emails say it on one line."""
    client = APIClient()
    cart_with(client, (stocked(warehouse(), 5), 1))
    typed = {**ADDRESS, "line2": "scala B\ninterno 4\t piano 2", "phone": "+39 02\r\n1"}
    response = checkout(client, fulfilment="delivery", address=typed)
    assert response.status_code == 201, response.json()
    address = Order.objects.get().fulfilments.get().address
    assert (address["line2"], address["phone"]) == (
        "scala B interno 4 piano 2",
        "+39 02 1",
    )


@pytest.mark.parametrize(
    ("field", "text"),
    [
        ("line2", "scala B\ninterno 4\t\u202etxt\x07"),
        ("line1", "Via Torino 1\x7f"),
        ("name", "Ada\u200bLovelace"),
        ("city", "Mila\u00adno"),
    ],
    ids=["bell", "delete", "zero-width-space", "soft-hyphen"],
)
def test_control_or_invisible_characters_in_a_delivery_address_are_refused(field, text):
    client = APIClient()
    cart_with(client, (stocked(warehouse(), 5), 1))
    response = checkout(client, fulfilment="delivery", address={**ADDRESS, field: text})
    assert response.status_code == 400, response.json()
    assert response.json()["extra"]["address"] == {
        field: ["Remove the invisible or control characters."]
    }
    assert not Order.objects.exists()
    assert not Reservation.objects.exists()


def test_pickup_at_a_shop_without_click_and_collect_is_refused():
    store = shop(click_and_collect=False)
    item = stocked(store, 5)
    client = APIClient()
    cart_with(client, (item, 1))
    response = checkout(client, fulfilment="pickup", store=store.pk)
    assert response.status_code == 400
    assert response.json()["extra"]["store"] == [
        "This shop does not offer click and collect."
    ]


def test_a_declined_card_is_a_402_and_nothing_is_reserved():
    store = shop()
    item = stocked(store, 5)
    client = APIClient()
    cart_with(client, (item, 1))
    response = checkout(
        client,
        fulfilment="pickup",
        store=store.pk,
        payment={"method": "card_online", "token": "tok_declined"},
    )
    assert response.status_code == 402
    assert response.json()["code"] == "payment_declined"
    assert not Order.objects.exists()
    assert StockLevel.objects.get(variant=item, location=store).reserved == 0
    assert ledger_discrepancies() == []


def test_an_empty_cart_cannot_be_checked_out():
    client = APIClient()
    client.credentials(HTTP_X_CART_TOKEN=client.post("/api/v1/cart/").json()["token"])
    response = checkout(client, fulfilment="delivery", address=ADDRESS)
    assert response.status_code == 400
    assert response.json()["extra"] == {"cart": ["The cart is empty."]}


def test_delivery_comes_from_a_warehouse_that_has_every_line():
    near_shop = shop(ships_online_orders=True)
    depot = warehouse()
    a = stocked(depot, 5)
    b = stocked(depot, 5)
    from tests.factories import stock

    stock(a, near_shop, 5)
    client = APIClient()
    cart_with(client, (a, 1), (b, 2))
    response = checkout(client, fulfilment="delivery", address=ADDRESS)
    assert response.status_code == 201, response.json()
    fulfilments = response.json()["fulfilments"]
    assert [(f["method"], f["location"]["id"]) for f in fulfilments] == [
        ("delivery", depot.pk)
    ]
    assert StockLevel.objects.get(variant=b, location=depot).reserved == 2


def test_guest_checkout_attaches_to_the_profile_that_has_the_email():
    store = shop()
    item = stocked(store, 5)
    known = match_customer(email="Known@Example.com", channel="store", location=store)
    client = APIClient()
    cart_with(client, (item, 1))
    response = checkout(
        client, fulfilment="pickup", store=store.pk, email="known@example.com "
    )
    assert response.status_code == 201
    assert Order.objects.get().customer == known


@pytest.fixture
def endpoints_kept(settings, tax_table_kept):
    """Webhook endpoints (and markets and VAT rates) kept per process as in
    production, read once beforehand."""
    settings.OMNISTORE_WEBHOOK_ENDPOINTS_TTL = 60
    webhooks.forget_endpoints()
    webhooks.active_endpoints()
    yield
    webhooks.forget_endpoints()


def statements(queries) -> list[str]:
    """What a request sends, without the savepoints that stand in for its own
    transaction inside the test's."""
    return [
        q["sql"] for q in queries if not q["sql"].startswith(("SAVEPOINT", "RELEASE"))
    ]


def test_guest_pickup_checkout_stays_within_the_statement_budget(endpoints_kept):
    """A returning guest's pickup checkout of two lines is 17 statements in one
    transaction, with no savepoint of its own: 3 reads (cart lines, shop, stock),
    the customer's row lock, the order, the cart close, fulfilment, lines, the VAT
    per rate, one guarded UPDATE per line, reservations, ledger, payment, history,
    timeline, outbox."""
    store = shop()
    a = stocked(store, 5)
    b = stocked(store, 5)
    match_customer(email="regular@example.com", channel="web")
    client = APIClient()
    cart_with(client, (a, 1), (b, 1))
    with CaptureQueriesContext(connection) as queries:
        response = checkout(
            client, fulfilment="pickup", store=store.pk, email="regular@example.com"
        )
    assert response.status_code == 201
    sent = statements(queries)
    assert len(sent) <= 17, "\n".join(q[:100] for q in sent)
    # The durable transaction itself is the test's one savepoint; nothing nests.
    assert [q["sql"][:9] for q in queries].count("SAVEPOINT") == 1
    assert (
        StockMovement.objects.filter(reference_id=response.json()["number"]).count()
        == 2
    )


def test_a_delivery_without_coordinates_costs_one_statement_to_find_its_city(
    endpoints_kept,
):
    """A delivery address without coordinates is placed by the locations of its
    city, read in one statement: the only one it costs over an address that has
    them."""
    item = stocked(warehouse(), 10)
    match_customer(email="regular@example.com", channel="web")

    def delivery(address) -> int:
        client = APIClient()
        cart_with(client, (item, 1))
        with CaptureQueriesContext(connection) as queries:
            response = checkout(
                client,
                fulfilment="delivery",
                address=address,
                email="regular@example.com",
            )
        assert response.status_code == 201, response.json()
        return len(statements(queries))

    delivery(ADDRESS)  # what a process reads once
    placed = {"latitude": 45.46, "longitude": 9.18}
    assert delivery(ADDRESS) == delivery({**ADDRESS, **placed}) + 1


def test_the_whole_storefront_flow_stays_within_the_statement_budget(endpoints_kept):
    """New cart, two lines, checkout: at most 24 statements for the three requests
    (the budget is 30), so a query added on this path shows up here."""
    store = shop()
    a = stocked(store, 5)
    b = stocked(store, 5)
    match_customer(email="regular@example.com", channel="web")
    client = APIClient()
    with CaptureQueriesContext(connection) as queries:
        cart_with(client, (a, 1), (b, 1))
        response = checkout(
            client, fulfilment="pickup", store=store.pk, email="regular@example.com"
        )
    assert response.status_code == 201
    sent = statements(queries)
    assert len(sent) <= 24, "\n".join(q[:100] for q in sent)


def test_a_returning_guest_keeps_their_profile_and_names_it_nothing():
    """Typing the profile's email online proves nothing of whose it is: the order
    is the profile's, but the names the guest typed do not name it."""
    store = shop()
    item = stocked(store, 5)
    known = match_customer(email="ada@example.com", channel="store", location=store)
    assert (known.first_name, known.last_name) == ("", "")
    client = APIClient()
    cart_with(client, (item, 1))

    response = checkout(
        client,
        fulfilment="pickup",
        store=store.pk,
        email="Ada@Example.com",
        first_name="Ada",
        last_name="Lovelace",
    )

    assert response.status_code == 201
    order = Order.objects.get()
    assert order.customer == known
    known.refresh_from_db()
    assert (known.first_name, known.last_name) == ("", "")
    assert known.events.filter(kind="order_placed", reference_id=order.number).exists()
    assert known.identities.count() == 2  # the email and the loyalty card, no more


def test_the_storefront_flow_takes_a_fixed_number_of_statements_and_commits(
    django_assert_num_queries, settings, tax_table_kept
):
    """New cart, two lines, click and collect where the shop has both, by a returning
    guest: what a storefront runs most, one statement per table written. (Each
    request's transaction shows here as a savepoint and its release: the test runs
    inside a transaction of its own.)"""
    store = shop()
    first, second = stocked(store, 5), stocked(store, 5)
    match_customer(email="regular@example.com", first_name="Ada", channel="web")
    settings.OMNISTORE_WEBHOOK_ENDPOINTS_TTL = 60  # kept by the process, as deployed
    webhooks.forget_endpoints()
    webhooks.active_endpoints()
    client = APIClient()
    with django_assert_num_queries(0):
        token = client.post("/api/v1/cart/").json()["token"]
    client.credentials(HTTP_X_CART_TOKEN=token)
    with django_assert_num_queries(5 + 2):
        added = client.post(
            "/api/v1/cart/lines/",
            {"lines": [{"variant": first.pk}, {"variant": second.pk, "quantity": 2}]},
            format="json",
        )
    assert added.status_code == 201
    with django_assert_num_queries(16 + 2):
        placed = checkout(
            client,
            key="flow-1",
            fulfilment="pickup",
            store=store.pk,
            email="regular@example.com",
        )
    assert placed.status_code == 201, placed.json()
    order = Order.objects.get()
    assert order.customer.email == "regular@example.com"
    assert sorted(
        Reservation.objects.filter(location=store).values_list("quantity", flat=True)
    ) == [1, 2]
    webhooks.forget_endpoints()


def test_a_new_guest_costs_the_checkout_three_statements_more_than_a_returning_one(
    endpoints_kept,
):
    """A new email at checkout: the lookup that finds no profile (where a returning
    guest's is locked), then in one savepoint the profile with its contact filled in
    and its card and email in one insert, and its creation on the timeline; the
    order lands on it."""
    store = shop()
    a, b = stocked(store, 5), stocked(store, 5)
    client = APIClient()
    cart_with(client, (a, 1), (b, 1))
    with CaptureQueriesContext(connection) as queries:
        response = checkout(
            client,
            fulfilment="pickup",
            store=store.pk,
            email="First.Time@Example.com",
            first_name="Grace",
        )
    assert response.status_code == 201, response.json()
    sent = statements(queries)
    assert len(sent) <= 17 + 3, "\n".join(q[:100] for q in sent)
    assert [q["sql"][:9] for q in queries].count("SAVEPOINT") == 2
    order = Order.objects.get()
    customer = order.customer
    assert (customer.email, customer.first_name) == ("first.time@example.com", "Grace")
    assert sorted(customer.identities.values_list("kind", "value")) == [
        ("email", "first.time@example.com"),
        ("loyalty", customer.loyalty_number),
    ]
    assert list(customer.events.values_list("kind", flat=True).order_by("id")) == [
        "customer_created",
        "order_placed",
    ]


def test_a_new_guest_is_announced_to_webhook_subscribers_once(settings):
    WebhookEndpoint.objects.create(
        name="crm",
        url="https://crm.example.com/hook",
        secret="s" * 32,
        event_types=["customer.created"],
    )
    store = shop()
    item = stocked(store, 5)
    for _ in range(2):
        client = APIClient()
        cart_with(client, (item, 1))
        response = checkout(
            client, fulfilment="pickup", store=store.pk, email="once@example.com"
        )
        assert response.status_code == 201, response.json()

    [delivery] = WebhookDelivery.objects.filter(event_type="customer.created")
    customer = Customer.objects.get()
    assert delivery.payload["customer_id"] == customer.pk
    assert Order.objects.filter(customer=customer).count() == 2


def test_a_checkout_queues_all_its_events_for_subscribers_in_one_statement():
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    item = stocked(warehouse(), 5)
    WebhookEndpoint.objects.create(name="erp", url="https://erp.example.com/hook")
    client = APIClient()
    cart_with(client, (item, 2))
    with CaptureQueriesContext(connection) as queries:
        response = checkout(
            client, fulfilment="delivery", address=ADDRESS, email="new@example.com"
        )
    assert response.status_code == 201, response.json()

    table = WebhookDelivery._meta.db_table
    inserts = [q for q in queries.captured_queries if f'INTO "{table}"' in q["sql"]]
    assert len(inserts) == 1
    assert sorted(WebhookDelivery.objects.values_list("event_type", flat=True)) == [
        "customer.created",
        "order.placed",
        "stock.changed",
    ]


@pytest.mark.parametrize(
    "path",
    ["/api/v1/checkout/", "/api/v1/checkout/buy-now/", "/api/v1/gift-cards/purchase/"],
)
def test_the_schema_documents_the_replay_header_on_the_replayed_answer(client, path):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    responses = schema["paths"][path]["post"]["responses"]

    header = responses["200"]["headers"]["Idempotent-Replayed"]
    assert header["schema"] == {"type": "string", "enum": ["true"]}
    assert "Idempotency-Key" in header["description"]
    assert "Idempotent-Replayed" not in responses["201"].get("headers", {})
