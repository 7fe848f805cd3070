"""Split a content file and parse its front matter, one parser per field."""
from __future__ import annotations

from dataclasses import dataclass
from difflib import get_close_matches
from typing import Any, Callable
from urllib.parse import unquote, urlsplit
from zoneinfo import ZoneInfo

from frontmatter.default_handlers import YAMLHandler

from .dates import Moment, parse_moment
from .errors import Diagnostic
from .text import CONTROL, clean, collapse, slugify
from .yamlload import YamlError, load_yaml

_HANDLER = YAMLHandler()
MAX_TOPICS = 50
MAX_ALIASES = 50
# Site paths an alias may not take: the build's own folders.
RESERVED_PREFIXES = ("/assets/", "/pagefind/", "/admin/")


@dataclass(frozen=True)
class FrontMatter:
    """The validated front matter of one article, separate from the derived Article."""

    title: str
    date: Moment
    level: str
    authors: tuple[str, ...] = ()
    unit: str = ""
    topics: tuple[str, ...] = ()
    summary: str = ""
    image: str = ""
    image_alt: str | None = None
    image_caption: str = ""
    slug: str = ""
    draft: bool = False
    updated: Moment | None = None
    expires: Moment | None = None
    origin: str = ""                    # `source:`: where an imported article came from
    aliases: tuple[str, ...] = ()       # old addresses (site paths) that redirect to the article


class FrontMatterError(ValueError):
    """The file cannot be split into front matter and body."""

    def __init__(self, field: str, message: str, line: int | None = None):
        super().__init__(message)
        self.field, self.line = field, line


def split(text: str) -> tuple[dict, str, int]:
    """Return (raw front matter, body, line number where the body starts)."""
    first = text.split("\n", 1)[0].strip()
    if not _HANDLER.FM_BOUNDARY.match(first):
        raise FrontMatterError("front matter", 'missing: the file must start with a line "---", '
                               "then title, date and level, then another \"---\"", 1)
    try:
        _, raw, body = _HANDLER.FM_BOUNDARY.split(text, 2)
    except ValueError:
        raise FrontMatterError("front matter", 'not closed: add a line "---" after the last field', 1) from None
    try:
        data = load_yaml(raw)
    except YamlError as err:
        # `raw` starts with the newline that ends the opening "---", so YAML's
        # line numbers are already the file's.
        raise FrontMatterError("front matter", str(err), err.line) from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise FrontMatterError("front matter", "expected fields like \"title: …\", one per line", 2)
    body_line = raw.count("\n") + 2
    return data, body, body_line


# --- one parser per field. Each takes the raw YAML value (and context) and
# returns the typed value or raises ValueError with a message for editors.

def _kind(value: Any) -> str:
    names = {list: "a list", dict: "a mapping", bool: "true/false", int: "a number", float: "a number"}
    return names.get(type(value), type(value).__name__)


def parse_text(value: Any) -> str:
    """One line of text: NFC, Ð fixed, whitespace collapsed."""
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise ValueError(f"expected text, got {_kind(value)}")
    return collapse(clean(str(value)))


def parse_required_text(value: Any) -> str:
    """Text that must not be empty."""
    text = parse_text(value)
    if not text:
        raise ValueError("must not be empty")
    return text


def parse_names(value: Any) -> tuple[str, ...]:
    """A name or a list of names (authors)."""
    items = value if isinstance(value, list) else [value]
    names = [parse_text(item) for item in items if item is not None]
    return tuple(dict.fromkeys(n for n in names if n))


def parse_topics(value: Any) -> tuple[str, ...]:
    """A list of topics, or one comma-separated string; duplicates removed."""
    items = value.split(",") if isinstance(value, str) else value
    if not isinstance(items, list):
        raise ValueError(f'expected a list like ["Thi đua", "Nữ công"] or "Thi đua, Nữ công", got {_kind(value)}')
    topics: dict[str, str] = {}
    for item in items:
        topic = parse_text(item) if item is not None else ""
        if topic:
            topics.setdefault(topic.casefold(), topic)
    if len(topics) > MAX_TOPICS:
        raise ValueError(f"{len(topics)} topics; at most {MAX_TOPICS} are allowed")
    return tuple(topics.values())


def parse_slug(value: Any) -> str:
    """An explicit slug: already ASCII lowercase with hyphens."""
    text = parse_text(value)
    if not text or slugify(text) != text:
        raise ValueError(f'expected lowercase ASCII letters, digits and hyphens like "hoi-nghi-2019", got "{text}"')
    return text


def parse_bool(value: Any) -> bool:
    """true or false."""
    if not isinstance(value, bool):
        raise ValueError(f"expected true or false, got {value!r}")
    return value


def parse_image(value: Any) -> str:
    """A path relative to the article, or from content/ when it starts with "/"."""
    text = parse_text(value)
    if "\\" in text or any(part == ".." for part in text.split("/")):
        raise ValueError(f'expected a path inside content/ without ".." or "\\", got "{text}"')
    if ":" in text.split("/")[0] and not text.startswith("https://"):
        raise ValueError(f'expected a path like "anh/hoi-nghi.jpg" or an https:// URL, got "{text}"')
    return text


