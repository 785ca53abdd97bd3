"""The manager's day lists each of today's returns under who handled it at the shop
(the last to receive or refund it, from its history), not "online" because the
customer started it on the website; one nobody at a shop has handled yet shows who
started it. The page keeps its number of queries."""

import pytest
from django.urls import reverse

from omnistore.accounts.models import Role
from orders.services.refunds import (
    receive_and_refund_return,
    receive_return,
    refund_return,
)
from orders.services.returns import request_return
from tests.approvals.helpers import make_approver
from tests.factories import StaffFactory
from tests.orders.factories import shop, stocked
from tests.orders.returns_helpers import collected_order, line_request, shopper

pytestmark = pytest.mark.django_db


@pytest.fixture
def milano():
    return shop(code="MI01", name="Milano Centro")


@pytest.fixture
def manager(client, milano):
    client.force_login(
        make_approver(StaffFactory(store=milano, role=Role.STORE_MANAGER))
    )
    return client


def staff(store, first, last):
    return StaffFactory(store=store, first_name=first, last_name=last)


def started_online(store, email):
    """A return the customer started on the website, of an order collected at
    ``store``."""
    _, customer = shopper(email=email)
    order = collected_order(
        store=store, lines=[(stocked(store, 3, price="60.00"), 1)], customer=customer
    )
    return request_return(
        order=order.number,
        customer=customer,
        channel="web",
        lines=[line_request(order)],
    )


def by_column(page) -> dict[str, str]:
    """Return code → who the returns today are under ("online": no one)."""
    return {
        r.code: r.handled_by.display_name if r.handled_by else "online"
        for r in page.context["returns"]
    }


def by_cell(html: str, code: str) -> str:
    """The "By" cell of the row of return ``code``."""
    table = html.split('data-testid="returns-today"')[1].split("</table>")[0]
    row = table.split(f">{code}</a>")[1].split("</tr>")[0]
    return row.split("<td>")[-2].split("</td>")[0]


def test_a_return_started_online_is_credited_to_who_handled_it_at_the_shop(
    manager, milano, django_assert_num_queries
):
    luca, giulia = staff(milano, "Luca", "Neri"), staff(milano, "Giulia", "Bianchi")
    refunded = receive_and_refund_return(
        return_request=started_online(milano, "ada@example.com"),
        location=milano,
        actor=luca,
    )
    two_hands = receive_return(
        return_request=started_online(milano, "bea@example.com"),
        location=milano,
        actor=luca,
    )
    refund_return(return_request=two_hands, actor=giulia, location=milano)
    by_a_task = receive_return(
        return_request=started_online(milano, "cloe@example.com"),
        location=milano,
        actor=None,
    )
    manager.get(
        reverse("staff:manager_day")
    )  # a session's first request notes its time

    with django_assert_num_queries(13):  # as any day (test_staff_manager)
        page = manager.get(reverse("staff:manager_day"))

    assert by_column(page) == {
        refunded.code: "Luca Neri",
        two_hands.code: "Giulia Bianchi",  # refunded last
        by_a_task.code: "online",  # no one at the shop yet, started online
    }
    html = page.content.decode()
    assert by_cell(html, refunded.code) == "Luca Neri"
    assert by_cell(html, two_hands.code) == "Giulia Bianchi"
    assert by_cell(html, by_a_task.code) == "online"
