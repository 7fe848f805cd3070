"""Search in a real browser: Pagefind index of the sample portal, Vietnamese queries, filters, prefill."""
from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import frontmatter
import pytest
import yaml

from sitegen.cli import main
from sitegen.searchtext import fold

from .browser import chromium, serve
from .conftest import REPO

WORD = re.compile(r"[\w&,]+")


GLOSSARY = yaml.safe_load((REPO / "site.yaml").read_text(encoding="utf-8"))["glossary"]
IMAGE = re.compile(r'!\[[^\]]*\]\([^ )]+(?: "([^"]*)")?\)')


def article_texts(root: Path = REPO) -> dict[str, tuple[list[str], dict]]:
    """URL path -> (the folded words of title and body, front matter), read straight from content/.
    Images' alt text is not searched, their captions are: ![alt](src "caption") gives its caption."""
    texts = {}
    for path in sorted((root / "content").rglob("*.md")):
        post = frontmatter.load(path)
        when = str(post["date"])[:7].replace("-", "/")
        body = IMAGE.sub(lambda m: m.group(1) or "", post.content)
        texts[f"/{when}/{path.stem}/"] = (re.findall(r"[^\W_]+", fold(post["title"] + " " + body)), post.metadata)
    return texts


def _units(query: str) -> list[list[list[str]]]:
    """A query as what each of its parts may be in an article: a word, or for a glossary phrase
    (full form or abbreviation) any of its spellings as a run of words. Longest phrase first."""
    spellings: dict[tuple, list[list[str]]] = {}
    for abbreviation, full in GLOSSARY.items():
        forms = [re.findall(r"[^\W_]+", fold(abbreviation)), re.findall(r"[^\W_]+", fold(full))]
        joined = ["".join(forms[0])]
        for form in [joined, *forms]:
            if len(form) > 1 or form == joined:
                spellings[tuple(form)] = [joined, *forms]
    words = re.findall(r"[^\W_]+", fold(query))
    units, i = [], 0
    while i < len(words):
        for n in range(len(words) - i, 0, -1):
            if tuple(words[i:i + n]) in spellings:
                units.append(spellings[tuple(words[i:i + n])])
                i += n
                break
        else:
            units.append([[words[i]]])
            i += 1
    return units


def _has(words: list[str], run: list[str], prefix: bool = False) -> bool:
    n = len(run)
    if prefix:
        return any(w.startswith(run[0]) for w in words)
    return any(words[i:i + n] == run for i in range(len(words) - n + 1))


def oracle(query: str, root: Path = REPO, typing: bool = False) -> set[str]:
    """Articles with every part of `query`: each word whole, without marks, đ as d; a glossary
    phrase as any of its spellings (abbreviation or full form, as consecutive words). While
    typing, the last word (of three letters or more) may begin a word."""
    units = _units(query)
    found = set()
    for url, (words, _) in article_texts(root).items():
        last = len(units) - 1
        if all(any(_has(words, run, typing and n == last and len(units[n]) == 1 and len(run[0]) >= 3)
                   for run in unit) for n, unit in enumerate(units)):
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
    texts = article_texts()
    abbreviation = {url for url, (words, _) in texts.items() if "ldld" in words}
    full = {url for url, (words, _) in texts.items() if _has(words, ["lien", "doan", "lao", "dong"])}
    assert abbreviation - full and full - abbreviation   # the sample has both kinds, so the test can fail
    either = oracle("LĐLĐ")
    assert either == abbreviation | full
    assert set(search(page, site_url, "Liên đoàn Lao động")) == either
    assert set(search(page, site_url, "LĐLĐ")) == either
    assert set(search(page, site_url, "ldld")) == either
    cdvc = set(search(page, site_url, "cdvc"))
    assert cdvc == set(search(page, site_url, "CĐVC")) == set(search(page, site_url, "công đoàn viên chức"))
    assert cdvc == oracle("CĐVC") and cdvc


def test_matched_words_are_marked_and_shown_as_written(page, site_url):
    search(page, site_url, "dai hoi cdvc")
    excerpts = page.eval_on_selector_all(".result-excerpt", "els => els.map(e => e.innerHTML)")
    titles = page.eval_on_selector_all(".result h2 a", "els => els.map(e => e.textContent)")
    assert excerpts and all("<mark>" in e for e in excerpts)
    marked = {m.lower() for e in excerpts for m in re.findall(r"<mark>(.*?)</mark>", e)}
    assert {"đại", "hội"} & marked and marked & {"công", "cđvc", "đoàn"}, marked
    for text in excerpts + titles:        # nothing of how the index writes words shows
        assert not re.search("[\u01c2\u0345`{}]", text), text
    assert set(titles) <= {post[1]["title"] for post in article_texts().values()}


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


