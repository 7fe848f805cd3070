"""Listings: archive, topics, levels, units, authors, pagination, related articles, home blocks."""
import random
import re
from datetime import datetime, timedelta, timezone

import pytest

from sitegen.dates import Moment
from sitegen.models import Article
from sitegen.paginate import paginate
from sitegen.parallel import MIN_ITEMS
from sitegen.related import find_related
from sitegen.urls import route


def titles(html: str) -> list[str]:
    """Titles of the article cards on a listing page, in order."""
    return re.findall(r'<h[23] class="card-title"><a href="[^"]+">([^<]+)</a></h[23]>', html)


def main_of(html: str) -> str:
    """The <main> element: what a page lists, without header navigation."""
    return html.split('<main id="noi-dung"')[1].split("</main>")[0]


def crumbs(html: str) -> list[str]:
    trail = html.split('<nav class="breadcrumbs')[1].split("</nav>")[0]
    return re.findall(r"<li>(?:<a [^>]+>|<span[^>]*>)([^<]+)<", trail)


@pytest.fixture
def small(site):
    """Seven articles over two years, small pages (2 per listing page)."""
    site.write("site.yaml", (site.root / "site.yaml").read_text() + """\
pagination: {listing: 2, home: 3}
topic_aliases: {"Covid-19": "Phòng chống dịch Covid-19"}
menu:
  - {level: tinh}
  - {topic: Thi đua}
  - {title: Lưu trữ, url: /luu-tru/}
""")
    rows = [  # file, title, date, level, unit, author, topics
        ("a.md", "Bài A", "2019-11-05", "tinh", "LĐLĐ tỉnh", "Hải Yến", '["Thi đua", "Nữ công"]'),
        ("b.md", "Bài B", "2019-12-01", "tinh", "LĐLĐ tỉnh", "M.Linh", '["thi đua "]'),
        ("c.md", "Bài C", "2019-12-20", "cap-tren-co-so", "CĐVC tỉnh", "Hải Yến", '["THI ĐUA", "Covid-19"]'),
        ("d.md", "Bài D", "2020-01-10", "cap-tren-co-so", "CĐVC tỉnh", "Văn Huỳnh", '["Đào tạo cán bộ"]'),
        ("e.md", "Bài E", "2020-02-14", "co-so", "CĐCS Kho bạc", "Văn Huỳnh", '["Dân chủ cơ sở", "Thi đua"]'),
        ("f.md", "Bài F", "2020-02-20", "tinh", "LĐLĐ tỉnh", "Hải Yến", '["Phòng chống dịch Covid-19"]'),
        ("g.md", "Bài G", "2020-03-01", "tinh", "LĐLĐ tỉnh", "Ánh Dương", '["Giáo dục", "Thi đua"]'),
    ]
    for name, title, date, level, unit, author, topics in rows:
        site.add(name, title=title, date=date, level=level, unit=unit, author=author, topics=topics)
    result = site.build()
    assert result.code == 0, result.err
    return site


def test_topic_listing_page_by_page(small):
    # "Thi đua", "thi đua " and "THI ĐUA" are one topic: A B C E G, newest first, 2 a page
    assert titles(small.page("chu-de/thi-dua/")) == ["Bài G", "Bài E"]
    assert titles(small.page("chu-de/thi-dua/trang/2/")) == ["Bài C", "Bài B"]
    assert titles(small.page("chu-de/thi-dua/trang/3/")) == ["Bài A"]
    assert not (small.output / "chu-de/thi-dua/trang/4").exists()
    assert not (small.output / "chu-de/thi-dua/trang/1").exists()
    middle = small.page("chu-de/thi-dua/trang/2/")
    assert 'href="/chu-de/thi-dua/" rel="prev"' in middle and 'href="/chu-de/thi-dua/trang/3/" rel="next"' in middle
    assert '<span aria-current="page">2</span>' in middle
    assert crumbs(middle) == ["Trang chủ", "Chủ đề", "Thi đua", "Trang 2"]


def test_topic_shown_with_most_used_spelling_and_aliases(small):
    index = small.page("chu-de/")
    assert '<a href="/chu-de/thi-dua/">Thi đua</a> <span class="count">5 bài</span>' in index
    assert "THI ĐUA" not in index and "thi đua " not in index
    # "Covid-19" is an alias: C and F share the canonical topic
    assert titles(small.page("chu-de/phong-chong-dich-covid-19/")) == ["Bài F", "Bài C"]
    assert not (small.output / "chu-de/covid-19").exists()


