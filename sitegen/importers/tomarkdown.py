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

import html
import re
from dataclasses import dataclass, field

import lxml.html
from lxml import etree

BLOCK_TAGS = {
    "address", "article", "aside", "blockquote", "body", "center", "dd", "details", "div", "dl", "dt", "fieldset",
    "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "main", "nav",
    "ol", "p", "pre", "section", "summary", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "ul", "html",
}
HEADINGS = ("h1", "h2", "h3", "h4", "h5", "h6")
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".gif", ".webp", ".svg")
_SPACE = re.compile(r"[ \t\n\r\f\v\u00a0\u2000-\u200a\u202f\u205f\u3000]+")
_INVISIBLE = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad]")
# Markers the writer puts in text and resolves at the end; private-use characters, which lxml
# accepts in text (it refuses control characters) and which the input is cleared of first.
_BREAK = "\ue001"
_NOTE = re.compile("\ue000(\\d+)\ue000")
_MARKERS = re.compile("[\ue000\ue001]")
_ENTITY = re.compile(r"&(?=#|[0-9A-Za-z])")   # HTML reads "&#0", "&copy" as references even without ";"
_LINE_START = re.compile(r"^(#|>|[-+](?=\s|$)|(\d+)\.(?=\s|$)|=+$|-+$)")
_WORD_UNDERSCORE = re.compile(r"(?<![0-9A-Za-z\u00c0-\u1ef9])_|_(?![0-9A-Za-z\u00c0-\u1ef9])")


@dataclass
class Converted:
    """The Markdown of a body, the images it shows (in order), and what was lost on the way."""

    markdown: str
    images: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def text_of(el: etree._Element) -> str:
    """All the text of an element and its descendants (what lxml.html's text_content() gives,
    for any element, made by the HTML parser or not)."""
    return "".join(t for t in el.itertext() if isinstance(t, str))


def escape_text(text: str) -> str:
    """Plain text as Markdown that shows exactly that text (no emphasis, links, HTML)."""
    text = text.replace("\\", "\\\\").replace("`", "\\`").replace("*", "\\*")
    text = text.replace("[", "\\[").replace("]", "\\]")
    text = _WORD_UNDERSCORE.sub(r"\\_", text)
    text = _ENTITY.sub("&amp;", text).replace("<", "&lt;")
    return re.sub(r"\{(?=[:.#])", r"\\{", text)


def _escape_line_start(line: str) -> str:
    """A line Python-Markdown would read as a heading, quote, list item or rule, made plain."""
    match = _LINE_START.match(line)
    if not match:
        return line
    if match.group(2) is not None:
        return line.replace(".", "\\.", 1)
    if line.startswith("="):
        return "&#61;" + line[1:]       # "=" has no backslash escape in Python-Markdown
    return "\\" + line


def _url(url: str) -> str:
    """An address as it may stand in a Markdown link: as it is, or in <…> when it has spaces
    or parentheses that do not pair up (Python-Markdown reads either form back exactly)."""
    url = url.strip().replace("\n", "")
    depth, paired = 0, True
    for char in url:
        depth += (char == "(") - (char == ")")
        paired = paired and depth >= 0
    if " " in url or "<" in url or ">" in url or not paired or depth:
        return "<" + url.replace("<", "%3C").replace(">", "%3E") + ">"
    return url


