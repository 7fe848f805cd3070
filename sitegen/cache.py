"""The persistent build cache in .cache/: parsed articles, rendered bodies, page keys, output manifest.

Everything is keyed by content: an article by its file's stat and bytes, a body by its Markdown
and what its links point to, a page by a fingerprint of its context and templates. The whole
cache is dropped when the generator's code changes (GENERATOR), so an upgrade never reuses a
stale result. Deleting .cache/ is always safe: the next build is a cold one.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import pickle
import zlib
from dataclasses import dataclass, field
from typing import NamedTuple
from pathlib import Path
from typing import BinaryIO, Callable

CACHE_DIR = ".cache"
_PACKAGE = Path(__file__).parent


def _generator_key() -> str:
    digest = hashlib.sha256()
    # every module of the package, sub-packages included (sitegen/stages/, sitegen/speedups/)
    for path in sorted(_PACKAGE.rglob("*.py")) + sorted(_PACKAGE.glob("*.js")):
        if "__pycache__" in path.parts:
            continue
        digest.update(path.relative_to(_PACKAGE).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


GENERATOR = _generator_key()


class ArticleKey(NamedTuple):
    """What an article's parse depends on: the file's identity, the settings it was read with,
    and the digest of its bytes (None until they were read)."""

    identity: tuple
    context: str
    digest: str | None


class ParsedArticle(NamedTuple):
    """A parsed article file as the cache keeps it: its key, the article without its body (None
    when the file had errors), the problems found, and its body's shape (digest, may link)."""

    key: ArticleKey | None
    article: object
    problems: list
    shape: tuple[bytes, bool] | None


class Body(NamedTuple):
    """An article body converted to HTML, with what the conversion found."""

    html: object                  # str, or a LazyHTML read from the cache when a page shows it
    missing: tuple                # (kind, target) of links and images that lead nowhere
    no_alt: tuple                 # images without alternative text
    summary: str | None           # derived from the body when the editor gave none
    image: str | None             # the body's first image
    files: tuple = ()             # the files of content/ its links and images lead to (images are published if used)


class Related(NamedTuple):
    """The related articles of every listed article, and the key of what they were found from."""

    key: str = ""                 # hash of each article's source, date, topics and unit
    lists: list = []              # listed article index -> indices of its related articles


class MetadataDigest(NamedTuple):
    """An article's digest, and the digest of its metadata worked out from it."""

    article: bytes | None
    metadata: str


@dataclass
class BuildCache:
    """What one build leaves for the next; see the module docstring."""

    generator: str = GENERATOR
    output: str = ""                                           # the output folder it describes
    articles: dict[str, ParsedArticle] = field(default_factory=dict)   # content-relative path -> parse
    # body key -> Body; the html of a body loaded from the cache is a LazyHTML, read from its
    # shard only if a page shows it
    bodies: dict[str, Body] = field(default_factory=dict)
    pages: dict[str, str] = field(default_factory=dict)        # output rel -> page fingerprint
    files: dict[str, str] = field(default_factory=dict)        # output manifest: rel -> content key
    related: Related = Related()                               # find_related's result, reused
    images: dict = field(default_factory=dict)                 # content path -> ImageRecord (sizes, digest)
    frame: str = ""                                            # templates, settings, pages, article metadata
    digests: dict[str, bytes] = field(default_factory=dict)    # article source -> digest (metadata and body)
    refs: list[tuple[int, ...]] = field(default_factory=list)  # article index -> indices of the pages showing it
    metadata: dict[str, MetadataDigest] = field(default_factory=dict)   # article source -> digests
    templates: dict[str, tuple] = field(default_factory=dict)  # template source digest -> templates it references
    loaded: dict[tuple[str, int], object] = field(default_factory=dict)  # shard -> its signature when loaded
    html: HtmlStore | None = None                              # where LazyHTML bodies are read from


SHARDS = 64     # the parsed articles and rendered bodies are kept in this many files each


class HtmlStore:
    """The rendered bodies of the last build, read shard by shard when a page first needs one.

    A rebuild after one edit renders a few pages out of thousands; reading every body (tens of
    megabytes at 10,000 articles) would cost more than the rendering. Each build has its own
    store: a preview server's next build never sees a shard as an earlier build read it.
    """

    def __init__(self, folder: Path):
        self.folder = folder
        self.shards: dict[int, dict[str, bytes]] = {}      # bodies as UTF-8 (see save_cache)
        self.damaged: set[int] = set()        # shards that lacked a body: rewritten at the next save

    def get(self, key: str) -> str | None:
        """The body of `key`, or None when its shard is missing or broken."""
        n = _shard_of(key)
        if n not in self.shards:
            self.shards[n] = _read_shard(self.folder / f"html-{n:02d}.pickle") or {}
        html = self.shards[n].get(key)
        if not isinstance(html, bytes):
            self.damaged.add(n)
            return None
        return html.decode("utf-8", "surrogatepass")


