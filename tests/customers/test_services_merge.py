"""Merging two profiles of one person: everything moves, the loser's id still resolves."""

import threading
from decimal import Decimal

import pytest
from django.db import connections, models

from customers.models import (
    Consent,
    ConsentChange,
    Customer,
    CustomerEvent,
    CustomerIdentity,
    CustomerMerge,
    DuplicateCandidate,
    DuplicateStatus,
    LoyaltyTransaction,
    StaffNote,
)
from customers.selectors.identities import resolve_customer
from customers.services.consents import set_consent
from customers.services.erasure import erase_customer
from customers.services.loyalty import earn_points
from customers.services.matching import flag_duplicate, match_customer
from customers.services.merge import merge_customers
from customers.services.timeline import add_note, record_event
from omnistore.core.channels import Channel
from omnistore.core.exceptions import Conflict, NotFound, ValidationFailed
from tests.customers.factories import CustomerUserFactory, make_customer
from tests.factories import LocationFactory, StaffFactory

pytestmark = pytest.mark.django_db


# Rows of "another app" pointing at Customer: the merge must carry them without knowing
# them. One plain foreign key hidden from the reverse accessors, and one "one per
# customer" relation like a cart.
class MergeProbeReceipt(models.Model):
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="+")
    number = models.CharField(max_length=20)

    class Meta:
        app_label = "customers"

    def __str__(self):
        return self.number


class MergeProbeCart(models.Model):
    customer = models.OneToOneField(
        Customer, on_delete=models.CASCADE, related_name="probe_cart"
    )

    class Meta:
        app_label = "customers"

    def __str__(self):
        return f"cart of {self.customer_id}"


@pytest.fixture
def pair():
    shop = LocationFactory()
    associate = StaffFactory(store=shop)
    survivor = make_customer(
        email="giulia@example.com", first_name="Giulia", last_name="Bianchi"
    )
    other = make_customer(
        phone="333 765 4321",
        first_name="Giulia",
        last_name="",
        channel=Channel.STORE,
        location=shop,
    )
    return survivor, other, shop, associate


def test_merge_moves_identities_events_consents_points_notes_and_records_it(pair):
    survivor, other, shop, associate = pair
    earn_points(customer=survivor, points=30, reason="Order 1", reference_id="o1")
    earn_points(customer=other, points=12, reason="Sale 2", reference_id="s2")
    set_consent(
        customer=other,
        channel="sms",
        granted=True,
        source_channel=Channel.STORE,
        location=shop,
        actor=associate,
    )
    note = add_note(customer=other, text="Size S", actor=associate)
    Customer.objects.filter(pk=other.pk).update(
        preferences={"sizes": {"shirts": "S"}, "favourite_categories": ["shirts"]},
        store_credit_balance=Decimal("15.50"),
    )
    other_events = set(
        CustomerEvent.objects.filter(customer=other).values_list("pk", flat=True)
    )
    other_loyalty = other.loyalty_number

    merge = merge_customers(survivor=survivor, other=other, actor=associate)

    survivor.refresh_from_db()
    other.refresh_from_db()
    assert other.merged_into == survivor
    assert survivor.points_balance == 42 and other.points_balance == 0
    assert survivor.store_credit_balance == Decimal("15.50")
    assert other.store_credit_balance == 0
    assert survivor.phone == "+393337654321"  # blank filled from the merged profile
    assert survivor.last_name == "Bianchi"  # the survivor's own values win
    assert survivor.preferences["sizes"] == {"shirts": "S"}
    values = set(survivor.identities.values_list("value", flat=True))
    assert {"giulia@example.com", "+393337654321", other_loyalty} <= values
    assert not CustomerIdentity.objects.filter(customer=other).exists()
    assert set(
        CustomerEvent.objects.filter(pk__in=other_events).values_list(
            "customer_id", flat=True
        )
    ) == {survivor.pk}
    assert Consent.objects.get(customer=survivor, channel="sms").granted is True
    assert ConsentChange.objects.filter(customer=survivor).count() == 1
    assert StaffNote.objects.get(pk=note.pk).customer == survivor
    assert LoyaltyTransaction.objects.filter(customer=survivor).count() == 2
    assert (
        sum(
            LoyaltyTransaction.objects.filter(customer=survivor).values_list(
                "points", flat=True
            )
        )
        == survivor.points_balance
    )

    assert isinstance(merge, CustomerMerge)
    assert (merge.survivor, merge.merged, merge.actor) == (survivor, other, associate)
    assert merge.summary["moved"]["customers.customeridentity.customer"] == 2
    assert merge.summary["points"] == 12
    event = CustomerEvent.objects.filter(
        customer=survivor, kind="customer_merged"
    ).get()
    assert f"#{other.pk}" in event.summary and event.actor == associate


