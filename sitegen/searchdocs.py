"""Search documents: the small HTML file Pagefind indexes for each article, and a shard's vocabulary.

Pagefind reads these instead of the published pages. They hold only what search needs (the
title and body text written as sitegen/searchtext.py explains, the filters, the date to sort by,
the date and image a result shows), so the published pages carry no search markup and Pagefind
reads a fraction of the bytes.

A shard's vocabulary page lists every key of the shard's articles once. The search page looks a
query up in the lexicon (sitegen/lexicon.py) and searches only the shards that have all of its
words; the vocabulary page makes sure Pagefind has each of those words in that shard too, where
otherwise it would quietly drop a word it cannot find and answer for the others. The manifest
gives its id in Pagefind's results ("skip"), and the search page leaves it out; it also carries
no `kind` filter, so a search filtered by `kind: article` never finds it either.
"""
from __future__ import annotations

import html
import re
from typing import Iterable

from .searchtext import MARK, Glossary, search_text

KIND = "article"                    # the `kind` filter of every article's document
VOCABULARY_PAGE = "_tu-vung/index.html"   # no article's address can start with "_"
VOCABULARY_URL = "/_tu-vung/"              # its address in Pagefind's index
_KEYS = re.compile(r"<!-- keys: ([^<>]*) -->")
_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9]*)\b[^>]*>|<!--.*?-->", re.S)
# tags that end a block of text: words on both sides of them are not one phrase
_BLOCKS = frozenset("p div h1 h2 h3 h4 h5 h6 li ul ol dl dt dd table thead tbody tfoot tr td th caption "
                    "blockquote pre figure figcaption hr br section article aside header footer nav".split())
_HEADINGS = frozenset("h1 h2 h3 h4 h5 h6".split())
_SKIPPED = frozenset("script style template svg".split())


def body_blocks(body: str) -> list[tuple[str, str]]:
    """The text of an article body's HTML as (tag, text) blocks: "h2"… for headings, "p" for
    the rest. Images give nothing (their alt text is not searched; a figure's caption is)."""
    blocks: list[tuple[str, str]] = []
    parts: list[str] = []
    kind, skipping, last = "p", "", 0

    def flush() -> None:
        text = " ".join(html.unescape("".join(parts)).split())
        if text:
            blocks.append((kind, text))
        parts.clear()

    for tag in _TAG.finditer(body):
        if not skipping:
            parts.append(body[last:tag.start()])
        last = tag.end()
        name = (tag.group(2) or "").lower()
        closing = tag.group(1) == "/"
        if skipping:
            if closing and name == skipping:
                skipping = ""
            continue
        if name in _SKIPPED and not closing:
            skipping = name
        elif name in _BLOCKS:
            flush()
            kind = name if name in _HEADINGS and not closing else "p"
    if not skipping:
        parts.append(body[last:])
    flush()
    return blocks


def document(title: str, blocks: Iterable[tuple[str, str]], glossary: Glossary, *, filters: dict[str, list[str]],
             sort_date: int, shown_date: str, image: str) -> tuple[str, list[str]]:
    """The search document of one article, and the keys it lists (as document_keys reads them)."""
    blocks = [("h1", title), *blocks]
    # one pass over the whole text (blocks end at new lines, which phrases do not cross)
    written, keys = search_text("\n".join(text for _, text in blocks), glossary)
    lines = ['<!DOCTYPE html><html lang="vi"><head><meta charset="utf-8"></head><body><main data-pagefind-body>',
             "<div data-pagefind-ignore>", _span("data-pagefind-filter", "kind", KIND)]
    for name, values in filters.items():
        lines.extend(_span("data-pagefind-filter", name, value) for value in values)
    lines.append(_span("data-pagefind-sort", "date", str(sort_date)))
    lines.append(_span("data-pagefind-meta", "date", shown_date))
    if image:
        lines.append(_span("data-pagefind-meta", "image", image))
    lines.append("</div>")
    lines.extend(f"<{tag}>{html.escape(text, quote=False)}</{tag}>"
                 for (tag, _), text in zip(blocks, written.split("\n")))
    lines.append("</main>")
    listed = sorted(keys)
    lines.append(f"<!-- keys: {' '.join(listed)} -->")
    lines.append("</body></html>\n")
    return "\n".join(lines), listed


def _span(attribute: str, name: str, value: str) -> str:
    # the value as the element's text: in the attribute ("name:value") a comma would start another
    return f'<span {attribute}="{html.escape(name)}">{html.escape(value, quote=False)}</span>'


def document_keys(text: str) -> list[str]:
    """The keys a search document lists (written by document())."""
    found = _KEYS.search(text)
    return found.group(1).split() if found else []


def vocabulary_page(keys: Iterable[str]) -> str:
    """The page that holds every key of a shard once (see the module's docstring)."""
    words = " ".join(f"{key}{MARK}" for key in sorted(keys))
    return ('<!DOCTYPE html><html lang="vi"><head><meta charset="utf-8"></head><body><main data-pagefind-body>'
            f"<p>{html.escape(words, quote=False)}</p></main></body></html>\n")
