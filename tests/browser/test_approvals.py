"""A manager's approval on the shop floor, in the browser: an associate's refund above
the limit waits for the manager's PIN on the same tablet and completes with it; five
wrong PINs lock it with a message; the manager approves from their own device (a
second browser) and the associate's screen carries on by itself."""

from pathlib import Path

import pytest
from playwright.sync_api import expect

from omnistore.accounts.models import Role
from omnistore.approvals.models import Approval, ApprovalStatus
from orders.models import Return, ReturnStatus
from tests.approvals.helpers import make_approver
from tests.factories import LocationFactory, ProductFactory, StaffFactory
from tests.orders.factories import stocked
from tests.orders.returns_helpers import counter_sale

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.fixture
def big_sale():
    milano = LocationFactory(code="MI01", name="Milano Centro")
    giulia = StaffFactory(
        username="giulia", first_name="Giulia", last_name="Bianchi", store=milano
    )
    make_approver(
        StaffFactory(
            username="marco",
            first_name="Marco",
            last_name="Rossi",
            role=Role.STORE_MANAGER,
            store=milano,
        ),
        pin="2468",
    )
    coat = stocked(
        milano,
        3,
        price="240.00",
        sku="COAT-NAVY-M",
        product=ProductFactory(name="Wool coat"),
    )
    return counter_sale(store=milano, lines=[(coat, 1)], staff=giulia)


def sign_in(page, base, username):
    page.set_viewport_size({"width": 1024, "height": 768})
    page.goto(f"{base}/staff/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", "pass-1234")
    page.click("button[type=submit]")
    expect(page.locator("nav.main")).to_be_visible()


