"""The invoice as the tax authority's XML for Circular 78 (HDon/DLHDon/…/TToan), built with lxml.

`build` gives the unsigned document with an empty `ds:Signature Id="placeholder"` in
DSCKS/NBan, where catalogue.invoices.signing puts the seller's signature over DLHDon.
`validate` checks a document against the XSD kept beside this module (schema/hdon.xsd),
which describes exactly what we emit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path

from lxml import etree

from catalogue.invoices.totals import Totals, plain_decimal

VERSION = "2.0.1"  # PBan: the version of the format
DSIG_NS = "http://www.w3.org/2000/09/xmldsig#"
SCHEMA_PATH = Path(__file__).with_name("schema") / "hdon.xsd"
TITLES = {"1": "Hóa đơn giá trị gia tăng", "2": "Hóa đơn bán hàng"}
TEST_NOTE = "Hóa đơn thử nghiệm, ký bằng chứng thư phát triển: không có giá trị về thuế"


class InvalidInvoiceXml(ValueError):
    """The document does not follow the schema we emit."""


@dataclass(frozen=True)
class Party:
    """Seller or buyer as the invoice names them."""

    name: str
    tax_code: str = ""
    address: str = ""
    email: str = ""
    phone: str = ""
    person: str = ""  # the buyer's own name (HVTNMHang) when the invoice names a company


@dataclass(frozen=True)
class Related:
    """The invoice an adjustment names (Decree 123, art. 19)."""

    template: str
    series: str
    number: int
    issued_on: date


@dataclass(frozen=True)
class InvoiceDocument:
    """Everything the XML says."""

    template: str
    series: str
    number: int
    issued_on: date
    payment_method: str
    seller: Party
    buyer: Party
    totals: Totals
    provider_tax_code: str = ""
    adjusts: Related | None = None
    is_test: bool = False


def element_id(series: str, number: int) -> str:
    """The `Id` of DLHDon, which the signature's reference names."""
    return f"DLHDon-{series}-{number:08d}"


def _add(parent, tag: str, text=None):
    child = etree.SubElement(parent, tag)
    if text is not None:
        child.text = str(text)
    return child


def _party(parent, tag: str, party: Party, seller: bool) -> None:
    node = _add(parent, tag)
    _add(node, "Ten", party.name)
    if party.tax_code:
        _add(node, "MST", party.tax_code)
    _add(node, "DChi", party.address)
    if not seller and party.person:
        _add(node, "HVTNMHang", party.person)
    if party.phone:
        _add(node, "SDThoai", party.phone)
    if party.email:
        _add(node, "DCTDTu", party.email)


def _general(parent, document: InvoiceDocument) -> None:
    general = _add(parent, "TTChung")
    _add(general, "PBan", VERSION)
    title = TITLES[document.template]
    _add(general, "THDon", f"{title} (điều chỉnh)" if document.adjusts else title)
    _add(general, "KHMSHDon", document.template)
    _add(general, "KHHDon", document.series)
    _add(general, "SHDon", document.number)
    _add(general, "NLap", document.issued_on.isoformat())
    _add(general, "DVTTe", "VND")
    _add(general, "TGia", 1)
    _add(general, "HTTToan", document.payment_method)
    if document.provider_tax_code:
        _add(general, "MSTTCGP", document.provider_tax_code)
    if document.adjusts:
        related = _add(general, "TTHDLQuan")
        _add(related, "TCHDon", 2)  # 2: adjustment (1 would be a replacement)
        _add(related, "LHDCLQuan", 1)  # the related invoice is an e-invoice under Decree 123
        _add(related, "KHMSHDCLQuan", document.adjusts.template)
        _add(related, "KHHDCLQuan", document.adjusts.series)
        _add(related, "SHDCLQuan", document.adjusts.number)
        _add(related, "NLHDCLQuan", document.adjusts.issued_on.isoformat())
    if document.is_test:
        info = _add(_add(general, "TTKhac"), "TTin")
        _add(info, "TTruong", "GhiChu")
        _add(info, "KDLieu", "string")
        _add(info, "DLieu", TEST_NOTE)


def build(document: InvoiceDocument) -> etree._Element:
    """The unsigned HDon document, with the signature placeholder."""
    root = etree.Element("HDon")
    data = _add(root, "DLHDon")
    data.set("Id", element_id(document.series, document.number))
    _general(data, document)
    content = _add(data, "NDHDon")
    _party(content, "NBan", document.seller, seller=True)
    _party(content, "NMua", document.buyer, seller=False)
    vat_invoice = document.template == "1"
    items = _add(content, "DSHHDVu")
    for line in document.totals.lines:
        item = _add(items, "HHDVu")
        _add(item, "TChat", 1)
        _add(item, "STT", line.position)
        if line.sku:
            _add(item, "MHHDVu", line.sku)
        _add(item, "THHDVu", line.name)
        _add(item, "DVTinh", line.unit)
        _add(item, "SLuong", line.quantity)
        _add(item, "DGia", plain_decimal(line.unit_price))  # × SLuong = ThTien exactly
        _add(item, "ThTien", line.amount_vnd)
        if vat_invoice:
            _add(item, "TSuat", line.vat_rate)
    payment = _add(content, "TToan")
    if vat_invoice:
        per_rate = _add(payment, "THTTLTSuat")
        for rate in document.totals.by_rate:
            row = _add(per_rate, "LTSuat")
            _add(row, "TSuat", rate.rate)
            _add(row, "ThTien", rate.before_tax_vnd)
            _add(row, "TThue", rate.tax_vnd)
    _add(payment, "TgTCThue", document.totals.before_tax_vnd)
    _add(payment, "TgTThue", document.totals.tax_vnd)
    _add(payment, "TgTTTBSo", document.totals.total_vnd)
    _add(payment, "TgTTTBChu", document.totals.words)
    signatures = _add(_add(root, "DSCKS"), "NBan")
    etree.SubElement(signatures, f"{{{DSIG_NS}}}Signature", nsmap={"ds": DSIG_NS}).set("Id", "placeholder")
    return root


@cache
def _schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(SCHEMA_PATH)))


def validate(document: bytes | etree._Element) -> None:
    """Raise InvalidInvoiceXml unless the document follows schema/hdon.xsd."""
    root = etree.fromstring(document) if isinstance(document, bytes) else document
    schema = _schema()
    if not schema.validate(root):
        raise InvalidInvoiceXml("; ".join(f"line {e.line}: {e.message}" for e in schema.error_log))


def serialise(root: etree._Element) -> bytes:
    """UTF-8 bytes with the XML declaration, as providers and the tax authority take them."""
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")
