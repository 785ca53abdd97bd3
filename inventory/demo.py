"""Demo and benchmark data for the catalog, the locations, the staff and the stock.

Deterministic: one ``random.Random(42)`` drives every choice, in a fixed order, so two
fresh databases seeded at the same scale hold the same SKUs, barcodes and quantities.

Scale 1 is the hand-made demo: 3 warehouses, shops in real Italian and European streets,
about 50 products. ``scale=N`` adds generated shops around real cities and about 1,000
variants per unit, for benchmarks (scale 100: ~300 shops, ~100k variants).

Memory stays bounded at any scale: products are created a chunk at a time, each chunk's
variants and their stock are written at once with ``bulk_create`` and then dropped.

Opening stock is inserted in bulk rather than through ``inventory.services``: a level
and its ``receipt`` ledger row are written in the same transaction, so the ledger sums
to the levels exactly as if every unit had been received one call at a time. No
``stock_changed`` signal is sent: nothing came back in stock for anyone.
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from itertools import islice

from django.contrib.auth.hashers import make_password
from django.db import reset_queries, transaction

from omnistore.accounts.models import Role, User

from .models import (
    Category,
    Location,
    LocationKind,
    MovementReason,
    Product,
    StockLevel,
    StockMovement,
    Variant,
)

DEMO_PASSWORD = "omnistore-demo"
BATCH_SIZE = 5000
PRODUCTS_PER_CHUNK = 100
EXTRA_PRODUCTS_PER_SCALE = 80
EXTRA_SHOPS_PER_SCALE = 3
SHOP_ASSORTMENT = 120  # products a generated shop carries, roughly, at large scale
EAN_PREFIX = "8047"  # 80x: GS1 Italy

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

# --- catalog --------------------------------------------------------------------------

AUDIENCES = [("women", "Women", "W"), ("men", "Men", "M"), ("kids", "Kids", "K")]
KINDS = {
    "shirts": ("Shirts", "SH", 220),
    "knitwear": ("Knitwear", "KN", 380),
    "trousers": ("Trousers", "TR", 520),
    "dresses": ("Dresses", "DR", 420),
    "shoes": ("Shoes", "SO", 900),
    "accessories": ("Accessories", "AC", 160),
}
AUDIENCE_KINDS = {
    "women": ["shirts", "knitwear", "trousers", "dresses", "shoes", "accessories"],
    "men": ["shirts", "knitwear", "trousers", "shoes", "accessories"],
    "kids": ["shirts", "knitwear", "trousers", "dresses", "shoes", "accessories"],
}

APPAREL = ["XS", "S", "M", "L", "XL"]
KIDS_APPAREL = ["4Y", "6Y", "8Y", "10Y", "12Y"]
SIZE_RUNS = {
    "apparel": APPAREL,
    "kids": KIDS_APPAREL,
    "shoes": [str(n) for n in range(38, 46)],
    "women_shoes": [str(n) for n in range(36, 42)],
    "kids_shoes": [str(n) for n in range(28, 36)],
    "belt": ["85", "90", "95", "100", "105"],
    "socks": ["39-42", "43-46"],
    "one": ["One size"],
}
COLOURS = {
    "Navy": "NVY",
    "White": "WHT",
    "Light blue": "LBL",
    "Black": "BLK",
    "Grey melange": "GRM",
    "Camel": "CML",
    "Olive": "OLV",
    "Burgundy": "BRG",
    "Sand": "SND",
    "Ecru": "ECR",
    "Brown": "BRN",
    "Tan": "TAN",
    "Red": "RED",
    "Pink": "PNK",
    "Bottle green": "GRN",
    "Mustard": "MUS",
    "Indigo": "IND",
}
PALETTE = list(COLOURS)

CARE = {
    "shirts": "A soft collar that keeps its shape wash after wash. Machine wash 30°C.",
    "knitwear": "Knitted in Italy. Hand wash cold and dry flat.",
    "trousers": "Mid rise, belt loops, two side and two back pockets.",
    "dresses": "Fully lined where it matters; falls just below the knee.",
    "shoes": "Leather lining and a rubber sole, resoleable by any cobbler.",
    "accessories": "Made to last and to be given.",
}


@dataclass(frozen=True)
class Style:
    audience: str
    kind: str
    name: str
    brand: str
    material: str
    price: str
    colours: tuple[str, ...]
    sizes: str = "apparel"


BRANDS = {
    "RT": "Riviera Tessile",
    "LA": "Lanificio Alto",
    "AN": "Atelier Nord",
    "CB": "Calzaturificio Brenta",
    "OM": "Omnistore",
    "PP": "Piccoli Passi",
}

# audience | kind | name | brand | material | price | colours | size run (optional)
CATALOG = """
women|shirts|Linen camp-collar shirt|RT|linen|59.90|White/Sand/Light blue
women|shirts|Silk blouse|AN|silk crêpe de chine|129.00|Ecru/Black
women|shirts|Poplin shirt|OM|cotton poplin|45.90|White/Light blue/Pink
women|shirts|Oversized denim shirt|OM|cotton denim|55.00|Light blue/Indigo
women|knitwear|Merino crew-neck jumper|LA|merino wool|79.90|Grey melange/Camel/Navy
women|knitwear|Cashmere cardigan|LA|cashmere|189.00|Camel/Black
women|knitwear|Cable-knit cotton jumper|OM|organic cotton|65.00|Ecru/Navy
women|trousers|High-waist wide-leg trousers|AN|wool blend|89.00|Black/Camel
women|trousers|Slim stretch chinos|OM|stretch cotton twill|49.90|Sand/Navy/Olive
women|trousers|Straight-leg jeans|OM|rigid cotton denim|69.90|Indigo/Light blue
women|dresses|Wrap midi dress|AN|viscose|99.00|Black/Burgundy/Bottle green
women|dresses|Linen shirt dress|RT|linen|89.90|White/Sand
women|dresses|Ribbed knit dress|LA|merino wool|119.00|Grey melange/Black
women|shoes|Leather loafers|CB|calf leather|139.00|Black/Tan
women|shoes|Suede ankle boots|CB|suede|169.00|Brown/Black
women|shoes|Canvas sneakers|OM|cotton canvas|49.90|White/Navy
women|accessories|Silk foulard|AN|silk twill|59.00|Navy/Red
women|accessories|Leather tote bag|CB|vegetable-tanned leather|179.00|Tan/Black
women|accessories|Wool beret|LA|boiled wool|29.90|Camel/Black/Burgundy
men|shirts|Oxford button-down shirt|OM|cotton Oxford|49.90|White/Light blue/Pink
men|shirts|Linen shirt|RT|linen|59.90|White/Light blue/Sand/Olive
men|shirts|Flannel check shirt|LA|brushed cotton flannel|69.00|Red/Bottle green
men|shirts|Poplin dress shirt|AN|two-ply cotton poplin|79.00|White/Light blue
men|knitwear|Merino V-neck jumper|LA|extra-fine merino|79.90|Navy/Grey melange/Burgundy
men|knitwear|Lambswool crew-neck jumper|LA|lambswool|89.00|Camel/Olive/Navy
men|knitwear|Cotton zip cardigan|OM|cotton|59.90|Grey melange/Navy
men|trousers|Chino trousers|OM|cotton twill|59.90|Sand/Navy/Olive
men|trousers|Wool flannel trousers|AN|wool flannel|129.00|Grey melange/Navy
men|trousers|Selvedge jeans|OM|selvedge denim|89.00|Indigo/Black
men|shoes|Suede desert boots|CB|suede|149.00|Sand/Brown
men|shoes|Leather derby shoes|CB|calf leather|159.00|Black/Brown
men|shoes|Running sneakers|OM|recycled mesh|89.90|White/Navy/Grey melange
men|accessories|Leather belt|CB|full-grain leather|45.00|Black/Brown|belt
men|accessories|Wool scarf|LA|merino wool|39.90|Navy/Camel/Grey melange
men|accessories|Cotton socks, 3-pack|OM|combed cotton|14.90|Navy/Grey melange|socks
kids|shirts|Kids' Oxford shirt|PP|cotton Oxford|24.90|White/Light blue
kids|shirts|Striped cotton T-shirt|PP|organic cotton jersey|14.90|Navy/Red
kids|knitwear|Kids' cotton cardigan|PP|cotton|29.90|Mustard/Navy
kids|knitwear|Fair Isle jumper|LA|lambswool|39.90|Red/Navy
kids|trousers|Corduroy trousers|PP|cotton corduroy|27.90|Olive/Brown
kids|trousers|Jogger trousers|PP|brushed cotton fleece|19.90|Grey melange/Navy
kids|dresses|Smocked cotton dress|PP|cotton voile|34.90|Pink/Light blue
kids|dresses|Knitted pinafore dress|PP|cotton and wool|32.00|Burgundy/Grey melange
kids|shoes|Kids' canvas sneakers|PP|cotton canvas|29.90|White/Navy/Red
kids|shoes|Leather T-bar shoes|CB|calf leather|54.00|Brown/Navy
kids|accessories|Knitted hat and mittens|LA|merino wool|24.90|Red/Navy
kids|accessories|Kids' backpack|PP|recycled polyester|34.90|Mustard/Navy
"""


def _size_run(audience: str, kind: str) -> str:
    if kind == "accessories":
        return "one"
    if kind == "shoes":
        return {"women": "women_shoes", "men": "shoes"}.get(audience, "kids_shoes")
    return "kids" if audience == "kids" else "apparel"


def _styles() -> list[Style]:
    styles = []
    for line in CATALOG.strip().splitlines():
        audience, kind, name, brand, material, price, colours, *sizes = line.split("|")
        styles.append(
            Style(
                audience=audience,
                kind=kind,
                name=name,
                brand=BRANDS[brand],
                material=material,
                price=price,
                colours=tuple(colours.split("/")),
                sizes=sizes[0] if sizes else _size_run(audience, kind),
            )
        )
    return styles


STYLES = _styles()
COLLECTIONS = [
    "Portofino",
    "Dolomiti",
    "Laguna",
    "Langhe",
    "Maremma",
    "Salento",
    "Brera",
    "Capri",
    "Etna",
    "Garda",
    "Cinque Terre",
    "Val d'Orcia",
]


@dataclass(frozen=True)
class ProductSpec:
    number: int
    style: Style
    name: str
    colours: tuple[str, ...]
    price: Decimal
    collection: str = ""


# --- helpers --------------------------------------------------------------------------


def ean13_check_digit(payload: str) -> str:
    """GS1 check digit of a 12-digit payload: weights 1, 3, 1, 3... from the left."""
    if len(payload) != 12 or not payload.isdigit():
        raise ValueError("An EAN-13 payload is 12 digits.")
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(payload))
    return str((10 - total % 10) % 10)


def ean13(serial: int) -> str:
    payload = f"{EAN_PREFIX}{serial:08d}"
    return payload + ean13_check_digit(payload)


def _batches(items: Iterable, size: int) -> Iterator[list]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


def _printer(stdout):
    def say(message: str) -> None:
        if stdout is not None:
            stdout.write(message)

    return say


class _StockWriter:
    """Buffers opening levels with their receipt rows; flushes both together."""

    def __init__(self, *, actor_id: int | None):
        self.actor_id = actor_id
        self.levels: list[StockLevel] = []
        self.movements: list[StockMovement] = []
        self.level_count = 0
        self.movement_count = 0

    def add(self, *, variant_id, location_id, on_hand, safety_stock, threshold) -> None:
        self.levels.append(
            StockLevel(
                variant_id=variant_id,
                location_id=location_id,
                on_hand=on_hand,
                safety_stock=safety_stock,
                low_stock_threshold=threshold,
            )
        )
        if on_hand:
            self.movements.append(
                StockMovement(
                    variant_id=variant_id,
                    location_id=location_id,
                    delta_on_hand=on_hand,
                    reason=MovementReason.RECEIPT,
                    reference_type="opening_balance",
                    reference_id="demo",
                    note="Opening stock",
                    actor_id=self.actor_id,
                )
            )
        if len(self.levels) >= BATCH_SIZE:
            self.flush()

    def flush(self) -> None:
        if self.levels:
            StockLevel.objects.bulk_create(self.levels, batch_size=BATCH_SIZE)
            self.level_count += len(self.levels)
            self.levels = []
        if self.movements:
            StockMovement.objects.bulk_create(self.movements, batch_size=BATCH_SIZE)
            self.movement_count += len(self.movements)
            self.movements = []


def _money(value: Decimal) -> Decimal:
    """Shop prices end in .90 or .00, as on a price tag."""
    whole = int(value)
    return Decimal(f"{whole}.90") if whole % 3 else Decimal(f"{whole}.00")


# --- seeding --------------------------------------------------------------------------


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


def _seed_locations(
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
    for chunk in _batches(_generated_shops(rng, extra), BATCH_SIZE):
        shops += Location.objects.bulk_create(chunk)
    return warehouses, shops


def _seed_staff(shops_by_code: dict[str, Location]) -> list[User]:
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


def _seed_categories() -> dict[tuple[str, str], Category]:
    categories = {}
    for slug, name, _ in AUDIENCES:
        parent, _ = Category.objects.get_or_create(slug=slug, defaults={"name": name})
        for kind in AUDIENCE_KINDS[slug]:
            child, _ = Category.objects.get_or_create(
                slug=f"{slug}-{kind}",
                defaults={"name": KINDS[kind][0], "parent": parent},
            )
            categories[(slug, kind)] = child
    return categories


def _product_specs(rng: random.Random, scale: int) -> Iterator[ProductSpec]:
    """The hand-made catalog; at larger scales, the same styles in new collections."""
    number = 0
    for style in STYLES:
        number += 1
        yield ProductSpec(
            number, style, style.name, style.colours, Decimal(style.price)
        )
    for i in range(EXTRA_PRODUCTS_PER_SCALE * (scale - 1)):
        style = STYLES[i % len(STYLES)]
        collection = COLLECTIONS[(i // len(STYLES)) % len(COLLECTIONS)]
        edition = i // (len(STYLES) * len(COLLECTIONS))
        name = f"{style.name} — {collection}" + (f" {edition + 1}" if edition else "")
        colours = tuple(rng.sample(PALETTE, k=rng.randint(2, 4)))
        price = _money(
            Decimal(style.price) * Decimal(rng.choice(["0.9", "1", "1.1", "1.25"]))
        )
        number += 1
        yield ProductSpec(number, style, name, colours, price, collection)


def _sku(spec: ProductSpec, colour: str, size: str) -> str:
    audience = next(code for slug, _, code in AUDIENCES if slug == spec.style.audience)
    kind = KINDS[spec.style.kind][1]
    size_code = "OS" if size == "One size" else size
    return f"{audience}{kind}-{spec.number:05d}-{COLOURS[colour]}-{size_code}"


def _variants_for(product: Product, spec: ProductSpec, serial: int) -> list[Variant]:
    style = spec.style
    weight = KINDS[style.kind][2] // (2 if style.audience == "kids" else 1)
    attributes = {"material": style.material}
    if spec.collection:
        attributes["collection"] = spec.collection
    variants = []
    for colour in spec.colours:
        for size in SIZE_RUNS[style.sizes]:
            serial += 1
            variants.append(
                Variant(
                    product=product,
                    sku=_sku(spec, colour, size),
                    barcode=ean13(serial),
                    size=size,
                    colour=colour,
                    attributes=attributes,
                    price=spec.price.quantize(Decimal("0.01"), ROUND_HALF_UP),
                    weight_grams=weight,
                )
            )
    return variants


# (share of levels at zero, range when in stock, chance of safety stock, safety range)
WAREHOUSE_PROFILES = {
    "WH-PC": (0.06, (60, 400), 0.5, (5, 20)),
    "WH-BO": (0.10, (20, 220), 0.4, (5, 15)),
    "WH-VR": (0.18, (5, 120), 0.3, (2, 10)),
}


def _warehouse_quantity(rng: random.Random, code: str) -> tuple[int, int, int]:
    zero, (low, high), safety_chance, (s_low, s_high) = WAREHOUSE_PROFILES.get(
        code, WAREHOUSE_PROFILES["WH-BO"]
    )
    on_hand = 0 if rng.random() < zero else rng.randint(low, high)
    safety = rng.randint(s_low, s_high) if rng.random() < safety_chance else 0
    return on_hand, safety, rng.choice([10, 15, 20, 25, 30])


def _shop_quantity(
    rng: random.Random, *, flagship: bool, ships: bool
) -> tuple[int, int, int]:
    roll = rng.random()
    if roll < 0.08:
        on_hand = 0
    elif roll < 0.20:
        on_hand = rng.randint(1, 2)
    else:
        on_hand = rng.randint(3, 25 if flagship else 14)
    safety = 1 if ships and rng.random() < 0.3 else 0
    return on_hand, safety, rng.choice([1, 2, 2, 3, 3])


def _seed_catalog_and_stock(
    rng: random.Random,
    *,
    scale: int,
    categories: dict[tuple[str, str], Category],
    warehouses: list[Location],
    shops: list[Location],
    actor_id: int | None,
    say,
) -> dict[str, int]:
    total_products = len(STYLES) + EXTRA_PRODUCTS_PER_SCALE * (scale - 1)
    carry = min(0.7, SHOP_ASSORTMENT / total_products)
    flagship_id = shops[0].pk if shops else None
    shop_rows = [(s.pk, s.pk == flagship_id, s.ships_online_orders) for s in shops]
    writer = _StockWriter(actor_id=actor_id)
    products = variants = serial = 0
    for chunk in _batches(_product_specs(rng, scale), PRODUCTS_PER_CHUNK):
        created = Product.objects.bulk_create(
            [
                Product(
                    name=spec.name,
                    brand=spec.style.brand,
                    category=categories[(spec.style.audience, spec.style.kind)],
                    description=(
                        f"{spec.name} by {spec.style.brand}, in {spec.style.material}. "
                        f"{CARE[spec.style.kind]}"
                    ),
                )
                for spec in chunk
            ]
        )
        per_product = []
        for product, spec in zip(created, chunk, strict=True):
            rows = _variants_for(product, spec, serial)
            serial += len(rows)
            per_product.append(rows)
        Variant.objects.bulk_create(
            [v for rows in per_product for v in rows], batch_size=BATCH_SIZE
        )
        for rows in per_product:
            for variant in rows:
                for warehouse in warehouses:
                    on_hand, safety, threshold = _warehouse_quantity(
                        rng, warehouse.code
                    )
                    writer.add(
                        variant_id=variant.pk,
                        location_id=warehouse.pk,
                        on_hand=on_hand,
                        safety_stock=safety,
                        threshold=threshold,
                    )
            for shop_id, flagship, ships in shop_rows:
                if not flagship and rng.random() >= carry:
                    continue
                for variant in rows:
                    on_hand, safety, threshold = _shop_quantity(
                        rng, flagship=flagship, ships=ships
                    )
                    writer.add(
                        variant_id=variant.pk,
                        location_id=shop_id,
                        on_hand=on_hand,
                        safety_stock=safety,
                        threshold=threshold,
                    )
        writer.flush()
        # With DEBUG on, Django keeps the SQL of the last 9,000 queries, bulk inserts
        # included: forget them, so memory stays flat however large the scale.
        reset_queries()
        products += len(created)
        variants += sum(len(rows) for rows in per_product)
        if scale > 1 and products % 1000 < PRODUCTS_PER_CHUNK:
            say(f"  {products:,}/{total_products:,} products, {variants:,} variants")
    return {
        "products": products,
        "variants": variants,
        "stock levels": writer.level_count,
        "stock movements": writer.movement_count,
    }


def seed_inventory(*, scale: int = 1, stdout=None) -> dict[str, int]:
    """Create the demo locations, staff, catalog and opening stock; returns counts.

    Runs once per database: when the demo warehouses exist it reports and skips, so
    ``make demo`` can be repeated. Everything is written in one transaction, so an
    interrupted run leaves nothing half-seeded behind.
    """
    if not isinstance(scale, int) or scale < 1:
        raise ValueError("scale must be a whole number of at least 1")
    say = _printer(stdout)
    if Location.objects.filter(code=WAREHOUSES[0].code).exists():
        say("Inventory: demo data already present, skipped (seed an empty database).")
        return {}
    started = time.monotonic()
    rng = random.Random(42)
    with transaction.atomic():
        warehouses, shops = _seed_locations(rng, scale)
        staff = _seed_staff({shop.code: shop for shop in shops})
        categories = _seed_categories()
        hq = next(user for user in staff if user.role == Role.HQ)
        counts = {
            "warehouses": len(warehouses),
            "shops": len(shops),
            "staff users": len(staff),
            "categories": Category.objects.count(),
        }
        counts |= _seed_catalog_and_stock(
            rng,
            scale=scale,
            categories=categories,
            warehouses=warehouses,
            shops=shops,
            actor_id=hq.pk,
            say=say,
        )
    summary = ", ".join(f"{n:,} {label}" for label, n in counts.items())
    say(f"Inventory: {summary} ({time.monotonic() - started:.1f} s).")
    return counts
