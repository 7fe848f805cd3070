"""What "safe HTML" means for the tests: checked on the parsed document, not with regexes."""
from __future__ import annotations

import json
import re
from html.parser import HTMLParser

SCRIPT_URL = re.compile(r"^(javascript|vbscript|data):", re.I)
URL_ATTRIBUTES = ("href", "src", "action", "formaction", "srcset", "poster", "xlink:href")
FORBIDDEN_TAGS = ("iframe", "frame", "object", "embed", "style", "base", "applet", "link")


class Tags(HTMLParser):
    """Start tags with attributes (entities decoded, as a browser sees them), and script contents."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []
        self.scripts: list[tuple[dict, str]] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        attributes = {k.lower(): v or "" for k, v in attrs}
        self.tags.append((tag, attributes))
        if tag == "script":
            self._in_script = True
            self.scripts.append((attributes, ""))

    def handle_data(self, data):
        if self._in_script:
            attrs, text = self.scripts[-1]
            self.scripts[-1] = (attrs, text + data)

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False


def unsafe_parts(html: str, fragment: bool = False) -> list[str]:
    """Everything in `html` that could run script. A fragment (an article body) may hold no script,
    form, style or link element at all; a whole page only the portal's own."""
    parsed = Tags()
    parsed.feed(html)
    found = []
    for tag, attrs in parsed.tags:
        found += [f"<{tag} {name}=…>" for name in attrs if name.startswith("on")]
        for name in URL_ATTRIBUTES:
            value = re.sub(r"[\x00-\x20]", "", attrs.get(name, ""))
            if SCRIPT_URL.match(value):
                found.append(f"<{tag} {name}={value[:30]}>")
        if tag == "meta" and attrs.get("http-equiv", "").lower() == "refresh":
            found.append("<meta http-equiv=refresh>")
        if fragment and tag in FORBIDDEN_TAGS + ("script", "form", "meta"):
            found.append(f"<{tag}>")
        elif not fragment:
            # the search page's preloads: the index's manifest, engine, and newest shard's first files
            own_index = re.fullmatch(r"/(?:[\w-]+/)*pagefind/(?:shards\.json|pagefind\.js|wasm\.unknown\.pagefind"
                                     r"|[\w-]+/pagefind-entry\.json\?ts=[0-9a-f]+|[\w-]+/pagefind\.\w+\.pf_meta)",
                                     attrs.get("href", ""))
            if tag in FORBIDDEN_TAGS and not (tag == "link" and (attrs.get("rel") in (
                    "stylesheet", "icon", "apple-touch-icon", "canonical", "alternate")
                    or (attrs.get("rel") in ("preload", "modulepreload") and own_index))):
                found.append(f"<{tag}>")
            if tag == "form" and not attrs.get("action", "").endswith("/tim-kiem/"):
                found.append(f"<form action={attrs.get('action')}>")
    if not fragment:
        for attrs, text in parsed.scripts:
            if attrs.get("type") in ("application/ld+json", "application/json"):
                try:
                    json.loads(text)              # the whole element is data, nothing escaped out of it
                except ValueError:
                    found.append("<script> with broken JSON")
                if "</" in text:
                    found.append("</ inside a JSON script")
            elif not re.fullmatch(r"/(?:[\w-]+/)*assets/search\.[0-9a-f]{10}\.js", attrs.get("src", "")):
                found.append(f"<script src={attrs.get('src')}>")
    return found
