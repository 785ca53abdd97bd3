"""The order list's admin action "Mark delivered": managers and HQ mark shipped
deliveries of their shops delivered (with who and why, in each order's history, as
its customer reads it: staff by first name and initial), once a page listing the
orders it marks is confirmed; the confirming post marks only those, and the list
then says how many moved and which were left as they are and why; another shop's
order is out of reach."""

from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.contrib.messages import get_messages
from django.urls import reverse

from omnistore.accounts.models import Role
from orders.models import OrderStatus
from orders.services.fulfilment import mark_delivered, mark_picked, ship_order
from tests.factories import LocationFactory, UserFactory, stock
from tests.orders.factories import delivery_order, variant
from tests.orders.returns_helpers import counter_sale

pytestmark = pytest.mark.django_db

ORDERS = reverse("admin:orders_order_changelist")
DELIVER = {"action": "deliver_orders", "confirm": "yes"}  # as the page posts it


def sending_shop(code: str, name: str):
    return LocationFactory(
        code=code,
        name=name,
        latitude=Decimal("45.464200"),
        longitude=Decimal("9.190000"),
        ships_online_orders=True,
    )


@pytest.fixture
def shop():
    return sending_shop("MI01", "Milano Centro")


def order_from(shop, *, picked=True, shipped=True):
    item = variant("60.00")
    stock(item, shop, 2)
    order = delivery_order(lines=[(item, 1)])
    if picked:
        mark_picked(order=order)
    if shipped:
        ship_order(order=order)
    return order


def status(order) -> str:
    order.refresh_from_db()
    return order.status


def offered(client) -> set[str]:
    form = client.get(ORDERS).context["action_form"]
    return set() if form is None else {v for v, _ in form.fields["action"].choices}


def test_a_manager_marks_their_shops_shipped_orders_delivered(client, shop):
    manager = UserFactory(
        username="marco",
        first_name="Marco",
        last_name="Rinaldi",
        role=Role.STORE_MANAGER,
        store=shop,
    )
    shipped = order_from(shop)
    picked = order_from(shop, shipped=False)
    done = order_from(shop)
    mark_delivered(order=done)
    client.force_login(manager)
    assert "deliver_orders" in offered(client)

    response = client.post(
        ORDERS,
        {
            "action": "deliver_orders",
            "_selected_action": [shipped.pk, picked.pk, done.pk],
            "confirm": "yes",
        },
        follow=True,
    )

    assert response.status_code == 200
    said = [str(m) for m in response.context["messages"]]
    assert f"Marked 1 order delivered: {shipped.number}." in said[0]
    assert said[1] == (
        f"Left as they are (2): {picked.number}: picked, not a shipped delivery; "
        f"{done.number}: delivered, not a shipped delivery."
    )
    assert [status(shipped), status(picked)] == [
        OrderStatus.DELIVERED,
        OrderStatus.PICKED,
    ]
    step = shipped.history.get(to_status=OrderStatus.DELIVERED)
    assert step.actor == manager
    assert step.note == "Marked delivered in the back office by Marco R."


def test_another_shops_order_is_out_of_a_managers_reach(client, shop):
    theirs = order_from(sending_shop("RM01", "Roma Termini"))
    client.force_login(
        UserFactory(username="marco", role=Role.STORE_MANAGER, store=shop)
    )

    client.post(ORDERS, {**DELIVER, "_selected_action": [theirs.pk]})

    assert status(theirs) == OrderStatus.SHIPPED


def test_hq_marks_any_shops_order_delivered(client, shop):
    order = order_from(shop)
    client.force_login(UserFactory(username="hq", first_name="", role=Role.HQ))

    client.post(ORDERS, {**DELIVER, "_selected_action": [order.pk]})

    assert status(order) == OrderStatus.DELIVERED
    step = order.history.get(to_status=OrderStatus.DELIVERED)
    assert step.note == "Marked delivered in the back office by a member of staff"


