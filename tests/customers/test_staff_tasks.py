"""The task list: associates see their own tasks, a store manager the shop's team,
an area manager their shops; done, snooze and reassign by HTMX; anyone else's task
is a 404; the dashboard counts them."""

import datetime as dt
import html as htmllib
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from customers.models import ClientTask, TaskStatus
from tests.customers.clientbook_people import client as new_client
from tests.customers.clientbook_people import people
from tests.factories import LocationFactory, StaffFactory

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
TASKS = reverse("staff:client_tasks")


@pytest.fixture
def team():
    return people()


def task_for(user, title, *, shop=None, due=None, **kwargs):
    return ClientTask.objects.create(
        kind=kwargs.pop("kind", "manual"),
        customer=kwargs.pop("customer", None) or new_client(),
        assignee=user,
        shop=shop or user.store,
        title=title,
        due_on=due or timezone.localdate(),
        **kwargs,
    )


def titles(response) -> list[str]:
    html = response.content.decode()
    return [
        htmllib.unescape(chunk.split("<strong>")[1].split("</strong>")[0])
        for chunk in html.split('data-testid="task"')[1:]
    ]


def signed_in(client, user):
    client.force_login(user)
    return client


@pytest.fixture
def tasks(team):
    return {
        "anna": task_for(team.anna, "Anna's call"),
        "bruno": task_for(team.bruno, "Bruno's call"),
        "carla": task_for(team.carla, "Carla's call"),
        "done": task_for(
            team.anna, "Anna's old call", status=TaskStatus.DONE, done_at=timezone.now()
        ),
        "snoozed": task_for(
            team.anna,
            "Anna's later call",
            status=TaskStatus.SNOOZED,
            snoozed_until=timezone.localdate() + dt.timedelta(days=3),
        ),
    }


def test_an_associate_sees_only_their_own_tasks(client, team, tasks):
    staff = signed_in(client, team.anna)
    assert titles(staff.get(TASKS)) == ["Anna's call"]
    assert titles(staff.get(TASKS, {"scope": "team"})) == ["Anna's call"]
    assert titles(staff.get(TASKS, {"status": "done"}, **HTMX)) == ["Anna's old call"]
    assert titles(staff.get(TASKS, {"status": "snoozed"}, **HTMX)) == [
        "Anna's later call"
    ]


def test_the_store_manager_sees_the_teams_open_tasks_area_manager_their_shops(
    client, team, tasks
):
    manager = signed_in(client, team.manager)
    assert sorted(titles(manager.get(TASKS))) == ["Anna's call", "Bruno's call"]
    assert titles(manager.get(TASKS, {"scope": "mine"})) == []
    area = signed_in(client, team.area)
    assert sorted(titles(area.get(TASKS))) == [
        "Anna's call",
        "Bruno's call",
        "Carla's call",
    ]
    roma = signed_in(client, team.roma_manager)
    assert titles(roma.get(TASKS)) == ["Carla's call"]


def test_a_snoozed_task_whose_day_came_is_open_again(client, team):
    task_for(
        team.anna,
        "Back today",
        status=TaskStatus.SNOOZED,
        snoozed_until=timezone.localdate(),
        due=timezone.localdate() - dt.timedelta(days=5),
    )
    assert titles(signed_in(client, team.anna).get(TASKS)) == ["Back today"]


def test_the_task_list_costs_the_same_queries_for_2_or_12_tasks(
    client, team, django_assert_num_queries
):
    manager = signed_in(client, team.manager)
    for n in range(2):
        task_for(team.anna, f"T{n}")
    manager.get(TASKS)
    # session, user, shop ids, the shop in the header, tasks, the team for "reassign"
    with django_assert_num_queries(6):
        assert len(titles(manager.get(TASKS))) == 2
    for n in range(10):
        task_for(team.bruno, f"U{n}")
    with django_assert_num_queries(6):
        assert len(titles(manager.get(TASKS))) == 12


def url(name, task):
    return reverse(f"staff:client_task_{name}", args=[task.pk])


