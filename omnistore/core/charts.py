"""Geometry of server-rendered SVG bar charts (no JavaScript, nothing from a CDN).

``bar_chart`` turns rows of labelled values into rectangles and text positions; the
template ``admin/_bar_chart.html`` only draws them (``empty_text`` says what an empty
chart shows). Every report uses these two.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

PALETTE = ("#2563eb", "#f59e0b", "#10b981", "#ef4444", "#8b5cf6")
LABEL_WIDTH = 220
BAR_AREA = 460
VALUE_WIDTH = 90
BAR_HEIGHT = 16
BAR_GAP = 4
ROW_GAP = 14
TOP = 28


@dataclass(frozen=True)
class Bar:
    x: int
    y: int
    width: int
    height: int
    colour: str
    value_text: str
    text_x: int
    text_y: int
    title: str


@dataclass(frozen=True)
class RowLabel:
    text: str
    y: int


@dataclass(frozen=True)
class Legend:
    text: str
    colour: str
    x: int


@dataclass(frozen=True)
class Chart:
    title: str
    width: int
    height: int
    bars: list[Bar]
    labels: list[RowLabel]
    legend: list[Legend]
    axis_x: int
    empty: bool


def _fmt(value, unit: str) -> str:
    if unit == "%":
        return f"{Decimal(value):.1f}%"
    if unit == "money":
        return f"{Decimal(value):,.2f}"
    return f"{value}"


def bar_chart(
    title: str,
    rows: list[tuple[str, list[float | int | Decimal]]],
    *,
    series: list[str],
    unit: str = "",
    max_value=None,
) -> Chart:
    """Horizontal grouped bars: one group per row, one bar per series."""
    values = [Decimal(str(v)) for _, vs in rows for v in vs]
    top = Decimal(str(max_value)) if max_value else max(values, default=Decimal(0))
    top = top if top > 0 else Decimal(1)
    bars: list[Bar] = []
    labels: list[RowLabel] = []
    y = TOP
    per_group = len(series) * (BAR_HEIGHT + BAR_GAP)
    for label, vs in rows:
        labels.append(RowLabel(text=label[:32], y=y + per_group // 2 + 4))
        for index, value in enumerate(vs):
            amount = Decimal(str(value))
            width = int(BAR_AREA * min(amount / top, Decimal(1)))
            bar_y = y + index * (BAR_HEIGHT + BAR_GAP)
            text = _fmt(value, unit)
            bars.append(
                Bar(
                    x=LABEL_WIDTH,
                    y=bar_y,
                    width=max(width, 1 if amount > 0 else 0),
                    height=BAR_HEIGHT,
                    colour=PALETTE[index % len(PALETTE)],
                    value_text=text,
                    text_x=LABEL_WIDTH + width + 6,
                    text_y=bar_y + BAR_HEIGHT - 4,
                    title=f"{label} · {series[index]}: {text}",
                )
            )
        y += per_group + ROW_GAP
    legend = [
        Legend(text=name, colour=PALETTE[i % len(PALETTE)], x=LABEL_WIDTH + i * 150)
        for i, name in enumerate(series)
    ]
    return Chart(
        title=title,
        width=LABEL_WIDTH + BAR_AREA + VALUE_WIDTH,
        height=max(y, TOP + 20),
        bars=bars,
        labels=labels,
        legend=legend,
        axis_x=LABEL_WIDTH,
        empty=not rows,
    )
