"""A price list as a CSV file in the admin: exported whole, and imported back.

The file is what a spreadsheet saves: UTF-8 (a byte order mark or not), comma or
semicolon separated, a header row naming ``sku`` and ``price`` (any case, any
order; other columns, such as the exported ``product``, are read past). A price is
written with a dot or a comma (``12.50``, ``12,50``). A file with any problem is
refused whole, its first problems said by line, so a list is never half imported;
the prices it names are written by ``import_prices``.
"""

from __future__ import annotations

import csv
import io
import re
from decimal import Decimal

from django import forms
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.text import slugify

from omnistore.core.exceptions import ApplicationError
from omnistore.core.spreadsheet import SafeWriter, csv_read

from .models import PriceList, PriceListPrice, Variant
from .services.price_lists import import_prices, price_problem

MAX_BYTES = 5 * 1024 * 1024
# Rows per file: a file is written in the request, whole or not at all, with each
# price's history row; 20,000 changed prices take a few seconds, well inside the web
# worker's timeout. A longer list goes in several files.
MAX_ROWS = 20_000
SHOWN = 20  # problems listed when a file is refused
LOOKUP_BATCH = 900  # SKUs looked up per query (under SQLite's 999 parameters)
COLUMNS = ("sku", "price")
PRICE = re.compile(r"-?\d+(?:[.,]\d+)?")

Problem = tuple[int, str]  # line number (0: the file as a whole), what is wrong


def export_prices(price_list: PriceList) -> HttpResponse:
    """Every price of the list by SKU, with the product's name to read by: one
    query, read in chunks, whatever the size of the list."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    name = slugify(price_list.code) or price_list.pk
    response["Content-Disposition"] = f'attachment; filename="prices-{name}.csv"'
    writer = SafeWriter(response)
    writer.writerow(["sku", "price", "product"])
    rows = (
        PriceListPrice.objects.filter(price_list=price_list)
        .order_by("variant__sku")
        .values_list("variant__sku", "price", "variant__product__name")
    )
    writer.writerows(rows.iterator(chunk_size=2000))
    return response


def read_prices(data: bytes) -> tuple[dict[int, Decimal], list[Problem]]:
    """The prices the file gives (variant id -> price), or its problems by line
    (then no prices)."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        return {}, [(line, "this is not UTF-8 text: save the file as CSV UTF-8")]
    if not text.strip():
        return {}, [(0, "the file is empty")]
    # Lines end in CR LF, LF or, from older spreadsheets, CR alone.
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    header, _, _ = text.partition("\n")
    try:
        delimiter, positions = _columns(header)
    except csv.Error as error:
        return {}, [(1, f"this is not CSV ({error})")]
    if delimiter is None:
        missing = " and ".join(f"“{name}”" for name in COLUMNS if name not in positions)
        return {}, [(1, f"the header names no {missing} column")]
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    next(reader)
    by_sku, problems = _read_rows(reader, positions)
    if not by_sku and not problems:
        problems = [(0, "the file has no prices under its header")]
    if any(not line for line, _ in problems):  # the file as a whole
        return {}, problems
    ids = _variant_ids(list(by_sku))
    problems += [
        (line, f"unknown SKU “{sku}”")
        for sku, (line, _) in by_sku.items()
        if sku not in ids
    ]
    if problems:
        return {}, problems
    return {ids[sku]: price for sku, (_, price) in by_sku.items()}, []


def _columns(header: str) -> tuple[str | None, dict[str, int]]:
    """The separator whose header names every column of ``COLUMNS``, and where
    each is; without one, None and the columns found."""
    found: dict[str, int] = {}
    for delimiter in (",", ";"):
        cells = next(csv.reader([header], delimiter=delimiter), [])
        names = [cell.strip().lower() for cell in cells]
        positions = {name: names.index(name) for name in COLUMNS if name in names}
        if len(positions) == len(COLUMNS):
            return delimiter, positions
        if len(positions) > len(found):
            found = positions
    return None, found


