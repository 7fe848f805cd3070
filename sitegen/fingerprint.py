"""Fingerprints of page contexts and templates: a page whose fingerprint did not change is not re-rendered."""
from __future__ import annotations

import dataclasses
import hashlib
from functools import lru_cache
from datetime import datetime
from pathlib import Path

import jinja2
from jinja2 import meta

from .dates import Moment
from .models import Article, Image
from .pages import Crumb, PageInfo
from .render import TEMPLATE_GLOBALS
from .urls import Route

# PageInfo and Crumb are made for one page's context and found in no other: fed in place, not
# hashed and kept apart, by branches of _feed that name their fields. FED_FIELDS lists them, and
# a test checks that it is all of them.
FED_FIELDS = {PageInfo: ("title", "description", "kind", "route", "image", "breadcrumbs", "feeds"),
              Crumb: ("title", "route")}


class Fingerprints:
    """Hashes contexts. Articles are hashed once per build; groupings by their summary only.

    Term, level and archive groupings appear in contexts as links with a count; the articles
    a page actually lists are in its context separately (a pager's items, a block's latest), so
    a grouping contributes its name, address and count, not its thousands of articles.

    `digests` gives an article's digest by source (the pipeline derives it from the article's
    cache keys, which is far cheaper than hashing its fields). With `refs`, each context's
    digest also records which articles it showed (by `refs[source]`, an index), so the next
    build can tell which pages an edited article can change.
    """

    def __init__(self, digests: dict[str, bytes] | None = None, refs: dict[str, int] | None = None) -> None:
        self._articles: dict[int, bytes] = {}
        # what hashing an article in a context adds, by identity: its digest as fed, and its index
        # in `refs` (or None)
        self._fed: dict[int, tuple[bytes, int | None]] = {}
        self._digests = digests or {}
        self._refs = refs
        self._seen: set[int] = set()
        # Digests of the objects that recur from page to page (the menu, crumbs, terms, routes),
        # by identity; the object is kept alive with its digest so its id cannot be reused.
        self._memo: dict[int, tuple[object, bytes, frozenset]] = {}

    def article(self, article: Article) -> bytes:
        key = id(article)
        found = self._articles.get(key)
        if found is None:
            found = self._digests.get(article.source)
            if found is None:
                fields = tuple(getattr(article, name) for name in _field_names(Article))
                found = hashlib.blake2b(repr(fields).encode("utf-8", "surrogatepass"), digest_size=16).digest()
            self._articles[key] = found
        return found

    def context(self, context: dict, salt: bytes) -> str:
        digest = hashlib.blake2b(salt, digest_size=16)
        self._seen = set()
        self._feed(digest, context)
        return digest.hexdigest()

    def refs(self) -> frozenset[int]:
        """The articles (as `refs` indices) the last context hashed showed."""
        return frozenset(self._seen)

    def _feed(self, digest, value) -> None:
        kind = type(value)
        if kind is str or kind is int or kind is bool or kind is float or value is None:
            digest.update(repr(value).encode("utf-8", "surrogatepass") + b"\x00")
        elif kind is Article:
            self._feed_article(digest, value)
        elif kind is list:
            # a page's own lists (related articles, topics, crumbs) are fed in place: they are
            # new for every page, so a digest kept for them would never be used again (tuples,
            # such as a listing's routes shared by all its pages, are kept below). A run of
            # articles (a listing's page, the related ones) goes in one update: the same digest
            # as one update per article, at a fraction of the calls.
            self._feed_items(digest, value)
        elif kind is dict:
            digest.update(b"{")
            for key, item in value.items():
                if type(key) is str:        # what _feed would add for it, without the call
                    digest.update(repr(key).encode("utf-8", "surrogatepass") + b"\x00")
                else:
                    self._feed(digest, key)
                self._feed(digest, item)
            digest.update(b"}")
        elif kind is Route:
            # most routes belong to one page: fed in place, like a string (kept digests would be waste)
            digest.update(b"R" + value.path.encode("utf-8", "surrogatepass") + b"\x00")
        elif kind is PageInfo:
            # every page has one: its strings in one update, its crumbs and feed links as values
            digest.update(b"P" + repr((value.title, value.description, value.kind, value.route.path, value.image))
                          .encode("utf-8", "surrogatepass"))
            self._feed(digest, value.breadcrumbs)
            self._feed(digest, value.feeds)
        elif kind is Crumb:
            route = value.route
            digest.update(b"C" + repr((value.title, route.path if route is not None else None))
                          .encode("utf-8", "surrogatepass"))
        elif isinstance(value, Article):
            self._feed_article(digest, value)
        elif isinstance(value, (str, int, float)):     # a subclass (Markup)
            digest.update(repr(str(value) if isinstance(value, str) else value).encode("utf-8", "surrogatepass")
                          + b"\x00")
        else:
            # what recurs from page to page (terms, levels, feeds, the menu's items): hashed once
            found = self._memo.get(id(value))
            if found is None:
                sub = hashlib.blake2b(digest_size=16)
                outer, self._seen = self._seen, set()
                self._feed_composite(sub, value)
                found = self._memo[id(value)] = (value, sub.digest(), frozenset(self._seen))
                self._seen = outer
            digest.update(b"M" + found[1])
            if found[2]:
                self._seen |= found[2]

    def _feed_items(self, digest, items) -> None:
        """A list or tuple: "[", its items, "]". What _feed would add for an article, a crumb or
        a value hashed before (a term, the level) is gathered and added in one update."""
        fed, memo, seen, run = self._fed, self._memo, self._seen, [b"["]
        for item in items:
            kind = type(item)
            if kind is Article:
                entry = fed.get(id(item)) or self._entry(item)
                run.append(entry[0])
                if entry[1] is not None:
                    seen.add(entry[1])
            elif kind is Crumb:
                route = item.route
                run.append(b"C" + repr((item.title, route.path if route is not None else None))
                           .encode("utf-8", "surrogatepass"))
            elif (found := memo.get(id(item))) is not None and found[0] is item:
                run.append(b"M" + found[1])
                if found[2]:
                    seen |= found[2]
            else:
                digest.update(b"".join(run))
                run = []
                self._feed(digest, item)
        run.append(b"]")
        digest.update(b"".join(run))

    def _feed_article(self, digest, value: Article) -> None:
        entry = self._fed.get(id(value)) or self._entry(value)
        digest.update(entry[0])
        if entry[1] is not None:
            self._seen.add(entry[1])

    def _entry(self, value: Article) -> tuple[bytes, int | None]:
        entry = self._fed[id(value)] = (b"A" + self.article(value),
                                        self._refs.get(value.source) if self._refs is not None else None)
        return entry

    def _feed_composite(self, digest, value) -> None:  # noqa: C901 - one branch per kind of value
        if isinstance(value, dict):
            digest.update(b"{")
            for key in value:
                self._feed(digest, key)
                self._feed(digest, value[key])
            digest.update(b"}")
        elif isinstance(value, (list, tuple)):
            self._feed_items(digest, value)
        elif isinstance(value, (Route, Moment, Image, datetime)):
            digest.update(repr(value).encode("utf-8", "surrogatepass"))
        elif hasattr(value, "articles") and hasattr(value, "route"):
            # a grouping (Term, LevelGroup, Year, Month, Feed…): what it shows about itself
            summary = {k: v for k, v in vars(value).items() if k != "articles"}
            self._feed(digest, type(value).__name__)
            self._feed(digest, summary)
            self._feed(digest, len(value.articles))
        elif dataclasses.is_dataclass(value):
            self._feed(digest, type(value).__name__)
            for name in _field_names(type(value)):
                if name != "articles":
                    self._feed(digest, getattr(value, name))
        else:
            digest.update(repr(value).encode("utf-8", "surrogatepass"))


