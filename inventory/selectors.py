"""Reads of the catalog and of stock. Each returns a queryset or plain data in a fixed
number of queries, whatever the number of rows."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    IntegerField,
    Min,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
    prefetch_related_objects,
)
from django.db.models.functions import Coalesce, Greatest, Upper

from .geo import great_circle_order, haversine_km
from .images import image_urls
from .models import (
    Location,
    LocationKind,
    LowStockNotice,
    Product,
    ProductImage,
    StockLevel,
    StockMovement,
    Transfer,
    TransferEvent,
    TransferLine,
    TransferStatus,
    Variant,
    free_units,
)
from .search import every_word
from .sizes import size_key


def variant_on_sale(path: str = "variant") -> Q:
    """The item at ``path`` is still sold: the variant and its product active. A
    filter of rows that reach a variant by ``path`` ("level__variant" from a notice;
    "" for variants themselves)."""
    prefix = f"{path}__" if path else ""
    return Q(**{f"{prefix}active": True, f"{prefix}product__active": True})


# A row whose ``variant`` is still sold, as a filter or annotation of rows that point
# at a variant: cart lines, wishlist items, stock levels.
VARIANT_ON_SALE = variant_on_sale()


def product_list(
    *, query: str = "", category: str | None = None, images: bool = True
) -> QuerySet[Product]:
    """Active products with their active variants (and ``images``) prefetched; search
    by name, SKU or barcode, or by words in any order each naming the product, its
    brand or one of its items' colour, size or SKU ("shirt linen", "riviera white"),
    as staff search does."""
    products = Product.objects.filter(active=True).select_related("category")
    if category:
        products = products.filter(
            Q(category__slug=category) | Q(category__parent__slug=category)
        )
    if query:
        query = query.strip()
        products = products.filter(
            Q(name__icontains=query)
            | Q(brand__iexact=query)
            | Exists(
                Variant.objects.filter(product=OuterRef("pk")).filter(
                    Q(sku__istartswith=query)
                    | Q(barcode=query)
                    | Q(active=True) & every_word(query.split())
                )
            )
        )
    return products.prefetch_related(
        Prefetch(
            "variants", queryset=Variant.objects.filter(active=True).order_by("sku")
        ),
        *([images_prefetch()] if images else []),
    )


def images_prefetch(prefix: str = "") -> Prefetch:
    """A product's images, with the variant each shows, in one query for a whole
    page; ``prefix`` reaches the product across a relation (``"variant__product__"``)."""
    return Prefetch(
        f"{prefix}images", queryset=ProductImage.objects.select_related("variant")
    )


def product_gallery(product: Product) -> list[ProductImage]:
    """Every picture of a product (``images_prefetch``): the product's own first,
    then those of its colours, each group in position order."""
    images = product.images.all()
    return sorted(images, key=lambda i: (i.variant_id is not None, i.position, i.pk))


def variant_images(product: Product, variant: Variant) -> list[ProductImage]:
    """The pictures of a variant's colour: an image taken of one variant shows every
    size of its colour."""
    return [
        image
        for image in product_gallery(product)
        if image.variant_id == variant.pk
        or (
            image.variant_id is not None
            and variant.colour
            and image.variant.colour == variant.colour
        )
    ]


def colour_or_product_images(product: Product, variant: Variant) -> list[ProductImage]:
    """A variant's pictures: its colour's, else the product's own, never another
    colour's (a red shirt is not shown for the blue one)."""
    return variant_images(product, variant) or [
        image for image in product_gallery(product) if image.variant_id is None
    ]


def face_image(product: Product, variant: Variant | None = None) -> ProductImage | None:
    """The one picture a line or a card shows: for a variant, the first of
    ``colour_or_product_images``; for a product, the first of its gallery."""
    if variant is not None:
        gallery = colour_or_product_images(product, variant)
    else:
        gallery = product_gallery(product)
    return gallery[0] if gallery else None


def picture_urls(variants, *, size: str = "card", absolute=None) -> dict[int, str]:
    """Variant id -> the link to its picture at ``size`` (its colour's, else the
    product's), for a whole batch in one query; ``absolute`` as in ``image_urls``
    (``inventory.images.site_url`` for emails). Variants without one are left out."""
    variants = list(variants)
    prefetch_related_objects([v.product for v in variants], images_prefetch())
    urls = {}
    for variant in variants:
        image = face_image(variant.product, variant)
        if image is not None:
            urls[variant.pk] = image_urls(image.image, absolute=absolute)[size]
    return urls


def available_expression():
    """Units on hand and not held for an order (safety stock included)."""
    return F("on_hand") - F("reserved")


