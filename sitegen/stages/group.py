"""Group stage: the taxonomy, the feeds, the assets, and every page and copied file of the site."""
from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path

from ..admin import LOCAL_ONLY, admin_files, admin_pages
from ..cache import BuildCache, Related
from ..config import SiteConfig
from ..errors import Diagnostic, Report
from ..feeds import build_feeds, feed_pages, robots_page, sitemap_pages
from ..images import RASTER, ImageInfo, is_image, referenced
from ..load import CONTENT_DIR
from ..options import BuildOptions
from ..models import Article, Page
from ..pages import PageBuilder
from ..redirects import MAP_FILE, find_alias_collisions, is_redirect, read_redirect_map, vanished_aliases
from ..render import Site
from ..taxonomy import Taxonomy, build_taxonomy, check_menu_topics
from ..write import fingerprint_assets


@dataclass(frozen=True)
class Grouped:
    """Every page of the site and every file copied as it is, with what they were made from."""

    site: Site
    taxonomy: Taxonomy
    builder: PageBuilder
    feeds: object
    pages: list[Page]
    copies: dict[str, Path]      # output path → source file (assets, content files, the editor's)
    photos: frozenset[str]       # the photos the site uses (their renditions: the photos stage)
    related: Related             # for the cache: found again only when topics, units or dates change


def group(options: BuildOptions, config: SiteConfig, articles: list[Article], archived: list[Article],
          files: list[str], images: dict[str, ImageInfo], linked: frozenset[str], now, cache: BuildCache,
          report: Report, write: bool) -> Grouped:
    """Group the articles into listings and make every page; problems go to `report`.

    `linked` are the files of content/ the bodies lead to: an image is published only when it is
    used (there, as a lead image, or named in a template or site.yaml)."""
    taxonomy = build_taxonomy(config, articles, report)
    report.extend(check_menu_topics(config, taxonomy))
    assets, copies = fingerprint_assets(options.root)
    used = used_images(options.root, files, linked, articles + archived)
    broken = {rel: record.problem for rel, record in cache.images.items() if record.problem is not None}
    for rel in files:
        if is_image(rel) and rel not in used:
            if not write:       # `check`: said, but it stops nothing
                problem = broken.get(rel)
                report.warn(*((problem.path, problem.field, problem.message + " (it is not used, so not published)")
                              if problem else
                              (f"{CONTENT_DIR}/{rel}", "image", "is not used by any article published now, template "
                               "or site.yaml, so it is not published (a draft's or a scheduled article's images "
                               "are published with it); delete it if it is not needed")))
        elif rel in broken:
            report.extend([broken[rel]])
        elif os.path.splitext(rel)[1].lower() not in RASTER:     # photos: their renditions instead
            copies[rel] = options.root / CONTENT_DIR / rel
    site = Site(config, assets, now, images)
    feeds = build_feeds(site, articles, taxonomy)
    builder = PageBuilder(site, articles, taxonomy, feeds, archived, cache.related)
    pages = builder.all_pages() + feed_pages(feeds)
    if config.admin is not None or options.admin_local is not None:
        editor_files, why = admin_files(options.root)
        if editor_files:
            copies.update(editor_files)
            pages += admin_pages(replace(config, admin=config.admin or LOCAL_ONLY),
                                 [t.name for t in taxonomy.units], [t.name for t in taxonomy.authors],
                                 [t.name for t in taxonomy.topics], options.admin_local,
                                 config.base_path + assets[config.organisation.logo]
                                 if config.organisation.logo in assets else "")
        else:
            report.warn("site.yaml", "admin", why)
    pages += sitemap_pages(pages) + [robots_page()]
    report.extend(find_path_collisions(pages, copies))
    report.extend(find_alias_collisions(articles + archived, pages, files))
    if not write:
        # what `check` can tell before anything is published: old addresses that the live site
        # redirects and the next build would not (their article was removed)
        report.extend(vanished_aliases(read_redirect_map(options.output.resolve() / MAP_FILE), articles + archived))
    return Grouped(site, taxonomy, builder, feeds, pages, copies, frozenset(r for r in used if r in images),
                   builder.related)


def used_images(root: Path, files: list[str], linked: frozenset[str], articles: list[Article]) -> set[str]:
    """The images of content/ the site uses: see images.referenced. The templates and site.yaml
    are read for image paths written in them (a banner on the home page, a share image)."""
    texts = []
    for path in sorted((root / "templates").rglob("*")) + [root / "site.yaml"]:
        if path.is_file():
            texts.append(path.read_text(encoding="utf-8", errors="replace"))
    leads = {a.image.url for a in articles if a.image is not None}
    return referenced(files, linked, leads, texts)


def find_path_collisions(pages: list[Page], copies: dict[str, Path]) -> list[Diagnostic]:
    """Two pages (or a page and a copied file) that would write the same file: an error naming both."""
    owners: dict[str, str] = {}
    problems = []
    for rel, source in copies.items():
        owners[rel] = _shown(source)
    for page in pages:
        if is_redirect(page):
            continue            # find_alias_collisions words these for the article's aliases
        target = str(page.route.file)
        if target in owners:
            problems.append(Diagnostic(page.source, "output", f'"{target}" is also written by {owners[target]}'))
        else:
            owners[target] = page.source
    return problems


def _shown(source: Path) -> str:
    parts = source.parts
    for anchor in (CONTENT_DIR, "assets"):
        if anchor in parts:
            return "/".join(parts[len(parts) - parts[::-1].index(anchor) - 1:])
    return str(source)
