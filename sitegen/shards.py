"""Search shards: the articles split by date into parts that Pagefind indexes one at a time.

One index of a whole archive grows with it: Pagefind held 14 GB to index 100,000 articles, and a
reader's first search waited for the postings of every article. Split by date, each part stays
small: it is indexed in bounded memory, on both cores at once, again only when one of its
articles changed, and the search page searches the newest first.

A shard is a calendar year. A year with more than `limit` articles is cut into runs of whole
months, a month with more into runs of whole days, a day with more into runs of `limit` articles
in date order. Cuts fall inside the year that grew, so a new article re-indexes at most the
shards of its own year (in practice its last one).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from itertools import groupby
from typing import Hashable, Sequence


@dataclass(frozen=True)
class Shard:
    """Articles of one stretch of dates, newest-first order among shards."""

    id: str                        # "2019", "2025-07" (from July), "2025-07-15", "2025-07-15.2"
    first: date
    last: date
    members: tuple[Hashable, ...]  # the articles' keys, oldest first


def plan_shards(dated: Sequence[tuple[date, Hashable]], limit: int) -> list[Shard]:
    """Shards of (local date, key) pairs, newest shard first. Give them oldest first: the keys of
    one day keep their order, and a day cut into several shards is cut in that order."""
    items = sorted(dated, key=lambda item: item[0])
    shards: list[Shard] = []
    for year, of_year in groupby(items, key=lambda item: item[0].year):
        group = list(of_year)
        if len(group) <= limit:
            shards.append(_shard(str(year), group))
            continue
        shards.extend(_cut(group, limit, lambda d: (d.year, d.month), lambda d: f"{d.year}-{d.month:02d}",
                           lambda part: _by_day(part, limit)))
    shards.reverse()            # made oldest first: the last one made is the newest
    return shards


def _by_day(group: list[tuple[date, Hashable]], limit: int) -> list[Shard]:
    return _cut(group, limit, lambda d: d, lambda d: d.isoformat(), lambda part: _by_count(part, limit))


def _by_count(group: list[tuple[date, Hashable]], limit: int) -> list[Shard]:
    day = group[0][0].isoformat()
    return [_shard(f"{day}.{n + 1}" if n else day, group[start:start + limit])
            for n, start in enumerate(range(0, len(group), limit))]


def _cut(group, limit, unit, name, too_big) -> list[Shard]:
    """Greedy runs of whole units (months or days) of at most `limit` articles; a unit larger
    than `limit` alone is cut finer by `too_big`."""
    shards: list[Shard] = []
    run: list = []
    for _, of_unit in groupby(group, key=lambda item: unit(item[0])):
        part = list(of_unit)
        if len(part) > limit:
            if run:
                shards.append(_shard(name(run[0][0]), run))
                run = []
            shards.extend(too_big(part))
        elif len(run) + len(part) > limit:
            shards.append(_shard(name(run[0][0]), run))
            run = part
        else:
            run = run + part
    if run:
        shards.append(_shard(name(run[0][0]), run))
    return shards


def _shard(name: str, group: list[tuple[date, Hashable]]) -> Shard:
    return Shard(name, group[0][0], group[-1][0], tuple(key for _, key in group))
