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
    title_font_size=20,
    label_font_size=13,
    major_label_font_size=13,
    value_font_size=13,
    value_colors=("#111827",),
)


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
    horizontal = table.chart == "hbar"
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
        width=800,
        height=max(320, 60 + 34 * len(labels)) if horizontal else 420,
        x_label_rotation=0 if horizontal or len(labels) <= 6 else 40,
        truncate_label=40,
        no_data_text=gettext("Chưa có số liệu"),
        value_formatter=lambda value: format_value(value, kind),
        range=(0, 1) if kind == SHARE else None,
        y_labels=_count_ticks(values) if kind == COUNT else None,
        margin=16,
    )
    chart.x_labels = labels
    chart.add(str(value_column.header), [value if any(values) else None for value in values] if values else [])
    return _accessible(chart.render(is_unicode=True), table)


def _count_ticks(values: list) -> list[int] | None:
    """Whole-number ticks for counts (pygal would print 0, 0, 1, 1 for fractions of a product)."""
    top = max(values, default=0)
    if not top:
        return None
    step = max(1, -(-top // 8))
    return list(range(0, top + step, step))


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
