"""Demo locations: the hand-made warehouses and shops in real streets, and at larger
scales generated shops around real Italian cities."""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

from inventory.models import Location, LocationKind

from .batches import BATCH_SIZE, batches

EXTRA_SHOPS_PER_SCALE = 3

# --- locations ----------------------------------------------------------------------


@dataclass(frozen=True)
class Place:
    code: str
    name: str
    address: str
    postcode: str
    city: str
    country: str
    latitude: str
    longitude: str
    phone: str
    click_and_collect: bool = True
    ships_online_orders: bool = False


# fmt: off
WAREHOUSES = [
    Place("WH-PC", "Piacenza distribution centre", "Strada Dogana Po 2",
          "29122", "Piacenza", "IT", "45.039800", "9.745600", "+39 0523 180 400"),
    Place("WH-BO", "Bologna Interporto", "Interporto Bologna, Blocco 8.3",
          "40010", "Bentivoglio", "IT", "44.628300", "11.383100", "+39 051 665 0710"),
    Place("WH-VR", "Verona Quadrante Europa", "Via Sommacampagna 63",
          "37137", "Verona", "IT", "45.414800", "10.941200", "+39 045 861 3300"),
]
# fmt: on

OPENING_HOURS = [
    "Mon–Sat 10:00–20:00 · Sun 11:00–19:00",
    "Mon–Sat 09:30–19:30 · Sun closed",
    "Mon–Fri 10:00–19:30 · Sat 10:00–20:00 · Sun 10:30–19:00",
    "Mon 15:00–19:30 · Tue–Sat 09:30–13:00, 15:30–19:30",
    "Every day 10:00–21:00",
]
WAREHOUSE_HOURS = "Mon–Fri 06:00–22:00 · Sat 06:00–14:00 (goods in/out only)"

# The first shop is the demo's home shop: the ``associate`` and ``manager`` logins work
# there, and it carries the whole catalog.
# fmt: off
SHOPS = [
    Place("MI-DUOMO", "Milano Duomo", "Corso Vittorio Emanuele II 15",
          "20122", "Milano", "IT", "45.465100", "9.192600", "+39 02 7200 4410",
          ships_online_orders=True),
    Place("MI-PNUOVA", "Milano Porta Nuova", "Piazza Gae Aulenti 4",
          "20154", "Milano", "IT", "45.484100", "9.189700", "+39 02 6379 2201"),
    Place("TO-ROMA", "Torino Via Roma", "Via Roma 53",
          "10123", "Torino", "IT", "45.067600", "7.682800", "+39 011 562 7731"),
    Place("RM-CORSO", "Roma Via del Corso", "Via del Corso 189",
          "00187", "Roma", "IT", "41.901100", "12.480900", "+39 06 6992 3350",
          ships_online_orders=True),
    Place("RM-COLA", "Roma Cola di Rienzo", "Via Cola di Rienzo 173",
          "00192", "Roma", "IT", "41.907200", "12.463500", "+39 06 3211 0904"),
    Place("FI-CALZ", "Firenze Calzaiuoli", "Via dei Calzaiuoli 24r",
          "50122", "Firenze", "IT", "43.771300", "11.255000", "+39 055 239 8812"),
    Place("NA-TOLEDO", "Napoli Via Toledo", "Via Toledo 256",
          "80132", "Napoli", "IT", "40.840200", "14.248900", "+39 081 552 6017",
          ships_online_orders=True),
    Place("BO-INDIP", "Bologna Indipendenza", "Via dell'Indipendenza 12",
          "40121", "Bologna", "IT", "44.496600", "11.343800", "+39 051 223 4190"),
    # No click and collect: no vans in the historic centre.
    Place("VE-MERC", "Venezia Mercerie", "Merceria San Zulian 733",
          "30124", "Venezia", "IT", "45.435600", "12.337900", "+39 041 520 8876",
          click_and_collect=False),
    Place("GE-XXSET", "Genova XX Settembre", "Via XX Settembre 40",
          "16121", "Genova", "IT", "44.406100", "8.937600", "+39 010 553 1204"),
    Place("VR-MAZZINI", "Verona Via Mazzini", "Via Giuseppe Mazzini 20",
          "37121", "Verona", "IT", "45.441600", "10.997200", "+39 045 801 1873",
          ships_online_orders=True),
    Place("BA-SPARANO", "Bari Sparano", "Via Sparano da Bari 100",
          "70121", "Bari", "IT", "41.121800", "16.869500", "+39 080 521 4466"),
    Place("PA-LIBERTA", "Palermo Via Libertà", "Via della Libertà 30",
          "90139", "Palermo", "IT", "38.127800", "13.352600", "+39 091 611 7020"),
    Place("PAR-RIVOLI", "Paris Rivoli", "118 Rue de Rivoli",
          "75001", "Paris", "FR", "48.860000", "2.343600", "+33 1 42 33 17 80"),
    Place("MUC-KAUF", "München Kaufingerstraße", "Kaufingerstraße 28",
          "80331", "München", "DE", "48.138800", "11.571000", "+49 89 2370 4410"),
    Place("BCN-GRACIA", "Barcelona Passeig de Gràcia", "Passeig de Gràcia 45",
          "08007", "Barcelona", "ES", "41.392700", "2.164700", "+34 932 15 66 02"),
    Place("ZRH-BAHNHOF", "Zürich Bahnhofstrasse", "Bahnhofstrasse 70",
          "8001", "Zürich", "CH", "47.372000", "8.538900", "+41 44 211 48 10",
          click_and_collect=False),
    Place("VIE-KAERNTNER", "Wien Kärntner Straße", "Kärntner Straße 19",
          "1010", "Wien", "AT", "48.205000", "16.371000", "+43 1 512 63 90"),
]
# fmt: on

