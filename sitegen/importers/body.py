"""An imported body made safe and local: links between imported articles rewritten to their files,
images brought next to the article, embeds turned into links, then sanitised and converted."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable
from urllib.parse import urljoin, urlsplit, urlunsplit

import lxml.html
from lxml import etree

from ..markdown import sanitise
from .captions import attach_captions
from .htmltree import drop, text_of, unwrap, unwrap_image_links
from .tomarkdown import html_to_markdown

_EMBEDS = ("iframe", "embed", "video", "audio", "object")


@dataclass
class ImageChoice:
    """Where an image of the body ends up: a path relative to the article ("anh/x.jpg"), an
    absolute address left on the old site, or nothing (it is dropped, and `note` says why)."""

    src: str = ""
    remote: bool = False
    note: str = ""


@dataclass
class Body:
    """A converted body and what the conversion has to report."""

    markdown: str
    remote: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def normalise_url(url: str) -> str:
    """One form for the addresses of a page, for finding a link's target: http and https, "www."
    and a trailing slash make no difference."""
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").lower().removeprefix("www.")
    path = parts.path.rstrip("/") or "/"
    return urlunsplit(("", host, path, parts.query, ""))


def _fragment(html_text: str) -> etree._Element:
    return lxml.html.fragment_fromstring(html_text or "<p></p>", create_parent="div")


def convert_body(html_text: str, base_url: str, link_map: dict[str, str], image: Callable[[str, str], ImageChoice],
                 captions: dict[str, str] | None = None, alt_fallback: str = "", own: str = "") -> Body:
    """The Markdown of an imported body. `link_map`: normalised old addresses -> the files of
    imported articles ("/2019/12/x.md"); `image(address, alt)` decides each image; `own`: the
    article's own file (a link to itself, a feed's "read more", is dropped)."""
    root = _fragment(html_text)
    body = Body("")
    _embeds_as_links(root, base_url, body)
    _rewrite_links(root, base_url, link_map, own)
    attach_captions(root, known=captions or {})
    unwrap_image_links(root)         # the larger photo a link leads to is the one to bring in
    _place_images(root, base_url, image, alt_fallback, body)
    text = "".join(etree.tostring(child, encoding="unicode", method="html") for child in root)
    converted = html_to_markdown(sanitise((root.text or "") + text))
    body.markdown = converted.markdown
    body.notes += converted.warnings
    return body


def _embeds_as_links(root: etree._Element, base_url: str, body: Body) -> None:
    """Frames, players and objects: a link to what they showed (the site embeds nothing)."""
    for el in list(root.iter(*_EMBEDS)):
        src = (el.get("src") or el.get("data") or next((s.get("src") for s in el.iter("source") if s.get("src")), "")
               or "").strip()
        address = urljoin(base_url, src) if src else ""
        parent = el.getparent()
        link = etree.Element("p" if address.startswith(("http://", "https://")) else "span")
        if link.tag == "p":
            anchor = etree.SubElement(link, "a", href=address)
            anchor.text = address
            body.notes.append(f"an embedded {el.tag} became a link to {address} (the site embeds nothing from "
                              "elsewhere)")
        link.tail = el.tail
        parent.replace(el, link)


def _rewrite_links(root: etree._Element, base_url: str, link_map: dict[str, str], own: str) -> None:
    """Links to other imported articles lead to their files; relative links to the old site
    become absolute (they name pages of the old site, not of this one)."""
    for anchor in list(root.iter("a")):
        if anchor.get("name") and not anchor.get("id"):
            anchor.set("id", anchor.get("name"))        # Word's HTML marks its footnotes with name=
        href = (anchor.get("href") or "").strip()
        if not href or href.startswith(("#", "mailto:", "tel:")):
            continue
        absolute = urljoin(base_url, href) if base_url else href
        target = link_map.get(normalise_url(absolute)) if absolute.startswith(("http://", "https://")) else None
        fragment = urlsplit(absolute).fragment
        if target is not None and target == own:
            unwrap(anchor)
        elif target is not None:
            anchor.set("href", target + (f"#{fragment}" if fragment else ""))
        elif absolute != href and absolute.startswith(("http://", "https://")):
            anchor.set("href", absolute)


def _place_images(root: etree._Element, base_url: str, image: Callable[[str, str], ImageChoice], alt_fallback: str,
                  body: Body) -> None:
    """Each image where `image` puts it (next to the article, left on the old site, or out),
    with alternative text: its own, else its caption, else `alt_fallback`."""
    no_alt = 0
    for img in list(root.iter("img")):
        src = (img.get("src") or "").strip()
        address = urljoin(base_url, src) if base_url and not src.startswith("data:") else src
        choice = image(address, img.get("alt") or "")
        if choice.note:
            body.notes.append(choice.note)
        if not choice.src:
            drop(img)
            continue
        if choice.remote:
            body.remote.append(choice.src)
        img.set("src", choice.src)
        if not (img.get("alt") or "").strip():
            figure = next((a for a in img.iterancestors("figure")), None)
            caption = figure.find(".//figcaption") if figure is not None else None
            text = " ".join(text_of(caption).split()) if caption is not None else ""
            img.set("alt", text or alt_fallback)
            no_alt += 1
    if no_alt:
        body.notes.append(f"{no_alt} image(s) had no alternative text; the caption, or \"{alt_fallback}\", was "
                          "written: describe each photo for readers who cannot see it")
