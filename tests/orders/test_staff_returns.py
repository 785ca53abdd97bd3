"""The returns desk: finding what comes back in one box, taking it back with condition
and disposition per line, refunding once, overriding the window with a reason, shop
scoping, exchanges, and lists that cost a fixed number of queries."""

from decimal import Decimal

import pytest
from django.test import Client, override_settings
from django.urls import reverse

from omnistore.accounts.models import Role
from omnistore.approvals.models import Approval, ApprovalKind
from omnistore.staff.once import new_token
from orders.models import (
    Order,
    Payment,
    Refund,
    Return,
    ReturnDisposition,
    ReturnStatus,
    TillMovement,
    TillMovementKind,
)
from orders.services.refunds import (
    receive_and_refund_return,
    receive_return,
    return_at_counter,
)
from orders.services.returns import ReturnLineRequest, request_return
from tests.approvals.helpers import make_approver
from tests.customers.factories import make_customer
from tests.factories import LocationFactory, StaffFactory, UserFactory
from tests.orders.factories import on_hand, stocked
from tests.orders.returns_helpers import (
    collected_order,
    counter_sale,
    days_ago,
    shopper,
)
from tests.orders.till_helpers import open_counter_till

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def milano():
    return LocationFactory(code="MI01", name="Milano Centro")


@pytest.fixture
def torino():
    return LocationFactory(code="TO01", name="Torino Porta Nuova")


@pytest.fixture
def associate(torino):
    return StaffFactory(store=torino, first_name="Luca", last_name="Verdi")


@pytest.fixture
def desk(client, associate):
    client.force_login(associate)
    return client


@pytest.fixture
def online(milano):
    """An online order collected in Milano, with a return started on the website."""
    user, customer = shopper()
    shirt = stocked(milano, 5, price="40.00")
    order = collected_order(store=milano, lines=[(shirt, 2)], customer=customer)
    ret = request_return(
        order=order.number,
        customer=customer,
        channel="web",
        lines=[
            ReturnLineRequest(
                order.lines.get().pk, 1, "too_small", note="Tight on the shoulders"
            )
        ],
    )
    return {"order": order, "return": ret, "shirt": shirt, "customer": customer}


def test_the_nav_has_the_returns_desk(desk):
    page = desk.get(reverse("staff:dashboard")).content.decode()
    assert reverse("staff:returns_desk") in page


def test_a_return_code_opens_the_return_with_what_the_customer_said(desk, online):
    code = online["return"].code
    response = desk.get(reverse("staff:returns_desk"), {"q": code.lower()})
    assert response.status_code == 302
    assert response["Location"] == reverse("staff:return_detail", args=[code])

    page = desk.get(response["Location"]).content.decode()
    assert "Too small" in page
    assert "Tight on the shoulders" in page
    assert "as the customer told us online" in page
    assert "Receive at Torino Porta Nuova" in page


def test_a_scanned_return_qr_opens_the_return(desk, online):
    code = online["return"].code
    response = desk.get(
        reverse("staff:returns_desk"), {"q": f"OMNISTORE-RETURN:{code}"}
    )
    assert response["Location"] == reverse("staff:return_detail", args=[code])


def test_receive_and_refund_in_one_confirm_lands_stock_here(
    desk, online, milano, torino
):
    code = online["return"].code
    line = online["return"].lines.get()

    response = desk.post(
        reverse("staff:return_receive", args=[code]),
        {
            f"condition_{line.pk}": "sellable",
            f"disposition_{line.pk}": "",
            "refund_method": "original",
            "action": "refund",
        },
    )

    assert response.status_code == 302
    ret = Return.objects.get(code=code)
    assert ret.status == ReturnStatus.REFUNDED
    assert ret.receiving_location == torino
    assert on_hand(online["shirt"], torino) == 1
    assert on_hand(online["shirt"], milano) == 3
    assert Refund.objects.get().amount == Decimal("40.00")
    page = desk.get(response["Location"]).content.decode()
    assert "Refunded 40.00 EUR to card online." in page  # the tender it went back to


