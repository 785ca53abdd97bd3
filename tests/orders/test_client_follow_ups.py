"""A purchase in any channel reaches the client book through the timeline orders
writes: a follow-up task days later for the client's associate (or the associate who
made the store sale), and a purchase on the "My clients" page."""

import pytest
from django.utils import timezone

from customers.clienteling import PURCHASE_EVENT
from customers.models import ClientTask, TaskKind
from customers.selectors.clientbook import client_book
from customers.services.clientbook import assign_associate
from customers.tasks import generate_client_tasks
from orders.services.placing import EVENT_ORDER_PLACED
from tests.campaigns.factories import Shop, person
from tests.factories import StaffFactory

pytestmark = pytest.mark.django_db


def test_the_client_book_reads_the_event_orders_write():
    assert PURCHASE_EVENT == EVENT_ORDER_PLACED


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


def test_nothing_to_follow_up_yet_a_week_is_not_over():
    shop = Shop()
    anna = StaffFactory(store=shop.store)
    ada = person("Ada")
    assign_associate(customer=ada, associate=anna, actor=anna)
    shop.sell_online(ada, days_ago=3)
    assert generate_client_tasks() == 0
    assert not ClientTask.objects.exists()
