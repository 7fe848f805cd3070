"""HTML trees of imported bodies: their text, their images, tables and footnotes, and moving parts."""
from __future__ import annotations

import re
from typing import Callable

from lxml import etree

from .mdsyntax import NOTE_MARK, plain

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".gif", ".webp", ".svg")

def text_of(el: etree._Element) -> str:
    """All the text of an element and its descendants (what lxml.html's text_content() gives,
    for any element, made by the HTML parser or not)."""
    return "".join(t for t in el.itertext() if isinstance(t, str))


def lone_image(el: etree._Element) -> etree._Element | None:
    """The image when `el` holds nothing else (an image, or a link around one, and no text)."""
    if (el.text or "").strip(" \n\t\u00a0"):
        return None
    children = [c for c in el if isinstance(c.tag, str) and c.tag != "br"]
    if len(children) != 1 or (children[0].tail or "").strip(" \n\t\u00a0"):
        return None
    only = children[0]
    if only.tag == "a" and len(only) == 1 and only[0].tag == "img" and not (only.text or "").strip() \
            and not (only[0].tail or "").strip():
        return only[0]
    return only if only.tag == "img" else None


def wrapped(el: etree._Element) -> etree._Element:
    """`el` inside a new <div> (a list's stray child, read as an item)."""
    holder = etree.Element("div")
    holder.append(el)
    return holder


def table_rows(table: etree._Element) -> list[list[etree._Element]]:
    """The cells of a table's rows (head, body and foot in order), nested tables left out."""
    rows = []
    for part in [table, *[c for c in table if c.tag in ("thead", "tbody", "tfoot")]]:
        for tr in part:
            if tr.tag == "tr":
                cells = [c for c in tr if c.tag in ("td", "th")]
                if cells:
                    rows.append(cells)
    return rows


def colspan(cell: etree._Element) -> int:
    """How many columns a cell spans (1 to 50: a hostile colspan widens nothing)."""
    try:
        return max(1, min(50, int(cell.get("colspan") or 1)))
    except ValueError:
        return 1


def alignment(cell: etree._Element) -> str:
    """"left", "center", "right" or "" from a cell's align= or its text-align style."""
    align = (cell.get("align") or "").lower()
    match = re.search(r"text-align:\s*(left|center|right)", cell.get("style") or "")
    return match.group(1) if match else align


def drop(el: etree._Element) -> None:
    """Remove an element, keeping its tail text."""
    parent = el.getparent()
    if parent is None:
        return
    if el.tail:
        previous = el.getprevious()
        if previous is not None:
            previous.tail = (previous.tail or "") + el.tail
        else:
            parent.text = (parent.text or "") + el.tail
    parent.remove(el)


def prune(el: etree._Element) -> None:
    """Remove `el` and its emptied ancestors (a notes list with no item left, its hr)."""
    while el is not None and el.getparent() is not None and not plain(text_of(el)) \
            and el.find(".//img") is None:
        parent = el.getparent()
        previous = el.getprevious()
        parent.remove(el)
        if previous is not None and previous.tag == "hr" and not plain(text_of(parent)):
            parent.remove(previous)
        el = parent


def unwrap_image_links(root: etree._Element) -> None:
    """A link around an image that leads to an image file (WordPress's "link to media file") is
    the photo itself: the image, taken from the link's address, which is the larger copy."""
    for link in list(root.iter("a")):
        href = (link.get("href") or "").strip()
        if len(link) != 1 or link[0].tag != "img" or (link.text or "").strip() or (link[0].tail or "").strip():
            continue
        if href.lower().split("?")[0].endswith(IMAGE_SUFFIXES):
            img = link[0]
            img.set("src", href)
            img.tail = link.tail
            link.getparent().replace(link, img)


def number_notes(root: etree._Element, blocks_of: Callable[[etree._Element], list[str]],
                 notes: list[list[str]]) -> None:
    """Footnotes, whatever wrote them (Word through mammoth, Python-Markdown, WordPress plugins,
    Word's own HTML): a link to an element that links back to it is a note reference. The
    reference becomes a NOTE marker that the writer turns into `[^n]`; the note's Markdown
    (`blocks_of` it) is appended to `notes`."""
    ids = {el.get("id"): el for el in root.iter() if isinstance(el.tag, str) and el.get("id")}
    for ref in list(root.iter("a")):
        href = ref.get("href") or ""
        target = ids.get(href[1:]) if href.startswith("#") else None
        if target is None or target is ref:
            continue
        back_ids = {ref.get("id")} | {a.get("id") for a in ref.iterancestors() if a.get("id")}
        note = target
        if note.tag == "a":     # Word's HTML: the anchor is inside the note's paragraph
            note = next((a for a in note.iterancestors() if a.tag in ("p", "li", "div")), None)
            if note is None:
                continue
        backs = [a for a in note.iter("a") if (a.get("href") or "")[1:] in back_ids - {None}]
        if not backs or any(ref is a or ref in a.iterancestors() for a in [note]):
            continue
        for back in backs:
            drop(back)
        if target is not note and target.getparent() is not None:
            drop(target)
        number = len(notes) + 1
        parent = note.getparent()
        note_blocks = blocks_of(note)
        if parent is not None:
            parent.remove(note)
            prune(parent)
        notes.append(note_blocks or [""])
        holder = ref
        parent_sup = ref.getparent()
        if parent_sup is not None and parent_sup.tag == "sup" and len(parent_sup) == 1 \
                and not (parent_sup.text or "").strip() and not (ref.tail or "").strip():
            holder = parent_sup
        marker = etree.Element("span")
        marker.text = f"{NOTE_MARK}{number}{NOTE_MARK}"
        marker.tail = holder.tail
        holder.getparent().replace(holder, marker)


def unwrap(el: etree._Element) -> None:
    """Replace an element by its content (text, children and tail, in order)."""
    parent = el.getparent()
    index = parent.index(el)
    previous = el.getprevious()
    if el.text:
        if previous is not None:
            previous.tail = (previous.tail or "") + el.text
        else:
            parent.text = (parent.text or "") + el.text
    children = list(el)
    for offset, child in enumerate(children):
        parent.insert(index + offset, child)
    last = children[-1] if children else previous
    if el.tail:
        if last is not None:
            last.tail = (last.tail or "") + el.tail
        else:
            parent.text = (parent.text or "") + el.tail
    parent.remove(el)
