"""The Stripe gateway honours the proxy the environment names, read once when the gateway is built.

Two local HTTP servers answer like Stripe's PaymentIntent create: one stands for Stripe, one for a forward proxy
(a proxied request arrives with the absolute URL in its request line). The gateway talks to them through the real
SDK and requests.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from catalogue.payments.stripe_rail.gateway import StripeGateway

PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "no_proxy")


class Recorder(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.server.request_lines.append(self.requestline)
        body = json.dumps({"id": "pi_proxy", "object": "payment_intent", "client_secret": "pi_proxy_secret"}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def servers(monkeypatch):
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    started = []
    for _ in range(2):
        server = ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
        server.request_lines = []
        threading.Thread(target=server.serve_forever, daemon=True).start()
        started.append(server)
    yield started
    for server in started:
        server.shutdown()
        server.server_close()


def url(server) -> str:
    return f"http://127.0.0.1:{server.server_address[1]}"


def place(gateway: StripeGateway) -> str:
    return gateway.create_payment_intent("QN-PROXY-1", 150_000, "proxy-1").id


def test_the_payment_intent_goes_through_the_proxy_the_environment_names(servers, monkeypatch):
    stripe_server, proxy = servers
    monkeypatch.setenv("HTTP_PROXY", url(proxy))
    gateway = StripeGateway("sk_test_proxy", "pk_test_proxy", "whsec_proxy", api_base=url(stripe_server))
    assert place(gateway) == "pi_proxy"
    assert proxy.request_lines == [f"POST {url(stripe_server)}/v1/payment_intents HTTP/1.1"]
    assert stripe_server.request_lines == []


def test_no_proxy_sends_it_straight_to_stripe(servers, monkeypatch):
    stripe_server, proxy = servers
    monkeypatch.setenv("HTTP_PROXY", url(proxy))
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    gateway = StripeGateway("sk_test_proxy", "pk_test_proxy", "whsec_proxy", api_base=url(stripe_server))
    assert place(gateway) == "pi_proxy"
    assert stripe_server.request_lines == ["POST /v1/payment_intents HTTP/1.1"]
    assert proxy.request_lines == []


def test_the_environment_is_read_when_the_gateway_is_built_not_on_every_call(servers, monkeypatch):
    """requests would scan os.environ for proxies on each call (~0.3 ms an order); the gateway does it once."""
    stripe_server, proxy = servers
    gateway = StripeGateway("sk_test_proxy", "pk_test_proxy", "whsec_proxy", api_base=url(stripe_server))
    monkeypatch.setenv("HTTP_PROXY", url(proxy))
    assert place(gateway) == "pi_proxy"
    assert stripe_server.request_lines == ["POST /v1/payment_intents HTTP/1.1"]
    assert proxy.request_lines == []
