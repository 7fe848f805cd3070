"""Feeds stage: Atom feeds, the sitemap (an index past 50,000 URLs), robots.txt."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from functools import cache, partial
from typing import Sequence

from .dates import Moment
from .models import Article, Page
from .render import Site
from .taxonomy import Taxonomy
from .urls import Route, route

FEED_FILE = "feed.xml"
SITEMAP_FILE = "sitemap.xml"
SITEMAP_MAX_URLS = 50_000     # the sitemaps.org limit per file
EPOCH = Moment(datetime(1970, 1, 1, tzinfo=timezone.utc), True)


@dataclass(frozen=True)
class Feed:
    """One Atom feed: what it lists and where it lives."""

    title: str
    route: Route          # the feed file
    page: Route           # the listing it mirrors
    entries: tuple[Article, ...]
    updated: Moment


@dataclass(frozen=True)
class FeedLink:
    """What a page says about a feed it links to in its <head>: not the feed's entries, so a page
    does not depend on (and is not rendered again for) the articles of every feed it names."""

    title: str
    route: Route          # the feed file
    page: Route           # the listing it mirrors

    @classmethod
    def of(cls, feed: Feed) -> FeedLink:
        return cls(feed.title, feed.route, feed.page)


def newest(articles: Sequence[Article]) -> Moment | None:
    """The latest modification among `articles` (None when there are none); the first of equals."""
    # A plain loop: max() with a key function costs five times as much, over every listing.
    best, best_stamp = None, 0.0
    for article in articles:
        moment = article.updated or article.date
        if best is None or moment.stamp > best_stamp:
            best, best_stamp = moment, moment.stamp
    return best


def feed_route(listing: Route) -> Route:
    """The feed beside a listing: /chu-de/thi-dua/ → /chu-de/thi-dua/feed.xml."""
    return route(f"{listing.path}{FEED_FILE}")


def build_feeds(site: Site, articles: list[Article], taxonomy: Taxonomy) -> list[Feed]:
    """The site feed, one per union level and one per topic."""
    size = site.config.feed_entries
    fallback = newest(articles) or EPOCH  # an empty feed still needs a stable <updated>

    def feed(title: str, listing: Route, members: Sequence[Article]) -> Feed:
        entries = tuple(members[:size])
        return Feed(title, feed_route(listing), listing, entries, newest(entries) or fallback)

    feeds = [feed(site.config.title, route(""), articles)]
    feeds += [feed(f"{group.level.name} – {site.config.title}", group.route, group.articles)
              for group in taxonomy.levels]
    feeds += [feed(f"{term.name} – {site.config.title}", term.route, term.articles) for term in taxonomy.topics]
    return feeds


def feed_pages(feeds: list[Feed]) -> list[Page]:
    """One page (rendered with atom.xml) per feed."""
    return [Page(f.route, "atom.xml", {"feed": f}, f"feed {f.route.path}") for f in feeds]


def sitemap_pages(pages: list[Page]) -> list[Page]:
    """sitemap.xml listing every page that has a lastmod; past SITEMAP_MAX_URLS an index of several files.

    Which pages there are decides the sitemap files; their dates are worked out only when a
    sitemap is rendered (after a body edit, never: see Page.modified).
    """
    max_urls = SITEMAP_MAX_URLS
    dated = [p for p in pages if p.lastmod is not None]

    @cache
    def urls() -> list[tuple[Route, Moment]]:
        return sorted(((p.route, p.modified) for p in dated), key=lambda item: item[0].path)

    if len(dated) <= max_urls:
        return [Page(route(SITEMAP_FILE), "sitemap.xml", lambda: {"urls": urls()}, "sitemap", reads_all_pages=True)]
    parts = [route(f"sitemap-{n}.xml") for n in range(1, -(-len(dated) // max_urls) + 1)]

    def chunk(n: int) -> list[tuple[Route, Moment]]:
        return urls()[n * max_urls: (n + 1) * max_urls]

    def index() -> dict:
        return {"sitemaps": [(r, max((m for _, m in chunk(n)), key=lambda m: m.value)) for n, r in enumerate(parts)]}

    def part(n: int) -> dict:
        return {"urls": chunk(n)}

    return [Page(route(SITEMAP_FILE), "sitemap_index.xml", index, "sitemap index", reads_all_pages=True)] + [
        Page(r, "sitemap.xml", partial(part, n), f"sitemap {r.path}", reads_all_pages=True)
        for n, r in enumerate(parts)]


def robots_page() -> Page:
    """robots.txt: everything may be crawled; it names the sitemap."""
    return Page(route("robots.txt"), "robots.txt", {"sitemap": route(SITEMAP_FILE)}, "robots.txt")
