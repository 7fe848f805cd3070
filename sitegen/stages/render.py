"""Render stage: fingerprint every page (its context and templates) and render, into the staging
folder, those whose fingerprint changed or whose file is gone."""
from __future__ import annotations

import os
from pathlib import Path
from typing import NamedTuple, Sequence

import jinja2

from ..cache import BuildCache, MetadataDigest
from ..errors import BuildError, Diagnostic
from ..fingerprint import Fingerprints, template_keys
from ..models import Article, Page
from ..parallel import map_chunks, will_fork, workers
from ..progress import SILENT, Progress
from ..render import PageWriter, Rendered, Site, template_problem
from .common import digest as _digest, metadata_digest as _metadata_digest


class Rendering(NamedTuple):
    """What the render stage did, and what the cache keeps of it for the next build."""

    keys: dict[str, str]                 # output file -> page fingerprint
    refs: list[tuple[int, ...]]          # article index -> the pages that show it
    rendered: list[Rendered]             # pages rendered into the staging folder
    problems: list[Diagnostic]           # template errors (nothing else is valid then)
    templates: dict[str, tuple]          # for the cache: template source digest -> templates it uses
    frame: str                           # for the cache: templates, settings, pages, metadata
    digests: dict[str, bytes]            # for the cache: article source -> digest
    metadata: dict[str, MetadataDigest]  # for the cache: article source -> digests


def render_changed(env, root: Path, site: Site, pages: list[Page], articles: list[Article],
                   digests: dict[str, bytes], cache: BuildCache, staging: Path | None, out: Path | None,
                   progress: Progress = SILENT, premade: dict[str, str] | None = None,
                   ) -> Rendering:
    """Fingerprint pages and render those whose fingerprint changed (or whose file is gone).

    Returns every page's fingerprint, for each article the pages that show it, what was
    rendered, and the template errors. A page's fingerprint hashes its context and its
    templates; hashing every context costs about 0.2 ms a page, so when the last build had the
    same frame (the same templates, settings and pages, and every article with the same
    metadata) only the pages that show an article whose digest changed are looked at again:
    with everything else equal, nothing else can differ. A worker that fingerprints a page
    renders it at once, so each context is built once, in the worker. `premade` holds the
    digests of article metadata that load_site's workers worked out (for an article not archived).
    Longer than 60 lines: the frame, the candidates, the worker and the merge share the same keys;
    the worker is a closure so that forked processes inherit them without pickling.
    """
    try:
        memo = dict(cache.templates)
        templates = template_keys(env, root, {p.template for p in pages}, memo)
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
        if known is not None and digest is not None and known.article == digest:
            metadata[a.source] = known
        elif a.source in premade and not a.archived:
            metadata[a.source] = MetadataDigest(digest, premade[a.source])
        else:
            metadata[a.source] = MetadataDigest(digest, _metadata_digest(a))
    frame = _digest(repr((everywhere, sorted(templates.items()), [(p.route.file, p.template) for p in pages],
                          [metadata[a.source].metadata for a in articles])))
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
        look.update(n for n, page in enumerate(pages) if page.volatile or missing(page.route.file))
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
        return Rendering({}, [], [], failed[0], memo, frame, digests, metadata)
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
    return Rendering(keys, refs, rendered, [], memo, frame, digests, metadata)


def _render_order(page: Page) -> tuple[bool, float]:
    """Feeds and sitemaps first, then the newest pages (see render_changed)."""
    when = page.modified if page.lastmod is not None else None
    return page.route.file.endswith(".html"), -when.stamp if when is not None else 0.0
