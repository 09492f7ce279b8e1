"""Data tables for seed/generate_sample.py: places, real-product details and sample product lines.

Everything here except the place names and the products named in the known CSV
is invented sample material (see the docstring of generate_sample.py). The tables
are kept one entry a line, so they are exempt from line length and formatting.
"""

# ruff: noqa: E501

from __future__ import annotations

from dataclasses import dataclass

# fmt: off
# code: (name, SKU prefix, communes and wards as they were named before 07/2025)
LOCALITIES = {
    "ha-long": ("Hạ Long", "HL", ("phường Bãi Cháy", "phường Hồng Gai", "phường Hà Khẩu", "phường Giếng Đáy",
                                 "phường Hùng Thắng", "phường Cao Xanh", "phường Hà Tu", "phường Việt Hưng",
                                 "phường Hoành Bồ", "xã Thống Nhất", "xã Sơn Dương", "xã Quảng La", "xã Lê Lợi")),
    "cam-pha": ("Cẩm Phả", "CP", ("phường Cẩm Trung", "phường Cẩm Thành", "phường Cẩm Đông", "phường Quang Hanh",
                                 "phường Cửa Ông", "phường Mông Dương", "phường Cẩm Phú", "xã Cộng Hòa",
                                 "xã Cẩm Hải", "xã Dương Huy")),
    "uong-bi": ("Uông Bí", "UB", ("phường Quang Trung", "phường Thanh Sơn", "phường Phương Đông",
                                 "phường Phương Nam", "phường Vàng Danh", "phường Bắc Sơn", "phường Nam Khê",
                                 "phường Yên Thanh", "xã Thượng Yên Công")),
    "mong-cai": ("Móng Cái", "MC", ("phường Trần Phú", "phường Ka Long", "phường Hải Hòa", "phường Trà Cổ",
                                   "phường Bình Ngọc", "phường Ninh Dương", "phường Hải Yên", "xã Hải Xuân",
                                   "xã Vạn Ninh", "xã Hải Đông", "xã Quảng Nghĩa", "xã Hải Sơn")),
    "dong-trieu": ("Đông Triều", "DT", ("phường Mạo Khê", "phường Đông Triều", "phường Kim Sơn", "phường Xuân Sơn",
                                       "phường Đức Chính", "phường Hưng Đạo", "phường Hồng Phong", "phường Yên Thọ",
                                       "phường Tràng An", "xã An Sinh", "xã Bình Khê", "xã Tràng Lương",
                                       "xã Việt Dân", "xã Tân Việt", "xã Hồng Thái Tây")),
    "quang-yen": ("Quảng Yên", "QY", ("phường Quảng Yên", "phường Yên Giang", "phường Nam Hòa", "phường Hà An",
                                     "phường Phong Hải", "phường Tân An", "phường Đông Mai", "phường Minh Thành",
                                     "xã Sông Khoai", "xã Hiệp Hòa", "xã Cẩm La", "xã Liên Hòa", "xã Tiền An",
                                     "xã Hoàng Tân")),
    "van-don": ("Vân Đồn", "VD", ("thị trấn Cái Rồng", "xã Đông Xá", "xã Hạ Long", "xã Bình Dân", "xã Đài Xuyên",
                                 "xã Đoàn Kết", "xã Vạn Yên", "xã Quan Lạn", "xã Minh Châu", "xã Ngọc Vừng",
                                 "xã Bản Sen", "xã Thắng Lợi")),
    "binh-lieu": ("Bình Liêu", "BL", ("thị trấn Bình Liêu", "xã Hoành Mô", "xã Đồng Tâm", "xã Đồng Văn",
                                     "xã Lục Hồn", "xã Tình Húc", "xã Vô Ngại", "xã Húc Động")),
    "ba-che": ("Ba Chẽ", "BC", ("thị trấn Ba Chẽ", "xã Thanh Sơn", "xã Thanh Lâm", "xã Nam Sơn", "xã Đồn Đạc",
                               "xã Lương Mông", "xã Minh Cầm", "xã Đạp Thanh")),
    "tien-yen": ("Tiên Yên", "TY", ("thị trấn Tiên Yên", "xã Đông Ngũ", "xã Đông Hải", "xã Đồng Rui",
                                   "xã Hải Lạng", "xã Yên Than", "xã Phong Dụ", "xã Điền Xá", "xã Hà Lâu",
                                   "xã Đại Dực")),
    "dam-ha": ("Đầm Hà", "DH", ("thị trấn Đầm Hà", "xã Quảng Tân", "xã Quảng Lâm", "xã Quảng An", "xã Tân Bình",
                               "xã Tân Lập", "xã Đại Bình", "xã Dực Yên")),
    "hai-ha": ("Hải Hà", "HH", ("thị trấn Quảng Hà", "xã Quảng Long", "xã Quảng Thành", "xã Quảng Thịnh",
                               "xã Quảng Chính", "xã Quảng Minh", "xã Quảng Phong", "xã Quảng Sơn",
                               "xã Quảng Đức", "xã Đường Hoa", "xã Cái Chiên", "xã Tiến Tới")),
    "co-to": ("Cô Tô", "CT", ("thị trấn Cô Tô", "xã Đồng Tiến", "xã Thanh Lân")),
}
# fmt: on

# Share of the sample products per locality (sums to the 303 sample rows of the 2023 shape).
LOCALITY_WEIGHTS = {
    "ha-long": 30,
    "cam-pha": 16,
    "uong-bi": 24,
    "mong-cai": 22,
    "dong-trieu": 32,
    "quang-yen": 24,
    "van-don": 26,
    "binh-lieu": 22,
    "ba-che": 26,
    "tien-yen": 20,
    "dam-ha": 18,
    "hai-ha": 22,
    "co-to": 21,
}

# The known CSV leaves these producers' locality blank: best guess, flagged "locality inferred".
REAL_LOCALITY_GUESS = {
    "Công ty CP KT khoáng sản Thiên Thuận Tường": "ha-long",
    "Công ty CP Xây dựng và Sản xuất Bia - Rượu - NGK": "cam-pha",  # its water is named after Quang Hanh
    "HTX Việt Hoàng": "ha-long",
    "HTX Sản xuất Kinh doanh Dịch vụ Lê Minh": "van-don",
    "Công ty TNHH Long Hải": "quang-yen",
    "Công ty TNHH TM và SX Phương Thùy": "uong-bi",
}

# Seed-article rows that name a theme rather than a product.
SEED_ARTICLE_GENERIC = {"Nông sản Đông Triều", "Hải sản Cô Tô"}

# Real products whose producer the known CSV does not name: the sample line their invented producer makes.
UNNAMED_PRODUCER_TEMPLATE = {
    "Mực ống Cô Tô khô": "muc-kho-ct",
    "Cá duội Cô Tô": "hai-san-kho-ct",
    "Nước lọc tinh khiết Bình Liêu": "nuoc-loc-bl",
    "Ghẹ Trà Cổ": "ghe-mc",
    "Nước mắm Vân Đồn": "nuoc-mam-vd",
}

