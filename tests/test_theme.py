"""The reader theme: page weight, one render-blocking request, share links, headings, landmarks."""
from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import jinja2
import markupsafe
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sitegen.cli import main
from sitegen.speedups.templates import _Template, escape_output

from .conftest import REPO

BUDGET = 50 * 1024     # an article's HTML + CSS + JS, images and search excluded


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("theme") / "output"
    assert main(["--root", str(REPO), "--output", str(out), "-q"]) == 0
    return out


class Page(HTMLParser):
    def __init__(self):
        super().__init__()
        self.in_head = False
        self.stylesheets: list[str] = []
        self.blocking_scripts: list[str] = []
        self.scripts: list[str] = []
        self.headings: list[int] = []
        self.landmarks: list[str] = []
        self.links: list[dict] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "head":
            self.in_head = True
        if tag == "link" and a.get("rel") == "stylesheet":
            self.stylesheets.append(a["href"])
        if tag == "script" and a.get("src"):
            self.scripts.append(a["src"])
            if self.in_head and "defer" not in a and "async" not in a and a.get("type") != "module":
                self.blocking_scripts.append(a["src"])
        if re.fullmatch(r"h[1-6]", tag):
            self.headings.append(int(tag[1]))
        if tag in ("header", "nav", "main", "footer"):
            self.landmarks.append(tag)
        if tag == "a":
            self.links.append(a)

    def handle_endtag(self, tag):
        if tag == "head":
            self.in_head = False


def parsed(path: Path) -> Page:
    page = Page()
    page.feed(path.read_text(encoding="utf-8"))
    return page


def weight(out: Path, html: Path) -> int:
    page = parsed(html)
    files = [html] + [out / u.lstrip("/") for u in page.stylesheets + page.scripts]
    return sum(f.stat().st_size for f in files)


def article_pages(out: Path) -> list[Path]:
    return sorted(p for p in out.glob("[0-9][0-9][0-9][0-9]/[0-9][0-9]/*/index.html"))


def test_article_pages_within_budget(built):
    pages = article_pages(built)
    assert len(pages) == 5
    for html in pages:
        assert weight(built, html) <= BUDGET, (html, weight(built, html))


def test_one_render_blocking_request(built):
    for html in [built / "index.html", built / "tim-kiem/index.html", *article_pages(built)]:
        page = parsed(html)
        assert len(page.stylesheets) == 1 and page.blocking_scripts == [], html


def test_no_request_leaves_the_site(built):
    for html in built.rglob("*.html"):
        text = html.read_text(encoding="utf-8")
        for url in re.findall(r'(?:src|href)="(https?://[^"]+)"', text):
            # only plain outbound links (share buttons, canonical, feeds are not fetched by a page load)
            assert 'rel="stylesheet"' not in text.split(url)[0][-200:], url
        assert not re.search(r'<script[^>]+src="https?://', text), html
        assert "@import" not in text and "fonts.googleapis" not in text


def test_share_links_are_plain_links(built):
    html = article_pages(built)[0]
    page = parsed(html)
    shares = [a["href"] for a in page.links if "share" in a.get("class", "")]
    canonical = re.search(r'<link rel="canonical" href="([^"]+)"', html.read_text()).group(1)
    from urllib.parse import quote
    assert shares == [f"https://www.facebook.com/sharer/sharer.php?u={quote(canonical, safe='')}",
                      f"https://sp.zalo.me/share?url={quote(canonical, safe='')}"]


@pytest.mark.parametrize("path", ["index.html", "chu-de/index.html", "chu-de/thi-dua/index.html", "cap/index.html",
                                  "luu-tru/index.html", "tim-kiem/index.html", "404.html"])
def test_landmarks_and_heading_order(built, path):
    page = parsed(built / path)
    assert page.landmarks[:1] == ["header"] and "main" in page.landmarks and page.landmarks[-1] == "footer"
    assert page.headings[0] == 1 and page.headings.count(1) == 1
    for before, after in zip(page.headings, page.headings[1:]):
        assert after <= before + 1, (path, page.headings)      # never skip a level going down


