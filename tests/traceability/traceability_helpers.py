"""Lots for traceability tests."""

from __future__ import annotations

from datetime import date

from catalogue.accounts.principal import SYSTEM
from catalogue.traceability import services as lots

LOT = {
    "lot_number": "L2611-01",
    "produced_on": date(2026, 11, 1),
    "expires_on": date(2027, 11, 1),
    "quantity": 5,
    "origin_ward": "Xã Bình Liêu",
}


def a_lot(product, **changes):
    """A lot of `product`, recorded by the office."""
    return lots.create_lot(SYSTEM, product.id, {**LOT, **changes}, date(2026, 11, 21))


def pdf_bytes() -> bytes:
    """A one-page PDF (reportlab)."""
    import io

    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    page = canvas.Canvas(buffer)
    page.drawString(72, 720, "Phieu ket qua thu nghiem")
    page.showPage()
    page.save()
    return buffer.getvalue()


# What a phone's browser sends when a shopper opens a stamp: it prefers the page (a bare client is a machine, which
# the resolver redirects to the default link, GS1-Conformant resolver 1.2).
BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


# A phone's browser, as a person's scan comes (a bot's User-Agent, or none, is never a scan).
PHONE_AGENT = (
    "Mozilla/5.0 (Linux; Android 14; SM-A155F) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Mobile Safari/537.36"
)


def browser(app, address: str = "203.0.113.10", agent: str = PHONE_AGENT):
    """A test client that asks like a phone's browser, from `address` (one client: its address and User-Agent)."""
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT"] = BROWSER_ACCEPT
    client.environ_base["HTTP_USER_AGENT"] = agent
    client.environ_base["REMOTE_ADDR"] = address
    return client


def flushed_scans(lot_id: int) -> int:
    """The lot's scans once the buffered ones are written (what the next flush makes of them)."""
    from catalogue.extensions import db
    from catalogue.traceability import scans

    scans.flush()
    db.session.expire_all()
    return scans.total_scans(lot_id)
