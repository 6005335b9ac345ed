"""Server-side SVG charts. Each chart is a <figure> with a caption, an SVG that scales to its
column (a viewBox, no fixed size) with a <title> and a <desc> saying what it shows in words,
axes with titles, ticks and units, a legend where colours mean something, and the same
figures as a data table, so it reads without the picture.

The SVG is a picture only (role="img"): nothing in it is interactive. Links to a narrower
view are in the data table. Colours are classes (`.chart .c-sev1` … in app.css),
so light and dark themes each get colours that stand out from their background; a second
line is dashed as well as coloured, so no figure is told apart by colour alone."""

import math
from dataclasses import dataclass, field
from datetime import date

from django.utils.html import escape, format_html
from django.utils.safestring import mark_safe

# The drawing's own units: 400 wide, drawn at the column's width (about 350 px on a phone,
# 600 px on a wide screen), so its text of 12-13 units is never smaller than 10 px.
WIDTH = 400
LEFT, RIGHT, TOP, BOTTOM = 46, 12, 24, 42
HEIGHT = 230
TICK_FONT, LABEL_FONT = 12, 13
SEVERITY_COLOURS = ("c-sev1", "c-sev2", "c-sev3", "c-sev4")
SERIES_COLOURS = ("c-a", "c-b", "c-c", "c-d")
# Fallback fills for a reader without the stylesheet (the classes override them).
FALLBACK = {
    "c-sev1": "#c92a2a",
    "c-sev2": "#c2410c",
    "c-sev3": "#4263eb",
    "c-sev4": "#868e96",
    "c-a": "#2457c5",
    "c-b": "#a15c00",
    "c-c": "#237032",
    "c-d": "#7048e8",
}


@dataclass
class Legend:
    name: str
    colour: str  # a class: c-sev1 … c-d
    dashed: bool = False


@dataclass
class Chart:
    """What a template needs: an id, a title, the SVG markup, its legend, a note under it and a
    table alternative."""

    id: str
    title: str
    svg: str
    headers: list[str] = field(default_factory=list)
    rows: list[list] = field(default_factory=list)
    legend: list[Legend] = field(default_factory=list)
    note: str = ""


def nice_ticks(top: float, *, whole: bool = True, count: int = 4) -> list[float]:
    """Round tick values from 0 to at least `top`: steps of 1, 2, 2.5 or 5 times a power of
    ten, about `count` of them (whole numbers only when `whole`)."""
    if top <= 0:
        return [0, 1]
    raw = top / count
    power = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 2.5, 5, 10):
        step = factor * power
        if step >= raw and (not whole or step == int(step)):
            break
    if whole:
        step = max(1, int(step))
    ticks = [0.0]
    while ticks[-1] < top:
        ticks.append(round(ticks[-1] + step, 10))
    return ticks


def _number(value: float) -> str:
    """A tick or value as people read it: 1,200, 2.5, 0."""
    if value == int(value):
        return f"{int(value):,}"
    return f"{value:,.2f}".rstrip("0").rstrip(".")


def _shown(value: float | None) -> str:
    return "unknown" if value is None else _number(value)


def _fill(colour: str) -> str:
    return f'class="{colour}" fill="{FALLBACK[colour]}"'


def _frame(chart_id: str, title: str, desc: str, body: list[str], height: int = HEIGHT) -> str:
    head = (
        f'<svg viewBox="0 0 {WIDTH} {height}" width="100%" role="img" class="chart" '
        f'preserveAspectRatio="xMidYMid meet" aria-labelledby="{chart_id}-t {chart_id}-d">'
        f'<title id="{chart_id}-t">{escape(title)}</title>'
        f'<desc id="{chart_id}-d">{escape(desc)}</desc>'
    )
    return mark_safe(head + "".join(body) + "</svg>")


def _y_axis(ticks: list[float], unit: str, height: int) -> list[str]:
    """Grid lines with their values on the left, and the unit above the axis."""
    parts = [
        f'<text x="4" y="12" font-size="{LABEL_FONT}" class="axis-title">{escape(unit)}</text>'
    ]
    plot_h = height - TOP - BOTTOM
    for tick in ticks:
        y = height - BOTTOM - plot_h * tick / ticks[-1]
        parts.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" class="grid" '
            f'stroke="#dde1e6"/>'
        )
        parts.append(
            f'<text x="{LEFT - 5}" y="{y + 4:.1f}" font-size="{TICK_FONT}" text-anchor="end">'
            f"{_number(tick)}</text>"
        )
    return parts


