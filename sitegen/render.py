"""Render stage: the Jinja environment, its helpers, and pages rendered to bytes."""
from __future__ import annotations

import json
import shutil
import sys
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from urllib.parse import quote, urlsplit

import jinja2
from markupsafe import Markup

from .cache import CACHE_DIR, GENERATOR
from .config import SiteConfig
from .dates import Moment
from .errors import BuildError, Diagnostic
from .images import ImageInfo, picture_attributes
from .i18n import format_date, format_short_date
from .models import Article, Page
from .redirects import nginx_string
from .speedups import templates as speedups
from .urls import Route
from .write import file_key, same_size, write_file

TEMPLATES_DIR = "templates"
# Globals that render a template: a template that uses the name depends on that template (the
# fingerprint stage follows this as it follows {% include %}).
TEMPLATE_GLOBALS = {"article_card": "partials/article_card.html", "article_link": "partials/article_link.html",
                    "site_header": "partials/header.html", "site_footer": "partials/footer.html"}
CARD_MEMO_MAX = 20_000      # cards kept per process: ~30 MB (1.3 KB a card), whatever the size of the site


@dataclass(frozen=True)
class Site:
    """What every template sees about the site: config plus build-wide facts."""

    config: SiteConfig
    assets: dict[str, str]       # "style.css" -> "assets/style.1a2b3c4d.css"
    build_time: datetime
    images: dict[str, ImageInfo] = field(default_factory=dict)   # content-relative path -> sizes, variants


class _BytecodeCache(jinja2.FileSystemBytecodeCache):
    """Jinja's bytecode cache, keyed by template name only (Jinja also checks the source's hash).

    Jinja's own key includes the template's absolute path, so every deployed release (a new
    folder) would add a file per template to a cache carried from release to release.
    """

    def get_cache_key(self, name: str, filename: str | None = None) -> str:
        return super().get_cache_key(name)


def _bytecode_folder(root: Path) -> Path:
    """.cache/jinja/<generator>/, the others removed. A compiled template depends on the
    generator as well as on its source: how Jinja calls a filter (with the context or not) is
    compiled in, so a template compiled by another version of sitegen must not be loaded."""
    base = root / CACHE_DIR / "jinja"
    if base.is_dir():
        for entry in base.iterdir():
            if entry.name != GENERATOR:
                if entry.is_dir():
                    shutil.rmtree(entry, ignore_errors=True)
                else:
                    entry.unlink(missing_ok=True)
    return base / GENERATOR


def thumbnail_url(path: str, images: dict, base_path: str) -> str:
    """URL of the smallest rendition of an image (search results show it at 8rem)."""
    info = images.get(path)
    if info is None or not info.variants:
        if path.startswith(("https://", "http://")):
            return path
        return base_path + path.lstrip("/")
    return base_path + min(info.variants, key=lambda v: (v.width, v.format != "WEBP")).path


