"""Plain data: the Article every later stage works on, and the pages it becomes."""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Callable

from .dates import Moment
from .urls import Route


@dataclass(frozen=True)
class Image:
    """An image shown with an article: its URL, alt text and caption."""

    url: str
    alt: str | None
    caption: str = ""


@dataclass(frozen=True, eq=False)  # identity: articles are compared and hashed by object
class Article:
    """One published article, with everything derived from its file."""

    source: str            # path relative to the site root: "content/2019/12/x.md"
    route: Route
    slug: str
    title: str
    date: Moment
    level: str
    authors: tuple[str, ...]
    unit: str
    topics: tuple[str, ...]
    summary: str
    image: Image | None
    draft: bool
    updated: Moment | None
    body: str = ""         # Markdown source, then replaced by sanitised HTML
    body_line: int = 1     # line of the file where the body starts, for messages
    first_image: str = ""  # URL of the first image in the body (for sharing), once rendered
    expires: Moment | None = None   # after this, out of listings, feeds, search and the sitemap
    archived: bool = False          # expired as of this build: the page stays, marked as archived
    aliases: tuple[str, ...] = ()   # old addresses (site paths, "/tin-tuc/123.html") redirected here

    def share_image(self, base_path: str) -> str:
        """Site-relative path (or https URL) of the image shown when the article is shared:
        its lead image, else the first image of its body, else ""."""
        if self.image is not None:
            return self.image.url
        if self.first_image.startswith(base_path):
            return self.first_image[len(base_path):]
        return self.first_image

    @property
    def modified(self) -> Moment:
        """When the article last changed: `updated`, or else `date`."""
        return self.updated or self.date

    @property
    def sort_key(self) -> tuple:
        """Newest first; ties broken by source path so order never depends on disk order."""
        return (-self.date.stamp, self.source)


@dataclass(frozen=True)
class Page:
    """A page to write: where, with which template, and its explicit context.

    `content` is the context, or a function that makes it: a page's context is built only when
    the page is fingerprinted or rendered, which after a small edit is a handful of pages.
    """

    route: Route
    template: str
    content: dict[str, Any] | Callable[[], dict[str, Any]] = field(hash=False, repr=False)
    source: str = ""       # what produced it, for collision messages
    # For the sitemap: a date, or a function that works it out (see `modified`); None keeps the
    # page out of the sitemap.
    lastmod: Moment | Callable[[], Moment] | None = field(default=None, hash=False, repr=False)
    # The context reads every page (the sitemap's): it is built once in the build process, before
    # the workers fork (pipeline.render_changed), not in a worker that would hold its own copy.
    reads_all_pages: bool = False
    # The context holds what may change when no article does (the search page: the search
    # index's newest files): looked at on every build; its key decides whether it is written.
    volatile: bool = False

    @cached_property
    def context(self) -> dict[str, Any]:
        """The template's context (built on first use)."""
        return self.content() if callable(self.content) else self.content

    @property
    def modified(self) -> Moment | None:
        """The date the sitemap gives for the page, worked out when asked. A listing's is the
        newest of the articles it shows: looking through them for each of 35,000 listing pages
        took a second of every rebuild at 100,000 articles, and only the sitemap asks (once a
        build: the date is not kept on the page, which would add to each of 135,000 pages)."""
        return self.lastmod() if callable(self.lastmod) else self.lastmod
