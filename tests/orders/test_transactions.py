"""The use-case decorator: one commit on success, a full rollback on refusal, nested calls join."""

import pytest
from sqlalchemy import select

from catalogue.errors import InvalidInput
from catalogue.extensions import db
from catalogue.geography.models import Locality
from catalogue.transactions import use_case


def _add_locality(code: str) -> None:
    db.session.add(Locality(code=code, name=code, kind="city", sku_prefix=code[:2].upper() + "9", position=99))


@use_case
def _adds_then_refuses(code: str) -> None:
    _add_locality(code)
    db.session.flush()
    raise InvalidInput("refused", {"code": ["refused"]})


@use_case
def _adds(code: str) -> None:
    _add_locality(code)


@use_case
def _outer_refuses_after_inner(code: str) -> None:
    _adds(code)
    raise InvalidInput("refused after the inner use case", {})


def _codes() -> set[str]:
    return set(db.session.scalars(select(Locality.code)))


def test_a_use_case_that_returns_is_committed(app):
    with app.app_context():
        _adds("commit-me")
        db.session.rollback()  # nothing left pending: the commit already happened
        assert "commit-me" in _codes()


def test_a_refused_use_case_leaves_nothing_behind(app):
    with app.app_context():
        before = _codes()
        with pytest.raises(InvalidInput):
            _adds_then_refuses("refuse-me")
        assert _codes() == before


def test_a_nested_use_case_joins_the_outer_transaction(app):
    with app.app_context():
        before = _codes()
        with pytest.raises(InvalidInput):
            _outer_refuses_after_inner("inner")
        assert _codes() == before
