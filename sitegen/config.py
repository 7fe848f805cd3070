"""Load site.yaml into a frozen, typed SiteConfig; every error is collected."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Callable
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .errors import Diagnostic
from .text import clean, slugify
from .yamlload import YamlError, load_yaml

CONFIG_FILE = "site.yaml"
PERMALINK_FIELDS = {"year", "month", "day", "slug"}


@dataclass(frozen=True)
class Level:
    """A union level (cấp công đoàn), in hierarchy order."""

    key: str
    name: str
    description: str = ""


@dataclass(frozen=True)
class MenuItem:
    """One entry of the navigation menu: a union level, a topic, or a title and a URL."""

    title: str = ""
    url: str = ""
    level: str = ""
    topic: str = ""


@dataclass(frozen=True)
class Organisation:
    """The union body that publishes the portal, shown in the footer."""

    name: str
    address: str = ""
    phone: str = ""
    email: str = ""
    logo: str = ""


@dataclass(frozen=True)
class AdminConfig:
    """`admin:` in site.yaml: the web editor at /admin/ (Decap CMS) and the git host it saves to."""

    backend: str                 # gitlab, gitea, forgejo or github
    repo: str                    # "owner/name" on the git host
    branch: str = "main"
    base_url: str = ""           # the git host (gitlab, gitea, forgejo), or the OAuth proxy (github)
    api_root: str = ""           # the host's API, when not the usual place under base_url
    app_id: str = ""             # the OAuth application's id (PKCE: no secret in the page)
    auth_endpoint: str = ""      # github: the OAuth proxy's path ("auth" by default)
    review: bool = True          # articles go draft -> in review -> ready -> published (Decap's editorial workflow)


ADMIN_BACKENDS = {
    # backend: (default base_url, API under base_url, review workflow in Decap CMS)
    "gitlab": ("https://gitlab.com", "/api/v4", True),
    "gitea": ("", "/api/v1", False),
    "forgejo": ("", "/api/v1", True),
    "github": ("", "", True),
}


@dataclass(frozen=True)
class SiteConfig:
    """Everything site.yaml says, validated. Build it with `load_config`."""

    title: str
    description: str
    base_url: str
    organisation: Organisation
    levels: tuple[Level, ...]
    language: str = "vi"
    timezone: str = "Asia/Ho_Chi_Minh"
    permalink: str = "{year}/{month}/{slug}/"
    slug_source: str = "title"   # "title" or "file": what a slug is made from when none is given
    home_size: int = 10
    page_size: int = 20
    menu: tuple[MenuItem, ...] = ()
    topic_aliases: dict = field(default_factory=dict)
    glossary: dict = field(default_factory=dict)   # abbreviation -> full form, for <abbr> and search
    feed_entries: int = 20          # latest articles in each Atom feed
    feed_content: str = "full"      # "full" (the article) or "summary" in feed entries
    share_image: str = ""           # file in assets/ shown when a page without an image is shared
    level_block_size: int = 5
    home_topics: int = 12
    admin: AdminConfig | None = None   # the web editor; None: no /admin/
    search_shard_size: int = 1000   # search.shard_size: at most this many articles in one search shard
    extra: dict = field(default_factory=dict)

    @property
    def tz(self) -> ZoneInfo:
        """The portal's time zone: dates without an offset are read in it."""
        return ZoneInfo(self.timezone)

    @cached_property
    def base_path(self) -> str:
        """The path part of base_url, always ending with "/": "/" or "/portal/"."""
        return urlsplit(self.base_url).path or "/"

    def level(self, key: str) -> Level:
        """The level with this key (the key must exist)."""
        return next(lv for lv in self.levels if lv.key == key)


