"""Loyalty points, consents, notes, profile changes, data export and erasure."""

import datetime as dt
import json

import pytest
from rest_framework.authtoken.models import Token

from customers.models import (
    Address,
    ConsentChange,
    Customer,
    CustomerEvent,
    CustomerIdentity,
    LoyaltyTransaction,
    StaffNote,
)
from customers.selectors.export import export_customer_data
from customers.selectors.profiles import consent_state, search_customers
from customers.selectors.timeline import timeline
from customers.services.consents import set_consent
from customers.services.erasure import erase_customer
from customers.services.loyalty import earn_points, reverse_points
from customers.services.matching import match_customer
from customers.services.merge import merge_customers
from customers.services.profiles import update_profile
from customers.services.timeline import add_note
from omnistore.core.channels import Channel
from omnistore.core.exceptions import Conflict, ValidationFailed
from tests.customers.factories import CustomerUserFactory, make_customer
from tests.factories import (
    CategoryFactory,
    LocationFactory,
    StaffFactory,
    WarehouseFactory,
)

pytestmark = pytest.mark.django_db


def test_points_are_earned_once_per_reference_and_reversed_on_return():
    customer = make_customer(email="p@example.com")
    first = earn_points(
        customer=customer,
        points=50,
        reason="Order W-1",
        reference_type="order",
        reference_id="W-1",
    )
    again = earn_points(
        customer=customer,
        points=50,
        reason="Order W-1",
        reference_type="order",
        reference_id="W-1",
    )
    assert again.pk == first.pk
    reverse_points(
        customer=customer,
        points=20,
        reason="Return R-1",
        reference_type="return",
        reference_id="R-1",
    )
    customer.refresh_from_db()
    assert customer.points_balance == 30
    assert list(
        LoyaltyTransaction.objects.filter(customer=customer)
        .order_by("id")
        .values_list("points", flat=True)
    ) == [50, -20]
    kinds = set(
        CustomerEvent.objects.filter(customer=customer).values_list("kind", flat=True)
    )
    assert {"points_earned", "points_reversed"} <= kinds


@pytest.mark.parametrize("points", [0, -5, 1.5, True])
def test_points_must_be_a_positive_whole_number(points):
    customer = make_customer(email="q@example.com")
    with pytest.raises(ValidationFailed):
        earn_points(customer=customer, points=points, reason="x")
    customer.refresh_from_db()
    assert customer.points_balance == 0


def test_consent_history_keeps_every_change_and_where_it_came_from():
    shop = LocationFactory()
    associate = StaffFactory(store=shop)
    customer = make_customer(email="c@example.com")
    set_consent(
        customer=customer,
        channel="email",
        granted=True,
        source_channel=Channel.STORE,
        location=shop,
        actor=associate,
    )
    # Repeating the same decision records nothing new.
    set_consent(
        customer=customer, channel="email", granted=True, source_channel=Channel.WEB
    )
    set_consent(
        customer=customer, channel="email", granted=False, source_channel=Channel.WEB
    )
    state = consent_state(customer)
    assert state["email"].granted is False and state["sms"] is None
    history = list(
        ConsentChange.objects.filter(customer=customer)
        .order_by("at", "id")
        .values_list("granted", "source_channel", "location", "actor")
    )
    assert history == [
        (True, "store", shop.pk, associate.pk),
        (False, "web", None, None),
    ]
    summaries = CustomerEvent.objects.filter(
        customer=customer, kind__startswith="consent_"
    ).values_list("summary", flat=True)
    assert any(f"by {associate.display_name}" in s for s in summaries)


def test_unknown_consent_channel_is_refused():
    customer = make_customer(email="c2@example.com")
    with pytest.raises(ValidationFailed):
        set_consent(
            customer=customer, channel="fax", granted=True, source_channel="web"
        )


def test_a_staff_note_appears_on_the_timeline_with_author_and_shop():
    shop = LocationFactory()
    associate = StaffFactory(store=shop)
    customer = make_customer(email="n@example.com")
    note = add_note(
        customer=customer,
        text="Wants the blue coat in M",
        actor=associate,
        location=shop,
    )
    page = timeline(customer)
    top = page.events[0]
    assert (top.kind, top.summary, top.actor, top.location) == (
        "note_added",
        "Wants the blue coat in M",
        associate,
        shop,
    )
    assert top.reference_id == str(note.pk)
    with pytest.raises(ValidationFailed):
        add_note(customer=customer, text="   ", actor=associate)


def test_a_profile_change_keeps_what_each_field_was_on_the_timeline():
    first = LocationFactory(name="Roma Corso")
    second = LocationFactory(name="Milano Duomo")
    customer = make_customer(email="was@example.com", first_name="Eva")
    update_profile(customer=customer, preferred_store=first.pk)
    update_profile(
        customer=customer,
        preferred_store=second.pk,
        birthday=dt.date(1990, 4, 2),
        preferences={"sizes": {}, "favourite_categories": []},
    )
    event = CustomerEvent.objects.filter(
        customer=customer, kind="profile_updated"
    ).latest("pk")
    assert event.summary == (
        "Profile updated: birthday (none) → 1990-04-02, "
        "preferred store Roma Corso → Milano Duomo, preferences"
    )
    assert event.data["before"]["preferred_store"] == "Roma Corso"
    assert event.data["after"]["birthday"] == "1990-04-02"
    assert event.data["after"]["preferences"] == {
        "sizes": {},
        "favourite_categories": [],
    }


