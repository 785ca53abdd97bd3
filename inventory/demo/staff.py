"""Demo staff logins: head office, warehouse and shop staff, one password for all."""

from __future__ import annotations

from django.contrib.auth.hashers import make_password

from inventory.models import Location
from omnistore.accounts.models import Role, User

DEMO_PASSWORD = "omnistore-demo"

# --- staff ----------------------------------------------------------------------------

# (username, first name, last name, role, shop code or None)
STAFF = [
    ("associate", "Giulia", "Bianchi", Role.ASSOCIATE, "MI-DUOMO"),
    ("manager", "Marco", "Rossi", Role.STORE_MANAGER, "MI-DUOMO"),
    ("associate-mi-pnuova", "Sara", "Colombo", Role.ASSOCIATE, "MI-PNUOVA"),
    ("associate-rm-corso", "Luca", "Esposito", Role.ASSOCIATE, "RM-CORSO"),
    ("associate-fi-calz", "Chiara", "Ricci", Role.ASSOCIATE, "FI-CALZ"),
    ("associate-na-toledo", "Antonio", "Russo", Role.ASSOCIATE, "NA-TOLEDO"),
    ("associate-to-roma", "Francesca", "Gallo", Role.ASSOCIATE, "TO-ROMA"),
    ("hq", "Elena", "Conti", Role.HQ, None),
]


def seed_staff(shops_by_code: dict[str, Location]) -> list[User]:
    """One password hash for every demo login: hashing is slow on purpose."""
    password = make_password(DEMO_PASSWORD)
    users = []
    for username, first, last, role, shop_code in STAFF:
        user, _ = User.objects.get_or_create(
            username=username,
            defaults={
                "first_name": first,
                "last_name": last,
                "email": f"{first}.{last}@omnistore.example".lower(),
                "role": role,
                "store": shops_by_code.get(shop_code),
                "password": password,
                "is_staff": role == Role.HQ,
                "is_superuser": role == Role.HQ,
            },
        )
        users.append(user)
    return users
