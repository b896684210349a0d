"""Charts as server-rendered SVG: readable without JavaScript, light on slow connections.

Each function takes plain data and returns safe markup; the numbers behind every chart are
also rendered as a table ("ver datos"), which is the chart's text alternative.

The bar and line charts have no viewBox: their coordinates are CSS pixels and percentages of
the width, so their text keeps its CSS size (12 px) on a 375 px phone as on a wide screen,
instead of shrinking with a scaled drawing. A reserved value (statistical secrecy) is drawn
as a gap with a mark, never as 0. Colours come from CSS classes (no inline style).
"""

from collections.abc import Sequence

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from citesmart.presentation.formatting import number

ROW, BAR, LABEL_LIMIT, BAR_SPACE = 40, 13, 44, 78.0  # px, px, characters, % of the width
RESERVED = "reservado"
MONTHS = ["ene", "feb", "mar", "abr", "may", "jun", "jul", "ago", "set", "oct", "nov", "dic"]


def _truncate(text: str, limit: int = LABEL_LIMIT) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def bar_chart(
    rows: Sequence[tuple[str, float | None]],
    *,
    label: str,
    hrefs: Sequence[str] | None = None,
) -> SafeString:
    """Horizontal bars, largest first as given, each name on its own line above its bar
    (long names shortened, the full name in the tooltip and the link's name). A None value
    is reserved: no bar, a mark. `hrefs`: a link per bar (drill-down; "" for none)."""
    if not rows:
        return mark_safe("")
    top = max((value for _, value in rows if value), default=0) or 1
    role = "group" if hrefs else "img"
    parts = [
        f'<svg class="bars" width="100%" height="{len(rows) * ROW}" role="{role}" '
        f'aria-label="{escape(label)}">'
    ]
    for i, (name, value) in enumerate(rows):
        y = i * ROW
        shown = RESERVED if value is None else number(value)
        tip = escape(f"{name}: {shown}")
        if value is None:
            body = f'<text class="gap-mark" x="0" y="{y + 31}">× {RESERVED}</text>'
        else:
            pct = max(0.4, BAR_SPACE * value / top) if value else 0
            body = (
                f'<rect class="bar" x="0" y="{y + 20}" width="{pct:.1f}%" height="{BAR}"/>'
                f'<text x="{pct:.1f}%" dx="5" y="{y + 31}">{shown}</text>'
            )
        inner = (
            # The whole row answers a tap (40 px tall), not only the ink of text and bar.
            f'<title>{tip}</title><rect class="hit" x="0" y="{y}" width="100%" height="{ROW}"/>'
            f'<text class="name" x="0" y="{y + 14}">{escape(_truncate(name))}</text>{body}'
        )
        if hrefs and hrefs[i]:
            parts.append(
                f'<a href="{escape(hrefs[i])}" data-live-link aria-label="{tip}">{inner}</a>'
            )
        else:
            parts.append(f"<g>{inner}</g>")
    parts.append("</svg>")
    return mark_safe("".join(parts))


def _x(i: int, n: int) -> str:
    """The x of point i of n, in % of the chart's width (the plot spans 15 % to 98 %)."""
    return f"{15 + 83 * i / max(1, n - 1):.2f}%"


PLOT_TOP, PLOT_H = 10, 180  # px


def line_chart(
    series: Sequence[tuple[str, Sequence[float | None], str]],
    *,
    label: str,
    reserved: Sequence[tuple[int, int]] = (),
    labels: Sequence[str] = MONTHS,
) -> SafeString:
    """Lines over `labels` (the 12 months by default): series are (name, values, css
    class). A None value is a gap that breaks its line (a month reserved by statistical
    secrecy, or not yet reported); `reserved` (series index, point index) pairs are the
    reserved ones, marked on the axis. Past 12 points, every k-th label is written."""
    values = [v for _, vals, _ in series for v in vals if v is not None]
    if not values and not reserved:
        return mark_safe("")
    n, top = len(labels), max(values, default=0) or 1
    bottom, step = PLOT_TOP + PLOT_H, -(-n // 12)
    parts = [
        f'<svg class="lines" width="100%" height="{bottom + 26}" role="img" '
        f'aria-label="{escape(label)}">'
    ]
    for tick in (0, top / 2, top):
        y = PLOT_TOP + PLOT_H * (1 - tick / top)
        parts.append(
            f'<line class="axis" x1="15%" x2="98%" y1="{y:.1f}" y2="{y:.1f}"/>'
            f'<text x="13%" y="{y + 4:.1f}" text-anchor="end">{number(tick)}</text>'
        )
    for i, text in enumerate(labels):
        if i % step:
            continue
        css = ' class="odd"' if (i // step) % 2 else ""  # hidden on a phone (CSS)
        parts.append(
            f'<text{css} x="{_x(i, n)}" y="{bottom + 20}" text-anchor="middle">{text}</text>'
        )
    parts.append(
        f'<svg x="15%" y="{PLOT_TOP}" width="83%" height="{PLOT_H}" '
        f'viewBox="0 0 {100 * max(1, n - 1)} {PLOT_H}" preserveAspectRatio="none" '
        'overflow="visible">'
    )
    for name, vals, css in series:
        runs: list[list[str]] = [[]]
        for i, v in enumerate(vals):
            if v is None:
                runs.append([])
            else:
                runs[-1].append(f"{100 * i},{PLOT_H * (1 - v / top):.1f}")
        for run in [r for r in runs if r]:
            points = run if len(run) > 1 else [run[0], run[0]]  # a lone month: a dot
            parts.append(
                f'<polyline class="{css}" points="{" ".join(points)}">'
                f"<title>{escape(name)}</title></polyline>"
            )
    parts.append("</svg>")
    for index, point in reserved:
        name, _, css = series[index]
        parts.append(
            f'<circle class="gap-mark {css}" cx="{_x(point, n)}" cy="{bottom - 6 - 9 * index}" '
            f'r="5"><title>{escape(name)}, {labels[point]}: {RESERVED}</title></circle>'
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))


def share_bar(parts_: Sequence[tuple[str, float]], *, label: str) -> SafeString:
    """One 100 % bar split into parts (e.g. free vs paid); the legend (share_legend) names
    them, since a narrow part has no room for its name."""
    total = sum(v for _, v in parts_) or 1
    out = [f'<svg class="share" width="100%" height="28" role="img" aria-label="{escape(label)}">']
    x = 0.0
    for i, (name, value) in enumerate(parts_):
        w = 100 * value / total
        out.append(
            f'<rect class="part-{i % 6 + 1}" x="{x:.2f}%" y="0" width="{w:.2f}%" height="28">'
            f"<title>{escape(name)}: {number(value)} ({w:.0f} %)</title></rect>"
        )
        x += w
    out.append("</svg>")
    return mark_safe("".join(out))


def share_legend(parts_: Sequence[tuple[str, float]]) -> list[tuple[str, str]]:
    """[(css class of the swatch, "name: n (p %)")] in share_bar's order."""
    total = sum(v for _, v in parts_) or 1
    return [
        (f"part-{i % 6 + 1}", f"{name}: {number(value)} ({100 * value / total:.0f} %)")
        for i, (name, value) in enumerate(parts_)
    ]