class _Fields:
    """Reads one mapping's fields, recording errors as `site.yaml: a.b: message`."""

    def __init__(self, data: dict, prefix: str, errors: list[Diagnostic], path: str):
        self.data, self.prefix, self.errors, self.path = data, prefix, errors, path
        self.seen: set[str] = set()

    def error(self, name: str, message: str) -> None:
        self.errors.append(Diagnostic(self.path, self.prefix + name, message))

    def get(self, name: str, parse: Callable[[Any], Any], default: Any = ..., required: bool = False) -> Any:
        self.seen.add(name)
        if name not in self.data or self.data[name] is None:
            if required or default is ...:
                self.error(name, "is required")
            return None if default is ... else default
        try:
            return parse(self.data[name])
        except ValueError as err:
            self.error(name, str(err))
            return None if default is ... else default

    def reject_unknown(self) -> None:
        from difflib import get_close_matches

        for key in self.data:
            if key not in self.seen:
                close = get_close_matches(str(key), sorted(self.seen), n=1)
                hint = f' (did you mean "{close[0]}"?)' if close else ""
                self.error(str(key), f"unknown key{hint}")


def _text(value: Any) -> str:
    if not isinstance(value, (str, int, float)) or isinstance(value, bool):
        raise ValueError(f"expected text, got {type(value).__name__}")
    return clean(str(value)).strip()


def _nonempty(value: Any) -> str:
    text = _text(value)
    if not text:
        raise ValueError("must not be empty")
    return text


def _positive(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 1000:
        raise ValueError(f"expected a whole number from 1 to 1000, got {value!r}")
    return value


def _base_url(value: Any) -> str:
    text = _nonempty(value)
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f'expected an absolute URL like "https://congdoan.example.vn/", got "{text}"')
    return text if text.endswith("/") else text + "/"


def _timezone(value: Any) -> str:
    text = _nonempty(value)
    try:
        ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f'unknown time zone "{text}" (expected a name like "Asia/Ho_Chi_Minh")') from None
    return text


def _permalink(value: Any) -> str:
    text = _nonempty(value).strip("/") + "/"
    names = set(re.findall(r"{(\w+)}", text))
    if "slug" not in names:
        raise ValueError('must contain "{slug}", e.g. "{year}/{month}/{slug}/"')
    if names - PERMALINK_FIELDS:
        raise ValueError(f"unknown placeholder {{{sorted(names - PERMALINK_FIELDS)[0]}}}; use year, month, day, slug")
    if ".." in text or "\\" in text:
        raise ValueError("must not contain .. or \\")
    return text


def _feed_content(value: Any) -> str:
    text = _nonempty(value)
    if text not in ("full", "summary"):
        raise ValueError(f'expected "full" or "summary", got "{text}"')
    return text


def parse_base_url(value: Any) -> str:
    """An absolute http(s) URL ending in "/" (site.yaml's base_url, or --base-url)."""
    return _base_url(value)


def _slug_source(value: Any) -> str:
    text = _nonempty(value)
    if text not in ("title", "file"):
        raise ValueError(f'expected "title" or "file", got "{text}"')
    return text


def _mapping(value: Any, what: str) -> dict:
    if not isinstance(value, dict):
        raise ValueError(f"expected {what}, got {type(value).__name__}")
    return value


