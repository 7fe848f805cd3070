"""build(): the stages in order, each timed; nothing is written until all of them succeeded."""
from __future__ import annotations

import gc
import hashlib
import os
import shutil
import time
from dataclasses import dataclass, field, replace
from dataclasses import fields as dataclass_fields
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Callable, Sequence

import jinja2

from .admin import LOCAL_ONLY, LocalBackend, admin_files, admin_pages
from .cache import (BuildCache, LazyHTML, ShardSaver, input_fingerprint, load_cache, read_inputs, save_cache, search_path,
                    stat_key, write_inputs)
from .config import SiteConfig, load_config, parse_base_url
from .fingerprint import Fingerprints, template_keys
from .dates import Moment, from_epoch
from .errors import BuildError, Diagnostic, Report
from .load import CONTENT_DIR, discover, find_collisions, read_article, read_source
from .images import ImageInfo, inspect_images, render_variants
from .markdown import Links, derive_summary, first_image, make_markdown, render_markdown
from .models import Article, Page
from .feeds import build_feeds, feed_pages, robots_page, sitemap_pages
from .pages import PageBuilder
from .parallel import can_fork, map_chunks, will_fork, workers
from .progress import SILENT, Progress
from .publish import schedule
from .redirects import MAP_FILE, find_alias_collisions, is_redirect, read_redirect_map, vanished_aliases
from .render import PageWriter, Rendered, Site, make_environment, template_problem
from .search import Filing, IndexReport, SearchIndex
from .taxonomy import build_taxonomy, check_menu_topics, name_key
from .write import (check_output_dir, commit_changes, discard, file_digest, file_key, fingerprint_assets,
                    plan_copies, stage_copies, staging_dir, swap_output)


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
    admin_local: LocalBackend | None = None   # serve --admin: the web editor saves through decap-server here


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
    # each stage's CPU seconds (user + system): this process's, and its finished workers'
    cpu: list[tuple[str, float, float]] = field(default_factory=list)


class _Stages:
    """Times each named stage, for the summary, -v and benchmarks/stages.py."""

    def __init__(self, result: BuildResult):
        self.result = result

    def __call__(self, name: str):
        result = self.result

        class _Timer:
            def __enter__(self):
                self.start, self.times = time.perf_counter(), os.times()

            def __exit__(self, *exc):
                end, times = time.perf_counter(), os.times()
                result.timings.append((name, end - self.start))
                result.cpu.append((name, times.user + times.system - self.times.user - self.times.system,
                                   times.children_user + times.children_system
                                   - self.times.children_user - self.times.children_system))

        return _Timer()


