"""Days as the shops and their customers count them: in the site's time zone.

A deadline printed as a date ("valid until 5 December", "collect by Saturday",
"returns within 30 days") lasts until that local day has ended, not until the clock
time of the moment it was counted from, and a number of days is counted in calendar
days, so a change of the clocks neither shortens nor lengthens it.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.utils import timezone


def end_of_local_day(day: date) -> datetime:
    """The last moment of ``day`` in the site's time zone."""
    return datetime.combine(day, time.max, timezone.get_default_timezone())


def end_of_day_after(moment: datetime, days: int) -> datetime:
    """The end of the local day ``days`` calendar days after ``moment``'s local day."""
    return end_of_local_day(timezone.localdate(moment) + timedelta(days=days))
