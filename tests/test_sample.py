"""The sample portal from the five seed articles, built end to end."""
import re
from pathlib import Path

import pytest

from sitegen.cli import main

CHROME = ["TIN HOẠT ĐỘNG", "Back", "Vissza", "Bình luận", "lượt truy cập", "Giấy phép", "Nha khoa", "Cập nhật lúc",
          "văn bản mới", "liên kết web", "Videos", "Tổng Biên tập", "\u00d0", "\u00f0"]

ARTICLES = {
    "2019/12/cong-doan-vien-chuc-tinh-day-manh-phong-trao-thi-dua-trong-can-bo-cong-chuc-vien/":
        ("Thứ Tư, 25/12/2019 - 19:10 (GMT+7)", "Văn Huỳnh", "Cấp trên cơ sở", None),
    "2016/07/ngay-22-6-2016-cong-doan-vien-chuc-tinh-soc-trang-to-chuc-hoi-nghi-so-ket-hoat/":
        ("Thứ Hai, 11/07/2016", "Minh Quang", "Cấp trên cơ sở", None),
    "2021/06/cong-doan-vien-chuc-tinh-so-ket-hoat-dong-cong-doan-6-thang-dau-nam/":
        ("Thứ Tư, 23/06/2021", "Hải Yến", "Cấp trên cơ sở", "Lãnh đạo LĐLĐ tỉnh phát biểu chỉ đạo tại hội nghị."),
    "2019/12/lien-doan-lao-dong-tinh-tong-ket-hoat-dong-cong-doan-nam-2019-va-trien-khai/":
        ("Thứ Ba, 31/12/2019", "M.Linh", "Cấp tỉnh", "Quang cảnh hội nghị"),
    "2020/06/cum-thi-dua-so-3-cong-doan-vien-chuc-tinh-ky-ket-giao-uoc-thi-dua-nam-2020/":
        ("Thứ Ba, 09/06/2020", "Lưu Hồng Tài", "Cơ sở", "Các đơn vị trong Cụm thi đua số 3 tham gia ký kết giao ước năm 2020"),
}


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    from .conftest import REPO
    out = tmp_path_factory.mktemp("sample") / "output"
    assert main(["--root", str(REPO), "--output", str(out), "-q", "--strict"]) == 0
    return out


def read(out: Path, path: str) -> str:
    return (out / path / "index.html").read_text(encoding="utf-8")


@pytest.mark.parametrize("path", sorted(ARTICLES))
def test_each_seed_is_a_proper_article(built, path):
    date, author, level, caption = ARTICLES[path]
    html = read(built, path)
    assert f">{date}</time>" in html
    assert re.search(f'<p class="byline"[^>]*><a href="/tac-gia/[a-z-]+/"[^>]*>{re.escape(author)}</a></p>', html)
    assert re.search(f'<a class="level" href="/cap/[a-z-]+/"[^>]*>{level}</a>', html)
    assert html.count("<h1>") == 1
    body = html.split('<div class="article-body">')[1].split("</div>")[0]
    assert len(re.findall(r"<p>", body)) >= 2
    for junk in CHROME:
        assert junk not in html, junk
    if caption:
        assert f"<figcaption>{caption}</figcaption>" in html
        img = re.search(r"<figure>(?:<picture>.*?)?<img ([^>]+)>", html).group(1)
        assert re.search(r'alt="Hình minh họa: [^"]+"', img) and 'width="960"' in img and 'height="540"' in img
        assert (built / re.search(r'src="/([^"]+)"', img).group(1)).is_file()


def test_home_lists_all_five_newest_first(built):
    home = read(built, "")
    positions = [home.index(f'href="/{path}') for path in
                 ("2021/06/cong-doan-vien-chuc-tinh-so-ket", "2020/06/cum-thi-dua", "2019/12/lien-doan",
                  "2019/12/cong-doan-vien-chuc-tinh-day", "2016/07/ngay-22")]
    assert positions == sorted(positions)


def test_abbreviations_kept_verbatim(built):
    html = read(built, "2021/06/cong-doan-vien-chuc-tinh-so-ket-hoat-dong-cong-doan-6-thang-dau-nam/")
    for abbr in ("CĐVC", "LĐLĐ", "CĐCS", "CC,VC,LĐ"):
        assert abbr in html


def test_sample_has_every_listing(built):
    for path in ("luu-tru/", "2019/", "2019/12/", "2016/07/", "chu-de/", "chu-de/thi-dua/", "chu-de/hoi-nghi/",
                 "cap/", "cap/trung-uong/", "cap/tinh/", "cap/cap-tren-co-so/", "cap/co-so/", "don-vi/",
                 "don-vi/cong-doan-vien-chuc-tinh-soc-trang/", "tac-gia/", "tac-gia/hai-yen/"):
        assert (built / path / "index.html").is_file(), path
    assert "Chưa có bài viết nào ở cấp này." in read(built, "cap/trung-uong/")
    article = read(built, "2019/12/lien-doan-lao-dong-tinh-tong-ket-hoat-dong-cong-doan-nam-2019-va-trien-khai/")
    assert 'id="bai-lien-quan"' in article and 'class="older"' in article and 'class="newer"' in article


def test_sample_explains_abbreviations(built):
    html = read(built, "2021/06/cong-doan-vien-chuc-tinh-so-ket-hoat-dong-cong-doan-6-thang-dau-nam/")
    assert html.count('<abbr title="Công đoàn Viên chức">CĐVC</abbr>') == 1
    assert '<abbr title="Liên đoàn Lao động">LĐLĐ</abbr>' in html