def make_environment(root: Path, site: Site) -> jinja2.Environment:
    """Jinja with autoescape and StrictUndefined: a template typo fails the build.

    Compiled templates are kept in .cache/jinja/ (Jinja's own bytecode cache, checked against
    each template's source, one folder per version of the generator): otherwise every process
    that renders compiles the whole theme.
    Longer than 60 lines: it defines the template functions and filters as closures over the
    site, so that each is a plain call with no lookup at render time.
    """
    try:
        bytecode = _bytecode_folder(root)
        bytecode.mkdir(parents=True, exist_ok=True)
        cache: jinja2.BytecodeCache | None = _BytecodeCache(str(bytecode))
    except OSError:
        cache = None        # a read-only checkout still builds, compiling every time
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(root / TEMPLATES_DIR),
        autoescape=True, undefined=jinja2.StrictUndefined,
        trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True, auto_reload=False,
        bytecode_cache=cache,
    )
    config = site.config

    base_path = config.base_path

    def url(target: Route | Article | str) -> str:
        """Root-relative URL of a route, an article or a site-relative path."""
        # called ~40 times a page: exact type checks first, the common cases
        kind = type(target)
        if kind is Article:
            return base_path + target.route.path
        if kind is Route:
            return base_path + target.path
        if isinstance(target, Article):
            target = target.route
        if isinstance(target, Route):
            return target.url(base_path)
        if target.startswith(("https://", "http://", "mailto:", "tel:")):
            return target
        return base_path + target.lstrip("/")

    def absolute_url(target: Route | Article | str) -> str:
        """Absolute URL of a route, an article or a site-relative path (feeds, sitemaps, meta tags)."""
        if isinstance(target, str) and target.startswith(("https://", "http://")):
            return target
        return config.base_url + url(target)[len(config.base_path):]

    def asset_path(name: str) -> str:
        """Site-relative path of a file of assets/, by its content-hashed name."""
        if name not in site.assets:
            raise jinja2.TemplateRuntimeError(f'asset "{name}" not found in assets/')
        return site.assets[name]

    def asset(name: str) -> str:
        return config.base_path + asset_path(name)

    def tag_uri(article: Article) -> str:
        """A stable Atom id (RFC 4151 tag URI): host, publication day and path."""
        host = urlsplit(config.base_url).hostname or "localhost"
        return f"tag:{host},{article.date.value.date().isoformat()}:/{article.route.path}"

    def breadcrumb_list(crumbs: list, current: Route) -> dict:
        """schema.org BreadcrumbList for a trail of crumbs (the last one is the current page)."""
        items = []
        for position, crumb in enumerate(crumbs, 1):
            target = crumb.route if crumb.route is not None else current
            items.append({"@type": "ListItem", "position": position, "name": crumb.title,
                          "item": absolute_url(target)})
        return {"@context": "https://schema.org", "@type": "BreadcrumbList", "itemListElement": items}

    publishers: list[dict] = []       # the publisher, the same on every article page: made once

    def news_article(article: Article, level, topics: list) -> dict:
        """schema.org NewsArticle for an article page."""
        org = config.organisation
        if not publishers:
            publisher: dict = {"@type": "Organization", "name": org.name, "url": config.base_url}
            if org.logo:
                publisher["logo"] = {"@type": "ImageObject", "url": absolute_url(asset_path(org.logo))}
            publishers.append(publisher)
        data: dict = {
            "@context": "https://schema.org", "@type": "NewsArticle",
            "headline": article.title,
            "datePublished": article.date.value.isoformat(),
            "dateModified": article.modified.value.isoformat(),
            "author": ([{"@type": "Person", "name": name} for name in article.authors]
                       or [{"@type": "Organization", "name": org.name}]),
            "publisher": publishers[0],
            "mainEntityOfPage": {"@type": "WebPage", "@id": absolute_url(article)},
            "articleSection": level.level.name,
            "inLanguage": config.language,
        }
        if article.summary:
            data["description"] = article.summary
        if topics:
            data["keywords"] = [t.name for t in topics]
        image = article.share_image(config.base_path)
        if image:
            data["image"] = [absolute_url(image)]
        return data

    def picture(path: str, alt: str | None, lazy: bool = True) -> Markup:
        """<picture> (or <img>) for an image of content/, with its responsive variants."""
        info = site.images.get(path)
        if info is None:
            return Markup('<img src="{}" alt="{}">').format(url(path), alt or "")
        source, img = picture_attributes(info, config.base_path, alt or "", lazy)
        tag = Markup("<img{}>").format(_attrs(img))
        if source is None:
            return tag
        return Markup("<picture><source{}>{}</picture>").format(_attrs(source), tag)

    def thumbnail(path: str) -> str:
        return thumbnail_url(path, site.images, config.base_path)

    def memoised_macro(name: str):
        """The macro `name` of its partial (TEMPLATE_GLOBALS), rendered once per article and
        arguments in each process. The article is kept with its HTML, so its id cannot be reused."""
        made: dict[tuple, tuple[Article, Markup]] = {}

        def call(item: Article, *args, **kwargs) -> Markup:
            key = (id(item), args, tuple(kwargs.items()))
            hit = made.get(key)
            if hit is None:
                if len(made) >= CARD_MEMO_MAX:
                    made.clear()
                macro = getattr(env.get_template(TEMPLATE_GLOBALS[name]).module, name)
                hit = made[key] = (item, macro(item, *args, **kwargs))
            return hit[1]

        call.__name__ = call.__qualname__ = name
        return call

    # An article's card appears on every listing that shows it (its year, month, topics, level,
    # unit, authors, the home page): the macro was a tenth of the render stage's profile at 10,000
    # articles. Its link (title and date) is in the related list of about five article pages
    # and in the home page's latest by level: 50,000 list items at 10,000 articles.
    article_card = memoised_macro("article_card")
    article_link = memoised_macro("article_link")

    chrome: dict[tuple, tuple[object, Markup]] = {}

    def site_chrome(name: str, key: tuple, keep: object = None, **values) -> Markup:
        """A partial that is the same on many pages, rendered once per `key` in each process."""
        hit = chrome.get(key)
        if hit is None:
            text = env.get_template(TEMPLATE_GLOBALS[name]).render(**values)
            hit = chrome[key] = (keep, Markup(text[:-1] if text.endswith("\n") else text))
        return hit[1]

    def site_header(nav: list, path: str) -> Markup:
        """partials/header.html: the header and menu, the same on every page but for the menu
        item of the page itself. Rendered once per menu item, not on each of 13,000 pages."""
        current = path if any(item.url == path for item in nav) else None
        return site_chrome("site_header", ("header", id(nav), current), nav, nav=nav, current=current)

    def site_footer() -> Markup:
        """partials/footer.html: the footer, the same on every page."""
        return site_chrome("site_footer", ("footer",))

    short_dates: dict[int, tuple[Moment, str]] = {}

    def short_date(moment: Moment) -> str:
        """"25/12/2019", worked out once per date and process: an article's date is shown on the
        pages of the (about five) articles that list it as related, besides its cards."""
        hit = short_dates.get(id(moment))
        if hit is None:
            if len(short_dates) >= CARD_MEMO_MAX:
                short_dates.clear()
            hit = short_dates[id(moment)] = (moment, format_short_date(moment, config.tz))  # kept: its id stays its own
        return hit[1]

    functions = dict(article_card=article_card, article_link=article_link, site_header=site_header,
                     site_footer=site_footer, picture=picture, thumbnail=thumbnail, url=url,
                     absolute_url=absolute_url, asset=asset, asset_path=asset_path,
                     breadcrumb_list=breadcrumb_list, news_article=news_article)
    env.globals.update(functions, site=config, build_year=site.build_time.year)
    # escape_output, the functions above called directly, pages rendered without Template.render:
    # Jinja's and MarkupSafe's private internals, used while they have them (speedups/templates.py)
    speedups.install(env, plain=frozenset(functions.values()))
    env.filters.update(
        # also filters (`item|url`, as in MkDocs' themes): Jinja calls a filter directly, a
        # global through Context.call, which costs ~1.8 µs more, and pages call url ~25 times
        url=_at_render(url), absolute_url=_at_render(absolute_url),
        vi_date=lambda m: format_date(m, config.tz),
        short_date=short_date,
        short_datetime=lambda m: format_short_date(m, config.tz, with_time=True),
        iso=lambda m: m.iso(),
        year=lambda m: (m.value.astimezone(config.tz) if m.has_time else m.value).year,
        level_name=_at_render(lambda key: config.level(key).name),
        safe_html=Markup,
        rfc3339=lambda m: m.value.isoformat(),
        query_value=lambda text: quote(text, safe=""),
        jsonld=to_jsonld,
        tag_uri=tag_uri,
        # redirects.map is nginx's syntax, not HTML: its values must not be HTML-escaped
        nginx_string=lambda text: Markup(nginx_string(text)),
        nginx_comment=lambda text: Markup(" ".join(str(text).split())),
    )
    return env


