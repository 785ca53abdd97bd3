"""Customer records are titled in the admin by names, labels and dates, never by
ids or stored codes: duplicates and merges by the people, timeline kinds and
channels as words (in the list, its filters and the page title), consents, lists
and appointments by what they are."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from customers.models import (
    AppointmentHours,
    AppointmentStaff,
    ConsentChange,
    CustomerEvent,
    DuplicateCandidate,
    Wishlist,
)
from customers.services.appointments import book_appointment
from customers.services.consents import set_consent
from customers.services.merge import merge_customers
from customers.services.tasks import complete_task, create_manual_task
from customers.services.timeline import record_event
from customers.services.wishlists import add_wishlist_item
from omnistore.accounts.models import Role
from omnistore.core.channels import Channel
from tests.customers.appointments import at, open_shop
from tests.customers.factories import make_customer
from tests.factories import ProductFactory, UserFactory, VariantFactory

pytestmark = pytest.mark.django_db

EVENTS = "/admin/customers/customerevent/"


@pytest.fixture
def hq(client):
    client.force_login(UserFactory(username="elena", role=Role.HQ))
    return client


def test_duplicates_and_merges_name_the_people(hq):
    giulia = make_customer(email="giulia@x.it", first_name="Giulia", last_name="Rossi")
    other = make_customer(email="g.rossi@x.it", first_name="G.", last_name="Rossi")
    pair = DuplicateCandidate.objects.create(
        customer_a=giulia, customer_b=other, reason="same phone", channel="store"
    )
    assert str(pair) == "Possible duplicate: Giulia Rossi and G. Rossi (pending)"
    listed = hq.get("/admin/customers/duplicatecandidate/")
    row = listed.context["cl"].result_list[0]
    assert listed.context["cl"].model_admin.channel_shown(row) == "Store"
    merge = merge_customers(survivor=giulia, other=other, actor=None)
    assert str(merge) == "G. Rossi merged into Giulia Rossi"


def test_timeline_kinds_and_channels_read_as_words_in_list_and_filters(hq):
    customer = make_customer(email="pia@x.it", first_name="Pia", last_name="Moro")
    record_event(
        customer=customer,
        kind="order_placed",
        summary="Order OS-1 placed",
        channel=Channel.STORE,
    )
    event = CustomerEvent.objects.get(kind="order_placed")
    assert str(event) == "Order placed: Order OS-1 placed"
    response = hq.get(EVENTS)
    html = response.content.decode()
    assert "Order placed" in html and "Customer created" in html
    assert ">order_placed<" not in html and ">store<" not in html
    offered = {
        spec.title: [
            choice["display"] for choice in spec.choices(response.context["cl"])
        ]
        for spec in response.context["cl"].filter_specs
    }
    assert {"Order placed", "Customer created"} <= set(offered["kind"])
    assert "Store" in offered["channel"]
    chosen = hq.get(EVENTS, {"kind": "order_placed"})
    assert list(chosen.context["cl"].result_list) == [event]


def test_consents_lists_and_tasks_are_titled_by_what_they_are():
    customer = make_customer(email="ugo@x.it", first_name="Ugo", last_name="Neri")
    consent = set_consent(
        customer=customer, channel="email", granted=True, source_channel="web"
    )
    assert str(consent) == "Email: granted"
    change = ConsentChange.objects.filter(customer=customer).latest("at")
    today = timezone.localdate().strftime("%d %b %Y")
    assert str(change) == f"Email: granted on {today}"
    identity = customer.identities.get(kind="email")
    assert str(identity) == "Email: ugo@x.it"
    shirt = VariantFactory(
        sku="SKU-7", colour="", size="", product=ProductFactory(name="Linen shirt")
    )
    add_wishlist_item(customer=customer, variant=shirt, channel="web")
    wishlist = Wishlist.objects.get(customer=customer)
    assert str(wishlist) == f"{wishlist.name} of Ugo Neri"
    assert [str(item) for item in wishlist.items.all()] == ["SKU-7 · Linen shirt"]


def test_a_tasks_history_says_what_happened_and_when():
    shop, (sara,) = open_shop(name="Milano Duomo")
    customer = make_customer(email="ada@x.it")
    task = create_manual_task(
        customer=customer,
        title="Call about the coat",
        due_on=timezone.localdate(),
        actor=sara,
        shop=shop,
    )
    complete_task(task=task, actor=sara)
    steps = [str(change) for change in task.changes.all()]
    assert [step.split(" on ")[0] for step in steps] == ["Created", "Done"]


def test_appointments_their_hours_and_staff_name_the_shop_and_people():
    shop, (sara,) = open_shop(name="Milano Duomo")
    hours = AppointmentHours.objects.get(location=shop, weekday=0)
    assert str(hours) == "Milano Duomo, Monday 10:00–18:00"
    assert str(AppointmentStaff.objects.get(user=sara)) == (
        f"{sara.first_name} Conti at Milano Duomo"
    )
    day = timezone.localdate() + timedelta(days=1)
    booking = book_appointment(
        customer=make_customer(email="bea@x.it", first_name="Bea", last_name="Villa"),
        location=shop,
        kind="fitting",
        starts_at=at(day, 11),
        channel=Channel.WEB,
    )
    assert str(booking) == f"Fitting with Bea Villa, {day:%d %b %Y} 11:00"
