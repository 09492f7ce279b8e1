"""Every table of the reports, by name: what the pages show, the charts draw and the exports write.

A table's cells are plain values (int VND, counts, dates, shares as fractions); the page, the
CSV and the XLSX each format them their own way, so the three never disagree.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from babel.dates import format_date
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l

from catalogue.payments.registry import rail_name
from catalogue.reports import catalogue_figures as figures
from catalogue.reports import sales
from catalogue.reports.periods import Period
from catalogue.sync.models import MARKETPLACE_NAMES

MONEY, COUNT, SHARE, DAY, TEXT = "money", "count", "share", "day", "text"

CHANNEL_LABELS = {"shop": _l("Cửa hàng OCOP"), **MARKETPLACE_NAMES}
MARKETPLACE_RAIL = _l("Sàn TMĐT (không rõ cách trả)")  # a marketplace sale: the marketplace took the money


def rail_label(key: str | None) -> str:
    """A rail as the office reads it: the registry's name in the page's language (catalogue.payments.registry)."""
    return str(MARKETPLACE_RAIL) if key is None else rail_name(key, str(get_locale()))


GAP_LABELS = {"photo": _l("Chưa có ảnh"), "weight": _l("Chưa có khối lượng"), "marketplace": _l("Chưa lên sàn TMĐT")}


@dataclass(frozen=True)
class Column:
    key: str
    header: object  # a (lazy) translated string
    kind: str = TEXT


@dataclass
class Table:
    """A named table: its title, columns and rows of plain values, and which column a chart draws."""

    name: str
    title: object
    columns: list[Column]
    rows: list[list]
    chart: str | None = None  # bar, hbar
    chart_value: int = -1  # the column the chart draws (default: the last)
    links: list[str | None] = field(default_factory=list)  # a link for each row's first cell, if any
    note: object = ""


@dataclass(frozen=True)
class Scope:
    """Whose figures, for which period, judged on which day."""

    period: Period
    today: date
    producer_id: int | None = None  # None: the whole province (the office)
    link_for_product: Callable[[int], str] | None = None
    memo: dict = field(default_factory=dict, compare=False)  # what one page computes once for several tables

    @property
    def is_office(self) -> bool:
        return self.producer_id is None


def month_label(key: str) -> str:
    """`2026-12` as its reader writes it: `12/2026`, or `Dec 2026` in English."""
    year, month = (int(part) for part in key.split("-"))
    locale = str(get_locale() or "vi")
    pattern = "MM/yyyy" if locale.startswith("vi") else "MMM yyyy"
    return format_date(date(year, month, 1), pattern, locale=locale)


def stars_label(stars) -> str:
    return str(_l("%(stars)s sao", stars=stars)) if stars else str(_l("Nay không còn được công nhận"))


def _sales_columns(first: object) -> list[Column]:
    return [
        Column("label", first),
        Column("orders", _l("Đơn hàng"), COUNT),
        Column("units", _l("Số lượng"), COUNT),
        Column("revenue_vnd", _l("Doanh thu"), MONEY),
    ]


def _sales_rows(rows: list[sales.SalesRow], label: Callable) -> list[list]:
    return [[label(row), row.orders, row.units, row.revenue_vnd] for row in rows]


def overview_of(scope: Scope) -> dict[str, list]:
    """Every sales breakdown of the scope, read in one statement once per scope."""
    if "overview" not in scope.memo:
        scope.memo["overview"] = sales.sales_overview(scope.period, scope.today, scope.producer_id)
    return scope.memo["overview"]


def cells_of(scope: Scope) -> list[tuple]:
    """The period's (month, channel, rail) cells."""
    return overview_of(scope)["cells"]


def sales_rows(scope: Scope, grouping: str) -> list[sales.SalesRow]:
    """One breakdown of the scope's sales, from the overview."""
    if grouping in sales.ORDER_LEVEL:
        return sales.from_cells(grouping, cells_of(scope), scope.period)
    return overview_of(scope)[grouping]


def _sales_table(name: str, title, first, grouping: str, label: Callable, chart: str = "bar"):
    def build(scope: Scope) -> Table:
        rows = sales_rows(scope, grouping)
        return Table(name, title, _sales_columns(first), _sales_rows(rows, label), chart=chart)

    return build


def _top_products(scope: Scope) -> Table:
    rows = sales_rows(scope, "product")
    links = [scope.link_for_product(row.key) if scope.link_for_product else None for row in rows]
    table = Table(
        "top_products", _l("Sản phẩm bán chạy nhất"), _sales_columns(_l("Sản phẩm")), _sales_rows(rows, _label)
    )
    table.chart, table.links = "hbar", links
    return table


def _label(row) -> str:
    return row.label


def _without_sales(scope: Scope) -> Table:
    rows = [[producer.name] for producer in sales.producers_without_sales(scope.period)]
    return Table("producers_without_sales", _l("Chủ thể chưa bán được hàng trong kỳ"),
                 [Column("name", _l("Chủ thể OCOP"))], rows)  # fmt: skip


def _on_sale(name: str, title, first, grouping: str, label: Callable):
    def build(scope: Scope) -> Table:
        rows = figures.on_sale_by(grouping, scope.today, scope.producer_id)
        columns = [Column("label", first), Column("products", _l("Sản phẩm đang bán"), COUNT)]
        return Table(name, title, columns, [[label(row), row.products] for row in rows], chart="bar")

    return build


