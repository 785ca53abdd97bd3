"""Store credit and loyalty points still held are not lost silently with an erasure:
nobody can spend them on an erased profile. The erasure is refused (409
``balance_left``, naming each with its amount) until the person gives them up
knowingly (``forfeit_balance``); HQ's confirmation page shows what each customer
holds and asks the same. What was given up, and why the erasure was asked, are
recorded with it: on the timeline and, for HQ's, in the admin's history. What was
given up leaves the books too: each ledger is booked down to zero in the erasure's
transaction, so the store credit liability no longer counts it, and erasing again
books nothing more."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.contrib.messages import get_messages
from django.db.models import Sum
from django.urls import reverse
from rest_framework.authtoken.models import Token

from customers.models import Customer, CustomerEvent, LoyaltyTransaction
from customers.services.erasure import erase_customer
from customers.services.loyalty import earn_points
from customers.services.merge import merge_customers
from omnistore.accounts.models import Role
from omnistore.core.exceptions import Conflict
from orders.models import StoreCreditKind, StoreCreditTransaction
from orders.selectors.credit import store_credit_discrepancies
from orders.services.credit import book_store_credit
from tests.customers.factories import CustomerUserFactory, make_customer
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

ERASE = "/api/v1/me/erase/"
CHANGELIST = "/admin/customers/customer/"


def holding(customer, *, credit: str = "80.00", points: int = 130):
    book_store_credit(
        customer_id=customer.pk,
        amount=Decimal(credit),
        currency="EUR",
        kind=StoreCreditKind.RETURN,
        reason="Return refunded as credit",
        reference=f"SC-TEST-{customer.pk}",
    )
    earn_points(
        customer=customer, points=points, reason="Order", reference_id=customer.pk
    )
    customer.refresh_from_db()
    return customer


@pytest.fixture
def person(api_client):
    user = CustomerUserFactory(email="erika.testa@example.net", first_name="Erika")
    token = Token.objects.create(user=user)
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    holding(user.customer_profile)
    return user


def erased_event(customer) -> CustomerEvent:
    return CustomerEvent.objects.get(customer=customer, kind="customer_erased")


def test_the_api_refuses_naming_the_credit_and_points_and_erases_nothing(
    api_client, person
):
    response = api_client.post(ERASE, {"confirm": True}, format="json")

    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "balance_left"
    assert "80.00 EUR of store credit" in body["message"]
    assert "130 loyalty points" in body["message"]
    assert "forfeit_balance" in body["message"]
    assert body["extra"]["balances"] == {
        "store_credit": {"amount": "80.00", "currency": "EUR"},
        "points": 130,
    }
    customer = Customer.objects.get(user=person)
    person.refresh_from_db()
    assert not customer.is_anonymised and customer.email == "erika.testa@example.net"
    assert person.is_active
    assert not CustomerEvent.objects.filter(kind="customer_erased").exists()


def test_giving_them_up_erases_and_records_what_was_given_up(api_client, person):
    customer = person.customer_profile

    response = api_client.post(
        ERASE, {"confirm": True, "forfeit_balance": True}, format="json"
    )

    assert response.status_code == 200, response.json()
    customer.refresh_from_db()
    assert customer.is_anonymised
    event = erased_event(customer)
    assert event.actor == person
    assert event.data == {
        "reason": "Requested by the customer",
        "forfeited": {
            "store_credit": {"amount": "80.00", "currency": "EUR"},
            "points": 130,
        },
    }
    assert "Requested by the customer" in event.summary
    assert "80.00 EUR of store credit" in event.summary
    assert "130 loyalty points" in event.summary


def test_forfeit_balance_must_be_a_json_boolean(api_client, person):
    response = api_client.post(
        ERASE, {"confirm": True, "forfeit_balance": "yes"}, format="json"
    )

    assert response.status_code == 400
    assert "forfeit_balance" in response.json()["extra"]
    assert not person.customer_profile.is_anonymised


def test_a_person_holding_nothing_is_erased_without_giving_anything_up(api_client):
    user = CustomerUserFactory(email="nil@example.com")
    api_client.force_authenticate(user)

    response = api_client.post(ERASE, {"confirm": True}, format="json")

    assert response.status_code == 200
    event = erased_event(user.customer_profile)
    assert event.data == {"reason": "Requested by the customer", "forfeited": {}}


def test_the_service_refuses_points_alone_too():
    customer = make_customer(email="pia@example.com")
    earn_points(customer=customer, points=5, reason="Order", reference_id="p-1")

    with pytest.raises(Conflict) as refused:
        erase_customer(customer=customer)

    assert refused.value.code == "balance_left"
    assert "5 loyalty points" in refused.value.message
    assert "store credit" not in refused.value.message
    customer.refresh_from_db()
    assert not customer.is_anonymised


@pytest.fixture
def hq(client):
    user = UserFactory(username="hq-balances", role=Role.HQ, is_staff=True)
    client.force_login(user)
    return user


def test_hq_reads_each_customers_balances_on_the_confirmation_page(client, hq):
    rich = holding(make_customer(email="rich@example.com", first_name="Rita"))
    plain = make_customer(email="plain@example.com", first_name="Paolo")

    page = client.post(
        CHANGELIST,
        {"action": "erase_selected", "_selected_action": [rich.pk, plain.pk]},
    ).content.decode()

    assert "still holds 130 loyalty points (worth 1.30 EUR)" in page
    assert "and 80.00 EUR of store credit" in page
    assert "holds no store credit or points" in page
    assert 'name="forfeit_balance"' in page and 'name="reason"' in page


def test_hq_not_ticking_the_forfeit_erases_only_those_holding_nothing(client, hq):
    rich = holding(make_customer(email="rich@example.com"))
    plain = make_customer(email="plain@example.com")

    response = client.post(
        CHANGELIST,
        {
            "action": "erase_selected",
            "_selected_action": [rich.pk, plain.pk],
            "confirm": "erase",
            "reason": "Letter of 2 March",
        },
        follow=True,
    )

    shown = " ".join(str(m) for m in get_messages(response.wsgi_request))
    assert f"Customer #{rich.pk}" in shown and "80.00 EUR of store credit" in shown
    assert "Erased the personal data of 1 customer" in shown
    assert not Customer.objects.get(pk=rich.pk).is_anonymised
    assert Customer.objects.get(pk=plain.pk).is_anonymised


def test_hq_ticking_the_forfeit_erases_and_records_request_and_balances(client, hq):
    rich = holding(make_customer(email="rich@example.com"))

    client.post(
        CHANGELIST,
        {
            "action": "erase_selected",
            "_selected_action": [rich.pk],
            "confirm": "erase",
            "reason": "Letter of 2 March, ref. PR-118",
            "forfeit_balance": "on",
        },
    )

    rich.refresh_from_db()
    assert rich.is_anonymised
    event = erased_event(rich)
    assert event.actor == hq
    assert event.data["reason"] == "Letter of 2 March, ref. PR-118"
    assert event.data["forfeited"]["points"] == 130
    assert "Letter of 2 March, ref. PR-118" in event.summary
    entry = LogEntry.objects.get(
        content_type=ContentType.objects.get_for_model(Customer),
        object_id=str(rich.pk),
    )
    assert entry.user == hq and entry.is_change()
    assert "Letter of 2 March, ref. PR-118" in entry.get_change_message()
    assert "80.00 EUR of store credit" in entry.get_change_message()
    assert "erika" not in entry.object_repr.lower()


# --- What was given up leaves the books ---------------------------------------------


def books_of(customer) -> dict:
    """The profile's balances next to the sums of their ledgers."""
    customer.refresh_from_db()
    credit = StoreCreditTransaction.objects.filter(customer=customer).aggregate(
        total=Sum("amount")
    )["total"]
    points = LoyaltyTransaction.objects.filter(customer=customer).aggregate(
        total=Sum("points")
    )["total"]
    return {
        "credit": customer.store_credit_balance,
        "credit_ledger": Decimal(credit or 0).quantize(Decimal("0.01")),
        "points": customer.points_balance,
        "points_ledger": points or 0,
    }


