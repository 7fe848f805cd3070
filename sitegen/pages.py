"""Page stage: every page of the site, each with an explicit context for its kind."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import partial
from typing import Any, Sequence

from . import i18n
from .cache import Related
from .dates import Moment
from .feeds import EPOCH, Feed, FeedLink, newest
from .models import Article, Page
from .paginate import paginate
from .redirects import redirect_pages
from .related import find_related
from .render import Site
from .taxonomy import (ARCHIVE_ROOT, AUTHORS_ROOT, LEVELS_ROOT, TOPICS_ROOT, UNITS_ROOT, Taxonomy, Term, name_key,
                       topic_key)
from .urls import Route, route

SEARCH_ROOT = "tim-kiem/"


@dataclass(frozen=True)
class Crumb:
    """One step of the breadcrumb trail; the current page has no route."""

    title: str
    route: Route | None = None


@dataclass(frozen=True)
class PageInfo:
    """`page` in every template: what the layout (base.html) shows about any page.

    An object, not a dict: Jinja reads `page.title` as an attribute first, and on a dict each
    such read raised and caught an AttributeError (~0.7 µs, some 25 times a page)."""

    title: str
    description: str
    kind: str
    route: Route
    breadcrumbs: list[Crumb]
    feeds: tuple            # FeedLinks, shared by the pages that link the same feeds
    image: str


@dataclass(frozen=True)
class NavItem:
    """A resolved menu entry."""

    title: str
    url: str            # a site-relative path or an absolute URL


def _newest_or(items: Sequence[Article], fallback: Moment) -> Moment:
    """A listing page's lastmod: the newest of its articles (`fallback` when it shows none)."""
    return newest(items) or fallback


def _nav(site: Site, taxonomy: Taxonomy) -> list[NavItem]:
    items = []
    for entry in site.config.menu:
        if entry.level:
            group = taxonomy.level_group(entry.level)
            items.append(NavItem(entry.title or group.level.name, group.route.path))
        elif entry.topic:
            term = taxonomy.topic_of.get(topic_key(entry.topic))
            if term is not None:
                items.append(NavItem(entry.title or term.name, term.route.path))
        elif entry.url.startswith(("https://", "http://", "mailto:", "tel:")):
            items.append(NavItem(entry.title, entry.url))
        else:
            # site-relative, as page routes are ("luu-tru/"), so the header can mark the current page
            items.append(NavItem(entry.title, entry.url.lstrip("/")))
    return items


