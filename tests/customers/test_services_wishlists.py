"""Wishlist services: attribution to the associate and shop, no duplicates, soft
removal with history, sharing by email after commit, merges and erasure."""

import threading
from decimal import Decimal

import pytest
from django.core import mail
from django.db import IntegrityError, connection, connections, transaction

from customers.models import CustomerEvent, Wishlist, WishlistItem
from customers.selectors.wishlists import (
    customer_wishlists,
    wishlist_by_share_token,
    wishlist_items_for_variants,
    wishlists_with_availability,
)
from customers.services.erasure import erase_customer
from customers.services.merge import merge_customers
from customers.services.wishlists import (
    add_wishlist_item,
    archive_wishlist,
    create_wishlist,
    ensure_default_wishlist,
    remove_wishlist_item,
    rename_wishlist,
    share_wishlist_by_email,
    shared_wishlist_url,
)
from omnistore.core import outbox
from omnistore.core.channels import Channel
from omnistore.core.exceptions import NotFound, ValidationFailed
from omnistore.core.models import OutboxMessage
from tests.customers.factories import make_customer
from tests.customers.wishlist_owners import with_confirmed_email
from tests.factories import LocationFactory, StaffFactory, VariantFactory, stock
from tests.orders.factories import in_francs

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop():
    return LocationFactory(name="Milano Centro")


@pytest.fixture
def associate(shop):
    return StaffFactory(first_name="Giulia", last_name="Bianchi", store=shop)


@pytest.fixture
def customer():
    """Martina, who confirmed her email: she may share her lists."""
    return with_confirmed_email(
        make_customer(email="martina@example.com", first_name="Martina")
    )


def deliver_outbox() -> int:
    total = 0
    for _ in range(5):
        delivered = outbox.drain()
        total += delivered
        if not delivered:
            break
    return total


def test_an_associate_adds_on_the_customers_behalf_attributed_to_them_and_their_shop(
    customer, associate, shop
):
    variant = VariantFactory(price=Decimal("79.00"))
    added = add_wishlist_item(
        customer=customer,
        variant=variant,
        note="Try in 40",
        actor=associate,
        channel=Channel.STORE,
    )
    item = WishlistItem.objects.get()
    assert added.created and added.item == item
    assert item.wishlist.customer == customer
    assert item.wishlist.name == "My wishlist"
    assert item.added_by_staff == associate
    assert item.added_at_location == shop  # the associate's home shop by default
    assert item.added_via == Channel.STORE
    assert item.price_at_add == Decimal("79.00")
    assert item.note == "Try in 40"
    event = CustomerEvent.objects.get(customer=customer, kind="wishlist_item_added")
    assert "by Giulia Bianchi at Milano Centro" in event.summary
    assert variant.sku in event.summary
    assert event.actor == associate and event.location == shop
    assert event.channel == Channel.STORE


def test_a_customer_adding_online_is_not_attributed_to_staff(customer):
    variant = VariantFactory()
    add_wishlist_item(
        customer=customer, variant=variant, actor=customer.user, channel=Channel.WEB
    )
    item = WishlistItem.objects.get()
    assert item.added_by_staff is None and item.added_at_location is None
    assert item.added_via == Channel.WEB
    event = CustomerEvent.objects.get(kind="wishlist_item_added")
    assert " by " not in event.summary


def test_the_default_list_is_created_once_on_demand(customer, associate):
    for variant in VariantFactory.create_batch(3):
        add_wishlist_item(
            customer=customer, variant=variant, actor=associate, channel=Channel.STORE
        )
    (wishlist,) = Wishlist.objects.filter(customer=customer)
    assert wishlist.items.count() == 3


def test_re_adding_an_active_variant_updates_the_note_instead_of_duplicating(
    customer, associate
):
    variant = VariantFactory()
    first = add_wishlist_item(
        customer=customer,
        variant=variant,
        note="Size 40",
        actor=associate,
        channel=Channel.STORE,
    )
    again = add_wishlist_item(
        wishlist=first.item.wishlist,
        variant=variant,
        note="Size 42 after all",
        channel=Channel.WEB,
    )
    assert not again.created and again.item.pk == first.item.pk
    assert WishlistItem.objects.count() == 1
    item = WishlistItem.objects.get()
    assert item.note == "Size 42 after all"
    assert item.added_by_staff == associate  # who added it first stays on record
    assert CustomerEvent.objects.filter(kind="wishlist_item_updated").count() == 1
    # A scan without a note keeps the note.
    add_wishlist_item(customer=customer, variant=variant, channel=Channel.APP)
    item.refresh_from_db()
    assert item.note == "Size 42 after all"
    assert CustomerEvent.objects.filter(kind="wishlist_item_added").count() == 1


