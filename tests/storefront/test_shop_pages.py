"""Seller information and policy pages (Decree 52/2013 as amended by 85/2021), linked from every page."""

import re

import pytest

from catalogue.config import ConfigError, load_config
from catalogue.payments import init_payments, payment_rails
from tests.payments.rail_helpers import use_rails

POLICY_PAGES = {
    "/gioi-thieu": "Giới thiệu người bán",
    "/chinh-sach/doi-tra": "Chính sách đổi trả và hoàn tiền",
    "/chinh-sach/van-chuyen": "Chính sách vận chuyển",
    "/chinh-sach/bao-mat": "Chính sách bảo mật thông tin",
    "/chinh-sach/thanh-toan": "Hình thức thanh toán",
}
OPERATOR_ENV = {
    "OPERATOR_NAME": "Công ty CP Đặc sản Hạ Long",
    "OPERATOR_ADDRESS": "12 Lê Thánh Tông, phường Hồng Gai, Quảng Ninh",
    "OPERATOR_HOTLINE": "0203 3822 222",
    "OPERATOR_EMAIL": "cskh@dacsanhalong.vn",
    "OPERATOR_REGISTRATION_NO": "5701234567",
    "OPERATOR_REGISTRATION_ISSUER": "Sở Tài chính tỉnh Quảng Ninh",
    "OPERATOR_REGISTRATION_DATE": "2019-03-15",
}


def _text(response) -> str:
    return re.sub(r"[ \t\n]+", " ", response.get_data(as_text=True))  # keeps the no-break space of prices


@pytest.mark.parametrize("path", ["/", "/products", "/cart", "/orders/lookup", *POLICY_PAGES])
def test_every_storefront_page_shows_the_seller_and_links_every_policy(client, path):
    html = _text(client.get(path))

    footer = html[html.index('<footer class="site-footer">') :]
    assert "Công ty TNHH Dữ liệu Mẫu OCOP (dữ liệu mẫu)" in footer
    assert 'href="tel:02030000000">0203 000 0000</a>' in footer
    assert 'href="mailto:hotro@example.com"' in footer
    assert "Giấy chứng nhận đăng ký doanh nghiệp số 0000000000 do Sở Tài chính tỉnh Quảng Ninh (mẫu) cấp" in footer
    assert 'data-testid="operator-sample"' in footer  # sample data says so
    for page in [*POLICY_PAGES, "/orders/lookup"]:
        assert f'href="{page}"' in footer
    assert 'class="lookup-link"' in html[: html.index("</header>")]


@pytest.mark.parametrize(("path", "title"), POLICY_PAGES.items())
def test_policy_pages_answer_in_vietnamese_and_in_english(client, path, title):
    response = client.get(path)

    assert response.status_code == 200
    assert f"<h1>{title}</h1>" in _text(response)
    with client.session_transaction() as session:
        session["lang"] = "en"
    english = _text(client.get(path))
    assert f"<h1>{title}</h1>" not in english
    assert 'lang="en"' in english


def test_the_operator_settings_replace_the_sample_and_the_sample_note_goes(monkeypatch, app):
    for name, value in OPERATOR_ENV.items():
        app.config[name] = value
    app.config["OPERATOR_IS_SAMPLE"] = False
    client = app.test_client()

    html = _text(client.get("/gioi-thieu"))

    assert "Công ty CP Đặc sản Hạ Long" in html and "12 Lê Thánh Tông, phường Hồng Gai, Quảng Ninh" in html
    assert 'href="tel:02033822222">0203 3822 222</a>' in html
    assert "Giấy chứng nhận đăng ký doanh nghiệp số 5701234567 do Sở Tài chính tỉnh Quảng Ninh cấp ngày" in html
    assert "operator-sample" not in html and "Mẫu" not in html


def _words(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.get_data(as_text=True).replace("\xa0", "~")))


def test_shipping_page_shows_the_zone_table_as_the_office_set_it(app):
    from sqlalchemy import update

    from catalogue.delivery.models import ShippingRate
    from catalogue.extensions import db

    html = _words(app.test_client().get("/chinh-sach/van-chuyen"))
    assert "Nội tỉnh đến 1 kg 30.000~₫" in html and "Liên miền đến 0,5 kg 38.000~₫" in html
    assert "Nội tỉnh mỗi kg tiếp theo +10.000~₫" in html and "Phụ phí đảo (đặc khu) đến 1 kg 15.000~₫" in html

    db.session.execute(update(ShippingRate).where(ShippingRate.zone == "other_region", ShippingRate.max_weight_g == 500)
                       .values(fee_vnd=41_000))  # fmt: skip
    db.session.commit()

    assert "Liên miền đến 0,5 kg 41.000~₫" in _words(app.test_client().get("/chinh-sach/van-chuyen"))


def test_returns_page_states_the_configured_window(app):
    app.config["RETURN_WINDOW_DAYS"] = 10

    html = _text(app.test_client().get("/chinh-sach/doi-tra"))

    assert "trong 10 ngày kể từ ngày nhận hàng" in html


def test_payment_page_lists_the_card_rail_the_checkout_offers(client):
    html = _text(client.get("/chinh-sach/thanh-toan"))

    assert re.findall(r'data-rail="(\w+)"', html) == ["stripe"]
    assert "giữ riêng cho bạn trong 15 phút" in html


