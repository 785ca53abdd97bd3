"""Merging two profiles of one client held by two associates: one task per occurrence
stays, the survivor's, open when either was; the other is closed with its history;
the associate who no longer has the client is told on the timeline."""

import datetime as dt

import pytest

from customers.models import ClientTask, CustomerEvent, TaskKind, TaskStatus
from customers.selectors.clientbook import task_list
from customers.services.clientbook import assign_associate
from customers.services.merge import merge_customers
from customers.services.tasks import (
    complete_task,
    create_manual_task,
    generate_client_tasks,
)
from tests.customers.clientbook_people import client, people

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 3, 10)
BIRTHDAY = dt.date(1988, 3, 14)


@pytest.fixture
def team(settings):
    settings.OMNISTORE_CLIENTBOOK_BIRTHDAY_LEAD_DAYS = 7
    return people()


def client_of(associate, first_name):
    customer = client(first_name=first_name, last_name="Rizzo")
    assign_associate(customer=customer, associate=associate, actor=associate)
    customer.birthday = BIRTHDAY
    customer.save(update_fields=["birthday"])
    return customer


@pytest.fixture
def pair(team):
    """Marco, Anna's client at Brera, and his duplicate profile, Carla's at Roma,
    each with a birthday task for this year."""
    survivor = client_of(team.anna, "Marco")
    other = client_of(team.carla, "Marco")
    assert generate_client_tasks(today=TODAY)["birthday"] == 2
    return survivor, other


def birthday_of(customer) -> ClientTask:
    return ClientTask.objects.get(customer=customer, kind=TaskKind.BIRTHDAY)


def test_the_clashing_task_is_folded_into_the_survivors_one(team, pair):
    survivor, other = pair
    theirs = birthday_of(other)
    handwritten = create_manual_task(
        customer=other,
        title="Bring the shoes",
        due_on=TODAY,
        actor=team.carla,
        shop=team.roma,
        today=TODAY,
    )

    merge = merge_customers(survivor=survivor, other=other, actor=team.hq)

    assert merge.summary["tasks_folded"] == 1
    kept = birthday_of(survivor)
    assert (kept.status, kept.assignee) == (TaskStatus.OPEN, team.anna)
    theirs.refresh_from_db()
    assert theirs.status == TaskStatus.DONE and theirs.done_by == team.hq
    assert theirs.customer == other  # kept for the record, closed
    for task in (kept, theirs):
        change = task.changes.get(action="merged")
        assert (change.actor, change.assignee_before, change.assignee_after) == (
            team.hq,
            team.carla,
            team.anna,
        )
    # Nothing open about Marco is left with Carla but what she wrote herself, which
    # follows him to the survivor.
    open_for_carla = list(task_list(team.carla, today=TODAY))
    assert open_for_carla == [handwritten]
    handwritten.refresh_from_db()
    assert handwritten.customer == survivor
    assert [t.pk for t in task_list(team.anna, today=TODAY)] == [kept.pk]


def test_a_task_still_open_on_either_profile_stays_open(team, pair):
    survivor, other = pair
    complete_task(task=birthday_of(survivor), actor=team.anna)

    merge_customers(survivor=survivor, other=other, actor=team.hq)

    kept = birthday_of(survivor)
    assert (kept.status, kept.done_at, kept.assignee) == (
        TaskStatus.OPEN,
        None,
        team.anna,
    )
    assert birthday_of(other).status == TaskStatus.DONE


def test_the_timeline_says_whose_client_the_merged_profile_no_longer_is(team, pair):
    survivor, other = pair

    merge_customers(survivor=survivor, other=other, actor=team.hq)

    survivor.refresh_from_db()
    assert survivor.assigned_associate == team.anna
    latest = (
        CustomerEvent.objects.filter(
            customer=survivor,
            kind__in=["associate_assigned", "associate_unassigned"],
        )
        .order_by("-occurred_at", "-id")
        .first()
    )
    assert latest.kind == "associate_unassigned"
    assert latest.summary == (
        f"No longer a client of {team.carla.display_name} (Roma Centro): profiles "
        f"merged, client of {team.anna.display_name} (Brera)"
    )
    assert (latest.actor, latest.data) == (
        team.hq,
        {"associate": team.anna.pk, "previous": team.carla.pk},
    )


def test_one_associate_on_both_profiles_is_no_change_of_associate(team):
    survivor = client_of(team.anna, "Marco")
    other = client_of(team.anna, "Marco")

    merge_customers(survivor=survivor, other=other, actor=team.hq)

    assert not CustomerEvent.objects.filter(
        customer=survivor, kind="associate_unassigned"
    ).exists()
