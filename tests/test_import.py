"""`build.py import`: real files written by other projects (../shared/import-samples/) and the seeds
become articles the build accepts, with their facts, once, and nothing is lost."""
from __future__ import annotations

import functools
import gzip
import http.server
import io
import json
import os
import re
import shutil
import threading
import unicodedata
from pathlib import Path

import pytest
from PIL import Image

from sitegen.config import load_config
from sitegen.frontmatter import parse_front_matter, split

from .conftest import REPO
from .docxmaker import Para, docx

SHARED = REPO.parent / "shared"
SAMPLES = SHARED / "import-samples"
SEEDS = SHARED / "seeds"


def articles(site) -> dict[str, tuple[dict, str]]:
    """Every article file of the site: content-relative path -> (raw front matter, body)."""
    found = {}
    for path in sorted((site.root / "content").rglob("*.md")):
        data, body, _ = split(path.read_text(encoding="utf-8"))
        found[path.relative_to(site.root / "content").as_posix()] = (data, body)
    return found


def fm(site, data: dict):
    """The typed front matter of a file (the build's own parser)."""
    config, _ = load_config(site.root)
    value, problems = parse_front_matter(data, "x.md", tuple(lv.key for lv in config.levels), config.tz)
    assert value is not None, problems
    return value


def by_title(site) -> dict[str, tuple[str, dict, str]]:
    return {data["title"]: (rel, data, body) for rel, (data, body) in articles(site).items()}


def snapshot(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def imported(site, *args: str):
    result = site.build_cmd("import", *args)
    return result


@pytest.fixture
def served(tmp_path):
    """A web server on 127.0.0.1 serving a folder: (folder, base URL)."""
    folder = tmp_path / "www"
    folder.mkdir()
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(folder))
    handler.log_message = lambda *a: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield folder, f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()


# --- the seeds (plain text) ------------------------------------------------

SEED_FACTS = {
    "000_21dcb7f326de7af0.txt": ("Công đoàn viên chức tỉnh đẩy mạnh phong trào thi đua trong cán bộ, công chức, viên "
                                 "chức, lao động", "2019-12-25T19:10:00+07:00", ("Văn Huỳnh",)),
    "001_98eb923b0d30aa3a.txt": ("Ngày 22.6.2016, Công đoàn Viên chức tỉnh Sóc Trăng tổ chức Hội nghị sơ kết hoạt động "
                                 "công đoàn 6 tháng đầu năm và triển khai nhiệm vụ công tác trọng tâm 6 tháng cuối năm "
                                 "2016", "2016-07-11", ("Minh Quang",)),
    "002_37a8b72512109e4f.txt": ("Công đoàn viên chức tỉnh sơ kết hoạt động công đoàn 6 tháng đầu năm", None,
                                 ("Hải Yến",)),
    "003_bfcbc2bb5e13386b.txt": ("Liên đoàn Lao động tỉnh: Tổng kết hoạt động Công đoàn năm 2019 và triển khai nhiệm "
                                 "vụ năm 2020", None, ("M.Linh",)),
    "004_549283a47ccd0a81.txt": ("Cụm thi đua số 3 Công đoàn Viên chức tỉnh ký kết giao ước thi đua năm 2020",
                                 "2020-06-09", ("Lưu Hồng Tài",)),
}


def test_seeds_become_articles_with_title_date_byline_and_no_clutter(site):
    result = imported(site, str(SEEDS), "--level", "cap-tren-co-so", "--date", "01/07/2021")
    assert result.code == 0, result.err
    found = articles(site)
    assert len(found) == 5
    by_source = {data["source"]: (rel, data, body) for rel, (data, body) in found.items()}
    for name, (title, date, authors) in SEED_FACTS.items():
        rel, data, body = by_source[name]
        value = fm(site, data)
        assert value.title == title
        assert value.authors == authors
        assert value.level == "cap-tren-co-so"
        assert value.date.iso() == (date or "2021-07-01T00:00:00+07:00")      # --date only where there was none
        local = value.date.value
        assert rel.startswith(f"{local.year:04d}/{local.month:02d}/")
        for clutter in ("Back", "Vissza", "TIN HOẠT ĐỘNG", "Giấy phép", "Bình luận", "lượt truy cập", "Cơ quan chủ quản",
                        "Nha khoa", "liên kết web", "Văn Huỳnh", "\u00d0"):
            assert clutter not in body, (name, clutter)
        assert body.strip().count("\n\n") >= 1          # paragraphs, not one line
    body = by_source["000_21dcb7f326de7af0.txt"][2]
    assert "Đền ơn đáp nghĩa" in body and "Ðền" not in body
    assert 'replaced "Ð" (U+00D0, Icelandic Eth) with "Đ" (U+0110)' in result.out
    caption = by_source["003_bfcbc2bb5e13386b.txt"][2]
    assert "\n\n*Quang cảnh hội nghị*\n\n" in caption
    assert site.build_cmd("check").code == 0


