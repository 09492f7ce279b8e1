"""The seller's signature: PKCS#12 certificates checked and kept, XMLDSig over DLHDon (signxml).

A certificate names its holder's tax code the way Vietnamese CAs write it: "MST:0100109106"
in a subject attribute (UID, as VNPT-CA, Viettel-CA and others do; CN or serialNumber are
accepted too). An uploaded PKCS#12 is opened with the password the office typed, checked
(it opens, it is valid now, it carries the producer's tax code), then re-encrypted with
INVOICE_CERT_PASSWORD and kept by catalogue.invoices.settings as a private, sealed file of the
storage, never in the database. Outside production a producer without one signs with a
development certificate generated at first use (kept in memory under testing), and its
invoices say they are not valid for tax.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID
from lxml import etree
from signxml import (
    CanonicalizationMethod,
    DigestAlgorithm,
    SignatureConstructionMethod,
    SignatureMethod,
    XMLSigner,
    XMLVerifier,
)

from catalogue.errors import InvalidInput

MST_PATTERN = re.compile(r"MST:\s*(\d{10}(?:-\d{3})?)")
DEV_MARK = "CHỨNG THƯ PHÁT TRIỂN - KHÔNG CÓ GIÁ TRỊ VỀ THUẾ"


class CertificateRefused(InvalidInput):
    """An uploaded certificate that cannot sign this producer's invoices, with the reason."""

    def __init__(self, reason: str):
        super().__init__(reason, {"certificate": [reason]})


@dataclass(frozen=True)
class SigningIdentity:
    """A private key and its certificate (and chain); `is_test` for a development certificate."""

    key: rsa.RSAPrivateKey
    certificate: x509.Certificate
    chain: tuple[x509.Certificate, ...] = ()
    is_test: bool = False

    @property
    def certificate_pem(self) -> bytes:
        return self.certificate.public_bytes(serialization.Encoding.PEM)


@dataclass(frozen=True)
class StoredCertificate:
    """Where an accepted certificate was kept, and what the office sees of it."""

    file: str
    subject: str
    expires_at: datetime


def tax_code_of(certificate: x509.Certificate) -> str | None:
    """The holder's MST as the certificate's subject names it ("MST:…"), if it does."""
    for attribute in certificate.subject:
        value = attribute.value if isinstance(attribute.value, str) else ""
        found = MST_PATTERN.search(value)
        if found:
            return found.group(1)
    return None


def open_pkcs12(data: bytes, password: str) -> SigningIdentity:
    """Open an uploaded PKCS#12, or refuse it saying why."""
    try:
        key, certificate, chain = pkcs12.load_key_and_certificates(data, password.encode() or None)
    except ValueError as error:
        raise CertificateRefused("Không mở được tệp chứng thư số: sai mật khẩu hoặc không phải tệp PKCS#12.") from error
    if key is None or certificate is None:
        raise CertificateRefused("Tệp chứng thư số không có khóa bí mật hoặc chứng thư.")
    if not isinstance(key, rsa.RSAPrivateKey):
        raise CertificateRefused("Chứng thư số phải dùng khóa RSA.")
    return SigningIdentity(key, certificate, tuple(chain or ()))


def check_identity(identity: SigningIdentity, tax_code: str, now: datetime) -> None:
    """Refuse a certificate that is not valid now or does not name `tax_code`."""
    certificate = identity.certificate
    if certificate.not_valid_after_utc < now:
        raise CertificateRefused(f"Chứng thư số đã hết hạn ngày {certificate.not_valid_after_utc:%d/%m/%Y}.")
    if certificate.not_valid_before_utc > now:
        raise CertificateRefused(f"Chứng thư số chỉ có hiệu lực từ ngày {certificate.not_valid_before_utc:%d/%m/%Y}.")
    holder = tax_code_of(certificate)
    if holder is None:
        raise CertificateRefused("Chứng thư số không ghi mã số thuế (MST:…) của chủ thể.")
    if holder != tax_code:
        raise CertificateRefused(f"Chứng thư số cấp cho mã số thuế {holder}, không phải {tax_code}.")


def accept_certificate(data: bytes, password: str, tax_code: str, now: datetime) -> SigningIdentity:
    """Open and check an uploaded PKCS#12; refused with the reason unless it can sign for `tax_code` now."""
    identity = open_pkcs12(data, password)
    check_identity(identity, tax_code, now)
    return identity


