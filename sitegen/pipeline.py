"""build(): the stages in order, each timed; nothing is written until all of them succeeded."""
from __future__ import annotations

import hashlib
import os
import shutil
import time
from fnmatch import fnmatch

import jinja2
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path

from .cache import BuildCache, input_fingerprint, load_cache, read_inputs, save_cache, stat_key, write_inputs
from .config import SiteConfig, load_config, parse_base_url
from .fingerprint import Fingerprints, template_keys
from .dates import Moment, from_epoch
from .errors import BuildError, Diagnostic, Report
from .load import CONTENT_DIR, discover, find_collisions, read_article
from .images import ImageInfo, inspect_images, render_variants
from .markdown import Links, derive_summary, first_image, make_markdown, render_markdown
from .models import Article, Page
from .feeds import build_feeds, feed_pages, robots_page, sitemap_pages
from .pages import PageBuilder
from .parallel import map_chunks
from .progress import SILENT, Progress
from .publish import schedule
from .render import TEMPLATES_DIR, Site, make_environment, render_pages
from .search import IndexReport, article_glob, build_index
from .taxonomy import build_taxonomy, check_menu_topics
from .write import (check_output_dir, commit_changes, discard, fingerprint_assets, plan_writes, stage_output,
                    swap_output, sync_folder)


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
    rendered: int = 0      # pages rendered (the others had the same fingerprint as last time)
    written: int = 0       # files written or copied (the others were already there, byte for byte)
    deleted: int = 0       # files removed because nothing produces them any more
    pages_unchanged: bool = False   # nothing changed since the last build: nothing was done
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


def load_site(options: BuildOptions, report: Report, cache: BuildCache | None = None,
              ) -> tuple[SiteConfig, list[Article], list[str]]:
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
    cache = cache if cache is not None else BuildCache()
    # what an article's parse depends on besides its own bytes: these settings, and which
    # other files exist (its image must)
    context = _digest(repr((config.levels, config.timezone, config.permalink, config.slug_source,
                            sorted(other_files))))
    keys = {}
    for rel in article_files:
        try:
            keys[rel] = (stat_key(options.root / CONTENT_DIR / rel), context)
        except OSError:
            keys[rel] = None
    todo = [rel for rel in article_files
            if keys[rel] is None or rel not in cache.articles or cache.articles[rel][0] != keys[rel]]
    fresh = dict(zip(todo, map_chunks(lambda start, end: [read_article(options.root, rel, config, files)
                                                          for rel in todo[start:end]], len(todo))))
    articles, parsed = [], {}
    for rel in article_files:
        article, found = fresh[rel] if rel in fresh else cache.articles[rel][1:]
        parsed[rel] = (keys[rel], article, found)
        report.extend(found)
        if article is not None:
            articles.append(article)
    cache.articles = parsed
    return config, sorted(articles, key=lambda a: a.sort_key), other_files


def _digest(text: str | bytes) -> str:
    data = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def render_bodies(config: SiteConfig, articles: list[Article], files: list[str], images: dict[str, ImageInfo],
                  report: Report, link_map: dict[str, str], cache: BuildCache | None = None,
                  fresh: dict | None = None, tick=lambda: None) -> list[Article]:
    """Markdown → HTML for every article; summaries derived where the editor gave none.

    A body is rendered again only when its Markdown, the settings that shape it, or (for a body
    with links or images) what its links can point to changed; otherwise the cached HTML is used.
    """
    file_set = frozenset(files)
    setting = repr((config.glossary, config.base_path))
    targets = _digest(repr((sorted(link_map.items()), sorted(files),
                            sorted((k, v.width, v.height, v.digest) for k, v in images.items()))))
    previous = cache.bodies if cache is not None else {}
    jobs = []
    for article in articles:
        rel = article.source[len(CONTENT_DIR) + 1:]
        source_dir = rel.rsplit("/", 1)[0] if "/" in rel else ""
        linked = any(marker in article.body for marker in ("](", "]:", "href", "src"))
        jobs.append((article, source_dir, _digest(repr((article.body, source_dir, setting, targets if linked else "")))))
    todo = [(article, source_dir, key) for article, source_dir, key in jobs if key not in previous]

    def convert(start: int, end: int) -> list[tuple]:
        md = make_markdown(config.glossary)
        done = []
        for article, source_dir, _ in todo[start:end]:
            links = Links(source_dir, config.base_path, link_map, file_set, images)
            done.append((render_markdown(md, article.body, links), tuple(links.missing), tuple(links.no_alt)))
        return done

    converted = dict(zip((key for _, _, key in todo), map_chunks(convert, len(todo))))
    done = []
    for article, source_dir, key in jobs:
        hit = previous.get(key) or converted[key]
        if fresh is not None:
            fresh[key] = hit
        body, missing, no_alt = hit
        tick()
        for kind, target in missing:
            if kind == "image":
                report.error(article.source, "body", f'image not found: "{target}"')
            else:
                report.warn(article.source, "body", f'link to a missing page or file: "{target}"')
        for target in no_alt:
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