def _title(text: str) -> str:
    """A caption as a Markdown image title: backslashes and quotes cannot stand as they are."""
    # Python-Markdown reads a title of quotes in several ways ("'" is no title at all): as entities
    return (_ENTITY.sub("&amp;", text).replace("\\", "\\\\").replace('"', "&quot;").replace("'", "&#39;").replace("`", "&#96;")
            .replace("<", "&lt;"))


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
            return _BREAK
        if tag == "img":
            return self.image(el)
        if tag in ("strong", "b"):
            return self.emphasis(el, cell, "**")
        if tag in ("em", "i", "cite", "dfn", "var"):
            return self.emphasis(el, cell, "*")
        if tag in ("code", "kbd", "samp", "tt"):
            return _code(text_of(el))
        if tag in ("sub", "sup"):
            inner = self.inline(el, cell).strip()
            if _NOTE.fullmatch(inner):
                return inner
            return f"<{tag}>{inner}</{tag}>" if inner else ""
        if tag == "a":
            return self.link(el, cell)
        if tag in HEADINGS or tag in ("p", "div", "li", "blockquote", "tr", "dt", "dd", "figcaption", "figure",
                                      "section", "article"):
            # a block inside inline content (a cell, a heading): its text, on a line of its own
            inner = self.inline(el, cell).strip()
            return f"{_BREAK}{inner}{_BREAK}" if inner else ""
        if tag in ("ul", "ol"):
            items = [self.inline(li, cell).strip() for li in el if li.tag == "li"]
            return "".join(f"{_BREAK}• {item}" for item in items if item) + _BREAK
        if tag == "table":
            return _BREAK + _BREAK.join(" ".join(_clean_inline(self.inline(c, cell)) for c in row)
                                        for row in _rows(el)) + _BREAK
        if tag == "hr":
            return _BREAK
        return self.inline(el, cell)            # span, font, u, s, small, abbr, …: their text

    def emphasis(self, el: etree._Element, cell: bool, marker: str) -> str:
        """Bold or italic text; inside the same emphasis it adds nothing (Markdown cannot say
        "italic inside italic": "**" would read as bold)."""
        if marker in self.open:
            return self.inline(el, cell)
        self.open.add(marker)
        try:
            return _wrap(self.inline(el, cell), marker)
        finally:
            self.open.discard(marker)

    def link(self, el: etree._Element, cell: bool) -> str:
        href = (el.get("href") or "").strip()
        inner = self.inline(el, cell)
        text = _clean_inline(inner)
        if not href or href.startswith("#") or not text.strip():
            return inner
        if _NOTE.fullmatch(text.strip()):
            return text
        return f"[{text.strip()}]({_url(href)})" if text.strip() else ""

    def image(self, el: etree._Element, caption: str = "") -> str:
        src = (el.get("src") or "").strip()
        if not src:
            return ""
        self.images.append(src)
        alt = _plain(el.get("alt") or "")
        alt = escape_text(alt)
        title = f' "{_title(caption)}"' if caption else ""
        return f"![{alt}]({_url(src)}{title})"

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
                if block and out and _would_merge(out[-1], block[0]):
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
                    text = _clean_inline(self.inline(child))
                    if text:
                        out.append(_paragraph_text(_wrap(text, "**")))
                elif child.tag == "dd":
                    out.extend(self.blocks(child))
            return out
        return self.blocks(el)      # div, section, article, li outside a list, …

    def paragraph(self, el: etree._Element) -> list[str]:
        """A paragraph; an image alone in it (perhaps in a link to itself) is a photo."""
        only = _lone_image(el)
        if only is not None:
            return [self.image(only, caption=_plain(only.get("title") or ""))]
        text = _clean_inline(self.inline(el))
        return [_paragraph_text(text)] if text else []

    def heading(self, el: etree._Element) -> list[str]:
        text = _clean_inline(self.inline(el)).replace(_BREAK, " ").replace("  \n", " ")
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
            holder = child if child.tag == "li" else _holder(child)
            content = self.blocks(holder)
            if not content:
                continue
            items.append(content)
        if not items:
            return []
        loose = any(sum(1 for b in item if not _is_list(b)) > 1 for item in items)
        lines: list[str] = []
        for item in items:
            marker = f"{number}." if ordered else "-"
            number += 1
            text = _indent_item(marker, item, loose)
            lines.append(text)
        return [("\n\n" if loose else "\n").join(lines)]

    def figure(self, el: etree._Element) -> list[str]:
        images = [img for img in el.iter("img")]
        caption_el = next(iter(el.iter("figcaption")), None)
        caption = _plain(text_of(caption_el)) if caption_el is not None else ""
        if len(images) == 1:
            return [self.image(images[0], caption=caption or _plain(images[0].get("title") or ""))]
        if caption_el is not None:
            caption_el.getparent().remove(caption_el)
        out = self.blocks(el)
        if caption:
            out.append(_paragraph_text(_wrap(escape_text(caption), "*")))
        return out

    def table(self, el: etree._Element) -> list[str]:
        rows = _rows(el)
        if not rows:
            return []
        width = max(sum(_span(c) for c in row) for row in rows)
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
                text = _clean_inline(self.inline(cell, cell=True)).replace("|", "\\|")
                text = text.replace("  \n", "<br>").replace("\n", " ")
                cells.append(text)
                cells.extend([""] * (_span(cell) - 1))
                if n == 0:
                    aligns.append(_align(cell))
                    aligns.extend([""] * (_span(cell) - 1))
            cells += [""] * (width - len(cells))
            lines.append("| " + " | ".join(cells) + " |")
            if n == 0:
                aligns += [""] * (width - len(aligns))
                lines.append("|" + "|".join({"left": ":---", "center": ":---:", "right": "---:"}.get(a, "---")
                                            for a in aligns) + "|")
        return ["\n".join(lines)]


def _wrap(inner: str, marker: str) -> str:
    """Emphasis around `inner`, with its outer spaces moved outside the markers."""
    stripped = inner.strip(" ")
    if not stripped.replace(_BREAK, "").strip():
        return inner
    lead = inner[: len(inner) - len(inner.lstrip(" "))]
    trail = inner[len(inner.rstrip(" ")):]
    return f"{lead}{marker}{stripped}{marker}{trail}"


