"""Related articles: shared topics, then same unit, then closeness in time — without comparing all pairs.

Every article is filed under each subset S of its topics, alone and together
with its unit. For an article A, the candidates are the few articles nearest
in time to A in each of those lists. This is exact: if B is in A's top k and
shares the topics S with A, then in the list for S (or for S and A's unit,
when B has A's unit) fewer than k articles can be closer to A than B, since
each of them would share at least S (and the unit) and so outrank B. So B is
among the k nearest on one side or the other of A in that list.

Cost: each article is filed under 2 * (2^t - 1) lists (t topics, at most
MAX_SUBSET_TOPICS; beyond that only single topics are used and the result is
an approximation), and looks at 2k neighbours in each: linear in the number
of articles.
"""
from __future__ import annotations

from bisect import bisect_left
from collections import defaultdict
from itertools import combinations

from .models import Article
from .parallel import map_chunks

MAX_SUBSET_TOPICS = 4


def _subsets(topics: tuple[str, ...]) -> list[tuple[str, ...]]:
    items = tuple(sorted(set(topics)))
    if len(items) > MAX_SUBSET_TOPICS:
        return [(t,) for t in items]
    return [combo for size in range(1, len(items) + 1) for combo in combinations(items, size)]


def find_related(articles: list[Article], topic_keys: list[tuple[str, ...]], unit_keys: list[str],
                 k: int = 5) -> list[list[int]]:
    """For each article (by index), the indices of its up to `k` related articles, best first.

    `topic_keys[i]` are article i's topics as grouping keys; `unit_keys[i]` its unit key ("" if none).
    An article is related when it shares a topic, or has no shared topic but the same unit.
    """
    times = [a.date.stamp for a in articles]
    lists: dict[tuple, list[int]] = defaultdict(list)
    filed: list[list[tuple]] = []
    for i in range(len(articles)):
        keys: list[tuple] = []
        for subset in _subsets(topic_keys[i]):
            keys.append(("t", subset))
            if unit_keys[i]:
                keys.append(("tu", subset, unit_keys[i]))
        if unit_keys[i]:
            keys.append(("u", unit_keys[i]))
        for key in keys:
            lists[key].append(i)
        filed.append(keys)
    ordered: dict[tuple, tuple[list[float], list[int]]] = {}
    for key, members in lists.items():
        members.sort(key=lambda j: (times[j], j))
        ordered[key] = ([times[j] for j in members], members)
    # topics as bits of an int: "how many topics shared" is one AND and a bit count
    bit: dict[str, int] = {}
    masks = [sum(1 << bit.setdefault(t, len(bit)) for t in set(keys)) for keys in topic_keys]

    def rank(start: int, end: int) -> list[list[int]]:
        result = []
        for i in range(start, end):
            candidates: set[int] = set()
            for key in filed[i]:
                stamps, members = ordered[key]
                pos = bisect_left(stamps, times[i])
                candidates.update(members[max(0, pos - k): pos + k + 1])
            candidates.discard(i)
            mine, unit, when = masks[i], unit_keys[i], times[i]
            ranked = sorted(candidates, key=lambda j: (-(mine & masks[j]).bit_count(),
                                                       not (unit and unit_keys[j] == unit),
                                                       abs(times[j] - when), -times[j], j))
            result.append(ranked[:k])
        return result

    return map_chunks(rank, len(articles))     # each article's ranking is independent: both cores
