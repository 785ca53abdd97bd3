"""Points a return takes back after the customer spent them are owed, and every
place that tells of it says so: the refund email, the return's staff page, the
refund's line on the customer's timeline, ``GET /api/v1/me/loyalty/`` and its
ledger, and the customer's data export."""

import pytest
from django.core import mail
from django.urls import reverse

from customers.models import Customer
from omnistore.accounts.models import Role
from omnistore.core.channels import Channel
from orders.models import PaymentMethod
from orders.services.checkout import LineRequest, place_order
from orders.services.payments import PaymentRequest
from orders.services.refunds import return_at_counter
from orders.services.returns import ReturnLineRequest
from tests.approvals.helpers import make_approver
from tests.factories import StaffFactory
from tests.orders.factories import deliver_outbox, shop, stocked
from tests.orders.returns_helpers import api_client_for, collected_order, shopper

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_cache")]

LOYALTY = "/api/v1/me/loyalty/"
POINTS = "/api/v1/me/loyalty/points/"
OWED_SAID = (
    "loyalty points earned on these items were already spent: you owe them, and "
    "they will be taken from the next points you earn or get back."
)


@pytest.fixture
def store():
    return shop(code="TO01", name="Torino Centro")


@pytest.fixture
def manager(store):
    """Refunds above the associates' limit need a manager: this one approves their
    own."""
    return make_approver(StaffFactory(store=store, role=Role.STORE_MANAGER))


@pytest.fixture
def owed(store, manager):
    """Three at 60.00 collected (180 points); 100 of them spent on a counter sale;
    then all three returned: what is left is taken back, the rest is owed. Returns
    the login, the return and how many points are owed."""
    user, customer = shopper()
    order = collected_order(
        store=store, lines=[(stocked(store, 3, price="60.00"), 3)], customer=customer
    )
    place_order(
        lines=[LineRequest(stocked(store, 1, price="5.00"), 1)],
        channel=Channel.STORE,
        fulfilment="carry_out",
        placing_location=store,
        staff=manager,
        customer=customer,
        payments=[
            PaymentRequest(method=PaymentMethod.LOYALTY_POINTS, points=100),
            PaymentRequest(method=PaymentMethod.CARD_IN_STORE),
        ],
    )
    deliver_outbox()  # whatever the sale earned is credited before the return
    held = Customer.objects.get(pk=customer.pk).points_balance
    assert 0 < held < 180
    ret = return_at_counter(
        order=order.number,
        lines=[ReturnLineRequest(order.lines.get().pk, 3, "too_small")],
        location=store,
        actor=manager,
    )
    assert ret.points_reversed == 180
    assert Customer.objects.get(pk=customer.pk).points_owed == 180 - held
    return user, ret, 180 - held


def test_the_refund_email_says_the_spent_points_are_owed(owed):
    _, ret, points = owed
    mail.outbox.clear()

    deliver_outbox()

    [sent] = [m for m in mail.outbox if ret.code in m.subject]
    assert f"{points} {OWED_SAID}" in sent.body
    html = sent.alternatives[0][0]
    assert f"{points} {OWED_SAID}" in html
    assert "stay spent" not in sent.body + html


def test_the_return_page_says_the_spent_points_are_owed(client, owed, manager):
    _, ret, points = owed
    client.force_login(manager)

    page = client.get(reverse("staff:return_detail", args=[ret.code]))

    assert page.status_code == 200
    said = page.content.decode()
    assert (
        f"{points} already spent: owed, taken from the next points the customer "
        "earns or gets back"
    ) in said
    assert "not taken back" not in said


def test_the_refund_line_on_the_timeline_says_the_spent_points_are_owed(owed):
    user, ret, points = owed

    events = api_client_for(user).get("/api/v1/me/timeline/").json()["results"]

    [refunded] = [e for e in events if e["kind"] == "return_refunded"]
    assert refunded["summary"].endswith(
        f", 180 points reversed ({points} of them already spent: owed, taken from "
        "the next points earned or given back)"
    )


def test_my_loyalty_shows_the_points_owed_and_each_ledger_line_owed(owed):
    user, ret, points = owed
    client = api_client_for(user)

    standing = client.get(LOYALTY).json()
    ledger = client.get(POINTS).json()["results"]

    assert (standing["points_balance"], standing["points_owed"]) == (0, points)
    [reversal] = [line for line in ledger if line["reference_id"] == ret.code]
    assert (reversal["points"], reversal["owed"]) == (-(180 - points), points)
    assert all(line["owed"] == 0 for line in ledger if line is not reversal)


def test_the_data_export_has_the_points_owed(owed):
    user, ret, points = owed

    data = api_client_for(user).get("/api/v1/me/export/").json()

    assert data["profile"]["points_owed"] == points
    [reversal] = [line for line in data["points"] if line["reference_id"] == ret.code]
    assert reversal["owed"] == points


def test_the_schema_documents_the_points_owed(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    schemas = schema["components"]["schemas"]

    standing = schemas["LoyaltyOutput"]["properties"]["points_owed"]
    assert standing["type"] == "integer"
    assert "spent" in standing["description"]
    line = schemas["PointsEntryOutput"]["properties"]["owed"]
    assert line["type"] == "integer"
    assert "points owed" in line["description"]
