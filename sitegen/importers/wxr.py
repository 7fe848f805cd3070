"""WordPress export (WXR 1.0-1.2) reader: posts (and pages) with their dates, terms and images.

The XML is parsed by defusedxml: no DTD, no entity expansion, nothing fetched. An export that is
not well-formed XML (WordPress writes CDATA sections inside CDATA sections when a post contains
"]]>") is read item by item with patterns, as WordPress's own importer does (WXR_Parser_Regex).
"""
from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone, tzinfo
from urllib.parse import urljoin, urlsplit

import defusedxml
import defusedxml.ElementTree as SafeET

from ..text import clean, collapse
from .record import DRAFT, FUTURE, PUBLISH, Imported, ReadResult, Skipped, SourceError
from .feed import plain_summary
from .sources import Source
from .vietnamese import decode, declared_charset
from .wptext import Shortcodes, autop, run_shortcodes, strip_comments

NS_CONTENT = "http://purl.org/rss/1.0/modules/content/"
NS_DC = "http://purl.org/dc/elements/1.1/"
_TAG_TEXT = re.compile(r"<(?P<tag>[\w:]+)[^>]*>(?P<text>.*?)</(?P=tag)>", re.DOTALL)
_ZERO_DATE = "0000-00-00 00:00:00"
# Terms that say nothing about an article: WordPress's default category in its languages.
_DEFAULT_TERMS = {"uncategorized", "chưa phân loại", "chưa được phân loại", "không phân loại", "khong-phan-loai"}
_TOPIC_DOMAINS = ("category", "post_tag")


@dataclass
class Item:
    """One <item> of an export, whichever parser read it."""

    fields: dict[str, str] = field(default_factory=dict)
    terms: list[tuple[str, str, str]] = field(default_factory=list)     # (domain, nicename, name)
    meta: dict[str, str] = field(default_factory=dict)

    def get(self, name: str) -> str:
        return self.fields.get(name, "")


@dataclass
class Export:
    """The channel: the old site's address, its authors, and the items."""

    site: str = ""
    authors: dict[str, str] = field(default_factory=dict)     # login -> display name
    items: list[Item] = field(default_factory=list)


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _prefixed(tag: str) -> str:
    """"{http://wordpress.org/export/1.2/}post_id" -> "wp:post_id" (any WXR version)."""
    if tag.startswith("{"):
        uri, name = tag[1:].split("}", 1)
        if "wordpress.org/export" in uri:
            return ("excerpt:" if uri.rstrip("/").endswith("excerpt") else "wp:") + name
        if uri == NS_CONTENT:
            return "content:" + name
        if uri == NS_DC:
            return "dc:" + name
        return name
    return tag


def parse_tree(data: bytes) -> Export:
    """Parse a well-formed export (raises SafeET.ParseError when it is not)."""
    root = SafeET.fromstring(data, forbid_dtd=True)
    export = Export()
    channel = next((el for el in root if _local(el.tag) == "channel"), None)
    if channel is None:
        raise SourceError("has no <channel>: not a WordPress export")
    for el in channel:
        name = _prefixed(el.tag)
        if name in ("wp:base_blog_url", "wp:base_site_url") and not export.site:
            export.site = (el.text or "").strip()
        elif name == "link" and not export.site:
            export.site = (el.text or "").strip()
        elif name == "wp:author":
            parts = {_prefixed(c.tag): (c.text or "").strip() for c in el}
            if parts.get("wp:author_login"):
                export.authors[parts["wp:author_login"]] = parts.get("wp:author_display_name") or parts["wp:author_login"]
        elif name == "item":
            item = Item()
            for child in el:
                key = _prefixed(child.tag)
                if key == "category":
                    item.terms.append((child.get("domain", "category"), child.get("nicename", ""), child.text or ""))
                elif key == "wp:postmeta":
                    parts = {_prefixed(c.tag): c.text or "" for c in child}
                    item.meta[parts.get("wp:meta_key", "")] = parts.get("wp:meta_value", "")
                elif key not in ("wp:comment",):
                    item.fields[key] = child.text or ""
            export.items.append(item)
    return export


def _cdata(text: str) -> str:
    """A tag's text as WordPress's regex parser reads it: one CDATA section taken whole (a
    nested one included), or entities decoded."""
    stripped = text.strip()
    if stripped.startswith("<![CDATA["):
        inner = stripped[9:]
        inner = inner[:-3] if inner.endswith("]]>") else inner
        return inner.replace("]]]]><![CDATA[>", "]]>")
    return html.unescape(text)


