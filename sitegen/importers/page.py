"""Old portal pages (saved HTML or an address): the article without the site around it, trafilatura.

trafilatura finds the article's text and drops menus, sidebars, "Các tin khác" lists, footers and
scripts. The facts around the text are read from the page itself, most reliable first: the
page's structured data and meta tags, then what Vietnamese portals print (the date line
"Thứ năm, 2/11/2023, 19:20 (GMT+7)", the byline in the last bold or right-aligned paragraph).
"""
from __future__ import annotations

import json
import re
from datetime import datetime, timezone, tzinfo
from urllib.parse import urljoin, urlsplit

import lxml.html
import trafilatura
from lxml import etree

from ..text import clean, collapse
from .captions import attach_captions, plain_text
from .htmltree import text_of
from .record import Imported, ReadResult, SourceError
from .sources import Source
from .vietnamese import byline, decode, declared_charset, parse_printed_date

_DATE_META = ("article:published_time", "og:published_time", "pubdate", "publishdate", "datepublished",
              "date", "dc.date", "dc.date.issued", "dcterms.created", "sailthru.date", "publish-date")
_DATE_CLASS = re.compile(r"date|time|ngay|thoi-gian|publish|post-meta|meta", re.IGNORECASE)
_AUTHOR_CLASS = re.compile(r"author|byline|tac-?gia|writer|signature", re.IGNORECASE)
_SUFFIX = re.compile(r"\s+[-|–—]\s+[^-|–—]{2,40}$")      # " - VnExpress", " | Báo Lao Động"


def _unbranded(text: str, site: str) -> str:
    """`text` without the site's name that pages append to titles and descriptions ("… - VnExpress")."""
    match = _SUFFIX.search(text)
    if not match:
        return text
    brand = re.sub(r"[^a-z0-9]", "", match.group(0).casefold())
    name = re.sub(r"\.(net|vn|com|org|gov|edu)\b|[^a-z0-9]", "", site.casefold())
    return text[: match.start()] if not site or (name and (brand.startswith(name) or name.startswith(brand))) else text


def _meta(doc) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for el in doc.iter("meta"):
        key = (el.get("property") or el.get("name") or el.get("itemprop") or "").strip().lower()
        value = el.get("content")
        if key and value is not None and value.strip():
            found.setdefault(key, []).append(value.strip())
        prop = (el.get("itemprop") or "").strip().lower()
        if prop and prop != key and value:
            found.setdefault(prop, []).append(value.strip())
    return found


def _json_ld(doc) -> list[dict]:
    found = []
    for script in doc.iter("script"):
        if (script.get("type") or "").lower() != "application/ld+json" or not script.text:
            continue
        try:
            data = json.loads(script.text)
        except ValueError:
            continue
        stack = data if isinstance(data, list) else [data]
        while stack:
            item = stack.pop(0)
            if isinstance(item, dict):
                found.append(item)
                stack.extend(v for v in item.get("@graph", []) if isinstance(v, dict))
    return [d for d in found if "Article" in str(d.get("@type", "")) or d.get("datePublished")]


def _iso(text: str, tz: tzinfo) -> tuple[datetime, bool] | None:
    text = text.strip()
    if re.fullmatch(r"\d{9,11}", text):                  # an epoch (VnExpress's its_publication)
        return datetime.fromtimestamp(int(text), timezone.utc).astimezone(tz), True
    match = re.match(r"(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2}(?::\d{2})?)(?:\.\d+)?\s*(Z|[+-]\d{2}:?\d{2})?)?", text)
    if not match:
        return None
    day, clock, zone = match.groups()
    try:
        if not clock:
            return datetime.fromisoformat(day).replace(tzinfo=tz), False
        zone = zone or ""
        if re.fullmatch(r"[+-]\d{4}", zone):
            zone = zone[:3] + ":" + zone[3:]
        value = datetime.fromisoformat(f"{day}T{clock}{'+00:00' if zone == 'Z' else zone}")
    except ValueError:
        return None
    return (value if value.tzinfo else value.replace(tzinfo=tz)), True


def _date(doc, meta, ld, tz: tzinfo) -> tuple[datetime, bool] | None:
    for item in ld:
        if isinstance(item.get("datePublished"), str):
            found = _iso(item["datePublished"], tz)
            if found:
                return found
    for key in _DATE_META:
        for value in meta.get(key, []):
            found = _iso(value, tz)
            if found:
                return found
    for value in meta.get("its_publication", []):
        found = _iso(value, tz)
        if found:
            return found
    for el in doc.iter("time"):
        found = _iso(el.get("datetime") or "", tz) if el.get("datetime") else None
        if found:
            return found
    for el in doc.iter():
        if isinstance(el.tag, str) and _DATE_CLASS.search(el.get("class") or "") and len(text_of(el)) < 200:
            found = parse_printed_date(text_of(el), tz)
            if found:
                return found
    return None