def test_receive_then_refund_in_two_steps_and_a_second_refund_pays_nothing(
    desk, online
):
    code = online["return"].code
    line = online["return"].lines.get()
    desk.post(
        reverse("staff:return_receive", args=[code]),
        {
            f"condition_{line.pk}": "damaged",
            "refund_method": "original",
            "action": "receive",
        },
    )
    ret = Return.objects.get(code=code)
    assert ret.status == ReturnStatus.RECEIVED
    assert ret.lines.get().disposition == ReturnDisposition.DAMAGED
    assert not Refund.objects.exists()

    for _ in range(2):  # a double tap
        response = desk.post(
            reverse("staff:return_refund", args=[code]),
            {"refund_method": "original"},
        )
        assert response.status_code == 302

    assert Refund.objects.count() == 1
    assert Return.objects.get(code=code).status == ReturnStatus.REFUNDED


def test_a_damaged_item_sent_to_stock_is_refused_with_the_form(desk, online):
    code = online["return"].code
    line = online["return"].lines.get()
    response = desk.post(
        reverse("staff:return_receive", args=[code]),
        {
            f"condition_{line.pk}": "damaged",
            f"disposition_{line.pk}": "restock",
            "refund_method": "original",
            "action": "refund",
        },
        **HTMX,
    )
    assert response.status_code == 422
    assert "cannot go back to sellable stock" in response.content.decode()
    assert Return.objects.get(code=code).status == ReturnStatus.REQUESTED


def test_an_order_number_starts_a_return_at_the_counter(desk, torino, milano):
    customer = make_customer(phone="+393331234567")
    shirt = stocked(milano, 5, price="40.00")
    belt = stocked(milano, 5, price="20.00")
    order = counter_sale(
        store=milano,
        lines=[(shirt, 1), (belt, 2)],
        staff=StaffFactory(store=milano),
        customer=customer,
    )
    response = desk.get(reverse("staff:returns_desk"), {"q": order.number.lower()})
    assert response["Location"] == reverse("staff:return_start", args=[order.number])
    lines = {line.variant_id: line for line in order.lines.all()}
    page = desk.get(response["Location"]).content.decode()
    assert "Receive and refund" in page

    response = desk.post(
        reverse("staff:return_start", args=[order.number]),
        {
            "once": new_token(),
            f"qty_{lines[shirt.pk].pk}": "0",
            f"qty_{lines[belt.pk].pk}": "2",
            f"reason_{lines[belt.pk].pk}": "not_as_described",
            f"condition_{lines[belt.pk].pk}": "sellable",
            f"condition_{lines[shirt.pk].pk}": "sellable",
            "refund_method": "store_credit",
            "action": "refund",
        },
    )

    assert response.status_code == 302
    ret = Return.objects.get()
    assert ret.started_channel == "store"
    assert ret.created_by is not None
    assert ret.refund_total == Decimal("40.00")
    customer.refresh_from_db()
    assert customer.store_credit_balance == Decimal("40.00")
    assert on_hand(belt, torino) == 2


def test_more_units_than_returnable_are_a_form_error(desk, online):
    order = online["order"]
    line = order.lines.get()  # 2 bought, 1 already on the online return
    response = desk.post(
        reverse("staff:return_start", args=[order.number]),
        {
            "once": new_token(),
            f"qty_{line.pk}": "2",
            f"reason_{line.pk}": "too_big",
            f"condition_{line.pk}": "sellable",
            "refund_method": "original",
        },
        **HTMX,
    )
    assert response.status_code == 422
    assert "At most 1 can be returned." in response.content.decode()
    assert Return.objects.count() == 1


def test_nothing_chosen_is_a_form_error(desk, online):
    order = online["order"]
    line = order.lines.get()
    response = desk.post(
        reverse("staff:return_start", args=[order.number]),
        {f"qty_{line.pk}": "0", "refund_method": "original", "once": new_token()},
    )
    assert response.status_code == 422
    assert "Choose at least one item to return" in response.content.decode()


