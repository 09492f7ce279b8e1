"""Every model, imported in one place so the metadata is complete."""

from catalogue.accounts.models import ApiToken, AuditEntry, User
from catalogue.delivery.models import Parcel, ParcelEvent, ShippingRate
from catalogue.geography.models import Locality
from catalogue.imports.models import ColumnMapping, ImportJob
from catalogue.invoices.models import Invoice, InvoiceCounter, InvoiceLine, InvoiceRequest, InvoiceSettings
from catalogue.live.models import LiveCheckout, LivePin, LiveSession
from catalogue.mail import OutgoingMail
from catalogue.orders.fulfilment import OrderShipment
from catalogue.orders.models import Order, OrderEvent, OrderLine
from catalogue.payments.models import Payment
from catalogue.producers.models import Producer
from catalogue.products.models import Category, Certificate, CertificateEvent, OcopGroup, Product, ProductImage
from catalogue.products.revision import ChangeCounter
from catalogue.reports.models import SalesDay, SalesDayProduct
from catalogue.sync.models import (
    CertificateExpiryNotice,
    ChannelBuffer,
    MarketplaceListing,
    MarketplaceSale,
    MarketplaceSaleLine,
    SyncCursor,
)
from catalogue.traceability.models import Lot, LotReport, LotScanClient, LotScanDay, LotScanSource

__all__ = [
    "OutgoingMail",
    "ApiToken",
    "AuditEntry",
    "User",
    "CertificateExpiryNotice",
    "ChannelBuffer",
    "MarketplaceListing",
    "MarketplaceSale",
    "MarketplaceSaleLine",
    "SyncCursor",
    "Category",
    "ColumnMapping",
    "ImportJob",
    "Certificate",
    "CertificateEvent",
    "ChangeCounter",
    "Invoice",
    "InvoiceCounter",
    "InvoiceLine",
    "InvoiceRequest",
    "InvoiceSettings",
    "LiveCheckout",
    "LivePin",
    "LiveSession",
    "Locality",
    "Lot",
    "LotReport",
    "LotScanClient",
    "LotScanDay",
    "LotScanSource",
    "OcopGroup",
    "Order",
    "OrderEvent",
    "OrderLine",
    "OrderShipment",
    "Parcel",
    "ParcelEvent",
    "ShippingRate",
    "Payment",
    "Producer",
    "SalesDay",
    "SalesDayProduct",
    "Product",
    "ProductImage",
]
