"""What the order page and its status route show about paying: the open attempt, the money's story.

The facts come from the services (catalogue.orders.wiring, catalogue.payments.ledger); this
module only arranges them for the template and the page's status poll.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import request
from flask_babel import get_locale, gettext

from catalogue.formatting import status_label, vn_datetime
from catalogue.money import format_vnd
from catalogue.orders import wiring
from catalogue.orders.models import RESERVING_STATUSES, Order
from catalogue.payments import ledger, payment_rails, registry
from catalogue.payments.port import RailText

PAID_STATES = ("paid", "overpaid")
# NAPAS bank identification numbers of the banks most shops use; another BIN is shown as the number.
BANK_NAMES = {
    "970436": "Vietcombank", "970415": "VietinBank", "970418": "BIDV", "970405": "Agribank",
    "970407": "Techcombank", "970422": "MB", "970416": "ACB", "970432": "VPBank", "970423": "TPBank",
    "970403": "Sacombank",
}  # fmt: skip


@dataclass(frozen=True)
class StoryRow:
    """One line of the order's money in the buyer's words: a payment in, or money going back."""

    kind: str  # payment, refund
    method: str
    amount_vnd: int
    at: object
    state: str


def bank_name(bank_bin: str) -> str:
    """The bank of a NAPAS BIN, as buyers know it (`970436` → Vietcombank)."""
    return BANK_NAMES.get(bank_bin) or gettext("Ngân hàng mã %(bin)s", bin=bank_bin)


def rail_text(method: str | None) -> RailText | None:
    """Rail `method` in the page's language, from its own labels (catalogue.payments); None for an unknown rail."""
    labels = registry.labels_of(method)
    return labels.in_locale(str(get_locale() or "vi")) if labels else None


def rail_name(method: str | None) -> str:
    """A rail's name in a sentence: the money story, the order page, the office's pages (raw name if unknown)."""
    text = rail_text(method)
    return text.short_name if text else (method or "")


def money_story(money: ledger.OrderMoney) -> list[StoryRow]:
    """Payments counted for the order and every refund, oldest first (attempts and rejected notices left out)."""
    return [
        StoryRow(row.kind, row.method, row.amount_vnd, row.occurred_at if row.kind == "payment" else
                 (row.resolved_at or row.created_at), row.state)
        for row in money.rows
        if (row.kind == "payment" and row.state == "received") or row.kind == "refund"
    ]  # fmt: skip


def payment_context(order: Order, read_only: bool) -> dict:
    """The order page's payment facts: the rail, what is open, what is due or to return, other rails."""
    rails = payment_rails()
    method = order.payment_method or registry.STRIPE
    reserving = order.status in RESERVING_STATUSES
    money = ledger.order_money(order)
    started = wiring.current_payment(order) if reserving and method != registry.STRIPE else None
    others = (
        [name for name in rails.methods if name not in (registry.STRIPE, method)] if reserving and not read_only else []
    )
    # The gateway's attempt failed (or none is open): the same rail again, by a new attempt.
    retry = reserving and not read_only and started is None and rails.is_redirect_rail(method)
    provider = request.args.get("payment")
    # Only a rail whose page sends the buyer back with a result (VNPay, MoMo, ZaloPay…) may say one.
    result = request.args.get("result") if rails.is_redirect_rail(provider) else None
    return {
        "method": method,
        "reserving": reserving,
        "money": money,
        "started": started,
        "transfer": started.transfer if started is not None else None,
        "bank_name": bank_name(started.transfer.bank_bin) if started is not None and started.transfer else "",
        "switch_methods": others,
        "retry_method": method if retry else None,
        "story": money_story(money),
        "provider_return": (provider, result) if result in ("succeeded", "failed", "pending") else None,
        "polling": reserving and not read_only,
    }


def status_answer(order: Order) -> dict:
    """What the order page's poll reads: the status (and its words), paid or not, what is still due."""
    money = ledger.order_money(order)
    return {
        "status": order.status,
        "label": status_label(order.status, "order"),
        "paid": money.state in PAID_STATES,
        "due_vnd": money.due_vnd,
        "due": format_vnd(money.due_vnd),
        "paid_vnd": money.received_vnd,
        "deadline": vn_datetime(order.reserved_until) if order.status in RESERVING_STATUSES else "",
    }