def test_topics_index_in_vietnamese_order(small):
    names = re.findall(r'<li><a href="/chu-de/[^"]+/">([^<]+)</a>', main_of(small.page("chu-de/")))
    assert names == ["Dân chủ cơ sở", "Đào tạo cán bộ", "Giáo dục", "Nữ công", "Phòng chống dịch Covid-19", "Thi đua"]


def test_archive_index_and_periods(small):
    index = small.page("luu-tru/")
    assert re.findall(r'<a href="/(\d{4})/">Năm \d{4}</a> <span class="count">(\d+) bài', index) == [
        ("2020", "4"), ("2019", "3")]
    assert re.findall(r'<a href="/(\d{4}/\d{2})/">Tháng \d+</a> <span class="count">(\d+) bài', index) == [
        ("2020/03", "1"), ("2020/02", "2"), ("2020/01", "1"), ("2019/12", "2"), ("2019/11", "1")]
    assert titles(small.page("2020/")) == ["Bài G", "Bài F"]
    assert titles(small.page("2020/trang/2/")) == ["Bài E", "Bài D"]
    assert titles(small.page("2019/12/")) == ["Bài C", "Bài B"]
    assert crumbs(small.page("2019/12/")) == ["Trang chủ", "Lưu trữ", "Năm 2019", "Tháng 12/2019"]


def test_levels_hierarchy_in_site_order_and_empty_level(small):
    index = main_of(small.page("cap/"))
    names = re.findall(r'<h2><a href="/cap/([a-z-]+)/">', index)
    assert names == ["trung-uong", "tinh", "cap-tren-co-so", "co-so"]
    central = index.split('<h2><a href="/cap/trung-uong/"')[1].split("</li>\n  <li")[0]
    assert "Chưa có bài viết nào ở cấp này." in central and "TLĐ" in central
    assert "Chưa có bài viết nào ở cấp này." in small.page("cap/trung-uong/")
    assert titles(small.page("cap/tinh/")) == ["Bài G", "Bài F"]
    assert titles(small.page("cap/tinh/trang/2/")) == ["Bài B", "Bài A"]
    provincial = index.split('<h2><a href="/cap/tinh/"')[1].split("</li>\n  <li")[0]
    assert '<a href="/don-vi/ldld-tinh/">LĐLĐ tỉnh</a>' in provincial


def test_units_and_authors(small):
    assert re.findall(r'<li><a href="/tac-gia/[^"]+/">([^<]+)</a>', main_of(small.page("tac-gia/"))) == [
        "Ánh Dương", "Hải Yến", "M.Linh", "Văn Huỳnh"]
    assert titles(small.page("tac-gia/hai-yen/")) == ["Bài F", "Bài C"]
    assert titles(small.page("tac-gia/hai-yen/trang/2/")) == ["Bài A"]
    assert re.findall(r'<li><a href="/don-vi/[^"]+/">([^<]+)</a>', main_of(small.page("don-vi/"))) == [
        "CĐCS Kho bạc", "CĐVC tỉnh", "LĐLĐ tỉnh"]
    assert titles(small.page("don-vi/cdvc-tinh/")) == ["Bài D", "Bài C"]


def test_article_links_to_everything(small):
    html = small.page("2019/12/bai-c/")
    for link in ('href="/chu-de/thi-dua/"', 'href="/chu-de/phong-chong-dich-covid-19/"', 'href="/cap/cap-tren-co-so/"',
                 'href="/don-vi/cdvc-tinh/"', 'href="/tac-gia/hai-yen/"',
                 '<a class="older" href="/2019/12/bai-b/" rel="prev">', '<a class="newer" href="/2020/01/bai-d/" rel="next">'):
        assert link in html, link
    assert crumbs(html) == ["Trang chủ", "Cấp công đoàn", "Cấp trên cơ sở", "Bài C"]
    related = re.findall(r'<li><a href="[^"]+">([^<]+)</a> <time', html.split('id="bai-lien-quan"')[1])
    # each shares one topic (Thi đua: B A E G, Covid-19: F), so the nearest in time come first;
    # D, of the same unit but with no shared topic, ranks after them and misses the five
    assert related == ["Bài B", "Bài A", "Bài E", "Bài F", "Bài G"]
    oldest = small.page("2019/11/bai-a/")
    assert 'class="older"' not in oldest and 'class="newer"' in oldest