def build(options: BuildOptions, write: bool = True, progress: Progress = SILENT) -> BuildResult:
    """Run every stage; write output/ only when all of them succeeded (never, with write=False).

    Work is skipped where .cache/ shows it would give the same result: unchanged articles are not
    parsed again, unchanged bodies not rendered again, pages whose context and templates did not
    change not rendered again, and files whose bytes did not change not written again.
    """
    result = BuildResult()
    stage = _Stages(result)
    report = Report()
    out = options.output.resolve()
    if write:
        with stage("unchanged?"):
            inputs = _inputs(options)
            previous = read_inputs(options.root, out)
            clock = _clock()
            if (previous and previous["inputs"] == inputs and out.is_dir()
                    and previous.get("valid_from", float("inf")) <= clock < previous["valid_until"]):
                for key in ("articles", "pages", "files", "held_drafts", "held_future", "archived"):
                    setattr(result, key, previous[key])
                result.pages_unchanged = True
                return result
    cache = load_cache(options.root, out) if write else BuildCache()
    with stage("load"):
        config, everything, files = load_site(options, report, cache)
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
        link_map = {a.source[len(CONTENT_DIR) + 1:]: a.route.url(config.base_path) for a in plan.listed + plan.archived}
        bodies: dict = {}
        with progress.stage("markdown", len(plan.listed) + len(plan.archived)) as tick:
            # one pass over listed and archived articles: the link targets are hashed once
            rendered = render_bodies(config, plan.listed + plan.archived, files, images, report, link_map, cache,
                                     bodies, tick)
            articles, archived = rendered[:len(plan.listed)], rendered[len(plan.listed):]
        cache.bodies = bodies
        report.raise_if_errors(options.strict)
    with stage("group"):
        taxonomy = build_taxonomy(config, articles, report)
        report.extend(check_menu_topics(config, taxonomy))
        assets, copies = fingerprint_assets(options.root)
        for rel in files:
            copies[rel] = options.root / CONTENT_DIR / rel
        site = Site(config, assets, now, images)
        feeds = build_feeds(site, articles, taxonomy)
        builder = PageBuilder(site, articles, taxonomy, feeds, archived, related_cache=cache)
        pages = builder.all_pages() + feed_pages(feeds)
        pages += sitemap_pages(pages) + [robots_page()]
        report.extend(find_path_collisions(pages, copies))
        report.raise_if_errors(options.strict)
    with stage("render"):
        env = make_environment(options.root, site)
        todo, keys = _pages_to_render(env, options.root, site, pages, cache, out)
        with progress.stage("render", len(todo)) as tick:
            output, problems = render_pages(env, todo, tick)
        report.extend(problems)
        report.raise_if_errors(options.strict)
    result.articles, result.pages = len(articles), len(pages)
    result.rendered = len(todo)
    result.warnings = report.warnings
    if not write:
        return result
    with stage("images"):
        copies.update(render_variants(options.root, images, CONTENT_DIR))
    with stage("compare"):
        expected = {str(p.route.file) for p in pages} | set(copies)
        write_now, copy_now, manifest = plan_writes(out, output, copies, cache.files)
        for rel in expected - manifest.keys():       # pages not rendered: unchanged on disk
            manifest[rel] = cache.files[rel]
        result.files, result.written = len(expected), len(write_now) + len(copy_now)
    glob = article_glob(config.permalink)
    cold = not out.exists()
    index_changed = options.search and bool(articles) and (
        cold or not (out / "pagefind").is_dir() or any(fnmatch(rel, glob) for rel in write_now)
        or any(fnmatch(rel, glob) for rel in cache.files.keys() - expected))
    if cold:
        with stage("write"):
            staging = stage_output(out, write_now, copy_now)
        if index_changed:
            with stage("search"):
                try:
                    result.index = build_index(staging, glob)
                except BaseException:
                    discard(staging)
                    raise
        swap_output(staging, out)
    else:
        farm = None
        if index_changed:
            with stage("search"):
                farm, result.index = _index_beside(out, write_now, expected, glob)
        with stage("write"):
            result.deleted = commit_changes(out, write_now, copy_now, expected, keep=("pagefind",))
            if farm is not None:
                sync_folder(farm / "pagefind", out / "pagefind")
                discard(farm)
            elif not (options.search and articles):
                shutil.rmtree(out / "pagefind", ignore_errors=True)
    cache.pages = keys
    cache.files = manifest
    save_cache(options.root, out, cache)
    # Until the next scheduled or expiring article (or a new year, shown in the footer) is due,
    # the same inputs give the same site, so a later build with the same inputs can stop at once.
    events = [a.expires.value.timestamp() for a in articles if a.expires is not None]
    if plan.next_time is not None:
        events.append(plan.next_time.value.timestamp())
    events.append(now.replace(year=now.year + 1, month=1, day=1, hour=0, minute=0, second=0).timestamp())
    write_inputs(options.root, out, {
        "inputs": inputs, "valid_from": now.timestamp(), "valid_until": min(events), "articles": result.articles, "pages": result.pages,
        "files": result.files, "held_drafts": result.held_drafts, "held_future": result.held_future,
        "archived": result.archived})
    return result