def _at_render(func):
    """`func` as a filter Jinja never runs while compiling a template. Jinja works out a filter
    on a constant (`'favicon.ico'|url`) at compile time, and compiled templates are kept in
    .cache/jinja/ by their source (and sitegen's version), not by site.yaml: a result that
    depends on site.yaml (base_url, the levels) would stay baked in after site.yaml changes. A filter that takes the context is
    never run early, and is still called directly, not through Context.call."""
    return jinja2.pass_context(lambda _context, value: func(value))


def _attrs(attributes: dict) -> Markup:
    return Markup("").join(Markup(' {}="{}"').format(k, v) for k, v in attributes.items())


# one encoder for every page: json.dumps with options makes a new one each call (~6 µs); the data
# is made by news_article and breadcrumb_list, never circular, so no check for cycles
_JSON = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), check_circular=False)


def to_jsonld(data: object) -> Markup:
    """JSON for a <script type="application/ld+json"> element that no value can break out of.

    "<", ">" and "&" become \\u escapes, so a title containing "</script>" or "<!--"
    cannot end the script element or open a comment; U+2028/2029 are escaped too.
    """
    text = _JSON.encode(data)
    for char, escape in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"),
                         ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        text = text.replace(char, escape)
    return Markup(text)


@dataclass(frozen=True)
class Rendered:
    """What rendering did with one page: its output path, the content key of its bytes, and
    whether they were written (to the staging folder) or were already in output/."""

    rel: str
    key: str
    written: bool


