"""Client tasks: made once per occurrence from birthdays, purchases and restocks, or
by hand; done, snoozed and reassigned only by whom the rules allow, every change on
record."""

import datetime as dt

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from customers.models import (
    Channel,
    ClientTask,
    ClientTaskChange,
    CustomerEvent,
    TaskKind,
    TaskStatus,
)
from customers.services.clientbook import assign_associate
from customers.services.erasure import erase_customer
from customers.services.tasks import (
    complete_task,
    create_manual_task,
    generate_client_tasks,
    open_restock_tasks,
    reassign_task,
    snooze_task,
)
from customers.services.wishlists import add_wishlist_item
from omnistore.core.exceptions import Conflict, NotFound, ValidationFailed
from tests.customers.clientbook_people import cancellation, client, people, purchase
from tests.factories import VariantFactory

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 3, 10)


@pytest.fixture
def team():
    return people()


def at(day: dt.date, hour=12):
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


def client_of(associate, **kwargs):
    customer = client(**kwargs)
    assign_associate(customer=customer, associate=associate, actor=associate)
    return customer


def manual(team, who=None, **kwargs):
    who = who or team.anna
    return create_manual_task(
        customer=kwargs.pop("customer", None) or client(),
        title=kwargs.pop("title", "Call about the fitting"),
        due_on=kwargs.pop("due_on", TODAY),
        actor=kwargs.pop("actor", who),
        shop=kwargs.pop("shop", who.store),
        today=kwargs.pop("today", TODAY),
        **kwargs,
    )


# --- Birthdays and follow-ups (the daily run) --------------------------------------


def test_birthday_tasks_come_a_week_ahead_once_per_year(team, settings):
    settings.OMNISTORE_CLIENTBOOK_BIRTHDAY_LEAD_DAYS = 7
    soon = client_of(team.anna, first_name="Sofia")
    soon.birthday = dt.date(1990, 3, 15)
    later = client_of(team.anna, first_name="Lia")
    later.birthday = dt.date(1985, 4, 20)
    nobody = client(first_name="Nadia")  # no associate: no client book, no task
    nobody.birthday = dt.date(1990, 3, 12)
    for customer in (soon, later, nobody):
        customer.save(update_fields=["birthday"])

    assert generate_client_tasks(today=TODAY) == {"birthday": 1, "follow_up": 0}
    assert generate_client_tasks(today=TODAY) == {"birthday": 0, "follow_up": 0}
    task = ClientTask.objects.get()
    assert (task.kind, task.customer, task.assignee, task.shop) == (
        TaskKind.BIRTHDAY,
        soon,
        team.anna,
        team.brera,
    )
    assert (task.due_on, task.occurrence, task.title) == (
        dt.date(2026, 3, 15),
        "birthday:2026",
        "Birthday on 15 Mar",
    )
    assert task.changes.get().action == "created"


def test_a_birthday_early_in_january_is_seen_in_late_december(team):
    sofia = client_of(team.anna)
    sofia.birthday = dt.date(2000, 1, 2)
    sofia.save(update_fields=["birthday"])
    generate_client_tasks(today=dt.date(2026, 12, 29))
    assert ClientTask.objects.get().occurrence == "birthday:2027"


def test_follow_up_after_a_purchase_goes_to_the_clients_associate(team, settings):
    settings.OMNISTORE_CLIENTBOOK_FOLLOW_UP_DAYS = 7
    giulia = client_of(team.anna)
    purchase(giulia, when=at(TODAY - dt.timedelta(days=7)), number="W000100")
    purchase(giulia, when=at(TODAY - dt.timedelta(days=2)), number="W000101")

    assert generate_client_tasks(today=TODAY)["follow_up"] == 1
    task = ClientTask.objects.get()
    assert (task.kind, task.assignee, task.title) == (
        TaskKind.FOLLOW_UP,
        team.anna,
        "Follow up on order W000100",
    )
    assert task.due_on == TODAY and task.occurrence == "order:W000100"
    # A missed day is caught up; a repeated run makes nothing new.
    assert generate_client_tasks(today=TODAY + dt.timedelta(days=2))["follow_up"] == 0
    assert generate_client_tasks(today=TODAY + dt.timedelta(days=5))["follow_up"] == 1


