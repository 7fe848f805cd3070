"""Group stage: topics, levels, units, authors and the archive, built from the articles."""
from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from functools import lru_cache
from typing import Callable, Iterable

from .config import Level, SiteConfig
from .errors import Diagnostic, Report
from .models import Article
from .text import clean, collapse, fold, slugify, sort_key
from .urls import Route, route

# Site-relative roots of the listings; Vietnamese words, ASCII slugs.
TOPICS_ROOT, LEVELS_ROOT, UNITS_ROOT, AUTHORS_ROOT, ARCHIVE_ROOT = "chu-de/", "cap/", "don-vi/", "tac-gia/", "luu-tru/"


@dataclass(frozen=True, eq=False)   # identity: hashing the articles tuple would cost a pass over it
class Term:
    """A topic, unit or author: a name, its page, and its articles newest first."""

    kind: str                      # "topic", "unit", "author"
    name: str
    slug: str
    route: Route
    articles: tuple[Article, ...]

    @property
    def count(self) -> int:
        return len(self.articles)


@dataclass(frozen=True, eq=False)   # identity: hashing the articles tuple would cost a pass over it
class LevelGroup:
    """A union level with its page, its units and its articles newest first."""

    level: Level
    route: Route
    articles: tuple[Article, ...]
    units: tuple[Term, ...]


@dataclass(frozen=True, eq=False)   # identity: hashing the articles tuple would cost a pass over it
class Month:
    """One month of the archive."""

    year: int
    month: int
    route: Route
    articles: tuple[Article, ...]


@dataclass(frozen=True, eq=False)   # identity: hashing the articles tuple would cost a pass over it
class Year:
    """One year of the archive, months newest first."""

    year: int
    route: Route
    articles: tuple[Article, ...]
    months: tuple[Month, ...]


@dataclass(frozen=True)
class Taxonomy:
    """Every grouping of the articles that listings, article pages and the home page use."""

    topics: tuple[Term, ...]       # Vietnamese alphabetical order
    units: tuple[Term, ...]
    authors: tuple[Term, ...]
    levels: tuple[LevelGroup, ...]  # site.yaml order
    years: tuple[Year, ...]         # newest first
    topic_of: dict[str, Term]       # grouping key of a topic spelling -> Term
    unit_of: dict[str, Term]
    author_of: dict[str, Term]

    def article_topics(self, article: Article) -> list[Term]:
        """The topic terms of an article, in the article's order (an archived article's topic
        may have no term: it is in no listing)."""
        found = (self.topic_of.get(topic_key(t)) for t in article.topics)
        return list(dict.fromkeys(term for term in found if term is not None))

    def article_authors(self, article: Article) -> list[Term]:
        """The author terms of an article, in the article's order."""
        return [term for term in (self.author_of.get(name_key(a)) for a in article.authors) if term is not None]

    def level_group(self, key: str) -> LevelGroup:
        return next(g for g in self.levels if g.level.key == key)


@lru_cache(maxsize=65536)
def name_key(name: str) -> str:
    """Grouping key: NFC, case-folded, whitespace collapsed ("THI ĐUA " ~ "Thi đua")."""
    return collapse(clean(name)).casefold()


def topic_key(name: str, aliases: dict[str, str] | None = None) -> str:
    """Grouping key of a topic, after applying site.yaml's aliases."""
    key = name_key(name)
    if aliases and key in aliases:
        return name_key(aliases[key])
    return key


def _group_names(articles: Iterable[Article], names_of: Callable[[Article], Iterable[str]],
                 key_of: Callable[[str], str], kind: str, root: str, report: Report,
                 preferred: dict[str, str] | None = None) -> tuple[tuple[Term, ...], dict[str, Term]]:
    """Group articles by a name, giving each group one spelling, one slug and one page."""
    members: dict[str, list[Article]] = defaultdict(list)
    spellings: dict[str, Counter] = defaultdict(Counter)
    keys: dict[str, str] = {}       # spelling -> key: a few hundred spellings, 30,000 uses at 10,000 articles
    for article in articles:
        for name in names_of(article):
            key = keys.get(name)
            if key is None:
                key = keys[name] = key_of(name)
            group = members[key]
            if not group or group[-1] is not article:
                group.append(article)
            spellings[key][name] += 1
    display = {}
    for key, counter in spellings.items():
        # The most used spelling wins; ties go to the first in Vietnamese order.
        best = min(counter.items(), key=lambda item: (-item[1], sort_key(item[0])))[0]
        display[key] = (preferred or {}).get(key, best)
    _warn_diacritic_twins(display, members, kind, report)
    slugs = _unique_slugs(display, members, kind, report)
    terms = {key: Term(kind, display[key], slugs[key], route(f"{root}{slugs[key]}/"), tuple(members[key]))
             for key in members}
    ordered = tuple(sorted(terms.values(), key=lambda t: sort_key(t.name)))
    return ordered, terms