def test_done_by_htmx_returns_the_row_done(client, team, tasks):
    response = signed_in(client, team.anna).post(url("done", tasks["anna"]), **HTMX)
    assert response.status_code == 200
    assert b'data-testid="done-badge"' in response.content
    tasks["anna"].refresh_from_db()
    assert (
        tasks["anna"].status == TaskStatus.DONE and tasks["anna"].done_by == team.anna
    )
    again = client.post(url("done", tasks["anna"]), **HTMX)
    assert again.status_code == 422 and b"already done" in again.content


def snooze_error(response) -> str:
    html = response.content.decode()
    found = re.findall(r'data-testid="snooze-error">([^<]*)<', html)
    assert len(found) == 1 and 'data-testid="task-error"' not in html
    return htmllib.unescape(found[0])


def test_snooze_needs_a_later_day(client, team, tasks):
    staff = signed_in(client, team.anna)
    for bad in ("", "yesterday", timezone.localdate().isoformat()):
        refused = staff.post(url("snooze", tasks["anna"]), {"until": bad}, **HTMX)
        assert refused.status_code == 422
        assert snooze_error(refused)
    until = timezone.localdate() + dt.timedelta(days=2)
    ok = staff.post(url("snooze", tasks["anna"]), {"until": until.isoformat()}, **HTMX)
    assert ok.status_code == 200 and b'data-status="snoozed"' in ok.content
    tasks["anna"].refresh_from_db()
    assert tasks["anna"].snoozed_until == until


def test_a_refused_snooze_says_why_once_beside_the_date_and_keeps_it(
    client, team, tasks
):
    staff = signed_in(client, team.anna)
    for typed, why in (
        ("2020-01-01", "Pick a day after today."),
        (
            (timezone.localdate() + dt.timedelta(days=800)).isoformat(),
            "Pick a day within a year.",
        ),
    ):
        refused = staff.post(url("snooze", tasks["anna"]), {"until": typed}, **HTMX)
        assert refused.status_code == 422
        assert snooze_error(refused) == why
        html = refused.content.decode()
        assert html.count(why) == 1 and "Snooze until a day after today" not in html
        date = re.search(r'<input type="date" name="until"[^>]*>', html).group(0)
        assert f'value="{typed}"' in date and 'aria-invalid="true"' in date
    tasks["anna"].refresh_from_db()
    assert tasks["anna"].status == TaskStatus.OPEN


def test_reassign_to_a_colleague_and_not_to_another_shop(client, team, tasks):
    staff = signed_in(client, team.anna)
    refused = staff.post(
        url("reassign", tasks["anna"]), {"assignee": team.carla.pk}, **HTMX
    )
    assert refused.status_code == 422
    assert b'data-testid="reassign-error"' in refused.content
    ok = staff.post(url("reassign", tasks["anna"]), {"assignee": team.bruno.pk}, **HTMX)
    assert ok.status_code == 200
    tasks["anna"].refresh_from_db()
    assert tasks["anna"].assignee == team.bruno
    # Now Bruno's: Anna no longer reaches it.
    assert staff.post(url("done", tasks["anna"]), **HTMX).status_code == 404


ACTIONS = (b'data-testid="task-done"', b'data-testid="task-snooze"', b"reassign-to")


def test_a_task_handed_to_a_colleague_comes_back_without_actions(client, team, tasks):
    staff = signed_in(client, team.anna)
    ok = staff.post(url("reassign", tasks["anna"]), {"assignee": team.bruno.pk}, **HTMX)
    assert ok.status_code == 200
    assert not any(action in ok.content for action in ACTIONS)
    assert b'data-testid="handed-over">Given to Bruno' in ok.content


def test_a_manager_handing_a_task_on_still_acts_on_it(client, team, tasks):
    manager = signed_in(client, team.manager)
    ok = manager.post(
        url("reassign", tasks["anna"]), {"assignee": team.bruno.pk}, **HTMX
    )
    assert ok.status_code == 200
    assert all(action in ok.content for action in ACTIONS)
    assert b'data-testid="handed-over"' not in ok.content
    assert manager.post(url("done", tasks["anna"]), **HTMX).status_code == 200


