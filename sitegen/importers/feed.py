"""RSS and Atom reader: feedparser, after the document is checked for entities it must not expand."""
from __future__ import annotations

import calendar
import html
import re
from datetime import datetime, timezone, tzinfo
from urllib.parse import urlsplit

import defusedxml
import defusedxml.ElementTree as SafeET
import feedparser

from ..markdown import sanitise
from ..text import clean, collapse
from .record import Imported, ReadResult, SourceError
from .sources import Source

_START = re.compile(rb"<\?xml|<rss[\s>]|<feed[\s>]|<rdf:RDF[\s>]", re.IGNORECASE)


def check_xml(data: bytes) -> None:
    """Refuse an XML document that declares entities or reaches outside itself (XXE, "billion
    laughs"): defusedxml finds them; a document that is merely malformed passes (feedparser's
    lenient parser recovers what it can, and expands no declared entity)."""
    if re.search(rb"<!ENTITY", data[:1_000_000], re.IGNORECASE):
        raise SourceError("declares XML entities: refused (they can read files of this machine or expand "
                          "without end; a feed needs none)")
    try:
        SafeET.fromstring(data, forbid_dtd=False, forbid_entities=True, forbid_external=True)
    except (defusedxml.EntitiesForbidden, defusedxml.ExternalReferenceForbidden, defusedxml.DTDForbidden) as err:
        raise SourceError(f"declares XML entities or external references ({type(err).__name__}): refused") from None
    except SafeET.ParseError:
        pass


def plain_summary(fragment: str) -> str:
    """The text of an HTML summary, through the sanitiser first (a script's code is no text)."""
    return collapse(html.unescape(re.sub(r"<[^>]+>", " ", sanitise(fragment))))


def _moment(parsed, tz: tzinfo) -> datetime | None:
    if not parsed:
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(parsed), timezone.utc).astimezone(tz)
    except (OverflowError, ValueError, TypeError):
        return None


def _html_of(entry) -> str:
    """The entry's HTML: content:encoded (or Atom content) over the description."""
    for part in entry.get("content") or []:
        value = part.get("value") or ""
        if value.strip():
            return value if "html" in (part.get("type") or "html") else f"<p>{html.escape(value)}</p>"
    summary = entry.get("summary") or ""
    detail = entry.get("summary_detail") or {}
    if summary and "html" not in (detail.get("type") or "html"):
        return "".join(f"<p>{html.escape(p)}</p>" for p in summary.split("\n\n") if p.strip())
    return summary


def read_feed(source: Source, tz: tzinfo) -> ReadResult:
    """Every entry of an RSS or Atom feed; a malformed feed gives what can be recovered."""
    data = source.data.lstrip()
    start = _START.search(data[:65536])
    if start and start.start() > 0:
        data = data[start.start():]      # a browser's banner or a comment before the document
    check_xml(data)
    headers = {"content-location": source.url} if source.url else {}
    if source.content_type:
        headers["content-type"] = source.content_type
    parsed = feedparser.parse(data, response_headers=headers, sanitize_html=False, resolve_relative_uris=True)
    result = ReadResult()
    entries = parsed.get("entries") or []
    if parsed.get("bozo"):
        problem = parsed.get("bozo_exception")
        line = getattr(problem, "getLineNumber", lambda: None)()
        where = f" at line {line}" if line else ""
        message = f"is not a well-formed feed{where} ({type(problem).__name__}: {problem})"
        if entries:
            result.warnings.append(f"{message}; {len(entries)} entries were recovered, anything after the damage "
                                   "may be missing: compare with the old site")
        elif not parsed.get("feed"):
            raise SourceError(message + "; nothing could be recovered")
        else:
            result.warnings.append(message + "; it holds no entry that could be read")
    elif not entries and not parsed.get("feed"):
        raise SourceError("is not an RSS or Atom feed")
    feed_link = parsed.get("feed", {}).get("link", "") or source.url
    for number, entry in enumerate(entries, 1):
        result.articles.append(_entry(entry, number, source, tz, feed_link))
    return result


def _entry(entry, number: int, source: Source, tz: tzinfo, feed_link: str) -> Imported:
    """One feed entry as an Imported record."""
    title = collapse(clean(html.unescape(entry.get("title") or "")))
    link = (entry.get("link") or "").strip()
    where = f"{source.name}: entry {number}" + (f" «{title[:60]}»" if title else "")
    authors = [collapse(clean(a.get("name") or "")) for a in entry.get("authors") or []]
    if not any(authors) and entry.get("author"):
        authors = [collapse(clean(entry["author"]))]
    topics = [collapse(clean(t.get("label") or t.get("term") or "")) for t in entry.get("tags") or []]
    parts = urlsplit(link) if link else None
    aliases = (parts.path,) if parts is not None and parts.path not in ("", "/") and not parts.query else ()
    notes = ()
    if parts is not None and parts.query:
        notes = (f"its old address {link} has a query string: it is not kept as an alias",)
    summary = ""
    content = (entry.get("content") or [{}])[0].get("value") or ""
    if content and entry.get("summary") and entry["summary"] != content:
        summary = plain_summary(entry["summary"])
    return Imported(
        where=where, title=title, html=_html_of(entry), origin=link or f"{source.file_name}#{entry.get('id') or number}",
        date=_moment(entry.get("published_parsed") or entry.get("updated_parsed"), tz),
        authors=tuple(dict.fromkeys(a for a in authors if a)), topics=tuple(dict.fromkeys(t for t in topics if t)),
        summary=summary, aliases=aliases, old_urls=(link,) if link else (), base_url=link or feed_link, notes=notes)