def _cp1258(text: str) -> bytes:
    """windows-1258 as Vietnamese Windows writes it: letters it has whole, tones as combining marks."""
    tones = "\u0300\u0301\u0303\u0309\u0323"
    out = b""
    for char in text:
        parts = unicodedata.normalize("NFD", char)
        base = unicodedata.normalize("NFC", "".join(c for c in parts if c not in tones))
        out += (base + "".join(c for c in parts if c in tones)).encode("cp1258")
    return out


def test_text_encodings_windows_1258_and_tcvn3(site, tmp_path):
    text = "Hội nghị tổng kết công đoàn\n\nNgày 25/12/2019, Liên đoàn Lao động tỉnh tổ chức hội nghị tổng kết năm.\n"
    (tmp_path / "cp1258.txt").write_bytes(_cp1258(text))
    tcvn3 = "Héi nghÞ c«ng ®oµn\n\nNgµy 25/12/2019, Liªn ®oµn Lao ®éng tØnh tæ chøc héi nghÞ tæng kÕt n¨m.\n"
    (tmp_path / "tcvn3.txt").write_bytes(tcvn3.encode("cp1252"))
    result = imported(site, str(tmp_path / "cp1258.txt"), str(tmp_path / "tcvn3.txt"), "--level", "tinh")
    assert result.code == 0, result.err
    titles = by_title(site)
    assert "Hội nghị tổng kết công đoàn" in titles
    assert "Liên đoàn Lao động tỉnh tổ chức hội nghị tổng kết năm" in titles["Hội nghị tổng kết công đoàn"][2]
    assert "Hội nghị công đoàn" in titles
    assert "Liên đoàn Lao động tỉnh tổ chức hội nghị tổng kết năm" in titles["Hội nghị công đoàn"][2]
    assert "windows-1258" in result.out and "TCVN3" in result.out


# --- behaviour ------------------------------------------------------------

def test_reimport_changes_nothing_and_force_rewrites_in_place(site):
    assert imported(site, str(SEEDS), "--level", "tinh").code == 0
    before = snapshot(site.root / "content")
    again = imported(site, str(SEEDS), "--level", "tinh")
    assert again.code == 0
    assert snapshot(site.root / "content") == before
    assert again.out.count("imported before as content/") == 5
    some = next(iter(before))
    edited = site.root / "content" / some
    edited.write_text(edited.read_text(encoding="utf-8") + "\nSửa tay.\n", encoding="utf-8")
    forced = imported(site, str(SEEDS), "--level", "tinh", "--force")
    assert forced.code == 0
    assert snapshot(site.root / "content") == before       # same files, same bytes, the edit replaced


def test_same_title_same_month_gets_distinct_slugs_and_never_overwrites(site, tmp_path):
    body = "Tin vắn\n\nNgày 05/03/2024, công đoàn cơ sở tổ chức hội nghị người lao động thường niên năm 2024.\n"
    for n in (1, 2):
        (tmp_path / f"t{n}.txt").write_text(body.replace("thường niên", f"thường niên lần {n}"), encoding="utf-8")
    kept = site.write("content/2024/03/tin-van.md", "---\ntitle: Tin vắn\ndate: 2024-03-01\nlevel: tinh\n---\n\nCũ.\n")
    result = imported(site, str(tmp_path / "t1.txt"), str(tmp_path / "t2.txt"), "--level", "tinh")
    assert result.code == 0, result.err
    assert kept.read_text(encoding="utf-8").endswith("Cũ.\n")
    found = articles(site)
    assert {"2024/03/tin-van.md", "2024/03/tin-van-2.md", "2024/03/tin-van-3.md"} <= set(found)
    assert found["2024/03/tin-van-2.md"][0]["slug"] == "tin-van-2"
    built = site.build("--no-search")
    assert built.code == 0, built.err
    assert (site.output / "2024/03/tin-van-3/index.html").is_file()


def test_dry_run_prints_the_report_and_writes_nothing(site):
    before = snapshot(site.root)
    result = imported(site, str(SAMPLES / "wxr" / "small-export.xml"), "--dry-run")
    assert result.code == 0
    assert snapshot(site.root) == before
    assert "would import 5 article(s)" in result.out and "nothing was written (--dry-run)" in result.out
    assert "Private Post»: private" in result.out