def test_articles_heading_order(built):
    for html in article_pages(built):
        headings = parsed(html).headings
        assert headings[0] == 1 and all(b <= a + 1 for a, b in zip(headings, headings[1:])), (html, headings)


def test_skip_link_and_language(built):
    html = (built / "index.html").read_text()
    assert '<html lang="vi">' in html
    assert '<a class="skip-link" href="#noi-dung">' in html and '<main id="noi-dung"' in html


def test_favicon_at_root(built):
    assert (built / "favicon.ico").read_bytes()[:4] == b"\x00\x00\x01\x00"


def _current_menu_items(html: str) -> list[str]:
    menu = html[html.index('<nav class="site-nav"'):]
    menu = menu[: menu.index("</nav>")]
    return re.findall(r'<a href="([^"]+)" aria-current="page">', menu)


@pytest.mark.parametrize("path, current", [
    ("index.html", ["/"]),
    ("luu-tru/index.html", ["/luu-tru/"]),
    ("chu-de/index.html", ["/chu-de/"]),
    ("cap/co-so/index.html", ["/cap/co-so/"]),
    ("2019/index.html", []),
])
def test_menu_marks_the_current_page_only(built, path, current):
    """The header is rendered once per menu item and reused: each page still marks its own item."""
    assert _current_menu_items((built / path).read_text(encoding="utf-8")) == current


def test_article_page_marks_no_menu_item(built):
    article = next(p for p in sorted(built.glob("20[0-9][0-9]/[0-9][0-9]/*/index.html")))
    html = article.read_text(encoding="utf-8")
    assert _current_menu_items(html) == [] and '<footer class="site-footer">' in html


def test_compiled_templates_follow_the_base_url(site):
    """Templates are compiled once and kept in .cache/jinja/ by their source; what depends on
    site.yaml (a page's address under base_url) must still come from the build that renders it,
    never be baked into the compiled template ('favicon.ico'|url is a constant Jinja could fold)."""
    site.add("2019/12/hoi-nghi.md", title="Hội nghị")
    assert site.build("-q").code == 0
    assert (site.root / ".cache" / "jinja").is_dir() and any((site.root / ".cache" / "jinja").iterdir())
    assert site.build("-q", "--base-url", "https://example.org/portal/").code == 0
    for page in ("index.html", "404.html", "tim-kiem/index.html", "2019/12/hoi-nghi/index.html"):
        html = (site.output / page).read_text(encoding="utf-8")
        assert 'href="/portal/favicon.ico"' in html, page
        assert not re.search(r'(?:href|action|src)="/(?!portal/)', html), page


def test_templates_compiled_by_another_generator_are_not_kept(site):
    """How a filter is called is compiled into a template: a template compiled by another
    version of sitegen must not be loaded. Each version has its own folder; the others go."""
    from sitegen.cache import GENERATOR
    site.add("2019/12/hoi-nghi.md", title="Hội nghị")
    jinja = site.root / ".cache" / "jinja"
    (jinja / "0123456789abcdef").mkdir(parents=True)
    (jinja / "0123456789abcdef" / "__jinja2_x.cache").write_bytes(b"old")
    (jinja / "__jinja2_y.cache").write_bytes(b"older")
    assert site.build("-q").code == 0
    assert sorted(p.name for p in jinja.iterdir()) == [GENERATOR]
    assert any((jinja / GENERATOR).iterdir())


# --- escaping output as str (sitegen.speedups.templates.escape_output) -----------------------------


class _Html:
    def __html__(self):
        return "<b>đã an toàn</b>"


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(), st.integers(), st.floats(allow_nan=False), st.none(),
                 st.text().map(markupsafe.Markup), st.just(_Html())))
