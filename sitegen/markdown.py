"""Markdown stage: Python-Markdown configured for articles, then sanitised with nh3."""
from __future__ import annotations

import html
import re
import xml.etree.ElementTree as etree
from dataclasses import dataclass, field
from urllib.parse import unquote, urlsplit

import markdown
import nh3
from markdown.extensions import Extension
from markdown.extensions.attr_list import AttrListExtension
from markdown.extensions.footnotes import FootnoteExtension
from markdown.extensions.sane_lists import SaneListExtension
from markdown.extensions.tables import TableExtension
from markdown.extensions.toc import unique
from markdown.treeprocessors import Treeprocessor
from markdown.util import HTML_PLACEHOLDER_RE

from .i18n import FOOTNOTE_BACKLINK, TABLE_LABEL
from .images import ImageInfo, picture_attributes
from .speedups import markdown as speedups
from .text import collapse, slugify
from .urls import content_url

SUMMARY_MAX = 200
_SAFE_SCHEMES = {"http", "https", "mailto", "tel"}
_TAGS = (set(nh3.ALLOWED_TAGS) - {"center", "map", "area", "acronym", "tt", "strike"}) | {"section", "picture", "source"}
_ATTRIBUTES = {
    "*": {"id", "class", "title", "lang", "dir"},
    "a": {"href", "hreflang"},
    "img": {"src", "alt", "width", "height", "loading", "decoding", "srcset", "sizes"},
    "source": {"srcset", "sizes", "type", "width", "height"},
    "td": {"colspan", "rowspan", "align", "style"},
    "th": {"colspan", "rowspan", "align", "scope", "style"},
    "ol": {"start", "reversed"},
    "abbr": {"title"},
    "time": {"datetime"},
}
_CLEANER = nh3.Cleaner(
    tags=_TAGS, attributes=_ATTRIBUTES, url_schemes=_SAFE_SCHEMES, link_rel=None,
    clean_content_tags={"script", "style"}, strip_comments=True,
    # tables' align= becomes style="text-align: …"; nothing else may style content
    filter_style_properties={"text-align"},
)
# What nh3 leaves exactly as it is (see _needs_sanitising): a link or image address that is
# relative (no scheme before its first "/", "?" or "#"), http(s) to a plain host name, mailto: or
# tel:, with no space or control character; and the attribute values that are addresses.
_PLAIN_URL = re.compile(r"(?:https?://[A-Za-z0-9.-]+(?::[0-9]+)?(?=[/?#]|\Z)|(?:mailto|tel):"
                        r"|[^:/?#\x00-\x20\x7f]*(?=[/?#]|\Z))[^\x00-\x20\x7f\\]*\Z")
_URL_ATTRIBUTE = re.compile(r' (?:href|src)="([^"]*)"')
_FIRST_P = re.compile(r"<p>(.*?)</p>", re.S)
_FIRST_IMG = re.compile(r'<img [^>]*?src="([^"]+)"')
_TAG = re.compile(r"<[^>]+>")
HEADING_ID_MAX = 60
_HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
_PLACEHOLDER = re.compile(HTML_PLACEHOLDER_RE)
_WORD_CHAR = re.compile(r"\w")


@dataclass
class Links:
    """What an article's links and images may point to, and what they did point to."""

    source_dir: str                     # content-relative folder of the article
    base_path: str                      # "/" or "/portal/"
    articles: dict[str, str]            # content-relative .md path -> URL
    files: frozenset[str]               # content-relative paths of other files
    images: dict[str, ImageInfo] = field(default_factory=dict)    # content-relative path -> sizes, variants
    missing: list[tuple[str, str]] = field(default_factory=list)  # (kind, target)
    no_alt: list[str] = field(default_factory=list)               # images without alternative text
    used: set[str] = field(default_factory=set)                   # the files of content/ led to
    images_seen: int = 0


class _ResolveLinks(Treeprocessor):
    """Rewrite relative links and images to site URLs; note the ones that lead nowhere."""

    def run(self, root: etree.Element) -> None:
        links: Links | None = getattr(self.md, "links", None)
        if links is None:
            return
        for parent in list(root.iter()):
            for index, element in enumerate(list(parent)):
                if element.tag == "a" and element.get("href"):
                    element.set("href", self._resolve(links, element.get("href"), "link")[0])
                elif element.tag == "img" and element.get("src"):
                    self._image(links, parent, index, element)

    def _image(self, links: Links, parent: etree.Element, index: int, img: etree.Element) -> None:
        url, rel = self._resolve(links, img.get("src"), "image")
        img.set("src", url)
        if not (img.get("alt") or "").strip():
            links.no_alt.append(img.get("src"))
        info = links.images.get(rel) if rel else None
        if info is None:
            return
        links.images_seen += 1
        # the first image is usually on the first screen: load it at once, the others when near
        source, attrs = picture_attributes(info, links.base_path, img.get("alt") or "", lazy=links.images_seen > 1)
        for key, value in attrs.items():
            img.set(key, value)
        if source is None:
            return
        picture = etree.Element("picture")
        etree.SubElement(picture, "source", source)
        picture.tail, img.tail = img.tail, None
        parent.remove(img)
        picture.append(img)
        parent.insert(index, picture)

    @staticmethod
    def _resolve(links: Links, target: str, kind: str) -> tuple[str, str | None]:
        """The site URL of a link or image target, and its content-relative path when it has one."""
        try:
            parts = urlsplit(target)
        except ValueError:          # "http://a.vn[": a bracket without its pair is no address
            links.missing.append(("image" if kind == "image" else "address", target))
            return target, None
        if parts.scheme or parts.netloc or target.startswith("#") or not parts.path:
            return target, None
        rel = content_url(links.source_dir, unquote(parts.path))
        suffix = ("#" + parts.fragment) if parts.fragment else ""
        if rel in links.articles:
            return links.articles[rel] + suffix, rel
        if rel in links.files:
            links.used.add(rel)
            return links.base_path + rel + suffix, rel
        links.missing.append((kind, target))
        return target, None