class LazyHTML:
    """A cached article body that is read when a template first shows it (str() of it).

    It has no __html__, on purpose: Markup() and |safe_html take its text as it is, and
    autoescaping (atom.xml) escapes it, exactly as for a str. If its shard was lost, `fallback`
    converts the article's Markdown again.
    """

    __slots__ = ("key", "store", "fallback", "_text")

    def __init__(self, key: str, store: HtmlStore):
        self.key, self.store, self.fallback, self._text = key, store, None, None

    def __str__(self) -> str:
        if self._text is None:
            text = self.store.get(self.key)
            if text is None:
                if self.fallback is None:
                    raise LookupError(f"cached body {self.key} is gone")
                text = self.fallback()
            self._text = text
        return self._text

    def __repr__(self) -> str:
        return f"LazyHTML({self.key!r})"


def cache_path(root: Path, output: Path) -> Path:
    """One cache per output folder (a preview and a build must not share page keys): a file for
    the build's page keys and manifest, beside a folder of shards for articles and bodies."""
    tag = hashlib.sha256(str(output.resolve()).encode()).hexdigest()[:10]
    return root / CACHE_DIR / f"build-{tag}.pickle"


def search_path(root: Path, output: Path) -> Path:
    """Where the search index of an output folder is kept between builds (see search.SearchIndex)."""
    return cache_path(root, output).with_suffix(".search")


def _shard_dir(root: Path, output: Path) -> Path:
    return cache_path(root, output).with_suffix(".shards")


def _shard_of(key: str) -> int:
    return zlib.crc32(key.encode("utf-8", "surrogatepass")) % SHARDS


def _split(entries: dict) -> list[dict]:
    shards: list[dict] = [{} for _ in range(SHARDS)]
    for key, value in entries.items():
        shards[_shard_of(key)][key] = value
    return shards


def _signature(kind: str, shard: dict) -> object:
    # An article entry is decided by its parse key, a body entry by its own key: comparing
    # those tells whether a shard changed without comparing (or pickling) the entries.
    return {k: v.key for k, v in shard.items()} if kind == "articles" else set(shard)


def load_cache(root: Path, output: Path) -> BuildCache:
    """The previous build's cache, or an empty one when missing, stale or unreadable.

    A missing or unreadable shard only costs cache misses: every entry is keyed by what it was
    made from, so any shard that is read is valid whichever build wrote it.
    """
    path = cache_path(root, output)
    try:
        with open(path, "rb") as handle:
            cache = pickle.load(handle)      # noqa: S301 - our own file in our own .cache/
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError, TypeError, ValueError):
        return BuildCache(output=str(output))
    if not isinstance(cache, BuildCache) or cache.generator != GENERATOR or cache.output != str(output):
        return BuildCache(output=str(output))
    folder = _shard_dir(root, output)
    cache.html = HtmlStore(folder)
    for kind in ("articles", "bodies"):
        merged: dict = {}
        for n in range(SHARDS):
            shard = _read_shard(folder / f"{kind}-{n:02d}.pickle")
            if shard is None:
                continue
            if kind == "bodies":        # (None, …): the html stays in its own shard until needed
                shard = {key: entry._replace(html=LazyHTML(key, cache.html)) for key, entry in shard.items()}
            merged.update(shard)
            cache.loaded[(kind, n)] = _signature(kind, shard)
        setattr(cache, kind, merged)
    return cache


def _read_shard(path: Path) -> dict | None:
    """A shard written by this generator, or None (missing, unreadable or older)."""
    try:
        with open(path, "rb") as handle:
            generator, shard = pickle.load(handle)   # noqa: S301 - our own file in our own .cache/
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError, TypeError, ValueError):
        return None
    return shard if generator == GENERATOR and isinstance(shard, dict) else None


def save_cache(root: Path, output: Path, cache: BuildCache, shards: bool = True) -> None:
    """Write the cache: the shards whose entries changed (unless `shards` is False: a ShardSaver
    wrote them), then the main file, each atomically (a crash never leaves half a file). After
    one edit, one or two shards of each kind."""
    if shards:
        save_shards(root, output, cache)
    path = cache_path(root, output)
    path.parent.mkdir(parents=True, exist_ok=True)
    rest = dataclasses.replace(cache, articles={}, bodies={}, loaded={}, html=None)
    _dump(rest, path)


def save_shards(root: Path, output: Path, cache: BuildCache) -> None:
    """Write the shards of parsed articles and rendered bodies whose entries changed."""
    folder = _shard_dir(root, output)
    folder.mkdir(parents=True, exist_ok=True)
    for n, shard in enumerate(_split(cache.articles)):
        if cache.loaded.get(("articles", n)) != _signature("articles", shard):
            _dump((GENERATOR, shard), folder / f"articles-{n:02d}.pickle")
    damaged = cache.html.damaged if cache.html is not None else set()
    for n, shard in enumerate(_split(cache.bodies)):
        if cache.loaded.get(("bodies", n)) == _signature("bodies", shard) and n not in damaged:
            continue
        # The html first (str() reads the old shard's bodies before it is replaced), then the rest.
        # Encoded here, not by pickle: pickling a str keeps its UTF-8 copy inside the str for as
        # long as it lives, which at 100,000 articles added 230 MB to the build's peak.
        html = {key: str(entry.html).encode("utf-8", "surrogatepass") for key, entry in shard.items()}
        _dump((GENERATOR, html), folder / f"html-{n:02d}.pickle")
        _dump((GENERATOR, {key: entry._replace(html=None) for key, entry in shard.items()}), folder / f"bodies-{n:02d}.pickle")