# fmt: off
# name or (name, producer): (category, unit, net weight g, price VND, description) — illustrative.
REAL_DETAILS = {
    "Ngọc trai Akoya": ("thu-cong-my-nghe", "chiếc (vòng cổ)", 45, 12_000_000,
                        "Vòng cổ xâu từ ngọc trai Akoya nuôi cấy trên vùng biển Hạ Long, hạt tròn đều, ánh xà cừ "
                        "trắng hồng. Sản phẩm kèm hộp quà; tránh để ngọc tiếp xúc với nước hoa và hóa chất."),
    "Ngọc trai Tahiti": ("thu-cong-my-nghe", "chiếc (vòng cổ)", 50, 18_000_000,
                         "Ngọc trai Tahiti mang sắc đen ánh xanh, tím tự nhiên, được tuyển chọn và xâu thủ công. "
                         "Lau nhẹ bằng khăn mềm sau mỗi lần đeo để giữ độ bóng."),
    "Ngọc trai Southsea": ("thu-cong-my-nghe", "chiếc (mặt dây chuyền)", 15, 20_000_000,
                           "Mặt dây chuyền đính một hạt ngọc trai Southsea cỡ lớn, sắc vàng óng, gắn trên chấu vàng "
                           "18K. Thích hợp làm quà tặng dịp trọng đại."),
    "Trà hoa vàng Quy Hoa": ("che", "hộp 100 g", 100, 1_200_000,
                             "Bông trà hoa vàng trồng tại Hải Hà được sấy khô giữ nguyên cánh và màu vàng tươi. "
                             "Mỗi lần hãm 2–3 bông với nước khoảng 90 °C, nước trà vàng óng, vị ngọt dịu."),
    "Trà hoa vàng Ba Chẽ": ("che", "hộp 100 g", 100, 1_500_000,
                            "Hoa trà hoa vàng hái dưới tán rừng Ba Chẽ vào mùa đông rồi sấy khô. Nước trà vàng "
                            "sóng sánh, thơm nhẹ, hậu ngọt; đựng hộp kín, để nơi khô ráo."),
    "Miến dong Bình Liêu": ("thuc-pham-che-bien", "gói 500 g", 500, 80_000,
                            "Miến làm từ tinh bột củ dong riềng Bình Liêu, sợi dai, màu trong nâu tự nhiên. Ngâm "
                            "nước ấm 5 phút rồi xào, nấu canh hoặc làm nem."),
    "Thịt lợn hương": ("thuc-pham-tuoi-song", "kg", 1000, 230_000,
                       "Thịt lợn hương thơm, thớ săn, bì mỏng; hợp luộc, nướng hoặc quay. Đóng khay và giữ lạnh "
                       "0–4 °C khi giao."),
    "Thịt lợn hướng nạc": ("thuc-pham-tuoi-song", "kg", 1000, 160_000,
                           "Thịt lợn nuôi theo hướng nhiều nạc, pha lọc theo từng phần thịt. Giao lạnh, nên chế "
                           "biến trong hai ngày."),
    "Rượu nấm lim xanh": ("do-uong-co-con-khac", "chai 500 ml", 500, 250_000,
                          "Rượu ngâm nấm lim xanh với rượu gạo chưng cất, màu hổ phách, vị đắng nhẹ. Không bán cho "
                          "người dưới 18 tuổi."),
    "Rượu ba kích Ba Chẽ": ("do-uong-co-con-khac", "chai 500 ml", 500, 220_000,
                            "Rượu ngâm củ ba kích tím Ba Chẽ với rượu nếp, màu đỏ tím, vị ngọt nhẹ. Không bán cho "
                            "người dưới 18 tuổi."),
    "Rượu ba kích đặc sản Quảng Ninh": ("do-uong-co-con-khac", "chai 750 ml", 750, 280_000,
                                        "Rượu ba kích đóng chai trên dây chuyền, màu đỏ tím, hậu ngọt. Ngon hơn khi "
                                        "uống lạnh; không bán cho người dưới 18 tuổi."),
    "Nước uống đóng chai Quang Hanh": ("nuoc-khoang", "chai 500 ml", 500, 6_000,
                                       "Nước uống đóng chai mang tên Quang Hanh, lọc và tiệt trùng trên dây chuyền "
                                       "khép kín."),
    "Nước khoáng Quang Hanh có ga": ("nuoc-khoang", "chai 500 ml", 500, 10_000,
                                     "Nước khoáng Quang Hanh bổ sung ga, vị khoáng đậm. Ngon nhất khi uống lạnh."),
    "Nước khoáng Quang Hanh Fresh": ("nuoc-khoang", "chai 500 ml", 500, 8_000,
                                     "Nước khoáng Quang Hanh không ga trong chai nhỏ, tiện mang theo khi đi làm, "
                                     "đi tập."),
    "Nước khoáng Quang Hanh Fresh vị chanh muối": ("nuoc-khoang", "chai 500 ml", 500, 10_000,
                                                   "Nước khoáng Quang Hanh pha vị chanh muối, giúp bù nước và khoáng "
                                                   "sau khi vận động."),
    "Rượu đông trùng hạ thảo Vietcor": ("do-uong-co-con-khac", "chai 500 ml", 500, 450_000,
                                        "Rượu ngâm nấm đông trùng hạ thảo nuôi cấy với rượu gạo, màu vàng cam. "
                                        "Không bán cho người dưới 18 tuổi."),
    "Trứng vịt biển Đồng Rui": ("thuc-pham-tuoi-song", "hộp 10 quả", 750, 60_000,
                                "Trứng của đàn vịt thả bãi triều rừng ngập mặn Đồng Rui, lòng đỏ to, màu cam đậm. "
                                "Luộc, chiên hay muối đều ngon."),
    "Rượu sim Quý Chuẩn": ("do-uong-co-con-khac", "chai 500 ml", 500, 150_000,
                           "Rượu ngâm từ quả sim rừng chín, màu tím đỏ, vị chát nhẹ và ngọt hậu. Không bán cho người "
                           "dưới 18 tuổi."),
    "Nấm kim châm": ("thuc-pham-tuoi-song", "gói 200 g", 200, 15_000,
                     "Nấm kim châm trồng trong phòng lạnh, sợi trắng, giòn. Dùng nhúng lẩu, xào hoặc cuộn thịt bò."),
    "Nấm đùi gà": ("thuc-pham-tuoi-song", "gói 300 g", 300, 30_000,
                   "Nấm đùi gà thân to, chắc, vị ngọt. Hợp xào, nướng bơ tỏi hoặc nấu canh."),
    "Mực ống Cô Tô khô": ("thuc-pham-so-che", "kg", 1000, 1_850_000,
                          "Mực ống câu ở vùng biển Cô Tô, phơi khô ngay trên đảo. Nướng than hoa, xé nhỏ chấm tương "
                          "ớt."),
    "Đông trùng hạ thảo khô Phương Thùy": ("duoc-lieu", "hộp 20 g", 20, 450_000,
                                           "Nấm đông trùng hạ thảo nuôi cấy trong phòng sạch rồi sấy khô, giữ màu "
                                           "vàng cam. Hãm 5–7 sợi với nước ấm hoặc cho vào món hầm."),
    "Chè Đường Hoa": ("che", "gói 200 g", 200, 90_000,
                      "Chè búp hái trên đồi chè Đường Hoa (Hải Hà), sao sấy ngay trong ngày. Nước chè xanh vàng, vị "
                      "chát dịu, hậu ngọt."),
    "Nước mắm sá sùng Cái Rồng": ("gia-vi", "hộp 2 chai 500 ml", 1000, 350_000,
                                  "Nước mắm cá cơm ủ chượp cùng sá sùng khô nên vị ngọt đậm, thơm. Dùng chấm trực "
                                  "tiếp hoặc nêm món xào, món canh."),
    "Nước lọc tinh khiết Bình Liêu": ("nuoc-khoang", "chai 500 ml", 500, 5_000,
                                      "Nước lấy từ nguồn đầu nguồn Bình Liêu, lọc RO và tiệt trùng bằng đèn UV "
                                      "trước khi đóng chai."),
    "Củ cải khô": ("thuc-pham-so-che", "gói 500 g", 500, 70_000,
                   "Củ cải vụ đông của Đầm Hà, thái sợi và phơi khô tự nhiên. Ngâm nở rồi xào, nộm hoặc muối chua."),
    "Củ cải phên": ("thuc-pham-so-che", "gói 500 g", 500, 75_000,
                    "Củ cải thái lát phơi trên phên tre theo cách làm truyền thống, khô đều và giòn. Thích hợp muối "
                    "dưa, kho thịt."),
    "Tinh dầu quế": ("tinh-dau-huong", "chai 10 ml", 10, 60_000,
                     "Tinh dầu chưng cất hơi nước từ vỏ và lá quế. Dùng xông phòng, đuổi muỗi; không uống."),
    "Tinh dầu hồi": ("tinh-dau-huong", "chai 10 ml", 10, 65_000,
                     "Tinh dầu chưng cất từ quả hồi, mùi thơm ấm. Nhỏ vào đèn xông hoặc pha loãng làm dầu xoa bóp."),
    "Tinh dầu bưởi": ("tinh-dau-huong", "chai 10 ml", 10, 55_000,
                      "Tinh dầu chưng cất từ vỏ bưởi, dùng pha nước ủ tóc hoặc xông phòng."),
    "Tinh dầu sả": ("tinh-dau-huong", "chai 10 ml", 10, 45_000,
                    "Tinh dầu sả mùi thơm mát, giúp đuổi muỗi và khử mùi phòng kín."),
    "Hương bài": ("tinh-dau-huong", "bó 100 nén", 300, 50_000,
                  "Hương làm từ cỏ hương bài và bột gỗ, se tay, cháy đều, thơm dịu và ít khói."),
    "Hương quế": ("tinh-dau-huong", "bó 100 nén", 300, 60_000,
                  "Hương làm từ bột vỏ quế, mùi thơm ấm, thích hợp thắp ngày rằm, mùng một."),
    "Kẹo lạc hồng Chung Quy": ("thuc-pham-che-bien", "hộp 300 g", 300, 50_000,
                               "Kẹo làm từ lạc đỏ rang và mạch nha, giòn, ngọt vừa phải. Món quà quê quen thuộc của "
                               "Tiên Yên."),
    "Gà Tiên Yên": ("thuc-pham-tuoi-song", "con", 1800, 350_000,
                    "Gà Tiên Yên chân vàng nuôi thả đồi, thịt chắc, da giòn. Ngon nhất khi luộc chấm muối tiêu chanh."),
    ("Ruốc hàu", "Công ty TNHH Hải sản Vân Đồn"): ("thuc-pham-che-bien", "hũ 200 g", 200, 150_000,
                                                  "Thịt hàu Vân Đồn hấp chín, sao khô đến khi tơi sợi. Ăn kèm cháo, "
                                                  "cơm nóng hoặc bánh mì."),
    ("Ruốc hàu", "Công ty TNHH SX và TM Thủy sản Quảng Ninh"): ("thuc-pham-che-bien", "hũ 150 g", 150, 120_000,
                                                              "Ruốc hàu sợi mịn, vị ngọt đậm của hàu biển, nêm "
                                                              "nhạt. Sau khi mở nắp nên giữ trong ngăn mát."),
    "Chả mực Hạ Long": ("thuc-pham-che-bien", "hộp 500 g", 500, 220_000,
                        "Chả mực giã tay từ mực tươi vùng vịnh, giòn dai, thơm. Rán vàng ăn với xôi hoặc bánh cuốn."),
    "Mực một nắng Cô Tô": ("thuc-pham-so-che", "kg", 1000, 700_000,
                           "Mực tươi phơi đúng một nắng trên đảo Cô Tô nên thịt mềm, ngọt. Nướng hoặc chiên sơ là "
                           "dùng được."),
    "Cá duội Cô Tô": ("thuc-pham-so-che", "gói 500 g", 500, 150_000,
                      "Cá duội đánh bắt gần bờ Cô Tô, phơi khô. Nướng giòn hoặc rim đường, hành phi."),
    "Ghẹ Trà Cổ": ("thuc-pham-tuoi-song", "kg", 1000, 500_000,
                   "Ghẹ đánh bắt ven biển Trà Cổ, chắc thịt, giao sống trong thùng giữ lạnh. Hấp sả hoặc rang me."),
    "Dầu lạc Hải Yến": ("thuc-pham-che-bien", "chai 1 lít", 920, 120_000,
                        "Dầu ép từ lạc nhân rang, lọc lắng tự nhiên, thơm mùi lạc. Dùng xào, rán hoặc trộn nộm."),
    "Nước mắm Vân Đồn": ("gia-vi", "chai 500 ml", 500, 110_000,
                         "Nước mắm cá cơm ủ chượp theo cách truyền thống ở Vân Đồn, màu cánh gián, vị ngọt hậu."),
}

STREETS = ("Trần Hưng Đạo", "Lê Lợi", "Nguyễn Văn Cừ", "Trần Phú", "Quang Trung", "Lê Thánh Tông", "Hùng Vương",
           "Nguyễn Du", "Bạch Đằng", "Ngô Quyền", "Lý Thường Kiệt", "Hoàng Quốc Việt", "Nguyễn Trãi", "Hai Bà Trưng")
PHONE_PREFIXES = ("032", "033", "034", "035", "036", "037", "038", "039", "056", "058", "070", "076", "077", "078",
                  "079", "081", "082", "083", "084", "085", "086", "088", "089", "090", "091", "093", "094", "096",
                  "097", "098", "099")
FAMILY_NAMES = ("Nguyễn", "Trần", "Lê", "Phạm", "Vũ", "Đặng", "Bùi", "Đỗ", "Ngô", "Phan", "Đinh", "Lương")
MOUNTAIN_FAMILY_NAMES = ("Hoàng", "Nông", "Lục", "Triệu", "Bàn", "Chíu", "Lỷ", "Vi", "Tằng", "Đặng", "Lý", "Voòng")
GIVEN_NAMES = {
    "f": ("Hoa", "Lan", "Hương", "Thu", "Hằng", "Nga", "Mai", "Liên", "Huyền", "Thảo", "Dung", "Yến", "Nhàn", "Tuyết"),
    "m": ("Tâm", "Hùng", "Dũng", "Hải", "Thắng", "Tuấn", "Quân", "Long", "Sơn", "Phúc", "Toàn", "Khải", "Bình"),
}
COMPANY_BRANDS = ("Phúc Lộc", "Hưng Thịnh", "An Khang", "Minh Anh", "Thành Đạt", "Quang Minh", "Hải Nam", "Việt Hải",
                  "Tân Phát", "Bảo Ngọc", "Đông Bắc", "Hoàng Gia", "Trường Phát", "Kim Long", "Sao Mai", "Hải Đăng",
                  "Ngọc Lan", "Thái An", "Gia Bảo", "Đức Tín", "Thiên Ân", "Minh Khang", "Hồng Phát", "Thanh Bình",
                  "Bình An", "Vạn Phúc", "Tâm Đức", "Lộc Phát", "Phú Hưng", "Nam Việt", "Trung Nghĩa", "Nhật Minh",
                  "Bảo An", "Phương Nam", "Hải Âu", "Sông Xanh", "Biển Bạc", "Thiên Phú", "Hùng Cường", "Tuấn Hưng",
                  "Đại Dương", "Kim Ngân", "Song Hà", "Lam Sơn", "Vĩnh Phát", "Hưng Long", "Ánh Dương", "Hoàng Minh",
                  "Tiến Đạt", "Quốc Bảo", "Phúc An", "Hà Anh", "Ngọc Bích", "Hải Phong", "Bắc Việt")
_FIRST = ("Thu", "Minh", "Lan", "Hương", "Ngọc", "Hồng", "Bích", "Kim", "Thanh", "Quang", "Đức", "Tiến", "Hoài",
          "Xuân", "Thùy", "Bảo", "Tùng", "Vân", "Ánh", "Mạnh", "Thúy", "Quốc")
_SECOND = ("Hằng", "Anh", "Giang", "Linh", "Hoa", "Mai", "Nhung", "Huy", "Hùng", "Nga", "Oanh", "Thành", "Tâm",
           "Trường", "Nguyệt", "Dung", "Trâm", "Vy", "Lâm", "Tuyết", "Khánh", "Lý")
# Trade names of household businesses ("Cơ sở Thu Hằng"); the real ones in the known CSV are left out.
HOUSEHOLD_BRANDS = tuple(
    f"{a} {b}" for a in _FIRST for b in _SECOND if a != b and f"{a} {b}" not in {"Mạnh Hà", "Hải Yến", "Phương Thùy"}
)
# Commune names that are also part of a real product or producer name: no invented HTX takes them.
NOT_A_BRAND = {"Ba Chẽ", "Bình Liêu", "Cái Rồng", "Cô Tô", "Hạ Long", "Quang Hanh", "Quảng Hà", "Quảng Yên",
               "Tiên Yên", "Trà Cổ", "Đông Triều", "Đường Hoa", "Đạp Thanh", "Đầm Hà", "Đồng Rui"}
# fmt: on

COMPANY_EXTRAS = (
    "Sản phẩm có tem truy xuất nguồn gốc và được bày bán tại các điểm giới thiệu sản phẩm OCOP trong tỉnh.",
    "Đơn vị tạo việc làm ổn định cho lao động địa phương, nhất là vào mùa vụ.",
    "Năm {year}, đơn vị đầu tư thêm nhà xưởng và máy đóng gói để nhận các đơn hàng lớn.",
    "Phần lớn người làm là phụ nữ địa phương.",
    "Ngoài bán lẻ, đơn vị cung cấp hàng cho nhà hàng, khách sạn và cửa hàng quà tặng du lịch.",
    "Từ năm {year}, sản phẩm được bán thêm qua các sàn thương mại điện tử.",
)

