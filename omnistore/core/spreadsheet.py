"""CSV files a manager opens in a spreadsheet: a cell that starts like a formula
(``=``, ``+``, ``-``, ``@``, a tab or a carriage return) and is not a number is
written as text, with a leading ``'``, so a name like ``=HYPERLINK(...)`` never runs.
Every CSV the admin and the staff pages hand out writes through here."""

from __future__ import annotations

import csv
from decimal import Decimal

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value) -> str:
    """A cell as text, a formula-like one made inert."""
    text = "" if value is None else str(value)
    if text[:1] in FORMULA_STARTS and not _is_number(text):
        return "'" + text
    return text


def csv_read(text: str) -> str:
    """A cell of a file read back as ``csv_safe`` wrote it: the ``'`` it put before
    a formula-like value taken off, so what was exported imports unchanged."""
    rest = text[1:]
    if text[:1] == "'" and rest[:1] in FORMULA_STARTS and not _is_number(rest):
        return rest
    return text


def _is_number(text: str) -> bool:
    try:
        Decimal(text)
    except ArithmeticError:
        return False
    return True


class SafeWriter:
    """``csv.writer`` whose every cell goes through ``csv_safe``."""

    def __init__(self, file):
        self._writer = csv.writer(file)

    def writerow(self, row):
        return self._writer.writerow([csv_safe(cell) for cell in row])

    def writerows(self, rows):
        for row in rows:
            self.writerow(row)