def test_merged_id_keeps_resolving_to_the_survivor(pair):
    survivor, other, _, associate = pair
    merge_customers(survivor=survivor, other=other, actor=associate)
    assert resolve_customer(other.pk) == survivor
    # Matching by the merged profile's old phone lands on the survivor.
    assert match_customer(phone="3337654321", channel=Channel.STORE) == survivor
    # Events written against a stale object of the merged profile land on the survivor.
    event = record_event(customer=other, kind="order_placed", summary="#1")
    assert event.customer == survivor
    # A chain of merges is flattened: the older loser points at the newest survivor.
    third = make_customer(email="third@example.com")
    merge_customers(survivor=third, other=survivor, actor=associate)
    other.refresh_from_db()
    assert other.merged_into_id == third.pk
    assert resolve_customer(other.pk) == third


def test_rows_of_other_apps_move_to_the_survivor_one_per_customer_rows_stay(pair):
    survivor, other, _, associate = pair
    receipts = [
        MergeProbeReceipt.objects.create(customer=other, number=f"R{i}")
        for i in range(3)
    ]
    MergeProbeCart.objects.create(customer=survivor)
    loser_cart = MergeProbeCart.objects.create(customer=other)

    merge = merge_customers(survivor=survivor, other=other, actor=associate)

    assert {r.customer_id for r in MergeProbeReceipt.objects.all()} == {survivor.pk}
    assert merge.summary["moved"]["customers.mergeprobereceipt.customer"] == len(
        receipts
    )
    loser_cart.refresh_from_db()
    assert loser_cart.customer_id == other.pk
    assert merge.summary["kept_on_merged"] == {"customers.mergeprobecart.customer": 1}


def test_a_one_per_customer_row_moves_when_the_survivor_has_none(pair):
    survivor, other, _, associate = pair
    cart = MergeProbeCart.objects.create(customer=other)
    merge_customers(survivor=survivor, other=other, actor=associate)
    cart.refresh_from_db()
    assert cart.customer_id == survivor.pk


def test_the_latest_consent_decision_wins(pair):
    survivor, other, _, associate = pair
    set_consent(customer=survivor, channel="email", granted=True, source_channel="web")
    set_consent(customer=other, channel="email", granted=False, source_channel="store")
    merge_customers(survivor=survivor, other=other, actor=associate)
    consent = Consent.objects.get(customer=survivor, channel="email")
    assert consent.granted is False and consent.source_channel == "store"
    assert not Consent.objects.filter(customer=other).exists()
    assert ConsentChange.objects.filter(customer=survivor).count() == 2


def test_login_of_the_merged_profile_moves_when_the_survivor_has_none(pair):
    survivor, _, _, associate = pair
    with_login = CustomerUserFactory(email="login2@example.com").customer_profile
    merge_customers(survivor=survivor, other=with_login, actor=associate)
    survivor.refresh_from_db()
    assert survivor.user is not None and survivor.user.email == "login2@example.com"


def test_pending_duplicate_pair_is_closed_and_third_party_pairs_follow(pair):
    survivor, other, _, associate = pair
    third = make_customer(email="third@example.com", first_name="Giulia")
    flag_duplicate(customer=survivor, other=other, reason="same name")
    flag_duplicate(customer=other, other=third, reason="same card")
    merge_customers(survivor=survivor, other=other, actor=associate)
    closed = DuplicateCandidate.objects.get(
        customer_a=min(survivor.pk, other.pk), customer_b=max(survivor.pk, other.pk)
    )
    assert closed.status == DuplicateStatus.MERGED and closed.resolved_by == associate
    carried = DuplicateCandidate.objects.get(
        status=DuplicateStatus.PENDING,
        customer_a=min(survivor.pk, third.pk),
        customer_b=max(survivor.pk, third.pk),
    )
    assert carried.reason == "same card"


