"""Bar charts drawn on the server as SVG: no script, no CDN, and the same
picture in every browser. The numbers are also given as a table."""

import datetime
from dataclasses import dataclass

from django.utils.formats import date_format

WIDTH, HEIGHT = 720, 240
LEFT, RIGHT, TOP, BOTTOM = 56, 8, 12, 28
COLOURS = ("#0b5394", "#e69138", "#38761d")  # distinct for common colour blindness


@dataclass
class Bar:
    x: float
    y: float
    width: float
    height: float
    colour: str
    title: str


@dataclass
class Chart:
    bars: list[Bar]
    ticks: list[tuple[float, str]]  # (y, label) on the value axis
    labels: list[tuple[float, str]]  # (x, label) on the day axis
    legend: list[tuple[str, str]]  # (colour, series name)
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    bottom: int = HEIGHT - BOTTOM


def _nice_ceiling(value: int) -> int:
    """1, 2 or 5 times a power of ten, at least value: round axis labels."""
    step = 1
    while True:
        for m in (1, 2, 5):
            if m * step >= value:
                return m * step
        step *= 10


def _day_labels(days: list[datetime.date], slot: float) -> list[tuple[float, str]]:
    picks = sorted({0, len(days) // 2, len(days) - 1}) if days else []
    return [(LEFT + slot * (i + 0.5), date_format(days[i], "j M")) for i in picks]


def stacked_bars(days: list[datetime.date], series: list[tuple[str, list[int]]]) -> Chart:
    """One bar per day, each series stacked on the one before."""
    stacks = zip(*(values for _name, values in series), strict=True)
    top = _nice_ceiling(max((sum(stack) for stack in stacks), default=1))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = plot_w / max(len(days), 1)
    bars = []
    for i, day in enumerate(days):
        base = 0
        for (name, values), colour in zip(series, COLOURS, strict=False):
            h = plot_h * values[i] / top
            y = TOP + plot_h - base - h
            title = f"{date_format(day, 'j M Y')}: {name} {values[i]}"
            bars.append(Bar(LEFT + slot * i + slot * 0.1, y, slot * 0.8, h, colour, title))
            base += h
    ticks = [(TOP + plot_h * (1 - f), f"{round(top * f):,}") for f in (0, 0.5, 1)]
    legend = [(c, str(n)) for (n, _v), c in zip(series, COLOURS, strict=False)]
    return Chart(bars, ticks, _day_labels(days, slot), legend)
