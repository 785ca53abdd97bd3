"""A new delivery address sent while the parcel is being shipped, on PostgreSQL: the
change waits for the shipment's lock on the order, then finds the parcel gone and
refuses, writing nothing; it never records a change the parcel did not follow."""

import threading

import pytest
from django.db import connection, transaction

from omnistore.core.exceptions import Conflict
from orders.models import Fulfilment, OrderStatusChange
from orders.services.delivery_address import change_delivery_address
from orders.services.fulfilment import mark_picked, ship_order
from tests.factories import StaffFactory
from tests.orders.factories import delivery_order, stocked, warehouse

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

# How long the shipment keeps its transaction open: far longer than a change of
# address takes, so only a lock wait makes the change finish after it.
HOLD_SECONDS = 3
NEW_ADDRESS = {
    "line1": "Via Po 2",
    "city": "Torino",
    "postcode": "10121",
    "country": "IT",
}


def test_a_change_racing_the_shipment_waits_and_finds_the_parcel_gone():
    order = delivery_order(lines=[(stocked(warehouse(), 2), 1)])
    mark_picked(order=order)
    shipping, changed = threading.Event(), threading.Event()
    outcome = {}

    def ship():
        try:
            with transaction.atomic():
                ship_order(order=order.pk, carrier="gls", tracking_reference="GLS-1")
                shipping.set()
                outcome["change_finished_first"] = changed.wait(HOLD_SECONDS)
        finally:
            shipping.set()
            connection.close()

    def change():
        try:
            shipping.wait(30)
            outcome["change"] = change_delivery_address(
                order=order.pk, address=NEW_ADDRESS, actor=StaffFactory()
            )
        except Exception as exc:  # asserted below
            outcome["change"] = exc
        finally:
            changed.set()
            connection.close()

    threads = [threading.Thread(target=ship), threading.Thread(target=change)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a worker hung"

    assert outcome["change_finished_first"] is False  # it waited for the lock
    refusal = outcome["change"]
    assert isinstance(refusal, Conflict), refusal
    assert refusal.code == "no_delivery_to_change"
    part = Fulfilment.objects.get(order=order)
    assert (part.status, part.address["line1"]) == ("shipped", "Via Torino 1")
    notes = OrderStatusChange.objects.filter(order=order).values_list("note", flat=True)
    assert not [note for note in notes if note.startswith("Delivery address")]