def test_a_store_sale_to_a_client_without_associate_follows_up_with_the_seller(team):
    walk_in = client()
    purchase(
        walk_in,
        when=at(TODAY - dt.timedelta(days=7)),
        location=team.roma,
        actor=team.carla,
    )
    web_only = client()
    purchase(web_only, when=at(TODAY - dt.timedelta(days=7)))

    assert generate_client_tasks(today=TODAY)["follow_up"] == 1
    task = ClientTask.objects.get()
    assert (task.customer, task.assignee, task.shop) == (walk_in, team.carla, team.roma)


def test_an_order_cancelled_before_its_follow_up_gets_none(team, settings):
    settings.OMNISTORE_CLIENTBOOK_FOLLOW_UP_DAYS = 7
    giulia = client_of(team.anna)
    week_ago = at(TODAY - dt.timedelta(days=7))
    purchase(giulia, when=week_ago, number="W000200")
    cancellation(giulia, number="W000200", when=week_ago + dt.timedelta(hours=2))
    purchase(giulia, when=week_ago, number="W000201")
    cancellation(giulia, number="W000999", when=week_ago)  # another order's

    assert generate_client_tasks(today=TODAY)["follow_up"] == 1
    assert ClientTask.objects.get().title == "Follow up on order W000201"
    assert generate_client_tasks(today=TODAY + dt.timedelta(days=2))["follow_up"] == 0


# --- Back in stock ------------------------------------------------------------------


def test_back_in_stock_only_where_it_matters_to_the_customer_makes_a_task(team):
    """Back at a shop that is not the customer's preferred one is no news to them:
    no timeline line and no task; back at their shop, or online, is both."""
    giulia = client_of(team.anna)
    giulia.preferred_store = team.brera
    giulia.save(update_fields=["preferred_store"])
    coat = VariantFactory(product__name="Wool coat", colour="Navy", size="40")
    add_wishlist_item(
        customer=giulia,
        variant=coat,
        actor=team.anna,
        location=team.brera,
        channel=Channel.STORE,
    )
    told = CustomerEvent.objects.filter(kind="wishlist_item_back_in_stock")

    assert open_restock_tasks(restocks=[(coat.pk, team.roma.pk, 1)]) == 0
    assert not ClientTask.objects.exists() and not told.exists()

    assert open_restock_tasks(restocks=[(coat.pk, team.brera.pk, 2)]) == 1
    assert open_restock_tasks(restocks=[(coat.pk, None, 3)]) == 1
    assert [t.occurrence for t in ClientTask.objects.order_by("pk")] == [
        f"restock:{coat.pk}:2",
        f"restock:{coat.pk}:3",
    ]
    assert {t.assignee for t in ClientTask.objects.all()} == {team.anna}
    assert told.count() == 2


def test_one_task_per_customer_kind_and_occurrence_is_a_database_rule(team):
    task = manual(team)
    ClientTask.objects.filter(pk=task.pk).update(occurrence="birthday:2026")
    with pytest.raises(IntegrityError), transaction.atomic():
        ClientTask.objects.create(
            kind=task.kind,
            customer=task.customer,
            assignee=team.bruno,
            shop=team.brera,
            title="again",
            occurrence="birthday:2026",
            due_on=TODAY,
        )


# --- Done, snooze, reassign ---------------------------------------------------------


def test_done_is_recorded_with_who_and_when_and_only_once(team):
    task = manual(team)
    complete_task(task=task, actor=team.anna)
    task.refresh_from_db()
    assert task.status == TaskStatus.DONE and task.done_by == team.anna
    assert task.done_at is not None
    assert [c.action for c in task.changes.all()] == ["created", "done"]
    with pytest.raises(Conflict):
        complete_task(task=task, actor=team.anna)


