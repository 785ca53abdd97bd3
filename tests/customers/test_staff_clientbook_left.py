"""The 360° card of a client whose associate has left (login deactivated): it says
so, HQ and the shop's managers move them, an associate of the shop takes them."""

import pytest
from django.urls import reverse

from customers.models import Customer
from customers.services.clientbook import assign_associate
from omnistore.accounts.services import deactivate_login
from tests.customers.clientbook_people import client as new_client
from tests.customers.clientbook_people import people

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
LEFT = b'data-testid="associate-left"'


@pytest.fixture
def team():
    return people()


@pytest.fixture
def giulia(team):
    """Anna's client; then Anna leaves."""
    customer = new_client()
    assign_associate(customer=customer, associate=team.anna, actor=team.anna)
    deactivate_login(user=team.anna, actor=team.hq)
    return customer


def page(django_client, user, customer):
    django_client.force_login(user)
    return django_client.get(reverse("staff:customer_detail", args=[customer.pk]))


def post(django_client, customer, **data):
    url = reverse("staff:customer_assign", args=[customer.pk])
    return django_client.post(url, data, **HTMX)


def associate_of(customer):
    return Customer.objects.get(pk=customer.pk).assigned_associate


def test_hq_is_offered_the_form_and_moves_the_client(client, team, giulia):
    html = page(client, team.hq, giulia).content
    assert b"Client of <strong>Anna Verdi</strong> \xc2\xb7 Brera" in html
    assert LEFT in html and b"(no longer with us)" in html
    assert b'data-testid="assign-form"' in html
    assert b'data-testid="release-client"' in html

    moved = post(client, giulia, action="assign", associate=team.bruno.pk)
    assert moved.status_code == 200
    assert b"Client of <strong>Bruno Neri</strong>" in moved.content
    assert LEFT not in moved.content
    assert associate_of(giulia) == team.bruno


def test_hq_releases_or_unassigns_the_client(client, team, giulia):
    client.force_login(team.hq)
    assert post(client, giulia, action="assign", associate="").status_code == 200
    assert associate_of(giulia) is None
    other = new_client()
    assign_associate(customer=other, associate=team.bruno, actor=team.bruno)
    deactivate_login(user=team.bruno, actor=team.hq)
    released = post(client, other, action="release")
    assert released.status_code == 200 and b"No associate yet." in released.content
    assert associate_of(other) is None


def test_the_store_manager_moves_them_another_shops_does_not(client, team, giulia):
    html = page(client, team.roma_manager, giulia).content
    assert LEFT in html and b'data-testid="assign-form"' not in html
    refused = post(client, giulia, action="assign", associate=team.carla.pk)
    assert refused.status_code == 422
    assert associate_of(giulia) == team.anna

    assert b'data-testid="assign-form"' in page(client, team.manager, giulia).content
    moved = post(client, giulia, action="assign", associate=team.bruno.pk)
    assert moved.status_code == 200
    assert associate_of(giulia) == team.bruno


def test_an_associate_of_the_shop_is_offered_to_take_the_client(client, team, giulia):
    html = page(client, team.carla, giulia).content  # of another shop
    assert LEFT in html and b'data-testid="take-client"' not in html
    refused = post(client, giulia, action="take")
    assert refused.status_code == 422
    assert b"Already a client of Anna Verdi" in refused.content

    html = page(client, team.bruno, giulia).content
    assert b'data-testid="take-client"' in html
    assert b'data-testid="release-client"' not in html
    taken = post(client, giulia, action="take")
    assert taken.status_code == 200
    assert b"Client of <strong>Bruno Neri</strong>" in taken.content
    assert associate_of(giulia) == team.bruno