def test_a_query_is_read_as_the_build_writes_words(page, site_url):
    """The page's reading of a query (search.js `parse`) and the build's (sitegen/searchtext.py)
    agree: the same keys, the glossary phrases as their abbreviation."""
    from sitegen.searchtext import Glossary, words

    page.goto(site_url + "/tim-kiem/")
    glossary = Glossary(GLOSSARY)
    queries = ["Dai hoi CDVC", "liên đoàn lao động tỉnh", "CC,VC,LĐ và cán bộ, công chức, viên chức, lao động",
               "Đoàn viên ĐOÀN VIÊN", "2019–2020 COVID-19", "Ðại hội (Ð cũ)", "café ½ 漢字", "  ", "x" * 3]
    got = page.evaluate("""([queries, glossary]) => queries.map(q =>
        portalSearch.parse(q, portalSearch.glossaryKeys(glossary), false).map(t => t.key))""", [queries, GLOSSARY])
    expected = [list(dict.fromkeys(k for k, _ in glossary.query_keys([fold(w) for w in words(q)][:8]))) for q in queries]
    assert got == expected
    terms = page.evaluate("portalSearch.parse('Đại hội cong doa', {}, true)")
    assert [(t["term"], t["prefix"]) for t in terms] == [
        ("d\u0345ại\u01c2", False), ("hội\u01c2", False), ("cong\u01c2", False), ("doa", True)]
    # a short last word, or one followed by a space, is a whole word even while typing
    assert page.evaluate("portalSearch.parse('cong do', {}, true)")[-1]["prefix"] is False
    assert page.evaluate("portalSearch.parse('cong doan ', {}, true)")[-1]["prefix"] is False
    assert page.evaluate("portalSearch.clean('<mark>{cdvc\u01c2}-Công\u01c2</mark> lao\u01c2`–`d\u0345ộng\u01c2')") == (
        "<mark>Công</mark> lao–động")


def test_results_come_as_the_reader_types(page, site_url):
    page.goto(site_url + "/tim-kiem/")
    page.wait_for_function("document.getElementById('search-app').dataset.state === 'idle'")
    page.type("#search-q", "mai am cong doa", delay=20)
    page.wait_for_function("document.getElementById('search-app').dataset.state === 'done' && "
                           "document.querySelectorAll('.result').length > 0")
    typed = {urlsplit(h).path for h in page.eval_on_selector_all(".result h2 a", "els => els.map(e => e.href)")}
    assert typed == oracle("mai am cong doa", typing=True) and typed >= oracle("mái ấm công đoàn")
    page.press("#search-q", "n")
    page.press("#search-q", "Enter")
    page.wait_for_function("document.getElementById('search-app').dataset.state === 'done'")
    assert urlsplit(page.url).query == urlencode({"q": "mai am cong doan"})
    assert {urlsplit(h).path for h in page.eval_on_selector_all(".result h2 a", "els => els.map(e => e.href)")} == \
        oracle("mái ấm công đoàn")


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


# --- an archive in many shards ---------------------------------------------------------------------

MAKE_CORPUS = REPO.parent / "shared" / "bench" / "make_corpus.py"


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """300 generated articles over ten years, at most 20 a shard: years cut into runs of months."""
    import subprocess
    import sys

    if not MAKE_CORPUS.exists():
        pytest.fail(f"{MAKE_CORPUS} not found: the tests need ../shared/ beside the repository")
    root = tmp_path_factory.mktemp("corpus")
    subprocess.run([sys.executable, str(MAKE_CORPUS), str(root / "content"), "--articles", "300", "--seed", "3"],
                   check=True, stdout=subprocess.DEVNULL)
    for name in ("templates", "assets"):
        shutil.copytree(REPO / name, root / name)
    (root / "site.yaml").write_text((REPO / "site.yaml").read_text(encoding="utf-8")
                                    + "\nslug_source: file\nsearch:\n  shard_size: 20\n", encoding="utf-8")
    assert main(["--root", str(root), "-q"]) == 0
    with serve(root / "output") as url:
        yield root, url