def _code(text: str) -> str:
    text = " ".join(text.split())
    if not text:
        return ""
    if re.search(r"&#\w", text):
        # Python-Markdown rewrites "&#0" in a code span as "&amp;#0;" (it adds the ";"): as HTML
        return "<code>" + html.escape(text, quote=False) + "</code>"
    # a fence longer than any run of backticks inside; spaces keep edge backticks apart from it
    fence = "`" * (max((len(run) for run in re.findall("`+", text)), default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _plain(text: str) -> str:
    return " ".join(_INVISIBLE.sub("", text).split())


def _clean_inline(text: str) -> str:
    """Whitespace collapsed, invisible characters removed, breaks as Markdown line breaks."""
    text = _SPACE.sub(" ", _INVISIBLE.sub("", text))
    parts = [part.strip() for part in text.split(_BREAK)]
    lines = [p for p in parts if p]
    return "  \n".join(lines)


def _paragraph_text(text: str) -> str:
    return "\n".join(_escape_line_start(line) for line in text.split("\n"))


def _lone_image(el: etree._Element) -> etree._Element | None:
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


def _holder(el: etree._Element) -> etree._Element:
    holder = etree.Element("div")
    holder.append(el)
    return holder


def _is_list(block: str) -> bool:
    return bool(re.match(r"(-|\d+\.) ", block))


def _would_merge(a: str, b: str) -> bool:
    """Whether Markdown would read two consecutive blocks as one: two lists of a kind, two quotes."""
    if a.startswith(">") and b.startswith(">"):
        return True
    return _is_list(a) and _is_list(b) and a[0].isdigit() == b[0].isdigit()


def _indent_item(marker: str, blocks: list[str], loose: bool) -> str:
    """One list item: the marker, its first block, the rest indented by four spaces."""
    first = blocks[0]
    text = marker + " " + first.replace("\n", "\n    ")
    for block in blocks[1:]:
        indented = "\n".join(("    " + line) if line else "" for line in block.split("\n"))
        separator = "\n" if (not loose and _is_list(block)) else "\n\n"
        text += separator + indented
    return text


def _rows(table: etree._Element) -> list[list[etree._Element]]:
    rows = []
    for part in [table, *[c for c in table if c.tag in ("thead", "tbody", "tfoot")]]:
        for tr in part:
            if tr.tag == "tr":
                cells = [c for c in tr if c.tag in ("td", "th")]
                if cells:
                    rows.append(cells)
    return rows


def _span(cell: etree._Element) -> int:
    try:
        return max(1, min(50, int(cell.get("colspan") or 1)))
    except ValueError:
        return 1


def _align(cell: etree._Element) -> str:
    align = (cell.get("align") or "").lower()
    match = re.search(r"text-align:\s*(left|center|right)", cell.get("style") or "")
    return match.group(1) if match else align


def _number_notes(root: etree._Element, writer: _Writer) -> None:
    """Footnotes, whatever wrote them (Word through mammoth, Python-Markdown, WordPress plugins,
    Word's own HTML): a link to an element that links back to it is a note reference. The
    reference becomes a marker the writer turns into `[^n]`, the note its definition."""
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
            _drop(back)
        if target is not note and target.getparent() is not None:
            _drop(target)
        number = len(writer.notes) + 1
        parent = note.getparent()
        note_blocks = writer.blocks(note)
        if parent is not None:
            parent.remove(note)
            _prune(parent)
        writer.notes.append(note_blocks or [""])
        holder = ref
        parent_sup = ref.getparent()
        if parent_sup is not None and parent_sup.tag == "sup" and len(parent_sup) == 1 \
                and not (parent_sup.text or "").strip() and not (ref.tail or "").strip():
            holder = parent_sup
        marker = etree.Element("span")
        marker.text = f"\ue000{number}\ue000"
        marker.tail = holder.tail
        holder.getparent().replace(holder, marker)


def _drop(el: etree._Element) -> None:
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


def _prune(el: etree._Element) -> None:
    """Remove `el` and its emptied ancestors (a notes list with no item left, its hr)."""
    while el is not None and el.getparent() is not None and not _plain(text_of(el)) \
            and el.find(".//img") is None:
        parent = el.getparent()
        previous = el.getprevious()
        parent.remove(el)
        if previous is not None and previous.tag == "hr" and not _plain(text_of(parent)):
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


def html_to_markdown(fragment: str) -> Converted:
    """Convert a sanitised HTML fragment to the portal's Markdown (see the module docstring)."""
    if not fragment.strip():
        return Converted("")
    root = lxml.html.fragment_fromstring(_MARKERS.sub("", fragment), create_parent="div")
    writer = _Writer()
    if root.find(".//h1") is not None:
        writer.shift = 1            # the page's title is its h1: the body's headings go one down
    unwrap_image_links(root)
    _number_notes(root, writer)
    blocks = writer.blocks(root)
    for number, note in enumerate(writer.notes, 1):
        first, rest = (note[0], note[1:]) if note else ("", [])
        text = f"[^{number}]: " + first.replace("\n", "\n    ")
        for block in rest:
            text += "\n\n" + "\n".join(("    " + line) if line else "" for line in block.split("\n"))
        blocks.append(text)
    markdown = "\n\n".join(b for b in blocks if b.strip())
    markdown = _NOTE.sub(lambda m: f"[^{m.group(1)}]", markdown)
    markdown = re.sub(r"\n{3,}", "\n\n", markdown).strip("\n")
    return Converted(markdown + "\n" if markdown else "", writer.images, writer.warnings)
