"""A customer's page and a client task's page in the admin cost the same number of
queries however long their histories (notes, consents, task changes, each naming who
and where); a customer's page lists their latest 50 notes and says where the rest
are."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from customers.models import StaffNote
from customers.services.consents import set_consent
from customers.services.tasks import create_manual_task, reassign_task
from customers.services.timeline import add_note
from omnistore.accounts.models import Role
from omnistore.core.channels import Channel
from tests.customers.clientbook_people import client as new_client
from tests.customers.clientbook_people import people
from tests.customers.factories import make_customer
from tests.factories import LocationFactory, StaffFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def hq(client):
    client.force_login(
        UserFactory(username="boss", role=Role.HQ, is_staff=True, is_superuser=True)
    )
    return client


@pytest.fixture
def shops():
    return [LocationFactory(name="Milano Centro"), LocationFactory(name="Monza")]


@pytest.fixture
def associates(shops):
    return [
        StaffFactory(first_name="Giulia", last_name="Bianchi", store=shops[0]),
        StaffFactory(first_name="Paolo", last_name="Neri", store=shops[1]),
    ]


def page_of(customer) -> str:
    return reverse("admin:customers_customer_change", args=[customer.pk])


def queries(client, url) -> int:
    client.get(url)  # the process's first page fills Django's caches
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured)


def write_notes(customer, associates, count: int, start: int = 0) -> None:
    for index in range(start, start + count):
        author = associates[index % 2]
        add_note(
            customer=customer,
            text=f"Note [{index:03}]",
            actor=author,
            location=author.store,
        )


def test_a_customers_page_costs_the_same_for_two_notes_or_twelve(hq, associates):
    customer = make_customer(email="martina@example.com")
    write_notes(customer, associates, 2)
    two = queries(hq, page_of(customer))

    write_notes(customer, associates, 10, start=2)
    html = hq.get(page_of(customer)).content.decode()

    assert all(f"Note [{index:03}]" in html for index in range(12))
    assert "Paolo Neri" in html and "Monza" in html
    assert queries(hq, page_of(customer)) == two


def test_a_customers_page_costs_the_same_for_one_consent_or_four(hq, associates):
    customer = make_customer(email="martina@example.com")
    channels = ["email", "sms", "push", "tracking"]

    def decide(names) -> None:
        for index, channel in enumerate(names):
            associate = associates[index % 2]
            set_consent(
                customer=customer,
                channel=channel,
                granted=True,
                source_channel=Channel.STORE,
                location=associate.store,
                actor=associate,
            )

    decide(channels[:1])
    one = queries(hq, page_of(customer))

    decide(channels[1:])

    assert customer.consents.count() == 4
    assert queries(hq, page_of(customer)) == one


def notes_listed(response) -> list[str]:
    (notes,) = [
        inline.formset
        for inline in response.context["inline_admin_formsets"]
        if inline.formset.model is StaffNote
    ]
    return [form.instance.text for form in notes.initial_forms]


def test_a_customers_page_lists_the_latest_50_notes_and_points_to_the_timeline(
    hq, associates
):
    customer = make_customer(email="martina@example.com")
    write_notes(customer, associates, 50)
    response = hq.get(page_of(customer))
    assert len(notes_listed(response)) == 50
    assert 'data-testid="notes-left-out"' not in response.content.decode()
    fifty = queries(hq, page_of(customer))

    write_notes(customer, associates, 3, start=50)
    response = hq.get(page_of(customer))

    listed = notes_listed(response)
    assert listed == [f"Note [{index:03}]" for index in range(52, 2, -1)]  # latest
    html = response.content.decode()
    assert "Note [002]" not in html
    timeline = reverse("staff:customer_timeline", args=[customer.pk])
    assert "The latest 50 of 53 notes." in html
    assert f'href="{timeline}"' in html
    assert queries(hq, page_of(customer)) == fifty


def change_data(page, customer, **changes) -> dict:
    """What the page's form posts back, with ``changes``."""
    form = page.context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None}
    data.update({"birthday": "", "preferred_store": "", "preferences": "{}"})
    data.update(changes)
    for inline in page.context["inline_admin_formsets"]:
        formset = inline.formset
        data[f"{formset.prefix}-TOTAL_FORMS"] = formset.total_form_count()
        data[f"{formset.prefix}-INITIAL_FORMS"] = formset.initial_form_count()
        for i, inline_form in enumerate(formset.forms):
            data[f"{formset.prefix}-{i}-id"] = inline_form.instance.pk
            data[f"{formset.prefix}-{i}-customer"] = customer.pk
    return data


def test_a_profile_with_more_notes_than_shown_is_still_saved(hq, associates):
    customer = make_customer(email="martina@example.com", first_name="Martina")
    write_notes(customer, associates, 52)
    page = hq.get(page_of(customer))
    write_notes(customer, associates, 1, start=52)  # written meanwhile, in a shop

    response = hq.post(
        page_of(customer), change_data(page, customer, first_name="Marta")
    )

    assert response.status_code == 302, response.context["adminform"].form.errors
    customer.refresh_from_db()
    assert customer.first_name == "Marta"
    assert customer.notes.count() == 53


def test_a_client_tasks_page_costs_the_same_for_two_changes_or_twelve(hq):
    team = people()
    task = create_manual_task(
        customer=new_client(),
        title="Call about the coat",
        due_on=timezone.localdate() + dt.timedelta(days=3),
        actor=team.manager,
        shop=team.brera,
        assignee=team.anna,
    )
    page = reverse("admin:customers_clienttask_change", args=[task.pk])

    def hand_on(times: int) -> None:
        for _ in range(times):
            task.refresh_from_db()
            to = team.bruno if task.assignee_id == team.anna.pk else team.anna
            reassign_task(task=task, to=to, actor=team.manager)

    hand_on(1)  # made, then handed on once
    two = queries(hq, page)
    assert task.changes.count() == 2

    hand_on(10)

    assert task.changes.count() == 12
    assert queries(hq, page) == two