def parse_patterns(text: str) -> Export:
    """Read an export that is not well-formed XML item by item (WordPress's fallback parser)."""
    export = Export()
    head = text.split("<item>", 1)[0]
    for tag in ("wp:base_blog_url", "wp:base_site_url", "link"):
        match = re.search(rf"<{tag}>(.*?)</{tag}>", head, re.DOTALL)
        if match and not export.site:
            export.site = _cdata(match.group(1)).strip()
    for block in re.findall(r"<wp:author>(.*?)</wp:author>", head, re.DOTALL):
        login = re.search(r"<wp:author_login>(.*?)</wp:author_login>", block, re.DOTALL)
        shown = re.search(r"<wp:author_display_name>(.*?)</wp:author_display_name>", block, re.DOTALL)
        if login:
            export.authors[_cdata(login.group(1)).strip()] = _cdata((shown or login).group(1)).strip()
    for block in re.findall(r"<item>(.*?)</item>", text, re.DOTALL):
        item = Item()
        for meta in re.findall(r"<wp:postmeta>(.*?)</wp:postmeta>", block, re.DOTALL):
            key = re.search(r"<wp:meta_key>(.*?)</wp:meta_key>", meta, re.DOTALL)
            value = re.search(r"<wp:meta_value>(.*?)</wp:meta_value>", meta, re.DOTALL)
            if key:
                item.meta[_cdata(key.group(1))] = _cdata(value.group(1)) if value else ""
        body = re.sub(r"<wp:postmeta>.*?</wp:postmeta>|<wp:comment>.*?</wp:comment>", "", block, flags=re.DOTALL)
        for match in re.finditer(r'<category([^>]*)>(.*?)</category>', body, re.DOTALL):
            attrs = dict(re.findall(r'(\w+)="([^"]*)"', match.group(1)))
            item.terms.append((attrs.get("domain", "category"), attrs.get("nicename", ""), _cdata(match.group(2))))
        for match in _TAG_TEXT.finditer(body):
            if match.group("tag") != "category":
                item.fields.setdefault(match.group("tag"), _cdata(match.group("text")))
        export.items.append(item)
    return export


def load_export(source: Source) -> tuple[Export, list[str]]:
    """Parse an export, falling back to the patterns when it is not well-formed XML."""
    warnings = []
    try:
        return parse_tree(source.data), warnings
    except (defusedxml.DTDForbidden, defusedxml.EntitiesForbidden, defusedxml.ExternalReferenceForbidden) as err:
        raise SourceError(f"declares a DTD or entities ({type(err).__name__}): refused, a WordPress export has "
                          "none and they can read files of this machine or expand without end") from None
    except SafeET.ParseError as err:
        warnings.append(f"is not well-formed XML ({err}); read item by item as WordPress's own importer does")
    text, found = decode(source.data, declared_charset(source.data))
    warnings += found
    if re.search(r"<!DOCTYPE|<!ENTITY", text[:65536], re.IGNORECASE):
        raise SourceError("declares a DTD or entities: refused")
    export = parse_patterns(text)
    if not export.items:
        raise SourceError("has no <item> that could be read: not a WordPress export, or too damaged")
    return export, warnings


def _when(item: Item, tz: tzinfo, offsets: set) -> tuple[datetime | None, bool]:
    """The post's date: post_date_gmt when WordPress recorded one (a draft has none), else
    post_date read in the portal's zone. The offsets between the two are collected: one that is
    not the portal's means the old site kept another time zone."""
    local, gmt = item.get("wp:post_date").strip(), item.get("wp:post_date_gmt").strip()
    parsed_local = _parse(local)
    parsed_gmt = _parse(gmt) if gmt and gmt != _ZERO_DATE else None
    if parsed_gmt is not None:
        value = parsed_gmt.replace(tzinfo=timezone.utc).astimezone(tz)
        if parsed_local is not None and parsed_local - parsed_gmt != parsed_local.replace(tzinfo=tz).utcoffset():
            offsets.add(parsed_local - parsed_gmt)
        return value, True
    if parsed_local is not None:
        return parsed_local.replace(tzinfo=tz), True
    pub = item.get("pubDate").strip()
    if pub:
        try:
            from email.utils import parsedate_to_datetime
            return parsedate_to_datetime(pub).astimezone(tz), True
        except (TypeError, ValueError):
            pass
    return None, True


def _parse(text: str) -> datetime | None:
    if not text or text == _ZERO_DATE:
        return None
    try:
        return datetime.strptime(text[:19], "%Y-%m-%d %H:%M:%S")
    except ValueError:
        return None


def _topics(item: Item) -> tuple[str, ...]:
    names = []
    for domain, nicename, name in item.terms:
        name = collapse(clean(html.unescape(name)))
        if domain in _TOPIC_DOMAINS and name and name.casefold() not in _DEFAULT_TERMS \
                and nicename not in _DEFAULT_TERMS:
            names.append(name)
    return tuple(dict.fromkeys(names))


@dataclass
class _Context:
    """What every post of an export is read with: the old site, its attachments, the portal's zone."""

    source: Source
    export: Export
    tz: tzinfo
    site: str
    attachments: dict[str, Item]                 # attachment id -> its item
    by_id: dict[str, str]                        # attachment id -> its address
    children: dict[str, list[str]]               # post id -> the addresses of its attachments
    offsets: set = field(default_factory=set)    # post_date - post_date_gmt, when not the portal's
    origins: set[str] = field(default_factory=set)