@lru_cache(maxsize=None)
def _field_names(cls: type) -> tuple[str, ...]:
    return tuple(f.name for f in dataclasses.fields(cls))


def template_keys(env: jinja2.Environment, root: Path, names: set[str],
                  memo: dict[str, tuple[str, ...]] | None = None) -> dict[str, bytes]:
    """For each template, a hash of its source and of every template it extends, includes,
    imports or renders through a global (TEMPLATE_GLOBALS).

    `memo` maps a digest of a template's source to the templates it references, so a build
    parses only the templates that changed since the last one.
    """
    sources: dict[str, str] = {}
    memo = memo if memo is not None else {}

    def source(name: str) -> str:
        if name not in sources:
            sources[name] = env.loader.get_source(env, name)[0]
        return sources[name]

    def referenced(name: str) -> tuple[str, ...]:
        text = source(name)
        key = hashlib.blake2b(name.encode() + b"\x00" + text.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()
        if key not in memo:
            tree = env.parse(text, name=name)
            # globals that render a template, too (any name read counts: a local variable of the
            # same name only adds a dependency, which is safe)
            used = {node.name for node in tree.find_all(jinja2.nodes.Name) if node.ctx == "load"}
            memo[key] = tuple([child for child in meta.find_referenced_templates(tree) if child] +
                              [TEMPLATE_GLOBALS[g] for g in sorted(used) if g in TEMPLATE_GLOBALS])
        return memo[key]

    def closure(name: str, seen: set[str]) -> set[str]:
        if name in seen:
            return seen
        seen.add(name)
        for child in referenced(name):
            closure(child, seen)
        return seen

    keys = {}
    for name in names:
        digest = hashlib.blake2b(digest_size=16)
        for member in sorted(closure(name, set())):
            digest.update(member.encode() + b"\x00" + source(member).encode("utf-8", "surrogatepass"))
        keys[name] = digest.digest()
    return keys
