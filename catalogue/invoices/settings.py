"""A producer's invoice settings and certificate, as the office keeps them; and who signs for it."""

from __future__ import annotations

import hashlib
import hmac
import re
import uuid
from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from sqlalchemy import select

from catalogue.accounts.principal import Principal
from catalogue.errors import InvalidInput, NotFound, PermissionDenied
from catalogue.extensions import db
from catalogue.invoices import signing
from catalogue.invoices.models import PROVIDERS, TEMPLATES, InvoiceSettings
from catalogue.producers.models import Producer
from catalogue.storage import FileMissing, storage
from catalogue.storage.layout import CERTIFICATES
from catalogue.storage.sealing import seal, unseal
from catalogue.tax_codes import valid_tax_code  # noqa: F401 - re-exported: the portal and checkout read it here
from catalogue.transactions import use_case

SERIES_PATTERN = re.compile(r"^[CK]\d{2}[TDLMNBGH][A-Z]{2}$")


def settings_of(producer_id: int) -> InvoiceSettings | None:
    """The producer's invoice settings, if any."""
    return db.session.get(InvoiceSettings, producer_id)


@dataclass(frozen=True)
class SettingsChange:
    """What the office sets for a producer's invoices."""

    enabled: bool
    legal_name: str
    address: str
    template: str
    series: str
    provider: str


def _check(producer: Producer, change: SettingsChange) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if change.enabled and valid_tax_code(producer.tax_code or "") is None:
        errors["enabled"] = [
            "Chủ thể chưa có mã số thuế hợp lệ (10 chữ số, chữ số cuối là số kiểm tra) nên chưa thể xuất hóa đơn."
        ]
    if change.template not in TEMPLATES:
        errors["template"] = ["Mẫu số là 1 (hóa đơn GTGT) hoặc 2 (hóa đơn bán hàng)."]
    if not SERIES_PATTERN.match(change.series):
        errors["series"] = ["Ký hiệu gồm 6 ký tự như C26TAA: C/K, hai số cuối của năm, T, hai chữ cái in hoa."]
    if change.provider not in PROVIDERS:
        errors["provider"] = ["Nhà cung cấp không hợp lệ."]
    if change.enabled and not change.legal_name.strip():
        errors["legal_name"] = ["Nhập tên pháp lý in trên hóa đơn."]
    return errors


@use_case
def configure(principal: Principal, producer_id: int, change: SettingsChange) -> InvoiceSettings:
    """The office sets how a producer invoices; a producer without a valid tax code cannot be turned on."""
    if not principal.is_admin:
        raise PermissionDenied("Only the OCOP office sets how producers invoice.")
    producer = db.session.get(Producer, producer_id)
    if producer is None:
        raise NotFound(f"No producer {producer_id}.")
    errors = _check(producer, change)
    if errors:
        raise InvalidInput(next(iter(errors.values()))[0], errors)
    settings = settings_of(producer_id) or InvoiceSettings(producer_id=producer_id)
    settings.enabled = change.enabled
    settings.legal_name = change.legal_name.strip()[:300]
    settings.address = change.address.strip()[:300]
    settings.template, settings.series, settings.provider = change.template, change.series, change.provider
    db.session.add(settings)
    return settings


def storage_password() -> str:
    """What encrypts stored certificates: INVOICE_CERT_PASSWORD, else a key derived from SECRET_KEY."""
    given = current_app.config.get("INVOICE_CERT_PASSWORD")
    if given:
        return given
    secret = current_app.config["SECRET_KEY"].encode()
    return hmac.new(secret, b"invoice-certificates", hashlib.sha256).hexdigest()


def certificate_key(file: str) -> str:
    """Where a certificate file lives in the storage (private, sealed: catalogue.storage.sealing)."""
    return f"{CERTIFICATES}/{file}"


def read_certificate(file: str) -> bytes | None:
    """The PKCS#12 bytes of a kept certificate, unsealed; None when there is no such file."""
    try:
        return unseal(storage().get(certificate_key(file), private=True))
    except FileMissing:
        return None


def keep_certificate(file: str, pkcs12_data: bytes) -> None:
    """Seal and store a PKCS#12 (already encrypted with the storage password) as `file`."""
    storage().put(certificate_key(file), seal(pkcs12_data), "application/octet-stream", private=True)


def upload_certificate(principal: Principal, producer_id: int, data: bytes, password: str, now: datetime):
    """The office uploads a producer's PKCS#12; refused with the reason unless it opens, is valid, names its MST.

    The sealed file is stored between two short use cases, so no transaction waits on the store;
    each upload gets a new name, so every node's cache of the old one stops being asked for it.
    """
    tax_code = _certificate_holder(principal, producer_id)
    identity = signing.accept_certificate(data, password, tax_code, now)
    file = f"producer-{producer_id}-{uuid.uuid4().hex[:12]}.p12"
    keep_certificate(file, signing.pkcs12_bytes(identity, storage_password(), f"producer {producer_id}"))
    try:
        return _attach_certificate(producer_id, signing.describe(identity, file))
    except BaseException:
        storage().delete(certificate_key(file), private=True)
        raise


@use_case
def _certificate_holder(principal: Principal, producer_id: int) -> str:
    """The producer's tax code, once the office may upload its certificate (refused otherwise)."""
    if not principal.is_admin:
        raise PermissionDenied("Only the OCOP office uploads signing certificates.")
    producer = db.session.get(Producer, producer_id)
    if producer is None:
        raise NotFound(f"No producer {producer_id}.")
    tax_code = valid_tax_code(producer.tax_code or "")
    if tax_code is None:
        raise signing.CertificateRefused("Chủ thể chưa có mã số thuế hợp lệ.")
    return tax_code


@use_case
def _attach_certificate(producer_id: int, stored: signing.StoredCertificate) -> InvoiceSettings:
    settings = settings_of(producer_id) or InvoiceSettings(producer_id=producer_id, series="", template="2")
    settings.certificate_file, settings.certificate_subject = stored.file, stored.subject
    settings.certificate_expires_at = stored.expires_at
    db.session.add(settings)
    return settings


def identity_for(settings: InvoiceSettings, tax_code: str) -> signing.SigningIdentity:
    """Who signs the producer's invoices: its uploaded certificate, else (outside production) a development one."""
    password = storage_password()
    if settings.certificate_file:
        file = settings.certificate_file

        def load() -> signing.SigningIdentity:
            data = read_certificate(file)
            if data is None:
                raise InvalidInput(f"The signing certificate of producer {settings.producer_id} is missing.")
            return signing.open_pkcs12(data, password)

        return signing.cached_identity(f"{storage().url}:{file}", load)
    if not current_app.config.get("INVOICE_DEV_CERTIFICATES"):
        raise InvalidInput(f"Producer {settings.producer_id} has no signing certificate.")
    if current_app.config.get("TESTING"):
        return signing.development_identity(tax_code, settings.legal_name, password)
    file = f"dev-{tax_code}.p12"
    return signing.development_identity(
        tax_code,
        settings.legal_name,
        password,
        load=lambda: read_certificate(file),
        keep=lambda data: keep_certificate(file, data),
        place=storage().url,
    )


def enabled_settings(producer_ids) -> dict[int, InvoiceSettings]:
    """Which of these producers issue invoices, by id."""
    rows = db.session.scalars(
        select(InvoiceSettings).where(InvoiceSettings.enabled.is_(True), InvoiceSettings.producer_id.in_(producer_ids))
    )
    return {row.producer_id: row for row in rows}
