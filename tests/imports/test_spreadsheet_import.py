"""Importing the OCOP rating decisions (issue 26, contract §8): rows created, re-rated, unchanged, refused."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from catalogue.accounts.models import AuditEntry
from catalogue.extensions import db
from catalogue.imports.columns import HEADINGS
from catalogue.imports.reading import MAX_UNPACKED_BYTES, SheetRefused
from catalogue.producers.models import Producer
from catalogue.products.models import Certificate, CertificateEvent, Product
from tests.imports.spreadsheet_helpers import DATA, actions, dump_database, reference_data, run


@pytest.fixture
def office(app):
    reference_data()
    return app


def _product(name: str) -> Product:
    db.session.expire_all()
    return db.session.scalar(select(Product).where(Product.name == name))


def test_a_first_list_creates_producers_and_rated_products(office):
    report = run("quyet-dinh-2022.csv")

    assert report.counts == {"create": 6, "update": 0, "unchanged": 0, "refused": 0}
    noodles = _product("Miến dong Bình Liêu")
    assert (noodles.sku, noodles.price_vnd, noodles.unit, noodles.stock) == ("QN-BL-0001", 85000, "gói 500 g", 120)
    assert (noodles.status, noodles.review_status, noodles.images) == ("active", "approved", [])
    assert noodles.locality.code == "binh-lieu" and noodles.category.code == "thuc-pham-che-bien"
    certificate = noodles.current_certificate
    assert (certificate.stars, certificate.certificate_no, certificate.issuing_level) == (4, "1457/QĐ-UBND", "province")
    assert (certificate.issued_on, certificate.expires_on) == (date(2022, 4, 30), date(2025, 4, 30))
    assert noodles.search_name == "mien dong binh lieu"
    candy = _product("Kẹo lạc hồng Chung Quy")
    assert candy.stock == 0  # the file gives none
    producers = {
        producer.name: (producer.legal_form, producer.tax_code) for producer in db.session.scalars(select(Producer))
    }
    assert producers == {
        "Công ty CP Thương mại và Dịch vụ Bình Liêu": ("company", "5701123457"),
        "Cơ sở Chung Quy": ("household", None),
        "HTX Thảo mộc Tuệ Lâm": ("cooperative", "5701987658"),
        "HTX Kinh doanh Dịch vụ Lâm sản ngoài gỗ Ba Chẽ": ("cooperative", "5701555016"),
        "Công ty CP Nước khoáng Quang Hanh": ("company", "5701777026"),
    }
    assert db.session.scalar(select(func.count(Product.id)).where(Product.producer_id == noodles.producer_id)) == 1


def test_the_next_list_re_rates_creates_and_keeps_what_it_already_says(office):
    run("quyet-dinh-2022.csv")

    report = run("quyet-dinh-2025.csv")

    assert report.counts == {"create": 11, "update": 2, "unchanged": 1, "refused": 0}
    assert actions(report)[:3] == [
        (2, "update", "Miến dong Bình Liêu"),
        (3, "update", "Kẹo lạc hồng Chung Quy"),
        (4, "unchanged", "Tinh dầu quế"),
    ]
    assert report.outcomes[1].note == "Xếp hạng lại: 3 sao → 4 sao theo quyết định 2950/QĐ-UBND (15/09/2025)."
    # The new products join the producers the 2022 list created, matched by tax code or by name and locality.
    assert db.session.scalar(select(func.count(Producer.id))) == 5 + 6
    wine = _product("Rượu ba kích Ba Chẽ")
    assert wine.producer.name == "HTX Kinh doanh Dịch vụ Lâm sản ngoài gỗ Ba Chẽ"
    tea = _product("Trà hoa vàng Ba Chẽ")
    assert (tea.current_certificate.stars, tea.current_certificate.issuing_level, tea.price_vnd) == (
        5,
        "central",
        1200000,
    )
    chicken = _product("Gà Tiên Yên")
    assert chicken.locality.code == "tien-yen"  # "Huyện Tiên Yên" is Tiên Yên
    unpriced = _product("Chè Đường Hoa")
    assert (unpriced.status, unpriced.price_vnd, unpriced.current_certificate.stars) == ("draft", 0, 4)


def test_a_re_rated_product_keeps_its_certificate_history(office):
    run("quyet-dinh-2022.csv")

    run("quyet-dinh-2025.csv")

    candy = _product("Kẹo lạc hồng Chung Quy")
    history = [(c.stars, c.certificate_no, c.issued_on, c.withdrawn_at) for c in candy.certificates]
    assert history == [(3, "1457/QĐ-UBND", date(2022, 4, 30), None), (4, "2950/QĐ-UBND", date(2025, 9, 15), None)]
    assert candy.current_certificate.issued_on == date(2025, 9, 15)
    assert (candy.rating_on(date(2026, 11, 21)).stars, candy.version >= 1) == (4, True)
    events = db.session.scalars(
        select(CertificateEvent.action, CertificateEvent.reason)
        .join(Certificate)
        .where(Certificate.product_id == candy.id)
        .order_by(CertificateEvent.id)
    ).all()
    assert events == ["recorded", "recorded"]
    assert (candy.price_vnd, candy.unit) == (45000, "hộp 300 g")  # a re-rating never changes what it sells for


def test_a_dry_run_changes_nothing_and_says_what_the_real_run_does(office):
    run("quyet-dinh-2022.csv")
    before = dump_database()

    dry = run("quyet-dinh-2025.csv", dry_run=True)

    assert dump_database() == before
    real = run("quyet-dinh-2025.csv")
    assert [(o.row, o.action, o.note) for o in dry.outcomes] == [(o.row, o.action, o.note) for o in real.outcomes]


def test_the_same_file_twice_changes_nothing_the_second_time(office):
    run("quyet-dinh-2022.csv")
    run("quyet-dinh-2025.csv")
    before = dump_database()

    again = run("quyet-dinh-2025.csv")

    assert again.counts == {"create": 0, "update": 0, "unchanged": 14, "refused": 0}
    assert dump_database() == before


def test_the_xlsx_reads_as_the_csv(office):
    run("quyet-dinh-2022.csv")

    report = run("quyet-dinh-2025.xlsx")

    assert report.counts == {"create": 11, "update": 2, "unchanged": 1, "refused": 0}
    assert _product("Trứng vịt biển Đồng Rui").price_vnd == 5000


def test_bad_rows_are_refused_with_row_column_and_reason_and_good_rows_land(office):
    audit_before = db.session.scalar(select(func.count(AuditEntry.id)))

    report = run("quyet-dinh-loi.csv")

    refused = {o.row: [(p.column, p.message) for p in o.problems] for o in report.outcomes if o.action == "refused"}
    assert [(o.row, o.action) for o in report.outcomes if o.action != "refused"] == [(2, "create")]
    assert refused == {
        3: [("Hạng sao", "Hạng sao “6” không hợp lệ: chỉ 3, 4 hoặc 5 sao.")],
        4: [
            (
                "Mã số thuế",
                "Mã số thuế “5701987650” không hợp lệ (sai chữ số kiểm tra hoặc không đủ 10 chữ số).",
            )
        ],
        5: [
            (
                "Địa phương",
                "Địa phương “Hà Nội” không có trong danh sách địa phương của Quảng Ninh "
                "(ví dụ: Hạ Long, Bình Liêu, Quảng Yên).",
            )
        ],
        6: [
            (
                "Nhóm sản phẩm",
                "Nhóm sản phẩm “Nấm các loại” không có: ghi tên bộ sản phẩm OCOP như danh mục "
                "(ví dụ: Gia vị; Chè và sản phẩm từ chè).",
            )
        ],
        7: [("Ngày quyết định", "Ngày quyết định 15/09/2027 ở tương lai (hôm nay 21/11/2026).")],
        8: [("Tên sản phẩm", "Trùng với dòng 2: cùng chủ thể và tên sản phẩm.")],
    }
    assert [p.name for p in db.session.scalars(select(Product))] == ["Củ cải phên"]
    assert db.session.scalar(select(func.count(Producer.id))) == 1
    # Only the good row's writes: its producer and its product.
    assert db.session.scalar(select(func.count(AuditEntry.id))) == audit_before + 2


def test_a_fixed_file_imported_again_changes_only_the_fixed_rows(office):
    run("quyet-dinh-loi.csv")
    from tests.imports.spreadsheet_helpers import fixture_bytes

    fixed = fixture_bytes("quyet-dinh-loi.csv").decode("utf-8-sig").replace(";6;", ";3;")

    report = run(fixed.encode())

    assert [(o.row, o.action) for o in report.outcomes][:2] == [(2, "unchanged"), (3, "create")]
    assert report.counts["create"] == 1


def _csv(rows: int) -> bytes:
    heading = "Tên sản phẩm;Chủ thể;Mã số thuế;Địa phương;Nhóm sản phẩm;Hạng sao;Số quyết định;Ngày quyết định\n"
    line = "Sản phẩm {n};HTX Thử;;Bình Liêu;Gia vị;3;1/QĐ-UBND;01/02/2025\n"
    return (heading + "".join(line.format(n=n) for n in range(rows))).encode()


def _xlsx(rows: list[list], headings: list[str] | None = None) -> bytes:
    import io

    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(headings or list(HEADINGS.values()))
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _zip_of(name: str, content: bytes) -> bytes:
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(name, content)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"", "File trống: không có dòng nào để nhập."),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "File không phải bảng tính XLSX hay CSV."),
        ("Tên;Giá\n".encode("latin-1"), "File CSV không ở dạng UTF-8"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "File Excel 97–2003 (.xls) không đọc được"),
        (_zip_of("word/document.xml", b"<w/>"), "File ZIP này không phải bảng tính XLSX."),
        (b"PK\x03\x04 broken", "File không phải bảng tính XLSX hay CSV (không mở được)."),
        (_csv(0), "File trống: không có dòng sản phẩm nào dưới dòng tiêu đề."),
        (_csv(10_001), "File có hơn 10.000 dòng sản phẩm"),
        (_csv(100_000), "File có hơn 10.000 dòng sản phẩm"),
        ("Tên;Hạng sao\nMiến;4\n".encode(), "Thiếu cột: Tên sản phẩm, Chủ thể, Địa phương, Nhóm sản phẩm"),
    ],
    ids=["empty", "png", "not-utf8", "xls", "zip", "broken-zip", "headings-only", "10001", "100000", "columns"],
)
def test_a_file_that_cannot_be_read_is_refused_whole(office, content, reason):
    before = dump_database()

    with pytest.raises(SheetRefused) as refused:
        run(content)

    assert refused.value.message.startswith(reason)
    assert dump_database() == before


def test_a_zip_bomb_dressed_as_xlsx_is_refused_unread(office):
    bomb = _zip_of("xl/workbook.xml", b"\x00" * (MAX_UNPACKED_BYTES + 1))
    assert len(bomb) < 1_000_000

    with pytest.raises(SheetRefused, match="giải nén ra quá lớn"):
        run(bomb)


def test_formula_cells_are_read_as_their_text_never_evaluated(office):
    row = ['=HYPERLINK("http://x","Miến")', "HTX Thử", None, "Bình Liêu", "Gia vị", "=2+2", "1/QĐ-UBND", "01/02/2025"]

    report = run(_xlsx([row]))

    (outcome,) = report.outcomes
    assert (outcome.action, [(p.column, p.message) for p in outcome.problems]) == (
        "refused",
        [("Hạng sao", "Hạng sao “=2+2” không hợp lệ: chỉ 3, 4 hoặc 5 sao.")],
    )
    assert db.session.scalar(select(func.count(Product.id))) == 0


def test_a_date_cell_and_dd_mm_yyyy_text_and_a_semicolon_csv_read_alike(office):
    cell = run(_xlsx([["Miến", "HTX Thử", None, "Bình Liêu", "Gia vị", 4, "7/QĐ-UBND", date(2025, 2, 1)]]))
    db.session.rollback()

    text = run(_xlsx([["Miến", "HTX Thử", None, "Bình Liêu", "Gia vị", "4 sao", "7/QĐ-UBND", "01/02/2025"]]))

    assert [o.action for o in cell.outcomes + text.outcomes] == ["create", "unchanged"]
    assert _product("Miến").current_certificate.issued_on == date(2025, 2, 1)


def test_a_sheet_with_its_own_headings_is_read_through_the_mapping(office):
    mapping = {
        "name": "Tên SP",
        "producer": "Tên chủ thể",
        "tax_code": "MST",
        "locality": "Huyện/TP",
        "category": "Bộ sản phẩm",
        "stars": "Số sao",
        "decision_no": "QĐ số",
        "decision_date": "Ngày QĐ",
        "price": "Giá bán",
        "unit": "ĐVT",
        "stock": "SL tồn",
    }
    with pytest.raises(SheetRefused, match="Thiếu cột"):
        run("quyet-dinh-ten-cot-khac.xlsx")

    report = run("quyet-dinh-ten-cot-khac.xlsx", mapping=mapping)

    assert report.counts == {"create": 5, "update": 0, "unchanged": 0, "refused": 0}
    assert _product("Tinh dầu bưởi").stock == 25


def test_the_command_line_imports_and_dry_runs(office):
    runner = office.test_cli_runner()
    path = str(DATA / "quyet-dinh-2022.csv")

    dry = runner.invoke(args=["catalogue", "import", path, "--dry-run"])
    assert db.session.scalar(select(func.count(Product.id))) == 0
    real = runner.invoke(args=["catalogue", "import", path])
    refused = runner.invoke(args=["catalogue", "import", str(DATA / "make_decisions.py")])

    assert dry.exit_code == 0, dry.output
    assert "Dòng 2 · thêm mới · Miến dong Bình Liêu: Thêm sản phẩm (chủ thể mới), 4 sao" in dry.output
    assert "Chạy thử (không thay đổi gì): 6 thêm mới, 0 cập nhật, 0 không đổi, 0 từ chối." in dry.output
    assert "Đã nhập: 6 thêm mới, 0 cập nhật, 0 không đổi, 0 từ chối." in real.output
    assert db.session.scalar(select(func.count(Product.id))) == 6
    assert refused.exit_code == 1 and "File bị từ chối, không nhập gì: Thiếu cột" in refused.output