def load_config(root: Path) -> tuple[SiteConfig | None, list[Diagnostic]]:
    """Read `root/site.yaml`. Return the config, or None and every error found."""
    path = root / CONFIG_FILE
    errors: list[Diagnostic] = []
    try:
        data = load_yaml(path.read_bytes())
    except FileNotFoundError:
        return None, [Diagnostic(CONFIG_FILE, "file", "not found: a site needs a site.yaml beside content/")]
    except YamlError as err:
        return None, [Diagnostic(CONFIG_FILE, "yaml", str(err), err.line)]
    if not isinstance(data, dict):
        return None, [Diagnostic(CONFIG_FILE, "file", "expected a mapping of settings (key: value)")]
    top = _Fields(data, "", errors, CONFIG_FILE)
    values = dict(
        title=top.get("title", _nonempty, required=True),
        description=top.get("description", _text, ""),
        base_url=top.get("base_url", _base_url, required=True),
        language=top.get("language", _nonempty, "vi"),
        timezone=top.get("timezone", _timezone, "Asia/Ho_Chi_Minh"),
        permalink=top.get("permalink", _permalink, "{year}/{month}/{slug}/"),
        slug_source=top.get("slug_source", _slug_source, "title"),
        organisation=_organisation(top.get("organisation", lambda v: _mapping(v, "a mapping"), {}), errors),
        levels=_levels(top.get("levels", lambda v: v, required=True), errors),
        topic_aliases=top.get("topic_aliases", _aliases, {}),
        glossary=top.get("glossary", _glossary, {}),
        extra=top.get("extra", lambda v: _mapping(v, "a mapping"), {}),
    )
    values["menu"] = _menu(top.get("menu", lambda v: v, []), errors,
                           {lv.key for lv in values["levels"]})
    sizes = top.get("pagination", lambda v: _mapping(v, "a mapping"), {})
    page = _Fields(sizes, "pagination.", errors, CONFIG_FILE)
    values["home_size"] = page.get("home", _positive, 10)
    values["page_size"] = page.get("listing", _positive, 20)
    values["level_block_size"] = page.get("level_block", _positive, 5)
    values["home_topics"] = page.get("home_topics", _positive, 12)
    page.reject_unknown()
    feeds = _Fields(top.get("feeds", lambda v: _mapping(v, "a mapping"), {}), "feeds.", errors, CONFIG_FILE)
    values["feed_entries"] = feeds.get("entries", _positive, 20)
    values["feed_content"] = feeds.get("content", _feed_content, "full")
    feeds.reject_unknown()
    values["share_image"] = top.get("share_image", _text, "")
    search = _Fields(top.get("search", lambda v: _mapping(v, "a mapping"), {}), "search.", errors, CONFIG_FILE)
    values["search_shard_size"] = search.get("shard_size", _shard_size, 1000)
    search.reject_unknown()
    values["admin"] = _admin(top.get("admin", lambda v: v, None), errors)
    top.reject_unknown()
    if errors:
        return None, errors
    return SiteConfig(**values), []