def sourcing_locations_sql(connection, *, with_store: bool) -> str:
    """A condition on ``s.location_id`` (a stock level) for hand-written stock reads:
    one of the active locations that ship online orders or, ``with_store``, the shop
    passed as its one parameter.

    A best seller has a level at every shop, a few hundred, while a few dozen
    locations ship online. On PostgreSQL their ids go to the (variant, location)
    index as an array computed first, so it is probed for those locations only
    instead of every level of the variant being read and filtered (a third of the
    database's work in a checkout); elsewhere it is a plain ``IN``."""
    where = (
        "active AND (ships_online_orders OR id = %s)"
        if with_store
        else ("active AND ships_online_orders")
    )
    locations = f"SELECT id FROM inventory_location WHERE {where}"
    if connection.vendor == "postgresql":
        return f"s.location_id = ANY(ARRAY({locations}))"
    return f"s.location_id IN ({locations})"


def online_available(*, variant_ids) -> dict[int, int]:
    """Units sellable online per variant: over active locations that ship online orders,
    available minus safety stock, never below zero per location."""
    variant_ids = list(variant_ids)
    rows = (
        StockLevel.objects.filter(
            variant_id__in=variant_ids,
            location__active=True,
            location__ships_online_orders=True,
        )
        .values("variant_id")
        .annotate(
            units=Sum(
                Greatest(
                    free_units(),
                    Value(0),
                    output_field=IntegerField(),
                )
            )
        )
    )
    result = dict.fromkeys(variant_ids, 0)
    result.update({row["variant_id"]: row["units"] or 0 for row in rows})
    return result


def levels_for_variant(*, variant: Variant) -> QuerySet[StockLevel]:
    """Stock of one variant at every active location, shops and warehouses."""
    return (
        StockLevel.objects.filter(variant=variant, location__active=True)
        .select_related("location")
        .annotate(available_units=available_expression())
        .order_by("location__kind", "location__name")
    )


def levels_for_variants(
    *, variant_ids, location_ids=None
) -> dict[tuple[int, int], StockLevel]:
    qs = StockLevel.objects.filter(variant_id__in=list(variant_ids))
    if location_ids is not None:
        qs = qs.filter(location_id__in=list(location_ids))
    return {(lvl.variant_id, lvl.location_id): lvl for lvl in qs}


@dataclass
class StoreAvailability:
    """A shop and the units of an item an order may still take there (its
    ``free_units``, never below zero): what a pickup there would be sourced from."""

    location: Location
    distance_km: float | None
    available: int

    @property
    def click_and_collect(self) -> bool:
        return self.location.click_and_collect


def shops(*, lat: float | None = None, lng: float | None = None) -> QuerySet[Location]:
    """Active shops, nearest the point first (great-circle distance) when one is
    given, else by name."""
    qs = Location.objects.filter(active=True, kind=LocationKind.SHOP)
    if lat is not None and lng is not None:
        return qs.annotate(great_circle=great_circle_order(lat, lng)).order_by(
            "great_circle", "id"
        )
    return qs.order_by("name")


def with_distance(locations, lat, lng) -> list[tuple[Location, float | None]]:
    if lat is None or lng is None:
        return [(loc, None) for loc in locations]
    return [
        (loc, round(haversine_km(lat, lng, loc.latitude, loc.longitude), 1))
        for loc in locations
    ]


def stores_with_availability(
    *,
    variant: Variant,
    lat: float | None = None,
    lng: float | None = None,
    limit: int = 20,
) -> list[StoreAvailability]:
    """Shops nearest first (or by name), each with the variant's units free there
    (``free_units``: the cart's and the sourcing's count, safety stock kept back)."""
    units = (
        StockLevel.objects.filter(variant=variant, location=OuterRef("pk"))
        .values("location")
        .annotate(units=free_units())
        .values("units")[:1]
    )
    locations = shops(lat=lat, lng=lng).annotate(
        available_units=Coalesce(Subquery(units, output_field=IntegerField()), Value(0))
    )[:limit]
    return [
        StoreAvailability(
            location=loc, distance_km=dist, available=max(loc.available_units, 0)
        )
        for loc, dist in with_distance(list(locations), lat, lng)
    ]


def stores_with_availability_by_variant(
    *, variant_ids, lat: float | None = None, lng: float | None = None, limit: int = 20
) -> dict[int, list[StoreAvailability]]:
    """``stores_with_availability`` for every variant of a product at once: the nearest
    shops in one query and their units free in another, whatever the number of
    variants."""
    variant_ids = list(variant_ids)
    located = with_distance(list(shops(lat=lat, lng=lng)[:limit]), lat, lng)
    free = {
        (variant_id, location_id): units
        for variant_id, location_id, units in StockLevel.objects.filter(
            variant_id__in=variant_ids, location_id__in=[loc.pk for loc, _ in located]
        )
        .annotate(units=free_units())
        .values_list("variant_id", "location_id", "units")
    }

    def units(variant_id, location_id) -> int:
        return max(free.get((variant_id, location_id), 0), 0)

    return {
        v: [
            StoreAvailability(location=loc, distance_km=km, available=units(v, loc.pk))
            for loc, km in located
        ]
        for v in variant_ids
    }


