"""Old addresses: a redirect page per `aliases:` entry, the nginx redirect map, and their checks."""
from __future__ import annotations

import re
from pathlib import Path
from typing import Iterable, Sequence

from .errors import Diagnostic
from .models import Article, Page
from .urls import Route, route

REDIRECT_TEMPLATE = "redirect.html"
MAP_TEMPLATE = "redirects.map"
MAP_FILE = "redirects.map"
# An alias gets a page only when a static host would serve that page as HTML: a folder ("/a/"),
# a name without an extension ("/a", served as "/a/"), or an .html-like name. Other old names
# ("chi-tiet.aspx", "tin.php") are redirected by nginx's map alone: written as files, GitHub
# and GitLab Pages would offer them as downloads.
_PAGE_SUFFIXES = (".html", ".htm", ".shtml", ".xhtml")
_MAP_LINE = re.compile(r'^"(?P<alias>[^"]*)" "(?P<target>[^"]*)"; # (?P<source>.*)$')


def alias_route(alias: str) -> Route | None:
    """The page an alias is served from, or None when only the redirect map can serve it."""
    path = alias.lstrip("/")
    name = path.rstrip("/").rpartition("/")[2]
    if path.endswith("/"):
        return route(path)
    if "." not in name:
        return route(path + "/")
    if name.lower().endswith(_PAGE_SUFFIXES):
        return route(path)
    return None


_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def target_key(path: str) -> str:
    """One key for the ways a site path can be asked for: "/a/", "/a", "a/index.html" are one.
    A–Z are lowered, as nginx's map compares them: "/Tin/1.html" and "/tin/1.html" are one
    address to it (and two in the map are an error that stops nginx)."""
    path = path.lstrip("/")
    if path.endswith("/index.html"):
        path = path[: -len("index.html")]
    elif path == "index.html":
        path = ""
    return path.rstrip("/").translate(_ASCII_LOWER)


def redirect_pages(articles: Iterable[Article]) -> list[Page]:
    """A redirect page for every alias that can have one, and the nginx map of all of them
    (written even when empty: the nginx configuration includes it)."""
    pages: list[Page] = []
    entries: dict[str, tuple[str, Article]] = {}
    for article in sorted(articles, key=lambda a: a.source):
        for alias in article.aliases:
            # the map holds each address once, as nginx compares them (see target_key): "/a/"
            # is also asked for as "/a"; a repeat is an error for nginx, even with one target
            for path in (alias, alias.rstrip("/")) if alias.endswith("/") else (alias,):
                entries.setdefault(path.translate(_ASCII_LOWER), (path, article))
            alias_page = alias_route(alias)
            if alias_page is not None:
                pages.append(Page(alias_page, REDIRECT_TEMPLATE, {"target": article, "alias": alias},
                                  article.source))
    lines = sorted(entries.values(), key=lambda entry: entry[0])
    pages.append(Page(route(MAP_FILE), MAP_TEMPLATE, {"redirects": lines}, "redirect map"))
    return pages


def is_redirect(page: Page) -> bool:
    """Whether `page` is one of redirect_pages()."""
    return page.template in (REDIRECT_TEMPLATE, MAP_TEMPLATE)


def find_alias_collisions(articles: Sequence[Article], pages: Sequence[Page], files: Iterable[str]) -> list[Diagnostic]:
    """An alias that is also a real page's address, a file's, or another alias: an error naming
    both files. (A redirect there would hide the page; two redirects cannot both win.)"""
    owners: dict[str, str] = {}
    for rel in files:
        owners[target_key(rel)] = f"the file content/{rel}"
    for page in pages:
        if not is_redirect(page):
            owners.setdefault(target_key(page.route.path), f"the address of {page.source}")
    problems = []
    claimed: dict[str, str] = {}
    for article in sorted(articles, key=lambda a: a.source):
        for alias in article.aliases:
            key = target_key(alias)
            if key in owners:
                owner = owners[key]
                if owner == f"the address of {article.source}":
                    owner = "this article's own address"
                problems.append(Diagnostic(article.source, "aliases", f'"{alias}" is {owner}; remove the alias'))
            elif key in claimed and claimed[key] != article.source:
                problems.append(Diagnostic(article.source, "aliases", f'"{alias}" is also an alias of '
                                           f"{claimed[key]} (nginx does not tell capitals from small letters); "
                                           "keep it in one article only"))
            else:
                claimed.setdefault(key, article.source)
    return problems


def nginx_string(text: str) -> str:
    """`text` as a double-quoted nginx string. Aliases never hold a quote, "$" or a backslash
    (frontmatter.parse_alias refuses them), and targets are the build's own ASCII addresses."""
    if any(char in text for char in '"$\\\n\r'):
        raise ValueError(f"cannot be written into the nginx map: {text!r}")
    return f'"{text}"'


def read_redirect_map(path: Path) -> dict[str, tuple[str, str]]:
    """The aliases a built site redirects: alias -> (target URL, article file). {} when none."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return {}
    found = {}
    for line in text.splitlines():
        match = _MAP_LINE.match(line)
        if match:
            found[match["alias"]] = (match["target"], match["source"])
    return found


def vanished_aliases(previous: dict[str, tuple[str, str]], articles: Iterable[Article]) -> list[Diagnostic]:
    """Old addresses the last build redirected that no published article claims now: links
    shared years ago that would land on the 404 page."""
    now = {key for article in articles for alias in article.aliases for key in (alias, alias.rstrip("/"))}
    problems = []
    for alias, (target, source) in sorted(previous.items()):
        if alias not in now:
            problems.append(Diagnostic(
                source, "aliases", f'the old address "{alias}" will no longer redirect: the last build sent it to '
                f"{target}, and no published article has it now; add it to the aliases of the article that "
                "replaces it, or build the site to accept that it leads nowhere", severity="warning"))
    return problems