class _Figures(Treeprocessor):
    """An image alone in its paragraph becomes <figure>; its title becomes the caption.

    `![Quang cảnh hội nghị](anh/hoi-nghi.jpg "Quang cảnh hội nghị")`
    """

    def run(self, root: etree.Element) -> None:
        for p in root.iter("p"):
            children = list(p)
            if len(children) != 1 or children[0].tag != "img":
                continue
            img = children[0]
            if (p.text or "").strip() or (img.tail or "").strip():
                continue
            p.tag, p.text, img.tail = "figure", None, None
            caption = img.attrib.pop("title", None)
            if caption:
                etree.SubElement(p, "figcaption").text = caption


class _Abbreviations(Treeprocessor):
    """Wrap the first use of each glossary abbreviation in <abbr title="full form">."""

    SKIP = {"a", "abbr", "code", "pre", "h1", "h2", "h3", "h4", "h5", "h6", "figcaption"}

    def __init__(self, md: markdown.Markdown, glossary: dict[str, str]):
        super().__init__(md)
        self.glossary = glossary
        words = sorted(glossary, key=len, reverse=True)  # longest first: CNVCLĐ before CNVC
        # The word boundary before an abbreviation is checked on each match, not by a (?<!\w)
        # in the pattern: a pattern that starts with a lookbehind is tried in full at every
        # position of the text; one that starts with the abbreviations lets the regex engine
        # skip to where one of their first letters occurs (about 3.5 times as fast on articles).
        self.pattern = re.compile("(" + "|".join(map(re.escape, words)) + r")(?!\w)") if words else None

    def run(self, root: etree.Element) -> None:
        if self.pattern is None:
            return
        self.seen: set[str] = set()
        self._walk(root)

    def _walk(self, parent: etree.Element) -> None:
        if parent.tag in self.SKIP or len(self.seen) == len(self.glossary):
            return      # nothing to mark here, or every abbreviation already marked once
        parent.text, added = self._split(parent.text)
        for offset, abbr in enumerate(added):
            parent.insert(offset, abbr)
        index = len(added)
        while index < len(parent):
            child = parent[index]
            self._walk(child)
            child.tail, added = self._split(child.tail)
            for offset, abbr in enumerate(added):
                parent.insert(index + 1 + offset, abbr)
            index += 1 + len(added)

    def matches(self, text: str):
        """The glossary's words in `text` that stand alone (no letter, digit or _ on either
        side), left to right: what finditer with a lookbehind for a word character would give."""
        search, pos = self.pattern.search, 0
        while (match := search(text, pos)) is not None:
            start = match.start()
            if start and _WORD_CHAR.match(text, start - 1):
                pos = start + 1         # a word begins before it: look again one character on
                continue
            yield match
            pos = match.end()

    def _split(self, text: str | None) -> tuple[str | None, list[etree.Element]]:
        """Cut `text` at each abbreviation not seen before: (text before, <abbr> elements with tails)."""
        if not text:
            return text, []
        head, added, last = text, [], 0
        for match in self.matches(text):
            word = match.group(1)
            if word in self.seen:
                continue
            self.seen.add(word)
            if added:
                added[-1].tail = text[last: match.start()]
            else:
                head = text[: match.start()]
            abbr = etree.Element("abbr", {"title": self.glossary[word]})
            abbr.text = word
            added.append(abbr)
            last = match.end()
        if added:
            added[-1].tail = text[last:]
        return head, added


class _HeadingIds(Treeprocessor):
    """Give every heading an ASCII id ("Đại hội" → "dai-hoi"), unique in the article.

    What Python-Markdown's toc extension does for ids, without building a table of contents
    nobody shows: that part cost ~0.15 ms an article. Ids given with {#...} are kept.
    """

    def run(self, root: etree.Element) -> None:
        used = {el.attrib["id"] for el in root.iter() if "id" in el.attrib}
        counters: dict[str, int] = {}
        for el in root.iter():
            if el.tag in _HEADINGS and "id" not in el.attrib:
                text = _PLACEHOLDER.sub(self._stashed, "".join(_heading_text(el)))
                el.set("id", unique(slugify(html.unescape(_TAG.sub("", text)), HEADING_ID_MAX), used, counters))

    def _stashed(self, match: re.Match) -> str:
        blocks = self.md.htmlStash.rawHtmlBlocks
        index = int(match.group(1))
        return str(blocks[index]) if index < len(blocks) else ""


