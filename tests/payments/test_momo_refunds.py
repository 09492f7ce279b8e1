"""MoMo refunds end to end: the office cancels a MoMo-paid order, the fake MoMo refunds it, the order turns refunded.

The fake checks the refund's signature like MoMo, refunds only what a paid transaction still
holds and answers a request it has seen with its first answer; it can refuse, fail or answer
late. Every test runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import requests
from sqlalchemy import select, text

from catalogue import mail
from catalogue.accounts.principal import SYSTEM
from catalogue.clock import VIETNAM
from catalogue.extensions import db
from catalogue.orders import settlement
from catalogue.orders.models import Order
from catalogue.payments import ledger, momo
from catalogue.payments.models import Payment
from catalogue.payments.port import PaymentNotice, ProviderRefused
from tests.access_helpers import auth, cast, portal_client
from tests.live import serving
from tests.order_helpers import body, stock_of
from tests.payments.payment_fakes import MOMO_TEST, FakeMoMo
from tests.payments.rail_helpers import ledger_of, post_sepay, sepay_body, status_of, use_rails
from tests.storefront_helpers import csrf_token


@pytest.fixture
def shop(app, empty_client):
    """A MoMo-paid order of 2 × 85 000 ₫ (+ 30 000 ₫ shipping), the fake MoMo and the office's token."""
    with FakeMoMo() as fake, serving(app) as base:
        use_rails(app, momo_url=fake.url, PUBLIC_BASE_URL=base)
        world = cast()
        yield {"app": app, "fake": fake, "base": base, "client": empty_client, "product": world["product"],
               "world": world, "office": auth(world["tokens"]["admin"])}  # fmt: skip


def _place(shop, method="momo") -> dict:
    placed = shop["client"].post("/api/v1/orders", json=body((shop["product"].id, 2), payment_method=method))
    assert placed.status_code == 201, placed.get_json()
    return placed.get_json()


def _pay_by_momo(shop, order) -> None:
    token = {"Authorization": f"Bearer {order['access_token']}"}
    if order["payment"]["provider"] != "momo":
        started = shop["client"].post(f"/api/v1/orders/{order['code']}/payments", json={"payment_method": "momo"},
                                      headers=token).get_json()  # fmt: skip
        url = started["redirect_url"]
    else:
        url = order["payment"]["redirect_url"]
    requests.get(url, allow_redirects=False, timeout=30)
    assert shop["fake"].ipn_answers[-1] == (204, "")


@pytest.fixture
def paid(shop):
    order = _place(shop)
    _pay_by_momo(shop, order)
    assert status_of(order["code"]) == "paid"
    assert stock_of(shop["product"]) == 8
    return order


def _cancel(shop, code):
    return shop["client"].post(f"/api/v1/orders/{code}/cancel", headers=shop["office"])


def _history(code) -> list[str]:
    db.session.expire_all()
    order = db.session.scalar(select(Order).where(Order.code == code))
    return [event.to_status for event in order.events]


def _refund_rows(code) -> list[Payment]:
    db.session.expire_all()
    order = db.session.scalar(select(Order).where(Order.code == code))
    return [row for row in ledger.rows_of(order.id) if row.kind == "refund"]


def _momo(shop, **options) -> momo.MoMo:
    """The shop's MoMo adapter, swapped for one with these options (short timeouts, one attempt)."""
    rails = shop["app"].extensions["payment_rails"]
    options.setdefault("api_base", shop["fake"].url)
    client = momo.MoMo(MOMO_TEST["partner_code"], MOMO_TEST["access_key"], MOMO_TEST["secret_key"], **options)
    shop["app"].extensions["payment_rails"] = rails.replaced(momo=client)
    return client


def test_the_office_cancelling_a_momo_paid_order_refunds_it_at_momo_and_it_turns_refunded(shop, paid):
    stripe = shop["app"].extensions["payment_gateway"]
    calls = list(stripe.calls)

    answer = _cancel(shop, paid["code"])

    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json()["status"] == "refunded"
    assert answer.get_json()["money"]["state"] == "refunded"
    assert answer.get_json()["money"]["refunded_vnd"] == 200_000
    assert status_of(paid["code"]) == "refunded"
    assert _history(paid["code"]) == ["pending_payment", "paid", "refund_pending", "refunded"]
    assert stock_of(shop["product"]) == 10
    assert ledger_of(paid["code"])[-1] == ("refund", "done", "momo", 200_000)
    [(asked, said)] = shop["fake"].refunds.values()
    [trans_id] = shop["fake"].paid
    assert (asked["orderId"], asked["requestId"]) == (f"{paid['code']}-1-R200000",) * 2
    assert (asked["amount"], asked["transId"], said["resultCode"]) == (200_000, trans_id, 0)
    [row] = _refund_rows(paid["code"])
    assert ledger.details_of(row)["refund_trans_id"] == str(said["transId"])
    assert shop["fake"].paid[trans_id]["refunded"] == 200_000
    assert stripe.calls == calls  # nothing asked of Stripe


