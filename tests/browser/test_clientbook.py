"""The client book in a browser: an associate takes a client from the 360° page, adds
a task, and finds them in "My clients" with what is new; a store manager works the
team's tasks (done, snooze, reassign) without leaving the page."""

import datetime as dt
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from customers.models import Channel, ClientTask, TaskStatus
from customers.services.clientbook import assign_associate
from customers.services.profiles import update_profile
from customers.services.wishlists import add_wishlist_item
from tests.customers.clientbook_people import client as new_client
from tests.customers.clientbook_people import people, purchase
from tests.factories import VariantFactory, earlier_today

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
PASSWORD = "pass-1234"


def sign_in(page, live_server, username):
    page.goto(f"{live_server.url}/staff/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    expect(page.get_by_test_id("current-store")).to_be_visible()


def shot(page, name):
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_an_associate_takes_a_client_and_sees_them_in_my_clients(live_server, page):
    team = people()
    now = timezone.now()
    martina = new_client(first_name="Martina", last_name="Ferrari")
    purchase(
        martina,
        when=earlier_today(dt.timedelta(hours=1), now),
        location=team.brera,
        number="S000101",
    )
    add_wishlist_item(
        customer=martina,
        variant=VariantFactory(product__name="Wool coat", size="40"),
        channel=Channel.WEB,
    )
    update_profile(
        customer=martina,
        birthday=(timezone.localdate() + dt.timedelta(days=4)).replace(year=1992),
    )
    elena = new_client(first_name="Elena", last_name="Conti")
    assign_associate(customer=elena, associate=team.anna, actor=team.anna)
    purchase(elena, when=now - dt.timedelta(days=300), number="W000050")
    page.set_viewport_size({"width": 1024, "height": 768})
    try:
        sign_in(page, live_server, "anna")
        page.goto(f"{live_server.url}/staff/customers/{martina.pk}/")
        panel = page.get_by_test_id("client-panel")
        expect(panel).to_contain_text("No associate yet.")
        panel.get_by_test_id("take-client").click()
        expect(page.get_by_test_id("assigned-associate")).to_contain_text(
            "Client of Anna Verdi · Brera"
        )
        expect(page.get_by_test_id("release-client")).to_be_visible()

        panel = page.get_by_test_id("client-panel")
        panel.get_by_label("Task").fill("Call when the coat comes in 40")
        panel.get_by_test_id("add-task").click()
        expect(page.get_by_test_id("customer-tasks")).to_contain_text(
            "Call when the coat comes in 40"
        )
        page.get_by_test_id("client-panel").scroll_into_view_if_needed()
        shot(page, "clientbook-360-panel")

        page.click("nav.main >> text=Clients")
        expect(page.get_by_test_id("clientbook-title")).to_have_text("My clients")
        cards = page.get_by_test_id("client")
        expect(cards).to_have_count(2)
        card = cards.filter(has_text="Martina Ferrari")
        expect(card.get_by_test_id("in-shop")).to_be_visible()
        expect(card.get_by_test_id("birthday")).to_be_visible()
        expect(card.get_by_test_id("purchases")).to_contain_text("Order S000101")
        expect(card.get_by_test_id("wishlist-news")).to_contain_text("Wool coat")
        expect(card.get_by_test_id("open-tasks")).to_have_text("1 open task")
        expect(
            cards.filter(has_text="Elena Conti").get_by_test_id("lapsed")
        ).to_be_visible()
        shot(page, "clientbook-my-clients")

        page.get_by_test_id("tab-lapsed").click()
        expect(page.get_by_test_id("client")).to_have_count(1)
        expect(page.get_by_test_id("client")).to_contain_text("Elena Conti")
        assert page.url.endswith("?tab=lapsed")
        shot(page, "clientbook-lapsed-tab")
    except Exception:
        shot(page, "clientbook-failure")
        raise


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_store_manager_works_the_teams_tasks(live_server, page):
    team = people()
    today = timezone.localdate()

    def task(who, title, **kwargs):
        return ClientTask.objects.create(
            customer=new_client(first_name=title.split()[0], last_name="Rossi"),
            assignee=who,
            shop=who.store,
            title=title,
            due_on=kwargs.pop("due_on", today),
            kind=kwargs.pop("kind", "manual"),
            **kwargs,
        )

    done = task(team.anna, "Paola follow-up on order W000201", kind="follow_up")
    snoozed = task(team.anna, "Sofia birthday on Friday", kind="birthday")
    moved = task(
        team.bruno,
        "Luisa back in stock: Wool coat 40",
        kind="restock",
        due_on=today - dt.timedelta(days=2),
    )
    task(team.carla, "Rita in Roma, not this team")
    page.set_viewport_size({"width": 1024, "height": 768})
    try:
        sign_in(page, live_server, "marta")
        expect(page.get_by_test_id("team-open-tasks")).to_have_text("3")
        page.get_by_role("link", name="Open the tasks").click()
        rows = page.get_by_test_id("task")
        expect(rows).to_have_count(3)
        expect(page.get_by_test_id("task-table")).not_to_contain_text("Rita in Roma")
        shot(page, "clientbook-team-tasks")

        row = page.locator(f"#task-{done.pk}")
        row.get_by_test_id("task-done").click()
        expect(
            page.locator(f"#task-{done.pk}").get_by_test_id("done-badge")
        ).to_be_visible()

        row = page.locator(f"#task-{snoozed.pk}")
        row.get_by_test_id("snooze-until").fill(
            (today + dt.timedelta(days=3)).isoformat()
        )
        row.get_by_test_id("task-snooze").click()
        expect(page.locator(f"#task-{snoozed.pk}")).to_have_attribute(
            "data-status", "snoozed"
        )

        row = page.locator(f"#task-{moved.pk}")
        row.get_by_test_id("reassign-to").select_option(label="Anna Verdi")
        row.get_by_test_id("task-reassign").click()
        expect(
            page.locator(f"#task-{moved.pk}").get_by_test_id("assignee")
        ).to_have_text("Anna Verdi")
        shot(page, "clientbook-team-tasks-after")

        assert ClientTask.objects.get(pk=done.pk).status == TaskStatus.DONE
        assert ClientTask.objects.get(
            pk=snoozed.pk
        ).snoozed_until == today + dt.timedelta(days=3)
        assert ClientTask.objects.get(pk=moved.pk).assignee == team.anna

        page.get_by_test_id("status-done").click()
        expect(page.get_by_test_id("task")).to_have_count(1)
        expect(page.get_by_test_id("task")).to_contain_text("Paola follow-up")
    except Exception:
        shot(page, "clientbook-tasks-failure")
        raise