def short_day(label: str, interval: str) -> str:
    """An ISO day as a tick: `3 Nov` for a week, `Nov 26` for a month."""
    day = date.fromisoformat(label)
    return day.strftime("%b %y") if interval == "month" else f"{day.day} {day:%b}"


def _x_axis(labels: list[str], positions: list[float], title: str, interval: str, height: int):
    """The base line, at most six ticks under it (evenly spread), and the axis title."""
    base = height - BOTTOM
    parts = [
        f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{base}" y2="{base}" class="axis" '
        f'stroke="#5c6570"/>'
    ]
    every = max(1, math.ceil(len(labels) / 6))
    for i, (label, x) in enumerate(zip(labels, positions, strict=True)):
        if i % every:
            continue
        parts.append(
            f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{base}" y2="{base + 4}" class="axis" '
            f'stroke="#5c6570"/>'
        )
        parts.append(
            f'<text x="{x:.1f}" y="{base + 16}" font-size="{TICK_FONT}" text-anchor="middle">'
            f"{escape(short_day(label, interval))}</text>"
        )
    parts.append(
        f'<text x="{(LEFT + WIDTH - RIGHT) / 2:.1f}" y="{height - 6}" font-size="{LABEL_FONT}" '
        f'text-anchor="middle" class="axis-title">{escape(title)}</text>'
    )
    return parts


def _period_words(interval: str) -> tuple[str, str]:
    """(the x axis title, the word for one period)."""
    return ("week starting", "week") if interval == "week" else ("month", "month")


def stacked_bars(
    chart_id: str,
    title: str,
    labels: list[str],
    series: dict[str, list],
    *,
    interval: str = "week",
    unit: str = "incidents",
    colours: tuple[str, ...] = SEVERITY_COLOURS,
    extra: dict | None = None,
    note: str = "",
) -> Chart:
    """Vertical bars, one per period, stacked by series (e.g. incidents per week by severity).
    `extra` adds table columns per period ({"headers": [...], "rows": [[...], ...]})."""
    totals = [sum(values[i] for values in series.values()) for i in range(len(labels))]
    ticks = nice_ticks(max(totals, default=0))
    plot_h, plot_w = HEIGHT - TOP - BOTTOM, WIDTH - LEFT - RIGHT
    step = plot_w / max(len(labels), 1)
    gap = min(step * 0.2, 6)
    names = list(series)
    body = _y_axis(ticks, unit, HEIGHT)
    for i in range(len(labels)):
        y = HEIGHT - BOTTOM
        for s, values in enumerate(series.values()):
            h = plot_h * values[i] / ticks[-1]
            if h:
                y -= h
                body.append(
                    f'<rect x="{LEFT + i * step + gap / 2:.1f}" y="{y:.1f}" '
                    f'width="{max(step - gap, 1):.1f}" height="{h:.1f}" '
                    f"{_fill(colours[s % len(colours)])}/>"
                )
    centres = [LEFT + (i + 0.5) * step for i in range(len(labels))]
    x_title, one = _period_words(interval)
    body += _x_axis(labels, centres, x_title, interval, HEIGHT)
    total = sum(totals)
    desc = f"{_number(total)} {unit} in {len(labels)} {one}s"
    if total:
        peak = max(range(len(labels)), key=lambda i: totals[i])
        desc += f"; the most, {_number(totals[peak])}, in the {one} starting {labels[peak]}"
    desc += "." + (f" {note}" if note else "")
    rows = [
        [label, totals[i], *(v[i] for v in series.values()), *(extra["rows"][i] if extra else [])]
        for i, label in enumerate(labels)
    ]
    headers = ["Start", "Total", *names, *(extra["headers"] if extra else [])]
    legend = (
        [Legend(n, colours[s % len(colours)]) for s, n in enumerate(names)]
        if len(names) > 1
        else []
    )
    return Chart(chart_id, title, _frame(chart_id, title, desc, body), headers, rows, legend, note)


