"""Dates typed by hand are read as the shops write them: day first (01/02/2027 is
the first of February), or ISO as the date pickers send it; never month first."""

DATE_INPUT_FORMATS = [
    "%Y-%m-%d",  # 2027-02-01, what a date picker sends
    "%d/%m/%Y",  # 01/02/2027
    "%d.%m.%Y",  # 01.02.2027
    "%d-%m-%Y",  # 01-02-2027
    "%d %b %Y",  # 01 Feb 2027
    "%d %B %Y",  # 01 February 2027
]
DATETIME_INPUT_FORMATS = [
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M:%S.%f",
    "%Y-%m-%d %H:%M",
    "%d/%m/%Y %H:%M:%S",
    "%d/%m/%Y %H:%M",
    "%d.%m.%Y %H:%M",
    "%Y-%m-%d",
]
