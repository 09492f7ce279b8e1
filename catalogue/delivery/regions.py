"""Which of the country's three regions each of the 34 provinces (since 07/2025) lies in.

The zone table prices a parcel by the producer's province and the buyer's: the same province,
the same region, or another region. Codes are the General Statistics Office's, as
`vietnam-provinces` and `catalogue.geography.addresses.Place.province_code` carry them.
"""

from __future__ import annotations

NORTH, CENTRE, SOUTH = "north", "centre", "south"

REGION_OF_PROVINCE: dict[str, str] = {
    # Miền Bắc
    "1": NORTH,  # Hà Nội
    "4": NORTH,  # Cao Bằng
    "8": NORTH,  # Tuyên Quang
    "11": NORTH,  # Điện Biên
    "12": NORTH,  # Lai Châu
    "14": NORTH,  # Sơn La
    "15": NORTH,  # Lào Cai
    "19": NORTH,  # Thái Nguyên
    "20": NORTH,  # Lạng Sơn
    "22": NORTH,  # Quảng Ninh
    "24": NORTH,  # Bắc Ninh
    "25": NORTH,  # Phú Thọ
    "31": NORTH,  # Hải Phòng
    "33": NORTH,  # Hưng Yên
    "37": NORTH,  # Ninh Bình
    # Miền Trung và Tây Nguyên
    "38": CENTRE,  # Thanh Hóa
    "40": CENTRE,  # Nghệ An
    "42": CENTRE,  # Hà Tĩnh
    "44": CENTRE,  # Quảng Trị
    "46": CENTRE,  # Huế
    "48": CENTRE,  # Đà Nẵng
    "51": CENTRE,  # Quảng Ngãi
    "52": CENTRE,  # Gia Lai
    "56": CENTRE,  # Khánh Hòa
    "66": CENTRE,  # Đắk Lắk
    "68": CENTRE,  # Lâm Đồng
    # Miền Nam
    "75": SOUTH,  # Đồng Nai
    "79": SOUTH,  # Hồ Chí Minh
    "80": SOUTH,  # Tây Ninh
    "82": SOUTH,  # Đồng Tháp
    "86": SOUTH,  # Vĩnh Long
    "91": SOUTH,  # An Giang
    "92": SOUTH,  # Cần Thơ
    "96": SOUTH,  # Cà Mau
}


def region_of(province_code: str) -> str | None:
    """The region of a province by its code (leading zeros or not); None for an unknown code."""
    return REGION_OF_PROVINCE.get(str(int(province_code))) if str(province_code).isdigit() else None
