"""Quality gates on the sample portal and a generated 200-article corpus: valid HTML (W3C Nu validator),
no broken internal link, no serious accessibility violation (axe-core). Each gate is shown to fail
on a known-bad page."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from sitegen.cli import main

from .browser import chromium, serve
from .conftest import REPO

VNU = REPO / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
AXE = REPO / "node_modules" / "axe-core" / "axe.min.js"
MAKE_CORPUS = REPO.parent / "shared" / "bench" / "make_corpus.py"


# --- the gates ---------------------------------------------------------------

def validate_html(files: list[Path]) -> list[str]:
    """W3C Nu validator errors ("file: line: message"), for every file at once."""
    if not VNU.is_file():
        pytest.fail("vnu.jar is missing: run `npm ci --omit=dev` (bash scripts/install.sh --test does)")
    done = subprocess.run(["java", "-jar", str(VNU), "--errors-only", "--format", "json", *map(str, files)],
                          capture_output=True, text=True, timeout=600)
    messages = json.loads(done.stderr or '{"messages": []}')["messages"]
    return [f"{unquote(urlsplit(m.get('url', '')).path)}:{m.get('lastLine', '?')}: {m['message']}"
            for m in messages if m.get("type") == "error"]


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.links: list[str] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if "id" in a:
            self.ids.add(a["id"])
        for name in ("href", "src"):
            if a.get(name) and not (tag == "a" and name == "src"):
                self.links.append(a[name])
        for candidate in (a.get("srcset") or "").split(","):
            if candidate.strip():
                self.links.append(candidate.split()[0])


def check_links(out: Path, base_path: str = "/") -> list[str]:
    """Every internal href/src/srcset of every page resolves to a file of `out`; every #anchor exists."""
    pages: dict[Path, _Links] = {}
    for page in out.rglob("*.html"):
        parser = _Links()
        parser.feed(page.read_text(encoding="utf-8"))
        pages[page] = parser
    broken = []
    for page, parser in sorted(pages.items()):
        for link in parser.links:
            parts = urlsplit(link)
            if parts.scheme or parts.netloc or link.startswith(("mailto:", "tel:")):
                continue
            if not parts.path:                                    # "#anchor" on the same page
                target = page
            else:
                path = unquote(parts.path)
                if not path.startswith(base_path):
                    broken.append(f"{page.relative_to(out)}: {link}: outside the site")
                    continue
                target = out / path[len(base_path):]
                if path.endswith("/") or target.is_dir():
                    target = target / "index.html"
            if not target.is_file():
                broken.append(f"{page.relative_to(out)}: {link}: no such file")
            elif parts.fragment and target.suffix == ".html":
                ids = pages[target].ids if target in pages else set()
                if unquote(parts.fragment) not in ids:
                    broken.append(f"{page.relative_to(out)}: {link}: no element with this id")
    return broken


AXE_PAGES = {"home": "/", "article": None, "topic": "/chu-de/thi-dua/", "level": "/cap/tinh/", "archive": "/luu-tru/",
             "search": "/tim-kiem/?q=dai+hoi", "404": "/404.html"}


def axe_violations(browser, url: str, width: int) -> list[str]:
    """axe-core's serious and critical violations of one page at one width."""
    page = browser.new_page(viewport={"width": width, "height": 900})
    try:
        page.goto(url)
        if "/tim-kiem/" in url:
            page.wait_for_function("document.getElementById('search-app').dataset.state === 'done'")
        page.add_script_tag(content=AXE.read_text(encoding="utf-8"))
        found = page.evaluate("async () => (await axe.run(document)).violations"
                              ".map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.length}))")
    finally:
        page.close()
    return [f"{v['id']} ({v['impact']}, {v['nodes']} element(s))" for v in found if v["impact"] in ("serious", "critical")]


# --- the sites -----------------------------------------------------------------

