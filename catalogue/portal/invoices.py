"""Invoices in the portal: a producer's own (filters, print, XML, CSV); the office's coverage, queue and settings."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf.file import FileField, FileRequired
from sqlalchemy import select
from wtforms import BooleanField, PasswordField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Optional

from catalogue import clock
from catalogue.error_answers import for_reader
from catalogue.errors import InvalidInput, NotFound
from catalogue.extensions import db
from catalogue.forms import REQUIRED, Form, length
from catalogue.invoices import settings as invoice_settings
from catalogue.invoices import sweep
from catalogue.invoices.listing import InvoiceFilter, invoice_for_portal, invoices_csv, list_invoices
from catalogue.invoices.models import VAT_RATES
from catalogue.invoices.rates import rate_of
from catalogue.invoices.sending import send_due
from catalogue.invoices.vat import set_vat_rate
from catalogue.portal.auth import current_principal
from catalogue.producers.models import Producer
from catalogue.products.models import Product
from catalogue.storefront.invoice_pages import render_invoice, xml_download

portal_invoices = Blueprint("portal_invoices", __name__, url_prefix="/portal")
TEMPLATE_CHOICES = [("1", _l("Mẫu 1 – hóa đơn giá trị gia tăng")), ("2", _l("Mẫu 2 – hóa đơn bán hàng"))]
PROVIDER_CHOICES = [("none", _l("Chưa chọn")), ("vnpt", "VNPT"), ("viettel", "Viettel S-Invoice"),
                    ("misa", "MISA meInvoice")]  # fmt: skip


class InvoiceSettingsForm(Form):
    enabled = BooleanField(_l("Xuất hóa đơn điện tử cho đơn hàng đã thanh toán"))
    legal_name = StringField(_l("Tên pháp lý trên hóa đơn"), validators=[Optional(), length(max=300)])
    address = StringField(_l("Địa chỉ trên hóa đơn"), validators=[Optional(), length(max=300)])
    template = SelectField(_l("Mẫu số"), choices=TEMPLATE_CHOICES)
    series = StringField(_l("Ký hiệu hóa đơn"), validators=[DataRequired(REQUIRED), length(max=6)])
    provider = SelectField(_l("Nhà cung cấp hóa đơn điện tử"), choices=PROVIDER_CHOICES)
    submit = SubmitField(_l("Lưu cài đặt hóa đơn"))


class CertificateUploadForm(Form):
    certificate = FileField(_l("Tệp chứng thư số (PKCS#12, .p12/.pfx)"), validators=[FileRequired(REQUIRED)])
    password = PasswordField(_l("Mật khẩu của tệp"), validators=[Optional(), length(max=200)])
    submit = SubmitField(_l("Tải lên chứng thư số"))


class VatRateForm(Form):
    vat_rate = SelectField(_l("Thuế suất GTGT"), choices=[(rate, rate) for rate in VAT_RATES])
    submit = SubmitField(_l("Lưu thuế suất"))


class SendNowForm(Form):
    submit = SubmitField(_l("Gửi lại các hóa đơn đến hạn"))


@portal_invoices.before_request
@login_required
def _signed_in() -> None:
    """Every page needs a signed-in user; the office's pages an admin."""
    if request.path.startswith("/portal/admin/") and current_user.role != "admin":
        abort(403)


@portal_invoices.after_request
def _private(response):
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _filter() -> InvoiceFilter:
    producer = request.args.get("producer", "")
    return InvoiceFilter(
        month=request.args.get("month", ""), status=request.args.get("status", ""),
        kind=request.args.get("kind", ""), producer_id=int(producer) if producer.isdigit() else None,
    ).cleaned()  # fmt: skip


@portal_invoices.get("/invoices")
def invoices():
    """The producer's invoices (the office: everyone's), newest first, by month, status and kind."""
    wanted = _filter()
    page = request.args.get("page", "1")
    rows, total = list_invoices(current_principal(), wanted, int(page) if page.isdigit() else 1)
    return render_template("portal/invoices.html", rows=rows, total=total, wanted=wanted)


@portal_invoices.get("/invoices.csv")
def invoices_export():
    """The same invoices as CSV for the producer's accountant."""
    response = current_app.response_class(invoices_csv(current_principal(), _filter()), mimetype="text/csv")
    response.headers["Content-Disposition"] = 'attachment; filename="hoa-don.csv"'
    return response


def _invoice(invoice_id: int):
    try:
        return invoice_for_portal(current_principal(), invoice_id)
    except NotFound:
        abort(404)


@portal_invoices.get("/invoices/<int:invoice_id>")
def invoice(invoice_id: int):
    """One invoice, ready to print."""
    return render_invoice(_invoice(invoice_id), url_for("portal_invoices.invoice_xml", invoice_id=invoice_id))