def test_home_blocks_and_menu(small):
    home = small.page("")
    assert titles(home) == ["Bài G", "Bài F", "Bài E"]
    block = home.split('id="cap-cap-tren-co-so"')[1].split("</section>")[0]
    assert re.findall(r'<li><a href="[^"]+">([^<]+)</a>', block) == ["Bài D", "Bài C"]
    assert "Chưa có bài viết nào ở cấp này." in home.split('id="cap-trung-uong"')[1].split("</section>")[0]
    topics = home.split('id="chu-de-noi-bat"')[1].split("</section>")[0]
    assert topics.index("Thi đua") < topics.index("Phòng chống dịch Covid-19")
    nav = home.split('<nav class="site-nav"')[1].split("</nav>")[0]
    assert re.findall(r'<a href="([^"]+)"[^>]*>([^<]+)</a>', nav) == [
        ("/cap/tinh/", "Cấp tỉnh"), ("/chu-de/thi-dua/", "Thi đua"), ("/luu-tru/", "Lưu trữ")]


def test_every_page_but_home_has_breadcrumbs(small):
    for page in small.output.rglob("index.html"):
        html = page.read_text(encoding="utf-8")
        if page.parent == small.output:
            assert 'class="breadcrumbs' not in html
        else:
            assert crumbs(html)[0] == "Trang chủ", page


def test_diacritic_twins_warn_naming_files_and_never_overwrite(site):
    site.add("a.md", title="A", topics='["Thi đua"]')
    site.add("b.md", title="B", topics='["Thi dua"]')
    result = site.build()
    assert result.code == 0
    assert ('warning: content/a.md: topics: topics "Thi dua" (content/b.md) and "Thi đua" (content/a.md) differ only by '
            "diacritics; use one spelling, or map one to the other under topic_aliases in site.yaml") in result.err
    assert 'warning: content/a.md: topic: "Thi đua" has the same address as "Thi dua"; it is published at "thi-dua-2"' \
        in result.err
    assert titles(site.page("chu-de/thi-dua/")) == ["B"]
    assert titles(site.page("chu-de/thi-dua-2/")) == ["A"]
    assert site.build("--strict").code == 1


def test_page_colliding_with_a_content_file_is_an_error(site):
    site.add("a.md", title="A")
    site.write("content/chu-de/index.html", "<p>tự viết</p>")
    result = site.build()
    assert result.code == 1
    assert result.lines == ['topic index: output: "chu-de/index.html" is also written by content/chu-de/index.html']


def test_article_colliding_with_archive_is_an_error(site):
    site.write("site.yaml", (site.root / "site.yaml").read_text() + 'permalink: "{year}/{slug}/"\n')
    site.add("a.md", title="12", date="2019-12-01")
    result = site.build()
    assert result.code == 1
    assert result.lines == ['month 2019/12/: output: "2019/12/index.html" is also written by content/a.md']


def test_menu_errors(site):
    site.write("site.yaml", (site.root / "site.yaml").read_text() + "menu:\n  - {level: tinhh}\n  - {topic: Không có}\n"
               "  - {title: X}\n")
    site.add("a.md")
    result = site.build()
    assert result.code == 1
    assert result.lines == ['site.yaml: menu[0].level: unknown level "tinhh"; expected one of: cap-tren-co-so, co-so, '
                            "tinh, trung-uong", "site.yaml: menu[2]: expected exactly one of url, level or topic"]


def test_menu_topic_without_articles_is_a_warning(site):
    site.write("site.yaml", (site.root / "site.yaml").read_text() + "menu:\n  - {topic: Không có}\n")
    site.add("a.md")
    result = site.build()
    assert result.code == 0
    assert 'warning: site.yaml: menu[0].topic: no article has the topic "Không có"; the entry is left out' in result.err


# --- the paginator --------------------------------------------------------

