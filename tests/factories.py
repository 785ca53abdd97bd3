"""factory_boy factories for the lower layers (accounts, catalog, locations, stock)."""

from datetime import datetime, timedelta
from decimal import Decimal

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from inventory.models import Category, Location, LocationKind, Product, Variant
from inventory.services.stock import receive_stock
from omnistore.accounts.models import Role, User
from omnistore.accounts.services import assign_role


class LocationFactory(DjangoModelFactory):
    class Meta:
        model = Location
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"SHOP{n:03d}")
    name = factory.Sequence(lambda n: f"Shop {n}")
    kind = LocationKind.SHOP
    city = "Milano"
    address = factory.Sequence(lambda n: f"Via Roma {n}")
    latitude = Decimal("45.464200")
    longitude = Decimal("9.190000")
    sells_in_store = True
    click_and_collect = True
    ships_online_orders = False


class WarehouseFactory(LocationFactory):
    code = factory.Sequence(lambda n: f"WH{n:03d}")
    name = factory.Sequence(lambda n: f"Warehouse {n}")
    kind = LocationKind.WAREHOUSE
    sells_in_store = False
    click_and_collect = False
    ships_online_orders = True


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    first_name = "Alex"
    last_name = factory.Sequence(lambda n: f"Rossi{n}")
    password = factory.django.Password("pass-1234")
    role = Role.CUSTOMER

    @factory.post_generation
    def groups(self, create, extracted, **kwargs):
        """A staff role given as ``role=`` is held the way the product gives it: the
        role's group, the home shop among the shops (``assign_role``)."""
        if create and self.role != Role.CUSTOMER:
            shops = [self.store] if self.store_id else []
            staff = self.is_staff
            assign_role(user=self, role=self.role, shops=shops)
            if staff and not self.is_staff:
                self.is_staff = True
                self.save(update_fields=["is_staff"])


class StaffFactory(UserFactory):
    username = factory.Sequence(lambda n: f"associate{n}")
    role = Role.ASSOCIATE
    store = factory.SubFactory(LocationFactory)


class CategoryFactory(DjangoModelFactory):
    class Meta:
        model = Category
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Category {n}")
    slug = factory.Sequence(lambda n: f"category-{n}")


class ProductFactory(DjangoModelFactory):
    class Meta:
        model = Product

    name = factory.Sequence(lambda n: f"Linen shirt {n}")
    brand = "Omni"
    category = factory.SubFactory(CategoryFactory)


class VariantFactory(DjangoModelFactory):
    class Meta:
        model = Variant

    product = factory.SubFactory(ProductFactory)
    sku = factory.Sequence(lambda n: f"SKU-{n:06d}")
    # 29: the in-house range, so a sequence never meets the 80… barcodes tests spell out.
    barcode = factory.Sequence(lambda n: f"29{n:011d}")
    size = "M"
    colour = "Blue"
    price = Decimal("49.90")


def earlier_today(delta: timedelta, now: datetime | None = None) -> datetime:
    """``delta`` before ``now``, but never before local midnight: a moment still
    today whatever the hour a test runs."""
    now = now or timezone.now()
    midnight = timezone.localtime(now).replace(
        hour=0, minute=0, second=0, microsecond=0
    )
    return max(now - delta, midnight)


def stock(variant, location, quantity: int):
    """Put ``quantity`` units on hand through the real service (ledger included)."""
    return receive_stock(variant=variant, location=location, quantity=quantity)