def test_profile_update_validates_store_preferences_and_birthday():
    shop = LocationFactory()
    warehouse = WarehouseFactory()
    closed = LocationFactory(active=False)
    CategoryFactory(slug="women-shirts")
    customer = make_customer(email="u@example.com")
    update_profile(
        customer=customer,
        preferred_store=shop.pk,
        preferences={
            "sizes": {"women-shirts": "S"},
            "favourite_categories": ["women-shirts"],
        },
    )
    customer.refresh_from_db()
    assert customer.preferred_store == shop
    assert customer.preferences["sizes"] == {"women-shirts": "S"}
    for store in (warehouse.pk, closed.pk, 999999):
        with pytest.raises(ValidationFailed) as error:
            update_profile(customer=customer, preferred_store=store)
        assert "preferred_store" in error.value.extra
    with pytest.raises(ValidationFailed):
        update_profile(
            customer=customer, preferences={"sizes": {"no-such-category": "M"}}
        )
    with pytest.raises(ValidationFailed):
        update_profile(customer=customer, preferences={"colour": "red"})
    import datetime

    with pytest.raises(ValidationFailed):
        update_profile(
            customer=customer,
            birthday=datetime.date.today() + datetime.timedelta(days=2),
        )
    customer.refresh_from_db()
    assert customer.preferred_store == shop


def test_export_holds_profile_identities_addresses_consents_events_notes_points():
    shop = LocationFactory()
    associate = StaffFactory(store=shop)
    customer = make_customer(email="e@example.com", phone="3331230000")
    Address.objects.create(customer=customer, line1="Via Po 1", city="Torino")
    set_consent(customer=customer, channel="sms", granted=True, source_channel="web")
    add_note(customer=customer, text="VIP", actor=associate, location=shop)
    earn_points(customer=customer, points=5, reason="Order 9", reference_id="9")
    data = export_customer_data(customer)
    json.dumps(data)  # plain JSON
    assert data["profile"]["email"] == "e@example.com"
    assert data["profile"]["points_balance"] == 5
    assert {i["value"] for i in data["identities"]} >= {
        "e@example.com",
        "+393331230000",
    }
    assert data["addresses"][0]["line1"] == "Via Po 1"
    assert data["consents"][0]["channel"] == "sms"
    assert data["notes"][0]["text"] == "VIP"
    assert data["points"][0]["points"] == 5
    assert "note_added" in {e["kind"] for e in data["events"]}


def test_erase_forgets_the_person_and_keeps_the_books():
    shop = LocationFactory()
    associate = StaffFactory(store=shop)
    user = CustomerUserFactory(email="erase@example.com", first_name="Eva")
    customer = user.customer_profile
    Token.objects.create(user=user)
    # the login proved its email: a sale at the shop by it reaches the profile
    customer.identities.filter(kind="email").update(verified=True)
    match_customer(email="erase@example.com", phone="3334445555", channel="store")
    Address.objects.create(customer=customer, line1="Via Roma 2", city="Roma")
    set_consent(customer=customer, channel="email", granted=True, source_channel="web")
    add_note(customer=customer, text="Lives near the shop", actor=associate)
    earn_points(customer=customer, points=10, reason="Order 1", reference_id="1")

    erase_customer(customer=customer, actor=user, channel="web", forfeit_balance=True)

    customer.refresh_from_db()
    user.refresh_from_db()
    assert customer.is_anonymised and customer.erased_at is not None
    assert (customer.first_name, customer.email, customer.phone) == ("", "", "")
    assert not CustomerIdentity.objects.filter(customer=customer).exists()
    assert not Address.objects.filter(customer=customer).exists()
    assert set(
        StaffNote.objects.filter(customer=customer).values_list("text", flat=True)
    ) == {"[erased]"}
    assert consent_state(customer)["email"].granted is False
    assert not user.is_active and user.email == "" and not user.has_usable_password()
    assert not Token.objects.filter(user=user).exists()
    # The books stay: the points ledger, with the points given up booked off, and
    # the profile row itself.
    assert sorted(
        LoyaltyTransaction.objects.filter(customer=customer).values_list(
            "points", "reason"
        )
    ) == [(-10, "Given up at erasure"), (10, "[erased]")]
    assert customer.points_balance == 0
    assert Customer.objects.filter(pk=customer.pk).exists()
    # Nobody finds the person by their old email or phone any more.
    assert search_customers("erase@example.com") == []
    assert search_customers("333 444 5555") == []
    dump = json.dumps(export_customer_data(customer))
    assert "erase@example.com" not in dump and "Lives near" not in dump
    # Erasing twice changes nothing; an erased profile cannot be edited.
    erase_customer(customer=customer)
    with pytest.raises(Conflict):
        update_profile(customer=customer, first_name="Eva")


def test_erase_also_clears_profiles_merged_into_it():
    associate = StaffFactory()
    survivor = make_customer(email="keep@example.com", first_name="Ida")
    other = make_customer(phone="3339998888", first_name="Ida", last_name="Neri")
    merge_customers(survivor=survivor, other=other, actor=associate)
    erase_customer(customer=survivor)
    other.refresh_from_db()
    assert other.is_anonymised and other.last_name == "" and other.phone == ""