def test_cancelling_again_refunds_nothing_twice(shop, paid):
    assert _cancel(shop, paid["code"]).status_code == 200
    asked = shop["fake"].refund_requests

    again = _cancel(shop, paid["code"])
    cli = shop["app"].test_cli_runner().invoke(args=["orders", "cancel", paid["code"]])

    assert again.status_code == 200 and again.get_json()["status"] == "refunded"
    assert cli.output.strip() == f"{paid['code']}: refunded"
    assert shop["fake"].refund_requests == asked
    assert len(shop["fake"].refunded_trans_ids) == 1
    assert [row.state for row in _refund_rows(paid["code"])] == ["done"]
    assert stock_of(shop["product"]) == 10


def test_momo_is_asked_only_once_the_cancellation_is_committed(shop, paid, monkeypatch):
    provider = shop["app"].extensions["payment_rails"].get("momo")
    seen = []
    real = provider.refund

    def watch(*args, **kwargs):
        with db.engine.connect() as other:
            committed = other.execute(text("SELECT status FROM orders WHERE code = :c"), {"c": paid["code"]}).scalar()
        seen.append((db.session().in_transaction(), committed))
        return real(*args, **kwargs)

    monkeypatch.setattr(provider, "refund", watch)

    assert _cancel(shop, paid["code"]).status_code == 200
    assert seen == [(False, "refund_pending")]


def test_momo_refusing_leaves_the_order_paid_with_its_answer(shop, paid):
    shop["fake"].refuse_next_refunds = [(1080, "Giao dịch hoàn tiền thất bại trong quá trình xử lý.")]

    answer = _cancel(shop, paid["code"])

    assert answer.status_code == 409
    assert answer.get_json()["message"] == (
        "MoMo refused the refund (1080 Giao dịch hoàn tiền thất bại trong quá trình xử lý.); "
        "nothing was returned and the order is still paid."
    )
    assert answer.get_json()["errors"] == {"refund": ["MoMo answered 1080 Giao dịch hoàn tiền thất bại trong quá trình "
                                                      "xử lý.."]}  # fmt: skip
    assert status_of(paid["code"]) == "paid"
    assert _history(paid["code"])[-2:] == ["refund_pending", "paid"]
    assert _refund_rows(paid["code"]) == []
    assert stock_of(shop["product"]) == 8
    assert shop["fake"].refunded_trans_ids == []


def test_after_a_refusal_the_office_tries_again_under_a_new_id_and_it_refunds_once(shop, paid):
    shop["fake"].refuse_next_refunds = [(1080, "Giao dịch hoàn tiền thất bại.")]
    assert _cancel(shop, paid["code"]).status_code == 409

    again = _cancel(shop, paid["code"])

    assert again.status_code == 200 and again.get_json()["status"] == "refunded"
    assert list(shop["fake"].refunds) == [f"{paid['code']}-1-R200000", f"{paid['code']}-1-R200000-1"]
    assert len(shop["fake"].refunded_trans_ids) == 1
    assert [(row.state, row.amount_vnd) for row in _refund_rows(paid["code"])] == [("done", 200_000)]


def test_momo_unreachable_leaves_the_order_paid_and_asking_again_is_the_same_refund(shop, paid):
    shop["fake"].fail_next_refunds = 3  # every try of the first cancel

    answer = _cancel(shop, paid["code"])

    assert answer.status_code == 503
    assert answer.get_json()["message"].startswith("MoMo could not be reached; nothing was returned and the order is "
                                                   "still paid.")  # fmt: skip
    assert answer.get_json()["errors"] == {"refund": ["MoMo did not answer."]}
    assert status_of(paid["code"]) == "paid"
    assert _refund_rows(paid["code"]) == []
    assert shop["fake"].refund_requests == 3

    again = _cancel(shop, paid["code"])

    assert again.get_json()["status"] == "refunded"
    assert list(shop["fake"].refunds) == [f"{paid['code']}-1-R200000"]


