"""The office's dashboard (/portal/admin/) and a producer's reports (/portal/reports): figures, charts, exports.

The views only read the query string and call catalogue.reports; a producer's scope is its
own producer id, never one taken from the request (asking for another's is a 403).
"""

from __future__ import annotations

from flask import Response, abort, redirect, render_template, request, url_for
from flask_babel import gettext
from sqlalchemy import select

from catalogue import clock
from catalogue.delivery.views import status_label
from catalogue.delivery.zones import ZONE_LABELS
from catalogue.errors import NotFound, PermissionDenied
from catalogue.extensions import db
from catalogue.formatting import vn_date
from catalogue.portal.admin import portal_admin
from catalogue.portal.auth import current_principal
from catalogue.portal.views import portal
from catalogue.producers.models import Producer
from catalogue.reports import exports, indicators, sales
from catalogue.reports.charts import chart_data_uri, format_value
from catalogue.reports.delivery import delivery_figures
from catalogue.reports.periods import Period, period_from
from catalogue.reports.tables import DAY, Scope, build_table, cells_of, sales_rows, table_names


@portal_admin.get("/")
def home():
    """The office's dashboard: the province's catalogue, sales and indicators for a period."""
    scope = _scope(None, lambda product_id: url_for("portal_admin.product", product_id=product_id))
    return _page(scope, None)


@portal_admin.get("/reports/<name>.<fmt>")
def office_export(name: str, fmt: str):
    """One table of the office's dashboard as CSV or XLSX, with the page's filters."""
    return _export(_scope(None), name, fmt)


@portal.get("/reports")
def reports():
    """A producer's own figures (the office may open any producer's with ?producer=slug)."""
    principal = current_principal()
    if principal.is_admin and not request.args.get("producer"):
        return redirect(url_for("portal_admin.home", **request.args), code=303)
    producer = _producer_asked(principal)
    scope = _scope(producer.id, lambda product_id: url_for("portal.product", product_id=product_id))
    return _page(scope, producer)


@portal.get("/reports/<name>.<fmt>")
def producer_export(name: str, fmt: str):
    """One table of a producer's report as CSV or XLSX."""
    principal = current_principal()
    if principal.is_admin and not request.args.get("producer"):
        return redirect(url_for("portal_admin.office_export", name=name, fmt=fmt, **request.args), code=303)
    return _export(_scope(_producer_asked(principal).id), name, fmt)


def _producer_asked(principal) -> Producer:
    """The producer whose figures are asked for: the caller's own; the office names one with ?producer=."""
    slug = (request.args.get("producer") or "").strip()
    if principal.is_admin:
        found = db.session.scalar(select(Producer).where(Producer.slug == slug))
        if found is None:
            raise NotFound(gettext("Không có chủ thể OCOP “%(slug)s”.", slug=slug[:80]))
        return found
    own = db.session.get(Producer, principal.producer_id)
    if slug and slug != own.slug:
        raise PermissionDenied(gettext("Bạn chỉ xem được số liệu của chủ thể mình."))
    return own


def _scope(producer_id: int | None, link_for_product=None) -> Scope:
    today = clock.today()
    return Scope(period_from(request.args, today), today, producer_id, link_for_product)


def period_label(period: Period) -> str:
    """How the period reads: `12/2026`, `Quý 4/2026`, `Năm 2026`, `01/12/2026 – 15/12/2026`."""
    if period.kind == "month":
        return f"{period.first.month:02d}/{period.first.year}"
    if period.kind == "quarter":
        return gettext("Quý %(quarter)d/%(year)d", quarter=(period.first.month - 1) // 3 + 1, year=period.first.year)
    if period.kind == "year":
        return gettext("Năm %(year)d", year=period.first.year)
    return f"{vn_date(period.first)} – {vn_date(period.last)}"


def _page(scope: Scope, producer: Producer | None):
    tables = [build_table(name, scope) for name in table_names(scope)]
    by_name = {table.name: table for table in tables}
    by_rail = sales_rows(scope, "rail")
    return render_template(
        "portal/reports.html",
        scope=scope,
        producer=producer,
        period=scope.period,
        period_label=period_label(scope.period),
        tables=tables,
        by_name=by_name,
        charts={table.name: chart_data_uri(table) for table in tables if table.chart and table.rows},
        totals=sales.totals_from(cells_of(scope)),
        refunded=sales.refunded(scope.period, scope.producer_id),
        cashless=indicators.cashless_share(by_rail),
        invoiced=indicators.invoiced_share(scope.period, scope.producer_id),
        delivery=delivery_figures(scope.period, scope.producer_id),
        parcel_status=status_label,
        zone_labels=ZONE_LABELS,
        export_url=lambda name, fmt: _export_url(scope, producer, name, fmt),
        cell=lambda value, kind: vn_date(value) if kind == DAY else format_value(value, kind),
        quarters=range(1, 5),
    )


def _export_url(scope: Scope, producer: Producer | None, name: str, fmt: str) -> str:
    query = dict(scope.period.as_query())
    if producer is None:
        return url_for("portal_admin.office_export", name=name, fmt=fmt, **query)
    if current_principal().is_admin:
        query["producer"] = producer.slug
    return url_for("portal.producer_export", name=name, fmt=fmt, **query)


def _export(scope: Scope, name: str, fmt: str) -> Response:
    if fmt not in exports.FORMATS:
        abort(404)
    table = build_table(name, scope)
    if table is None:
        abort(404)
    stem = f"{name}-{scope.period.first.isoformat()}-{scope.period.last.isoformat()}"
    if fmt == "csv":
        body, mimetype = exports.as_csv(table), "text/csv; charset=utf-8"
    else:
        body, mimetype = exports.as_xlsx(table, period_label(scope.period)), exports.XLSX_MIMETYPE
    return Response(body, mimetype=mimetype, headers={"Content-Disposition": f'attachment; filename="{stem}.{fmt}"'})
