"""Hostile sources: nothing they hold reaches the site unsafely, is written outside content/, or
makes the importer read files, expand without end, or unpack without bound."""
from __future__ import annotations

import io
import os
import time
import zipfile

import pytest
from PIL import Image

from .docxmaker import Para, docx
from .test_import import articles, served, snapshot, wxr  # noqa: F401 - served is a fixture

SECRET = "bí-mật-của-máy-chủ-7f3a"


@pytest.fixture
def secret(tmp_path):
    """A file an XML entity could try to read."""
    path = tmp_path / "secret.txt"
    path.write_text(SECRET, encoding="utf-8")
    return path


def everything_written(site) -> str:
    return "\n".join(p.read_text(encoding="utf-8", errors="replace") for p in (site.root / "content").rglob("*")
                     if p.is_file())


def test_wordpress_export_with_an_external_entity_is_refused(site, tmp_path, secret):
    export = wxr({"id": "1", "title": "&xxe;", "slug": "a", "content": "&xxe;"}).replace(
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE rss [<!ENTITY xxe SYSTEM "file://{secret}">]>')
    export = export.replace("<![CDATA[&xxe;]]>", "&xxe;")
    (tmp_path / "e.xml").write_text(export, encoding="utf-8")
    result = site.build_cmd("import", str(tmp_path / "e.xml"), "--level", "tinh")
    assert result.code == 1
    assert "declares a DTD or entities" in result.err
    assert not articles(site) and SECRET not in everything_written(site)


@pytest.mark.parametrize("kind", ["wxr", "feed"])
def test_entity_expansion_bombs_are_refused_at_once(site, tmp_path, kind):
    bomb = ('<!DOCTYPE rss [<!ENTITY a "aaaaaaaaaa">' + "".join(
        f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">' for i in range(9)) + "]>")
    if kind == "wxr":
        text = wxr({"id": "1", "title": "x", "slug": "x", "content": "y"}).replace("<rss", bomb + "\n<rss", 1)
        text = text.replace("<![CDATA[x]]>", "&j;")
    else:
        text = f'<?xml version="1.0"?>{bomb}<rss version="2.0"><channel><title>t</title><item><title>&j;</title>' \
               "<description>x</description></item></channel></rss>"
    (tmp_path / "bomb.xml").write_text(text, encoding="utf-8")
    started = time.monotonic()
    result = site.build_cmd("import", str(tmp_path / "bomb.xml"), "--level", "tinh")
    assert time.monotonic() - started < 10
    assert result.code == 1 and "refused" in result.err
    assert not articles(site)


def test_feed_with_an_external_entity_is_refused(site, tmp_path, secret):
    text = (f'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY xxe SYSTEM "file://{secret}">]><rss version="2.0">'
            "<channel><title>t</title><item><title>Tin</title><description>&xxe;</description></item></channel></rss>")
    (tmp_path / "feed.rss").write_text(text, encoding="utf-8")
    result = site.build_cmd("import", str(tmp_path / "feed.rss"), "--level", "tinh")
    assert result.code == 1 and "refused" in result.err
    assert SECRET not in everything_written(site)


def test_page_with_an_external_entity_reads_no_file(site, tmp_path, secret):
    page = (f'<!DOCTYPE html [<!ENTITY xxe SYSTEM "file://{secret}">]><html><head><title>Tin</title></head><body>'
            "<article><h1>Tin hoạt động công đoàn</h1>" + "<p>Đoạn văn dài về hoạt động công đoàn cơ sở &xxe; trong "
            "năm qua với nhiều kết quả.</p>" * 5 + "</article></body></html>")
    (tmp_path / "p.html").write_text(page, encoding="utf-8")
    site.build_cmd("import", str(tmp_path / "p.html"), "--level", "tinh")
    assert SECRET not in everything_written(site)


def test_word_archive_bombs_are_refused(site, tmp_path):
    bomb = docx([Para("Tiêu đề", bold=True), Para("x")], extra={"word/media/big.bin": b"\0" * (80 * 1024 * 1024)})
    assert len(bomb) < 1024 * 1024
    (tmp_path / "bomb.docx").write_bytes(bomb)
    many = io.BytesIO()
    with zipfile.ZipFile(many, "w") as archive:
        for n in range(3000):
            archive.writestr(f"word/x{n}.xml", "")
    (tmp_path / "many.docx").write_bytes(many.getvalue())
    result = site.build_cmd("import", str(tmp_path / "bomb.docx"), str(tmp_path / "many.docx"), "--level", "tinh")
    assert result.code == 1
    assert "refused as an archive bomb" in result.err and "holds 3000 files" in result.err
    assert not articles(site)


def test_names_inside_sources_never_decide_where_files_go(site, tmp_path):
    png = io.BytesIO()
    Image.new("RGB", (8, 8)).save(png, "PNG")
    document = docx([Para("Bài có ảnh", bold=True), Para("Ảnh", image=True), Para("Nội dung.")],
                    image=png.getvalue(), image_name="../../../../../../tmp/escaped.png")
    (tmp_path / "a.docx").write_bytes(document)
    outside = tmp_path / "outside"
    media = tmp_path / "media"
    media.mkdir()
    outside.mkdir()
    Image.new("RGB", (8, 8)).save(outside / "leak.jpg")
    os.symlink(outside / "leak.jpg", media / "link.jpg")
    content = ('<p><img src="http://old.vn/wp-content/uploads/../../../../etc/passwd" alt="a"></p>'
               '<p><img src="http://old.vn/link.jpg" alt="b"></p><p><a href="../../../x">x</a></p>')
    (tmp_path / "e.xml").write_text(wxr({"id": "1", "title": "../../../../thoat-ra", "slug": "../..", "content": content}),
                                    encoding="utf-8")
    before = set(os.listdir(tmp_path))
    result = site.build_cmd("import", str(tmp_path / "a.docx"), str(tmp_path / "e.xml"), "--level", "tinh",
                            "--media", str(media))
    assert result.code == 0, result.err
    assert set(os.listdir(tmp_path)) == before                      # nothing beside the site
    assert not os.path.exists("/tmp/escaped.png")
    written = sorted(p.relative_to(site.root / "content").as_posix()
                     for p in (site.root / "content").rglob("*") if p.is_file())
    assert written == ["2020/06/anh/bai-co-anh-1.png", "2020/06/bai-co-anh.md", "2020/06/thoat-ra.md"]
    text = everything_written(site)
    assert "root:" not in text and "anh/link" not in text          # no file read through a link out of --media


HOSTILE = [
    "<script>alert(1)</script>", '<img src="x.png" onerror="alert(2)" alt="a">',
    '<a href="javascript:alert(3)">bấm</a>', '<a href="JaVaScRiPt:alert(4)">bấm</a>',
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCg1KTwvc2NyaXB0Pg==">bấm</a>',
    '<iframe src="javascript:alert(6)"></iframe>', '<svg onload="alert(7)"><circle r="1"/></svg>',
    "<style>body{display:none}</style>", '<object data="x.swf"></object>', '<p onclick="alert(8)">chữ</p>',
    '<form action="https://evil.example"><input name="p"></form>', '<a href="vbscript:msgbox(9)">x</a>',
    "<!-- wp:html --><div style=\"position:fixed\">khung</div><!-- /wp:html -->",
]


def test_imported_html_never_reaches_the_site_unsafe(site, tmp_path):
    content = "<p>Nội dung an toàn của bài viết.</p>" + "".join(HOSTILE)
    (tmp_path / "e.xml").write_text(wxr({"id": "1", "title": "Bài độc hại", "slug": "bai", "content": content}),
                                    encoding="utf-8")
    (tmp_path / "feed.rss").write_text(
        '<?xml version="1.0"?><rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel>'
        "<title>t</title><item><title>Tin độc hại</title><pubDate>Tue, 09 Jun 2020 02:00:00 GMT</pubDate>"
        f"<content:encoded><![CDATA[{content}]]></content:encoded></item></channel></rss>", encoding="utf-8")
    result = site.build_cmd("import", str(tmp_path / "e.xml"), str(tmp_path / "feed.rss"), "--level", "tinh")
    assert result.code == 0, result.err
    text = everything_written(site).lower()
    for bad in ("<script", "onerror", "onload", "onclick", "javascript:", "vbscript:", "data:text", "<iframe",
                "<style", "<object", "<form", "position:fixed", "alert("):
        assert bad not in text, bad
    assert "Nội dung an toàn của bài viết." in everything_written(site)
    built = site.build("--no-search")
    assert built.code == 0, built.err
    pages = "\n".join(p.read_text(encoding="utf-8").lower() for p in site.output.rglob("*.html"))
    for bad in ("onerror", "onload", "onclick", "javascript:", "alert("):
        assert bad not in pages, bad


def test_a_source_past_the_size_limit_is_refused(site, tmp_path, monkeypatch):
    import sitegen.importers.sources as sources
    monkeypatch.setattr(sources, "MAX_SOURCE_BYTES", 1000)
    (tmp_path / "big.txt").write_text("Tiêu đề\n\n" + "chữ " * 1000, encoding="utf-8")
    result = site.build_cmd("import", str(tmp_path / "big.txt"), "--level", "tinh")
    assert result.code == 1 and "are refused" in result.err


def test_addresses_redirected_off_http_are_refused(site, served):
    folder, base = served
    (folder / "moved").mkdir()
    (folder / "moved" / "index.html").write_text('<meta http-equiv="refresh" content="0; url=file:///etc/passwd">',
                                                 encoding="utf-8")
    import http.server  # noqa: F401 - the fixture's server answers 404 for what does not exist
    missing = site.build_cmd("import", base + "khong-co.html", "--level", "tinh")
    assert missing.code == 1 and "the server answered 404" in missing.err
    refused = site.build_cmd("import", "file:///etc/passwd", "--level", "tinh")
    assert refused.code == 1 and "root:" not in everything_written(site)
