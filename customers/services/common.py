"""What several customer services share: the channel check and the "where" label."""

from __future__ import annotations

from typing import Any

from omnistore.core.channels import Channel
from omnistore.core.exceptions import ValidationFailed

# A keyword argument the caller did not give (``None`` is a value: "clear it").
UNSET: Any = object()


def check_channel(channel: str, field: str = "channel") -> str:
    if channel not in Channel.values:
        raise ValidationFailed(
            f"Unknown channel '{channel}'.",
            extra={field: [f"Must be one of: {', '.join(Channel.values)}."]},
        )
    return channel


def where_label(channel: str, location) -> str:
    """The channel's label, with the shop's name when there is one."""
    label = Channel(channel).label if channel in Channel.values else channel
    return f"{label} · {location.name}" if location is not None else label