def test_a_failure_while_moving_files_into_place_puts_everything_back(site, monkeypatch):
    import sitegen.importing as importing
    site.write("content/2019/01/cu.md", "---\ntitle: Cũ\ndate: 2019-01-01\nlevel: tinh\n---\n\nCũ.\n")
    before = snapshot(site.root / "content")
    real, calls = os.replace, []

    def failing(src, dst):
        calls.append(dst)
        if len(calls) == 3:
            raise OSError(28, "No space left on device")
        return real(src, dst)

    monkeypatch.setattr(importing.os, "replace", failing)
    result = imported(site, str(SEEDS), "--level", "tinh")
    assert result.code == 1
    assert "nothing was written" in result.err
    assert snapshot(site.root / "content") == before
    assert not any(p.name.startswith(".import-") for p in (site.root / "content").iterdir())


def test_unreadable_sources_exit_1_after_importing_the_others(site, tmp_path):
    (tmp_path / "broken.docx").write_bytes(b"PK\x03\x04 not really a zip")
    (tmp_path / "old.doc").write_bytes(b"\xd0\xcf\x11\xe0" + b"\0" * 100)
    result = imported(site, str(tmp_path / "broken.docx"), str(tmp_path / "old.doc"), str(tmp_path / "missing.xml"),
                      str(SEEDS / "000_21dcb7f326de7af0.txt"), "--level", "tinh")
    assert result.code == 1
    lines = result.err.splitlines()
    assert f"{tmp_path / 'broken.docx'}: file: is not a Word .docx file (its zip archive is broken)" in lines
    assert any(line.startswith(f"{tmp_path / 'old.doc'}: file: is an old binary Word file (.doc)") for line in lines)
    assert f"{tmp_path / 'missing.xml'}: file: not found" in lines
    assert len(articles(site)) == 1
    assert "3 source(s) could not be read" in result.out


def test_options_level_unit_author_topics_since_limit(site):
    wxr = str(SAMPLES / "wxr" / "theme-unit-test-data.xml")
    bad = imported(site, wxr, "--level", "xa")
    assert bad.code == 1 and 'unknown level "xa"' in bad.err
    assert imported(site, wxr, "--date", "hôm qua").code == 1
    result = imported(site, wxr, "--unit", "LĐLĐ tỉnh", "--author", "Ban biên tập", "--topics", "Tư liệu, Lưu trữ",
                      "--since", "2012-01-01", "--limit", "5")
    assert result.code == 0, result.err
    found = articles(site)
    assert len(found) == 5
    for data, _ in found.values():
        value = fm(site, data)
        assert value.level == "trung-uong"              # the first level of site.yaml, with a warning
        assert value.unit == "LĐLĐ tỉnh"
        assert {"Tư liệu", "Lưu trữ"} <= set(value.topics)
        assert value.date.value.year >= 2012
        assert value.authors == ("Theme Buster",) or value.authors       # the source's author wins
    assert 'no --level given: every article was given "trung-uong"' in result.out
    assert "past --limit 5" in result.out and "dated before --since" in result.out


# --- WordPress ------------------------------------------------------------

def test_wordpress_statuses_dates_terms_and_authors(site):
    result = imported(site, str(SAMPLES / "wxr" / "theme-unit-test-data.xml"), "--level", "tinh")
    assert result.code == 0, result.err
    titles = by_title(site)
    assert "Template: Password Protected (the password is \"enter\")" not in titles
    assert re.search(r"post 1168 .*: password-protected", result.out)
    draft = fm(site, titles["Draft"][1])
    assert draft.draft is True
    scheduled = fm(site, titles["Scheduled"][1])
    assert not scheduled.draft and scheduled.date.value.year == 2030
    assert "(scheduled)" in result.out and "(draft)" in result.out
    sticky = titles["Template: Sticky"]
    value = fm(site, sticky[1])
    # post_date 2012-01-07 07:07:21 in the old site's zone; post_date_gmt 2012-01-07 07:07:21 → +07:00
    assert value.date.value.isoformat() == "2012-01-07T21:07:21+07:00"
    assert value.authors == ("Theme Buster",)
    assert value.aliases == ("/2012/01/07/template-sticky/",)
    assert value.origin == "http://wptest.io/demo/?p=1241"          # its GUID
    many = fm(site, titles["Edge Case: Many Tags"][1])
    assert len(many.topics) > 20 and "Uncategorized" not in many.topics
    gallery = titles["Post Format: Gallery"][2]
    assert gallery.count("![") >= 20                     # [gallery] became the post's images
    assert "[gallery" not in gallery and "[simple]" not in titles["Post Format: Standard"][2]
    assert "shortcode [simple] is not known and was removed" in result.out
    assert site.build_cmd("check").code == 0


