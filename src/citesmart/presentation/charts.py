"""Charts as server-rendered SVG: readable without JavaScript, light on slow connections.

Each function takes plain data and returns safe markup; the numbers behind every chart are
also rendered as a table ("ver datos"), which is the chart's text alternative.
"""

from collections.abc import Sequence

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from citesmart.presentation.formatting import number

BAR_HEIGHT, BAR_GAP, LABEL_WIDTH, WIDTH = 22, 6, 210, 640


def _truncate(text: str, limit: int = 32) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def bar_chart(rows: Sequence[tuple[str, float]], *, label: str) -> SafeString:
    """Horizontal bars, largest first as given; `label` names the chart for screen readers."""
    if not rows:
        return mark_safe("")
    top = max(value for _, value in rows) or 1
    plot = WIDTH - LABEL_WIDTH - 70
    height = len(rows) * (BAR_HEIGHT + BAR_GAP)
    parts = [f'<svg viewBox="0 0 {WIDTH} {height}" role="img" aria-label="{escape(label)}">']
    for i, (name, value) in enumerate(rows):
        y = i * (BAR_HEIGHT + BAR_GAP)
        width = max(1.0, plot * value / top) if value else 0
        parts.append(
            f"<g><title>{escape(name)}: {number(value)}</title>"
            f'<text x="{LABEL_WIDTH - 6}" y="{y + 15}" text-anchor="end">'
            f"{escape(_truncate(name))}</text>"
            f'<rect class="bar" x="{LABEL_WIDTH}" y="{y}" width="{width:.1f}" '
            f'height="{BAR_HEIGHT}"/>'
            f'<text x="{LABEL_WIDTH + width + 4:.1f}" y="{y + 15}">{number(value)}</text></g>'
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))


MONTHS = ["ene", "feb", "mar", "abr", "may", "jun", "jul", "ago", "set", "oct", "nov", "dic"]


def line_chart(
    series: Sequence[tuple[str, Sequence[float | None], str]], *, label: str
) -> SafeString:
    """Monthly lines: series are (name, 12 values, css class); a None value (a reserved
    month) is left out, breaking its line there."""
    values = [v for _, vals, _ in series for v in vals if v is not None]
    if not values:
        return mark_safe("")
    top = max(values) or 1
    left, bottom, height = 56, 24, 220
    plot_w, plot_h = WIDTH - left - 12, height - bottom - 10
    x = [left + plot_w * i / 11 for i in range(12)]
    parts = [f'<svg viewBox="0 0 {WIDTH} {height}" role="img" aria-label="{escape(label)}">']
    for tick in (0, top / 2, top):
        y = 10 + plot_h * (1 - tick / top)
        parts.append(
            f'<line class="axis" x1="{left}" x2="{WIDTH - 12}" y1="{y:.1f}" y2="{y:.1f}"/>'
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">{number(tick)}</text>'
        )
    for i, month in enumerate(MONTHS):
        parts.append(f'<text x="{x[i]:.1f}" y="{height - 6}" text-anchor="middle">{month}</text>')
    for name, vals, css in series:
        runs: list[list[str]] = [[]]
        for i, v in enumerate(vals):
            if v is None:
                runs.append([])
            else:
                runs[-1].append(f"{x[i]:.1f},{10 + plot_h * (1 - v / top):.1f}")
        for run in [r for r in runs if r] or [[]]:
            parts.append(
                f'<polyline class="{css}" points="{" ".join(run)}">'
                f"<title>{escape(name)}</title></polyline>"
            )
    parts.append("</svg>")
    return mark_safe("".join(parts))


def share_bar(parts_: Sequence[tuple[str, float]], *, label: str) -> SafeString:
    """One 100 % bar split into parts (e.g. free vs paid), with a legend under it."""
    total = sum(v for _, v in parts_) or 1
    colours = ["var(--c1)", "var(--c2)", "var(--c3)", "var(--c4)", "var(--c5)", "var(--c6)"]
    out = [f'<svg viewBox="0 0 {WIDTH} 64" role="img" aria-label="{escape(label)}">']
    x = 0.0
    for i, (name, value) in enumerate(parts_):
        w = WIDTH * value / total
        share = 100 * value / total
        out.append(
            f'<rect x="{x:.1f}" y="0" width="{w:.1f}" height="28" style="fill:{colours[i % 6]}">'
            f"<title>{escape(name)}: {number(value)} ({share:.0f} %)</title></rect>"
        )
        out.append(
            f'<text x="{x + 4:.1f}" y="48">{escape(_truncate(name, 24))} {share:.0f} %</text>'
            if w > 90
            else ""
        )
        x += w
    out.append("</svg>")
    return mark_safe("".join(out))
