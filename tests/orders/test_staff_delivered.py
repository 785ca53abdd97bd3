"""Marking a shipped delivery delivered from the staff order page: the customer's
points become spendable, the day (today by default, never ahead nor before the
order shipped) and a note are written in the history with who and where, an earlier
day said there, on the timeline and as the API's ``delivered_at``; only staff of a
location it left from, a manager of the shop that took it, and HQ may."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from omnistore.accounts.models import Role
from orders.models import FulfilmentStatus, Order, OrderStatus
from orders.services.fulfilment import mark_picked, ship_order
from tests.factories import LocationFactory, StaffFactory, UserFactory, stock
from tests.orders.factories import deliver_outbox, delivery_order, variant
from tests.orders.returns_helpers import api_client_for, shopper

pytestmark = pytest.mark.django_db

LOYALTY = "/api/v1/me/loyalty/"


@pytest.fixture
def shop():
    return LocationFactory(
        code="MI01",
        name="Milano Centro",
        latitude=Decimal("45.464200"),
        longitude=Decimal("9.190000"),
        ships_online_orders=True,
    )


@pytest.fixture
def other_shop():
    return LocationFactory(code="RM01", name="Roma Termini")


@pytest.fixture
def customer():
    return shopper()


def shipped_order(shop, customer, *, when=None, **kwargs) -> Order:
    """A home delivery from ``shop`` of 120.00, its points credited, shipped
    (``when``: that long ago)."""
    item = variant("120.00")
    stock(item, shop, 3)
    order = delivery_order(lines=[(item, 1)], customer=customer[1], **kwargs)
    deliver_outbox()  # the order's points are credited
    mark_picked(order=order)
    now = timezone.now() - (when or timedelta(0))
    return ship_order(order=order, tracking_reference="BRT-1", now=now)


def deliver(client, order, **data):
    return client.post(reverse("staff:order_deliver", args=[order.number]), data)


def test_staff_mark_a_shipped_order_delivered_and_its_points_can_be_spent(
    client, shop, customer
):
    order = shipped_order(shop, customer)
    loyalty = api_client_for(customer[0])
    before = loyalty.get(LOYALTY).json()
    assert before["points_balance"] == 120
    assert before["points_spendable"] == 0  # shipped: not handed over yet
    associate = StaffFactory(store=shop)
    client.force_login(associate)
    page = client.get(reverse("staff:order_detail", args=[order.number]))
    assert 'data-testid="deliver-form"' in page.content.decode()

    response = deliver(client, order, note="Signed for by the neighbour")

    assert response.status_code == 302
    order.refresh_from_db()
    assert order.status == OrderStatus.DELIVERED
    assert order.delivered_at is not None
    assert set(order.fulfilments.values_list("status", flat=True)) == {
        FulfilmentStatus.DELIVERED
    }
    step = order.history.get(to_status=OrderStatus.DELIVERED)
    assert (step.from_status, step.actor) == (OrderStatus.SHIPPED, associate)
    assert step.note == "Signed for by the neighbour"
    after = loyalty.get(LOYALTY).json()
    assert after["points_spendable"] == after["points_balance"] == 120


def test_a_past_day_is_kept_as_the_delivery_day(client, shop, customer):
    order = shipped_order(shop, customer, when=timedelta(days=4))
    client.force_login(StaffFactory(store=shop))
    day = timezone.localdate() - timedelta(days=2)

    assert deliver(client, order, delivered_on=day.isoformat()).status_code == 302

    order.refresh_from_db()
    assert timezone.localtime(order.delivered_at).date() == day


def test_a_past_day_is_said_in_the_history_and_timeline_and_the_api_has_it(
    client, shop, customer
):
    """The history keeps who clicked, when and where, and says the day it arrived;
    the customer's timeline says that day; the API gives the moment it stands for."""
    order = shipped_order(shop, customer, when=timedelta(days=4))
    associate = StaffFactory(store=shop)
    client.force_login(associate)
    day = timezone.localdate() - timedelta(days=2)

    response = deliver(client, order, delivered_on=day.isoformat(), note="At the door")

    assert response.status_code == 302
    said = f"Delivered on {day:%d %b %Y} · At the door"
    step = Order.objects.get(pk=order.pk).history.get(to_status=OrderStatus.DELIVERED)
    assert (step.note, step.actor, step.location) == (said, associate, shop)
    page = client.get(reverse("staff:order_detail", args=[order.number]))
    html = page.content.decode()
    history = html[html.index('data-testid="order-history"') :]
    (row,) = [row for row in history.split("<tr") if said in row]
    assert shop.name in row and associate.display_name in row
    buyer = api_client_for(customer[0])
    detail = buyer.get(f"/api/v1/orders/{order.number}/").json()
    assert detail["history"][-1]["note"] == said
    delivered_at = timezone.localtime(parse_datetime(detail["delivered_at"]))
    assert delivered_at.date() == day
    timeline = buyer.get("/api/v1/me/timeline/").json()["results"]
    (event,) = [e["summary"] for e in timeline if e["kind"] == "order_delivered"]
    assert event == f"Order {order.number} delivered on {day:%d %b %Y}"