def _inputs(options: BuildOptions) -> str:
    settings = repr((options.strict, options.drafts, options.future, options.search, options.base_url))
    return input_fingerprint(options.root, settings)


def _clock() -> float:
    """The build's notion of now, as a Unix time (SOURCE_DATE_EPOCH when set), like build_time()."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    return float(epoch) if epoch.isdigit() else time.time()


def _pages_to_render(env, root: Path, site: Site, pages: list[Page], cache: BuildCache,
                     out: Path) -> tuple[list[Page], dict[str, str]]:
    """The pages whose fingerprint changed (or whose file is gone), and every page's fingerprint."""
    try:
        templates = template_keys(env, root, {p.template for p in pages})
    except jinja2.TemplateSyntaxError as err:
        raise BuildError([Diagnostic(f"{TEMPLATES_DIR}/{err.name}", "template", err.message or str(err),
                                     err.lineno)]) from None
    except jinja2.TemplateNotFound as err:
        raise BuildError([Diagnostic(f"{TEMPLATES_DIR}/{err.name}", "template", "not found")]) from None
    everywhere = _digest(repr((site.config, sorted(site.assets.items()), site.build_time.year,
                               sorted((k, v.width, v.height, v.variants) for k, v in site.images.items()))))
    def fingerprint(start: int, end: int) -> list[str]:
        prints = Fingerprints()
        return [prints.context(page.context, everywhere.encode() + templates[page.template] +
                               str(page.route.file).encode()) for page in pages[start:end]]

    keys, todo = {}, []
    on_disk = out.is_dir()
    for page, key in zip(pages, map_chunks(fingerprint, len(pages))):
        rel = str(page.route.file)
        keys[rel] = key
        if not on_disk or cache.pages.get(rel) != key or rel not in cache.files or not (out / rel).is_file():
            todo.append(page)
    return todo, keys


def _index_beside(out: Path, write_now: dict[str, bytes], expected: set[str], glob: str):
    """Index the new article pages in a folder of hard links beside `out` (which stays untouched)."""
    farm = out.parent / f".{out.name}.index-{os.getpid()}"
    discard(farm)
    try:
        for rel in expected:
            if not fnmatch(rel, glob):
                continue
            target = farm / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            if rel in write_now:
                target.write_bytes(write_now[rel])
            else:
                os.link(out / rel, target)
        return farm, build_index(farm, glob)
    except BaseException:
        discard(farm)
        raise