@override_settings(OMNISTORE_RETURN_WINDOW_DAYS=30)
def test_outside_the_window_the_desk_asks_for_a_reason_and_a_manager(
    desk, milano, torino
):
    _, customer = shopper("late@example.com")
    shirt = stocked(milano, 5, price="40.00")
    order = collected_order(
        store=milano, lines=[(shirt, 1)], customer=customer, when=days_ago(40)
    )
    line = order.lines.get()
    form = {
        "once": new_token(),
        f"qty_{line.pk}": "1",
        f"reason_{line.pk}": "damaged",
        f"condition_{line.pk}": "damaged",
        "refund_method": "original",
        "action": "refund",
    }
    page = desk.get(reverse("staff:return_start", args=[order.number])).content
    assert b"accept only with a reason" in page

    refused = desk.post(reverse("staff:return_start", args=[order.number]), form)
    assert refused.status_code == 422
    assert "say why it is accepted anyway" in refused.content.decode()
    assert not Return.objects.exists()

    form["override_reason"] = "Zip broke after two weeks, manager ok"
    waiting = desk.post(reverse("staff:return_start", args=[order.number]), form)
    assert waiting.status_code == 202
    assert "A manager must approve" in waiting.content.decode()
    assert not Return.objects.exists()
    request = Approval.objects.get()
    assert (request.kind, request.reason, request.location) == (
        ApprovalKind.RETURN_OUTSIDE_WINDOW,
        "Zip broke after two weeks, manager ok",
        torino,
    )
    approver = make_approver(
        StaffFactory(
            store=torino,
            role=Role.STORE_MANAGER,
            first_name="Sara",
            last_name="Conti",
        )
    )
    manager = Client()
    manager.force_login(approver)
    manager.post(
        reverse("staff:approval_decide", args=[request.pk]), {"decision": "approve"}
    )
    form["approval"] = request.pk
    accepted = desk.post(reverse("staff:return_start", args=[order.number]), form)
    assert accepted.status_code == 302
    ret = Return.objects.get()
    assert ret.override_reason == "Zip broke after two weeks, manager ok"
    page = desk.get(accepted["Location"]).content.decode()
    assert (
        "Accepted outside the return window: Zip broke after two weeks, manager ok"
        " · approved by Sara Conti"
    ) in page


def test_a_return_without_a_receipt_names_the_approving_manager_in_its_history(
    desk, milano, torino
):
    customer = make_customer(email="slipless@example.com")
    shirt = stocked(milano, 5, price="40.00")
    order = counter_sale(
        store=milano,
        lines=[(shirt, 1)],
        staff=StaffFactory(store=milano),
        customer=customer,
    )
    line = order.lines.get()
    form = {
        "once": new_token(),
        f"qty_{line.pk}": "1",
        f"reason_{line.pk}": "too_small",
        "refund_method": "original",
        "action": "receive",
        "without_receipt": "on",
        "note": "Gift, no slip",
    }
    waiting = desk.post(reverse("staff:return_start", args=[order.number]), form)
    assert waiting.status_code == 202
    assert not Return.objects.exists()
    request = Approval.objects.get(kind=ApprovalKind.RETURN_WITHOUT_RECEIPT)
    manager = Client()
    manager.force_login(
        make_approver(
            StaffFactory(
                store=torino,
                role=Role.STORE_MANAGER,
                first_name="Sara",
                last_name="Conti",
            )
        )
    )
    manager.post(
        reverse("staff:approval_decide", args=[request.pk]), {"decision": "approve"}
    )
    form["approval"] = request.pk

    accepted = desk.post(reverse("staff:return_start", args=[order.number]), form)

    assert accepted.status_code == 302
    ret = Return.objects.get()
    assert ret.note == "Without a receipt. Gift, no slip"
    first = ret.history.order_by("at", "id").first()
    assert first.note == (
        "Started via Store · without a receipt · approved by Sara Conti"
    )
    page = desk.get(accepted["Location"]).content.decode()
    assert "without a receipt · approved by Sara Conti" in page