class PageBuilder:
    """Makes the Page list. Contexts are built here, key by key, for each page kind."""

    def __init__(self, site: Site, articles: list[Article], taxonomy: Taxonomy, feeds: list[Feed],
                 archived: Sequence[Article] = (), related: Related = Related()):
        self.site, self.articles, self.taxonomy = site, articles, taxonomy
        self.archived = archived
        # the last build's related articles in, this build's out (the group stage hands them on)
        self.related = related
        # tuples, shared by every page: a page's fingerprint hashes a shared tuple once per build
        # (by identity), where a list made for the page is hashed item by item on every page
        self.nav = tuple(_nav(site, taxonomy))
        self.home_crumb = Crumb(i18n.HOME, route(""))
        self.site_feeds = (FeedLink.of(feeds[0]),)
        self.feeds_of = {f.page.path: (*self.site_feeds, FeedLink.of(f)) for f in feeds[1:]}
        config = site.config
        self.default_image = site.assets.get(config.share_image, "") if config.share_image else ""
        # lastmod of pages with nothing dated on them (an empty level, an empty site)
        self.newest = newest(articles) or EPOCH
        self._topics: dict[str, list[Term]] = {}

    def context(self, title: str, description: str, kind: str, crumbs: Sequence[Crumb], route_: Route,
                image: str = "", feed_of: Route | None = None, **specific: Any) -> dict[str, Any]:
        """The keys every page kind has, plus the kind's own.

        `image` is shown when the page is shared; `feed_of` is the listing whose feed the page
        links besides the site's.
        """
        crumbs = list(crumbs)
        feeds = self.feeds_of.get(feed_of.path, self.site_feeds) if feed_of is not None else self.site_feeds
        return {"page": PageInfo(title, description, kind, route_, [self.home_crumb, *crumbs] if crumbs else [],
                                 feeds, image or self.default_image),
                "nav": self.nav, **specific}

    # --- listings -------------------------------------------------------

    def listing(self, kind: str, title: str, description: str, items: Sequence[Article], base: Route,
                crumbs: list[Crumb], **specific: Any) -> list[Page]:
        """All pages of one paginated listing of articles."""
        pages = []
        for pager in paginate(items, self.site.config.page_size, base):
            trail = [*crumbs, Crumb(title, base if pager.number > 1 else None)]
            shown = title
            if pager.number > 1:
                trail.append(Crumb(i18n.PAGE_N.format(n=pager.number)))
                shown = f"{title} – {i18n.PAGE_N.format(n=pager.number)}"
            context = partial(self.context, shown, description, kind, trail, pager.route, feed_of=base,
                              heading=title, pager=pager, **specific)
            pages.append(Page(pager.route, "list.html", context, f"{kind} {base.path}",
                              partial(_newest_or, pager.items, self.newest)))
        return pages

    def term_pages(self, terms: Sequence[Term], root: str, label: str, kind: str) -> list[Page]:
        """The index of a kind of term (topics, units, authors) and one listing per term."""
        index = route(root)
        pages = [Page(index, "terms.html", self.context(label, "", f"{kind}-index", [Crumb(label)], index,
                                                        heading=label, terms=list(terms), term_kind=kind),
                      f"{kind} index", self.newest)]
        for term in terms:
            pages += self.listing(kind, term.name, "", term.articles, term.route, [Crumb(label, index)], term=term)
        return pages

    def level_pages(self) -> list[Page]:
        index = route(LEVELS_ROOT)
        size = self.site.config.level_block_size
        blocks = [(group, group.articles[:size]) for group in self.taxonomy.levels]
        pages = [Page(index, "levels.html", self.context(i18n.LEVELS, "", "level-index", [Crumb(i18n.LEVELS)], index,
                                                         heading=i18n.LEVELS, blocks=blocks), "level index",
                      self.newest)]
        for group in self.taxonomy.levels:
            pages += self.listing("level", group.level.name, group.level.description, group.articles, group.route,
                                  [Crumb(i18n.LEVELS, index)], group=group)
        return pages

    def archive_pages(self) -> list[Page]:
        index = route(ARCHIVE_ROOT)
        pages = [Page(index, "archive.html", self.context(i18n.ARCHIVE, "", "archive", [Crumb(i18n.ARCHIVE)], index,
                                                          heading=i18n.ARCHIVE, years=self.taxonomy.years), "archive",
                      self.newest)]
        for year in self.taxonomy.years:
            year_title = i18n.YEAR_N.format(year=year.year)
            pages += self.listing("year", year_title, "", year.articles, year.route, [Crumb(i18n.ARCHIVE, index)])
            for month in year.months:
                title = i18n.MONTH_N.format(month=month.month, year=year.year)
                pages += self.listing("month", title, "", month.articles, month.route,
                                      [Crumb(i18n.ARCHIVE, index), Crumb(year_title, year.route)])
        return pages

    # --- home and articles ---------------------------------------------------

    def home_page(self) -> Page:
        config = self.site.config
        blocks = [(group, group.articles[:config.level_block_size]) for group in self.taxonomy.levels]
        top = sorted(self.taxonomy.topics, key=lambda t: -t.count)[:config.home_topics]
        context = self.context(config.title, config.description, "home", [], route(""),
                               latest=self.articles[:config.home_size], blocks=blocks, top_topics=top)
        return Page(route(""), "home.html", context, "home", self.newest)

    def article_pages(self) -> list[Page]:
        taxonomy, articles = self.taxonomy, self.articles
        self._topics = {a.source: taxonomy.article_topics(a) for a in articles}   # asked for twice an article
        topic_keys = [tuple(t.slug for t in self._topics[a.source]) for a in articles]
        unit_keys = [name_key(a.unit) if a.unit else "" for a in articles]
        related = self._related(articles, topic_keys, unit_keys)
        pages = [Page(article.route, "article.html", partial(self._article_context, i, related[i]), article.source,
                      article.modified)
                 for i, article in enumerate(articles)]
        return pages + [Page(article.route, "article.html", partial(self._archived_context, article), article.source)
                        for article in self.archived]

    def _article_context(self, index: int, related: list[int]) -> dict[str, Any]:
        articles = self.articles
        return self._article_page_context(articles[index], newer=articles[index - 1] if index > 0 else None,
                                          older=articles[index + 1] if index + 1 < len(articles) else None,
                                          related=[articles[j] for j in related])

    def _archived_context(self, article: Article) -> dict[str, Any]:
        return self._article_page_context(article, listed=False)

    def _related(self, articles: list[Article], topic_keys: list, unit_keys: list) -> list[list[int]]:
        """find_related, reused from the cache when no article's topics, unit or date changed."""
        key = hashlib.blake2b(repr([(a.source, a.date.stamp, t, u) for a, t, u in
                                    zip(articles, topic_keys, unit_keys)]).encode(), digest_size=16).hexdigest()
        if self.related.key != key:
            self.related = Related(key, find_related(articles, topic_keys, unit_keys))
        return self.related.lists

    def _article_page_context(self, article: Article, newer: Article | None = None, older: Article | None = None,
                              related: Sequence[Article] = (), listed: bool = True) -> dict[str, Any]:
        """The context of an article's page. An expired one (not listed) keeps its page, so links
        keep working, but is in no list, feed, sitemap or search index."""
        taxonomy = self.taxonomy
        group = taxonomy.level_group(article.level)
        crumbs = [Crumb(i18n.LEVELS, route(LEVELS_ROOT)), Crumb(group.level.name, group.route), Crumb(article.title)]
        return self.context(
            article.title, article.summary, "article", crumbs, article.route,
            image=article.share_image(self.site.config.base_path), feed_of=group.route if listed else None,
            article=article, level=group,
            topics=list(self._topics.get(article.source) or taxonomy.article_topics(article)),
            authors=taxonomy.article_authors(article),
            unit=taxonomy.unit_of.get(name_key(article.unit)) if article.unit else None,
            newer=newer, older=older, related=list(related))

    def search_page(self) -> Page:
        """/tim-kiem/: the search page; ?q=… opens it with the query run."""
        page_route = route(SEARCH_ROOT)
        taxonomy = self.taxonomy
        # The filters' choices and counts, known here: the page need not load every shard's
        # filter index to fill its menus.
        facets = {
            "level": [(g.level.name, len(g.articles)) for g in taxonomy.levels if g.articles],
            "topic": [(t.name, t.count) for t in taxonomy.topics],
            "unit": [(t.name, t.count) for t in taxonomy.units],
            "author": [(t.name, t.count) for t in taxonomy.authors],
            "year": [(str(y.year), len(y.articles)) for y in taxonomy.years],
        }
        # index_files: what of the search index the page loads first (with_index_files, below)
        context = self.context(i18n.SEARCH, "", "search", [Crumb(i18n.SEARCH)], page_route, facets=facets,
                               index_files=())
        return Page(page_route, "search.html", context, "search page", volatile=True)

    def not_found_page(self) -> Page:
        """404.html at the root, where static hosts and nginx look for it."""
        page_route = route("404.html")
        context = self.context(i18n.NOT_FOUND, "", "404", [], page_route)
        return Page(page_route, "404.html", context, "404 page")

    def all_pages(self) -> list[Page]:
        """Every page of the site, in a fixed order."""
        return [self.home_page(), self.search_page(), self.not_found_page(), *self.article_pages(),
                *self.term_pages(self.taxonomy.topics, TOPICS_ROOT, i18n.TOPICS, "topic"),
                *self.level_pages(),
                *self.term_pages(self.taxonomy.units, UNITS_ROOT, i18n.UNITS, "unit"),
                *self.term_pages(self.taxonomy.authors, AUTHORS_ROOT, i18n.AUTHORS, "author"),
                *self.archive_pages(),
                *redirect_pages([*self.articles, *self.archived])]