def read_wxr(source: Source, tz: tzinfo, pages: bool = False) -> ReadResult:
    """Every post (and page, with `pages`) of an export as an Imported record."""
    export, warnings = load_export(source)
    result = ReadResult(warnings=warnings)
    attachments = {item.get("wp:post_id").strip(): item for item in export.items
                   if item.get("wp:post_type") == "attachment"}
    by_id = {k: (v.get("wp:attachment_url").strip() or v.get("guid").strip()) for k, v in attachments.items()}
    children: dict[str, list[str]] = {}
    for post_id, item in attachments.items():
        children.setdefault(item.get("wp:post_parent").strip(), []).append(by_id[post_id])
    context = _Context(source, export, tz, export.site.rstrip("/"), attachments, by_id, children)
    wanted = ("post", "page") if pages else ("post",)
    for item in export.items:
        kind = item.get("wp:post_type").strip() or "post"
        if kind == "attachment":
            continue
        title = collapse(clean(html.unescape(item.get("title"))))
        where = f"{source.name}: {kind} {item.get('wp:post_id').strip()}" + (f" «{title[:60]}»" if title else "")
        status = item.get("wp:status").strip() or "publish"
        reason = _skipped_because(item, kind, status, wanted)
        if reason:
            result.skipped.append(Skipped(where, reason))
            continue
        result.articles.append(_post(item, title, where, _STATUSES[status], context))
    strange = sorted(context.offsets, key=lambda o: o.total_seconds())
    if strange:
        result.warnings.append("the posts' local dates (post_date) are in UTC" + ", UTC".join(_hours(o) for o in strange)
                               + ", not in the portal's time zone: their exact times (post_date_gmt) were used")
    return result


_STATUSES = {"publish": PUBLISH, "draft": DRAFT, "pending": DRAFT, "future": FUTURE}


def _skipped_because(item: Item, kind: str, status: str, wanted: tuple[str, ...]) -> str:
    """Why an item is not imported ("" when it is)."""
    if kind not in wanted:
        return "a page (add --pages to import pages)" if kind == "page" else f"a {kind} item, not an article"
    if item.get("wp:post_password").strip():
        return "password-protected: readers of the old site needed a password"
    if status == "private":
        return "private: only its author could read it on the old site"
    if status not in _STATUSES:
        return f"status {status}" if status in ("trash", "auto-draft", "inherit") else f"unknown status {status!r}"
    return ""


def _post(item: Item, title: str, where: str, status: str, context: _Context) -> Imported:
    """One post as an Imported record: body through autop and the shortcodes, date, author,
    terms, old addresses, featured image."""
    post_id, site = item.get("wp:post_id").strip(), context.site
    date, has_time = _when(item, context.tz, context.offsets)
    shortcodes = Shortcodes()
    content = run_shortcodes(autop(strip_comments(item.get("content:encoded"))), context.children.get(post_id, []),
                             context.by_id, shortcodes)
    login = item.get("dc:creator").strip()
    author = collapse(clean(context.export.authors.get(login, login)))
    link, guid = item.get("link").strip(), item.get("guid").strip()
    old_urls = [u for u in (link, guid, f"{site}/?p={post_id}", f"{site}/?page_id={post_id}") if u]
    aliases, notes = [], list(shortcodes.warnings)
    path = urlsplit(link).path if link else ""
    if link and not urlsplit(link).query and path not in ("", "/"):
        aliases.append(path)
    elif status == PUBLISH and link:
        notes.append(f"its old address {link} has a query string: only nginx could redirect it, and it is not "
                     "kept as an alias")
    lead = lead_alt = lead_caption = ""
    thumb = item.meta.get("_thumbnail_id", "").strip()
    if thumb in context.attachments:
        attached = context.attachments[thumb]
        lead = context.by_id[thumb]
        lead_alt = collapse(attached.meta.get("_wp_attachment_image_alt", ""))
        lead_caption = plain_summary(attached.get("excerpt:encoded"))
    elif thumb:
        notes.append(f"its featured image (attachment {thumb}) is not in the export")
    return Imported(
        where=where, title=title, html=content,
        origin=_origin(guid, site, post_id, context.source.file_name, context.origins), date=date, has_time=has_time,
        authors=(author,) if author else (), topics=_topics(item), summary=plain_summary(item.get("excerpt:encoded")),
        status=status, aliases=tuple(aliases), old_urls=tuple(old_urls), base_url=site + "/" if site else "",
        lead_image=lead, lead_alt=lead_alt, lead_caption=lead_caption, notes=tuple(notes))


def _origin(guid: str, site: str, post_id: str, file_name: str, seen: set[str]) -> str:
    """`source:` of a post: its GUID, which WordPress keeps unique and unchanged (by default
    the old site's "?p=ID" address), else that address made from the site and the id; one
    repeated in the same export gets "#2", "#3"."""
    origin = guid if guid else (f"{site}/?p={post_id}" if site else f"{file_name}#{post_id}")
    unique, n = origin, 1
    while unique in seen:
        n += 1
        unique = f"{origin}#{n}"
    seen.add(unique)
    return unique


def _hours(offset) -> str:
    minutes = int(offset.total_seconds() // 60)
    return f"{'+' if minutes >= 0 else '-'}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def resolve(base: str, url: str) -> str:
    """An address of the old site made absolute."""
    return urljoin(base, url) if base else url
