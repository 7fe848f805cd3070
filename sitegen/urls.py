"""One function gives both the URL and the output file of every page."""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import PurePosixPath


@dataclass(frozen=True, order=True)
class Route:
    """Where a page lives: `path` is site-relative ("2019/12/hoi-nghi/", "feed.xml", "")."""

    path: str

    def url(self, base_path: str) -> str:
        """The root-relative URL, under the site's base path: "/portal/2019/12/hoi-nghi/"."""
        return base_path + self.path

    def absolute(self, base_url: str) -> str:
        """The absolute URL, for feeds, sitemaps and canonical links."""
        return base_url + self.path

    @cached_property
    def file(self) -> str:
        """The output file, relative to output/ ("2019/12/hoi-nghi/index.html"): pretty URLs end
        in index.html. Plain string work: it is asked for every page, several times a build."""
        if self.path == "" or self.path.endswith("/"):
            return self.path + "index.html"
        return self.path


def route(path: str) -> Route:
    """Make a Route, refusing paths that could escape the output directory."""
    parts = path.split("/")
    if path.startswith("/") or "\\" in path or any(p in (".", "..") for p in parts):
        raise ValueError(f"unsafe output path {path!r}")
    return Route(path)


def article_route(permalink: str, slug: str, year: int, month: int, day: int) -> Route:
    """The route of an article from the site's permalink pattern."""
    return route(permalink.format(year=f"{year:04d}", month=f"{month:02d}", day=f"{day:02d}", slug=slug))


def content_url(source_dir: str, target: str) -> str:
    """Resolve `target` (as written in an article in `source_dir`) to a content-relative path.

    "anh/x.jpg" in "2019/12" → "2019/12/anh/x.jpg"; "/tep/x.pdf" → "tep/x.pdf".
    Returns "" when the path climbs out of content/.
    """
    base = PurePosixPath("/") if target.startswith("/") else PurePosixPath("/", source_dir)
    parts: list[str] = []
    for part in (base / target.lstrip("/")).parts[1:]:
        if part == "..":
            if not parts:
                return ""
            parts.pop()
        elif part not in ("", "."):
            parts.append(part)
    return "/".join(parts)
