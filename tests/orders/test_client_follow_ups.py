"""A purchase in any channel reaches the client book through the timeline orders
writes: a follow-up task days later for the client's associate (or the associate who
made the store sale), and a purchase on the "My clients" page."""

import pytest
from django.urls import reverse
from django.utils import timezone

from customers.clienteling import CANCEL_EVENT, COLLECT_EVENT, PURCHASE_EVENT
from customers.models import ClientTask, TaskKind
from customers.selectors.clientbook import client_book
from customers.services.clientbook import assign_associate
from customers.tasks import generate_client_tasks
from orders.services.common import EVENT_ORDER_PLACED
from orders.services.fulfilment import EVENT_ORDER_CANCELLED, cancel_order
from orders.services.pickups import EVENT_ORDER_COLLECTED
from tests.campaigns.factories import Shop, person
from tests.factories import StaffFactory
from tests.orders.factories import pickup_order
from tests.orders.returns_helpers import collected_order

pytestmark = pytest.mark.django_db


def test_the_client_book_reads_the_events_orders_write():
    assert PURCHASE_EVENT == EVENT_ORDER_PLACED
    assert COLLECT_EVENT == EVENT_ORDER_COLLECTED
    assert CANCEL_EVENT == EVENT_ORDER_CANCELLED


def test_orders_in_any_channel_make_follow_ups_and_show_in_my_clients(settings):
    settings.OMNISTORE_CLIENTBOOK_FOLLOW_UP_DAYS = 7
    shop = Shop()
    anna = StaffFactory(first_name="Anna", store=shop.store)
    ada = person("Ada")
    assign_associate(customer=ada, associate=anna, actor=anna)
    web = shop.sell_online(ada, days_ago=7)
    store = shop.sell_in_store(ada, days_ago=0)

    assert generate_client_tasks() == 1  # the Celery task: the web order's follow-up
    task = ClientTask.objects.get()
    assert (task.kind, task.assignee, task.shop) == (
        TaskKind.FOLLOW_UP,
        anna,
        shop.store,
    )
    assert task.occurrence == f"order:{web.number}"
    assert task.due_on == timezone.localdate()
    assert generate_client_tasks() == 0

    [row] = client_book(anna, shop=shop.store)
    assert row.in_shop_today
    assert [e.reference_id for e in row.purchases] == [store.number, web.number]
    assert not row.lapsed


def test_a_cancelled_order_is_no_purchase_to_follow_up_or_show(settings):
    settings.OMNISTORE_CLIENTBOOK_FOLLOW_UP_DAYS = 7
    shop = Shop()
    anna = StaffFactory(store=shop.store)
    ada = person("Ada")
    assign_associate(customer=ada, associate=anna, actor=anna)
    web = shop.sell_online(ada, days_ago=7)
    cancel_order(order=web, actor=anna, reason="Changed her mind")

    assert generate_client_tasks() == 0
    [row] = client_book(anna, shop=shop.store)
    assert row.purchases == [] and row.last_purchase_at is None


def test_nothing_to_follow_up_yet_a_week_is_not_over():
    shop = Shop()
    anna = StaffFactory(store=shop.store)
    ada = person("Ada")
    assign_associate(customer=ada, associate=anna, actor=anna)
    shop.sell_online(ada, days_ago=3)
    assert generate_client_tasks() == 0
    assert not ClientTask.objects.exists()


def test_only_a_sale_at_the_counter_puts_a_client_in_the_shop_today(client):
    """A guest checkout online for pickup at the shop, or an order taken by phone
    there, names the shop on the timeline but is no visit; a counter sale is."""
    shop = Shop()
    anna = StaffFactory(first_name="Anna", store=shop.store)
    ada = person("Ada")
    assign_associate(customer=ada, associate=anna, actor=anna)
    pickup_order(store=shop.store, lines=[(shop.variant, 1)], email=ada.email)
    shop.sell_by_phone(ada)
    client.force_login(anna)
    book = reverse("staff:my_clients")

    page = client.get(book).content.decode()
    assert page.count("Order OS-") == 2  # both are recent purchases
    assert 'data-testid="in-shop"' not in page
    assert (
        "No client here right now."
        in client.get(book, {"tab": "in_shop"}).content.decode()
    )

    shop.sell_in_store(ada)

    page = client.get(book, {"tab": "in_shop"}).content.decode()
    assert 'data-testid="in-shop"' in page
    assert ada.first_name in page


def test_a_client_collecting_an_order_at_the_shop_is_in_the_shop_today(client):
    shop = Shop()
    anna = StaffFactory(first_name="Anna", store=shop.store)
    ada = person("Ada")
    assign_associate(customer=ada, associate=anna, actor=anna)
    collected_order(
        store=shop.store, lines=[(shop.variant, 1)], customer=ada, staff=anna
    )
    client.force_login(anna)
    page = client.get(reverse("staff:my_clients"), {"tab": "in_shop"})
    assert 'data-testid="in-shop"' in page.content.decode()
    assert ada.first_name in page.content.decode()
    elsewhere = Shop()
    book = client_book(anna, shop=elsewhere.store)
    assert not [row for row in book if row.in_shop_today]