@pytest.fixture(scope="module")
def sample(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("gates") / "sample"
    assert main(["--root", str(REPO), "--output", str(out), "-q"]) == 0
    return out


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    """200 generated articles (../shared/bench/make_corpus.py) with the repository's theme."""
    if not MAKE_CORPUS.is_file():
        pytest.fail(f"{MAKE_CORPUS} is missing: the gates need ../shared/ beside the repository")
    root = tmp_path_factory.mktemp("corpus")
    subprocess.run([sys.executable, str(MAKE_CORPUS), str(root / "content"), "--articles", "200"], check=True,
                   stdout=subprocess.DEVNULL)
    for name in ("templates", "assets"):
        shutil.copytree(REPO / name, root / name)
    (root / "site.yaml").write_text((REPO / "site.yaml").read_text(encoding="utf-8") + "slug_source: file\n",
                                    encoding="utf-8")
    assert main(["--root", str(root), "-q"]) == 0
    return root / "output"


def every_page_kind(out: Path) -> list[Path]:
    """One or two pages of every kind (all of them would only repeat the same templates)."""
    picks = [out / "index.html", out / "404.html", out / "tim-kiem/index.html", out / "luu-tru/index.html",
             out / "chu-de/index.html", out / "cap/index.html", out / "don-vi/index.html", out / "tac-gia/index.html"]
    for pattern in ("chu-de/*/index.html", "cap/*/index.html", "don-vi/*/index.html", "tac-gia/*/index.html",
                    "[0-9][0-9][0-9][0-9]/index.html", "[0-9][0-9][0-9][0-9]/[0-9][0-9]/index.html",
                    "[0-9][0-9][0-9][0-9]/[0-9][0-9]/*/index.html", "*/*/trang/2/index.html"):
        picks += sorted(out.glob(pattern))[:3]
    return [p for p in dict.fromkeys(picks) if p.is_file()]


# --- HTML validity ------------------------------------------------------------------

def test_sample_html_is_valid(sample):
    assert validate_html(sorted(sample.rglob("*.html"))) == []


def test_corpus_html_is_valid(corpus):
    assert validate_html(every_page_kind(corpus)) == []


def test_validator_catches_invalid_html(tmp_path):
    bad = tmp_path / "bad.html"
    bad.write_text('<!doctype html><html lang="vi"><head><title>x</title></head><body>'
                   '<p id="a">1</p><p id="a">2</p><div><span></div></body></html>', encoding="utf-8")
    errors = validate_html([bad])
    assert any("Duplicate ID" in e for e in errors) and any("span" in e for e in errors)


# --- links ----------------------------------------------------------------------------

def test_sample_links(sample):
    assert check_links(sample) == []


def test_corpus_links(corpus):
    assert check_links(corpus) == []


def test_link_checker_catches_broken_links(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "index.html").write_text('<a href="/a/">ok</a><a href="/khong-co/">x</a><img src="/anh.png">'
                                         '<a href="#thieu">y</a><link rel="stylesheet" href="/style.css">'
                                         '<a href="/a/#dau">z</a>', encoding="utf-8")
    (tmp_path / "a/index.html").write_text('<h1 id="dau">A</h1>', encoding="utf-8")
    assert check_links(tmp_path) == [
        "index.html: /khong-co/: no such file", "index.html: /anh.png: no such file",
        "index.html: #thieu: no element with this id", "index.html: /style.css: no such file"]


# --- accessibility ------------------------------------------------------------------------

@pytest.fixture(scope="module")
def browser():
    with chromium() as b:
        yield b


def _axe_site(site, article_glob: str, browser, width: int) -> dict:
    """axe's violations on each page of AXE_PAGES (None: the first article matching the glob)."""
    article = "/" + next(site.glob(article_glob)).parent.relative_to(site).as_posix() + "/"
    with serve(site) as base:
        return {name: axe_violations(browser, base + (path or article), width) for name, path in AXE_PAGES.items()}


@pytest.mark.parametrize("width", [360, 1280])
def test_sample_accessibility(sample, browser, width):
    assert _axe_site(sample, "2019/12/*/index.html", browser, width) == {name: [] for name in AXE_PAGES}


@pytest.mark.parametrize("width", [360, 1280])
def test_corpus_accessibility(corpus, browser, width):
    assert _axe_site(corpus, "20*/*/*/index.html", browser, width) == {name: [] for name in AXE_PAGES}


def test_axe_catches_violations(tmp_path, browser):
    (tmp_path / "index.html").write_text(
        '<!doctype html><html><head><title>x</title></head><body><img src="a.png">'
        '<p style="color:#bbb;background:#fff">chữ mờ</p><button></button></body></html>', encoding="utf-8")
    with serve(tmp_path) as base:
        found = axe_violations(browser, base + "/", 1280)
    assert any(v.startswith("image-alt") for v in found) and any(v.startswith("button-name") for v in found)
    assert any(v.startswith("color-contrast") for v in found)
