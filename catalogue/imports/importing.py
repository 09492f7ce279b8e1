"""Importing a decision list: every row planned, and in a real run written in a savepoint of its own.

A row lands whole or not at all; rows are committed in chunks, so a 5 000-row file shows its
progress and never holds the catalogue's revision counter for the whole run. Offices' imports are
rated at once (no review), without photos (the shop shows its placeholder until the producer adds
some) and with no stock unless the file gives it. Price, unit and stock are read for new products
only: a re-rating changes the certificate, never what the producer sells it for or has in stock.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy.exc import IntegrityError

from catalogue.accounts.principal import Principal
from catalogue.accounts.services import record
from catalogue.errors import DomainError, PermissionDenied
from catalogue.extensions import db
from catalogue.imports.columns import column_positions
from catalogue.imports.planning import CREATE, REFUSED, UNCHANGED, UPDATE, Plan, plan_row
from catalogue.imports.reading import Sheet
from catalogue.imports.rows import DecisionRow, Problem, read_row
from catalogue.imports.snapshot import Snapshot, load_snapshot
from catalogue.producers.models import Producer
from catalogue.products.certificates import number_key
from catalogue.products.models import Certificate, CertificateEvent, Product, expiry_for
from catalogue.text import search_document, slugify, sort_key, unique_slug
from catalogue.transactions import use_case

CHUNK_ROWS = 250
ACTIONS = (CREATE, UPDATE, UNCHANGED, REFUSED)


@dataclass
class Outcome:
    """What one row did (or would do), said for the office."""

    row: int
    action: str
    product: str = ""
    producer: str = ""
    note: str = ""
    problems: list[Problem] = field(default_factory=list)

    def as_dict(self) -> dict:
        """As stored in the import's report and shown on its page."""
        return {
            "row": self.row,
            "action": self.action,
            "product": self.product,
            "producer": self.producer,
            "note": self.note,
            "problems": [{"column": problem.column, "message": problem.message} for problem in self.problems],
        }

    def describe(self) -> str:
        """One line for the command line: `Dòng 7 · từ chối · cột “Hạng sao”: …`."""
        label = {CREATE: "thêm mới", UPDATE: "cập nhật", UNCHANGED: "không đổi", REFUSED: "từ chối"}[self.action]
        text = "; ".join(f"cột “{problem.column}”: {problem.message}" for problem in self.problems) or self.note
        return f"Dòng {self.row} · {label} · {self.product or '—'}: {text}"


@dataclass
class ImportReport:
    """Every row's outcome, in the sheet's order, and how many of each."""

    dry_run: bool
    outcomes: list[Outcome]

    @property
    def counts(self) -> dict[str, int]:
        counted = Counter(outcome.action for outcome in self.outcomes)
        return {action: counted.get(action, 0) for action in ACTIONS}


