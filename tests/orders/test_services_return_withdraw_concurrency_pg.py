"""Real threads, real connections: a customer withdrawing a return while a shop
receives it. The return's row lock decides: it ends either cancelled or received,
never both, with one status change out of ``requested``."""

import pytest

from omnistore.core.exceptions import Conflict
from orders.models import Return, ReturnStatus
from orders.services.refunds import receive_return
from orders.services.return_endings import withdraw_return
from orders.services.returns import ReturnLineRequest, request_return
from tests.concurrency import run_parallel
from tests.factories import StaffFactory
from tests.orders.factories import shop, stocked
from tests.orders.returns_helpers import collected_order, shopper

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_a_return_withdrawn_while_a_shop_receives_it_ends_one_way_only():
    store = shop()
    user, customer = shopper()
    order = collected_order(
        store=store, lines=[(stocked(store, 5, price="20.00"), 1)], customer=customer
    )
    ret = request_return(
        order=order.number,
        customer=customer,
        channel="web",
        actor=user,
        lines=[ReturnLineRequest(order.lines.get().pk, 1, "too_big")],
    )
    associate = StaffFactory(store=store)

    results = run_parallel(
        [
            lambda: withdraw_return(
                code=ret.code, customer=customer, actor=user, channel="web"
            ),
            lambda: withdraw_return(
                code=ret.code, customer=customer, actor=user, channel="web"
            ),
            lambda: receive_return(
                return_request=ret.code, location=store, actor=associate
            ),
        ]
    )

    done = [r for r in results if isinstance(r, Return)]
    refused = [r for r in results if isinstance(r, Conflict)]
    assert len(done) == 1 and len(refused) == 2, results
    final = Return.objects.get(pk=ret.pk)
    assert final.status in {ReturnStatus.CANCELLED, ReturnStatus.RECEIVED}
    moves = final.history.filter(from_status=ReturnStatus.REQUESTED)
    assert moves.count() == 1
    assert moves.get().to_status == final.status
