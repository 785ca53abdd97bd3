"""Reading the environment: the helpers every settings module shares.

Each reads one variable and falls back to ``default`` when it is not set; a value
that does not parse stops the settings from loading."""

import os
from decimal import Decimal


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [
        item.strip()
        for item in os.environ.get(name, default).split(",")
        if item.strip()
    ]


def env_int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


def env_float(name: str, default: float) -> float:
    return float(os.environ.get(name, default))


def env_decimal(name: str, default: str) -> Decimal:
    """``default`` is a string so that its exponent is kept (``"5.00"``)."""
    return Decimal(os.environ.get(name, default))


def env_decimal_or_none(name: str, default: str) -> Decimal | None:
    """An empty value (set, or the default) turns the setting off: ``None``."""
    value = os.environ.get(name, default).strip()
    return Decimal(value) if value else None


def env_int_or_none(name: str, default: str) -> int | None:
    """An empty value (set, or the default) turns the setting off: ``None``."""
    value = os.environ.get(name, default).strip()
    return int(value) if value else None
