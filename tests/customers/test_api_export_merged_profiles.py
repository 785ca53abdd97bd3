"""The data export of a profile others were merged into holds what each merged
profile still keeps on its own row: the birthday task the merge closed there for the
record, a size learned in a category the survivor already had a size for. The
person downloading their data and HQ exporting it for them get the same."""

import datetime as dt
import json

import pytest

from customers.models import ClientTask, LearnedSize, TaskKind, TaskStatus
from customers.services.clientbook import assign_associate
from customers.services.merge import merge_customers
from customers.services.tasks import generate_client_tasks
from omnistore.accounts.models import Role
from omnistore.core.channels import Channel
from tests.customers.clientbook_people import people
from tests.customers.factories import CustomerUserFactory, make_customer
from tests.factories import CategoryFactory, UserFactory

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 3, 10)
BIRTHDAY = dt.date(1988, 3, 14)


@pytest.fixture
def team(settings):
    settings.OMNISTORE_CLIENTBOOK_BIRTHDAY_LEAD_DAYS = 7
    return people()


def with_birthday(customer, associate):
    assign_associate(customer=customer, associate=associate, actor=associate)
    customer.birthday = BIRTHDAY
    customer.save(update_fields=["birthday"])
    return customer


@pytest.fixture
def merged(team):
    """Marco's login profile (Anna's client) and his counter profile (Carla's), each
    with a birthday task and a size in jackets, the counter one merged in."""
    user = CustomerUserFactory(first_name="Marco", last_name="Rizzo")
    survivor = with_birthday(user.customer_profile, team.anna)
    counter = make_customer(
        phone="+393470001122",
        first_name="Marco",
        last_name="Rizzo",
        channel=Channel.STORE,
        location=team.roma,
    )
    other = with_birthday(counter, team.carla)
    assert generate_client_tasks(today=TODAY)["birthday"] == 2
    jackets = CategoryFactory(slug="jackets")
    for customer, size in ((survivor, "50"), (other, "48")):
        LearnedSize.objects.create(
            customer=customer, category=jackets, size=size, kept_size=size
        )
    merge_customers(survivor=survivor, other=other, actor=team.hq)
    return user, survivor, other


def test_the_tasks_and_sizes_left_on_the_merged_profile_are_exported(
    api_client, merged
):
    user, survivor, other = merged
    theirs = ClientTask.objects.get(customer=other, kind=TaskKind.BIRTHDAY)
    assert theirs.status == TaskStatus.DONE  # closed by the merge, kept on #other
    api_client.force_authenticate(user)

    data = api_client.get("/api/v1/me/export/").json()

    assert [p["id"] for p in data["profile"]["merged_profiles"]] == [other.pk]
    assert sorted(
        (t["kind"], t["status"], t["due_on"]) for t in data["client_tasks"]
    ) == [
        ("birthday", "done", theirs.due_on.isoformat()),
        ("birthday", "open", theirs.due_on.isoformat()),
    ]
    assert sorted((s["category"], s["size"]) for s in data["learned_sizes"]) == [
        ("jackets", "48"),
        ("jackets", "50"),
    ]


def test_hq_exporting_the_person_gets_the_merged_profiles_rows_too(
    client, api_client, merged
):
    user, survivor, _ = merged
    api_client.force_authenticate(user)
    own = api_client.get("/api/v1/me/export/").json()
    hq = UserFactory(username="hq-export", role=Role.HQ, is_staff=True)
    client.force_login(hq)

    response = client.post(
        "/admin/customers/customer/",
        {"action": "export_selected", "_selected_action": [survivor.pk]},
    )

    assert response.status_code == 200
    data = json.loads(response.content)
    assert data == own and len(data["client_tasks"]) == 2
