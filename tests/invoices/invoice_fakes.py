"""A fake e-invoice provider on 127.0.0.1 that checks credentials, the body's HMAC and the XML signature."""

from __future__ import annotations

import base64
import hmac
import json
import threading
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from catalogue.invoices import signing, xml
from catalogue.invoices.providers import body_signature

USERNAME, SECRET = "htx-binh-lieu", "provider-secret"


class FakeProvider:
    """What the fake was sent and how it answers next: accept, reject or timeout (never answers in time)."""

    def __init__(self):
        self.mode = "accept"
        self.accepted: dict[str, str] = {}  # invoice key → lookup code (a resend gets the same code)
        self.requests = 0
        self.refusals: list[str] = []
        self.release = threading.Event()


def _handler(fake: FakeProvider):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):  # keep test output quiet
            pass

        def _answer(self, status: int, body: dict) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self):  # noqa: N802 - http.server's hook name
            fake.requests += 1
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            expected = "Basic " + base64.b64encode(f"{USERNAME}:{SECRET}".encode()).decode()
            if not hmac.compare_digest(self.headers.get("Authorization", ""), expected):
                fake.refusals.append("credentials")
                return self._answer(401, {"message": "bad credentials"})
            if not hmac.compare_digest(self.headers.get("X-Signature", ""), body_signature(SECRET, body)):
                fake.refusals.append("body signature")
                return self._answer(401, {"message": "bad signature"})
            if fake.mode == "timeout":
                fake.release.wait(5)  # longer than the client's read timeout
                return self._answer(504, {"message": "too late"})
            payload = json.loads(body)
            document = base64.b64decode(payload["xml"])
            try:
                xml.validate(document)
                signing.verify(document, signing.certificate_of(document))
            except Exception as error:  # a real provider refuses an invalid or badly signed invoice
                fake.refusals.append("xml")
                return self._answer(422, {"message": f"invalid invoice: {error}"})
            if fake.mode == "reject":
                return self._answer(422, {"message": "MST người mua không tồn tại"})
            code = fake.accepted.setdefault(payload["key"], f"TRACUU{len(fake.accepted) + 1:04d}")
            return self._answer(200, {"lookup_code": code, "authority_code": f"M1-26-{code}"})

    return Handler


@contextmanager
def fake_provider(port: int = 0):
    """The fake provider serving on 127.0.0.1 (a free port unless given); yields (fake, base URL)."""
    fake = FakeProvider()
    server = ThreadingHTTPServer(("127.0.0.1", port), _handler(fake))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield fake, f"http://127.0.0.1:{server.server_port}"
    finally:
        fake.release.set()
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