def test_the_database_refuses_two_active_rows_for_one_variant_on_a_list(customer):
    variant = VariantFactory()
    item = add_wishlist_item(
        customer=customer, variant=variant, channel=Channel.WEB
    ).item
    with pytest.raises(IntegrityError), transaction.atomic():
        WishlistItem.objects.create(
            wishlist=item.wishlist,
            variant=variant,
            added_via=Channel.WEB,
            price_at_add=variant.price,
        )


def test_removal_soft_deletes_leaves_history_and_allows_adding_again(
    customer, associate, shop
):
    variant = VariantFactory()
    item = add_wishlist_item(
        customer=customer, variant=variant, channel=Channel.WEB
    ).item
    removed = remove_wishlist_item(
        wishlist=item.wishlist,
        item_id=item.pk,
        actor=associate,
        channel=Channel.STORE,
    )
    assert removed.pk == item.pk
    item.refresh_from_db()
    assert item.removed_at is not None and item.removed_by == associate
    event = CustomerEvent.objects.get(kind="wishlist_item_removed")
    assert "by Giulia Bianchi at Milano Centro" in event.summary
    assert event.location == shop
    assert customer_wishlists(customer).get().active_items == []
    with pytest.raises(NotFound):
        remove_wishlist_item(
            wishlist=item.wishlist, item_id=item.pk, channel=Channel.WEB
        )
    again = add_wishlist_item(customer=customer, variant=variant, channel=Channel.WEB)
    assert again.created and again.item.pk != item.pk
    assert WishlistItem.objects.count() == 2  # the removed row is kept


def test_discontinued_or_unknown_items_are_refused_and_nothing_changes(customer):
    gone = VariantFactory(active=False)
    for variant in (gone, 999999, "abc"):
        with pytest.raises(ValidationFailed) as refused:
            add_wishlist_item(customer=customer, variant=variant, channel=Channel.WEB)
        assert "variant" in refused.value.extra
    with pytest.raises(ValidationFailed):
        add_wishlist_item(
            customer=customer, variant=VariantFactory(), channel=Channel.PHONE
        )
    assert not WishlistItem.objects.exists()
    assert not CustomerEvent.objects.filter(kind__startswith="wishlist").exists()


def test_create_rename_and_archive_are_on_the_timeline(customer):
    wishlist = create_wishlist(
        customer=customer, name="  Wedding   ideas ", channel=Channel.APP
    )
    assert wishlist.name == "Wedding ideas"
    rename_wishlist(wishlist=wishlist, name="Wedding", channel=Channel.APP)
    archive_wishlist(wishlist=wishlist, channel=Channel.APP)
    wishlist.refresh_from_db()
    assert wishlist.name == "Wedding" and wishlist.archived_at is not None
    kinds = list(
        CustomerEvent.objects.filter(kind__startswith="wishlist")
        .order_by("id")
        .values_list("kind", flat=True)
    )
    assert kinds == ["wishlist_created", "wishlist_renamed", "wishlist_archived"]
    with pytest.raises(NotFound):
        add_wishlist_item(
            wishlist=wishlist, variant=VariantFactory(), channel=Channel.APP
        )
    with pytest.raises(ValidationFailed):
        create_wishlist(customer=customer, name="x" * 101, channel=Channel.WEB)


