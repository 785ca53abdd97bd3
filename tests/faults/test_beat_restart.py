"""Finding 8: beat restarted with a fresh schedule file (a new container) runs the
pickup expiry at once, instead of an hour later; restarted again, again."""

import pytest

from orders.models import Order, OrderStatus
from orders.services.fulfilment import mark_picked, mark_ready
from tests.faults.shop import call, cart_intent, open_cart
from tests.faults.stack import wait_for
from tests.orders.factories import shop, stocked

pytestmark = [pytest.mark.faults, pytest.mark.postgres]


def ready_pickup_past_its_window(stack, fake_stripe, store, item, email) -> Order:
    token = open_cart(stack, item)
    answer = call(
        stack.url("/api/v1/checkout/"),
        {
            "fulfilment": "pickup",
            "store": store.pk,
            "email": email,
            "payment": {
                "method": "card_online",
                "token": cart_intent(fake_stripe, token, int(item.price * 100)),
            },
        },
        {"X-Cart-Token": token},
    )
    assert answer.status == 201, answer.body
    order = Order.objects.get(number=answer.body["number"])
    mark_picked(order=order)
    order = mark_ready(order=order)
    Order.objects.filter(pk=order.pk).update(
        pickup_expires_at=order.created_at  # the window ended
    )
    return order


def expired(order) -> bool:
    order.refresh_from_db()
    return order.status == OrderStatus.CANCELLED


def test_pickup_expiry_runs_at_each_beat_start_with_a_fresh_schedule(
    stack, fake_stripe
):
    store = shop()
    item = stocked(store, 10, price="30.00")
    stack.web(workers=1)
    stack.worker()
    runs = []
    for start in (1, 2):
        order = ready_pickup_past_its_window(
            stack, fake_stripe, store, item, f"late{start}@example.com"
        )
        stack.beat(stack.tmp / f"fresh-schedule-{start}", name=f"beat{start}")
        wait_for(lambda o=order: expired(o), timeout=90, what="the pickup expiry")
        runs.append(order.number)
        stack.kill(f"beat{start}")  # the container goes away

    log = stack.log("beat1") + stack.log("beat2")
    print(
        f"\nFAULT beat restart: 2 beat starts with a fresh schedule file, pickup "
        f"expiry sent {log.count('orders-expire-pickups')} times, reminders "
        f"{log.count('orders-pickup-reminders')} times; expired {runs}"
    )
    assert log.count("orders-expire-pickups") >= 2
    assert log.count("orders-pickup-reminders") >= 2
    assert Order.objects.filter(status=OrderStatus.CANCELLED).count() == 2
