"""Demo staff logins, one for each role and one password for all: shop staff, a store
manager, an area manager over two shops, head office, and the platform's superuser."""

from __future__ import annotations

from django.contrib.auth.hashers import make_password

from inventory.models import Location
from omnistore.accounts.models import Role, User
from omnistore.accounts.services import assign_role

DEMO_PASSWORD = "omnistore-demo"
PLATFORM_ADMIN = "admin"  # the superuser: runs the platform (logins, groups)

# --- staff ----------------------------------------------------------------------------

# (username, first name, last name, role, shop codes: the home shop first)
STAFF = [
    ("associate", "Giulia", "Bianchi", Role.ASSOCIATE, ["MI-DUOMO"]),
    ("manager", "Marco", "Rossi", Role.STORE_MANAGER, ["MI-DUOMO"]),
    ("area-manager", "Paolo", "Marino", Role.AREA_MANAGER, ["MI-PNUOVA", "TO-ROMA"]),
    ("associate-mi-pnuova", "Sara", "Colombo", Role.ASSOCIATE, ["MI-PNUOVA"]),
    ("associate-rm-corso", "Luca", "Esposito", Role.ASSOCIATE, ["RM-CORSO"]),
    ("associate-fi-calz", "Chiara", "Ricci", Role.ASSOCIATE, ["FI-CALZ"]),
    ("associate-na-toledo", "Antonio", "Russo", Role.ASSOCIATE, ["NA-TOLEDO"]),
    ("associate-to-roma", "Francesca", "Gallo", Role.ASSOCIATE, ["TO-ROMA"]),
    ("hq", "Elena", "Conti", Role.HQ, []),
    (PLATFORM_ADMIN, "Omnistore", "Admin", Role.CUSTOMER, []),
]


def seed_staff(shops_by_code: dict[str, Location]) -> list[User]:
    """One password hash for every demo login: hashing is slow on purpose. Roles are
    given by ``assign_role``, as in production."""
    password = make_password(DEMO_PASSWORD)
    users = []
    for username, first, last, role, shop_codes in STAFF:
        user, created = User.objects.get_or_create(
            username=username,
            defaults={
                "first_name": first,
                "last_name": last,
                "email": f"{first}.{last}@omnistore.example".lower(),
                "password": password,
                "is_superuser": username == PLATFORM_ADMIN,
                "is_staff": username == PLATFORM_ADMIN,
            },
        )
        shops = [shops_by_code[c] for c in shop_codes if c in shops_by_code]
        if created and role != Role.CUSTOMER and (shops or role == Role.HQ):
            assign_role(user=user, role=role, shops=shops)
        users.append(user)
    return users
