"""Photo captions: a caption line after a photo, in whatever form a source wrote it, becomes a figure."""
from __future__ import annotations

import re

from lxml import etree

from ..text import collapse
from .htmltree import text_of

CAPTION_MAX = 300
# "Ảnh: Bệnh viện cung cấp", "(Ảnh: Văn Huỳnh)", "Ảnh minh họa": the photo credit Vietnamese
# papers put in a caption
_CREDIT = re.compile(r"(?:^|[\s(.])ảnh(?:\s+minh\s+họa)?\s*[:)]|ảnh\s+minh\s+họa", re.IGNORECASE)
_CAPTION_CLASS = re.compile(r"caption|image_desc|img-desc|desc|chu-thich|chuthich|note", re.IGNORECASE)


def plain_text(el: etree._Element) -> str:
    """The text of an element, whitespace collapsed."""
    return collapse(text_of(el))


def _lone_image(el: etree._Element) -> etree._Element | None:
    if el.tag == "img":
        return el
    if el.tag not in ("p", "div", "a", "span", "center") or plain_text(el):
        return None
    images = list(el.iter("img"))
    return images[0] if len(images) == 1 else None


def _italic(el: etree._Element) -> bool:
    """Every piece of text of `el` is inside <em> or <i>."""
    if (el.text or "").strip():
        return False
    children = [c for c in el if isinstance(c.tag, str)]
    return bool(children) and all(c.tag in ("em", "i") and not (c.tail or "").strip() for c in children)


def _is_caption(el: etree._Element, known: str, classes: tuple[str, ...]) -> bool:
    if el.tag not in ("p", "div", "span", "em", "i", "figcaption"):
        return False
    text = plain_text(el)
    if not text or len(text) > CAPTION_MAX or el.find(".//img") is not None:
        return False
    own = (el.get("class") or "").split()
    if any(c in own for c in classes) or _CAPTION_CLASS.search(el.get("class") or ""):
        return True
    if known and (text == known or text.startswith(known) or known.startswith(text)):
        return True
    return _italic(el) or bool(_CREDIT.search(text))


def attach_captions(root: etree._Element, classes: tuple[str, ...] = (), known: dict[str, str] | None = None) -> int:
    """Make each photo followed by its caption a <figure> with a <figcaption>. `classes`: the
    classes a source gives captions (a Word Caption style); `known`: captions by image address,
    from the source's own figures. Returns the number of figures made."""
    known = known or {}
    made = 0
    for block in list(root.iter()):
        if not isinstance(block.tag, str) or block.getparent() is None or block.tag == "figure":
            continue
        if any(a.tag == "figure" for a in block.iterancestors()):
            continue
        img = _lone_image(block)
        if img is None or (block.tail or "").strip():
            continue
        following = block.getnext()
        if following is None or not _is_caption(following, known.get(img.get("src") or "", ""), classes):
            continue
        caption = plain_text(following)
        parent = block.getparent()
        figure = etree.Element("figure")
        figure.tail = following.tail
        parent.replace(block, figure)
        img.tail = None
        if img.getparent() is not None:
            img.getparent().remove(img)
        figure.append(img)
        etree.SubElement(figure, "figcaption").text = caption
        parent.remove(following)
        made += 1
    return made
