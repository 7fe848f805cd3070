"""Convert stage: Markdown → HTML for every article body, cached by what shapes it, on both cores.

The load stage's workers already converted the bodies that cannot depend on other articles
(BodyConverter.early); render_bodies() converts the rest, takes the others from the cache, and
reports each body's broken links and images without alternative text.
"""
from __future__ import annotations

import hashlib
from functools import partial
from pathlib import Path
from typing import Callable, NamedTuple

from ..cache import Body, BuildCache, LazyHTML
from ..config import SiteConfig
from ..errors import BuildError, Diagnostic, Report
from ..images import ImageInfo
from ..load import CONTENT_DIR, read_article
from ..markdown import Links, derive_summary, first_image, make_markdown, render_markdown
from ..models import Article
from ..parallel import map_chunks
from .common import digest as _digest, evolve, source_dir as _source_dir


class Converted(NamedTuple):
    """The articles with their bodies as HTML, and how many bodies this stage converted (the
    others came from the cache or were converted early, by the load stage's workers)."""

    articles: list[Article]
    converted: int
    files: frozenset[str] = frozenset()     # the files of content/ the bodies lead to


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

    def convert(self, markdown_text: str, source_dir: str, link_map: dict[str, str], summary: str) -> Body:
        """The body's HTML and what converting it found (the summary only when `summary` is empty)."""
        if self._md is None:
            self._md = make_markdown(self.config.glossary)
        links = Links(source_dir, self.config.base_path, link_map, self.files, self.images)
        html = render_markdown(self._md, markdown_text, links)
        # the summary from the body only when the editor gave none (None: not worked out)
        derived = derive_summary(html) if not summary else None
        return Body(html, tuple(links.missing), tuple(links.no_alt), derived, first_image(html),
                    tuple(sorted(links.used)))

    def early(self, article: Article, shape: tuple[bytes, bool]) -> Body | None:
        """The converted body of an article just read, when it can be known before the other
        articles are: with no address of another article, every link and image of the body
        resolves (or fails) the same whatever the other articles are. None when it must wait
        for the Markdown stage: a target the body names was not found (it may be an article),
        or the cache may hold the body already (a rebuild converts only what changed)."""
        source_dir = _source_dir(article)
        if shape[1]:        # (digest, may link): see body_shape
            if self.cached:         # its key needs every address; the Markdown stage knows it
                return None
        elif self.key(shape, source_dir, b"") in self.cached:
            return None
        result = self.convert(article.body, source_dir, {}, article.summary)
        return None if result.missing else result


def reread_markdown(root: Path, rel: str, config: SiteConfig, files: set[str]) -> str:
    """The Markdown body of an article file, read again."""
    article, _ = read_article(root, rel, config, files)
    if article is None:
        raise BuildError([Diagnostic(f"{CONTENT_DIR}/{rel}", "file", "changed or vanished while the site was built")])
    return article.body


def body_shape(body: str) -> tuple[bytes, bool]:
    """A body's digest, and whether it may link anywhere (then its HTML depends on the targets)."""
    linked = "](" in body or "]:" in body or "href" in body or "src" in body
    return hashlib.sha256(body.encode("utf-8", "surrogatepass")).digest()[:16], linked    # see write.file_key


def render_bodies(converter: BodyConverter, articles: list[Article], report: Report, link_map: dict[str, str],
                  cache: BuildCache | None = None, fresh: dict | None = None, tick=lambda: None,
                  digests: dict | None = None, reread: Callable[[str], str] | None = None,
                  converted: dict[str, tuple] | None = None) -> Converted:
    """Markdown → HTML for every article; summaries derived where the editor gave none.

    A body is rendered again only when its Markdown, the settings that shape it, or (for a body
    with links or images) what its links can point to changed; otherwise the cached HTML is used.
    `converted` holds the bodies load_site converted already (by article source).
    `digests` receives each article's digest: its parse key (file identity and the settings it was
    read with), its body key and whether it is archived, which together decide every field.
    Longer than 60 lines: keys, conversion on both cores and reporting are one pass over the articles.
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
        shape = parsed.shape if parsed is not None and parsed.shape is not None else body_shape(article.body)
        key = converter.key(shape, source_dir, targets)
        jobs.append((article, source_dir, key))
        if digests is not None and parsed is not None and parsed.key is not None:
            # the parse's settings and the file's bytes, not its identity (see load_site)
            # (hex strings joined, not a tuple's repr: ~8 µs less an article, on every build)
            digests[article.source] = hashlib.blake2b(f"{parsed.key.context}\0{parsed.key.digest}\0{key}\0"
                                                      f"{article.archived:d}".encode(),
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

    def convert(start: int, end: int) -> list[Body]:
        return [converter.convert(markdown_of(article), source_dir, link_map, article.summary)
                for article, source_dir, _ in todo[start:end]]

    def again(article: Article, source_dir: str) -> str:
        """A cached body whose shard was lost: its Markdown converted again."""
        return converter.convert(markdown_of(article), source_dir, link_map, article.summary).html

    converted.update(zip((key for _, _, key in todo), map_chunks(convert, len(todo))))
    done, used = [], set()
    for article, source_dir, key in jobs:
        hit = previous.get(key) or converted[key]
        if fresh is not None:
            fresh[key] = hit
        body, summary = hit.html, hit.summary
        used.update(hit.files)
        if isinstance(body, LazyHTML):
            body.fallback = partial(again, article, source_dir)
        tick()
        for kind, target in hit.missing:
            if kind == "image":
                report.error(article.source, "body", f'image not found: "{target}"')
            elif kind == "address":
                report.warn(article.source, "body", f'not a valid web address: "{target}"')
            else:
                report.warn(article.source, "body", f'link to a missing page or file: "{target}"')
        for target in hit.no_alt:
            report.warn(article.source, "body", f'image "{target}" has no alternative text: describe it between '
                        "the brackets, ![like this](…)")
        if not article.summary and summary is None:     # the body was converted when it had one
            summary = derive_summary(str(body))
        done.append(evolve(article, body=body, summary=article.summary or summary, first_image=hit.image))
    return Converted(done, len(todo), frozenset(used))