def test_merge_refuses_the_same_profile_and_an_already_merged_one(pair):
    survivor, other, _, associate = pair
    with pytest.raises(ValidationFailed):
        merge_customers(survivor=survivor, other=survivor, actor=associate)
    merge_customers(survivor=survivor, other=other, actor=associate)
    with pytest.raises(Conflict):
        merge_customers(survivor=survivor, other=other, actor=associate)
    with pytest.raises(NotFound):
        resolve_customer(999999)


@pytest.mark.parametrize("erased", ["survivor", "other"])
def test_an_erased_profile_is_merged_with_no_other(pair, erased):
    survivor, other, _, associate = pair
    erase_customer(customer=survivor if erased == "survivor" else other)
    with pytest.raises(Conflict) as refused:
        merge_customers(survivor=survivor, other=other, actor=associate)
    assert refused.value.code == "profile_erased"
    other.refresh_from_db()
    assert other.merged_into_id is None


def test_the_staff_merge_of_two_logins_is_refused_on_the_page(client, pair):
    first = CustomerUserFactory(email="first@example.com")
    second = CustomerUserFactory(email="second@example.com")
    a, b = first.customer_profile, second.customer_profile
    flag_duplicate(customer=a, other=b, reason="Same name", channel=Channel.WEB)
    client.force_login(StaffFactory(store=LocationFactory()))
    response = client.post(
        f"/staff/customers/{a.pk}/merge/", {"other": b.pk, "confirm": "on"}
    )
    assert response.status_code == 422
    assert "Both profiles have a login of their own" in response.content.decode()
    b.refresh_from_db()
    assert b.merged_into_id is None


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_merge_waits_for_a_sale_that_matched_the_loser_and_carries_its_rows():
    """A sale holds the matched profile's lock until it commits; a merge started
    meanwhile waits for it, then moves the sale's rows to the survivor."""
    from django.db import connection, transaction

    survivor = make_customer(email="s@example.com")
    other = make_customer(phone="3331112233", channel=Channel.STORE)
    matched, go_on = threading.Event(), threading.Event()
    errors = []

    def sale():
        try:
            with transaction.atomic():
                customer = match_customer(phone="3331112233", channel=Channel.STORE)
                matched.set()
                go_on.wait(timeout=10)
                MergeProbeReceipt.objects.create(customer=customer, number="S1")
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    def merge():
        try:
            matched.wait(timeout=10)
            merge_customers(survivor=survivor, other=other, actor=None)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=sale), threading.Thread(target=merge)]
    for thread in threads:
        thread.start()
    matched.wait(timeout=10)
    waiting = 0
    for _ in range(200):  # until the merge is blocked on the profile's row lock
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE wait_event_type = 'Lock' AND datname = current_database()"
            )
            waiting = cursor.fetchone()[0]
        if waiting:
            break
        threading.Event().wait(0.025)
    go_on.set()
    for thread in threads:
        thread.join()
    assert waiting == 1
    assert errors == []
    assert MergeProbeReceipt.objects.get(number="S1").customer_id == survivor.pk
    assert Customer.objects.get(pk=other.pk).merged_into_id == survivor.pk


def test_the_business_moves_as_a_pair_when_the_survivor_has_none(pair):
    survivor, other, shop, associate = pair
    Customer.objects.filter(pk=other.pk).update(
        company_name="ACME Srl", vat_number="IT00743110157"
    )
    other.refresh_from_db()
    merge_customers(survivor=survivor, other=other, actor=associate)
    survivor.refresh_from_db()
    assert (survivor.company_name, survivor.vat_number) == (
        "ACME Srl",
        "IT00743110157",
    )


def test_the_survivors_business_is_never_mixed_with_the_others(pair):
    survivor, other, shop, associate = pair
    Customer.objects.filter(pk=survivor.pk).update(company_name="Bianchi Snc")
    Customer.objects.filter(pk=other.pk).update(
        company_name="ACME Srl", vat_number="IT00743110157"
    )
    survivor.refresh_from_db()
    other.refresh_from_db()
    merge_customers(survivor=survivor, other=other, actor=associate)
    survivor.refresh_from_db()
    assert (survivor.company_name, survivor.vat_number) == ("Bianchi Snc", "")