def ask_for_refund(page, base, order):
    sign_in(page, base, "giulia")
    page.goto(f"{base}/staff/orders/returns/order/{order.number}/")
    page.get_by_label("Units of COAT-NAVY-M to return").fill("1")
    page.get_by_label("Reason for COAT-NAVY-M").select_option("too_small")
    page.get_by_test_id("receive-and-refund").click()
    ask = page.get_by_test_id("approval-ask")
    expect(ask).to_contain_text("A manager must approve this")
    expect(ask).to_contain_text(f"Refund 240.00 EUR on order {order.number}")
    return ask


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_big_refund_waits_for_the_managers_pin_then_completes(
    live_server, page, big_sale
):
    ARTIFACTS.mkdir(exist_ok=True)
    ask = ask_for_refund(page, live_server.url, big_sale)
    assert not Return.objects.exists()
    ask.get_by_test_id("pin-manager").select_option(label="Marco Rossi (marco)")
    ask.get_by_test_id("pin-input").fill("2468")
    page.screenshot(path=str(ARTIFACTS / "approval-pin.png"), full_page=True)
    ask.get_by_test_id("pin-approve").click()

    expect(page.get_by_test_id("return-status")).to_have_text("Refunded")
    expect(page.get_by_test_id("refunded")).to_contain_text("Refunded 240.00 EUR")
    page.screenshot(path=str(ARTIFACTS / "approval-pin-refunded.png"), full_page=True)
    assert Return.objects.get().status == ReturnStatus.REFUNDED
    approval = Approval.objects.get()
    assert (approval.status, approval.channel) == (ApprovalStatus.USED, "pin")
    assert approval.decided_by.username == "marco"


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_five_wrong_pins_lock_it_with_a_message(live_server, page, big_sale):
    ARTIFACTS.mkdir(exist_ok=True)
    ask = ask_for_refund(page, live_server.url, big_sale)
    for attempt in range(1, 6):
        ask.get_by_test_id("pin-manager").select_option(label="Marco Rossi (marco)")
        ask.get_by_test_id("pin-input").fill("1111")
        ask.get_by_test_id("pin-approve").click()
        error = ask.get_by_test_id("pin-error")
        if attempt < 5:
            expect(error).to_contain_text(f"{5 - attempt} tr")
    expect(error).to_contain_text("Too many wrong PINs")
    expect(error).to_contain_text("Marco Rossi's PIN is locked until")
    page.screenshot(path=str(ARTIFACTS / "approval-pin-locked.png"), full_page=True)

    ask.get_by_test_id("pin-manager").select_option(label="Marco Rossi (marco)")
    ask.get_by_test_id("pin-input").fill("2468")  # the right PIN, now locked
    ask.get_by_test_id("pin-approve").click()
    expect(ask.get_by_test_id("pin-error")).to_contain_text("locked until")
    assert Approval.objects.get().status == ApprovalStatus.PENDING
    assert not Return.objects.exists()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_manager_approves_from_their_own_device(
    live_server, browser, page, big_sale
):
    ARTIFACTS.mkdir(exist_ok=True)
    ask_for_refund(page, live_server.url, big_sale)
    expect(page.get_by_test_id("approval-status")).to_contain_text("Waiting")

    manager_context = browser.new_context()
    try:
        tablet = manager_context.new_page()
        sign_in(tablet, live_server.url, "marco")
        tablet.click("nav.main >> text=Approvals")
        row = tablet.get_by_test_id("queue-row")
        expect(row).to_contain_text(f"Refund 240.00 EUR on order {big_sale.number}")
        expect(row).to_contain_text("Giulia Bianchi")
        tablet.screenshot(path=str(ARTIFACTS / "approval-queue.png"), full_page=True)
        row.get_by_test_id("approve").click()
        expect(tablet.get_by_test_id("queue-empty")).to_be_visible()
        expect(tablet.get_by_test_id("decided")).to_contain_text("Approved and done")
    finally:
        manager_context.close()

    # The associate's screen polls, sees the yes and sends the refund again.
    expect(page.get_by_test_id("return-status")).to_have_text("Refunded")
    page.screenshot(path=str(ARTIFACTS / "approval-queue-refunded.png"), full_page=True)
    approval = Approval.objects.get()
    assert (approval.status, approval.channel) == (ApprovalStatus.USED, "queue")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_manager_page_shows_the_day_with_charts(live_server, page, big_sale):
    ARTIFACTS.mkdir(exist_ok=True)
    shop = big_sale.placing_location
    giulia = big_sale.staff_member
    for price in ("45.00", "120.00"):
        counter_sale(
            store=shop, lines=[(stocked(shop, 2, price=price), 1)], staff=giulia
        )
    low = stocked(shop, 1, sku="SCARF-RED", product=ProductFactory(name="Scarf"))
    low.stock_levels.filter(location=shop).update(safety_stock=3)
    sign_in(page, live_server.url, "marco")
    page.click("nav.main >> text=Manager")
    day = page.get_by_test_id("manager-day")
    expect(day).to_contain_text("Today at Milano Centro")
    expect(page.get_by_test_id("kpi-revenue")).to_contain_text("405.00")
    expect(page.get_by_test_id("by-associate")).to_contain_text("Giulia Bianchi")
    expect(page.get_by_test_id("stock-alerts")).to_contain_text("SCARF-RED")
    expect(page.locator("svg.report-chart, figure.report-chart svg")).to_have_count(2)
    page.screenshot(path=str(ARTIFACTS / "manager-day.png"), full_page=True)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_withdrawing_the_request_closes_the_panel_and_leads_back(
    live_server, page, big_sale
):
    ask = ask_for_refund(page, live_server.url, big_sale)
    behind = page.url
    ask.get_by_test_id("approval-cancel").click()
    expect(page.get_by_test_id("approval-status")).to_contain_text(
        "You withdrew the request; nothing was changed."
    )
    expect(page.get_by_test_id("pin-input")).to_have_count(0)
    expect(page.get_by_test_id("approval-cancel")).to_have_count(0)
    page.get_by_test_id("approval-back").click()
    page.wait_for_url(behind)
    expect(page.get_by_test_id("approval-ask")).to_have_count(0)
    expect(page.get_by_test_id("receive-and-refund")).to_be_visible()
    assert Approval.objects.get().status == ApprovalStatus.WITHDRAWN
    assert not Return.objects.exists()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_request_left_behind_is_shown_again_and_withdrawn(
    live_server, page, big_sale
):
    """The associate left the page while the manager had not answered: back on the
    return, the request is there, and withdrawing it takes it out of the queue."""
    ask_for_refund(page, live_server.url, big_sale)
    page.goto(f"{live_server.url}/staff/orders/returns/order/{big_sale.number}/")
    mine = page.get_by_test_id("my-approval")
    expect(mine).to_contain_text(f"Refund 240.00 EUR on order {big_sale.number}")
    page.get_by_test_id("approval-withdraw").click()
    expect(page.get_by_test_id("approval-withdrawn")).to_be_visible()
    expect(page.get_by_test_id("my-approval")).to_have_count(0)
    assert Approval.objects.get().status == ApprovalStatus.WITHDRAWN
    assert not Return.objects.exists()
