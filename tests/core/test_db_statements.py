"""The kept-statement helpers write and read what the ORM writes and reads, on SQLite
and PostgreSQL alike."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection
from django.utils import timezone

from customers.models import Customer, CustomerEvent
from inventory.models import Location, Product, Variant
from omnistore.core import db
from orders.models import Cart, CartLine
from tests.factories import LocationFactory, VariantFactory

pytestmark = pytest.mark.django_db


def test_inserted_rows_read_back_through_the_orm_as_written():
    when = timezone.now() - timedelta(days=3)
    carts = [Cart(token=f"t{i}", created_at=when) for i in range(3)]
    assert db.insert_rows(carts) == carts
    assert [c.pk for c in carts] == sorted(c.pk for c in carts)
    stored = Cart.objects.get(pk=carts[1].pk)
    assert stored.token == "t1"
    assert stored.created_at == when
    assert stored.status == "open"
    assert not carts[0]._state.adding


def test_json_decimals_and_auto_now_add_are_adapted_by_their_fields():
    customer = Customer.objects.create(first_name="Ada")
    event = CustomerEvent(
        customer=customer, kind="note", summary="s", data={"total": "9.90", "n": [1]}
    )
    db.insert_rows([event])
    assert CustomerEvent.objects.get(pk=event.pk).data == {"total": "9.90", "n": [1]}

    variant = VariantFactory()
    product = Product(name="Cap", category=variant.product.category)
    db.insert_rows([product])  # created_at is auto_now_add
    assert Product.objects.get(pk=product.pk).created_at is not None


def test_more_rows_than_a_statement_takes_are_split():
    carts = [Cart(token=f"many{i}") for i in range(db.BATCH * 2 + 5)]
    db.insert_rows(carts)
    assert Cart.objects.filter(token__startswith="many").count() == len(carts)
    assert len({c.pk for c in carts}) == len(carts)


def test_an_upsert_overwrites_the_named_fields_and_keeps_the_row():
    cart = Cart.objects.create(token="up")
    variant = VariantFactory()
    first = CartLine(cart=cart, variant=variant, quantity=1)
    db.insert_rows([first], update_on=("cart", "variant"), update_fields=("quantity",))
    again = CartLine(cart=cart, variant=variant, quantity=4)
    db.insert_rows([again], update_on=("cart", "variant"), update_fields=("quantity",))
    assert again.pk == first.pk
    assert list(CartLine.objects.values_list("quantity", flat=True)) == [4]


def test_duplicates_are_skipped_without_breaking_the_transaction():
    Cart.objects.create(token="taken")
    assert db.insert_rows([Cart(token="taken")], ignore_duplicates=True) == []
    assert not db.insert_unless_duplicate(Cart(token="taken"))
    fresh = [Cart(token="new1"), Cart(token="taken"), Cart(token="new2")]
    went_in = db.insert_rows(fresh, ignore_duplicates=True, key=("token",))
    assert [c.token for c in went_in] == ["new1", "new2"]
    assert fresh[1].pk is None
    assert set(Cart.objects.values_list("token", flat=True)) == {
        "taken",
        "new1",
        "new2",
    }
    with pytest.raises(ValueError):
        db.insert_rows([Cart(token="a"), Cart(token="b")], ignore_duplicates=True)


def test_other_constraints_still_raise():
    with pytest.raises(IntegrityError):
        db.insert_rows([CartLine(cart_id=None, variant_id=None, quantity=1)])


def test_fetch_converts_values_like_the_orm():
    shop = LocationFactory(latitude=Decimal("45.464211"), click_and_collect=True)
    field = Location._meta.get_field
    [row] = db.fetch(
        connection,
        "SELECT l.latitude, l.click_and_collect, l.name FROM inventory_location l"
        " WHERE l.id = %s",
        [shop.pk],
        [field("latitude"), field("click_and_collect"), None],
    )
    assert row == [Decimal("45.464211"), True, shop.name]


def test_load_builds_whole_instances_with_nothing_deferred(
    django_assert_num_queries,
):
    variant = VariantFactory(price=Decimal("19.90"))
    with django_assert_num_queries(1):
        [(loaded, product)] = db.load(
            [(Variant, "v"), (Product, "p")],
            "FROM inventory_variant v JOIN inventory_product p ON p.id = v.product_id"
            " WHERE v.id = %s",
            [variant.pk],
        )
        assert loaded.get_deferred_fields() == set()
        assert product.get_deferred_fields() == set()
        assert loaded.price == Decimal("19.90")
        assert loaded.active is True
        assert product.name == variant.product.name
    assert loaded == variant and product == variant.product
