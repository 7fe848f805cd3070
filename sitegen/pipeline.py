"""build(): the stages in order (sitegen/stages/), each timed; nothing is written until all of them
succeeded. The stored cache (sitegen/cache.py) is read before the first stage and saved after the last."""
from __future__ import annotations

import gc
import os
import time
from dataclasses import dataclass, field, replace
from datetime import datetime

from .cache import BuildCache, ShardSaver, load_cache, save_cache, search_path
from .config import SiteConfig
from .dates import Moment, from_epoch
from .errors import BuildError, Diagnostic, Report
from .load import CONTENT_DIR, find_collisions
from .options import BuildOptions
from .parallel import can_fork
from .progress import SILENT, Progress
from .publish import schedule
from .render import make_environment
from .search import IndexReport, SearchIndex
from .stages import skip
from .stages.convert import reread_markdown, render_bodies
from .stages.group import Grouped, group
from .stages.index import filings, with_index_files
from .stages.load import load_site
from .stages.photos import make_photos, prune
from .stages.publish import Compared, compare, swap_in
from .stages.render import render_changed
from .write import check_output_dir, discard, staging_dir


@dataclass
class BuildResult:
    """What a finished build did, for the summary line."""

    articles: int = 0
    pages: int = 0
    files: int = 0
    index: IndexReport | None = None
    parsed: int = 0        # article files parsed (the others were taken from the cache)
    converted: int = 0     # article bodies converted from Markdown (the others: from the cache)
    photos: int = 0        # photos whose renditions were made (the others': from .cache/images/)
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
    """The stages, one call each (see sitegen/stages/__init__.py for what each hands on)."""
    result, report, stats = BuildResult(), Report(), {}      # stats: each source file's identity, read once
    stage, out, inputs = _Stages(result), options.output.resolve(), None
    if write:
        with stage("unchanged?"):
            inputs = skip.inputs_of(options, stats)
            if _same_as_last(options, out, inputs, result):
                return result
    with stage("cache"):
        cache = load_cache(options.root, out) if write else BuildCache()
    with stage("load"):
        loaded, now, plan = _load(options, write, cache, stats, report, result)
        cache, config = replace(cache, articles=loaded.records, images=loaded.image_records), loaded.config
    with stage("markdown"):
        articles, archived, digests, premade, bodies, linked = _convert(options, loaded, plan, cache, report, progress,
                                                                        result)
        files, images = loaded.files, loaded.images
        # only the HTML versions are used from here: the Markdown ones (hundreds of MB at 100,000) go
        del loaded
        plan = replace(plan, listed=[], archived=[])
        report.raise_if_errors(options.strict)
    cache = replace(cache, bodies=bodies)        # the cache's shards, written by a forked process meanwhile
    with _Cleanup(ShardSaver(options.root, out, cache, fork=can_fork()) if write else None) as cleanup:
        with stage("group"):
            grouped = group(options, config, articles, archived, files, images, linked, now, cache, report, write)
            report.raise_if_errors(options.strict)
        search_index = SearchIndex(search_path(options.root, out))
        if write and options.search and articles:
            with stage("search"):     # before the pages: the search page's <head> names the newest files
                result.index, grouped = _search(options, articles, digests, grouped, images, search_index)
        cleanup.staging = staging_dir(out) if write else None
        with stage("render"):
            env = make_environment(options.root, grouped.site)
            rendering = render_changed(env, options.root, grouped.site, grouped.pages, articles + archived,
                                       digests, cache, cleanup.staging, out if write else None, progress, premade)
            report.extend(rendering.problems)
            report.raise_if_errors(options.strict)
        result.articles, result.pages, result.rendered = len(articles), len(grouped.pages), len(rendering.rendered)
        result.warnings = report.warnings
        if not write:
            return result
        compared = _publish(options, stage, result, out, cleanup.staging, grouped, rendering.rendered, images, cache,
                            search_index, progress)
        cleanup.staging = None                  # it is output/ now
        # what the next build reuses, stored only now that every stage succeeded
        cache = replace(cache, pages=rendering.keys, refs=rendering.refs, files=compared.manifest,
                        templates=rendering.templates, frame=rendering.frame, digests=rendering.digests,
                        metadata=rendering.metadata, related=grouped.related)
        with stage("save"):
            cleanup.saver.finish()
            save_cache(options.root, out, cache, shards=False)
    skip.remember(options, out, inputs, now, articles, plan.next_time,
                  {key: getattr(result, key) for key in skip.SUMMARY})
    if keep is not None:    # freed when the caller wants (cli.exit_now never: ~0.09 s at 10,000 articles)
        keep[:] = [(cache, articles, archived, grouped, env, rendering, compared, digests, stats, report)]
    return result