def _shard_size(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 10 <= value <= 50000:
        raise ValueError(f"expected a whole number of articles from 10 to 50000, got {value!r}")
    return value


def _bool(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"expected true or false, got {value!r}")
    return value


def _admin(value: Any, errors: list[Diagnostic]) -> AdminConfig | None:
    """`admin:`: false or absent for no web editor; else the git host it saves to."""
    if value is None or value is False:
        return None
    if not isinstance(value, dict):
        errors.append(Diagnostic(CONFIG_FILE, "admin", "expected a mapping with backend, repo, branch… (or false)"))
        return None
    fields = _Fields(value, "admin.", errors, CONFIG_FILE)
    backend = fields.get("backend", _nonempty, required=True)
    repo = fields.get("repo", _nonempty, required=True)
    values = dict(branch=fields.get("branch", _nonempty, "main"), base_url=fields.get("base_url", _url_or_empty, ""),
                  api_root=fields.get("api_root", _url_or_empty, ""), app_id=fields.get("app_id", _text, ""),
                  auth_endpoint=fields.get("auth_endpoint", _text, ""), review=fields.get("review", _bool, True))
    fields.reject_unknown()
    if backend is None or repo is None:
        return None
    if backend not in ADMIN_BACKENDS:
        fields.error("backend", f'unknown backend "{backend}"; expected one of: {", ".join(ADMIN_BACKENDS)}')
        return None
    if not re.fullmatch(r"[\w.-]+(/[\w.-]+)+", repo):
        fields.error("repo", f'expected "owner/name" of the repository on the git host, got "{repo}"')
    default_base, _, workflow = ADMIN_BACKENDS[backend]
    if not values["base_url"] and not default_base:
        fields.error("base_url", f"is required with backend {backend}: "
                     + ("the address of the OAuth proxy that logs editors in to GitHub" if backend == "github"
                        else f"the address of the {backend.capitalize()} server, e.g. https://git.example.vn"))
    if backend in ("gitlab", "gitea", "forgejo") and not values["app_id"]:
        fields.error("app_id", f"is required with backend {backend}: the Application ID of the OAuth application "
                     "made for the web editor (deploy/README.md)")
    if values["review"] and not workflow:
        fields.error("review", f"Decap CMS has no review workflow with {backend}; use forgejo, gitlab or github, "
                     "or set review: false")
    return AdminConfig(backend, repo, **values)


def _url_or_empty(value: Any) -> str:
    text = _text(value)
    if text and urlsplit(text).scheme not in ("http", "https"):
        raise ValueError(f'expected an address like "https://git.example.vn", got "{text}"')
    return text.rstrip("/")


def _organisation(data: dict, errors: list[Diagnostic]) -> Organisation | None:
    fields = _Fields(data, "organisation.", errors, CONFIG_FILE)
    org = Organisation(
        name=fields.get("name", _nonempty, required=True),
        address=fields.get("address", _text, ""),
        phone=fields.get("phone", _text, ""),
        email=fields.get("email", _text, ""),
        logo=fields.get("logo", _text, ""),
    )
    fields.reject_unknown()
    return org


def _levels(value: Any, errors: list[Diagnostic]) -> tuple[Level, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not value:
        errors.append(Diagnostic(CONFIG_FILE, "levels", "expected a list of levels, each with key and name"))
        return ()
    levels, keys = [], set()
    for i, item in enumerate(value):
        if not isinstance(item, dict):
            errors.append(Diagnostic(CONFIG_FILE, f"levels[{i}]", "expected a mapping with key, name, description"))
            continue
        fields = _Fields(item, f"levels[{i}].", errors, CONFIG_FILE)
        key = fields.get("key", _nonempty, required=True)
        name = fields.get("name", _nonempty, required=True)
        description = fields.get("description", _text, "")
        fields.reject_unknown()
        if key is not None and slugify(key) != key:
            fields.error("key", f'must be an ASCII slug like "cap-tren-co-so", got "{key}"')
        elif key in keys:
            fields.error("key", f'"{key}" is used by two levels')
        keys.add(key)
        levels.append(Level(key, name, description))
    return tuple(levels)


def _aliases(value: Any) -> dict[str, str]:
    mapping = _mapping(value, 'a mapping of "alias: topic"')
    return {_nonempty(k): _nonempty(v) for k, v in mapping.items()}


def _glossary(value: Any) -> dict[str, str]:
    mapping = _mapping(value, 'a mapping of "ABBREVIATION: full form"')
    glossary = {}
    for key, full in mapping.items():
        abbr = _nonempty(key)
        if " " in abbr:
            raise ValueError(f'"{abbr}": an abbreviation is one word, without spaces')
        glossary[abbr] = _nonempty(full)
    return glossary


def _menu(value: Any, errors: list[Diagnostic], levels: set[str]) -> tuple[MenuItem, ...]:
    """Menu entries: `{level: tinh}`, `{topic: Thi đua}` or `{title: …, url: …}`."""
    if not isinstance(value, list):
        errors.append(Diagnostic(CONFIG_FILE, "menu", "expected a list of {level}, {topic} or {title, url}"))
        return ()
    items = []
    for i, item in enumerate(value):
        fields = _Fields(item if isinstance(item, dict) else {}, f"menu[{i}].", errors, CONFIG_FILE)
        entry = MenuItem(title=fields.get("title", _nonempty, ""), url=fields.get("url", _nonempty, ""),
                         level=fields.get("level", _nonempty, ""), topic=fields.get("topic", _nonempty, ""))
        fields.reject_unknown()
        kinds = [k for k in ("url", "level", "topic") if getattr(entry, k)]
        if len(kinds) != 1:
            errors.append(Diagnostic(CONFIG_FILE, f"menu[{i}]", "expected exactly one of url, level or topic"))
        elif entry.url and not entry.title:
            fields.error("title", "is required with url")
        elif entry.level and entry.level not in levels:
            fields.error("level", f'unknown level "{entry.level}"; expected one of: {", ".join(sorted(levels))}')
        else:
            items.append(entry)
    return tuple(items)