class ShardSaver:
    """save_shards() in a forked process, started as soon as the articles and bodies are known.

    Writing the shards is most of saving the cache (pickling 10,000 articles and their bodies:
    ~0.4 s of a cold build, measured), and the build process did it last, alone, with the other
    core idle. Forked before the group stage, which also leaves a core idle, it is done by the time
    the build needs it. Shards are keyed by what they were made from (see load_cache), so the ones
    written for a build that then fails are as valid as any. Where fork is not available (or only
    one core is), finish() writes them in the build process, as before.
    """

    def __init__(self, root: Path, output: Path, cache: BuildCache, fork: bool = True):
        self.args = (root, output, cache)
        self.pid: int | None = None
        self.damaged = frozenset(cache.html.damaged) if cache.html is not None else frozenset()
        if fork:
            pid = os.fork()
            if pid == 0:            # the child: write, and end without running the parent's exit code
                code = 1
                try:
                    save_shards(root, output, cache)
                    code = 0
                finally:
                    os._exit(code)
            self.pid = pid

    def wait(self) -> bool:
        """Wait for the forked process (if any); True when it wrote every shard."""
        if self.pid is None:
            return False
        pid, self.pid = self.pid, None
        _, status = os.waitpid(pid, 0)
        return os.waitstatus_to_exitcode(status) == 0

    def finish(self) -> None:
        """Make sure the shards are written: by the forked process, or else (it failed, or a body
        shard found damaged since it started must be written again) here and now."""
        cache = self.args[2]
        damaged = cache.html.damaged if cache.html is not None else set()
        if not self.wait() or not damaged <= self.damaged:
            save_shards(*self.args)


def _dump(value: object, path: Path) -> None:
    # Pickled straight into the file, not into one bytes object first: at 100,000 articles the
    # shards are megabytes each, and the freed buffers stayed in the heap (glibc raises its mmap
    # threshold after each large free), which made saving the cache the build's peak of memory.
    _replace_file(path, lambda handle: pickle.dump(value, handle, protocol=pickle.HIGHEST_PROTOCOL))


def _replace_file(path: Path, write: bytes | Callable[[BinaryIO], None]) -> None:
    """Write a file whole or not at all: into a partial file, renamed over `path`, never in place
    (a crash leaves the old file or the new one). `write` is the file's bytes, or a function that
    writes them to the open file."""
    partial = path.with_name(f"{path.name}.{os.getpid()}.part")
    with open(partial, "wb") as handle:
        if callable(write):
            write(handle)
        else:
            handle.write(write)
    os.replace(partial, path)


def stat_key(path: str | Path) -> tuple[int, int, int]:
    """A cheap change detector: inode, size and modification time in nanoseconds."""
    st = os.stat(path)
    return st.st_ino, st.st_size, st.st_mtime_ns


def inputs_path(root: Path, output: Path) -> Path:
    """The small file that lets a build with nothing to do stop at once."""
    return cache_path(root, output).with_name(cache_path(root, output).stem.replace("build-", "inputs-") + ".json")


def input_fingerprint(root: Path, settings: str, stats: dict[str, tuple[int, int, int]] | None = None) -> str:
    """A fingerprint of every source file's identity (inode, size, time) and of the build settings.

    About 10,000 stat calls for 10,000 articles: a few tens of milliseconds. `stats` receives each
    file's identity by path, so that loading need not ask for it again.
    """
    digest = hashlib.blake2b(settings.encode("utf-8", "surrogatepass"), digest_size=16)
    digest.update(GENERATOR.encode())
    for top in ("site.yaml", "content", "templates", "assets"):
        base = root / top
        if base.is_file():
            digest.update(f"{top}:{stat_key(base)}".encode())
            continue
        for dirpath, dirnames, filenames in os.walk(base):
            dirnames.sort()
            for name in sorted(filenames):
                path = os.path.join(dirpath, name)
                st = os.stat(path)
                digest.update(f"{path}:{st.st_ino}:{st.st_size}:{st.st_mtime_ns}\n".encode("utf-8", "surrogateescape"))
                if stats is not None:
                    stats[path] = (st.st_ino, st.st_size, st.st_mtime_ns)
    return digest.hexdigest()


def read_inputs(root: Path, out: Path) -> dict | None:
    """What the last successful build recorded about its inputs (None if nothing usable)."""
    try:
        data = json.loads(inputs_path(root, out).read_text(encoding="utf-8"))
        return data if isinstance(data, dict) and "inputs" in data else None
    except (OSError, ValueError):
        return None


def write_inputs(root: Path, out: Path, data: dict) -> None:
    """Record a successful build's inputs, atomically."""
    path = inputs_path(root, out)
    path.parent.mkdir(parents=True, exist_ok=True)
    _replace_file(path, json.dumps(data).encode("utf-8"))