def parse_alias(value: Any) -> str:
    """One old address of the article: a site path ("/tin-tuc/123.html", "/2019/12/25/bai-cu/"),
    or a full http(s) URL whose path is taken. Stored percent-decoded, as nginx's $uri is."""
    text = parse_text(value)
    if text.startswith(("http://", "https://")):
        parts = urlsplit(text)
        if parts.query:
            raise ValueError(f'"{text}" has a query string ("?…"): a static site can only redirect paths')
        text = parts.path or "/"
    if not text.startswith("/"):
        raise ValueError(f'expected a path starting with "/" like "/tin-tuc/bai-cu.html", got "{text}"')
    if "?" in text or "#" in text:
        raise ValueError(f'"{text}" has a query string or a fragment ("?", "#"): a static site can only '
                         "redirect paths")
    decoded = unquote(text)
    parts = decoded.split("/")
    if any(c in decoded for c in '\\"$') or any(p in (".", "..") for p in parts) or CONTROL.search(decoded):
        raise ValueError(f'expected a plain path without "..", "\\", quotes, "$" or control characters, got "{text}"')
    inner = "/".join(p for p in clean(decoded).split("/") if p)
    path = "/" + inner + ("/" if inner and decoded.endswith("/") else "")
    if not inner:
        raise ValueError('"/" is the home page; an alias must be an old article\'s address')
    if path.startswith(RESERVED_PREFIXES) or path + "/" in RESERVED_PREFIXES:
        raise ValueError(f'"{path}" is inside a folder the build writes ({", ".join(RESERVED_PREFIXES)})')
    return path


def parse_aliases(value: Any) -> tuple[str, ...]:
    """A list of old addresses, or one address; duplicates removed."""
    items = value if isinstance(value, list) else [value]
    if not isinstance(value, (list, str)):
        raise ValueError(f'expected a list of paths like ["/tin-tuc/bai-cu.html"], got {_kind(value)}')
    aliases = tuple(dict.fromkeys(parse_alias(item) for item in items if item is not None))
    if len(aliases) > MAX_ALIASES:
        raise ValueError(f"{len(aliases)} aliases; at most {MAX_ALIASES} are allowed")
    return aliases


FIELDS: dict[str, Callable[[Any], Any]] = {
    "title": parse_required_text,
    "level": parse_required_text,
    "author": parse_names,
    "unit": parse_text,
    "topics": parse_topics,
    "summary": parse_text,
    "image": parse_image,
    "image_alt": parse_text,
    "image_caption": parse_text,
    "slug": parse_slug,
    "draft": parse_bool,
    "source": parse_text,
    "aliases": parse_aliases,
}
REQUIRED = ("title", "date", "level")
DATE_FIELDS = ("date", "updated", "expires")
KNOWN = set(FIELDS) | set(DATE_FIELDS)


def parse_front_matter(data: dict, path: str, levels: tuple[str, ...], tz: ZoneInfo,
                       ) -> tuple[FrontMatter | None, list[Diagnostic]]:
    """Validate raw front matter. Return the typed value or None, and diagnostics."""
    problems: list[Diagnostic] = []
    values: dict[str, Any] = {}
    for key in REQUIRED:
        if data.get(key) is None:
            problems.append(Diagnostic(path, key, "is required"))
    for key, raw in data.items():
        key_text = str(key)
        if key_text not in KNOWN:
            close = get_close_matches(key_text, sorted(KNOWN), n=1, cutoff=0.6)
            hint = f' (did you mean "{close[0]}"?)' if close else ""
            problems.append(Diagnostic(path, key_text, f"unknown key{hint}", severity="warning"))
            continue
        if raw is None:
            continue
        try:
            if key_text in DATE_FIELDS:
                values[key_text] = parse_moment(raw, tz)
            else:
                values[key_text] = FIELDS[key_text](raw)
        except ValueError as err:
            problems.append(Diagnostic(path, key_text, str(err)))
    level = values.get("level")
    if level is not None and level not in levels:
        close = get_close_matches(level, levels, n=1)
        hint = f'did you mean "{close[0]}"? ' if close else ""
        problems.append(Diagnostic(path, "level", f'unknown level "{level}"; {hint}expected one of: {", ".join(levels)}'))
    if any(p.severity == "error" for p in problems):
        return None, problems
    if "author" in values:
        values["authors"] = values.pop("author")
    if "source" in values:
        values["origin"] = values.pop("source")
    fm = FrontMatter(**values)
    if fm.updated and fm.updated.value < fm.date.value:
        problems.append(Diagnostic(path, "updated", f"is before date ({fm.updated.iso()} < {fm.date.iso()})",
                                   severity="warning"))
    if fm.expires and fm.expires.value <= fm.date.value:
        problems.append(Diagnostic(path, "expires", f"is not after date ({fm.expires.iso()} <= {fm.date.iso()})"))
    return fm, problems
