"""Related articles: shared topics, then same unit, then closeness in time — without comparing all pairs.

Every article is filed under each subset S of its topics, alone and together
with its unit. For an article A, the candidates are the few articles nearest
in time to A in each of those lists. This is exact: if B is in A's top k and
shares the topics S with A, then in the list for S (or for S and A's unit,
when B has A's unit) fewer than k articles can be closer to A than B, since
each of them would share at least S (and the unit) and so outrank B. So B is
among the k nearest on one side or the other of A in that list (with every article of the
same time as the k-th nearest: such ties rank by index, which the list's order does not follow
on the left of A).

The lists are searched by how many topics they share with A, most first, and the search stops
once k candidates are found: all of them share at least as many topics as the lists searched,
so an article sharing fewer ranks below them, and one sharing as many or more is in a list
already searched.

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
    Longer than 60 lines: the candidate walk and its early stop share local tables; split, the
    inner loop would pay a call per article pair.
    """
    times = [a.date.stamp for a in articles]
    lists: dict[tuple, list[int]] = defaultdict(list)
    # each article's lists by the number of topics they share with it, most first (0: its unit's);
    # articles with the same topics and unit share them (a site has far fewer such pairs than articles)
    filed: list[list[tuple[int, list[tuple]]]] = []
    plans: dict[tuple, tuple[list, list[tuple]]] = {}
    for i in range(len(articles)):
        pair = (topic_keys[i], unit_keys[i])
        plan = plans.get(pair)
        if plan is None:
            by_size: dict[int, list[tuple]] = defaultdict(list)
            for subset in _subsets(topic_keys[i]):
                by_size[len(subset)].append(("t", subset))
                if unit_keys[i]:
                    by_size[len(subset)].append(("tu", subset, unit_keys[i]))
            if unit_keys[i]:
                by_size[0].append(("u", unit_keys[i]))
            plan = plans[pair] = (sorted(by_size.items(), reverse=True), [k for keys in by_size.values() for k in keys])
        for key in plan[1]:
            lists[key].append(i)
        filed.append(plan[0])
    ordered: dict[tuple, tuple[list[float], list[int]]] = {}
    position = [(t, j) for j, t in enumerate(times)]     # sort keys made once, read in C
    for key, members in lists.items():
        members.sort(key=position.__getitem__)
        ordered[key] = ([times[j] for j in members], members)
    # topics as bits of an int: "how many topics shared" is one AND and a bit count
    bit: dict[str, int] = {}
    masks = [sum(1 << bit.setdefault(t, len(bit)) for t in set(keys)) for keys in topic_keys]

    def rank(start: int, end: int) -> list[list[int]]:
        result = []
        for i in range(start, end):
            candidates: set[int] = set()
            for _, keys in filed[i]:
                for key in keys:
                    stamps, members = ordered[key]
                    pos = bisect_left(stamps, times[i])
                    low, high = max(0, pos - k), min(len(members), pos + k + 1)
                    # Articles of the same time rank by index, but the list orders them by index
                    # in both directions: a window cut inside such a run could keep the wrong
                    # ones, so it takes the whole run (dates without a time of day often tie).
                    while low > 0 and stamps[low - 1] == stamps[low]:
                        low -= 1
                    while high < len(members) and stamps[high] == stamps[high - 1]:
                        high += 1
                    candidates.update(members[low:high])
                candidates.discard(i)
                # Every candidate so far shares at least this many topics. With k of them, an
                # article sharing fewer ranks below all k, and one sharing as many or more is in
                # a list already searched (see the module's docstring): the lists sharing fewer
                # topics cannot change the top k.
                if len(candidates) >= k:
                    break
            mine, unit, when = masks[i], unit_keys[i], times[i]
            ranked = sorted(candidates, key=lambda j: (-(mine & masks[j]).bit_count(),
                                                       not (unit and unit_keys[j] == unit),
                                                       abs(times[j] - when), -times[j], j))
            result.append(ranked[:k])
        return result

    return map_chunks(rank, len(articles))     # each article's ranking is independent: both cores
