"""Finding items by what staff type: a scanned code, a SKU, or words naming them
("oxford blue M"). Reads only; one query each."""

from __future__ import annotations

from django.db.models import Q

from omnistore.core.digits import is_digits

from .models import Variant
from .sizes import LETTER_SIZES, size_key

MOST_WORDS = 6  # words of a search that narrow it; the rest are ignored


def _word_match(word: str) -> Q:
    """What one word of a search matches: the product's name or brand, the colour,
    the size or the SKU's start. A word that is a whole size (M, 42) matches that
    size only, so "M" does not find every "Merino"."""
    if word.upper() in LETTER_SIZES or is_digits(word):
        return Q(size__iexact=word) | Q(sku__iexact=word)
    return (
        Q(product__name__icontains=word)
        | Q(product__brand__icontains=word)
        | Q(colour__icontains=word)
        | Q(size__iexact=word)
        | Q(sku__istartswith=word)
    )


def every_word(words: list[str]) -> Q:
    """A variant every word of a search matches (``_word_match``), its first
    ``MOST_WORDS`` words."""
    match = Q()
    for word in words[:MOST_WORDS]:
        match &= _word_match(word)
    return match


def variant_search(*, query: str, limit: int = 25) -> list[Variant]:
    """Exact barcode or SKU first (a scan), then SKU prefix and product name matches;
    several words narrow each other down as ``find_variants`` reads them ("linen
    shirt white L"). Up to ``limit`` items; the caller asks for one more to know
    there are more."""
    query = (query or "").strip()
    if not query:
        return []
    base = Variant.objects.filter(active=True, product__active=True).select_related(
        "product"
    )
    exact = list(base.filter(Q(barcode=query) | Q(sku__iexact=query))[:1])
    if exact:
        return exact
    matches = Q(sku__istartswith=query) | Q(product__name__icontains=query)
    words = query.split()
    if len(words) > 1:
        matches |= every_word(words)
    return list(base.filter(matches).order_by("product__name", "sku")[:limit])


def find_variants(*, query: str, limit: int = 30) -> list[Variant]:
    """Items for a customer who names what they want ("oxford blue M"): every word
    must match (``_word_match``). Sorted by product, colour, then size in size order.
    One query."""
    words = (query or "").replace(",", " ").split()
    if not words:
        return []
    found = Variant.objects.filter(active=True, product__active=True).filter(
        every_word(words)
    )
    variants = list(
        found.select_related("product").order_by("product__name", "pk")[:limit]
    )
    variants.sort(key=lambda v: (v.product.name, v.colour, size_key(v.size), v.sku))
    return variants