def describe(identity: SigningIdentity, file: str) -> StoredCertificate:
    """What the office sees of a certificate kept as `file`."""
    certificate = identity.certificate
    return StoredCertificate(file, certificate.subject.rfc4514_string()[:300], certificate.not_valid_after_utc)


def pkcs12_bytes(identity: SigningIdentity, password: str, label: str) -> bytes:
    """The identity as PKCS#12, encrypted with `password` (the storage password)."""
    return pkcs12.serialize_key_and_certificates(
        label.encode(),
        identity.key,
        identity.certificate,
        list(identity.chain) or None,
        serialization.BestAvailableEncryption(password.encode()),
    )


_cache: dict[str, SigningIdentity] = {}
_lock = threading.Lock()


def cached_identity(key: str, load: Callable[[], SigningIdentity]) -> SigningIdentity:
    """The identity kept under `key` in this process, loaded once.

    Correct on every node by construction: an uploaded certificate is stored under a new
    name each time, so a replaced one is never found under the old key.
    """
    with _lock:
        if key not in _cache:
            _cache[key] = load()
        return _cache[key]


def development_identity(
    tax_code: str, name: str, storage_password: str, load: Callable[[], bytes | None] | None = None,
    keep: Callable[[bytes], None] | None = None, place: str = "memory",
) -> SigningIdentity:  # fmt: skip
    """A self-signed certificate naming `tax_code`, clearly marked; read with `load` and kept with `keep`
    when given (memory only otherwise: tests)."""

    def make() -> SigningIdentity:
        stored = load() if load is not None else None
        if stored is not None:
            identity = open_pkcs12(stored, storage_password)
        else:
            identity = make_identity(tax_code, name, unit=DEV_MARK)
            if keep is not None:
                keep(pkcs12_bytes(identity, storage_password, "development"))
        return SigningIdentity(identity.key, identity.certificate, identity.chain, is_test=True)

    return cached_identity(f"dev:{place}:{tax_code}", make)


def _short(text: str, limit: int = 64) -> str:
    """X.509 name attributes hold at most 64 bytes."""
    return text.encode()[:limit].decode(errors="ignore") or "-"


def make_identity(
    tax_code: str, common_name: str, not_before: datetime | None = None, days: int = 730, unit: str = ""
) -> SigningIdentity:
    """A self-signed RSA certificate whose subject carries "MST:<tax_code>" in UID (dev and test certificates)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    start = not_before or datetime.now(UTC) - timedelta(days=1)
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
            x509.NameAttribute(NameOID.COMMON_NAME, _short(common_name)),
            x509.NameAttribute(NameOID.USER_ID, f"MST:{tax_code}"),
        ]
        + ([x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, _short(unit))] if unit else [])
    )
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + timedelta(days=days))
        .add_extension(x509.KeyUsage(True, True, False, False, False, False, False, False, False), critical=True)
        .sign(key, hashes.SHA256())
    )
    return SigningIdentity(key, certificate)


def sign(root: etree._Element, identity: SigningIdentity, reference_id: str) -> etree._Element:
    """XMLDSig (RSA-SHA256, enveloped transform, C14N) over the element `Id=reference_id`, into the placeholder."""
    signer = XMLSigner(
        method=SignatureConstructionMethod.enveloped,
        signature_algorithm=SignatureMethod.RSA_SHA256,
        digest_algorithm=DigestAlgorithm.SHA256,
        c14n_algorithm=CanonicalizationMethod.CANONICAL_XML_1_0,
    )
    signer.namespaces = {"ds": "http://www.w3.org/2000/09/xmldsig#"}
    chain = [identity.certificate, *identity.chain]
    return signer.sign(root, key=identity.key, cert=chain, reference_uri=f"#{reference_id}")


def verify(document: bytes, certificate_pem: bytes) -> etree._Element:
    """Check the signature against the seller's certificate; the signed DLHDon (raises if it does not verify)."""
    result = XMLVerifier().verify(document, x509_cert=certificate_pem.decode(), expect_references=1)
    return result.signed_xml


def certificate_of(document: bytes) -> bytes:
    """The signer's certificate (PEM) as the document's KeyInfo carries it."""
    root = etree.fromstring(document)
    found = root.find(".//{http://www.w3.org/2000/09/xmldsig#}X509Certificate")
    if found is None or not found.text:
        raise ValueError("The invoice carries no certificate.")
    body = "".join(found.text.split())
    lines = [body[i : i + 64] for i in range(0, len(body), 64)]
    return ("-----BEGIN CERTIFICATE-----\n" + "\n".join(lines) + "\n-----END CERTIFICATE-----\n").encode()
