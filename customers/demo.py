"""Demo and benchmark customers.

Deterministic: one ``random.Random(7)`` drives every choice in a fixed order. Scale 1
makes about 200 profiles from every channel (shops, website, app, phone) with consents,
sizes and favourite categories, some logins, and a few pending duplicates (the same
person known by phone in a shop and by email online) for staff to merge. ``scale=N``
makes ``200 × N`` profiles, capped at ``MAX_CUSTOMERS``; they are written in batches
with ``bulk_create`` and dropped, so memory stays flat at any scale.

The one hand-made profile, ``customer@example.com`` (password ``DEMO_PASSWORD``), is
made through the services like a real sign-up, so its timeline reads like one.
"""

from __future__ import annotations

import random
import time
import unicodedata
from datetime import timedelta

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from customers.services.addresses import add_address
from customers.services.consents import set_consent
from customers.services.identities import generate_loyalty_number
from customers.services.matching import match_customer
from customers.services.profiles import update_profile
from customers.services.timeline import (
    EVENT_CONSENT_GRANTED,
    EVENT_CONSENT_WITHDRAWN,
    EVENT_CREATED,
    add_note,
)
from inventory.demo.staff import DEMO_PASSWORD
from inventory.models import Category, Location, LocationKind
from omnistore.accounts.models import Role, User
from omnistore.core.channels import ASSISTED_CHANNELS, Channel, is_online

from .demo_appointments import seed_appointments
from .models import (
    Consent,
    ConsentChange,
    ConsentChannel,
    Customer,
    CustomerEvent,
    CustomerIdentity,
    IdentityKind,
    StaffNote,
)

DEMO_CUSTOMER_EMAIL = "customer@example.com"
CUSTOMERS_PER_SCALE = 200
MAX_CUSTOMERS = 250_000
BATCH_SIZE = 2000
DUPLICATES_PER_SCALE = 5
MAX_DUPLICATES = 200
EMAIL_DOMAINS = ["example.com", "example.org", "example.net"]
MOBILE_PREFIXES = ["320", "328", "333", "335", "338", "340", "347", "349", "366", "389"]
CHANNEL_WEIGHTS = [
    (Channel.STORE, 40),
    (Channel.WEB, 30),
    (Channel.APP, 20),
    (Channel.PHONE, 10),
]
# fmt: off
FIRST_NAMES = [
    "Giulia", "Sofia", "Aurora", "Alice", "Ginevra", "Emma", "Giorgia", "Beatrice",
    "Francesca", "Chiara", "Martina", "Sara", "Elena", "Anna", "Camille", "Léa",
    "Marie", "Lena", "Hannah", "Lucía", "Leonardo", "Francesco", "Alessandro",
    "Lorenzo", "Mattia", "Tommaso", "Gabriele", "Andrea", "Riccardo", "Marco",
    "Luca", "Davide", "Matteo", "Giuseppe", "Antonio", "Lucas", "Hugo", "Lukas",
    "Jonas", "Pablo",
]
LAST_NAMES = [
    "Rossi", "Russo", "Ferrari", "Esposito", "Bianchi", "Romano", "Colombo",
    "Ricci", "Marino", "Greco", "Bruno", "Gallo", "Conti", "De Luca", "Mancini",
    "Costa", "Giordano", "Rizzo", "Lombardi", "Moretti", "Barbieri", "Fontana",
    "Santoro", "Mariani", "Rinaldi", "Caruso", "Ferrara", "Galli", "Martini",
    "Leone", "Dubois", "Martin", "Bernard", "Müller", "Schmidt", "Schneider",
    "García", "Fernández", "Huber", "Gruber",
]
# fmt: on
LETTER_SIZES = ["XS", "S", "M", "L", "XL"]
SHOE_SIZES = [str(n) for n in range(36, 46)]


def _printer(stdout):
    def say(message: str) -> None:
        if stdout is not None:
            stdout.write(message)

    return say