def test_sharing_sends_one_email_after_commit(
    customer, associate, django_capture_on_commit_callbacks
):
    variant = VariantFactory(product__name="Linen dress", colour="Sand", size="S")
    item = add_wishlist_item(
        customer=customer, variant=variant, channel=Channel.WEB
    ).item
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        queued = share_wishlist_by_email(
            wishlist=item.wishlist,
            email=" Friend@Example.com ",
            message="For my birthday!",
            channel=Channel.WEB,
        )
        assert queued is True
        assert mail.outbox == []  # nothing leaves inside the transaction
    (message,) = mail.outbox
    assert message.to == ["friend@example.com"]
    assert message.subject == "Martina shared a wishlist with you: My wishlist"
    assert "Linen dress (Sand / S)" in message.body
    assert "For my birthday!" in message.body
    assert f"/wishlists/{item.wishlist.share_token}/" in message.body
    event = CustomerEvent.objects.get(kind="wishlist_shared")
    assert "f…@example.com" in event.summary
    assert deliver_outbox() == 0  # delivered exactly once
    assert len(mail.outbox) == 1


def test_an_associate_shares_a_list_for_a_customer_who_never_confirmed_an_email(
    associate, shop, django_capture_on_commit_callbacks
):
    """Only the customer's own share needs a confirmed email: an associate at the
    shop shares for them as before, on record as theirs."""
    newcomer = make_customer(email="nadia@example.com", first_name="Nadia")
    wishlist = add_wishlist_item(
        customer=newcomer, variant=VariantFactory(), channel=Channel.WEB
    ).item.wishlist
    with django_capture_on_commit_callbacks(execute=True):
        queued = share_wishlist_by_email(
            wishlist=wishlist,
            email="friend@example.com",
            message="Giulia picked these for you",
            actor=associate,
            channel=Channel.STORE,
        )

    assert queued is True
    (message,) = mail.outbox
    assert message.to == ["friend@example.com"]
    event = CustomerEvent.objects.get(kind="wishlist_shared")
    assert event.actor == associate and event.location == shop
    assert event.summary.endswith("— by Giulia Bianchi at Milano Centro")


def test_an_email_given_in_person_lets_the_customer_share_online(
    shop, django_capture_on_commit_callbacks
):
    """An email an associate took at the counter counts as the customer's own
    (``CustomerIdentity.proven``), like one confirmed with a code."""
    regular = make_customer(
        email="ornella@example.com", channel=Channel.STORE, location=shop
    )
    wishlist = add_wishlist_item(
        customer=regular, variant=VariantFactory(), channel=Channel.APP
    ).item.wishlist
    with django_capture_on_commit_callbacks(execute=True):
        assert share_wishlist_by_email(
            wishlist=wishlist, email="friend@example.com", channel=Channel.APP
        )
    assert len(mail.outbox) == 1


def test_the_email_says_the_message_is_the_senders_own_words_not_the_shops(
    customer, django_capture_on_commit_callbacks
):
    wishlist = add_wishlist_item(
        customer=customer, variant=VariantFactory(), channel=Channel.WEB
    ).item.wishlist
    with django_capture_on_commit_callbacks(execute=True):
        share_wishlist_by_email(
            wishlist=wishlist,
            email="with@example.com",
            message="Claim your prize at prize.example",
            channel=Channel.WEB,
        )
        share_wishlist_by_email(
            wishlist=wishlist, email="without@example.com", channel=Channel.WEB
        )

    sent = {message.to[0]: message for message in mail.outbox}
    with_words, without = sent["with@example.com"], sent["without@example.com"]
    line = "These are the sender's own words, not Omnistore's."
    assert "Martina writes: Claim your prize at prize.example\n" in with_words.body
    assert f"\n({line})\n" in with_words.body
    html = with_words.alternatives[0][0]
    assert line.replace("'", "’") in html
    assert "Claim your prize" not in without.body and "own words" not in without.body
    assert "own words" not in without.alternatives[0][0]


def test_a_shared_list_email_leaves_out_what_is_no_longer_sold(
    customer, django_capture_on_commit_callbacks
):
    kept = VariantFactory(product__name="Linen dress", colour="Sand", size="S")
    retired = VariantFactory(product__name="Wool coat", colour="Grey", size="M")
    for variant in (kept, retired):
        add_wishlist_item(customer=customer, variant=variant, channel=Channel.WEB)
    retired.product.active = False
    retired.product.save(update_fields=["active"])
    wishlist = customer.wishlists.get()
    with django_capture_on_commit_callbacks(execute=True):
        share_wishlist_by_email(
            wishlist=wishlist, email="friend@example.com", channel=Channel.WEB
        )

    (message,) = mail.outbox
    assert "Linen dress (Sand / S)" in message.body
    assert "Wool coat" not in message.body