def _heading_text(el: etree.Element):
    """The text of a heading, footnote references left out."""
    if el.text:
        yield el.text
    for child in el:
        if not (child.tag == "sup" and (child.get("id") or "").startswith("fnref")):
            yield from _heading_text(child)
        if child.tail:
            yield child.tail


class ArticleExtension(Extension):
    """Figures with captions, resolved links, abbreviations: the portal's Markdown dialect."""

    def __init__(self, glossary: dict[str, str] | None = None):
        super().__init__()
        self.glossary = glossary or {}

    def extendMarkdown(self, md: markdown.Markdown) -> None:  # noqa: N802 - Markdown's API
        md.treeprocessors.register(_Figures(md), "figures", 15)
        md.treeprocessors.register(_ResolveLinks(md), "resolve_links", 14)
        md.treeprocessors.register(_Abbreviations(md, self.glossary), "abbreviations", 13)
        md.treeprocessors.register(_HeadingIds(md), "heading_ids", 5)


def make_markdown(glossary: dict[str, str] | None = None) -> markdown.Markdown:
    """A configured Markdown instance; reuse it with reset() (building one costs ~1 ms)."""
    md = markdown.Markdown(
        # instances, not names: Python-Markdown looks a name up among the entry points of every
        # installed package, reading all their metadata (~35 ms in each build, one edit included)
        extensions=[TableExtension(), FootnoteExtension(BACKLINK_TITLE=FOOTNOTE_BACKLINK), AttrListExtension(),
                    SaneListExtension(), ArticleExtension(glossary)],
        output_format="html",
    )
    # gated processors, memos: Python-Markdown's private internals, each used only while the
    # installed version still has them (sitegen/speedups/markdown.py)
    speedups.install(md)
    return md


def sanitise(fragment: str) -> str:
    """Remove scripts, styles, event handlers and unsafe URLs from an HTML fragment."""
    return _CLEANER.clean(fragment)


def _needs_sanitising(text: str, fragment: str) -> bool:
    """Whether nh3 could change `fragment`, the HTML Python-Markdown made of `text`.

    nh3 parses and writes out the whole fragment again: a tenth of the Markdown stage. It is
    skipped only for HTML it would give back byte for byte, which is what most articles make:
    Markdown without raw HTML ("<") or attribute lists ("{") can only make the elements and
    attributes of its own syntax, all allowed; the output must also have no character
    reference ("&": nh3 writes some as characters), no U+00A0 (nh3 writes "&nbsp;"), no table
    alignment (nh3 rewrites the style), and only addresses that nh3 keeps as they are
    (_PLAIN_URL). NUL is dropped by nh3. tests/test_properties.py compares the two on
    generated Markdown.
    """
    if "<" in text or "{" in text or "\x00" in text:
        return True
    if "&" in fragment or "\xa0" in fragment or 'style="' in fragment:
        return True
    return not all(_PLAIN_URL.match(url) for url in _URL_ATTRIBUTE.findall(fragment))


def render_markdown(md: markdown.Markdown, text: str, links: Links) -> str:
    """Markdown → sanitised HTML, with tables wrapped so they scroll sideways on phones."""
    md.reset()
    md.links = links  # type: ignore[attr-defined]  # read by _ResolveLinks
    try:
        body = md.convert(text)
        if _needs_sanitising(text, body):
            body = sanitise(body)
    finally:
        md.links = None  # type: ignore[attr-defined]
    # A region that scrolls must be reachable by keyboard (WCAG 2.1.1): focusable and named.
    wrap = f'<div class="table-wrap" tabindex="0" role="region" aria-label="{TABLE_LABEL}"><table>'
    return body.replace("<table>", wrap).replace("</table>", "</table></div>")


def derive_summary(body_html: str, limit: int = SUMMARY_MAX) -> str:
    """The first paragraph as plain text, at most `limit` characters, cut at a word boundary."""
    for match in _FIRST_P.finditer(body_html):
        text = collapse(html.unescape(_TAG.sub("", match.group(1))))
        if text:
            return truncate(text, limit)
    return ""


def truncate(text: str, limit: int) -> str:
    """Cut `text` to at most `limit` characters at a word boundary, adding "…"."""
    if len(text) <= limit:
        return text
    cut = text[: limit].rsplit(" ", 1)[0] if " " in text[:limit] else text[: limit - 1]
    return cut.rstrip(" ,;:.-–") + "…"


def first_image(body_html: str) -> str:
    """The src of the first image of a rendered body, or ""."""
    match = _FIRST_IMG.search(body_html)
    return html.unescape(match.group(1)) if match else ""
