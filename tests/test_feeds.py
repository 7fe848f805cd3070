"""Feeds, sitemap, robots.txt, page metadata, JSON-LD, 404 and sub-path publishing."""
from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import feedparser
import pytest
import xmlschema

from sitegen import feeds as feeds_module
from sitegen.cli import main

from .conftest import REPO

SCHEMAS = Path(__file__).parent / "schemas"


class Tags(HTMLParser):
    """Collects start tags with their attributes, and the text of <script> elements."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []
        self.scripts: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag == "script":
            self._in_script = True
            self.scripts.append("")

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._in_script:
            self.scripts[-1] += data


def parse(html: str) -> Tags:
    tags = Tags()
    tags.feed(html)
    return tags


def meta(tags: Tags, key: str) -> list[str]:
    return [a["content"] for t, a in tags.tags if t == "meta" and (a.get("property") == key or a.get("name") == key)]


def jsonld(tags: Tags) -> list[dict]:
    return [json.loads(s) for s in tags.scripts if s.strip().startswith("{")]


@pytest.fixture
def news(site):
    """Four articles over two levels and topics; feeds of 3 entries."""
    site.write("site.yaml", (site.root / "site.yaml").read_text() + "feeds: {entries: 3}\n")
    site.add("a.md", title="Bài A", date='"2019-01-01"', topics='["Thi đua"]', author="Hải Yến", summary="Tóm tắt A")
    site.add("b.md", title="Bài B", date='"2019-02-01 08:30"', topics='["Thi đua", "Nữ công"]', level="co-so",
             updated='"2019-03-01"')
    site.add("c.md", title="Bài C", date='"2019-04-01"', topics='["Thi đua"]', body="Nội dung **C**.")
    site.add("d.md", title="Bài D", date='"2019-05-01"', topics='["Nữ công"]', level="co-so")
    assert site.build().code == 0
    return site


def test_site_feed(news):
    feed = feedparser.parse(str(news.output / "feed.xml"))
    assert feed.bozo == 0, feed.bozo_exception
    assert feed.feed.title == "Bản tin thử"
    assert [e.title for e in feed.entries] == ["Bài D", "Bài C", "Bài B"]     # newest first, 3 entries
    b = feed.entries[2]
    assert b.id == "tag:example.org,2019-02-01:/2019/02/bai-b/"
    assert b.link == "https://example.org/2019/02/bai-b/"
    assert b.published == "2019-02-01T08:30:00+07:00" and b.updated == "2019-03-01T00:00:00+07:00"
    assert {t.term for t in b.tags} == {"co-so", "Thi đua", "Nữ công"}
    c = feed.entries[1]
    assert "<strong>C</strong>" in c.content[0].value and c.content[0].type == "text/html"
    assert feed.feed.updated == "2019-05-01T00:00:00+07:00"


def test_level_and_topic_feeds(news):
    level = feedparser.parse(str(news.output / "cap/co-so/feed.xml"))
    assert level.bozo == 0 and [e.title for e in level.entries] == ["Bài D", "Bài B"]
    topic = feedparser.parse(str(news.output / "chu-de/thi-dua/feed.xml"))
    assert topic.bozo == 0 and [e.title for e in topic.entries] == ["Bài C", "Bài B", "Bài A"]
    assert topic.entries[2].author == "Hải Yến" and topic.entries[2].summary == "Tóm tắt A"
    empty = feedparser.parse(str(news.output / "cap/trung-uong/feed.xml"))
    assert empty.bozo == 0 and empty.entries == [] and empty.feed.updated == "2019-05-01T00:00:00+07:00"


def test_feeds_linked_from_every_page(news):
    for page in news.output.rglob("*.html"):
        links = [a for t, a in parse(page.read_text()).tags if t == "link" and a.get("rel") == "alternate"]
        assert {"type": "application/atom+xml", "href": "/feed.xml"}.items() <= links[0].items(), page
    topic_links = [a["href"] for t, a in parse(news.page("chu-de/thi-dua/")).tags
                   if t == "link" and a.get("rel") == "alternate"]
    assert topic_links == ["/feed.xml", "/chu-de/thi-dua/feed.xml"]


def test_summary_only_feeds(site):
    site.write("site.yaml", (site.root / "site.yaml").read_text() + "feeds: {content: summary}\n")
    site.add("a.md", body="Toàn văn bài viết.")
    assert site.build().code == 0
    entry = feedparser.parse(str(site.output / "feed.xml")).entries[0]
    assert "content" not in entry and entry.summary == "Toàn văn bài viết."


def test_entry_ids_are_stable(news):
    before = [e.id for e in feedparser.parse(str(news.output / "feed.xml")).entries]
    news.add("c.md", title="Bài C", date='"2019-04-01"', topics='["Thi đua"]', body="Đã sửa nội dung.")
    assert news.build().code == 0
    assert [e.id for e in feedparser.parse(str(news.output / "feed.xml")).entries] == before


def test_control_characters_never_reach_feeds(site):
    site.write("content/a.md", "---\ntitle: \"Bài\\x01 có\\x0b ký tự\\x7f lạ\"\ndate: 2019-12-25\nlevel: tinh\n"
                               "author: \"Tác\\x1f giả\"\n---\n\nThân\x02 bài\x08.\n")
    result = site.build()
    assert result.code == 0
    # the title's come from YAML escapes ("\x01"); the body's are raw bytes on line 8
    assert "content/a.md:8: text: removed invisible control characters" in result.err
    feed = feedparser.parse(str(site.output / "feed.xml"))
    assert feed.bozo == 0
    assert feed.entries[0].title == "Bài có ký tự lạ" and feed.entries[0].author == "Tác giả"
    assert "Thân bài." in feed.entries[0].content[0].value


def test_sitemap_valid_with_lastmod_for_every_page(news):
    schema = xmlschema.XMLSchema(str(SCHEMAS / "sitemap.xsd"))
    schema.validate(str(news.output / "sitemap.xml"))
    urls = dict(re.findall(r"<loc>([^<]+)</loc><lastmod>([^<]+)</lastmod>", (news.output / "sitemap.xml").read_text()))
    assert urls["https://example.org/2019/02/bai-b/"] == "2019-03-01"       # updated wins
    assert urls["https://example.org/2019/01/bai-a/"] == "2019-01-01"
    assert urls["https://example.org/chu-de/thi-dua/"] == "2019-04-01"       # newest article listed there
    assert urls["https://example.org/"] == "2019-05-01"
    assert urls["https://example.org/cap/trung-uong/"] == "2019-05-01"     # empty level: the site's newest
    html_pages = {p.relative_to(news.output).parent.as_posix().strip(".") for p in news.output.rglob("index.html")}
    listed = {urlsplit(u).path.strip("/") for u in urls}
    assert html_pages - listed == {"tim-kiem"}            # every page but search is listed
    assert "https://example.org/404.html" not in urls


def test_sitemap_index_past_the_limit(news, monkeypatch):
    monkeypatch.setattr(feeds_module, "SITEMAP_MAX_URLS", 5)
    for stale in (news.root / ".cache").glob("inputs-*.json"):   # same inputs: force a real build
        stale.unlink()
    assert news.build().code == 0
    xmlschema.XMLSchema(str(SCHEMAS / "siteindex.xsd")).validate(str(news.output / "sitemap.xml"))
    index = (news.output / "sitemap.xml").read_text()
    parts = re.findall(r"<loc>https://example.org/(sitemap-\d+\.xml)</loc>", index)
    assert len(parts) >= 2
    schema = xmlschema.XMLSchema(str(SCHEMAS / "sitemap.xsd"))
    total = 0
    for part in parts:
        schema.validate(str(news.output / part))
        total += (news.output / part).read_text().count("<url>")
        assert (news.output / part).read_text().count("<url>") <= 5
    assert total == sum(1 for _ in news.output.rglob("index.html")) - 1   # all but the search page


def test_robots_names_the_sitemap(news):
    assert (news.output / "robots.txt").read_text() == "User-agent: *\nAllow: /\n\nSitemap: https://example.org/sitemap.xml\n"


def test_article_head_metadata(news):
    tags = parse(news.page("2019/02/bai-b/"))
    assert ("html", {"lang": "vi"}) in tags.tags
    assert meta(tags, "og:type") == ["article"]
    assert meta(tags, "og:title") == ["Bài B"] and meta(tags, "twitter:title") == ["Bài B"]
    assert meta(tags, "og:url") == ["https://example.org/2019/02/bai-b/"]
    assert meta(tags, "article:published_time") == ["2019-02-01T08:30:00+07:00"]
    assert meta(tags, "article:modified_time") == ["2019-03-01T00:00:00+07:00"]
    assert meta(tags, "article:section") == ["Cơ sở"]
    assert meta(tags, "article:tag") == ["Thi đua", "Nữ công"]
    assert meta(tags, "description") == meta(tags, "og:description") == ["Nội dung bài viết."]
    assert [a["href"] for t, a in tags.tags if t == "link" and a.get("rel") == "canonical"] == [
        "https://example.org/2019/02/bai-b/"]
    assert meta(tags, "twitter:card") == ["summary"]


def test_share_image_is_absolute(site):
    from .test_build import jpeg
    site.write("content/anh/x.jpg", jpeg())
    site.add("a.md", body="![Quang cảnh](anh/x.jpg \"Hội nghị\")", date="2019-12-25")
    assert site.build().code == 0
    tags = parse(site.page("2019/12/hoi-nghi-cong-doan/"))
    assert meta(tags, "og:image") == ["https://example.org/anh/x.jpg"] == meta(tags, "twitter:image")
    assert meta(tags, "twitter:card") == ["summary_large_image"]
    article = jsonld(tags)[0]
    assert article["image"] == ["https://example.org/anh/x.jpg"]


def test_news_article_json_ld(news):
    tags = parse(news.page("2019/01/bai-a/"))
    article, crumbs = jsonld(tags)
    assert article["@context"] == "https://schema.org" and article["@type"] == "NewsArticle"
    assert article["headline"] == "Bài A"
    assert article["datePublished"] == "2019-01-01T00:00:00+07:00"
    assert article["dateModified"] == "2019-01-01T00:00:00+07:00"
    assert article["author"] == [{"@type": "Person", "name": "Hải Yến"}]
    assert article["publisher"]["@type"] == "Organization"
    assert article["publisher"]["name"] == "Liên đoàn Lao động tỉnh"
    assert re.fullmatch(r"https://example\.org/assets/logo\.[0-9a-f]{10}\.svg", article["publisher"]["logo"]["url"])
    assert article["mainEntityOfPage"] == {"@type": "WebPage", "@id": "https://example.org/2019/01/bai-a/"}
    assert article["articleSection"] == "Cấp tỉnh" and article["keywords"] == ["Thi đua"]
    assert crumbs["@type"] == "BreadcrumbList"
    assert [(i["position"], i["name"], i["item"]) for i in crumbs["itemListElement"]] == [
        (1, "Trang chủ", "https://example.org/"), (2, "Cấp công đoàn", "https://example.org/cap/"),
        (3, "Cấp tỉnh", "https://example.org/cap/tinh/"), (4, "Bài A", "https://example.org/2019/01/bai-a/")]


def test_breadcrumb_list_on_listing_pages(news):
    crumbs = jsonld(parse(news.page("chu-de/thi-dua/")))[0]
    assert [i["name"] for i in crumbs["itemListElement"]] == ["Trang chủ", "Chủ đề", "Thi đua"]
    assert jsonld(parse(news.page(""))) == []        # the home page has no breadcrumbs


HOSTILE = '</script><script>alert(1)</script><!-- "x" & \u2028 '


def test_hostile_title_cannot_break_out_of_json_ld(site):
    site.add("a.md", title=json.dumps(HOSTILE), date="2019-12-25", author=json.dumps("</script>"))
    assert site.build().code == 0
    page = next((site.output / "2019/12").glob("*/index.html")).read_text()
    tags = parse(page)
    # only the two JSON-LD scripts: nothing from the title became a script element
    assert [a.get("type") for t, a in tags.tags if t == "script"] == ["application/ld+json"] * 2
    article = jsonld(tags)[0]
    assert article["headline"] == HOSTILE.strip()
    assert article["author"] == [{"@type": "Person", "name": "</script>"}]
    assert "alert(1)</script>" not in page.split("<body>")[0].replace("&lt;", "")


def test_not_found_page(news):
    html = (news.output / "404.html").read_text()
    assert "<h1>Không tìm thấy trang</h1>" in html
    assert 'action="/tim-kiem/"' in html and '<a href="/">Về trang chủ</a>' in html


class Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name in ("href", "src") and value:
                self.urls.append(value)


def resolve(output: Path, path: str) -> Path:
    target = output / path.lstrip("/")
    return target / "index.html" if path.endswith("/") or path == "" else target


def test_every_link_resolves_under_a_sub_path(tmp_path):
    out = tmp_path / "out"
    assert main(["--root", str(REPO), "--output", str(out), "-q", "--base-url", "https://example.org/portal/"]) == 0
    checked = 0
    for page in list(out.rglob("*.html")):
        links = Links()
        links.feed(page.read_text(encoding="utf-8"))
        for url in links.urls:
            parts = urlsplit(url)
            if parts.scheme in ("mailto", "tel") or url.startswith("#"):
                continue
            if parts.netloc:
                if parts.netloc != "example.org":
                    continue
            assert parts.path.startswith("/portal/"), (page, url)
            assert resolve(out, parts.path[len("/portal/"):]).is_file(), (page, url)
            checked += 1
    for xml in [out / "feed.xml", out / "sitemap.xml", *out.glob("chu-de/*/feed.xml")]:
        for url in re.findall(r'(?:href="|<loc>)(https://[^"<]+)', xml.read_text(encoding="utf-8")):
            assert url.startswith("https://example.org/portal/"), (xml, url)
            assert resolve(out, urlsplit(url).path[len("/portal/"):]).is_file(), (xml, url)
            checked += 1
    assert "Sitemap: https://example.org/portal/sitemap.xml" in (out / "robots.txt").read_text()
    assert checked > 500
