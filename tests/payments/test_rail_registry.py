"""The registry of rails: every rail names itself, brings its labels, and fits the ledger's columns."""

from __future__ import annotations

import pytest

from catalogue.orders.models import Order
from catalogue.payments.models import Payment
from catalogue.payments.registry import KNOWN, NAMES, Rails, labels_of, rail_name
from tests.payments.payment_fakes import MOMO_TEST


@pytest.mark.parametrize("rail", KNOWN, ids=NAMES)
def test_every_known_rail_has_its_words_in_both_languages_and_fits_the_ledger(rail):
    assert len(rail.name) <= min(Payment.method.type.length, Order.payment_method.type.length)
    for text in (rail.labels.vi, rail.labels.en):
        assert text.name and text.description and text.how and text.refund
    assert rail.labels.brand and rail.labels.invoice
    assert rail.labels.vi != rail.labels.en


def test_the_checkout_offers_the_rails_in_the_registry_order():
    assert NAMES == ("vietqr", "vnpay", "momo", "zalopay", "stripe")
    rails = Rails.from_config(
        {"ZALOPAY_APP_ID": "2554", "ZALOPAY_KEY1": "k1", "ZALOPAY_KEY2": "k2", "MOMO_PARTNER_CODE": "P",
         "MOMO_ACCESS_KEY": MOMO_TEST["access_key"], "MOMO_SECRET_KEY": MOMO_TEST["secret_key"]}
    )  # fmt: skip
    assert rails.methods == ("momo", "zalopay")
    assert [rails.is_redirect_rail(name) for name in rails.methods] == [True, True]


def test_a_rail_switched_off_keeps_its_name_for_old_orders_and_an_unknown_one_shows_as_stored():
    assert rail_name("zalopay") == "Ví ZaloPay"
    assert rail_name("zalopay", "en") == "ZaloPay wallet"
    assert labels_of("bitcoin") is None and rail_name("bitcoin") == "bitcoin"


def test_rails_refuse_a_name_the_registry_does_not_know():
    with pytest.raises(ValueError, match="unknown payment rails: bitcoin"):
        Rails(bitcoin=object())