def low_stock(*, location: Location) -> QuerySet[StockLevel]:
    """Levels at or under their threshold at one location, of items still sold:
    those with a notice not seen yet first, then the emptiest. Each carries its open
    notice, if any (``noticed_at``, ``is_new``), and ``units_short``: the units that
    would bring it back above its threshold."""
    notice = LowStockNotice.objects.filter(level=OuterRef("pk"), resolved_at=None)
    return (
        StockLevel.objects.filter(VARIANT_ON_SALE, location=location)
        .annotate(available_units=available_expression())
        .filter(available_units__lte=F("low_stock_threshold"))
        .annotate(
            units_short=F("low_stock_threshold") - F("available_units") + 1,
            noticed_at=Subquery(notice.values("noticed_at")[:1]),
            is_new=Exists(notice.filter(seen_at=None)),
        )
        .select_related("variant__product")
        .order_by("-is_new", "available_units", "variant__sku")
    )


def new_low_stock_count(*, location: Location) -> int:
    """Open low-stock notices at ``location`` nobody there has marked seen."""
    return LowStockNotice.objects.filter(
        variant_on_sale("level__variant"),
        level__location=location,
        resolved_at=None,
        seen_at=None,
    ).count()


def ledger_discrepancies() -> list[dict]:
    """Levels whose ledger does not sum to them (empty when the books are right)."""
    sums = StockMovement.objects.filter(
        variant=OuterRef("variant"), location=OuterRef("location")
    ).values("variant", "location")
    on_hand = sums.annotate(total=Sum("delta_on_hand")).values("total")
    reserved = sums.annotate(total=Sum("delta_reserved")).values("total")
    levels = StockLevel.objects.annotate(
        ledger_on_hand=Coalesce(
            Subquery(on_hand, output_field=IntegerField()), Value(0)
        ),
        ledger_reserved=Coalesce(
            Subquery(reserved, output_field=IntegerField()), Value(0)
        ),
    ).filter(~Q(ledger_on_hand=F("on_hand")) | ~Q(ledger_reserved=F("reserved")))
    orphans = (
        StockMovement.objects.values("variant_id", "location_id")
        .annotate(n=Sum("delta_on_hand"))
        .filter(
            ~Exists(
                StockLevel.objects.filter(
                    variant=OuterRef("variant_id"), location=OuterRef("location_id")
                )
            )
        )
    )
    rows = [
        {
            "variant_id": lvl.variant_id,
            "location_id": lvl.location_id,
            "on_hand": lvl.on_hand,
            "ledger_on_hand": lvl.ledger_on_hand,
            "reserved": lvl.reserved,
            "ledger_reserved": lvl.ledger_reserved,
        }
        for lvl in levels
    ]
    rows += [
        {"variant_id": o["variant_id"], "location_id": o["location_id"], "orphan": True}
        for o in orphans
    ]
    return rows


# --- staff stock screens ----------------------------------------------------------


def variants_by_codes(*, codes) -> dict[str, Variant]:
    """Match each code as a SKU or a barcode in one query.

    A label carries either, and staff type SKUs in any case: an exact SKU wins, then a
    barcode, then a SKU that differs only in case.
    """
    codes = {str(c).strip() for c in codes if c and str(c).strip()}
    if not codes:
        return {}
    candidates = list(
        Variant.objects.select_related("product")
        .annotate(sku_upper=Upper("sku"))
        .filter(Q(sku_upper__in={c.upper() for c in codes}) | Q(barcode__in=codes))
    )
    by_sku = {v.sku: v for v in candidates}
    by_barcode = {v.barcode: v for v in candidates if v.barcode}
    by_upper = {v.sku.upper(): v for v in candidates}
    found = {}
    for code in codes:
        match = by_sku.get(code) or by_barcode.get(code) or by_upper.get(code.upper())
        if match is not None:
            found[code] = match
    return found


def variant_by_code(*, code: str) -> Variant | None:
    code = (code or "").strip()
    return variants_by_codes(codes=[code]).get(code)


def variant_detail(*, pk: int) -> Variant | None:
    return Variant.objects.select_related("product__category").filter(pk=pk).first()