def test_customers_are_found_by_email_phone_in_any_format_and_card(desk, milano):
    customer = make_customer(
        email="Marta.Rossi@Example.com", phone="+393331234567", last_name="Rossi"
    )
    shirt = stocked(milano, 5)
    order = counter_sale(
        store=milano,
        lines=[(shirt, 1)],
        staff=StaffFactory(store=milano),
        customer=customer,
    )
    for query in (
        " marta.rossi@example.COM ",
        "333 123 4567",
        "0039 333 1234567",
        customer.loyalty_number,
    ):
        response = desk.get(reverse("staff:returns_desk"), {"q": query}, **HTMX)
        assert response.status_code == 200
        assert order.number in response.content.decode(), query


def test_a_return_received_at_another_shop_is_not_found_here(desk, online, milano):
    receive_return(
        return_request=online["return"],
        location=milano,
        actor=StaffFactory(store=milano),
    )
    code = online["return"].code
    assert desk.get(reverse("staff:return_detail", args=[code])).status_code == 404
    assert (
        desk.post(
            reverse("staff:return_refund", args=[code]), {"refund_method": "original"}
        ).status_code
        == 404
    )
    assert not Refund.objects.exists()


def test_cancelling_a_return_needs_a_reason(client, milano, online):
    client.force_login(StaffFactory(store=milano))
    code = online["return"].code
    refused = client.post(reverse("staff:return_cancel", args=[code]), {"reason": " "})
    assert refused.status_code == 422
    done = client.post(
        reverse("staff:return_cancel", args=[code]), {"reason": "Customer kept it"}
    )
    assert done.status_code == 302
    assert Return.objects.get(code=code).status == ReturnStatus.CANCELLED


def test_another_shops_desk_receives_an_online_return_but_cannot_call_it_off(
    desk, online
):
    """Torino's desk finds Milano's online return, to receive it if the customer
    turns up there; calling it off is for the order's shops."""
    code = online["return"].code
    cancel = reverse("staff:return_cancel", args=[code])
    page = desk.get(reverse("staff:return_detail", args=[code]))
    assert page.status_code == 200
    assert cancel not in page.content.decode()
    assert desk.post(cancel, {"reason": "not ours"}).status_code == 404
    assert Return.objects.get(code=code).status == ReturnStatus.REQUESTED


def test_any_desk_calls_off_an_online_return_of_a_delivery_from_a_warehouse(desk):
    """No shop took or fulfils a web delivery shipped from a warehouse: the desk
    where the customer says they keep the item calls its return off."""
    from orders.services.fulfilment import mark_delivered, mark_picked, ship_order
    from tests.orders.factories import delivery_order, warehouse

    user, customer = shopper()
    item = stocked(warehouse(), 3, price="40.00")
    order = delivery_order(lines=[(item, 1)], customer=customer)
    mark_picked(order=order)
    ship_order(order=order)
    mark_delivered(order=order)
    ret = request_return(
        order=order.number,
        customer=customer,
        channel="web",
        lines=[ReturnLineRequest(order.lines.get().pk, 1, "changed_mind")],
    )
    cancel = reverse("staff:return_cancel", args=[ret.code])
    page = desk.get(reverse("staff:return_detail", args=[ret.code]))
    assert cancel in page.content.decode()
    assert desk.post(cancel, {"reason": "Keeps it"}).status_code == 302
    assert Return.objects.get(code=ret.code).status == ReturnStatus.CANCELLED


