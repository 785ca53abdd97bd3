from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models


class Role(models.TextChoices):
    """What a login is, derived from its groups (``omnistore.accounts.roles``): the
    column is rewritten whenever the groups change, so the staff UI reads it without a
    query; the rights themselves are the groups' permissions."""

    CUSTOMER = "customer", "Customer"
    ASSOCIATE = "associate", "Store associate"
    STORE_MANAGER = "store_manager", "Store manager"
    AREA_MANAGER = "area_manager", "Area manager"
    HQ = "hq", "Headquarters"


SHOP_ROLES = ("associate", "store_manager", "area_manager")
SHOP_STAFF_NEED_A_STORE = "Shop staff need a home shop."
MANAGER_ROLES = frozenset({Role.STORE_MANAGER, Role.AREA_MANAGER})


class User(AbstractUser):
    """Anyone who signs in: customers (storefront) and staff (shops, HQ).

    Shop staff have a home ``store`` (where the staff UI opens) and belong to one or
    more ``shops`` (the home shop among them); HQ sees every location.
    """

    role = models.CharField(max_length=20, choices=Role.choices, default=Role.CUSTOMER)
    store = models.ForeignKey(
        "inventory.Location",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="staff",
        help_text="Home shop of shop staff: where the staff UI opens.",
    )
    shops = models.ManyToManyField(
        "inventory.Location",
        blank=True,
        related_name="staff_members",
        help_text="Every shop this person works for (an area manager has several).",
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                name="shop_staff_have_a_store",
                condition=~models.Q(role__in=SHOP_ROLES)
                | models.Q(store__isnull=False),
                violation_error_message=SHOP_STAFF_NEED_A_STORE,
            )
        ]

    def clean(self):
        """Said at the home shop: ``role`` follows the groups and is never on a form,
        so the constraint alone would go unchecked there and fail on saving."""
        super().clean()
        if self.role in SHOP_ROLES and self.store_id is None:
            raise ValidationError({"store": SHOP_STAFF_NEED_A_STORE})

    def __str__(self):
        """Staff are named the way their colleagues know them: the full name, the
        username when none was given."""
        return self.display_name

    @property
    def is_shop_staff(self) -> bool:
        return self.role in SHOP_ROLES

    @property
    def is_store_staff(self) -> bool:
        """May use the staff UI."""
        return self.is_active and (self.role != Role.CUSTOMER or self.is_superuser)

    @property
    def is_storefront_customer(self) -> bool:
        """A shopper's login: no staff role, and not the platform's admin either
        (whose role stays "customer" for want of groups)."""
        return self.role == Role.CUSTOMER and not (self.is_superuser or self.is_staff)

    @property
    def is_manager(self) -> bool:
        """A store or area manager, or HQ: may approve at the shops they see."""
        return self.role in MANAGER_ROLES or self.sees_all_stores

    @property
    def sees_all_stores(self) -> bool:
        return self.role == Role.HQ or self.is_superuser

    @property
    def role_label(self) -> str:
        """The role as staff read it: the platform's superuser holds no role group
        (its role stays "customer") and is named for what it is."""
        return "Platform superuser" if self.is_superuser else self.get_role_display()

    @property
    def display_name(self) -> str:
        return self.get_full_name() or self.username

    @property
    def name_and_login(self) -> str:
        """The name with the login a colleague signs in with: "Marco Rossi (manager)"."""
        name = self.get_full_name()
        return f"{name} ({self.username})" if name else self.username
