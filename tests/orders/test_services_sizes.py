"""Sizes learned from what customers buy and keep, in any channel: the size kept most
often per category, moved a step by a return as too small or too big, learned again
after each sale and each return (from the outbox, after commit)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from customers.models import CustomerEvent, LearnedSize
from customers.selectors.sizes import SizeEvidence, customer_sizes
from customers.services.merge import merge_customers
from customers.services.sizes import learn_size, state_size
from orders.services.checkout import LineRequest, place_order
from orders.services.refunds import return_at_counter
from orders.services.returns import ReturnLineRequest
from tests.customers.factories import make_customer
from tests.factories import CategoryFactory, ProductFactory, StaffFactory, stock
from tests.orders.factories import CARD, deliver_outbox, shop, variant
from tests.orders.returns_helpers import counter_sale

pytestmark = pytest.mark.django_db


@pytest.fixture
def store():
    return shop(code="MI01", name="Milano Centro")


@pytest.fixture
def associate(store):
    return StaffFactory(store=store)


@pytest.fixture
def knitwear():
    return CategoryFactory(slug="women-knitwear", name="Knitwear")


def jumper(store, knitwear, sizes=("S", "M", "L")):
    """A jumper in a size run, each size stocked at the shop; by size."""
    product = ProductFactory(category=knitwear)
    items = {}
    for size in sizes:
        items[size] = variant(product=product, size=size)
        stock(items[size], store, 10)
    return items


def learned(customer):
    return {
        r.category.slug: r.size for r in LearnedSize.objects.filter(customer=customer)
    }


def test_the_size_kept_most_often_in_a_category_is_learned_from_every_channel(
    store, associate, knitwear
):
    customer = make_customer(email="ada@example.com")
    trousers = CategoryFactory(slug="women-trousers", name="Trousers")
    first, second = jumper(store, knitwear), jumper(store, knitwear)
    jeans = variant(product=ProductFactory(category=trousers), size="42")
    stock(jeans, store, 5)
    counter_sale(
        store=store, lines=[(first["M"], 2)], staff=associate, customer=customer
    )
    counter_sale(store=store, lines=[(jeans, 1)], staff=associate, customer=customer)
    place_order(  # online, delivered
        lines=[LineRequest(second["S"], 1)],
        channel="web",
        fulfilment="pickup",
        pickup_store=store,
        customer=customer,
        payments=CARD,
    )
    assert learned(customer) == {}  # nothing until the sale's side effects run

    deliver_outbox()

    assert learned(customer) == {"women-knitwear": "M", "women-trousers": "42"}
    row = LearnedSize.objects.get(customer=customer, category=knitwear)
    assert (row.units_kept, row.kept_size, row.moved_by) == (3, "M", "")
    assert CustomerEvent.objects.filter(
        customer=customer, kind="size_learned", summary="Usually M in Knitwear"
    ).exists()


def test_a_return_as_too_small_moves_the_size_one_step_up(store, associate, knitwear):
    customer = make_customer(email="ada@example.com")
    items = jumper(store, knitwear)
    for _ in range(2):
        counter_sale(
            store=store, lines=[(items["M"], 1)], staff=associate, customer=customer
        )
    late = counter_sale(
        store=store, lines=[(items["M"], 1)], staff=associate, customer=customer
    )
    deliver_outbox()
    assert learned(customer) == {"women-knitwear": "M"}

    return_at_counter(
        order=late.number,
        lines=[ReturnLineRequest(late.lines.get().pk, 1, "too_small")],
        location=store,
        actor=associate,
        refund_now=False,
    )
    deliver_outbox()

    row = LearnedSize.objects.get(customer=customer)
    assert (row.size, row.kept_size, row.moved_by) == ("L", "M", "too_small")
    sizes = customer_sizes(customer)
    assert [s.summary for s in sizes] == ["usually L in Knitwear"]
    assert CustomerEvent.objects.filter(
        summary="Usually L in Knitwear, after a return as too small"
    ).exists()


def test_a_return_for_another_reason_only_takes_the_units_out(
    store, associate, knitwear
):
    customer = make_customer(email="ada@example.com")
    items = jumper(store, knitwear)
    sale = counter_sale(
        store=store, lines=[(items["L"], 2)], staff=associate, customer=customer
    )
    counter_sale(
        store=store, lines=[(items["S"], 1)], staff=associate, customer=customer
    )
    deliver_outbox()
    assert learned(customer) == {"women-knitwear": "L"}

    return_at_counter(
        order=sale.number,
        lines=[ReturnLineRequest(sale.lines.get().pk, 2, "changed_mind")],
        location=store,
        actor=associate,
        refund_now=False,
    )
    deliver_outbox()

    assert learned(customer) == {"women-knitwear": "S"}
    deliver_outbox()  # learning again changes nothing
    assert LearnedSize.objects.get().moved_by == ""


def test_a_too_big_return_moves_down_the_products_own_run(store, associate):
    shoes = CategoryFactory(slug="women-shoes", name="Shoes")
    customer = make_customer(email="ada@example.com")
    items = jumper(store, shoes, sizes=("38", "39", "40"))
    sale = counter_sale(
        store=store, lines=[(items["39"], 1)], staff=associate, customer=customer
    )
    return_at_counter(
        order=sale.number,
        lines=[ReturnLineRequest(sale.lines.get().pk, 1, "too_big")],
        location=store,
        actor=associate,
        refund_now=False,
    )

    deliver_outbox()

    assert learned(customer) == {"women-shoes": "38"}


def test_what_is_kept_after_a_fit_return_wins_over_the_step():
    now = timezone.now()
    old = now - timedelta(days=90)
    evidence = [
        SizeEvidence(1, "M", old, kept=3),
        SizeEvidence(1, "M", now - timedelta(days=2), fit="too_small"),
        SizeEvidence(1, "XL", now, kept=1),  # the exchange they kept
    ]

    found = learn_size(evidence)

    assert (found.size, found.kept_size, found.units_kept) == ("XL", "M", 4)
    assert learn_size(evidence[:2]).size == "L"
    assert learn_size([]) is None
    # A tie goes to the size kept last.
    tie = [SizeEvidence(1, "S", old, kept=1), SizeEvidence(1, "L", now, kept=1)]
    assert learn_size(tie).size == "L"


def test_a_stated_size_shows_before_the_learned_one(store, associate, knitwear):
    customer = make_customer(email="ada@example.com")
    items = jumper(store, knitwear)
    counter_sale(
        store=store, lines=[(items["M"], 1)], staff=associate, customer=customer
    )
    deliver_outbox()

    customer = state_size(customer=customer, category="women-knitwear", size="L")

    (row,) = customer_sizes(customer)
    assert (row.size, row.source, row.learned, row.stated) == ("L", "stated", "M", "L")
    assert row.summary == "takes L in Knitwear"
    customer = state_size(customer=customer, category="women-knitwear", size="")
    assert customer_sizes(customer)[0].source == "learned"


def test_merged_profiles_learn_from_both_histories(store, associate, knitwear):
    ada = make_customer(email="ada@example.com")
    twin = make_customer(phone="+393331234567")
    items = jumper(store, knitwear)
    counter_sale(store=store, lines=[(items["S"], 1)], staff=associate, customer=ada)
    counter_sale(store=store, lines=[(items["L"], 2)], staff=associate, customer=twin)
    deliver_outbox()
    assert learned(ada) == {"women-knitwear": "S"}

    merge_customers(survivor=ada, other=twin, actor=associate)
    deliver_outbox()

    assert learned(ada) == {"women-knitwear": "L"}
