"""Vietnamese text: NFC, Ð, slugs, folding, sort order."""
import re
import unicodedata

import pytest

from sitegen.text import clean, collapse, eth_lines, fold, nfc, slugify, sort_key


@pytest.mark.parametrize("title, slug", [
    ("Công đoàn Viên chức tỉnh tổ chức Hội nghị", "cong-doan-vien-chuc-tinh-to-chuc-hoi-nghi"),
    ("Đại hội Công đoàn Việt Nam lần thứ XIII", "dai-hoi-cong-doan-viet-nam-lan-thu-xiii"),
    ("Ngày 22.6.2016, CĐVC tỉnh", "ngay-22-6-2016-cdvc-tinh"),
    ("  Thỏa ước lao động tập thể!!! ", "thoa-uoc-lao-dong-tap-the"),
    ("Ðền ơn đáp nghĩa", "den-on-dap-nghia"),           # U+00D0 read as Đ
    ("Văn nghệ - thể thao", "van-nghe-the-thao"),
    ("ƯU TIÊN ơn huệ", "uu-tien-on-hue"),
])
def test_slugify(title, slug):
    assert slugify(title) == slug


def test_slug_cut_at_word_boundary_at_most_80():
    title = "Công đoàn viên chức tỉnh đẩy mạnh phong trào thi đua trong cán bộ, công chức, viên chức, lao động"
    slug = slugify(title)
    assert len(slug) <= 80
    assert slug == "cong-doan-vien-chuc-tinh-day-manh-phong-trao-thi-dua-trong-can-bo-cong-chuc-vien"
    assert not slug.endswith("-")
    assert title_words_are_whole(slug, slugify(title, 1000))


def title_words_are_whole(short: str, full: str) -> bool:
    return full.startswith(short) and full[len(short)] == "-"


def test_slug_of_decomposed_text_equals_composed():
    decomposed = unicodedata.normalize("NFD", "Hội nghị Công đoàn")
    assert slugify(decomposed) == slugify("Hội nghị Công đoàn") == "hoi-nghi-cong-doan"


@pytest.mark.parametrize("text", ["", "...", "中文标题", "🎉🎉", "---"])
def test_slug_never_empty_and_stable(text):
    slug = slugify(text)
    assert slug and slug.isascii() and slug not in (".", "..")
    assert slug == slugify(text)
    assert slugify(slug) == slug


def test_nfc_joins_windows_and_mac_forms():
    mac = unicodedata.normalize("NFD", "Thỏa ước")
    assert mac != "Thỏa ước"
    assert nfc(mac) == "Thỏa ước"


def test_clean_replaces_eth_with_d_stroke():
    assert clean("Ðẩy mạnh, ðoàn viên") == "Đẩy mạnh, đoàn viên"
    assert "\u00d0" not in clean("Ð") and clean("Ð") == "\u0110"


def test_collapse_treats_every_whitespace_character_as_the_regex_does():
    """collapse() splits with str.split(); it must collapse exactly what r"\\s+" would."""
    spaces = re.compile(r"\s+")
    for code in range(0x110000):
        text = f" a{chr(code)}{chr(code)}b "
        assert collapse(text) == spaces.sub(" ", text).strip(), hex(code)
    assert collapse("\u200b a \u200b") == "\u200b a \u200b"      # not whitespace: kept


def test_eth_lines_reports_each_line():
    assert eth_lines("a\nÐền\nb\nc ð\n") == [2, 4]
    assert eth_lines("Đền") == []


@pytest.mark.parametrize("text, folded", [
    ("Đại hội", "dai hoi"), ("Công đoàn Viên chức", "cong doan vien chuc"),
    ("CĐVC", "cdvc"), ("Sóc Trăng", "soc trang"), ("ƯU", "uu"),
])
def test_fold_removes_diacritics(text, folded):
    assert fold(text) == folded


def test_vietnamese_alphabetical_order():
    names = ["Giáo dục", "Đào tạo", "Dân chủ", "Ăn uống", "An toàn", "Ấm áp", "Bảo hiểm", "Ơn", "Ông", "Ô", "Ư", "Uy"]
    assert sorted(names, key=sort_key) == [
        "An toàn", "Ăn uống", "Ấm áp", "Bảo hiểm", "Dân chủ", "Đào tạo", "Giáo dục", "Ô", "Ông", "Ơn", "Uy", "Ư"]


def test_tone_marks_are_a_secondary_key():
    assert sorted(["mạ", "má", "mã", "mả", "mà", "ma"], key=sort_key) == ["ma", "mà", "mả", "mã", "má", "mạ"]
    # letters decide before tones: "mai" < "mạnh" although ạ carries a tone
    assert sorted(["mạnh", "mai"], key=sort_key) == ["mai", "mạnh"]


def test_sort_ignores_case_and_normalisation_form():
    assert sort_key("đào tạo")[:2] == sort_key("ĐÀO TẠO")[:2]
    assert sort_key(unicodedata.normalize("NFD", "Đào tạo"))[:2] == sort_key("Đào tạo")[:2]
