"""A refused status change reads in words: the statuses' labels, and "already" when
the thing is in the status asked for (a transfer received twice)."""

import pytest
from django.urls import reverse

from inventory.models import TransferStatus
from inventory.services.transfers import receive_transfer, ship_transfer
from omnistore.core.exceptions import IllegalTransition
from tests.factories import StaffFactory, VariantFactory, stock
from tests.inventory.staff_helpers import open_transfer
from tests.orders.factories import shop


def test_the_same_status_twice_says_already():
    error = IllegalTransition(obj="Transfer", current="received", target="received")
    assert error.message == "Transfer is already received."
    assert error.extra == {"from": "received", "to": "received"}


def test_statuses_read_as_their_labels():
    error = IllegalTransition(
        obj="Transfer",
        current=TransferStatus.IN_TRANSIT,
        target=TransferStatus.CANCELLED,
        choices=TransferStatus,
    )
    assert error.message == "Transfer cannot go from in transit to cancelled."
    plain = IllegalTransition(obj="Order 7", current="completed", target="cancelled")
    assert plain.message == "Order 7 cannot go from completed to cancelled."
    assert "'" not in plain.message


@pytest.mark.django_db
def test_receiving_a_received_transfer_says_it_is_already_received(client):
    source, destination = shop(code="MI01"), shop(code="RM01")
    item = VariantFactory(sku="SHIRT")
    stock(item, source, 5)
    transfer = ship_transfer(transfer=open_transfer(source, destination, [(item, 2)]))
    receive_transfer(transfer=transfer)
    with pytest.raises(IllegalTransition) as refused:
        receive_transfer(transfer=transfer)
    assert refused.value.message == "Transfer is already received."
    client.force_login(StaffFactory(store=source))
    response = client.post(
        reverse("staff:transfer_ship", args=[transfer.pk]), follow=True
    )
    assert response.status_code == 200  # the tap came late: it was shipped already
    assert "already shipped" in response.content.decode()
    transfer.refresh_from_db()
    assert transfer.status == TransferStatus.RECEIVED
