"""Old addresses (`aliases:`): a redirect page each, the nginx map, and the errors that keep two
things from answering at one address."""
from __future__ import annotations

import pytest

from sitegen.frontmatter import parse_alias

ALIASES = '["/tin-tuc/123.html", "/2019/12/25/tong-ket/", "https://old.vn/Pages/chi-tiet.aspx", "/tin/abc"]'


@pytest.mark.parametrize("given, expected", [
    ("/tin-tuc/123.html", "/tin-tuc/123.html"),
    ("/2019/12/25/bai-cu/", "/2019/12/25/bai-cu/"),
    ("https://old.vn/tin-t%E1%BB%A9c/a.html", "/tin-tức/a.html"),
    ("//a//b/", "/a/b/"),
])
def test_aliases_are_site_paths(given, expected):
    assert parse_alias(given) == expected


@pytest.mark.parametrize("given, message", [
    ("/tin?id=5", "query string"), ("https://old.vn/tin.aspx?id=5", "query string"), ("/a#b", "fragment"),
    ("tin/1.html", 'starting with "/"'), ("/a/../b", ".."), ("/a/%2e%2e/b", ".."), ('/a"b', "quotes"),
    ("/a$b", '"$"'), ("/", "home page"), ("/assets/x.css", "folder the build writes"), ("/pagefind/", "folder"),
    ("/a%00b", "control characters"),
])
def test_bad_aliases_are_refused_with_a_reason(given, message):
    with pytest.raises(ValueError, match=message.replace("$", r"\$").replace("(", r"\(")):
        parse_alias(given)


def test_each_alias_redirects_to_its_article(site):
    site.add("2019/12/tong-ket.md", title="Tổng kết năm 2019", date="2019-12-31", aliases=ALIASES)
    result = site.build("--no-search", "--base-url", "https://example.org/portal/")
    assert result.code == 0, result.err
    target = "/portal/2019/12/tong-ket-nam-2019/"
    for path in ("tin-tuc/123.html", "2019/12/25/tong-ket/index.html", "tin/abc/index.html"):
        page = (site.output / path).read_text(encoding="utf-8")
        assert f'<meta http-equiv="refresh" content="0; url={target}">' in page
        assert f'<link rel="canonical" href="https://example.org{target}">' in page
        assert '<meta name="robots" content="noindex">' in page and f'<a href="{target}">' in page
    assert not (site.output / "Pages").exists()           # .aspx: nginx's map only
    lines = [line for line in (site.output / "redirects.map").read_text(encoding="utf-8").splitlines()
             if not line.startswith("#")]
    assert lines == [f'"{alias}" "{target}"; # content/2019/12/tong-ket.md' for alias in (
        "/2019/12/25/tong-ket", "/2019/12/25/tong-ket/", "/Pages/chi-tiet.aspx", "/tin-tuc/123.html", "/tin/abc")]
    assert "tin-tuc/123.html" not in (site.output / "sitemap.xml").read_text(encoding="utf-8")


def test_a_site_without_aliases_has_an_empty_map(site):
    site.add("2019/12/a.md")
    assert site.build("--no-search").code == 0
    assert all(line.startswith("#") for line in (site.output / "redirects.map").read_text(encoding="utf-8").splitlines())


@pytest.mark.parametrize("aliases, message", [
    ('["/2019/12/hoi-nghi-cong-doan/"]', '"/2019/12/hoi-nghi-cong-doan/" is the address of content/2019/12/a.md'),
    ('["/chu-de/"]', '"/chu-de/" is the address of topic index'),
    ('["/2019/12/tep/x.pdf"]', '"/2019/12/tep/x.pdf" is the file content/2019/12/tep/x.pdf'),
    ('["/cu/"]', '"/cu/" is also an alias of content/2019/12/a.md'),
    ('["/2019/12/b-khac/"]', '"/2019/12/b-khac/" is this article\'s own address'),
])
def test_an_alias_colliding_with_a_page_a_file_or_an_alias_names_both(site, aliases, message):
    site.add("2019/12/a.md", aliases='["/cu/"]')
    site.write("content/2019/12/tep/x.pdf", b"%PDF-1.4")
    site.add("2019/12/b.md", title="B khác", aliases=aliases)
    result = site.build("--no-search")
    assert result.code == 1
    assert f"content/2019/12/b.md: aliases: {message}" in result.err