def _ascii(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(ch for ch in plain.lower() if ch.isalnum())


def _size_for(slug: str, rng: random.Random) -> str:
    return rng.choice(SHOE_SIZES if slug.endswith("shoes") else LETTER_SIZES)


def _phone(index: int, rng: random.Random) -> str:
    # 7919 is prime to 10**7, so the subscriber numbers never repeat below 10 million.
    subscriber = (index * 7919 + 5_550_001) % 10_000_000
    return f"+39{rng.choice(MOBILE_PREFIXES)}{subscriber:07d}"


def _weighted_channel(rng: random.Random) -> str:
    roll = rng.randrange(100)
    for channel, weight in CHANNEL_WEIGHTS:
        if roll < weight:
            return channel
        roll -= weight
    return Channel.STORE  # pragma: no cover


class _Batch:
    """Rows of one batch of customers, written together and then dropped."""

    def __init__(self, location_names: dict[int, str]):
        self.location_names = location_names
        self.customers: list[Customer] = []
        self.users: dict[int, User] = {}  # position in batch → login
        self.identities: list[list[tuple[str, str]]] = []
        self.consents: list[list[tuple[str, bool, str]]] = []

    def write(self) -> int:
        if self.users:
            User.objects.bulk_create(list(self.users.values()), batch_size=BATCH_SIZE)
            for position, user in self.users.items():
                self.customers[position].user_id = user.pk
        Customer.objects.bulk_create(self.customers, batch_size=BATCH_SIZE)
        identities, consents, changes, events = [], [], [], []
        for customer, owned, decided in zip(
            self.customers, self.identities, self.consents, strict=True
        ):
            for kind, value in owned:
                identities.append(
                    CustomerIdentity(
                        customer_id=customer.pk,
                        kind=kind,
                        value=value,
                        # seeded as confirmed: a card is issued, and an address
                        # given online was proven with the code sent there
                        verified=True,
                        channel=customer.created_channel,
                        created_at=customer.created_at,
                    )
                )
            where = Channel(customer.created_channel).label
            if customer.created_location_id:
                where = f"{where} · {self.location_names[customer.created_location_id]}"
            events.append(
                CustomerEvent(
                    customer_id=customer.pk,
                    kind=EVENT_CREATED,
                    summary=f"Profile created ({where})",
                    channel=customer.created_channel,
                    location_id=customer.created_location_id,
                    occurred_at=customer.created_at,
                )
            )
            for channel, granted, source in decided:
                at = customer.created_at + timedelta(minutes=1)
                consents.append(
                    Consent(
                        customer_id=customer.pk,
                        channel=channel,
                        granted=granted,
                        source_channel=source,
                        location_id=customer.created_location_id,
                        updated_at=at,
                    )
                )
                changes.append(
                    ConsentChange(
                        customer_id=customer.pk,
                        channel=channel,
                        granted=granted,
                        source_channel=source,
                        location_id=customer.created_location_id,
                        at=at,
                    )
                )
                label = ConsentChannel(channel).label
                events.append(
                    CustomerEvent(
                        customer_id=customer.pk,
                        kind=EVENT_CONSENT_GRANTED
                        if granted
                        else EVENT_CONSENT_WITHDRAWN,
                        summary=f"{label} consent {'granted' if granted else 'withdrawn'}"
                        f" ({where})",
                        channel=source,
                        location_id=customer.created_location_id,
                        data={"channel": channel, "granted": granted},
                        occurred_at=at,
                    )
                )
        CustomerIdentity.objects.bulk_create(identities, batch_size=BATCH_SIZE)
        Consent.objects.bulk_create(consents, batch_size=BATCH_SIZE)
        ConsentChange.objects.bulk_create(changes, batch_size=BATCH_SIZE)
        CustomerEvent.objects.bulk_create(events, batch_size=BATCH_SIZE)
        return len(self.customers)


def _contact(index, *, rng, twin_starts, twin_names):
    """Channel, names, email and phone of profile ``index`` (twins planned by index)."""
    channel = _weighted_channel(rng)
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    address = f"{_ascii(first)}.{_ascii(last)}{index}@{rng.choice(EMAIL_DOMAINS)}"
    email = phone = None
    if index in twin_starts:
        channel, phone = Channel.STORE, _phone(index, rng)
        twin_names[index] = (first, last)
    elif index - 1 in twin_starts:
        first, last = twin_names[index - 1]
        address = f"{_ascii(first)}.{_ascii(last)}{index}@{rng.choice(EMAIL_DOMAINS)}"
        channel, email = Channel.WEB, address
    elif channel in ASSISTED_CHANNELS:
        phone = _phone(index, rng)
        email = address if rng.random() < 0.6 else None
    else:
        email = address
        phone = _phone(index, rng) if rng.random() < 0.4 else None
    return channel, first, last, email, phone


def _profile(
    *, rng, channel, names, contact, shops, categories, now, loyalty_numbers
) -> Customer:
    """An unsaved profile: its shop, preferences, a loyalty number not yet used in
    this run, a sign-up date in the last three years and sometimes a birthday."""
    (first, last), (email, phone) = names, contact
    location = rng.choice(shops) if channel in ASSISTED_CHANNELS else None
    preferred = location or (rng.choice(shops) if rng.random() < 0.5 else None)
    picked = rng.sample(categories, k=min(rng.randint(0, 3), len(categories)))
    preferences = {}
    if picked:
        preferences = {
            "sizes": {slug: _size_for(slug, rng) for slug in picked[:2]},
            "favourite_categories": picked,
        }
    loyalty = generate_loyalty_number(rng)
    while loyalty in loyalty_numbers:
        loyalty = generate_loyalty_number(rng)
    loyalty_numbers.add(loyalty)
    created_at = now - timedelta(
        days=rng.randint(0, 3 * 365), minutes=rng.randint(0, 24 * 60)
    )
    birthday = None
    if rng.random() < 0.3:
        birthday = now.date() - timedelta(days=rng.randint(18 * 365, 75 * 365))
    return Customer(
        first_name=first,
        last_name=last,
        email=email or "",
        phone=phone or "",
        birthday=birthday,
        preferred_store=preferred,
        preferences=preferences,
        loyalty_number=loyalty,
        created_channel=channel,
        created_location=location,
        created_at=created_at,
    )


def _consent_decisions(rng, *, channel, email, phone) -> list[tuple[str, bool, str]]:
    """Most people answer the email question, fewer the SMS one; app users push."""
    decided = []
    if email and rng.random() < 0.6:
        decided.append((ConsentChannel.EMAIL, rng.random() < 0.85, channel))
    if phone and rng.random() < 0.4:
        decided.append((ConsentChannel.SMS, rng.random() < 0.75, channel))
    if channel == Channel.APP and rng.random() < 0.6:
        decided.append((ConsentChannel.PUSH, True, channel))
    return decided


def _generate(
    *, rng, count, shops, categories, now, password, say
) -> tuple[int, list[tuple[int, int]]]:
    """Write ``count`` profiles; returns (logins made, pairs to flag as duplicates).

    Twins are planned up front: at index ``i`` a shop customer known by phone only, at
    ``i + 1`` the same name online, known by email only.
    """
    wanted = min(
        DUPLICATES_PER_SCALE * max(count // CUSTOMERS_PER_SCALE, 1), MAX_DUPLICATES
    )
    twin_starts = {10 + k * 37 for k in range(wanted) if 10 + k * 37 + 1 < count}
    twin_names: dict[int, tuple[str, str]] = {}
    twin_pks: dict[int, int] = {}
    loyalty_numbers: set[str] = set()
    logins = 0
    location_names = {shop.pk: shop.name for shop in shops}
    batch = _Batch(location_names)
    batch_start = 0

    def flush():
        batch.write()
        for offset, customer in enumerate(batch.customers):
            index = batch_start + offset
            if index in twin_starts or index - 1 in twin_starts:
                twin_pks[index] = customer.pk

    for index in range(count):
        channel, first, last, email, phone = _contact(
            index, rng=rng, twin_starts=twin_starts, twin_names=twin_names
        )
        customer = _profile(
            rng=rng,
            channel=channel,
            names=(first, last),
            contact=(email, phone),
            shops=shops,
            categories=categories,
            now=now,
            loyalty_numbers=loyalty_numbers,
        )
        loyalty, created_at = customer.loyalty_number, customer.created_at
        position = len(batch.customers)
        batch.customers.append(customer)
        owned = [(IdentityKind.LOYALTY, loyalty)]
        if email:
            owned.append((IdentityKind.EMAIL, email))
        if phone:
            owned.append((IdentityKind.PHONE, phone))
        batch.identities.append(owned)
        decided = _consent_decisions(rng, channel=channel, email=email, phone=phone)
        batch.consents.append(decided)
        online = is_online(channel)
        if email and online and index - 1 not in twin_starts and rng.random() < 0.25:
            batch.users[position] = User(
                username=email,
                email=email,
                first_name=first,
                last_name=last,
                role=Role.CUSTOMER,
                password=password,
                date_joined=created_at,
            )
            logins += 1
        if len(batch.customers) >= BATCH_SIZE:
            flush()
            batch_start += len(batch.customers)
            say(f"  customers: {batch_start:,} / {count:,}")
            batch = _Batch(location_names)
    flush()
    pairs = [(twin_pks[i], twin_pks[i + 1]) for i in sorted(twin_starts)]
    return logins, pairs


def _seed_demo_customer(*, shops, categories) -> Customer:
    """The profile behind ``customer@example.com``: a shop customer who signed up."""
    home = next((s for s in shops if s.code == "MI-DUOMO"), shops[0])
    associate = User.objects.filter(store=home, role=Role.ASSOCIATE).first()
    in_store = match_customer(
        phone="+39 345 678 9012",
        first_name="Chiara",
        last_name="Verdi",
        channel=Channel.STORE,
        location=home,
        actor=associate,
    )
    set_consent(
        customer=in_store,
        channel=ConsentChannel.SMS,
        granted=True,
        source_channel=Channel.STORE,
        location=home,
        actor=associate,
    )
    # Seeded as if she had signed up in the app and confirmed the codes sent to her
    # phone and email: her login is on the shop profile. (A real sign-up reaches it
    # only through that proof, see customers.services.verification.)
    login = User.objects.create_user(
        username=DEMO_CUSTOMER_EMAIL,
        email=DEMO_CUSTOMER_EMAIL,
        password=DEMO_PASSWORD,
        first_name="Chiara",
        last_name="Verdi",
        role=Role.CUSTOMER,
    )
    customer = match_customer(
        email=DEMO_CUSTOMER_EMAIL,
        phone="345 6789012",
        user=login,
        first_name="Chiara",
        last_name="Verdi",
        channel=Channel.APP,
    )
    CustomerIdentity.objects.filter(customer=customer).update(verified=True)
    set_consent(
        customer=customer,
        channel=ConsentChannel.EMAIL,
        granted=True,
        source_channel=Channel.APP,
    )
    slugs = [c for c in categories if c.startswith("women-")][:2]
    update_profile(
        customer=customer,
        channel=Channel.APP,
        preferred_store=home,
        preferences={
            "sizes": {slug: "38" if slug.endswith("shoes") else "S" for slug in slugs},
            "favourite_categories": slugs,
        },
    )
    add_address(
        customer=customer,
        channel=Channel.APP,
        label="Home",
        name="Chiara Verdi",
        line1="Via Torino 21",
        city="Milano",
        postcode="20123",
        country="IT",
        phone="+39 345 678 9012",
    )
    if associate is not None:
        add_note(
            customer=customer,
            text="Prefers linen; call before setting aside items in size S.",
            actor=associate,
            location=home,
        )
    _back_in_time(customer, login, days=DEMO_CUSTOMER_SINCE_DAYS)
    return customer


# She has been a customer for over a year: her orders and returns (seeded after,
# within the last weeks) come after her profile, her login and her consents.
DEMO_CUSTOMER_SINCE_DAYS = 420


def _back_in_time(customer: Customer, login: User, *, days: int) -> None:
    """Everything recorded so far for the profile, moved ``days`` back in order."""
    back = timedelta(days=days)
    Customer.objects.filter(pk=customer.pk).update(created_at=F("created_at") - back)
    User.objects.filter(pk=login.pk).update(date_joined=F("date_joined") - back)
    for model, field in (
        (CustomerIdentity, "created_at"),
        (CustomerEvent, "occurred_at"),
        (Consent, "updated_at"),
        (ConsentChange, "at"),
        (StaffNote, "created_at"),
    ):
        model.objects.filter(customer=customer).update(**{field: F(field) - back})


def _restore_demo_password(say) -> None:
    """The demo's storefront login signs in with the password ``make demo`` prints:
    one changed meanwhile (a password reset tried on the demo) is set back."""
    login = User.objects.filter(username=DEMO_CUSTOMER_EMAIL, is_active=True).first()
    if login is not None and not login.check_password(DEMO_PASSWORD):
        login.set_password(DEMO_PASSWORD)
        login.save(update_fields=["password"])
        say(f"Customers: the password of {DEMO_CUSTOMER_EMAIL} is the demo's again.")


def seed_customers(*, scale: int = 1, stdout=None) -> dict[str, int]:
    """Create demo customers (needs the inventory seed's shops); returns counts.

    Runs once per database: when the demo customer exists it reports and skips.
    """
    if not isinstance(scale, int) or scale < 1:
        raise ValueError("scale must be a whole number of at least 1")
    say = _printer(stdout)
    if CustomerIdentity.objects.filter(
        kind=IdentityKind.EMAIL, value=DEMO_CUSTOMER_EMAIL
    ).exists():
        say("Customers: demo data already present, skipped (seed an empty database).")
        _restore_demo_password(say)
        return {}
    shops = list(
        Location.objects.filter(kind=LocationKind.SHOP, active=True).order_by("code")
    )
    if not shops:
        say("Customers: no shops yet (seed the inventory first), skipped.")
        return {}
    categories = list(
        Category.objects.filter(parent__isnull=False)
        .order_by("slug")
        .values_list("slug", flat=True)
    )
    started = time.monotonic()
    rng = random.Random(7)
    count = min(CUSTOMERS_PER_SCALE * scale, MAX_CUSTOMERS)
    now = timezone.now().replace(microsecond=0)
    password = make_password(DEMO_PASSWORD)
    with transaction.atomic():
        demo = _seed_demo_customer(shops=shops, categories=categories)
        logins, pairs = _generate(
            rng=rng,
            count=count,
            shops=shops,
            categories=categories,
            now=now,
            password=password,
            say=say,
        )
        flagged = 0
        for store_pk, online_pk in pairs:
            in_store = Customer.objects.get(pk=store_pk)
            online = Customer.objects.get(pk=online_pk)
            # The online profile signs in to the app and types the phone known in the
            # shop: the identities conflict, so staff get a duplicate to review.
            match_customer(
                email=online.email,
                phone=in_store.phone,
                first_name=online.first_name,
                last_name=online.last_name,
                channel=Channel.APP,
            )
            flagged += 1
        home = next((s for s in shops if s.code == "MI-DUOMO"), shops[0])
        appointments = seed_appointments(shops=shops, demo_customer=demo, home=home)
    counts = {
        "customers": count + 1,
        "logins": logins + 1,
        "pending duplicates": flagged,
        "appointments": appointments,
    }
    summary = ", ".join(f"{n:,} {label}" for label, n in counts.items())
    say(
        f"Customers: {summary}; demo login {DEMO_CUSTOMER_EMAIL} (#{demo.pk}) "
        f"({time.monotonic() - started:.1f} s)."
    )
    return counts
