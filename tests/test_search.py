"""Search in a real browser: Pagefind index of the sample portal, Vietnamese queries, filters, prefill."""
from __future__ import annotations

import re
import shutil
from urllib.parse import urlsplit

import frontmatter
import pytest

from sitegen.cli import main
from sitegen.text import fold

from .browser import chromium, serve
from .conftest import REPO

WORD = re.compile(r"[\w&,]+")


def article_texts() -> dict[str, tuple[str, dict]]:
    """URL path -> (folded title + body text, front matter), read straight from content/."""
    texts = {}
    for path in sorted((REPO / "content").rglob("*.md")):
        post = frontmatter.load(path)
        slug = path.stem
        when = str(post["date"])[:7].replace("-", "/")
        # images' alt text is not indexed (captions are): keep only the caption of ![alt](src "caption")
        body = re.sub(r'!\[[^\]]*\]\([^ )]+(?: "([^"]*)")?\)', lambda m: m.group(1) or "", post.content)
        texts[f"/{when}/{slug}/"] = (fold(post["title"] + " " + body), post.metadata)
    return texts


def oracle(*queries: str) -> set[str]:
    """Articles that contain every word of at least one of `queries`, ignoring diacritics (and đ/d)."""
    found = set()
    for url, (text, _) in article_texts().items():
        words = set(re.findall(r"[^\W_]+", text))
        if any(all(w in words for w in re.findall(r"[^\W_]+", fold(q))) for q in queries):
            found.add(url)
    return found


@pytest.fixture(scope="module")
def site_url(tmp_path_factory):
    out = tmp_path_factory.mktemp("search") / "output"
    assert main(["--root", str(REPO), "--output", str(out), "-q"]) == 0
    assert (out / "pagefind/pagefind.js").is_file()
    with serve(out) as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    if not shutil.which("chromium") and not (shutil.os.path.exists("/usr/bin/chromium")):
        pytest.fail("Debian's chromium is required: run bash scripts/install.sh --test")
    with chromium() as b:
        yield b


@pytest.fixture
def page(browser, site_url):
    context = browser.new_context()
    page = context.new_page()
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.requests = requests
    yield page
    context.close()


def search(page, site_url: str, query: str, **params: str) -> list[str]:
    """Open /tim-kiem/?q=…, wait for the results, return their URL paths in order."""
    from urllib.parse import urlencode

    page.goto(f"{site_url}/tim-kiem/?{urlencode({'q': query, **params})}")
    page.wait_for_function("document.getElementById('search-app').dataset.state === 'done'")
    return [urlsplit(h).path for h in page.eval_on_selector_all(".result h2 a", "els => els.map(e => e.href)")]


def test_exact_query_and_the_same_without_diacritics(page, site_url):
    exact = search(page, site_url, "Mái ấm công đoàn")
    assert set(exact) == oracle("Mái ấm công đoàn") and len(exact) >= 2
    assert set(search(page, site_url, "mai am cong doan")) == set(exact)


def test_d_typed_for_đ(page, site_url):
    expected = oracle("Đại hội")
    assert expected
    assert set(search(page, site_url, "Đại hội")) == expected
    assert set(search(page, site_url, "dai hoi")) == expected
    assert set(search(page, site_url, "cong doan vien chuc")) == oracle("Công đoàn Viên chức")


def test_abbreviation_and_full_form_find_each_other(page, site_url):
    either = oracle("LĐLĐ", "Liên đoàn Lao động")
    only_abbreviation = oracle("LĐLĐ") - oracle("Liên đoàn Lao động")
    only_full = oracle("Liên đoàn Lao động") - oracle("LĐLĐ")
    assert only_abbreviation and only_full  # the sample has both kinds, so the test can fail
    assert set(search(page, site_url, "Liên đoàn Lao động")) == either
    assert set(search(page, site_url, "LĐLĐ")) == either
    assert set(search(page, site_url, "ldld")) == either
    cdvc = set(search(page, site_url, "cdvc"))
    assert cdvc == set(search(page, site_url, "CĐVC")) == oracle("CĐVC", "Công đoàn Viên chức")


def test_filter_by_union_level(page, site_url):
    everything = search(page, site_url, "hội nghị")
    provincial = search(page, site_url, "hội nghị", cap="Cấp tỉnh")
    texts = article_texts()
    assert set(provincial) == {u for u in everything if texts[u][1]["level"] == "tinh"}
    assert provincial and len(provincial) < len(everything)
    metas = page.eval_on_selector_all(".result-meta", "els => els.map(e => e.textContent)")
    assert all("Cấp tỉnh" in m for m in metas)
    assert page.input_value("select[name=cap]") == "Cấp tỉnh"
    options = page.eval_on_selector_all("select[name=cap] option", "els => els.map(e => e.textContent)")
    assert options[1:] == ["Cấp tỉnh (1)", "Cấp trên cơ sở (3)", "Cơ sở (1)"]


