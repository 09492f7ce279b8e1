"""What the fake carriers (tests/delivery/fakes_ghn.py, tests/delivery/fakes_viettelpost.py) share: faults and labels.

A fake carrier is a `_FakeServer` (tests/payments/payment_fakes.py) that can be told to misbehave on its
API calls, in turn: answer 503 (`fail_next`), 429 (`busy_next`), or answer after the adapter's
timeout (`hang_next`, `hang_seconds`). Its labels are real PDFs (reportlab) naming the tracking
codes, one page of the asked size each, so a test can open them with pypdf.
"""

from __future__ import annotations

import io
import time

import requests
from reportlab.lib.pagesizes import A5, A6
from reportlab.pdfgen import canvas
from werkzeug.wrappers import Response

from tests.payments.payment_fakes import _FakeServer

PAGE_SIZES = {"A5": A5, "A6": A6}


def label_pdf(brand: str, codes: list[str], size: str) -> bytes:
    """One page per tracking code, of size A5 or A6, with the carrier's name and the code in text."""
    buffer = io.BytesIO()
    width, height = PAGE_SIZES[size]
    page = canvas.Canvas(buffer, pagesize=(width, height))
    page.setTitle(f"{brand} {' '.join(codes)}")
    for code in codes:
        page.setFont("Helvetica-Bold", 16)
        page.drawString(20, height - 40, brand)
        page.setFont("Helvetica", 12)
        page.drawString(20, height - 70, code)
        page.rect(20, height - 140, width - 40, 50)
        page.showPage()
    page.save()
    return buffer.getvalue()


class FakeCarrier(_FakeServer):
    """Faults for every API call, in turn: 503 first, then 429, then a late answer."""

    def __init__(self) -> None:
        super().__init__()
        self.fail_next = 0
        self.busy_next = 0
        self.hang_next = 0
        self.hang_seconds = 1.0
        self.api_calls = 0

    def fault(self) -> Response | None:
        """Count an API call; a 503 or 429 to answer now, or None (after sleeping when it must be late)."""
        with self.lock:
            self.api_calls += 1
            if self.fail_next:
                self.fail_next -= 1
                return Response("Service Unavailable", status=503)
            if self.busy_next:
                self.busy_next -= 1
                return Response('{"message": "Too many requests"}', status=429, content_type="application/json")
            hang = self.hang_next > 0
            self.hang_next -= 1 if hang else 0
        if hang:
            time.sleep(self.hang_seconds)
        return None

    @staticmethod
    def post_json(url: str, body: dict) -> requests.Response:
        """Send a callback the way a carrier does: a JSON POST."""
        return requests.post(url, json=body, timeout=10)