def _authors(doc, meta, ld, site: str) -> tuple[str, ...]:
    for el in doc.iter():
        if isinstance(el.tag, str) and (_AUTHOR_CLASS.search(el.get("class") or "") or el.get("rel") == "author"):
            names = byline(text_of(el))
            if names and len(text_of(el)) < 120:
                return names
    for item in ld:
        authors = item.get("author")
        authors = authors if isinstance(authors, list) else [authors]
        names = [a.get("name") if isinstance(a, dict) else a for a in authors]
        names = [collapse(clean(n)) for n in names if isinstance(n, str) and n.strip()]
        names = [n for n in names if n.casefold() != site.casefold() and "." not in n]
        if names:
            return tuple(names)
    for value in meta.get("author", []):
        value = collapse(clean(value))
        if value and value.casefold() not in (site.casefold(), "admin") and "." not in value and not value.startswith("http"):
            return (value,)
    return ()


def _topics(meta) -> tuple[str, ...]:
    names = []
    for key in ("article:tag", "news_keywords"):
        for value in meta.get(key, []):
            names += [collapse(clean(n)) for n in value.split(",")]
    seen: dict[str, str] = {}
    for name in names:
        if name and len(name) <= 80:
            seen.setdefault(name.casefold(), name)
    return tuple(seen.values())


def _captions(doc, base: str) -> dict[str, str]:
    """The captions the page's own <figure> elements give their images, by image address."""
    found = {}
    for figure in doc.iter("figure"):
        caption = next(iter(figure.iter("figcaption")), None)
        if caption is None:
            continue
        for img in figure.iter("img"):
            for attr in ("src", "data-src", "data-original", "data-lazy-src"):
                if img.get(attr):
                    found[urljoin(base, img.get(attr).strip())] = plain_text(caption)
    return found


def read_page(source: Source, tz: tzinfo) -> ReadResult:
    """The article of a saved page (or one fetched by its address)."""
    header_charset = None
    if "charset=" in source.content_type:
        header_charset = source.content_type.split("charset=", 1)[1].split(";")[0]
    text, warnings = decode(source.data, header_charset or declared_charset(source.data))
    result = ReadResult(warnings=warnings)
    try:
        doc = lxml.html.document_fromstring(text)
    except (etree.ParserError, ValueError) as err:
        raise SourceError(f"cannot be read as HTML ({err})") from None
    meta, ld = _meta(doc), _json_ld(doc)
    canonical = next((el.get("href") for el in doc.iter("link") if (el.get("rel") or "").lower() == "canonical"
                      and el.get("href")), "") or (meta.get("og:url") or [""])[0]
    base = urljoin(source.url, canonical) if source.url else canonical
    site = (meta.get("og:site_name") or [""])[0]
    extracted = trafilatura.extract(text, output_format="html", include_images=True, include_tables=True,
                                    include_formatting=True, include_links=True, include_comments=False,
                                    url=base or None)
    if not extracted:
        raise SourceError("holds no article text that could be found (is it a list page or a front page?)")
    body = lxml.html.document_fromstring(extracted).find("body")
    title = _unbranded((meta.get("og:title") or [""])[0], site) or next((plain_text(h) for h in doc.iter("h1")
                                                                          if plain_text(h)), "")
    if not title and doc.find(".//title") is not None:
        title = _unbranded(plain_text(doc.find(".//title")), site)
    title = collapse(clean(title))
    first = next((el for el in body if isinstance(el.tag, str)), None)
    if first is not None and first.tag in ("h1", "h2") and plain_text(first).casefold() == title.casefold():
        body.remove(first)
    authors = _take_byline(body, doc)
    if not authors:
        authors = _authors(doc, meta, ld, site)
    found = _date(doc, meta, ld, tz)
    captions = _captions(doc, base)
    for img in body.iter("img"):
        if img.get("src"):
            img.set("src", urljoin(base, img.get("src").strip()) if base else img.get("src").strip())
    attach_captions(body, known=captions)
    summary = (meta.get("og:description") or [""])[0] or _unbranded((meta.get("description") or [""])[0], site)
    html_text = "".join(etree.tostring(c, encoding="unicode", method="html") for c in body)
    parts = urlsplit(canonical) if canonical else None
    aliases = (parts.path,) if parts is not None and parts.path not in ("", "/") and not parts.query else ()
    notes = () if found else ("no publication date found in the page",)
    result.articles.append(Imported(
        where=source.name, title=title, html=html_text, origin=canonical or source.url or source.file_name,
        date=found[0] if found else None, has_time=found[1] if found else True, authors=authors,
        topics=_topics(meta), summary=collapse(summary), aliases=aliases,
        old_urls=(canonical,) if canonical else (), base_url=base, captions=captions, notes=notes))
    return result


def _take_byline(body, doc) -> tuple[str, ...]:
    """The author when the text ends with a short name in bold or set to the right, the way
    Vietnamese papers sign articles; the line is removed from the body."""
    paragraphs = [el for el in body.iter("p") if plain_text(el)]
    if not paragraphs:
        return ()
    last = paragraphs[-1]
    text = plain_text(last)
    names = byline(text)
    if not names:
        return ()
    bold = all(c.tag in ("strong", "b") for c in last if isinstance(c.tag, str)) and len(last) > 0 \
        and not (last.text or "").strip()
    right = any(plain_text(p) == text and (re.search(r"text-align\s*:\s*right", p.get("style") or "")
                                           or (p.get("align") or "").lower() == "right")
                for p in doc.iter("p", "div"))
    if not (bold or right):
        return ()
    last.getparent().remove(last)
    return names