def lines(
    chart_id: str,
    title: str,
    labels: list[str],
    series: dict[str, list],
    *,
    interval: str = "week",
    unit: str = "hours",
) -> Chart:
    """Lines over time (e.g. median and p90 hours); a gap where a figure is unknown. The
    second series is dashed."""
    known = [v for values in series.values() for v in values if v is not None]
    ticks = nice_ticks(max(known, default=0), whole=False)
    plot_h, plot_w = HEIGHT - TOP - BOTTOM, WIDTH - LEFT - RIGHT
    step = plot_w / max(len(labels), 1)
    centres = [LEFT + (i + 0.5) * step for i in range(len(labels))]
    body = _y_axis(ticks, unit, HEIGHT)
    legend = []
    for s, (name, values) in enumerate(series.items()):
        colour = SERIES_COLOURS[s % len(SERIES_COLOURS)]
        dashed = s % 2 == 1
        legend.append(Legend(name, colour, dashed))
        dash = ' stroke-dasharray="5 3"' if dashed else ""
        for i, value in enumerate(values):
            if value is None:
                continue
            x, y = centres[i], HEIGHT - BOTTOM - plot_h * value / ticks[-1]
            body.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" {_fill(colour)}/>')
            nxt = values[i + 1] if i + 1 < len(values) else None
            if nxt is not None:
                y2 = HEIGHT - BOTTOM - plot_h * nxt / ticks[-1]
                body.append(
                    f'<line x1="{x:.1f}" y1="{y:.1f}" x2="{centres[i + 1]:.1f}" y2="{y2:.1f}" '
                    f'class="{colour}-line" stroke="{FALLBACK[colour]}" stroke-width="2"{dash}/>'
                )
    x_title, one = _period_words(interval)
    body += _x_axis(labels, centres, x_title, interval, HEIGHT)
    measured = sum(
        1 for values in zip(*series.values(), strict=True) if any(v is not None for v in values)
    )
    desc = f"Measured in {measured} of {len(labels)} {one}s"
    if known:
        desc += f"; the highest, {_number(max(known))} {unit}"
    desc += ". A gap is a period with no figure."
    rows = [[label, *(v[i] for v in series.values())] for i, label in enumerate(labels)]
    return Chart(
        chart_id, title, _frame(chart_id, title, desc, body), ["Start", *series], rows, legend
    )


def hbars(
    chart_id: str,
    title: str,
    items: list[tuple[str, int | None]],
    extra=None,
    links=None,
    *,
    unit: str = "incidents",
    colour: str = "c-a",
    note: str = "",
) -> Chart:
    """Horizontal bars, one per item (a breakdown), each under its label; an item whose figure
    is None is written "unknown", with no bar (never a zero). `extra` adds table
    columns per item; `links` (one URL or "" per item) makes an item's label a link in the
    table (never in the picture, which is an image)."""
    links = links or [""] * len(items)
    ticks = nice_ticks(max((n for _, n in items if n is not None), default=0))
    row_h, left, bottom = 40, 8, 38
    top = 6
    plot_w = WIDTH - left - RIGHT - 40
    height = top + max(len(items), 1) * row_h + bottom
    body = []
    base = height - bottom
    for tick in ticks:
        x = left + plot_w * tick / ticks[-1]
        body.append(
            f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{top}" y2="{base}" class="grid" '
            f'stroke="#dde1e6"/>'
        )
        body.append(
            f'<text x="{x:.1f}" y="{base + 15}" font-size="{TICK_FONT}" text-anchor="middle">'
            f"{_number(tick)}</text>"
        )
    body.append(
        f'<line x1="{left}" x2="{left}" y1="{top}" y2="{base}" class="axis" stroke="#5c6570"/>'
    )
    for i, (label, n) in enumerate(items):
        y = top + i * row_h
        w = plot_w * (n or 0) / ticks[-1]
        short = label if len(label) <= 48 else label[:47] + "…"
        body.append(
            f'<text x="{left + 4}" y="{y + 13}" font-size="{LABEL_FONT}">{escape(short)}</text>'
        )
        body.append(f'<rect x="{left}" y="{y + 18}" width="{w:.1f}" height="15" {_fill(colour)}/>')
        body.append(
            f'<text x="{left + w + 4:.1f}" y="{y + 30}" font-size="{TICK_FONT}" '
            f'class="value">{_shown(n)}</text>'
        )
    body.append(
        f'<text x="{(left + WIDTH - RIGHT) / 2:.1f}" y="{height - 4}" font-size="{LABEL_FONT}" '
        f'text-anchor="middle" class="axis-title">{escape(unit)}</text>'
    )
    if items:
        desc = "; ".join(f"{label}: {_shown(n)}" for label, n in items[:8])
        desc += f" ({len(items) - 8} more in the table)." if len(items) > 8 else "."
    else:
        desc = "Nothing to show."
    if note:
        desc += f" {note}"
    headers = ["", unit.capitalize(), *(extra["headers"] if extra else [])]
    rows = [
        [_linked(label, links[i]), n, *(extra["rows"][i] if extra else [])]
        for i, (label, n) in enumerate(items)
    ]
    svg = _frame(chart_id, title, desc, body, height)
    return Chart(chart_id, title, svg, headers, rows, note=note)


def _linked(label: str, url: str):
    return format_html('<a href="{}">{}</a>', url, label) if url else label
