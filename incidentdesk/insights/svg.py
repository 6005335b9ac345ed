"""Server-side SVG charts. Each chart is a <figure> with a caption, an SVG with a <title>, and
the same figures as a data table, so it reads without the picture."""

from dataclasses import dataclass, field

from django.utils.html import escape, format_html
from django.utils.safestring import mark_safe

WIDTH, HEIGHT, PAD = 640, 220, 36
PALETTE = ("#c92a2a", "#e67700", "#1971c2", "#2b8a3e", "#7048e8", "#868e96")


@dataclass
class Chart:
    """What a template needs: an id, a title, the SVG markup and a table alternative."""

    id: str
    title: str
    svg: str
    headers: list[str] = field(default_factory=list)
    rows: list[list] = field(default_factory=list)


def _frame(chart_id: str, title: str, body: list[str], height: int = HEIGHT) -> str:
    head = (
        f'<svg viewBox="0 0 {WIDTH} {height}" width="100%" role="img" '
        f'aria-labelledby="{chart_id}-t" class="chart">'
        f'<title id="{chart_id}-t">{escape(title)}</title>'
    )
    return mark_safe(head + "".join(body) + "</svg>")


def _legend(names: list[str]) -> list[str]:
    parts = []
    for i, name in enumerate(names):
        x = PAD + i * 110
        colour = PALETTE[i % len(PALETTE)]
        parts.append(f'<rect x="{x}" y="4" width="10" height="10" fill="{colour}"/>')
        parts.append(f'<text x="{x + 14}" y="13" font-size="14">{escape(name)}</text>')
    return parts


def stacked_bars(chart_id: str, title: str, labels: list[str], series: dict[str, list]) -> Chart:
    """Vertical bars, one per label, stacked by series (e.g. incidents per week by severity)."""
    totals = [sum(values[i] for values in series.values()) for i in range(len(labels))]
    top = max(totals, default=0) or 1
    plot_h = HEIGHT - 2 * PAD
    step = (WIDTH - 2 * PAD) / max(len(labels), 1)
    body = _legend(list(series))
    body.append(f'<text x="4" y="{PAD + 4}" font-size="13">{top}</text>')
    for i, label in enumerate(labels):
        y = HEIGHT - PAD
        for s, values in enumerate(series.values()):
            h = plot_h * values[i] / top
            if h:
                y -= h
                body.append(
                    f'<rect x="{PAD + i * step + 1:.1f}" y="{y:.1f}" width="{max(step - 2, 1):.1f}"'
                    f' height="{h:.1f}" fill="{PALETTE[s % len(PALETTE)]}"/>'
                )
        if len(labels) <= 16 or i % max(len(labels) // 8, 1) == 0:
            body.append(
                f'<text x="{PAD + i * step:.1f}" y="{HEIGHT - PAD + 14}" font-size="12">'
                f"{escape(label[5:])}</text>"
            )
    rows = [[label, totals[i], *(v[i] for v in series.values())] for i, label in enumerate(labels)]
    return Chart(chart_id, title, _frame(chart_id, title, body), ["Start", "Total", *series], rows)


def lines(chart_id: str, title: str, labels: list[str], series: dict[str, list]) -> Chart:
    """Lines over time (e.g. median and p90 hours); a gap where a figure is unknown."""
    known = [v for values in series.values() for v in values if v is not None]
    top = max(known, default=0) or 1
    plot_h = HEIGHT - 2 * PAD
    step = (WIDTH - 2 * PAD) / max(len(labels) - 1, 1)
    body = _legend(list(series))
    body.append(f'<text x="4" y="{PAD + 4}" font-size="13">{top:g}</text>')
    for s, values in enumerate(series.values()):
        colour = PALETTE[s % len(PALETTE)]
        for i, value in enumerate(values):
            if value is None:
                continue
            x, y = PAD + i * step, HEIGHT - PAD - plot_h * value / top
            body.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{colour}"/>')
            nxt = values[i + 1] if i + 1 < len(values) else None
            if nxt is not None:
                x2, y2 = x + step, HEIGHT - PAD - plot_h * nxt / top
                body.append(
                    f'<line x1="{x:.1f}" y1="{y:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" '
                    f'stroke="{colour}" stroke-width="2"/>'
                )
    rows = [[label, *(v[i] for v in series.values())] for i, label in enumerate(labels)]
    return Chart(chart_id, title, _frame(chart_id, title, body), ["Start", *series], rows)


def hbars(chart_id: str, title: str, items: list[tuple[str, int]], extra=None, links=None) -> Chart:
    """Horizontal bars, one per item (a breakdown). `extra` adds table columns per item;
    `links` (one URL or "" per item) makes an item's label a link, in the chart and table."""
    links = links or [""] * len(items)
    top = max((n for _, n in items), default=0) or 1
    row_h = 24
    height = max(len(items), 1) * row_h + 10
    body = []
    for i, (label, n) in enumerate(items):
        y = 5 + i * row_h
        w = (WIDTH - 250) * n / top
        short = label if len(label) <= 24 else label[:23] + "…"
        text = f'<text x="0" y="{y + 15}" font-size="14">{escape(short)}</text>'
        if links[i]:
            text = f'<a href="{escape(links[i])}">{text}</a>'
        body.append(text)
        body.append(
            f'<rect x="210" y="{y + 2}" width="{w:.1f}" height="{row_h - 6}" fill="{PALETTE[2]}"/>'
        )
        body.append(f'<text x="{214 + w:.1f}" y="{y + 15}" font-size="14">{n}</text>')
    headers = ["", "Count", *(extra["headers"] if extra else [])]
    rows = [
        [_linked(label, links[i]), n, *(extra["rows"][i] if extra else [])]
        for i, (label, n) in enumerate(items)
    ]
    return Chart(chart_id, title, _frame(chart_id, title, body, height), headers, rows)


def _linked(label: str, url: str):
    return format_html('<a href="{}">{}</a>', url, label) if url else label
