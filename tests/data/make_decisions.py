"""Writes the decision lists the import tests read (run once; the files are committed).

Products, producers, localities and stars are the public ones of ../shared/data/ocop-quangninh-known.csv;
tax codes are made up with a valid check digit; decision numbers and dates are made up in the province's form.

    .venv/bin/python tests/data/make_decisions.py
"""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

from openpyxl import Workbook

HERE = Path(__file__).resolve().parent
HEADINGS = [
    "Tên sản phẩm",
    "Chủ thể",
    "Mã số thuế",
    "Địa phương",
    "Nhóm sản phẩm",
    "Hạng sao",
    "Số quyết định",
    "Ngày quyết định",
    "Giá (VND)",
    "Đơn vị tính",
    "Tồn kho",
]
BL, TL, BC, CP, DH, HH, VD = "Bình Liêu", "Tuệ Lâm", "Ba Chẽ", "Cẩm Phả", "Đầm Hà", "Hải Hà", "Vân Đồn"
# The 2022 list: what the office had before (two decisions of the province).
LIST_2022 = [
    [
        "Miến dong Bình Liêu",
        "Công ty CP Thương mại và Dịch vụ Bình Liêu",
        "5701123457",
        BL,
        "Thực phẩm chế biến",
        4,
        "1457/QĐ-UBND",
        "30/04/2022",
        "85.000",
        "gói 500 g",
        "120",
    ],
    [
        "Kẹo lạc hồng Chung Quy",
        "Cơ sở Chung Quy",
        "",
        "Tiên Yên",
        "Thực phẩm chế biến",
        3,
        "1457/QĐ-UBND",
        "30/04/2022",
        "45000",
        "hộp 300 g",
        "",
    ],
    [
        "Tinh dầu quế",
        "HTX Thảo mộc Tuệ Lâm",
        "5701987658",
        BL,
        "Tinh dầu, hương và sản phẩm khác từ dược liệu",
        3,
        "1457/QĐ-UBND",
        "30/04/2022",
        "120000",
        "lọ 50 ml",
        "30",
    ],
    [
        "Tinh dầu hồi",
        "HTX Thảo mộc Tuệ Lâm",
        "5701987658",
        BL,
        "Tinh dầu, hương và sản phẩm khác từ dược liệu",
        3,
        "1457/QĐ-UBND",
        "30/04/2022",
        "150000",
        "lọ 50 ml",
        "30",
    ],
    [
        "Rượu nấm lim xanh",
        "HTX Kinh doanh Dịch vụ Lâm sản ngoài gỗ Ba Chẽ",
        "5701555016",
        BC,
        "Rượu trắng",
        4,
        "3890/QĐ-UBND",
        "12/10/2022",
        "350000",
        "chai 500 ml",
        "40",
    ],
    [
        "Nước khoáng Quang Hanh có ga",
        "Công ty CP Nước khoáng Quang Hanh",
        "5701777026",
        CP,
        "Nước khoáng, nước uống đóng chai",
        4,
        "3890/QĐ-UBND",
        "12/10/2022",
        "12000",
        "chai 500 ml",
        "500",
    ],
]
# The 2025 list: re-ratings of 2022's products, the same products again, and new ones.
LIST_2025 = [
    [
        "Miến dong Bình Liêu",
        "Công ty CP Thương mại và Dịch vụ Bình Liêu",
        "5701123457",
        BL,
        "Thực phẩm chế biến",
        4,
        "2950/QĐ-UBND",
        "15/09/2025",
        "",
        "",
        "",
    ],
    [
        "Kẹo lạc hồng Chung Quy",
        "Cơ sở Chung Quy",
        "",
        "Tiên Yên",
        "Thực phẩm chế biến",
        4,
        "2950/QĐ-UBND",
        "15/09/2025",
        "",
        "",
        "",
    ],
    [
        "Tinh dầu quế",
        "HTX Thảo mộc Tuệ Lâm",
        "5701987658",
        BL,
        "Tinh dầu, hương và sản phẩm khác từ dược liệu",
        3,
        "1457/QĐ-UBND",
        "30/04/2022",
        "",
        "",
        "",
    ],
    [
        "Tinh dầu bưởi",
        "HTX Thảo mộc Tuệ Lâm",
        "5701987658",
        BL,
        "Tinh dầu, hương và sản phẩm khác từ dược liệu",
        3,
        "2950/QĐ-UBND",
        "15/09/2025",
        "110000",
        "lọ 50 ml",
        "25",
    ],
    [
        "Tinh dầu sả",
        "HTX Thảo mộc Tuệ Lâm",
        "5701987658",
        BL,
        "Tinh dầu, hương và sản phẩm khác từ dược liệu",
        3,
        "2950/QĐ-UBND",
        "15/09/2025",
        "90000",
        "lọ 50 ml",
        "25",
    ],
    [
        "Hương quế",
        "HTX Thảo mộc Tuệ Lâm",
        "5701987658",
        BL,
        "Tinh dầu, hương và sản phẩm khác từ dược liệu",
        3,
        "2950/QĐ-UBND",
        "15/09/2025",
        "60000",
        "hộp 100 nén",
        "",
    ],
    [
        "Trà hoa vàng Ba Chẽ",
        "Công ty CP Kinh doanh Lâm sản Đạp Thanh",
        "5701333038",
        BC,
        "Chè và sản phẩm từ chè",
        5,
        "377/QĐ-BNN-VPĐP",
        "17/01/2025",
        "1.200.000",
        "hộp 100 g",
        "15",
    ],
    [
        "Rượu ba kích Ba Chẽ",
        "HTX Kinh doanh Dịch vụ Lâm sản ngoài gỗ Ba Chẽ",
        "5701555016",
        BC,
        "Rượu trắng",
        4,
        "2950/QĐ-UBND",
        "15/09/2025",
        "420000",
        "chai 500 ml",
        "30",
    ],
    [
        "Nước khoáng Quang Hanh Fresh",
        "Công ty CP Nước khoáng Quang Hanh",
        "5701777026",
        CP,
        "Nước khoáng, nước uống đóng chai",
        4,
        "2950/QĐ-UBND",
        "15/09/2025",
        "10000",
        "chai 500 ml",
        "800",
    ],
    [
        "Trứng vịt biển Đồng Rui",
        "HTX Chăn nuôi và Dịch vụ Đồng Tiến",
        "5701444041",
        "Tiên Yên",
        "Nông sản, thủy sản tươi sống",
        4,
        "2950/QĐ-UBND",
        "15/09/2025",
        "5.000",
        "quả",
        "1000",
    ],
    [
        "Củ cải khô",
        "HTX Dịch vụ Nông nghiệp Tổng hợp Trường Sơn",
        "5701666051",
        DH,
        "Nông sản, thủy sản thô, sơ chế",
        3,
        "2950/QĐ-UBND",
        "15/09/2025",
        "80000",
        "túi 500 g",
        "",
    ],
    [
        "Chè Đường Hoa",
        "Công ty TNHH Thuấn Quỳnh",
        "5701222063",
        HH,
        "Chè và sản phẩm từ chè",
        4,
        "2950/QĐ-UBND",
        "15/09/2025",
        "",
        "",
        "",
    ],
    [
        "Nước mắm sá sùng Cái Rồng",
        "Công ty CP Thủy sản Cái Rồng",
        "5701888079",
        VD,
        "Gia vị",
        4,
        "2950/QĐ-UBND",
        "15/09/2025",
        "175000",
        "cặp chai 500 ml",
        "60",
    ],
    [
        "Gà Tiên Yên",
        "Hộ kinh doanh Hoàng Văn Cường",
        "",
        "Huyện Tiên Yên",
        "Nông sản, thủy sản tươi sống",
        3,
        "2950/QĐ-UBND",
        "15/09/2025",
        "180000",
        "kg",
        "",
    ],
]
# Every way a row is refused, and one good row (row numbers in the comments are the sheet's).
BAD_ROWS = [
    [
        "Củ cải phên",
        "HTX Dịch vụ Nông nghiệp Tổng hợp Trường Sơn",
        "5701666051",
        DH,
        "Nông sản, thủy sản thô, sơ chế",
        3,
        "2950/QĐ-UBND",
        "15/09/2025",
        "70000",
        "túi 500 g",
        "",
    ],  # 2: good
    [
        "Tinh dầu bưởi",
        "HTX Thảo mộc Tuệ Lâm",
        "5701987658",
        BL,
        "Tinh dầu, hương và sản phẩm khác từ dược liệu",
        6,
        "2950/QĐ-UBND",
        "15/09/2025",
        "",
        "",
        "",
    ],  # 3: stars
    [
        "Tinh dầu sả",
        "HTX Thảo mộc Tuệ Lâm",
        "5701987650",
        BL,
        "Tinh dầu, hương và sản phẩm khác từ dược liệu",
        3,
        "2950/QĐ-UBND",
        "15/09/2025",
        "",
        "",
        "",
    ],  # 4: check digit
    [
        "Mực ống Cô Tô khô",
        "Cơ sở Mực Cô Tô",
        "",
        "Hà Nội",
        "Nông sản, thủy sản thô, sơ chế",
        4,
        "2950/QĐ-UBND",
        "15/09/2025",
        "",
        "",
        "",
    ],  # 5: locality
    [
        "Nấm kim châm",
        "Công ty TNHH Long Hải",
        "",
        "Hạ Long",
        "Nấm các loại",
        4,
        "2950/QĐ-UBND",
        "15/09/2025",
        "",
        "",
        "",
    ],  # 6: group
    [
        "Nấm đùi gà",
        "Công ty TNHH Long Hải",
        "",
        "Hạ Long",
        "Nông sản, thủy sản tươi sống",
        4,
        "2950/QĐ-UBND",
        "15/09/2027",
        "",
        "",
        "",
    ],  # 7: future
    [
        "Củ cải phên",
        "HTX Dịch vụ Nông nghiệp Tổng hợp Trường Sơn",
        "5701666051",
        DH,
        "Nông sản, thủy sản thô, sơ chế",
        3,
        "2950/QĐ-UBND",
        "15/09/2025",
        "70000",
        "túi 500 g",
        "",
    ],  # 8: duplicate of 2
]


