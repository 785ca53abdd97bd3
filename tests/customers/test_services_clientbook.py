"""Who may put a customer in whose client book, and the record each change leaves
on the customer's timeline (staff-only)."""

import pytest

from customers.models import Customer, CustomerEvent
from customers.selectors.timeline import timeline_queryset
from customers.services.clientbook import assign_associate
from customers.services.merge import merge_customers
from omnistore.accounts.services import deactivate_login
from omnistore.core.exceptions import Conflict, PermissionDenied, ValidationFailed
from tests.customers.clientbook_people import client, people
from tests.customers.factories import CustomerUserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def team():
    return people()


def associate_of(customer):
    return Customer.objects.get(pk=customer.pk).assigned_associate


def test_an_associate_takes_an_unassigned_client_and_the_timeline_says_so(team):
    giulia = client()
    assign_associate(
        customer=giulia, associate=team.anna, actor=team.anna, location=team.brera
    )

    assert associate_of(giulia) == team.anna
    event = CustomerEvent.objects.get(customer=giulia, kind="associate_assigned")
    assert event.summary == "Client of Anna Verdi (Brera)"
    assert event.actor == team.anna and event.location == team.brera
    assert event.data == {"associate": team.anna.pk, "previous": None}


def test_a_colleagues_client_cannot_be_taken_or_released_by_an_associate(team):
    giulia = client()
    assign_associate(customer=giulia, associate=team.anna, actor=team.anna)

    with pytest.raises(Conflict, match="Already a client of Anna Verdi"):
        assign_associate(customer=giulia, associate=team.bruno, actor=team.bruno)
    with pytest.raises(PermissionDenied):
        assign_associate(customer=giulia, associate=None, actor=team.bruno)
    with pytest.raises(PermissionDenied):  # nor given to someone else
        assign_associate(customer=client(), associate=team.bruno, actor=team.anna)
    assert associate_of(giulia) == team.anna


def test_an_associate_releases_their_own_client(team):
    giulia = client()
    assign_associate(customer=giulia, associate=team.anna, actor=team.anna)
    assign_associate(customer=giulia, associate=None, actor=team.anna)

    assert associate_of(giulia) is None
    event = CustomerEvent.objects.get(customer=giulia, kind="associate_unassigned")
    assert event.summary == "No longer a client of Anna Verdi (Brera)"


def test_a_store_manager_moves_a_client_within_the_shop_not_to_another_shop(team):
    giulia = client()
    assign_associate(customer=giulia, associate=team.anna, actor=team.anna)
    assign_associate(customer=giulia, associate=team.bruno, actor=team.manager)
    assert associate_of(giulia) == team.bruno
    moved = CustomerEvent.objects.filter(customer=giulia).latest("pk")
    assert moved.summary == "Client of Bruno Neri (Brera), before of Anna Verdi (Brera)"
    assert moved.actor == team.manager

    with pytest.raises(ValidationFailed) as refused:
        assign_associate(customer=giulia, associate=team.carla, actor=team.manager)
    assert refused.value.extra == {"associate": ["Not on your team."]}


def test_a_manager_cannot_take_a_client_from_another_shops_associate(team):
    giulia = client()
    assign_associate(customer=giulia, associate=team.carla, actor=team.carla)
    with pytest.raises(PermissionDenied):
        assign_associate(customer=giulia, associate=team.anna, actor=team.manager)
    # The area manager sees both shops; HQ sees all.
    assign_associate(customer=giulia, associate=team.anna, actor=team.area)
    assign_associate(customer=giulia, associate=None, actor=team.hq)
    assert associate_of(giulia) is None


def test_a_customer_login_or_a_no_change_records_nothing(team):
    giulia = client()
    shopper = CustomerUserFactory()
    with pytest.raises(PermissionDenied):
        assign_associate(customer=giulia, associate=team.anna, actor=shopper)
    assign_associate(customer=giulia, associate=team.anna, actor=team.anna)
    assign_associate(customer=giulia, associate=team.anna, actor=team.anna)
    assert (
        CustomerEvent.objects.filter(
            customer=giulia, kind__startswith="associate"
        ).count()
        == 1
    )


def test_assignment_events_are_not_on_the_customers_own_timeline(team):
    giulia = client()
    assign_associate(customer=giulia, associate=team.anna, actor=team.anna)
    kinds = set(
        timeline_queryset(giulia, for_customer=True).values_list("kind", flat=True)
    )
    assert "associate_assigned" not in kinds


def test_a_merge_keeps_the_survivors_associate_or_takes_the_losers(team):
    kept, gone = client(), client()
    assign_associate(customer=gone, associate=team.bruno, actor=team.bruno)
    merge_customers(survivor=kept, other=gone, actor=team.manager)
    assert associate_of(kept) == team.bruno

    mine, theirs = client(), client()
    assign_associate(customer=mine, associate=team.anna, actor=team.anna)
    assign_associate(customer=theirs, associate=team.bruno, actor=team.bruno)
    merge_customers(survivor=mine, other=theirs, actor=team.manager)
    assert associate_of(mine) == team.anna


# --- A client of someone who has left -----------------------------------------------


def clients_of_someone_who_left(team, n=1):
    """Anna's clients, then Anna leaves (her login deactivated)."""
    clients = [client() for _ in range(n)]
    for customer in clients:
        assign_associate(customer=customer, associate=team.anna, actor=team.anna)
    deactivate_login(user=team.anna, actor=team.hq)
    team.anna.refresh_from_db()
    return clients


def test_hq_and_the_shops_managers_move_a_client_of_someone_who_left(team):
    giulia, *others = clients_of_someone_who_left(team, 4)
    assign_associate(customer=giulia, associate=team.bruno, actor=team.hq)
    assert associate_of(giulia) == team.bruno
    moved = CustomerEvent.objects.filter(customer=giulia).latest("pk")
    assert moved.summary == "Client of Bruno Neri (Brera), before of Anna Verdi (Brera)"
    assert moved.actor == team.hq

    for customer, mover in zip(others, (team.hq, team.manager, team.area), strict=True):
        assign_associate(customer=customer, associate=None, actor=mover)
        assert associate_of(customer) is None
        released = CustomerEvent.objects.filter(customer=customer).latest("pk")
        assert released.summary == "No longer a client of Anna Verdi (Brera)"
        assert released.actor == mover


def test_another_shops_staff_still_cannot_move_them(team):
    (giulia,) = clients_of_someone_who_left(team)
    with pytest.raises(PermissionDenied):
        assign_associate(customer=giulia, associate=team.carla, actor=team.roma_manager)
    with pytest.raises(Conflict, match="Already a client of Anna Verdi"):
        assign_associate(customer=giulia, associate=team.carla, actor=team.carla)
    with pytest.raises(PermissionDenied):  # an associate takes them, not releases them
        assign_associate(customer=giulia, associate=None, actor=team.bruno)
    assert associate_of(giulia) == team.anna


def test_an_associate_of_their_shop_takes_a_client_of_someone_who_left(team):
    (giulia,) = clients_of_someone_who_left(team)
    assign_associate(customer=giulia, associate=team.bruno, actor=team.bruno)
    assert associate_of(giulia) == team.bruno
    taken = CustomerEvent.objects.filter(customer=giulia).latest("pk")
    assert taken.summary == "Client of Bruno Neri (Brera), before of Anna Verdi (Brera)"
    assert taken.actor == team.bruno
