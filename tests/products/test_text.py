"""Vietnamese text: folding for search, slugs, collation keys."""

import unicodedata

import pytest

from catalogue.text import fold, nfc, search_document, search_words, slugify, sort_key


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("Miến dong Bình Liêu", "mien dong binh lieu"),
        ("Trà hoa vàng Ba Chẽ", "tra hoa vang ba che"),
        ("NƯỚC MẮM VÂN ĐỒN", "nuoc mam van don"),
        ("Đồng Rui", "dong rui"),
        ("đặc sản Đầm Hà", "dac san dam ha"),
        (unicodedata.normalize("NFD", "Tiên Yên gà đồi"), "tien yen ga doi"),
    ],
)
def test_fold_removes_tone_and_vowel_marks_and_maps_d_with_stroke(text, folded):
    assert fold(text) == folded


def test_nfd_and_nfc_input_fold_to_the_same_words():
    composed = "Trứng vịt biển Đồng Rui"
    decomposed = unicodedata.normalize("NFD", composed)
    assert decomposed != composed
    assert search_words(decomposed) == search_words(composed) == ["trung", "vit", "bien", "dong", "rui"]
    assert nfc(decomposed) == composed


def test_search_document_keeps_only_words_and_digits():
    assert search_document("Chả mực (hộp 500 g)", None, "Hạ Long!") == "cha muc hop 500 g ha long"


def test_slugify_makes_ascii_vietnamese_slugs():
    assert slugify("Miến dong Bình Liêu") == "mien-dong-binh-lieu"
    assert slugify("Đặc sản Đồng Rui") == "dac-san-dong-rui"


def test_sort_key_follows_vietnamese_alphabet_not_code_points():
    names = ["Đồng Rui", "Dong", "Ăn", "An", "Bình Liêu", "Zô"]
    assert sorted(names, key=sort_key) == ["An", "Ăn", "Bình Liêu", "Dong", "Đồng Rui", "Zô"]


@pytest.mark.parametrize(
    ("names", "expected"),
    [
        (["Bánh gật gù", "Ba kích tím"], ["Ba kích tím", "Bánh gật gù"]),
        (["Bông tai bạc", "Bộ bát đĩa"], ["Bộ bát đĩa", "Bông tai bạc"]),
        (["Cô Tô", "Cẩm Phả"], ["Cẩm Phả", "Cô Tô"]),
        (["Trà-hoa", "Trà hoa", "Tràm"], ["Trà hoa", "Trà-hoa", "Tràm"]),
        (["An  Bình", "An Bình"], ["An  Bình", "An Bình"]),
        (["Mật ong 2", "Mật ong A"], ["Mật ong 2", "Mật ong A"]),
    ],
)
def test_sort_key_puts_a_word_break_before_any_letter(names, expected):
    """Issue 23: a space sorted after every letter, so "Bánh" came before "Ba kích" (ICU puts it first)."""
    assert sorted(names, key=sort_key) == expected


def test_sort_key_ignores_surrounding_and_repeated_spaces():
    assert sort_key("  Ba  kích ") == sort_key("Ba kích")


@pytest.mark.parametrize(
    ("name", "unit", "label"),
    [
        ("Miến dong Bình Liêu", "gói 300 g", "Miến dong Bình Liêu (gói 300 g)"),
        ("Miến dong Bình Liêu (gói 300 g)", "gói 300 g", "Miến dong Bình Liêu (gói 300 g)"),  # issue 23: twice
        ("Miến dong (Gói 300G)", "gói 300 g", "Miến dong (Gói 300G)"),
        ("Trà hoa vàng", "", "Trà hoa vàng"),
        ("Bánh hộp quà", "hộp 500 g", "Bánh hộp quà (hộp 500 g)"),
    ],
)
def test_a_line_names_its_unit_once(name, unit, label):
    from catalogue.text import name_with_unit

    assert name_with_unit(name, unit) == label