# Generated shops sit around these city centres:
# (province, city, postcode, latitude, longitude, telephone area code)
CITIES = [
    ("MI", "Milano", "20121", 45.4642, 9.1900, "02"),
    ("RM", "Roma", "00184", 41.9028, 12.4964, "06"),
    ("TO", "Torino", "10121", 45.0703, 7.6869, "011"),
    ("NA", "Napoli", "80133", 40.8518, 14.2681, "081"),
    ("FI", "Firenze", "50123", 43.7696, 11.2558, "055"),
    ("BO", "Bologna", "40121", 44.4949, 11.3426, "051"),
    ("GE", "Genova", "16121", 44.4056, 8.9463, "010"),
    ("VE", "Mestre", "30171", 45.4919, 12.2428, "041"),
    ("VR", "Verona", "37121", 45.4384, 10.9916, "045"),
    ("PD", "Padova", "35122", 45.4064, 11.8768, "049"),
    ("TS", "Trieste", "34121", 45.6495, 13.7768, "040"),
    ("BS", "Brescia", "25121", 45.5416, 10.2118, "030"),
    ("BG", "Bergamo", "24121", 45.6983, 9.6773, "035"),
    ("PR", "Parma", "43121", 44.8015, 10.3279, "0521"),
    ("MO", "Modena", "41121", 44.6471, 10.9252, "059"),
    ("RE", "Reggio Emilia", "42121", 44.6983, 10.6312, "0522"),
    ("PC", "Piacenza", "29121", 45.0526, 9.6930, "0523"),
    ("PI", "Pisa", "56125", 43.7228, 10.4017, "050"),
    ("LI", "Livorno", "57123", 43.5485, 10.3106, "0586"),
    ("PG", "Perugia", "06121", 43.1107, 12.3908, "075"),
    ("AN", "Ancona", "60121", 43.6158, 13.5189, "071"),
    ("PE", "Pescara", "65121", 42.4618, 14.2161, "085"),
    ("BA", "Bari", "70121", 41.1171, 16.8719, "080"),
    ("LE", "Lecce", "73100", 40.3515, 18.1750, "0832"),
    ("TA", "Taranto", "74123", 40.4644, 17.2470, "099"),
    ("SA", "Salerno", "84121", 40.6824, 14.7681, "089"),
    ("CT", "Catania", "95131", 37.5079, 15.0830, "095"),
    ("PA", "Palermo", "90133", 38.1157, 13.3615, "091"),
    ("ME", "Messina", "98122", 38.1938, 15.5540, "090"),
    ("CA", "Cagliari", "09124", 39.2238, 9.1217, "070"),
    ("SS", "Sassari", "07100", 40.7259, 8.5557, "079"),
    ("TN", "Trento", "38122", 46.0748, 11.1217, "0461"),
    ("BZ", "Bolzano", "39100", 46.4983, 11.3548, "0471"),
    ("UD", "Udine", "33100", 46.0711, 13.2346, "0432"),
    ("CO", "Como", "22100", 45.8081, 9.0852, "031"),
    ("MB", "Monza", "20900", 45.5845, 9.2744, "039"),
    ("RN", "Rimini", "47921", 44.0678, 12.5695, "0541"),
    ("VI", "Vicenza", "36100", 45.5455, 11.5354, "0444"),
    ("TV", "Treviso", "31100", 45.6669, 12.2430, "0422"),
    ("NO", "Novara", "28100", 45.4469, 8.6220, "0321"),
]
STREETS = [
    "Via Roma",
    "Corso Garibaldi",
    "Via Giuseppe Mazzini",
    "Corso Cavour",
    "Via Dante Alighieri",
    "Via XX Settembre",
    "Corso Vittorio Emanuele II",
    "Piazza della Repubblica",
    "Via Nazionale",
    "Corso Italia",
    "Via Manzoni",
    "Viale della Libertà",
]


