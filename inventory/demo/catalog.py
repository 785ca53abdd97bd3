"""The demo catalog: categories, styles by brand, and their variants with EAN-13
barcodes; larger scales add generated collections of the same styles."""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from inventory.models import Category, Product, Variant

EXTRA_PRODUCTS_PER_SCALE = 80
EAN_PREFIX = "8047"  # 80x: GS1 Italy

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


def _money(value: Decimal) -> Decimal:
    """Shop prices end in .90 or .00, as on a price tag."""
    whole = int(value)
    return Decimal(f"{whole}.90") if whole % 3 else Decimal(f"{whole}.00")


def seed_categories() -> dict[tuple[str, str], Category]:
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


def product_specs(rng: random.Random, scale: int) -> Iterator[ProductSpec]:
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


def variants_for(product: Product, spec: ProductSpec, serial: int) -> list[Variant]:
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