def test_momo_not_answering_at_all_is_503(shop, paid):
    _momo(shop, api_base="http://127.0.0.1:9", attempts=1)

    answer = _cancel(shop, paid["code"])

    assert answer.status_code == 503
    assert status_of(paid["code"]) == "paid"
    assert _refund_rows(paid["code"]) == []


def test_a_refund_made_but_answered_too_late_is_recorded_when_asked_again_never_made_twice(shop, paid):
    _momo(shop, timeout=(1, 0.5), attempts=1)
    shop["fake"].hang_next_refunds = 1  # MoMo refunds, but its answer comes after we gave up

    first = _cancel(shop, paid["code"])

    assert first.status_code == 503
    assert status_of(paid["code"]) == "paid"
    assert len(shop["fake"].refunded_trans_ids) == 1  # the money did go back

    again = _cancel(shop, paid["code"])

    assert again.status_code == 200 and again.get_json()["status"] == "refunded"
    assert len(shop["fake"].refunded_trans_ids) == 1
    assert [row.state for row in _refund_rows(paid["code"])] == ["done"]


def test_a_retry_inside_one_call_after_a_late_answer_refunds_once(shop, paid):
    _momo(shop, timeout=(1, 0.5), attempts=3)
    shop["fake"].hang_next_refunds = 1

    answer = _cancel(shop, paid["code"])

    assert answer.get_json()["status"] == "refunded"
    assert shop["fake"].refund_requests == 2
    assert len(shop["fake"].refunded_trans_ids) == 1


@pytest.mark.parametrize(
    ("code", "message"), [(7000, "Giao dịch đang được xử lý."), (41, "Trùng orderId.")]
)  # fmt: skip
def test_an_answer_that_neither_confirms_nor_refuses_is_left_to_the_office(shop, paid, code, message):
    shop["fake"].refuse_next_refunds = [(code, message)]

    answer = _cancel(shop, paid["code"])

    assert answer.status_code == 409
    assert answer.get_json()["message"].startswith(f"MoMo did not confirm the refund ({code} {message})")
    assert status_of(paid["code"]) == "refund_pending"
    [row] = _refund_rows(paid["code"])
    assert (row.state, row.method, row.amount_vnd, row.reason) == ("due", "momo", 200_000, "MoMo refund to check")
    assert [due.id for due in ledger.refunds_due()] == [row.id]
    asked = shop["fake"].refund_requests

    again = _cancel(shop, paid["code"])  # nothing is asked of MoMo again: the office checks MoMo's portal

    assert again.status_code == 200 and again.get_json()["status"] == "refund_pending"
    assert shop["fake"].refund_requests == asked


def test_a_cancellation_that_stopped_before_momo_answered_is_finished_by_cancelling_again(shop, paid, monkeypatch):
    provider = shop["app"].extensions["payment_rails"].get("momo")

    def crash(*args, **kwargs):
        raise SystemExit("the process stopped")

    monkeypatch.setattr(provider, "refund", crash)
    with pytest.raises(SystemExit):
        _cancel(shop, paid["code"])
    monkeypatch.undo()
    assert status_of(paid["code"]) == "refund_pending"
    assert [row.state for row in _refund_rows(paid["code"])] == ["requested"]

    again = _cancel(shop, paid["code"])

    assert again.status_code == 200 and again.get_json()["status"] == "refunded"
    assert list(shop["fake"].refunds) == [f"{paid['code']}-1-R200000"]
    assert stock_of(shop["product"]) == 10


def test_part_paid_by_transfer_and_the_rest_by_momo(shop):
    order = _place(shop, method="vietqr")
    post_sepay(shop["client"], sepay_body(1, order["payment"]["content"], 50_000))
    _pay_by_momo(shop, order)
    assert status_of(order["code"]) == "paid"

    answer = _cancel(shop, order["code"])

    assert answer.status_code == 200
    assert status_of(order["code"]) == "refund_pending"  # the transfer's part waits for the office
    assert [(row.kind, row.state, row.method, row.amount_vnd) for row in _refund_rows(order["code"])] == [
        ("refund", "done", "momo", 150_000), ("refund", "due", "vietqr", 50_000)]  # fmt: skip
    [(asked, _)] = shop["fake"].refunds.values()
    assert asked["amount"] == 150_000

    due = _refund_rows(order["code"])[1]
    settlement.mark_refund_returned(SYSTEM, due.id, "FT2611210001", datetime.now(UTC))
    assert status_of(order["code"]) == "refunded"
    assert stock_of(shop["product"]) == 10


