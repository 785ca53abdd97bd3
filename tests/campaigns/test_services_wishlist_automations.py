"""Back in stock and price drop for wishlist items: stock changes are watched after
they commit, each return from nothing is messaged once per customer, each new low
price once per customer and variant, and only on channels the customer consented
to."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone

from campaigns.backends import MemoryBackend
from campaigns.models import (
    CampaignKind,
    CampaignStatus,
    Message,
    MessageStatus,
    Restock,
    StockWatch,
)
from campaigns.services.automations import run_automation, run_automations
from campaigns.services.restocks import detect_restocks, watch_stock_changes
from customers.models import Channel
from customers.services.profiles import update_profile
from customers.services.wishlists import (
    add_wishlist_item,
    create_wishlist,
    remove_wishlist_item,
)
from inventory.models import Variant
from inventory.services.stock import adjust_stock, receive_stock
from tests.campaigns.factories import campaign, grant, person
from tests.factories import LocationFactory, VariantFactory, WarehouseFactory

pytestmark = pytest.mark.django_db

WAIT = timedelta(minutes=15)
BACK = (
    "{{ wishlist_item.name }} is back",
    "Hi {{ first_name }}, {{ wishlist_item.name }} is back: "
    "{{ wishlist_item.online }} online"
    "{% if wishlist_item.in_store %}, {{ wishlist_item.in_store }} at "
    "{{ store.name }}{% endif %}. https://shop.example.org/wishlist",
)
DROP = (
    "Now {{ wishlist_item.price }}",
    "{{ wishlist_item.name }}: {{ wishlist_item.price }} instead of "
    "{{ wishlist_item.was_price }} (-{{ wishlist_item.saving_percent }}%)",
)


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Run a stock service and what it announces after commit (the signal)."""

    def run(call, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return call(**kwargs)

    return run


@pytest.fixture
def places():
    return {"warehouse": WarehouseFactory(), "shop": LocationFactory(name="Brera")}


def receive(committed, variant, location, quantity):
    committed(
        receive_stock,
        variant=variant,
        location=location,
        quantity=quantity,
    )


def write_off(committed, variant, location, quantity):
    committed(
        adjust_stock,
        variant=variant,
        location=location,
        delta=-quantity,
        reason="damage",
        note="Water damage",
    )


def wish(customer, variant, *, wishlist=None):
    return add_wishlist_item(
        customer=None if wishlist else customer,
        wishlist=wishlist,
        variant=variant,
        channel=Channel.WEB,
    ).item


def back_in_stock(channels=("email",)):
    return campaign(
        kind=CampaignKind.BACK_IN_STOCK,
        channels=channels,
        trigger_after=WAIT,
        templates={"email": BACK, "sms": ("", "Back: {{ wishlist_item.name }}")},
        status=CampaignStatus.ACTIVE,
    )


def later(minutes=20):
    return timezone.now() + timedelta(minutes=minutes)


def test_restock_of_a_wished_sold_out_item_messages_once(committed, places):
    shirt = VariantFactory(product__name="Linen shirt")
    ada = person("Ada")
    grant(ada, "email")
    wish(ada, shirt)
    bea = person("Bea")  # the shirt on two of her lists: one message all the same
    grant(bea, "email")
    wish(bea, shirt)
    second = create_wishlist(customer=bea, name="Summer", channel=Channel.WEB)
    wish(bea, shirt, wishlist=second.pk)
    automation = back_in_stock()

    receive(committed, shirt, places["warehouse"], 5)
    assert run_automations()[automation.name] == 0  # waits WAIT first
    [restock] = Restock.objects.all()
    assert (restock.variant_id, restock.location_id, restock.number) == (
        shirt.pk,
        None,
        1,
    )

    assert run_automations(now=later())[automation.name] == 2
    assert sorted(m.to[0] for m in mail.outbox) == sorted([ada.email, bea.email])
    email = next(m for m in mail.outbox if m.to == [ada.email])
    assert email.subject == "Linen shirt (Blue / M) is back"
    assert "Hi Ada, Linen shirt (Blue / M) is back: 5 online." in email.body
    assert set(Message.objects.values_list("trigger_key", flat=True)) == {
        f"restock:{shirt.pk}:1"
    }

    # More stock of something that is there is no restock: nothing more is sent.
    receive(committed, shirt, places["warehouse"], 3)
    run_automations(now=later(40))
    run_automations(now=later(60))
    assert Restock.objects.count() == 1
    assert Message.objects.count() == 2
    assert len(mail.outbox) == 2


def test_no_consent_on_the_channel_no_message(committed, places):
    shirt = VariantFactory()
    sms_only = person("Ada", phone=True)
    grant(sms_only, "sms")
    wish(sms_only, shirt)
    silent = person("Bea")
    wish(silent, shirt)
    withdrawn = person("Cai")
    grant(withdrawn, "email")
    wish(withdrawn, shirt)
    automation = back_in_stock()

    receive(committed, shirt, places["warehouse"], 2)
    run_automations()
    grant(withdrawn, "email", granted=False)
    run_automations(now=later())

    assert not Message.objects.filter(campaign=automation).exists()
    assert mail.outbox == [] and list(MemoryBackend.outbox) == []


def test_sold_out_and_back_again_is_a_new_restock_top_ups_are_not(committed, places):
    shirt = VariantFactory()
    receive(committed, shirt, places["warehouse"], 2)
    ada = person("Ada", phone=True)
    grant(ada, "sms")
    wish(ada, shirt)  # wished while in stock
    automation = back_in_stock(channels=("sms",))

    receive(committed, shirt, places["warehouse"], 2)  # a top-up
    run_automations(now=later())
    assert not Restock.objects.exists()

    write_off(committed, shirt, places["warehouse"], 4)  # sold out, seen so
    run_automations(now=later())
    receive(committed, shirt, places["warehouse"], 1)
    run_automations()
    run_automations(now=later())
    write_off(committed, shirt, places["warehouse"], 1)
    run_automations(now=later(30))
    receive(committed, shirt, places["warehouse"], 6)
    run_automations(now=later(30))
    run_automations(now=later(60))

    assert list(
        Message.objects.filter(campaign=automation)
        .order_by("pk")
        .values_list("trigger_key", "status")
    ) == [
        (f"restock:{shirt.pk}:1", MessageStatus.SENT),
        (f"restock:{shirt.pk}:2", MessageStatus.SENT),
    ]
    assert [m.body for m in MemoryBackend.outbox] == [f"Back: {shirt.name}"] * 2


def test_back_at_the_preferred_shop_reaches_who_shops_there(committed, places):
    shirt = VariantFactory()
    local = person("Ada")
    grant(local, "email")
    update_profile(customer=local, preferred_store=places["shop"].pk)
    wish(local, shirt)
    elsewhere = person("Bea")
    grant(elsewhere, "email")
    wish(elsewhere, shirt)
    back_in_stock()

    receive(committed, shirt, places["shop"], 3)  # a shop: not sold online
    run_automations()
    run_automations(now=later())

    [email] = mail.outbox
    assert email.to == [local.email]
    assert "is back: 0 online, 3 at Brera." in email.body
    assert Restock.objects.get().location_id == places["shop"].pk


def test_an_item_wished_after_it_came_back_is_not_messaged(committed, places):
    shirt = VariantFactory()
    early = person("Ada")
    grant(early, "email")
    wish(early, shirt)
    back_in_stock()
    receive(committed, shirt, places["warehouse"], 3)
    run_automations()
    late = person("Bea")
    grant(late, "email")
    wish(late, shirt)

    run_automations(now=later())

    assert [m.to for m in mail.outbox] == [[early.email]]


def test_a_restock_sold_out_again_before_the_wait_is_not_announced(committed, places):
    shirt = VariantFactory()
    ada = person("Ada")
    grant(ada, "email")
    wish(ada, shirt)
    back_in_stock()
    receive(committed, shirt, places["warehouse"], 1)
    run_automations()
    write_off(committed, shirt, places["warehouse"], 1)

    run_automations(now=later())

    assert Restock.objects.count() == 1
    assert mail.outbox == []


def test_stock_last_seen_before_the_wish_is_read_back_from_the_ledger(
    committed, places
):
    shirt = VariantFactory()
    ada = person("Ada")
    grant(ada, "email")
    first = wish(ada, shirt)
    receive(committed, shirt, places["warehouse"], 3)
    run_automations()  # seen: 3 online (nothing came back: none before)
    remove_wishlist_item(
        wishlist=first.wishlist_id, item_id=first.pk, channel=Channel.WEB
    )
    write_off(committed, shirt, places["warehouse"], 3)  # nobody wishes it: unseen
    wish(ada, shirt)  # wished again, while sold out
    back_in_stock()

    receive(committed, shirt, places["warehouse"], 2)
    run_automations()
    run_automations(now=later())

    assert [m.to for m in mail.outbox] == [[ada.email]]


def test_stock_changes_are_watched_only_for_wished_variants(
    committed, places, django_assert_num_queries
):
    wished, other = VariantFactory(), VariantFactory()
    wish(person(), wished)

    with django_assert_num_queries(1):  # one read, nothing written
        assert watch_stock_changes(changes=[(other.pk, places["shop"].pk)]) == 0
    receive(committed, other, places["warehouse"], 2)
    assert not StockWatch.objects.exists()

    receive(committed, wished, places["warehouse"], 2)
    receive(committed, wished, places["warehouse"], 2)  # waiting already: one row
    receive(committed, wished, places["shop"], 1)
    assert set(StockWatch.objects.values_list("variant_id", "location_id")) == {
        (wished.pk, places["warehouse"].pk),
        (wished.pk, places["shop"].pk),
    }
    detect_restocks()
    assert not StockWatch.objects.exists()


def price_drop(**kwargs):
    return campaign(
        kind=CampaignKind.PRICE_DROP,
        trigger_after=timedelta(hours=1),
        templates={"email": DROP},
        status=CampaignStatus.ACTIVE,
        **kwargs,
    )


def reprice(variant, price: str):
    Variant.objects.filter(pk=variant.pk).update(price=Decimal(price))


def test_price_drop_messages_once_per_variant_and_price(places, settings):
    settings.OMNISTORE_PRICE_DROP_MIN_PERCENT = Decimal("10")
    coat = VariantFactory(product__name="Wool coat", price=Decimal("200.00"))
    receive_stock(variant=coat, location=places["warehouse"], quantity=4)
    ada = person("Ada")
    grant(ada, "email")
    wish(ada, coat)
    no_consent = person("Bea")
    wish(no_consent, coat)
    automation = price_drop()
    hours = timezone.now() + timedelta(hours=2)

    reprice(coat, "190.00")  # 5 % off: under the threshold
    assert run_automations(now=hours)[automation.name] == 0

    reprice(coat, "150.00")
    assert run_automations(now=timezone.now())[automation.name] == 0  # new
    assert run_automations(now=hours)[automation.name] == 1
    assert run_automations(now=hours)[automation.name] == 0
    [email] = mail.outbox
    assert email.to == [ada.email]
    assert email.subject == "Now 150.00 EUR"
    assert "Wool coat (Blue / M): 150.00 EUR instead of 200.00 EUR (-25%)" in email.body

    reprice(coat, "120.00")  # a new, lower price: a new message
    run_automations(now=hours)
    assert list(
        Message.objects.filter(campaign=automation)
        .order_by("pk")
        .values_list("customer_id", "trigger_key")
    ) == [
        (ada.pk, f"drop:{coat.pk}:EUR:150.00"),
        (ada.pk, f"drop:{coat.pk}:EUR:120.00"),
    ]


def test_a_price_drop_on_two_of_a_customers_lists_is_one_message(places):
    coat = VariantFactory(product__name="Wool coat", price=Decimal("189.00"))
    receive_stock(variant=coat, location=places["warehouse"], quantity=4)
    ada = person("Ada")
    grant(ada, "email")
    wish(ada, coat)
    second = create_wishlist(customer=ada, name="Winter", channel=Channel.WEB)
    wish(ada, coat, wishlist=second.pk)
    automation = price_drop()

    reprice(coat, "150.00")

    assert run_automations(now=later(minutes=120))[automation.name] == 1
    [email] = mail.outbox
    assert "Wool coat (Blue / M): 150.00 EUR instead of 189.00 EUR (-20%)" in (
        email.body
    )
    assert list(Message.objects.values_list("trigger_key", flat=True)) == [
        f"drop:{coat.pk}:EUR:150.00"
    ]


def told_of_a_drop_to_150(places):
    """Ada, who wished the coat at 189.00, told of its cut to 150.00."""
    coat = VariantFactory(product__name="Wool coat", price=Decimal("189.00"))
    receive_stock(variant=coat, location=places["warehouse"], quantity=4)
    ada = person("Ada")
    grant(ada, "email")
    wish(ada, coat)
    automation = price_drop()
    reprice(coat, "150.00")
    assert run_automations(now=later(minutes=120))[automation.name] == 1
    return coat, automation


def test_a_price_raised_after_a_drop_is_no_new_drop(places):
    """Still below the price wished at, 160.00 is no news to who was told of 150.00;
    nor is 150.00 again after the coat went back to 189.00."""
    coat, automation = told_of_a_drop_to_150(places)

    for price in ("160.00", "189.00", "150.00"):
        reprice(coat, price)
        assert run_automations(now=later(minutes=120))[automation.name] == 0, price

    assert [email.subject for email in mail.outbox] == ["Now 150.00 EUR"]


def test_a_new_low_after_a_rise_is_told_once(places):
    coat, automation = told_of_a_drop_to_150(places)
    reprice(coat, "160.00")
    run_automations(now=later(minutes=120))

    reprice(coat, "140.00")
    assert run_automations(now=later(minutes=120))[automation.name] == 1
    assert run_automations(now=later(minutes=120))[automation.name] == 0

    assert [email.subject for email in mail.outbox] == [
        "Now 150.00 EUR",
        "Now 140.00 EUR",
    ]
    assert "140.00 EUR instead of 189.00 EUR (-25%)" in mail.outbox[1].body


def test_a_drop_goes_on_every_channel_sent_in_batches_of_one(places, memory_backends):
    """The SMS of a drop whose email went first is the same news, not an old one."""
    coat = VariantFactory(product__name="Wool coat", price=Decimal("189.00"))
    receive_stock(variant=coat, location=places["warehouse"], quantity=4)
    ada = person("Ada", phone=True)
    grant(ada, "email", "sms")
    wish(ada, coat)
    automation = campaign(
        kind=CampaignKind.PRICE_DROP,
        channels=("email", "sms"),
        trigger_after=timedelta(hours=1),
        templates={"email": DROP, "sms": ("", "Now {{ wishlist_item.price }}")},
        status=CampaignStatus.ACTIVE,
    )
    reprice(coat, "150.00")

    result = run_automation(campaign=automation, now=later(120), batch_size=1)

    assert (result.sent, result.skipped) == (2, 0)
    assert [m.body for m in memory_backends.outbox] == ["Now 150.00 EUR"]
    assert len(mail.outbox) == 1


def test_no_price_drop_message_for_what_cannot_be_had(places):
    coat = VariantFactory(price=Decimal("200.00"))
    ada = person("Ada")
    grant(ada, "email")
    wish(ada, coat)
    price_drop()
    reprice(coat, "100.00")

    run_automations(now=timezone.now() + timedelta(hours=2))

    assert mail.outbox == []


@pytest.mark.parametrize("wishers", [1, 6])
def test_a_back_in_stock_run_costs_fixed_queries_plus_a_record_per_email(
    committed, places, wishers, django_assert_max_num_queries, tax_table_kept
):
    """Reading wishers, stock, content and the items' pictures costs the same for more
    wishers; each email the relay accepts is then marked sent and put on the timeline
    before the next goes out (a savepoint, the update, the insert, the release here;
    the savepoint pair is a commit in production)."""
    shirts = [VariantFactory() for _ in range(2)]
    for n in range(wishers):
        customer = person(f"W{n}")
        grant(customer, "email")
        update_profile(customer=customer, preferred_store=places["shop"].pk)
        for shirt in shirts:
            wish(customer, shirt)
    automation = back_in_stock()
    for shirt in shirts:
        receive(committed, shirt, places["warehouse"], 4)
        receive(committed, shirt, places["shop"], 1)
    # 14, and 2 for the wishers' timelines and the client book's restock tasks.
    with django_assert_max_num_queries(16):
        detect_restocks()

    # 28, and 2 for the one-automation-per-event step: is another automation of the
    # kind running, and skip what one of them told the customer already. The
    # markets are kept by the process, as deployed.
    with django_assert_max_num_queries(35 + 4 * 2 * wishers):
        result = run_automation(campaign=automation, now=later())
    assert result.sent == 2 * wishers
    assert "1 at Brera" in mail.outbox[0].body