def write_csv(path: Path, rows: list[list], delimiter: str, bom: bool) -> None:
    with open(path, "w", newline="", encoding="utf-8-sig" if bom else "utf-8") as handle:
        writer = csv.writer(handle, delimiter=delimiter)
        writer.writerow(HEADINGS)
        writer.writerows(rows)


def write_xlsx(path: Path, rows: list[list], headings: list[str]) -> None:
    """Dates as date cells, stars and money as numbers, as Excel keeps them."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Danh sách"
    sheet.append(headings)
    for row in rows:
        day, month, year = (int(part) for part in row[7].split("/"))
        price = int(row[8].replace(".", "")) if row[8] else None
        stock = int(row[10]) if row[10] else None
        sheet.append([*row[:7], date(year, month, day), price, row[9] or None, stock])
        sheet.cell(row=sheet.max_row, column=8).number_format = "dd/mm/yyyy"
    workbook.save(path)


if __name__ == "__main__":
    write_csv(HERE / "quyet-dinh-2022.csv", LIST_2022, ",", bom=False)
    write_csv(HERE / "quyet-dinh-2025.csv", LIST_2025, ";", bom=True)
    write_csv(HERE / "quyet-dinh-loi.csv", BAD_ROWS, ";", bom=True)
    write_xlsx(HERE / "quyet-dinh-2025.xlsx", LIST_2025, HEADINGS)
    # The same list as another office's template names its columns (the page maps them once).
    other = [
        "Tên SP",
        "Tên chủ thể",
        "MST",
        "Huyện/TP",
        "Bộ sản phẩm",
        "Số sao",
        "QĐ số",
        "Ngày QĐ",
        "Giá bán",
        "ĐVT",
        "SL tồn",
    ]
    write_xlsx(HERE / "quyet-dinh-ten-cot-khac.xlsx", LIST_2025[:5], other)