@portal_invoices.get("/invoices/<int:invoice_id>.xml")
def invoice_xml(invoice_id: int):
    """One invoice's signed XML."""
    return xml_download(_invoice(invoice_id))


@portal_invoices.get("/admin/invoices")
def coverage():
    """The office: the share of paid orders invoiced, by producer and month, and the invoices waiting."""
    table, (invoiced, paid) = sweep.coverage()
    return render_template("portal/admin/invoices.html", table=table, invoiced=invoiced, paid=paid,
                           queue=sweep.queue(), send_form=SendNowForm(),
                           provider_names=dict(PROVIDER_CHOICES))  # fmt: skip


@portal_invoices.post("/admin/invoices/send")
def send_now():
    """The office retries the queue now (what the scheduled job does every few minutes)."""
    if not SendNowForm().validate_on_submit():
        abort(400)
    issued = sweep.issue_missing(clock.now())
    outcomes = send_due(clock.now())
    flash(gettext("Đã phát hành %(issued)d hóa đơn còn thiếu; đã gửi %(sent)d, còn chờ %(queued)d.", issued=issued,
                  sent=outcomes.get("sent", 0), queued=outcomes.get("queued", 0)), "success")  # fmt: skip
    return redirect(url_for("portal_invoices.coverage"), code=303)


def _producer(producer_id: int) -> Producer:
    found = db.session.get(Producer, producer_id)
    if found is None:
        abort(404)
    return found


@portal_invoices.route("/admin/producers/<int:producer_id>/invoicing", methods=["GET", "POST"])
def producer_invoicing(producer_id: int):
    """The office sets how a producer invoices; refused while the producer has no valid tax code."""
    producer = _producer(producer_id)
    current = invoice_settings.settings_of(producer_id)
    form = InvoiceSettingsForm(obj=current)
    if form.validate_on_submit():
        change = invoice_settings.SettingsChange(
            enabled=form.enabled.data, legal_name=form.legal_name.data or "", address=form.address.data or "",
            template=form.template.data, series=(form.series.data or "").strip().upper(), provider=form.provider.data,
        )  # fmt: skip
        try:
            invoice_settings.configure(current_principal(), producer_id, change)
        except InvalidInput as error:
            for field, messages in error.errors.items():
                getattr(form, field).errors = list(messages)
        else:
            flash(gettext("Đã lưu cài đặt hóa đơn."), "success")
            return redirect(url_for("portal_invoices.producer_invoicing", producer_id=producer_id), code=303)
    return _settings_page(producer, form, CertificateUploadForm(formdata=None))


@portal_invoices.post("/admin/producers/<int:producer_id>/invoicing/certificate")
def upload_certificate(producer_id: int):
    """The office uploads the producer's signing certificate; refused with the reason when it cannot sign."""
    producer = _producer(producer_id)
    form = CertificateUploadForm()
    if form.validate_on_submit():
        try:
            invoice_settings.upload_certificate(current_principal(), producer_id, form.certificate.data.read(),
                                                form.password.data or "", clock.now())  # fmt: skip
        except InvalidInput as error:
            form.certificate.errors = [for_reader(error.message, 422)]
        else:
            flash(gettext("Đã lưu chứng thư số."), "success")
            return redirect(url_for("portal_invoices.producer_invoicing", producer_id=producer_id), code=303)
    settings_form = InvoiceSettingsForm(formdata=None, obj=invoice_settings.settings_of(producer_id))
    return _settings_page(producer, settings_form, form)


@portal_invoices.post("/admin/products/<int:product_id>/vat-rate")
def vat_rate(product_id: int):
    """The office sets a product's VAT rate."""
    form = VatRateForm()
    product = db.session.get(Product, product_id)
    if product is None:
        abort(404)
    if not form.validate_on_submit():
        abort(400)
    set_vat_rate(current_principal(), product_id, form.vat_rate.data)
    flash(gettext("Đã lưu thuế suất của %(name)s.", name=product.name), "success")
    return redirect(url_for("portal_invoices.producer_invoicing", producer_id=product.producer_id), code=303)


def _settings_page(producer: Producer, form, upload_form):
    products = db.session.scalars(select(Product).where(Product.producer_id == producer.id).order_by(Product.name))
    rates = [(product, rate_of(product), VatRateForm(formdata=None, vat_rate=rate_of(product))) for product in products]
    return render_template(
        "portal/admin/producer_invoicing.html", producer=producer, form=form, upload_form=upload_form,
        settings=invoice_settings.settings_of(producer.id), rates=rates,
        tax_code_valid=invoice_settings.valid_tax_code(producer.tax_code or "") is not None,
    ), 422 if (form.errors or upload_form.errors) else 200  # fmt: skip