NOTHING_LEFT = {
    "credit": Decimal("0.00"),
    "credit_ledger": Decimal("0.00"),
    "points": 0,
    "points_ledger": 0,
}


def store_credit_owed(client, column: str = "outstanding") -> Decimal:
    """The store credit still owed (or another column of it), as HQ downloads it
    from the liability report."""
    response = client.get(reverse("admin:orders_giftcard_liability"), {"format": "csv"})
    assert response.status_code == 200
    rows = csv.DictReader(io.StringIO(response.content.decode()))
    return sum(
        (Decimal(row[column]) for row in rows if row["tender"] == "Store credit"),
        Decimal("0.00"),
    )


def test_giving_them_up_books_both_ledgers_down_to_zero(api_client, person):
    customer = person.customer_profile

    response = api_client.post(
        ERASE, {"confirm": True, "forfeit_balance": True}, format="json"
    )

    assert response.status_code == 200, response.json()
    assert books_of(customer) == NOTHING_LEFT
    assert store_credit_discrepancies() == []
    credit = StoreCreditTransaction.objects.get(
        customer=customer, kind=StoreCreditKind.FORFEIT
    )
    assert (credit.amount, credit.currency, credit.reason, credit.actor) == (
        Decimal("-80.00"),
        "EUR",
        "Given up at erasure",
        person,
    )
    points = LoyaltyTransaction.objects.get(customer=customer, points__lt=0)
    assert (points.points, points.reason, points.actor) == (
        -130,
        "Given up at erasure",
        person,
    )


