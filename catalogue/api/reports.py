"""Sales figures for the office's own tools (`admin`) and for a producer's (`orders:read`, its own only)."""

from __future__ import annotations

from flask import abort
from flask.views import MethodView
from marshmallow import RAISE, Schema, fields, validate
from sqlalchemy import select

from catalogue import clock
from catalogue.api.auth import current_principal, require
from catalogue.api.blueprint import ApiBlueprint, refuses
from catalogue.errors import NotFound, PermissionDenied
from catalogue.extensions import db
from catalogue.producers.models import Producer
from catalogue.products.schemas import NoArgs
from catalogue.reports import sales
from catalogue.reports.periods import KINDS, period_from

reports = ApiBlueprint("reports", __name__, url_prefix="/reports", description="Sales figures by period.")
blueprints = (reports,)


class SalesArgs(NoArgs):
    """A grouping and a period (this month when none is given), as the office's dashboard takes them."""

    group_by = fields.String(
        load_default="month",
        validate=validate.OneOf(sales.GROUPINGS),
        metadata={"description": "What to group by: " + ", ".join(sales.GROUPINGS) + "."},
    )
    period = fields.String(validate=validate.OneOf(KINDS), metadata={"description": "month, quarter, year or custom"})
    month = fields.String(metadata={"description": "`YYYY-MM` with period=month", "example": "2026-11"})
    quarter = fields.String(metadata={"description": "`YYYY-Qn` with period=quarter", "example": "2026-Q4"})
    year = fields.String(metadata={"description": "`YYYY` with period=year", "example": "2026"})
    from_ = fields.Date(data_key="from", metadata={"description": "First day (Vietnam date), with `to`"})
    to = fields.Date(metadata={"description": "Last day, included"})
    producer = fields.String(
        validate=validate.Length(max=200),
        metadata={"description": "A producer's slug: the office may ask for anyone's, a producer only its own."},
    )


class PeriodSchema(Schema):
    kind = fields.String()
    first = fields.Date(data_key="from")
    last = fields.Date(data_key="to")


class SalesRowSchema(Schema):
    key = fields.String(allow_none=True, metadata={"description": "The group's key (a month, a code, an id); null for "
                        "no stars / marketplace rail"})  # fmt: skip
    label = fields.String()
    orders = fields.Integer()
    units = fields.Integer()
    revenue_vnd = fields.Integer(metadata={"description": "Goods sold, VND (shipping fees and refunded orders aside)"})


class SalesTotalsSchema(Schema):
    orders = fields.Integer()
    units = fields.Integer()
    revenue_vnd = fields.Integer()


class SalesReportSchema(Schema):
    group_by = fields.String()
    period = fields.Nested(PeriodSchema)
    producer = fields.String(allow_none=True)
    totals = fields.Nested(SalesTotalsSchema)
    rows = fields.List(fields.Nested(SalesRowSchema))


@reports.route("/sales")
class SalesReport(MethodView):
    @require("orders:read")
    @refuses(404, 422)
    @reports.arguments(SalesArgs, location="query", unknown=RAISE)
    @reports.response(200, SalesReportSchema)
    def get(self, args):
        """Orders, units and revenue of a period grouped by `group_by`: the province's for an `admin` token,
        a producer's own for its `orders:read` token (another producer's is a 403)."""
        producer = _producer_asked(args.get("producer"))
        query = {key: value for key, value in args.items() if key in ("period", "month", "quarter", "year", "to")}
        if "from_" in args:
            query["from"] = args["from_"].isoformat()
        if "to" in args:
            query["to"] = args["to"].isoformat()
        today = clock.today()
        period = period_from(query, today)
        producer_id = producer.id if producer else None
        rows = sales.sales_by(args["group_by"], period, today, producer_id)
        return {
            "group_by": args["group_by"],
            "period": period,
            "producer": producer.slug if producer else None,
            "totals": sales.totals(period, producer_id),
            "rows": [{**row.__dict__, "key": None if row.key is None else str(row.key)} for row in rows],
        }


def _producer_asked(slug: str | None) -> Producer | None:
    """None for the province (the office); otherwise the producer whose figures these are."""
    principal = current_principal()
    if principal.is_admin:
        if not slug:
            return None
        found = db.session.scalar(select(Producer).where(Producer.slug == slug))
        if found is None:
            raise NotFound(f"No producer {slug}.")
        return found
    if principal.producer_id is None:
        abort(403, description="The province's figures need a token with the 'admin' scope.")
    own = db.session.get(Producer, principal.producer_id)
    if slug and slug != own.slug:
        raise PermissionDenied("A producer's token reads its own figures only.")
    return own