def test_payment_page_lists_every_rail_the_checkout_offers_in_its_order(app):
    # given every rail on, ZaloPay too (it was missing from this page before its labels named it)
    use_rails(app, vnpay_url="http://127.0.0.1:9/vnpay", momo_url="http://127.0.0.1:9", ZALOPAY_APP_ID="2554",
              ZALOPAY_KEY1="key1", ZALOPAY_KEY2="key2", ZALOPAY_API_BASE="http://127.0.0.1:9")  # fmt: skip

    # when a shopper reads the payment page
    html = _text(app.test_client().get("/chinh-sach/thanh-toan"))

    # then it names each rail as the checkout does, in its order, with the rail's own words
    offered = ["vietqr", "vnpay", "momo", "zalopay", "stripe"]
    assert re.findall(r'data-rail="(\w+)"', html) == list(payment_rails().methods) == offered
    titles = re.findall(r'<li data-rail="\w+"> <h2>([^<]*)</h2>', html)
    assert titles == ["Chuyển khoản VietQR (mọi ngân hàng)", "VNPay", "Ví MoMo", "Ví ZaloPay",
                      "Thẻ quốc tế (Visa/Mastercard)"]  # fmt: skip
    assert "trang đơn hàng hiện mã VietQR" in html and "trang thanh toán của VNPay" in html
    assert "Hoàn tiền: Tiền được hoàn về ví MoMo đã dùng để thanh toán." in html
    assert "Hoàn tiền: Tiền được hoàn về ví ZaloPay đã dùng để thanh toán." in html


def test_payment_page_in_english_reads_the_rails_english_labels(app):
    # given VietQR and MoMo on, and a shopper reading English
    use_rails(app, momo_url="http://127.0.0.1:9", stripe=False)
    client = app.test_client()
    with client.session_transaction() as session:
        session["lang"] = "en"

    # when they read the payment page
    html = _text(client.get("/chinh-sach/thanh-toan"))

    # then the rails are named and described in the labels' English
    titles = re.findall(r'<li data-rail="\w+"> <h2>([^<]*)</h2>', html)
    assert titles == ["VietQR bank transfer (any bank)", "MoMo wallet"]
    assert "The money is refunded to the MoMo wallet you paid with." in html


def test_payment_page_of_a_shop_without_cards_lists_only_its_domestic_rails(app):
    use_rails(app, stripe=False)

    html = _text(app.test_client().get("/chinh-sach/thanh-toan"))

    assert re.findall(r'data-rail="(\w+)"', html) == ["vietqr"]
    assert "Stripe" not in html


def test_payment_page_without_a_configured_rail_says_online_payment_is_paused(app):
    app.config.update(PAYMENT_GATEWAY=None, STRIPE_API_BASE=None)
    init_payments(app)

    html = _text(app.test_client().get("/chinh-sach/thanh-toan"))

    assert 'data-rail="' not in html
    assert "tạm ngừng nhận thanh toán trực tuyến" in html


def test_privacy_page_names_what_checkout_collects_how_long_and_whom_to_ask(client):
    html = _text(client.get("/chinh-sach/bao-mat"))

    assert "Nghị định 13/2023/NĐ-CP" in html
    assert "họ và tên, email, số điện thoại, địa chỉ giao hàng" in html
    assert "10 năm" in html and "tối đa 30 ngày" in html
    assert "rút lại sự đồng ý" in html and "yêu cầu xoá" in html
    assert "hotro@example.com" in html and "72 giờ" in html


def test_sitemap_lists_the_seller_and_policy_pages(client):
    xml = client.get("/sitemap.xml").get_data(as_text=True)

    for path in POLICY_PAGES:
        assert f"<loc>http://shop.test{path}</loc>" in xml


def _production(monkeypatch, **operator):
    monkeypatch.setenv("CATALOGUE_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "k" * 32)
    monkeypatch.setenv("DATABASE_URL", "postgresql://db/x")
    monkeypatch.setenv("RATELIMIT_STORAGE_URI", "redis://127.0.0.1:6379/0")
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://ocop.example.vn")
    monkeypatch.setenv("STORAGE_URL", "s3://shop-media")
    monkeypatch.setenv("STORAGE_ENCRYPTION_KEY", "A" * 43 + "=")
    for name in ("STRIPE_SECRET_KEY", "STRIPE_PUBLISHABLE_KEY", "STRIPE_WEBHOOK_SECRET"):
        monkeypatch.setenv(name, "set-in-production")
    for name in OPERATOR_ENV:
        monkeypatch.delenv(name, raising=False)
    for name, value in operator.items():
        monkeypatch.setenv(name, value)


def test_production_refuses_to_start_without_the_operator_facts(monkeypatch, tmp_path):
    _production(monkeypatch, **{k: v for k, v in OPERATOR_ENV.items() if k != "OPERATOR_REGISTRATION_NO"})

    with pytest.raises(ConfigError, match="OPERATOR_REGISTRATION_NO must be set in production"):
        load_config(str(tmp_path))


def test_production_takes_the_operator_facts_and_marks_nothing_as_sample(monkeypatch, tmp_path):
    _production(monkeypatch, **OPERATOR_ENV)

    config = load_config(str(tmp_path))

    assert {name: config[name] for name in OPERATOR_ENV} == OPERATOR_ENV
    assert config["OPERATOR_IS_SAMPLE"] is False


def test_a_registration_date_that_is_not_a_date_is_refused(monkeypatch, tmp_path):
    monkeypatch.delenv("CATALOGUE_ENV", raising=False)
    monkeypatch.setenv("OPERATOR_REGISTRATION_DATE", "15/03/2019")

    with pytest.raises(ConfigError, match="OPERATOR_REGISTRATION_DATE"):
        load_config(str(tmp_path))


def test_development_marks_its_operator_facts_as_sample(monkeypatch, tmp_path):
    monkeypatch.delenv("CATALOGUE_ENV", raising=False)
    for name in OPERATOR_ENV:
        monkeypatch.delenv(name, raising=False)

    config = load_config(str(tmp_path))

    assert config["OPERATOR_IS_SAMPLE"] is True
    assert "(dữ liệu mẫu)" in config["OPERATOR_NAME"]
