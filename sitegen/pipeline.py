"""build(): the stages in order, each timed; nothing is written until all of them succeeded."""
from __future__ import annotations

import os
import time
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path

from .config import SiteConfig, load_config, parse_base_url
from .dates import Moment, from_epoch
from .errors import BuildError, Diagnostic, Report
from .load import CONTENT_DIR, discover, find_collisions, read_article
from .images import ImageInfo, inspect_images, render_variants
from .markdown import Links, derive_summary, first_image, make_markdown, render_markdown
from .models import Article, Page
from .feeds import build_feeds, feed_pages, robots_page, sitemap_pages
from .pages import PageBuilder
from .publish import schedule
from .render import Site, make_environment, render_pages
from .search import IndexReport, article_glob, build_index
from .taxonomy import build_taxonomy, check_menu_topics
from .write import check_output_dir, discard, fingerprint_assets, stage_output, swap_output


@dataclass(frozen=True)
class BuildOptions:
    """What the command line asked for."""

    root: Path
    output: Path
    strict: bool = False
    drafts: bool = False
    future: bool = False          # --future: articles dated later than now are published too (preview)
    search: bool = True
    base_url: str | None = None   # --base-url: overrides site.yaml, e.g. for a GitHub Pages sub-path


@dataclass
class BuildResult:
    """What a finished build did, for the summary line."""

    articles: int = 0
    pages: int = 0
    files: int = 0
    index: IndexReport | None = None
    held_drafts: int = 0
    held_future: int = 0
    archived: int = 0
    next_scheduled: Moment | None = None
    warnings: list[Diagnostic] = field(default_factory=list)
    timings: list[tuple[str, float]] = field(default_factory=list)


class _Stages:
    """Times each named stage, for the summary and -v."""

    def __init__(self, result: BuildResult):
        self.result = result

    def __call__(self, name: str):
        result = self.result

        class _Timer:
            def __enter__(self):
                self.start = time.perf_counter()

            def __exit__(self, *exc):
                result.timings.append((name, time.perf_counter() - self.start))

        return _Timer()


def build_time(config: SiteConfig) -> datetime:
    """Now, or SOURCE_DATE_EPOCH when set, so builds can be reproduced."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch.isdigit():
        return from_epoch(int(epoch), config.tz)
    return datetime.now(config.tz)


def load_site(options: BuildOptions, report: Report) -> tuple[SiteConfig, list[Article], list[str]]:
    """Load and validate config and every article, collecting problems in `report`.

    Only a broken site.yaml stops here: without it nothing else can be checked.
    """
    config, problems = load_config(options.root)
    if config is None:
        raise BuildError(problems)
    if options.base_url is not None:
        try:
            config = replace(config, base_url=parse_base_url(options.base_url))
        except ValueError as err:
            raise BuildError([Diagnostic("--base-url", "base_url", str(err))]) from None
    article_files, other_files, problems = discover(options.root)
    report.extend(problems)
    files = set(other_files)
    articles = []
    for rel in article_files:
        article, found = read_article(options.root, rel, config, files)
        report.extend(found)
        if article is not None:
            articles.append(article)
    return config, sorted(articles, key=lambda a: a.sort_key), other_files


def render_bodies(config: SiteConfig, articles: list[Article], files: list[str], images: dict[str, ImageInfo],
                  report: Report) -> list[Article]:
    """Markdown → HTML for every article; summaries derived where the editor gave none."""
    md = make_markdown(config.glossary)
    by_source = {a.source[len(CONTENT_DIR) + 1:]: a.route.url(config.base_path) for a in articles}
    file_set = frozenset(files)
    done = []
    for article in articles:
        rel = article.source[len(CONTENT_DIR) + 1:]
        links = Links(rel.rsplit("/", 1)[0] if "/" in rel else "", config.base_path, by_source, file_set, images)
        body = render_markdown(md, article.body, links)
        for kind, target in links.missing:
            if kind == "image":
                report.error(article.source, "body", f'image not found: "{target}"')
            else:
                report.warn(article.source, "body", f'link to a missing page or file: "{target}"')
        for target in links.no_alt:
            report.warn(article.source, "body", f'image "{target}" has no alternative text: describe it between '
                        "the brackets, ![like this](…)")
        done.append(replace(article, body=body, summary=article.summary or derive_summary(body),
                            first_image=first_image(body)))
    return done


def find_path_collisions(pages: list[Page], copies: dict[str, Path]) -> list[Diagnostic]:
    """Two pages (or a page and a copied file) that would write the same file: an error naming both."""
    owners: dict[str, str] = {}
    problems = []
    for rel, source in copies.items():
        owners[rel] = _shown(source)
    for page in pages:
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


def build(options: BuildOptions, write: bool = True) -> BuildResult:
    """Run every stage; write output/ only when all of them succeeded (never, with write=False)."""
    result = BuildResult()
    stage = _Stages(result)
    report = Report()
    with stage("load"):
        config, everything, files = load_site(options, report)
        if write:
            report.extend(check_output_dir(options.root, options.output))
        now = build_time(config)
        plan = schedule(everything, now, options.drafts, options.future)
        report.extend(find_collisions(plan.listed + plan.archived))
        result.held_drafts, result.held_future = plan.drafts, plan.future
        result.archived, result.next_scheduled = len(plan.archived), plan.next_time
    with stage("images"):
        images, problems = inspect_images(options.root, files, CONTENT_DIR)
        report.extend(problems)
    with stage("markdown"):
        articles = render_bodies(config, plan.listed, files, images, report)
        archived = render_bodies(config, plan.archived, files, images, report)
        report.raise_if_errors(options.strict)
    with stage("group"):
        taxonomy = build_taxonomy(config, articles, report)
        report.extend(check_menu_topics(config, taxonomy))
        assets, copies = fingerprint_assets(options.root)
        for rel in files:
            copies[rel] = options.root / CONTENT_DIR / rel
        site = Site(config, assets, now, images)
        feeds = build_feeds(site, articles, taxonomy)
        pages = PageBuilder(site, articles, taxonomy, feeds, archived).all_pages() + feed_pages(feeds)
        pages += sitemap_pages(pages) + [robots_page()]
        report.extend(find_path_collisions(pages, copies))
        report.raise_if_errors(options.strict)
    with stage("render"):
        output, problems = render_pages(make_environment(options.root, site), pages)
        report.extend(problems)
        report.raise_if_errors(options.strict)
    result.articles, result.pages = len(articles), len(pages)
    result.warnings = report.warnings
    if not write:
        return result
    with stage("images"):
        copies.update(render_variants(options.root, images, CONTENT_DIR))
    with stage("write"):
        staging = stage_output(options.output, output, copies)
        result.files = len(output) + len(copies)
    if options.search and articles:  # Pagefind refuses to build an empty index
        with stage("search"):
            try:
                result.index = build_index(staging, article_glob(config.permalink))
            except BaseException:
                discard(staging)
                raise
    swap_output(staging, options.output)
    return result
