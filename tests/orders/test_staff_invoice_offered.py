"""The order page offers "Issue invoice" only where the invoice would be issued;
elsewhere it says in one line why not. An order that sold only gift cards to a
business customer has nothing to invoice (a gift card carries no VAT until it is
spent): no button, the reason instead, and nothing numbered."""

import pytest
from django.urls import reverse

from orders.models import Invoice, InvoiceCounter
from orders.services.checkout import place_order
from orders.services.giftcard_sales import prepare_card_sale
from orders.services.payments import PaymentRequest
from orders.services.staff_sale import StaffSale
from tests.customers.factories import make_customer
from tests.factories import StaffFactory
from tests.orders.receipt_helpers import (
    business,
    cash_sale_with_change,
    entity_shop,
    item,
    legal_entity,
    tax_as_sold,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_cache")]


@pytest.fixture
def shop():
    return entity_shop(legal_entity())


@pytest.fixture
def associate(shop):
    return StaffFactory(store=shop, first_name="Giulia", last_name="Bianchi")


@pytest.fixture
def staff(client, associate):
    client.force_login(associate)
    return client


def documents(client, order) -> str:
    """The order page's card of receipts and invoices."""
    response = client.get(reverse("staff:order_detail", args=[order.number]))
    assert response.status_code == 200
    page = response.content.decode()
    start = page.index('data-testid="order-documents"')
    return page[start : page.index("</div>", start)]


def gift_cards_sold(shop, associate, customer):
    return place_order(
        lines=[],
        channel="store",
        fulfilment="carry_out",
        placing_location=shop,
        staff=associate,
        customer=customer,
        payments=[PaymentRequest(method="cash")],
        staff_sale=StaffSale(
            gift_cards=[
                prepare_card_sale(number="6012000011112222", pin="4321", amount="50")
            ]
        ),
    )


def goods_sold(shop, associate, customer):
    order = cash_sale_with_change(
        shop=shop,
        associate=associate,
        lines=[(item(shop, "Oxford shirt", "SHIRT", "61.00"), 1)],
        tendered="61",
        customer=customer,
    )
    return tax_as_sold(order, {"SHIRT": "22"})


def test_an_order_of_gift_cards_alone_says_why_it_has_no_invoice(
    staff, shop, associate
):
    order = gift_cards_sold(shop, associate, business())

    card = documents(staff, order)

    assert 'data-testid="issue-invoice"' not in card
    assert 'data-testid="no-invoice"' in card
    assert "This order sold only gift cards" in card
    asked = staff.post(reverse("staff:invoice_issue", args=[order.number]))
    assert asked.status_code == 302
    assert not Invoice.objects.exists() and not InvoiceCounter.objects.exists()


def test_an_order_of_goods_to_a_business_offers_the_invoice(staff, shop, associate):
    order = goods_sold(shop, associate, business())

    card = documents(staff, order)

    assert 'data-testid="issue-invoice"' in card
    assert 'data-testid="no-invoice"' not in card


def test_an_order_without_a_seller_on_record_says_so(client):
    """A shop set up with no legal entity sells without a seller on record: no
    invoice can be made out of its sale, and the page says so instead of offering
    one."""
    unowned = entity_shop(None, code="MI02", name="Milano Sud")
    associate = StaffFactory(store=unowned)
    client.force_login(associate)
    order = goods_sold(unowned, associate, business())
    assert order.legal_entity is None

    card = documents(client, order)

    assert 'data-testid="issue-invoice"' not in card
    assert "This order has no seller on record" in card


def test_a_guest_sale_neither_offers_an_invoice_nor_asks_for_a_vat_number(
    staff, shop, associate
):
    """A sale to nobody on record has no profile to add a VAT number to: the page
    offers no invoice and says nothing about one."""
    order = goods_sold(shop, associate, None)

    card = documents(staff, order)

    assert 'data-testid="issue-invoice"' not in card
    assert 'data-testid="no-invoice"' not in card
    assert "VAT number" not in card


def test_a_customer_without_a_vat_number_is_said_who_adds_it(staff, shop, associate):
    """No staff page edits a profile's VAT number: the associate is told who adds
    it (the customer in their account, a manager in the admin), not asked to."""
    order = goods_sold(shop, associate, make_customer(phone="+393339999999"))

    card = documents(staff, order)

    assert 'data-testid="issue-invoice"' not in card
    assert (
        '<p class="small muted" data-testid="no-invoice">An invoice is made out to '
        "a business: the customer adds their VAT number in their account, or a "
        "manager adds it in the admin.</p>"
    ) in card
    assert "profile first" not in card