def test_wordpress_featured_image_excerpt_caption_and_broken_cdata(site):
    result = imported(site, str(SAMPLES / "wxr"), "--level", "tinh", "--pages")
    assert result.code == 0, result.err
    titles = by_title(site)
    featured = fm(site, titles["Template: Featured Image (Horizontal)"][1])
    assert featured.image.startswith("https://") and featured.image_alt
    summary = fm(site, titles["With excerpt"][1]).summary            # the excerpt, one line
    assert summary.startswith("Lorem ipsum dolor sit amet") and "\n" not in summary and len(summary) < 500
    assert '![](http' not in titles["Caption on image"][2]
    assert re.search(r'!\[This is a pelican\]\(http://thisisa\.test/theme/img/[^ ]+ "This is a pelican"\)',
                     titles["Caption on image"][2])
    hello = [(rel, data, body) for rel, (data, body) in articles(site).items()
             if data["source"] == "http://example.org/?p=1"][0]
    # "Content with nested <![CDATA[ tags ]]> :)": in HTML the inner CDATA is a comment, which the
    # old site's readers never saw either; the rest of the post is there
    assert hello[2].strip() == "Content with nested :)"
    assert "is not well-formed XML" in result.out and "read item by item" in result.out
    assert "Sample Page" in titles                              # --pages
    assert site.build_cmd("check").code == 0
    built = site.build("--no-search")
    assert built.code == 0, built.err
    assert "Content with nested :)" in site.page(hello[0][: -len(".md")] + "/")


WXR = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:excerpt="http://wordpress.org/export/1.2/excerpt/"
 xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:dc="http://purl.org/dc/elements/1.1/"
 xmlns:wp="http://wordpress.org/export/1.2/">