def test_other_peoples_and_other_shops_tasks_are_404(client, team, tasks):
    staff = signed_in(client, team.anna)
    for action in ("done", "snooze", "reassign"):
        assert staff.post(url(action, tasks["bruno"]), **HTMX).status_code == 404
    manager = signed_in(client, team.manager)
    assert manager.post(url("done", tasks["carla"]), **HTMX).status_code == 404
    assert (
        manager.post(reverse("staff:client_task_done", args=[999999])).status_code
        == 404
    )
    assert manager.post(url("done", tasks["bruno"]), **HTMX).status_code == 200


def test_without_htmx_an_action_comes_back_to_the_list(client, team, tasks):
    response = signed_in(client, team.anna).post(url("done", tasks["anna"]))
    assert response.status_code == 302 and response["Location"] == TASKS


def test_the_dashboard_counts_open_and_due_tasks(client, team, tasks):
    task_for(team.anna, "Next week", due=timezone.localdate() + dt.timedelta(days=7))
    html = signed_in(client, team.anna).get(reverse("staff:dashboard")).content.decode()
    assert 'data-testid="my-open-tasks">2<' in html
    assert (
        "2 open · 1 due"
        in html.replace("</span> <small>", " ").replace("open ·", "open ·")
        or "1 due" in html
    )
    manager_html = (
        signed_in(client, team.manager).get(reverse("staff:dashboard")).content.decode()
    )
    assert 'data-testid="team-open-tasks">3<' in manager_html


def give_to(response, task) -> list[str] | None:
    """The names offered in the task's "Give to…" select; None without the form."""
    row = response.content.decode().split(f'id="task-{task.pk}"')[1].split("</tr>")[0]
    if 'data-testid="reassign-to"' not in row:
        assert 'data-testid="task-reassign"' not in row
        return None
    select = row.split('data-testid="reassign-to"')[1].split("</select>")[0]
    return [
        htmllib.unescape(name)
        for name in re.findall(r'<option value="\d+"[^>]*>([^<]*)</option>', select)
    ]


def test_an_associate_alone_in_their_shop_is_offered_no_reassign(client, team):
    alone = StaffFactory(first_name="Sola", store=LocationFactory(name="Outlet"))
    task = task_for(alone, "Sola's call")
    staff = signed_in(client, alone)
    listed = staff.get(TASKS)
    assert titles(listed) == ["Sola's call"]
    assert b'data-testid="task-done"' in listed.content
    assert give_to(listed, task) is None
    snoozed = staff.post(url("snooze", task), {"until": "2020-01-01"}, **HTMX)
    assert snoozed.status_code == 422 and give_to(snoozed, task) is None


def test_give_to_lists_the_colleagues_of_the_tasks_shop_as_the_service_takes(
    client, team
):
    """An associate of two shops hands a task on only to a colleague of its shop."""
    team.anna.shops.add(team.brera, team.roma)
    here = task_for(team.anna, "At Brera", shop=team.brera)
    there = task_for(team.anna, "At Roma", shop=team.roma)
    staff = signed_in(client, team.anna)
    listed = staff.get(TASKS)
    aldo = team.area.display_name  # the area manager, at home in Brera
    assert give_to(listed, here) == [aldo, "Bruno Neri", "Marta Blu"]
    assert give_to(listed, there) == [f"{aldo} · Brera", "Carla Gialli", "Rocco Viola"]
    refused = staff.post(url("reassign", here), {"assignee": team.carla.pk}, **HTMX)
    assert refused.status_code == 422
    assert give_to(refused, here) == [aldo, "Bruno Neri", "Marta Blu"]
    ok = staff.post(url("reassign", there), {"assignee": team.roma_manager.pk}, **HTMX)
    assert ok.status_code == 200


def test_an_associates_task_list_costs_the_same_queries_for_2_or_12_tasks(
    client, team, django_assert_num_queries
):
    team.anna.shops.add(team.brera, team.roma)
    staff = signed_in(client, team.anna)
    for n in range(2):
        task_for(team.anna, f"T{n}")
    staff.get(TASKS)
    # session, user, the shop in the header, tasks, and for "Give to…" the staff
    # of the tasks' shops with where each works
    with django_assert_num_queries(6):
        assert len(titles(staff.get(TASKS))) == 2
    for n in range(10):
        task_for(team.anna, f"U{n}", shop=(team.brera, team.roma)[n % 2])
    with django_assert_num_queries(6):
        assert len(titles(staff.get(TASKS))) == 12
