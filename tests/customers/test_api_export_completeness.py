"""The export holds what the shop keeps about the person beyond orders and returns:
the invoices and credit notes issued to them (the buyer as printed, kept after an
erasure), the profile's company, VAT number and associate, each merged profile's own
fields, the gift cards they bought (never the full number or the PIN) and those sent
to an email they proved. Its number of queries does not grow with the rows."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from customers.models import Customer, IdentityKind
from customers.selectors.export import export_customer_data
from customers.services.matching import match_customer
from customers.services.merge import merge_customers
from omnistore.core.channels import Channel
from orders.models import GiftCard, Invoice, InvoiceKind
from orders.services.egift import send_due_e_gift_cards
from orders.services.invoices import issue_invoice
from orders.services.refunds import return_at_counter
from tests.factories import StaffFactory, UserFactory
from tests.orders.receipt_helpers import (
    VALID_VAT,
    business,
    entity_shop,
    item,
    legal_entity,
    tax_as_sold,
)
from tests.orders.returns_helpers import api_client_for, counter_sale, line_request

pytestmark = pytest.mark.django_db

EMAIL = "nora.galli@example.com"
PURCHASE = "/api/v1/gift-cards/purchase/"


@pytest.fixture(autouse=True)
def fresh_cache():
    """Purchases are throttled in the cache: none counted at the start of a test."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def shop():
    return entity_shop(legal_entity())


@pytest.fixture
def associate(shop):
    return StaffFactory(store=shop, first_name="Giulia", last_name="Bianchi")


@pytest.fixture
def nora(shop, associate):
    user = UserFactory(username=EMAIL, email=EMAIL, first_name="Nora")
    customer = business(email=EMAIL, user=user)
    Customer.objects.filter(pk=customer.pk).update(
        assigned_associate=associate, birthday=date(1985, 1, 1)
    )
    # Nora proved her email with a code: cards sent there are hers.
    proven = customer.identities.filter(kind=IdentityKind.EMAIL, value=EMAIL)
    assert proven.update(verified=True) == 1
    customer.refresh_from_db()
    return user, customer


def invoiced_sale(shop, associate, customer, *, returned: bool):
    shirt = item(shop, "Oxford shirt", "SHIRT", "61.00")
    order = counter_sale(
        store=shop, lines=[(shirt, 2)], staff=associate, customer=customer
    )
    order = tax_as_sold(order, {"SHIRT": "22"})
    issue_invoice(order=order, actor=associate)
    if returned:
        return_at_counter(
            order=order.number,
            lines=[line_request(order, 1, "changed_mind")],
            location=shop,
            actor=associate,
        )
    return order


def merged_counter_profile(customer, associate, phone: str, birthday: date):
    """A profile made at the counter, with its own birthday, merged into ``customer``
    (whose birthday wins, so this one stays only on the merged row)."""
    old = match_customer(
        phone=phone,
        first_name="Nora",
        last_name="Banconista",
        channel=Channel.STORE,
    )
    Customer.objects.filter(pk=old.pk).update(birthday=birthday)
    old.refresh_from_db()
    merge_customers(survivor=customer, other=old, actor=associate)
    return old