def test_escape_output_is_markupsafe_escape_as_str(value):
    assert escape_output(value) == str(markupsafe.escape(value))


# every construct that outputs or captures escaped text: a macro called inside output, a set
# block, a filter block, a call block, an include, concatenation with ~, |safe and Markup
_TEMPLATES = {
    "m.html": "{% macro card(x) %}<i>{{ x }}</i>{% endmacro %}",
    "inc.html": "<u>{{ v }}</u>",
    "page.html": """{% from "m.html" import card %}{% macro wrap() %}[{{ caller() }}]{% endmacro %}
{{ v }}|{{ card(v) }}|{{ card(v)|upper }}|{{ v ~ "&" }}|{{ v|safe }}|{{ m }}|{{ n }}
{% set block %}{{ v }}<br>{% endset %}{{ block }}|{{ block|length }}
{% filter upper %}{{ v }}{% endfilter %}|{% call wrap() %}{{ v }}{% endcall %}|{% include "inc.html" %}
{% for i in [v, m] %}{{ i }}{{ loop.index }}{% endfor %}|{{ (v ~ m)|e }}|{{ h }}""",
}


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="<>&\"'aĐ ", max_size=12))
def test_templates_render_the_same_with_escape_output(value):
    """Jinja's own rendering and ours give the same text for any value."""
    def render(template_class):
        env = jinja2.Environment(loader=jinja2.DictLoader(_TEMPLATES), autoescape=True,
                                 undefined=jinja2.StrictUndefined)
        env.template_class = template_class
        return env.get_template("page.html").render(v=value, m=markupsafe.Markup("<em>m</em>"), n=3, h=_Html())
    assert render(_Template) == render(jinja2.Template)


def test_the_theme_is_made_with_escape_output(site):
    """The build's environment makes every template, from source or from the bytecode cache, with
    escape_output."""
    from datetime import datetime, timezone

    from sitegen.config import load_config
    from sitegen.render import Site, make_environment

    config, _ = load_config(site.root)
    for _ in range(2):          # compiled, then read back from .cache/jinja/
        env = make_environment(site.root, Site(config, {}, datetime(2020, 1, 1, tzinfo=timezone.utc), {}))
        template = env.get_template("base.html")
        assert template.root_render_func.__globals__["escape"] is escape_output
        assert env.from_string("{{ x }}").render(x="<a href='x'>") == "&lt;a href=&#39;x&#39;&gt;"


def test_theme_functions_are_called_as_jinja_would(site):
    """The build's Context calls the theme's functions directly, inside loops and blocks too,
    and leaves anything else (a pass_context function, a bound method) to Jinja's Context.call."""
    from datetime import datetime, timezone

    from sitegen.config import load_config
    from sitegen.render import Site, make_environment

    config, _ = load_config(site.root)
    env = make_environment(site.root, Site(config, {}, datetime(2020, 1, 1, tzinfo=timezone.utc), {}))
    assert env.globals["url"] in env.context_class.plain and env.globals["news_article"] in env.context_class.plain
    env.globals["who"] = jinja2.pass_context(lambda context: context["name"])

    def stop():
        raise StopIteration
    env.globals["stop"] = stop
    source = ("{% macro m() %}{{ url('a/') }}{% endmacro %}{% for i in [1, 2] %}{{ url('b/' ~ i ~ '/') }}"
              "{{ who() }}{% set name = 'loop' %}{{ who() }}{% endfor %}{% set x %}{{ absolute_url('c/') }}{% endset %}"
              "{{ x }}{{ m() }}{{ who() }}{{ 'x y'.split(' ')|join }}{{ stop() is undefined }}")
    ours = env.from_string(source).render(name="trang")
    env.context_class = jinja2.runtime.Context
    assert ours == env.from_string(source).render(name="trang")
    assert "/b/1/" in ours and "trangloop" in ours and "True" in ours