def import_decisions(
    principal: Principal,
    sheet: Sheet,
    today: date,
    *,
    dry_run: bool,
    mapping: dict | None = None,
    progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """Import (or, dry, only plan) every row of `sheet`; SheetRefused before any write when its headings are wrong.

    `progress(rows done)` runs inside each chunk's transaction (a job row it updates commits with the chunk).
    """
    if not principal.is_admin:
        raise PermissionDenied("Chỉ văn phòng OCOP được nhập danh sách quyết định công nhận.")
    positions = column_positions(sheet.headings, mapping)
    snapshot, seen, outcomes = load_snapshot(), {}, []
    for start in range(0, len(sheet.rows), CHUNK_ROWS):
        chunk = sheet.rows[start : start + CHUNK_ROWS]
        if dry_run:
            outcomes.extend(_plan_only(number, cells, positions, snapshot, seen, today) for number, cells in chunk)
            if progress:
                progress(start + len(chunk))
        else:
            outcomes.extend(
                _import_chunk(principal, chunk, positions, snapshot, seen, today, progress, start + len(chunk))
            )
    return ImportReport(dry_run=dry_run, outcomes=outcomes)


def _plan_only(number: int, cells: list, positions, snapshot: Snapshot, seen, today: date) -> Outcome:
    plan = _plan(number, cells, positions, snapshot, seen, today)
    if isinstance(plan, Outcome):
        return plan
    if plan.action == CREATE:  # later rows of the file see what this one would create, as the real run would
        producer_ref = plan.producer_ref or ("row", number)
        if plan.producer_ref is None:
            snapshot.add_producer(producer_ref, plan.row.producer, plan.place.id, plan.row.tax_code)
        snapshot.add_product(producer_ref, plan.row.name, ("row", number))
    return _outcome(plan)


@use_case
def _import_chunk(principal, chunk, positions, snapshot, seen, today, progress, done) -> list[Outcome]:
    """One transaction for up to CHUNK_ROWS rows, each in its own savepoint."""
    outcomes = []
    for number, cells in chunk:
        plan = _plan(number, cells, positions, snapshot, seen, today)
        if isinstance(plan, Outcome):
            outcomes.append(plan)
            continue
        if plan.action in (CREATE, UPDATE):
            try:
                with db.session.begin_nested():
                    written = _write(principal, plan, snapshot)
            except (IntegrityError, DomainError) as error:
                reason = getattr(error, "message", None) or "dữ liệu trùng với một bản ghi vừa được ghi"
                outcomes.append(_refused(plan.row, [Problem("", f"Không ghi được dòng này: {reason}. Hãy nhập lại.")]))
                continue
            _remember(snapshot, plan, *written)
        outcomes.append(_outcome(plan))
    if progress:
        progress(done)
    return outcomes


def _plan(number, cells, positions, snapshot, seen, today) -> Plan | Outcome:
    row = read_row(number, cells, positions, today)
    if isinstance(row, list):
        return Outcome(number, REFUSED, _cell(cells, positions, "name"), _cell(cells, positions, "producer"), "", row)
    plan = plan_row(row, snapshot, seen)
    return _refused(row, plan) if isinstance(plan, list) else plan


def _write(principal: Principal, plan: Plan, snapshot: Snapshot) -> tuple[int, int, Certificate]:
    """Write the plan in one flush (producer and product when new, the certificate); (producer id, product id, it).

    The rating is set here rather than by certificates.refresh_rating, which would load every certificate the
    product holds: the snapshot knows them, and the new one rates the product when none was issued later.
    """
    row = plan.row
    producer = _new_producer(row, plan, snapshot) if plan.producer_ref is None else None
    if plan.product_ref is None:
        product = _new_product(row, plan, producer, snapshot)
    else:
        product = db.session.get(Product, plan.product_ref[1])
    certificate = Certificate(
        product=product,
        stars=row.stars,
        certificate_no=row.decision_no,
        issuing_level="central" if row.stars == 5 else "province",  # who certifies what since 07/2025
        issued_on=row.decision_date,
        expires_on=expiry_for(row.decision_date),
    )
    summary = f"{row.stars}★ {row.decision_no} {row.decision_date}"
    certificate.events.append(
        CertificateEvent(
            action="recorded",
            reason=f"Nhập từ danh sách quyết định, dòng {row.number}",
            changes=json.dumps({"certificate": [None, summary]}, ensure_ascii=False),
            actor_user_id=principal.user_id,
            actor=principal.label,
        )
    )
    held = snapshot.certificates.get(product.id, []) if plan.product_ref else []
    if all(issued_on <= row.decision_date for _, issued_on, _ in held):
        product.current_certificate = certificate
    db.session.add(certificate)
    db.session.flush()
    if producer is not None:
        changes = {"name": [None, row.producer], "row": [None, row.number]}
        record(principal, "producer.create", "producer", producer.id, changes)
    action = "product.import" if plan.product_ref is None else "certificate.add"
    record(principal, action, "product", product.id, {"certificate": [None, summary], "row": [None, row.number]})
    db.session.flush()
    return product.producer_id, product.id, certificate


def _new_producer(row: DecisionRow, plan: Plan, snapshot: Snapshot) -> Producer:
    producer = Producer(
        slug=unique_slug(slugify(row.producer), snapshot.producer_slugs),
        name=row.producer,
        legal_form=_legal_form(row.producer),
        tax_code=row.tax_code,
        locality_id=plan.place.id,
        name_sort_key=sort_key(row.producer),
    )
    db.session.add(producer)
    return producer


def _new_product(row: DecisionRow, plan: Plan, producer: Producer | None, snapshot: Snapshot) -> Product:
    producer_name = snapshot.producer_names.get(plan.producer_ref, row.producer) if plan.producer_ref else row.producer
    product = Product(
        sku=snapshot.next_sku(plan.place),
        slug=unique_slug(slugify(row.name), snapshot.product_slugs),
        name=row.name,
        description="",
        unit=row.unit,
        price_vnd=row.price_vnd or 0,
        stock=row.stock or 0,
        # On sale at once when the file gives a price; else a draft the producer prices first.
        status="active" if row.price_vnd else "draft",
        review_status="approved",
        rejection_reason="",
        category_id=plan.category[0],
        locality_id=plan.place.id,
        version=1,
        # What catalogue.products.services.refresh_derived_fields computes, from the names already at hand.
        search_name=search_document(row.name),
        search_text=search_document(row.name, producer_name, plan.place.name, plan.category[1]),
        name_sort_key=sort_key(row.name),
    )
    if producer is not None:
        product.producer = producer
    else:
        product.producer_id = plan.producer_ref[1]
    db.session.add(product)
    return product


def _remember(snapshot: Snapshot, plan: Plan, producer_id: int, product_id: int, certificate: Certificate) -> None:
    """What the row wrote joins the snapshot, once its savepoint is released."""
    row = plan.row
    if plan.producer_ref is None:
        snapshot.add_producer(("id", producer_id), row.producer, plan.place.id, row.tax_code)
    if plan.product_ref is None:
        snapshot.add_product(("id", producer_id), row.name, ("id", product_id))
    snapshot.certificates.setdefault(product_id, []).append((number_key(row.decision_no), row.decision_date, row.stars))


def _legal_form(name: str) -> str:
    words = search_document(name)
    if words.startswith("cong ty") or " cong ty " in f" {words} ":
        return "company"
    if words.startswith(("htx", "hop tac xa")):
        return "cooperative"
    return "household"


def _outcome(plan: Plan) -> Outcome:
    return Outcome(plan.row.number, plan.action, plan.row.name, plan.row.producer, plan.note)


def _refused(row: DecisionRow, problems: list[Problem]) -> Outcome:
    return Outcome(row.number, REFUSED, row.name, row.producer, "", problems)


def _cell(cells: list, positions: dict[str, int], name: str) -> str:
    index = positions.get(name)
    value = cells[index] if index is not None and index < len(cells) else None
    return "" if value is None else str(value)[:200]
