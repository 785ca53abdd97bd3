"""Deadlines counted in the shops' days."""

from datetime import datetime
from zoneinfo import ZoneInfo

from django.test import override_settings

from omnistore.core.dates import end_of_day_after, end_of_local_day

ROME = ZoneInfo("Europe/Rome")
UTC = ZoneInfo("UTC")


@override_settings(TIME_ZONE="Europe/Rome")
def test_a_day_ends_at_local_midnight():
    end = end_of_local_day(datetime(2026, 12, 5).date())
    assert end.astimezone(UTC) == datetime(2026, 12, 5, 22, 59, 59, 999999, UTC)


@override_settings(TIME_ZONE="Europe/Rome")
def test_days_are_counted_from_the_local_day_not_the_utc_one():
    # 00:30 in Rome on 6 December is still 5 December in UTC
    start = datetime(2026, 12, 6, 0, 30, tzinfo=ROME)
    assert end_of_day_after(start, 1).date() == datetime(2026, 12, 7).date()


@override_settings(TIME_ZONE="Europe/Rome")
def test_a_change_of_the_clocks_neither_shortens_nor_lengthens_a_week():
    autumn = datetime(2026, 10, 19, 0, 30, tzinfo=ROME)  # clocks go back on the 25th
    spring = datetime(2026, 3, 22, 23, 30, tzinfo=ROME)  # and forward on the 29th
    assert end_of_day_after(autumn, 7).date() == datetime(2026, 10, 26).date()
    assert end_of_day_after(spring, 7).date() == datetime(2026, 3, 29).date()
