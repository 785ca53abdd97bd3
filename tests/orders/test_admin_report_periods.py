"""The company ledgers' period in the admin (the VAT ledger, the stored-value
liability): a day outside what the report covers, or a period it cannot compute,
is the form's error on the report's own page, never a bare text answer."""

import pytest
from django.urls import reverse

from orders.admin import reports

pytestmark = pytest.mark.django_db

LEDGERS = ["admin:orders_order_vat_ledger", "admin:orders_giftcard_liability"]


@pytest.mark.parametrize("name", LEDGERS)
@pytest.mark.parametrize("export", [{}, {"format": "csv"}])
def test_days_beyond_what_the_report_covers_are_the_forms_errors(
    admin_client, name, export
):
    page = admin_client.get(
        reverse(name), {"start": "0001-01-01", "end": "9999-12-31", **export}
    )

    assert page.status_code == 400
    assert page["Content-Type"].startswith("text/html")
    errors = page.context["form"].errors
    assert errors["start"] == [reports.OUT_OF_RANGE]
    assert errors["end"] == [reports.OUT_OF_RANGE]
    html = page.content.decode()
    assert 'id="content-main"' in html
    assert "Give a day from 01 Jan 1900 to 30 Dec 9999" in html


@pytest.mark.parametrize("name", LEDGERS)
def test_the_first_and_last_days_covered_are_accepted(admin_client, name):
    widest = admin_client.get(
        reverse(name), {"start": "1900-01-01", "end": "9999-12-30"}
    )
    before = admin_client.get(
        reverse(name), {"start": "1899-12-31", "end": "2020-01-01"}
    )
    after = admin_client.get(
        reverse(name), {"start": "2020-01-01", "end": "9999-12-31"}
    )

    assert widest.status_code == 200
    assert widest.context["form"].is_valid()
    assert before.status_code == 400 and set(before.context["form"].errors) == {"start"}
    assert after.status_code == 400 and set(after.context["form"].errors) == {"end"}


def test_a_period_the_report_cannot_compute_is_told_on_its_page(
    admin_client, monkeypatch
):
    def overflowing(**period):
        raise OverflowError("date value out of range")

    monkeypatch.setattr(reports, "vat_ledger", overflowing)

    page = admin_client.get(
        reverse(LEDGERS[0]), {"start": "2020-01-01", "end": "2020-12-31"}
    )

    assert page.status_code == 400
    assert page.context["form"].non_field_errors() == [reports.TOO_WIDE]
    assert reports.TOO_WIDE in page.content.decode()
    assert page.context["rows"] == []