class PageWriter:
    """Renders pages and writes those whose bytes changed into the staging folder.

    A page is written when `previous` (the last build's manifest) records other bytes for it, or
    its file in `out` is missing or of another size. Each worker has its own writer and writes
    its own files, so rendered HTML never travels back to the parent: memory stays flat at
    100,000 articles and the writing is spread over the cores. With no staging folder (a check
    without writing) pages are rendered and nothing is written.
    """

    def __init__(self, env: jinja2.Environment, staging: Path | None, out: Path, previous: dict[str, str]):
        self.env, self.staging, self.out, self.previous = env, staging, out, previous
        self.templates: dict[str, tuple[jinja2.Template, dict]] = {}
        self.made: set[str] = set()

    def write(self, page: Page) -> Rendered:
        """Render one page; raise BuildError naming the template file and line if it fails."""
        try:
            found = self.templates.get(page.template)
            if found is None:
                template = self.env.get_template(page.template)
                found = self.templates[page.template] = (template, dict(template.globals))
            data = self._render(*found, page.context).encode("utf-8")
        except (jinja2.TemplateSyntaxError, jinja2.TemplateNotFound) as err:
            raise BuildError([template_problem(err, page.template)]) from None
        except Exception as err:  # noqa: BLE001 - any template failure must be a clear line, not a traceback
            where, line = _template_frame(err, page.template)
            raise BuildError([Diagnostic(where, "template", f"{type(err).__name__}: {err} (rendering {page.source})",
                                         line)]) from None
        rel = page.route.file
        key = file_key(data)
        written = self.previous.get(rel) != key or not same_size(self.out / rel, len(data))
        if written and self.staging is not None:
            write_file(self.staging, rel, data, self.made)
        return Rendered(rel, key, written)

    def _render(self, template: jinja2.Template, globals_: dict, context: dict) -> str:
        """template.render(context), without its per-page copies while Jinja allows it: the
        template's globals are merged into a dict (`globals_`) once per template and worker."""
        return speedups.render(self.env, template, globals_, context)


def template_problem(err: jinja2.TemplateSyntaxError | jinja2.TemplateNotFound, template: str) -> Diagnostic:
    """A template that does not parse, or is not there, as a line naming the file (and line)."""
    if isinstance(err, jinja2.TemplateNotFound):
        return Diagnostic(f"{TEMPLATES_DIR}/{err.name}", "template", "not found")
    return Diagnostic(f"{TEMPLATES_DIR}/{err.name or template}", "template", err.message or str(err), err.lineno)


def _template_frame(err: BaseException, fallback: str) -> tuple[str, int | None]:
    """The template file and line where a runtime error happened, from the traceback."""
    where, line = f"{TEMPLATES_DIR}/{fallback}", None
    tb = err.__traceback__ or sys.exc_info()[2]
    while tb is not None:
        name = tb.tb_frame.f_code.co_filename
        if name.endswith((".html", ".xml", ".txt")) and f"{TEMPLATES_DIR}" in name:
            where, line = f"{TEMPLATES_DIR}/{Path(name).name}", tb.tb_lineno
        tb = tb.tb_next
    return where, line