def test_snooze_hides_a_task_until_a_later_day(team):
    task = manual(team)
    with pytest.raises(ValidationFailed) as refused:
        snooze_task(task=task, until=TODAY, actor=team.anna, today=TODAY)
    assert "until" in refused.value.extra
    snooze_task(
        task=task, until=TODAY + dt.timedelta(days=3), actor=team.anna, today=TODAY
    )
    task.refresh_from_db()
    assert task.status == TaskStatus.SNOOZED
    assert task.due_date() == TODAY + dt.timedelta(days=3)
    change = task.changes.latest("pk")
    assert (change.action, change.actor, change.snoozed_until) == (
        "snoozed",
        team.anna,
        TODAY + dt.timedelta(days=3),
    )


def test_an_associate_hands_a_task_to_a_colleague_of_the_shop_only(team):
    task = manual(team)
    with pytest.raises(ValidationFailed):
        reassign_task(task=task, to=team.carla, actor=team.anna)  # another shop
    reassign_task(task=task, to=team.bruno, actor=team.anna)
    task.refresh_from_db()
    assert task.assignee == team.bruno
    change = task.changes.latest("pk")
    assert (change.assignee_before, change.assignee_after, change.actor) == (
        team.anna,
        team.bruno,
        team.anna,
    )
    # Anna no longer holds it: for her it does not exist.
    with pytest.raises(NotFound):
        complete_task(task=task, actor=team.anna)


def test_managers_act_on_their_teams_tasks_and_reassign_across_their_shops(team):
    task = manual(team)
    with pytest.raises(NotFound):  # a colleague, not the assignee, not a manager
        snooze_task(
            task=task, until=TODAY + dt.timedelta(days=1), actor=team.bruno, today=TODAY
        )
    with pytest.raises(NotFound):  # the manager of another shop
        complete_task(task=task, actor=team.roma_manager)
    with pytest.raises(ValidationFailed):  # Roma is not the Brera manager's team
        reassign_task(task=task, to=team.carla, actor=team.manager)
    reassign_task(task=task, to=team.carla, actor=team.area)
    task.refresh_from_db()
    assert (task.assignee, task.shop) == (team.carla, team.roma)
    complete_task(task=task, actor=team.roma_manager)


def test_a_manual_task_is_due_from_today_to_two_years_ahead(team):
    for due_on in (
        TODAY - dt.timedelta(days=1),
        TODAY + dt.timedelta(days=731),
        dt.date(9999, 12, 31),
        None,
    ):
        with pytest.raises(ValidationFailed) as refused:
            manual(team, due_on=due_on)
        assert "due_on" in refused.value.extra
    assert not ClientTask.objects.exists()
    assert manual(team, due_on=TODAY + dt.timedelta(days=730)).due_on == dt.date(
        2028, 3, 9
    )


def test_manual_tasks_are_the_writers_own_unless_a_manager_writes_them(team):
    task = manual(team, title="  Send the lookbook ")
    assert (task.kind, task.title, task.assignee, task.created_by) == (
        TaskKind.MANUAL,
        "Send the lookbook",
        team.anna,
        team.anna,
    )
    with pytest.raises(ValidationFailed):
        manual(team, title=" ")
    for_bruno = manual(team, actor=team.manager, assignee=team.bruno)
    assert for_bruno.assignee == team.bruno and for_bruno.shop == team.brera
    assert ClientTaskChange.objects.filter(task=for_bruno, action="created").exists()


def test_erasure_closes_the_persons_tasks_and_blanks_their_words(team):
    giulia = client_of(team.anna)
    task = manual(team, customer=giulia, title="Ask about her wedding dress")
    erase_customer(customer=giulia, actor=team.manager)
    task.refresh_from_db()
    assert (task.status, task.title, task.done_by) == (
        TaskStatus.DONE,
        "[erased]",
        team.manager,
    )
    assert task.changes.latest("pk").action == "done"


def test_a_29_february_birthday_is_kept_on_the_28th_in_a_common_year(team):
    leap = client_of(team.anna)
    leap.birthday = dt.date(2000, 2, 29)
    leap.save(update_fields=["birthday"])
    generate_client_tasks(today=dt.date(2027, 2, 25))
    task = ClientTask.objects.get()
    assert (task.due_on, task.occurrence) == (dt.date(2027, 2, 28), "birthday:2027")
