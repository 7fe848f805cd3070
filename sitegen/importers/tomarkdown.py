"""HTML -> the portal's Markdown: what every importer's body goes through, after the sanitiser.

The output is the Markdown an editor would write for the same article, in the dialect the build
reads (Python-Markdown with tables, footnotes, attribute lists and sane lists; no fenced code):
paragraphs, headings from level 2 (the page's title is the only h1), lists nested by four
spaces, pipe tables with a header row, links, images with alt text, footnotes as `[^1]`, and a
photo with its caption as the portal's figure, `![alt](anh/x.jpg "caption")` alone in its
paragraph. Everything else an old system leaves in its HTML (classes, styles, spans, fonts,
empty paragraphs, runs of `&nbsp;`) is dropped; text is kept.

Why a converter of our own rather than a generic HTML-to-Markdown library: the output must be
exactly what Python-Markdown reads back into the same structure (four-space nesting, no fenced
code, footnote and figure syntax), which tests/test_import_markdown.py checks by converting back.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

import lxml.html
from lxml import etree

from .htmltree import (alignment, colspan, lone_image, number_notes, table_rows, text_of,
                       unwrap_image_links, wrapped)
from .mdsyntax import (BREAK, MARKERS, NOTE, clean_inline, code_span, emphasis, escape_text, image_title,
                       is_list_block, link_address, list_item, paragraph_text, plain, would_merge)

BLOCK_TAGS = {
    "address", "article", "aside", "blockquote", "body", "center", "dd", "details", "div", "dl", "dt", "fieldset",
    "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "main", "nav",
    "ol", "p", "pre", "section", "summary", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "ul", "html",
}
HEADINGS = ("h1", "h2", "h3", "h4", "h5", "h6")


@dataclass
class Converted:
    """The Markdown of a body, the images it shows (in order), and what was lost on the way."""

    markdown: str
    images: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


class _Writer:
    """Turns one parsed fragment into Markdown blocks."""

    def __init__(self) -> None:
        self.notes: list[list[str]] = []
        self.images: list[str] = []
        self.warnings: list[str] = []
        self.shift = 0
        self.open: set[str] = set()         # emphasis markers around the text being written

    # --- inline ---------------------------------------------------------

    def inline(self, el: etree._Element, cell: bool = False) -> str:
        """The Markdown of an element's inline content (text, emphasis, links, images)."""
        parts = [escape_text(el.text)] if el.text else []
        for child in el:
            if not isinstance(child.tag, str):      # a comment or processing instruction
                pass
            else:
                parts.append(self.inline_element(child, cell))
            if child.tail:
                parts.append(escape_text(child.tail))
        return "".join(parts)

    def inline_element(self, el: etree._Element, cell: bool) -> str:
        tag = el.tag
        if tag == "br":
            return BREAK
        if tag == "img":
            return self.image(el)
        if tag in ("strong", "b"):
            return self.emphasis(el, cell, "**")
        if tag in ("em", "i", "cite", "dfn", "var"):
            return self.emphasis(el, cell, "*")
        if tag in ("code", "kbd", "samp", "tt"):
            return code_span(text_of(el))
        if tag in ("sub", "sup"):
            inner = self.inline(el, cell).strip()
            if NOTE.fullmatch(inner):
                return inner
            return f"<{tag}>{inner}</{tag}>" if inner else ""
        if tag == "a":
            return self.link(el, cell)
        if tag in HEADINGS or tag in ("p", "div", "li", "blockquote", "tr", "dt", "dd", "figcaption", "figure",
                                      "section", "article"):
            # a block inside inline content (a cell, a heading): its text, on a line of its own
            inner = self.inline(el, cell).strip()
            return f"{BREAK}{inner}{BREAK}" if inner else ""
        if tag in ("ul", "ol"):
            items = [self.inline(li, cell).strip() for li in el if li.tag == "li"]
            return "".join(f"{BREAK}• {item}" for item in items if item) + BREAK
        if tag == "table":
            return BREAK + BREAK.join(" ".join(clean_inline(self.inline(c, cell)) for c in row)
                                        for row in table_rows(el)) + BREAK
        if tag == "hr":
            return BREAK
        return self.inline(el, cell)            # span, font, u, s, small, abbr, …: their text

    def emphasis(self, el: etree._Element, cell: bool, marker: str) -> str:
        """Bold or italic text; inside the same emphasis it adds nothing (Markdown cannot say
        "italic inside italic": "**" would read as bold)."""
        if marker in self.open:
            return self.inline(el, cell)
        self.open.add(marker)
        try:
            return emphasis(self.inline(el, cell), marker)
        finally:
            self.open.discard(marker)

    def link(self, el: etree._Element, cell: bool) -> str:
        href = (el.get("href") or "").strip()
        inner = self.inline(el, cell)
        text = clean_inline(inner)
        if not href or href.startswith("#") or not text.strip():
            return inner
        if NOTE.fullmatch(text.strip()):
            return text
        return f"[{text.strip()}]({link_address(href)})" if text.strip() else ""

    def image(self, el: etree._Element, caption: str = "") -> str:
        src = (el.get("src") or "").strip()
        if not src:
            return ""
        self.images.append(src)
        alt = plain(el.get("alt") or "")
        alt = escape_text(alt)
        title = f' "{image_title(caption)}"' if caption else ""
        return f"![{alt}]({link_address(src)}{title})"

    # --- blocks ---------------------------------------------------------

    def blocks(self, el: etree._Element) -> list[str]:
        """The Markdown blocks of an element's content: inline runs become paragraphs."""
        out: list[str] = []
        run: list[etree._Element | str] = []

        def flush() -> None:
            if run:
                holder = etree.Element("p")
                for item in run:
                    if isinstance(item, str):
                        if len(holder):
                            holder[-1].tail = (holder[-1].tail or "") + item
                        else:
                            holder.text = (holder.text or "") + item
                    else:
                        holder.append(item)
                run.clear()
                out.extend(self.paragraph(holder))

        if el.text:
            run.append(el.text)
        for child in list(el):
            tail = child.tail
            child.tail = None
            if isinstance(child.tag, str) and child.tag in BLOCK_TAGS:
                flush()
                block = self.block(child)
                if block and out and would_merge(out[-1], block[0]):
                    out.append("<!-- -->")      # two lists (or quotes) in a row stay two
                out.extend(block)
            elif isinstance(child.tag, str):
                run.append(child)
            if tail:
                run.append(tail)
        flush()
        return out

    def block(self, el: etree._Element) -> list[str]:
        tag = el.tag
        if tag == "p":
            return self.paragraph(el)
        if tag in HEADINGS:
            return self.heading(el)
        if tag in ("ul", "ol"):
            return self.list_block(el)
        if tag == "blockquote":
            inner = self.blocks(el)
            return ["\n".join(("> " + line) if line else ">" for line in "\n\n".join(inner).split("\n"))] if inner else []
        if tag == "pre":
            text = text_of(el).replace("\r\n", "\n").strip("\n")
            return ["\n".join("    " + line if line.strip() else "" for line in text.split("\n"))] if text.strip() else []
        if tag == "table":
            return self.table(el)
        if tag == "figure":
            return self.figure(el)
        if tag == "hr":
            return ["* * *"]
        if tag == "dl":
            out = []
            for child in el:
                if child.tag == "dt":
                    text = clean_inline(self.inline(child))
                    if text:
                        out.append(paragraph_text(emphasis(text, "**")))
                elif child.tag == "dd":
                    out.extend(self.blocks(child))
            return out
        return self.blocks(el)      # div, section, article, li outside a list, …

    def paragraph(self, el: etree._Element) -> list[str]:
        """A paragraph; an image alone in it (perhaps in a link to itself) is a photo."""
        only = lone_image(el)
        if only is not None:
            return [self.image(only, caption=plain(only.get("title") or ""))]
        text = clean_inline(self.inline(el))
        return [paragraph_text(text)] if text else []

    def heading(self, el: etree._Element) -> list[str]:
        text = clean_inline(self.inline(el)).replace(BREAK, " ").replace("  \n", " ")
        text = " ".join(text.split())
        if not text:
            return []
        level = min(6, max(2, int(el.tag[1]) + self.shift))
        # "#" around a heading's text is read as part of its marker: every one is escaped
        return ["#" * level + " " + text.replace("#", "\\#")]

    def list_block(self, el: etree._Element) -> list[str]:
        ordered = el.tag == "ol"
        try:
            number = int(el.get("start") or 1) if ordered else 0
        except ValueError:
            number = 1
        items: list[list[str]] = []
        for child in el:
            if not isinstance(child.tag, str):
                continue
            item = child if child.tag == "li" else wrapped(child)
            content = self.blocks(item)
            if not content:
                continue
            items.append(content)
        if not items:
            return []
        loose = any(sum(1 for b in item if not is_list_block(b)) > 1 for item in items)
        lines: list[str] = []
        for item in items:
            marker = f"{number}." if ordered else "-"
            number += 1
            text = list_item(marker, item, loose)
            lines.append(text)
        return [("\n\n" if loose else "\n").join(lines)]

    def figure(self, el: etree._Element) -> list[str]:
        images = [img for img in el.iter("img")]
        caption_el = next(iter(el.iter("figcaption")), None)
        caption = plain(text_of(caption_el)) if caption_el is not None else ""
        if len(images) == 1:
            return [self.image(images[0], caption=caption or plain(images[0].get("title") or ""))]
        if caption_el is not None:
            caption_el.getparent().remove(caption_el)
        out = self.blocks(el)
        if caption:
            out.append(paragraph_text(emphasis(escape_text(caption), "*")))
        return out

    def table(self, el: etree._Element) -> list[str]:
        rows = table_rows(el)
        if not rows:
            return []
        width = max(sum(colspan(c) for c in row) for row in rows)
        layout = width <= 1 or any(cell.find(".//table") is not None for row in rows for cell in row)
        if layout:
            # a table used for layout (one column, or tables in tables): its content, as blocks
            out = []
            for row in rows:
                for cell in row:
                    out.extend(self.blocks(cell))
            return out
        lines = []
        aligns = []
        for n, row in enumerate(rows):
            cells: list[str] = []
            for cell in row:
                text = clean_inline(self.inline(cell, cell=True)).replace("|", "\\|")
                text = text.replace("  \n", "<br>").replace("\n", " ")
                cells.append(text)
                cells.extend([""] * (colspan(cell) - 1))
                if n == 0:
                    aligns.append(alignment(cell))
                    aligns.extend([""] * (colspan(cell) - 1))
            cells += [""] * (width - len(cells))
            lines.append("| " + " | ".join(cells) + " |")
            if n == 0:
                aligns += [""] * (width - len(aligns))
                lines.append("|" + "|".join({"left": ":---", "center": ":---:", "right": "---:"}.get(a, "---")
                                            for a in aligns) + "|")
        return ["\n".join(lines)]


def html_to_markdown(fragment: str) -> Converted:
    """Convert a sanitised HTML fragment to the portal's Markdown (see the module docstring)."""
    if not fragment.strip():
        return Converted("")
    root = lxml.html.fragment_fromstring(MARKERS.sub("", fragment), create_parent="div")
    writer = _Writer()
    if root.find(".//h1") is not None:
        writer.shift = 1            # the page's title is its h1: the body's headings go one down
    unwrap_image_links(root)
    number_notes(root, writer.blocks, writer.notes)
    blocks = writer.blocks(root)
    for number, note in enumerate(writer.notes, 1):
        first, rest = (note[0], note[1:]) if note else ("", [])
        text = f"[^{number}]: " + first.replace("\n", "\n    ")
        for block in rest:
            text += "\n\n" + "\n".join(("    " + line) if line else "" for line in block.split("\n"))
        blocks.append(text)
    markdown = "\n\n".join(b for b in blocks if b.strip())
    markdown = NOTE.sub(lambda m: f"[^{m.group(1)}]", markdown)
    markdown = re.sub(r"\n{3,}", "\n\n", markdown).strip("\n")
    return Converted(markdown + "\n" if markdown else "", writer.images, writer.warnings)