def test_a_shared_list_is_priced_in_its_owners_market(
    client, django_capture_on_commit_callbacks
):
    """A Zürich customer's list, shared: the page and the email give the francs she
    pays there, not the catalogue's euros; an item her market does not sell shows
    no price on the page and stays out of the email."""
    zurich = LocationFactory(code="ZH01", name="Zürich", country="CH")
    owner = with_confirmed_email(
        make_customer(email="vreni@example.ch", first_name="Vreni")
    )
    owner.preferred_store = zurich
    owner.save(update_fields=["preferred_store"])
    shirt = in_francs(
        VariantFactory(product__name="Linen shirt", price=Decimal("59.90")), "62.90"
    )
    scarf = VariantFactory(product__name="Silk scarf", price=Decimal("39.00"))
    for variant in (shirt, scarf):
        add_wishlist_item(customer=owner, variant=variant, channel=Channel.WEB)
    wishlist = owner.wishlists.get()
    with django_capture_on_commit_callbacks(execute=True):
        share_wishlist_by_email(
            wishlist=wishlist, email="friend@example.com", channel=Channel.WEB
        )

    page = client.get(shared_wishlist_url(wishlist)).content.decode()
    (message,) = mail.outbox

    assert "62.90 CHF" in page and "59.90" not in page and "39.00" not in page
    assert "Linen shirt" in message.body and "62.90 CHF" in message.body
    assert "Silk scarf" not in message.body and "EUR" not in message.body


def test_sharing_the_same_unchanged_list_twice_sends_once_until_it_changes(
    customer, django_capture_on_commit_callbacks
):
    wishlist = add_wishlist_item(
        customer=customer, variant=VariantFactory(), channel=Channel.WEB
    ).item.wishlist
    with django_capture_on_commit_callbacks(execute=True):
        assert share_wishlist_by_email(
            wishlist=wishlist, email="a@example.com", channel=Channel.WEB
        )
    with django_capture_on_commit_callbacks(execute=True):
        assert not share_wishlist_by_email(
            wishlist=wishlist, email="a@example.com", channel=Channel.WEB
        )
    assert len(mail.outbox) == 1
    assert CustomerEvent.objects.filter(kind="wishlist_shared").count() == 1
    add_wishlist_item(wishlist=wishlist, variant=VariantFactory(), channel=Channel.WEB)
    with django_capture_on_commit_callbacks(execute=True):
        assert share_wishlist_by_email(
            wishlist=wishlist, email="a@example.com", channel=Channel.WEB
        )
    assert len(mail.outbox) == 2


def test_sharing_refuses_a_bad_address_or_an_empty_list(customer):
    wishlist = create_wishlist(customer=customer, channel=Channel.WEB)
    with pytest.raises(ValidationFailed) as refused:
        share_wishlist_by_email(
            wishlist=wishlist, email="a@example.com", channel=Channel.WEB
        )
    assert "wishlist" in refused.value.extra
    add_wishlist_item(wishlist=wishlist, variant=VariantFactory(), channel=Channel.WEB)
    with pytest.raises(ValidationFailed) as refused:
        share_wishlist_by_email(
            wishlist=wishlist, email="not-an-address", channel=Channel.WEB
        )
    assert "email" in refused.value.extra
    assert not OutboxMessage.objects.exists()


def test_a_list_deleted_before_delivery_sends_nothing(customer):
    wishlist = add_wishlist_item(
        customer=customer, variant=VariantFactory(), channel=Channel.WEB
    ).item.wishlist
    share_wishlist_by_email(
        wishlist=wishlist, email="a@example.com", channel=Channel.WEB
    )
    archive_wishlist(wishlist=wishlist, channel=Channel.WEB)
    assert deliver_outbox() == 1
    assert mail.outbox == []


def test_a_merge_carries_the_lists_to_the_survivor(customer, associate):
    other = make_customer(phone="333 765 4321", first_name="Martina")
    variant = VariantFactory()
    add_wishlist_item(
        customer=other, variant=variant, actor=associate, channel=Channel.STORE
    )
    merge_customers(survivor=customer, other=other, actor=associate)
    (wishlist,) = customer_wishlists(customer)
    assert [i.variant for i in wishlist.active_items] == [variant]
    # Writing through the merged profile lands on the survivor.
    add_wishlist_item(customer=other, variant=VariantFactory(), channel=Channel.WEB)
    assert Wishlist.objects.filter(customer=customer).count() == 1
    assert wishlist.items.count() == 2


