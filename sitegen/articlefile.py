"""The canonical article file: how `new`, `fmt`, the importer and the web editor write front matter.

One style everywhere, so that a file written by one tool and edited by another only shows the
edit in its diff: the fields in a fixed order, text values in double quotes (JSON strings are
valid YAML and escape everything YAML could misread), lists on one line, dates in the portal's
time zone without an offset, `draft: true` last, keys the portal does not know after the others
(as JSON), no comments. The web editor writes the same with assets/admin/portal-admin.js
(tests/test_admin.py compares the two on the same articles).
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime, tzinfo

from .dates import Moment

ORDER = ("title", "date", "level", "author", "unit", "topics", "summary", "image", "image_alt", "image_caption",
         "slug", "updated", "expires", "source", "aliases", "draft")


@dataclass(frozen=True)
class ArticleFields:
    """The front matter of an article file to write (empty values are left out)."""

    title: str
    date: datetime                  # aware
    level: str
    has_time: bool = True
    authors: tuple[str, ...] = ()
    unit: str = ""
    topics: tuple[str, ...] = ()
    summary: str = ""
    image: str = ""
    image_alt: str = ""
    image_caption: str = ""
    slug: str = ""
    source: str = ""
    aliases: tuple[str, ...] = ()
    draft: bool = False
    updated: Moment | None = None
    expires: Moment | None = None
    extra: dict = field(default_factory=dict)     # keys the portal does not know, kept as they were


_BARE = re.compile(r"[a-z][a-z0-9-]*\Z")
_YAML_WORDS = {"y", "n", "yes", "no", "on", "off", "true", "false", "null"}


def bare_or_quoted(text: str) -> str:
    """A level key or a slug as it is when YAML reads it back as that text, else quoted."""
    return text if _BARE.match(text) and text not in _YAML_WORDS else quoted(text)


def quoted(text: str) -> str:
    """A YAML double-quoted string."""
    return json.dumps(text, ensure_ascii=False)


def format_date(value: datetime, tz: tzinfo, has_time: bool = True) -> str:
    """"2019-12-25 19:10" in the portal's zone (seconds only when there are some), or a day."""
    local = value.astimezone(tz)
    if not has_time:
        return local.strftime("%Y-%m-%d")
    return local.strftime("%Y-%m-%d %H:%M:%S" if local.second else "%Y-%m-%d %H:%M")


def front_matter(fields: ArticleFields, tz: tzinfo) -> str:
    """The front matter block, "---" lines included."""
    values: dict[str, str] = {
        "title": quoted(fields.title),
        "date": format_date(fields.date, tz, fields.has_time),
        "level": bare_or_quoted(fields.level),
    }
    if fields.authors:
        values["author"] = quoted(fields.authors[0]) if len(fields.authors) == 1 else \
            "[" + ", ".join(quoted(a) for a in fields.authors) + "]"
    if fields.unit:
        values["unit"] = quoted(fields.unit)
    values["topics"] = "[" + ", ".join(quoted(t) for t in fields.topics) + "]"
    for name in ("summary", "image", "image_alt", "image_caption", "source"):
        if getattr(fields, name):
            values[name] = quoted(getattr(fields, name))
    if fields.slug:
        values["slug"] = bare_or_quoted(fields.slug)
    for name in ("updated", "expires"):
        moment = getattr(fields, name)
        if moment is not None:
            values[name] = format_date(moment.value, tz, moment.has_time)
    if fields.aliases:
        values["aliases"] = "[" + ", ".join(quoted(a) for a in fields.aliases) + "]"
    if fields.draft:
        values["draft"] = "true"
    lines = ["---"]
    for name in ORDER:
        if name in values:
            lines.append(f"{name}: {values[name]}")
    for name, value in fields.extra.items():
        lines.append(f"{name}: {json.dumps(value, ensure_ascii=False, separators=(',', ':'), default=str)}")
    lines.append("---")
    return "\n".join(lines) + "\n"


def article_text(fields: ArticleFields, body: str, tz: tzinfo) -> str:
    """A whole article file: front matter, a blank line, the body ending with one newline."""
    return front_matter(fields, tz) + "\n" + body.strip("\n") + "\n"