def test_newest_first_sort(page, site_url):
    urls = search(page, site_url, "công đoàn", **{"sap-xep": "moi-nhat"})
    dates = [str(article_texts()[u][1]["date"]) for u in urls]
    assert len(urls) == 5 and dates == sorted(dates, reverse=True)


def test_no_result_says_so_in_vietnamese(page, site_url):
    assert search(page, site_url, "xyzkhongcotu") == []
    status = page.text_content(".search-status")
    assert status.startswith("Không tìm thấy kết quả nào cho “xyzkhongcotu”.")


def test_only_article_text_is_indexed(page, site_url):
    assert search(page, site_url, "banbientap") == []       # footer e-mail
    assert search(page, site_url, "Hà Nam") == sorted(oracle("Hà Nam"))  # a unit name, shown but not indexed
    assert search(page, site_url, "Lưu trữ") == []          # menu entry


def test_every_word_must_match(page, site_url):
    # Pagefind alone drops a word it cannot find ("zzzz") and answers for the rest
    assert search(page, site_url, "hội nghị zzzz") == []
    assert search(page, site_url, "bánh mì") == []


def test_header_form_lands_on_search_with_query(page, site_url):
    page.goto(site_url + "/")
    page.fill("#header-q", "thi dua")
    page.press("#header-q", "Enter")
    page.wait_for_function("document.getElementById('search-app').dataset.state === 'done'")
    assert urlsplit(page.url).path == "/tim-kiem/" and "q=thi+dua" in page.url
    assert page.input_value("#search-q") == "thi dua"
    assert page.locator(".result").count() == len(oracle("thi đua"))


def test_everything_comes_from_the_site(page, site_url):
    search(page, site_url, "dai hoi")
    assert page.requests and all(r.startswith(site_url) for r in page.requests), page.requests


def test_without_javascript_the_page_explains(browser, site_url):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(site_url + "/tim-kiem/?q=dai+hoi")
    notice = page.locator(".search-nojs")
    assert notice.is_visible() and "cần JavaScript" in notice.text_content()
    assert page.locator(".search-nojs a[href='/luu-tru/']").count() == 1
    assert page.locator(".search-nojs a[href='/chu-de/']").count() == 1
    assert not page.locator(".search-form").is_visible()
    context.close()


def test_query_plan(page, site_url):
    page.goto(site_url + "/tim-kiem/")
    plan = page.evaluate("portalSearch.plan('Dai hoi CDVC')")
    assert plan == [
        [["dai", "đai"], ["hoi"], ["cđvc"]],
        [["dai", "đai"], ["hoi"], ["công"], ["đoàn"], ["viên"], ["chức"]],
    ]
    assert page.evaluate("portalSearch.plan('liên đoàn lao động tỉnh')") == [
        [["liên"], ["đoàn"], ["lao"], ["động"], ["tỉnh"]], [["lđlđ"], ["tỉnh"]]]


def test_header_search_form_on_every_page(site_url, tmp_path_factory):
    import urllib.request
    for path in ("/", "/chu-de/", "/cap/tinh/", "/luu-tru/", "/tim-kiem/"):
        html = urllib.request.urlopen(site_url + path).read().decode()
        assert '<form class="header-search" role="search" action="/tim-kiem/" method="get">' in html, path
        assert 'name="q"' in html


def test_search_under_a_sub_path(browser, tmp_path):
    www = tmp_path / "www"
    assert main(["--root", str(REPO), "--output", str(www / "portal"), "-q",
                 "--base-url", "https://example.org/portal/"]) == 0
    with serve(www) as url:
        context = browser.new_context()
        page = context.new_page()
        page.goto(url + "/portal/")
        page.fill("#header-q", "dai hoi")
        page.press("#header-q", "Enter")
        page.wait_for_function("document.getElementById('search-app').dataset.state === 'done'")
        assert urlsplit(page.url).path == "/portal/tim-kiem/"
        links = [urlsplit(h).path for h in page.eval_on_selector_all(".result h2 a", "els => els.map(e => e.href)")]
        assert links and all(link.startswith("/portal/20") for link in links)
        assert {link[len("/portal"):] for link in links} == oracle("Đại hội")
        page.goto(url + links[0])
        assert page.locator("h1").count() == 1
        context.close()
