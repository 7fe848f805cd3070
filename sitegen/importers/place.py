"""Where each imported article goes: a file in content/, its slug, its date, its old addresses.

What content/ holds already is read first (front matter only): an article imported before is
found by its `source:`, addresses and files already taken are never reused, and topics take the
spelling the site already uses.
"""
from __future__ import annotations

import html
import os
import re
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

from ..config import SiteConfig
from ..frontmatter import FrontMatterError, parse_alias, parse_front_matter, split
from ..load import CONTENT_DIR, decode, discover, read_source as read_article_bytes, slug_and_route
from ..pages import SEARCH_ROOT
from ..redirects import MAP_FILE, target_key
from ..taxonomy import ARCHIVE_ROOT, AUTHORS_ROOT, LEVELS_ROOT, TOPICS_ROOT, UNITS_ROOT, name_key
from ..text import clean, collapse, slugify
from ..urls import article_route
from .record import ImportOptions, ImportReport, Imported, Skipped

_TAGS = re.compile(r"<[^>]*>")


@dataclass(frozen=True)
class Existing:
    """What content/ holds already: the articles' `source:` values and addresses, and their topics."""

    by_origin: dict[str, str]            # source: -> content-relative path
    routes: dict[str, str]               # article address -> content-relative path
    aliases: dict[str, str]              # redirects.target_key of each alias -> content-relative path
    topics: dict[str, str]               # name_key -> the spelling most used
    files: frozenset[str]                # every content-relative file


def scan_content(root: Path, config: SiteConfig) -> Existing:
    """Read the front matter of every article already in content/ (bodies are not converted)."""
    articles, others, _ = discover(root)
    by_origin, routes, counts, aliases = {}, {}, {}, {}
    levels = tuple(lv.key for lv in config.levels)
    for rel in articles:
        try:
            data = read_article_bytes(os.path.join(root, CONTENT_DIR, rel))
            text, _ = decode(data or b"")
            raw, _, _ = split(text)
        except (OSError, ValueError, FrontMatterError):
            continue
        fm, _ = parse_front_matter(raw, rel, levels, config.tz)
        if fm is None:
            continue
        if fm.origin:
            by_origin[fm.origin] = rel
        routes[slug_and_route(fm, rel, config)[1].path] = rel
        for alias in fm.aliases:
            aliases.setdefault(target_key(alias), rel)
        for topic in fm.topics:
            counts.setdefault(name_key(topic), {}).setdefault(topic, 0)
            counts[name_key(topic)][topic] += 1
    topics = {key: max(spellings, key=lambda s: (spellings[s], s)) for key, spellings in counts.items()}
    return Existing(by_origin, routes, aliases, topics, frozenset(articles) | frozenset(others))


def canonical_topic(name: str, config: SiteConfig, existing: Existing) -> str:
    """A topic as the site spells it: through topic_aliases, else as its articles write it."""
    key = name_key(name)
    for alias, topic in config.topic_aliases.items():
        if name_key(alias) == key:
            return collapse(clean(topic))
    return existing.topics.get(key, name)


@dataclass
class Placed:
    item: Imported
    rel: str                # content-relative article file
    slug: str               # explicit slug for the front matter ("" when the title gives it)
    date: datetime
    has_time: bool
    replaces: bool


@dataclass
class _Taken:
    """What is in use, as the plan grows: files, article addresses, old addresses."""

    files: set[str]
    routes: dict[str, str]           # article address -> content-relative file
    route_keys: dict[str, str]       # target_key of each address -> content-relative file
    aliases: dict[str, str]          # target_key of each old address -> content-relative file


def place(items: list[Imported], options: ImportOptions, config: SiteConfig, existing: Existing,
          report: ImportReport, now: datetime) -> list[Placed]:
    """A file for each item: content/YYYY/MM/<slug>.md, the month of its date in the portal's
    zone. An item imported before (same `source:`) is skipped, or rewritten in place with
    --force; two items that would take one address get distinct slugs."""
    taken = _Taken(set(existing.files), dict(existing.routes),
                   {target_key(a): rel for a, rel in existing.routes.items()}, dict(existing.aliases))
    placed: list[Placed] = []
    seen: set[str] = set()
    for item in items:
        item = _titled(item, report)
        if item is None:
            continue
        if item.origin in seen:
            report.skipped.append(Skipped(item.where, f"appears twice in the sources ({item.origin})"))
            continue
        seen.add(item.origin)
        date, has_time = _date_of(item, options, now, report)
        earlier = existing.by_origin.get(item.origin)
        reason = (f"dated before --since ({date:%Y-%m-%d})" if options.since is not None and date < options.since
                  else f"past --limit {options.limit}" if options.limit is not None and len(placed) >= options.limit
                  else f"imported before as {CONTENT_DIR}/{earlier} (same source:); --force writes it again"
                  if earlier is not None and not options.force else "")
        if reason:
            report.skipped.append(Skipped(item.where, reason))
            continue
        rel, slug = _free_file(item, date.astimezone(config.tz), earlier, config, taken)
        item = replace(item, aliases=_kept_aliases(item, rel, taken, report))
        placed.append(Placed(item, rel, slug if slug != slugify(item.title) else "", date, has_time,
                             earlier is not None))
    return placed