def _lapsing(scope: Scope) -> Table:
    rows = figures.lapsing_certificates(scope.today, scope.producer_id)
    columns = [
        Column("product", _l("Sản phẩm")),
        Column("producer", _l("Chủ thể OCOP")),
        Column("stars", _l("Hạng sao"), COUNT),
        Column("certificate_no", _l("Số quyết định")),
        Column("expires_on", _l("Hết hạn ngày"), DAY),
        Column("days_left", _l("Còn (ngày)"), COUNT),
        Column("window", _l("Trong vòng (ngày)"), COUNT),
    ]
    table = Table(
        "lapsing_certificates",
        _l("Giấy chứng nhận sắp hết hạn (30/60/90 ngày)"),
        columns,
        [
            [
                row.product_name,
                row.producer_name,
                row.stars,
                row.certificate_no,
                row.expires_on,
                row.days_left,
                row.window,
            ]  # fmt: skip
            for row in rows
        ],
    )
    table.links = [scope.link_for_product(row.product_id) if scope.link_for_product else None for row in rows]
    return table


def _gaps(scope: Scope) -> Table:
    found = figures.gaps(scope.today, scope.producer_id)
    rows, links = [], []
    for gap, products in found.items():
        for product_id, name in products:
            rows.append([name, str(GAP_LABELS[gap])])
            links.append(scope.link_for_product(product_id) if scope.link_for_product else None)
    columns = [Column("product", _l("Sản phẩm")), Column("missing", _l("Còn thiếu"))]
    return Table("gaps", _l("Sản phẩm đang bán còn thiếu thông tin"), columns, rows, links=links,
                 note=_l("Mỗi loại thiếu liệt kê tối đa 100 sản phẩm."))  # fmt: skip


def _coverage(scope: Scope) -> Table:
    rows = figures.marketplace_coverage(scope.today, scope.producer_id)
    columns = [
        Column("marketplace", _l("Sàn")),
        Column("live", _l("Đang bán trên sàn"), COUNT),
        Column("on_sale", _l("Sản phẩm đang bán"), COUNT),
        Column("share", _l("Tỉ lệ phủ sàn"), SHARE),
    ]
    return Table(
        "marketplace_coverage",
        _l("Độ phủ sàn TMĐT"),
        columns,
        [[CHANNEL_LABELS[row.marketplace], row.live, row.on_sale, row.share] for row in rows],
        chart="bar",
    )


BUILDERS: dict[str, Callable[[Scope], Table]] = {
    "sales_by_month": _sales_table(
        "sales_by_month", _l("Doanh thu theo tháng"), _l("Tháng"), "month", lambda row: month_label(row.key)
    ),
    "sales_by_channel": _sales_table(
        "sales_by_channel",
        _l("Doanh thu theo kênh bán"),
        _l("Kênh"),
        "channel",
        lambda row: str(CHANNEL_LABELS.get(row.key, row.key)),
    ),  # fmt: skip
    "sales_by_rail": _sales_table(
        "sales_by_rail",
        _l("Doanh thu theo cách thanh toán"),
        _l("Cách thanh toán"),
        "rail",
        lambda row: rail_label(row.key),
    ),  # fmt: skip
    "sales_by_locality": _sales_table(
        "sales_by_locality", _l("Doanh thu theo địa phương"), _l("Địa phương"), "locality", _label, "hbar"
    ),
    "sales_by_stars": _sales_table(
        "sales_by_stars", _l("Doanh thu theo hạng sao"), _l("Hạng sao"), "stars", lambda row: stars_label(row.key)
    ),
    "sales_by_group": _sales_table(
        "sales_by_group", _l("Doanh thu theo nhóm sản phẩm"), _l("Nhóm sản phẩm"), "group", _label, "hbar"
    ),
    "top_products": _top_products,
    "top_producers": _sales_table(
        "top_producers", _l("Chủ thể bán chạy nhất"), _l("Chủ thể OCOP"), "producer", _label, "hbar"
    ),
    "producers_without_sales": _without_sales,
    "on_sale_by_stars": _on_sale(
        "on_sale_by_stars",
        _l("Sản phẩm đang bán theo hạng sao"),
        _l("Hạng sao"),
        "stars",
        lambda row: stars_label(row.key),
    ),  # fmt: skip
    "on_sale_by_group": _on_sale(
        "on_sale_by_group", _l("Sản phẩm đang bán theo nhóm"), _l("Nhóm sản phẩm"), "group", lambda row: row.label
    ),
    "on_sale_by_locality": _on_sale(
        "on_sale_by_locality",
        _l("Sản phẩm đang bán theo địa phương"),
        _l("Địa phương"),
        "locality",
        lambda row: row.label,
    ),  # fmt: skip
    "lapsing_certificates": _lapsing,
    "gaps": _gaps,
    "marketplace_coverage": _coverage,
}
OFFICE_ONLY = ("top_producers", "producers_without_sales")


def table_names(scope: Scope) -> list[str]:
    """The tables this scope's report has (a producer's has no province-wide producer rankings)."""
    return [name for name in BUILDERS if scope.is_office or name not in OFFICE_ONLY]


def build_table(name: str, scope: Scope) -> Table | None:
    """One table of the report, or None when the scope has no such table."""
    return BUILDERS[name](scope) if name in table_names(scope) else None