def build_time(config: SiteConfig) -> datetime:
    """Now, or SOURCE_DATE_EPOCH when set, so builds can be reproduced."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch.isdigit():
        return from_epoch(int(epoch), config.tz)
    return datetime.now(config.tz)


def load_site(options: BuildOptions, report: Report, cache: BuildCache | None = None,
              stats: dict[str, tuple[int, int, int]] | None = None) -> Loaded:
    """Load and validate config and every article, collecting problems in `report`.

    Only a broken site.yaml stops here: without it nothing else can be checked. `stats` are the
    files' identities as the input fingerprint just read them (a file missing there is asked for).

    The workers that parse the articles also convert their bodies (Markdown → HTML) while the
    text is in their hands, when the result cannot depend on the other articles (see
    BodyConverter.early): one pass over the articles on both cores instead of two, and the Markdown
    never travels back to this process. The images in content/ are sized first, because a
    body's images are part of its HTML.
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
    images, problems = inspect_images(options.root, other_files, CONTENT_DIR)
    report.extend(problems)
    converter = BodyConverter(config, other_files, images, cache.bodies)
    # what an article's parse depends on besides its own bytes: these settings, and which
    # other files exist (its image must)
    context = _digest(repr((config.levels, config.timezone, config.permalink, config.slug_source,
                            sorted(other_files))))
    # An article's cache key is (file identity, context, digest of its bytes). A file whose
    # identity is the one recorded is not read. One whose identity changed but whose bytes did
    # not (a fresh checkout: every server deploy, every CI run) is read and hashed, not parsed,
    # and keeps its digest: what later stages key on (digests, the frame) depends on the
    # bytes, never on the file's identity.
    keys: dict[str, tuple | None] = {}
    todo: list[str] = []
    folder = os.path.join(options.root, CONTENT_DIR, "")
    stats = stats or {}
    for rel in article_files:
        path = folder + rel                                     # a string path: no pathlib per file
        old = cache.articles[rel][0] if rel in cache.articles else None     # its last key
        try:
            identity = stats.get(path) or stat_key(path)
            if old is not None and old[:2] == (identity, context):
                keys[rel] = old
                continue
            digest = file_digest(path) if old is not None and old[1] == context else None
        except OSError:
            keys[rel] = None
            todo.append(rel)
            continue
        keys[rel] = (identity, context, digest)
        if digest is None or digest != old[2]:
            todo.append(rel)

    def parse(start: int, end: int) -> list:
        done = []
        for rel in todo[start:end]:
            key, data = keys[rel], None
            if key is not None and key[2] is None:
                # A new file: read once, and its digest is that of the very bytes parsed (a file
                # over the size limit is only hashed; read_article reports it).
                try:
                    data = read_source(folder + rel)
                    key = (key[0], key[1], file_key(data) if data is not None else file_digest(folder + rel))
                except OSError:
                    key = None
            article, found = read_article(options.root, rel, config, files, data)
            # the body's digest too, here on both cores rather than in the build process after
            shape = _body_shape(article.body) if article is not None else None
            done.append((article, found, key, shape, None))
        # Then the bodies, all of the chunk in one go: parsing and converting article by article
        # made the same work ~8 % slower (each stage's code and data pushed out the other's).
        for n, (article, found, key, shape, _) in enumerate(done):
            html = converter.early(article, shape) if article is not None else None
            if html is not None:
                article = evolve(article, body="")      # only the HTML goes back
                # the digest of its metadata as render_bodies will complete it (see render_changed)
                shown = evolve(article, summary=article.summary or html[3], first_image=html[4])
                done[n] = (article, found, key, shape, (html, _metadata_digest(shown)))
        return done

    fresh = dict(zip(todo, map_chunks(parse, len(todo))))
    articles, parsed, converted, metadata = [], {}, {}, {}
    for rel in article_files:
        if rel in fresh:
            article, found, key, shape, early = fresh[rel]
            if early is not None:
                converted[article.source], metadata[article.source] = early
            # The cache keeps the Markdown's digest, not the Markdown: the body is read again
            # only in the rare case it must be converted again (render_bodies).
            parsed[rel] = (key, evolve(article, body="") if article is not None and article.body else article,
                           found, shape)
        else:
            _, article, found, shape = cache.articles[rel]
            parsed[rel] = (keys[rel], article, found, shape)
        report.extend(found)
        if article is not None:
            articles.append(article)
    cache.articles = parsed
    return Loaded(config, sorted(articles, key=lambda a: a.sort_key), other_files, images, converter,
                  converted, metadata)


@dataclass
class Loaded:
    """What load_site found: the settings, the articles (sorted, newest first), the other files
    of content/ and their images, and the bodies already converted (by article source)."""

    config: SiteConfig
    articles: list[Article]
    files: list[str]
    images: dict[str, ImageInfo]
    converter: BodyConverter
    converted: dict[str, tuple]
    # the digest of each converted article's metadata, worked out by the worker that read it
    metadata: dict[str, str]


