from django.contrib.auth.models import AbstractUser
from django.db import models


class Role(models.TextChoices):
    CUSTOMER = "customer", "Customer"
    ASSOCIATE = "associate", "Store associate"
    STORE_MANAGER = "store_manager", "Store manager"
    HQ = "hq", "Headquarters"


class User(AbstractUser):
    """Anyone who signs in: customers (storefront) and staff (shops, HQ).

    Shop staff belong to one ``store``; HQ sees every location.
    """

    role = models.CharField(max_length=20, choices=Role.choices, default=Role.CUSTOMER)
    store = models.ForeignKey(
        "inventory.Location",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="staff",
        help_text="Home shop of an associate or store manager.",
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                name="shop_staff_have_a_store",
                condition=~models.Q(role__in=["associate", "store_manager"])
                | models.Q(store__isnull=False),
            )
        ]

    @property
    def is_shop_staff(self) -> bool:
        return self.role in {Role.ASSOCIATE, Role.STORE_MANAGER}

    @property
    def is_store_staff(self) -> bool:
        """May use the staff UI."""
        return self.is_active and (self.role != Role.CUSTOMER or self.is_superuser)

    @property
    def sees_all_stores(self) -> bool:
        return self.role == Role.HQ or self.is_superuser

    @property
    def display_name(self) -> str:
        return self.get_full_name() or self.username