<channel><title>Cũ</title><link>http://old.vn</link><wp:wxr_version>1.2</wp:wxr_version>
<wp:base_site_url>http://old.vn</wp:base_site_url><wp:base_blog_url>http://old.vn</wp:base_blog_url>
<wp:author><wp:author_login><![CDATA[bbt]]></wp:author_login><wp:author_display_name><![CDATA[Văn Huỳnh]]></wp:author_display_name></wp:author>
{items}
</channel></rss>"""
ITEM = """<item><title><![CDATA[{title}]]></title><link>http://old.vn/{slug}/</link>
<dc:creator><![CDATA[bbt]]></dc:creator><guid isPermaLink="false">http://old.vn/?p={id}</guid>
<content:encoded><![CDATA[{content}]]></content:encoded><excerpt:encoded><![CDATA[]]></excerpt:encoded>
<wp:post_id>{id}</wp:post_id><wp:post_date><![CDATA[{date}]]></wp:post_date><wp:post_date_gmt><![CDATA[{gmt}]]></wp:post_date_gmt>
<wp:post_name><![CDATA[{slug}]]></wp:post_name><wp:status><![CDATA[publish]]></wp:status><wp:post_parent>{parent}</wp:post_parent>
<wp:post_type><![CDATA[{kind}]]></wp:post_type><wp:post_password><![CDATA[]]></wp:post_password>
<wp:attachment_url><![CDATA[{attachment}]]></wp:attachment_url>
<category domain="category" nicename="covid-19"><![CDATA[covid-19]]></category>
<category domain="category" nicename="uncategorized"><![CDATA[Uncategorized]]></category>
<category domain="post_tag" nicename="thi-dua"><![CDATA[THI ĐUA]]></category>
{meta}</item>"""


def wxr(*items: dict) -> str:
    made = []
    for item in items:
        values = {"kind": "post", "parent": "0", "attachment": "", "meta": "", "date": "2020-06-09 09:00:00",
                  "gmt": "2020-06-09 02:00:00", **item}
        made.append(ITEM.format(**values))
    return WXR.format(items="\n".join(made))


def test_wordpress_links_between_posts_media_folder_and_topic_aliases(site, tmp_path):
    site.write("site.yaml", (site.root / "site.yaml").read_text(encoding="utf-8")
               + "topic_aliases:\n  Covid-19: Phòng chống dịch Covid-19\n")
    site.write("content/2019/01/co-san.md", "---\ntitle: Có sẵn\ndate: 2019-01-01\nlevel: tinh\n"
                                            "topics: [Thi đua]\n---\n\nCó sẵn.\n")
    media = tmp_path / "uploads"
    (media / "2020" / "06").mkdir(parents=True)
    Image.new("RGB", (64, 48), (200, 30, 30)).save(media / "2020" / "06" / "hoi-nghi.jpg", quality=90)
    content_a = ('<p>Xem <a href="http://old.vn/bai-b/">bài B</a> và <a href="https://www.old.vn/?p=2#muc">mục</a>.</p>'
                 '[caption id="attachment_9" width="300"]<a href="http://old.vn/wp-content/uploads/2020/06/'
                 'hoi-nghi.jpg"><img src="http://old.vn/wp-content/uploads/2020/06/hoi-nghi-300x200.jpg" alt="Hội '
                 'nghị" width="300" /></a> Quang cảnh hội nghị[/caption]\n\n'
                 '<img src="http://old.vn/wp-content/uploads/2020/06/khong-co.jpg" alt="Không có">\n\n[foo bar="1"]')
    export = wxr({"id": "1", "title": "Bài A", "slug": "bai-a", "content": content_a,
                  "meta": "<wp:postmeta><wp:meta_key>_thumbnail_id</wp:meta_key><wp:meta_value>9</wp:meta_value>"
                          "</wp:postmeta>"},
                 {"id": "2", "title": "Bài B", "slug": "bai-b", "content": "Dòng một\nDòng hai\n\nĐoạn hai."},
                 {"id": "9", "title": "hoi-nghi", "slug": "hoi-nghi", "kind": "attachment", "parent": "1",
                  "content": "", "attachment": "http://old.vn/wp-content/uploads/2020/06/hoi-nghi.jpg"})
    (tmp_path / "export.xml").write_text(export, encoding="utf-8")
    result = imported(site, str(tmp_path / "export.xml"), "--level", "tinh", "--media", str(media))
    assert result.code == 0, result.err
    a = articles(site)["2020/06/bai-a.md"]
    b = articles(site)["2020/06/bai-b.md"]
    assert "[bài B](/2020/06/bai-b.md)" in a[1] and "[mục](/2020/06/bai-b.md#muc)" in a[1]
    assert '![Hội nghị](anh/hoi-nghi.jpg "Quang cảnh hội nghị")' in a[1]
    assert (site.root / "content/2020/06/anh/hoi-nghi.jpg").read_bytes() == (media / "2020/06/hoi-nghi.jpg").read_bytes()
    assert a[0]["image"] == "anh/hoi-nghi.jpg"
    assert a[0]["topics"] == ["Phòng chống dịch Covid-19", "Thi đua"]         # alias, then the site's spelling
    assert a[0]["author"] == "Văn Huỳnh" and a[0]["aliases"] == ["/bai-a/"]
    assert a[0]["date"] == "2020-06-09 09:00"
    assert "http://old.vn/wp-content/uploads/2020/06/khong-co.jpg" in a[1]
    assert "content/2020/06/bai-a.md: http://old.vn/wp-content/uploads/2020/06/khong-co.jpg" in result.out
    assert "shortcode [foo] is not known and was removed" in result.out and "[foo" not in a[1]
    assert b[1].lstrip("\n") == "Dòng một  \nDòng hai\n\nĐoạn hai.\n"
    built = site.build("--no-search")
    assert built.code == 0, built.err
    page = site.page("2020/06/bai-a/")
    assert 'href="/2020/06/bai-b/"' in page and 'href="/2020/06/bai-b/#muc"' in page
    assert "<figcaption>Quang cảnh hội nghị</figcaption>" in page
    assert (site.output / "bai-a/index.html").is_file()              # the old address redirects
    assert '"/bai-a/" "/2020/06/bai-a/";' in (site.output / "redirects.map").read_text(encoding="utf-8")


def test_wordpress_dates_in_another_zone_use_the_gmt_time(site, tmp_path):
    (tmp_path / "e.xml").write_text(wxr({"id": "1", "title": "Giờ", "slug": "gio", "content": "x",
                                         "date": "2020-06-08 22:00:00", "gmt": "2020-06-09 02:00:00"}),
                                    encoding="utf-8")
    result = imported(site, str(tmp_path / "e.xml"), "--level", "tinh")
    assert result.code == 0
    assert articles(site)["2020/06/gio.md"][0]["date"] == "2020-06-09 09:00"
    assert "UTC-04:00, not in the portal's time zone" in result.out


# --- feeds ------------------------------------------------------------------

def test_vietnamese_feeds_with_dates_and_a_browser_banner(site):
    result = imported(site, str(SAMPLES / "feeds" / "vnexpress-tin-moi-nhat_2017-07-26.rss"),
                      str(SAMPLES / "feeds" / "vnexpress-tin-moi-nhat_2017-11-14_browser-copy.rss"), "--level", "tinh")
    assert result.code == 0, result.err
    titles = by_title(site)
    assert len(titles) == 50
    rel, data, body = titles["Sacombank lại thay đổi loạt nhân sự cấp cao"]
    assert data["date"] == "2017-07-26 19:10:57" and rel.startswith("2017/07/")
    assert data["source"].startswith("http://kinhdoanh.vnexpress.net/tin-tuc/ebank/")
    assert "Một loạt nhân sự cấp cao của Sacombank" in body
    assert site.build_cmd("check").code == 0


def test_malformed_feeds_import_what_can_be_recovered_and_say_so(site):
    result = imported(site, str(SAMPLES / "feeds" / "medium_feed.xml"), str(SAMPLES / "feeds" / "InvalidDateFormat.xml"),
                      "--level", "tinh")
    assert result.code == 0, result.err
    assert "medium_feed.xml: is not a well-formed feed at line 31" in result.out
    assert "2 entries were recovered" in result.out
    assert {"This is a Dummy Post", "How I cross post Medium articles to GitHub Pages", "Item 0 with an invalid date",
            "Item 1 with all valid dates"} <= set(by_title(site))


def test_feed_relative_links_resolve_against_xml_base_and_the_feed_address(site, served):
    folder, base = served
    shutil.copy(SAMPLES / "feeds" / "SamRuby.xml", folder / "feed.xml")
    result = imported(site, base + "feed.xml", str(SAMPLES / "feeds" / "FeedBurnerXHTML.xml"), "--level", "tinh")
    assert result.code == 0, result.err
    bodies = "\n".join(body for _, body in articles(site).values())
    assert "](/blog/" not in bodies and "](../" not in bodies
    assert re.search(r"\]\(http://127\.0\.0\.1:\d+/blog/", bodies) or "](http://intertwingly.net/blog/" in bodies
    assert "](http://www.mlbtraderumors.com/" in bodies or "](http://feeds.feedburner.com/" in bodies \
        or "](http://www.rotoauthority.com/" in bodies


def test_cyrillic_atom_with_styles_is_clean(site):
    result = imported(site, str(SAMPLES / "feeds" / "large_atom_feed_that_needs_css_sanitisation.xml"), "--level", "tinh")
    assert result.code == 0, result.err
    found = articles(site)
    assert len(found) == 15
    text = "\n".join(body for _, body in found.values())
    assert "style=" not in text and "<span" not in text
    assert "Невидимая броня для Вашего Nokia 5800" in by_title(site)


# --- Word -----------------------------------------------------------------

def test_word_samples_match_pandocs_reading(site):
    result = imported(site, *(str(p) for p in sorted((SAMPLES / "docx").glob("*.docx"))), "--level", "tinh",
                      "--date", "2024-05-01")
    assert result.code == 0, result.err
    titles = by_title(site)
    headers = titles["A Test of Headers"][2]
    assert "## Second Level" in headers and "##### Fifth level" in headers and "###### Sixth level" in headers
    assert "\nSeventh level\n" in headers
    lists = titles["Some nested lists"][2]
    assert "1. one\n2. two\n    1. a\n    2. b" in lists
    assert "- one\n- two\n    - three\n        - four" in lists
    notes = titles["A footnote"][2]
    assert "Test footnote.[^1] Test endnote.[^2]" in notes
    assert "[^1]: My note." in notes and "[^2]: This is an endnote at the end of the document." in notes
    tables = titles["A table, with and without a header row"][2]
    assert "| Name | Game | Fame | Blame |\n|---|---|---|---|\n| Lebron James | Basketball |" in tables
    assert "| Simple<br>Multiparagraph | Table<br>Full |" in tables
    meta = titles["This Is the Title"]
    value = fm(site, meta[1])
    assert value.authors == ("Mary Ann Evans", "Aurore Dupin")
    assert value.date.iso() == "2014-07-28"                    # the Date paragraph, not --date
    assert value.summary.startswith("This is a test of how this all works.")
    assert meta[2].strip() == "And now this is normal text."
    i18n = titles["This is Heading 1"][2]                    # a Russian Word: styles "1", "2", "21", "a4"
    assert "## This is Heading 2" in i18n and "> This is Quote\n>\n> This is Block Text" in i18n
    assert "- This is list item 1\n- This is list item 2" in i18n
    assert titles["strict format"][2].strip() == "Test"
    image_rel, _, image_body = titles["image"]
    assert "![He realizes he's making the file-size too big.](anh/image-1.jpg)" in image_body
    extracted = site.root / "content" / Path(image_rel).parent / "anh" / "image-1.jpg"
    assert Image.open(extracted).format == "JPEG"
    assert fm(site, titles["image"][1]).date.iso() == "2024-05-01T00:00:00+07:00"   # --date over the properties
    assert site.build_cmd("check").code == 0


def test_word_title_byline_caption_and_localised_headings(site, tmp_path):
    png = io.BytesIO()
    Image.new("RGB", (40, 30), (0, 90, 160)).save(png, "PNG")
    document = docx([
        Para("Công đoàn Viên chức tỉnh tổ chức hội nghị", bold=True),
        Para("Ngày 25/12, Công đoàn Viên chức tỉnh tổ chức hội nghị tổng kết phong trào thi đua năm 2019."),
        Para("Kết quả nổi bật", style="1"),
        Para("Chi tiết", style="21"),
        Para("Quang cảnh hội nghị tại hội trường", image=True),
        Para("Quang cảnh hội nghị", style="Caption"),
        Para("Nội dung tiếp theo của bài viết về phong trào thi đua."),
        Para("Văn Huỳnh", right=True),
    ], image=png.getvalue())
    (tmp_path / "thong-cao.docx").write_bytes(document)
    result = imported(site, str(tmp_path / "thong-cao.docx"), "--level", "tinh")
    assert result.code == 0, result.err
    rel, data, body = by_title(site)["Công đoàn Viên chức tỉnh tổ chức hội nghị"]
    assert data["author"] == "Văn Huỳnh" and "Văn Huỳnh" not in body
    assert data["date"] == "2020-06-09 09:00" and data["source"] == "thong-cao.docx"
    assert "## Kết quả nổi bật\n\n### Chi tiết" in body
    assert ('![Quang cảnh hội nghị tại hội trường](anh/cong-doan-vien-chuc-tinh-to-chuc-hoi-nghi-1.png '
            '"Quang cảnh hội nghị")') in body
    assert "no date in the document: the date it was created was used" in result.out


def test_word_in_old_font_encodings_is_converted_run_by_run(site, tmp_path):
    document = docx([
        Para("Héi nghÞ c«ng ®oµn", font=".VnTime", bold=True),
        Para("Ngµy 25/12, Liªn ®oµn Lao ®éng tØnh tæ chøc héi nghÞ tæng kÕt.", font=".VnTime"),
        Para("Café and résumé stay as they were.", font="Times New Roman"),
        Para("HéI NGHÞ", font=".VnTimeH", style="1"),
    ])
    (tmp_path / "cu.docx").write_bytes(document)
    result = imported(site, str(tmp_path / "cu.docx"), "--level", "tinh")
    assert result.code == 0, result.err
    rel, data, body = by_title(site)["Hội nghị công đoàn"]
    assert "Ngày 25/12, Liên đoàn Lao động tỉnh tổ chức hội nghị tổng kết." in body
    assert "Café and résumé stay as they were." in body
    assert "## HỘI NGHỊ" in body
    assert "TCVN3" in result.out


# --- old portal pages -----------------------------------------------------

def test_vnexpress_page_matches_the_answer_key(site):
    key = json.loads((SAMPLES / "html" / "fundus-vn" / "VnExpress.json").read_text(encoding="utf-8"))["V1"]
    result = imported(site, str(SAMPLES / "html" / "fundus-vn" / "VnExpress_2025_10_22.html"), "--level", "tinh")
    assert result.code == 0, result.err
    rel, data, body = by_title(site)[key["title"]]
    value = fm(site, data)
    assert value.authors == tuple(key["authors"])
    assert value.date.value.isoformat() == key["publishing_date"].replace(" ", "T")
    assert {t.casefold() for t in value.topics} == {t.casefold() for t in key["topics"]}
    assert value.summary == key["body"]["summary"][0]
    for paragraph in key["body"]["sections"][0]["paragraphs"]:
        if paragraph.startswith("Y bác sĩ nội soi"):
            assert '"Y bác sĩ nội soi cho bệnh nhân. Ảnh: Bệnh viện cung cấp")' in body     # the photo's caption
        else:
            assert paragraph in body
    for clutter in ("Lê Phương", "Xem thêm", "Tin liên quan", "<script", "Chia sẻ"):
        assert clutter not in body


def test_vietnamese_printed_date_byline_and_tags(site, served):
    folder, base = served
    shutil.copy(SAMPLES / "html" / "VnExpress.net-Kinh-doanh.html", folder / "bai.html")
    result = imported(site, base + "bai.html", "--level", "tinh")
    assert result.code == 0, result.err
    title = "Ông Hồ Đức Phớc: Sẽ nâng mức giảm trừ gia cảnh tính thuế cá nhân khi sửa luật"
    rel, data, body = by_title(site)[title]
    value = fm(site, data)
    assert value.date.value.date().isoformat() == "2023-11-02"           # htmldate's answer key
    assert value.date.value.strftime("%H:%M") == "19:20"
    assert value.authors == ("Anh Minh",)
    assert {"Kỳ họp thứ 6 Quốc hội khóa 15", "Thuế thu nhập cá nhân", "Tin nóng"} <= set(value.topics)
    assert value.aliases == ("/ong-ho-duc-phoc-se-nang-muc-giam-tru-gia-canh-tinh-thue-ca-nhan-khi-sua-luat-4672302.html",)


@pytest.mark.parametrize("name", ["readability-liberation-1", "readability-aktualne", "readability-wordpress"])
def test_foreign_pages_match_readabilitys_answer_keys(site, name):
    key = json.loads((SAMPLES / "html" / name / "expected-metadata.json").read_text(encoding="utf-8"))
    result = imported(site, str(SAMPLES / "html" / name / "source.html"), "--level", "tinh")
    assert result.code == 0, result.err
    (rel, data, body), = by_title(site).values()
    value = fm(site, data)
    assert value.title == key["title"]
    if key["byline"]:
        assert value.authors == (re.sub(r"^Par ", "", key["byline"]),)
    expected = key["publishedTime"]
    if re.search(r"[+-]\d{4}$", expected):
        expected = expected[:-2] + ":" + expected[-2:]
    from datetime import datetime
    when = datetime.fromisoformat(expected)
    if when.tzinfo is None:
        assert value.date.value.replace(tzinfo=None) == when
    else:
        assert value.date.value == when
    assert len(body) > 1000 and "<script" not in body


def test_gzipped_page_is_read_and_binary_junk_refused(site, tmp_path):
    (tmp_path / "junk.txt").write_bytes(bytes(range(256)) * 20)
    result = imported(site, str(SAMPLES / "html" / "fundus-vn" / "VnExpress_2025_10_22.html.gz"),
                      str(tmp_path / "junk.txt"), "--level", "tinh")
    assert result.code == 1
    assert "Đau bụng kéo dài, phát hiện ung thư lymphoma ruột non" in by_title(site)
    assert f"{tmp_path / 'junk.txt'}: file: is not text" in result.err


def test_old_addresses_taken_already_are_not_kept_and_force_keeps_its_own(site, tmp_path):
    site.write("content/2019/01/co-san.md", "---\ntitle: Có sẵn\ndate: 2019-01-01\nlevel: tinh\n"
                                            'aliases: ["/bai-a/"]\n---\n\nCó sẵn.\n')
    (tmp_path / "e.xml").write_text(wxr({"id": "1", "title": "Bài A", "slug": "bai-a", "content": "a"},
                                        {"id": "2", "title": "Bài B", "slug": "bai-b", "content": "b"},
                                        {"id": "3", "title": "Bài C", "slug": "chu-de", "content": "c"}),
                                    encoding="utf-8")
    result = imported(site, str(tmp_path / "e.xml"), "--level", "tinh")
    assert result.code == 0, result.err
    assert "the old address /bai-a/ was not kept: it is already an alias of content/2019/01/co-san.md" in result.out
    assert "the old address /chu-de/ was not kept: it is already an address of the site's own pages" in result.out
    found = articles(site)
    assert "aliases" not in found["2020/06/bai-a.md"][0] and found["2020/06/bai-b.md"][0]["aliases"] == ["/bai-b/"]
    forced = imported(site, str(tmp_path / "e.xml"), "--level", "tinh", "--force")
    assert forced.code == 0 and "/bai-b/ was not kept" not in forced.out
    assert articles(site)["2020/06/bai-b.md"][0]["aliases"] == ["/bai-b/"]
    assert site.build_cmd("check").code == 0


def test_declared_windows_1258_in_pages_and_exports(site, tmp_path):
    title = "Hội nghị người lao động năm 2024"
    lead = "Ngày 05/03/2024, công đoàn cơ sở tổ chức hội nghị người lao động, biểu dương các tập thể tiêu biểu."
    page = (f'<html><head><meta http-equiv="Content-Type" content="text/html; charset=windows-1258">'
            f'<title>{title}</title><meta property="article:published_time" content="2024-03-05T08:00:00+07:00">'
            f"</head><body><nav>Trang chủ | Tin tức</nav><article><h1>{title}</h1>" + f"<p>{lead}</p>" * 4 +
            "</article><footer>Bản quyền</footer></body></html>")
    (tmp_path / "trang.html").write_bytes(_cp1258(page))
    export = wxr({"id": "7", "title": "Đại hội công đoàn cơ sở", "slug": "dai-hoi", "content": lead})
    export = export.replace('encoding="UTF-8"', 'encoding="windows-1258"')
    (tmp_path / "export.xml").write_bytes(_cp1258(export))
    result = imported(site, str(tmp_path / "trang.html"), str(tmp_path / "export.xml"), "--level", "tinh")
    assert result.code == 0, result.err
    titles = by_title(site)
    assert lead in titles[title][2] and lead in titles["Đại hội công đoàn cơ sở"][2]
    assert "Trang chủ" not in titles[title][2] and "Bản quyền" not in titles[title][2]


def test_feed_authors_categories_and_full_content(site):
    result = imported(site, str(SAMPLES / "feeds" / "TechCrunch.xml"), "--level", "tinh")
    assert result.code == 0, result.err
    rel, data, body = by_title(site)["Angie’s List Sets Price Range IPO At $11 To $13 Per Share; Valued At Over $600M"]
    value = fm(site, data)
    assert value.authors == ("Leena Rao",)
    assert value.topics == ("TC", "angie\\'s list")     # as the feed spells them (backslash and all)
    assert len(body) > len(value.summary) > 0          # content:encoded, the description as the summary
