"""A warehouse has no till: acting for one, the order page offers no Cancel on an
order whose cancellation gives cash back (a delivery sold and paid in cash at a
shop, sent from the warehouse) and says who cancels it instead: the shop that sold
it, from its till (the admin cancels no order holding cash either). A cancel sent
anyway is refused, naming that shop, and changes nothing."""

import pytest
from django.urls import reverse

from omnistore.accounts.models import Role
from omnistore.approvals.models import Approval
from orders.models import OrderStatus, PaymentMethod, Refund
from orders.services.payments import PaymentRequest
from tests.factories import StaffFactory, UserFactory
from tests.orders.factories import delivery_order, shop, stocked, warehouse

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
WHO = (
    "Piacenza Hub is a warehouse: it has no till to give back the cash this order "
    "was paid in. Milano Centro, the shop that sold it, cancels it and gives the "
    "cash back from its till."
)


@pytest.fixture(autouse=True)
def no_refund_limit(settings):
    settings.OMNISTORE_APPROVAL_REFUND_ABOVE = None  # who cancels, not how much


@pytest.fixture
def milano():
    return shop(code="MI01", name="Milano Centro")


@pytest.fixture
def piacenza():
    return warehouse(code="WH01", name="Piacenza Hub")


@pytest.fixture
def hq(client):
    client.force_login(UserFactory(role=Role.HQ, username="hq"))
    return client


def acting_for(client, location):
    client.post(reverse("staff:switch_store"), {"store": location.pk})
    return client


def sent_from_the_warehouse(milano, piacenza, method=PaymentMethod.CASH):
    """A delivery sold at Milano's counter, paid there, sent from Piacenza."""
    coat = stocked(piacenza, 3, price="59.90")
    order = delivery_order(
        lines=[(coat, 1)],
        channel="store",
        placing_location=milano,
        staff=StaffFactory(store=milano),
        payments=[PaymentRequest(method=method)],
    )
    assert order.fulfilments.get().location == piacenza
    return order


def page(client, order) -> str:
    return client.get(
        reverse("staff:order_detail", args=[order.number])
    ).content.decode()


def test_a_warehouse_is_not_offered_cancel_on_a_cash_sale_and_is_told_who_can(
    hq, milano, piacenza
):
    order = sent_from_the_warehouse(milano, piacenza)

    shown = page(acting_for(hq, piacenza), order)

    assert 'id="cancel-form"' not in shown
    assert 'data-testid="cancel-elsewhere"' in shown
    assert WHO in shown


def test_a_cancel_sent_anyway_names_the_selling_shop_and_changes_nothing(
    hq, milano, piacenza
):
    order = sent_from_the_warehouse(milano, piacenza)
    url = reverse("staff:order_cancel", args=[order.number])

    response = acting_for(hq, piacenza).post(url, {"reason": "Customer never came"})

    assert response.status_code == 422
    assert f"{WHO} Nothing was changed." in response.content.decode()
    order.refresh_from_db()
    assert order.status != OrderStatus.CANCELLED
    assert not Refund.objects.exists()


def test_the_shop_that_sold_it_is_offered_cancel(hq, milano, piacenza):
    order = sent_from_the_warehouse(milano, piacenza)

    shown = page(acting_for(hq, milano), order)

    assert 'id="cancel-form"' in shown
    assert 'data-testid="cancel-elsewhere"' not in shown


def test_a_warehouse_still_cancels_a_sale_paid_by_card(hq, milano, piacenza):
    order = sent_from_the_warehouse(milano, piacenza, PaymentMethod.CARD_IN_STORE)
    client = acting_for(hq, piacenza)
    assert 'id="cancel-form"' in page(client, order)

    url = reverse("staff:order_cancel", args=[order.number])
    response = client.post(url, {"reason": "Customer never came"}, **HTMX)

    assert response.status_code == 200, response.content.decode()
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED


def test_the_refusal_comes_before_a_manager_is_asked(
    client, settings, milano, piacenza
):
    settings.OMNISTORE_APPROVAL_REFUND_ABOVE = "10.00"  # 59.90 would need a manager
    order = sent_from_the_warehouse(milano, piacenza)
    client.force_login(StaffFactory(store=piacenza))
    assert 'data-testid="cancel-elsewhere"' in page(client, order)

    url = reverse("staff:order_cancel", args=[order.number])
    response = client.post(url, {"reason": "Customer never came"}, **HTMX)

    assert response.status_code == 422
    assert "Milano Centro, the shop that sold it" in response.content.decode()
    assert not Approval.objects.exists()
