"""One paginator for every listing: page 1 at the listing's URL, page n at {listing}/trang/{n}/."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from .urls import Route, route

PAGE_SEGMENT = "trang"


@dataclass(frozen=True, eq=False)
class Pager:
    """One page of a listing and the links to its neighbours."""

    number: int                  # 1-based
    total: int                   # number of pages (at least 1)
    items: tuple
    routes: tuple[Route, ...]    # route of every page, index 0 = page 1
    first_index: int             # 0-based index of items[0] in the whole listing
    count: int                   # items in the whole listing

    @property
    def route(self) -> Route:
        return self.routes[self.number - 1]

    @property
    def previous(self) -> Route | None:
        return self.routes[self.number - 2] if self.number > 1 else None

    @property
    def next(self) -> Route | None:
        return self.routes[self.number] if self.number < self.total else None

    def links(self, around: int = 2) -> list[tuple[int, Route | None]]:
        """Numbered links: first, last and `around` either side of the current page.

        A gap becomes (0, None), shown as an ellipsis: 1 … 4 5 [6] 7 8 … 20.
        """
        shown = {1, self.total} | set(range(self.number - around, self.number + around + 1))
        numbers = sorted(n for n in shown if 1 <= n <= self.total)
        result: list[tuple[int, Route | None]] = []
        for n in numbers:
            if result and n - result[-1][0] == 2:
                result.append((n - 1, self.routes[n - 2]))   # a gap of one page: show it, not "…"
            elif result and n - result[-1][0] > 2:
                result.append((0, None))
            result.append((n, self.routes[n - 1]))
        return result


def page_route(base: Route, number: int) -> Route:
    """The route of page `number` of the listing at `base`."""
    return base if number == 1 else route(f"{base.path}{PAGE_SEGMENT}/{number}/")


def paginate(items: Sequence, size: int, base: Route) -> list[Pager]:
    """Split `items` into pages of `size`. An empty listing still has one (empty) page."""
    total = max(1, -(-len(items) // size))
    routes = tuple(page_route(base, n) for n in range(1, total + 1))
    return [Pager(n, total, tuple(items[(n - 1) * size: n * size]), routes, (n - 1) * size, len(items))
            for n in range(1, total + 1)]
