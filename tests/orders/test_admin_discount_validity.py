"""The discount codes' list shows each end of a code's validity as the moment it is in
the shops' time zone, and the form says the end is the moment the code stops."""

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from omnistore.accounts.models import Role
from tests.factories import UserFactory
from tests.orders.discount_helpers import discount_code

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/orders/discountcode/"
ROME = ZoneInfo("Europe/Rome")


@pytest.fixture
def hq(client, settings):
    settings.TIME_ZONE = "Europe/Rome"
    client.force_login(UserFactory(role=Role.HQ, is_staff=True, is_superuser=True))
    return client


def validity_of(html: str, code: str) -> str:
    """The "Valid" cell of the code's row in the list."""
    [row] = [row for row in html.split("<tr") if f">{code}</a>" in row]
    cell = re.search(r'<td class="field-validity">(.*?)</td>', row, re.S).group(1)
    return " ".join(cell.split())


def test_a_code_ending_at_midnight_reads_as_ending_when_that_day_begins(hq):
    discount_code(
        "WINTER", "fixed", "5", valid_until=datetime(2026, 12, 6, 0, 0, tzinfo=ROME)
    )
    discount_code(
        "LUNCH",
        "fixed",
        "5",
        valid_from=datetime(2026, 12, 1, 12, 0, tzinfo=ROME),
        valid_until=datetime(2026, 12, 1, 14, 30, tzinfo=ROME),
    )
    # Stored in UTC, shown in the shops' time zone.
    discount_code(
        "DAWN", "fixed", "5", valid_from=datetime(2026, 12, 1, 6, 0, tzinfo=ROME)
    )

    html = hq.get(CHANGELIST).content.decode()

    assert validity_of(html, "WINTER") == "until 06 Dec 2026 00:00"
    assert validity_of(html, "LUNCH") == "01 Dec 2026 12:00 – 01 Dec 2026 14:30"
    assert validity_of(html, "DAWN") == "from 01 Dec 2026 06:00"


def test_the_form_says_the_end_is_the_moment_the_code_stops(hq):
    html = hq.get(CHANGELIST + "add/").content.decode()

    assert (
        "The code stops working at this moment (the shops' time zone): for the "
        "whole of a day, give the next day at 00:00." in html
    )
    assert "The code works from this moment (the shops' time zone)." in html
