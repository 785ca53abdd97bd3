"""On a tablet, Back to an address a search or a tab put in the address bar shows the
whole page again; a button pressed after the session ended opens the login page, and
signing in there leads back to the page the associate was on."""

import time
from importlib import import_module

import pytest
from django.conf import settings
from django.utils import timezone
from playwright.sync_api import expect

from customers.models import ClientTask
from customers.services.tasks import complete_task
from omnistore.staff.sessions import SEEN_AT
from tests.browser.scanning_helpers import SCAN, make_shop, sign_in
from tests.customers.factories import make_customer

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TABLET = {"width": 768, "height": 1024}


def a_whole_page(page) -> bool:
    return page.evaluate(
        "!!document.querySelector('header.top') && "
        "!!document.querySelector('nav.main') && document.styleSheets.length > 0"
    )


def test_back_after_a_search_shows_the_whole_page(live_server, page):
    _, associate, items = make_shop(3)
    sign_in(page, live_server, associate)
    page.set_viewport_size(TABLET)
    page.goto(f"{live_server.url}/staff/stock/")

    page.get_by_label("Name, SKU or barcode").fill("Item")  # live results
    expect(page).to_have_url(f"{live_server.url}/staff/stock/?q=Item")
    results = page.get_by_test_id("lookup-results")
    expect(results).to_contain_text("ITEM-2")
    results.get_by_role("link", name="Item 2").click()
    expect(page.get_by_test_id("variant-sku")).to_have_text("ITEM-2")

    page.go_back()
    expect(page).to_have_url(f"{live_server.url}/staff/stock/?q=Item")
    expect(page.locator("nav.main")).to_be_visible()
    expect(page).to_have_title("Stock lookup · Omnistore staff")
    expect(page.get_by_test_id("lookup-results")).to_contain_text("ITEM-2")
    assert a_whole_page(page)


def test_back_to_a_tab_shows_it_as_it_is_now_and_whole(live_server, page):
    shop, associate, _ = make_shop(1)
    task = ClientTask.objects.create(
        kind="manual",
        customer=make_customer(first_name="Paola", email="paola@example.com"),
        assignee=associate,
        shop=shop,
        title="Call Paola",
        due_on=timezone.localdate(),
    )
    sign_in(page, live_server, associate)
    page.set_viewport_size(TABLET)
    page.goto(f"{live_server.url}/staff/clients/tasks/")
    done_tab = f"{live_server.url}/staff/clients/tasks/?scope=mine&status=done"
    page.get_by_test_id("status-done").click()
    expect(page).to_have_url(done_tab)
    expect(page.get_by_test_id("no-tasks")).to_be_visible()
    page.get_by_test_id("status-open").click()
    expect(page.get_by_test_id("task")).to_contain_text("Call Paola")
    complete_task(task=task, actor=associate)  # on another tablet

    page.go_back()  # the Done tab as it is now, not as it was left
    expect(page).to_have_url(done_tab)
    expect(page.get_by_test_id("done-badge")).to_be_visible()
    assert a_whole_page(page)

    page.get_by_test_id("task").get_by_role("link", name="Paola").click()
    expect(page.locator("h1")).to_contain_text("Paola")
    page.go_back()
    expect(page).to_have_url(done_tab)
    expect(page.get_by_test_id("done-badge")).to_be_visible()
    assert a_whole_page(page)


def end_the_session(page) -> None:
    """What the idle limit finds on the next request: no request for too long."""
    key = next(
        c["value"]
        for c in page.context.cookies()
        if c["name"] == settings.SESSION_COOKIE_NAME
    )
    session = import_module(settings.SESSION_ENGINE).SessionStore(session_key=key)
    session[SEEN_AT] = time.time() - settings.OMNISTORE_STAFF_IDLE_MINUTES * 60 - 5
    session.save()


def test_a_button_after_the_session_ended_signs_in_again_and_comes_back(
    live_server, page
):
    _, associate, items = make_shop(1)
    sign_in(page, live_server, associate)
    page.set_viewport_size({"width": 1024, "height": 768})
    page.goto(f"{live_server.url}/staff/orders/sale/?mode=pickup")
    page.wait_for_load_state("networkidle")  # the page's own requests are answered
    end_the_session(page)

    page.get_by_label(SCAN).fill("ITEM-1")
    page.keyboard.press("Enter")

    # The whole tab goes to the login page, which says why.
    expect(page).to_have_url(
        f"{live_server.url}/staff/login/?next=/staff/orders/sale/%3Fmode%3Dpickup"
    )
    expect(page.locator("header.top")).to_have_count(0)
    expect(page.locator("main.login")).to_contain_text("Your session has ended")
    page.fill("#id_username", associate.username)
    page.fill("#id_password", "pass-1234")
    page.click("button[type=submit]")

    expect(page).to_have_url(f"{live_server.url}/staff/orders/sale/?mode=pickup")
    page.get_by_label(SCAN).fill("ITEM-1")
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("basket").get_by_test_id("qty-ITEM-1")).to_have_text("1")