def _titled(item: Imported, report: ImportReport) -> Imported | None:
    """The item with a title (its first words when the source gives none), or None when it
    has neither title nor text."""
    text = collapse(html.unescape(_TAGS.sub(" ", item.html)))
    if not item.title and not text:
        report.skipped.append(Skipped(item.where, "has neither a title nor any text"))
        return None
    if not item.title:
        words = text.split()
        item = replace(item, title=" ".join(words[:12]) + ("…" if len(words) > 12 else ""))
        report.warnings.append(f"{item.where}: title: the source gives none; its first words were used")
    if not text and not item.lead_image:
        report.warnings.append(f"{item.where}: body: the source has no text; the article is empty")
    return item


def _date_of(item: Imported, options: ImportOptions, now: datetime, report: ImportReport) -> tuple[datetime, bool]:
    """The source's date; --date where it has none (or only a Word file's properties); else now."""
    date, has_time = item.date, item.has_time
    if options.date is not None and (date is None or item.date_is_guess):
        date, has_time = options.date, True
    if date is None:
        date, has_time = now, True
        report.warnings.append(f"{item.where}: date: the source gives none; today's date was used "
                               "(give --date, or edit the file)")
    return date, has_time


def _free_file(item: Imported, local: datetime, earlier: str | None, config: SiteConfig,
               taken: _Taken) -> tuple[str, str]:
    """(file, slug): the slug of the title, or of the title with -2, -3… when its address or
    file is taken. An article imported before keeps its file (--force)."""
    base = slugify(item.title)
    if earlier is not None:
        # rewritten where it is; its address stays what that file gave it
        taken.routes = {k: v for k, v in taken.routes.items() if v != earlier}
    folder = f"{local.year:04d}/{local.month:02d}"
    for n in range(1, 1000):
        slug = base if n == 1 else slugify(f"{base}-{n}")
        rel = earlier if (earlier is not None and n == 1) else f"{folder}/{slug}.md"
        address = _route_of(config, slug, local)
        if (rel == earlier or rel not in taken.files) and address not in taken.routes:
            break
    taken.files.add(rel)
    taken.routes[address] = rel
    taken.route_keys[target_key(address)] = rel
    return rel, slug


def _kept_aliases(item: Imported, rel: str, taken: _Taken, report: ImportReport) -> tuple[str, ...]:
    """The item's old addresses that are valid and answer nothing else yet; the others are
    reported and dropped (the build would refuse them)."""
    kept = []
    for alias in item.aliases:
        try:
            alias = parse_alias(alias)
        except ValueError as err:
            report.warnings.append(f"{item.where}: aliases: the old address was not kept: {err}")
            continue
        key = target_key(alias)
        holder = taken.aliases.get(key)
        owner = (f"an alias of {CONTENT_DIR}/{holder}" if holder not in (None, rel)
                 else None if holder == rel else _listing_owner(key, taken.route_keys))
        if owner is not None:
            report.warnings.append(f"{item.where}: aliases: the old address {alias} was not kept: it is already "
                                   f"{owner}")
        else:
            taken.aliases[key] = rel
            kept.append(alias)
    return tuple(kept)


# The first folders of the site's own pages: an old address there would hide one of them.
_SITE_FOLDERS = {r.strip("/") for r in (TOPICS_ROOT, LEVELS_ROOT, UNITS_ROOT, AUTHORS_ROOT, ARCHIVE_ROOT, SEARCH_ROOT,
                                        "assets/", "pagefind/", "admin/", "trang/")}


def _listing_owner(key: str, route_keys: dict[str, str]) -> str | None:
    """What already answers at an old address: an article (the importing one included), or a
    page of the site's own."""
    if key in route_keys:
        return f"the address of {CONTENT_DIR}/{route_keys[key]}"
    first = key.split("/", 1)[0]
    if first in _SITE_FOLDERS or key in ("", "feed.xml", "sitemap.xml", "robots.txt", "404.html", MAP_FILE) \
            or re.fullmatch(r"\d{4}(/\d{2})?(/trang/\d+)?", key):
        return "an address of the site's own pages (a listing, a feed, the search)"
    return None


def _route_of(config: SiteConfig, slug: str, local: datetime) -> str:
    return article_route(config.permalink, slug, local.year, local.month, local.day).path
