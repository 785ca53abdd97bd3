"""Where people look at store credit: the customer page says how much expires next and
when, the refund email says until when credit is good, and the admin ledger shows each
credit's expiry and the expiries booked."""

from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import dateformat, timezone

from orders.models import StoreCreditTransaction
from orders.services.credit import expire_store_credit
from orders.services.refunds import receive_and_refund_return
from orders.services.returns import ReturnLineRequest, request_return
from tests.customers.factories import make_customer
from tests.factories import LocationFactory, StaffFactory, UserFactory
from tests.orders.factories import deliver_outbox, stocked
from tests.orders.returns_helpers import collected_order, shopper
from tests.orders.stored_value_helpers import give_credit, spend_credit

pytestmark = pytest.mark.django_db


def shown(moment, fmt="j M Y") -> str:
    return dateformat.format(timezone.localtime(moment), fmt)


@pytest.fixture
def milano():
    return LocationFactory(code="MI01", name="Milano Centro")


@pytest.fixture
def desk(client, milano):
    client.force_login(StaffFactory(store=milano))
    return client


def test_the_customer_page_shows_what_expires_next_and_when(desk, milano):
    customer = make_customer(email="ada@example.com")
    give_credit(customer, "40.00")
    spend_credit(customer, "15.00", "1")
    due = StoreCreditTransaction.objects.get(reference="test:seed").expires_at

    page = desk.get(reverse("staff:customer_detail", args=[customer.pk])).content
    html = page.decode()

    assert "Store credit 25.00" in html
    assert f"25.00 EUR expires on {shown(due)}" in html


def test_credit_that_never_expires_shows_no_date(desk, settings):
    settings.OMNISTORE_STORE_CREDIT_EXPIRY_DAYS = 0
    customer = make_customer(email="ada@example.com")
    give_credit(customer, "40.00")

    html = desk.get(reverse("staff:customer_detail", args=[customer.pk])).content

    assert b"Store credit 40.00" in html
    assert b"store-credit-expiry" not in html


def test_the_refund_email_says_until_when_the_credit_is_good(milano):
    user, customer = shopper()
    shirt = stocked(milano, 5, price="40.00")
    order = collected_order(store=milano, lines=[(shirt, 1)], customer=customer)
    ret = request_return(
        order=order.number,
        customer=customer,
        channel="web",
        lines=[ReturnLineRequest(order.lines.get().pk, 1, "too_small")],
    )
    receive_and_refund_return(
        return_request=ret,
        location=milano,
        actor=UserFactory(role="hq", username="hq"),
        method="store_credit",
    )
    mail.outbox.clear()
    deliver_outbox()

    credit = StoreCreditTransaction.objects.get(return_request=ret)
    refund_mail = next(m for m in mail.outbox if "added to your store" in m.body)
    assert (
        f"usable online and in every shop until {shown(credit.expires_at, 'j F Y')}"
        in (refund_mail.body)
    )


def test_the_admin_ledger_shows_expiry_dates_and_expiries(client):
    boss = UserFactory(username="boss", is_staff=True, is_superuser=True, role="hq")
    client.force_login(boss)
    customer = make_customer(email="ada@example.com")
    give_credit(customer, "40.00")
    row = StoreCreditTransaction.objects.get()
    expire_store_credit(now=row.expires_at + timedelta(minutes=1))
    url = reverse("admin:orders_storecredittransaction_changelist")

    html = client.get(url).content.decode()
    expired = client.get(url, {"kind": "expiry"}).content.decode()

    assert "column-expires_at" in html
    assert "Expired unused" in html
    assert expired.count('class="field-amount"') == 1
    assert "-40.00" in expired