# Sentences any goods (not a tour) may end with, so that descriptions of one line differ.
GENERIC_DESCS = (
    "Mỗi sản phẩm có tem điện tử truy xuất nguồn gốc; quét mã QR trên bao bì để xem thông tin lô hàng.",
    "Sản phẩm có nguồn gốc từ {origin}, Quảng Ninh.",
)
# Public holidays on which no decision is signed: (month, day).
HOLIDAYS = {(1, 1), (4, 30), (5, 1), (9, 2)}


@dataclass(frozen=True)
class Template:
    """A sample product line: its names are `base` + a variant label (or the label alone when base is empty).

    A variant is (label, unit, net weight g, low, high price in thousand VND[, category override[, own sentence]]).
    forms: letters c (company), o (cooperative), h (household), repeated to weight the draw.
    """

    key: str
    loc: str
    category: str
    base: str
    forms: str
    industries: tuple[str, ...]
    focus: str
    variants: tuple[tuple, ...]
    descs: tuple[str, ...]
    premium: bool = False
    weight: int = 1
    fixed: bool = False  # exactly one producer making every variant (tourism, ornamental plants)
    pool: bool = True  # False: only for the invented producer of a real product
    places: tuple[str, ...] = ()


# fmt: off
T = Template
TEMPLATES = (
    # -- Hạ Long ---------------------------------------------------------------------------
    T("cha-muc-hl", "ha-long", "thuc-pham-che-bien", "Chả mực Hạ Long", "cchh", ("Thực phẩm", "Hải sản", "Chế biến Thủy sản"),
      "làm chả mực giã tay", (
          ("(hộp 500 g)", "hộp 500 g", 500, 190, 240),
          ("(hộp 1 kg)", "hộp 1 kg", 1000, 360, 460),
          ("giã tay (gói 300 g)", "gói 300 g", 300, 120, 160),
          ("chiên sẵn (hộp 500 g)", "hộp 500 g", 500, 220, 270, None, "Chả được rán sẵn, chỉ cần làm nóng lại bằng chảo hoặc nồi chiên không dầu."),
          ("viên thả lẩu (gói 500 g)", "gói 500 g", 500, 160, 200, None, "Chả viên tròn nhỏ, thả lẩu hoặc nấu canh rau cải đều ngon."),
      ), (
          "Chả được giã tay từ mực mai tươi đánh bắt ở vịnh Bái Tử Long nên giữ được độ giòn dai và vị ngọt tự nhiên.",
          "{maker} chỉ nêm chả bằng chút mỡ lợn, hạt tiêu và nước mắm, không dùng hàn the hay chất bảo quản.",
          "Rán vàng hai mặt trên lửa vừa, ăn kèm xôi trắng hoặc bánh cuốn là ngon nhất.",
          "Sản phẩm được cấp đông ngay sau khi nặn; bảo quản ở -18 °C và dùng trong 3 tháng.",
      ), premium=True, weight=3),
    T("cha-ca-hl", "ha-long", "thuc-pham-che-bien", "Chả cá thu Hạ Long", "ch", ("Thực phẩm", "Hải sản"),
      "làm chả cá và chả mực", (
          ("(gói 500 g)", "gói 500 g", 500, 150, 190),
          ("(hộp 1 kg)", "hộp 1 kg", 1000, 280, 350),
          ("vị thì là (gói 300 g)", "gói 300 g", 300, 95, 120),
      ), (
          "Cá thu tươi được lọc lấy thịt, xay nhuyễn rồi quết cùng thì là và hạt tiêu.",
          "Miếng chả dày, thơm mùi cá biển, thích hợp rán, nấu canh chua hoặc làm bún chả cá.",
          "Bảo quản ngăn đá; rã đông trong ngăn mát trước khi chế biến.",
      )),
    T("ngoc-trai-hl", "ha-long", "thu-cong-my-nghe", "", "c", ("Trang sức Ngọc trai", "Ngọc trai Biển"),
      "chế tác trang sức từ ngọc trai nuôi trên vùng biển Quảng Ninh", (
          ("Vòng cổ ngọc trai nước mặn Hạ Long (dài 45 cm)", "chiếc", 60, 5000, 12000),
          ("Bông tai bạc 925 đính ngọc trai Hạ Long", "đôi", 15, 1200, 2500),
          ("Nhẫn bạc đính ngọc trai Hạ Long", "chiếc", 10, 1000, 2200),
          ("Lắc tay ngọc trai Hạ Long", "chiếc", 30, 2500, 6000),
          ("Mặt dây chuyền ngọc trai vàng 18K Hạ Long", "chiếc", 12, 8000, 20000),
      ), (
          "Ngọc được nuôi cấy trên vùng biển Hạ Long, chọn hạt tròn đều, lớp xà cừ dày và ánh sáng trong.",
          "Phần kim loại là bạc 925 hoặc vàng 18K, được hoàn thiện thủ công tại xưởng.",
          "Sản phẩm kèm hộp quà và phiếu bảo hành; tránh để ngọc tiếp xúc với nước hoa, hóa chất.",
          "Lau nhẹ bằng khăn mềm sau khi đeo để giữ độ bóng của ngọc.",
      ), premium=True),
    T("sua-hl", "ha-long", "thuc-pham-so-che", "", "oh", ("Thủy sản", "Dịch vụ Thủy sản"),
      "sơ chế sứa biển theo mùa", (
          ("Sứa muối Hạ Long (túi 1 kg)", "túi 1 kg", 1000, 70, 100),
          ("Sứa ăn liền Hạ Long (túi 500 g)", "túi 500 g", 500, 55, 75),
          ("Nộm sứa Hạ Long (hộp 300 g)", "hộp 300 g", 300, 45, 65, "thuc-pham-che-bien", "Sứa đã trộn sẵn xoài xanh, lạc rang và rau thơm, ăn ngay trong ngày."),
      ), (
          "Sứa được vớt vào mùa sứa tháng Ba, sơ chế và muối phèn theo cách truyền thống của ngư dân vùng vịnh.",
          "Trước khi dùng chỉ cần rửa lại nước lạnh và chần qua là có thể trộn nộm.",
          "Sợi sứa trong, giòn sần sật, không tanh.",
      )),
    T("hai-san-kho-hl", "ha-long", "thuc-pham-so-che", "", "cchh", ("Hải sản", "Thương mại Hải sản"),
      "chế biến hải sản khô vùng vịnh", (
          ("Tôm nõn khô Hạ Long (gói 200 g)", "gói 200 g", 200, 180, 260),
          ("Cá chỉ vàng khô Hạ Long (gói 500 g)", "gói 500 g", 500, 140, 190),
          ("Mực khô Hạ Long loại 2 (gói 500 g)", "gói 500 g", 500, 700, 850),
          ("Cá mối khô Hạ Long (gói 500 g)", "gói 500 g", 500, 110, 150),
      ), (
          "Nguyên liệu là hải sản đánh bắt trong ngày ở vịnh Hạ Long và Bái Tử Long, phơi nắng rồi sấy lại cho khô đều.",
          "Sản phẩm không tẩm phẩm màu, đóng túi hút chân không để giữ hương vị.",
          "Dùng làm quà biếu hoặc chế biến các món rang, nướng, nấu canh.",
      ), weight=2),
    T("mat-ong-hb", "ha-long", "thuc-pham-so-che", "Mật ong rừng Hoành Bồ", "oh", ("Nuôi ong", "Nông lâm nghiệp"),
      "nuôi ong lấy mật dưới tán rừng", (
          ("(chai 500 ml)", "chai 500 ml", 700, 250, 350),
          ("(chai 1 lít)", "chai 1 lít", 1400, 450, 650),
          ("hoa keo (chai 500 ml)", "chai 500 ml", 700, 180, 240),
      ), (
          "Mật do đàn ong nội gác trên các cánh rừng keo, rừng tạp ở vùng núi Hoành Bồ.",
          "Mật sánh, màu hổ phách, thơm mùi hoa rừng; độ ẩm được hạ dưới 20% để bảo quản lâu.",
          "Pha với nước ấm và chanh buổi sáng hoặc dùng ngâm chanh, gừng.",
      ), places=("phường Hoành Bồ", "xã Thống Nhất", "xã Sơn Dương", "xã Quảng La", "xã Lê Lợi")),
    T("tranh-than-da-hl", "ha-long", "luu-niem-trang-tri", "Tranh than đá Hạ Long", "ch", ("Mỹ nghệ", "Tranh Than đá"),
      "làm tranh than đá thủ công", (
          ("vịnh Hạ Long (khổ 30x40 cm)", "bức", 1200, 450, 700),
          ("phong cảnh Bãi Cháy (khổ 40x60 cm)", "bức", 2000, 800, 1200),
          ("mini để bàn (khổ 15x20 cm)", "bức", 500, 180, 260),
      ), (
          "Tranh được gắn từ những mảnh than đá Quảng Ninh đã chọn lọc, phủ keo chống ẩm.",
          "Nghệ nhân xếp từng lớp than theo sắc độ để tạo chiều sâu cho núi đá và mặt nước.",
          "Thích hợp làm quà lưu niệm hoặc treo phòng khách; tránh treo nơi ẩm ướt.",
      )),
    T("lan-hl", "ha-long", "hoa-cay-canh", "Lan hồ điệp Hạ Long", "o", ("Hoa lan", "Nông nghiệp Công nghệ cao"),
      "trồng hoa lan trong nhà màng", (
          ("(chậu 3 cành)", "chậu", 3500, 900, 1500),
          ("(chậu 5 cành)", "chậu", 5500, 1600, 2500),
      ), (
          "Cây được nhân giống nuôi cấy mô và trồng trong nhà màng ở {place}.",
          "Mỗi chậu được cắm cọc, buộc dây và bọc giấy sẵn; hoa bền 2–3 tháng nếu đặt nơi thoáng mát.",
          "Tưới phun sương 2–3 lần mỗi tuần, không để đọng nước ở gốc.",
      ), fixed=True, places=("xã Thống Nhất", "xã Sơn Dương")),
    # -- Cẩm Phả ---------------------------------------------------------------------------
    T("nuoc-uong-cp", "cam-pha", "nuoc-khoang", "Nước uống tinh khiết Cẩm Phả", "c", ("Nước sạch", "Nước uống"),
      "sản xuất nước uống đóng chai, đóng bình", (
          ("(chai 500 ml)", "chai 500 ml", 500, 5, 8),
          ("(bình 20 lít)", "bình 20 lít", 20000, 45, 60, None, "Giao bình tận nhà trong nội thành Cẩm Phả; vỏ bình được thu hồi và vệ sinh."),
          ("(thùng 24 chai 350 ml)", "thùng 24 chai", 8400, 85, 110),
      ), (
          "Nước được lọc qua hệ thống RO nhiều cấp và tiệt trùng bằng đèn UV trước khi đóng chai.",
          "Dây chuyền chiết rót khép kín, nước được kiểm nghiệm định kỳ theo quy chuẩn nước uống đóng chai.",
          "Chai nhựa PET dùng một lần; bảo quản nơi thoáng mát, tránh ánh nắng trực tiếp.",
      )),
    T("tranh-than-da-cp", "cam-pha", "luu-niem-trang-tri", "Tranh than đá Cẩm Phả", "ch", ("Mỹ nghệ", "Mỹ nghệ Than đá"),
      "làm tranh và đồ lưu niệm từ than đá", (
          ("chân dung (khổ 40x50 cm)", "bức", 1600, 600, 1000),
          ("vịnh Bái Tử Long (khổ 50x70 cm)", "bức", 2500, 1000, 1600),
          ("thư pháp (khổ 30x60 cm)", "bức", 1300, 450, 800),
      ), (
          "Than từ các mỏ ở Cẩm Phả được đập, sàng theo cỡ hạt rồi gắn thủ công lên nền gỗ.",
          "Sắc đen, xám của than được phối để tạo khối và ánh sáng, không dùng sơn màu.",
          "Tranh được đóng khung gỗ và đóng gói chống va đập khi vận chuyển.",
      ), weight=2),
    T("ga-cp", "cam-pha", "thuc-pham-tuoi-song", "Gà đồi Dương Huy", "hhc", ("Chăn nuôi", "Nông nghiệp"),
      "nuôi gà thả đồi", (
          ("(con 1,5–2 kg)", "con", 1800, 280, 360),
          ("làm sạch (con 1,5 kg)", "con", 1500, 260, 330),
          ("ủ muối (con 1,2 kg)", "con", 1200, 290, 360, "thuc-pham-che-bien", "Gà được ủ muối hạt, lá chanh và gừng rồi hấp chín, ăn ngay sau khi hâm nóng."),
      ), (
          "Gà được thả vườn đồi, ăn ngô, thóc và rau xanh, nuôi trên 5 tháng mới xuất bán.",
          "Thịt chắc, da vàng giòn, hợp luộc, hấp lá chanh hoặc nấu cháo.",
          "Gà làm sạch được đóng túi hút chân không và giao lạnh trong ngày.",
      ), places=("xã Dương Huy",)),
    T("mat-ong-cp", "cam-pha", "thuc-pham-so-che", "", "ch", ("Nuôi ong", "Nông nghiệp"),
      "nuôi ong lấy mật", (
          ("Mật ong Cộng Hòa (chai 500 ml)", "chai 500 ml", 700, 200, 280),
          ("Mật ong Cộng Hòa (chai 1 lít)", "chai 1 lít", 1400, 380, 500),
          ("Sữa ong chúa Cộng Hòa (lọ 100 g)", "lọ 100 g", 100, 150, 220, None, "Sữa ong chúa được thu từ các đàn ong khỏe, bảo quản đông lạnh ngay sau khi lấy."),
      ), (
          "Mật được khai thác từ các đàn ong nuôi dưới tán rừng keo, rừng trám ở vùng đồi xã Cộng Hòa.",
          "Quay mật thủ công, lọc qua vải và để lắng tự nhiên, không pha đường.",
          "Bảo quản nơi khô ráo; mật kết tinh khi trời lạnh là hiện tượng tự nhiên.",
      ), places=("xã Cộng Hòa",)),
    T("hai-san-cp", "cam-pha", "thuc-pham-so-che", "", "ch", ("Hải sản", "Thủy sản"),
      "sơ chế hải sản một nắng", (
          ("Cá thu một nắng Cẩm Phả (kg)", "kg", 1000, 320, 400),
          ("Tôm khô Cẩm Hải (gói 300 g)", "gói 300 g", 300, 240, 320),
          ("Cá chỉ vàng tẩm vừng Cẩm Phả (gói 250 g)", "gói 250 g", 250, 80, 110, "thuc-pham-che-bien"),
      ), (
          "Hải sản được mua trực tiếp từ tàu cá cập bến ở Cẩm Phả, sơ chế và phơi trên giàn lưới cao.",
          "Cá một nắng thịt còn mềm, ngọt; chỉ cần rán hoặc nướng than là dùng được.",
          "Đóng túi hút chân không, bảo quản ngăn đá.",
      )),
    # -- Uông Bí ---------------------------------------------------------------------------
    T("mo-ub", "uong-bi", "thuc-pham-che-bien", "", "ooh", ("Nông sản", "Nông nghiệp"),
      "chế biến mơ Yên Tử", (
          ("Ô mai mơ Yên Tử (hộp 300 g)", "hộp 300 g", 300, 70, 95),
          ("Ô mai mơ gừng Yên Tử (hộp 500 g)", "hộp 500 g", 500, 110, 150),
          ("Mơ Yên Tử ngâm đường (hũ 1 kg)", "hũ 1 kg", 1000, 90, 130),
          ("Mơ Yên Tử sấy dẻo (gói 200 g)", "gói 200 g", 200, 55, 75),
      ), (
          "Mơ lông được hái vào tháng Tư trên sườn núi Yên Tử, khi quả vừa chín tới.",
          "Quả được rửa, ngâm muối rồi sên cùng đường phèn và gừng, phơi nắng nhiều lần cho dẻo.",
          "Vị chua ngọt, thơm mùi mơ; dùng làm quà hoặc nhâm nhi cùng trà.",
      ), weight=2, places=("xã Thượng Yên Công", "phường Phương Đông", "phường Vàng Danh")),
    T("ruou-mo-ub", "uong-bi", "do-uong-co-con-khac", "Rượu mơ Yên Tử", "cch", ("Đồ uống", "Rượu"),
      "ngâm rượu mơ", (
          ("(chai 500 ml)", "chai 500 ml", 500, 120, 180),
          ("(bình 2 lít)", "bình 2 lít", 2000, 380, 500),
          ("hộp quà (2 chai 375 ml)", "hộp 2 chai", 750, 300, 420),
      ), (
          "Rượu được ngâm từ mơ Yên Tử chín với rượu nếp cái chưng cất, ủ ít nhất 12 tháng.",
          "Màu vàng hổ phách, vị chua nhẹ, hậu ngọt; độ cồn khoảng 25%.",
          "Ngon hơn khi ướp lạnh; không dùng cho người dưới 18 tuổi và phụ nữ mang thai.",
      )),
    T("siro-mo-ub", "uong-bi", "do-uong-khong-con", "", "oh", ("Nông sản", "Thực phẩm"),
      "làm siro và nước mơ", (
          ("Siro mơ Yên Tử (chai 500 ml)", "chai 500 ml", 500, 70, 95),
          ("Siro mơ Yên Tử (chai 1 lít)", "chai 1 lít", 1000, 120, 160),
          ("Nước mơ Yên Tử pha sẵn (chai 330 ml)", "chai 330 ml", 330, 15, 22, None, "Nước mơ pha sẵn, ít ngọt, uống lạnh ngay."),
      ), (
          "Siro được ủ từ mơ tươi và đường phèn theo tỉ lệ một – một, không thêm hương liệu.",
          "Pha một phần siro với bốn phần nước lọc và đá để có cốc nước mơ giải nhiệt.",
          "Sau khi mở nắp nên bảo quản ngăn mát và dùng trong hai tháng.",
      )),
    T("che-ub", "uong-bi", "che", "Chè Yên Tử", "oh", ("Chè", "Nông nghiệp"),
      "trồng và chế biến chè", (
          ("búp xanh (gói 200 g)", "gói 200 g", 200, 90, 130),
          ("móc câu (hộp 500 g)", "hộp 500 g", 500, 220, 300),
          ("túi lọc (hộp 25 túi)", "hộp 25 túi", 50, 45, 65),
      ), (
          "Chè được trồng dưới chân núi Yên Tử, hái một tôm hai lá vào buổi sáng.",
          "Búp chè được sao, vò thủ công trên chảo gang nên nước xanh, vị chát dịu, hậu ngọt.",
          "Pha với nước khoảng 85 °C, hãm 3 phút; bảo quản nơi khô, tránh mùi lạ.",
      ), places=("xã Thượng Yên Công", "phường Phương Đông")),
    T("huong-ub", "uong-bi", "tinh-dau-huong", "Hương trầm Yên Tử", "ch", ("Hương", "Hương trầm"),
      "se hương trầm thủ công", (
          ("nén 30 cm (hộp 200 g)", "hộp 200 g", 200, 90, 140),
          ("không tăm (hộp 100 nén)", "hộp 100 nén", 150, 70, 110),
          ("viên nụ (hộp 50 viên)", "hộp 50 viên", 100, 60, 90),
      ), (
          "Hương được làm từ bột trầm, quế và bột gỗ bời lời, se tay và phơi khô tự nhiên.",
          "Không dùng hóa chất tạo mùi hay phẩm màu nên khói nhẹ, thơm dịu.",
          "Dùng thắp ngày rằm, mùng một hoặc xông phòng.",
      )),
    T("linh-chi-ub", "uong-bi", "duoc-lieu", "Nấm linh chi Yên Tử", "oc", ("Dược liệu", "Nấm"),
      "trồng nấm linh chi trong nhà lưới", (
          ("thái lát (gói 500 g)", "gói 500 g", 500, 350, 500),
          ("nguyên tai (hộp 1 kg)", "hộp 1 kg", 1000, 600, 900),
      ), (
          "Nấm được trồng trên phôi mùn cưa trong nhà lưới ở {place}, thu hái khi tai nấm đã phun bào tử.",
          "Nấm được sấy ở nhiệt độ thấp, giữ màu đỏ nâu và vị đắng đặc trưng.",
          "Dùng 5–10 g sắc với một lít nước, uống thay nước trong ngày.",
      )),
    T("mai-ub", "uong-bi", "hoa-cay-canh", "Cây mai vàng Yên Tử", "o", ("Cây cảnh", "Nông nghiệp"),
      "ươm và tạo dáng cây mai vàng", (
          ("(chậu cao 0,8 m)", "chậu", 12000, 1200, 2000),
          ("dáng bonsai (chậu gốm nhỏ)", "chậu", 4000, 800, 1500),
      ), (
          "Giống mai vàng năm cánh được nhân giống từ cây mẹ trên vùng núi Yên Tử.",
          "Cây được trồng trong chậu, tạo dáng và cắt tỉa nhiều năm tại vườn ở {place}.",
          "Đặt nơi có nắng, tưới đẫm khi mặt đất khô; nên đặt trước để chọn cây có nụ vào dịp Tết.",
      ), fixed=True, places=("xã Thượng Yên Công",)),
    # -- Móng Cái --------------------------------------------------------------------------
    T("ghe-mc", "mong-cai", "thuc-pham-tuoi-song", "Ghẹ xanh Trà Cổ", "oh", ("Thủy sản", "Dịch vụ Thủy sản"),
      "đánh bắt và kinh doanh ghẹ biển", (
          ("loại 1 (kg)", "kg", 1000, 450, 600),
          ("hấp chín (hộp 1 kg)", "hộp 1 kg", 1000, 500, 650, "thuc-pham-che-bien", "Ghẹ hấp chín được làm lạnh nhanh và đóng hộp xốp giữ nhiệt."),
          ("cỡ vừa (kg, 4–5 con)", "kg", 1000, 380, 480),
      ), (
          "Ghẹ được đánh bắt ven bờ biển Trà Cổ, chọn con chắc thịt, còn sống khi đóng thùng.",
          "Thịt ghẹ ngọt, gạch chắc; hấp sả hoặc rang me đều ngon.",
          "Thùng giữ lạnh đủ cho hành trình giao hàng trong ngày.",
      ), places=("phường Trà Cổ", "phường Bình Ngọc")),
    T("cha-mc", "mong-cai", "thuc-pham-che-bien", "", "chh", ("Thực phẩm", "Chế biến Thủy sản"),
      "làm chả ghẹ, chả cá theo công thức gia truyền", (
          ("Chả ghẹ Móng Cái (hộp 500 g)", "hộp 500 g", 500, 220, 280),
          ("Chả cá Móng Cái (gói 500 g)", "gói 500 g", 500, 140, 180),
          ("Chả tôm Trà Cổ (hộp 500 g)", "hộp 500 g", 500, 200, 260),
          ("Chả mực Móng Cái (hộp 500 g)", "hộp 500 g", 500, 190, 240),
      ), (
          "Thịt ghẹ, tôm, cá được gỡ thủ công trong ngày và quết cùng mỡ lợn, hành khô.",
          "Chả có màu vàng ươm sau khi rán, thơm và giòn mặt ngoài.",
          "Cấp đông và giao lạnh; rã đông rồi rán với lửa nhỏ.",
      ), weight=2),
    T("banh-gat-gu-mc", "mong-cai", "thuc-pham-che-bien", "Bánh gật gù Móng Cái", "hh", ("Bánh", "Thực phẩm"),
      "làm bánh gật gù", (
          ("(suất 10 cuốn)", "suất 10 cuốn", 400, 40, 60),
          ("nhân tôm (suất 10 cuốn)", "suất 10 cuốn", 450, 50, 70),
          ("bột pha sẵn (gói 1 kg)", "gói 1 kg", 1000, 45, 65, None, "Bột gạo pha sẵn theo tỉ lệ của cơ sở, chỉ cần thêm nước để tráng bánh tại nhà."),
      ), (
          "Bánh gật gù là món bánh tráng từ bột gạo quen thuộc của người Móng Cái, ăn cùng chả và nước chấm chua ngọt.",
          "Nhân gồm thịt lợn, mộc nhĩ và hành phi; bánh được tráng mỏng trên nồi hơi.",
          "Bánh nên dùng trong ngày; hấp nóng lại trước khi ăn.",
      )),
    T("lon-mc", "mong-cai", "thuc-pham-tuoi-song", "", "oc", ("Chăn nuôi", "Nông nghiệp"),
      "nuôi giống lợn Móng Cái", (
          ("Thịt ba chỉ lợn Móng Cái (kg)", "kg", 1000, 160, 200),
          ("Thịt nạc vai lợn Móng Cái (kg)", "kg", 1000, 150, 190),
          ("Sườn non lợn Móng Cái (kg)", "kg", 1000, 180, 230),
          ("Xúc xích lợn Móng Cái (gói 500 g)", "gói 500 g", 500, 110, 150, "thuc-pham-che-bien", "Xúc xích xông khói làm từ thịt nạc vai và mỡ gáy, không dùng phẩm màu."),
      ), (
          "Giống lợn Móng Cái được nuôi bằng cám gạo, rau và ngô tại trang trại ở {place}.",
          "Thịt hồng tươi, mỡ giòn, da mỏng, thích hợp luộc, quay hoặc kho.",
          "Thịt được pha lọc, đóng khay và bảo quản lạnh 0–4 °C.",
      ), places=("xã Hải Xuân", "xã Vạn Ninh", "xã Quảng Nghĩa", "xã Hải Đông")),
    T("mam-mc", "mong-cai", "gia-vi", "", "h", ("Thủy sản",),
      "làm mắm tôm, mắm ruốc", (
          ("Mắm tôm Trà Cổ (chai 300 g)", "chai 300 g", 300, 40, 60),
          ("Mắm ruốc Móng Cái (hũ 500 g)", "hũ 500 g", 500, 60, 90),
      ), (
          "Tôm moi và ruốc biển được trộn muối hạt, ủ chum sành và đảo đều mỗi ngày trong nhiều tháng.",
          "Mắm sánh mịn, màu tím hồng; dùng chấm thịt luộc, đậu rán hoặc nêm bún.",
          "Đậy kín nắp sau khi dùng.",
      )),
    # -- Đông Triều ------------------------------------------------------------------------
    T("gom-dt", "dong-trieu", "thu-cong-my-nghe", "", "cchh", ("Gốm sứ", "Sản xuất Gốm"),
      "làm gốm", (
          ("Bình hoa gốm men rạn Đông Triều (cao 40 cm)", "chiếc", 3000, 450, 800),
          ("Bộ ấm chén gốm Đông Triều (6 chén)", "bộ", 1500, 350, 650),
          ("Lọ lục bình gốm Đông Triều (cao 1 m)", "đôi", 30000, 6000, 12000),
          ("Chum gốm Đông Triều đựng rượu (10 lít)", "chiếc", 9000, 600, 900),
          ("Đèn xông tinh dầu gốm Đông Triều", "chiếc", 800, 150, 260),
          ("Bộ bát đĩa gốm men lam Đông Triều (10 món)", "bộ", 4000, 550, 900),
          ("Chậu gốm trồng cây Đông Triều (đường kính 30 cm)", "chiếc", 5000, 200, 350),
          ("Tượng gốm trang trí Đông Triều", "chiếc", 1200, 300, 600),
      ), (
          "Sản phẩm được tạo hình từ đất sét vùng Đông Triều và nung ở nhiệt độ trên 1.200 °C.",
          "{maker} tự pha men theo công thức riêng, nên mỗi sản phẩm có vân men không lặp lại.",
          "Gốm không chứa chì, có thể dùng trong gia đình hoặc làm quà tặng.",
          "Hàng được đóng thùng carton chèn xốp và kiểm tra kỹ trước khi giao.",
      ), weight=4),
    T("vai-dt", "dong-trieu", "thuc-pham-tuoi-song", "Vải chín sớm Đông Triều", "oh", ("Nông nghiệp", "Nông sản"),
      "trồng vải chín sớm", (
          ("(thùng 5 kg)", "thùng 5 kg", 5000, 180, 250),
          ("(kg)", "kg", 1000, 40, 60),
          ("sấy khô (gói 500 g)", "gói 500 g", 500, 120, 160, "thuc-pham-so-che", "Vải sấy khô giữ được vị ngọt đậm, dùng nấu chè hoặc ăn trực tiếp."),
      ), (
          "Vải được trồng trên đất đồi ở {place}, chín từ cuối tháng Năm, sớm hơn vải chính vụ vài tuần.",
          "Quả đỏ tươi, cùi dày, vị ngọt thanh; được hái vào sáng sớm và đóng thùng trong ngày.",
      )),
    T("thanh-long-dt", "dong-trieu", "thuc-pham-tuoi-song", "Thanh long ruột đỏ Đông Triều", "oh", ("Nông nghiệp", "Nông sản"),
      "trồng thanh long ruột đỏ", (
          ("(kg)", "kg", 1000, 30, 45),
          ("(hộp quà 4 quả)", "hộp 4 quả", 2000, 120, 160),
          ("sấy dẻo (gói 250 g)", "gói 250 g", 250, 60, 85, "thuc-pham-che-bien", "Thanh long được thái lát và sấy dẻo ở nhiệt độ thấp, không thêm đường."),
      ), (
          "Thanh long được trồng theo hướng VietGAP trên vùng đồi {place}.",
          "Quả to, vỏ đỏ tươi, ruột đỏ tím, ngọt mát; thu hái khi chín trên cây.",
          "Bảo quản ngăn mát tủ lạnh để giữ quả tươi khoảng một tuần.",
      )),
    T("mat-ong-dt", "dong-trieu", "thuc-pham-so-che", "Mật ong Đông Triều", "oh", ("Nuôi ong", "Nông nghiệp"),
      "nuôi ong lấy mật theo mùa hoa", (
          ("hoa vải (chai 500 ml)", "chai 500 ml", 700, 180, 250),
          ("hoa nhãn (chai 500 ml)", "chai 500 ml", 700, 180, 250),
          ("hoa rừng (chai 1 lít)", "chai 1 lít", 1400, 400, 550),
      ), (
          "Đàn ong được đặt ở các vườn vải, vườn nhãn và rừng đồi Đông Triều theo mùa hoa.",
          "Mật được lọc và hạ thủy phần trước khi đóng chai, không pha trộn.",
          "Không dùng cho trẻ dưới 1 tuổi.",
      )),
    T("nep-dt", "dong-trieu", "thuc-pham-so-che", "Gạo nếp cái hoa vàng Đông Triều", "oc", ("Nông nghiệp", "Dịch vụ Nông nghiệp"),
      "trồng và xay xát nếp cái hoa vàng", (
          ("(túi 1 kg)", "túi 1 kg", 1000, 38, 50),
          ("(túi 2 kg)", "túi 2 kg", 2000, 70, 95),
          ("(bao 5 kg)", "bao 5 kg", 5000, 160, 220),
      ), (
          "Nếp cái hoa vàng được cấy trên chân ruộng phù sa ở {place}, mỗi năm một vụ chính.",
          "Hạt gạo tròn, trắng đục; xôi đồ lên dẻo, thơm và không bị nát.",
          "Dùng đồ xôi, gói bánh chưng, nấu rượu nếp hoặc làm bánh trôi.",
      ), weight=2, places=("xã Việt Dân", "xã Tân Việt", "xã Hồng Thái Tây", "phường Đức Chính", "phường Thủy An")),
    T("ruou-nep-dt", "dong-trieu", "ruou-trang", "Rượu nếp cái hoa vàng Đông Triều", "och", ("Rượu", "Đồ uống"),
      "nấu rượu nếp", (
          ("(chai 500 ml)", "chai 500 ml", 500, 90, 130),
          ("(bình 2 lít)", "bình 2 lít", 2000, 250, 350),
          ("hạ thổ (chai 750 ml)", "chai 750 ml", 750, 180, 250, None, "Rượu được hạ thổ trong chum sành ít nhất một năm trước khi đóng chai."),
      ), (
          "Rượu được nấu từ gạo nếp cái hoa vàng và men thuốc bắc, chưng cất bằng nồi đồng.",
          "Rượu được lọc an-đê-hít, uống êm, thơm mùi nếp; độ cồn 29–35%.",
          "Không bán cho người dưới 18 tuổi.",
      )),
    T("na-dt", "dong-trieu", "thuc-pham-tuoi-song", "Na dai Đông Triều", "oh", ("Nông nghiệp",),
      "trồng na dai", (
          ("(kg)", "kg", 1000, 50, 70),
          ("(hộp 3 kg)", "hộp 3 kg", 3000, 150, 200),
      ), (
          "Na được trồng trên sườn đồi ở {place}, thu hoạch từ tháng Bảy đến tháng Chín.",
          "Quả to, mắt thưa, múi dai, ngọt đậm và ít hạt.",
      ), places=("xã An Sinh", "xã Bình Khê", "xã Tràng Lương")),
    T("du-lich-dt", "dong-trieu", "du-lich-cong-dong", "", "o", ("Du lịch Cộng đồng",),
      "đón khách trải nghiệm làng gốm", (
          ("Trải nghiệm du lịch cộng đồng làng gốm Đông Triều", "vé", 0, 150, 250),
      ), (
          "Du khách tham quan lò gốm, tự tay nặn và vẽ men một sản phẩm dưới sự hướng dẫn của nghệ nhân.",
          "Vé gồm nước uống, đất nặn và phí nung; sản phẩm hoàn thiện được gửi về nhà sau khoảng một tuần.",
          "Mở cửa các ngày trong tuần; đoàn trên 10 người nên đặt trước.",
      ), fixed=True, places=("phường Hưng Đạo",)),
    # -- Quảng Yên -------------------------------------------------------------------------
    T("hau-qy", "quang-yen", "thuc-pham-tuoi-song", "Hàu sông Chanh Quảng Yên", "oh", ("Thủy sản", "Nuôi trồng Thủy sản"),
      "nuôi hàu trên giàn", (
          ("(kg)", "kg", 1000, 40, 60),
          ("tách vỏ (khay 500 g)", "khay 500 g", 500, 90, 130),
          ("(thùng 10 kg)", "thùng 10 kg", 10000, 350, 480),
      ), (
          "Hàu được nuôi trên giàn ở cửa sông Chanh, nơi nước lợ giao thoa giữa sông Bạch Đằng và biển.",
          "Con hàu béo, thịt trắng ngà, vị ngọt; thu hoạch trong ngày và giữ sống bằng đá lạnh.",
          "Hàu ngon nhất khi nướng mỡ hành hoặc nấu cháo.",
      ), weight=2, places=("phường Nam Hòa", "phường Yên Giang", "phường Hà An", "phường Tân An")),
    T("nuoc-mam-qy", "quang-yen", "gia-vi", "Nước mắm Quảng Yên", "ch", ("Nước mắm", "Thực phẩm"),
      "ủ nước mắm truyền thống", (
          ("35 độ đạm (chai 500 ml)", "chai 500 ml", 500, 90, 130),
          ("(can 2 lít)", "can 2 lít", 2000, 160, 220),
          ("(chai 300 ml)", "chai 300 ml", 300, 45, 65),
      ), (
          "Nước mắm được ủ từ cá cơm và muối biển theo tỉ lệ 3:1 trong thùng gỗ ít nhất 12 tháng.",
          "Mắm rút cốt đầu có màu cánh gián, vị đậm, hậu ngọt, không pha phụ gia.",
          "Dùng chấm trực tiếp hoặc nêm nếm; để nơi thoáng mát, tránh ánh nắng.",
      )),
    T("rau-qy", "quang-yen", "thuc-pham-tuoi-song", "", "oo", ("Nông nghiệp", "Rau an toàn"),
      "trồng rau an toàn", (
          ("Rau cải ngọt an toàn Quảng Yên (bó 500 g)", "bó 500 g", 500, 15, 25),
          ("Rau muống an toàn Quảng Yên (bó 500 g)", "bó 500 g", 500, 12, 20),
          ("Rau má Quảng Yên (bó 500 g)", "bó 500 g", 500, 20, 30),
          ("Nước ép rau má Quảng Yên (chai 330 ml)", "chai 330 ml", 330, 15, 25, "do-uong-khong-con", "Rau má được rửa sạch, ép lạnh và đóng chai trong ngày, không thêm chất bảo quản."),
      ), (
          "Rau được trồng trong nhà lưới ở {place}, tưới bằng nước giếng khoan đã qua lọc.",
          "Quy trình canh tác theo VietGAP, ghi nhật ký và có mã QR truy xuất từng lô.",
          "Rau thu hoạch sáng sớm và giao trong ngày.",
      ), places=("xã Hiệp Hòa", "xã Sông Khoai", "xã Liên Hòa", "xã Tiền An")),
    T("ruoc-hau-qy", "quang-yen", "thuc-pham-che-bien", "", "ch", ("Thực phẩm", "Chế biến Thủy sản"),
      "chế biến các món từ hàu", (
          ("Ruốc hàu Quảng Yên (hũ 200 g)", "hũ 200 g", 200, 130, 180),
          ("Chả hàu Quảng Yên (gói 500 g)", "gói 500 g", 500, 160, 210),
          ("Hàu sấy khô Quảng Yên (gói 250 g)", "gói 250 g", 250, 180, 250),
      ), (
          "Thịt hàu tươi được hấp chín, ép ráo rồi chế biến cùng gia vị ngay trong ngày thu hoạch.",
          "Sản phẩm giàu đạm và kẽm, dùng ăn kèm cháo, cơm nóng hoặc làm nhân bánh mì.",
          "Sau khi mở bao bì nên bảo quản ngăn mát.",
      )),
    T("may-tre-qy", "quang-yen", "thu-cong-my-nghe", "", "oh", ("Mây tre đan", "Thủ công Mỹ nghệ"),
      "đan đồ mây tre", (
          ("Giỏ mây đan Quảng Yên (bộ 3 chiếc)", "bộ 3 chiếc", 1200, 250, 400),
          ("Khay tre đan Quảng Yên", "chiếc", 400, 80, 140),
          ("Làn mây tre đi chợ Quảng Yên", "chiếc", 600, 150, 250),
      ), (
          "Tre, mây được chọn cây già, ngâm bùn và hun khói để chống mối mọt trước khi chẻ nan.",
          "Từng sản phẩm được đan thủ công bởi các chị em ở {place}.",
          "Dùng đựng đồ, trang trí hoặc làm giỏ quà Tết; tránh để nơi ẩm.",
      )),
    # -- Vân Đồn ---------------------------------------------------------------------------
    T("nuoc-mam-vd", "van-don", "gia-vi", "", "cch", ("Nước mắm", "Thủy sản"),
      "ủ nước mắm cá cơm", (
          ("Nước mắm cá cơm Vân Đồn (chai 500 ml)", "chai 500 ml", 500, 80, 120),
          ("Nước mắm nhĩ Vân Đồn 40 độ đạm (chai 250 ml)", "chai 250 ml", 250, 90, 140),
          ("Nước mắm Vân Đồn (can 2 lít)", "can 2 lít", 2000, 150, 220),
          ("Nước mắm cá cơm Quan Lạn (chai 500 ml)", "chai 500 ml", 500, 90, 130),
          ("Nước chấm hải sản Vân Đồn (chai 300 ml)", "chai 300 ml", 300, 35, 50, None, "Nước mắm được pha sẵn với tỏi, ớt, chanh theo tỉ lệ vừa miệng để chấm hải sản."),
      ), (
          "Cá cơm than đánh bắt quanh các đảo Vân Đồn được trộn muối ngay trên thuyền để giữ độ tươi.",
          "Chượp được ủ trong thùng gỗ từ 12 đến 18 tháng; nước mắm nhĩ là giọt rút đầu tiên.",
          "Nước mắm màu cánh gián, thơm, vị ngọt hậu, không dùng chất điều vị.",
          "Để nơi khô thoáng, tránh nắng; muối kết tinh ở đáy chai là hiện tượng tự nhiên.",
      ), weight=2),
    T("sa-sung-vd", "van-don", "thuc-pham-so-che", "Sá sùng Vân Đồn", "ohh", ("Thủy sản", "Dịch vụ Tổng hợp"),
      "thu mua và sơ chế sá sùng", (
          ("khô loại 1 (gói 100 g)", "gói 100 g", 100, 450, 650),
          ("khô (gói 500 g)", "gói 500 g", 500, 2000, 2800),
          ("tươi (kg)", "kg", 1000, 350, 500, "thuc-pham-tuoi-song", "Sá sùng tươi được rửa sạch cát, đóng túi và giao lạnh trong ngày."),
      ), (
          "Sá sùng được ngư dân đào trên các bãi cát triều ở Quan Lạn, Minh Châu.",
          "Sá sùng khô có màu vàng rơm, thơm, dùng nấu nước dùng phở, xào hoặc nướng nhâm nhi.",
          "Đóng túi hút chân không kèm gói hút ẩm.",
      ), premium=True, places=("xã Quan Lạn", "xã Minh Châu")),
    T("ngan-vd", "van-don", "thuc-pham-tuoi-song", "Ngán Vân Đồn", "oh", ("Thủy sản", "Nuôi trồng Thủy sản"),
      "khai thác và nuôi ngán", (
          ("(kg)", "kg", 1000, 150, 220),
          ("làm sẵn (khay 500 g)", "khay 500 g", 500, 180, 250),
          ("(thùng 5 kg)", "thùng 5 kg", 5000, 700, 1000),
      ), (
          "Ngán là loài nhuyễn thể hai mảnh vỏ sống ở các bãi triều rừng ngập mặn Vân Đồn.",
          "Ngán được giữ sống trong nước biển sạch và giao kèm đá lạnh.",
          "Món ngon: ngán hấp sả, nướng mỡ hành, cháo ngán hay nộm ngán chua ngọt.",
      )),
    T("hau-vd", "van-don", "thuc-pham-tuoi-song", "", "oc", ("Nuôi trồng Thủy sản", "Thủy sản"),
      "nuôi hàu trên bè", (
          ("Hàu Thái Bình Dương Vân Đồn (kg)", "kg", 1000, 35, 55),
          ("Hàu Vân Đồn tách sẵn (khay 500 g)", "khay 500 g", 500, 90, 130),
          ("Hàu nướng mỡ hành Vân Đồn (hộp 12 con)", "hộp 12 con", 1200, 150, 200, "thuc-pham-che-bien", "Hàu được nướng sẵn với mỡ hành rồi cấp đông, chỉ cần nướng lại 5 phút."),
      ), (
          "Hàu được nuôi trên bè ở vùng biển sạch của vịnh Bái Tử Long, thu hoạch sau 12–14 tháng.",
          "Con hàu to, đều, thịt béo và có vị ngọt đặc trưng.",
          "Giao kèm túi đá; nên chế biến trong ngày.",
      )),
    T("tu-hai-vd", "van-don", "thuc-pham-tuoi-song", "Tu hài Vân Đồn", "oh", ("Thủy sản",),
      "nuôi tu hài", (
          ("(kg)", "kg", 1000, 250, 350),
          ("làm sạch (khay 500 g)", "khay 500 g", 500, 220, 300),
      ), (
          "Tu hài được nuôi đáy cát quanh các đảo Ngọc Vừng, Minh Châu, nơi nước trong và độ mặn ổn định.",
          "Thịt tu hài giòn, ngọt, thường được xào tỏi, nướng hoặc nấu cháo.",
          "Tu hài còn sống được đóng thùng xốp giữ lạnh.",
      ), places=("xã Ngọc Vừng", "xã Minh Châu", "xã Bản Sen")),
    T("du-lich-vd", "van-don", "du-lich-cong-dong", "", "o", ("Du lịch Cộng đồng",),
      "đón khách trải nghiệm nghề biển", (
          ("Trải nghiệm du lịch cộng đồng làng chài Quan Lạn", "suất", 0, 350, 600),
      ), (
          "Du khách theo ngư dân đi thuyền ra bãi triều, tự tay đào sá sùng, bắt ốc và tìm hiểu nghề biển.",
          "Suất trải nghiệm gồm hướng dẫn viên địa phương, thuyền, áo phao và bữa trưa hải sản.",
          "Lịch đi phụ thuộc con nước; vui lòng đặt trước ít nhất 3 ngày.",
      ), fixed=True, places=("xã Quan Lạn",)),
    # -- Bình Liêu -------------------------------------------------------------------------
    T("mien-dong-bl", "binh-lieu", "thuc-pham-che-bien", "Miến dong Bình Liêu", "oohc", ("Nông nghiệp", "Miến dong", "Dịch vụ Nông nghiệp"),
      "làm miến dong thủ công", (
          ("loại đặc biệt (gói 500 g)", "gói 500 g", 500, 75, 90),
          ("(gói 500 g)", "gói 500 g", 500, 60, 75),
          ("(gói 1 kg)", "gói 1 kg", 1000, 120, 150),
          ("sợi nhỏ (gói 300 g)", "gói 300 g", 300, 40, 55),
          ("hộp quà (2 gói 500 g)", "hộp 1 kg", 1000, 150, 190),
      ), (
          "Miến được làm từ tinh bột củ dong riềng trồng trên nương ở {place}.",
          "Sợi miến được tráng, phơi trên giàn tre rồi cắt thủ công, không pha bột sắn, không chất tẩy trắng.",
          "Sợi dai, không nát khi nấu; ngâm nước ấm 5 phút rồi xào, nấu canh hoặc làm nem.",
          "Miến có màu trong nâu tự nhiên của dong riềng; bảo quản nơi khô ráo.",
      ), premium=True, weight=3),
    T("ruou-men-la-bl", "binh-lieu", "ruou-trang", "Rượu men lá Bình Liêu", "oh", ("Rượu", "Nông nghiệp"),
      "nấu rượu men lá", (
          ("(chai 500 ml)", "chai 500 ml", 500, 60, 90),
          ("(can 2 lít)", "can 2 lít", 2000, 180, 250),
          ("(chai 750 ml)", "chai 750 ml", 750, 90, 130),
      ), (
          "Rượu được nấu từ gạo nếp nương và men lá do người Tày, người Dao tự làm từ nhiều loại lá rừng.",
          "Chưng cất thủ công bằng nồi đồng; rượu trong, thơm mùi men lá, uống êm.",
          "Không bán cho người dưới 18 tuổi.",
      )),
    T("che-bl", "binh-lieu", "che", "Chè Bình Liêu", "oh", ("Chè", "Nông lâm nghiệp"),
      "trồng và sao chè", (
          ("búp (gói 200 g)", "gói 200 g", 200, 80, 120),
          ("shan tuyết (hộp 250 g)", "hộp 250 g", 250, 150, 220),
      ), (
          "Chè được hái từ những nương chè trên núi cao ở {place}, nơi sương mù gần như quanh năm.",
          "Búp chè sao sấy thủ công bằng chảo gang; nước pha xanh vàng, vị chát đậm và hậu ngọt.",
          "Hãm với nước 85–90 °C trong 3–5 phút.",
      )),
    T("banh-da-bl", "binh-lieu", "thuc-pham-che-bien", "Bánh đa Bình Liêu", "hh", ("Thực phẩm",),
      "tráng bánh đa", (
          ("nướng vừng (gói 10 chiếc)", "gói 10 chiếc", 400, 35, 50),
          ("sợi khô (gói 500 g)", "gói 500 g", 500, 35, 50),
      ), (
          "Bánh được tráng từ gạo tẻ địa phương xay nước, phơi trên phên nứa cho khô đều.",
          "Bánh đa vừng nướng lên giòn, thơm; bánh đa sợi dùng nấu canh cua hoặc xào.",
          "Để nơi khô ráo, tránh ẩm.",
      )),
    T("hoi-bl", "binh-lieu", "gia-vi", "Hoa hồi Bình Liêu", "oc", ("Nông lâm nghiệp", "Lâm sản"),
      "trồng và sấy hồi", (
          ("khô (gói 200 g)", "gói 200 g", 200, 50, 80),
          ("khô loại 1 (kg)", "kg", 1000, 200, 300),
      ), (
          "Hồi được trồng lâu năm trên các sườn đồi ở {place}; quả được hái khi còn xanh rồi phơi, sấy đến màu nâu đỏ.",
          "Cánh hồi đều, thơm nồng, dùng nấu phở, kho thịt, ngâm rượu.",
          "Bảo quản trong hộp kín để giữ tinh dầu.",
      )),
    T("theu-dao-bl", "binh-lieu", "det-may", "", "oh", ("Thổ cẩm", "Thêu truyền thống"),
      "thêu thổ cẩm truyền thống", (
          ("Khăn thêu Dao Thanh Phán Bình Liêu", "chiếc", 200, 250, 450),
          ("Túi thổ cẩm thêu Dao Bình Liêu", "chiếc", 300, 180, 320),
          ("Áo thêu dân tộc Dao Bình Liêu", "chiếc", 600, 800, 1500),
      ), (
          "Hoa văn được chị em người Dao ở {place} thêu tay bằng chỉ màu trên nền vải chàm.",
          "Mỗi họa tiết như hình cây thông, ngôi sao tám cánh mang một ý nghĩa trong đời sống người Dao.",
          "Giặt tay nhẹ bằng nước lạnh, phơi nơi râm mát để giữ màu chỉ.",
      ), weight=2, places=("xã Đồng Văn", "xã Hoành Mô")),
    T("tinh-dau-bl", "binh-lieu", "tinh-dau-huong", "", "c", ("Dược liệu", "Tinh dầu"),
      "chưng cất tinh dầu hồi, quế", (
          ("Tinh dầu hồi nguyên chất Bình Liêu (chai 50 ml)", "chai 50 ml", 50, 120, 180),
          ("Tinh dầu quế Bình Liêu (chai 20 ml)", "chai 20 ml", 20, 60, 90),
      ), (
          "Tinh dầu được chưng cất hơi nước từ quả hồi, vỏ quế trồng tại Bình Liêu.",
          "Nhỏ vài giọt vào đèn xông hoặc máy khuếch tán để khử mùi, đuổi muỗi.",
          "Không uống; để xa tầm tay trẻ em.",
      )),
    T("nuoc-loc-bl", "binh-lieu", "nuoc-khoang", "Nước lọc tinh khiết Bình Liêu", "c", ("Nước sạch",),
      "sản xuất nước uống đóng chai, đóng bình", (
          ("(bình 20 lít)", "bình 20 lít", 20000, 40, 55),
      ), (
          "Nước được lọc RO và tiệt trùng UV trên dây chuyền khép kín.",
          "Giao bình tận nơi trong thị trấn và các xã lân cận.",
      ), pool=False),
    T("du-lich-bl", "binh-lieu", "du-lich-cong-dong", "", "o", ("Du lịch Cộng đồng",),
      "đón khách du lịch cộng đồng tại bản", (
          ("Trải nghiệm du lịch cộng đồng bản Dao Bình Liêu", "vé", 0, 200, 350),
      ), (
          "Du khách nghỉ homestay nhà trình tường, cùng người Dao nấu cỗ, thêu khăn và nghe hát giao duyên.",
          "Vé gồm hướng dẫn viên bản địa, một bữa ăn truyền thống và trang phục để chụp ảnh.",
          "Phù hợp kết hợp với hành trình đường biên giới Bình Liêu.",
      ), fixed=True, places=("xã Đồng Văn",)),
    # -- Ba Chẽ ----------------------------------------------------------------------------
    T("tra-hoa-vang-bc", "ba-che", "che", "Trà hoa vàng Ba Chẽ", "oocc", ("Dược liệu", "Nông lâm nghiệp", "Trà hoa vàng"),
      "trồng và chế biến trà hoa vàng", (
          ("sấy khô loại 1 (hộp 50 g)", "hộp 50 g", 50, 550, 800),
          ("nụ (hộp 100 g)", "hộp 100 g", 100, 900, 1400),
          ("lá (gói 200 g)", "gói 200 g", 200, 150, 250),
          ("túi lọc (hộp 20 túi)", "hộp 20 túi", 40, 180, 300),
          ("hoa nở (hộp 100 g)", "hộp 100 g", 100, 700, 1100),
      ), (
          "Trà hoa vàng là loài trà quý mọc dưới tán rừng ở {place}, hoa nở từ tháng 11 đến tháng 2.",
          "Hoa được hái khi vừa nở, sấy lạnh ở nhiệt độ thấp để giữ màu vàng.",
          "Mỗi lần pha 2–3 bông với nước 90 °C; nước trà vàng sóng sánh, vị ngọt dịu.",
          "Đựng trong hộp kín, để nơi khô ráo, tránh ánh nắng trực tiếp.",
      ), premium=True, weight=3),
    T("ba-kich-bc", "ba-che", "duoc-lieu", "Ba kích tím Ba Chẽ", "och", ("Dược liệu", "Nông lâm nghiệp"),
      "trồng và chế biến ba kích", (
          ("khô bỏ lõi (gói 500 g)", "gói 500 g", 500, 350, 500),
          ("tươi (kg)", "kg", 1000, 180, 260),
          ("ngâm mật ong (hũ 500 g)", "hũ 500 g", 700, 250, 350),
          ("dạng cao đặc (lọ 100 g)", "lọ 100 g", 100, 280, 380, "thuc-pham-chuc-nang", "Cao được cô đặc từ dịch chiết ba kích, dùng pha nước ấm."),
      ), (
          "Ba kích tím được trồng dưới tán rừng ở {place} từ 3 năm trở lên mới thu hoạch.",
          "Củ được rửa sạch, đồ chín, rút lõi rồi sấy khô; ruột có màu tím đặc trưng.",
          "Dùng ngâm rượu, ngâm mật ong hoặc sắc uống theo hướng dẫn của thầy thuốc.",
      ), premium=True, weight=2),
    T("mat-ong-bc", "ba-che", "thuc-pham-so-che", "Mật ong rừng Ba Chẽ", "oh", ("Nuôi ong", "Nông lâm nghiệp"),
      "nuôi ong và khai thác mật rừng", (
          ("(chai 500 ml)", "chai 500 ml", 700, 280, 380),
          ("(chai 1 lít)", "chai 1 lít", 1400, 500, 700),
      ), (
          "Mật do ong nội khai thác trên các cánh rừng ở Ba Chẽ, mỗi năm chỉ quay được vài vụ.",
          "Mật có vị ngọt đậm, hơi đắng nhẹ ở hậu, thơm mùi hoa rừng.",
          "Dùng pha nước ấm, ngâm ba kích hoặc chấm bánh.",
      )),
    T("mang-bc", "ba-che", "thuc-pham-so-che", "", "oh", ("Lâm sản", "Nông lâm nghiệp"),
      "chế biến măng rừng", (
          ("Măng nứa khô Ba Chẽ (gói 500 g)", "gói 500 g", 500, 130, 180),
          ("Măng mai khô Ba Chẽ (gói 500 g)", "gói 500 g", 500, 150, 200),
          ("Măng chua Ba Chẽ (hũ 1 kg)", "hũ 1 kg", 1000, 60, 90, "thuc-pham-che-bien", "Măng tươi được thái lát, muối chua với ớt và tỏi trong hũ thủy tinh."),
      ), (
          "Măng rừng được lấy vào mùa mưa, luộc kỹ rồi phơi hoặc sấy củi cho khô.",
          "Măng có màu vàng nâu, sợi dai; ngâm nước gạo qua đêm trước khi nấu.",
          "Hợp với món măng hầm xương, măng xào thịt hoặc nấu vịt.",
      )),
    T("nam-lim-bc", "ba-che", "duoc-lieu", "Nấm lim xanh Ba Chẽ", "oc", ("Dược liệu", "Lâm sản"),
      "thu hái và sấy nấm lim xanh", (
          ("khô thái lát (gói 500 g)", "gói 500 g", 500, 1500, 2500),
          ("nguyên tai (hộp 200 g)", "hộp 200 g", 200, 700, 1100),
          ("dạng bột (hộp 100 g)", "hộp 100 g", 100, 350, 500),
      ), (
          "Nấm lim xanh mọc trên thân cây lim già trong rừng Ba Chẽ, được thu hái và sấy khô.",
          "Nấm có vị đắng nhẹ, mùi thơm gỗ; thường dùng sắc nước uống.",
          "Sản phẩm dùng để bồi bổ, không thay thế thuốc chữa bệnh.",
      ), premium=True),
    T("thuoc-tam-bc", "ba-che", "my-pham-duoc-lieu", "", "oh", ("Dược liệu", "Thảo dược"),
      "làm thuốc tắm, dầu gội từ lá rừng", (
          ("Thuốc tắm người Dao Thanh Y Ba Chẽ (túi 500 g)", "túi 500 g", 500, 80, 120),
          ("Nước tắm thảo dược Dao Ba Chẽ (chai 500 ml)", "chai 500 ml", 500, 90, 140),
          ("Dầu gội thảo dược Ba Chẽ (chai 300 ml)", "chai 300 ml", 300, 80, 120),
      ), (
          "Bài thuốc gồm nhiều loại lá rừng do đồng bào Dao Thanh Y ở {place} hái và phơi khô.",
          "Đun gói thuốc với nước 20–30 phút, pha thêm nước ấm để ngâm tắm sau ngày làm việc.",
          "Không dùng cho người có vết thương hở; để nơi khô ráo.",
      ), weight=2, places=("xã Thanh Sơn", "xã Nam Sơn", "xã Đồn Đạc")),
    T("theu-dao-bc", "ba-che", "det-may", "", "oh", ("Thổ cẩm", "Thêu truyền thống"),
      "thêu khăn, túi theo hoa văn người Dao Thanh Y", (
          ("Khăn thêu Dao Thanh Y Ba Chẽ", "chiếc", 200, 220, 400),
          ("Túi thêu tay Dao Thanh Y Ba Chẽ", "chiếc", 300, 200, 350),
      ), (
          "Hoa văn được thêu tay bằng chỉ đỏ, vàng, trắng trên nền vải chàm do chị em người Dao Thanh Y ở {place} tự nhuộm.",
          "Mỗi chiếc mất nhiều ngày thêu, họa tiết không chiếc nào giống hệt chiếc nào.",
          "Giặt tay nhẹ, không dùng thuốc tẩy.",
      ), places=("xã Thanh Sơn", "xã Nam Sơn", "xã Đồn Đạc")),
    T("du-lich-bc", "ba-che", "du-lich-cong-dong", "", "o", ("Du lịch Sinh thái",),
      "đón khách tham quan vườn trà hoa vàng", (
          ("Trải nghiệm du lịch cộng đồng vườn trà hoa vàng Ba Chẽ", "vé", 0, 150, 250),
      ), (
          "Du khách đi bộ dưới tán rừng, ngắm trà hoa vàng mùa hoa nở, tự tay hái và sao trà cùng người dân.",
          "Vé gồm hướng dẫn, một ấm trà hoa vàng và bữa trưa món Dao.",
          "Mùa đẹp nhất từ tháng 12 đến tháng 2.",
      ), fixed=True, places=("xã Thanh Lâm",)),
    # -- Tiên Yên --------------------------------------------------------------------------
    T("ga-ty", "tien-yen", "thuc-pham-tuoi-song", "Gà Tiên Yên", "ooh", ("Chăn nuôi", "Nông nghiệp"),
      "nuôi gà Tiên Yên thả đồi", (
          ("thả đồi (con 1,6–1,8 kg)", "con", 1700, 300, 380),
          ("làm sạch (con 1,5 kg)", "con", 1500, 300, 360),
          ("ủ muối (con 1,2 kg)", "con", 1200, 320, 400, "thuc-pham-che-bien", "Gà được ủ muối hạt và lá chanh, hấp chín rồi hút chân không."),
          ("chân vàng (kg)", "kg", 1000, 200, 250),
      ), (
          "Gà chân vàng được thả đồi ở {place}, ăn thóc, ngô và côn trùng, nuôi 5–6 tháng.",
          "Thịt chắc, ngọt, da giòn, mỡ vàng; ngon nhất khi luộc chấm muối tiêu chanh lá.",
          "Gà được giết mổ tại cơ sở đạt chuẩn, làm sạch, đóng túi kín và giao lạnh.",
      ), premium=True, weight=2),
    T("trung-vit-ty", "tien-yen", "thuc-pham-tuoi-song", "Trứng vịt biển Đồng Rui", "oh", ("Chăn nuôi", "Nông nghiệp"),
      "nuôi vịt biển", (
          ("(hộp 10 quả)", "hộp 10 quả", 750, 50, 70),
          ("muối tro (hộp 10 quả)", "hộp 10 quả", 750, 60, 80, "thuc-pham-che-bien", "Trứng được muối tro theo cách truyền thống trong 25–30 ngày, lòng đỏ bùi và có dầu."),
          ("(khay 30 quả)", "khay 30 quả", 2200, 140, 190),
      ), (
          "Vịt được thả ở các bãi triều rừng ngập mặn, ăn cua, cáy, ốc nên trứng có lòng đỏ to, màu cam đậm.",
          "Trứng được soi, rửa và đóng hộp giấy chống va đập.",
          "Bảo quản nơi thoáng mát, dùng trong 30 ngày.",
      ), places=("xã Đồng Rui",)),
    T("keo-lac-ty", "tien-yen", "thuc-pham-che-bien", "", "hh", ("Thực phẩm",),
      "làm kẹo lạc", (
          ("Kẹo lạc Tiên Yên (hộp 300 g)", "hộp 300 g", 300, 45, 60),
          ("Kẹo vừng lạc Tiên Yên (gói 500 g)", "gói 500 g", 500, 60, 85),
          ("Kẹo lạc gừng Tiên Yên (hộp 300 g)", "hộp 300 g", 300, 50, 65),
      ), (
          "Kẹo được làm từ lạc đỏ trồng trên đất cát pha Tiên Yên, rang trên chảo gang đến khi thơm.",
          "Mạch nha và đường được thắng vừa tới để kẹo giòn mà không cứng, không dính răng.",
          "Đóng hộp kín để kẹo giữ độ giòn.",
      )),
    T("khau-nhuc-ty", "tien-yen", "thuc-pham-che-bien", "Khâu nhục Tiên Yên", "hc", ("Thực phẩm", "Ẩm thực"),
      "làm khâu nhục", (
          ("(hộp 500 g)", "hộp 500 g", 500, 180, 240),
          ("(hộp 1 kg)", "hộp 1 kg", 1000, 340, 450),
      ), (
          "Khâu nhục là món cỗ của người Tày, người Hoa ở Tiên Yên, làm từ thịt ba chỉ và khoai môn.",
          "Thịt được luộc, chiên da rồi tẩm gia vị và hấp cách thủy nhiều giờ cho mềm.",
          "Hấp lại 15–20 phút trước khi ăn; bảo quản ngăn đá.",
      )),
    # -- Đầm Hà ----------------------------------------------------------------------------
    T("cu-cai-dh", "dam-ha", "thuc-pham-so-che", "", "ooh", ("Nông nghiệp", "Dịch vụ Nông nghiệp"),
      "trồng và chế biến củ cải", (
          ("Củ cải muối Đầm Hà (hũ 500 g)", "hũ 500 g", 500, 35, 50, "thuc-pham-che-bien"),
          ("Củ cải sấy khô Đầm Hà (gói 500 g)", "gói 500 g", 500, 60, 85),
          ("Củ cải tươi Đầm Hà (kg)", "kg", 1000, 12, 18, "thuc-pham-tuoi-song"),
          ("Dưa củ cải ngâm tương Đầm Hà (hũ 500 g)", "hũ 500 g", 500, 40, 55, "thuc-pham-che-bien"),
      ), (
          "Củ cải được trồng vụ đông trên những cánh đồng phù sa ở {place}.",
          "Củ được chọn củ chắc, trắng, chế biến ngay sau khi nhổ để giữ vị ngọt.",
          "Dùng xào, nộm, kho thịt hoặc ăn kèm cơm.",
      ), weight=2),
    T("ruou-dh", "dam-ha", "ruou-trang", "Rượu nếp Đầm Hà", "oh", ("Rượu", "Nông nghiệp"),
      "nấu rượu nếp men lá", (
          ("(chai 500 ml)", "chai 500 ml", 500, 60, 90),
          ("(can 5 lít)", "can 5 lít", 5000, 350, 500),
          ("men lá (chai 500 ml)", "chai 500 ml", 500, 70, 100),
      ), (
          "Rượu nấu từ nếp cái địa phương và men lá rừng, chưng cất hai lần.",
          "Rượu trong, độ cồn 35–40%, thơm mùi men; được lọc độc tố trước khi đóng chai.",
          "Không bán cho người dưới 18 tuổi.",
      )),
    T("lon-dh", "dam-ha", "thuc-pham-tuoi-song", "", "ohc", ("Chăn nuôi", "Nông nghiệp"),
      "nuôi lợn thả vườn", (
          ("Thịt lợn thả vườn Đầm Hà (kg)", "kg", 1000, 150, 190),
          ("Thịt lợn gác bếp Đầm Hà (gói 500 g)", "gói 500 g", 500, 350, 450, "thuc-pham-che-bien", "Thịt được ướp mắc khén, hạt dổi rồi hun khói củi nhiều ngày trên gác bếp."),
          ("Xúc xích lợn Đầm Hà (gói 500 g)", "gói 500 g", 500, 110, 150, "thuc-pham-che-bien", "Xúc xích nhồi thủ công từ thịt nạc và mỡ lợn, hấp chín trước khi đóng gói."),
      ), (
          "Lợn được nuôi thả vườn ở {place} bằng cám gạo, ngô và rau chuối, thời gian nuôi trên 8 tháng.",
          "Thịt săn chắc, nhiều nạc, mỡ giòn.",
          "Sản phẩm được đóng gói hút chân không và giao lạnh.",
      )),
    T("tinh-dau-dh", "dam-ha", "tinh-dau-huong", "Tinh dầu sả chanh Đầm Hà", "oc", ("Dược liệu", "Nông nghiệp"),
      "trồng sả và chưng cất tinh dầu", (
          ("(chai 10 ml)", "chai 10 ml", 10, 35, 55),
          ("(chai 100 ml)", "chai 100 ml", 100, 180, 250),
      ), (
          "Sả chanh được trồng ở {place}, cắt lá vào mùa khô và chưng cất ngay trong ngày.",
          "Tinh dầu màu vàng nhạt, mùi thơm mát, dùng xông phòng, đuổi muỗi hoặc pha nước lau nhà.",
          "Không bôi trực tiếp lên da khi chưa pha loãng.",
      )),
    # -- Hải Hà ----------------------------------------------------------------------------
    T("che-hh", "hai-ha", "che", "", "ooch", ("Chè", "Nông nghiệp"),
      "trồng và chế biến chè", (
          ("Chè xanh Hải Hà (gói 200 g)", "gói 200 g", 200, 60, 90),
          ("Chè búp Quảng Long (hộp 250 g)", "hộp 250 g", 250, 120, 170),
          ("Chè móc câu Hải Hà (hộp 500 g)", "hộp 500 g", 500, 220, 300),
          ("Trà túi lọc Hải Hà (hộp 25 túi)", "hộp 25 túi", 50, 40, 60),
      ), (
          "Chè trung du được trồng trên vùng đồi ở {place}, hái bằng tay một tôm hai lá.",
          "Chè được diệt men, vò và sao sấy ngay trong ngày hái nên giữ màu xanh và hương cốm.",
          "Nước chè vàng xanh, vị chát dịu và có hậu ngọt.",
      ), weight=2, places=("xã Quảng Long", "xã Quảng Thịnh", "xã Quảng Sơn", "xã Quảng Đức")),
    T("khoai-hh", "hai-ha", "thuc-pham-tuoi-song", "", "oh", ("Nông nghiệp", "Nông sản"),
      "trồng khoai", (
          ("Khoai lang mật Hải Hà (thùng 5 kg)", "thùng 5 kg", 5000, 90, 130),
          ("Khoai lang sấy dẻo Hải Hà (gói 250 g)", "gói 250 g", 250, 45, 65, "thuc-pham-che-bien", "Khoai được hấp chín, thái thanh và sấy dẻo, không thêm đường."),
          ("Khoai môn Hải Hà (kg)", "kg", 1000, 30, 45),
      ), (
          "Khoai được trồng trên đất cát ven biển ở {place}, thu hoạch sau khoảng 4 tháng.",
          "Củ ruột vàng, bở, vị ngọt bùi.",
          "Bảo quản nơi khô thoáng, không để trong tủ lạnh.",
      )),
    T("mat-ong-hh", "hai-ha", "thuc-pham-so-che", "Mật ong Hải Hà", "oh", ("Nuôi ong", "Nông nghiệp"),
      "nuôi ong lấy mật", (
          ("hoa sú vẹt (chai 500 ml)", "chai 500 ml", 700, 250, 350),
          ("(chai 1 lít)", "chai 1 lít", 1400, 400, 550),
          ("(chai 250 ml)", "chai 250 ml", 350, 110, 160),
      ), (
          "Các thùng ong được đặt gần rừng ngập mặn và đồi keo ở {place}.",
          "Mật có màu sáng, vị ngọt thanh; được kiểm tra độ ẩm trước khi đóng chai.",
          "Mật kết tinh khi trời lạnh là hiện tượng tự nhiên, ngâm chai vào nước ấm để mật lỏng lại.",
      )),
    T("tra-hoa-vang-hh", "hai-ha", "che", "Trà hoa vàng Hải Hà", "oc", ("Dược liệu", "Nông lâm nghiệp"),
      "trồng trà hoa vàng dưới tán rừng", (
          ("(hộp 50 g)", "hộp 50 g", 50, 400, 650),
          ("túi lọc (hộp 20 túi)", "hộp 20 túi", 40, 150, 250),
          ("lá khô (gói 200 g)", "gói 200 g", 200, 120, 200),
      ), (
          "Trà hoa vàng được trồng dưới tán rừng ở {place}, hoa hái vào mùa đông.",
          "Hoa được sấy lạnh giữ nguyên cánh; nước pha vàng óng, vị ngọt hậu.",
          "Trà túi lọc và lá khô hãm với nước sôi để nguội còn khoảng 90 °C.",
      ), premium=True, places=("xã Quảng Sơn", "xã Quảng Đức", "xã Quảng Thành")),
    # -- Cô Tô -----------------------------------------------------------------------------
    T("muc-kho-ct", "co-to", "thuc-pham-so-che", "Mực khô Cô Tô", "ohh", ("Thủy sản", "Hải sản"),
      "câu mực và phơi mực khô", (
          ("loại 1 (kg)", "kg", 1000, 1750, 1950),
          ("loại 1 (gói 500 g)", "gói 500 g", 500, 900, 1000),
          ("loại 2 (kg)", "kg", 1000, 1300, 1500),
          ("size nhỏ (gói 500 g)", "gói 500 g", 500, 600, 750),
      ), (
          "Mực ống được câu đêm quanh quần đảo Cô Tô, sơ chế ngay trên tàu và phơi nắng trên đảo.",
          "Mực khô dày mình, thơm, khi nướng có vị ngọt đậm, không dùng hóa chất tẩy.",
          "Nướng than hoa, xé nhỏ chấm tương ớt hoặc mayonnaise.",
      ), premium=True, weight=2),
    T("muc-mot-nang-ct", "co-to", "thuc-pham-so-che", "Mực một nắng Cô Tô", "hh", ("Hải sản",),
      "làm mực một nắng", (
          ("size lớn (kg)", "kg", 1000, 650, 800),
          ("(gói 500 g)", "gói 500 g", 500, 350, 420),
      ), (
          "Mực tươi được mổ, rửa nước biển và phơi đúng một nắng để thịt còn mềm, ngọt.",
          "Sản phẩm được cấp đông ngay sau khi phơi và giao lạnh.",
          "Nướng hoặc chiên sơ rồi chấm tương ớt.",
      )),
    T("hai-san-kho-ct", "co-to", "thuc-pham-so-che", "", "ohh", ("Hải sản", "Thủy sản"),
      "phơi hải sản khô", (
          ("Tôm khô Cô Tô (gói 500 g)", "gói 500 g", 500, 450, 600),
          ("Cá mối khô Cô Tô (gói 500 g)", "gói 500 g", 500, 120, 160),
          ("Cá chỉ vàng khô Cô Tô (gói 500 g)", "gói 500 g", 500, 140, 180),
          ("Ruốc cá Cô Tô (hũ 200 g)", "hũ 200 g", 200, 90, 130, "thuc-pham-che-bien", "Cá được hấp chín, gỡ xương và sao khô thành ruốc tơi."),
      ), (
          "Hải sản được ngư dân Cô Tô đánh bắt gần bờ, phơi trên giàn lưới đón gió biển.",
          "Không ướp hóa chất, chỉ dùng muối biển.",
          "Đóng gói hút chân không, phù hợp làm quà sau chuyến đi đảo.",
      ), weight=2),
    T("ca-ct", "co-to", "thuc-pham-so-che", "", "och", ("Hải sản", "Dịch vụ Thủy sản"),
      "sơ chế cá biển", (
          ("Cá thu một nắng Cô Tô (kg)", "kg", 1000, 330, 420),
          ("Chả cá thu Cô Tô (gói 500 g)", "gói 500 g", 500, 160, 200, "thuc-pham-che-bien", "Chả được quết từ thịt cá thu tươi với thì là và hạt tiêu."),
          ("Cá song tươi Cô Tô (kg)", "kg", 1000, 350, 450, "thuc-pham-tuoi-song"),
      ), (
          "Cá được đánh bắt ở vùng biển Cô Tô, một trong những ngư trường sạch của vịnh Bắc Bộ.",
          "Cá được làm sạch, cắt khúc và cấp đông nhanh để giữ độ tươi.",
      )),
)
# fmt: on