def test_the_liability_report_no_longer_counts_credit_given_up(client, hq):
    leaving = holding(make_customer(email="leaving@example.com"), credit="80.00")
    holding(make_customer(email="staying@example.com"), credit="25.00", points=10)
    assert store_credit_owed(client) == Decimal("105.00")

    client.post(
        CHANGELIST,
        {
            "action": "erase_selected",
            "_selected_action": [leaving.pk],
            "confirm": "erase",
            "reason": "Letter of 2 March",
            "forfeit_balance": "on",
        },
    )

    assert Customer.objects.get(pk=leaving.pk).is_anonymised
    assert store_credit_owed(client) == Decimal("25.00")
    assert store_credit_owed(client, "expired") == Decimal("-80.00")  # breakage
    assert books_of(leaving) == NOTHING_LEFT
    assert (
        StoreCreditTransaction.objects.get(
            customer=leaving, kind=StoreCreditKind.FORFEIT
        ).actor
        == hq
    )


def test_erasing_again_books_nothing_more():
    customer = holding(make_customer(email="twice@example.com"))
    erase_customer(customer=customer, forfeit_balance=True)
    credit_rows = StoreCreditTransaction.objects.filter(customer=customer).count()
    points_rows = LoyaltyTransaction.objects.filter(customer=customer).count()

    erase_customer(customer=customer, forfeit_balance=True)

    assert StoreCreditTransaction.objects.filter(customer=customer).count() == (
        credit_rows
    )
    assert LoyaltyTransaction.objects.filter(customer=customer).count() == points_rows
    assert books_of(customer) == NOTHING_LEFT


def test_what_a_merged_profile_brought_is_given_up_with_the_survivor(hq):
    survivor = holding(make_customer(email="live@example.com"))
    old = holding(make_customer(email="old@example.com"), credit="15.50", points=20)
    merge_customers(survivor=survivor, other=old, actor=hq)

    erase_customer(customer=survivor, actor=hq, forfeit_balance=True)

    assert books_of(survivor) == NOTHING_LEFT
    assert books_of(old)["credit"] == 0 and books_of(old)["points"] == 0
    assert store_credit_discrepancies() == []
    assert StoreCreditTransaction.objects.get(
        kind=StoreCreditKind.FORFEIT
    ).amount == Decimal("-95.50")
