"""Markdown syntax for text that came as HTML: escaping, addresses, titles, code, emphasis, lists.

Every function here writes what Python-Markdown (the build's parser) reads back as exactly the
text or structure it was given; tests/test_import_markdown.py converts back to check it.
"""
from __future__ import annotations

import html
import re

_SPACE = re.compile(r"[ \t\n\r\f\v\u00a0\u2000-\u200a\u202f\u205f\u3000]+")
_INVISIBLE = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad]")
# Markers the writer puts in text and resolves at the end; private-use characters, which lxml
# accepts in text (it refuses control characters) and which the input is cleared of first.
BREAK = "\ue001"
NOTE_MARK = "\ue000"
NOTE = re.compile("\ue000(\\d+)\ue000")
MARKERS = re.compile("[\ue000\ue001]")
_ENTITY = re.compile(r"&(?=#|[0-9A-Za-z])")   # HTML reads "&#0", "&copy" as references even without ";"
_LINE_START = re.compile(r"^(#|>|[-+](?=\s|$)|(\d+)\.(?=\s|$)|=+$|-+$)")
_WORD_UNDERSCORE = re.compile(r"(?<![0-9A-Za-z\u00c0-\u1ef9])_|_(?![0-9A-Za-z\u00c0-\u1ef9])")



def escape_text(text: str) -> str:
    """Plain text as Markdown that shows exactly that text (no emphasis, links, HTML)."""
    text = text.replace("\\", "\\\\").replace("`", "\\`").replace("*", "\\*")
    text = text.replace("[", "\\[").replace("]", "\\]")
    text = _WORD_UNDERSCORE.sub(r"\\_", text)
    text = _ENTITY.sub("&amp;", text).replace("<", "&lt;")
    return re.sub(r"\{(?=[:.#])", r"\\{", text)


def line_start_escaped(line: str) -> str:
    """A line Python-Markdown would read as a heading, quote, list item or rule, made plain."""
    match = _LINE_START.match(line)
    if not match:
        return line
    if match.group(2) is not None:
        return line.replace(".", "\\.", 1)
    if line.startswith("="):
        return "&#61;" + line[1:]       # "=" has no backslash escape in Python-Markdown
    return "\\" + line


def link_address(url: str) -> str:
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


def image_title(text: str) -> str:
    """A caption as a Markdown image title: backslashes and quotes cannot stand as they are."""
    # Python-Markdown reads a title of quotes in several ways ("'" is no title at all): as entities
    return (_ENTITY.sub("&amp;", text).replace("\\", "\\\\").replace('"', "&quot;").replace("'", "&#39;").replace("`", "&#96;")
            .replace("<", "&lt;"))


def emphasis(inner: str, marker: str) -> str:
    """Emphasis around `inner`, with its outer spaces moved outside the markers."""
    stripped = inner.strip(" ")
    if not stripped.replace(BREAK, "").strip():
        return inner
    lead = inner[: len(inner) - len(inner.lstrip(" "))]
    trail = inner[len(inner.rstrip(" ")):]
    return f"{lead}{marker}{stripped}{marker}{trail}"


def code_span(text: str) -> str:
    """Inline code that reads back as exactly `text` (whitespace collapsed)."""
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


def plain(text: str) -> str:
    """Text with invisible characters removed and whitespace collapsed."""
    return " ".join(_INVISIBLE.sub("", text).split())


def clean_inline(text: str) -> str:
    """Whitespace collapsed, invisible characters removed, breaks as Markdown line breaks."""
    text = _SPACE.sub(" ", _INVISIBLE.sub("", text))
    parts = [part.strip() for part in text.split(BREAK)]
    lines = [p for p in parts if p]
    return "  \n".join(lines)


def paragraph_text(text: str) -> str:
    """A paragraph's lines, each made safe from being read as a heading, quote or list item."""
    return "\n".join(line_start_escaped(line) for line in text.split("\n"))


def is_list_block(block: str) -> bool:
    """Whether a Markdown block is a list."""
    return bool(re.match(r"(-|\d+\.) ", block))


def would_merge(a: str, b: str) -> bool:
    """Whether Markdown would read two consecutive blocks as one: two lists of a kind, two quotes."""
    if a.startswith(">") and b.startswith(">"):
        return True
    return is_list_block(a) and is_list_block(b) and a[0].isdigit() == b[0].isdigit()


def list_item(marker: str, blocks: list[str], loose: bool) -> str:
    """One list item: the marker, its first block, the rest indented by four spaces."""
    first = blocks[0]
    text = marker + " " + first.replace("\n", "\n    ")
    for block in blocks[1:]:
        indented = "\n".join(("    " + line) if line else "" for line in block.split("\n"))
        separator = "\n" if (not loose and is_list_block(block)) else "\n\n"
        text += separator + indented
    return text