class _Cleanup:
    """What a failed stage must not leave behind: the staging folder (output/ stays as it was)
    and the process writing the cache's shards (waited for: what it wrote is valid either way)."""

    def __init__(self, saver: ShardSaver | None):
        self.saver, self.staging = saver, None

    def __enter__(self) -> _Cleanup:
        return self

    def __exit__(self, kind, *_) -> None:
        if kind is not None:
            if self.staging is not None:
                discard(self.staging)
            if self.saver is not None:
                self.saver.wait()


def _same_as_last(options: BuildOptions, out, inputs, result: BuildResult) -> bool:
    """True when no input changed since the last build: `result` is then that build's summary."""
    last = skip.last_summary(options, out, inputs)
    if last is None:
        return False
    for key, value in last.items():
        setattr(result, key, value)
    result.pages_unchanged = True
    return True


def _convert(options: BuildOptions, loaded, plan, cache: BuildCache, report: Report, progress: Progress,
             result: BuildResult) -> tuple[list, list, dict[str, bytes], dict[str, str], dict, frozenset[str]]:
    """The convert stage's call: the listed and archived articles with HTML bodies, each article's
    digest, the metadata digests the load stage's workers made, the bodies for the cache, and the
    files of content/ the bodies lead to."""
    config = loaded.config
    link_map = {a.source[len(CONTENT_DIR) + 1:]: a.route.url(config.base_path) for a in plan.listed + plan.archived}
    bodies: dict = {}
    digests: dict[str, bytes] = {}
    file_set = set(loaded.files)
    with progress.stage("markdown", len(plan.listed) + len(plan.archived)) as tick:
        # one pass over listed and archived articles: the link targets are hashed once
        done = render_bodies(loaded.converter, plan.listed + plan.archived, report, link_map, cache, bodies, tick,
                             digests, reread=lambda rel: reread_markdown(options.root, rel, config, file_set),
                             converted=loaded.converted)
    result.converted = len(loaded.converted) + done.converted
    listed = len(plan.listed)
    return done.articles[:listed], done.articles[listed:], digests, loaded.metadata, bodies, done.files


def _load(options: BuildOptions, write: bool, cache: BuildCache, stats: dict, report: Report,
          result: BuildResult):
    """The load stage's calls: the site, the build time, and what is published when (the plan)."""
    loaded = load_site(options, report, cache, stats)
    if write:
        report.extend(check_output_dir(options.root, options.output))
    now = build_time(loaded.config)
    plan = schedule(loaded.articles, now, options.drafts, options.future)
    report.extend(find_collisions(plan.listed + plan.archived))
    result.parsed, result.held_drafts, result.held_future = loaded.parsed, plan.drafts, plan.future
    result.archived, result.next_scheduled = len(plan.archived), plan.next_time
    return loaded, now, plan


def _search(options: BuildOptions, articles: list, digests: dict, grouped: Grouped, images: dict,
            search_index: SearchIndex) -> tuple[IndexReport, Grouped]:
    """The search stage's call: the index brought up to date in .cache/, and the pages with the
    search page naming the index's newest files."""
    config = grouped.site.config
    index = search_index.update(options.root, articles, digests, filings(config, articles, grouped.taxonomy),
                                config, images, config.search_shard_size)
    return index, replace(grouped, pages=with_index_files(grouped.pages, index.first))


def _publish(options: BuildOptions, stage: _Stages, result: BuildResult, out, staging, grouped, rendered,
             images: dict, cache: BuildCache, search_index: SearchIndex, progress: Progress) -> Compared:
    """The photos, compare and write stages: output/ becomes the new site (with the search index
    the search stage made, if any)."""
    copies = dict(grouped.copies)
    with stage("photos"):
        made, problems, result.photos = make_photos(options.root, images, grouped.photos, CONTENT_DIR, progress)
        copies.update(made)
        if problems:
            raise BuildError(problems)
        prune(options.root, images)
    with stage("compare"):
        compared = compare(out, staging, grouped.pages, copies, rendered, cache.files)
        result.files, result.written = len(compared.expected), len(compared.changed)
    with stage("write"):
        result.deleted = swap_in(out, staging, compared, cache.files, search_index, result.index)
    return compared
