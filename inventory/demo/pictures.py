"""Pictures for the demo catalog, drawn with Pillow (the demo needs no network): a
garment-like shape in the item's colour, with the product's name and its size run.

Seeded by ``manage.py seed_demo`` after the catalog. The hand-made catalog gets one
picture per product (in its first colour) and one per
further colour, attached to that colour's first variant; the generated collections of
larger scales get none, so seeding stays quick. Every picture goes through
``add_product_image``, as an upload would: checked, stored, its thumbnails made.
"""

from __future__ import annotations

import time
from collections import defaultdict
from io import BytesIO

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageDraw, ImageFont

from inventory.models import Product
from inventory.services.images import add_product_image
from inventory.sizes import sort_sizes

from .catalog import STYLES

WIDTH, HEIGHT = 480, 600
RGB = {
    "Navy": (31, 45, 84),
    "White": (240, 240, 236),
    "Light blue": (150, 190, 225),
    "Black": (30, 30, 32),
    "Grey melange": (150, 150, 155),
    "Camel": (193, 154, 107),
    "Olive": (110, 115, 60),
    "Burgundy": (110, 30, 45),
    "Sand": (214, 196, 160),
    "Ecru": (235, 225, 200),
    "Brown": (110, 75, 50),
    "Tan": (200, 150, 100),
    "Red": (190, 40, 40),
    "Pink": (235, 170, 185),
    "Bottle green": (30, 85, 55),
    "Mustard": (215, 165, 40),
    "Indigo": (45, 55, 110),
}


def _shape(kind: str) -> list[tuple[int, int]]:
    """A garment's outline in a 480 × 600 frame, by the category's kind."""
    shapes = {
        "shirts": [
            (150, 90),
            (200, 80),
            (240, 110),
            (280, 80),
            (330, 90),
            (430, 170),
            (390, 230),
            (350, 200),
            (350, 470),
            (130, 470),
            (130, 200),
            (90, 230),
            (50, 170),
        ],
        "knitwear": [
            (160, 90),
            (320, 90),
            (440, 200),
            (440, 420),
            (390, 420),
            (370, 230),
            (360, 480),
            (120, 480),
            (110, 230),
            (90, 420),
            (40, 420),
            (40, 200),
        ],
        "trousers": [
            (150, 80),
            (330, 80),
            (360, 500),
            (270, 500),
            (240, 220),
            (210, 500),
            (120, 500),
        ],
        "dresses": [
            (190, 80),
            (290, 80),
            (310, 200),
            (400, 490),
            (80, 490),
            (170, 200),
        ],
        "shoes": [
            (70, 330),
            (200, 320),
            (260, 260),
            (330, 260),
            (420, 360),
            (420, 420),
            (70, 420),
        ],
        "accessories": [(110, 220), (370, 220), (400, 470), (80, 470)],
    }
    return shapes.get(kind, shapes["accessories"])


def _font(size: int):
    try:
        return ImageFont.load_default(size=size)
    except (TypeError, OSError):  # Pillow without FreeType: the bitmap font
        return ImageFont.load_default()


def _wrap(text: str, width: int = 26) -> list[str]:
    lines, line = [], ""
    for word in text.split():
        if line and len(line) + len(word) + 1 > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    return [*lines, line][:2]


def _draw_accessory(draw, name: str, fill, outline) -> None:
    """An accessory drawn as what its name says: a beret or a cap, a foulard or a
    scarf, a belt; a bag otherwise."""
    if any(word in name for word in ("beret", "hat", "cap")):
        draw.ellipse((70, 220, 410, 400), fill=fill, outline=outline, width=4)
        draw.ellipse((222, 190, 258, 232), fill=fill, outline=outline, width=4)
    elif any(word in name for word in ("foulard", "scarf")):
        square = [(240, 110), (420, 290), (240, 470), (60, 290)]
        draw.polygon(square, fill=fill, outline=outline, width=4)
        draw.line([(150, 200), (330, 380)], fill=outline, width=3)
    elif "belt" in name:
        draw.rectangle((30, 270, 450, 330), fill=fill, outline=outline, width=4)
        draw.rectangle((300, 255, 360, 345), outline=outline, width=8)
    else:
        draw.polygon(_shape("accessories"), fill=fill, outline=outline, width=4)
        draw.arc((170, 120, 310, 300), 180, 360, fill=outline, width=10)


def draw_picture(*, name: str, kind: str, colour: str, sizes: list[str]) -> bytes:
    """A JPEG of one item: its shape in ``colour`` on a light ground, with its
    name, colour and size run."""
    fill = RGB.get(colour, (120, 120, 120))
    ground = tuple(int(c * 0.12 + 236) for c in fill)
    image = Image.new("RGB", (WIDTH, HEIGHT), ground)
    draw = ImageDraw.Draw(image)
    outline = tuple(max(c - 50, 0) for c in fill)
    if kind == "accessories":
        _draw_accessory(draw, name.lower(), fill, outline)
    else:
        draw.polygon(_shape(kind), fill=fill, outline=outline, width=4)
    text = (40, 40, 46)
    for n, line in enumerate(_wrap(name)):
        draw.text((24, 510 + 28 * n), line, fill=text, font=_font(24))
    run = f"{sizes[0]}-{sizes[-1]}" if len(sizes) > 1 else (sizes[0] if sizes else "")
    draw.text((24, 20), f"{colour} · {run}".strip(" ·"), fill=text, font=_font(20))
    buffer = BytesIO()
    image.save(buffer, format="JPEG", quality=80)
    return buffer.getvalue()


def seed_pictures(*, scale: int = 1, stdout=None) -> int:
    """Pictures of the hand-made catalog's products (whatever the ``scale``), each
    product once: a second run draws none. Returns how many were made."""
    started = time.monotonic()
    names = {style.name for style in STYLES}
    products = (
        Product.objects.filter(name__in=names, images__isnull=True)
        .select_related("category")
        .prefetch_related("variants")
        .order_by("pk")
    )
    made = 0
    for product in products:
        kind = product.category.slug.split("-", 1)[-1]
        by_colour = defaultdict(list)
        for variant in sorted(product.variants.all(), key=lambda v: v.pk):
            by_colour[variant.colour].append(variant)
        sizes = sort_sizes({v.size for v in product.variants.all() if v.size})
        for position, (colour, variants) in enumerate(by_colour.items()):
            picture = draw_picture(
                name=product.name, kind=kind, colour=colour, sizes=sizes
            )
            add_product_image(
                product=product,
                variant=variants[0] if position else None,
                image=SimpleUploadedFile(f"{product.pk}-{position}.jpg", picture),
                alt_text=f"{product.name} in {colour.lower()}",
                position=position,
            )
            made += 1
    if stdout is not None:
        stdout.write(f"Pictures: {made} drawn ({time.monotonic() - started:.1f} s).")
    return made