def test_erasure_forgets_notes_names_and_shared_links(customer):
    wishlist = create_wishlist(
        customer=customer, name="Gifts for Marco", channel=Channel.WEB
    )
    add_wishlist_item(
        wishlist=wishlist,
        variant=VariantFactory(),
        note="His size is L",
        channel=Channel.WEB,
    )
    token = wishlist.share_token
    erase_customer(customer=customer)
    wishlist.refresh_from_db()
    assert wishlist.name == "My wishlist" and wishlist.share_token != token
    assert wishlist.items.get().note == ""
    summaries = CustomerEvent.objects.filter(kind="wishlist_created").values_list(
        "summary", flat=True
    )
    assert list(summaries) == ["[erased]"]
    with pytest.raises(NotFound):
        wishlist_by_share_token(token)


def test_items_for_variants_reads_only_active_items_of_open_lists(customer):
    wanted, other = VariantFactory(), VariantFactory()
    kept = add_wishlist_item(
        customer=customer, variant=wanted, channel=Channel.WEB
    ).item
    removed = add_wishlist_item(
        wishlist=create_wishlist(customer=customer, channel=Channel.WEB),
        variant=wanted,
        channel=Channel.WEB,
    ).item
    remove_wishlist_item(
        wishlist=removed.wishlist, item_id=removed.pk, channel=Channel.WEB
    )
    archived = create_wishlist(customer=customer, channel=Channel.WEB)
    add_wishlist_item(wishlist=archived, variant=wanted, channel=Channel.WEB)
    archive_wishlist(wishlist=archived, channel=Channel.WEB)
    add_wishlist_item(customer=customer, variant=other, channel=Channel.WEB)
    rows = list(wishlist_items_for_variants([wanted.pk]))
    assert rows == [kept]
    assert rows[0].wishlist.customer == customer


def _fill(customer, shops, count):
    wishlist = ensure_default_wishlist(customer=customer)
    for i in range(count):
        variant = VariantFactory()
        stock(variant, shops[i % len(shops)], 2)
        add_wishlist_item(wishlist=wishlist, variant=variant, channel=Channel.WEB)


@pytest.mark.parametrize("count", [2, 12])
def test_lists_with_availability_cost_five_queries_whatever_their_length(
    customer, shop, django_assert_max_num_queries, count
):
    shops = [shop, *(LocationFactory() for _ in range(3))]
    _fill(customer, shops, count)
    second = create_wishlist(customer=customer, channel=Channel.WEB)
    add_wishlist_item(wishlist=second, variant=VariantFactory(), channel=Channel.WEB)
    with django_assert_max_num_queries(5):  # lists, items, pictures, shops, levels
        wishlists = wishlists_with_availability(customer, store=shop)
        rows = [
            (
                item.variant.name,
                item.availability.store.available,
                [s.location.name for s in item.availability.nearby],
            )
            for w in wishlists
            for item in w.active_items
        ]
    assert len(rows) == count + 1
    here = sum(1 for _, units, _ in rows if units == 2)
    assert here == len(range(0, count, len(shops)))  # stocked at this shop only
    assert all(len(nearby) <= 3 for _, _, nearby in rows)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_adds_of_one_item_make_one_list_and_one_item():
    """Eight devices add the same item for a customer with no list yet, at once."""
    customer = make_customer(email="race@example.com")
    variant = VariantFactory()
    barrier = threading.Barrier(8)
    created, errors = [], []

    def add(note):
        try:
            barrier.wait(timeout=10)
            added = add_wishlist_item(
                customer=customer, variant=variant, note=note, channel=Channel.APP
            )
            created.append(added.created)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=add, args=(f"n{i}",)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(created) == [False] * 7 + [True]
    assert Wishlist.objects.filter(customer=customer).count() == 1
    assert WishlistItem.objects.count() == 1
    assert CustomerEvent.objects.filter(kind="wishlist_item_added").count() == 1
    assert connection.vendor == "postgresql"