def availability_here_and_elsewhere(
    *, variant_ids, location: Location | None
) -> dict[int, tuple[int, int]]:
    """Per variant: units available at ``location`` and at every other active one."""
    variant_ids = list(variant_ids)
    result = dict.fromkeys(variant_ids, (0, 0))
    if not variant_ids:
        return result
    here_id = location.pk if location is not None else 0
    rows = (
        StockLevel.objects.filter(variant_id__in=variant_ids, location__active=True)
        .values("variant_id")
        .annotate(
            here=Sum(
                Case(
                    When(location_id=here_id, then=available_expression()),
                    default=Value(0),
                    output_field=IntegerField(),
                )
            ),
            elsewhere=Sum(
                Case(
                    When(location_id=here_id, then=Value(0)),
                    default=available_expression(),
                    output_field=IntegerField(),
                )
            ),
        )
    )
    for row in rows:
        result[row["variant_id"]] = (row["here"] or 0, row["elsewhere"] or 0)
    return result


def recent_movements(
    *, variant: Variant, location: Location, limit: int = 15
) -> list[StockMovement]:
    return list(
        StockMovement.objects.filter(variant=variant, location=location)
        .select_related("actor")
        .order_by("-id")[:limit]
    )


def active_locations() -> QuerySet[Location]:
    return Location.objects.filter(active=True).order_by("kind", "name")


def best_source(*, variants: list[Variant], sources: QuerySet[Location]):
    """Among ``sources``, the location with the most units free to send of all
    ``variants`` together (the fewest of them counted), or None when none has any."""
    ids = sorted({v.pk for v in variants})
    if not ids:
        return None
    return (
        sources.filter(stock_levels__variant_id__in=ids)
        .annotate(
            items=Count("stock_levels"),
            fewest=Min(free_units("stock_levels__")),
        )
        .filter(items=len(ids), fewest__gt=0)
        .order_by("-fewest", "kind", "name")
        .first()
    )


OPEN_TRANSFER_STATUSES = (
    TransferStatus.REQUESTED,
    TransferStatus.IN_TRANSIT,
    TransferStatus.PARTIALLY_RECEIVED,
)


def transfer_list(
    *, location: Location | None = None, open_only: bool = False
) -> QuerySet[Transfer]:
    """Transfers in and out of ``location`` (every transfer when None), newest first,
    with their number of lines, units asked and units shipped not received
    (``units_out``: what a transfer closed short misses, ``Transfer.units_missing``)."""
    transfers = Transfer.objects.all()
    if location is not None:
        transfers = transfers.filter(Q(source=location) | Q(destination=location))
    if open_only:
        transfers = transfers.filter(status__in=OPEN_TRANSFER_STATUSES)
    return (
        transfers.select_related("source", "destination", "requested_by")
        .annotate(
            line_count=Count("lines"),
            units=Coalesce(Sum("lines__quantity"), 0),
            units_out=Coalesce(
                Sum(F("lines__quantity") - F("lines__quantity_received")), 0
            ),
        )
        .order_by("-id")
    )


def transfer_detail(*, pk: int, location_ids=None) -> Transfer | None:
    """One transfer with its lines and status history, only if it leaves or reaches
    one of ``location_ids`` (any location when None)."""
    transfers = Transfer.objects.filter(pk=pk)
    if location_ids is not None:
        location_ids = list(location_ids)
        transfers = transfers.filter(
            Q(source_id__in=location_ids) | Q(destination_id__in=location_ids)
        )
    return (
        transfers.select_related("source", "destination", "requested_by")
        .prefetch_related(
            Prefetch(
                "lines",
                queryset=TransferLine.objects.select_related("variant__product"),
            ),
            Prefetch("events", queryset=TransferEvent.objects.select_related("actor")),
        )
        .first()
    )


def transfers_awaiting(*, location: Location) -> dict[str, int]:
    """Open work for a shop: transfers it must ship and transfers it must receive."""
    arriving = [TransferStatus.IN_TRANSIT, TransferStatus.PARTIALLY_RECEIVED]
    transfers = Transfer.objects.filter(Q(source=location) | Q(destination=location))
    return transfers.aggregate(
        to_ship=Count("pk", filter=Q(source=location, status=TransferStatus.REQUESTED)),
        to_receive=Count("pk", filter=Q(destination=location, status__in=arriving)),
    )


# --- find by name ---------------------------------------------------------------------


def size_colour_grid(*, variant: Variant, location: Location | None) -> dict:
    """The item's product as a grid of colours by sizes (sizes in size order), each
    cell the variant with units available here and at the other locations. Two
    queries."""
    variants = list(
        Variant.objects.filter(product_id=variant.product_id, active=True).order_by(
            "pk"
        )
    )
    units = availability_here_and_elsewhere(
        variant_ids=[v.pk for v in variants], location=location
    )
    sizes = sorted({v.size for v in variants}, key=size_key)
    colours = sorted({v.colour for v in variants})
    cells = {(v.colour, v.size): (v, *units[v.pk]) for v in variants}
    return {
        "sizes": sizes,
        "rows": [(c, [cells.get((c, s)) for s in sizes]) for c in colours],
    }
