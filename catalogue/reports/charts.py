"""Charts drawn on the server as SVG with pygal: a title, both axes named, every value printed on its bar.

pygal writes SVG natively (no browser, no numpy), fast enough to draw a dozen charts per page
(about a millisecond each), and its output needs no script: `js=[]` drops the hover tooltips'
script, and printed values make hovering unnecessary. The page embeds each chart as an image
(a data: URI, which the Content-Security-Policy allows), so the chart's own stylesheet applies
without loosening `style-src`; a data table beside each chart carries the same figures for
screen readers, for copying and for print.
"""

from __future__ import annotations

import base64
from html import escape

import pygal
from flask_babel import gettext
from pygal.style import Style

from catalogue.money import format_vnd
from catalogue.reports.tables import COUNT, MONEY, SHARE, Table

STYLE = Style(
    background="white",
    plot_background="white",
    foreground="#1f2933",
    foreground_strong="#111827",
    foreground_subtle="#52606d",
    colors=("#1d6b3a",),
    font_family="'Source Sans Pro', 'Segoe UI', Arial, sans-serif",
    title_font_size=22,
    label_font_size=17,
    major_label_font_size=17,
    value_font_size=17,
    value_colors=("#111827",),
)


# Drawn 640 wide and shown at the width of its box: on a 390 px phone it is scaled by about 0.55, so its
# 17 px labels read as ~9.5 px; on a desktop it is shown at its size. A vertical chart keeps few, short
# labels (each under its bar); the rest go horizontal, names cut at LABEL_CHARS with an ellipsis.
WIDTH = 640
VERTICAL_MOST = 6
SHORT_LABEL = 10
LABEL_CHARS = 24


def format_value(value, kind: str) -> str:
    """A cell as a person reads it: money `85.000 ₫`, a share `42,5 %`, a count `1.234`."""
    if value is None:
        return "—"
    if kind == MONEY:
        return format_vnd(int(value))
    if kind == SHARE:
        return f"{value * 100:.1f} %".replace(".", ",")
    if kind == COUNT:
        return f"{int(value):,}".replace(",", ".")
    return str(value)


def chart_svg(table: Table) -> str:
    """The table drawn as an SVG bar chart (vertical, or horizontal for long labels)."""
    value_column = table.columns[table.chart_value]
    kind = value_column.kind
    labels = [str(row[0]) for row in table.rows]
    values = [row[table.chart_value] or 0 for row in table.rows]
    # Many bars, or names longer than a bar is wide, would overlap under a vertical chart: they go
    # one per line on a horizontal one, where every label has its own row whatever the screen.
    horizontal = (
        table.chart == "hbar" or len(labels) > VERTICAL_MOST or any(len(label) > SHORT_LABEL for label in labels)
    )
    if horizontal:  # pygal draws the first bar at the bottom: the table's first row goes on top
        labels, values = labels[::-1], values[::-1]
    chart_class = pygal.HorizontalBar if horizontal else pygal.Bar
    chart = chart_class(
        style=STYLE,
        title=str(table.title),
        x_title=str(value_column.header) if horizontal else str(table.columns[0].header),
        y_title=str(table.columns[0].header) if horizontal else str(value_column.header),
        show_legend=False,
        print_values=True,
        js=[],
        disable_xml_declaration=True,
        width=WIDTH,
        height=max(320, 90 + 40 * len(labels)) if horizontal else 420,
        x_label_rotation=0,
        truncate_label=LABEL_CHARS if horizontal else SHORT_LABEL,
        no_data_text=gettext("Chưa có số liệu"),
        value_formatter=lambda value: format_value(value, kind),
        range=(0, 1) if kind == SHARE else None,
        y_labels=_ticks(values, kind),
        print_values_position="top",
        margin=16,
    )
    if horizontal:
        # The value starts where its bar ends (not centred on it, over the name for a short bar), with room
        # to the right for the longest bar's value.
        chart.config.css = [*chart.config.css, "inline:text.value{text-anchor:start}"]
        # Every bar carries its value; the value axis' numbers would crowd a plot narrowed by long names.
        chart.config.show_y_labels = False
        ticks = chart.config.y_labels
        chart.config.range = (0, max(max(values, default=0) * 1.5, ticks[-1] if ticks else 0) or 1)
    chart.x_labels = labels
    chart.add(str(value_column.header), [value if any(values) else None for value in values] if values else [])
    return _accessible(chart.render(is_unicode=True), table)


def _ticks(values: list, kind: str) -> list | None:
    """At most four round ticks on the value axis, so their labels never run into one another (whole
    numbers for counts: pygal would print 0, 0, 1, 1 for fractions of a product)."""
    top = max(values, default=0)
    if not top or kind == SHARE:
        return [0, 0.25, 0.5, 0.75, 1] if kind == SHARE else None
    raw = top / 3
    magnitude = 10 ** (len(str(int(raw))) - 1) if raw >= 1 else 1
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    step = max(1, int(step)) if kind == COUNT else step
    return [step * index for index in range(int(-(-top // step)) + 1)]


def _accessible(svg: str, table: Table) -> str:
    """The SVG names itself: role=img, a <title> and a <desc> listing every value (as the data table does)."""
    value_column = table.columns[table.chart_value]
    described = "; ".join(f"{row[0]}: {format_value(row[table.chart_value], value_column.kind)}" for row in table.rows)
    head, rest = svg.split(">", 1)
    return (
        f'{head} role="img" aria-labelledby="{table.name}-title {table.name}-desc">'
        f'<title id="{table.name}-title">{escape(str(table.title))}</title>'
        f'<desc id="{table.name}-desc">{escape(described)}</desc>{rest}'
    )


def chart_data_uri(table: Table) -> str:
    """The chart as a data: URI for an <img>."""
    return "data:image/svg+xml;base64," + base64.b64encode(chart_svg(table).encode()).decode()
