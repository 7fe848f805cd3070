"""WordPress post content as WordPress shows it: paragraphs made from blank lines, shortcodes run."""
from __future__ import annotations

import html
import re
from dataclasses import dataclass, field

_BLOCKS = ("table|thead|tfoot|caption|col|colgroup|tbody|tr|td|th|div|dl|dd|dt|ul|ol|li|pre|form|map|area|"
           "blockquote|address|math|style|p|h[1-6]|hr|fieldset|legend|section|article|aside|hgroup|header|"
           "footer|nav|figure|figcaption|details|menu|summary")
_BLOCK_OPEN = re.compile(rf"(<(?:{_BLOCKS})[\s/>])", re.IGNORECASE)
_BLOCK_CLOSE = re.compile(rf"(</(?:{_BLOCKS})>)", re.IGNORECASE)
_STARTS_BLOCK = re.compile(rf"^\s*</?(?:{_BLOCKS})[\s/>]", re.IGNORECASE)
_PRE = re.compile(r"<pre[\s>].*?</pre>", re.IGNORECASE | re.DOTALL)
_COMMENTS = re.compile(r"<!--.*?-->", re.DOTALL)
# [name attrs]…[/name], [name attrs /], [name attrs]; WordPress's own grammar (get_shortcode_regex),
# for the names actually found in a text
_ATTR = re.compile(r'([\w-]+)\s*=\s*"([^"]*)"|([\w-]+)\s*=\s*\'([^\']*)\'|([\w-]+)\s*=\s*([^\s\'"]+)')
_NAME = re.compile(r"\[([A-Za-z][\w-]*)(?=[\s\]/])")
# Shortcodes that are layout from page builders or plugins: their content is the text, kept.
_WRAPPERS = re.compile(r"^(?:vc_|et_pb_|fusion_|av_|su_|cs_|x_|tie_|bs_|mk_|tm_|dt_|ux_)|^(?:row|column|col|"
                       r"one_half|one_third|two_third|one_fourth|three_fourth|section|container|box|"
                       r"text|callout|highlight|dropcap|quote|blockquote|tab|tabs|accordion|toggle)", re.IGNORECASE)


@dataclass
class Shortcodes:
    """What shortcodes do to one post: images of its gallery, and the warnings."""

    gallery: list[str] = field(default_factory=list)     # image addresses for [gallery]
    warnings: list[str] = field(default_factory=list)


def strip_comments(text: str) -> str:
    """Gutenberg's block comments (<!-- wp:paragraph -->), <!--more--> and <!--nextpage-->."""
    return _COMMENTS.sub("", text)


def autop(text: str) -> str:
    """wpautop: blank lines separate paragraphs and a single line break is a <br>, except
    around and inside block elements, and inside <pre>. Block-editor content (which has its own
    <p> elements) is returned as it is, as WordPress does."""
    if "<!-- wp:" in text:
        return text
    kept: list[str] = []

    def keep(match: re.Match) -> str:
        kept.append(match.group(0))
        return f"\n\n<pre data-kept=\"{len(kept) - 1}\"></pre>\n\n"

    text = _PRE.sub(keep, text.replace("\r\n", "\n").replace("\r", "\n"))
    text = _BLOCK_OPEN.sub(r"\n\n\1", text)
    text = _BLOCK_CLOSE.sub(r"\1\n\n", text)
    out = []
    for chunk in re.split(r"\n\s*\n", text):
        chunk = chunk.strip()
        if not chunk:
            continue
        if _STARTS_BLOCK.match(chunk) or chunk.startswith("[caption") or re.match(r"^\[/?\w", chunk):
            out.append(chunk)
        else:
            out.append("<p>" + chunk.replace("\n", "<br>\n") + "</p>")
    text = "\n".join(out)
    return re.sub(r'<pre data-kept="(\d+)"></pre>', lambda m: kept[int(m.group(1))], text)


def _attributes(text: str) -> dict[str, str]:
    found = {}
    for match in _ATTR.finditer(text):
        if match.group(1):
            found[match.group(1).lower()] = match.group(2)
        elif match.group(3):
            found[match.group(3).lower()] = match.group(4)
        else:
            found[match.group(5).lower()] = match.group(6)
    return found


def _pattern(name: str) -> re.Pattern:
    n = re.escape(name)
    return re.compile(rf"\[{n}(?P<attrs>(?:\s[^\]]*)?)(?:/\]|\](?:(?P<inner>.*?)\[/{n}\])?)", re.DOTALL)


def run_shortcodes(text: str, children: list[str], attachments: dict[str, str], result: Shortcodes) -> str:
    """Replace WordPress shortcodes: [caption] becomes a figure, [gallery] the post's images,
    [embed]/[video]/[audio]/[youtube] a link, layout wrappers their content; any other is
    removed, with a warning naming it. `[[name]]` is WordPress's escape for a literal one.
    `children`: the addresses of the images attached to the post; `attachments`: every
    attachment's address by its id (for [gallery ids="…"])."""
    if "[" not in text:
        return text
    names = dict.fromkeys(m.group(1) for m in _NAME.finditer(text))
    for name in names:
        lower = name.lower()
        pattern = _pattern(name)
        if not pattern.search(text):
            continue

        def replace(match: re.Match, lower: str = lower, name: str = name) -> str:
            start = match.start()
            if start and match.string[start - 1: start] == "[":
                return match.group(0)     # [[name]] stays as written (WordPress's escape)
            attrs = _attributes(match.group("attrs") or "")
            inner = match.group("inner") or ""
            if lower in ("caption", "wp_caption"):
                return _caption(inner, attrs)
            if lower == "gallery":
                ids = attrs.get("ids", "")
                images = ([attachments[i.strip()] for i in ids.split(",") if i.strip() in attachments]
                          if ids else list(children))
                result.gallery.extend(images)
                return "".join(f'<p><img src="{html.escape(src)}" alt=""></p>' for src in images)
            if lower in ("embed", "video", "audio", "youtube", "vimeo", "soundcloud", "playlist"):
                url = (inner.strip() or attrs.get("src") or attrs.get("url") or attrs.get("mp4")
                       or attrs.get("mp3") or attrs.get("id", ""))
                if lower == "youtube" and url and not url.startswith("http"):
                    url = f"https://www.youtube.com/watch?v={url}"
                if url.startswith(("http://", "https://")):
                    result.warnings.append(f"[{name}] became a link to {url} (the site embeds no players)")
                    return f'<p><a href="{html.escape(url)}">{html.escape(url)}</a></p>'
                result.warnings.append(f"[{name}] was removed: no address in it")
                return ""
            if _WRAPPERS.match(lower):
                return inner
            result.warnings.append(f"shortcode [{name}] is not known and was removed"
                                   + (" (its text was kept)" if inner.strip() else ""))
            return inner

        text = pattern.sub(replace, text)
    return text.replace("[[", "[").replace("]]", "]") if "[[" in text else text


def _caption(inner: str, attrs: dict[str, str]) -> str:
    """[caption]<a><img></a> Text[/caption] -> <figure><img><figcaption>Text</figcaption></figure>."""
    match = re.search(r"(<a\b[^>]*>\s*)?<img\b[^>]*>(\s*</a>)?", inner, re.IGNORECASE | re.DOTALL)
    caption = attrs.get("caption", "")
    if match is None:
        return f"<p>{inner}</p>"
    if not caption:
        caption = inner[match.end():].strip()
    return f"<figure>{match.group(0)}<figcaption>{caption}</figcaption></figure>"
