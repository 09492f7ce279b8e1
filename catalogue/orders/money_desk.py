"""The office's money desk: which waiting order an unmatched bank transfer pays, and matching it by hand.

A buyer who types no order code (or a wrong one) in the transfer leaves the office a sum, a
time and some words. The desk looks for the order among those still waiting for money —
pending_payment, payment_failed, and cancelled by an expired reservation, since money landing
late still completes them (catalogue.orders.settlement.settle) — by the amount still due, the
buyer's name (accent-insensitive, through catalogue.text), the phone (+84 and 0 alike) or the
order code (dashes and case ignored). The search is SQL on both databases: the name and phone
are kept folded on the order (`buyer_name_search`, `buyer_phone_digits`), and only orders of the
last `LOOKBACK` are read, a range of `ix_orders_reporting`, so a shop of 100 000 orders reads the
few of the last weeks. A code names its order whatever its age.

Matching calls the settlement's assign use case and writes an audit entry naming who put which
transfer on which order, in the same transaction.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import String, and_, case, func, literal, or_, select

from catalogue.accounts.models import AuditEntry
from catalogue.accounts.principal import Principal
from catalogue.accounts.services import record
from catalogue.extensions import db
from catalogue.orders import settlement
from catalogue.orders.models import RESERVING_STATUSES, Order, OrderEvent
from catalogue.payments import ledger
from catalogue.payments.bank_feeds import find_order_codes
from catalogue.payments.models import Payment
from catalogue.text import phone_digits, search_document, search_words
from catalogue.transactions import use_case

LOOKBACK = timedelta(days=45)  # a transfer weeks late is the office's to return, not to match
MAX_RESULTS = 20
MAX_QUERY = 100  # characters of a search the desk reads
EXPIRED = "reservation expired"  # the reason catalogue.orders.services gives an expiry
MATCHED = "payment.matched"  # the audit action of a transfer matched by hand
# What each kind of match weighs: an amount and a name together (5) come before a name (3) or an amount (2) alone.
WEIGHTS = {"code": 8, "phone": 4, "name": 3, "amount": 2}
_AMOUNT = re.compile(r"\+?[\d\s.,]+(?:đ|d|vnd|₫)?", re.IGNORECASE)
_PHONE_IN_TEXT = re.compile(r"(?<!\d)(?:\+?84|0)\d{9}(?!\d)")
_CODE_TAIL = re.compile(r"[A-Za-z0-9]{4}-?[A-Za-z0-9]{4}")


@dataclass(frozen=True)
class Clues:
    """What may name the order: an amount due, name words, a text holding the name, phones, codes."""

    amount_vnd: int | None = None
    name_words: tuple[str, ...] = ()  # each begins a word of the buyer's name ("nguyen an")
    text: str = ""  # folded words the buyer's whole name may be found in (a transfer's content)
    phones: tuple[str, ...] = ()  # national digits
    codes: tuple[str, ...] = ()  # QN-ABCD-EFGH

    def __bool__(self) -> bool:
        return bool(self.amount_vnd or self.name_words or self.text or self.phones or self.codes)


@dataclass(frozen=True)
class Candidate:
    """A waiting order the transfer may pay, and which clues found it."""

    code: str
    status: str
    expired: bool  # cancelled by an expired reservation
    customer_name: str
    customer_phone: str
    total_vnd: int
    due_vnd: int  # the total less what the order already received
    created_at: datetime
    matched_by: tuple[str, ...]  # code, phone, name, amount: the strongest first


def clues_from_query(query: str) -> Clues:
    """The office's search box: a code, a phone or an amount when it reads as one, else name words."""
    query = (query or "").strip()[:MAX_QUERY]
    codes = tuple(find_order_codes(query))
    if codes:
        return Clues(codes=codes)
    if _AMOUNT.fullmatch(query):
        digits = re.sub(r"\D", "", query)
        national = phone_digits(query)
        phones = (national,) if 9 <= len(national) <= 10 and len(digits) >= 10 else ()
        amount = int(digits) if digits and len(digits) <= 11 and not phones else None
        return Clues(amount_vnd=amount or None, phones=phones)
    phones = tuple(dict.fromkeys(phone_digits(found) for found in _PHONE_IN_TEXT.findall(query)))
    words = tuple(word for word in search_words(query) if not word.isdigit())[:6]
    # The code without its QN- ("HTY8-TARE"), or a name of one word: both are tried.
    tail = tuple(find_order_codes(f"QN{query}")) if _CODE_TAIL.fullmatch(query) else ()
    return Clues(name_words=words, phones=phones, codes=tail)


def clues_from_transfer(row: Payment) -> Clues:
    """A transfer's own clues: its amount, and the names, phones and codes its content may hold."""
    content = ledger.details_of(row).get("content", "") or ""
    return Clues(
        amount_vnd=row.amount_vnd,
        text=search_document(content),
        phones=tuple(dict.fromkeys(phone_digits(found) for found in _PHONE_IN_TEXT.findall(content))),
        codes=tuple(find_order_codes(content)),
    )


def with_amount(clues: Clues, amount_vnd: int) -> Clues:
    """The same clues with the transfer's amount, so what the office typed ranks orders due that sum first."""
    return Clues(amount_vnd, clues.name_words, clues.text, clues.phones, clues.codes)