def _sources(group: list[Article]) -> list[str]:
    """The files of a group's articles, sorted: what a warning about the group names."""
    return sorted({a.source for a in group})


def _warn_diacritic_twins(display: dict[str, str], members: dict[str, list[Article]], kind: str,
                          report: Report) -> None:
    by_fold: dict[str, list[str]] = defaultdict(list)
    for key in sorted(display, key=lambda k: sort_key(display[k])):
        by_fold[fold(key)].append(key)
    for keys in by_fold.values():
        if len(keys) < 2:
            continue
        names = " and ".join(f'"{display[k]}" ({", ".join(_sources(members[k]))})' for k in keys)
        report.warn(_sources(members[keys[-1]])[0], kind + "s" if kind != "author" else "author",
                    f"{kind}s {names} differ only by diacritics; use one spelling, or map one to the "
                    "other under topic_aliases in site.yaml")


def _unique_slugs(display: dict[str, str], members: dict[str, list[Article]], kind: str,
                  report: Report) -> dict[str, str]:
    """One slug per group; two groups with the same slug get -2, -3… (never overwrite)."""
    slugs: dict[str, str] = {}
    taken: dict[str, str] = {}
    for key in sorted(display, key=lambda k: sort_key(display[k])):
        slug = base = slugify(display[key])
        n = 1
        while slug in taken:
            n += 1
            slug = f"{base}-{n}"
        if n > 1:
            report.warn(_sources(members[key])[0], kind, f'"{display[key]}" has the same address as '
                        f'"{display[taken[base]]}"; it is published at "{slug}"')
        taken[slug] = key
        slugs[key] = slug
    return slugs


def build_taxonomy(config: SiteConfig, articles: list[Article], report: Report) -> Taxonomy:
    """Group the (newest-first) articles by topic, level, unit, author and period."""
    aliases = {name_key(k): v for k, v in config.topic_aliases.items()}
    preferred = {name_key(v): collapse(clean(v)) for v in config.topic_aliases.values()}
    topics, topic_of = _group_names(articles, lambda a: a.topics, lambda n: topic_key(n, aliases), "topic",
                                    TOPICS_ROOT, report, preferred)
    units, unit_of = _group_names(articles, lambda a: [a.unit] if a.unit else [], name_key, "unit", UNITS_ROOT, report)
    authors, author_of = _group_names(articles, lambda a: a.authors, name_key, "author", AUTHORS_ROOT, report)
    topic_of = {**topic_of, **{alias: topic_of[topic_key(alias, aliases)] for alias in aliases
                               if topic_key(alias, aliases) in topic_of}}
    levels = []
    for level in config.levels:
        members = tuple(a for a in articles if a.level == level.key)
        level_units = {unit_of[name_key(a.unit)].slug for a in members if a.unit}
        levels.append(LevelGroup(level, route(f"{LEVELS_ROOT}{level.key}/"), members,
                                 tuple(u for u in units if u.slug in level_units)))
    return Taxonomy(topics, units, authors, tuple(levels), _archive(config, articles), topic_of, unit_of, author_of)


def _archive(config: SiteConfig, articles: list[Article]) -> tuple[Year, ...]:
    by_month: dict[tuple[int, int], list[Article]] = defaultdict(list)
    for article in articles:
        local = article.date.value.astimezone(config.tz) if article.date.has_time else article.date.value
        by_month[(local.year, local.month)].append(article)
    years = []
    for year in sorted({y for y, _ in by_month}, reverse=True):
        months = tuple(Month(year, m, route(f"{year:04d}/{m:02d}/"), tuple(by_month[(year, m)]))
                       for m in sorted((m for y, m in by_month if y == year), reverse=True))
        members = tuple(a for month in months for a in month.articles)
        years.append(Year(year, route(f"{year:04d}/"), members, months))
    return tuple(years)


def check_menu_topics(config: SiteConfig, taxonomy: Taxonomy) -> list[Diagnostic]:
    """A menu entry naming a topic that no article uses is a warning (it is left out)."""
    return [Diagnostic("site.yaml", f"menu[{i}].topic", f'no article has the topic "{item.topic}"; the entry is left out',
                       severity="warning")
            for i, item in enumerate(config.menu) if item.topic and topic_key(item.topic) not in taxonomy.topic_of]