def _read_rows(
    reader, positions: dict[str, int]
) -> tuple[dict[str, tuple[int, Decimal | None]], list[Problem]]:
    """Each SKU's first line and price (None: not a price), and the lines' problems
    (blank lines skipped)."""
    by_sku: dict[str, tuple[int, Decimal | None]] = {}
    problems: list[Problem] = []
    count = 0
    try:
        for row in reader:
            if not any(cell.strip() for cell in row):
                continue
            count += 1
            if count > MAX_ROWS:
                return {}, [
                    (
                        0,
                        f"the file has more than {MAX_ROWS:,} rows: split it into "
                        f"files of at most {MAX_ROWS:,}",
                    )
                ]
            line = reader.line_num
            sku, price = (_cell(row, positions[name]) for name in COLUMNS)
            if not sku:
                problems.append((line, "no SKU"))
            elif sku in by_sku:
                first = by_sku[sku][0]
                problems.append((line, f"SKU “{sku}” again (first on line {first})"))
            problem = _price_problem(price)
            if problem:
                problems.append((line, problem))
            if sku and sku not in by_sku:
                by_sku[sku] = (line, None if problem else _decimal(price))
    except csv.Error as error:
        problems.append((reader.line_num, f"this is not CSV ({error})"))
    return by_sku, problems


def _decimal(text: str) -> Decimal:
    return Decimal(text.replace(",", "."))


def _cell(row: list[str], position: int) -> str:
    return csv_read(row[position].strip()) if position < len(row) else ""


def _price_problem(text: str) -> str | None:
    if not text:
        return "no price"
    if not PRICE.fullmatch(text):
        return f"price “{text}” is not a number such as 12.50 or 12,50"
    problem = price_problem(_decimal(text))
    return f"price {text}: {problem}" if problem else None


def _variant_ids(skus: list[str]) -> dict[str, int]:
    ids: dict[str, int] = {}
    for start in range(0, len(skus), LOOKUP_BATCH):
        batch = skus[start : start + LOOKUP_BATCH]
        ids.update(Variant.objects.filter(sku__in=batch).values_list("sku", "pk"))
    return ids


class PriceImportForm(forms.Form):
    file = forms.FileField(
        label="CSV file",
        help_text="UTF-8, comma or semicolon separated, with a header naming sku "
        "and price; at most 5 MB and 20,000 rows (a longer list goes in several "
        "files).",
    )
    reason = forms.CharField(
        max_length=100,
        help_text="Kept with each price added or changed, on its history page.",
    )

    prices: dict[int, Decimal]  # the file's, by variant id, once the form is valid

    def clean_file(self):
        """Read the file whole: its prices, or its problems refused."""
        upload = self.cleaned_data["file"]
        if upload.size > MAX_BYTES:
            problems = [(0, "the file is over 5 MB: split it into parts")]
        else:
            self.prices, problems = read_prices(upload.read())
        if problems:
            raise forms.ValidationError(_refusal(sorted(problems)))
        return upload


def _refusal(problems: list[Problem]) -> list[str]:
    count = len(problems)
    shown = f", the first {SHOWN}" if count > SHOWN else ""
    said = [
        f"Line {line}: {text}." if line else f"{text[:1].upper()}{text[1:]}."
        for line, text in problems[:SHOWN]
    ]
    if count == 1 and not problems[0][0]:
        return [f"Nothing was imported. {said[0]}"]
    plural = "" if count == 1 else "s"
    return [f"Nothing was imported: {count} problem{plural}{shown}:", *said]


def import_prices_page(model_admin, request, price_list: PriceList, done_url: str):
    """The import form; a valid file is imported and the list's prices shown, with
    how many were added, changed and left as they were."""
    posted = request.method == "POST"
    form = PriceImportForm(request.POST, request.FILES) if posted else PriceImportForm()
    status = 200
    if posted:
        status = 400
        if form.is_valid():
            try:
                result = import_prices(
                    price_list=price_list,
                    prices=form.prices,
                    actor=request.user,
                    reason=form.cleaned_data["reason"],
                )
            except ApplicationError as error:
                form.add_error(None, error.message)
                status = error.status
            else:
                model_admin.message_user(
                    request,
                    f"Prices of {price_list.name} imported: {result.added} added, "
                    f"{result.changed} changed, {result.unchanged} left as they "
                    "were.",
                    messages.SUCCESS,
                )
                return redirect(done_url)
    context = {
        **model_admin.admin_site.each_context(request),
        "title": f"Import prices of {price_list.name}",
        "opts": model_admin.model._meta,
        "original": price_list,
        "form": form,
        "max_problems": SHOWN,
    }
    template = "admin/inventory/pricelist/import_prices.html"
    return TemplateResponse(request, template, context, status=status)