def test_who_may_only_look_is_not_offered_it(client, shop):
    order = order_from(shop)
    viewer = UserFactory(username="viewer", is_staff=True)
    viewer.shops.add(shop)
    viewer.user_permissions.add(Permission.objects.get(codename="view_order"))
    client.force_login(viewer)

    assert "deliver_orders" not in offered(client)
    client.post(ORDERS, {**DELIVER, "_selected_action": [order.pk]})
    assert status(order) == OrderStatus.SHIPPED


def test_the_action_first_lists_what_it_marks_and_changes_nothing(client, shop):
    """Chosen on the list, the action draws a page: the shipped deliveries it marks,
    what that does, the selected orders it leaves and why; another shop's order is
    neither listed nor posted back. Only the page's confirming post marks them."""
    shipped = order_from(shop)
    picked = order_from(shop, shipped=False)
    theirs = order_from(sending_shop("RM01", "Roma Termini"))
    manager = UserFactory(username="marco", role=Role.STORE_MANAGER, store=shop)
    client.force_login(manager)
    chosen = {
        "action": "deliver_orders",
        "_selected_action": [shipped.pk, picked.pk, theirs.pk],
    }

    page = client.post(ORDERS, chosen)

    assert page.status_code == 200
    assert [row[0] for row in page.context["rows"]] == [shipped.number]
    assert page.context["left"] == [(picked.number, "picked, not a shipped delivery")]
    assert sorted(page.context["selected"]) == [shipped.pk, picked.pk]
    text = page.content.decode()
    assert "its return window starts today" in text
    assert "This cannot be undone." in text
    assert theirs.number not in text
    assert [status(shipped), status(picked), status(theirs)] == [
        OrderStatus.SHIPPED,
        OrderStatus.PICKED,
        OrderStatus.SHIPPED,
    ]
    assert not shipped.history.filter(to_status=OrderStatus.DELIVERED).exists()

    client.post(ORDERS, {**chosen, "confirm": "yes"})

    assert [status(shipped), status(picked), status(theirs)] == [
        OrderStatus.DELIVERED,
        OrderStatus.PICKED,
        OrderStatus.SHIPPED,
    ]
    assert shipped.history.get(to_status=OrderStatus.DELIVERED).actor == manager


def test_with_nothing_to_mark_no_page_asks(client, shop):
    picked = order_from(shop, shipped=False)
    client.force_login(UserFactory(username="hq", role=Role.HQ))

    response = client.post(
        ORDERS, {"action": "deliver_orders", "_selected_action": [picked.pk]}
    )

    assert response.status_code == 302
    said = [str(m) for m in get_messages(response.wsgi_request)]
    assert said == [
        "None of these orders can be marked delivered "
        f"({picked.number}: picked, not a shipped delivery)."
    ]
    assert status(picked) == OrderStatus.PICKED


def test_confirming_marks_only_what_the_page_listed_and_says_the_rest_is_left(
    client, shop
):
    """A shipped delivery and a counter sale (completed) chosen together: the page
    marks the first and leaves the second; confirming it marks the first only and
    says the second was left, as the page said, not that it failed."""
    manager = UserFactory(username="marco", role=Role.STORE_MANAGER, store=shop)
    shipped = order_from(shop)
    item = variant("30.00")
    stock(item, shop, 1)
    sale = counter_sale(store=shop, lines=[(item, 1)], staff=manager)
    assert sale.status == OrderStatus.COMPLETED
    client.force_login(manager)
    chosen = {"action": "deliver_orders", "_selected_action": [shipped.pk, sale.pk]}

    page = client.post(ORDERS, chosen)

    assert [row[0] for row in page.context["rows"]] == [shipped.number]
    assert page.context["left"] == [(sale.number, "completed, not a shipped delivery")]

    done = client.post(ORDERS, {**chosen, "confirm": "yes"}, follow=True)

    said = [(m.level_tag, str(m)) for m in done.context["messages"]]
    assert said == [
        ("success", f"Marked 1 order delivered: {shipped.number}."),
        (
            "info",
            f"Left as they are (1): {sale.number}: completed, not a shipped delivery.",
        ),
    ]
    assert [status(shipped), status(sale)] == [
        OrderStatus.DELIVERED,
        OrderStatus.COMPLETED,
    ]
    assert not sale.history.filter(note__startswith="Marked delivered").exists()