def every_result(page, url: str, query: str, **params: str) -> list[str]:
    """All results of a search, "more" pressed until there are no more."""
    search(page, url, query, **params)
    while page.locator(".search-more").is_visible():
        count = page.locator(".result").count()
        page.click(".search-more")
        page.wait_for_function(f"document.querySelectorAll('.result').length > {count}")
    return [urlsplit(h).path for h in page.eval_on_selector_all(".result h2 a", "els => els.map(e => e.href)")]


def rare_word(root: Path) -> str:
    """The word of the corpus that the fewest articles have (alphabetically first of those)."""
    counts: dict[str, int] = {}
    for words, _ in article_texts(root).values():
        for word in set(words):
            counts[word] = counts.get(word, 0) + 1
    word = min((n, w) for w, n in counts.items() if w.isalpha() and len(w) > 3)
    assert word[0] <= 30, word
    return word[1]


def test_the_shards_of_an_archive_answer_as_one_index(browser, corpus):
    root, url = corpus
    manifest = json.loads((root / "output/pagefind/shards.json").read_text(encoding="utf-8"))
    ids = [shard["id"] for shard in manifest["shards"]]
    assert len(ids) > 15 and any("-" in i for i in ids) and ids == sorted(ids, reverse=True)
    context = browser.new_context()
    page = context.new_page()
    for query in ("công đoàn", "cong doan", "dai hoi", "ldld", "liên đoàn lao động", rare_word(root),
                  "thỏa ước lao động tập thể", "hội nghị zzzz"):
        expected = oracle(query, root)
        found = every_result(page, url, query)
        assert len(found) == len(set(found)) and set(found) == expected, query
        status = page.text_content(".search-status")
        assert (f"Tìm thấy {len(expected)} kết quả" in status) if expected else status.startswith("Không tìm thấy")
    context.close()


def test_newest_first_across_shards_and_a_stable_order_by_relevance(browser, corpus):
    root, url = corpus
    texts = article_texts(root)
    context = browser.new_context()
    page = context.new_page()
    newest = every_result(page, url, "công đoàn", **{"sap-xep": "moi-nhat"})
    dates = [texts[u][1]["date"] for u in newest]
    assert len(newest) == len(oracle("công đoàn", root)) > 100 and dates == sorted(dates, reverse=True)
    first = every_result(page, url, "đại hội công đoàn")
    assert first == every_result(page, url, "đại hội công đoàn") and set(first) == oracle("đại hội công đoàn", root)
    assert first != newest[:len(first)]                   # ranked, not by date
    context.close()


def test_a_year_filter_searches_only_that_years_shards(browser, corpus):
    root, url = corpus
    texts = article_texts(root)
    context = browser.new_context()
    page = context.new_page()
    asked: list[str] = []
    page.on("request", lambda r: asked.append(urlsplit(r.url).path))
    found = every_result(page, url, "công đoàn", nam="2019")
    assert set(found) == {u for u in oracle("công đoàn", root) if str(texts[u][1]["date"]).startswith("2019")}
    # (the newest shard's entry and metadata are loaded with the page, before any search)
    shards = {path.split("/")[2] for path in asked if re.match(r"/pagefind/[^/]+/(index|fragment)/", path)}
    assert shards and all(shard.startswith("2019") for shard in shards), shards
    context.close()


def test_the_pagefind_wheel_builds_the_same_search(browser, tmp_path, monkeypatch):
    """Where npm is absent the pagefind-bin wheel (Pagefind 1.5.2) builds the index: every rule holds."""
    from sitegen import pagefind

    pagefind._engine.cache_clear()
    monkeypatch.setenv("PORTAL_PAGEFIND", "pip")
    out = tmp_path / "output"
    assert main(["--root", str(REPO), "--output", str(out), "-q"]) == 0
    assert json.loads((out / "pagefind/shards.json").read_text(encoding="utf-8"))["pagefind"] == "1.5.2"
    with serve(out) as url:
        context = browser.new_context()
        page = context.new_page()
        for query in ("dai hoi", "cdvc", "liên đoàn lao động", "mai am cong doan", "hội nghị zzzz"):
            assert set(search(page, url, query)) == oracle(query), query
        context.close()