def find_candidates(clues: Clues, now: datetime, limit: int = MAX_RESULTS) -> list[Candidate]:
    """Waiting orders matching any clue, the most clues first, then the newest; at most `limit`."""
    if not clues:
        return []
    # Both read by the order's id alone (its index), per candidate: kind and state are sorted out in the
    # sum, so neither database scans every received payment through ix_payments_kind_state instead.
    counted = and_(Payment.kind == "payment", Payment.state == "received")
    received = (
        select(func.coalesce(func.sum(case((counted, Payment.amount_vnd), else_=0)), 0))
        .where(Payment.order_id == Order.id)
        .correlate(Order)
        .scalar_subquery()
    )
    due = Order.total_vnd - received
    last_reason = (
        select(OrderEvent.reason)
        .where(OrderEvent.order_id == Order.id)
        .order_by(OrderEvent.id.desc())
        .limit(1)
        .correlate(Order)
        .scalar_subquery()
    )
    expired = last_reason == EXPIRED
    tests = _tests(clues, due)
    recent = [test for kind, test in tests.items() if kind != "code"]
    found = [and_(Order.created_at >= now.astimezone(UTC) - LOOKBACK, or_(*recent))] if recent else []
    if "code" in tests:
        found.append(tests["code"])
    flags = [case((test, WEIGHTS[kind]), else_=0).label(kind) for kind, test in tests.items()]
    score = sum((case((test, WEIGHTS[kind]), else_=0) for kind, test in tests.items()), literal(0))
    rows = db.session.execute(
        select(Order, due.label("due"), case((Order.status == "cancelled", 1), else_=0).label("expired"), *flags)
        .where(or_(Order.status.in_(RESERVING_STATUSES), and_(Order.status == "cancelled", expired)), or_(*found))
        .order_by(score.desc(), Order.created_at.desc(), Order.id.desc())
        .limit(max(1, min(limit, MAX_RESULTS)))
    ).all()
    return [
        Candidate(
            code=row.Order.code,
            status=row.Order.status,
            expired=bool(row.expired),
            customer_name=row.Order.customer_name,
            customer_phone=row.Order.customer_phone,
            total_vnd=row.Order.total_vnd,
            due_vnd=int(row.due),
            created_at=row.Order.created_at,
            matched_by=tuple(kind for kind in WEIGHTS if kind in tests and getattr(row, kind)),
        )
        for row in rows
    ]


def _tests(clues: Clues, due) -> dict:
    """One SQL condition per kind of clue given (the name's words and the text are one kind)."""
    tests = {}
    if clues.codes:
        tests["code"] = Order.code.in_(clues.codes)
    if clues.phones:
        tests["phone"] = Order.buyer_phone_digits.in_(clues.phones)
    names = []
    if clues.name_words:  # every word the office typed begins a word of the name
        spaced = literal(" ", String) + Order.buyer_name_search
        names.append(and_(*(spaced.like(f"% {word}%") for word in clues.name_words)))
    if clues.text:  # a whole name of two words or more, found among the content's words
        pattern = literal("% ", String) + Order.buyer_name_search + literal(" %", String)
        names.append(and_(Order.buyer_name_search.like("% %"), literal(f" {clues.text} ", String).like(pattern)))
    if names:
        tests["name"] = or_(*names)
    if clues.amount_vnd:
        tests["amount"] = due == clues.amount_vnd
    return tests


def order_code(typed: str) -> str:
    """An order code as the office may type it (`qnabcdefgh`, ` qn-abcd-efgh `), written as orders carry it."""
    codes = find_order_codes(typed)
    return codes[0] if codes else typed.strip().upper()


@use_case
def match_transfer(principal: Principal, transfer_id: int, typed_code: str, now: datetime) -> str:
    """Put an unmatched transfer on the order it pays (the settlement's rules) and audit who did it; the outcome."""
    code = order_code(typed_code)
    outcome = settlement.assign_transfer(principal, transfer_id, code, now)
    row = db.session.get(Payment, transfer_id)
    record(principal, MATCHED, "payment", transfer_id, {
        "order_code": [None, code], "state": ["unmatched", "received"],
        "amount_vnd": [row.amount_vnd, row.amount_vnd], "outcome": [None, outcome],
    })  # fmt: skip
    return outcome


@dataclass(frozen=True)
class Match:
    """One transfer matched by hand, as the desk's history shows it."""

    at: datetime
    actor: str
    transfer_id: int
    order_code: str
    amount_vnd: int
    outcome: str


def recent_matches(limit: int = 20) -> list[Match]:
    """The latest transfers matched by hand, newest first, from the audit log."""
    entries = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == MATCHED).order_by(AuditEntry.id.desc()).limit(limit)
    )
    matches = []
    for entry in entries:
        changes = json.loads(entry.changes or "{}")
        matches.append(Match(
            at=entry.created_at, actor=entry.actor, transfer_id=entry.entity_id or 0,
            order_code=changes.get("order_code", [None, ""])[1], amount_vnd=changes.get("amount_vnd", [0, 0])[1],
            outcome=changes.get("outcome", [None, ""])[1],
        ))  # fmt: skip
    return matches