def test_an_exchange_at_the_desk_rings_up_the_replacement(desk, torino, associate):
    customer = make_customer(phone="+393331234567")
    small = stocked(torino, 5, price="40.00", sku="TEE-S")
    large = stocked(torino, 5, price="45.00", sku="TEE-L")
    order = counter_sale(
        store=torino,
        lines=[(small, 1)],
        staff=StaffFactory(store=torino),
        customer=customer,
    )
    line = order.lines.get()
    till = open_counter_till(associate)

    url = reverse("staff:return_exchange", args=[order.number])
    data = {
        f"qty_{line.pk}": "1",
        f"reason_{line.pk}": "too_small",
        f"condition_{line.pk}": "sellable",
        "code_1": "TEE-L",
        "units_1": "1",
        "fulfilment": "carry_out",
        "tender": "cash",
        "once": new_token(),
    }
    review = desk.post(url, data)
    assert review.status_code == 200
    assert review.context["review"].balance == Decimal("5.00")
    assert not Order.objects.exclude(pk=order.pk).exists()  # nothing done yet

    response = desk.post(url, {**data, "confirm": review.context["review"].key})

    assert response.status_code == 302
    new_order = Order.objects.exclude(pk=order.pk).get()
    assert response["Location"] == reverse(
        "staff:sale_receipt", args=[new_order.number]
    )
    assert sorted(
        Payment.objects.filter(order=new_order).values_list("method", "amount")
    ) == [("cash", Decimal("5.00")), ("store_credit", Decimal("40.00"))]
    assert on_hand(small, torino) == 5 and on_hand(large, torino) == 4
    booked = TillMovement.objects.get(kind=TillMovementKind.SALE)
    assert (booked.session, booked.order, booked.amount) == (
        till,
        new_order,
        Decimal("5.00"),
    )


def test_the_customer_page_shows_returns_and_store_credit(desk, online):
    receive_and_refund_return(
        return_request=online["return"],
        location=online["order"].fulfilments.get().pickup_location,
        actor=UserFactory(role="hq", username="hq"),
        method="store_credit",
    )
    page = desk.get(
        reverse("staff:customer_detail", args=[online["customer"].pk])
    ).content.decode()
    assert online["return"].code in page
    assert "Store credit 40.00" in page


@pytest.mark.parametrize("count", [1, 6])
def test_the_desk_lists_waiting_returns_in_fixed_queries(
    desk, torino, associate, count, django_assert_max_num_queries
):
    customer = make_customer(phone="+393331234567")
    items = [stocked(torino, 50) for _ in range(2)]
    for index in range(count):
        order = counter_sale(  # a unit of the first item left to return
            store=torino,
            lines=[(items[0], 2), (items[1], 1)],
            staff=associate,
            customer=customer,
        )
        ret = request_return(
            order=order.number,
            lines=[
                ReturnLineRequest(line.pk, 1, "other") for line in order.lines.all()
            ],
            channel="store",
            actor=associate,
            location=torino,
        )
        if index % 2:
            receive_return(return_request=ret, location=torino, actor=associate)

    with django_assert_max_num_queries(6):
        response = desk.get(reverse("staff:returns_desk"))

    assert response.status_code == 200
    assert response.content.decode().count('data-code="R-') == count

    with django_assert_max_num_queries(10):
        response = desk.get(
            reverse("staff:returns_desk"), {"q": customer.loyalty_number}, **HTMX
        )
    assert response.content.decode().count("Start a return") == count


@pytest.mark.parametrize("lines", [1, 4])
def test_the_return_page_costs_a_fixed_number_of_queries(
    desk,
    torino,
    associate,
    lines,
    django_assert_max_num_queries,
    settings,
    tax_table_kept,
):
    settings.OMNISTORE_APPROVAL_REFUND_ABOVE = None  # the page's cost, not the limit
    customer = make_customer(phone="+393331234567")
    items = [stocked(torino, 5) for _ in range(lines)]
    order = counter_sale(
        store=torino, lines=[(i, 2) for i in items], staff=associate, customer=customer
    )
    ret = return_at_counter(
        order=order.number,
        lines=[ReturnLineRequest(line.pk, 1, "other") for line in order.lines.all()],
        location=torino,
        actor=associate,
    )
    with django_assert_max_num_queries(9):
        response = desk.get(reverse("staff:return_detail", args=[ret.code]))
    assert response.status_code == 200
    assert response.content.decode().count("Back to sellable stock") == lines

    with django_assert_max_num_queries(12):
        response = desk.get(reverse("staff:return_start", args=[order.number]))
    assert response.status_code == 200
    assert response.content.decode().count('class="qty-input"') == lines