def buy_card(client, *, to: str, days_ahead: int, **extra):
    response = client.post(
        PURCHASE,
        {
            "amount": "50.00",
            "country": "IT",
            "recipient_name": "Mamma Galli",
            "recipient_email": to,
            "message": "Auguri",
            "send_on": (timezone.localdate() + timedelta(days=days_ahead)).isoformat(),
            "payment": {"method": "card_online", "token": "tok_visa"},
            **extra,
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    return GiftCard.objects.get(order__number=response.json()["order"])


def card_from_a_friend(*, days_ahead: int) -> GiftCard:
    return buy_card(
        APIClient(),
        to=EMAIL.upper(),
        days_ahead=days_ahead,
        email="friend.of.nora@example.org",
    )


@pytest.fixture
def exported(nora, shop, associate):
    user, customer = nora
    order = invoiced_sale(shop, associate, customer, returned=True)
    merged_counter_profile(customer, associate, "+393330000777", date(1990, 4, 19))
    bought = buy_card(api_client_for(user), to="mamma@example.org", days_ahead=30)
    received = card_from_a_friend(days_ahead=0)
    card_from_a_friend(days_ahead=10)  # still a surprise: not exported yet
    assert send_due_e_gift_cards() == [received.pk]
    response = api_client_for(user).get("/api/v1/me/export/")
    assert response.status_code == 200
    return customer, order, bought, received, response.json()


def test_invoices_and_credit_notes_with_the_buyer_as_printed(exported):
    _, order, _, _, data = exported
    invoice = Invoice.objects.get(kind=InvoiceKind.INVOICE)
    note = Invoice.objects.get(kind=InvoiceKind.CREDIT_NOTE)
    assert [(i["kind"], i["number"]) for i in data["invoices"]] == [
        ("invoice", invoice.number),
        ("credit_note", note.number),
    ]
    first, credit = data["invoices"]
    assert first["order"] == order.number
    assert first["issued_at"] == invoice.issued_at.isoformat()
    assert first["buyer"] == {
        "name": "Nora Galli",
        "company": "Galli Srl",
        "address": "Via Roma 3, 10121 Torino",
        "country": "IT",
        "vat_number": VALID_VAT,
    }
    assert (first["currency"], first["gross"]) == (invoice.currency, "122.00")
    assert (first["net"], first["tax"]) == ("100.00", "22.00")
    assert credit["credited_invoice"] == invoice.number
    assert credit["gross"] == str(note.gross)


def test_the_profile_holds_company_vat_number_and_associate(exported):
    _, _, _, _, data = exported
    profile = data["profile"]
    assert (profile["company_name"], profile["vat_number"]) == ("Galli Srl", VALID_VAT)
    assert profile["assigned_associate"] == {
        "name": "Giulia B.",
        "shop": "Milano Centro",
    }


def test_each_merged_profile_with_its_own_fields(exported):
    customer, _, _, _, data = exported
    (merged,) = data["profile"]["merged_profiles"]
    assert merged["merged_into"] == customer.pk
    assert (merged["first_name"], merged["last_name"]) == ("Nora", "Banconista")
    assert merged["birthday"] == "1990-04-19"
    assert merged["phone"] == "+393330000777"
    assert data["profile"]["birthday"] == "1985-01-01"


def test_gift_cards_bought_masked_and_those_sent_to_them(exported):
    _, _, bought, received, data = exported
    (card,) = data["gift_cards_bought"]
    assert card == {
        "number": bought.masked_number,
        "kind": "digital",
        "amount": "50.00",
        "currency": bought.currency,
        "status": "active",
        "recipient_name": "Mamma Galli",
        "recipient_email": "mamma@example.org",
        "sender_name": "",
        "message": "Auguri",
        "send_on": bought.send_on.isoformat(),
        "sent": False,
        "sent_at": None,
        "order": bought.order.number,
    }
    (got,) = data["gift_cards_received"]
    assert got["number"] == received.masked_number and got["sent"] is True
    assert got["message"] == "Auguri"
    everything = str(data)
    for number in GiftCard.objects.values_list("number", flat=True):
        assert number not in everything
    assert "pin" not in {key for c in data["gift_cards_bought"] for key in c}


def queries_of_export(customer) -> int:
    with CaptureQueriesContext(connection) as queries:
        export_customer_data(customer)
    return len(queries)


def test_the_export_takes_as_many_queries_for_many_rows_as_for_one(
    nora, shop, associate
):
    user, customer = nora
    client = api_client_for(user)

    def one_of_each(n: int):
        invoiced_sale(shop, associate, customer, returned=True)
        merged_counter_profile(
            customer, associate, f"+39333000080{n}", date(1990, 1, n)
        )
        buy_card(client, to=f"friend{n}@example.org", days_ahead=30)
        card_from_a_friend(days_ahead=0)
        send_due_e_gift_cards()

    one_of_each(1)
    few = queries_of_export(customer)
    one_of_each(2)
    one_of_each(3)
    many = queries_of_export(customer)

    data = export_customer_data(customer)
    assert len(data["invoices"]) == 6 and len(data["profile"]["merged_profiles"]) == 3
    assert len(data["gift_cards_bought"]) == 3
    assert len(data["gift_cards_received"]) == 3
    assert many == few