class BodyConverter:
    """Converts article bodies to HTML, in whichever process holds them, and names the results.

    A body's key hashes its Markdown, the settings that shape its HTML (glossary, base path), its
    folder and, for a body that may link (see _body_shape), everything its links can point to.
    """

    def __init__(self, config: SiteConfig, files: list[str], images: dict[str, ImageInfo], cached: dict):
        self.config, self.images, self.cached = config, images, cached
        self.files = frozenset(files)
        self.setting = _digest(repr((config.glossary, config.base_path))).encode()
        self._md = None         # made on first use, in the process that converts

    def key(self, shape: tuple[bytes, bool], source_dir: str, targets: bytes) -> str:
        """The cache key of a body (`targets`: the digest of what links can point to)."""
        body_digest, linked = shape
        return hashlib.blake2b(self.setting + (targets if linked else b"-") + b"\x00" + body_digest +
                               source_dir.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()

    def convert(self, markdown_text: str, source_dir: str, link_map: dict[str, str], summary: str) -> tuple:
        """(html, missing targets, images without alt, derived summary or None, first image)."""
        if self._md is None:
            self._md = make_markdown(self.config.glossary)
        links = Links(source_dir, self.config.base_path, link_map, self.files, self.images)
        html = render_markdown(self._md, markdown_text, links)
        # the summary from the body only when the editor gave none (None: not worked out)
        derived = derive_summary(html) if not summary else None
        return html, tuple(links.missing), tuple(links.no_alt), derived, first_image(html)

    def early(self, article: Article, shape: tuple[bytes, bool]) -> tuple | None:
        """The converted body of an article just read, when it can be known before the other
        articles are: with no address of another article, every link and image of the body
        resolves (or fails) the same whatever the other articles are. None when it must wait
        for the Markdown stage: a target the body names was not found (it may be an article),
        or the cache may hold the body already (a rebuild converts only what changed)."""
        source_dir = _source_dir(article)
        if shape[1]:
            if self.cached:         # its key needs every address; the Markdown stage knows it
                return None
        elif self.key(shape, source_dir, b"") in self.cached:
            return None
        result = self.convert(article.body, source_dir, {}, article.summary)
        return None if result[1] else result


def _source_dir(article: Article) -> str:
    """The content-relative folder of an article: "2019/12"."""
    rel = article.source[len(CONTENT_DIR) + 1:]
    return rel.rsplit("/", 1)[0] if "/" in rel else ""


def _markdown(root: Path, rel: str, config: SiteConfig, files: set[str]) -> str:
    """The Markdown body of an article file, read again."""
    article, _ = read_article(root, rel, config, files)
    if article is None:
        raise BuildError([Diagnostic(f"{CONTENT_DIR}/{rel}", "file", "changed or vanished while the site was built")])
    return article.body


def _body_shape(body: str) -> tuple[bytes, bool]:
    """A body's digest, and whether it may link anywhere (then its HTML depends on the targets)."""
    linked = "](" in body or "]:" in body or "href" in body or "src" in body
    return hashlib.sha256(body.encode("utf-8", "surrogatepass")).digest()[:16], linked    # see write.file_key


def evolve(article: Article, **changes) -> Article:
    """A copy of `article` with some fields changed. dataclasses.replace() runs __init__ and costs
    ~15 µs; this copies the fields dict, which matters 10,000 times a build."""
    copy = object.__new__(Article)
    copy.__dict__.update(article.__dict__)
    copy.__dict__.update(changes)
    return copy


def _digest(text: str | bytes) -> str:
    data = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def render_bodies(converter: BodyConverter, articles: list[Article], report: Report, link_map: dict[str, str],
                  cache: BuildCache | None = None, fresh: dict | None = None, tick=lambda: None,
                  digests: dict | None = None, reread: Callable[[str], str] | None = None,
                  converted: dict[str, tuple] | None = None) -> list[Article]:
    """Markdown → HTML for every article; summaries derived where the editor gave none.

    A body is rendered again only when its Markdown, the settings that shape it, or (for a body
    with links or images) what its links can point to changed; otherwise the cached HTML is used.
    `converted` holds the bodies load_site converted already (by article source).
    `digests` receives each article's digest: its parse key (file identity and the settings it was
    read with), its body key and whether it is archived, which together decide every field.
    """
    early = converted or {}
    targets = _digest(repr((sorted(link_map.items()), sorted(converter.files),
                            sorted((k, v.width, v.height, v.digest) for k, v in converter.images.items())))).encode()
    previous = cache.bodies if cache is not None else {}
    previous_articles = cache.articles if cache is not None else {}
    jobs = []
    for article in articles:
        source_dir = _source_dir(article)
        parsed = previous_articles.get(article.source[len(CONTENT_DIR) + 1:])
        shape = parsed[3] if parsed is not None and parsed[3] is not None else _body_shape(article.body)
        key = converter.key(shape, source_dir, targets)
        jobs.append((article, source_dir, key))
        if digests is not None and parsed is not None and parsed[0] is not None:
            # the parse's settings and the file's bytes, not its identity (see load_site)
            # (hex strings joined, not a tuple's repr: ~8 µs less an article, on every build)
            _, context, digest = parsed[0]
            digests[article.source] = hashlib.blake2b(f"{context}\0{digest}\0{key}\0{article.archived:d}".encode(),
                                                      digest_size=16).digest()
    todo, converted = [], {}
    for article, source_dir, key in jobs:
        if key not in previous:
            if article.source in early:
                converted[key] = early[article.source]
            else:
                todo.append((article, source_dir, key))

    def markdown_of(article: Article) -> str:
        if article.body or reread is None:
            return article.body
        return reread(article.source[len(CONTENT_DIR) + 1:])     # a cached article: its Markdown is on disk

    def convert(start: int, end: int) -> list[tuple]:
        return [converter.convert(markdown_of(article), source_dir, link_map, article.summary)
                for article, source_dir, _ in todo[start:end]]

    def again(article: Article, source_dir: str) -> str:
        """A cached body whose shard was lost: its Markdown converted again."""
        return converter.convert(markdown_of(article), source_dir, link_map, article.summary)[0]

    converted.update(zip((key for _, _, key in todo), map_chunks(convert, len(todo))))
    done = []
    for article, source_dir, key in jobs:
        hit = previous.get(key) or converted[key]
        if fresh is not None:
            fresh[key] = hit
        body, missing, no_alt, summary, image = hit
        if isinstance(body, LazyHTML):
            body.fallback = partial(again, article, source_dir)
        tick()
        for kind, target in missing:
            if kind == "image":
                report.error(article.source, "body", f'image not found: "{target}"')
            elif kind == "address":
                report.warn(article.source, "body", f'not a valid web address: "{target}"')
            else:
                report.warn(article.source, "body", f'link to a missing page or file: "{target}"')
        for target in no_alt:
            report.warn(article.source, "body", f'image "{target}" has no alternative text: describe it between '
                        "the brackets, ![like this](…)")
        if not article.summary and summary is None:     # the body was converted when it had one
            summary = derive_summary(str(body))
        done.append(evolve(article, body=body, summary=article.summary or summary, first_image=image))
    return done


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


def build(options: BuildOptions, write: bool = True, progress: Progress = SILENT,
          keep: list | None = None) -> BuildResult:
    """Run every stage; write output/ only when all of them succeeded (never, with write=False).

    Work is skipped where .cache/ shows it would give the same result: unchanged articles are not
    parsed again, unchanged bodies not rendered again, pages whose context and templates did not
    change not rendered again, and files whose bytes did not change not written again.
    """
    # A build allocates hundreds of thousands of long-lived objects (articles, contexts, the
    # cache) and makes almost no reference cycles: the cyclic collector would walk them all again
    # and again for nothing (a third of the time of loading the cache). It is paused for the
    # build and resumed after, so a long-running preview server still collects between builds.
    paused = gc.isenabled()
    gc.disable()
    try:
        return _build(options, write, progress, keep)
    finally:
        if paused:
            gc.enable()


def _build(options: BuildOptions, write: bool, progress: Progress, keep: list | None) -> BuildResult:
    result = BuildResult()
    stage = _Stages(result)
    report = Report()
    out = options.output.resolve()
    stats: dict[str, tuple[int, int, int]] = {}       # each source file's identity, read once
    if write:
        with stage("unchanged?"):
            inputs = _inputs(options, stats)
            previous = read_inputs(options.root, out)
            clock = _clock()
            if (previous and previous["inputs"] == inputs and out.is_dir()
                    and previous.get("valid_from", float("inf")) <= clock < previous["valid_until"]):
                for key in ("articles", "pages", "files", "held_drafts", "held_future", "archived"):
                    setattr(result, key, previous[key])
                result.pages_unchanged = True
                return result
    with stage("cache"):
        cache = load_cache(options.root, out) if write else BuildCache()
    with stage("load"):
        loaded = load_site(options, report, cache, stats)
        config, everything, files, images = loaded.config, loaded.articles, loaded.files, loaded.images
        if write:
            report.extend(check_output_dir(options.root, options.output))
        now = build_time(config)
        plan = schedule(everything, now, options.drafts, options.future)
        report.extend(find_collisions(plan.listed + plan.archived))
        result.held_drafts, result.held_future = plan.drafts, plan.future
        result.archived, result.next_scheduled = len(plan.archived), plan.next_time
    with stage("markdown"):
        link_map = {a.source[len(CONTENT_DIR) + 1:]: a.route.url(config.base_path) for a in plan.listed + plan.archived}
        bodies: dict = {}
        digests: dict[str, bytes] = {}
        file_set = set(files)
        with progress.stage("markdown", len(plan.listed) + len(plan.archived)) as tick:
            # one pass over listed and archived articles: the link targets are hashed once
            rendered = render_bodies(loaded.converter, plan.listed + plan.archived, report, link_map, cache,
                                     bodies, tick, digests,
                                     reread=lambda rel: _markdown(options.root, rel, config, file_set),
                                     converted=loaded.converted)
            premade = loaded.metadata
            articles, archived = rendered[:len(plan.listed)], rendered[len(plan.listed):]
            # From here on only the HTML versions are used: let the Markdown ones go (at 100,000
            # articles they are hundreds of megabytes).
            del everything, rendered, loaded
            plan = replace(plan, listed=[], archived=[])
        cache.bodies = bodies
        report.raise_if_errors(options.strict)
    # The cache's shards are known now: written by another process while this one goes on.
    saver = ShardSaver(options.root, out, cache, fork=can_fork()) if write else None
    try:
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
                # what `check` can tell before anything is published: old addresses that the live
                # site redirects and the next build would not (their article was removed)
                report.extend(vanished_aliases(read_redirect_map(out / MAP_FILE), articles + archived))
            report.raise_if_errors(options.strict)
        staging = staging_dir(out) if write else None
        try:
            with stage("render"):
                env = make_environment(options.root, site)
                keys, refs, rendered, problems = render_changed(env, options.root, site, pages, articles + archived,
                                                                digests, cache, staging, out if write else None,
                                                                progress, premade)
                report.extend(problems)
                report.raise_if_errors(options.strict)
            result.articles, result.pages = len(articles), len(pages)
            result.rendered = len(rendered)
            result.warnings = report.warnings
            if not write:
                return result
            with stage("images"):
                copies.update(render_variants(options.root, images, CONTENT_DIR))
            with stage("compare"):
                expected = {p.route.file for p in pages} | set(copies)
                copy_now, manifest = plan_copies(out, copies, cache.files)
                changed = {r.rel for r in rendered if r.written}
                for r in rendered:
                    manifest[r.rel] = r.key
                for rel in expected - manifest.keys():       # pages not rendered: unchanged on disk
                    manifest[rel] = cache.files[rel]
                stage_copies(staging, copy_now)
                changed |= copy_now.keys()
                result.files, result.written = len(expected), len(changed)
            cold = not out.exists()
            search_index = SearchIndex(search_path(options.root, out))
            if options.search and articles:
                with stage("search"):
                    result.index = search_index.update(options.root, articles, digests,
                                                       _filings(config, articles, taxonomy), config, images,
                                                       config.search_shard_size)
            if cold:
                with stage("write"):
                    if result.index is not None:
                        search_index.publish(staging / "pagefind", result.index)
                    swap_output(staging, out)
            else:
                with stage("write"):
                    result.deleted = commit_changes(out, staging, changed, expected, cache.files, keep=("pagefind",))
                    if result.index is not None:
                        search_index.publish(out / "pagefind", result.index)
                    else:
                        shutil.rmtree(out / "pagefind", ignore_errors=True)
        except BaseException:
            if staging is not None:
                discard(staging)
            raise
        cache.pages, cache.refs = keys, refs
        cache.files = manifest
        with stage("save"):
            saver.finish()
            save_cache(options.root, out, cache, shards=False)
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
        if keep is not None:
            # The caller frees the build's objects when it wants to: a command-line build never does
            # (cli.exit_now ends the process), where freeing them one by one took ~0.09 s at 10,000
            # articles, a twentieth of a rebuild.
            keep[:] = [(cache, articles, archived, pages, taxonomy, builder, feeds, env, keys, refs, rendered,
                        manifest, digests, bodies, stats, report, site)]
        return result
    except BaseException:
        if saver is not None:
            saver.wait()        # not left behind; what it wrote is valid either way (see ShardSaver)
        raise


def _inputs(options: BuildOptions, stats: dict | None = None) -> str:
    settings = repr((options.strict, options.drafts, options.future, options.search, options.base_url,
                     options.admin_local))
    return input_fingerprint(options.root, settings, stats)


def _clock() -> float:
    """The build's notion of now, as a Unix time (SOURCE_DATE_EPOCH when set), like build_time()."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    return float(epoch) if epoch.isdigit() else time.time()


def render_changed(env, root: Path, site: Site, pages: list[Page], articles: list[Article],
                   digests: dict[str, bytes], cache: BuildCache, staging: Path | None, out: Path | None,
                   progress: Progress = SILENT, premade: dict[str, str] | None = None,
                   ) -> tuple[dict[str, str], list[tuple[int, ...]], list[Rendered], list[Diagnostic]]:
    """Fingerprint pages and render those whose fingerprint changed (or whose file is gone).

    Returns every page's fingerprint, for each article the pages that show it, what was
    rendered, and the template errors. A page's fingerprint hashes its context and its
    templates; hashing every context costs about 0.2 ms a page, so when the last build had the
    same frame (the same templates, settings and pages, and every article with the same
    metadata) only the pages that show an article whose digest changed are looked at again:
    with everything else equal, nothing else can differ. A worker that fingerprints a page
    renders it at once, so each context is built once, in the worker. `premade` holds the
    digests of article metadata that load_site's workers worked out (for an article not archived).
    """
    try:
        memo = dict(cache.templates)
        templates = template_keys(env, root, {p.template for p in pages}, memo)
        cache.templates = memo
    except (jinja2.TemplateSyntaxError, jinja2.TemplateNotFound) as err:
        raise BuildError([template_problem(err, err.name or "")]) from None
    everywhere = _digest(repr((site.config, sorted(site.assets.items()), site.build_time.year,
                               sorted((k, v.width, v.height, v.variants) for k, v in site.images.items()))))
    index_of = {a.source: i for i, a in enumerate(articles)}
    # An article's metadata is decided by its digest: it is hashed again only when that changed.
    metadata = {}
    premade = premade or {}
    for a in articles:
        known = cache.metadata.get(a.source)
        digest = digests.get(a.source)
        if known is not None and digest is not None and known[0] == digest:
            metadata[a.source] = known
        elif a.source in premade and not a.archived:
            metadata[a.source] = (digest, premade[a.source])
        else:
            metadata[a.source] = (digest, _metadata_digest(a))
    frame = _digest(repr((everywhere, sorted(templates.items()), [(p.route.file, p.template) for p in pages],
                          [metadata[a.source][1] for a in articles])))
    folder = os.path.join(out, "") if out is not None else ""
    previous = cache.pages if out is not None else {}

    def missing(rel: str) -> bool:
        return rel not in previous or rel not in cache.files or not os.path.isfile(folder + rel)

    def stale(rel: str, key: str) -> bool:
        return previous.get(rel) != key or missing(rel)

    same_frame = out is not None and cache.frame == frame and len(cache.refs) == len(articles)
    if same_frame:
        edited = [i for i, a in enumerate(articles)
                  if digests.get(a.source) is None or cache.digests.get(a.source) != digests[a.source]]
        look = {p for i in edited for p in cache.refs[i]}
        look.update(n for n, page in enumerate(pages) if missing(page.route.file))
        candidates = [pages[n] for n in sorted(look)]
    else:
        candidates = pages

    # The order the pages are rendered in (the results are put back in page order below). The
    # feeds and sitemaps go first: each shows dozens of bodies or every page, and rendered last,
    # as they come in the page list, they kept one core busy after the other had nothing left to
    # do (~0.1 s at 10,000 articles). Then every page by the date of its newest article: the
    # listings that show an article are rendered near each other, mostly by one worker, which
    # renders its card once (in page order each worker rendered nearly every card: 20,010 cards
    # for 10,000 articles, 11,946 this way). A few pages (a rebuild after an edit) are rendered
    # here, in page order, without working out any listing's date.
    order: Sequence[int] = range(len(candidates))
    if will_fork(len(candidates)):
        order = sorted(order, key=lambda n: _render_order(candidates[n]))

    def job(start: int, end: int) -> list[tuple]:
        prints = Fingerprints(digests, index_of)
        writer = PageWriter(env, staging, out or Path(), cache.files)
        done: list[tuple] = []
        for page in (candidates[n] for n in order[start:end]):
            rel = page.route.file
            key = prints.context(page.context, everywhere.encode() + templates[page.template] + rel.encode())
            try:
                written = writer.write(page) if stale(rel, key) else None
            except BuildError as err:
                done.append((None, None, err.diagnostics))
                break
            done.append((key, None if same_frame else prints.refs(), written))
            if live:
                tick()
        return done

    # A context that reads every page (the sitemap's dates) is built here, once, so the workers
    # share it: built in a worker, it raised that worker's peak by 70 MiB at 100,000 articles.
    for page in candidates:
        if page.reads_all_pages:
            page.context        # noqa: B018 - a cached property: built now, for its side effect
    live = workers() == 1     # forked workers cannot move the parent's progress bar
    with progress.stage("render", len(candidates)) as tick:
        results = map_chunks(job, len(candidates))
        if not live:
            for _ in candidates:
                tick()
    failed = [found for key, _, found in results if key is None]
    if failed:
        return {}, [], [], failed[0]
    in_order: list = [None] * len(candidates)
    for n, result in zip(order, results):
        in_order[n] = result
    results = in_order
    keys = dict(previous) if same_frame else {}
    rendered: list[Rendered] = []
    shown: list[list[int]] = [[] for _ in articles]
    for number, (page, (key, seen, written)) in enumerate(zip(candidates, results)):
        keys[page.route.file] = key
        if written is not None:
            rendered.append(written)
        if seen is not None:
            for i in seen:
                shown[i].append(number)
    refs = cache.refs if same_frame else [tuple(p) for p in shown]
    cache.frame, cache.digests, cache.metadata = frame, digests, metadata
    return keys, refs, rendered, []


def _render_order(page: Page) -> tuple[bool, float]:
    """Feeds and sitemaps first, then the newest pages (see render_changed)."""
    when = page.modified if page.lastmod is not None else None
    return page.route.file.endswith(".html"), -when.stamp if when is not None else 0.0


_METADATA = tuple(f.name for f in dataclass_fields(Article) if f.name != "body")


def _metadata_digest(article: Article) -> str:
    """The digest of an article's metadata (see _metadata)."""
    return _digest(repr(_metadata(article)))


def _metadata(article: Article) -> tuple:
    """Everything about an article but its body: what decides which pages exist and what they list."""
    return tuple(getattr(article, name) for name in _METADATA)


def _filings(config: SiteConfig, articles: Sequence[Article], taxonomy) -> dict[str, Filing]:
    """Under which names each article is filed (its search document's filters): the names the
    listings show, which depend on every article (the spelling most articles use wins)."""
    levels = {level.key: level.name for level in config.levels}
    unit_of = taxonomy.unit_of
    filings = {}
    for article in articles:
        unit = unit_of.get(name_key(article.unit)) if article.unit else None
        filings[article.source] = Filing(levels.get(article.level, article.level), unit.name if unit else "",
                                         tuple(t.name for t in taxonomy.article_authors(article)),
                                         tuple(t.name for t in taxonomy.article_topics(article)))
    return filings