def test_the_search_of_the_address_starts_with_the_page_and_is_asked_once(browser, corpus):
    """search.js, loaded async from <head>, asks for the address's search in the newest eligible
    shard at once, without waiting for the page; the page's own search (same words, filters and
    order) takes that answer instead of asking Pagefind again, and no shard is searched twice."""
    root, url = corpus
    context = browser.new_context()
    page = context.new_page()
    page.goto(url + "/tim-kiem/")
    level = page.eval_on_selector_all("select[name=cap] option", "os => os.map(o => o.value).filter(Boolean)")[0]
    texts = article_texts(root)
    manifest = json.loads((root / "output/pagefind/shards.json").read_text(encoding="utf-8"))
    # the newest shard's entry and metadata, named in <head>, are each asked for once: what
    # Pagefind fetches is what the page preloaded
    context.close()
    context = browser.new_context()
    page = context.new_page()
    asked: list[str] = []
    page.on("request", lambda r: asked.append(urlsplit(r.url).path + (f"?{urlsplit(r.url).query}" if urlsplit(r.url).query else "")))
    search(page, url, "công đoàn")
    newest = manifest["shards"][0]["id"]
    firsts = [a for a in asked if a.startswith(f"/pagefind/{newest}/pagefind")]
    assert sorted(firsts) == sorted(re.findall(r'href="(/pagefind/[^"]+/pagefind[^"]+)"', page.content())), asked
    assert len(firsts) == 2 and len(set(firsts)) == 2, asked
    for params in ({"q": "công đoàn"}, {"q": "dai hoi", "cap": level, "sap-xep": "moi-nhat"},
                   {"cap": level}, {"q": "ldld", "nam": "2019"}):
        found = every_result(page, url, params.pop("q", ""), **params)
        searched = page.evaluate("portalSearch.searched")
        year = params.get("nam", "")
        newest = next(s["id"] for s in manifest["shards"] if s["first"][:4] <= year <= s["last"][:4] or not year)
        assert searched[0] == "head:" + newest, (params, searched)
        shards = [s.removeprefix("head:") for s in searched]
        assert len(shards) == len(set(shards)), (params, searched)
        assert not any(s.startswith("head:") for s in searched[1:]), (params, searched)
        assert found and all(u in texts for u in found), params
    context.close()


@pytest.mark.skipif(not __import__("benchmarks.nginx").nginx.available(),
                    reason="nginx is not installed (bash scripts/install.sh --test installs Debian's nginx)")
def test_the_search_as_nginx_serves_it(browser, tmp_path):
    """deploy/nginx.conf sends Pagefind's gzip files with Content-Encoding: gzip, so the browser
    unpacks them and pagefind.js finds them unpacked: every rule still holds, under the site's
    Content-Security-Policy, and an error page is never marked as gzip."""
    from benchmarks.nginx import Nginx

    out = tmp_path / "output"
    assert main(["--root", str(REPO), "--output", str(out), "-q"]) == 0
    server = Nginx(tmp_path / "nginx", out)
    server.start()
    try:
        fragment = next((out / "pagefind").glob("*/fragment/*.pf_fragment"))
        rel = "/" + fragment.relative_to(out).as_posix()
        status, headers, body = server.get(rel)
        assert (status, headers.get("content-encoding"), body) == (200, "gzip", fragment.read_bytes()), headers
        assert headers["content-type"] == "application/octet-stream"
        status, headers, _ = server.get("/pagefind/wasm.unknown.pagefind")
        assert (status, headers.get("content-encoding")) == (200, "gzip")
        status, headers, _ = server.get(rel.replace(".pf_fragment", "0.pf_fragment"))
        assert status == 404 and "content-encoding" not in headers, headers
        status, headers, _ = server.get("/pagefind/pagefind.js")           # asked without gzip: plain
        assert status == 200 and "content-encoding" not in headers, headers

        context = browser.new_context()
        page = context.new_page()
        encodings: dict[str, str] = {}
        page.on("response", lambda r: encodings.__setitem__(urlsplit(r.url).path, r.headers.get("content-encoding")))
        problems: list[str] = []
        page.on("console", lambda m: problems.append(m.text) if m.type in ("error", "warning") else None)
        for query in ("dai hoi", "cdvc", "liên đoàn lao động", "hội nghị zzzz"):
            # (not search(): wait_for_function evaluates a string, which the site's policy forbids)
            page.goto(f"{server.url}/tim-kiem/?{urlencode({'q': query})}")
            for _ in range(200):
                if page.evaluate("document.getElementById('search-app').dataset.state") == "done":
                    break
                page.wait_for_timeout(50)
            found = [urlsplit(h).path for h in page.eval_on_selector_all(".result h2 a", "els => els.map(e => e.href)")]
            assert set(found) == oracle(query), query
        pagefind_files = {p: e for p, e in encodings.items() if re.search(r"\.(pf_\w+|pagefind)$", p)}
        assert pagefind_files and set(pagefind_files.values()) == {"gzip"}, encodings
        assert not problems, problems
        context.close()
    finally:
        server.stop()
