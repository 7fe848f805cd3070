"""Load stage: site.yaml, every article file (parsed on both cores, or taken from the cache when
its bytes and the settings it was read with are those of last time), and the images of content/."""
from __future__ import annotations

import os
from dataclasses import dataclass, replace

from ..cache import ArticleKey, BuildCache, ParsedArticle, stat_key
from ..config import SiteConfig, load_config, parse_base_url
from ..errors import BuildError, Diagnostic, Report
from ..images import ImageInfo, ImageRecord, inspect_images
from ..load import CONTENT_DIR, discover, read_article, read_source
from ..options import BuildOptions
from ..models import Article
from ..parallel import map_chunks
from ..write import file_digest, file_key
from .common import digest as _digest, evolve, metadata_digest as _metadata_digest
from .convert import BodyConverter, body_shape


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

    Longer than 60 lines: the cache-key walk, the worker's parse-and-convert and the merge share
    the per-file keys, and splitting them would pass those dicts through three functions.
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
    # an image's problems are reported by the group stage, once it is known whether it is used
    images, image_records = inspect_images(options.root, other_files, CONTENT_DIR, cache.images)
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
    keys: dict[str, ArticleKey | None] = {}
    todo: list[str] = []
    folder = os.path.join(options.root, CONTENT_DIR, "")
    stats = stats or {}
    for rel in article_files:
        path = folder + rel                                     # a string path: no pathlib per file
        old = cache.articles[rel].key if rel in cache.articles else None     # its last key
        try:
            identity = stats.get(path) or stat_key(path)
            if old is not None and (old.identity, old.context) == (identity, context):
                keys[rel] = old
                continue
            digest = file_digest(path) if old is not None and old.context == context else None
        except OSError:
            keys[rel] = None
            todo.append(rel)
            continue
        keys[rel] = ArticleKey(identity, context, digest)
        if digest is None or digest != old.digest:
            todo.append(rel)

    def parse(start: int, end: int) -> list:
        done = []
        for rel in todo[start:end]:
            key, data = keys[rel], None
            if key is not None and key.digest is None:
                # A new file: read once, and its digest is that of the very bytes parsed (a file
                # over the size limit is only hashed; read_article reports it).
                try:
                    data = read_source(folder + rel)
                    key = key._replace(digest=file_key(data) if data is not None else file_digest(folder + rel))
                except OSError:
                    key = None
            article, found = read_article(options.root, rel, config, files, data)
            # the body's digest too, here on both cores rather than in the build process after
            shape = body_shape(article.body) if article is not None else None
            done.append((article, found, key, shape, None))
        # Then the bodies, all of the chunk in one go: parsing and converting article by article
        # made the same work ~8 % slower (each stage's code and data pushed out the other's).
        for n, (article, found, key, shape, _) in enumerate(done):
            html = converter.early(article, shape) if article is not None else None
            if html is not None:
                article = evolve(article, body="")      # only the HTML goes back
                # the digest of its metadata as render_bodies will complete it (see render_changed)
                shown = evolve(article, summary=article.summary or html.summary, first_image=html.image)
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
            parsed[rel] = ParsedArticle(key, evolve(article, body="") if article is not None and article.body
                                        else article, found, shape)
        else:
            record = cache.articles[rel]
            article, found = record.article, record.problems
            parsed[rel] = record._replace(key=keys[rel])
        report.extend(found)
        if article is not None:
            articles.append(article)
    return Loaded(config, sorted(articles, key=lambda a: a.sort_key), other_files, images, converter,
                  converted, metadata, parsed, image_records, len(todo))


@dataclass(frozen=True)
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
    records: dict[str, ParsedArticle]   # for the cache: every article file's parse, by content path
    image_records: dict[str, ImageRecord]   # for the cache: every image's size and digest, by content path
    parsed: int = 0             # article files read and parsed (the others came from the cache)
