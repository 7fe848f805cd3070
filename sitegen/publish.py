"""Publishing rules: drafts, articles scheduled for later, and expired articles."""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from .dates import Moment
from .models import Article


@dataclass(frozen=True)
class Schedule:
    """Which articles a build publishes, and what it holds back."""

    listed: list[Article]         # in listings, feeds, search and the sitemap (newest first)
    archived: list[Article]       # expired: their page stays, marked as archived, out of every list
    drafts: int                   # held back: draft: true (without --drafts)
    future: int                   # held back: dated later than the build (without --future)
    next_time: Moment | None      # the earliest held-back date: when the next rebuild has work


def schedule(articles: list[Article], now: datetime, drafts: bool = False, future: bool = False) -> Schedule:
    """Sort the articles into published, archived and held back, as of `now`."""
    listed, archived = [], []
    held_drafts = held_future = 0
    upcoming: list[Moment] = []
    for article in articles:
        if article.draft and not drafts:
            held_drafts += 1
        elif article.date.value > now and not future:
            held_future += 1
            upcoming.append(article.date)
        elif article.expires is not None and article.expires.value <= now:
            archived.append(replace(article, archived=True))
        else:
            listed.append(article)
    next_time = min(upcoming, key=lambda m: m.value, default=None)
    return Schedule(listed, archived, held_drafts, held_future, next_time)