def test_delivered_today_says_no_day_and_the_api_has_the_moment(client, shop, customer):
    order = shipped_order(shop, customer)
    client.force_login(StaffFactory(store=shop))
    buyer = api_client_for(customer[0])
    assert buyer.get(f"/api/v1/orders/{order.number}/").json()["delivered_at"] is None

    assert deliver(client, order).status_code == 302

    order.refresh_from_db()
    detail = buyer.get(f"/api/v1/orders/{order.number}/").json()
    assert parse_datetime(detail["delivered_at"]) == order.delivered_at
    assert detail["history"][-1]["note"] == ""
    timeline = buyer.get("/api/v1/me/timeline/").json()["results"]
    (event,) = [e["summary"] for e in timeline if e["kind"] == "order_delivered"]
    assert event == f"Order {order.number} delivered"


def test_delivered_tapped_twice_says_it_was_already_delivered(client, shop, customer):
    order = shipped_order(shop, customer)
    client.force_login(StaffFactory(store=shop))
    assert deliver(client, order).status_code == 302

    again = client.post(
        reverse("staff:order_deliver", args=[order.number]), {}, follow=True
    )

    assert again.status_code == 200
    html = again.content.decode()
    assert f"Order {order.number} was already delivered." in html
    assert 'data-testid="action-error"' not in html
    assert order.history.filter(to_status=OrderStatus.DELIVERED).count() == 1


def test_an_associate_of_another_shop_gets_a_404(client, shop, other_shop, customer):
    order = shipped_order(shop, customer)
    client.force_login(StaffFactory(store=other_shop))

    assert deliver(client, order).status_code == 404
    page = client.get(reverse("staff:order_detail", args=[order.number]))
    assert 'data-testid="deliver-form"' not in page.content.decode()
    order.refresh_from_db()
    assert order.status == OrderStatus.SHIPPED


def test_a_manager_of_the_shop_that_took_it_and_hq_may(client, shop, other_shop):
    """The customer calls the shop that sold them the parcel: its manager may say it
    arrived; a manager of a shop with no part in the order may not; HQ may."""
    manager = UserFactory(
        username="rm-manager", role=Role.STORE_MANAGER, store=other_shop
    )
    sold_there = shipped_order(
        shop, shopper("bea@example.com"), placing_location=other_shop
    )
    web = shipped_order(shop, shopper("cai@example.com"))
    client.force_login(manager)
    assert deliver(client, web).status_code == 404
    assert deliver(client, sold_there).status_code == 302
    client.force_login(UserFactory(username="hq", role=Role.HQ))
    assert deliver(client, web).status_code == 302
    delivered = Order.objects.filter(status=OrderStatus.DELIVERED)
    assert set(delivered.values_list("pk", flat=True)) == {sold_there.pk, web.pk}


@pytest.mark.parametrize(
    "day, said",
    [
        (timedelta(days=1), "A parcel is not delivered in the future."),
        (timedelta(days=-5), "A parcel is not delivered before it shipped."),
    ],
)
def test_a_day_ahead_or_before_shipping_is_a_form_error(
    client, shop, customer, day, said
):
    order = shipped_order(shop, customer, when=timedelta(days=3))
    client.force_login(StaffFactory(store=shop))

    response = deliver(client, order, delivered_on=(timezone.localdate() + day))

    assert response.status_code == 422
    html = response.content.decode()
    assert 'data-testid="error-delivered_on"' in html
    assert said in html
    order.refresh_from_db()
    assert (order.status, order.delivered_at) == (OrderStatus.SHIPPED, None)


def test_a_date_that_is_no_date_is_a_form_error(client, shop, customer):
    order = shipped_order(shop, customer)
    client.force_login(StaffFactory(store=shop))

    response = deliver(client, order, delivered_on="31/02/2025")

    assert response.status_code == 422
    assert 'data-testid="error-delivered_on"' in response.content.decode()
    order.refresh_from_db()
    assert order.status == OrderStatus.SHIPPED


def test_the_form_says_the_note_is_for_the_customer_who_reads_it_in_their_history(
    client, shop, customer
):
    order = shipped_order(shop, customer)
    client.force_login(StaffFactory(store=shop))
    page = client.get(reverse("staff:order_detail", args=[order.number]))
    html = page.content.decode()
    form = html[html.index('data-testid="deliver-form"') :]
    form = form[: form.index("</form>")]
    assert "Note for the customer" in form
    assert "Shown in their order history" in form
    assert 'aria-describedby="id_note_helptext"' in form

    deliver(client, order, note="Left with the concierge")

    history = api_client_for(customer[0]).get(f"/api/v1/orders/{order.number}/")
    assert history.json()["history"][-1]["note"] == "Left with the concierge"


def test_the_date_picker_offers_the_days_from_shipping_to_today(client, shop, customer):
    order = shipped_order(shop, customer)
    client.force_login(StaffFactory(store=shop))
    html = client.get(reverse("staff:order_detail", args=[order.number])).content
    form = html.decode()[html.decode().index('data-testid="deliver-form"') :]
    picker = form[form.index('name="delivered_on"') - 200 : form.index("</form>")]
    order.refresh_from_db()
    assert f'min="{timezone.localdate(order.shipped_at).isoformat()}"' in picker
    assert f'max="{timezone.localdate().isoformat()}"' in picker