def _location(place: Place, kind: str, hours: str) -> Location:
    is_shop = kind == LocationKind.SHOP
    location, _ = Location.objects.get_or_create(
        code=place.code,
        defaults={
            "name": place.name,
            "kind": kind,
            "address": place.address,
            "city": place.city,
            "postcode": place.postcode,
            "country": place.country,
            "latitude": Decimal(place.latitude),
            "longitude": Decimal(place.longitude),
            "opening_hours": hours,
            "phone": place.phone,
            "sells_in_store": is_shop,
            "click_and_collect": is_shop and place.click_and_collect,
            "ships_online_orders": not is_shop or place.ships_online_orders,
        },
    )
    return location


def _generated_shops(rng: random.Random, count: int) -> Iterator[Location]:
    for n in range(1, count + 1):
        province, city, postcode, lat, lng, area = CITIES[(n - 1) % len(CITIES)]
        street = rng.choice(STREETS)
        coords = (
            Decimal(str(round(lat + rng.uniform(-0.03, 0.03), 6))),
            Decimal(str(round(lng + rng.uniform(-0.04, 0.04), 6))),
        )
        yield Location(
            code=f"{province}-{n:04d}",
            name=f"{city} · {street}",
            kind=LocationKind.SHOP,
            address=f"{street} {rng.randint(1, 180)}",
            city=city,
            postcode=postcode,
            country="IT",
            latitude=coords[0],
            longitude=coords[1],
            opening_hours=rng.choice(OPENING_HOURS),
            phone=f"+39 {area} {rng.randint(100, 999)} {rng.randint(1000, 9999)}",
            sells_in_store=True,
            click_and_collect=rng.random() < 0.9,
            ships_online_orders=rng.random() < 0.25,
        )


def seed_locations(
    rng: random.Random, scale: int
) -> tuple[list[Location], list[Location]]:
    warehouses = [
        _location(p, LocationKind.WAREHOUSE, WAREHOUSE_HOURS) for p in WAREHOUSES
    ]
    shops = [
        _location(p, LocationKind.SHOP, OPENING_HOURS[i % len(OPENING_HOURS)])
        for i, p in enumerate(SHOPS)
    ]
    extra = EXTRA_SHOPS_PER_SCALE * (scale - 1)
    for chunk in batches(_generated_shops(rng, extra), BATCH_SIZE):
        shops += Location.objects.bulk_create(chunk)
    return warehouses, shops
