"""A wished item back in stock reaches the client book: a task for the associate who
added it to the customer's list, a line on every wisher's timeline; once per restock."""

import pytest

from campaigns.services.restocks import detect_restocks
from customers.models import Channel, ClientTask, CustomerEvent, TaskKind
from customers.services.wishlists import add_wishlist_item
from inventory.services.stock import receive_stock
from tests.campaigns.factories import person
from tests.factories import (
    LocationFactory,
    StaffFactory,
    VariantFactory,
    WarehouseFactory,
)

pytestmark = pytest.mark.django_db


def test_restock_opens_a_task_for_the_associate_who_added_the_item(
    django_capture_on_commit_callbacks,
):
    brera, warehouse = LocationFactory(name="Brera"), WarehouseFactory()
    anna = StaffFactory(first_name="Anna", store=brera)
    coat = VariantFactory(product__name="Wool coat", colour="Navy", size="40")
    ada, bea = person("Ada"), person("Bea")
    add_wishlist_item(
        customer=ada, variant=coat, actor=anna, location=brera, channel=Channel.STORE
    )
    add_wishlist_item(customer=bea, variant=coat, channel=Channel.WEB)

    with django_capture_on_commit_callbacks(execute=True):
        receive_stock(variant=coat, location=warehouse, quantity=4)
    detect_restocks()

    task = ClientTask.objects.get()
    assert (task.kind, task.customer, task.assignee, task.shop) == (
        TaskKind.RESTOCK,
        ada,
        anna,
        brera,
    )
    # The variant named in full: the colour tells which of the coats came back.
    assert task.title == "Back in stock: Wool coat (Navy / 40)"
    assert task.occurrence == f"restock:{coat.pk}:1"
    told = CustomerEvent.objects.filter(kind="wishlist_item_back_in_stock")
    assert sorted(told.values_list("customer_id", flat=True)) == sorted(
        [ada.pk, bea.pk]
    )
    assert set(told.values_list("summary", flat=True)) == {
        "Back in stock: Wool coat (Navy / 40)"
    }

    # Topped up while there: no restock, nothing new.
    with django_capture_on_commit_callbacks(execute=True):
        receive_stock(variant=coat, location=warehouse, quantity=2)
    detect_restocks()
    assert ClientTask.objects.count() == 1 and told.count() == 2