def test_a_refusal_on_a_part_momo_order_drops_the_transfer_refund_too(shop):
    order = _place(shop, method="vietqr")
    post_sepay(shop["client"], sepay_body(1, order["payment"]["content"], 50_000))
    _pay_by_momo(shop, order)
    shop["fake"].refuse_next_refunds = [(1088, "Giao dịch gốc không được phép hoàn tiền.")]

    assert _cancel(shop, order["code"]).status_code == 409

    assert status_of(order["code"]) == "paid"
    assert _refund_rows(order["code"]) == []


def test_with_momo_off_a_momo_payment_is_returned_by_hand_as_before(shop, paid):
    shop["app"].extensions["payment_rails"] = shop["app"].extensions["payment_rails"].replaced(momo=None)

    answer = _cancel(shop, paid["code"])

    assert answer.status_code == 200 and answer.get_json()["status"] == "refund_pending"
    assert ledger_of(paid["code"])[-1] == ("refund", "due", "momo", 200_000)
    assert shop["fake"].refund_requests == 0


def test_the_buyer_gets_one_email_once_momo_has_refunded(shop, paid, smtp_server, monkeypatch):
    shop["app"].config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp_server.port)
    while not smtp_server.messages.empty():
        smtp_server.messages.get_nowait()  # the paid email
    statuses = []
    real = mail.send

    def send(message, recipients):
        with db.engine.connect() as other:
            statuses.append(other.execute(text("SELECT status FROM orders WHERE code = :c"),
                                          {"c": paid["code"]}).scalar())  # fmt: skip
        return real(message, recipients)

    monkeypatch.setattr(mail, "send", send)

    _cancel(shop, paid["code"])
    _cancel(shop, paid["code"])

    message = smtp_server.wait_for_message()
    assert smtp_server.messages.empty()
    assert statuses == ["refunded"]
    plain = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    for part in (plain, html):
        assert "Số tiền 200.000\xa0₫ đã được hoàn về ví MoMo của bạn." in part
        assert "thẻ của bạn" not in part


def test_the_fake_checks_the_refund_signature_like_momo(shop, paid):
    client = momo.MoMo(MOMO_TEST["partner_code"], MOMO_TEST["access_key"], "wrong-secret", shop["fake"].url)
    [trans_id] = shop["fake"].paid
    row = db.session.scalar(select(Payment).where(Payment.kind == "payment", Payment.method == "momo"))
    notice = PaymentNotice(provider="momo", reference=row.reference, order_code=paid["code"], amount_vnd=200_000,
                           succeeded=True, raw_id="x", details={"transId": str(trans_id)})  # fmt: skip

    with pytest.raises(ProviderRefused) as refused:
        client.refund(notice, 200_000, "test")

    assert refused.value.code == 11
    assert shop["fake"].refunded_trans_ids == []
    assert shop["fake"].paid[trans_id]["refunded"] == 0


def test_the_office_day_sheet_shows_what_momo_returned(shop, paid):
    _cancel(shop, paid["code"])
    today = datetime.now(VIETNAM).date().isoformat()

    html = portal_client(shop["app"], shop["world"], "admin").get(f"/portal/admin/payments/?day={today}")

    assert ('<tr data-rail="momo"><th scope="row">Ví MoMo</th><td>1</td><td>200.000\xa0₫</td>'
            "<td>200.000\xa0₫</td></tr>") in html.get_data(as_text=True)  # fmt: skip


def test_an_unconfirmed_momo_refund_is_checked_and_recorded_by_the_office(shop, paid):
    shop["fake"].refuse_next_refunds = [(7000, "Giao dịch đang được xử lý.")]
    _cancel(shop, paid["code"])
    client = portal_client(shop["app"], shop["world"], "admin")
    page = "/portal/admin/payments/"
    html = client.get(page).get_data(as_text=True)
    assert "Ví MoMo · MoMo đã nhận yêu cầu hoàn trước đó: kiểm tra trên trang quản lý của MoMo" in html
    [row] = _refund_rows(paid["code"])

    answer = client.post(f"{page}refunds/{row.id}/returned",
                         data={"reference": "4099000001", "csrf_token": csrf_token(client, page)})  # fmt: skip

    assert answer.status_code == 303
    assert status_of(paid["code"]) == "refunded"
    assert stock_of(shop["product"]) == 10