def test_expired_articles_keep_their_old_addresses_drafts_have_none_yet(site):
    site.add("2019/12/a.md", title="Hết hạn", expires="2020-01-01", aliases='["/het-han/"]')
    site.add("2019/12/b.md", title="Nháp", draft="true", aliases='["/nhap/"]')
    assert site.build("--no-search").code == 0
    assert (site.output / "het-han/index.html").is_file()
    assert not (site.output / "nhap").exists()
    assert '"/nhap/"' not in (site.output / "redirects.map").read_text(encoding="utf-8")


def test_check_reports_old_addresses_that_would_stop_redirecting(site):
    site.add("2019/12/a.md", title="Bài A", aliases='["/tin/1.html", "/tin/2/"]')
    site.add("2019/12/b.md", title="Bài B")
    assert site.build("--no-search").code == 0
    (site.root / "content/2019/12/a.md").unlink()
    checked = site.build_cmd("check")
    assert checked.code == 0
    assert ('warning: content/2019/12/a.md: aliases: the old address "/tin/1.html" will no longer redirect: the last '
            "build sent it to /2019/12/bai-a/") in checked.err
    assert '"/tin/2/" will no longer redirect' in checked.err
    assert site.build_cmd("check", "--strict").code == 1
    rebuilt = site.build("--no-search")                      # accepted: the next check is quiet
    assert rebuilt.code == 0
    assert not (site.output / "tin/1.html").exists() and not (site.output / "tin/2").exists()
    assert "no longer redirect" not in site.build_cmd("check").err


def test_moving_an_alias_to_another_article_rebuilds_both_redirects(site):
    site.add("2019/12/a.md", title="Bài A", aliases='["/tin/1.html"]')
    site.add("2019/12/b.md", title="Bài B")
    assert site.build("--no-search").code == 0
    site.add("2019/12/a.md", title="Bài A")
    site.add("2019/12/b.md", title="Bài B", aliases='["/tin/1.html"]')
    assert site.build("--no-search").code == 0
    assert "/2019/12/bai-b/" in (site.output / "tin/1.html").read_text(encoding="utf-8")
    assert '"/tin/1.html" "/2019/12/bai-b/";' in (site.output / "redirects.map").read_text(encoding="utf-8")


def test_the_map_holds_each_address_once_as_nginx_compares_them(site):
    site.add("2019/12/a.md", title="Bài A", aliases='["/cu/", "/cu", "/Tin/1.html"]')
    site.add("2019/12/b.md", title="Bài B", aliases='["/tin/1.html"]')
    result = site.build("--no-search")
    assert result.code == 1
    assert 'content/2019/12/b.md: aliases: "/tin/1.html" is also an alias of content/2019/12/a.md' in result.err
    site.add("2019/12/b.md", title="Bài B", aliases='["/chu-de/"]')
    assert 'b.md: aliases: "/chu-de/" is the address of topic index' in site.build("--no-search").err
    site.add("2019/12/b.md", title="Bài B", aliases='["/CHU-DE/"]')
    assert 'b.md: aliases: "/CHU-DE/" is the address of topic index' in site.build("--no-search").err
    site.add("2019/12/b.md", title="Bài B")
    assert site.build("--no-search").code == 0
    lines = [line.split('"')[1] for line in (site.output / "redirects.map").read_text(encoding="utf-8").splitlines()
             if not line.startswith("#")]
    assert lines == ["/Tin/1.html", "/cu", "/cu/"]          # "/cu" once, though two aliases give it