def test_an_exchange_shows_both_sides_and_the_balance_before_it_completes(
    desk, torino, associate
):
    customer = make_customer(phone="+393331234568")
    open_counter_till(associate)  # a difference to pay in cash goes into it
    small = stocked(torino, 5, price="40.00", sku="TEE-S")
    stocked(torino, 5, price="30.00", sku="CAP-1")
    order = counter_sale(
        store=torino,
        lines=[(small, 1)],
        staff=StaffFactory(store=torino),
        customer=customer,
    )
    line = order.lines.get()
    url = reverse("staff:return_exchange", args=[order.number])
    data = {
        f"qty_{line.pk}": "1",
        f"reason_{line.pk}": "too_small",
        f"condition_{line.pk}": "sellable",
        "code_1": "CAP-1",
        "units_1": "1",
        "fulfilment": "carry_out",
        "tender": "cash",
        "once": new_token(),
    }

    review = desk.post(url, data)
    page = review.content.decode()
    assert review.status_code == 200
    assert "Returned value" in page and "40.00" in page and "30.00" in page
    assert "10.00" in page and "store credit" in page
    # A form changed after its review is reviewed again, not completed.
    changed = desk.post(
        url, {**data, "units_1": "2", "confirm": review.context["review"].key}
    )
    assert changed.status_code == 200 and "review" in changed.context
    assert not Order.objects.exclude(pk=order.pk).exists()
    assert on_hand(small, torino) == 4


def test_a_counter_return_sent_twice_opens_one_return(desk, milano, torino):
    """The same POST again (a double tap) takes nothing more back and refunds
    nothing more: one return, the stock and the money moved once."""
    _, customer = shopper("twice@example.com")
    shirt = stocked(milano, 5, price="40.00")
    order = collected_order(store=milano, lines=[(shirt, 2)], customer=customer)
    line = order.lines.get()
    form = {
        "once": new_token(),
        f"qty_{line.pk}": "1",
        f"reason_{line.pk}": "too_big",
        f"condition_{line.pk}": "sellable",
        "refund_method": "store_credit",
        "action": "refund",
    }
    url = reverse("staff:return_start", args=[order.number])
    page = desk.get(url).content.decode()
    assert 'name="once"' in page

    first = desk.post(url, form, **HTMX)
    again = desk.post(url, form, **HTMX)

    assert first.status_code == 200 and "HX-Redirect" in first
    assert again.status_code == 422
    assert "already recorded" in again.content.decode()
    assert Return.objects.count() == 1
    assert on_hand(shirt, torino) == 1
    customer.refresh_from_db()
    assert customer.store_credit_balance == Decimal("40.00")


def test_a_stale_receive_names_the_return_not_the_order(desk, online):
    """A second tablet sends the receive of a return already refunded: the refusal
    says what is refunded — the return, by its code."""
    code = online["return"].code
    line = online["return"].lines.get()
    form = {
        f"condition_{line.pk}": "sellable",
        f"disposition_{line.pk}": "",
        "refund_method": "original",
        "action": "refund",
    }
    desk.post(reverse("staff:return_receive", args=[code]), form)

    stale = desk.post(
        reverse("staff:return_receive", args=[code]),
        {**form, "action": "receive"},
        **HTMX,
    )

    page = stale.content.decode()
    assert f"Not possible now: Return {code} cannot go from refunded to received" in (
        page
    ), page
    assert "the order is" not in page
    assert Refund.objects.count() == 1
