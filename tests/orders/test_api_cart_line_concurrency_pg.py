"""Real threads, real connections: one cart line changed and removed at once."""

import threading
import time

import pytest
from django.db import transaction
from rest_framework.test import APIClient

from orders.models import CartLine
from tests.concurrency import run_parallel
from tests.orders.factories import stocked, warehouse

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def cart_with_a_line(item) -> tuple[str, int]:
    client = APIClient()
    token = client.post("/api/v1/cart/").json()["token"]
    client.credentials(HTTP_X_CART_TOKEN=token)
    body = client.post(
        "/api/v1/cart/lines/", {"variant": item.pk, "quantity": 2}, format="json"
    ).json()
    return token, body["lines"][0]["id"]


def cart_client(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_X_CART_TOKEN=token)
    return client


def test_a_line_removed_while_its_quantity_changes_is_not_found_not_a_server_error():
    """The removal holds the row until it commits; the change, which read the line
    before that, then updates no row: 404, and the line stays removed."""
    item = stocked(warehouse(), 10)
    token, line_id = cart_with_a_line(item)
    removed = threading.Event()

    def remove_and_commit_late():
        with transaction.atomic():
            CartLine.objects.filter(pk=line_id).delete()
            removed.set()
            time.sleep(0.5)  # the change reads the line and waits on its row lock
        return "removed"

    def change():
        removed.wait(5)
        return cart_client(token).patch(
            f"/api/v1/cart/lines/{line_id}/", {"quantity": 5}, format="json"
        )

    results = run_parallel([remove_and_commit_late, change])

    assert results[0] == "removed"
    response = results[1]
    assert not isinstance(response, Exception), response
    assert response.status_code == 404, response.content
    assert response.json()["code"] == "not_found"
    assert not CartLine.objects.filter(pk=line_id).exists()


def test_patch_and_delete_of_one_line_at_once_answer_200_or_404():
    item = stocked(warehouse(), 50)
    for _ in range(5):
        token, line_id = cart_with_a_line(item)
        url = f"/api/v1/cart/lines/{line_id}/"
        change, remove = cart_client(token), cart_client(token)
        results = run_parallel(
            [
                lambda c=change, u=url: c.patch(u, {"quantity": 3}, format="json"),
                lambda c=remove, u=url: c.delete(u),
            ]
        )
        for response in results:
            assert not isinstance(response, Exception), response
            assert response.status_code in (200, 404), response.content
        assert results[1].status_code == 200  # the removal always finds its line
        assert not CartLine.objects.filter(pk=line_id).exists()


def test_the_same_item_added_at_once_counts_every_unit():
    item, other = stocked(warehouse(), 50), stocked(warehouse(), 50)
    token, _ = cart_with_a_line(item)  # 2 units there already
    clients = [cart_client(token) for _ in range(12)]

    def add(client, variant):
        return lambda: client.post(
            "/api/v1/cart/lines/", {"variant": variant.pk, "quantity": 1}, format="json"
        )

    # An item in the cart and one that is not yet: the first adds race to insert it.
    results = run_parallel(
        [add(c, item) for c in clients[:6]] + [add(c, other) for c in clients[6:]]
    )

    assert [r.status_code for r in results] == [201] * 12, results
    units = dict(CartLine.objects.values_list("variant_id", "quantity"))
    assert units == {item.pk: 8, other.pk: 6}