@pytest.mark.parametrize("count, sizes", [(0, [0]), (1, [1]), (10, [10]), (11, [10, 1]), (25, [10, 10, 5])])
def test_pagination_edges(count, sizes):
    pages = paginate(list(range(count)), 10, route("chu-de/x/"))
    assert [len(p.items) for p in pages] == sizes
    assert [p.route.path for p in pages] == ["chu-de/x/"] + [f"chu-de/x/trang/{n}/" for n in range(2, len(sizes) + 1)]
    assert pages[0].previous is None and pages[-1].next is None
    assert [i for p in pages for i in p.items] == list(range(count))


def test_numbered_links_with_ellipsis():
    pages = paginate(list(range(400)), 20, route("x/"))
    numbers = lambda n: [k for k, _ in pages[n - 1].links()]  # noqa: E731
    assert numbers(1) == [1, 2, 3, 0, 20]
    assert numbers(10) == [1, 0, 8, 9, 10, 11, 12, 0, 20]
    assert numbers(5) == [1, 2, 3, 4, 5, 6, 7, 0, 20]     # a gap of one page is shown, not "…"
    assert numbers(20) == [1, 0, 18, 19, 20]
    assert [k for k, _ in paginate([1], 20, route("x/"))[0].links()] == [1]


# --- related articles -----------------------------------------------------

ICT = timezone(timedelta(hours=7))


def make(i, day, topics, unit):
    when = Moment(datetime(2020, 1, 1, tzinfo=ICT) + timedelta(days=day), True)
    return Article(source=f"content/{i}.md", route=route(f"{i}/"), slug=str(i), title=str(i), date=when, level="tinh",
                   authors=(), unit=unit, topics=tuple(topics), summary="", image=None, draft=False, updated=None)


def brute_force(articles, topic_keys, unit_keys, k=5):
    result = []
    for i, a in enumerate(articles):
        scored = []
        for j, b in enumerate(articles):
            shared = len(set(topic_keys[i]) & set(topic_keys[j]))
            same_unit = bool(unit_keys[i]) and unit_keys[i] == unit_keys[j]
            if j == i or not (shared or same_unit):
                continue
            gap = abs(a.date.value.timestamp() - b.date.value.timestamp())
            scored.append(((-shared, not same_unit, gap, -b.date.value.timestamp(), j), j))
        result.append([j for _, j in sorted(scored)[:k]])
    return result


def test_related_ranking_order():
    articles = [make(0, 0, ["a", "b"], "u1"), make(1, 100, ["a", "b"], "u2"), make(2, 1, ["a"], "u1"),
                make(3, 2, ["a"], "u2"), make(4, 3, [], "u1"), make(5, 1, ["c"], "u3")]
    keys = [tuple(a.topics) for a in articles]
    related = find_related(articles, keys, [a.unit for a in articles])
    # two shared topics first (even far in time), then one shared with the same unit, then one shared, then unit only
    assert related[0] == [1, 2, 3, 4]
    assert related[5] == []


@pytest.mark.parametrize("seed, count, days", [(0, 300, 2000), (1, 300, 2000), (2, 300, 2000), (3, 300, 2000),
                                               (4, 300, 2000),
                                               (5, 2 * MIN_ITEMS, 2000),    # ranked by two processes
                                               # many articles of the same day (dates without a time)
                                               (6, 300, 40), (7, 300, 40), (8, 300, 10), (9, 300, 3)])
def test_related_matches_brute_force(seed, count, days):
    rng = random.Random(seed)
    topics, units = [f"t{i}" for i in range(6)], ["u1", "u2", "u3", ""]
    articles = [make(i, rng.randrange(0, days), rng.sample(topics, rng.randint(0, 3)), rng.choice(units))
                for i in range(count)]
    keys = [tuple(a.topics) for a in articles]
    units_of = [a.unit for a in articles]
    assert find_related(articles, keys, units_of) == brute_force(articles, keys, units_of)


def test_slug_from_file_name_when_configured(site):
    site.write("site.yaml", (site.root / "site.yaml").read_text() + "slug_source: file\n")
    site.add("2019/12/000123.md", title="Hội nghị")
    site.add("2019/12/khac.md", title="Hội nghị", slug="da-dat-ten")
    assert site.build().code == 0
    assert (site.output / "2019/12/000123/index.html").exists()
    assert (site.output / "2019/12/da-dat-ten/index.html").exists()
